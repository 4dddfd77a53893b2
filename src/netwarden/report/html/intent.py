"""``verify``: the verdict, then the excess, missing and bypassing flows, each with its
witness packet and the path that lets it through (or the hop that blocks it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netwarden.intent.verify import VerifyResult, Violation
from netwarden.report.html.common import box_texts, hop_view, witness_text
from netwarden.report.html.document import Section

MAX_ITEMS = 500
_EXPLAIN = {
    "excess": ("Excess flows", "Packets that arrive between segments and that no intended flow allows."),
    "missing": ("Missing flows", ("Intended flows that the network blocks, wholly or partly, with the "
                                  "hop and rule that drop them.")),
    "bypass": ("Bypassing flows", ("Intended flows that arrive on a path without the resource their "
                                   "`via` names.")),
}


def violation_view(v: Violation) -> dict[str, Any]:
    return {"source": v.source, "destination": v.destination,
            "flow": str(v.flow) if v.flow is not None else "",
            "line": v.flow.location.line if v.flow is not None and v.flow.location else None,
            "note": v.note, "witness": witness_text(v.packets), "packets": box_texts(v.packets),
            "path": [hop_view(h) for h in v.path]}


class VerifySection(Section):
    id, title, template, component = "verify", "Intent", "verify", ""

    def __init__(self, result: VerifyResult) -> None:
        self.result = result

    def badge(self) -> tuple[str, str] | None:
        r = self.result
        if r.clean:
            return "clean", "ok"
        return str(len(r.excess) + len(r.missing) + len(r.bypass)), "bad"

    def context(self) -> Mapping[str, Any]:
        r = self.result
        groups = []
        for kind in ("excess", "missing", "bypass"):
            items = getattr(r, kind)
            if not items:
                continue
            title, explain = _EXPLAIN[kind]
            if len(items) > MAX_ITEMS:
                explain += f" The first {MAX_ITEMS} of {len(items)}; `--format json` lists all."
            groups.append({"kind": kind, "title": title, "explain": explain,
                           "rows": [violation_view(v) for v in items[:MAX_ITEMS]]})
        segments = []
        for name, endpoint in r.segments.items():
            prefixes = [str(p) for p in endpoint.prefixes]
            segments.append({"name": name, "holders": len(endpoint.holders), "prefixes": prefixes[:12],
                             "more": max(0, len(prefixes) - 12)})
        return {"clean": r.clean, "pairs": r.checked_pairs, "groups": groups, "segments": segments,
                "counts": {"excess": len(r.excess), "missing": len(r.missing), "bypass": len(r.bypass)},
                "intent_source": r.intent.source}
