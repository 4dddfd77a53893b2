"""Verification of a network against an intent, in both directions: *excess* (packets the
network lets through between segments that no intended flow covers), *missing* (intended
flows it blocks, with the hop and rule that block them) and *bypass* (intended flows that
arrive without passing the required ``via``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netwarden.engine import Engine, Service
from netwarden.engine.endpoints import Endpoint
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Hop, Outcome
from netwarden.engine.reach import ReachResult, as_sent
from netwarden.intent.model import Flow, Intent, PortSpec
from netwarden.intent.resolve import resolve_segments


@dataclass
class Violation:
    kind: str                        # excess, missing, bypass
    source: str                      # segment names
    destination: str
    packets: PacketSet
    path: tuple[Hop, ...] = ()       # the path that lets them through, or that blocks them
    flow: Flow | None = None
    note: str = ""


@dataclass
class VerifyResult:
    intent: Intent
    segments: dict[str, Endpoint]
    excess: list[Violation] = field(default_factory=list)
    missing: list[Violation] = field(default_factory=list)
    bypass: list[Violation] = field(default_factory=list)
    checked_pairs: int = 0

    @property
    def clean(self) -> bool:
        return not (self.excess or self.missing or self.bypass)


def flow_space(engine: Engine, flow: Flow, source: Endpoint, destination: Endpoint) -> PacketSet:
    """The packets an intended flow allows, as they arrive (original source)."""
    space = engine.space
    services = space.none()
    for spec in flow.ports:
        services |= engine.service(_service(spec))
    return engine.addresses_of(source, "src") & engine.addresses_of(destination, "dst") & services


def _service(spec: PortSpec) -> Service:
    ports = (spec.ports.lo, spec.ports.hi) if spec.ports and not spec.ports.is_any else None
    return Service(spec.protocol, ports)


def _passes(outcome: Outcome, via: str) -> bool:
    wanted = via.lower()
    return any(h.name.lower() == wanted or (h.resource or "").lower() == wanted
               or (h.resource or "").lower().endswith("/" + wanted) for h in outcome.hops)


def verify(engine: Engine, intent: Intent) -> VerifyResult:
    segments = resolve_segments(engine, intent)
    result = VerifyResult(intent, segments)
    names = [n for n, e in segments.items() if e.holders or e.prefixes or e.kind == "internet"]
    for a in names:
        if segments[a].kind == "onprem" and not segments[a].prefixes:
            continue
        for b in names:
            if a == b or (segments[b].kind == "onprem" and not segments[b].prefixes):
                continue
            reach = engine.reach(segments[a], segments[b], Service())
            result.checked_pairs += 1
            flows = [f for f in intent.flows if f.source == a and f.destination == b]
            _compare(engine, result, a, b, reach, flows)
    return result


def _compare(engine: Engine, result: VerifyResult, a: str, b: str, reach: ReachResult,
             flows: list[Flow]) -> None:
    space = engine.space
    source, destination = result.segments[a], result.segments[b]
    intended = space.none()
    for flow in flows:
        intended |= flow_space(engine, flow, source, destination)
    for outcome in reach.arrived:
        sent = as_sent(outcome.branch) & reach.queried
        extra = sent - intended
        if extra:
            result.excess.append(Violation("excess", a, b, extra, _narrow(outcome, extra)))
    for flow in flows:
        wanted = flow_space(engine, flow, source, destination)
        arrived = space.union(as_sent(o.branch) for o in reach.arrived) & wanted
        lacking = wanted - arrived
        if lacking:
            blocker = next((o for o in reach.dropped if as_sent(o.branch) & lacking), None)
            note = "wholly blocked" if lacking == wanted else "partly blocked"
            if blocker is None:
                blocker = next((o for o in reach.conditional if as_sent(o.branch) & lacking), None)
                if blocker is not None:
                    note += "; only a layer-7 application rule admits them (FQDNs)"
            if blocker is None:
                note += "; no path delivers these packets"
            result.missing.append(Violation("missing", a, b, lacking,
                                            _narrow(blocker, lacking) if blocker else (), flow, note))
        if flow.via:
            for outcome in reach.arrived:
                part = as_sent(outcome.branch) & wanted
                if part and not _passes(outcome, flow.via):
                    result.bypass.append(Violation("bypass", a, b, part, _narrow(outcome, part), flow,
                                                   f"arrives without passing {flow.via}"))


def _narrow(outcome: Outcome, packets: PacketSet) -> tuple[Hop, ...]:
    """The path's hops naming only the rules that decide these packets."""
    return tuple(hop.narrowed(packets) for hop in outcome.hops)
