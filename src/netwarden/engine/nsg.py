"""NSGs as packet sets, exactly as Azure evaluates them: rules by ascending priority, the
first match decides, Azure's default rules last (learn.microsoft.com, "How network
security groups filter network traffic")."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.engine.addresses import AddressSets, TagContext
from netwarden.engine.packets import PacketSet, PacketSpace
from netwarden.model.security import NetworkSecurityGroup, SecurityRule
from netwarden.model.values import Access, Direction, PortRange, Protocol


@dataclass(frozen=True, slots=True)
class Decision:
    """The packets one rule decides (those it matches that no earlier rule matched)."""

    rule: SecurityRule
    packets: PacketSet

    @property
    def allows(self) -> bool:
        return self.rule.access is Access.ALLOW


@dataclass(frozen=True, slots=True)
class CompiledNsg:
    nsg: NetworkSecurityGroup
    direction: Direction
    allowed: PacketSet
    decisions: tuple[Decision, ...]

    def deciding(self, packets: PacketSet, *, allows: bool) -> list[Decision]:
        """The rules that decide some of ``packets`` with the given outcome."""
        return [Decision(d.rule, shared) for d in self.decisions
                if d.allows is allows and (shared := d.packets & packets)]


def ports(space: PacketSpace, field: str, ranges: tuple[PortRange, ...]) -> PacketSet:
    """A rule's port condition. '*' matches every packet; a specific range matches only
    protocols that carry ports (an ICMP packet never matches "port 22")."""
    if any(r.is_any for r in ranges):
        return space.all()
    node = space.raw_ranges(field, [(r.lo, r.hi) for r in ranges])  # type: ignore[arg-type]
    return space.ports_apply() & space.wrap(node)


def protocol(space: PacketSpace, value: Protocol) -> PacketSet:
    return space.all() if value is Protocol.ANY else space.protocol(value.value)


def rule_match(rule: SecurityRule, addresses: AddressSets, ctx: TagContext) -> PacketSet:
    space = addresses.space
    match = protocol(space, rule.protocol)
    match &= addresses.on("src", addresses.ranges(_side(rule.sources, rule.source_asg_ids),
                                                  rule.source_asg_ids, ctx))
    match &= addresses.on("dst", addresses.ranges(_side(rule.destinations, rule.destination_asg_ids),
                                                  rule.destination_asg_ids, ctx))
    match &= ports(space, "src_port", rule.source_ports)
    match &= ports(space, "dst_port", rule.destination_ports)
    return match


def _side(addresses: tuple, asg_ids: tuple[str, ...]) -> tuple:
    """A rule side that names ASGs selects by ASG alone: its prefix (the model's default
    '*') does not widen it."""
    return () if asg_ids else addresses


def compile_nsg(nsg: NetworkSecurityGroup, direction: Direction, addresses: AddressSets,
                ctx: TagContext) -> CompiledNsg:
    space = addresses.space
    remaining = space.all()
    allowed = space.none()
    decisions: list[Decision] = []
    for rule in nsg.effective_rules(direction):
        decided = rule_match(rule, addresses, ctx) & remaining
        if not decided:
            continue
        decisions.append(Decision(rule, decided))
        if rule.access is Access.ALLOW:
            allowed |= decided
        remaining -= decided
        if not remaining:
            break
    return CompiledNsg(nsg, direction, allowed, tuple(decisions))
