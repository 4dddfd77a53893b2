from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.k8s._common import REFERENCES, without_default_deny


class NamespaceWithoutDefaultDenyEgress(Check):
    """Finds every namespace with pods (the platform's kube-* namespaces aside) where no
    NetworkPolicy selects every pod (an empty podSelector) with policyType Egress: pods that
    no egress policy selects may send anything to anyone, inside the cluster and out of it
    (as far as the node subnet's NSG and the firewall let them)."""

    id = "K8S002"
    name = "namespace-without-default-deny-egress"
    title = "Namespace without a default-deny egress NetworkPolicy"
    severity = Severity.LOW
    area = Area.K8S
    rationale = ("Egress from default deny limits what a compromised pod can reach and where it can "
                 "exfiltrate data to; the guidance's zero-trust segmentation applies to pods as to "
                 "subnets. Without it, every pod not selected by an egress policy is unrestricted.")
    remediation = ("Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Egress]` to the "
                   "namespace, then allow DNS (to kube-dns in kube-system) and each workload's "
                   "needed destinations explicitly.")
    references = REFERENCES

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        return without_default_deny(self, ctx, "egress", "may send anywhere now",
                                    "every current workload is selected by an egress policy, but new ones start open")
