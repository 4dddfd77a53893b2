"""NSGs as packet sets, exactly as Azure evaluates them: rules by ascending priority, the
first match decides, Azure's default rules last (learn.microsoft.com, "How network
security groups filter network traffic")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    return PacketSet(space, _ports_node(space, field, ranges) & space.valid)


def _ports_node(space: PacketSpace, field: str, ranges: tuple[PortRange, ...]) -> Any:
    if any(r.is_any for r in ranges):
        return space.bdd.true
    return space.port_protocols & space.raw_ranges(field, [(r.lo, r.hi) for r in ranges])  # type: ignore[arg-type]


def protocol(space: PacketSpace, value: Protocol) -> PacketSet:
    return space.all() if value is Protocol.ANY else space.protocol(value.value)


def rule_match(rule: SecurityRule, addresses: AddressSets, ctx: TagContext) -> PacketSet:
    """The packets a rule matches, built on raw BDD nodes (one wrap into the valid universe
    at the end; address sets shared between rules come from a cache)."""
    space = addresses.space
    node = space.bdd.true if rule.protocol is Protocol.ANY else \
        space.raw_range("protocol", rule.protocol.value, rule.protocol.value)
    node &= addresses.raw("src", addresses.ranges(_side(rule.sources, rule.source_asg_ids),
                                                  rule.source_asg_ids, ctx))
    node &= addresses.raw("dst", addresses.ranges(_side(rule.destinations, rule.destination_asg_ids),
                                                  rule.destination_asg_ids, ctx))
    node &= _ports_node(space, "src_port", rule.source_ports)
    node &= _ports_node(space, "dst_port", rule.destination_ports)
    return PacketSet(space, node & space.valid)


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
