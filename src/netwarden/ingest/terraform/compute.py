"""NSGs with their rules, ASGs, network interfaces with their associations, public IPs
and virtual machines."""

from __future__ import annotations

from typing import Any

from netwarden.ingest.terraform.network import set_property
from netwarden.ingest.terraform.shape import Kind, Val, View, present

_NET = "Microsoft.Network"
RULE = f"{_NET}/networkSecurityGroups/securityRules"
IP_CONFIGURATION = f"{_NET}/networkInterfaces/ipConfigurations"


def rule_properties(r: View) -> dict[str, Any]:
    """The properties of a security rule, inline (``security_rule``) or standalone."""
    return r.obj({
        "priority": r.at("priority"),
        "direction": r.at("direction"),
        "access": r.at("access"),
        "protocol": r.at("protocol"),
        "sourcePortRange": r.at("source_port_range"),
        "sourcePortRanges": r.at("source_port_ranges"),
        "destinationPortRange": r.at("destination_port_range"),
        "destinationPortRanges": r.at("destination_port_ranges"),
        "sourceAddressPrefix": r.at("source_address_prefix"),
        "sourceAddressPrefixes": r.at("source_address_prefixes"),
        "destinationAddressPrefix": r.at("destination_address_prefix"),
        "destinationAddressPrefixes": r.at("destination_address_prefixes"),
        "sourceApplicationSecurityGroups": r.refs("source_application_security_group_ids"),
        "destinationApplicationSecurityGroups": r.refs("destination_application_security_group_ids"),
        "description": r.at("description", quiet=True),
    })


def nsg(v: View) -> None:
    nsg_id = v.id
    rules = [r.child(nsg_id, RULE, rule_properties(r))
             for r in v.blocks("security_rule", quiet=not v.configured("security_rule"))]
    v.tf.emit(v, v.resource(v.obj({"securityRules": present(rules)})))


def security_rule(v: View) -> None:
    v.tf.emit(v, v.resource(rule_properties(v)))


def asg(v: View) -> None:
    v.tf.emit(v, v.resource(None))


def nic(v: View) -> None:
    nic_id = v.id
    configs = []
    for c in v.blocks("ip_configuration"):
        static = str(c.at("private_ip_address_allocation", quiet=True).value).lower() == "static"
        configs.append(c.child(nic_id, IP_CONFIGURATION, c.obj({
            "privateIPAddress": c.at("private_ip_address", note="" if static else
                                     "dynamic allocation: the analysis cannot place this "
                                     "IP configuration"),
            "privateIPAllocationMethod": c.at("private_ip_address_allocation", quiet=True),
            "privateIPAddressVersion": c.at("private_ip_address_version", quiet=True),
            "subnet": c.ref("subnet_id"),
            "publicIPAddress": c.ref("public_ip_address_id"),
            "primary": c.at("primary", quiet=True),
        })))
    v.tf.emit(v, v.resource(v.obj({
        "ipConfigurations": present(configs),
        # azurerm v4 says ip_forwarding_enabled, v3 enable_ip_forwarding
        "enableIPForwarding": v.first("ip_forwarding_enabled", "enable_ip_forwarding"),
    })))


def public_ip(v: View) -> None:
    address = v.at("ip_address", quiet=True)
    if address.unresolved:
        stand_in = v.tf.stand_in(v.instance, ("ip_address",))
        v.tf.unresolved(address.where, "assigned by Azure", consequence=(
            f"{stand_in} (a documentation address) stands in for it, so that traffic to it "
            "can be analysed" if stand_in else "left unresolved"))
        address = Val(stand_in, address.where)
    v.tf.emit(v, v.resource(v.obj({
        "ipAddress": address,
        "publicIPAllocationMethod": v.at("allocation_method", quiet=True),
    }), sku=v.obj({"name": v.at("sku", quiet=True), "tier": v.at("sku_tier", quiet=True)})))


def vm(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "networkProfile": v.obj({"networkInterfaces": v.refs("network_interface_ids")}),
    })))


