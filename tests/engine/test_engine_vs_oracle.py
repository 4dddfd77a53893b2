"""The symbolic engine against the independent reference evaluator (tests/engine/oracle.py),
on random estates: for every sampled packet, the engine's packet-set walk of *all* traffic
from the source must contain the packet at the oracle's destination exactly when the oracle
says it arrives there, and ``trace`` (the same walk on one packet) must agree too.

200 estates x 50 packets = 10,000 packets per run (fixed seed in CI)."""

from __future__ import annotations

import oracle
from estates import estates, packets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netwarden.engine import Engine, Packet, PacketSpace
from netwarden.engine.path import Outcome

SPACE = PacketSpace()       # one BDD manager for every generated estate
PACKETS_PER_ESTATE = 50


def _arrivals(engine: Engine, src: tuple[str, object]) -> list[Outcome]:
    walker = engine.walker
    if src[0] == "nic":
        holder = next(h for h in engine.topology.holders if h.id == src[1])
        sent = engine.space.all() & engine.addresses.on("src", [(holder.address.first,
                                                                 holder.address.last)])
        return walker.from_holders([holder], sent)
    sent = engine.addresses.on("src", [(int(src[1]), int(src[1]))])  # type: ignore[call-overload]
    return walker.from_internet(sent)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(st.data())
def test_engine_agrees_with_the_reference_evaluator(data: st.DataObject) -> None:
    agree(data, *data.draw(estates()))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(st.data())
def test_engine_agrees_through_internal_load_balancers(data: st.DataObject) -> None:
    """Estates whose routes mostly go to internal load balancers in front of appliances."""
    agree(data, *data.draw(estates(balancers=True)))


def agree(data: st.DataObject, estate, meta) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(estate, space=SPACE)
    walks: dict[tuple[str, object], list[Outcome]] = {}
    for _ in range(PACKETS_PER_ESTATE):
        src, raw = data.draw(packets(meta))
        expected = oracle.evaluate(estate, src, raw)
        if expected.dropped_by is not None and expected.dropped_by[0] == "unsupported":
            continue
        packet = Packet(*raw).normalized()
        outcomes = walks.setdefault(src, _arrivals(engine, src))
        arrived = [o for o in outcomes if o.status == "arrived"
                   and not (o.hops[-1].kind == "deliver" and o.hops[-1].detail.startswith("no NIC"))
                   and o.branch.origin.contains(packet)]
        targets = {t for o in arrived for t in o.targets}
        if expected.allowed:
            want = expected.arrived_at
            assert arrived, (f"oracle: {packet} arrives at {want} via {expected.hops}; engine: "
                             f"{[[str(h) for h in o.hops] for o in outcomes if o.branch.origin.contains(packet)]}")
            if want == "internet":
                assert "internet" in targets
            else:
                holder_ids = {f"nic:{t}" for t in targets}
                assert want in holder_ids, f"{packet}: oracle {want}, engine {sorted(holder_ids)}"
        else:
            assert not arrived, (f"oracle drops {packet} at {expected.dropped_by}; engine delivers "
                                 f"it via {[str(h) for h in arrived[0].hops]}")
        traced = engine.trace(packet)
        assert (traced.verdict == "allowed") == expected.allowed, (
            f"trace {packet}: {traced.verdict}, oracle {expected}")
