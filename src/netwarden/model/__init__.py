"""The estate model: typed, immutable descriptions of Azure network resources. No I/O."""

from __future__ import annotations

from netwarden.model.base import Resource
from netwarden.model.cluster import AksCluster
from netwarden.model.compute import (
    IpConfiguration,
    NetworkInterface,
    PublicIp,
    PublicIpSku,
    VirtualMachine,
)
from netwarden.model.edge import (
    AppProtocol,
    ApplicationGateway,
    BackendPool,
    BastionHost,
    CollectionAction,
    Connection,
    Firewall,
    FirewallIpConfiguration,
    FirewallPolicy,
    FirewallRule,
    FirewallRuleKind,
    Frontend,
    InboundNatRule,
    IpGroup,
    Listener,
    LoadBalancer,
    LoadBalancingRule,
    LocalNetworkGateway,
    RuleCollection,
    RuleCollectionGroup,
    VirtualNetworkGateway,
    WafPolicy,
)
from netwarden.model.estate import Diagnostic, Estate, Level
from netwarden.model.monitoring import FlowLog
from netwarden.model.network import (
    NatGateway,
    NextHop,
    Peering,
    Route,
    RouteTable,
    Subnet,
    VirtualNetwork,
)
from netwarden.model.paas import PaasKind, PaasService, PrivateEndpoint
from netwarden.model.security import (
    ApplicationSecurityGroup,
    NetworkSecurityGroup,
    SecurityRule,
    default_rules,
)
from netwarden.model.values import (
    ANY_ADDRESS,
    ANY_PORT,
    Access,
    Address,
    AnyAddress,
    Direction,
    Location,
    PortRange,
    Prefix,
    Protocol,
    ServiceTag,
)

__all__ = [name for name in dir() if not name.startswith("_") and name != "annotations"]
