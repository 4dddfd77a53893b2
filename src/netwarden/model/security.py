"""Network security groups, their rules, and application security groups."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.model.base import Resource
from netwarden.model.values import (
    ANY_ADDRESS,
    ANY_PORT,
    Access,
    Address,
    Direction,
    PortRange,
    Protocol,
    ServiceTag,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityRule(Resource):
    """One NSG rule. Augmented rules hold several prefixes / ranges; an empty
    ``sources`` with ``source_asgs`` set means the rule selects by ASG."""

    nsg_id: str
    priority: int
    direction: Direction
    access: Access
    protocol: Protocol
    sources: tuple[Address, ...] = (ANY_ADDRESS,)
    source_ports: tuple[PortRange, ...] = (ANY_PORT,)
    destinations: tuple[Address, ...] = (ANY_ADDRESS,)
    destination_ports: tuple[PortRange, ...] = (ANY_PORT,)
    source_asg_ids: tuple[str, ...] = ()
    destination_asg_ids: tuple[str, ...] = ()
    is_default: bool = False
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSecurityGroup(Resource):
    rules: tuple[SecurityRule, ...] = ()

    def effective_rules(self, direction: Direction) -> tuple[SecurityRule, ...]:
        """User rules then Azure's default rules, in evaluation order (priority ascending)."""
        own = sorted((r for r in self.rules if r.direction is direction), key=lambda r: r.priority)
        return (*own, *default_rules(self.id, direction))


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationSecurityGroup(Resource):
    pass


def _default(nsg_id: str, name: str, priority: int, direction: Direction, access: Access,
             source: Address, destination: Address) -> SecurityRule:
    return SecurityRule(
        id=f"{nsg_id}/defaultSecurityRules/{name}",
        name=name,
        type="Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
        nsg_id=nsg_id,
        priority=priority,
        direction=direction,
        access=access,
        protocol=Protocol.ANY,
        sources=(source,),
        destinations=(destination,),
        is_default=True,
    )


VNET = ServiceTag("VirtualNetwork")


def default_rules(nsg_id: str, direction: Direction) -> tuple[SecurityRule, ...]:
    """Azure's six default rules (learn.microsoft.com, "Network security groups: default
    security rules"); they cannot be removed, only overridden by lower priorities."""
    allow, deny = Access.ALLOW, Access.DENY
    if direction is Direction.INBOUND:
        return (
            _default(nsg_id, "AllowVnetInBound", 65000, direction, allow, VNET, VNET),
            _default(nsg_id, "AllowAzureLoadBalancerInBound", 65001, direction, allow,
                     ServiceTag("AzureLoadBalancer"), ANY_ADDRESS),
            _default(nsg_id, "DenyAllInBound", 65500, direction, deny, ANY_ADDRESS, ANY_ADDRESS),
        )
    return (
        _default(nsg_id, "AllowVnetOutBound", 65000, direction, allow, VNET, VNET),
        _default(nsg_id, "AllowInternetOutBound", 65001, direction, allow, ANY_ADDRESS,
                 ServiceTag("Internet")),
        _default(nsg_id, "DenyAllOutBound", 65500, direction, deny, ANY_ADDRESS, ANY_ADDRESS),
    )
