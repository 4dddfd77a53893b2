"""What the Kubernetes checks share: the compiled clusters of a scan, and which namespaces
are the platform's own (``kube-*``: AKS manages them; they are not judged)."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Check, Evidence, Finding
from netwarden.checks.context import ScanContext
from netwarden.k8s.model import Namespace, NetworkPolicy, Workload
from netwarden.k8s.policy import CompiledCluster
from netwarden.model import ids

REFERENCES = (
    "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
    "https://learn.microsoft.com/azure/aks/use-network-policies",
    "https://learn.microsoft.com/azure/well-architected/security/networking",
)


def clusters(ctx: ScanContext) -> Iterator[CompiledCluster]:
    network = getattr(ctx.engine, "k8s", None)
    if network is None:
        return
    yield from network.all_compiled()


def is_system(namespace: str) -> bool:
    return namespace.startswith("kube-")


def namespaces(ctx: ScanContext, cc: CompiledCluster) -> list[Namespace]:
    """The cluster's namespaces that hold pods, the platform's own left out."""
    populated = {w.namespace for w in cc.workloads}
    return [ns for ns in ctx.estate.of(Namespace)
            if ids.key(ns.cluster) == ids.key(cc.cluster.id) and ns.name in populated
            and not is_system(ns.name)]


def policies_in(cc: CompiledCluster, namespace: str) -> list[NetworkPolicy]:
    return [p for p in cc.policies if p.namespace == namespace]


def default_deny(cc: CompiledCluster, namespace: str, direction: str) -> list[NetworkPolicy]:
    """Policies of ``namespace`` that select every pod (an empty podSelector) for
    ``direction``: whatever else they allow, every pod there, present or future, is isolated."""
    wanted = "Ingress" if direction == "ingress" else "Egress"
    return [p for p in policies_in(cc, namespace) if p.pod_selector.is_empty and wanted in p.policy_types]


def open_workloads(cc: CompiledCluster, namespace: str, direction: str) -> list[Workload]:
    return [cc.workloads[i] for i in cc.by_namespace.get(namespace, ())
            if not cc.isolating[direction][i]]  # type: ignore[index]


def without_default_deny(check: Check, ctx: ScanContext, direction: str,
                         open_now: str, covered: str) -> Iterator[Finding]:
    """K8S001/K8S002: one finding per namespace with no namespace-wide default deny for
    ``direction``, saying which workloads are open now (``open_now``) or, when every current
    workload is selected by some policy, that new ones start open (``covered``)."""
    for cc in clusters(ctx):
        for namespace in namespaces(ctx, cc):
            if default_deny(cc, namespace.name, direction):
                continue
            open_ = open_workloads(cc, namespace.name, direction)
            state = (f"{len(open_)} workload(s) {open_now}: "
                     + ", ".join(w.qualified for w in open_)) if open_ else covered
            yield check.finding(namespace, f"namespace {namespace.name} of {cc.cluster.name} has no "
                                           f"default-deny {direction} policy; {state}",
                                Evidence(facts=(state,)))
