"""NetworkPolicy semantics as exact packet sets (kubernetes.io, "Network Policies").

For one cluster:

- A pod is *isolated for ingress* when some policy of its namespace selects it and lists
  ``Ingress`` in ``policyTypes`` (left out, ``policyTypes`` is ``[Ingress]``, plus
  ``Egress`` when the policy has egress rules); likewise for egress. A pod that is not
  isolated in a direction allows everything in that direction.
- What an isolated pod allows is the union of the rules of every policy that selects it
  (policies only add). A connection needs both ends: the source pod's egress AND the
  destination pod's ingress.
- A rule matches when one of its peers AND one of its ports match; no peers (``from``/``to``
  left out or empty) is every peer, no ports every port of every protocol. A peer is an
  ``ipBlock`` (``cidr`` minus ``except``, by address) or pods: ``podSelector`` alone selects
  in the policy's namespace, ``namespaceSelector`` alone every pod of the matching
  namespaces, both together the pods matching the one in namespaces matching the other.
- Ports: a number (``endPort`` makes it a range), a container port's name (resolved at each
  destination pod: the pod must declare a port of that name and protocol), or the whole
  protocol; protocols TCP (the default), UDP, SCTP.

Everything is a packet set over (source, destination, protocol, ports): a policy's allowed
set is ``selected pods (dst) x (peers (src) x ports)`` for ingress, ``selected pods (src) x
(peers (dst) x ports)`` for egress; no loop over pod pairs or ports. Pods of one workload
share labels, namespace and ports, so selectors become unions of address ranges.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from netwarden.engine.intervals import merge as _merge
from netwarden.engine.intervals import subtract as _minus
from netwarden.engine.packets import Field, PacketSet, PacketSpace
from netwarden.k8s.model import (
    PROTOCOLS,
    KubeCluster,
    LabelSelector,
    Namespace,
    NetworkPolicy,
    Peer,
    PolicyPort,
    PolicyRule,
    Workload,
)

Direction = Literal["ingress", "egress"]


def intervals(packets: PacketSet, field: Field) -> list[tuple[int, int]]:
    """The values ``field`` takes in ``packets`` (any values of the other fields), as sorted
    disjoint ranges, decoded from the BDD (no enumeration of addresses)."""
    space = packets.space
    bdd = space.bdd
    others = [f for f in space.dims if f != field]
    node = bdd.exist(space.vars_of(*others), packets.node)
    dim = space.dims[field]
    width, base = dim.width, dim.level
    true, false = bdd.true, bdd.false
    memo: dict[tuple[object, int], list[tuple[int, int]]] = {}

    def rec(u: object, depth: int) -> list[tuple[int, int]]:
        if u == false:
            return []
        size = 1 << (width - depth)
        if u == true:
            return [(0, size - 1)]
        key = (u, depth)
        found = memo.get(key)
        if found is not None:
            return found
        half = size >> 1
        if u.level - base > depth:  # type: ignore[attr-defined]
            low = high = rec(u, depth + 1)
        else:
            lo_c, hi_c = (~u.low, ~u.high) if u.negated else (u.low, u.high)  # type: ignore[attr-defined]
            low, high = rec(lo_c, depth + 1), rec(hi_c, depth + 1)
        found = _merge([*low, *((a + half, b + half) for a, b in high)])
        memo[key] = found
        return found

    return rec(node, 0)


class CompiledCluster:
    """The NetworkPolicies of one cluster, compiled lazily into packet sets."""

    def __init__(self, space: PacketSpace, cluster: KubeCluster, namespaces: Iterable[Namespace],
                 workloads: Iterable[Workload], policies: Iterable[NetworkPolicy]) -> None:
        self.space = space
        self.cluster = cluster
        self.enforced = cluster.enforced
        self.workloads: list[Workload] = [w for w in workloads if w.addresses and not w.host_network]
        self.namespaces: dict[str, Namespace] = {n.name: n for n in namespaces}
        self.policies: list[NetworkPolicy] = list(policies)
        self.index: dict[str, int] = {w.id.lower(): i for i, w in enumerate(self.workloads)}
        self.by_namespace: dict[str, list[int]] = defaultdict(list)
        for i, w in enumerate(self.workloads):
            self.by_namespace[w.namespace].append(i)
        self.ranges: list[list[tuple[int, int]]] = [[(p.first, p.last) for p in w.addresses]
                                                    for w in self.workloads]
        spans = sorted((lo, hi, i) for i, rs in enumerate(self.ranges) for lo, hi in rs)
        self._starts = [s[0] for s in spans]
        self._spans = spans
        self._addr: dict[tuple[Field, frozenset[int]], PacketSet] = {}
        self._pods: dict[tuple[str, LabelSelector | None, LabelSelector | None], frozenset[int]] = {}
        self._named: dict[tuple[str, str, frozenset[int]], PacketSet] = {}
        self._allowed: dict[tuple[int, Direction], PacketSet] = {}
        self._per_workload: dict[tuple[int, Direction], PacketSet] = {}
        # which policies select which workloads, and isolate them in which direction
        self.selected: list[frozenset[int]] = [self.select(p.namespace, p.pod_selector)
                                               for p in self.policies]
        self.isolating: dict[Direction, list[list[int]]] = {
            "ingress": [[] for _ in self.workloads], "egress": [[] for _ in self.workloads]}
        if self.enforced:
            for k, policy in enumerate(self.policies):
                for i in self.selected[k]:
                    if policy.isolates_ingress:
                        self.isolating["ingress"][i].append(k)
                    if policy.isolates_egress:
                        self.isolating["egress"][i].append(k)

    # -- selection ----------------------------------------------------------------------------

    def select(self, namespace: str, pod_selector: LabelSelector | None,
               namespace_selector: LabelSelector | None = None) -> frozenset[int]:
        """Workloads matching ``pod_selector`` (None: all) in ``namespace`` or, with a
        namespace selector, in the namespaces it matches."""
        key = (namespace if namespace_selector is None else "", pod_selector, namespace_selector)
        found = self._pods.get(key)
        if found is None:
            if namespace_selector is None:
                spaces = [namespace]
            else:
                spaces = [n for n, ns in self.namespaces.items() if namespace_selector.matches(ns.labels)]
            found = frozenset(i for n in spaces for i in self.by_namespace.get(n, ())
                              if pod_selector is None or pod_selector.matches(self.workloads[i].labels))
            self._pods[key] = found
        return found

    def peer_workloads(self, namespace: str, peer: Peer) -> frozenset[int]:
        if peer.ip_block is not None:
            return frozenset(i for i, rs in enumerate(self.ranges)
                             if any(lo <= hi2 and lo2 <= hi for lo, hi in rs
                                    for lo2, hi2 in self.ip_block_ranges(peer)))
        return self.select(namespace, peer.pod_selector, peer.namespace_selector)

    def isolated(self, direction: Direction) -> frozenset[int]:
        return frozenset(i for i, ks in enumerate(self.isolating[direction]) if ks)

    # -- address sets ---------------------------------------------------------------------------

    def addr(self, field: Field, indices: Iterable[int]) -> PacketSet:
        """Packets whose ``field`` is an address of one of these workloads' pods."""
        key = (field, frozenset(indices))
        found = self._addr.get(key)
        if found is None:
            ranges = _merge(r for i in key[1] for r in self.ranges[i])
            found = self.space.wrap(self.space.raw_ranges(field, ranges)) if ranges else self.space.none()
            self._addr[key] = found
        return found

    def pods(self, field: Field) -> PacketSet:
        return self.addr(field, range(len(self.workloads)))

    @staticmethod
    def ip_block_ranges(peer: Peer) -> list[tuple[int, int]]:
        block = peer.ip_block
        if block is None or block.cidr.version != 4:
            return []          # the engine is IPv4: an IPv6 block matches no packet here
        holes = [(p.first, p.last) for p in block.excepts if p.version == 4]
        return _minus([(block.cidr.first, block.cidr.last)], _merge(holes))

    def workloads_at(self, lo: int, hi: int) -> list[int]:
        """Workloads with a pod address in [lo, hi]."""
        found = []
        at = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        while at < len(self._spans) and self._spans[at][0] <= hi:
            _, s_hi, i = self._spans[at]
            if s_hi >= lo and i not in found:
                found.append(i)
            at += 1
        return found

    # -- rules ----------------------------------------------------------------------------------

    def peers_set(self, policy: NetworkPolicy, rule: PolicyRule, field: Field) -> PacketSet:
        space = self.space
        if not rule.peers:
            return space.all()
        ranges: list[tuple[int, int]] = []
        pods: set[int] = set()
        for peer in rule.peers:
            if peer.ip_block is not None:
                ranges.extend(self.ip_block_ranges(peer))
            else:
                pods |= self.select(policy.namespace, peer.pod_selector, peer.namespace_selector)
        found = self.addr(field, pods) if pods else space.none()
        if ranges:
            found |= space.wrap(space.raw_ranges(field, _merge(ranges)))
        return found

    def ports_set(self, ports: tuple[PolicyPort, ...], targets: frozenset[int]) -> PacketSet:
        """The packets a rule's ports admit; a named port is resolved at each destination
        workload in ``targets``."""
        space = self.space
        if not ports:
            return space.all()
        found = space.none()
        for port in ports:
            protocol = space.protocol(PROTOCOLS[port.protocol])
            if port.port is None:
                found |= protocol
            elif isinstance(port.port, int):
                found |= protocol & space.dst_ports(port.port, port.end_port or port.port)
            else:
                found |= self.named_port(port.port, port.protocol, targets)
        return found

    def named_port(self, name: str, protocol: str, targets: frozenset[int]) -> PacketSet:
        key = (name, protocol, targets)
        found = self._named.get(key)
        if found is None:
            by_number: dict[int, list[int]] = defaultdict(list)
            for i in targets:
                number = self.workloads[i].named_port(name, protocol)
                if number is not None:
                    by_number[number].append(i)
            space = self.space
            found = space.none()
            proto = space.protocol(PROTOCOLS[protocol])
            for number, members in by_number.items():
                found |= self.addr("dst", members) & proto & space.dst_ports(number, number)
            self._named[key] = found
        return found

    def rule_set(self, k: int, rule: PolicyRule, direction: Direction) -> PacketSet:
        """What one rule of policy ``k`` admits (not yet restricted to the selected pods)."""
        policy = self.policies[k]
        if direction == "ingress":
            return self.peers_set(policy, rule, "src") & self.ports_set(rule.ports, self.selected[k])
        everyone = frozenset(range(len(self.workloads)))
        return self.peers_set(policy, rule, "dst") & self.ports_set(rule.ports, everyone)

    def allowed(self, k: int, direction: Direction) -> PacketSet:
        """The packets policy ``k`` allows in ``direction``: from/to its selected pods."""
        key = (k, direction)
        found = self._allowed.get(key)
        if found is None:
            policy = self.policies[k]
            rules = policy.ingress if direction == "ingress" else policy.egress
            selected = self.selected[k]
            space = self.space
            if not selected or not rules:
                found = space.none()
            else:
                union = space.none()
                for rule in rules:
                    union |= self.rule_set(k, rule, direction)
                found = self.addr("dst" if direction == "ingress" else "src", selected) & union
            self._allowed[key] = found
        return found

    # -- per workload, and the whole cluster -----------------------------------------------------

    def of_workload(self, i: int, direction: Direction) -> PacketSet:
        """Ingress: every packet workload ``i``'s pods accept (destination one of them);
        egress: every packet they may send (source one of them)."""
        key = (i, direction)
        found = self._per_workload.get(key)
        if found is None:
            field: Field = "dst" if direction == "ingress" else "src"
            mine = self.addr(field, (i,))
            policies = self.isolating[direction][i]
            if not policies:
                found = mine
            else:
                union = self.space.none()
                for k in policies:
                    union |= self.allowed(k, direction)
                found = mine & union
            self._per_workload[key] = found
        return found

    def verdict(self, direction: Direction, indices: Iterable[int] | None = None) -> PacketSet:
        """The packets the policies let pass in ``direction`` at ``indices`` (default: every
        workload); packets whose end is not such a pod pass (policies do not judge them)."""
        chosen = range(len(self.workloads)) if indices is None else indices
        field: Field = "dst" if direction == "ingress" else "src"
        chosen = list(chosen)
        judged = self.addr(field, chosen)
        passed = self.space.all() - judged
        for i in chosen:
            passed |= self.of_workload(i, direction)
        return passed

    def decisions(self, packets: PacketSet, direction: Direction,
                  indices: Iterable[int]) -> list[tuple[str, str | None, PacketSet]]:
        """Who allows ``packets`` at workloads ``indices``: (label, policy ID, packets)."""
        found: list[tuple[str, str | None, PacketSet]] = []
        field: Field = "dst" if direction == "ingress" else "src"
        chosen = list(indices)
        open_ = [i for i in chosen if not self.isolating[direction][i]]
        if open_:
            part = packets & self.addr(field, open_)
            if part:
                reason = ("no policy engine" if not self.enforced
                          else f"not isolated for {direction}")
                found.append((reason, None, part))
        for k in sorted({k for i in chosen for k in self.isolating[direction][i]}):
            part = packets & self.allowed(k, direction)
            if part:
                found.append((self.policies[k].qualified, self.policies[k].id, part))
        return found

    def isolators(self, direction: Direction, indices: Iterable[int]) -> list[NetworkPolicy]:
        return [self.policies[k] for k in sorted({k for i in indices for k in self.isolating[direction][i]})]


__all__ = ["CompiledCluster", "Direction"]
