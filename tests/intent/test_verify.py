"""verify and matrix on the examples: each outcome kind as a named case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.engine import Engine
from netwarden.ingest import load_estate
from netwarden.intent.matrix import matrix, summary
from netwarden.intent.parse import load_intent
from netwarden.intent.verify import verify

ROOT = Path(__file__).resolve().parents[2]
CONTOSO, FLAWED = ROOT / "examples" / "contoso", ROOT / "examples" / "contoso-flawed"
INTENT = ROOT / "examples" / "contoso.intent.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def clean() -> Engine:
    return Engine(load_estate([CONTOSO]))


@pytest.fixture(scope="module")
def flawed() -> Engine:
    return Engine(load_estate([FLAWED]))


def intent_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "intent.yaml"
    path.write_text(text)
    return path


def test_contoso_verifies_clean(clean: Engine) -> None:
    result = verify(clean, load_intent(INTENT))
    assert result.clean, [(v.kind, v.source, v.destination) for v in
                          (*result.excess, *result.missing, *result.bypass)]


def test_flawed_excess_names_the_jumpbox_rule(flawed: Engine) -> None:
    result = verify(flawed, load_intent(INTENT))
    excess = {(v.source, v.destination) for v in result.excess}
    assert ("internet", "app") in excess          # RDP rule + public IP on vm-jump01
    assert ("web", "internet") in excess          # egress through the single-VM NVA
    rdp = next(v for v in result.excess if (v.source, v.destination) == ("internet", "app"))
    assert rdp.path[0].name == "pip-vm-jump01"
    assert any(h.rule and "AllowRdpInbound" in h.rule for h in rdp.path)


def test_missing_names_the_blocking_hop_and_rule(clean: Engine, tmp_path: Path) -> None:
    intent = load_intent(intent_file(tmp_path, """segments:
  web: {subnets: [snet-web]}
  app: {subnets: [snet-app]}
flows:
  - {from: web, to: app, ports: [tcp/8080, tcp/22]}
"""))
    result = verify(clean, intent)
    missing = [v for v in result.missing if (v.source, v.destination) == ("web", "app")]
    assert len(missing) == 1 and missing[0].note.startswith("partly blocked")
    ports = {b.render("dst_port") for b in missing[0].packets.boxes()}
    assert ports == {"22"}
    assert missing[0].path[-1].action == "deny" and missing[0].path[-1].rule == "DenyAllInbound"


def test_bypass_when_the_required_firewall_is_skipped(flawed: Engine, tmp_path: Path) -> None:
    intent = load_intent(intent_file(tmp_path, """segments:
  web: {subnets: [snet-web]}
flows:
  - {from: web, to: internet, ports: [tcp/443, udp/123], via: afw-contoso-hub}
"""))
    result = verify(flawed, intent)
    assert result.bypass and all(v.source == "web" for v in result.bypass)
    assert any(h.kind == "nva" for h in result.bypass[0].path)


def test_verify_cli_json_contract_and_exit_codes(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["verify", str(CONTOSO), "--intent", str(INTENT), "--format", "json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["excess"] == data["missing"] == data["bypass"] == []
    bad = runner.invoke(app, ["verify", str(FLAWED), "--intent", str(INTENT), "--format", "json"])
    assert bad.exit_code == 1
    entry = json.loads(bad.stdout)["excess"][0]
    assert {"from", "to", "packets", "witness", "path"} <= set(entry)
    sarif = runner.invoke(app, ["verify", str(FLAWED), "--intent", str(INTENT), "--format", "sarif"])
    assert json.loads(sarif.stdout)["runs"][0]["results"][0]["ruleId"] == "INTENT-EXCESS"


def test_matrix_by_subnet(clean: Engine) -> None:
    result = matrix(clean, "subnet")
    cell = result.cells[("snet-web", "snet-app")]
    assert summary(cell.allowed) == "tcp/8080"
    assert result.cells[("snet-app", "snet-web")].exposure == "none"
    assert result.cells[("internet", "snet-web")].exposure == "some"


def test_matrix_marks_with_an_intent(flawed: Engine) -> None:
    result = matrix(flawed, "segment", load_intent(INTENT))
    assert result.cells[("web", "app")].marks == ["excess"]      # flat web<->app in the flawed estate
    assert result.cells[("app", "sql")].marks == ["intended"]


def test_matrix_cli_csv_and_json() -> None:
    csv = runner.invoke(app, ["matrix", str(CONTOSO), "--format", "csv"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0] == "from,to,exposure,allowed,marks"
    assert "snet-web,snet-app,some,tcp/8080," in csv.stdout
    data = json.loads(runner.invoke(app, ["matrix", str(CONTOSO), "--by", "vnet", "--format", "json"]).stdout)
    assert data["by"] == "vnet" and {"vnet-hub", "vnet-spoke-prod"} <= set(data["groups"])
    need = runner.invoke(app, ["matrix", str(CONTOSO), "--by", "segment"])
    assert need.exit_code == 2 and "--by segment needs --intent" in need.output


def test_single_walk_matrix_equals_pairwise_reach(flawed: Engine) -> None:
    from netwarden.intent.matrix import pairwise

    for by in ("subnet", "vnet"):
        fast, slow = matrix(flawed, by), pairwise(flawed, by)
        assert fast.cells.keys() == slow.cells.keys()
        assert all(fast.cells[k].allowed == slow.cells[k].allowed for k in slow.cells)
