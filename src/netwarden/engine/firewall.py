"""Azure Firewall as packet sets (learn.microsoft.com, "Azure Firewall rule processing
logic"): DNAT rules, then network rules, then application rules, whatever the priorities
of their groups; within a kind, rule collection groups by priority, then collections by
priority, first match; a parent policy's rules before the child's; anything unmatched is
denied. Application rules are layer 7 (FQDNs, URLs): the engine cannot map them to
addresses, so the packets they admit are reported as *conditional* on the FQDNs listed,
never as reaching any destination.
"""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.engine.addresses import AddressSets
from netwarden.engine.nsg import protocol as protocol_set
from netwarden.engine.packets import TCP, PacketSet
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


class FirewallCompiler:
    def __init__(self, estate: Estate, addresses: AddressSets) -> None:
        self.estate = estate
        self.addresses = addresses
        self._cache: dict[str, CompiledFirewall] = {}

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
        cached = self._cache.get(firewall.id.lower())
        if cached is not None:
            return cached
        space = self.addresses.space
        nat: list[FirewallDecision] = []
        network: list[FirewallDecision] = []
        application: list[FirewallDecision] = []
        remaining = space.all()
        allowed = space.none()
        collections = self.collections(firewall)
        for collection in collections:
            for rule in collection.rules:
                if rule.kind.value == "Nat":
                    nat.append(FirewallDecision(collection.name, rule.name, collection.action,
                                                self.match(rule), rule))
        for collection in collections:
            for rule in collection.rules:
                if rule.kind.value != "Network":
                    continue
                decided = self.match(rule) & remaining
                if decided:
                    network.append(FirewallDecision(collection.name, rule.name, collection.action,
                                                    decided, rule))
                    if collection.action is CollectionAction.ALLOW:
                        allowed |= decided
                    remaining -= decided
        for collection in collections:
            for rule in collection.rules:
                if rule.kind.value != "Application":
                    continue
                decided = self.match(rule) & remaining
                if decided:
                    application.append(FirewallDecision(collection.name, rule.name,
                                                        collection.action, decided, rule))
                    remaining -= decided
        network_denied = space.union(d.packets for d in network
                                     if d.action is not CollectionAction.ALLOW)
        layer7 = space.union(d.packets for d in application)
        compiled = CompiledFirewall(firewall, tuple(nat), tuple(network), tuple(application),
                                    allowed, space.all() - allowed, network_denied, layer7,
                                    remaining)
        self._cache[firewall.id.lower()] = compiled
        return compiled

    def _ip_groups(self, group_ids: tuple[str, ...]) -> list[tuple[int, int]]:
        return [(p.first, p.last) for g_id in group_ids
                if (g := self.estate.get(g_id, IpGroup)) is not None for p in g.prefixes]

    def match(self, rule: FirewallRule) -> PacketSet:
        a, space = self.addresses, self.addresses.space
        sources = a.ranges(rule.sources, (), None) if rule.sources else []
        if sources is not None:
            sources = sources + self._ip_groups(rule.source_ip_group_ids)
        match = a.on("src", sources)
        if rule.kind.value == "Application":
            # layer 7: TCP to the application protocols' ports; the FQDN is not an address
            ports = [(p.port, p.port) for p in rule.app_protocols] or [(80, 80), (443, 443)]
            return match & space.protocol(TCP) & space.wrap(space.raw_ranges("dst_port", ports))
        if rule.destination_fqdns and not rule.destinations and not rule.destination_ip_group_ids:
            return space.none()   # FQDN network rules resolve through DNS: not decidable offline
        destinations = a.ranges(rule.destinations or (ANY_ADDRESS,), (), None)
        if destinations is not None and (rule.destinations or rule.destination_ip_group_ids):
            destinations = destinations + self._ip_groups(rule.destination_ip_group_ids)
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
