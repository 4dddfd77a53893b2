"""Effective routes of a subnet and longest-prefix-match lookup over packet sets
(learn.microsoft.com, "Virtual network traffic routing").

System routes: the VNet's address space (VnetLocal), each connected peering's remote
space (VNetPeering), on-premises prefixes through the gateway (unless the route table
disables gateway route propagation), 0.0.0.0/0 to Internet, and 10/8, 172.16/12,
192.168/16, 100.64/10 to None. A None route disappears where the VNet's (or a peer's)
space equals or covers it, and all four disappear when a UDR for 0.0.0.0/0 exists.
User-defined routes replace a system route of the same prefix; otherwise the longest
prefix wins, and at equal length a UDR beats a system route.

Private endpoints add a /32 system route each (next hop type InterfaceEndpoint) to every
subnet of their VNet and of directly peered VNets, so by longest prefix match they win over
wider UDRs: traffic to an endpoint bypasses a firewall that a 0.0.0.0/0 or VNet-range UDR
sends everything else to. A UDR of the same /32 replaces it, like any system route of its
prefix; and where the endpoint's subnet enables route-table policies
(``privateEndpointNetworkPolicies`` Enabled or RouteTableEnabled), a UDR covering the
endpoint whose prefix is as long as or longer than the endpoint VNet's address-space prefix
invalidates it -- a 0.0.0.0/0 UDR does not (learn.microsoft.com, "Manage network policies
for private endpoints").
"""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.engine.addresses import PRIVATE_RANGES, AddressSets
from netwarden.engine.packets import PacketSet
from netwarden.engine.topology import Holder, Topology
from netwarden.model import ids
from netwarden.model.network import NextHop, Peering, Route, Subnet, VirtualNetwork
from netwarden.model.values import Prefix

DEFAULT = Prefix.parse("0.0.0.0/0")


@dataclass(frozen=True, slots=True)
class RouteEntry:
    prefix: Prefix
    next_hop: NextHop
    source: str                       # "Default", "User", "VirtualNetworkGateway"
    route: Route | None = None        # the UDR, where one decides
    next_hop_ip: str | None = None
    peering: Peering | None = None
    remote_vnet: VirtualNetwork | None = None
    # the /32 routes of the private endpoints of one VNet (next hop type InterfaceEndpoint),
    # carried together: all /32, so one entry at the head of the table is exact
    endpoints: tuple[Prefix, ...] = ()

    def ranges(self) -> list[tuple[int, int]]:
        if self.endpoints:
            return [(p.first, p.last) for p in self.endpoints]
        return [(self.prefix.first, self.prefix.last)]

    def describe(self) -> str:
        if self.endpoints:
            shown = ", ".join(f"{p.text}/32" if "/" not in p.text else p.text for p in self.endpoints[:3])
            more = f" (+{len(self.endpoints) - 3} more)" if len(self.endpoints) > 3 else ""
            where = f" in {self.remote_vnet.name}" if self.remote_vnet is not None else ""
            return f"{shown}{more} -> InterfaceEndpoint [{self.source}: private endpoint{where}]"
        via = f" {self.next_hop_ip}" if self.next_hop_ip else ""
        name = f" ({self.route.name})" if self.route else ""
        return f"{self.prefix} -> {self.next_hop.value}{via} [{self.source}{name}]"


