"""Running the catalogue: selection, suppressions (resource tags and a baseline), and the
complete result object that the writers render."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from netwarden.checks.base import Check, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.registry import all_checks
from netwarden.engine import Engine
from netwarden.model.estate import Diagnostic, Estate

IGNORE_TAG = "netwarden-ignore"


@dataclass
class Suppressed:
    finding: Finding
    reason: str


@dataclass
class ScanResult:
    checks: list[Check]
    findings: list[Finding]
    suppressed: list[Suppressed] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    unresolved_tags: list[str] = field(default_factory=list)

    def failing(self, threshold: Severity | None) -> list[Finding]:
        if threshold is None:
            return []
        return [f for f in self.findings if f.severity >= threshold]


def select(only: Iterable[str] = (), skip: Iterable[str] = ()) -> list[Check]:
    """The checks to run; unknown IDs are a ValueError naming them."""
    catalogue = all_checks()
    known = {c.id for c in catalogue}
    wanted = {i.upper() for i in only}
    skipped = {i.upper() for i in skip}
    unknown = sorted((wanted | skipped) - known)
    if unknown:
        raise ValueError(f"unknown check ID(s): {', '.join(unknown)} (see `netwarden checks`)")
    return [c for c in catalogue if (not wanted or c.id in wanted) and c.id not in skipped]


def ignored(finding: Finding) -> str | None:
    """The reason a resource's ``netwarden-ignore`` tag suppresses a finding, else None.

    Tag value: ``EDGE002,SEG002`` or ``EDGE002,SEG002: reason`` (``*`` ignores every check).
    """
    for name, value in finding.resource.tags.items():
        if name.lower() != IGNORE_TAG:
            continue
        codes, _, reason = value.partition(":")
        listed = {c.strip().upper() for c in codes.replace(";", ",").split(",") if c.strip()}
        if finding.check in listed or "*" in listed:
            return reason.strip() or f"tag {IGNORE_TAG}"
    return None


def load_baseline(path: Path) -> set[str]:
    """Fingerprints of the findings of an earlier ``scan --format json``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise ValueError(f"{path}: not a `netwarden scan --format json` result (no findings list)")
    prints = set()
    for index, item in enumerate(data["findings"]):
        if not isinstance(item, dict) or not item.get("check") or not item.get("resource"):
            raise ValueError(f"{path}: findings[{index}] has no check or resource")
        prints.add(f"{str(item['check']).upper()}:{str(item['resource']).lower()}")
    return prints


def scan(estate: Estate, engine: Engine, checks: list[Check],
         baseline: set[str] | None = None) -> ScanResult:
    ctx = ScanContext(estate, engine)
    findings: list[Finding] = []
    suppressed: list[Suppressed] = []
    for check in checks:
        for finding in check.run(ctx):
            reason = ignored(finding)
            if reason is None and baseline is not None and finding.fingerprint in baseline:
                reason = "in the baseline"
            if reason is not None:
                suppressed.append(Suppressed(finding, reason))
            else:
                findings.append(finding)
    findings.sort(key=lambda f: (-f.severity, f.check, f.resource.id.lower()))
    return ScanResult(checks, findings, suppressed, list(estate.diagnostics),
                      sorted(engine.addresses.unresolved))
