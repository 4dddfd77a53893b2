"""``diff``: what a change opens and closes. Newly allowed packets come first, those from the
internet before all others; each change shows its witness, its path with the hops at changed
resources outlined, and what changed; then the resources added, removed and changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netwarden.diff.reach import Change, DiffResult
from netwarden.diff.resources import changed_fields
from netwarden.report.html.common import box_texts, hop_view, short_type, witness_text
from netwarden.report.html.document import Section

MAX_ITEMS = 300


def change_view(c: Change) -> dict[str, Any]:
    denied = c.kind == "newly-denied"
    path = c.blocked_at if denied and c.blocked_at else c.path
    return {"source": c.source, "destination": c.destination, "internet": c.source == "internet",
            "witness": witness_text(c.packets), "packets": box_texts(c.packets),
            "cause": [hop_view(h) for h in c.cause],
            "changed": {(h.resource or "").lower() for h in c.cause if h.resource},
            "path": [hop_view(h) for h in path],
            "path_label": "blocked at" if denied and c.blocked_at else
                          ("used to go" if denied else "path")}


class ChangesSection(Section):
    id, title, template, component = "changes", "Reachability changes", "diff", ""

    def __init__(self, result: DiffResult) -> None:
        self.result = result

    def badge(self) -> tuple[str, str] | None:
        exposed = len(self.result.new_internet_exposure)
        allowed = sum(c.kind == "newly-allowed" for c in self.result.changes)
        if exposed:
            return str(exposed), "bad"
        return (str(allowed), "sev-medium") if allowed else ("none", "ok")

    def context(self) -> Mapping[str, Any]:
        r = self.result
        changes = r.changes
        internet = [c for c in changes if c.kind == "newly-allowed" and c.source == "internet"]
        allowed = [c for c in changes if c.kind == "newly-allowed" and c.source != "internet"]
        denied = [c for c in changes if c.kind == "newly-denied"]
        delta = r.resources

        def group(kind: str, label: str, title: str, explain: str, items: list[Change]) -> dict[str, Any]:
            return {"kind": kind, "label": label, "title": title, "explain": explain, "total": len(items),
                    "rows": [change_view(c) for c in items[:MAX_ITEMS]],
                    "more": max(0, len(items) - MAX_ITEMS)}

        cards = [
            {"value": len(internet), "label": "newly reachable from the internet",
             "cls": "bad" if internet else "ok"},
            {"value": len(allowed), "label": "other newly allowed", "cls": "warn" if allowed else ""},
            {"value": len(denied), "label": "newly denied", "cls": ""},
            {"value": len(delta.added), "label": "resources added", "cls": ""},
            {"value": len(delta.removed), "label": "resources removed", "cls": ""},
            {"value": len(delta.changed), "label": "resources changed", "cls": ""},
        ]
        return {
            "cards": cards,
            "pairs_note": f"{r.pairs_recomputed:,} of {r.pairs_total:,} endpoint pairs recomputed "
                          "(the others cannot be touched by the change).",
            "groups": [
                group("newly-allowed", "newly allowed", "Newly exposed to the internet",
                      "Packets from the internet that arrive now and did not before.", internet),
                group("newly-allowed", "newly allowed", "Newly allowed",
                      "Packets between endpoints inside the estate (or from on-premises) that arrive now "
                      "and did not before.", allowed),
                group("newly-denied", "newly denied", "Newly denied",
                      "Packets that arrived before and are dropped now (check that nothing required "
                      "broke).", denied),
            ],
        }


class ResourcesSection(Section):
    id, title, template, component = "resources", "Resource changes", "resources", ""

    def __init__(self, result: DiffResult) -> None:
        self.result = result

    def badge(self) -> tuple[str, str] | None:
        d = self.result.resources
        return str(len(d.added) + len(d.removed) + len(d.changed)), ""

    def context(self) -> Mapping[str, Any]:
        d = self.result.resources
        return {"groups": [
            {"kind": "added", "sign": "+", "title": "Added",
             "rows": [{"type": short_type(r.type), "name": r.name, "id": r.id} for r in d.added]},
            {"kind": "removed", "sign": "−", "title": "Removed",
             "rows": [{"type": short_type(r.type), "name": r.name, "id": r.id} for r in d.removed]},
            {"kind": "changed", "sign": "~", "title": "Changed",
             "rows": [{"type": short_type(a.type), "name": a.name, "id": a.id,
                        "fields": changed_fields(b, a)} for b, a in d.changed]},
        ]}
