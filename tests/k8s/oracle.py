"""A brute-force NetworkPolicy evaluator for concrete packets, written from the Kubernetes
documentation independently of netwarden.k8s: it reads the raw manifest dictionaries, and
judges one (source, destination, protocol, port) at a time by walking the policies.

Pods are given as ``Pod(namespace, labels, ports, address)``; an address that is no pod's
is outside the cluster."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

PROTOCOL = {"TCP": 6, "UDP": 17, "SCTP": 132}


@dataclass(frozen=True)
class Pod:
    namespace: str
    labels: tuple[tuple[str, str], ...]
    ports: tuple[tuple[int, str, str | None], ...]      # (number, protocol, name)
    address: int


@dataclass
class Cluster:
    manifests: list[dict[str, Any]]
    pods: list[Pod]
    namespace_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in self.manifests:
            if m["kind"] == "Namespace":
                name = m["metadata"]["name"]
                self.namespace_labels[name] = {**m["metadata"].get("labels", {}),
                                               "kubernetes.io/metadata.name": name}
        for m in self.manifests:
            ns = m["metadata"].get("namespace")
            if ns and ns not in self.namespace_labels:
                self.namespace_labels[ns] = {"kubernetes.io/metadata.name": ns}
        self.policies = [m for m in self.manifests if m["kind"] == "NetworkPolicy"]
        self.by_address = {p.address: p for p in self.pods}

    def allowed(self, src: int, dst: int, protocol: int, port: int) -> bool:
        src_pod, dst_pod = self.by_address.get(src), self.by_address.get(dst)
        if src_pod is not None and not self._side(src_pod, "Egress", dst, dst_pod, protocol, port):
            return False
        return dst_pod is None or self._side(dst_pod, "Ingress", src, src_pod, protocol, port)

    def _side(self, pod: Pod, kind: str, peer_address: int, peer_pod: Pod | None,
              protocol: int, port: int) -> bool:
        selecting = [p for p in self.policies if p["metadata"]["namespace"] == pod.namespace
                     and _matches(p["spec"].get("podSelector") or {}, dict(pod.labels))
                     and kind in _types(p["spec"])]
        if not selecting:
            return True                                   # not isolated in this direction
        rules_key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
        port_pod = pod if kind == "Ingress" else peer_pod  # named ports: the destination pod
        for p in selecting:
            for rule in p["spec"].get(rules_key) or []:
                peers = rule.get(peers_key) or []
                if peers and not any(self._peer(p, peer, peer_address, peer_pod) for peer in peers):
                    continue
                ports = rule.get("ports") or []
                if ports and not any(_port(pp, protocol, port, port_pod) for pp in ports):
                    continue
                return True
        return False

    def _peer(self, policy: dict[str, Any], peer: dict[str, Any], address: int, pod: Pod | None) -> bool:
        if "ipBlock" in peer:
            block = peer["ipBlock"]
            ip = ipaddress.IPv4Address(address)
            return ip in ipaddress.ip_network(block["cidr"], strict=False) and not any(
                ip in ipaddress.ip_network(e, strict=False) for e in block.get("except", []))
        if pod is None:
            return False
        if "namespaceSelector" in peer:
            if not _matches(peer["namespaceSelector"], self.namespace_labels[pod.namespace]):
                return False
        elif pod.namespace != policy["metadata"]["namespace"]:
            return False
        return "podSelector" not in peer or _matches(peer["podSelector"], dict(pod.labels))


def _types(spec: dict[str, Any]) -> list[str]:
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, op, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _port(spec: dict[str, Any], protocol: int, port: int, pod: Pod | None) -> bool:
    name = spec.get("protocol", "TCP")
    if PROTOCOL[name] != protocol:
        return False
    if "port" not in spec:
        return True
    wanted = spec["port"]
    if isinstance(wanted, int):
        return wanted <= port <= spec.get("endPort", wanted)
    return pod is not None and any(n == port and proto == name and pname == wanted
                                   for n, proto, pname in pod.ports)
