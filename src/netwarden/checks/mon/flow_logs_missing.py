from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.model import ids
from netwarden.model.compute import NetworkInterface
from netwarden.model.network import Subnet


class FlowLogsMissing(Check):
    """Finds NSGs whose traffic no enabled flow log records. An NSG is covered by an enabled
    NSG flow log that targets it, or, where it applies, by enabled VNet flow logs: a subnet
    it is attached to is covered by a flow log on the subnet or its VNet (or on every NIC in
    it), a NIC it is attached to by one on the NIC, its subnet or its VNet. NSGs attached
    to nothing carry no traffic and are skipped."""

    id = "MON001"
    name = "flow-logs-missing"
    title = "NSG without flow logs"
    severity = Severity.MEDIUM
    area = Area.MON
    rationale = ("Enable NSG/VNet flow logs: without them there is no record of what crossed the "
                 "NSG, so anomalies go unseen and an incident cannot be reconstructed.")
    remediation = ("Enable a VNet flow log on the VNet (or the subnets) where the NSG applies — "
                   "NSG flow logs are being retired in favour of VNet flow logs — or enable the "
                   "NSG's existing flow log.")
    references = ("https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
                  "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        estate = ctx.estate

        def logged(*targets: str | None) -> bool:
            return any(f.enabled for t in targets if t for f in estate.flow_logs_of(t))

        def subnet_covered(s: Subnet) -> bool:
            nics = [estate.get(c.nic_id, NetworkInterface) for c in estate.ip_configurations_in(s)]
            return logged(s.id, s.vnet_id) or bool(nics) and all(n and logged(n.id) for n in nics)

        def nic_covered(n: NetworkInterface) -> bool:
            subnets = [estate.get(i, Subnet) for i in n.subnet_ids]
            return logged(n.id) or bool(subnets) and all(s and subnet_covered(s) for s in subnets)

        for nsg in estate.nsgs:
            mine = ids.key(nsg.id)
            bare = [f"subnet {s.name}" for s in estate.subnets
                    if s.nsg_id and ids.key(s.nsg_id) == mine and not subnet_covered(s)]
            bare += [f"NIC {n.name}" for n in estate.nics
                     if n.nsg_id and ids.key(n.nsg_id) == mine and not nic_covered(n)]
            if not bare or logged(nsg.id):
                continue
            own = estate.flow_logs_of(nsg.id)
            facts = (f"NSG flow logs: {', '.join(f'{f.name} (disabled)' for f in own) or 'none'}",
                     f"no enabled VNet flow log covers: {', '.join(bare)}")
            why = f"; {own[0].name} is disabled" if own else ""
            yield self.finding(nsg, f"NSG {nsg.name} has no enabled flow log covering "
                                    f"{', '.join(bare)}{why}", Evidence(facts=facts))
