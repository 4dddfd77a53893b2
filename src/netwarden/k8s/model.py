"""Kubernetes objects as the network sees them: clusters, namespaces, workloads (pods grouped
by their controller), services and ``networking.k8s.io/v1`` NetworkPolicies.

Typed and immutable like the Azure model, and ``Resource`` subclasses, so they live in the
same :class:`~netwarden.model.estate.Estate` (``estate.of(Workload)``), are counted by
``validate`` and can be named by findings. No I/O and no engine here: label selectors are
the only semantics (they are part of what an object *says*).

IDs mirror the API paths: ``k8s://<cluster>``, ``k8s://<cluster>/namespaces/<ns>``,
``k8s://<cluster>/namespaces/<ns>/<plural>/<name>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from netwarden.model.base import Resource
from netwarden.model.values import Location, Prefix

EMPTY: Mapping[str, str] = MappingProxyType({})

# The label every namespace carries (Kubernetes >= 1.21 sets it automatically).
NAME_LABEL = "kubernetes.io/metadata.name"

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod")
PLURALS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets",
           "ReplicaSet": "replicasets", "Job": "jobs", "CronJob": "cronjobs", "Pod": "pods",
           "Service": "services", "NetworkPolicy": "networkpolicies", "Namespace": "namespaces"}
PROTOCOLS = {"TCP": 6, "UDP": 17, "SCTP": 132}


@dataclass(frozen=True, slots=True)
class K8sLocation(Location):
    """A location in a manifest: file, line and column (from the YAML marks), and the path
    of the value inside its document."""

    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.path:
            where += f": {self.path}"
        return where


def cluster_id(name: str) -> str:
    return f"k8s://{name}"


def namespace_id(cluster: str, namespace: str) -> str:
    return f"k8s://{cluster}/namespaces/{namespace}"


def object_id(cluster: str, namespace: str, kind: str, name: str) -> str:
    return f"k8s://{cluster}/namespaces/{namespace}/{PLURALS.get(kind, kind.lower() + 's')}/{name}"


# -- label selectors (metav1.LabelSelector) --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requirement:
    """One ``matchExpressions`` entry: ``In``, ``NotIn``, ``Exists`` or ``DoesNotExist``."""

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == "In":
            return self.key in labels and labels[self.key] in self.values
        if op == "NotIn":                      # an absent key is "not in" any set
            return self.key not in labels or labels[self.key] not in self.values
        if op == "Exists":
            return self.key in labels
        return self.key not in labels          # DoesNotExist

    def __str__(self) -> str:
        if self.operator == "Exists":
            return self.key
        if self.operator == "DoesNotExist":
            return f"!{self.key}"
        op = "in" if self.operator == "In" else "notin"
        return f"{self.key} {op} ({','.join(self.values)})"


@dataclass(frozen=True, slots=True)
class LabelSelector:
    """``matchLabels`` AND ``matchExpressions``; the empty selector matches everything."""

    match_labels: tuple[tuple[str, str], ...] = ()
    match_expressions: tuple[Requirement, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions

    def matches(self, labels: Mapping[str, str]) -> bool:
        for key, value in self.match_labels:
            if labels.get(key) != value:
                return False
        for requirement in self.match_expressions:
            if not requirement.matches(labels):
                return False
        return True

    def __str__(self) -> str:
        if self.is_empty:
            return "{}"
        return ",".join([f"{k}={v}" for k, v in self.match_labels]
                        + [str(r) for r in self.match_expressions])


ALL = LabelSelector()


# -- NetworkPolicy pieces ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IpBlock:
    cidr: Prefix
    excepts: tuple[Prefix, ...] = ()

    def __str__(self) -> str:
        return str(self.cidr) + (f" except {', '.join(map(str, self.excepts))}" if self.excepts else "")


@dataclass(frozen=True, slots=True)
class Peer:
    """A ``from``/``to`` entry. A selector left out is None (not "everything"): a peer with
    only ``podSelector`` means pods of the policy's namespace; with only
    ``namespaceSelector`` every pod of the matching namespaces; with both, the pods matching
    the one in namespaces matching the other (AND)."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IpBlock | None = None

    def __str__(self) -> str:
        if self.ip_block is not None:
            return f"ipBlock {self.ip_block}"
        parts = []
        if self.namespace_selector is not None:
            parts.append(f"namespaceSelector {self.namespace_selector}")
        if self.pod_selector is not None:
            parts.append(f"podSelector {self.pod_selector}")
        return " and ".join(parts)


