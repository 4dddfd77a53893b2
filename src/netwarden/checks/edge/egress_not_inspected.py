"""EDGE006: a subnet's internet-bound traffic leaves without passing a firewall or an NVA."""
from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.engine.topology import Holder
from netwarden.model import ids
from netwarden.model.network import NextHop

PLATFORM = frozenset({"gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet",
                      "azurebastionsubnet", "routeserversubnet"})


class EgressNotInspected(Check):
    """Walks what each subnet's NICs send to the internet (any protocol, port and public address)
    through their NSGs and routes; finds subnets where some reaches it without passing Azure
    Firewall or an NVA (HIGH: all of it; MEDIUM: NSGs or routes narrow it). Exempt: platform
    subnets, private endpoints, appliances (IP forwarding). An NVA path counts as inspected."""

    id = "EDGE006"
    name = "egress-not-inspected"
    title = "Internet egress that no firewall or NVA inspects"
    severity = Severity.MEDIUM
    area = Area.EDGE
    rationale = ("Send egress through Azure Firewall or an NVA to prevent data exfiltration: "
                 "traffic that leaves straight to the internet is neither filtered by FQDN nor "
                 "logged centrally, so a compromised workload can send data anywhere.")
    remediation = ("Associate a route table with the subnet whose 0.0.0.0/0 route has next hop "
                   "VirtualAppliance at the firewall's private IP (or use a secured virtual hub), "
                   "and allow only the needed destinations in the firewall.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/firewall/forced-tunneling")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        a, walker = ctx.engine.addresses, ctx.engine.walker
        workloads: dict[str, list[Holder]] = {}
        for h in ctx.engine.topology.holders:
            if h.nic and h.subnet_id and not h.nic.private_endpoint_id and not h.nic.ip_forwarding:
                workloads.setdefault(ids.key(h.subnet_id), []).append(h)
        to_internet = a.on("dst", a.internet(None))
        for subnet in ctx.estate.subnets:
            holders = workloads.get(ids.key(subnet.id))
            if not holders or subnet.name.lower() in PLATFORM:
                continue
            # any other route leads to an appliance (a firewall or NVA hop), on-premises or a VNet
            direct = ctx.space.union(part for route, part in walker.router.lookup(subnet, to_internet)
                                     if route.next_hop is NextHop.INTERNET)
            escaped = [o for o in (walker.from_holders(holders, direct) if direct else [])
                       if o.status == "arrived" and "internet" in o.targets]
            if not escaped:
                continue
            sent = to_internet & a.on("src", [(h.address.first, h.address.last) for h in holders])
            all_of_it = ctx.space.union(o.branch.packets for o in escaped) >= sent
            route = next(h.detail for h in escaped[0].hops if h.kind == "route")
            how = f"{'' if all_of_it else 'partly '}uninspected (no firewall or NVA; route {route})"
            yield self.finding(subnet, f"internet-bound traffic of subnet {subnet.name} leaves {how}",
                               Evidence.of(escaped[0]), Severity.HIGH if all_of_it else None)
