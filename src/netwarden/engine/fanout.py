"""Reachability from one source group to many destination groups with a single walk: the
walk carries every destination at once, and each arrival is credited to the destination
groups it reaches (by target and address). Used by ``matrix`` and ``diff``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from netwarden.engine.endpoints import Endpoint
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Outcome
from netwarden.engine.reach import Engine, as_sent


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
        space = self.engine.space
        wanted = [b for b in (self.endpoints if only is None else only)
                  if b in self.endpoints and self.pairable(a, b)]
        row = Row()
        if not wanted:
            return row
        reachable = space.union(self.dst[b] for b in wanted)
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
