"""Packet sets against a brute-force reference.

The reference keeps a set as a predicate over concrete packets plus, per dimension, the
cut points where that predicate can change. Between cuts the predicate is constant, so
membership, existential projection and counting are exact by enumerating one
representative per cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netwarden.engine.boxes import Box, range_to_cidrs
from netwarden.engine.packets import (
    AH,
    ESP,
    FIELDS,
    ICMP,
    PORT_PROTOCOLS,
    SCTP,
    TCP,
    UDP,
    Layout,
    Packet,
    PacketSet,
    PacketSpace,
    cidr_to_range,
)

SPACE = PacketSpace()
TOP = {"src": 2**32 - 1, "dst": 2**32 - 1, "protocol": 255, "src_port": 65535,
       "dst_port": 65535}
IP = cidr_to_range
FAST = settings(derandomize=True, deadline=None, max_examples=80,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=30)


def valid(p: Packet) -> bool:
    return p.protocol in PORT_PROTOCOLS or (p.src_port == 0 and p.dst_port == 0)


# -- the brute-force reference ------------------------------------------------------------

Cuts = Mapping[str, frozenset[int]]
NAMES: tuple[str, ...] = FIELDS
EXTRA = {"src": {0}, "dst": {0}, "protocol": {0, 6, 7, 17, 18, 132, 133},
         "src_port": {0, 1}, "dst_port": {0, 1}}


@dataclass(frozen=True)
class Ref:
    pred: Callable[[Packet], bool]
    cuts: Cuts

    def has(self, p: Packet) -> bool:
        return valid(p) and self.pred(p)

    def join(self, other: Ref, op: Callable[[bool, bool], bool]) -> Ref:
        cuts = {f: self.cuts[f] | other.cuts[f] for f in NAMES}
        return Ref(lambda p: op(self.has(p), other.has(p)), cuts)

    def cells(self, f: str) -> list[tuple[int, int]]:
        starts = sorted({c for c in self.cuts[f] | EXTRA[f] if c <= TOP[f]})
        return [(a, b - 1) for a, b in zip(starts, starts[1:] + [TOP[f] + 1])]

    def exists(self, p: Packet, *fields: str) -> bool:
        """Some valid packet that differs from p only in ``fields`` is in the set."""
        for values in itertools.product(*(self.cells(f) for f in fields)):
            q = replace(p, **{f: v[0] for f, v in zip(fields, values)})
            if self.has(q):
                return True
        return False

    def count(self) -> int:
        n = 0
        for cell in itertools.product(*(self.cells(f) for f in FIELDS)):
            if self.has(Packet(*(lo for lo, _ in cell))):
                size = 1
                for lo, hi in cell:
                    size *= hi - lo + 1
                n += size
        return n


def box_ref(ranges: dict[str, tuple[int, int]]) -> Ref:
    def pred(p: Packet) -> bool:
        return all(lo <= getattr(p, f) <= hi for f, (lo, hi) in ranges.items())

    cuts = {f: frozenset({ranges[f][0], ranges[f][1] + 1}) if f in ranges else frozenset()
            for f in NAMES}
    return Ref(pred, cuts)


NOTHING = Ref(lambda p: False, {f: frozenset() for f in NAMES})


# -- strategies ---------------------------------------------------------------------------

POOLS = {
    "src": [0, IP("10.0.0.0/8")[0], IP("10.1.0.0/16")[0], IP("10.1.0.5/32")[0],
            IP("10.255.255.255/32")[0], IP("192.168.0.0/16")[0], 2**31, TOP["src"]],
    "protocol": [0, ICMP, TCP, UDP, ESP, AH, SCTP, 255],
    "src_port": [0, 1, 22, 80, 443, 1024, 3389, 65535],
}
POOLS["dst"], POOLS["dst_port"] = POOLS["src"], POOLS["src_port"]


def value(f: str) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(POOLS[f]), st.integers(0, TOP[f]))


@st.composite
def field_range(draw: st.DrawFn, f: str) -> tuple[int, int]:
    a, b = draw(value(f)), draw(value(f))
    return (a, b) if a <= b else (b, a)


@st.composite
def boxes(draw: st.DrawFn) -> dict[str, tuple[int, int]]:
    return {f: draw(field_range(f)) for f in FIELDS if draw(st.integers(0, 2)) == 0}


def build(ranges: dict[str, tuple[int, int]], ports_apply: bool) -> tuple[PacketSet, Ref]:
    """A rule-like set: ranges on some fields; port constraints optionally imply ports."""
    s = SPACE.all()
    for f, (lo, hi) in ranges.items():
        s &= SPACE.range(f, lo, hi)  # type: ignore[arg-type]
    ref = box_ref(ranges)
    if ports_apply and ({"src_port", "dst_port"} & ranges.keys()):
        s &= SPACE.ports_apply()
        inner = ref.pred
        ref = Ref(lambda p: inner(p) and p.protocol in PORT_PROTOCOLS, ref.cuts)
    return s, ref


@st.composite
def sets(draw: st.DrawFn, max_boxes: int = 3) -> tuple[PacketSet, Ref]:
    s, ref = SPACE.none(), NOTHING
    for _ in range(draw(st.integers(1, max_boxes))):
        b, r = build(draw(boxes()), draw(st.booleans()))
        s, ref = s | b, ref.join(r, lambda x, y: x or y)
    if draw(st.booleans()):  # carve out a hole, like a deny rule above an allow
        b, r = build(draw(boxes()), draw(st.booleans()))
        s, ref = s - b, ref.join(r, lambda x, y: x and not y)
    return s, ref


def packets(data: st.DataObject, ref: Ref, n: int = 25) -> list[Packet]:
    """Packets near the reference's cut points (where mistakes live), some invalid."""
    out = []
    for _ in range(n):
        vals = {}
        for f in FIELDS:
            near = sorted({min(max(c + d, 0), TOP[f]) for c in ref.cuts[f] | EXTRA[f]
                           for d in (-1, 0)})
            vals[f] = data.draw(st.one_of(st.sampled_from(near), value(f)))
        p = Packet(**vals)
        out.append(p if data.draw(st.integers(0, 4)) == 0 else p.normalized())
    return out