@dataclass(frozen=True, slots=True)
class PolicyPort:
    """``protocol`` (TCP when left out), ``port`` (a number, a container port's name, or
    None for every port of the protocol) and ``endPort`` (a range with a numeric port)."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None

    def __str__(self) -> str:
        if self.port is None:
            return f"{self.protocol.lower()}/*"
        end = f"-{self.end_port}" if self.end_port is not None else ""
        return f"{self.protocol.lower()}/{self.port}{end}"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One ingress or egress rule. ``peers`` empty: every source/destination (the API reads
    an absent and an empty ``from``/``to`` alike); ``ports`` empty: every port and protocol."""

    peers: tuple[Peer, ...] = ()
    ports: tuple[PolicyPort, ...] = ()
    location: Location | None = field(default=None, compare=False)

    def __str__(self) -> str:
        peers = "; ".join(map(str, self.peers)) if self.peers else "anywhere"
        ports = ", ".join(map(str, self.ports)) if self.ports else "any port"
        return f"{peers} on {ports}"


# -- resources -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeCluster(Resource):
    """A set of manifests and where their pods live. ``aks`` is the AKS cluster's resource ID
    when the manifests are tied to one; a standalone cluster has no Azure network.

    ``enforced`` says whether NetworkPolicies take effect (an AKS cluster without a network
    policy engine accepts them and ignores them). ``pod_addressing`` is ``node-subnet``
    (Azure CNI: pods take addresses of the node subnet, VNet addresses) or ``pod-cidr``
    (kubenet, Azure CNI Overlay, a standalone cluster: a private range behind the nodes)."""

    aks: str | None = None
    network_plugin: str | None = None
    network_policy: str | None = None
    enforced: bool = True
    pod_addressing: str = "pod-cidr"
    address_pool: tuple[Prefix, ...] = ()
    node_subnets: tuple[str, ...] = ()        # Azure subnet IDs (not "_ids": no estate references)


@dataclass(frozen=True, slots=True, kw_only=True)
class Namespace(Resource):
    cluster: str                               # the KubeCluster ID
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY, compare=False)
    declared: bool = True                      # False: only named by the objects inside it


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Workload(Resource):
    """The pods of one controller (or one bare Pod): same namespace, labels and ports, so the
    same policies apply to each. ``addresses`` are their synthetic pod addresses, one per
    replica, allocated at load time (see ``docs/kubernetes.md``)."""

    cluster: str
    namespace: str
    kind: str
    labels: Mapping[str, str] = field(default_factory=lambda: EMPTY, compare=False)
    ports: tuple[ContainerPort, ...] = ()
    replicas: int = 1
    addresses: tuple[Prefix, ...] = ()
    host_network: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.namespace}/{self.name}"

    def named_port(self, name: str, protocol: str) -> int | None:
        for port in self.ports:
            if port.name == name and port.protocol == protocol:
                return port.port
        return None


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KubeService(Resource):
    cluster: str
    namespace: str
    selector: Mapping[str, str] | None = field(default=None, compare=False)
    ports: tuple[ServicePort, ...] = ()
    service_type: str = "ClusterIP"

    @property
    def qualified(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkPolicy(Resource):
    cluster: str
    namespace: str
    pod_selector: LabelSelector = ALL
    policy_types: tuple[str, ...] = ("Ingress",)
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    types_defaulted: bool = False              # policyTypes left out and derived

    @property
    def qualified(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def isolates_ingress(self) -> bool:
        return "Ingress" in self.policy_types

    @property
    def isolates_egress(self) -> bool:
        return "Egress" in self.policy_types


KUBE_TYPES = (KubeCluster, Namespace, Workload, KubeService, NetworkPolicy)

__all__ = [
    "ALL",
    "KUBE_TYPES",
    "NAME_LABEL",
    "PROTOCOLS",
    "WORKLOAD_KINDS",
    "ContainerPort",
    "IpBlock",
    "K8sLocation",
    "KubeCluster",
    "KubeService",
    "LabelSelector",
    "Namespace",
    "NetworkPolicy",
    "Peer",
    "PolicyPort",
    "PolicyRule",
    "Requirement",
    "ServicePort",
    "Workload",
    "cluster_id",
    "namespace_id",
    "object_id",
]
