"""What checks share: the estate, the engine, and analyses computed once per scan (the
internet's reach into the estate is one symbolic walk for every NIC, not one per NIC)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from functools import cached_property
from typing import Any, TypeVar

from netwarden.engine import Engine
from netwarden.engine.packets import TCP, PacketSet
from netwarden.engine.path import Outcome
from netwarden.model import ids
from netwarden.model.estate import Estate
from netwarden.model.values import Prefix

T = TypeVar("T")


class ScanContext:
    def __init__(self, estate: Estate, engine: Engine) -> None:
        self.estate = estate
        self.engine = engine
        self.space = engine.space
        self._memo: dict[Hashable, Any] = {}

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value computed once per scan (checks keep no state of their own)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def tcp_ports(self, *ports: int | tuple[int, int]) -> PacketSet:
        ranges = [p if isinstance(p, tuple) else (p, p) for p in ports]
        return self.space.protocol(TCP) & self.space.wrap(self.space.raw_ranges("dst_port", ranges))

    def ports(self, protocol: int, *ports: int | tuple[int, int]) -> PacketSet:
        ranges = [p if isinstance(p, tuple) else (p, p) for p in ports]
        return self.space.protocol(protocol) & self.space.wrap(
            self.space.raw_ranges("dst_port", ranges))

    @cached_property
    def from_internet(self) -> list[Outcome]:
        """Every path from the internet into the estate: all public sources, all ports, to
        every public entry point (NIC public IPs, load balancers, firewall DNAT, application
        gateways)."""
        a = self.engine.addresses
        entries = [(e.pip.address.first, e.pip.address.last)
                   for e in self.engine.topology.entries if e.pip.address]
        if not entries:
            return []
        packets = a.on("src", a.internet(None)) & a.on("dst", entries)
        return self.engine.walker.from_internet(packets)

    @cached_property
    def internet_arrivals(self) -> dict[str, list[Outcome]]:
        """Arrivals from the internet by target (ipConfiguration / subnet / resource ID)."""
        index: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.from_internet:
            if outcome.status == "arrived":
                for target in outcome.targets:
                    index[ids.key(target)].append(outcome)
        return index

    def exposure(self, target_id: str, address: Prefix | None = None,
                 packets: PacketSet | None = None) -> list[Outcome]:
        """Internet arrivals at a target, narrowed to its own address (alike NICs arrive as
        one class) and to ``packets``; only the non-empty ones."""
        wanted = self.space.all() if packets is None else packets
        if address is not None:
            wanted &= self.space.dst_range(address.first, address.last)
        found = []
        for outcome in self.internet_arrivals.get(ids.key(target_id), []):
            part = outcome.branch.packets & wanted
            if part:
                found.append(Outcome(outcome.status, outcome.branch.restrict(wanted),
                                     outcome.targets, outcome.notes))
        return found