# -- properties ---------------------------------------------------------------------------

@FAST
@given(sets(), sets(), st.data())
def test_boolean_operations_match_reference(a: tuple[PacketSet, Ref], b: tuple[PacketSet, Ref],
                                            data: st.DataObject) -> None:
    (sa, ra), (sb, rb) = a, b
    cases = [(sa & sb, ra.join(rb, lambda x, y: x and y)),
             (sa | sb, ra.join(rb, lambda x, y: x or y)),
             (sa - sb, ra.join(rb, lambda x, y: x and not y)),
             (~sa, Ref(lambda p: not ra.has(p), ra.cuts))]
    both = ra.join(rb, lambda x, y: x)
    for p in packets(data, both):
        for s, r in cases:
            assert s.contains(p) == r.has(p), (p, s)
    assert (sa & sb) <= sa <= (sa | sb)
    assert sa - sb == sa & ~sb
    assert ~~sa == sa and (sa | ~sa) == SPACE.all() and not (sa & ~sa)
    assert ((sa & sb) == (sb & sa)) and hash(sa & sb) == hash(sb & sa)
    assert (sa < sa | sb) == (sb - sa).__bool__()


@SLOW
@given(sets(max_boxes=2), sets(max_boxes=1))
def test_count_matches_reference(a: tuple[PacketSet, Ref], b: tuple[PacketSet, Ref]) -> None:
    (sa, ra), (sb, rb) = a, b
    assert (sa | sb).count() == ra.join(rb, lambda x, y: x or y).count()
    assert (sa - sb).count() == ra.join(rb, lambda x, y: x and not y).count()
    assert (~sa).count() == SPACE.all().count() - ra.count()


@FAST
@given(sets(), st.data())
def test_swapped_matches_reference(a: tuple[PacketSet, Ref], data: st.DataObject) -> None:
    s, r = a

    def swap(p: Packet) -> Packet:
        return Packet(p.dst, p.src, p.protocol, p.dst_port, p.src_port)

    mixed = {f: r.cuts["src"] | r.cuts["dst"] if f in ("src", "dst") else
             r.cuts["src_port"] | r.cuts["dst_port"] if f.endswith("port") else r.cuts[f]
             for f in NAMES}
    for p in packets(data, Ref(r.pred, mixed)):
        assert s.swapped().contains(p) == r.has(swap(p))
    assert s.swapped().swapped() == s
    assert s.swapped().count() == s.count()


@FAST
@given(sets(), st.sampled_from([("src",), ("dst",), ("protocol",), ("dst_port",),
                                ("src", "src_port"), ("dst", "dst_port", "protocol")]),
       st.data())
