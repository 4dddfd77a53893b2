"""Azure Firewall and its policies, Application Gateway and WAF, load balancers,
Bastion, and the gateways to on-premises."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from netwarden.model.base import Resource
from netwarden.model.values import Address, PortRange, Prefix, Protocol


class FirewallRuleKind(enum.Enum):
    NAT = "Nat"
    NETWORK = "Network"
    APPLICATION = "Application"


@dataclass(frozen=True, slots=True, kw_only=True)
class AppProtocol:
    """An application rule's protocol and port (Http:80, Https:443, Mssql:1433)."""

    name: str
    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewallRule:
    name: str
    kind: FirewallRuleKind
    sources: tuple[Address, ...] = ()
    source_ip_group_ids: tuple[str, ...] = ()
    destinations: tuple[Address, ...] = ()
    destination_ip_group_ids: tuple[str, ...] = ()
    destination_fqdns: tuple[str, ...] = ()
    protocols: tuple[Protocol, ...] = ()
    destination_ports: tuple[PortRange, ...] = ()
    # DNAT
    translated_address: Prefix | None = None
    translated_fqdn: str | None = None
    translated_port: int | None = None
    # application rules (layer 7)
    app_protocols: tuple[AppProtocol, ...] = ()
    target_fqdns: tuple[str, ...] = ()
    fqdn_tags: tuple[str, ...] = ()
    web_categories: tuple[str, ...] = ()


class CollectionAction(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    DNAT = "Dnat"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCollection:
    name: str
    priority: int
    action: CollectionAction
    rules: tuple[FirewallRule, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCollectionGroup(Resource):
    policy_id: str
    priority: int
    collections: tuple[RuleCollection, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewallPolicy(Resource):
    base_policy_id: str | None = None
    rule_collection_group_ids: tuple[str, ...] = ()
    threat_intel_mode: str | None = None
    tier: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FirewallIpConfiguration:
    name: str
    private_ip: Prefix | None
    subnet_id: str | None
    public_ip_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Firewall(Resource):
    tier: str | None = None
    ip_configurations: tuple[FirewallIpConfiguration, ...] = ()
    policy_id: str | None = None
    threat_intel_mode: str | None = None
    # classic rules (no policy)
    nat_collections: tuple[RuleCollection, ...] = ()
    network_collections: tuple[RuleCollection, ...] = ()
    application_collections: tuple[RuleCollection, ...] = ()
    virtual_hub_id: str | None = None
    hub_private_ip: Prefix | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IpGroup(Resource):
    prefixes: tuple[Prefix, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Frontend:
    id: str
    name: str
    public_ip_id: str | None = None
    private_ip: Prefix | None = None
    subnet_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BackendPool:
    id: str
    name: str
    ip_configuration_ids: tuple[str, ...] = ()   # NIC ipConfigurations in the pool
    addresses: tuple[str, ...] = ()              # IPs or FQDNs given directly


@dataclass(frozen=True, slots=True, kw_only=True)
class Listener:
    name: str
    frontend_id: str | None
    port: int
    protocol: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationGateway(Resource):
    tier: str | None = None                      # Standard, WAF, Standard_v2, WAF_v2
    subnet_id: str | None = None
    frontends: tuple[Frontend, ...] = ()
    listeners: tuple[Listener, ...] = ()
    backend_pools: tuple[BackendPool, ...] = ()
    backend_ports: tuple[int, ...] = ()          # ports of the backend HTTP settings
    waf_enabled: bool | None = None              # inline webApplicationFirewallConfiguration
    waf_mode: str | None = None
    waf_policy_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WafPolicy(Resource):
    enabled: bool = True
    mode: str = "Detection"                      # Detection or Prevention
    managed_rule_sets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadBalancingRule:
    name: str
    frontend_id: str | None
    backend_pool_ids: tuple[str, ...]
    protocol: Protocol                           # Tcp, Udp, or ANY ("All")
    frontend_port: int                           # 0 with protocol All: HA ports
    backend_port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundNatRule:
    id: str
    name: str
    frontend_id: str | None
    protocol: Protocol
    frontend_port: int
    backend_port: int
    frontend_port_range: PortRange | None = None  # NAT rule v2 (pool-based)
    backend_ip_configuration_id: str | None = None
    backend_pool_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadBalancer(Resource):
    sku: str = "Basic"
    frontends: tuple[Frontend, ...] = ()
    backend_pools: tuple[BackendPool, ...] = ()
    rules: tuple[LoadBalancingRule, ...] = ()
    nat_rules: tuple[InboundNatRule, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class BastionHost(Resource):
    subnet_id: str | None = None
    public_ip_id: str | None = None
    sku: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualNetworkGateway(Resource):
    gateway_type: str = "Vpn"                    # Vpn or ExpressRoute
    subnet_id: str | None = None
    public_ip_ids: tuple[str, ...] = ()
    vpn_client_prefixes: tuple[Prefix, ...] = ()
    bgp_enabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalNetworkGateway(Resource):
    """An on-premises site: its address space is what the VPN gateway learns."""

    address_space: tuple[Prefix, ...] = ()
    gateway_address: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection(Resource):
    gateway_id: str | None = None
    local_gateway_id: str | None = None
    peer_id: str | None = None                   # ExpressRoute circuit
    connection_type: str | None = None
