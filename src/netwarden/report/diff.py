"""Writers for diff results: JSON and text."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from netwarden.diff.reach import Change, DiffResult
from netwarden.diff.resources import changed_fields
from netwarden.engine.path import witness as pick_witness
from netwarden.report.paths import boxes_json


def change_json(change: Change) -> dict[str, Any]:
    witness = pick_witness(change.packets)
    data: dict[str, Any] = {
        "from": change.source, "to": change.destination,
        "packets": boxes_json(change.packets, 20),
        "witness": str(witness) if witness else None,
        "path": [h.to_json() for h in change.path],
        "changed_by": [h.to_json() for h in change.cause],
    }
    if change.kind == "newly-denied":
        data["blocked_by"] = change.blocked_at[-1].to_json() if change.blocked_at else None
    return data


def diff_json(result: DiffResult) -> dict[str, Any]:
    delta = result.resources
    return {
        "resources": {
            "added": [{"id": r.id, "type": r.type, "name": r.name} for r in delta.added],
            "removed": [{"id": r.id, "type": r.type, "name": r.name} for r in delta.removed],
            "changed": [{"id": a.id, "type": a.type, "name": a.name, "fields": changed_fields(b, a)}
                        for b, a in delta.changed],
        },
        "newly_allowed": [change_json(c) for c in result.changes if c.kind == "newly-allowed"],
        "newly_denied": [change_json(c) for c in result.changes if c.kind == "newly-denied"],
        "summary": {
            "added": len(delta.added), "removed": len(delta.removed), "changed": len(delta.changed),
            "newly_allowed": sum(c.kind == "newly-allowed" for c in result.changes),
            "newly_denied": sum(c.kind == "newly-denied" for c in result.changes),
            "new_internet_exposure": bool(result.new_internet_exposure),
            "pairs": result.pairs_total, "pairs_recomputed": result.pairs_recomputed,
        },
    }


def render_diff(result: DiffResult, console: Console) -> None:
    delta = result.resources
    console.print(f"resources: {len(delta.added)} added, {len(delta.removed)} removed, "
                  f"{len(delta.changed)} changed")
    for r in delta.added:
        console.print(f"  [green]+[/green] {escape(r.type)} {escape(r.name)}", highlight=False)
    for r in delta.removed:
        console.print(f"  [red]-[/red] {escape(r.type)} {escape(r.name)}", highlight=False)
    for b, a in delta.changed:
        console.print(f"  [yellow]~[/yellow] {escape(a.type)} {escape(a.name)} "
                      f"({', '.join(changed_fields(b, a))})", highlight=False)
    if not result.changes:
        console.print("[green]reachability unchanged[/green]")
    for kind, style in (("newly-allowed", "red"), ("newly-denied", "yellow")):
        items = [c for c in result.changes if c.kind == kind]
        if not items:
            continue
        console.print(f"\n[bold {style}]{kind.upper()}[/bold {style}] ({len(items)})")
        for c in items:
            console.print(escape(f"  {c.source} → {c.destination}: {pick_witness(c.packets)}"),
                          highlight=False)
            if c.cause:
                cause = ", ".join(f"{h.name}" + (f" [{h.rule}]" if h.rule else "") for h in c.cause)
                console.print(escape(f"      changed by: {cause}"), style="dim", highlight=False)
            chain = " → ".join(f"{h.name}" + (f" [{h.rule}]" if h.rule else "")
                               for h in (c.blocked_at or c.path))
            console.print(escape(f"      {'blocked at' if c.blocked_at else 'path'}: {chain}"),
                          style="dim", highlight=False)
    if result.new_internet_exposure:
        console.print(f"\n[bold red]{len(result.new_internet_exposure)} newly exposed to the "
                      "internet[/bold red]")
