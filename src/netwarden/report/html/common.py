"""Pieces every page shares: hops and packets in the shape the templates and scripts read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Hop
from netwarden.engine.path import witness as pick_witness

SEVERITIES = ("critical", "high", "medium", "low", "info")

# what a hop did, as the colour class of its chip
_ACTION_CLASS = {"allow": "ok", "arrive": "ok", "deny": "bad", "drop": "bad",
                 "conditional": "warn", "translate": "via", "forward": "via", "proxy": "via"}


def action_class(action: str) -> str:
    return _ACTION_CLASS.get(action.lower(), "via")


def hop_view(hop: Hop) -> dict[str, Any]:
    """A hop for a template: kind, name, the deciding rule, the action and its colour."""
    return {"kind": hop.kind, "name": hop.name, "rule": hop.rule or "", "action": hop.action,
            "detail": hop.detail, "cls": action_class(hop.action), "resource": hop.resource or ""}


def hop_row(hop: Hop) -> list[str]:
    """A hop for a script, compact: [kind, name, rule, action, detail]."""
    return [hop.kind, hop.name, hop.rule or "", hop.action, hop.detail]


def hops_rows(hops: Iterable[Hop]) -> list[list[str]]:
    return [hop_row(h) for h in hops]


def witness_text(packets: PacketSet | None) -> str:
    if packets is None:
        return ""
    packet = pick_witness(packets)
    return str(packet) if packet else ""


def box_texts(packets: PacketSet | None, limit: int = 3) -> list[str]:
    """Up to ``limit`` boxes of a packet set as text, with a closing "…" when there are more."""
    if packets is None or not packets:
        return []
    boxes = packets.boxes(limit=limit)
    texts = [str(b) for b in boxes]
    if boxes.truncated:
        texts.append("…")
    return texts


def short_type(resource_type: str) -> str:
    """``Microsoft.Compute/virtualMachines`` -> ``virtualMachines``."""
    return resource_type.rsplit("/", 1)[-1]


def capped(items: Sequence[Any], limit: int) -> tuple[Sequence[Any], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], max(0, len(items) - limit)
