from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.k8s._common import REFERENCES
from netwarden.k8s.model import NetworkPolicy, Workload
from netwarden.model import ids


class PolicySelectsNothing(Check):
    """Finds every NetworkPolicy whose podSelector matches no workload of its namespace —
    most often a typo in a label or the wrong namespace, which leaves the pods it was meant
    for unprotected (or unreachable, for an allow meant to open a flow). The finding shows
    the label values the namespace's workloads really carry for the selector's keys."""

    id = "K8S004"
    name = "policy-selects-nothing"
    title = "NetworkPolicy that selects no workload"
    severity = Severity.LOW
    area = Area.K8S
    rationale = ("A policy that selects nothing has no effect: the isolation or the allowed flow it "
                 "describes is not in force, and reviewers believe it is. The guidance's review step "
                 "asks that the rules really do what is intended.")
    remediation = ("Fix the podSelector (labels and namespace) so that it selects the intended pods, "
                   "or delete the policy.")
    references = REFERENCES

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        workloads = ctx.estate.of(Workload)
        for policy in ctx.estate.of(NetworkPolicy):
            local = [w for w in workloads if ids.key(w.cluster) == ids.key(policy.cluster)
                     and w.namespace == policy.namespace]
            if any(policy.pod_selector.matches(w.labels) for w in local):
                continue
            keys = [k for k, _ in policy.pod_selector.match_labels] + \
                [r.key for r in policy.pod_selector.match_expressions]
            seen = sorted({f"{k}={w.labels[k]}" for w in local for k in keys if k in w.labels})
            hint = f"; the namespace's workloads carry {', '.join(seen)}" if seen else \
                (f"; no workload in namespace {policy.namespace}" if not local else "")
            yield self.finding(policy, f"NetworkPolicy {policy.qualified} selects no workload "
                                       f"(podSelector {policy.pod_selector}){hint}",
                               Evidence(facts=(f"podSelector {policy.pod_selector}",)))
