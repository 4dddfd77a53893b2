"""Kubernetes manifests -> the model (the ingest side of ``netwarden.k8s``).

Reads Namespaces, Pods and the pod templates of Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs and CronJobs, Services and ``networking.k8s.io/v1`` NetworkPolicies, from
multi-document YAML and from ``kubectl get -o yaml|json`` Lists. Invalid input is a located
:class:`IngestError` (``file:line:column``); kinds that carry no network meaning are counted
as unknown types.

Which cluster a manifest belongs to: the directory layout ``clusters/<name>/...`` first, then
the ``--cluster`` option, then the estate's only AKS cluster, else a standalone cluster
(``standalone``). A cluster name matches an AKS cluster of the estate by name or resource ID;
its node subnets, network plugin and policy engine then decide how pods are addressed and
whether policies are enforced. Pod addresses are synthetic (see ``docs/kubernetes.md``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netwarden.ingest.interface import IngestError
from netwarden.k8s.documents import KNode
from netwarden.k8s.model import (
    ALL,
    NAME_LABEL,
    PROTOCOLS,
    WORKLOAD_KINDS,
    ContainerPort,
    IpBlock,
    KubeCluster,
    KubeService,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    PolicyPort,
    PolicyRule,
    Requirement,
    ServicePort,
    Workload,
    cluster_id,
    namespace_id,
    object_id,
)
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.cluster import AksCluster
from netwarden.model.compute import NetworkInterface
from netwarden.model.estate import Diagnostic, Estate
from netwarden.model.network import Subnet
from netwarden.model.values import Location, Prefix

STANDALONE = "standalone"
DEFAULT_POD_CIDR = "10.244.0.0/16"      # kubenet's and Azure CNI Overlay's default
_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
_SVC_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?")
_KIND_ORDER = {k: i for i, k in enumerate(WORKLOAD_KINDS)}
_NETWORK_KINDS = frozenset({*WORKLOAD_KINDS, "Namespace", "Service", "NetworkPolicy"})


@dataclass
class KubeLoad:
    """What the manifests add to an estate."""

    resources: list[Resource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unknown: Counter[str] = field(default_factory=Counter)


@dataclass
class _Object:
    kind: str
    name: str
    namespace: str
    node: KNode
    cluster: str | None          # from the directory layout


# -- entry point ---------------------------------------------------------------------------


def attach(estate: Estate, documents: Iterable[KNode], cluster: str | None = None) -> Estate:
    """``estate`` with the Kubernetes resources of ``documents`` added (a new Estate)."""
    load = load_manifests(documents, estate, cluster)
    # the new Estate recomputes its dangling references: keep every other diagnostic
    kept = [d for d in estate.diagnostics if d.code != "dangling-reference"]
    return Estate([*estate, *load.resources], unknown_types=estate.unknown_types + load.unknown,
                  diagnostics=[*kept, *load.diagnostics], sources=estate.sources)


def load_manifests(documents: Iterable[KNode], estate: Estate, cluster: str | None = None) -> KubeLoad:
    """The Kubernetes resources of ``documents`` (parsed manifests), tied to the clusters of
    ``estate``. Raises IngestError on invalid input."""
    result = KubeLoad()
    objects: list[_Object] = []
    for document in documents:
        for item in _objects(document):
            kind = item.get("kind").required_str()
            api = item.get("apiVersion").required_str()
            if kind not in _NETWORK_KINDS:
                result.unknown[f"k8s/{kind}"] += 1
                continue
            if kind == "NetworkPolicy" and api != "networking.k8s.io/v1":
                result.unknown[f"k8s/{api}/{kind}"] += 1
                result.diagnostics.append(Diagnostic(
                    "unsupported-api", f"NetworkPolicy of apiVersion {api} is ignored "
                    "(networking.k8s.io/v1 expected)", item.location))
                continue
            meta = item.get("metadata")
            name = meta.get("name").str() or meta.get("generateName").str()
            if not name:
                raise meta.get("name").error("is required")
            namespace = "" if kind == "Namespace" else meta.get("namespace").str() or "default"
            objects.append(_Object(kind, name, namespace, item, _layout_cluster(item.file)))
    if not objects:
        return result
    groups: dict[tuple[str, AksCluster | None], list[_Object]] = defaultdict(list)
    for obj in objects:
        groups[_resolve_cluster(obj.cluster or cluster, estate, obj.node.location)].append(obj)
    for (name, aks), members in groups.items():
        _Cluster(name, aks, estate, result).build(members)
    return result


def _objects(document: KNode) -> Iterator[KNode]:
    """The objects of a document: itself, or the items of a List."""
    if not isinstance(document.value, dict):
        raise document.error("expected a Kubernetes object (a mapping with apiVersion and kind)")
    kind = document.get("kind").str() or ""
    if kind == "List" or (kind.endswith("List") and document.has("items")):
        for item in document.get("items").items():
            if not isinstance(item.value, dict):
                raise item.error("expected a Kubernetes object")
            if not item.has("kind") and kind != "List":
                # typed lists (PodList) may leave kind out of their items
                item = KNode({**item.value, "kind": kind[:-4], "apiVersion": document.get(
                    "apiVersion").str()}, item.file, item.path, item.mark)
            yield from _objects(item)
        return
    for key in ("apiVersion", "kind"):
        if not document.has(key):
            raise document.error(f"not a Kubernetes object: {key!r} is missing")
    yield document


def _layout_cluster(file: str) -> str | None:
    """``.../clusters/<name>/...`` names the cluster of a manifest."""
    parts = Path(file).parts
    for index in range(len(parts) - 3, -1, -1):
        if parts[index] == "clusters":
            return parts[index + 1]
    return None


def _resolve_cluster(name: str | None, estate: Estate, where: Location) -> tuple[str, AksCluster | None]:
    clusters = estate.of(AksCluster)
    if name is None:
        if len(clusters) == 1:
            return clusters[0].name, clusters[0]
        if not clusters:
            return STANDALONE, None
        listing = ", ".join(sorted(c.name for c in clusters))
        raise IngestError(where, f"the estate holds {len(clusters)} AKS clusters ({listing}): say "
                                 "which one these manifests belong to with --cluster NAME, or put "
                                 "them under clusters/<name>/")
    wanted = name.strip()
    found = [c for c in clusters if c.name.lower() == wanted.lower() or ids.key(c.id) == ids.key(wanted)]
    if len(found) == 1:
        return found[0].name, found[0]
    if len(found) > 1:
        listing = "\n  ".join(c.id for c in found)
        raise IngestError(where, f"cluster {wanted!r} is ambiguous; name one by its ID:\n  {listing}")
    if clusters or wanted.startswith("/"):
        listing = ", ".join(sorted(c.name for c in clusters)) or "none"
        raise IngestError(where, f"no AKS cluster named {wanted!r} in the estate (AKS clusters: {listing})")
    return wanted, None


# -- one cluster ---------------------------------------------------------------------------------


@dataclass
class _Draft:
    """A workload before its pods get addresses."""

    kind: str
    name: str
    namespace: str
    labels: dict[str, str]
    ports: tuple[ContainerPort, ...]
    replicas: int
    host_network: bool
    node: KNode
    annotations: dict[str, str]


class _Cluster:
    def __init__(self, name: str, aks: AksCluster | None, estate: Estate, result: KubeLoad) -> None:
        self.name, self.aks, self.estate, self.result = name, aks, estate, result
        self.id = cluster_id(name)

    def warn(self, code: str, message: str, location: Location) -> None:
        self.result.diagnostics.append(Diagnostic(code, message, location))

    def build(self, objects: list[_Object]) -> None:
        objects = self._deduplicated(objects)
        drafts: list[_Draft] = []
        present = {(o.kind, o.namespace, o.name) for o in objects}
        owned_pods: dict[tuple[str, str, str], list[_Object]] = defaultdict(list)
        namespaces: dict[str, Namespace] = {}
        services: list[KubeService] = []
        policies: list[NetworkPolicy] = []
        for obj in objects:
            if obj.kind == "Namespace":
                namespaces[obj.name] = self._namespace(obj)
            elif obj.kind == "Service":
                services.append(self._service(obj))
            elif obj.kind == "NetworkPolicy":
                policies.append(self._policy(obj))
            else:
                owner = _controller(obj.node)
                if owner is not None and _owned_by_present(owner, obj, present):
                    continue        # its controller's template stands for it
                if obj.kind == "Pod" and owner is not None:
                    owned_pods[(obj.namespace, *owner)].append(obj)
                    continue
                drafts.append(self._draft(obj))
        drafts.extend(self._pods_by_owner(owned_pods))
        used = {o.namespace for o in objects if o.namespace}
        for namespace in sorted(used - set(namespaces)):
            first = next(o for o in objects if o.namespace == namespace)
            namespaces[namespace] = Namespace(
                id=namespace_id(self.name, namespace), name=namespace, type="k8s/Namespace",
                source=first.node.location, cluster=self.id, labels={NAME_LABEL: namespace},
                declared=False)
        cluster = self._cluster(objects[0].node.location)
        workloads = self._allocate(cluster, drafts)
        self.result.resources.extend([cluster, *namespaces.values(), *workloads, *services, *policies])

    # -- duplicates -----------------------------------------------------------------------------

    def _deduplicated(self, objects: list[_Object]) -> list[_Object]:
        seen: dict[tuple[str, str, str], _Object] = {}
        kept: list[_Object] = []
        for obj in objects:
            k = (obj.kind, obj.namespace, obj.name)
            first = seen.get(k)
            if first is None:
                seen[k] = obj
                kept.append(obj)
                continue
            if _essence(first.node) == _essence(obj.node):
                continue
            what = f"{obj.kind} {obj.namespace + '/' if obj.namespace else ''}{obj.name}"
            message = f"conflicting duplicate of {what} (first at {first.node.location})"
            if first.node.file == obj.node.file:
                raise obj.node.error(message)
            self.warn("conflicting-duplicate", f"{message}; the first is kept", obj.node.location)
        return kept

    # -- the cluster ------------------------------------------------------------------------------

    def _cluster(self, first: Location) -> KubeCluster:
        aks = self.aks
        if aks is None:      # standalone: located at its first manifest
            return KubeCluster(id=self.id, name=self.name, type="k8s/Cluster", source=first,
                               address_pool=(Prefix.parse(DEFAULT_POD_CIDR),))
        plugin = (aks.network_plugin or "").lower() or None
        engine = (aks.network_policy or "").lower() or None
        enforced = bool(engine and engine != "none")
        if plugin == "none" and not enforced:
            # bring-your-own CNI: its own policy engine (if any) decides; assumed enforced
            enforced = True
            self.warn("byo-cni", f"{aks.name}: network plugin 'none' (bring your own CNI); "
                      "NetworkPolicies are assumed to be enforced by it", aks.source)
        addressing, pool = "pod-cidr", tuple(aks.pod_cidrs) or (Prefix.parse(DEFAULT_POD_CIDR),)
        if plugin == "azure" and not aks.pod_cidrs:
            subnet = self.estate.get(aks.node_subnet_ids[0], Subnet) if aks.node_subnet_ids else None
            if subnet is not None and subnet.address_prefixes:
                addressing, pool = "node-subnet", tuple(p for p in subnet.address_prefixes if p.version == 4)
            else:
                self.warn("node-subnet-missing", f"{aks.name}: Azure CNI gives pods addresses of "
                          "the node subnet, which is not in the input; pods are given addresses "
                          f"of {DEFAULT_POD_CIDR} and no Azure path", aks.source)
        return KubeCluster(id=self.id, name=self.name, type="k8s/Cluster", source=aks.source,
                           aks=aks.id, network_plugin=plugin, network_policy=engine,
                           enforced=enforced, pod_addressing=addressing, address_pool=pool,
                           node_subnets=tuple(aks.node_subnet_ids))

    def _allocate(self, cluster: KubeCluster, drafts: list[_Draft]) -> list[Workload]:
        """Each workload's pods take consecutive addresses of the pool, namespace by
        namespace, workload by workload (sorted), so selectors become few ranges. In a node
        subnet, Azure's reserved addresses and those of NICs in the estate are skipped."""
        taken: set[int] = set()
        ranges: list[tuple[int, int]] = []
        for prefix in cluster.address_pool:
            if cluster.pod_addressing == "node-subnet" and prefix.last - prefix.first >= 7:
                ranges.append((prefix.first + 4, prefix.last - 1))     # Azure's reserved ones
            elif prefix.last - prefix.first >= 3:
                ranges.append((prefix.first + 1, prefix.last - 1))     # not the network/broadcast
            else:
                ranges.append((prefix.first, prefix.last))
        if cluster.pod_addressing == "node-subnet":
            taken = {c.private_ip.first for nic in self.estate.of(NetworkInterface)
                     for c in nic.ip_configurations if c.private_ip is not None}
        addresses = _addresses(ranges, taken)
        names: Counter[tuple[str, str]] = Counter((d.namespace, d.name) for d in drafts)
        workloads: list[Workload] = []
        for draft in sorted(drafts, key=lambda d: (d.namespace, _KIND_ORDER[d.kind], d.name)):
            mine: list[int] = []
            if not draft.host_network:
                for _ in range(draft.replicas):
                    address = next(addresses, None)
                    if address is None:
                        pool = ", ".join(map(str, cluster.address_pool))
                        raise draft.node.error(f"no address left in {pool} for the pods of "
                                               f"{draft.kind} {draft.namespace}/{draft.name}")
                    mine.append(address)
            else:
                self.warn("host-network", f"{draft.kind} {draft.namespace}/{draft.name} uses the "
                          "node's network (hostNetwork): NetworkPolicies do not apply to it and "
                          "it is not modelled as pods", draft.node.location)
            if names[(draft.namespace, draft.name)] > 1:
                self.warn("ambiguous-workload", f"{draft.namespace}/{draft.name} names several "
                          f"workloads; name this one {draft.namespace}/{draft.kind.lower()}/"
                          f"{draft.name}", draft.node.location)
            workloads.append(Workload(
                id=object_id(self.name, draft.namespace, draft.kind, draft.name), name=draft.name,
                type=f"k8s/{draft.kind}", source=draft.node.location, tags=draft.annotations,
                cluster=self.id, namespace=draft.namespace, kind=draft.kind, labels=draft.labels,
                ports=draft.ports, replicas=draft.replicas, addresses=_compress(mine),
                host_network=draft.host_network))
        return workloads

    # -- objects -----------------------------------------------------------------------------------

    def _namespace(self, obj: _Object) -> Namespace:
        meta = obj.node.get("metadata")
        labels = meta.get("labels").string_map()
        labels[NAME_LABEL] = obj.name            # set by the API server, whatever the manifest says
        return Namespace(id=namespace_id(self.name, obj.name), name=obj.name, type="k8s/Namespace",
                         source=obj.node.location, tags=_annotations(meta), cluster=self.id,
                         labels=labels)

    def _draft(self, obj: _Object) -> _Draft:
        node, kind = obj.node, obj.kind
        spec = node.get("spec")
        if kind == "Pod":
            meta, pod, replicas = node.get("metadata"), spec, 1
        elif kind == "CronJob":
            job = spec.path_get("jobTemplate", "spec")
            meta, pod = job.path_get("template", "metadata"), job.path_get("template", "spec")
            replicas = job.get("parallelism").int(1, 0) or 0
        else:
            template = spec.get("template")
            if not template.present:
                raise spec.get("template").error("is required: the pod template")
            meta, pod = template.get("metadata"), template.get("spec")
            if kind == "DaemonSet":
                replicas = 1            # one pod stands for the pods of every node: they are alike
            elif kind == "Job":
                replicas = spec.get("parallelism").int(1, 0) or 0
            else:
                replicas = spec.get("replicas").int(1, 0) or 0
        return _Draft(kind, obj.name, obj.namespace, meta.get("labels").string_map(),
                      _container_ports(pod), replicas, pod.get("hostNetwork").bool(False), node,
                      _annotations(node.get("metadata")))

    def _pods_by_owner(self, owned: dict[tuple[str, str, str], list[_Object]]) -> list[_Draft]:
        """Pods whose controller is not in the input (``kubectl get pods``) form one workload
        per controller, named after it (a ReplicaSet's pods after their Deployment)."""
        drafts: list[_Draft] = []
        for (namespace, owner_kind, owner_name), pods in sorted(owned.items()):
            groups: dict[tuple[Any, ...], list[_Draft]] = defaultdict(list)
            for pod in pods:
                draft = self._draft(pod)
                groups[(tuple(sorted(draft.labels.items())), draft.ports, draft.host_network)].append(draft)
            name, kind = owner_name, owner_kind if owner_kind in _KIND_ORDER else "Pod"
            template_hash = pods[0].node.path_get("metadata", "labels").value or {}
            suffix = template_hash.get("pod-template-hash") if isinstance(template_hash, dict) else None
            if owner_kind == "ReplicaSet" and suffix and owner_name.endswith("-" + suffix):
                name, kind = owner_name[: -len(suffix) - 1], "Deployment"
            for index, members in enumerate(groups.values()):
                first = members[0]
                drafts.append(_Draft(kind, name if index == 0 else f"{name}~{index + 1}", namespace,
                                     first.labels, first.ports, len(members), first.host_network,
                                     first.node, first.annotations))
        return drafts

    def _service(self, obj: _Object) -> KubeService:
        spec = obj.node.get("spec")
        selector = spec.get("selector").string_map() if spec.get("selector").present else None
        ports = []
        for item in spec.get("ports").items():
            port = item.get("port").int(None, 1, 65535)
            if port is None:
                raise item.get("port").error("is required")
            target = item.get("targetPort").value
            if target is None:
                target = port
            elif isinstance(target, bool) or not isinstance(target, (int, str)):
                raise item.get("targetPort").error("expected a port number or name")
            ports.append(ServicePort(port, target, _protocol(item.get("protocol")), item.get("name").str()))
        return KubeService(id=object_id(self.name, obj.namespace, "Service", obj.name), name=obj.name,
                           type="k8s/Service", source=obj.node.location,
                           tags=_annotations(obj.node.get("metadata")), cluster=self.id,
                           namespace=obj.namespace, selector=selector, ports=tuple(ports),
                           service_type=spec.get("type").str("ClusterIP") or "ClusterIP")

    def _policy(self, obj: _Object) -> NetworkPolicy:
        spec = obj.node.get("spec")
        for key, value in spec.entries():
            if key not in ("podSelector", "policyTypes", "ingress", "egress"):
                raise value.error(f"unknown NetworkPolicy field {key!r} "
                                  "(podSelector, policyTypes, ingress, egress)")
        ingress = tuple(_rule(item, "from") for item in spec.get("ingress").items())
        egress = tuple(_rule(item, "to") for item in spec.get("egress").items())
        types: list[str] = []
        for item in spec.get("policyTypes").items():
            written = item.str() or ""
            if written not in ("Ingress", "Egress"):
                raise item.error(f"policyTypes: {written!r} is neither 'Ingress' nor 'Egress'")
            if written not in types:
                types.append(written)
        defaulted = not types
        if defaulted:
            # every policy affects ingress; egress only when it has egress rules
            types = ["Ingress"] + (["Egress"] if egress else [])
        selector = _selector(spec.get("podSelector")) if spec.get("podSelector").present else ALL
        return NetworkPolicy(
            id=object_id(self.name, obj.namespace, "NetworkPolicy", obj.name), name=obj.name,
            type="k8s/NetworkPolicy", source=obj.node.location,
            tags=_annotations(obj.node.get("metadata")), cluster=self.id, namespace=obj.namespace,
            pod_selector=selector, policy_types=tuple(sorted(types, key=("Ingress", "Egress").index)),
            ingress=ingress, egress=egress, types_defaulted=defaulted)


