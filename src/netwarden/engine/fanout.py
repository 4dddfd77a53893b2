"""Reachability from one source group to many destination groups with a single walk: the
walk carries every destination at once, and each arrival is credited to the destination
groups it reaches (by target and address). Used by ``matrix`` and ``diff``.

``Fanout.rows`` does every source group at once and composes where the walks meet. The
walk is distributive: each step splits or restricts the packets by sets that do not
depend on which other packets travel with them, so walking the union of two packet sets
gives the outcomes of each, intersected. In a hub-and-spoke estate every spoke routes
through one firewall and delivers into a VNet that its neighbours deliver into too, and
those walks onwards are most of a row. So each source is walked up to a firewall that
routes its packets or a delivery into a VNet; the branches held there unchanged by NAT
(with the same loop state, before a firewall) are joined, walked on once, and each source
takes its own packets from what that walk delivers. Where the walk on translates packets
(NAT), each source walks on by itself.

A source's packets at groups whose addresses no other group has are kept as one set
(``Row.reached``); a group's share is that set and its addresses, and ``split`` reads
every group's share off it as boxes, without a set per cell.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from netwarden.engine.boxes import Boxes, field_intervals, split_cover
from netwarden.engine.endpoints import Endpoint
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Branch, Outcome
from netwarden.engine.reach import Engine, as_sent
from netwarden.engine.walk import Walker
from netwarden.model.edge import Firewall

_HELD = "held"    # an outcome status of the walk up to a meeting point: continued later


@dataclass
class Row:
    """What one source group sends: per destination group, the arriving packets (with the
    original source) and the arrivals that carry them; and every outcome of the walk."""

    arrivals: dict[str, list[tuple[Outcome, PacketSet]]] = field(default_factory=lambda: defaultdict(list))
    outcomes: list[Outcome] = field(default_factory=list)
    # ``Fanout.rows``: the packets that arrive at groups whose addresses no other group
    # has, all together (``reached``); such a group's share is ``reached`` & its
    # addresses (``apart``), and it has no entry in ``arrivals``
    reached: PacketSet | None = None
    apart: Mapping[str, PacketSet] = field(default_factory=dict)

    def allowed(self, destination: str, empty: PacketSet) -> PacketSet:
        packets = empty
        for _, part in self.arrivals.get(destination, ()):
            packets |= part
        if self.reached is not None and destination in self.apart:
            packets |= self.reached & self.apart[destination]
        return packets


class Fanout:
    def __init__(self, engine: Engine, endpoints: Mapping[str, Endpoint]) -> None:
        self.engine = engine
        self.endpoints = dict(endpoints)
        self.src = {label: engine.addresses_of(e, "src") for label, e in self.endpoints.items()}
        self.dst = {label: engine.addresses_of(e, "dst") for label, e in self.endpoints.items()}
        self._by_target: dict[str, list[str]] = defaultdict(list)
        self._towards: dict[frozenset[str], PacketSet] = {}
        self._internet = [b for b, e in self.endpoints.items() if e.kind == "internet"]
        self._spans: _Spans | None = None
        self._reached: dict[str, list[PacketSet]] = defaultdict(list)
        self._split_memo: dict[object, list[tuple[str, tuple[tuple[int, int], ...]]]] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._alone: dict[str, PacketSet] | None = None
        for label, endpoint in self.endpoints.items():
            for target in endpoint.target_ids:
                self._by_target[target].append(label)

    def pairable(self, a: str, b: str) -> bool:
        """Pairs worth asking about: two different groups, not the internet to itself."""
        internet = ("internet",)
        return a != b and not (self.endpoints[a].kind in internet and self.endpoints[b].kind in internet)

    def queried(self, a: str, b: str) -> PacketSet:
        return self.src[a] & self.dst[b]

    def addresses(self, label: str, end: str) -> int:
        """How many addresses a group has as a source (``end`` "src") or destination."""
        key = (label, end)
        got = self._counts.get(key)
        if got is None:
            spans = field_intervals((self.src if end == "src" else self.dst)[label], end)  # type: ignore[arg-type]
            got = self._counts[key] = -1 if spans is None else sum(hi - lo + 1 for lo, hi in spans)
        return got

    def row(self, a: str, only: Iterable[str] | None = None) -> Row:
        """One walk from group ``a`` towards ``only`` (default: every other group)."""
        wanted = self._wanted(a, only)
        row = Row()
        reachable = self._reachable(a, wanted)
        if reachable is None:
            return row
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
        """``row(a)`` for each source towards every other group, composed where the
        walks meet (see the module docstring). The arrivals are those of ``row``;
        ``outcomes`` holds the outcomes up to the meeting points and the composed
        arrivals past them (packets dropped past them are not itemised per source)."""
        sources = list(sources)
        if self.engine.k8s is not None:   # pods judge what arrives: keep to the plain walk
            yield from ((a, self.row(a)) for a in sources)
            return
        engine, walker = self.engine, self.engine.walker
        held: list[tuple[str, Outcome]] = []
        rows: dict[str, Row] = {}
        self._reached = defaultdict(list)
        engine.walker = _Holding(walker)
        try:
            for a in sources:
                rows[a] = self._walk_up_to_meetings(a, held)
        finally:
            engine.walker = walker
        meetings: dict[tuple[object, ...], list[tuple[str, Branch]]] = defaultdict(list)
        where: dict[tuple[object, ...], str] = {}
        for a, outcome in held:
            kind, target = outcome.targets
            branch = outcome.branch
            # a delivery ends the walk: its loop state and hop count do not matter there
            key = (kind, target.lower()) if kind == "deliver" else \
                (kind, target.lower(), branch.visited, len(branch.hops))
            meetings[key].append((a, branch))
            where[key] = target
        for key, members in meetings.items():
            kind, target = str(key[0]), where[key]
            firewall = engine.estate.get(target, Firewall) if kind == "firewall" else None
            self._continue_together(kind, firewall or target, members, rows, walker)
        apart = self._apart()
        for a in sources:
            row = rows[a]
            found = self._reached.pop(a, [])
            if found:
                row.reached, row.apart = engine.space.union(found), apart
            yield a, row

    def _walk_up_to_meetings(self, a: str, held: list[tuple[str, Outcome]]) -> Row:
        row = Row()
        reachable = self._reachable(a, None)
        if reachable is None:
            return row
        outcomes = self.engine.walk(self.endpoints[a], self.src[a] & reachable)
        for outcome in outcomes:
            if outcome.status == _HELD:
                held.append((a, outcome))
                continue
            row.outcomes.append(outcome)
            if outcome.status == "arrived":
                self._credit(a, row, outcome, as_sent(outcome.branch) & self.src[a], apart=True)
        return row

    def _credit(self, a: str, row: Row, outcome: Outcome, sent: PacketSet,
                keep: set[str] | None = None, apart: bool = False) -> None:
        alone = self._apart() if apart else {}
        for b in {b for t in outcome.targets for b in self._by_target.get(t.lower(), ())}:
            if (b in keep if keep is not None else self.pairable(a, b)) and (part := sent & self.dst[b]):
                if b in alone:
                    self._reached[a].append(part)
                else:
                    row.arrivals[b].append((outcome, part))

    def _continue_together(self, kind: str, target: Firewall | str, members: list[tuple[str, Branch]],
                           rows: dict[str, Row], walker: Walker) -> None:
        """One walk on from a meeting point for the joined branches of many sources; each
        source takes its own packets from every arrival, found through the destination
        addresses its packets can still have."""
        space = self.engine.space

        def walk_on(branch: Branch, out: list[Outcome]) -> None:
            if kind == "firewall":
                walker.firewall(branch, target, out)  # type: ignore[arg-type]
            else:
                walker.deliver(branch, target, out)  # type: ignore[arg-type]

        first = members[0][1]
        joined = space.union(branch.packets for _, branch in members)
        after: list[Outcome] = []
        if kind == "firewall":
            skip, start = len(first.hops), Branch(joined, joined, first.hops, frozenset(), first.visited)
        else:
            skip, start = 0, Branch.start(joined)
        walk_on(start, after)
        if any(o.branch.changed for o in after):   # NAT past the meeting: one walk each
            for a, branch in members:
                out: list[Outcome] = []
                walk_on(branch, out)
                for outcome in out:
                    rows[a].outcomes.append(outcome)
                    if outcome.status == "arrived":
                        self._credit(a, rows[a], outcome, as_sent(outcome.branch) & self.src[a], apart=True)
            return
        by_label: dict[str, list[tuple[Outcome, PacketSet]]] = defaultdict(list)
        for o in after:
            if o.status != "arrived":
                continue
            for b in {b for t in o.targets for b in self._by_target.get(t.lower(), ())}:
                if part := o.branch.packets & self.dst[b]:
                    by_label[b].append((o, part))
        if not by_label:
            return
        towards = {b: space.union(part for _, part in found) for b, found in by_label.items()}
        delivered = space.union(towards.values())
        alone = self._apart()
        together = [b for b in by_label if b not in alone]   # groups sharing addresses
        for a, branch in members:
            sent = branch.packets & self.src[a]
            mine = sent & delivered
            if not mine:
                continue
            # what reached groups whose addresses are theirs alone is kept together: each
            # such group's share is ``mine`` & its addresses (see ``Row.allowed``)
            self._reached[a].append(mine)
            row = rows[a]
            for b in self._destinations(mine) if together else ():
                if b not in by_label or b in alone or not self.pairable(a, b):
                    continue
                # one conjunction per destination group: the source's packets (a few
                # protocol/port classes, its own addresses) with what the walk delivered
                # to the group (its own addresses); both are small, unlike ``mine``
                found = by_label[b]
                if len(found) > 1:
                    got = sent & towards[b]
                    found = [(None, got)] if got else []
                for o, part in found:
                    got = part if o is None else sent & part
                    if not got:
                        continue
                    if o is None:   # several arrivals: the path is known up to the meeting
                        composed = Outcome("arrived", Branch(got, got, branch.hops, frozenset(),
                                                             branch.visited),
                                           tuple(t for o2, _ in by_label[b] for t in o2.targets))
                    else:
                        composed = Outcome(o.status, Branch(got, got, branch.hops + o.branch.hops[skip:],
                                                            o.branch.changed, branch.visited | o.branch.visited),
                                           o.targets, o.notes)
                    row.outcomes.append(composed)
                    row.arrivals[b].append((composed, got))

    def split(self, row: Row) -> dict[str, Boxes] | None:
        """The row's packets at groups apart from the others, as boxes per group (exact:
        the union of a group's boxes is ``row.allowed`` of it); None when they are too
        fragmented for boxes."""
        if row.reached is None:
            return {}
        index = self._dst_index()
        alone = row.apart

        def parts(spans: list[tuple[int, int]]) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
            found: dict[str, list[tuple[int, int]]] = {}
            for lo, hi in spans:
                i = bisect_right(index.los, hi) - 1
                while i >= 0 and index.reach[i] >= lo:
                    b = index.labels[i]
                    if index.his[i] >= lo and b in alone:
                        found.setdefault(b, []).append((max(lo, index.los[i]), min(hi, index.his[i])))
                    i -= 1
            return [(b, tuple(sorted(r))) for b, r in found.items()]

        got = split_cover(row.reached, parts, self._split_memo)
        return None if got is None else {b: boxes for b, boxes in got.items()}

    def reached_groups(self, row: Row) -> list[str]:
        """The groups apart from the others that ``row.reached`` meets (a superset of
        those it reaches)."""
        if row.reached is None:
            return []
        return [b for b in self._destinations(row.reached) if b in row.apart]

    def _apart(self) -> Mapping[str, PacketSet]:
        """The groups whose destination addresses no other group has, with them."""
        if self._alone is None:
            index = self._dst_index()
            self._alone = {b: self.dst[b] for b in self.endpoints if b not in index.shared}
        return self._alone

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
            shared: set[str] = set(self.endpoints) if always else set()
            cluster: set[str] = set()    # groups whose addresses overlap, chained
            for lo, hi, b in entries:
                if lo > top:
                    shared |= cluster if len(cluster) > 1 else set()
                    cluster = set()
                cluster.add(b)
                top = max(top, hi)
                reach.append(top)
            shared |= cluster if len(cluster) > 1 else set()
            self._spans = _Spans([e[0] for e in entries], [e[1] for e in entries],
                                 [e[2] for e in entries], reach, always, shared)
        return self._spans

    def _wanted(self, a: str, only: Iterable[str] | None) -> list[str]:
        return [b for b in (self.endpoints if only is None else only)
                if b in self.endpoints and self.pairable(a, b)]

    def _reachable(self, a: str, wanted: list[str] | None) -> PacketSet | None:
        """The destinations of a walk from ``a``: the union of the wanted groups' (None
        for every group ``a`` pairs with; None back when nothing is wanted). Rows
        towards every group share it (a union of thousands of groups is not free): the
        addresses of ``a`` itself may stay in, since nothing is credited to ``a`` from
        its own row and packets to other addresses travel the same without them."""
        if wanted is None:   # all but the groups ``a`` does not pair with
            left_out = frozenset(b for b in self._internet if b != a and not self.pairable(a, b))
            if len(left_out) + 1 >= len(self.endpoints):
                return None
        elif not wanted:
            return None
        else:
            chosen = set(wanted)
            left_out = frozenset(b for b in self.endpoints if b not in chosen and b != a)
            if len(wanted) < len(self.endpoints) // 2:
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
    shared: set[str]     # groups with an address that another group has too


class _Holding(Walker):
    """The engine's walker (its state shared, not copied) that holds branches unchanged
    by NAT where walks from many sources meet, instead of walking on: before a firewall
    that routes them (not one they are addressed to), and at the delivery into a VNet.
    Each becomes an outcome with status ``held`` and targets (kind, resource ID), for
    ``Fanout.rows`` to continue together."""

    def __init__(self, walker: Walker) -> None:  # noqa: super().__init__ would build anew
        self.__dict__ = walker.__dict__

    def firewall(self, branch: Branch, firewall: Firewall, out: list[Outcome],
                 addressed: bool = False) -> None:
        if addressed or branch.changed:
            super().firewall(branch, firewall, out, addressed)
        else:
            out.append(Outcome(_HELD, branch, ("firewall", firewall.id)))

    def deliver(self, branch: Branch, vnet_id: str, out: list[Outcome]) -> None:
        if branch.changed:
            super().deliver(branch, vnet_id, out)
        else:
            out.append(Outcome(_HELD, branch, ("deliver", vnet_id)))
