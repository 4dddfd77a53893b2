from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.k8s._common import REFERENCES
from netwarden.k8s.model import KubeCluster, NetworkPolicy
from netwarden.model import ids
from netwarden.model.cluster import AksCluster


class ClusterWithoutPolicyEngine(Check):
    """Finds every AKS cluster whose networkProfile.networkPolicy is none or absent while the
    input holds NetworkPolicies for it: the API server accepts them, but no engine enforces
    them, so every pod can reach every other (and the reach results show it)."""

    id = "K8S005"
    name = "cluster-without-policy-engine"
    title = "NetworkPolicies on an AKS cluster without a policy engine"
    severity = Severity.HIGH
    area = Area.K8S
    rationale = ("NetworkPolicies are enforced by the cluster's network policy engine (Azure NPM, "
                 "Calico or Cilium on AKS). Without one, default-deny and allow-lists exist only on "
                 "paper: the segmentation the guidance asks for inside the cluster is absent.")
    remediation = ("Enable a network policy engine on the cluster (`az aks update --network-policy "
                   "cilium|calico|azure`, or at creation) and re-test the flows.")
    references = (*REFERENCES, "https://learn.microsoft.com/azure/aks/azure-cni-powered-by-cilium")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for cluster in ctx.estate.of(KubeCluster):
            if cluster.enforced or not cluster.aks:
                continue
            policies = [p for p in ctx.estate.of(NetworkPolicy)
                        if ids.key(p.cluster) == ids.key(cluster.id)]
            aks = ctx.estate.get(cluster.aks, AksCluster)
            if not policies or aks is None:
                continue
            engine = cluster.network_policy or "absent"
            yield self.finding(aks, f"{aks.name} has {len(policies)} NetworkPolicy object(s) but no "
                                    f"network policy engine (networkPolicy: {engine}): none is enforced",
                               Evidence(facts=(f"networkProfile.networkPolicy: {engine}",
                                               *(p.qualified for p in policies[:5]))))