# -- helpers ------------------------------------------------------------------------------------


def _annotations(meta: KNode) -> dict[str, str]:
    value = meta.get("annotations").value
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(v, str)}


def _essence(node: KNode) -> Any:
    value = node.value
    meta = value.get("metadata") or {}
    return (value.get("spec"), meta.get("labels"), value.get("apiVersion"))


def _controller(node: KNode) -> tuple[str, str] | None:
    for ref in node.path_get("metadata", "ownerReferences").items():
        if ref.get("controller").bool(False) or len(node.path_get("metadata", "ownerReferences").items()) == 1:
            kind, name = ref.get("kind").str(), ref.get("name").str()
            if kind and name:
                return kind, name
    return None


def _owned_by_present(owner: tuple[str, str], obj: _Object, present: set[tuple[str, str, str]]) -> bool:
    """Whether the controller of ``obj`` is in the input, directly or as the Deployment of
    its ReplicaSet (``<deployment>-<pod-template-hash>``) or the CronJob of its Job
    (``<cronjob>-<schedule time>``)."""
    kind, name = owner
    if (kind, obj.namespace, name) in present:
        return True
    labels = obj.node.path_get("metadata", "labels").value
    template_hash = labels.get("pod-template-hash") if isinstance(labels, dict) else None
    if kind == "ReplicaSet" and template_hash and name.endswith("-" + str(template_hash)):
        return ("Deployment", obj.namespace, name[: -len(str(template_hash)) - 1]) in present
    if kind == "Job":
        base, _, stamp = name.rpartition("-")
        return bool(base) and stamp.isdigit() and ("CronJob", obj.namespace, base) in present
    return False


