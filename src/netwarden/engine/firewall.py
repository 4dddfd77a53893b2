"""Azure Firewall as packet sets (learn.microsoft.com, "Azure Firewall rule processing
logic"): DNAT rules, then network rules, then application rules, whatever the priorities
of their groups; within a kind, rule collection groups by priority, then collections by
priority, first match; a parent policy's rules before the child's; anything unmatched is
denied. Application rules are layer 7 (FQDNs, URLs): the engine cannot map them to
addresses, so the packets they admit are reported as *conditional* on the FQDNs listed,
never as reaching any destination.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from netwarden.engine.addresses import AddressSets
from netwarden.engine.nsg import protocol as protocol_set
from netwarden.engine.packets import TCP, Field, PacketSet, PacketSpace
from netwarden.model.edge import (
    CollectionAction,
    Firewall,
    FirewallPolicy,
    FirewallRule,
    IpGroup,
    RuleCollection,
    RuleCollectionGroup,
)
from netwarden.model.estate import Estate
from netwarden.model.values import ANY_ADDRESS, Protocol


@dataclass(frozen=True, slots=True)
class FirewallDecision:
    collection: str
    rule: str
    action: CollectionAction
    packets: PacketSet
    rule_obj: FirewallRule

    @property
    def label(self) -> str:
        return f"{self.collection}/{self.rule}"


@dataclass(frozen=True, slots=True)
class CompiledFirewall:
    firewall: Firewall
    nat: tuple[FirewallDecision, ...]          # DNAT rules, in order
    network: tuple[FirewallDecision, ...]      # decisions of network rules (allow and deny)
    application: tuple[FirewallDecision, ...]  # layer-7 matches, after network rules
    allowed: PacketSet                         # admitted by network rules
    denied: PacketSet                          # everything not admitted (incl. layer 7)
    network_denied: PacketSet                  # decided by a network Deny rule
    layer7: PacketSet                          # decided by an application rule
    unmatched: PacketSet                       # decided by no rule: the default deny
    _blocks: dict[str, list[tuple[PacketSet, tuple[FirewallDecision, ...]]]] = field(
        default_factory=dict, compare=False, repr=False)

    def meeting(self, kind: str, packets: PacketSet) -> list[FirewallDecision]:
        """The decisions of ``kind`` ("network" or "application") that decide some of
        ``packets``, in order. Decisions are grouped in blocks of 32 whose unions are
        computed once, so a walk through a 2,000-rule policy intersects about sixty unions
        and then the rules of the blocks it meets, not every rule."""
        blocks = self._blocks.get(kind)
        if blocks is None:
            decisions: tuple[FirewallDecision, ...] = getattr(self, kind)
            space = self.allowed.space
            blocks = self._blocks[kind] = [
                (space.union(d.packets for d in decisions[i:i + 32]), decisions[i:i + 32])
                for i in range(0, len(decisions), 32)]
        return [d for union, block in blocks if union & packets
                for d in block if d.packets & packets]


class FirewallCompiler:
    def __init__(self, estate: Estate, addresses: AddressSets) -> None:
        self.estate = estate
        self.addresses = addresses
        self.space = addresses.space
        self._cache: dict[str, CompiledFirewall] = {}
        self._asked: dict[str, int] = {}
        self._sides: dict[int, tuple[FirewallRule, Ranges, Ranges]] = {}

    def collections(self, firewall: Firewall) -> list[RuleCollection]:
        """Every collection in processing order (parent policy first)."""
        if firewall.policy_id is None:
            return [*sorted(firewall.nat_collections, key=lambda c: c.priority),
                    *sorted(firewall.network_collections, key=lambda c: c.priority),
                    *sorted(firewall.application_collections, key=lambda c: c.priority)]
        found: list[RuleCollection] = []
        for policy in self._policy_chain(firewall.policy_id):
            groups = [g for g_id in policy.rule_collection_group_ids
                      if (g := self.estate.get(g_id, RuleCollectionGroup)) is not None]
            for group in sorted(groups, key=lambda g: g.priority):
                found.extend(sorted(group.collections, key=lambda c: c.priority))
        return found

    def _policy_chain(self, policy_id: str) -> list[FirewallPolicy]:
        chain: list[FirewallPolicy] = []
        current = self.estate.get(policy_id, FirewallPolicy)
        while current is not None and current not in chain:
            chain.insert(0, current)
            current = self.estate.get(current.base_policy_id, FirewallPolicy)
        return chain

    def compile(self, firewall: Firewall) -> CompiledFirewall:
        """The firewall's decisions over every packet (compiled once, then cached)."""
        cached = self._cache.get(firewall.id.lower())
        if cached is None:
            cached = self._cache[firewall.id.lower()] = self._compile(firewall, None)
        return cached

    def compile_for(self, firewall: Firewall, packets: PacketSet) -> CompiledFirewall:
        """The firewall's decisions over ``packets`` (what a walk brings to it). The first
        few walks through a firewall evaluate only the rules whose addresses can match
        their packets — one query through a 2,000-rule policy builds a handful of rules'
        packet sets; once walks keep coming (a matrix, a scan), the whole firewall is
        compiled once and shared. Exact either way: a rule whose source or destination
        ranges miss the packets' bounds cannot match any of them."""
        k = firewall.id.lower()
        cached = self._cache.get(k)
        if cached is not None:
            return cached
        self._asked[k] = asked = self._asked.get(k, 0) + 1
        if asked > _QUERIES_BEFORE_COMPILING:
            return self.compile(firewall)
        return self._compile(firewall, packets)

    def _compile(self, firewall: Firewall, within: PacketSet | None) -> CompiledFirewall:
        space = self.space
        nat: list[FirewallDecision] = []
        network: list[FirewallDecision] = []
        application: list[FirewallDecision] = []
        remaining = space.all() if within is None else within
        allowed = space.none()
        collections = self.collections(firewall)
        bounds = None if within is None else (_bounds(within, "src"), _bounds(within, "dst"))

        def rules(kind: str) -> Iterator[tuple[RuleCollection, FirewallRule]]:
            for collection in collections:
                for rule in collection.rules:
                    if rule.kind.value == kind and (bounds is None or self._may_match(rule, bounds)):
                        yield collection, rule

        for collection, rule in rules("Nat"):
            nat.append(FirewallDecision(collection.name, rule.name, collection.action,
                                        self.match(rule), rule))
        for collection, rule in rules("Network"):
            decided = self.match(rule) & remaining
            if decided:
                network.append(FirewallDecision(collection.name, rule.name, collection.action,
                                                decided, rule))
                if collection.action is CollectionAction.ALLOW:
                    allowed |= decided
                remaining -= decided
        for collection, rule in rules("Application"):
            decided = self.match(rule) & remaining
            if decided:
                application.append(FirewallDecision(collection.name, rule.name,
                                                    collection.action, decided, rule))
                remaining -= decided
        network_denied = space.union(d.packets for d in network
                                     if d.action is not CollectionAction.ALLOW)
        layer7 = space.union(d.packets for d in application)
        universe = space.all() if within is None else within
        return CompiledFirewall(firewall, tuple(nat), tuple(network), tuple(application),
                                allowed, universe - allowed, network_denied, layer7, remaining)

    def _may_match(self, rule: FirewallRule, bounds: tuple[tuple[int, int] | None, ...]) -> bool:
        """Whether the rule's source and destination ranges meet the packets' bounds."""
        sides = self._sides.get(id(rule))
        if sides is None or sides[0] is not rule:
            sources, destinations = self._addresses(rule)
            sides = self._sides[id(rule)] = (rule, sources, destinations)
        return all(_meets(ranges, bound) for ranges, bound in zip(sides[1:], bounds))

    def _ip_groups(self, group_ids: tuple[str, ...]) -> list[tuple[int, int]]:
        return [(p.first, p.last) for g_id in group_ids
                if (g := self.estate.get(g_id, IpGroup)) is not None for p in g.prefixes]

    def _addresses(self, rule: FirewallRule) -> tuple[Ranges, Ranges]:
        """A rule's source and destination ranges (None: any address). An application
        rule's destination is an FQDN, any address here; a network rule naming only FQDNs
        resolves through DNS, which is not decidable offline: it matches nothing."""
        a = self.addresses
        sources = a.ranges(rule.sources, (), None) if rule.sources else []
        if sources is not None:
            sources = sources + self._ip_groups(rule.source_ip_group_ids)
        if rule.kind.value == "Application":
            return sources, None
        if rule.destination_fqdns and not rule.destinations and not rule.destination_ip_group_ids:
            return sources, []
        destinations = a.ranges(rule.destinations or (ANY_ADDRESS,), (), None)
        if destinations is not None and (rule.destinations or rule.destination_ip_group_ids):
            destinations = destinations + self._ip_groups(rule.destination_ip_group_ids)
        return sources, destinations

    def match(self, rule: FirewallRule) -> PacketSet:
        a, space = self.addresses, self.addresses.space
        sources, destinations = self._addresses(rule)
        match = a.on("src", sources)
        if rule.kind.value == "Application":
            # layer 7: TCP to the application protocols' ports; the FQDN is not an address
            ports = [(p.port, p.port) for p in rule.app_protocols] or [(80, 80), (443, 443)]
            return match & space.protocol(TCP) & space.wrap(space.raw_ranges("dst_port", ports))
        if destinations == []:
            return space.none()
        match &= a.on("dst", destinations)
        protocols = space.none()
        for value in rule.protocols or (Protocol.ANY,):
            protocols |= protocol_set(space, value)
        match &= protocols
        ranges = rule.destination_ports
        if ranges and not any(r.is_any for r in ranges):
            match &= space.ports_apply() & space.wrap(
                space.raw_ranges("dst_port", [(r.lo, r.hi) for r in ranges]))
        return match


