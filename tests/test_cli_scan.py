"""`netwarden scan` end to end: the JSON contract, SARIF 2.1.0, exit codes, selection,
suppressions and baselines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sarif_pydantic import Sarif
from typer.testing import CliRunner

from netwarden.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FLAWED, CLEAN = str(EXAMPLES / "contoso-flawed"), str(EXAMPLES / "contoso")
runner = CliRunner()


def scan(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["scan", *args])
    return result.exit_code, result.stdout


def test_json_contract_and_exit_code() -> None:
    code, out = scan(FLAWED, "--format", "json")
    assert code == 1                                   # critical findings, default --fail-on high
    data = json.loads(out)
    assert set(data) >= {"tool", "findings", "summary", "warnings"}
    assert data["summary"]["total"] == len(data["findings"]) > 0
    finding = next(f for f in data["findings"] if f["check"] == "EDGE001")
    assert set(finding) >= {"check", "name", "severity", "resource", "title", "message",
                            "evidence", "remediation"}
    assert finding["resource"].startswith("/subscriptions/")
    assert finding["evidence"]["witness"] and finding["evidence"]["path"]
    assert finding["evidence"]["path"][0]["kind"] == "public-ip"


def test_clean_estate_scans_clean() -> None:
    code, out = scan(CLEAN, "--format", "json")
    data = json.loads(out)
    assert data["findings"] == [], [f["message"] for f in data["findings"]]
    assert code == 0


def test_fail_on_threshold() -> None:
    assert scan(FLAWED, "--fail-on", "never", "--format", "json")[0] == 0
    assert scan(FLAWED, "--check", "SEG001", "--fail-on", "critical", "--format", "json")[0] == 0
    assert scan(FLAWED, "--check", "SEG001", "--fail-on", "high", "--format", "json")[0] == 1


def test_check_and_skip_select() -> None:
    data = json.loads(scan(FLAWED, "--check", "edge001", "--format", "json")[1])
    assert data["tool"]["checks"] == ["EDGE001"]
    assert {f["check"] for f in data["findings"]} == {"EDGE001"}
    data = json.loads(scan(FLAWED, "--skip", "EDGE001", "--format", "json")[1])
    assert "EDGE001" not in {f["check"] for f in data["findings"]}


def test_unknown_check_is_a_usage_error() -> None:
    result = runner.invoke(app, ["scan", FLAWED, "--check", "NOPE999"])
    assert result.exit_code == 2 and "unknown check ID(s): NOPE999" in result.output


def test_sarif_is_valid_2_1_0_with_rule_metadata(tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    code, _ = scan(FLAWED, "--format", "sarif", "-o", str(target))
    assert code == 1
    data = json.loads(target.read_text())
    Sarif.model_validate(data)                         # the SARIF 2.1.0 object model
    assert data["version"] == "2.1.0"
    run = data["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({r["ruleId"] for r in run["results"]})
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        logical = result["locations"][0]["logicalLocations"][0]
        assert logical["fullyQualifiedName"].startswith("/subscriptions/")
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".json")
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)


@pytest.fixture()
def tagged(tmp_path: Path) -> Path:
    """contoso-flawed with vm-jump01 tagged `netwarden-ignore: EDGE001: accepted risk`."""
    copy = tmp_path / "estate"
    shutil.copytree(FLAWED, copy)
    compute = copy / "compute.json"
    resources = json.loads(compute.read_text())
    for resource in resources:
        if resource.get("name") == "vm-jump01":
            resource.setdefault("tags", {})["netwarden-ignore"] = "EDGE001, EDGE002: accepted risk"
    compute.write_text(json.dumps(resources))
    return copy


def test_ignore_tag_suppresses_with_reason(tagged: Path) -> None:
    data = json.loads(scan(str(tagged), "--format", "json", "--check", "EDGE001")[1])
    assert "vm-jump01" not in {f["resource_name"] for f in data["findings"]}
    suppressed = [s for s in data["suppressed"] if s["resource_name"] == "vm-jump01"]
    assert suppressed and suppressed[0]["reason"] == "accepted risk"


def test_baseline_reports_only_new_findings(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_text(scan(FLAWED, "--format", "json")[1])
    code, out = scan(FLAWED, "--format", "json", "--baseline", str(baseline))
    data = json.loads(out)
    assert data["findings"] == [] and code == 0
    assert data["summary"]["suppressed"] > 0
    broken = tmp_path / "broken.json"
    broken.write_text('{"nothing": 1}')
    result = runner.invoke(app, ["scan", FLAWED, "--baseline", str(broken)])
    assert result.exit_code == 2 and "not a `netwarden scan --format json` result" in result.output


def test_text_output_groups_by_severity() -> None:
    code, out = scan(FLAWED)
    assert code == 1
    assert out.index("CRITICAL") < out.index("summary")
    assert "EDGE001" in out and "evidence:" in out