def test_forget_matches_reference(a: tuple[PacketSet, Ref], fields: tuple[str, ...],
                                  data: st.DataObject) -> None:
    s, r = a
    f = s.forget(*fields)  # type: ignore[arg-type]
    assert s <= f
    for p in packets(data, r, n=12):
        assert f.contains(p) == (valid(p) and r.exists(p, *fields))


@FAST
@given(sets(), field_range("dst"), st.one_of(st.none(), field_range("dst_port")),
       st.booleans(), st.data())
def test_translation_matches_reference(a: tuple[PacketSet, Ref], addr: tuple[int, int],
                                       port: tuple[int, int] | None, snat: bool,
                                       data: st.DataObject) -> None:
    s, r = a
    f_addr, f_port = ("src", "src_port") if snat else ("dst", "dst_port")
    plo, phi = port if port else (None, None)
    t = (s.with_src if snat else s.with_dst)(addr[0], addr[1], plo, phi)
    cuts = dict(r.cuts)
    cuts[f_addr] |= {addr[0], addr[1] + 1}
    if port:
        cuts[f_port] |= {port[0], port[1] + 1}
    for p in packets(data, Ref(r.pred, cuts), n=12):
        in_addr = addr[0] <= getattr(p, f_addr) <= addr[1]
        if port and p.has_ports():
            expect = port[0] <= getattr(p, f_port) <= port[1] and r.exists(p, f_addr, f_port)
        else:
            expect = r.exists(p, f_addr)
        assert t.contains(p) == (valid(p) and in_addr and expect), p
    assert t.is_empty() == s.is_empty()


@FAST
@given(sets())
def test_boxes_cover_the_set_exactly(a: tuple[PacketSet, Ref]) -> None:
    s, _ = a
    bs = s.boxes()
    assert not bs.truncated
    assert SPACE.union(SPACE.box(b) for b in bs) == s
    assert all(SPACE.box(b) <= s for b in bs)
    assert len(bs) <= 12, [str(b) for b in bs]


@FAST
@given(sets(max_boxes=4), st.integers(1, 3))
def test_a_limited_cover_stops_early_and_says_so(a: tuple[PacketSet, Ref], limit: int) -> None:
    s, _ = a
    full, cut = s.boxes(), s.boxes(limit=limit)
    assert len(cut) <= limit and SPACE.union(SPACE.box(b) for b in cut) <= s
    if not cut.truncated:
        assert SPACE.union(SPACE.box(b) for b in cut) == s
    if cut.truncated:  # cut short: something is really left out
        assert SPACE.union(SPACE.box(b) for b in cut) < s and len(full) > len(cut)
    if not s:
        assert cut == [] and not cut.truncated


@FAST
@given(sets(), st.data())
def test_witness_is_a_member(a: tuple[PacketSet, Ref], data: st.DataObject) -> None:
    s, r = a
    w = s.witness()
    if s.is_empty():
        assert w is None
        return
    assert w is not None and s.contains(w) and r.has(w) and valid(w)
    assert s.witness() == w  # deterministic
    if s & SPACE.protocol(TCP):
        assert w.protocol == TCP
    for p in packets(data, r, n=5):
        if s.contains(p):
            assert s.witness(prefer=p) == p


def per_bit_witness(s: PacketSet, prefer: Packet | None) -> Packet | None:
    """The documented witness, computed the slow way: one substitution per bit."""
    sp, bdd, u = s.space, s.space.bdd, s.node
    if u == bdd.false:
        return None
    values: dict[str, int] = {}
    for f in ("protocol", "dst", "dst_port", "src", "src_port"):
        wanted = [getattr(prefer, f)] if prefer is not None else []
        wanted += [TCP, UDP, ICMP] if f == "protocol" else []
        for v in wanted:
            r = bdd.let(sp.assign(f, v), u)  # type: ignore[arg-type]
            if r != bdd.false:
                values[f], u = v, r
                break
        else:
            value = 0
            for name in sp.dims[f].names:  # type: ignore[index]
                r = bdd.let({name: False}, u)
                value <<= 1
                if r == bdd.false:
                    r, value = bdd.let({name: True}, u), value | 1
                u = r
            values[f] = value
    return Packet(**values)


