"""Exact, symbolic sets of packets, backed by BDDs (``dd.cudd``; ``dd.autoref`` as fallback).

A packet has five dimensions: source and destination address (``Layout.addr_bits`` wide:
32 for IPv4; IPv6 needs only ``Layout(addr_bits=128)``), IANA protocol number (8 bits),
and source and destination port (16 bits each). One BDD variable per bit, most
significant bit first within a dimension.

Port convention
    The universe ``space.all()`` holds only *valid* packets: a protocol without ports
    (anything but TCP, UDP and SCTP) has source and destination port 0. Every set this
    module builds stays inside that universe, and ``~s`` is the complement within it.
    ``src_ports``/``dst_ports`` constrain the raw field, so ``dst_ports(0, 0)`` includes
    ICMP. An NSG rule naming port 22 matches only port-bearing protocols, so build it
    as ``space.ports_apply() & space.dst_ports(22, 22)``; a rule with port ``*`` is
    ``space.all()``.

Variable order (``Layout.order``, top of the BDD first): protocol, destination port,
source port, source address, destination address.
    Fields are laid out one after the other, not interleaved: sets come from products
    of per-field ranges (rules), and a product of ranges over consecutive blocks has
    a size that is the *sum* of the factors' sizes (O(bits) each). Interleaving only
    pays for relations between fields (src == dst), which we never need. Small-domain
    fields with few distinct classes (protocols, ports) come first, so a rule set
    branches into a handful of protocol/port classes before the address levels, where
    the many distinct prefixes live; the address sub-BDDs are then shared between
    classes. The ports sit right after the protocol, so the validity constraint
    "no ports unless TCP/UDP/SCTP" is local (it does not duplicate address levels).
    The box decomposition (``boxes.py``) walks dimensions in this same order, which
    is also the order that reads best: "tcp · dport 22,3389 · from X to Y".
    Dynamic reordering is disabled: the order is part of the design.

``PacketSpace`` owns one BDD manager and a layout; pass it explicitly. Sets from
different spaces never mix.
"""

from __future__ import annotations

import importlib
import ipaddress
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

try:
    from dd import cudd as _dd
except ImportError:  # pragma: no cover - exercised only where CUDD is unavailable
    from dd import autoref as _dd

if TYPE_CHECKING:
    from netwarden.engine.boxes import Box, Boxes

Node = Any  # a dd BDD function (dd has no type stubs)

Field = Literal["src", "dst", "protocol", "src_port", "dst_port"]
FIELDS: tuple[Field, ...] = ("src", "dst", "protocol", "src_port", "dst_port")
DEFAULT_ORDER: tuple[Field, ...] = ("protocol", "dst_port", "src_port", "src", "dst")

ICMP, TCP, UDP, ESP, AH, ICMPV6, SCTP = 1, 6, 17, 50, 51, 58, 132
PORT_PROTOCOLS = frozenset({TCP, UDP, SCTP})
PROTOCOL_NAMES = {ICMP: "icmp", TCP: "tcp", UDP: "udp", ESP: "esp", AH: "ah",
                  ICMPV6: "icmpv6", SCTP: "sctp"}
PROTOCOL_NUMBERS = {name: n for n, name in PROTOCOL_NAMES.items()}
_PREFERRED_PROTOCOLS = (TCP, UDP, ICMP)
_WITNESS_ORDER: tuple[Field, ...] = ("protocol", "dst", "dst_port", "src", "src_port")
_VAR_PREFIX = {"src": "sa", "dst": "da", "protocol": "pr", "src_port": "sp", "dst_port": "dp"}


@dataclass(frozen=True)
class Layout:
    """Widths and BDD variable order of the five dimensions (see the module docstring)."""

    addr_bits: int = 32
    order: tuple[Field, ...] = DEFAULT_ORDER

    def __post_init__(self) -> None:
        if self.addr_bits < 1:
            raise ValueError(f"addr_bits must be positive, got {self.addr_bits}")
        if sorted(self.order) != sorted(FIELDS):
            raise ValueError(f"order must be a permutation of {FIELDS}, got {self.order}")

    def width(self, field: Field) -> int:
        if field in ("src", "dst"):
            return self.addr_bits
        return 8 if field == "protocol" else 16


