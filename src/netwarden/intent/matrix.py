"""Who can reach whom: one symbolic walk per source group reaches every destination group
at once; each cell holds the packets that arrive (original source), summarised as
protocol/port lists, and, with an intent, whether that is intended, excess or missing."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from netwarden.engine import Engine, Service
from netwarden.engine.boxes import Boxes, valid_count
from netwarden.engine.endpoints import Endpoint, of_resource, resolve
from netwarden.engine.fanout import Fanout, Row
from netwarden.engine.packets import PORT_PROTOCOLS, PacketSet, PacketSpace
from netwarden.engine.reach import as_sent
from netwarden.intent.model import Intent
from netwarden.intent.resolve import resolve_segments
from netwarden.intent.verify import flow_space

BY = ("subnet", "vnet", "segment", "workload")


@dataclass
class Cell:
    source: str
    destination: str
    allowed: PacketSet
    queried: PacketSet
    intended: PacketSet | None = None

    @property
    def exposure(self) -> str:
        if not self.allowed:
            return "none"
        return "all" if self.allowed == self.queried else "some"

    @property
    def marks(self) -> list[str]:
        if self.intended is None:
            return []
        marks = []
        if self.allowed - self.intended:
            marks.append("excess")
        if self.intended - self.allowed:
            marks.append("missing")
        if not marks and self.intended:
            marks.append("intended")
        return marks


class ReadCell(Cell):
    """A cell read off its row (``Fanout.split``): its packets as boxes are known (their
    union is exactly the cell's packets) and so is its exposure; the packet set itself
    is computed when asked."""

    def __init__(self, source: str, destination: str, boxes: Boxes, exposure: str,
                 allowed: Callable[[], PacketSet], queried: Callable[[], PacketSet],
                 space: PacketSpace) -> None:
        self.source, self.destination, self.intended, self.space = source, destination, None, space
        self.boxes, self._exposure = boxes, exposure
        self._allowed: PacketSet | Callable[[], PacketSet] = allowed
        self._queried: PacketSet | Callable[[], PacketSet] = queried

    @property  # type: ignore[override]
    def allowed(self) -> PacketSet:
        if callable(self._allowed):
            self._allowed = self._allowed()
        return self._allowed

    @property  # type: ignore[override]
    def queried(self) -> PacketSet:
        if callable(self._queried):
            self._queried = self._queried()
        return self._queried

    @property
    def exposure(self) -> str:
        return self._exposure


Pair = tuple[str, str]


class Cells(MutableMapping[Pair, Cell]):
    """The cells of a matrix over every pair of groups that ``pairable`` admits, holding
    only the cells set explicitly (where packets arrive, or an intent speaks); any other
    pair reads as an empty cell, built on demand by ``empty``. A large estate has millions
    of pairs and few of them exchange packets: this keeps the empty ones free."""

    def __init__(self, groups: list[str], pairable: Callable[[str, str], bool],
                 empty: Callable[[str, str], Cell]) -> None:
        self.groups = groups
        self.pairable = pairable
        self.empty = empty
        self.stored: dict[Pair, Cell] = {}
        self._index = {g: n for n, g in enumerate(groups)}

    def __getitem__(self, key: Pair) -> Cell:
        got = self.stored.get(key)
        if got is not None:
            return got
        a, b = key
        if a in self._index and b in self._index and self.pairable(a, b):
            return self.empty(a, b)
        raise KeyError(key)

    def __setitem__(self, key: Pair, cell: Cell) -> None:
        self.stored[key] = cell

    def __delitem__(self, key: Pair) -> None:
        del self.stored[key]

    def __iter__(self) -> Iterator[Pair]:
        for a in self.groups:
            for b in self.groups:
                if (a, b) in self.stored or self.pairable(a, b):
                    yield (a, b)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def count(self) -> int:
        """``len``, without visiting every pair when ``pairable`` is ``Fanout.pairable``
        (every ordered pair of two groups but the internet with itself)."""
        owner = getattr(self.pairable, "__self__", None)
        if owner is None or not hasattr(owner, "endpoints") or \
                any(not self.pairable(a, b) for a, b in self.stored):
            return len(self)
        internet = sum(1 for g in self.groups if owner.endpoints[g].kind == "internet")
        n = len(self.groups)
        return n * (n - 1) - internet * (internet - 1)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return False
        return True

    def listed(self) -> list[Cell]:
        """The cells set explicitly, in row-major group order."""
        index = self._index
        return [self.stored[k] for k in sorted(self.stored, key=lambda k: (index.get(k[0], -1),
                                                                            index.get(k[1], -1)))]


@dataclass
class Matrix:
    by: str
    groups: list[str]
    cells: MutableMapping[Pair, Cell] = field(default_factory=dict)

    def listed(self) -> list[Cell]:
        """The cells worth listing: where packets arrive, or the intent marks something
        (every other pair of groups exchanges nothing), in row-major group order."""
        cells = self.cells.listed() if isinstance(self.cells, Cells) else list(self.cells.values())
        # a cell read off its row holds packets (it has boxes): no need to build its set
        return [c for c in cells if isinstance(c, ReadCell) or c.allowed or c.marks]

    @property
    def pairs(self) -> int:
        """How many pairs of groups the matrix covers (listed or not)."""
        return self.cells.count() if isinstance(self.cells, Cells) else len(self.cells)


def groups(engine: Engine, by: str, intent: Intent | None) -> dict[str, Endpoint]:
    topo = engine.topology
    if by == "segment":
        if intent is None:
            raise ValueError("--by segment needs --intent")
        return resolve_segments(engine, intent)
    found: dict[str, Endpoint] = {"internet": resolve("internet", topo)}
    resources = engine.estate.subnets if by == "subnet" else engine.estate.vnets
    names = [r.name for r in resources]
    for resource in resources:
        label = resource.name if names.count(resource.name) == 1 else resource.id
        endpoint = of_resource(resource, topo)
        if endpoint.holders or endpoint.prefixes:
            found[label] = endpoint
    if topo.onprem_prefixes:
        found["onprem"] = resolve("onprem", topo)
    return found


def matrix(engine: Engine, by: str = "subnet", intent: Intent | None = None) -> Matrix:
    """One walk per source group towards every destination group at once; each arrival is
    credited to the destination groups it reaches (by target and address)."""
    if by not in BY:
        raise ValueError(f"--by {by!r}: expected one of {', '.join(BY)}")
    if by == "workload":      # Kubernetes workloads: the policies' own fast path
        from netwarden.k8s.matrix import workload_matrix

        return workload_matrix(engine)
    endpoints = groups(engine, by, intent)
    labels = list(endpoints)
    space = engine.space
    fanout = Fanout(engine, endpoints)
    cells = Cells(labels, fanout.pairable,
                  lambda a, b: Cell(a, b, space.none(), fanout.queried(a, b), _intended(a, b)))
    result = Matrix(by, labels, cells)
    with_intent = intent is not None and by == "segment"

    def _intended(a: str, b: str) -> PacketSet | None:
        if not with_intent:
            return None
        intended = space.none()
        for flow in intent.flows:  # type: ignore[union-attr]
            if flow.source == a and flow.destination == b:
                intended |= flow_space(engine, flow, endpoints[a], endpoints[b])
        return intended

    index = {label: n for n, label in enumerate(labels)}
    with without_cycle_collection():
        _fill(cells, fanout, labels, index, with_intent, _intended)
    return result


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Python's cycle collector off for a while: a large matrix allocates millions of
    small tuples and lists (intervals, boxes), none in a cycle, and the collector's
    passes over everything alive would otherwise take about half the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fill(cells: Cells, fanout: Fanout, labels: list[str], index: dict[str, int],
          with_intent: bool, _intended: Callable[[str, str], PacketSet | None]) -> None:
    space = fanout.engine.space
    for a, row in fanout.rows(labels):
        # only the destinations where packets arrive (and, with an intent, every pair: an
        # intended flow that nothing carries is a "missing" cell); a row's packets at
        # groups apart from the others come as boxes per group (``Fanout.split``)
        split = None if with_intent else fanout.split(row)
        read = split if split is not None else {b: None for b in fanout.reached_groups(row)}
        for b in labels if with_intent else sorted({*row.arrivals, *read}, key=index.__getitem__):
            if not fanout.pairable(a, b):
                continue
            boxes = read.get(b)
            if boxes is not None and b not in row.arrivals:
                cells[(a, b)] = _read_cell(fanout, row, a, b, boxes)
                continue
            allowed = row.allowed(b, space.none())    # within queried(a, b) by construction
            intended = _intended(a, b)
            if allowed or intended:
                cells[(a, b)] = Cell(a, b, allowed, fanout.queried(a, b), intended)


def _read_cell(fanout: Fanout, row: Row, a: str, b: str, boxes: Boxes) -> ReadCell:
    """The cell from its boxes: disjoint, so the packets count adds up, and the cell is
    everything between the two groups exactly when it counts as many packets."""
    none = fanout.engine.space.none()
    cell = ReadCell(a, b, boxes, "some", lambda: row.allowed(b, none), lambda: fanout.queried(a, b),
                    fanout.engine.space)
    sources, destinations = fanout.addresses(a, "src"), fanout.addresses(b, "dst")
    if sources < 0 or destinations < 0:   # too fragmented to count: compare the sets
        cell._exposure = "all" if cell.allowed == cell.queried else "some"
    elif _covers_icmp(boxes, sources * destinations) and \
            sum(valid_count(box) for box in boxes) == sources * destinations * _PER_PAIR:
        cell._exposure = "all"
    return cell


def _covers_icmp(boxes: Boxes, pairs: int) -> bool:
    """Whether ICMP between every pair of addresses is in the boxes (disjoint): a cheap
    test that everything between two groups needs to pass (most cells fail it)."""
    found = 0
    for box in boxes:
        if any(lo <= 1 <= hi for lo, hi in box.protocol) and box.src_port[0][0] == 0 == box.dst_port[0][0]:
            found += sum(hi - lo + 1 for lo, hi in box.src) * sum(hi - lo + 1 for lo, hi in box.dst)
    return found == pairs


_PER_PAIR = len(PORT_PROTOCOLS) * (1 << 32) + (256 - len(PORT_PROTOCOLS))  # valid packets per address pair


def pairwise(engine: Engine, by: str = "subnet", intent: Intent | None = None) -> Matrix:
    """The same matrix by one ``reach`` per pair: slower, kept as the reference that the
    single-walk version is tested against."""
    endpoints = groups(engine, by, intent)
    labels = list(endpoints)
    result = Matrix(by, labels)
    for a in labels:
        for b in labels:
            if a == b or (endpoints[a].kind == "internet" and endpoints[b].kind == "internet"):
                continue
            reach = engine.reach(endpoints[a], endpoints[b], Service())
            allowed = engine.space.union(as_sent(o.branch) for o in reach.arrived) & reach.queried
            result.cells[(a, b)] = Cell(a, b, allowed, reach.queried)
    return result


def cell_summary(cell: Cell, limit: int = 6, memo: dict[Any, str] | None = None) -> str:
    """``summary`` of a cell's packets; for a cell read off its row, from its boxes (the
    protocols and destination ports they hold, which many cells share) without its
    packet set."""
    boxes = getattr(cell, "boxes", None)
    if boxes is None:
        return summary(cell.allowed, limit, memo)
    if not boxes:
        return "-"
    key = ("boxes", limit, frozenset((b.protocol, b.dst_port, b.src_port[0][0] == 0 == b.dst_port[0][0])
                                     for b in boxes))
    if memo is not None and key in memo:
        return memo[key]
    space = cell.space  # type: ignore[attr-defined]
    node = space.bdd.false
    for protocols, ports, zero in key[2]:
        part = space.raw_ranges("protocol", protocols) & space.raw_ranges("dst_port", ports)
        node |= part if zero else part & space.port_protocols   # port-less protocols need port 0
    text = summary(PacketSet(space, node & space.valid), limit, memo)
    if memo is not None:
        memo[key] = text
    return text


def summary(packets: PacketSet, limit: int = 6, memo: dict[Any, str] | None = None) -> str:
    """``tcp/443,8080 udp/53`` style: the protocols and destination ports that arrive.

    Read off the projection onto protocol and destination port, which many cells share:
    ``memo`` (keyed by that projection and ``limit``) lets a writer compute each once."""
    if not packets:
        return "-"
    ports = packets.forget("src", "dst", "src_port")
    key = (ports.node, limit)
    if memo is not None and key in memo:
        return memo[key]
    parts: dict[str, list[str]] = {}
    boxes = ports.boxes(limit=24)
    for box in boxes:
        protocol = box.render("protocol")
        bucket = parts.setdefault(protocol, [])
        ports_text = box.render("dst_port")
        if ports_text not in bucket:
            bucket.append(ports_text)
    items = [f"{p}/{','.join(v)}" if v and v != ["*"] else f"{p}/*" for p, v in parts.items()]
    text = " ".join(items[:limit]) + (" …" if len(items) > limit or boxes.truncated else "")
    if memo is not None:
        memo[key] = text
    return text
