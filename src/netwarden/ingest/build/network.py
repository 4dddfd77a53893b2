"""Builders for virtual networks, subnets, peerings, route tables and NAT gateways."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.model.base import Resource
from netwarden.model.network import (
    NatGateway,
    NextHop,
    Peering,
    Route,
    RouteTable,
    Subnet,
    VirtualNetwork,
)
from netwarden.model.values import Prefix, ServiceTag


def vnet(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    yield VirtualNetwork(
        **common(raw),
        address_space=fields.prefixes(p.path("addressSpace", "addressPrefixes")),
        subnet_ids=tuple(child.id for child in ctx.children(raw, "subnets")),
        peering_ids=tuple(child.id for child in ctx.children(raw, "virtualNetworkPeerings")),
        dns_servers=p.path("dhcpOptions", "dnsServers").strs(),
    )


def subnet(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    prefixes = fields.prefixes(p.get("addressPrefixes"))
    if p.get("addressPrefix").value:
        prefixes = (fields.prefix(p.get("addressPrefix")), *prefixes)
    if not prefixes:
        ctx.warn(raw.node.location, "incomplete", f"subnet {raw.name} has no address prefix")
    yield Subnet(
        **common(raw),
        vnet_id=raw.parent_id or "",
        address_prefixes=tuple(dict.fromkeys(prefixes)),
        nsg_id=p.get("networkSecurityGroup").ref(),
        route_table_id=p.get("routeTable").ref(),
        nat_gateway_id=p.get("natGateway").ref(),
        service_endpoints=tuple(s for e in p.get("serviceEndpoints").items()
                                if (s := e.get("service").str())),
        delegations=tuple(s for d in p.get("delegations").items()
                          if (s := d.path("properties", "serviceName").str() or d.get("serviceName").str())),
        private_endpoint_network_policies=p.get("privateEndpointNetworkPolicies").str() or "Disabled",
    )


def peering(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    remote_space = p.path("remoteAddressSpace", "addressPrefixes")
    if remote_space.missing:
        remote_space = p.path("remoteVirtualNetworkAddressSpace", "addressPrefixes")
    yield Peering(
        **common(raw),
        vnet_id=raw.parent_id or "",
        remote_vnet_id=p.get("remoteVirtualNetwork").ref(),
        allow_virtual_network_access=p.get("allowVirtualNetworkAccess").bool(True),
        allow_forwarded_traffic=p.get("allowForwardedTraffic").bool(False),
        allow_gateway_transit=p.get("allowGatewayTransit").bool(False),
        use_remote_gateways=p.get("useRemoteGateways").bool(False),
        remote_address_space=fields.prefixes(remote_space),
        state=p.get("peeringState").str(),
    )


def route_table(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    routes = []
    for child in ctx.children(raw, "routes"):
        rp = props(child)
        target = rp.get("addressPrefix")
        prefix: Prefix | None = None
        tag: str | None = None
        parsed = fields.address(target)
        if isinstance(parsed, Prefix):
            prefix = parsed
        elif isinstance(parsed, ServiceTag):
            tag = parsed.name
        else:
            raise target.error("'*' is not a valid route prefix")
        hop = rp.get("nextHopType").parse(NextHop.parse)
        hop_ip = rp.get("nextHopIpAddress").str() or None
        if hop is NextHop.APPLIANCE and not hop_ip:
            raise rp.get("nextHopIpAddress").error("is required for next hop VirtualAppliance")
        if hop_ip:
            fields.prefix(rp.get("nextHopIpAddress"))
        routes.append(Route(**common(child), route_table_id=raw.id, prefix=prefix, prefix_tag=tag,
                            next_hop=hop, next_hop_ip=hop_ip))
    yield RouteTable(
        **common(raw),
        routes=tuple(routes),
        disable_bgp_route_propagation=p.get("disableBgpRoutePropagation").bool(False),
    )


def nat_gateway(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    yield NatGateway(**common(raw), public_ip_ids=props(raw).get("publicIpAddresses").refs())


BUILDERS = {
    "microsoft.network/virtualnetworks": vnet,
    "microsoft.network/virtualnetworks/subnets": subnet,
    "microsoft.network/virtualnetworks/virtualnetworkpeerings": peering,
    "microsoft.network/routetables": route_table,
    "microsoft.network/natgateways": nat_gateway,
}
CONSUMED_CHILDREN = {"microsoft.network/routetables/routes"}