def format_addr(value: int, bits: int = 32) -> str:
    """``167772164`` -> ``"10.0.0.4"`` (IPv6 for 128 bits; a plain number otherwise)."""
    if bits == 32:
        return str(ipaddress.IPv4Address(value))
    if bits == 128:
        return str(ipaddress.IPv6Address(value))
    return str(value)


def cidr_to_range(text: str) -> tuple[int, int]:
    """``"10.0.0.0/8"`` (or a bare address) -> inclusive integer range."""
    net = ipaddress.ip_network(text, strict=False)
    return int(net.network_address), int(net.broadcast_address)


def protocol_name(n: int) -> str:
    return PROTOCOL_NAMES.get(n, str(n))


@dataclass(frozen=True)
class Packet:
    src: int
    dst: int
    protocol: int
    src_port: int = 0
    dst_port: int = 0

    def has_ports(self) -> bool:
        return self.protocol in PORT_PROTOCOLS

    def normalized(self) -> Packet:
        """The valid packet: ports zeroed for protocols that have none."""
        if self.has_ports():
            return self
        return Packet(self.src, self.dst, self.protocol, 0, 0)

    def __str__(self) -> str:
        def end(addr: int, port: int) -> str:
            text = format_addr(addr, 32 if addr < 1 << 32 else 128)
            if not self.has_ports():
                return text
            return f"{text}:{port}" if addr < 1 << 32 else f"[{text}]:{port}"

        return (f"{protocol_name(self.protocol)} "
                f"{end(self.src, self.src_port)} -> {end(self.dst, self.dst_port)}")


@dataclass(frozen=True)
class _Dim:
    field: Field
    width: int
    names: tuple[str, ...]  # MSB first
    level: int  # level of the MSB; the dimension occupies [level, level + width)


# A dd manager refuses to shut down while nodes of it are referenced, and every node
# handle holds its manager. Python's cycle collector, though, may clear a manager inside
# a garbage cycle before the handles in that cycle ("Still N nodes referenced", and the
# manager leaks). So managers are kept here and let go only once nothing else holds them.
_MANAGERS: list[Any] = []


def _new_manager(backend: str | None) -> Any:
    _MANAGERS[:] = [m for m in _MANAGERS if sys.getrefcount(m) > 3]  # list, m, argument
    module = importlib.import_module(f"dd.{backend}") if backend else _dd
    if module.__name__ == "dd.cudd":
        manager = module.BDD(initial_cache_size=1 << 14)  # ~1 MB; CUDD grows it on demand
    else:
        manager = module.BDD()
    _MANAGERS.append(manager)
    return manager


