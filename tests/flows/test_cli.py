"""``netwarden flows`` end to end (the sub-app the main CLI mounts): the JSON contract,
CSV, suggest outputs, and the exit codes for bad input."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.flows.cli import CSV_COLUMNS, flows_app
from netwarden.flows.generate import Spec, estate_resources, generate

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "flowlogs"
runner = CliRunner()
SPEC = Spec(files=9, records_per_file=2, groups_per_record=2, tuples_per_group=30, seed=5)


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(flows_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cli")
    generate(root / "logs", SPEC)
    estate = root / "estate.json"
    estate.write_text(json.dumps(estate_resources(SPEC)))
    return root / "logs", estate


def test_analyze_json_contract_on_the_samples(tmp_path: Path) -> None:
    if not SAMPLES.is_dir():
        pytest.skip("flow-log samples not found")
    code, out, _ = invoke("analyze", str(SAMPLES), str(SAMPLES / "nsg-v1-sample.as-documented.txt"),
                          "--format", "json", "--store", str(tmp_path))
    assert code == 0
    data = json.loads(out)
    assert set(data) >= {"summary", "malformed", "top_talkers", "top_denied", "internet_by_port",
                         "violations", "blocked_required", "anomalies", "window"}
    s = data["summary"]
    # 12 (v1) + 11 (v2) + 19 (VNet) + 9 in the as-documented v1 text (its nested wrapper: 1 record)
    assert s["tuples_total"] == 51 and s["tuples_malformed"] == 0
    assert s["allowed"] + s["denied"] == s["tuples_in_window"] == 51
    assert s["records_malformed"] == 1
    assert data["malformed"]["by_reason"][0]["reason"] == "record_without_flows"
    assert data["violations"] == [] and data["blocked_required"] == [] and data["intent"] is False
    rdp = [m for m in data["anomalies"]["management_from_internet"] if m["dst_port"] == 3389]
    assert {m["src_ip"] for m in rdp} >= {"192.0.2.154", "203.0.113.34"}
    assert all(m["allowed"] for m in rdp)
    rdp_in = next(i for i in data["internet_by_port"] if i["way"] == "inbound" and i["dst_port"] == 3389)
    assert rdp_in["allowed"] == 15     # 8 in the repaired v1 sample + 7 in the as-documented text


def test_non_json_only_exits_2_with_the_count(tmp_path: Path) -> None:
    bad = tmp_path / "PT1H.json"
    bad.write_text("not json at all")
    code, out, err = invoke("analyze", str(bad), "--format", "json", "--store", str(tmp_path / "s"))
    assert code == 2
    data = json.loads(out)
    assert data["summary"]["files_malformed"] == 1
    assert data["malformed"]["by_reason"][0]["reason"] == "not_json"
    assert "nothing parseable" in err


def test_partly_malformed_input_exits_0(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    logs, _ = generated
    mixed = tmp_path / "logs"
    shutil.copytree(logs, mixed)
    (mixed / "junk.json").write_text("{oops")
    code, out, _ = invoke("analyze", str(mixed), "--format", "json", "--store", str(tmp_path / "s"))
    assert code == 0
    data = json.loads(out)
    assert data["summary"]["files_malformed"] == 1 and data["summary"]["tuples_parsed"] > 0
    example = data["malformed"]["by_reason"][0]["examples"][0]
    assert example["file"].endswith("junk.json")


def test_empty_log_is_not_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "PT1H.json"
    empty.write_text('{"records": []}')
    code, out, _ = invoke("analyze", str(empty), "--format", "json", "--store", str(tmp_path / "s"))
    assert code == 0 and json.loads(out)["summary"]["tuples_total"] == 0


@pytest.mark.parametrize(("name", "args"), [
    ("missing path", ["analyze", "/nonexistent/flows"]),
    ("bad --since", ["analyze", ".", "--since", "yesterday"]),
    ("intent without estate", ["analyze", ".", "--intent", "intent.yaml"]),
])
def test_usage_errors_exit_2(tmp_path: Path, name: str, args: list[str]) -> None:
    code, _, err = invoke(*args, "--store", str(tmp_path))
    assert code == 2 and "error:" in err, name


def test_csv_is_one_long_table(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    logs, _ = generated
    code, out, _ = invoke("analyze", str(logs), "--format", "csv", "--store", str(tmp_path))
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert tuple(table[0]) == CSV_COLUMNS
    sections = {row[0] for row in table[1:]}
    assert sections >= {"summary", "top_talkers", "top_denied", "internet_by_port"}
    total = next(row for row in table if row[:2] == ["summary", "tuples_total"])
    assert int(total[-1]) == SPEC.files * SPEC.records_per_file * SPEC.groups_per_record * SPEC.tuples_per_group


def test_text_output(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    logs, estate = generated
    code, out, _ = invoke("analyze", str(logs), "--estate", str(estate), "--store", str(tmp_path))
    assert code == 0 and "top talkers" in out and "by NIC" in out


def test_suggest_outputs(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    logs, estate = generated
    code, out, _ = invoke("suggest", str(logs), "--estate", str(estate), "--format", "json",
                          "--store", str(tmp_path))
    assert code == 0
    data = json.loads(out)
    nsg = data["nsgs"][0]
    assert set(nsg) >= {"id", "name", "covered", "rules", "unused_allow_rules", "proposals",
                        "nsg_fragment", "terraform"}
    assert [r["name"] for r in nsg["unused_allow_rules"]] == ["allow-rdp"]
    proposal = nsg["proposals"][0]
    assert set(proposal["evidence"]) >= {"tuples", "bytes", "sources", "first_seen", "last_seen"}
    assert nsg["nsg_fragment"]["properties"]["securityRules"][0]["name"] == proposal["rule"]
    code, out, _ = invoke("suggest", str(logs), "--estate", str(estate), "--format", "terraform",
                          "--store", str(tmp_path))
    assert code == 0 and out.count('resource "azurerm_network_security_rule"') >= 3
    assert "network_security_group_name = \"NSG-SNET0\"" in out
    code, out, _ = invoke("suggest", str(logs), "--estate", str(estate), "--store", str(tmp_path))
    assert code == 0 and "unused allow rule allow-rdp" in out


def test_intent_file_end_to_end(tmp_path: Path, generated: tuple[Path, Path]) -> None:
    pytest.importorskip("netwarden.intent.parse")
    logs, estate = generated
    intent = tmp_path / "intent.yaml"
    intent.write_text(
        "segments:\n"
        "  s0: {subnets: [snet0]}\n  s1: {subnets: [snet1]}\n  s2: {subnets: [snet2]}\n"
        "flows:\n"
        "  - {from: internet, to: s0, ports: [tcp/443, tcp/22]}\n"
        "  - {from: internet, to: s1, ports: [tcp/443]}\n"
        "  - {from: internet, to: s2, ports: [tcp/443]}\n")
    code, out, _ = invoke("analyze", str(logs), "--estate", str(estate), "--intent", str(intent),
                          "--format", "json", "--store", str(tmp_path / "s"))
    data = json.loads(out)
    assert code == 1 and data["intent"] is True
    keys = {(v["from"], v["to"], v["protocol"], v["port"]) for v in data["violations"]}
    assert ("s0", "s1", "tcp", 1433) in keys or ("s1", "s0", "tcp", 1433) in keys
    assert all(b["to"] == "s0" and b["port"] == 22 for b in data["blocked_required"])


def test_the_estate_is_loaded_as_every_estate_command_loads_it(tmp_path: Path,
                                                               generated: tuple[Path, Path]) -> None:
    """--estate takes what ESTATE takes elsewhere (a snapshot too) and the same options:
    --input-format, --service-tags, --parameters, --cluster."""
    from netwarden.cli import app

    logs, estate = generated
    code, plain, _ = invoke("analyze", str(logs), "--estate", str(estate), "--format", "json",
                            "--store", str(tmp_path))
    assert code == 0
    snap = tmp_path / "estate.nwsnap"
    assert runner.invoke(app, ["snapshot", str(estate), "-o", str(snap)]).exit_code == 0
    code, restored, _ = invoke("analyze", str(logs), "--estate", str(snap), "--format", "json",
                               "--store", str(tmp_path))
    assert code == 0
    assert json.loads(restored)["mapped"] == json.loads(plain)["mapped"]
    assert json.loads(plain)["mapped"] and json.loads(plain)["rules"] == json.loads(restored)["rules"]
    # the options are honoured: a format the file is not, a service-tags file that is missing
    code, _, err = invoke("analyze", str(logs), "--estate", str(estate), "--input-format",
                          "terraform", "--store", str(tmp_path))
    assert code == 2 and str(estate) in err
    code, _, err = invoke("suggest", str(logs), "--estate", str(estate), "--service-tags",
                          str(tmp_path / "no-tags.json"), "--store", str(tmp_path))
    assert code == 2 and "no-tags.json" in err
