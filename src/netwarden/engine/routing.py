"""Effective routes of a subnet and longest-prefix-match lookup over packet sets
(learn.microsoft.com, "Virtual network traffic routing").

System routes: the VNet's address space (VnetLocal), each connected peering's remote
space (VNetPeering), on-premises prefixes through the gateway (unless the route table
disables gateway route propagation), 0.0.0.0/0 to Internet, and 10/8, 172.16/12,
192.168/16, 100.64/10 to None. A None route disappears where the VNet's (or a peer's)
space equals or covers it, and all four disappear when a UDR for 0.0.0.0/0 exists.
User-defined routes replace a system route of the same prefix; otherwise the longest
prefix wins, and at equal length a UDR beats a system route.
"""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.engine.addresses import PRIVATE_RANGES, AddressSets
from netwarden.engine.packets import PacketSet
from netwarden.engine.topology import Topology
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

    def describe(self) -> str:
        via = f" {self.next_hop_ip}" if self.next_hop_ip else ""
        name = f" ({self.route.name})" if self.route else ""
        return f"{self.prefix} -> {self.next_hop.value}{via} [{self.source}{name}]"


class Router:
    def __init__(self, topology: Topology, addresses: AddressSets) -> None:
        self.topology = topology
        self.addresses = addresses
        self._tables: dict[str, list[RouteEntry]] = {}

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

    def lookup(self, subnet: Subnet, packets: PacketSet) -> list[tuple[RouteEntry, PacketSet]]:
        """Partition packets by the route that carries them (longest prefix match)."""
        remaining = packets
        parts: list[tuple[RouteEntry, PacketSet]] = []
        for entry in self.effective_routes(subnet):
            if not remaining:
                break
            part = remaining & self.addresses.on("dst", [(entry.prefix.first, entry.prefix.last)])
            if part:
                parts.append((entry, part))
                remaining -= part
        return parts
