"""Virtual networks, subnets, peerings, route tables."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netwarden.model.base import Resource
from netwarden.model.values import Prefix


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualNetwork(Resource):
    address_space: tuple[Prefix, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    peering_ids: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Subnet(Resource):
    vnet_id: str
    address_prefixes: tuple[Prefix, ...] = ()
    nsg_id: str | None = None
    route_table_id: str | None = None
    nat_gateway_id: str | None = None
    service_endpoints: tuple[str, ...] = ()
    delegations: tuple[str, ...] = ()
    # "Enabled" / "Disabled" / "NetworkSecurityGroupEnabled" / "RouteTableEnabled".
    # NSGs apply to private endpoints only where this enables them (Enabled or
    # NetworkSecurityGroupEnabled); Azure's default is Disabled.
    private_endpoint_network_policies: str = "Disabled"

    @property
    def nsg_applies_to_private_endpoints(self) -> bool:
        return self.private_endpoint_network_policies.lower() in ("enabled", "networksecuritygroupenabled")

    @property
    def udr_applies_to_private_endpoints(self) -> bool:
        return self.private_endpoint_network_policies.lower() in ("enabled", "routetableenabled")


@dataclass(frozen=True, slots=True, kw_only=True)
class Peering(Resource):
    vnet_id: str
    remote_vnet_id: str | None
    allow_virtual_network_access: bool = True
    allow_forwarded_traffic: bool = False
    allow_gateway_transit: bool = False
    use_remote_gateways: bool = False
    remote_address_space: tuple[Prefix, ...] = ()
    state: str | None = None


class NextHop(enum.Enum):
    VNET_LOCAL = "VnetLocal"
    VNET_PEERING = "VNetPeering"
    GATEWAY = "VirtualNetworkGateway"
    INTERNET = "Internet"
    APPLIANCE = "VirtualAppliance"
    NONE = "None"
    SERVICE_ENDPOINT = "VirtualNetworkServiceEndpoint"

    @classmethod
    def parse(cls, text: str) -> NextHop:
        for member in cls:
            if member.value.lower() == str(text).strip().lower():
                return member
        raise ValueError(f"{text!r} is not a next-hop type ({', '.join(m.value for m in cls)})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Route(Resource):
    route_table_id: str
    # A CIDR, or a service tag name (UDRs accept service tags as address prefixes).
    prefix: Prefix | None
    prefix_tag: str | None = None
    next_hop: NextHop
    next_hop_ip: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteTable(Resource):
    routes: tuple[Route, ...] = ()
    disable_bgp_route_propagation: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NatGateway(Resource):
    public_ip_ids: tuple[str, ...] = ()
