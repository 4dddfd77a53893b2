"""Scan results as JSON (a contract: tool, findings, summary, warnings) and as text."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from netwarden import __version__
from netwarden.checks.base import Finding, Severity
from netwarden.checks.scan import ScanResult
from netwarden.report.inventory import diagnostic_json

_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
          Severity.LOW: "cyan", Severity.INFO: "dim"}


def finding_json(finding: Finding) -> dict[str, Any]:
    location = finding.location
    return {
        "check": finding.check,
        "name": finding.name,
        "severity": str(finding.severity),
        "resource": finding.resource.id,
        "resource_name": finding.resource.name,
        "resource_type": finding.resource.type,
        "title": finding.title,
        "message": finding.message,
        "evidence": finding.evidence.to_json(),
        "remediation": finding.remediation,
        "location": {"file": location.file, "path": location.path or None,
                     "address": location.address, "line": location.line},
    }


def scan_json(result: ScanResult) -> dict[str, Any]:
    by_severity = Counter(str(f.severity) for f in result.findings)
    return {
        "tool": {"name": "netwarden", "version": __version__,
                 "checks": [c.id for c in result.checks]},
        "findings": [finding_json(f) for f in result.findings],
        "suppressed": [{**finding_json(s.finding), "reason": s.reason} for s in result.suppressed],
        "summary": {
            "total": len(result.findings),
            "by_severity": {str(s): by_severity.get(str(s), 0) for s in sorted(Severity, reverse=True)},
            "by_check": dict(sorted(Counter(f.check for f in result.findings).items())),
            "suppressed": len(result.suppressed),
            "checks_run": len(result.checks),
        },
        "warnings": [diagnostic_json(d) for d in result.diagnostics],
        "unresolved_tags": result.unresolved_tags,
    }


def render_scan(result: ScanResult, console: Console) -> None:
    if not result.findings:
        console.print(f"[bold green]No findings[/bold green] ({len(result.checks)} checks run)")
    for severity in sorted(Severity, reverse=True):
        group = [f for f in result.findings if f.severity is severity]
        if not group:
            continue
        style = _STYLE[severity]
        console.print(f"\n[{style}]{severity.name}[/{style}] ({len(group)})")
        for finding in group:
            console.print(f"  [{style}]{finding.check}[/{style}] {escape(finding.name)}: "
                          f"{escape(finding.message)}", highlight=False, emoji=False)
            evidence = finding.evidence.summary()
            if evidence:
                console.print(f"      evidence: {escape(evidence)}", highlight=False, emoji=False,
                              style="dim")
    table = Table(title="summary", title_justify="left")
    table.add_column("severity")
    table.add_column("findings", justify="right")
    for severity in sorted(Severity, reverse=True):
        count = sum(1 for f in result.findings if f.severity is severity)
        table.add_row(severity.name.lower(), str(count))
    console.print()
    console.print(table)
    if result.suppressed:
        console.print(f"{len(result.suppressed)} finding(s) suppressed (tags or baseline)")
    if result.diagnostics:
        console.print(f"[yellow]{len(result.diagnostics)} input warning(s)[/yellow]; "
                      "`netwarden validate` lists them")
    if result.unresolved_tags:
        console.print(f"[yellow]unresolved service tags (matched nothing):[/yellow] "
                      f"{escape(', '.join(result.unresolved_tags))}; pass --service-tags FILE")