def _container_ports(pod: KNode) -> tuple[ContainerPort, ...]:
    ports: list[ContainerPort] = []
    for container in pod.get("containers").items():
        for item in container.get("ports").items():
            number = item.get("containerPort").int(None, 1, 65535)
            if number is None:
                raise item.get("containerPort").error("is required")
            name = item.get("name").str()
            if name is not None and not _valid_port_name(name):
                raise item.get("name").error(f"{name!r} is not a valid port name (IANA_SVC_NAME: "
                                             "up to 15 lower-case letters, digits and '-', with a letter)")
            ports.append(ContainerPort(number, _protocol(item.get("protocol")), name))
    return tuple(ports)


def _valid_port_name(name: str) -> bool:
    return bool(_SVC_NAME.fullmatch(name)) and "--" not in name and any(c.isalpha() for c in name)


def _protocol(node: KNode) -> str:
    value = node.str("TCP") or "TCP"
    if value not in PROTOCOLS:
        raise node.error(f"protocol {value!r}: expected TCP, UDP or SCTP")
    return value


def _selector(node: KNode) -> LabelSelector:
    if not isinstance(node.value, dict):
        raise node.error("expected a label selector (matchLabels / matchExpressions)")
    for key, value in node.entries():
        if key not in ("matchLabels", "matchExpressions"):
            raise value.error(f"unknown selector field {key!r} (matchLabels, matchExpressions)")
    labels = tuple(sorted(node.get("matchLabels").string_map().items()))
    expressions = []
    for item in node.get("matchExpressions").items():
        key = item.get("key").required_str()
        operator = item.get("operator").required_str()
        if operator not in _OPERATORS:
            raise item.get("operator").error(f"{operator!r} is not a selector operator "
                                             f"({', '.join(_OPERATORS)})")
        values = []
        for value in item.get("values").items():
            if not isinstance(value.value, str):
                raise value.error("selector values must be strings (quote them)")
            values.append(value.value)
        if operator in ("In", "NotIn") and not values:
            raise item.get("values").error(f"operator {operator} needs at least one value")
        if operator in ("Exists", "DoesNotExist") and values:
            raise item.get("values").error(f"operator {operator} takes no values")
        expressions.append(Requirement(key, operator, tuple(values)))
    return LabelSelector(labels, tuple(expressions))