@FAST
@given(sets(), st.data())
def test_witness_descent_equals_the_per_bit_definition(a: tuple[PacketSet, Ref],
                                                       data: st.DataObject) -> None:
    s, r = a
    prefers = [None, Packet(0xCB00710A, 0xC6336414, TCP, 49152, 443), *packets(data, r, n=3)]
    for prefer in prefers:
        assert s.witness(prefer=prefer) == per_bit_witness(s, prefer)
    for field in ("src", "dst", "protocol"):  # sets that leave one field's lowest value open
        narrowed = s - SPACE.range(field, 0, data.draw(st.integers(0, min(300, TOP[field]))))  # type: ignore[arg-type]
        assert narrowed.witness() == per_bit_witness(narrowed, None)


# -- named cases ---------------------------------------------------------------------------

def tcp_ports(*ports: int) -> PacketSet:
    s = SPACE.none()
    for port in ports:
        s |= SPACE.dst_ports(port, port)
    return s & SPACE.protocol(TCP)


def test_universe_is_one_box_of_stars() -> None:
    [b] = SPACE.all().boxes()
    assert all(b.is_full(f) for f in FIELDS)
    assert str(b) == "src * · dst * · any"
    assert SPACE.all().count() == 3 * 2**96 + 253 * 2**64
    assert SPACE.none().boxes() == [] and not SPACE.none()


def test_management_ports_render_as_one_box() -> None:
    [b] = tcp_ports(22, 3389).boxes()
    assert b.dst_port == ((22, 22), (3389, 3389)) and b.protocol == ((TCP, TCP),)
    assert str(b) == "src * · dst * · tcp · dport 22,3389"


def test_deny_above_allow_leaves_a_complemented_source() -> None:
    s = SPACE.ports_apply() & SPACE.dst_ports(22, 22) - SPACE.src_cidr("10.0.0.0/8")
    assert [str(b) for b in s.boxes()] == [
        "src * except 10.0.0.0/8 · dst * · tcp,udp,sctp · dport 22"]


def test_overlapping_rules_read_as_the_rules() -> None:
    ssh = tcp_ports(22)
    s = (SPACE.dst_cidr("10.1.0.5") & ssh) | (SPACE.src_cidr("10.0.0.0/8") & ssh)
    assert sorted(str(b) for b in s.boxes()) == [
        "src * · dst 10.1.0.5 · tcp · dport 22", "src 10.0.0.0/8 · dst * · tcp · dport 22"]


@pytest.mark.parametrize("box, text", [
    (Box(((0, 255),), ((IP("10.0.0.0/24")),), ((ICMP, ICMP),), ((0, 0),), ((0, 0),)),
     "src 0.0.0.0/24 · dst 10.0.0.0/24 · icmp"),
    (Box(((0, 2**32 - 1),), ((0, 2**32 - 1),), ((0, 5), (7, 255)), ((0, 65535),),
         ((80, 90),)), "src * · dst * · any except tcp · dport 80-90"),
    (Box(((0, 2**32 - 1),), ((1, 1),), ((ESP, AH),), ((0, 65535),), ((0, 65535),)),
     "src * · dst 0.0.0.1 · esp,ah"),
    (Box(((0, 2**32 - 1),), ((0, 2**32 - 1),), ((UDP, UDP),), ((53, 53),),
         ((0, 21), (23, 65535))), "src * · dst * · udp · sport 53 · dport * except 22"),
], ids=["icmp-no-ports", "protocol-complement", "esp-ah", "port-complement"])
def test_box_rendering(box: Box, text: str) -> None:
    assert str(box) == text


def test_packet_rendering_and_validity() -> None:
    p = Packet(IP("10.0.0.4")[0], IP("10.1.0.5")[0], TCP, 50000, 22)
    assert str(p) == "tcp 10.0.0.4:50000 -> 10.1.0.5:22"
    ping = Packet(p.src, p.dst, ICMP, 7, 7)
    assert str(ping) == "icmp 10.0.0.4 -> 10.1.0.5"
    assert SPACE.packet(ping).is_empty() and not SPACE.all().contains(ping)
    assert SPACE.packet(ping.normalized()).count() == 1
    assert SPACE.packet(p).witness() == p and SPACE.packet(p).count() == 1


def test_port_convention() -> None:
    ping = Packet(1, 2, ICMP)
    assert SPACE.dst_ports(0, 0).contains(ping)
    assert not (SPACE.ports_apply() & SPACE.dst_ports(0, 1024)).contains(ping)
    assert SPACE.ports_apply() == SPACE.protocol(TCP) | SPACE.protocol(UDP) | SPACE.protocol(SCTP)
    # a DNAT port rewrite leaves port-less protocols alone instead of dropping them
    t = SPACE.all().with_dst(5, 5, 8080)
    assert t.contains(Packet(1, 5, ICMP)) and t.contains(Packet(1, 5, TCP, 3, 8080))
    assert not t.contains(Packet(1, 5, TCP, 3, 80))


