"""Boxes: the readable face of a packet set.

A ``Box`` is a product of per-dimension unions of integer ranges; it denotes the *valid*
packets inside that product (see the port convention in ``packets.py``), so a box with
protocol ``any`` and ``dport 22`` holds TCP, UDP and SCTP to port 22, and a box whose
protocols have no ports needs no port ranges (they render as nothing).

``cover(s)`` turns a set into a short list of boxes whose union is exactly ``s``:

1. Ports are made "don't care" for protocols without ports, so ``all()`` is one box.
2. Decomposition along the BDD's variable order: for the top dimension, walk its bits
   to enumerate the intervals on which the residual BDD is constant; intervals with the
   same residual become one box component (``dport 22,3389``), and the residual is
   decomposed along the next dimension. Memoised on (node, dimension); residuals are
   canonical BDD nodes, so equal behaviour is grouped exactly.
3. Expansion (as in Espresso): each box grows, one dimension at a time, to every value
   that keeps it inside the set, so an L-shaped union reads as its two rules.
4. Boxes covered by the others are dropped; the rest are sorted.
The union is always exact unless ``Boxes.truncated`` says the cover was cut short
(``limit`` reached, or a pathological set exceeded the interval budget).
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from netwarden.engine.intervals import merge
from netwarden.engine.packets import (
    FIELDS,
    PORT_PROTOCOLS,
    Field,
    Node,
    PacketSet,
    PacketSpace,
    _Dim,
    format_addr,
    protocol_name,
)

Ranges = tuple[tuple[int, int], ...]
_EXPAND_MAX = 256  # boxes beyond this are left unexpanded (cost is per box)
_BUDGET = 1_000_000  # intervals produced by the walk, per cover() call
_UNLIMITED = 1 << 62


def range_to_cidrs(lo: int, hi: int, bits: int = 32) -> list[tuple[int, int]]:
    """The minimal list of aligned blocks ``(network, prefix_len)`` covering ``[lo, hi]``."""
    if not 0 <= lo <= hi < 1 << bits:
        raise ValueError(f"bad range {lo}..{hi} for {bits} bits")
    out: list[tuple[int, int]] = []
    while lo <= hi:
        size = (lo & -lo) or 1 << bits  # largest block aligned at lo ...
        while size > hi - lo + 1:  # ... that fits
            size >>= 1
        out.append((lo, bits - size.bit_length() + 1))
        lo += size
    return out


def format_cidr(network: int, prefix_len: int, bits: int = 32) -> str:
    """A block as text; a single host is shown without ``/32``."""
    text = format_addr(network, bits)
    return text if prefix_len == bits else f"{text}/{prefix_len}"



def _complement(ranges: Ranges, top: int) -> Ranges:
    out, nxt = [], 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= top:
        out.append((nxt, top))
    return tuple(out)


def _render(ranges: Ranges, top: int, item: Any, joiner: str = ",") -> str:
    """``*``, the items, or ``* except <items>`` when that is shorter."""
    if ranges == ((0, top),):
        return "*"

    def items(rs: Ranges) -> list[str]:
        return [s for r in rs for s in item(r)]

    own, comp = items(ranges), items(_complement(ranges, top))
    if len(comp) < len(own):
        return "* except " + joiner.join(comp)
    return joiner.join(own)


@dataclass(frozen=True)
class Box:
    """Per-dimension unions of inclusive ranges (sorted, disjoint, non-adjacent)."""

    src: Ranges
    dst: Ranges
    protocol: Ranges
    src_port: Ranges
    dst_port: Ranges
    addr_bits: int = 32

    def top(self, f: Field) -> int:
        return (1 << self.addr_bits if f in ("src", "dst") else 1 << 8 if f == "protocol"
                else 1 << 16) - 1

    def is_full(self, f: Field) -> bool:
        return bool(getattr(self, f) == ((0, self.top(f)),))

    def size(self) -> int:
        """The number of points of the product (including invalid packets)."""
        n = 1
        for f in FIELDS:
            n *= sum(hi - lo + 1 for lo, hi in getattr(self, f))
        return n

    def render(self, f: Field) -> str:
        ranges: Ranges = getattr(self, f)
        if f in ("src", "dst"):
            return _render_addresses(ranges, self.addr_bits)
        if f == "protocol":
            return _render_protocols(ranges)
        return _render_ports(ranges)

    def rendered(self) -> dict[str, str]:
        """Each field rendered, and the whole box as ``text`` (``str(box)``)."""
        fields = {f: self.render(f) for f in FIELDS}
        parts = [f"src {fields['src']}", f"dst {fields['dst']}", fields["protocol"]]
        ports: tuple[tuple[str, Field], ...] = (("sport", "src_port"), ("dport", "dst_port"))
        if any(lo <= p <= hi for p in PORT_PROTOCOLS for lo, hi in self.protocol):
            parts += [f"{label} {fields[f]}" for label, f in ports if not self.is_full(f)]
        fields["text"] = " · ".join(parts)
        return fields

    def __str__(self) -> str:
        return self.rendered()["text"]


# Rendering is pure and the same ranges recur in many boxes (a subnet's addresses, the
# internet, a rule's ports): each distinct one is rendered once.

@lru_cache(maxsize=1 << 16)
def _render_addresses(ranges: Ranges, bits: int) -> str:
    top = (1 << bits) - 1
    if ranges == ((0, top),):
        return "*"
    own = [b for lo, hi in ranges for b in range_to_cidrs(lo, hi, bits)]
    comp = [b for lo, hi in _complement(ranges, top) for b in range_to_cidrs(lo, hi, bits)]
    if len(comp) < len(own):
        return "* except " + ", ".join(format_cidr(n, p, bits) for n, p in comp)
    return ", ".join(format_cidr(n, p, bits) for n, p in own)


@lru_cache(maxsize=1 << 12)
def _render_protocols(ranges: Ranges) -> str:
    text = _render(ranges, 255, lambda r: [protocol_name(r[0])] if r[0] == r[1] else
                   [protocol_name(r[0]), protocol_name(r[1])] if r[1] == r[0] + 1
                   else [f"{r[0]}-{r[1]}"])
    return "any" + text[1:] if text.startswith("*") else text


@lru_cache(maxsize=1 << 14)
def _render_ports(ranges: Ranges) -> str:
    return _render(ranges, 65535, lambda r: [str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}"])


class Boxes(list[Box]):
    """A list of boxes; ``truncated`` is True when their union is only part of the set."""

    truncated: bool = False


_Intervals = dict[tuple[Any, int, int], list[tuple[int, int, Node]]]
# Interval lists depend only on the (canonical) node, so every cover of one space shares
# them: cells towards one subnet share that subnet's address levels, for one. Only exact
# lists are kept (a list cut short by the budget is never stored).
_SHARED: dict[int, tuple[PacketSpace, _Intervals]] = {}
_SHARED_MAX = 2_000_000
# Emptied before the interpreter tears the modules down: torn down with them, millions
# of BDD node references are released in an order that takes CUDD many seconds (about
# 20 s after a matrix of the large benchmark estate; half a second this way).
atexit.register(_SHARED.clear)


def _shared_intervals(space: PacketSpace) -> _Intervals:
    got = _SHARED.get(id(space))
    if got is None or got[0] is not space:
        _SHARED.clear()  # one space at a time: a memo must not keep old managers alive
        got = _SHARED[id(space)] = (space, {})
    if len(got[1]) > _SHARED_MAX:
        got[1].clear()
    return got[1]


class _Cover:
    def __init__(self, space: PacketSpace, target: Node) -> None:
        self.space, self.bdd, self.target = space, space.bdd, target
        self.dims: list[_Dim] = [space.dims[f] for f in space.layout.order]
        self.budget = _BUDGET
        self.memo: _Intervals = _shared_intervals(space)
        self.suffixes: dict[tuple[Any, int], tuple[list[tuple[Ranges, ...]], bool]] = {}

    def intervals(self, u: Node, d: int, i: int = 0) -> list[tuple[int, int, Node]]:
        """Maximal intervals of dimension ``d`` (bits from ``i`` on, offsets relative to
        the current block) on which the residual below the dimension is constant."""
        key = (u, d, i)
        got = self.memo.get(key)
        if got is not None:
            return got
        dim = self.dims[d]
        span = 1 << (dim.width - i)
        if self.budget < 0:
            return []  # truncated: a subset of the true intervals
        level = self.space.nvars if u.var is None else u.level
        if level >= dim.level + dim.width:
            res = [(0, span - 1, u)]
        elif level > dim.level + i:
            # bits i .. k-1 are not tested: the intervals from bit k on, repeated 2^(k-i)
            # times (typically one interval, so once)
            k = level - dim.level
            sub, step = self.intervals(u, d, k), span >> (k - i)
            if len(sub) == 1:
                res = [(0, span - 1, sub[0][2])]
            else:
                copies = 1 << (k - i)
                self.budget -= copies * len(sub)
                if self.budget < 0:
                    return []
                res = []
                for j in range(copies):
                    res = _joined(res, sub, j * step) if res else list(sub)
        else:
            lo, hi = (~u.low, ~u.high) if u.negated else (u.low, u.high)
            a, b = self.intervals(lo, d, i + 1), self.intervals(hi, d, i + 1)
            self.budget -= len(a) + len(b)
            if self.budget < 0:
                return []
            res = _joined(a, b, span >> 1)
        self.memo[key] = res
        return res

    def decompose(self, u: Node, d: int, want: int) -> list[tuple[Ranges, ...]]:
        """Disjoint boxes (components in dimension order) covering ``u`` exactly, in a
        fixed order; only the first ``want`` of them when there are more (then the list
        holds exactly ``want``: callers ask for one more than they keep to learn that)."""
        if u == self.bdd.false:
            return []
        if d == len(self.dims):
            return [()]
        key = (u, d)
        got = self.suffixes.get(key)
        if got is not None and (got[1] or len(got[0]) >= want):
            return got[0][:want]
        groups: dict[Any, list[tuple[int, int]]] = {}
        for lo, hi, r in self.intervals(u, d):
            if r != self.bdd.false:
                groups.setdefault(r, []).append((lo, hi))
        out: list[tuple[Ranges, ...]] = []
        for r, rs in groups.items():
            head = tuple(rs)
            out += [(head, *rest) for rest in self.decompose(r, d + 1, want - len(out))]
            if len(out) >= want:
                break
        complete = len(out) < want
        self.suffixes[key] = (out, complete)
        return out

    def prefixes(self, u: Node, d: int, stop: int) -> list[tuple[tuple[Ranges, ...], Node]]:
        """Disjoint boxes over the dimensions before ``stop`` (as ``decompose``), each
        with the residual BDD over the dimensions from ``stop`` on."""
        if u == self.bdd.false:
            return []
        if d == stop:
            return [((), u)]
        groups: dict[Any, list[tuple[int, int]]] = {}
        for lo, hi, r in self.intervals(u, d):
            if r != self.bdd.false:
                groups.setdefault(r, []).append((lo, hi))
        return [((tuple(rs), *rest), node) for r, rs in groups.items()
                for rest, node in self.prefixes(r, d + 1, stop)]

    def product(self, comps: tuple[Ranges, ...], skip: int = -1) -> Node:
        node = self.bdd.true
        for d, rs in enumerate(comps):
            if d != skip:
                node &= self.space.raw_ranges(self.dims[d].field, rs)
        return node

    def expand(self, comps: tuple[Ranges, ...]) -> tuple[Ranges, ...]:
        for d in range(len(self.dims)):
            rest = self.product(comps, skip=d)
            others = [n for e, dim in enumerate(self.dims) if e != d for n in dim.names]
            allowed = self.bdd.forall(others, ~rest | self.target)
            grown = tuple((lo, hi) for lo, hi, r in self.intervals(allowed, d)
                          if r == self.bdd.true)
            if self.budget >= 0:
                comps = comps[:d] + (grown,) + comps[d + 1:]
        return comps

    def irredundant(self, boxes: list[tuple[Ranges, ...]]) -> list[tuple[Ranges, ...]]:
        nodes = [self.product(c) for c in boxes]
        prefix = [self.bdd.false]
        for n in nodes[:-1]:
            prefix.append(prefix[-1] | n)
        kept, after = [], self.bdd.false
        for i in reversed(range(len(boxes))):
            if (nodes[i] & ~(prefix[i] | after)) != self.bdd.false:
                kept.append(boxes[i])
                after |= nodes[i]
        return kept[::-1]


def _joined(a: list[tuple[int, int, Node]], b: list[tuple[int, int, Node]],
            offset: int) -> list[tuple[int, int, Node]]:
    """Two blocks' intervals, ``b``'s shifted by ``offset`` (where ``a``'s block ends):
    each list covers its block and is maximal, so only where they meet can two merge."""
    last, first = a[-1], b[0]
    if last[2] == first[2]:
        return [*a[:-1], (last[0], first[1] + offset, first[2]),
                *[(x + offset, y + offset, r) for x, y, r in b[1:]]]
    return [*a, *[(x + offset, y + offset, r) for x, y, r in b]]


def cover(s: PacketSet, limit: int | None = None) -> Boxes:
    """A compact list of boxes whose union (within the valid universe) is exactly ``s``.

    With ``limit``, at most that many boxes, and ``truncated`` set when some of ``s``
    is left out. A set whose decomposition exceeds an internal budget (e.g. "every odd
    address") is also returned truncated rather than enumerated for ever."""
    sp = s.space
    ports = sp.vars_of("src_port", "dst_port")
    target = (s.node & sp.port_protocols) | (sp.bdd.exist(ports, s.node) & ~sp.port_protocols)
    c = _Cover(sp, target)
    # with a limit, the decomposition stops after limit + 1 boxes: enough to know the
    # first limit boxes do not cover the set
    found = c.decompose(target, 0, _UNLIMITED if limit is None else limit + 1)
    truncated = c.budget < 0
    if limit is not None and len(found) > limit:
        found, truncated = found[:limit], True
    if 1 < len(found) <= _EXPAND_MAX:  # one exact box is as large as it can be
        found = list(dict.fromkeys(c.expand(b) for b in found))
        found.sort(key=lambda b: -_size(b))
        found = c.irredundant(found)
        if truncated and c.budget >= 0:  # the grown boxes may cover what was cut off
            covered = c.bdd.false
            for comps in found:
                covered |= c.product(comps)
            truncated = (target & ~covered) != c.bdd.false
    result = Boxes()
    for comps in sorted(found):
        by_field = {dim.field: rs for dim, rs in zip(c.dims, comps)}
        result.append(Box(**by_field, addr_bits=sp.layout.addr_bits))
    result.truncated = truncated
    return result


def _size(comps: tuple[Ranges, ...]) -> int:
    n = 1
    for rs in comps:
        n *= sum(hi - lo + 1 for lo, hi in rs)
    return n


def field_intervals(s: PacketSet, f: Field) -> list[tuple[int, int]] | None:
    """The values field ``f`` takes in ``s`` (its projection), as sorted maximal
    intervals; None when they are too many to list (the cover's budget)."""
    sp = s.space
    u = sp.bdd.exist(sp.vars_of(*(g for g in FIELDS if g != f)), s.node)
    c = _Cover(sp, u)
    spans = [(lo, hi) for lo, hi, r in c.intervals(u, sp.layout.order.index(f)) if r == sp.bdd.true]
    return None if c.budget < 0 else spans


Parts = list[tuple[str, Ranges]]


def split_cover(s: PacketSet, split: Callable[[list[tuple[int, int]]], Parts],
                memo: dict[Any, Parts]) -> dict[str, Boxes] | None:
    """``s`` as disjoint boxes, split along the last dimension of the variable order
    (destination addresses) into named parts: ``split`` names the parts of a list of
    values; ``memo`` keeps its answers per residual BDD node (many rows share them).
    Within a part, boxes that differ in one dimension only are merged. None when the
    set is too fragmented to decompose (the cover's budget)."""
    sp = s.space
    ports = sp.vars_of("src_port", "dst_port")
    target = (s.node & sp.port_protocols) | (sp.bdd.exist(ports, s.node) & ~sp.port_protocols)
    c = _Cover(sp, target)
    last = len(c.dims) - 1
    found = c.prefixes(target, 0, last)
    out: dict[str, list[tuple[Ranges, ...]]] = {}
    for comps, node in found:
        parts = memo.get(node)
        if parts is None:
            spans = [(lo, hi) for lo, hi, r in c.intervals(node, last) if r == sp.bdd.true]
            if c.budget < 0:
                return None
            parts = memo[node] = split(spans)
        for name, ranges in parts:
            out.setdefault(name, []).append((*comps, ranges))
    if c.budget < 0:
        return None
    fields = [dim.field for dim in c.dims]
    result: dict[str, Boxes] = {}
    for name, boxes in out.items():
        # destination addresses, destination ports, protocols: where pieces of one
        # group's share most often differ
        for d in (last, fields.index("dst_port"), fields.index("protocol")) if len(boxes) > 1 else ():
            boxes = _merge_along(boxes, d)
        got = Boxes(Box(**dict(zip(fields, comps)), addr_bits=sp.layout.addr_bits)
                    for comps in sorted(boxes))
        result[name] = got
    return result


def _merge_along(boxes: list[tuple[Ranges, ...]], d: int) -> list[tuple[Ranges, ...]]:
    """Boxes equal but in dimension ``d`` become one (their union is the product with
    the union of their ``d`` components)."""
    by_rest: dict[tuple[Ranges, ...], list[tuple[int, int]]] = {}
    for comps in boxes:
        by_rest.setdefault(comps[:d] + comps[d + 1:], []).extend(comps[d])
    if len(by_rest) == len(boxes):
        return boxes
    return [rest[:d] + (tuple(merge(ranges)),) + rest[d:] for rest, ranges in by_rest.items()]


def valid_count(box: Box) -> int:
    """The number of valid packets in a box (see the port convention in ``packets.py``)."""
    def size(ranges: Ranges) -> int:
        return sum(hi - lo + 1 for lo, hi in ranges)

    with_ports = sum(1 for p in PORT_PROTOCOLS for lo, hi in box.protocol if lo <= p <= hi)
    others = size(box.protocol) - with_ports
    no_ports = all(any(lo == 0 for lo, _ in getattr(box, f)) for f in ("src_port", "dst_port"))
    return size(box.src) * size(box.dst) * (with_ports * size(box.src_port) * size(box.dst_port)
                                            + (others if no_ports else 0))
