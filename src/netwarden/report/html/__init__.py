"""Self-contained HTML reports: one file, styles and script inline, nothing fetched.

``scan_report``, ``verify_report`` and ``diff_report`` turn complete result objects into a
document of sections (tabs): the estate diagram, the findings, the segment matrix, the
violations, the changes. Other analyses plug in with their own ``Section`` and
``render_report`` (see ``netwarden.report.html.document``).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from netwarden.report.html.document import Section, render_report
from netwarden.report.html.exposure import Exposure, internet_exposure
from netwarden.report.html.matrix import MATRIX_LIMIT, MatrixSection, MatrixView, matrix_view
from netwarden.report.html.overview import Mark, Overview, OverviewSection

if TYPE_CHECKING:
    from netwarden.checks.scan import ScanResult
    from netwarden.diff.reach import DiffResult
    from netwarden.engine import Engine
    from netwarden.intent.verify import VerifyResult
    from netwarden.model.estate import Estate

__all__ = [
    "DEFAULT_OUTPUT",
    "MATRIX_LIMIT",
    "Exposure",
    "Mark",
    "MatrixSection",
    "MatrixView",
    "Overview",
    "OverviewSection",
    "Section",
    "diff_report",
    "flows_report",
    "internet_exposure",
    "matrix_view",
    "render_report",
    "scan_report",
    "verify_report",
    "write_report",
]

DEFAULT_OUTPUT = Path("report.html")


def _names(sources: Iterable[str | Path]) -> str:
    names = [Path(str(s)).name or str(s) for s in sources]
    return ", ".join(names) if names else "estate"


def _counts(estate: Estate) -> list[dict[str, object]]:
    return [{"value": f"{len(estate.vnets):,}", "label": "VNets", "cls": ""},
            {"value": f"{len(estate.subnets):,}", "label": "subnets", "cls": ""},
            {"value": f"{len(estate.nics):,}", "label": "NICs", "cls": ""}]


def _subnet_labels(estate: Estate) -> dict[str, str]:
    """Subnet key -> the label ``netwarden.intent.matrix.groups`` gives it."""
    from netwarden.model import ids

    names = Counter(s.name for s in estate.subnets)
    return {ids.key(s.id): (s.name if names[s.name] == 1 else s.id) for s in estate.subnets}


def scan_report(result: ScanResult, engine: Engine, *, sources: Sequence[str | Path] = (),
                matrix: bool = True, matrix_limit: int = MATRIX_LIMIT,
                generated: datetime | None = None) -> str:
    """Overview (diagram with exposure and findings), findings, and the subnet matrix."""
    from netwarden.model import ids
    from netwarden.model.compute import PublicIp
    from netwarden.report.html.findings import FindingsSection

    estate = engine.estate
    exposure = internet_exposure(engine)
    marks = [Mark(f.resource.id, str(f.severity), f"{f.check} {f.resource.name}: {_clip(f.message)}")
             for f in result.findings]
    overview = Overview(estate, exposure, marks)
    by_severity = Counter(str(f.severity) for f in result.findings)
    worst = max((f.severity for f in result.findings), default=None)
    exposed = overview.exposure_counts()
    cards: list[dict[str, object]] = [
        {"value": len(result.findings), "label": "findings",
         "cls": f"sev-{worst}" if worst is not None else "ok"},
        *[dict[str, object](value=by_severity[s], label=s, cls=f"sev-{s}")
          for s in ("critical", "high", "medium", "low") if by_severity[s]],
        {"value": exposed["exposed"], "label": "endpoints the internet reaches directly",
         "cls": "bad" if exposed["exposed"] else "ok"},
        {"value": exposed["fronted"], "label": "reached through an app gateway / firewall", "cls": ""},
        {"value": f"{len(exposure.pips)} / {len(estate.of(PublicIp))}",
         "label": "public IPs through which something arrives", "cls": ""},
        *_counts(estate),
    ]
    notes = []
    if result.suppressed:
        notes.append(f"{len(result.suppressed)} finding(s) suppressed by resource tags or the baseline.")
    if result.unresolved_tags:
        notes.append("Unresolved service tags (matched nothing; pass --service-tags FILE): "
                     + ", ".join(result.unresolved_tags))
    if result.diagnostics:
        notes.append(f"{len(result.diagnostics)} input warning(s); `netwarden validate` lists them.")
    sections: list[Section] = [
        OverviewSection(overview, cards=cards, notes=notes, engine=engine),
        FindingsSection(result, overview.nodes_for),
    ]
    if matrix:
        labels = _subnet_labels(estate)
        rank = {labels[ids.key(s.id)]: overview.subnet_score(s.id) for s in estate.subnets}
        sections.append(MatrixSection(matrix_view(engine, "subnet", limit=matrix_limit, rank=rank)))
    else:
        sections.append(MatrixSection(None, lead="The matrix was not computed for this report."))
    return render_report(f"netwarden scan — {_names(sources)}", sections,
                         meta=[f"estate: {_names(sources)}", f"{len(result.checks)} checks run"],
                         generated=generated)


def verify_report(result: VerifyResult, engine: Engine, *, sources: Sequence[str | Path] = (),
                  matrix: bool = True, matrix_limit: int = MATRIX_LIMIT,
                  generated: datetime | None = None) -> str:
    """The verdict and violations, the segment matrix with intent marks, and the estate."""
    from netwarden.report.html.intent import VerifySection

    estate = engine.estate
    marks: list[Mark] = []
    for kind, level in (("excess", "high"), ("bypass", "medium"), ("missing", "low")):
        for v in getattr(result, kind):
            hop = v.path[-1] if v.path else None
            if hop is not None and hop.resource:
                marks.append(Mark(hop.resource, level, f"{kind}: {v.source} → {v.destination}"))
    overview = Overview(estate, internet_exposure(engine), marks)
    cards: list[dict[str, object]] = [
        {"value": "clean" if result.clean else "violated", "label": "intent",
         "cls": "ok" if result.clean else "bad"},
        {"value": len(result.excess), "label": "excess", "cls": "bad" if result.excess else ""},
        {"value": len(result.missing), "label": "missing", "cls": "warn" if result.missing else ""},
        {"value": len(result.bypass), "label": "bypass", "cls": "bad" if result.bypass else ""},
        {"value": result.checked_pairs, "label": "segment pairs checked", "cls": ""},
        *_counts(estate),
    ]
    sections: list[Section] = [VerifySection(result)]
    if matrix:
        view = matrix_view(engine, "segment", result.intent, limit=matrix_limit)
        sections.append(MatrixSection(view, lead="What arrives from each segment (row) to each segment "
                                                 "(column), held against the intent."))
    sections.append(OverviewSection(
        overview, cards=cards, engine=engine, clickable="",
        legend=[{"cls": "sev-high", "label": "excess ends here"},
                {"cls": "sev-medium", "label": "bypass ends here"},
                {"cls": "sev-low", "label": "missing: blocked here"}]))
    return render_report(f"netwarden verify — {_names(sources)}", sections,
                         meta=[f"estate: {_names(sources)}", f"intent: {result.intent.source}"],
                         generated=generated)


def diff_report(result: DiffResult, before: Estate, after: Estate, *,
                sources: Sequence[str | Path] = (), generated: datetime | None = None) -> str:
    """Changes (newly exposed to the internet first), resource changes, and the estate after
    the change with what was added, changed and newly exposed marked."""
    from netwarden.engine import Engine
    from netwarden.report.html.diff import ChangesSection, ResourcesSection

    engine = Engine(after)
    marks = [Mark(r.id, "added", f"added {r.name}") for r in result.resources.added]
    marks += [Mark(a.id, "changed", f"changed {a.name}") for _, a in result.resources.changed]
    for change in result.new_internet_exposure:
        hop = change.path[-1] if change.path else None
        if hop is not None and hop.resource:
            marks.append(Mark(hop.resource, "exposed", f"newly reachable from the internet "
                                                      f"({change.destination})"))
    overview = Overview(after, internet_exposure(engine), marks)
    cards: list[dict[str, object]] = [
        {"value": len(result.resources.added), "label": "added", "cls": ""},
        {"value": len(result.resources.changed), "label": "changed", "cls": ""},
        {"value": len(result.resources.removed), "label": "removed (not drawn)", "cls": ""},
        *_counts(after),
    ]
    sections: list[Section] = [
        ChangesSection(result), ResourcesSection(result),
        OverviewSection(overview, cards=cards, engine=engine, clickable="",
                        notes=["The estate after the change."],
                        legend=[{"cls": "sev-critical", "label": "newly exposed"},
                                {"cls": "added", "label": "added"},
                                {"cls": "changed", "label": "changed"}]),
    ]
    title = f"netwarden diff — {_names(sources[:1])} → {_names(sources[1:])}" if len(sources) == 2 \
        else "netwarden diff"
    return render_report(title, sections, meta=[f"before: {_names(sources[:1])}",
                                                f"after: {_names(sources[1:])}"],
                         generated=generated)


def flows_report(*args: object, **kwargs: object) -> str:
    """``flows analyze``: see ``netwarden.report.html.flows.flows_report``."""
    from netwarden.report.html.flows import flows_report as report

    return report(*args, **kwargs)  # type: ignore[arg-type]


def write_report(html: str, output: Path | None) -> Path:
    """Write the report (``report.html`` when no file is named) and say where on stderr."""
    path = output or DEFAULT_OUTPUT
    path.write_text(html, encoding="utf-8")
    size = len(html.encode("utf-8"))
    sys.stderr.write(f"wrote {path} ({size / 1024:,.0f} KB)\n")
    return path


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


