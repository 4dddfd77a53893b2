"""Verification of a network against an intent, in both directions: *excess* (packets the
network lets through between segments that no intended flow covers), *missing* (intended
flows it blocks, with the hop and rule that block them) and *bypass* (intended flows that
arrive without passing the required ``via``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from netwarden.engine import Engine, Service
from netwarden.engine.endpoints import Endpoint
from netwarden.engine.fanout import Fanout
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Hop, Outcome, witness
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
    """Every ordered pair of segments. What arrives comes from one composed walk of all
    segments (``Fanout.rows``: exact per pair); the evidence of each violation (its path,
    the deciding rules) from a walk of just that violation's packets, which gives the
    outcomes of the full pairwise walk restricted to them (the walk is distributive; see
    ``netwarden.engine.fanout``): the excess of a pair is one violation whose path is its
    witness's, a missing flow's blocker and a bypassing path are found by walking that
    flow's packets. Estates with Kubernetes pods keep to pairwise reach."""
    segments = resolve_segments(engine, intent)
    result = VerifyResult(intent, segments)
    names = [n for n, e in segments.items() if (e.holders or e.prefixes or e.kind == "internet")
             and not (e.kind == "onprem" and not e.prefixes)]
    fanout, rows = None, {}
    if engine.k8s is None and all(segments[n].kind in _COMPOSABLE for n in names):
        fanout = Fanout(engine, {n: segments[n] for n in names})
        rows = dict(fanout.rows(names))
    for a in names:
        for b in names:
            if a == b:
                continue
            result.checked_pairs += 1
            flows = [f for f in intent.flows if f.source == a and f.destination == b]
            if fanout is not None and fanout.pairable(a, b):
                allowed = rows[a].allowed(b, engine.space.none())
                _compare_composed(engine, result, a, b, allowed, flows)
            else:
                _compare(engine, result, a, b, engine.reach(segments[a], segments[b], Service()), flows)
    return result


# segment kinds whose pairwise reach is the plain walk between their addresses (not a
# PaaS service's public endpoint, not pods)
_COMPOSABLE = ("holders", "addresses", "internet", "onprem")


def _compare_composed(engine: Engine, result: VerifyResult, a: str, b: str, allowed: PacketSet,
                      flows: list[Flow]) -> None:
    """``_compare`` for a pair whose arriving packets (original source) are known: the
    same packets in violation; the excess as one violation per pair, and the paths found
    by walking only the packets they are for."""
    space = engine.space
    source, destination = result.segments[a], result.segments[b]
    intended = space.none()
    for flow in flows:
        intended |= flow_space(engine, flow, source, destination)
    excess = allowed - intended
    if excess:
        # one violation for the pair (its packets exact); the path is that of its witness
        result.excess.append(Violation("excess", a, b, excess,
                                       _witness_path(engine, source, destination, excess)))
    for flow in flows:
        wanted = flow_space(engine, flow, source, destination)
        lacking = wanted - allowed
        if lacking:
            result.missing.append(_missing(a, b, flow, wanted, lacking,
                                           _within(engine, source, destination, lacking)))
        if flow.via and (arriving := wanted & allowed):
            result.bypass += _bypasses(a, b, flow, arriving,
                                       _within(engine, source, destination, arriving))


def _within(engine: Engine, source: Endpoint, destination: Endpoint,
            queried: PacketSet) -> ReachResult:
    """``Engine.reach`` between two segments (any service) for only the packets ``queried``."""
    return engine.reach(source, destination, Service(), within=queried)


def _witness_path(engine: Engine, source: Endpoint, destination: Endpoint,
                  packets: PacketSet) -> tuple[Hop, ...]:
    """The path by which the witness of ``packets`` (the packet the report shows) arrives:
    the pairwise walk restricted to the packets between the witness's two addresses (any
    port: cheap), its hops naming the rules that decide those of ``packets`` on it."""
    packet = witness(packets)
    if packet is None:
        return ()
    one = engine.space.packet(packet)
    between = packets & one.forget("src_port", "dst_port", "protocol")
    for outcome in _within(engine, source, destination, between).arrived:
        if as_sent(outcome.branch) & one:
            return _narrow(outcome, as_sent(outcome.branch) & between)
    return ()


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
            result.missing.append(_missing(a, b, flow, wanted, lacking, reach))
        if flow.via:
            result.bypass += _bypasses(a, b, flow, wanted, reach)


def _missing(a: str, b: str, flow: Flow, wanted: PacketSet, lacking: PacketSet,
             reach: ReachResult) -> Violation:
    """The packets of an intended flow that do not arrive, with the hop that drops them
    (found among ``reach``'s outcomes, which cover them)."""
    blocker = next((o for o in reach.dropped if as_sent(o.branch) & lacking), None)
    note = "wholly blocked" if lacking == wanted else "partly blocked"
    if blocker is None:
        blocker = next((o for o in reach.conditional if as_sent(o.branch) & lacking), None)
        if blocker is not None:
            note += "; only a layer-7 application rule admits them (FQDNs)"
    if blocker is None:
        note += "; no path delivers these packets"
    return Violation("missing", a, b, lacking, _narrow(blocker, lacking) if blocker else (), flow, note)


def _bypasses(a: str, b: str, flow: Flow, wanted: PacketSet, reach: ReachResult) -> list[Violation]:
    """The arrivals of ``wanted`` packets on paths without the flow's ``via``."""
    found = []
    for outcome in reach.arrived:
        part = as_sent(outcome.branch) & wanted
        if part and not _passes(outcome, flow.via or ""):
            found.append(Violation("bypass", a, b, part, _narrow(outcome, part), flow,
                                   f"arrives without passing {flow.via}"))
    return found


def _narrow(outcome: Outcome, packets: PacketSet) -> tuple[Hop, ...]:
    """The path's hops naming only the rules that decide these packets."""
    return tuple(hop.narrowed(packets) for hop in outcome.hops)