class Router:
    def __init__(self, topology: Topology, addresses: AddressSets) -> None:
        self.topology = topology
        self.addresses = addresses
        self._tables: dict[str, list[RouteEntry]] = {}
        self._endpoints: dict[str, list[Holder]] = {}

    def effective_routes(self, subnet: Subnet) -> list[RouteEntry]:
        """Longest prefix first; at equal length user routes before system routes."""
        cached = self._tables.get(ids.key(subnet.id))
        if cached is not None:
            return cached
        topo = self.topology
        system: list[RouteEntry] = [RouteEntry(p, NextHop.VNET_LOCAL, "Default")
                                    for p in topo.vnet_space(subnet.vnet_id)]
        for peering, remote in topo.connected_peerings(subnet.vnet_id):
            system += [RouteEntry(p, NextHop.VNET_PEERING, "Default", peering=peering,
                                  remote_vnet=remote) for p in topo.remote_space(peering, remote)]
        table = topo.route_table(subnet)
        if topo.gateway_for(subnet.vnet_id) is not None and not (
                table and table.disable_bgp_route_propagation):
            system += [RouteEntry(p, NextHop.GATEWAY, "VirtualNetworkGateway")
                       for p in topo.onprem_prefixes]
        udrs = [RouteEntry(r.prefix, r.next_hop, "User", route=r, next_hop_ip=r.next_hop_ip)
                for r in topo.udrs(subnet) if r.prefix is not None and r.prefix.version == 4]
        for r in topo.udrs(subnet):
            if r.prefix is None and r.prefix_tag:
                for first, last in self.addresses.tag(r.prefix_tag, None):
                    udrs.append(RouteEntry(Prefix(r.prefix_tag, first, last), r.next_hop, "User",
                                           route=r, next_hop_ip=r.next_hop_ip))
        local = [e.prefix for e in system]
        system += self._endpoint_routes(subnet, udrs)
        system.append(RouteEntry(DEFAULT, NextHop.INTERNET, "Default"))
        if not any(u.prefix == DEFAULT for u in udrs):
            system += [RouteEntry(p, NextHop.NONE, "Default") for p in PRIVATE_RANGES
                       if not any(v.covers(p) for v in local)]
        overridden = {(u.prefix.first, u.prefix.last) for u in udrs}
        system = [e for e in system if (e.prefix.first, e.prefix.last) not in overridden]
        entries = sorted([*udrs, *system],
                         key=lambda e: (e.prefix.last - e.prefix.first, e.source != "User"))
        self._tables[ids.key(subnet.id)] = entries
        return entries

    def _endpoint_routes(self, subnet: Subnet, udrs: list[RouteEntry]) -> list[RouteEntry]:
        """The private endpoints' /32 routes in ``subnet``'s table (see the module), one
        entry per VNet holding endpoints: the subnet's own, and each directly peered one."""
        topo = self.topology
        found = []
        sources: list[tuple[str, Peering | None, VirtualNetwork | None]] = [(subnet.vnet_id, None, None)]
        sources += [(remote.id, peering, remote) for peering, remote in topo.connected_peerings(subnet.vnet_id)
                    if remote is not None]
        for vnet_id, peering, remote in sources:
            space = topo.vnet_space(vnet_id)
            kept = []
            for holder in self._endpoints_in(vnet_id):
                a = holder.address
                covering = [u.prefix for u in udrs if u.prefix.first <= a.first and a.last <= u.prefix.last]
                if any(p.first == a.first and p.last == a.last for p in covering):
                    continue                   # replaced by the UDR of its own prefix
                endpoint_subnet = topo.subnet(holder.subnet_id) if holder.subnet_id else None
                if endpoint_subnet is not None and endpoint_subnet.udr_applies_to_private_endpoints:
                    block = next((p for p in space if p.first <= a.first and a.last <= p.last), None)
                    if block is not None and any(p.last - p.first <= block.last - block.first for p in covering):
                        continue               # invalidated by a UDR as long as the VNet's prefix
                kept.append(a)
            if kept:
                found.append(RouteEntry(kept[0], NextHop.VNET_PEERING if peering else NextHop.VNET_LOCAL,
                                        "Default", peering=peering, remote_vnet=remote,
                                        endpoints=tuple(kept)))
        return found

    def _endpoints_in(self, vnet_id: str) -> list[Holder]:
        k = ids.key(vnet_id)
        found = self._endpoints.get(k)
        if found is None:
            found = self._endpoints[k] = [
                h for h in self.topology.holders_in_vnet(vnet_id)
                if h.address.version == 4 and (h.kind == "private-endpoint" or (
                    h.kind == "nic" and h.nic is not None and h.nic.private_endpoint_id))]
        return found

    def lookup(self, subnet: Subnet, packets: PacketSet) -> list[tuple[RouteEntry, PacketSet]]:
        """Partition packets by the route that carries them (longest prefix match)."""
        remaining = packets
        parts: list[tuple[RouteEntry, PacketSet]] = []
        for entry in self.effective_routes(subnet):
            if not remaining:
                break
            part = remaining & self.addresses.on("dst", entry.ranges())
            if part:
                parts.append((entry, part))
                remaining -= part
        return parts