class PacketSpace:
    """One BDD manager plus a layout; the factory of every ``PacketSet`` over it.
    ``backend`` ("cudd" or "autoref") overrides the default choice, for tests."""

    def __init__(self, layout: Layout = Layout(), backend: str | None = None) -> None:
        self.layout = layout
        self.bdd: Any = _new_manager(backend)
        self.dims: dict[Field, _Dim] = {}
        level = 0
        for f in layout.order:
            w = layout.width(f)
            names = tuple(f"{_VAR_PREFIX[f]}{i}" for i in range(w))
            self.bdd.declare(*names)
            self.dims[f] = _Dim(f, w, names, level)
            level += w
        self.bdd.configure(reordering=False)
        self.nvars = level
        self.var_bit: dict[str, tuple[Field, int]] = {
            name: (d.field, d.width - 1 - i) for d in self.dims.values()
            for i, name in enumerate(d.names)}
        self._cache: dict[tuple[Field, int, int], Node] = {}
        self.port_protocols: Node = self.bdd.false
        for p in sorted(PORT_PROTOCOLS):
            self.port_protocols |= self.raw_range("protocol", p, p)
        no_ports = self.raw_range("src_port", 0, 0) & self.raw_range("dst_port", 0, 0)
        self.valid: Node = self.port_protocols | no_ports

    # -- raw BDDs (not intersected with the valid universe) ------------------------------

    def raw_range(self, field: Field, lo: int, hi: int) -> Node:
        """``lo <= field <= hi`` built bit-wise: O(width) nodes and operations."""
        key = (field, lo, hi)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        dim = self.dims[field]
        if not 0 <= lo <= hi < 1 << dim.width:
            raise ValueError(f"bad {field} range {lo}..{hi} (width {dim.width} bits)")
        bdd = self.bdd
        ge = le = bdd.true
        for i, name in enumerate(reversed(dim.names)):  # least significant bit first
            x = bdd.var(name)
            ge = (x & ge) if lo >> i & 1 else (x | ge)
            le = (~x | le) if hi >> i & 1 else (~x & le)
        node = ge & le
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = node
        return node

    def raw_ranges(self, field: Field, ranges: Iterable[tuple[int, int]]) -> Node:
        node = self.bdd.false
        for lo, hi in ranges:
            node |= self.raw_range(field, lo, hi)
        return node

    def wrap(self, node: Node) -> PacketSet:
        return PacketSet(self, node & self.valid)

    # -- constructors --------------------------------------------------------------------

    def all(self) -> PacketSet:
        return PacketSet(self, self.valid)

    def none(self) -> PacketSet:
        return PacketSet(self, self.bdd.false)

    def range(self, field: Field, lo: int, hi: int) -> PacketSet:
        return self.wrap(self.raw_range(field, lo, hi))

    def src_range(self, lo: int, hi: int) -> PacketSet:
        return self.range("src", lo, hi)

    def dst_range(self, lo: int, hi: int) -> PacketSet:
        return self.range("dst", lo, hi)

    def src_cidr(self, text: str) -> PacketSet:
        return self.src_range(*cidr_to_range(text))

    def dst_cidr(self, text: str) -> PacketSet:
        return self.dst_range(*cidr_to_range(text))

    def protocol(self, n: int) -> PacketSet:
        return self.range("protocol", n, n)

    def src_ports(self, lo: int, hi: int) -> PacketSet:
        return self.range("src_port", lo, hi)

    def dst_ports(self, lo: int, hi: int) -> PacketSet:
        return self.range("dst_port", lo, hi)

    def ports_apply(self) -> PacketSet:
        """Packets whose protocol carries ports (TCP, UDP, SCTP), any ports."""
        return PacketSet(self, self.port_protocols)

    def packet(self, p: Packet) -> PacketSet:
        """The set holding just ``p``; empty if ``p`` is not valid (see ``Packet.normalized``)."""
        node = self.valid
        for f in FIELDS:
            v = getattr(p, f)
            node &= self.raw_range(f, v, v)
        return PacketSet(self, node)

    def box(self, box: Box) -> PacketSet:
        """The valid packets inside a box (the inverse of ``PacketSet.boxes``)."""
        node = self.valid
        for f in FIELDS:
            node &= self.raw_ranges(f, getattr(box, f))
        return PacketSet(self, node)

    def union(self, sets: Iterable[PacketSet]) -> PacketSet:
        """The union, joined pairwise as a balanced tree: joining many sets one by one
        into an ever larger result costs that result's size each time."""
        nodes = [self._own(s).node for s in sets]
        if not nodes:
            return PacketSet(self, self.bdd.false)
        while len(nodes) > 1:
            nodes = [nodes[i] | nodes[i + 1] if i + 1 < len(nodes) else nodes[i]
                     for i in range(0, len(nodes), 2)]
        return PacketSet(self, nodes[0])

    # -- helpers for PacketSet -----------------------------------------------------------

    def _own(self, s: PacketSet) -> PacketSet:
        if s.space is not self:
            raise ValueError("packet sets from different PacketSpaces cannot be combined")
        return s

    def vars_of(self, *fields: Field) -> list[str]:
        return [n for f in fields for n in self.dims[f].names]

    def assign(self, field: Field, value: int) -> dict[str, bool]:
        dim = self.dims[field]
        return {n: bool(value >> (dim.width - 1 - i) & 1) for i, n in enumerate(dim.names)}


