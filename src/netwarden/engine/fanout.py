"""Reachability from one source group to many destination groups with a single walk: the
walk carries every destination at once, and each arrival is credited to the destination
groups it reaches (by target and address). Used by ``matrix`` and ``diff``.

``Fanout.rows`` does every source group at once and composes at firewalls. The walk is
distributive: each step splits or restricts the packets by sets that do not depend on
which other packets travel with them, so walking the union of two packet sets gives the
outcomes of each, intersected. Hub-and-spoke estates route (nearly) every source through
one firewall, and the walk from there to every destination is most of a row. So the
sources are walked up to the firewall, the branches that reach it unchanged by NAT (with
the same loop state) are joined and walked on from the firewall once, and each source
takes its own packets from what that walk delivers. A walk past the firewall that
translates packets (NAT) keeps the per-source walks for that firewall.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

from netwarden.engine.boxes import field_intervals
from netwarden.engine.endpoints import Endpoint
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Branch, Outcome
from netwarden.engine.reach import Engine, as_sent
from netwarden.engine.walk import Walker
from netwarden.model.edge import Firewall

_HELD = "held"    # an outcome status of the walk up to a firewall: continued later


@dataclass
class Row:
    """What one source group sends: per destination group, the arriving packets (with the
    original source) and the arrivals that carry them; and every outcome of the walk."""

    arrivals: dict[str, list[tuple[Outcome, PacketSet]]] = field(default_factory=lambda: defaultdict(list))
    outcomes: list[Outcome] = field(default_factory=list)

    def allowed(self, destination: str, empty: PacketSet) -> PacketSet:
        packets = empty
        for _, part in self.arrivals.get(destination, ()):
            packets |= part
        return packets


class Fanout:
    def __init__(self, engine: Engine, endpoints: Mapping[str, Endpoint]) -> None:
        self.engine = engine
        self.endpoints = dict(endpoints)
        self.src = {label: engine.addresses_of(e, "src") for label, e in self.endpoints.items()}
        self.dst = {label: engine.addresses_of(e, "dst") for label, e in self.endpoints.items()}
        self._by_target: dict[str, list[str]] = defaultdict(list)
        self._towards: dict[frozenset[str], PacketSet] = {}
        self._spans: _Spans | None = None
        for label, endpoint in self.endpoints.items():
            for target in endpoint.target_ids:
                self._by_target[target].append(label)

    def pairable(self, a: str, b: str) -> bool:
        """Pairs worth asking about: two different groups, not the internet to itself."""
        internet = ("internet",)
        return a != b and not (self.endpoints[a].kind in internet and self.endpoints[b].kind in internet)

    def queried(self, a: str, b: str) -> PacketSet:
        return self.src[a] & self.dst[b]

    def row(self, a: str, only: Iterable[str] | None = None) -> Row:
        """One walk from group ``a`` towards ``only`` (default: every other group)."""
        wanted = self._wanted(a, only)
        row = Row()
        if not wanted:
            return row
        reachable = self._reachable(a, wanted)
        row.outcomes = self.engine.walk(self.endpoints[a], self.src[a] & reachable)
        keep = set(wanted)
        for outcome in row.outcomes:
            if outcome.status != "arrived":
                continue
            sent = as_sent(outcome.branch) & self.src[a]
            for b in {b for t in outcome.targets for b in self._by_target.get(t.lower(), ())}:
                if b in keep and (part := sent & self.dst[b]):
                    row.arrivals[b].append((outcome, part))
        return row

    def rows(self, sources: Iterable[str]) -> Iterator[tuple[str, Row]]:
        """``row(a)`` for each source towards every other group, composed at firewalls
        (see the module docstring). The arrivals are those of ``row``; ``outcomes`` holds
        the outcomes up to the firewalls and the composed arrivals past them."""
        sources = list(sources)
        if self.engine.k8s is not None:   # pods judge what arrives: keep to the plain walk
            yield from ((a, self.row(a)) for a in sources)
            return
        engine, walker = self.engine, self.engine.walker
        held: list[tuple[str, Branch, Firewall]] = []
        rows: dict[str, Row] = {}
        engine.walker = _HoldAtFirewalls(walker)
        try:
            for a in sources:
                rows[a] = self._walk_up_to_firewalls(a, held)
        finally:
            engine.walker = walker
        groups: dict[tuple[str, frozenset[str], int], list[tuple[str, Branch, Firewall]]] = defaultdict(list)
        for a, branch, firewall in held:
            groups[(firewall.id, branch.visited, len(branch.hops))].append((a, branch, firewall))
        for members in groups.values():
            self._continue_together(members, rows, walker)
        for a in sources:
            yield a, rows[a]

    def _walk_up_to_firewalls(self, a: str, held: list[tuple[str, Branch, Firewall]]) -> Row:
        wanted = self._wanted(a, None)
        row = Row()
        if not wanted:
            return row
        outcomes = self.engine.walk(self.endpoints[a], self.src[a] & self._reachable(a, wanted))
        keep = set(wanted)
        for outcome in outcomes:
            if outcome.status == _HELD:
                firewall = self.engine.estate.get(outcome.targets[0], Firewall)
                if firewall is not None:
                    held.append((a, outcome.branch, firewall))
                continue
            row.outcomes.append(outcome)
            if outcome.status == "arrived":
                self._credit(a, row, outcome, as_sent(outcome.branch) & self.src[a], keep)
        return row

    def _credit(self, a: str, row: Row, outcome: Outcome, sent: PacketSet, keep: set[str]) -> None:
        for b in {b for t in outcome.targets for b in self._by_target.get(t.lower(), ())}:
            if b in keep and (part := sent & self.dst[b]):
                row.arrivals[b].append((outcome, part))

    def _continue_together(self, members: list[tuple[str, Branch, Firewall]],
                           rows: dict[str, Row], walker: Walker) -> None:
        """One walk on from a firewall for the joined branches of many sources; each
        source takes its own packets from every arrival, found through the destination
        addresses its packets can still have."""
        space = self.engine.space
        first, firewall = members[0][1], members[0][2]
        joined = space.union(branch.packets for _, branch, _ in members)
        after: list[Outcome] = []
        walker.firewall(Branch(joined, joined, first.hops, frozenset(), first.visited), firewall, after)
        if any(o.branch.changed for o in after):   # NAT past the firewall: one walk each
            for a, branch, _ in members:
                out: list[Outcome] = []
                walker.firewall(branch, firewall, out)
                keep = set(self._wanted(a, None))
                for outcome in out:
                    rows[a].outcomes.append(outcome)
                    if outcome.status == "arrived":
                        self._credit(a, rows[a], outcome, as_sent(outcome.branch) & self.src[a], keep)
            return
        skip = len(first.hops)
        by_label: dict[str, list[tuple[Outcome, PacketSet]]] = defaultdict(list)
        for o in after:
            if o.status != "arrived":
                continue
            for b in {b for t in o.targets for b in self._by_target.get(t.lower(), ())}:
                if part := o.branch.packets & self.dst[b]:
                    by_label[b].append((o, part))
        delivered = space.union(part for found in by_label.values() for _, part in found)
        for a, branch, _ in members:
            mine = branch.packets & self.src[a] & delivered
            if not mine:
                continue
            keep = set(self._wanted(a, None))
            row = rows[a]
            for b in self._destinations(mine):
                if b not in keep or b not in by_label:
                    continue
                for o, part in by_label[b]:
                    if got := mine & part:
                        composed = Outcome(o.status, Branch(got, got, branch.hops + o.branch.hops[skip:],
                                                            o.branch.changed, o.branch.visited),
                                           o.targets, o.notes)
                        row.outcomes.append(composed)
                        row.arrivals[b].append((composed, got))

    def _destinations(self, packets: PacketSet) -> list[str]:
        """The groups whose destination addresses meet the destinations of ``packets``
        (a superset of those it reaches, in group order)."""
        index = self._dst_index()
        spans = field_intervals(packets, "dst")
        if spans is None:
            return list(self.endpoints)
        found = set(index.always)
        for lo, hi in spans:
            i = bisect_right(index.los, hi) - 1
            while i >= 0 and index.reach[i] >= lo:
                if index.his[i] >= lo:
                    found.add(index.labels[i])
                i -= 1
        return [b for b in self.endpoints if b in found]

    def _dst_index(self) -> _Spans:
        if self._spans is None:
            entries, always = [], []
            for b, packets in self.dst.items():
                spans = field_intervals(packets, "dst")
                if spans is None:
                    always.append(b)
                else:
                    entries += [(lo, hi, b) for lo, hi in spans]
            entries.sort()
            reach, top = [], -1
            for _, hi, _ in entries:
                top = max(top, hi)
                reach.append(top)
            self._spans = _Spans([e[0] for e in entries], [e[1] for e in entries],
                                 [e[2] for e in entries], reach, always)
        return self._spans

    def _wanted(self, a: str, only: Iterable[str] | None) -> list[str]:
        return [b for b in (self.endpoints if only is None else only)
                if b in self.endpoints and self.pairable(a, b)]

    def _reachable(self, a: str, wanted: list[str]) -> PacketSet:
        """The destinations of a walk from ``a``: the union of the wanted groups'. Rows
        towards every group share it (a union of thousands of groups is not free): the
        addresses of ``a`` itself may stay in, since nothing is credited to ``a`` from
        its own row and packets to other addresses travel the same without them."""
        left_out = frozenset(b for b in self.endpoints if b not in wanted and b != a)
        if left_out and len(wanted) < len(self.endpoints) // 2:
            return self.engine.space.union(self.dst[b] for b in wanted)
        found = self._towards.get(left_out)
        if found is None:
            found = self.engine.space.union(self.dst[b] for b in self.endpoints if b not in left_out)
            self._towards[left_out] = found
        return found


@dataclass
class _Spans:
    """Destination address intervals of the groups, sorted by start; ``reach[i]`` is the
    largest end among the first i + 1 (so a search can stop), ``always`` the groups whose
    addresses are too fragmented to list."""

    los: list[int]
    his: list[int]
    labels: list[str]
    reach: list[int]
    always: list[str]


class _HoldAtFirewalls(Walker):
    """The engine's walker (its state shared, not copied) that holds a branch routed
    through a firewall instead of walking on, when NAT has not changed it: an outcome
    with status ``held`` and the firewall, for ``Fanout.rows`` to continue."""

    def __init__(self, walker: Walker) -> None:  # noqa: super().__init__ would build anew
        self.__dict__ = walker.__dict__

    def firewall(self, branch: Branch, firewall: Firewall, out: list[Outcome],
                 addressed: bool = False) -> None:
        if addressed or branch.changed:
            super().firewall(branch, firewall, out, addressed)
        else:
            out.append(Outcome(_HELD, branch, (firewall.id,)))
