from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.seg._common import next_hop_owner
from netwarden.model import ids
from netwarden.model.compute import NetworkInterface
from netwarden.model.network import NextHop, RouteTable


class NvaSinglePointOfFailure(Check):
    """Finds route tables, in use by at least one subnet, with a user-defined route whose
    VirtualAppliance next hop is the IP of one VM's NIC — not an Azure Firewall and not
    the frontend of a load balancer in front of a pool of appliances — so all the traffic
    the route carries depends on a single VM."""

    id = "SEG005"
    name = "nva-single-point-of-failure"
    title = "Route sends traffic to a single NVA instance"
    severity = Severity.MEDIUM
    area = Area.SEG
    rationale = ("Route through NVAs with UDRs where inspection is required, and make NVAs "
                 "highly available: when the one VM a route points at reboots or fails, every "
                 "flow the route carries is dropped.")
    remediation = ("Point the route at the private frontend of an internal Standard load "
                   "balancer (HA ports) in front of two or more appliances, or use Azure "
                   "Firewall, which is highly available by design.")
    references = ("https://learn.microsoft.com/azure/architecture/networking/guide/nva-ha",
                  "https://learn.microsoft.com/azure/well-architected/security/networking")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        used: dict[str, list[str]] = defaultdict(list)
        for subnet in ctx.estate.subnets:
            if subnet.route_table_id:
                used[ids.key(subnet.route_table_id)].append(subnet.name)
        for table in ctx.estate.of(RouteTable):
            subnets = used.get(ids.key(table.id))
            facts, nvas = [], []
            for route in table.routes:
                owner = next_hop_owner(ctx.estate, ctx.engine.topology, route.next_hop_ip) \
                    if route.next_hop is NextHop.APPLIANCE else None
                if owner is not None and isinstance(nic := owner[1], NetworkInterface):
                    vm = ctx.estate.vm_of(nic)
                    nvas.append(vm.name if vm else nic.name)
                    facts.append(f"route {route.name}: {route.prefix or route.prefix_tag} -> "
                                 f"VirtualAppliance {route.next_hop_ip} (NIC {nic.name})")
            if nvas and subnets:
                facts.append(f"used by {', '.join(subnets)}")
                yield self.finding(table, f"route table {table.name} sends traffic to a single "
                                          f"appliance VM ({', '.join(dict.fromkeys(nvas))}): no "
                                          f"load balancer or second instance",
                                   Evidence(facts=tuple(facts)))
