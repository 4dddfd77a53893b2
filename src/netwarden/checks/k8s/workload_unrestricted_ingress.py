from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.k8s._common import REFERENCES, clusters, is_system
from netwarden.engine.addresses import HOST_IP, NON_PUBLIC, _complement, _merge
from netwarden.intent.matrix import summary


class WorkloadUnrestrictedIngress(Check):
    """Finds every workload (outside kube-* namespaces) whose own ingress policies admit, on
    some port, every pod of the cluster, or every internet address (an ipBlock such as
    0.0.0.0/0). Computed exactly from the policies' packet sets: the ports on which not a
    single pod (or public address) is refused. A workload no ingress policy selects admits
    everything. Clusters that enforce no policies are left to K8S005."""

    id = "K8S003"
    name = "workload-unrestricted-ingress"
    title = "Workload reachable from every pod or from the whole internet"
    severity = Severity.MEDIUM
    area = Area.K8S
    rationale = ("Zero trust inside the cluster means each workload admits only the peers that need "
                 "it. A workload open to every pod is one hop from any compromised pod; one open to "
                 "0.0.0.0/0 through an ipBlock relies only on what lies in front of the cluster.")
    remediation = ("Select the workload with a policy whose ingress rules name its real clients "
                   "(podSelector / namespaceSelector) and ports; replace broad ipBlocks with the "
                   "ranges of the load balancer or application gateway in front of it.")
    references = REFERENCES

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        space = ctx.space
        ranges = list(_merge([(p.first, p.last) for p in NON_PUBLIC] + [(HOST_IP, HOST_IP)]))
        public = space.wrap(space.raw_ranges("src", _complement(ranges, (1 << 32) - 1)))
        for cc in clusters(ctx):
            if not cc.enforced:
                continue
            pods = cc.pods("src")
            for i, workload in enumerate(cc.workloads):
                if is_system(workload.namespace):
                    continue
                mine = cc.addr("dst", (i,))
                if not cc.isolating["ingress"][i]:
                    yield self.finding(workload, f"{workload.kind} {workload.qualified} is not isolated "
                                                 "for ingress (no NetworkPolicy selects it for "
                                                 "Ingress): every pod and every address may reach "
                                                 "it on every port", Evidence(
                                                     pods & mine, facts=("not isolated for ingress",)))
                    continue
                admitted = cc.of_workload(i, "ingress")
                for label, sources, severity in (("every internet address", public, Severity.HIGH),
                                                 ("every pod of the cluster", pods, self.severity)):
                    # the ports on which not one of these sources is refused
                    refused = ((sources & mine) - admitted).forget("src", "src_port", "dst")
                    open_ports = (sources & mine) - refused
                    if not open_ports:
                        continue
                    by = ", ".join(d for d, _, _ in cc.decisions(open_ports, "ingress", [i]))
                    yield self.finding(workload, f"{workload.kind} {workload.qualified} admits "
                                                 f"{label} on {summary(open_ports)} ({by})",
                                       Evidence(open_ports, facts=(f"allowed by: {by}",)), severity)
                    break