Ranges = list[tuple[int, int]] | None

# Walks through one firewall before it is compiled whole: a reach or trace asks a few times
# (one walk per source holder and NAT entry); a matrix or scan asks thousands of times.
_QUERIES_BEFORE_COMPILING = 4


def _meets(ranges: Ranges, bound: tuple[int, int] | None) -> bool:
    if ranges is None:
        return True
    if bound is None:
        return False
    lo, hi = bound
    return any(a <= hi and lo <= b for a, b in ranges)


def _bounds(packets: PacketSet, field: Field) -> tuple[int, int] | None:
    """The lowest and highest value of ``field`` among ``packets`` (None when empty): two
    descents of the BDD of the field's projection."""
    space, bdd = packets.space, packets.space.bdd
    others = [f for f in space.dims if f != field]
    u = bdd.exist(space.vars_of(*others), packets.node)  # type: ignore[arg-type]
    if u == bdd.false:
        return None
    return _extreme(space, field, u, high=False), _extreme(space, field, u, high=True)


def _extreme(space: PacketSpace, field: Field, u: Any, *, high: bool) -> int:
    false, value = space.bdd.false, 0
    for name in space.dims[field].names:          # most significant bit first
        value <<= 1
        if u.var != name:                          # not tested: either value will do
            value |= high
            continue
        lo, hi = (~u.low, ~u.high) if u.negated else (u.low, u.high)
        first, second = (hi, lo) if high else (lo, hi)
        if first != false:
            u, value = first, value | high
        else:
            u, value = second, value | (not high)
    return value
