"""Virtual networks, subnets, peerings, route tables, NAT gateways, and the associations
that attach NSGs, route tables and NAT gateways to subnets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netwarden.ingest.terraform.shape import Kind, Val, View, negated, present

_NET = "Microsoft.Network"
SUBNET = f"{_NET}/virtualNetworks/subnets"


def vnet(v: View) -> None:
    vnet_id = v.id
    subnets = [_inline_subnet(s, vnet_id)
               for s in v.blocks("subnet", quiet=not v.configured("subnet"))]
    v.tf.emit(v, v.resource(v.obj({
        "addressSpace": v.obj({"addressPrefixes": v.at("address_space")}),
        "dhcpOptions": v.obj({"dnsServers": v.at("dns_servers", quiet=True)}),
        "subnets": present(subnets),
    })))


def _inline_subnet(s: View, vnet_id: str | None) -> dict[str, Any] | None:
    known_id = s.at("id", quiet=True).value
    return s.child(vnet_id, SUBNET, s.obj({
        "addressPrefix": s.at("address_prefix", quiet=True),          # azurerm v3
        "addressPrefixes": s.at("address_prefixes", quiet=True),      # azurerm v4
        "networkSecurityGroup": s.ref("security_group"),
        "routeTable": s.ref("route_table_id", quiet=True),
    }), part_id=known_id if isinstance(known_id, str) and known_id else None)


def _endpoint_policies(v: View) -> Val:
    """v4 ``private_endpoint_network_policies``; v3 ``..._enabled``; v2 ``enforce_...``
    (true meant the policies are *disabled*)."""
    text = v.at("private_endpoint_network_policies", quiet=True)
    if text.value is not None:
        return text
    enabled = v.at("private_endpoint_network_policies_enabled", quiet=True)
    if isinstance(enabled.value, bool):
        return Val("Enabled" if enabled.value else "Disabled", enabled.where)
    enforce = v.at("enforce_private_link_endpoint_network_policies", quiet=True)
    if isinstance(enforce.value, bool):
        return Val("Disabled" if enforce.value else "Enabled", enforce.where)
    return text


def subnet(v: View) -> None:
    delegations = []
    for d in v.blocks("delegation"):
        service = d.block("service_delegation")
        delegations.append(d.obj({"name": d.at("name"), "properties": d.obj({
            "serviceName": service.at("name") if service else None})}))
    v.tf.emit(v, v.resource(v.obj({
        "addressPrefix": v.at("address_prefix", quiet=True),
        "addressPrefixes": v.at("address_prefixes"),
        "serviceEndpoints": [v.obj({"service": e}, e.where) for e in v.elements("service_endpoints")],
        "delegations": delegations,
        "privateEndpointNetworkPolicies": _endpoint_policies(v),
    })))


def peering(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "remoteVirtualNetwork": v.ref("remote_virtual_network_id"),
        "allowVirtualNetworkAccess": v.at("allow_virtual_network_access"),
        "allowForwardedTraffic": v.at("allow_forwarded_traffic"),
        "allowGatewayTransit": v.at("allow_gateway_transit"),
        "useRemoteGateways": v.at("use_remote_gateways"),
    })))


def _route_properties(r: View) -> dict[str, Any] | None:
    """None when a VirtualAppliance route's next hop stays unknown: the model cannot hold
    a route without its next hop, so it is left out, and said so."""
    hop_type = r.at("next_hop_type")
    hop_ip = r.at("next_hop_in_ip_address", quiet=True)
    if str(hop_type.value).lower() == "virtualappliance" and hop_ip.unresolved:
        prefix = r.at("address_prefix").value
        r.tf.unresolved(hop_ip.where, consequence=(
            f"the route {r.at('name').value} ({prefix}) is left out, so traffic it would send "
            "to the appliance is analysed as if it were not there"))
        return None
    return r.obj({"addressPrefix": r.at("address_prefix"), "nextHopType": hop_type,
                  "nextHopIpAddress": hop_ip})


def route_table(v: View) -> None:
    table_id = v.id
    routes = []
    for r in v.blocks("route", quiet=not v.configured("route")):
        properties = _route_properties(r)
        if properties is not None:
            routes.append(r.child(table_id, f"{_NET}/routeTables/routes", properties))
    propagation = v.at("bgp_route_propagation_enabled", quiet=True)        # azurerm v4
    disabled = negated(propagation) if propagation.value is not None else \
        v.at("disable_bgp_route_propagation", quiet=True)                 # azurerm v3
    v.tf.emit(v, v.resource(v.obj({"routes": present(routes), "disableBgpRoutePropagation": disabled})))


def route(v: View) -> None:
    properties = _route_properties(v)
    if properties is not None:
        v.tf.emit(v, v.resource(properties))


def nat_gateway(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({"publicIpAddresses": []})))


def plain(v: View) -> None:
    """A resource the builder does not read (a network watcher): counted by its Azure type."""
    v.tf.emit(v, v.resource(None))


# -- associations ------------------------------------------------------------------------------

def set_property(v: View, target_attribute: str, member: str, ref_attribute: str,
                 what: str, phase: int = 1) -> None:
    """Set ``properties.<member>`` of the target to a reference read from ``ref_attribute``."""
    target = v.at(target_attribute).value
    ref = v.ref(ref_attribute)
    if ref.value is None:
        return

    def apply(resource: dict[str, Any]) -> str | None:
        properties = resource.setdefault("properties", v.obj({}))
        properties[member] = ref.value
        v.tf.origins.member(properties, member, ref.where)
        return None

    v.tf.merge(v, target, apply, what, phase)


def _association(target: str, member: str, ref: str, what: str) -> Callable[[View], None]:
    return lambda v: set_property(v, target, member, ref, what)


def append_to(v: View, target: str | None, member: str, item: dict[str, Any] | None, what: str,
              phase: int = 0) -> None:
    """Append ``item`` to ``properties.<member>`` of the target."""
    if item is None:
        return

    def apply(resource: dict[str, Any]) -> str | None:
        properties = resource.setdefault("properties", v.obj({}))
        found = properties.get(member)
        if not isinstance(found, list):
            found = properties[member] = v.tf.origins.container([], v.location)
        found.append(item)
        return None

    v.tf.merge(v, target, apply, what, phase)


def nat_gateway_public_ip(v: View) -> None:
    append_to(v, v.at("nat_gateway_id").value, "publicIpAddresses",
              v.ref("public_ip_address_id").value, "NAT gateway public IP association", phase=1)


KINDS = {
    "azurerm_virtual_network": Kind(f"{_NET}/virtualNetworks", None, vnet),
    "azurerm_subnet": Kind(SUBNET, "virtual_network_name", subnet),
    "azurerm_virtual_network_peering": Kind(f"{_NET}/virtualNetworks/virtualNetworkPeerings",
                                            "virtual_network_name", peering),
    "azurerm_route_table": Kind(f"{_NET}/routeTables", None, route_table),
    "azurerm_route": Kind(f"{_NET}/routeTables/routes", "route_table_name", route),
    "azurerm_nat_gateway": Kind(f"{_NET}/natGateways", None, nat_gateway),
    "azurerm_network_watcher": Kind(f"{_NET}/networkWatchers", None, plain),
    "azurerm_subnet_network_security_group_association": Kind(
        "association", None, _association("subnet_id", "networkSecurityGroup",
                                          "network_security_group_id", "subnet NSG association")),
    "azurerm_subnet_route_table_association": Kind(
        "association", None, _association("subnet_id", "routeTable", "route_table_id",
                                          "subnet route table association")),
    "azurerm_subnet_nat_gateway_association": Kind(
        "association", None, _association("subnet_id", "natGateway", "nat_gateway_id",
                                          "subnet NAT gateway association")),
    "azurerm_nat_gateway_public_ip_association": Kind("association", None, nat_gateway_public_ip),
}
