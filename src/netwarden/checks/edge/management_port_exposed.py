from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.exposure import exposed, ports_of, service_name

MANAGEMENT_PORTS = (22, 3389, 5985, 5986)


class ManagementPortExposed(Check):
    """Finds every VM/NIC whose SSH (22), RDP (3389) or WinRM (5985-5986) port the internet
    reaches by any path — a public IP on the NIC, a load balancer rule or inbound NAT rule,
    or a firewall DNAT rule — proved by a witness packet and the path with its deciding rules."""

    id = "EDGE001"
    name = "management-port-exposed"
    title = "Management port reachable from the internet"
    severity = Severity.CRITICAL
    area = Area.EDGE
    rationale = ("Disable RDP/SSH access from the internet: exposed management ports are "
                 "brute-forced and exploited within hours of exposure. The guidance asks for "
                 "Azure Bastion, a VPN or ExpressRoute instead.")
    remediation = ("Remove the rule that admits the internet (or the public IP / NAT rule that "
                   "exposes the port) and reach the VM through Azure Bastion, a point-to-site VPN "
                   "or just-in-time access.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/bastion/bastion-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        wanted = ctx.tcp_ports(22, 3389, (5985, 5986))
        for owner, outcomes in exposed(ctx, wanted):
            ports = sorted({p for o in outcomes for p in ports_of(o.branch.packets, MANAGEMENT_PORTS)})
            names = ", ".join(f"{service_name(p)} {p}" for p in ports)
            entries = ", ".join(dict.fromkeys(o.hops[0].name for o in outcomes if o.hops))
            yield self.finding(owner, f"{names} of {owner.name} reachable from the internet "
                                      f"via {entries}", Evidence.of(outcomes[0], wanted))
