"""A firewall evaluated only over the packets a walk brings (``compile_for``) decides those
packets exactly as the whole compiled firewall does: same allowed, denied, default-denied
and layer-7 packets, same deciding rules. Random classic rule collections (first match,
deny above allow, FQDN-only network rules, application rules) against random packet boxes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.engine import Engine
from netwarden.engine.firewall import _bounds
from netwarden.engine.packets import PacketSet
from netwarden.model.edge import (
    AppProtocol,
    CollectionAction,
    Firewall,
    FirewallRule,
    FirewallRuleKind,
    RuleCollection,
)
from netwarden.model.estate import Estate
from netwarden.model.values import ANY_ADDRESS, PortRange, Prefix, Protocol

BASE = 10 << 24          # 10.0.0.0: rules and packets live in 10.0.0.0/26 to collide often

prefixes = st.builds(lambda a, n: Prefix.parse(f"10.0.0.{a & ~((1 << (32 - n)) - 1) & 63}/{n}"),
                     st.integers(0, 63), st.integers(26, 32))
addresses = st.one_of(st.just((ANY_ADDRESS,)), st.lists(prefixes, min_size=1, max_size=2).map(tuple))
ports = st.builds(lambda lo, width: PortRange(lo, min(lo + width, 65535)),
                  st.integers(1, 30), st.integers(0, 5))


@st.composite
def rules(draw: st.DrawFn, index: int) -> FirewallRule:
    kind = draw(st.sampled_from([FirewallRuleKind.NETWORK] * 3 + [FirewallRuleKind.APPLICATION]))
    if kind is FirewallRuleKind.APPLICATION:
        return FirewallRule(name=f"r{index}", kind=kind, sources=draw(addresses),
                            app_protocols=(AppProtocol(name="Https", port=draw(st.integers(1, 30))),),
                            target_fqdns=("example.org",))
    fqdn_only = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
    return FirewallRule(
        name=f"r{index}", kind=kind, sources=draw(addresses),
        destinations=() if fqdn_only else draw(addresses),
        destination_fqdns=("db.example.org",) if fqdn_only else (),
        protocols=(draw(st.sampled_from([Protocol.TCP, Protocol.UDP, Protocol.ANY])),),
        destination_ports=tuple(draw(st.lists(ports, min_size=1, max_size=2))))


@st.composite
def firewalls(draw: st.DrawFn) -> Firewall:
    collections = []
    for c in range(draw(st.integers(1, 4))):
        members = tuple(draw(rules(10 * c + r)) for r in range(draw(st.integers(1, 4))))
        action = draw(st.sampled_from([CollectionAction.ALLOW, CollectionAction.DENY]))
        collections.append(RuleCollection(name=f"c{c}", priority=100 + c, action=action,
                                          rules=members))
    network = tuple(c for c in collections
                    if all(r.kind is FirewallRuleKind.NETWORK for r in c.rules))
    application = tuple(c for c in collections if c not in network)
    nat = tuple(RuleCollection(name=f"dnat{i}", priority=50 + i, action=CollectionAction.DNAT,
                               rules=(FirewallRule(name=f"n{i}", kind=FirewallRuleKind.NAT,
                                                   sources=draw(addresses),
                                                   destinations=(draw(prefixes),),
                                                   protocols=(Protocol.TCP,),
                                                   destination_ports=(draw(ports),),
                                                   translated_address=Prefix.parse("10.9.0.4"),
                                                   translated_port=8443),))
                for i in range(draw(st.integers(0, 2))))
    return Firewall(id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/azureFirewalls/f",
                    name="f", type="Microsoft.Network/azureFirewalls", nat_collections=nat,
                    network_collections=network, application_collections=application)


@st.composite
def packet_sets(draw: st.DrawFn, engine: Engine) -> PacketSet:
    space = engine.space
    found = space.none()
    for _ in range(draw(st.integers(1, 3))):
        slo, shi = sorted(draw(st.lists(st.integers(0, 63), min_size=2, max_size=2)))
        dlo, dhi = sorted(draw(st.lists(st.integers(0, 63), min_size=2, max_size=2)))
        plo, phi = sorted(draw(st.lists(st.integers(0, 33), min_size=2, max_size=2)))
        box = space.src_range(BASE + slo, BASE + shi) & space.dst_range(BASE + dlo, BASE + dhi)
        protocol = draw(st.sampled_from([6, 17, 1, None]))
        if protocol is not None:
            box &= space.protocol(protocol)
        found |= box & ((space.ports_apply() & space.dst_ports(plo, phi)) | ~space.ports_apply())
    return found


def _decisions(compiled, packets: PacketSet) -> list[tuple[str, str, PacketSet]]:
    return [(d.label, d.action.value, d.packets & packets)
            for d in (*compiled.network, *compiled.application) if d.packets & packets]


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.data())
def test_compile_for_decides_the_packets_as_the_whole_firewall(data: st.DataObject) -> None:
    firewall = data.draw(firewalls())
    engine = Engine(Estate([firewall]))
    compiler = engine.walker.firewalls
    packets = data.draw(packet_sets(engine))
    part = compiler._compile(firewall, packets)       # what compile_for returns at first
    whole = compiler.compile(firewall)
    for name in ("allowed", "denied", "network_denied", "layer7", "unmatched"):
        assert getattr(part, name) & packets == getattr(whole, name) & packets, name
    assert _decisions(part, packets) == _decisions(whole, packets)
    assert [(d.label, d.packets & packets) for d in part.nat if d.packets & packets] == \
        [(d.label, d.packets & packets) for d in whole.nat if d.packets & packets]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.data())
def test_bounds_are_the_lowest_and_highest_values(data: st.DataObject) -> None:
    engine = Engine(Estate([]))
    packets = data.draw(packet_sets(engine))
    src = _bounds(packets, "src")
    dst = _bounds(packets, "dst")
    assert src is not None and dst is not None
    # every packet lies within the bounds, and both ends are members
    assert packets <= engine.space.src_range(*src) & engine.space.dst_range(*dst)
    for value in src:
        assert packets & engine.space.src_range(value, value)
    for value in dst:
        assert packets & engine.space.dst_range(value, value)
    assert _bounds(engine.space.none(), "src") is None


def test_a_reach_through_the_firewall_is_decided_the_same_before_and_after_compiling() -> None:
    """The walker evaluates a firewall per walk for the first few walks, then compiles it
    whole; the answers, paths and deciding rules do not change when it does."""
    from tests.engine.test_entry_points import FW, reach
    from tests.engine.test_entry_points import engine as fixture

    def summary(e: Engine) -> list[object]:
        found: list[object] = []
        for src, dst in (("vm-app1", "vm-data1"), ("vm-app1", "internet")):
            for port in (22, 443, 1433, 8080):
                r = reach(e, src, dst, port)
                found.append((r.verdict, r.allowed, [
                    (o.status, [(h.kind, h.name, h.action, h.rule) for h in o.hops], o.branch.packets)
                    for o in (*r.arrived, *r.dropped, *r.conditional)]))
        return found

    base = fixture(FW)
    per_walk = Engine(base.estate, space=base.space)
    reach(per_walk, "vm-app1", "vm-data1", 443)
    assert not per_walk.walker.firewalls._cache, "the first walks evaluate the firewall per walk"
    per_walk = Engine(base.estate, space=base.space)
    first = summary(per_walk)
    compiled = Engine(base.estate, space=base.space)
    for firewall in compiled.estate.of(Firewall):
        compiled.walker.firewalls.compile(firewall)
    assert summary(compiled) == first
    assert summary(per_walk) == first       # by now compiled whole
    assert per_walk.walker.firewalls._cache


def test_meeting_finds_exactly_the_rules_that_decide_the_packets_in_order() -> None:
    """Decisions are looked up through unions of blocks of 32: the same rules, in the same
    order, as testing every rule (a 100-rule collection, packets meeting a few of them)."""
    rules = tuple(FirewallRule(name=f"r{i}", kind=FirewallRuleKind.NETWORK,
                               sources=(Prefix.parse(f"10.0.{i // 50}.0/24"),),
                               destinations=(ANY_ADDRESS,), protocols=(Protocol.TCP,),
                               destination_ports=(PortRange(1000 + i, 1000 + i),))
                  for i in range(100))
    firewall = Firewall(id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/azureFirewalls/f",
                        name="f", type="Microsoft.Network/azureFirewalls",
                        network_collections=(RuleCollection(name="c", priority=100,
                                                            action=CollectionAction.ALLOW, rules=rules),))
    engine = Engine(Estate([firewall]))
    whole = engine.walker.firewalls.compile(firewall)
    space = engine.space
    for lo, hi, src in ((1000, 1000, 0), (1030, 1040, 0), (1060, 1099, 1), (1000, 1099, 1), (5, 9, 0)):
        packets = space.protocol(6) & space.dst_ports(lo, hi) & space.src_range(
            (10 << 24) + (src << 8), (10 << 24) + (src << 8) + 255)
        expected = [d for d in whole.network if d.packets & packets]
        assert whole.meeting("network", packets) == expected
        assert [d.rule for d in expected] == [f"r{i}" for i in range(max(lo - 1000, 0), min(hi - 999, 100))
                                              if i // 50 == src]
