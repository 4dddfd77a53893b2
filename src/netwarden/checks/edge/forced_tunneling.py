"""EDGE007: a route table sends all internet-bound traffic to the VPN/ExpressRoute gateway."""
from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.model import ids
from netwarden.model.network import NextHop, RouteTable


class ForcedTunneling(Check):
    """Finds route tables whose routes with next hop VirtualNetworkGateway cover all of
    0.0.0.0/0 (the default route, or a split such as 0.0.0.0/1 + 128.0.0.0/1) and, by longest
    prefix match within the table, still carry public destinations: the associated subnets'
    internet traffic is forced to on-premises. The finding names those subnets. A default
    route learned over BGP from on-premises is not in an export, so it is not seen."""

    id = "EDGE007"
    name = "forced-tunneling"
    title = "Internet traffic forced through the on-premises gateway"
    severity = Severity.MEDIUM
    area = Area.EDGE
    rationale = ("Avoid forced tunnelling: sending all internet traffic to on-premises adds "
                 "latency and a single point of failure, breaks Azure services that need direct "
                 "internet access, and moves egress inspection out of the cloud.")
    remediation = ("Point the subnets' 0.0.0.0/0 route at Azure Firewall (next hop "
                   "VirtualAppliance) and route only on-premises prefixes to the gateway; if "
                   "on-premises inspection is required, use Azure Firewall's forced tunnelling mode.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-forced-tunneling-rm")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        a = ctx.engine.addresses
        for table in ctx.estate.of(RouteTable):
            routes = sorted((r for r in table.routes if r.prefix is not None and r.prefix.version == 4),
                            key=lambda r: r.prefix.last - r.prefix.first if r.prefix else 0)
            tunnel = [r for r in routes if r.next_hop is NextHop.GATEWAY]
            if not tunnel or a.prefixes("dst", [r.prefix for r in tunnel if r.prefix]) != ctx.space.all():
                continue
            remaining, forced = a.on("dst", a.internet(None)), ctx.space.none()
            for route in routes:                    # longest prefix first
                part = remaining & a.prefixes("dst", [route.prefix] if route.prefix else [])
                remaining -= part
                if route.next_hop is NextHop.GATEWAY:
                    forced |= part
            if not forced:
                continue                            # more specific routes take all of it elsewhere
            subnets = sorted(s.name for s in ctx.estate.subnets
                             if ids.key(s.route_table_id or "") == ids.key(table.id))
            where = ", ".join(subnets) or "no subnet yet"
            facts = tuple(f"route {r.name}: {r.prefix} -> VirtualNetworkGateway" for r in tunnel)
            yield self.finding(table, f"route table {table.name} sends 0.0.0.0/0 to the virtual "
                                      f"network gateway (forced tunnelling); associated with {where}",
                               Evidence(facts=(*facts, f"subnets: {where}")))
