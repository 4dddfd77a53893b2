"""The findings of a scan: a severity × area summary, then every finding — filterable by
severity, area, check, free text and diagram node — with its evidence path as a chain of
hops, its witness packet and its remediation. The list is drawn by the page's script from
JSON (paginated), so twenty thousand findings still open fast."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from netwarden.checks.base import Area, Finding
from netwarden.checks.scan import ScanResult
from netwarden.report.html.common import SEVERITIES, box_texts, hops_rows, short_type, witness_text
from netwarden.report.html.document import Section


class FindingsSection(Section):
    id, title, template, component = "findings", "Findings", "findings", "findings"

    def __init__(self, result: ScanResult, locate: Callable[[str], list[str]] | None = None) -> None:
        self.result = result
        self.locate = locate
        self._areas = {c.id: c.area for c in result.checks}

    def _area(self, finding: Finding) -> Area | None:
        return self._areas.get(finding.check)

    def badge(self) -> tuple[str, str] | None:
        findings = self.result.findings
        if not findings:
            return "0", "ok"
        worst = max(f.severity for f in findings)
        return str(len(findings)), f"sev-{worst}"

    def context(self) -> Mapping[str, Any]:
        findings = self.result.findings
        per_area: dict[Area, Counter[str]] = {area: Counter() for area in Area}
        for f in findings:
            area = self._area(f)
            if area is not None:
                per_area[area][str(f.severity)] += 1
        areas_run = {c.area for c in self.result.checks}
        rows = [{"label": area.value, "counts": [per_area[area][s] for s in SEVERITIES],
                 "total": sum(per_area[area].values())}
                for area in Area if area in areas_run or per_area[area]]
        totals = Counter(str(f.severity) for f in findings)
        per_check = Counter(f.check for f in findings)
        names = {c.id: c.name for c in self.result.checks}
        return {
            "severities": SEVERITIES,
            "area_rows": rows,
            "totals": [totals[s] for s in SEVERITIES],
            "total": len(findings),
            "suppressed": len(self.result.suppressed),
            "areas": [{"key": area.name, "label": area.value, "count": sum(per_area[area].values())}
                      for area in Area if per_area[area]],
            "checks": [{"id": cid, "name": names.get(cid, ""), "count": n}
                       for cid, n in sorted(per_check.items())],
        }

    def data(self) -> Any:
        checks = {c.id: {"name": c.name, "title": c.title, "area": c.area.name,
                         "remediation": c.remediation} for c in self.result.checks}
        return {
            "severities": list(SEVERITIES),
            "areas": {area.name: area.value for area in Area},
            "checks": checks,
            "items": [self._item(f, checks) for f in self.result.findings],
        }

    def _item(self, f: Finding, checks: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
        evidence = f.evidence
        item: dict[str, Any] = {"c": f.check, "s": str(f.severity), "r": f.resource.name,
                                "id": f.resource.id, "t": short_type(f.resource.type), "m": f.message}
        witness = witness_text(evidence.packets)
        if witness:
            item["w"] = witness
        if evidence.path:
            item["p"] = hops_rows(evidence.path)
        if evidence.packets is not None:
            item["k"] = box_texts(evidence.packets)
        if evidence.facts:
            item["f"] = list(evidence.facts)
        if f.remediation != checks.get(f.check, {}).get("remediation"):
            item["x"] = f.remediation
        location = f.location
        if location.file and location.file != "<memory>":
            item["l"] = str(location)
        if self.locate is not None:
            item["n"] = self.locate(f.resource.id)
        return item
