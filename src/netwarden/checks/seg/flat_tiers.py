from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.seg._common import PLATFORM_SUBNETS, port_count, port_text
from netwarden.engine import Endpoint, Outcome, PacketSet
from netwarden.engine.packets import TCP, UDP
from netwarden.engine.topology import Holder
from netwarden.model import ids
from netwarden.model.network import Subnet
from netwarden.model.values import Direction

TOLERANCE = 1024   # closed TCP or UDP ports a direction may have and still count as open
Tier = tuple[Subnet, Endpoint]


class FlatTiers(Check):
    """Finds pairs of workload subnets (in one VNet or in directly peered VNets) whose
    workloads reach each other on every TCP and UDP port, in both directions, proved by
    the engine's reachability between the two subnets' NICs. A direction counts as open
    when at most 1,024 TCP or UDP ports are closed for some NIC pair (a deny-list carved
    out of an allow-all is not segmentation). Platform subnets, private endpoints and
    appliance NICs (IP forwarding on: they must accept what they forward) are not
    workloads; subnets without workloads are skipped."""

    id = "SEG002"
    name = "flat-tiers"
    title = "Two subnets allow each other every port"
    severity = Severity.MEDIUM
    area = Area.SEG
    rationale = ("Separate tiers into subnets and let NSGs allow only the needed flows between "
                 "them, starting from zero trust: tiers that reach each other on every port "
                 "are one flat network, and a compromise of one spreads to the other.")
    remediation = ("Allow only the ports one tier serves to the other (e.g. web -> app on "
                   "TCP 8080) and end each NSG with an explicit DenyAll above the default "
                   "AllowVnetInBound/AllowVnetOutBound rules.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        tiers = _tiers(ctx)
        order = {ids.key(s.id): i for i, (s, _) in enumerate(tiers)}
        by_vnet: dict[str, list[Tier]] = defaultdict(list)
        for tier in tiers:
            by_vnet[ids.key(tier[0].vnet_id)].append(tier)
        topology = ctx.engine.topology
        for a, ea in tiers:
            peers = dict.fromkeys(ids.key(r.id)
                                  for _, r in topology.connected_peerings(a.vnet_id) if r)
            for b, eb in (t for v in (ids.key(a.vnet_id), *peers) for t in by_vnet.get(v, [])):
                if order[ids.key(b.id)] <= order[ids.key(a.id)]:
                    continue                       # each pair once, first subnet first
                if (there := _open(ctx, a, ea, b, eb)) and (back := _open(ctx, b, eb, a, ea)):
                    facts = (f"{a.name} -> {b.name}: {_describe(there[1])}",
                             f"{b.name} -> {a.name}: {_describe(back[1])}")
                    yield self.finding(a, f"subnets {a.name} and {b.name} reach each other on "
                                          f"every port ({facts[0]}; {facts[1]})",
                                       Evidence.of(there[0], None, *facts))


def _tiers(ctx: ScanContext) -> list[Tier]:
    """Workload subnets as endpoints of their NICs (not private endpoints, which serve one
    service, nor appliances, which forward)."""
    nics: dict[str, list[Holder]] = defaultdict(list)
    for h in ctx.engine.topology.holders:
        if h.kind == "nic" and h.nic and not h.nic.private_endpoint_id and not h.nic.ip_forwarding:
            nics[ids.key(h.subnet_id or "")].append(h)
    return [(s, Endpoint("holders", s.name, tuple(found), s.address_prefixes, (s.id,), s))
            for s in ctx.estate.subnets
            if s.name.lower() not in PLATFORM_SUBNETS and (found := nics.get(ids.key(s.id)))]


def _open(ctx: ScanContext, a: Subnet, ea: Endpoint, b: Subnet,
          eb: Endpoint) -> tuple[Outcome, PacketSet] | None:
    """(an arrival, the closed packets) when a's workloads reach b's on (nearly) every port."""
    engine = ctx.engine
    probe = _addresses(ctx, ea, "src") & _addresses(ctx, eb, "dst")
    for nsg_id, direction, subnet in ((b.nsg_id, Direction.INBOUND, b),
                                      (a.nsg_id, Direction.OUTBOUND, a)):
        compiled = engine.walker.compiled(nsg_id, direction, subnet.id) if nsg_id else None
        if compiled is not None and not _nearly_all(probe - compiled.allowed,
                                                    probe & compiled.allowed):
            return None                   # cheap: the subnet NSG alone already segments
    result = engine.reach(ea, eb)
    closed = result.queried - result.allowed
    if result.arrived and _nearly_all(closed, result.allowed):
        return result.arrived[0], closed
    return None


def _addresses(ctx: ScanContext, endpoint: Endpoint, field: str) -> PacketSet:
    """An endpoint's address set, computed once per scan (each tier meets many others)."""
    name = endpoint.label if endpoint.resource is None else endpoint.resource.id
    return ctx.memo(("addresses", name, field), lambda: ctx.engine.addresses_of(endpoint, field))


def _nearly_all(closed: PacketSet, got: PacketSet) -> bool:
    """At most TOLERANCE ports of TCP and of UDP are closed, and each protocol gets in."""
    space = got.space
    return all(bool(got & space.protocol(p)) and (not (shut := closed & space.protocol(p))
                                                  or port_count(shut, p) <= TOLERANCE)
               for p in (TCP, UDP))


def _describe(closed: PacketSet) -> str:
    parts = [f"{label} {port_text(closed, p)}" for p, label in ((TCP, "TCP"), (UDP, "UDP"))
             if port_count(closed, p)]
    return "all TCP and UDP ports" + (f" but {', '.join(parts)}" if parts else "")