def _rule(node: KNode, peers_key: str) -> PolicyRule:
    if not isinstance(node.value, dict):
        raise node.error("expected a rule (a mapping; {} allows everything)")
    for key, value in node.entries():
        if key not in (peers_key, "ports"):
            raise value.error(f"unknown rule field {key!r} ({peers_key}, ports)")
    peers = tuple(_peer(item) for item in node.get(peers_key).items())
    ports = tuple(_port(item) for item in node.get("ports").items())
    return PolicyRule(peers, ports, node.location)


def _peer(node: KNode) -> Peer:
    if not isinstance(node.value, dict):
        raise node.error("expected a peer (podSelector, namespaceSelector or ipBlock)")
    for key, value in node.entries():
        if key not in ("podSelector", "namespaceSelector", "ipBlock"):
            raise value.error(f"unknown peer field {key!r} (podSelector, namespaceSelector, ipBlock)")
    pods, spaces, block = (node.get(k) for k in ("podSelector", "namespaceSelector", "ipBlock"))
    if block.present:
        if pods.present or spaces.present:
            raise block.error("ipBlock cannot be combined with podSelector or namespaceSelector")
        return Peer(ip_block=_ip_block(block))
    if not pods.present and not spaces.present:
        raise node.error("a peer needs podSelector, namespaceSelector or ipBlock")
    return Peer(_selector(pods) if pods.present else None, _selector(spaces) if spaces.present else None)


