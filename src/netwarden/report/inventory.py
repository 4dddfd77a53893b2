"""The inventory an estate load produced (``netwarden validate``): counts, warnings, unknowns."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from netwarden.model.estate import Diagnostic, Estate


def diagnostic_json(diagnostic: Diagnostic) -> dict[str, Any]:
    location = diagnostic.location
    return {
        "level": diagnostic.level.value,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "file": location.file,
        "path": location.path or None,
        "line": location.line,
        "address": location.address,
    }


def inventory_json(estate: Estate) -> dict[str, Any]:
    per_file = Counter(resource.source.file for resource in estate)
    return {
        "sources": list(estate.sources),
        "total": sum(estate.counts().values()),
        "resources": estate.counts(),
        "per_file": dict(sorted(per_file.items())),
        "unknown_types": dict(sorted(estate.unknown_types.items())),
        "warnings": [diagnostic_json(d) for d in estate.diagnostics],
    }


def render_inventory(estate: Estate, console: Console) -> None:
    data = inventory_json(estate)
    table = Table(title=f"{data['total']} resources from {len(estate.sources)} file(s)",
                  title_justify="left")
    table.add_column("resource type")
    table.add_column("count", justify="right")
    for resource_type, count in data["resources"].items():
        table.add_row(resource_type, str(count))
    console.print(table)
    if estate.unknown_types:
        unknown = Table(title="not modelled (ignored)", title_justify="left")
        unknown.add_column("resource type")
        unknown.add_column("count", justify="right")
        for resource_type, count in data["unknown_types"].items():
            unknown.add_row(resource_type, str(count))
        console.print(unknown)
    if estate.diagnostics:
        console.print(f"[yellow]{len(estate.diagnostics)} warning(s)[/yellow]")
        for diagnostic in estate.diagnostics:
            console.print(f"  [yellow]warning[/yellow] {diagnostic.code}: {escape(str(diagnostic))}",
                          markup=True, highlight=False, soft_wrap=True, emoji=False)
    else:
        console.print("[green]no warnings[/green]")
