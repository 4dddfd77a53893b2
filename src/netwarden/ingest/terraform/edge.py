"""Application gateways and WAF policies, load balancers with their separately declared
pools and rules, Bastion, VPN/ExpressRoute gateways and their connections."""

from __future__ import annotations

from typing import Any

from netwarden.ingest.terraform.network import append_to
from netwarden.ingest.terraform.shape import Kind, Val, View

_NET = "Microsoft.Network"
GATEWAY = f"{_NET}/applicationGateways"
LOAD_BALANCER = f"{_NET}/loadBalancers"


def _frontends(v: View, owner: str | None) -> list[dict[str, Any]]:
    """Frontend IP configurations; their IDs are formed from the owner and the name, as
    Azure does, so that rules naming a frontend by name find it."""
    found = []
    for f in v.blocks("frontend_ip_configuration"):
        private = f.at("subnet_id", quiet=True).value is not None
        found.append(f.obj({
            "id": Val(f"{owner}/frontendIPConfigurations/{f.at('name').value}", f.location),
            "name": f.at("name"),
            "properties": f.obj({
                "publicIPAddress": f.ref("public_ip_address_id"),
                "privateIPAddress": f.at("private_ip_address", quiet=not private),
                "subnet": f.ref("subnet_id"),
            }),
        }))
    return found


def _part(owner: str | None, segment: str, name: Any) -> str:
    return f"{owner}/{segment}/{name}"


def application_gateway(v: View) -> None:
    gateway = v.id
    sku = v.block("sku")
    waf = v.block("waf_configuration", quiet=True)
    pools = []
    for p in v.blocks("backend_address_pool"):
        addresses = [p.obj({"ipAddress": a}, a.where) for a in p.elements("ip_addresses")]
        addresses += [p.obj({"fqdn": a}, a.where) for a in p.elements("fqdns")]
        pools.append(p.obj({"id": Val(_part(gateway, "backendAddressPools", p.at("name").value),
                                      p.location),
                            "name": p.at("name"),
                            "properties": p.obj({"backendAddresses": addresses})}))
    listeners = [h.obj({"name": h.at("name"), "properties": h.obj({
        "frontendIPConfiguration": h.obj({"id": h.at("frontend_ip_configuration_name").map(
            lambda n: _part(gateway, "frontendIPConfigurations", n))}),
        "frontendPort": h.obj({"id": h.at("frontend_port_name").map(
            lambda n: _part(gateway, "frontendPorts", n))}),
        "protocol": h.at("protocol"),
        "hostName": h.at("host_name", quiet=True),
    })}) for h in v.blocks("http_listener")]
    v.tf.emit(v, v.resource(v.obj({
        "sku": sku.obj({"name": sku.at("name"), "tier": sku.at("tier"),
                        "capacity": sku.at("capacity", quiet=True)}) if sku else None,
        "gatewayIPConfigurations": [g.obj({"name": g.at("name"), "properties": g.obj({
            "subnet": g.ref("subnet_id")})}) for g in v.blocks("gateway_ip_configuration")],
        "frontendIPConfigurations": _frontends(v, gateway),
        "frontendPorts": [p.obj({"id": Val(_part(gateway, "frontendPorts", p.at("name").value),
                                           p.location),
                                 "name": p.at("name"), "properties": p.obj({"port": p.at("port")})})
                          for p in v.blocks("frontend_port")],
        "httpListeners": listeners,
        "backendAddressPools": pools,
        "backendHttpSettingsCollection": [s.obj({"name": s.at("name"), "properties": s.obj({
            "port": s.at("port"), "protocol": s.at("protocol")})})
            for s in v.blocks("backend_http_settings")],
        "webApplicationFirewallConfiguration": waf.obj({
            "enabled": waf.at("enabled"), "firewallMode": waf.at("firewall_mode"),
            "ruleSetType": waf.at("rule_set_type", quiet=True),
            "ruleSetVersion": waf.at("rule_set_version", quiet=True)}) if waf else None,
        "firewallPolicy": v.ref("firewall_policy_id"),
    })))


def waf_policy(v: View) -> None:
    settings = v.block("policy_settings")
    managed = v.block("managed_rules")
    v.tf.emit(v, v.resource(v.obj({
        "policySettings": settings.obj({
            "state": settings.at("enabled").map(lambda e: "Enabled" if e else "Disabled"),
            "mode": settings.at("mode"),
        }) if settings else None,
        "managedRules": managed.obj({"managedRuleSets": [s.obj({
            "ruleSetType": s.at("type"), "ruleSetVersion": s.at("version")})
            for s in managed.blocks("managed_rule_set")]}) if managed else None,
    })))


def load_balancer(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "frontendIPConfigurations": _frontends(v, v.id),
        "backendAddressPools": [],
        "loadBalancingRules": [],
    }), sku=v.obj({"name": v.at("sku", quiet=True), "tier": v.at("sku_tier", quiet=True)})))


