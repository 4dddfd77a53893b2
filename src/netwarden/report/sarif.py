"""SARIF 2.1.0: one rule per check that ran (its metadata), one result per finding, located
at the resource (file and JSON path; the IaC address where there is one)."""

from __future__ import annotations

from typing import Any

from netwarden import __version__
from netwarden.checks.base import Check, Finding, Severity
from netwarden.checks.scan import ScanResult

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
_SCORE = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
          Severity.LOW: "3.0", Severity.INFO: "0.0"}


def _rule(check: Check) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": check.id,
        "name": check.name,
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": " ".join((check.__doc__ or check.title).split())},
        "help": {"text": f"{check.rationale}\n\nRemediation: {check.remediation}",
                 "markdown": f"{check.rationale}\n\n**Remediation:** {check.remediation}"},
        "defaultConfiguration": {"level": _LEVEL[check.severity]},
        "properties": {"security-severity": _SCORE[check.severity],
                       "tags": ["security", "network", check.area.name.lower()],
                       "severity": str(check.severity)},
    }
    if check.references:
        rule["helpUri"] = check.references[0]
    return rule


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location = finding.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": location.file.replace("\\", "/")}}
    if location.line is not None:
        physical["region"] = {"startLine": location.line}
    logical = [{"name": finding.resource.name, "fullyQualifiedName": finding.resource.id,
                "kind": "resource"}]
    if location.address:
        logical.append({"name": location.address, "fullyQualifiedName": location.address,
                        "kind": "module"})
    properties: dict[str, Any] = {"severity": str(finding.severity),
                                  "evidence": finding.evidence.to_json()}
    if location.path:
        properties["jsonPath"] = location.path
    return {
        "ruleId": finding.check,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": physical, "logicalLocations": logical}],
        "partialFingerprints": {"netwarden/v1": finding.fingerprint},
        "properties": properties,
    }


def scan_sarif(result: ScanResult) -> dict[str, Any]:
    fired = sorted({f.check for f in result.findings})
    checks = {c.id: c for c in result.checks}
    rules = [_rule(checks[i]) for i in fired if i in checks]
    index = {rule["id"]: n for n, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "netwarden",
                "version": __version__,
                "rules": rules,
            }},
            "results": [_result(f, index[f.check]) for f in result.findings],
            "columnKind": "unicodeCodePoints",
        }],
    }