@pytest.mark.parametrize("lo, hi, bits, expected", [
    (0, 2**32 - 1, 32, [(0, 0)]),
    (*IP("10.0.0.0/24"), 32, [(IP("10.0.0.0/24")[0], 24)]),
    (1, 6, 3, [(1, 3), (2, 2), (4, 2), (6, 3)]),
    (5, 5, 32, [(5, 32)]),
])
def test_range_to_cidrs(lo: int, hi: int, bits: int, expected: list[tuple[int, int]]) -> None:
    assert range_to_cidrs(lo, hi, bits) == expected


def test_range_to_cidrs_exhaustive_small() -> None:
    bits = 5
    for lo in range(32):
        for hi in range(lo, 32):
            blocks = range_to_cidrs(lo, hi, bits)
            covered = [v for n, plen in blocks for v in range(n, n + (1 << (bits - plen)))]
            assert covered == list(range(lo, hi + 1))
            assert all(n % (1 << (bits - plen)) == 0 for n, plen in blocks)
            assert len(blocks) <= 2 * bits - 2 or (lo, hi) == (0, 31)


@FAST
@given(field_range("src"))
def test_range_encoding_is_linear_in_bits(r: tuple[int, int]) -> None:
    assert SPACE.raw_range("src", *r).dag_size <= 2 * 32 + 1


def test_truncation_is_flagged() -> None:
    s = SPACE.none()
    for i in range(10):  # ten distinct (port, source) pairs: ten boxes
        s |= tcp_ports(1000 + 2 * i) & SPACE.src_range(i * 4, i * 4)
    bs = s.boxes(limit=3)
    assert len(bs) == 3 and bs.truncated
    assert SPACE.union(SPACE.box(b) for b in bs) < s
    odd = PacketSet(SPACE, SPACE.bdd.var("sa31") & SPACE.valid)  # every odd source
    assert odd.boxes().truncated and odd.count() == SPACE.all().count() // 2


def test_sets_from_different_spaces_do_not_mix() -> None:
    with pytest.raises(ValueError):
        _ = SPACE.all() & PacketSpace().all()
    with pytest.raises(ValueError):
        SPACE.src_range(5, 4)


def test_sets_are_hashable_values() -> None:
    a = SPACE.src_cidr("10.0.0.0/8")
    b = SPACE.src_cidr("10.0.0.0/9") | SPACE.src_cidr("10.128.0.0/9")
    assert a == b and len({a, b}) == 1


def test_ipv6_layout() -> None:
    sp = PacketSpace(Layout(addr_bits=128))
    lo, hi = IP("2001:db8::/32")
    s = sp.src_range(lo, hi) & sp.protocol(TCP) & sp.dst_ports(443, 443)
    assert str(s) == "src 2001:db8::/32 · dst * · tcp · dport 443"
    assert s.witness() == Packet(lo, 0, TCP, 0, 443)
    assert s.swapped().witness() == Packet(0, lo, TCP, 443, 0)


def test_autoref_backend_agrees() -> None:
    sp = PacketSpace(backend="autoref")
    s = sp.ports_apply() & sp.dst_ports(22, 22) - sp.src_cidr("10.0.0.0/8")
    assert str(s) == "src * except 10.0.0.0/8 · dst * · tcp,udp,sctp · dport 22"
    assert s.count() == (2**32 - 2**24) * 2**32 * 3 * 2**16
    w = s.witness()
    assert s.swapped().swapped() == s and w is not None and w in s


@pytest.mark.parametrize("backend", ["cudd", "autoref"])
def test_a_space_collected_in_a_cycle_shuts_down_quietly(backend: str) -> None:
    import gc
    import sys

    caught: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, caught.append
    try:
        class Holder:
            pass

        h = Holder()
        h.space = PacketSpace(backend=backend)  # type: ignore[attr-defined]
        h.sets = [h.space.src_range(1, 100), h.space.all()]  # type: ignore[attr-defined]
        h.me = h  # type: ignore[attr-defined]
        del h
        gc.collect()
        PacketSpace()  # lets go of managers nothing holds any more
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert caught == []
