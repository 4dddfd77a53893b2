"""Writers for verify (JSON, SARIF, text) and matrix (JSON, CSV, text)."""

from __future__ import annotations

import csv
import io
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from netwarden import __version__
from netwarden.engine.path import witness as pick_witness
from netwarden.intent.matrix import Cell, Matrix, cell_summary, without_cycle_collection
from netwarden.intent.verify import VerifyResult, Violation
from netwarden.report.paths import box_json, boxes_json

_RULES = {
    "excess": ("INTENT-EXCESS", "Traffic between segments that no intended flow covers", "error"),
    "missing": ("INTENT-MISSING", "An intended flow is blocked", "error"),
    "bypass": ("INTENT-BYPASS", "An intended flow arrives without its required path", "error"),
}


def violation_json(v: Violation) -> dict[str, Any]:
    witness = pick_witness(v.packets)
    data: dict[str, Any] = {
        "from": v.source, "to": v.destination,
        "packets": boxes_json(v.packets, 20),
        "witness": str(witness) if witness else None,
        "path": [h.to_json() for h in v.path],
    }
    if v.flow is not None:
        data["flow"] = str(v.flow)
        if v.flow.location is not None:
            data["flow_line"] = v.flow.location.line
    if v.kind == "missing":
        data["blocked_by"] = v.path[-1].to_json() if v.path else None
    if v.note:
        data["note"] = v.note
    return data


def verify_json(result: VerifyResult) -> dict[str, Any]:
    return {
        "excess": [violation_json(v) for v in result.excess],
        "missing": [violation_json(v) for v in result.missing],
        "bypass": [violation_json(v) for v in result.bypass],
        "summary": {"excess": len(result.excess), "missing": len(result.missing),
                    "bypass": len(result.bypass), "segment_pairs": result.checked_pairs,
                    "clean": result.clean},
        "segments": {name: {"addresses": len(e.holders), "prefixes": [str(p) for p in e.prefixes]}
                     for name, e in result.segments.items()},
    }


def verify_sarif(result: VerifyResult) -> dict[str, Any]:
    kinds = [k for k in _RULES if getattr(result, k)]
    rules = [{"id": _RULES[k][0], "name": f"intent-{k}", "shortDescription": {"text": _RULES[k][1]},
              "defaultConfiguration": {"level": _RULES[k][2]}} for k in kinds]
    results = []
    for kind in kinds:
        for v in getattr(result, kind):
            witness = pick_witness(v.packets)
            where = v.flow.location if v.flow and v.flow.location else None
            physical = {"artifactLocation": {"uri": result.intent.source}}
            if where and where.line:
                physical["region"] = {"startLine": where.line}
            results.append({
                "ruleId": _RULES[kind][0], "ruleIndex": kinds.index(kind), "level": "error",
                "message": {"text": f"{kind}: {v.source} -> {v.destination}: {witness}"
                                    + (f" ({v.note})" if v.note else "")},
                "locations": [{"physicalLocation": physical}],
                "properties": violation_json(v),
            })
    return {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "netwarden", "version": __version__,
                                          "rules": rules}}, "results": results}]}


def render_verify(result: VerifyResult, console: Console) -> None:
    if result.clean:
        console.print(f"[bold green]CLEAN[/bold green]: the network enforces the intent "
                      f"({result.checked_pairs} segment pairs checked)")
        return
    for kind, style in (("excess", "red"), ("missing", "yellow"), ("bypass", "magenta")):
        items = getattr(result, kind)
        if not items:
            continue
        console.print(f"\n[bold {style}]{kind.upper()}[/bold {style}] ({len(items)})")
        for v in items:
            witness = pick_witness(v.packets)
            head = f"  {v.source} → {v.destination}: {witness}"
            if v.flow is not None:
                head += f"  (flow: {v.flow})"
            if v.note:
                head += f"  [{v.note}]"
            console.print(escape(head), highlight=False)
            if v.path:
                chain = " → ".join(f"{h.name}" + (f" [{h.rule}]" if h.rule else "") for h in v.path)
                console.print(f"      path: {escape(chain)}", style="dim", highlight=False)


def matrix_json(m: Matrix) -> dict[str, Any]:
    """The groups and the cells worth listing (packets arrive, or the intent marks the
    pair); every pair of groups not listed exchanges nothing (exposure ``none``)."""
    summaries: dict[Any, str] = {}
    cells = []
    with without_cycle_collection():
        for c in m.listed():
            cells.append({"from": c.source, "to": c.destination, "exposure": c.exposure,
                          "summary": cell_summary(c, memo=summaries), "marks": c.marks,
                          "allowed": _cell_boxes(c, 20)})
    return {"by": m.by, "groups": m.groups, "pairs": m.pairs, "cells": cells}


def _cell_boxes(c: Cell, limit: int) -> list[dict[str, Any]]:
    boxes = getattr(c, "boxes", None)   # a cell read off its row has them already
    if boxes is None:
        return boxes_json(c.allowed, limit)
    return [box_json(b) for b in boxes[:limit]]


def matrix_csv(m: Matrix) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["from", "to", "exposure", "allowed", "marks"])
    summaries: dict[Any, str] = {}
    for c in m.listed():
        writer.writerow([c.source, c.destination, c.exposure, cell_summary(c, memo=summaries),
                         " ".join(c.marks)])
    return out.getvalue()


def render_matrix(m: Matrix, console: Console) -> None:
    table = Table(title=f"reachability by {m.by} (row → column)", title_justify="left",
                  show_lines=True)
    table.add_column("from \\ to")
    for group in m.groups:
        table.add_column(escape(group), overflow="fold")
    summaries: dict[Any, str] = {}
    for a in m.groups:
        row = [escape(a)]
        for b in m.groups:
            cell = m.cells.get((a, b))
            if cell is None:
                row.append("")
                continue
            text = escape(cell_summary(cell, 3, summaries))
            if "excess" in cell.marks:
                text = f"[red]{text} ✗excess[/red]"
            elif "missing" in cell.marks:
                text = f"[yellow]{text} ✗missing[/yellow]"
            elif cell.exposure == "all":
                text = f"[bold red]{text}[/bold red]"
            row.append(text)
        table.add_row(*row)
    console.print(table)