def _ip_block(node: KNode) -> IpBlock:
    cidr = _cidr(node.get("cidr"))
    excepts = []
    for item in node.get("except").items():
        prefix = _cidr(item)
        if prefix.version != cidr.version or not cidr.covers(prefix) or \
                (prefix.first, prefix.last) == (cidr.first, cidr.last):
            raise item.error(f"except {prefix} must be a strict subset of cidr {cidr}")
        excepts.append(prefix)
    return IpBlock(cidr, tuple(excepts))


def _cidr(node: KNode) -> Prefix:
    text = node.required_str()
    if "/" not in text:
        raise node.error(f"{text!r} is not a CIDR (address/length)")
    try:
        return Prefix.parse(text)
    except ValueError:
        raise node.error(f"{text!r} is not a CIDR") from None


def _port(node: KNode) -> PolicyPort:
    if not isinstance(node.value, dict):
        raise node.error("expected a port (protocol, port, endPort)")
    for key, value in node.entries():
        if key not in ("protocol", "port", "endPort"):
            raise value.error(f"unknown port field {key!r} (protocol, port, endPort)")
    protocol = _protocol(node.get("protocol"))
    raw = node.get("port")
    port: int | str | None
    if raw.value is None:
        port = None
    elif isinstance(raw.value, str):
        if raw.value.isdigit():
            raise raw.error(f"port {raw.value!r} is a string: write the number unquoted "
                            "(a string names a container port)")
        if not _valid_port_name(raw.value):
            raise raw.error(f"{raw.value!r} is not a valid port name")
        port = raw.value
    else:
        port = raw.int(None, 1, 65535)
    end = node.get("endPort").int(None, 1, 65535)
    if end is not None:
        if not isinstance(port, int):
            raise node.get("endPort").error("endPort needs a numeric port")
        if end < port:
            raise node.get("endPort").error(f"endPort {end} is below port {port}")
    return PolicyPort(protocol, port, end)


def _addresses(ranges: list[tuple[int, int]], taken: set[int]) -> Iterator[int]:
    for lo, hi in ranges:
        for address in range(lo, hi + 1):
            if address not in taken:
                yield address


def _compress(addresses: list[int]) -> tuple[Prefix, ...]:
    out: list[Prefix] = []
    start = prev = None
    for address in [*addresses, None]:
        if start is not None and address == prev + 1:  # type: ignore[operator]
            prev = address
            continue
        if start is not None:
            out.append(_range(start, prev))  # type: ignore[arg-type]
        start = prev = address
    return tuple(out)


def _range(lo: int, hi: int) -> Prefix:
    import ipaddress

    a, b = ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
    return Prefix(str(a) if lo == hi else f"{a}-{b}", lo, hi)


__all__ = ["DEFAULT_POD_CIDR", "STANDALONE", "KubeLoad", "attach", "load_manifests"]
