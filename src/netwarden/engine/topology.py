"""Indexes over the model that the engine walks: who holds which address, which peerings
are connected, where the gateways and public entry points are."""

from __future__ import annotations

import bisect
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
        self._holder_at: dict[int, list[Holder]] = {}             # found on first ask
        self._holders_by_subnet: dict[str, list[Holder]] = {}

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

    # Every index below is answered from the estate's own (by address, by subnet) and from the
    # resource itself, so a query touches only the resources on its path: an estate restored
    # from a snapshot materialises nothing else.

    @cached_property
    def holders(self) -> list[Holder]:
        """Every address holder of the estate (for analyses that want them all)."""
        found = [h for nic in self.estate.nics for h in self._of_nic(nic)]
        nic_ips = {h.address.first for h in found}
        for firewall in self.estate.of(Firewall):
            found += self._of_firewall(firewall)
        for endpoint in self.estate.of(PrivateEndpoint):
            found += [h for h in self._of_endpoint(endpoint) if h.address.first not in nic_ips]
        return found

    @staticmethod
    def _of_nic(nic: NetworkInterface) -> list[Holder]:
        return [Holder("nic", c.id, c.private_ip, c.subnet_id, nic=nic)
                for c in nic.ip_configurations
                if c.private_ip is not None and c.private_ip.version == 4]

    @staticmethod
    def _of_firewall(firewall: Firewall) -> list[Holder]:
        return [Holder("firewall", firewall.id, c.private_ip, c.subnet_id, firewall=firewall)
                for c in firewall.ip_configurations if c.private_ip is not None]

    @staticmethod
    def _of_endpoint(endpoint: PrivateEndpoint) -> list[Holder]:
        """A private endpoint's own addresses: those its NIC (when exported) does not hold."""
        return [Holder("private-endpoint", endpoint.id, a, endpoint.subnet_id)
                for a in endpoint.private_ips]

    def holders_at(self, address: int) -> list[Holder]:
        found = self._holder_at.get(address)
        if found is None:
            found = self._holder_at[address] = self._find_at(address)
        return found

    def _find_at(self, address: int) -> list[Holder]:
        found: list[Holder] = []
        endpoints: list[PrivateEndpoint] = []
        for resource in self.estate.holders_of_address(address):
            if isinstance(resource, IpConfiguration):
                nic = self.estate.nic_of(resource)
                if nic is not None:
                    found += [h for h in self._of_nic(nic) if h.id == resource.id]
            elif isinstance(resource, Firewall):
                found += [h for h in self._of_firewall(resource)
                          if h.address.first == h.address.last == address]
            elif isinstance(resource, PrivateEndpoint):
                endpoints.append(resource)
        if not found:
            found = [h for e in endpoints for h in self._of_endpoint(e)
                     if h.address.first == h.address.last == address]
        return found

    def holders_in_subnet(self, subnet_id: str) -> list[Holder]:
        found = self._holders_by_subnet.get(ids.key(subnet_id))
        if found is None:
            found = self._holders_by_subnet[ids.key(subnet_id)] = self._find_in_subnet(subnet_id)
        return found

    def _find_in_subnet(self, subnet_id: str) -> list[Holder]:
        subnet_key = ids.key(subnet_id)
        found: list[Holder] = []
        seen: set[str] = set()
        for config in self.estate.ip_configurations_in(subnet_id):
            nic = self.estate.nic_of(config)
            if nic is not None and ids.key(nic.id) not in seen:
                seen.add(ids.key(nic.id))
                found += [h for h in self._of_nic(nic) if ids.key(h.subnet_id or "") == subnet_key]
        for firewall in self.estate.of(Firewall):
            found += [h for h in self._of_firewall(firewall)
                      if ids.key(h.subnet_id or "") == subnet_key]
        for endpoint in self.estate.of(PrivateEndpoint):
            if ids.key(endpoint.subnet_id or "") == subnet_key:
                found += [h for h in self._of_endpoint(endpoint)
                          if not any(n.kind == "nic" for n in self.holders_at(h.address.first))]
        return found

    def holders_within(self, prefix: Prefix) -> list[Holder]:
        """The holders of the addresses a prefix covers."""
        addresses = self._held_addresses
        lo = bisect.bisect_left(addresses, prefix.first)
        hi = bisect.bisect_right(addresses, prefix.last)
        return [h for a in addresses[lo:hi] for h in self.holders_at(a)]

    @cached_property
    def _held_addresses(self) -> list[int]:
        return self.estate.held_addresses()

    def holders_of_config(self, config_id: str) -> list[Holder]:
        """The holder of one NIC ipConfiguration (none if the input lacks it)."""
        config = self.config(config_id)
        nic = self.estate.nic_of(config) if config is not None else None
        return [h for h in self._of_nic(nic) if ids.key(h.id) == ids.key(config_id)] if nic else []

    def holders_of_nic(self, nic_id: str) -> list[Holder]:
        nic = self.estate.get(nic_id, NetworkInterface)
        return self._of_nic(nic) if nic is not None else []

    def holders_in_vnet(self, vnet_id: str) -> list[Holder]:
        vnet = self.estate.get(vnet_id, VirtualNetwork)
        subnet_keys = [ids.key(s.id) for s in self.estate.subnets_of(vnet)] if vnet else []
        subnet_keys += self._unlisted_subnets.get(ids.key(vnet_id), [])
        return [h for s in subnet_keys for h in self.holders_in_subnet(s)]

    @cached_property
    def _unlisted_subnets(self) -> dict[str, list[str]]:
        """Subnets that NICs name but the export lacks, by the VNet their ID names."""
        index: dict[str, list[str]] = defaultdict(list)
        for subnet_key in self.estate.subnet_ids_with_configs():
            if self.estate.get(subnet_key, Subnet) is None:
                index[ids.key(ids.parent_id(subnet_key) or "")].append(subnet_key)
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
