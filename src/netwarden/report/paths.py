"""Writers for reach and trace results: JSON (a contract) and text for people."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from netwarden.engine.boxes import Box
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Outcome
from netwarden.engine.path import witness as pick_witness
from netwarden.engine.reach import ReachResult, TraceResult

MAX_PATHS = 20
_VERDICT_STYLE = {"allowed": "bold green", "denied": "bold red", "partial": "bold yellow",
                  "conditional": "bold yellow"}


def boxes_json(packets: PacketSet, limit: int = 50) -> list[dict[str, Any]]:
    return [box_json(b) for b in packets.boxes(limit=limit)]


def box_json(box: Box) -> dict[str, Any]:
    r = box.rendered()
    return {"src": r["src"], "dst": r["dst"], "protocol": r["protocol"],
            "src_ports": r["src_port"], "dst_ports": r["dst_port"], "text": r["text"]}


def path_json(outcome: Outcome) -> dict[str, Any]:
    witness = pick_witness(outcome.branch.packets)
    return {
        "status": outcome.status,
        "targets": list(outcome.targets),
        "hops": [hop.to_json() for hop in outcome.hops],
        "packets": boxes_json(outcome.branch.packets, 10),
        "witness": str(witness) if witness else None,
    }


def reach_json(result: ReachResult) -> dict[str, Any]:
    witness = pick_witness(result.allowed)
    return {
        "verdict": result.verdict,
        "from": result.source.label,
        "to": result.destination.label,
        "queried": boxes_json(result.queried),
        "allowed": boxes_json(result.allowed),
        "witness": str(witness) if witness else None,
        "paths": [path_json(o) for o in result.arrived[:MAX_PATHS]],
        "blocked": [path_json(o) for o in result.dropped[:MAX_PATHS]],
        "conditional": [path_json(o) for o in result.conditional[:MAX_PATHS]],
        "unresolved_tags": result.unresolved_tags,
    }


def trace_json(result: TraceResult) -> dict[str, Any]:
    data: dict[str, Any] = {
        "verdict": result.verdict,
        "packet": str(result.packet),
        "hops": [hop.to_json() for hop in result.hops],
        "unresolved_tags": result.unresolved_tags,
    }
    if result.verdict != "allowed" and result.hops:
        data["dropped_by"] = result.hops[-1].to_json()
    return data


def _chain(outcome: Outcome) -> str:
    return "\n      → ".join(str(hop) for hop in outcome.hops)


def render_reach(result: ReachResult, console: Console) -> None:
    style = _VERDICT_STYLE.get(result.verdict, "bold")
    console.print(f"[{style}]{result.verdict.upper()}[/{style}]  {result.source.label} → "
                  f"{result.destination.label}")
    if result.allowed:
        console.print("arrives:", highlight=False)
        for box in result.allowed.boxes(limit=12):
            console.print(f"  {box}", highlight=False, markup=False)
        witness = pick_witness(result.allowed)
        console.print(f"witness: {witness}", highlight=False, markup=False)
    for index, outcome in enumerate(result.arrived[:MAX_PATHS], 1):
        console.print(f"path {index}: {_chain(outcome)}", highlight=False, markup=False)
    for outcome in result.conditional[:MAX_PATHS]:
        console.print(f"conditional: {_chain(outcome)}", highlight=False, markup=False)
    if result.verdict != "allowed":
        for outcome in result.dropped[:MAX_PATHS]:
            witness = pick_witness(outcome.branch.packets)
            console.print(f"blocked ({witness}): {_chain(outcome)}", highlight=False, markup=False)
    if result.unresolved_tags:
        console.print(f"[yellow]unresolved service tags (matched nothing):[/yellow] "
                      f"{', '.join(result.unresolved_tags)}; pass --service-tags FILE")


def render_trace(result: TraceResult, console: Console) -> None:
    style = _VERDICT_STYLE.get(result.verdict, "bold")
    console.print(f"[{style}]{result.verdict.upper()}[/{style}]  {result.packet}", highlight=False)
    for index, hop in enumerate(result.hops, 1):
        console.print(f"  {index}. {hop}", highlight=False, markup=False)
    if result.unresolved_tags:
        console.print(f"[yellow]unresolved service tags:[/yellow] {', '.join(result.unresolved_tags)}")
