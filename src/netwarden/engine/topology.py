"""Indexes over the model that the engine walks: who holds which address, which peerings
are connected, where the gateways and public entry points are."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from netwarden.model import ids
from netwarden.model.compute import IpConfiguration, NetworkInterface, PublicIp
from netwarden.model.edge import (
    ApplicationGateway,
    BastionHost,
    Firewall,
    LoadBalancer,
    LocalNetworkGateway,
    VirtualNetworkGateway,
)
from netwarden.model.estate import Estate
from netwarden.model.network import Peering, Route, RouteTable, Subnet, VirtualNetwork
from netwarden.model.paas import PrivateEndpoint
from netwarden.model.security import NetworkSecurityGroup
from netwarden.model.values import Prefix


@dataclass(frozen=True, slots=True)
class Holder:
    """Something that holds a private address: a NIC's IP configuration, a firewall, or a
    private endpoint whose NIC the export lacks."""

    kind: str                      # "nic", "firewall", "private-endpoint"
    id: str                        # the ipConfiguration / firewall / endpoint ID
    address: Prefix
    subnet_id: str | None
    nic: NetworkInterface | None = None
    firewall: Firewall | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """A public IP and what it fronts."""

    pip: PublicIp
    kind: str                      # "nic", "load-balancer", "firewall", "app-gateway", "bastion", "gateway"
    owner_id: str                  # ipConfiguration / LB / firewall / gateway ID
    frontend_id: str | None = None


class Topology:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate

    # -- VNets and peerings ------------------------------------------------------------------

    def vnet_space(self, vnet_id: str) -> tuple[Prefix, ...]:
        vnet = self.estate.get(vnet_id, VirtualNetwork)
        if vnet is None:
            return ()
        if vnet.address_space:
            return vnet.address_space
        return tuple(p for s in self.estate.subnets_of(vnet) for p in s.address_prefixes)

    def all_vnet_space(self) -> list[Prefix]:
        return [p for vnet in self.estate.vnets for p in self.vnet_space(vnet.id)]

    @cached_property
    def _peerings_of(self) -> dict[str, list[Peering]]:
        index: dict[str, list[Peering]] = defaultdict(list)
        for peering in self.estate.of(Peering):
            index[ids.key(peering.vnet_id)].append(peering)
        return index

    def reverse(self, peering: Peering) -> Peering | None:
        for candidate in self._peerings_of.get(ids.key(peering.remote_vnet_id or ""), []):
            if ids.key(candidate.remote_vnet_id or "") == ids.key(peering.vnet_id):
                return candidate
        return None

    def connected_peerings(self, vnet_id: str) -> list[tuple[Peering, VirtualNetwork | None]]:
        """Peerings of a VNet that carry traffic: both directions exist (or the export
        says Connected where the remote side is outside it)."""
        found = []
        for peering in self._peerings_of.get(ids.key(vnet_id), []):
            if not peering.remote_vnet_id:
                continue
            remote = self.estate.get(peering.remote_vnet_id, VirtualNetwork)
            state = (peering.state or "").lower()
            if state == "disconnected":
                continue
            if self.reverse(peering) is not None or (remote is None and state == "connected"):
                found.append((peering, remote))
        return found

    def remote_space(self, peering: Peering, remote: VirtualNetwork | None) -> tuple[Prefix, ...]:
        if remote is not None:
            return self.vnet_space(remote.id)
        return peering.remote_address_space

    # -- gateways and on-premises --------------------------------------------------------------

    @cached_property
    def _gateway_of_vnet(self) -> dict[str, VirtualNetworkGateway]:
        index = {}
        for gateway in self.estate.of(VirtualNetworkGateway):
            if gateway.subnet_id:
                index[ids.key(ids.parent_id(gateway.subnet_id) or "")] = gateway
        return index

    def gateway_for(self, vnet_id: str) -> VirtualNetworkGateway | None:
        """The VNet's own gateway, or a peered hub's through gateway transit."""
        own = self._gateway_of_vnet.get(ids.key(vnet_id))
        if own is not None:
            return own
        for peering, remote in self.connected_peerings(vnet_id):
            back = self.reverse(peering)
            if peering.use_remote_gateways and remote is not None and back is not None \
                    and back.allow_gateway_transit:
                hub = self._gateway_of_vnet.get(ids.key(remote.id))
                if hub is not None:
                    return hub
        return None

    @cached_property
    def onprem_prefixes(self) -> tuple[Prefix, ...]:
        prefixes = [p for lng in self.estate.of(LocalNetworkGateway) for p in lng.address_space]
        prefixes += [p for g in self.estate.of(VirtualNetworkGateway) for p in g.vpn_client_prefixes]
        return tuple(dict.fromkeys(p for p in prefixes if p.version == 4))

    # -- subnets, routes, NSGs -------------------------------------------------------------------

    def route_table(self, subnet: Subnet) -> RouteTable | None:
        return self.estate.get(subnet.route_table_id, RouteTable)

    def udrs(self, subnet: Subnet) -> tuple[Route, ...]:
        table = self.route_table(subnet)
        return table.routes if table else ()

    def nsg(self, nsg_id: str | None) -> NetworkSecurityGroup | None:
        return self.estate.get(nsg_id, NetworkSecurityGroup)

    def subnet(self, subnet_id: str | None) -> Subnet | None:
        return self.estate.get(subnet_id, Subnet)

    def vnet_of_subnet(self, subnet_id: str | None) -> str | None:
        subnet = self.subnet(subnet_id)
        if subnet is not None:
            return subnet.vnet_id
        return ids.parent_id(subnet_id) if subnet_id else None

    @cached_property
    def _subnets_by_vnet(self) -> dict[str, list[Subnet]]:
        index: dict[str, list[Subnet]] = defaultdict(list)
        for subnet in self.estate.subnets:
            index[ids.key(subnet.vnet_id)].append(subnet)
        return index

    def subnet_at(self, vnet_id: str, address: int) -> Subnet | None:
        """The subnet of a VNet that contains an address (longest prefix)."""
        best: tuple[int, Subnet] | None = None
        for subnet in self._subnets_by_vnet.get(ids.key(vnet_id), []):
            for prefix in subnet.address_prefixes:
                if address in prefix and (best is None or prefix.first >= best[0]):
                    best = (prefix.first, subnet)
        return best[1] if best else None

    # -- address holders ------------------------------------------------------------------------

    @cached_property
    def holders(self) -> list[Holder]:
        found: list[Holder] = []
        nic_ips: set[int] = set()
        for nic in self.estate.nics:
            for config in nic.ip_configurations:
                if config.private_ip is not None and config.private_ip.version == 4:
                    found.append(Holder("nic", config.id, config.private_ip, config.subnet_id, nic=nic))
                    nic_ips.add(config.private_ip.first)
        for firewall in self.estate.of(Firewall):
            for fw_config in firewall.ip_configurations:
                if fw_config.private_ip is not None:
                    found.append(Holder("firewall", firewall.id, fw_config.private_ip,
                                        fw_config.subnet_id, firewall=firewall))
        for endpoint in self.estate.of(PrivateEndpoint):
            for address in endpoint.private_ips:
                if address.first not in nic_ips:
                    found.append(Holder("private-endpoint", endpoint.id, address, endpoint.subnet_id))
        return found

    @cached_property
    def _holder_at(self) -> dict[int, list[Holder]]:
        index: dict[int, list[Holder]] = defaultdict(list)
        for holder in self.holders:
            if holder.address.first == holder.address.last:
                index[holder.address.first].append(holder)
        return index

    def holders_at(self, address: int) -> list[Holder]:
        return self._holder_at.get(address, [])

    @cached_property
    def _holders_by_subnet(self) -> dict[str, list[Holder]]:
        index: dict[str, list[Holder]] = defaultdict(list)
        for holder in self.holders:
            index[ids.key(holder.subnet_id or "")].append(holder)
        return index

    def holders_in_subnet(self, subnet_id: str) -> list[Holder]:
        return self._holders_by_subnet.get(ids.key(subnet_id), [])

    @cached_property
    def _holders_by_nic(self) -> dict[str, list[Holder]]:
        index: dict[str, list[Holder]] = defaultdict(list)
        for holder in self.holders:
            if holder.nic is not None:
                index[ids.key(holder.nic.id)].append(holder)
        return index

    def holders_of_nic(self, nic_id: str) -> list[Holder]:
        return self._holders_by_nic.get(ids.key(nic_id), [])

    def holders_in_vnet(self, vnet_id: str) -> list[Holder]:
        return self._holders_by_vnet.get(ids.key(vnet_id), [])

    @cached_property
    def _holders_by_vnet(self) -> dict[str, list[Holder]]:
        index: dict[str, list[Holder]] = defaultdict(list)
        for holder in self.holders:
            vnet_id = self.vnet_of_subnet(holder.subnet_id)
            if vnet_id:
                index[ids.key(vnet_id)].append(holder)
        return index

    def asg_addresses(self, asg_id: str) -> list[Prefix]:
        return [c.private_ip for c in self.estate.asg_members(asg_id) if c.private_ip is not None]

    # -- public entry points ----------------------------------------------------------------------

    @cached_property
    def entries(self) -> list[Entry]:
        pips = {ids.key(p.id): p for p in self.estate.of(PublicIp)}
        found: list[Entry] = []

        def add(pip_id: str | None, kind: str, owner: str, frontend: str | None = None) -> None:
            pip = pips.get(ids.key(pip_id or ""))
            if pip is not None:
                found.append(Entry(pip, kind, owner, frontend))

        for nic in self.estate.nics:
            for config in nic.ip_configurations:
                add(config.public_ip_id, "nic", config.id)
        for lb in self.estate.of(LoadBalancer):
            for frontend in lb.frontends:
                add(frontend.public_ip_id, "load-balancer", lb.id, frontend.id)
        for firewall in self.estate.of(Firewall):
            for fw_config in firewall.ip_configurations:
                add(fw_config.public_ip_id, "firewall", firewall.id)
        for gateway in self.estate.of(ApplicationGateway):
            for frontend in gateway.frontends:
                add(frontend.public_ip_id, "app-gateway", gateway.id, frontend.id)
        for bastion in self.estate.of(BastionHost):
            add(bastion.public_ip_id, "bastion", bastion.id)
        for vng in self.estate.of(VirtualNetworkGateway):
            for pip_id in vng.public_ip_ids:
                add(pip_id, "gateway", vng.id)
        return found

    def config(self, config_id: str) -> IpConfiguration | None:
        return self.estate.get(config_id, IpConfiguration)
