"""Builders for Application Gateway, WAF policies, load balancers, Bastion, and gateways."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.ingest.node import Node
from netwarden.model.base import Resource
from netwarden.model.edge import (
    ApplicationGateway,
    BackendPool,
    BastionHost,
    Connection,
    Frontend,
    InboundNatRule,
    Listener,
    LoadBalancer,
    LoadBalancingRule,
    LocalNetworkGateway,
    VirtualNetworkGateway,
    WafPolicy,
)
from netwarden.model.values import PortRange


def _part_id(node: Node, owner: str, segment: str) -> str:
    return node.get("id").str() or f"{owner}/{segment}/{node.get('name').str() or 'default'}"


def _frontends(p: Node, owner: str) -> tuple[Frontend, ...]:
    found = []
    for item in p.get("frontendIPConfigurations").items():
        ip = item.get("properties")
        private = ip.get("privateIPAddress")
        found.append(Frontend(
            id=_part_id(item, owner, "frontendIPConfigurations"),
            name=item.get("name").str() or "",
            public_ip_id=ip.get("publicIPAddress").ref(),
            private_ip=fields.prefix(private) if private.value else None,
            subnet_id=ip.get("subnet").ref(),
        ))
    return tuple(found)


def _pools(p: Node, owner: str) -> tuple[BackendPool, ...]:
    found = []
    for item in p.get("backendAddressPools").items():
        bp = item.get("properties")
        # {"ipAddress": ...} or {"fqdn": ...}; the official example writes bare strings
        addresses = [a for entry in bp.get("backendAddresses").items()
                     if (a := entry.str() if isinstance(entry.value, str)
                         else entry.get("ipAddress").str() or entry.get("fqdn").str())]
        addresses += [a for entry in bp.get("loadBalancerBackendAddresses").items()
                      if (a := entry.path("properties", "ipAddress").str())]
        found.append(BackendPool(
            id=_part_id(item, owner, "backendAddressPools"),
            name=item.get("name").str() or "",
            ip_configuration_ids=bp.get("backendIPConfigurations").refs(),
            addresses=tuple(addresses),
        ))
    return tuple(found)


def application_gateway(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    ports = {(_part_id(port, raw.id, "frontendPorts")).lower(): fields.port(port.path("properties", "port"))
             for port in p.get("frontendPorts").items()}
    listeners = []
    for item in p.get("httpListeners").items():
        lp = item.get("properties")
        port_ref = lp.get("frontendPort").ref() or ""
        listeners.append(Listener(
            name=item.get("name").str() or "",
            frontend_id=lp.get("frontendIPConfiguration").ref(),
            port=ports.get(port_ref.lower(), 0),
            protocol=lp.get("protocol").str() or "Http",
        ))
    waf = p.get("webApplicationFirewallConfiguration")
    gateway_configs = list(p.get("gatewayIPConfigurations").items())
    yield ApplicationGateway(
        **common(raw),
        tier=p.path("sku", "tier").str(),
        subnet_id=gateway_configs[0].path("properties", "subnet").ref() if gateway_configs else None,
        frontends=_frontends(p, raw.id),
        listeners=tuple(listeners),
        backend_pools=_pools(p, raw.id),
        backend_ports=tuple(dict.fromkeys(
            fields.port(s.path("properties", "port"))
            for s in p.get("backendHttpSettingsCollection").items()
            if s.path("properties", "port").value is not None)),
        waf_enabled=waf.get("enabled").bool(False) if not waf.missing else None,
        waf_mode=waf.get("firewallMode").str() if not waf.missing else None,
        waf_policy_id=p.get("firewallPolicy").ref(),
    )


def waf_policy(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    settings = p.get("policySettings")
    yield WafPolicy(
        **common(raw),
        enabled=(settings.get("state").str() or "Enabled").lower() == "enabled",
        mode=settings.get("mode").str() or "Detection",
        managed_rule_sets=tuple(
            f"{s.get('ruleSetType').str()}_{s.get('ruleSetVersion').str()}"
            for s in p.path("managedRules", "managedRuleSets").items()),
    )


def load_balancer(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    rules = []
    for item in p.get("loadBalancingRules").items():
        rp = item.get("properties")
        pools = list(rp.get("backendAddressPools").refs())
        if single := rp.get("backendAddressPool").ref():
            pools.insert(0, single)
        rules.append(LoadBalancingRule(
            name=item.get("name").str() or "",
            frontend_id=rp.get("frontendIPConfiguration").ref(),
            backend_pool_ids=tuple(dict.fromkeys(pools)),
            protocol=fields.lb_protocol(rp.get("protocol")),
            frontend_port=fields.port(rp.get("frontendPort")),
            backend_port=fields.port(rp.get("backendPort")),
        ))
    nat_rules = []
    for child in ctx.children(raw, "inboundNatRules"):
        np = props(child)
        start, end = np.get("frontendPortRangeStart"), np.get("frontendPortRangeEnd")
        port_range = None
        if start.value is not None and end.value is not None:
            port_range = PortRange(fields.port(start), fields.port(end))
            if port_range.lo > port_range.hi:
                raise end.error(f"{port_range.hi} is below frontendPortRangeStart {port_range.lo}")
        frontend_port = np.get("frontendPort")
        nat_rules.append(InboundNatRule(
            id=child.id,
            name=child.name,
            frontend_id=np.get("frontendIPConfiguration").ref(),
            protocol=fields.lb_protocol(np.get("protocol")),
            frontend_port=fields.port(frontend_port) if frontend_port.value is not None else 0,
            backend_port=fields.port(np.get("backendPort")),
            frontend_port_range=port_range,
            backend_ip_configuration_id=np.get("backendIPConfiguration").ref(),
            backend_pool_id=np.get("backendAddressPool").ref(),
        ))
    yield LoadBalancer(
        **common(raw),
        sku=raw.node.path("sku", "name").str() or "Basic",
        frontends=_frontends(p, raw.id),
        backend_pools=_pools(p, raw.id),
        rules=tuple(rules),
        nat_rules=tuple(nat_rules),
    )


def _first_config(p: Node) -> Node:
    configs = list(p.get("ipConfigurations").items())
    return configs[0].get("properties") if configs else Node(None, p.location)


def bastion(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    config = _first_config(props(raw))
    yield BastionHost(
        **common(raw),
        subnet_id=config.get("subnet").ref(),
        public_ip_id=config.get("publicIPAddress").ref(),
        sku=raw.node.path("sku", "name").str(),
    )


def vnet_gateway(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    configs = [c.get("properties") for c in p.get("ipConfigurations").items()]
    yield VirtualNetworkGateway(
        **common(raw),
        gateway_type=p.get("gatewayType").str() or "Vpn",
        subnet_id=next((s for c in configs if (s := c.get("subnet").ref())), None),
        public_ip_ids=tuple(s for c in configs if (s := c.get("publicIPAddress").ref())),
        vpn_client_prefixes=fields.prefixes(
            p.path("vpnClientConfiguration", "vpnClientAddressPool", "addressPrefixes")),
        bgp_enabled=p.get("enableBgp").bool(False),
    )


def local_gateway(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    yield LocalNetworkGateway(
        **common(raw),
        address_space=fields.prefixes(p.path("localNetworkAddressSpace", "addressPrefixes")),
        gateway_address=p.get("gatewayIpAddress").str(),
    )


def connection(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    yield Connection(
        **common(raw),
        gateway_id=p.get("virtualNetworkGateway1").ref(),
        local_gateway_id=p.get("localNetworkGateway2").ref(),
        peer_id=p.get("peer").ref(),
        connection_type=p.get("connectionType").str(),
    )


BUILDERS = {
    "microsoft.network/applicationgateways": application_gateway,
    "microsoft.network/applicationgatewaywebapplicationfirewallpolicies": waf_policy,
    "microsoft.network/loadbalancers": load_balancer,
    "microsoft.network/bastionhosts": bastion,
    "microsoft.network/virtualnetworkgateways": vnet_gateway,
    "microsoft.network/localnetworkgateways": local_gateway,
    "microsoft.network/connections": connection,
}
CONSUMED_CHILDREN = {"microsoft.network/loadbalancers/inboundnatrules"}