class PacketSet:
    """An immutable set of valid packets: one BDD node of one ``PacketSpace``.

    A plain slotted class rather than a frozen dataclass: the engine creates hundreds of
    thousands of these on large estates, and a frozen dataclass's constructor costs
    several times more. Treat instances as immutable."""

    __slots__ = ("node", "space")

    def __init__(self, space: PacketSpace, node: Node) -> None:
        self.space = space
        self.node = node

    def _new(self, node: Node) -> PacketSet:
        return PacketSet(self.space, node)

    def __and__(self, other: PacketSet) -> PacketSet:
        if other.space is not self.space:
            self.space._own(other)
        return PacketSet(self.space, self.node & other.node)

    def __or__(self, other: PacketSet) -> PacketSet:
        if other.space is not self.space:
            self.space._own(other)
        return PacketSet(self.space, self.node | other.node)

    def __sub__(self, other: PacketSet) -> PacketSet:
        if other.space is not self.space:
            self.space._own(other)
        return PacketSet(self.space, self.node & ~other.node)

    def __invert__(self) -> PacketSet:
        return self._new(self.space.valid & ~self.node)

    def __le__(self, other: PacketSet) -> bool:
        return bool((self.node & ~self.space._own(other).node) == self.space.bdd.false)

    def __ge__(self, other: PacketSet) -> bool:
        return self.space._own(other) <= self

    def __lt__(self, other: PacketSet) -> bool:
        return self <= other and self != other

    def __gt__(self, other: PacketSet) -> bool:
        return self >= other and self != other

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PacketSet):
            return NotImplemented
        return self.space is other.space and bool(self.node == other.node)

    def __hash__(self) -> int:
        return hash((id(self.space), self.node))

    def __bool__(self) -> bool:
        return not self.is_empty()

    def is_empty(self) -> bool:
        return bool(self.node == self.space.bdd.false)

    def contains(self, p: Packet) -> bool:
        sp = self.space
        u, false = self.node, sp.bdd.false
        while u.var is not None:
            field, bit = sp.var_bit[u.var]
            lo, hi = (~u.low, ~u.high) if u.negated else (u.low, u.high)
            u = hi if getattr(p, field) >> bit & 1 else lo
        return bool(u != false)

    def __contains__(self, p: Packet) -> bool:
        return self.contains(p)

    def witness(self, prefer: Packet | None = None) -> Packet | None:
        """A deterministic member, or None. Fields are fixed in the order protocol, dst,
        dst port, src, src port; each takes ``prefer``'s value when the set still allows
        it (protocols then fall back to tcp, udp, icmp), else the lowest value left.

        A few BDD operations per field rather than one per bit: a preferred value is one
        substitution; the lowest value left is read off the projection onto the field
        (the other free fields quantified away) by one descent, taking the low branch
        wherever it is not false."""
        sp, bdd = self.space, self.space.bdd
        u = self.node
        if u == bdd.false:
            return None
        values: dict[str, int] = {}
        free = list(_WITNESS_ORDER)
        for f in _WITNESS_ORDER:
            free.remove(f)
            wanted = [getattr(prefer, f)] if prefer is not None else []
            if f == "protocol":
                wanted += _PREFERRED_PROTOCOLS
            for v in wanted:
                if 0 <= v < 1 << sp.dims[f].width:
                    r = bdd.let(sp.assign(f, v), u)
                    if r != bdd.false:
                        values[f], u = v, r
                        break
            else:
                values[f] = v = _lowest(sp, f, bdd.exist(sp.vars_of(*free), u) if free else u)
                u = bdd.let(sp.assign(f, v), u)
        return Packet(**values)

    def swapped(self) -> PacketSet:
        """Return traffic: source and destination addresses and ports exchanged."""
        sp = self.space
        ren: dict[str, str] = {}
        for a, b in (("src", "dst"), ("src_port", "dst_port")):
            for x, y in zip(sp.dims[a].names, sp.dims[b].names):  # type: ignore[index]
                ren[x], ren[y] = y, x
        return self._new(sp.bdd.let(ren, self.node))

    def forget(self, *fields: Field) -> PacketSet:
        """Existential projection: any value of ``fields`` (within the valid universe)."""
        sp = self.space
        return self._new(sp.bdd.exist(sp.vars_of(*fields), self.node) & sp.valid)

    def _rewrite(self, addr: Field, port: Field, lo: int, hi: int,
                 port_lo: int | None, port_hi: int | None) -> PacketSet:
        sp, bdd = self.space, self.space.bdd
        node = bdd.exist(sp.vars_of(addr), self.node) & sp.raw_range(addr, lo, hi)
        if port_lo is not None:
            port_hi = port_lo if port_hi is None else port_hi
            bearing = bdd.exist(sp.vars_of(port), node & sp.port_protocols)
            bearing &= sp.raw_range(port, port_lo, port_hi) & sp.port_protocols
            node = (node & ~sp.port_protocols) | bearing
        return self._new(node)

    def with_dst(self, lo: int, hi: int, port_lo: int | None = None,
                 port_hi: int | None = None) -> PacketSet:
        """DNAT / load-balancer translation: the destination becomes ``[lo, hi]`` and, if
        given, the destination port becomes ``[port_lo, port_hi]`` for port-bearing
        protocols (other protocols keep port 0; nothing is dropped)."""
        return self._rewrite("dst", "dst_port", lo, hi, port_lo, port_hi)

    def with_src(self, lo: int, hi: int, port_lo: int | None = None,
                 port_hi: int | None = None) -> PacketSet:
        """SNAT: the source becomes ``[lo, hi]`` (and the source port, as ``with_dst``)."""
        return self._rewrite("src", "src_port", lo, hi, port_lo, port_hi)

    def count(self) -> int:
        """The exact number of packets (CUDD's own count is a float)."""
        sp, bdd = self.space, self.space.bdd
        n = sp.nvars
        memo: dict[Any, int] = {}

        def level(u: Node) -> int:
            return n if u.var is None else int(u.level)

        def rec(u: Node) -> int:  # models over the variables at levels [level(u), n)
            if u.var is None:
                return 1 if u == bdd.true else 0
            got = memo.get(u)
            if got is None:
                lo, hi = (~u.low, ~u.high) if u.negated else (u.low, u.high)
                lv = level(u)
                got = (rec(lo) << (level(lo) - lv - 1)) + (rec(hi) << (level(hi) - lv - 1))
                memo[u] = got
            return got

        return rec(self.node) << level(self.node)

    def boxes(self, limit: int | None = None) -> Boxes:
        """A compact cover by boxes; see ``netwarden.engine.boxes.cover``."""
        from netwarden.engine.boxes import cover

        return cover(self, limit)

    def __str__(self) -> str:
        if self.is_empty():
            return "(no packets)"
        bs = self.boxes(limit=8)
        return "; ".join(map(str, bs)) + (" …" if bs.truncated else "")

    def __repr__(self) -> str:
        return f"PacketSet({self})"


def _lowest(sp: PacketSpace, f: Field, u: Node) -> int:
    """The lowest value of field ``f`` in ``u``, a non-false BDD over ``f``'s variables
    only: one descent from the most significant bit, low branch first."""
    dim, false = sp.dims[f], sp.bdd.false
    value = 0
    for i, name in enumerate(dim.names):
        value <<= 1
        if u.var != name:  # this bit is not tested: 0 will do
            continue
        lo, hi = (~u.low, ~u.high) if u.negated else (u.low, u.high)
        if lo != false:
            u = lo
        else:
            u, value = hi, value | 1
    return value
