"""The reach / trace command line: JSON contract fields, exit codes, located errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from netwarden.cli import app

FLAWED = str(Path(__file__).resolve().parents[1] / "examples" / "contoso-flawed")
runner = CliRunner()


def test_reach_json_contract() -> None:
    result = runner.invoke(app, ["reach", FLAWED, "--from", "internet", "--to", "vm-jump01",
                                 "--protocol", "tcp", "--port", "3389", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "allowed"
    assert data["allowed"] and {"src", "dst", "protocol", "dst_ports"} <= set(data["allowed"][0])
    hop = data["paths"][0]["hops"][0]
    assert {"kind", "resource", "rule", "action"} <= set(hop)
    assert hop["resource"].startswith("/subscriptions/")


def test_trace_json_names_the_dropping_hop() -> None:
    result = runner.invoke(app, ["trace", FLAWED, "--src", "10.1.1.4", "--dst", "10.1.3.4",
                                 "--protocol", "tcp", "--dst-port", "22", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "denied"
    assert data["dropped_by"]["action"] in ("deny", "drop")
    assert data["dropped_by"]["rule"]


def test_unknown_endpoint_exits_2_with_one_line() -> None:
    result = runner.invoke(app, ["reach", FLAWED, "--from", "nothing-here", "--to", "internet"])
    assert result.exit_code == 2
    assert "no endpoint named 'nothing-here'" in result.output
    assert "Traceback" not in result.output


def test_bad_port_and_protocol_exit_2() -> None:
    bad_port = runner.invoke(app, ["reach", FLAWED, "--from", "internet", "--to", "vm-jump01",
                                   "--protocol", "tcp", "--port", "70-60"])
    assert bad_port.exit_code == 2 and "--port" in bad_port.output
    bad_proto = runner.invoke(app, ["trace", FLAWED, "--src", "10.1.1.4", "--dst", "10.1.3.4",
                                    "--protocol", "gre"])
    assert bad_proto.exit_code == 2 and "--protocol" in bad_proto.output


def test_service_tags_file_resolves_a_tag(tmp_path: Path) -> None:
    tags = tmp_path / "tags.json"
    tags.write_text(json.dumps({"values": [{"name": "Storage.EastUS", "properties": {
        "addressPrefixes": ["52.239.0.0/16"]}}]}))
    result = runner.invoke(app, ["reach", FLAWED, "--from", "vm-web01", "--to", "internet",
                                 "--service-tags", str(tags), "--format", "json"])
    assert result.exit_code == 0, result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = runner.invoke(app, ["reach", FLAWED, "--from", "vm-web01", "--to", "internet",
                                 "--service-tags", str(broken)])
    assert result.exit_code == 2 and "invalid JSON" in result.output
