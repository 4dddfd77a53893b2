"""Builders for NSGs (with their rules) and ASGs."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.model.base import Resource
from netwarden.model.security import ApplicationSecurityGroup, NetworkSecurityGroup, SecurityRule
from netwarden.model.values import ANY_PORT


def nsg(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    rules = tuple(_rule(child, raw.id) for child in ctx.children(raw, "securityRules"))
    seen: dict[tuple[object, int], SecurityRule] = {}
    for rule in rules:
        clash = seen.get((rule.direction, rule.priority))
        if clash is not None:
            ctx.warn(rule.source, "duplicate-priority",
                     f"rules {clash.name} and {rule.name} of {raw.name} share priority "
                     f"{rule.priority} ({rule.direction.value}); Azure rejects this")
        seen[(rule.direction, rule.priority)] = rule
    yield NetworkSecurityGroup(**common(raw), rules=rules)


def _rule(raw: RawResource, nsg_id: str) -> SecurityRule:
    p = props(raw)
    source_asgs = p.get("sourceApplicationSecurityGroups").refs()
    destination_asgs = p.get("destinationApplicationSecurityGroups").refs()
    sources = fields.addresses(p.get("sourceAddressPrefix"), p.get("sourceAddressPrefixes"))
    destinations = fields.addresses(p.get("destinationAddressPrefix"),
                                    p.get("destinationAddressPrefixes"))
    if not sources and not source_asgs:
        raise p.get("sourceAddressPrefix").error("is required: no source prefix or ASG given")
    if not destinations and not destination_asgs:
        raise p.get("destinationAddressPrefix").error(
            "is required: no destination prefix or ASG given")
    source_ports = fields.port_ranges(p.get("sourcePortRange"), p.get("sourcePortRanges"))
    destination_ports = fields.port_ranges(p.get("destinationPortRange"),
                                           p.get("destinationPortRanges"))
    if not destination_ports:
        raise p.get("destinationPortRange").error("is required: no destination port given")
    return SecurityRule(
        **common(raw),
        nsg_id=nsg_id,
        # Azure: user rules take priorities 100-4096 (default rules use 65000+).
        priority=fields.priority(p.get("priority"), 100, 4096),
        direction=fields.direction(p.get("direction")),
        access=fields.access(p.get("access")),
        protocol=fields.protocol(p.get("protocol")),
        sources=sources,
        source_ports=source_ports or (ANY_PORT,),   # Azure: an absent source port means any
        destinations=destinations,
        destination_ports=destination_ports,
        source_asg_ids=source_asgs,
        destination_asg_ids=destination_asgs,
        description=p.get("description").str() or "",
    )


def asg(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    yield ApplicationSecurityGroup(**common(raw))


BUILDERS = {
    "microsoft.network/networksecuritygroups": nsg,
    "microsoft.network/applicationsecuritygroups": asg,
}
CONSUMED_CHILDREN = {
    "microsoft.network/networksecuritygroups/securityrules",
    "microsoft.network/networksecuritygroups/defaultsecurityrules",
}
