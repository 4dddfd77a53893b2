"""Who can reach whom: one symbolic walk per source group reaches every destination group
at once; each cell holds the packets that arrive (original source), summarised as
protocol/port lists, and, with an intent, whether that is intended, excess or missing."""

from __future__ import annotations

from dataclasses import dataclass, field

from netwarden.engine import Engine, Service
from netwarden.engine.endpoints import Endpoint, of_resource, resolve
from netwarden.engine.fanout import Fanout
from netwarden.engine.packets import PacketSet
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


@dataclass
class Matrix:
    by: str
    groups: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)


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
    result = Matrix(by, labels)
    space = engine.space
    fanout = Fanout(engine, endpoints)
    for a in labels:
        row = fanout.row(a)
        for b in labels:
            if not fanout.pairable(a, b):
                continue
            queried = fanout.queried(a, b)
            intended = None
            if intent is not None and by == "segment":
                intended = space.none()
                for flow in intent.flows:
                    if flow.source == a and flow.destination == b:
                        intended |= flow_space(engine, flow, endpoints[a], endpoints[b])
            result.cells[(a, b)] = Cell(a, b, row.allowed(b, space.none()) & queried, queried, intended)
    return result


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


def summary(packets: PacketSet, limit: int = 6) -> str:
    """``tcp/443,8080 udp/53`` style: the protocols and destination ports that arrive."""
    if not packets:
        return "-"
    parts: dict[str, list[str]] = {}
    boxes = packets.boxes(limit=24)
    for box in boxes:
        protocol = box.render("protocol")
        ports = box.render("dst_port")
        bucket = parts.setdefault(protocol, [])
        if ports not in bucket:
            bucket.append(ports)
    items = [f"{p}/{','.join(v)}" if v and v != ["*"] else f"{p}/*" for p, v in parts.items()]
    text = " ".join(items[:limit])
    return text + (" …" if len(items) > limit or boxes.truncated else "")
