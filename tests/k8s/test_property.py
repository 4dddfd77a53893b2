"""Property: on random clusters (namespaces, workloads, NetworkPolicies with every kind of
selector, peer and port), the symbolic engine agrees with the brute-force evaluator of
tests/k8s/oracle.py on every pod pair and probe packet, and on packets from outside."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netwarden.engine import Engine, Packet, PacketSpace
from netwarden.ingest import load_estate
from netwarden.k8s.matrix import connectivity
from netwarden.k8s.model import Workload
from tests.k8s.kube import write
from tests.k8s.oracle import Cluster, Pod

SPACE = PacketSpace()
NAMESPACES = ("a", "b", "c")
LABELS = {"app": ("w", "x", "y"), "tier": ("f", "b")}
# the automatic name label too: a manifest that sets it is overridden by the API server
NS_LABELS = {"team": ("t1", "t2"), "env": ("prod", "dev"), "kubernetes.io/metadata.name": ("a", "b", "c")}
PORTS = ((80, "TCP", "http"), (8080, "TCP", "http"), (443, "TCP", "https"), (53, "UDP", "dns"),
         (9090, "TCP", "metrics"), (3868, "SCTP", None))
CIDRS = ("10.244.0.0/30", "10.244.0.0/16", "0.0.0.0/0", "192.0.2.0/24", "10.244.0.4/31")
EXTERNAL = ("192.0.2.9", "198.51.100.1", "10.9.0.1")
PROBES = ((6, 80), (6, 8080), (6, 443), (6, 1000), (17, 53), (17, 80), (132, 3868), (1, 0))


def labels(pool: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict[str, str]]:
    values = ("w", "x", "y", "f", "b", "t1", "t2", "prod", "dev", "a", "c")
    return st.dictionaries(st.sampled_from(sorted(pool)), st.sampled_from(values),
                           max_size=2).map(lambda d: {k: v for k, v in d.items() if v in pool[k]})


def selector(pool: dict[str, tuple[str, ...]]) -> st.SearchStrategy[dict[str, Any]]:
    keys = sorted(pool)
    expression = st.one_of(
        st.builds(lambda k, op, vs: {"key": k, "operator": op, "values": vs}, st.sampled_from(keys),
                  st.sampled_from(("In", "NotIn")), st.lists(st.sampled_from(("w", "x", "y", "f", "t1", "prod", "a")),
                                                             min_size=1, max_size=2, unique=True)),
        st.builds(lambda k, op: {"key": k, "operator": op}, st.sampled_from(keys),
                  st.sampled_from(("Exists", "DoesNotExist"))))
    return st.builds(lambda ml, me: {**({"matchLabels": ml} if ml else {}), **({"matchExpressions": me} if me else {})},
                     labels(pool), st.lists(expression, max_size=2))


peer = st.one_of(
    st.builds(lambda s: {"podSelector": s}, selector(LABELS)),
    st.builds(lambda s: {"namespaceSelector": s}, selector(NS_LABELS)),
    st.builds(lambda n, p: {"namespaceSelector": n, "podSelector": p}, selector(NS_LABELS), selector(LABELS)),
    st.builds(lambda c, e: {"ipBlock": {"cidr": c, **({"except": ["10.244.0.0/31"]} if e and c in
                                                      ("10.244.0.0/16", "0.0.0.0/0", "10.244.0.0/30") else {})}},
              st.sampled_from(CIDRS), st.booleans()),
)
port = st.one_of(
    st.builds(lambda p: {"port": p}, st.sampled_from((80, 443, 53))),
    st.builds(lambda pr, p: {"protocol": pr, "port": p}, st.sampled_from(("TCP", "UDP", "SCTP")),
              st.sampled_from((80, 53, 3868, "http", "dns", "metrics"))),
    st.builds(lambda pr: {"protocol": pr}, st.sampled_from(("TCP", "UDP"))),
    st.just({"port": 79, "endPort": 443}),
)


def rule(peers_key: str) -> st.SearchStrategy[dict[str, Any]]:
    maybe = lambda inner: st.one_of(st.none(), st.just([]), st.lists(inner, min_size=1, max_size=2))
    return st.builds(lambda peers, ports: {**({peers_key: peers} if peers is not None else {}),
                                           **({"ports": ports} if ports is not None else {})},
                     maybe(peer), maybe(port))


policy = st.builds(
    lambda ns, sel, types, ing, eg, i: {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": f"p{i}", "namespace": ns},
        "spec": {"podSelector": sel, **({"policyTypes": types} if types is not None else {}),
                 **({"ingress": ing} if ing is not None else {}), **({"egress": eg} if eg is not None else {})}},
    st.sampled_from(NAMESPACES), selector(LABELS),
    st.one_of(st.none(), st.sampled_from((["Ingress"], ["Egress"], ["Ingress", "Egress"]))),
    st.one_of(st.none(), st.lists(rule("from"), max_size=2)),
    st.one_of(st.none(), st.lists(rule("to"), max_size=2)),
    st.integers(0, 10 ** 6))

workload = st.builds(
    lambda ns, lab, ports, replicas: (ns, lab, ports, replicas),
    st.sampled_from(NAMESPACES), labels(LABELS),
    st.lists(st.sampled_from(PORTS), max_size=3, unique_by=lambda p: (p[2] or p[0], p[1])).map(
        lambda ps: [p for i, p in enumerate(ps) if p[2] is None or p[2] not in [q[2] for q in ps[:i]]]),
    st.integers(1, 2))


def manifests(namespace_labels: list[dict[str, str]], workloads: list[Any], policies: list[Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for name, ns_labels in zip(NAMESPACES, namespace_labels):
        found.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": ns_labels}})
    for i, (ns, lab, ports, replicas) in enumerate(workloads):
        container: dict[str, Any] = {"name": "c", "ports": [
            {"containerPort": n, "protocol": pr, **({"name": pn} if pn else {})} for n, pr, pn in ports]}
        found.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"w{i}", "namespace": ns},
                      "spec": {"replicas": replicas, "template": {"metadata": {"labels": lab},
                                                                   "spec": {"containers": [container]}}}})
    seen = set()
    for p in policies:
        key = (p["metadata"]["namespace"], p["metadata"]["name"])
        if key not in seen:
            seen.add(key)
            found.append(p)
    return found


@settings(derandomize=True, max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(labels(NS_LABELS), min_size=3, max_size=3), st.lists(workload, min_size=1, max_size=5),
       st.lists(policy, max_size=5))
def test_symbolic_equals_brute_force(namespace_labels: list[dict[str, str]], workloads: list[Any],
                                     policies: list[Any]) -> None:
    objects = manifests(namespace_labels, workloads, policies)
    with tempfile.TemporaryDirectory() as directory:
        engine = Engine(load_estate([write(Path(directory), *objects)]), space=SPACE)
    pods: list[Pod] = []
    index: dict[int, Workload] = {}
    for w in engine.estate.of(Workload):
        for prefix in w.addresses:
            for a in range(prefix.first, prefix.last + 1):
                pods.append(Pod(w.namespace, tuple(sorted(w.labels.items())),
                                tuple((p.port, p.protocol, p.name) for p in w.ports), a))
                index[a] = w
    oracle = Cluster(objects, pods)
    assert engine.k8s is not None
    (cc,) = engine.k8s.all_compiled()
    cells = connectivity(engine, cc)
    position = {w.id: i for i, w in enumerate(cc.workloads)}
    for src in pods:
        for dst in pods:
            a, b = position[index[src.address].id], position[index[dst.address].id]
            cell = cells.get((a, b))
            for protocol, dport in PROBES:
                sport = 40000 if protocol != 1 else 0
                packet = Packet(src.address, dst.address, protocol, sport, dport)
                symbolic = cell is not None and packet in cell
                assert symbolic == oracle.allowed(src.address, dst.address, protocol, dport), (
                    packet, index[src.address].qualified, index[dst.address].qualified)
    # packets crossing the cluster's edge, traced one by one
    import ipaddress

    outside = [int(ipaddress.IPv4Address(e)) for e in EXTERNAL]
    for pod in pods[:3]:
        for other in outside:
            for protocol, dport in PROBES[:5]:
                for src, dst in ((other, pod.address), (pod.address, other)):
                    packet = Packet(src, dst, protocol, 40000, dport)
                    got = engine.trace(packet).verdict == "allowed"
                    assert got == oracle.allowed(src, dst, protocol, dport), packet