def lb_pool(v: View) -> None:
    """A pool is a part of its load balancer (``loadbalancer_id``)."""
    pool_id = v.id
    if pool_id is None:
        return
    pool = v.obj({"id": Val(pool_id, v.location), "name": v.at("name"),
                  "properties": v.obj({"loadBalancerBackendAddresses": []})})
    append_to(v, v.at("loadbalancer_id").value, "backendAddressPools", pool,
              f"load balancer pool {v.at('name').value}")


def lb_pool_address(v: View) -> None:
    address = v.obj({"name": v.at("name"), "properties": v.obj({"ipAddress": v.at("ip_address")})})
    append_to(v, v.at("backend_address_pool_id").value, "loadBalancerBackendAddresses", address,
              f"load balancer pool address {v.at('name').value}", phase=1)


def _frontend_ref(v: View, lb: str | None) -> dict[str, Any]:
    return v.obj({"id": v.at("frontend_ip_configuration_name").map(
        lambda n: _part(lb, "frontendIPConfigurations", n))})


def lb_rule(v: View) -> None:
    lb = v.at("loadbalancer_id").value
    rule = v.obj({"name": v.at("name"), "properties": v.obj({
        "frontendIPConfiguration": _frontend_ref(v, lb),
        "backendAddressPools": v.refs("backend_address_pool_ids"),
        "protocol": v.at("protocol"),
        "frontendPort": v.at("frontend_port"),
        "backendPort": v.at("backend_port"),
    })})
    append_to(v, lb, "loadBalancingRules", rule, f"load balancer rule {v.at('name').value}")


def lb_nat_rule(v: View) -> None:
    """An inbound NAT rule is a child resource of its load balancer."""
    v.tf.emit(v, v.resource(v.obj({
        "frontendIPConfiguration": _frontend_ref(v, v.at("loadbalancer_id").value),
        "protocol": v.at("protocol"),
        "frontendPort": v.at("frontend_port", quiet=True),
        "backendPort": v.at("backend_port"),
        "frontendPortRangeStart": v.at("frontend_port_start", quiet=True),
        "frontendPortRangeEnd": v.at("frontend_port_end", quiet=True),
        "backendAddressPool": v.ref("backend_address_pool_id", quiet=True),
    })))


def _ip_configurations(v: View) -> list[dict[str, Any]]:
    return [c.obj({"name": c.at("name"), "properties": c.obj({
        "subnet": c.ref("subnet_id"), "publicIPAddress": c.ref("public_ip_address_id")})})
        for c in v.blocks("ip_configuration")]


def bastion(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({"ipConfigurations": _ip_configurations(v)}),
                            sku=v.obj({"name": v.at("sku", quiet=True)})))


def vnet_gateway(v: View) -> None:
    client = v.block("vpn_client_configuration", quiet=True)
    v.tf.emit(v, v.resource(v.obj({
        "gatewayType": v.at("type"),
        "vpnType": v.at("vpn_type", quiet=True),
        "sku": v.obj({"name": v.at("sku", quiet=True), "tier": v.at("sku", quiet=True)}),
        "enableBgp": v.first("enable_bgp", "bgp_enabled"),
        "ipConfigurations": _ip_configurations(v),
        "vpnClientConfiguration": client.obj({"vpnClientAddressPool": client.obj({
            "addressPrefixes": client.at("address_space")})}) if client else None,
    })))


def local_gateway(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "gatewayIpAddress": v.at("gateway_address"),
        "localNetworkAddressSpace": v.obj({"addressPrefixes": v.at("address_space")}),
    })))


def connection(v: View) -> None:
    v.tf.emit(v, v.resource(v.obj({
        "connectionType": v.at("type"),
        "virtualNetworkGateway1": v.ref("virtual_network_gateway_id"),
        "localNetworkGateway2": v.ref("local_network_gateway_id", quiet=True),
        "virtualNetworkGateway2": v.ref("peer_virtual_network_gateway_id", quiet=True),
        "peer": v.ref("express_route_circuit_id", quiet=True),
    })))


KINDS = {
    "azurerm_application_gateway": Kind(GATEWAY, None, application_gateway),
    "azurerm_web_application_firewall_policy": Kind(
        f"{_NET}/ApplicationGatewayWebApplicationFirewallPolicies", None, waf_policy),
    "azurerm_lb": Kind(LOAD_BALANCER, None, load_balancer),
    "azurerm_lb_backend_address_pool": Kind(f"{LOAD_BALANCER}/backendAddressPools",
                                            "loadbalancer_id", lb_pool),
    "azurerm_lb_backend_address_pool_address": Kind("part", None, lb_pool_address),
    "azurerm_lb_rule": Kind(f"{LOAD_BALANCER}/loadBalancingRules", "loadbalancer_id", lb_rule),
    "azurerm_lb_nat_rule": Kind(f"{LOAD_BALANCER}/inboundNatRules", "loadbalancer_id", lb_nat_rule),
    "azurerm_bastion_host": Kind(f"{_NET}/bastionHosts", None, bastion),
    "azurerm_virtual_network_gateway": Kind(f"{_NET}/virtualNetworkGateways", None, vnet_gateway),
    "azurerm_local_network_gateway": Kind(f"{_NET}/localNetworkGateways", None, local_gateway),
    "azurerm_virtual_network_gateway_connection": Kind(f"{_NET}/connections", None, connection),
}
