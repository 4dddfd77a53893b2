from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.k8s._common import REFERENCES, without_default_deny


class NamespaceWithoutDefaultDeny(Check):
    """Finds every namespace with pods (the platform's kube-* namespaces aside) where no
    NetworkPolicy selects every pod (an empty podSelector) with policyType Ingress. There,
    any pod that no other policy selects accepts traffic from every pod of the cluster and
    every address outside it, and each new workload starts open. The finding lists the
    workloads that are open now."""

    id = "K8S001"
    name = "namespace-without-default-deny"
    title = "Namespace without a default-deny ingress NetworkPolicy"
    severity = Severity.MEDIUM
    area = Area.K8S
    rationale = ("The guidance asks for Kubernetes network policies that start from default "
                 "deny: pods are non-isolated until a policy selects them, so without a "
                 "namespace-wide deny every pod not named by a policy (and every workload added "
                 "later) can be reached by any compromised pod — lateral movement inside the cluster.")
    remediation = ("Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` (and no "
                   "ingress rules) to the namespace, then allow the flows each workload needs with "
                   "policies that select it.")
    references = REFERENCES

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        return without_default_deny(self, ctx, "ingress", "accept any ingress now",
                                    "every current workload is selected by a policy, but new ones start open")