# -- NIC associations ----------------------------------------------------------------------

def _nic_nsg(v: View) -> None:
    set_property(v, "network_interface_id", "networkSecurityGroup", "network_security_group_id",
                 "network interface NSG association")


def _to_configurations(v: View, member: str, ref: Val, what: str, only: str | None) -> None:
    """Add a reference to ``member`` of the NIC's IP configurations (the one named ``only``,
    or, with None, every one)."""
    if ref.value is None:
        return

    def apply(resource: dict[str, Any]) -> str | None:
        configs = [c for c in resource.get("properties", {}).get("ipConfigurations", [])
                   if only is None or str(c.get("name", "")).lower() == only.lower()]
        if not configs:
            return f"the network interface has no IP configuration {only!r}"
        for config in configs:
            properties = config["properties"]
            found = properties.get(member)
            if not isinstance(found, list):
                found = properties[member] = v.tf.origins.container([], v.location)
            found.append(ref.value)
        return None

    v.tf.merge(v, v.at("network_interface_id").value, apply, what, phase=1)


def _nic_asg(v: View) -> None:
    # The provider adds the ASG to every IP configuration of the NIC.
    _to_configurations(v, "applicationSecurityGroups", v.ref("application_security_group_id"),
                       "network interface ASG association", None)


def _pool_association(member: str, what: str) -> Any:
    def translate(v: View) -> None:
        _to_configurations(v, member, v.ref("backend_address_pool_id"), what,
                           v.at("ip_configuration_name").value or "")
    return translate


def _nic_nat_rule(v: View) -> None:
    """The engine reads an inbound NAT rule's ``backendIPConfiguration``; the NIC's side is
    kept too, as Azure shows both."""
    nic_id = v.at("network_interface_id").value
    name = v.at("ip_configuration_name").value
    _to_configurations(v, "loadBalancerInboundNatRules", v.ref("nat_rule_id"),
                       "network interface NAT rule association", name or "")
    if nic_id and name:
        config = v.obj({"id": Val(f"{nic_id}/ipConfigurations/{name}", v.location)})
        set_property_value(v, v.at("nat_rule_id").value, "backendIPConfiguration", config,
                           "network interface NAT rule association")


def set_property_value(v: View, target: str | None, member: str, value: Any, what: str) -> None:
    def apply(resource: dict[str, Any]) -> str | None:
        resource.setdefault("properties", v.obj({}))[member] = value
        return None
    v.tf.merge(v, target, apply, what, phase=1)


KINDS = {
    "azurerm_network_security_group": Kind(f"{_NET}/networkSecurityGroups", None, nsg),
    "azurerm_network_security_rule": Kind(RULE, "network_security_group_name", security_rule),
    "azurerm_application_security_group": Kind(f"{_NET}/applicationSecurityGroups", None, asg),
    "azurerm_network_interface": Kind(f"{_NET}/networkInterfaces", None, nic),
    "azurerm_public_ip": Kind(f"{_NET}/publicIPAddresses", None, public_ip),
    "azurerm_linux_virtual_machine": Kind("Microsoft.Compute/virtualMachines", None, vm),
    "azurerm_windows_virtual_machine": Kind("Microsoft.Compute/virtualMachines", None, vm),
    "azurerm_virtual_machine": Kind("Microsoft.Compute/virtualMachines", None, vm),
    "azurerm_network_interface_security_group_association": Kind("association", None, _nic_nsg),
    "azurerm_network_interface_application_security_group_association": Kind(
        "association", None, _nic_asg),
    "azurerm_network_interface_backend_address_pool_association": Kind(
        "association", None, _pool_association("loadBalancerBackendAddressPools",
                                               "network interface load balancer pool association")),
    "azurerm_network_interface_application_gateway_backend_address_pool_association": Kind(
        "association", None, _pool_association("applicationGatewayBackendAddressPools",
                                               "network interface application gateway pool association")),
    "azurerm_network_interface_nat_rule_association": Kind("association", None, _nic_nat_rule),
}

__all__ = ["KINDS", "rule_properties"]
