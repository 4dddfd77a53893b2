"""Who reaches whom, as a heatmap: rows are sources, columns destinations; a cell is red when
every packet arrives, orange when some do, grey when none; with an intent, green for intended,
red for excess, yellow for missing. Hovering or clicking a cell shows the ports that arrive and
one witness packet with its path.

``matrix_view`` computes the matrix with ``netwarden.intent.matrix.matrix`` when the groups
number at most ``limit`` (then one more walk per source row finds the witness paths); beyond
that it keeps the top-ranked groups (internet and on-premises always) and walks only those,
so a report of a big estate stays fast, and says so on the page. (A full matrix is one walk
per group: 9 s for the 202 subnets of the medium benchmark, minutes for the 2,002 of large.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netwarden.engine import Engine
from netwarden.engine.endpoints import Endpoint
from netwarden.engine.fanout import Fanout
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Hop, Outcome
from netwarden.engine.path import witness as pick_witness
from netwarden.engine.reach import as_sent
from netwarden.intent.matrix import Cell, Matrix, groups, matrix, summary
from netwarden.intent.model import Intent
from netwarden.intent.verify import flow_space
from netwarden.report.html.common import hops_rows, witness_text
from netwarden.report.html.document import Section

MATRIX_LIMIT = 30      # groups (internet and on-premises included): 30 walks, 870 cells


@dataclass
class MatrixView:
    """A matrix (complete, or over the top-ranked groups), with one witness path per cell."""

    matrix: Matrix
    paths: dict[tuple[str, str], tuple[Hop, ...]] = field(default_factory=dict)
    total_groups: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return len(self.matrix.groups) < self.total_groups


def _witness_path(engine: Engine, allowed: PacketSet, outcomes: Sequence[Outcome]) -> tuple[Hop, ...]:
    """The path of the arrival that carries the witness packet of ``allowed``."""
    packet = pick_witness(allowed)
    if packet is None or not outcomes:
        return ()
    single = engine.space.packet(packet)
    for outcome in outcomes:
        if as_sent(outcome.branch) & single:
            return tuple(h.narrowed(single) for h in outcome.hops)
    return outcomes[0].hops


class _Rows:
    """Per source group, the packets that arrive at each destination group and the arrivals
    that carry them: one walk per source (``netwarden.engine.fanout``, as ``matrix`` does)."""

    def __init__(self, engine: Engine, endpoints: Mapping[str, Endpoint]) -> None:
        self.space = engine.space
        self.fanout = Fanout(engine, endpoints)

    def row(self, a: str, targets: Sequence[str]) -> dict[str, tuple[PacketSet, PacketSet, list[Outcome]]]:
        """For each target b: (allowed, queried, the arrivals that carry them)."""
        row = self.fanout.row(a, targets)
        found = {}
        for b in targets:
            queried = self.fanout.queried(a, b)
            found[b] = (row.allowed(b, self.space.none()) & queried, queried,
                        [o for o, _ in row.arrivals.get(b, ())])
        return found


def _pairable(endpoints: Mapping[str, Endpoint], a: str, b: str) -> bool:
    return a != b and not (endpoints[a].kind == "internet" and endpoints[b].kind == "internet")


def _intended(engine: Engine, intent: Intent | None, by: str, a: str, b: str,
              endpoints: Mapping[str, Endpoint]) -> PacketSet | None:
    if intent is None or by != "segment":
        return None
    intended = engine.space.none()
    for flow in intent.flows:
        if flow.source == a and flow.destination == b:
            intended |= flow_space(engine, flow, endpoints[a], endpoints[b])
    return intended


def matrix_view(engine: Engine, by: str = "subnet", intent: Intent | None = None, *,
                limit: int = MATRIX_LIMIT, rank: Mapping[str, float] | None = None) -> MatrixView:
    """The matrix by subnet / VNet / segment, with a witness path per non-empty cell; over
    at most ``limit`` groups (the internet and on-premises, then the best ``rank``)."""
    endpoints = groups(engine, by, intent)
    labels = list(endpoints)
    view = MatrixView(Matrix(by, labels), total_groups=len(labels))
    rows = _Rows(engine, endpoints)
    if len(labels) <= limit:
        view.matrix = matrix(engine, by, intent)
        for a in labels:
            targets = [b for b in labels if (a, b) in view.matrix.cells and view.matrix.cells[(a, b)].allowed]
            if targets:
                for b, (_, _, arrivals) in rows.row(a, targets).items():
                    view.paths[(a, b)] = _witness_path(engine, view.matrix.cells[(a, b)].allowed, arrivals)
        return view
    fixed = [label for label in labels if endpoints[label].kind in ("internet", "onprem")]
    others = [label for label in labels if label not in fixed]
    scores = rank or {}
    order = {label: n for n, label in enumerate(labels)}
    others.sort(key=lambda label: (-scores.get(label, 0.0), order[label]))
    keep = set(fixed) | set(others[:max(0, limit - len(fixed))])
    chosen = [label for label in labels if label in keep]
    view.matrix = Matrix(by, chosen)
    for a in chosen:
        targets = [b for b in chosen if _pairable(endpoints, a, b)]
        for b, (allowed, queried, arrivals) in rows.row(a, targets).items():
            cell = Cell(a, b, allowed, queried, _intended(engine, intent, by, a, b, endpoints))
            view.matrix.cells[(a, b)] = cell
            if allowed:
                view.paths[(a, b)] = _witness_path(engine, allowed, arrivals)
    what = {"subnet": "subnets", "vnet": "VNets", "segment": "segments"}.get(by, by)
    view.notes.append(
        f"Showing {len(chosen)} of {len(labels)} {what}: the internet"
        + (", on-premises" if len(fixed) > 1 else "")
        + (" and those ranked first by internet exposure and findings" if rank else " and the first ones")
        + f" (a full matrix is {len(labels) * (len(labels) - 1):,} cells). "
        f"`netwarden matrix --by {by} --format csv` gives every cell.")
    return view


def display(label: str) -> str:
    """A group label for people: ``vnet/subnet`` for a subnet's ARM ID (labels are IDs
    where names repeat), the last segment for other IDs."""
    if not label.startswith("/"):
        return label
    parts = label.rstrip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "subnets" in lowered and "virtualnetworks" in lowered:
        i, j = lowered.index("virtualnetworks"), lowered.index("subnets")
        if i + 1 < len(parts) and j + 1 < len(parts):
            return f"{parts[i + 1]}/{parts[j + 1]}"
    return parts[-1]


_WORDS = {"all": "every packet arrives", "some": "some packets arrive", "none": "nothing arrives"}


def _cls_glyph(cell: Cell) -> tuple[str, str]:
    if cell.intended is None:
        return f"m-{cell.exposure}", {"all": "●", "some": "◐", "none": ""}[cell.exposure]
    marks = cell.marks
    if "excess" in marks and "missing" in marks:
        return "m-both", "✗"
    if "excess" in marks:
        return "m-excess", "✗"
    if "missing" in marks:
        return "m-missing", "!"
    if "intended" in marks:
        return "m-intended", "✓"
    return "m-none", ""


LEGEND = [{"cls": "m-all", "label": "● every packet arrives (all ports)"},
          {"cls": "m-some", "label": "◐ some packets arrive"},
          {"cls": "m-none", "label": "nothing arrives"}]
LEGEND_INTENT = [{"cls": "m-intended", "label": "✓ intended, and only that arrives"},
                 {"cls": "m-excess", "label": "✗ excess: arrives, not intended"},
                 {"cls": "m-missing", "label": "! missing: intended, blocked"},
                 {"cls": "m-both", "label": "excess and missing"},
                 {"cls": "m-none", "label": "nothing intended, nothing arrives"}]


class MatrixSection(Section):
    id, title, template, component = "matrix", "Segment matrix", "matrix", "matrix"

    def __init__(self, view: MatrixView | None, *, lead: str = "", notes: list[str] | None = None) -> None:
        self.view = view
        self.lead = lead
        self.extra_notes = notes or []
        self._cells: list[dict[str, Any]] = []
        self._rows: list[dict[str, Any]] = []
        if view is not None:
            self._prepare(view)

    def _prepare(self, view: MatrixView) -> None:
        m = view.matrix
        for a in m.groups:
            row: list[dict[str, Any] | None] = []
            for b in m.groups:
                cell = m.cells.get((a, b))
                if cell is None:
                    row.append(None)
                    continue
                cls, glyph = _cls_glyph(cell)
                text = summary(cell.allowed)
                entry: dict[str, Any] = {"a": display(a), "b": display(b), "e": cell.exposure, "s": text,
                                         "m": cell.marks}
                if cell.intended is not None:
                    entry["i"] = summary(cell.intended)
                witness = witness_text(cell.allowed) if cell.allowed else ""
                if witness:
                    entry["w"] = witness
                path = view.paths.get((a, b))
                if path:
                    entry["p"] = hops_rows(path)
                title = f"{display(a)} → {display(b)}: {_WORDS[cell.exposure]}" + (f" ({text})" if cell.allowed else "")
                if cell.marks:
                    title += " — " + ", ".join(cell.marks)
                row.append({"index": len(self._cells), "cls": cls, "glyph": glyph, "title": title})
                self._cells.append(entry)
            self._rows.append({"label": display(a), "full": a, "cells": row})

    def badge(self) -> tuple[str, str] | None:
        if self.view is None:
            return None
        marks = [c for c in self.view.matrix.cells.values() if "excess" in c.marks or "missing" in c.marks]
        if marks:
            return str(len(marks)), "bad"
        return None

    def context(self) -> Mapping[str, Any]:
        view = self.view
        if view is None:
            return {"lead": self.lead, "notes": self.extra_notes, "labels": [], "rows": [], "legend": []}
        intent = any(c.intended is not None for c in view.matrix.cells.values())
        lead = self.lead or (f"What arrives from each row to each column, by {view.matrix.by}. "
                             "Hover or click a cell for its ports and a witness path.")
        labels = [{"text": display(g), "full": g} for g in view.matrix.groups]
        return {"lead": lead, "notes": [*view.notes, *self.extra_notes], "labels": labels,
                "rows": self._rows, "legend": LEGEND_INTENT if intent else LEGEND}

    def data(self) -> Any:
        if self.view is None:
            return None
        return {"by": self.view.matrix.by, "cells": self._cells}
