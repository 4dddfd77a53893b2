"""`netwarden validate`: exit codes, the text and JSON inventory, the reference corpus, and the
installed entry point. (Every bad-input class is run through the CLI in
tests/ingest/test_ingest_errors.py.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from netwarden import __version__
from netwarden.cli import app

FIXTURES = Path(__file__).parent / "ingest" / "fixtures"
ESTATE = FIXTURES / "estate.json"

WARNING_SCHEMA = {
    "type": "object",
    "required": ["level", "code", "message", "file", "path", "line", "address"],
    "additionalProperties": False,
    "properties": {
        "level": {"enum": ["warning", "error"]},
        "code": {"type": "string", "pattern": "^[a-z]+(-[a-z]+)*$"},
        "message": {"type": "string", "minLength": 1},
        "file": {"type": "string", "minLength": 1},
        "path": {"type": ["string", "null"]},
        "line": {"type": ["integer", "null"]},
        "address": {"type": ["string", "null"]},
    },
}
COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}
INVENTORY_SCHEMA = {
    "type": "object",
    "required": ["sources", "total", "resources", "per_file", "unknown_types", "warnings"],
    "additionalProperties": False,
    "properties": {
        "sources": {"type": "array", "items": {"type": "string"}},
        "total": {"type": "integer", "minimum": 0},
        "resources": COUNTS,
        "per_file": COUNTS,
        "unknown_types": COUNTS,
        "warnings": {"type": "array", "items": WARNING_SCHEMA},
    },
}


def validate(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["validate", *map(str, args)])


def validate_json(*args: str | Path) -> dict[str, Any]:
    result = validate(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, INVENTORY_SCHEMA)
    return data


# -- the fixtures ----------------------------------------------------------------------------


def test_text_inventory() -> None:
    result = validate(ESTATE)
    assert result.exit_code == 0, result.output
    assert "10 resources from 1 file(s)" in result.stdout
    assert "Microsoft.Network/networkSecurityGroups/securityRules" in result.stdout
    assert "no warnings" in result.stdout
    assert result.stderr == ""


def test_json_inventory() -> None:
    data = validate_json(ESTATE)
    assert data == {
        "sources": [str(ESTATE)],
        "total": 10,
        "resources": {
            "Microsoft.Network/applicationSecurityGroups": 1,
            "Microsoft.Network/networkInterfaces": 1,
            "Microsoft.Network/networkInterfaces/ipConfigurations": 1,
            "Microsoft.Network/networkSecurityGroups": 1,
            "Microsoft.Network/networkSecurityGroups/securityRules": 2,
            "Microsoft.Network/routeTables": 1,
            "Microsoft.Network/routeTables/routes": 1,
            "Microsoft.Network/virtualNetworks": 1,
            "Microsoft.Network/virtualNetworks/subnets": 1,
        },
        "per_file": {str(ESTATE): 6},         # top-level resources and subnets, not parts
        "unknown_types": {},
        "warnings": [],
    }


def test_warnings_keep_exit_0_and_are_located(tmp_path: Path) -> None:
    partial = [r for r in json.loads(ESTATE.read_text()) if "networkSecurityGroups" not in r["id"]]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(partial))
    data = validate_json(path)
    assert [(w["code"], w["file"], w["path"]) for w in data["warnings"]] == [
        ("dangling-reference", str(path), "[0].properties.subnets[0]")]
    assert "nsg_id refers to" in data["warnings"][0]["message"]
    assert data["total"] == 7                  # everything else loaded

    text = validate(path)
    assert text.exit_code == 0
    assert "1 warning(s)" in text.stdout and "dangling-reference" in text.stdout


def test_several_paths_and_a_directory() -> None:
    data = validate_json(FIXTURES / "split", FIXTURES / "rest-list.json")
    assert len(data["sources"]) == 5
    assert data["resources"]["Microsoft.Network/publicIPAddresses"] == 2
    assert data["resources"]["Microsoft.Network/virtualNetworks/subnets"] == 2


# -- exit codes and error output ---------------------------------------------------------------


def test_missing_path_exits_2(tmp_path: Path) -> None:
    result = validate(tmp_path / "nope.json")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'nope.json'}: no such file or directory\n"


def test_debug_raises_the_input_error_instead(tmp_path: Path) -> None:
    from netwarden.ingest import IngestError

    result = CliRunner().invoke(app, ["--debug", "validate", str(tmp_path / "nope.json")])
    assert isinstance(result.exception, IngestError)
    assert validate(tmp_path / "nope.json").exit_code == 2      # --debug does not stick


@pytest.mark.parametrize("args", [["validate"], ["validate", str(ESTATE), "--format", "xml"],
                                  ["frobnicate"]], ids=["no estate", "bad format", "no command"])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert CliRunner().invoke(app, args).exit_code == 2


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"netwarden {__version__}\n")


MARKUP = {
    "closing tag in a value": "[/x]",
    "style tag in a value": "10.0.0.0[bold]",
    "emoji code in a value": "10.0.0.0:smile:",
}


@pytest.mark.parametrize("value", MARKUP.values(), ids=MARKUP.keys())
def test_input_text_is_printed_verbatim(value: str, tmp_path: Path) -> None:
    document = json.loads(ESTATE.read_text())
    document[1]["properties"]["securityRules"][0]["properties"]["sourceAddressPrefix"] = value
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(document))
    result = validate(path)
    assert result.exit_code == 2
    assert result.stderr == (f"error: {path}: [1].properties.securityRules[0].properties."
                             f"sourceAddressPrefix: {value!r} is not a valid address prefix\n")


def test_warning_text_is_printed_verbatim(tmp_path: Path) -> None:
    document = json.loads(ESTATE.read_text())
    document[0]["properties"]["subnets"][0]["name"] = "snet-[/x]"
    document[0]["properties"]["subnets"][0]["id"] += "-[/x]"
    document[1]["name"] = "nsg-[/x]"
    document = [r for r in document if "networkSecurityGroups" not in r["id"]]
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(document))
    result = validate(path)
    assert result.exit_code == 0
    assert "snet-[/x]: nsg_id refers to" in result.stdout


# -- the reference corpus (real REST samples) -------------------------------------------------


def test_corpus_live_loads_with_every_file_accounted_for(corpus_live: Path) -> None:
    data = validate_json(corpus_live)
    files = sorted(str(p) for p in corpus_live.glob("*.json"))
    assert data["sources"] == files
    assert data["unknown_types"] == {}
    resources = data["resources"]
    assert {t: resources.get(t) for t in (
        "Microsoft.Network/networkSecurityGroups",
        "Microsoft.Network/networkSecurityGroups/securityRules",     # the 1 custom rule
        "Microsoft.Network/networkInterfaces",
        "Microsoft.Network/networkInterfaces/ipConfigurations",
        "Microsoft.Network/routeTables",
        "Microsoft.Network/routeTables/routes",
        "Microsoft.Network/virtualNetworks",
        "Microsoft.Network/virtualNetworks/subnets",
        "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",   # type derived from its ID
        "Microsoft.Network/azureFirewalls",
        "Microsoft.Network/loadBalancers",
        "Microsoft.Network/applicationGateways",
        "Microsoft.Sql/servers",
        "Microsoft.Storage/storageAccounts",
        "Microsoft.KeyVault/vaults",
    )} == {
        "Microsoft.Network/networkSecurityGroups": 1,
        "Microsoft.Network/networkSecurityGroups/securityRules": 1,
        "Microsoft.Network/networkInterfaces": 1,
        "Microsoft.Network/networkInterfaces/ipConfigurations": 2,
        "Microsoft.Network/routeTables": 1,
        "Microsoft.Network/routeTables/routes": 1,
        "Microsoft.Network/virtualNetworks": 1,
        "Microsoft.Network/virtualNetworks/subnets": 1,
        "Microsoft.Network/virtualNetworks/virtualNetworkPeerings": 1,
        "Microsoft.Network/azureFirewalls": 1,
        "Microsoft.Network/loadBalancers": 1,
        "Microsoft.Network/applicationGateways": 1,
        "Microsoft.Sql/servers": 1,
        "Microsoft.Storage/storageAccounts": 1,
        "Microsoft.KeyVault/vaults": 1,
    }
    # Each file's top-level resource is in the estate, unless a warning on that file says
    # why not: two samples share one rule-collection-group ID (conflicting-duplicate), and
    # the inbound NAT rule's load balancer is not in the corpus (orphan).
    explained = {w["file"]: w["code"] for w in data["warnings"]
                 if w["code"] in ("conflicting-duplicate", "orphan")}
    assert explained == {
        str(corpus_live / "FirewallPolicyRuleCollectionGroupGet.json"): "conflicting-duplicate",
        str(corpus_live / "InboundNatRuleGet.json"): "orphan",
    }
    assert sorted([*data["per_file"], *explained]) == files
    assert data["per_file"][str(corpus_live / "VirtualNetworkGet.json")] == 2   # VNet + subnet
    # The samples refer to much that they do not hold: warnings, not errors.
    dangling = [w for w in data["warnings"] if w["code"] == "dangling-reference"]
    assert dangling and all(w["file"] in files for w in dangling)
    assert {w["code"] for w in data["warnings"]} == {"conflicting-duplicate", "orphan",
                                                     "dangling-reference"}


def test_corpus_live_text_output(corpus_live: Path) -> None:
    result = validate(corpus_live)
    assert result.exit_code == 0, result.output
    assert f"from {len(list(corpus_live.glob('*.json')))} file(s)" in result.stdout


# -- the installed entry point -----------------------------------------------------------------


def entry_point() -> list[str]:
    """The installed console script beside this interpreter (or on PATH), else main()."""
    beside = Path(sys.executable).with_name("netwarden")
    found = str(beside) if beside.exists() else shutil.which("netwarden")
    return [found] if found else [sys.executable, "-c", "from netwarden.cli import main; main()"]


def test_installed_entry_point_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/'
                   'routeTables/rt", "properties": {"routes": [{"name": "r", "properties": '
                   '{"addressPrefix": "10.0.0.0/8", "nextHopType": "Teleport"}}]}}]')
    run = subprocess.run([*entry_point(), "validate", str(bad)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith(f"error: {bad}: [0].properties.routes[0].properties."
                                 "nextHopType: 'Teleport' is not a next-hop type")
    assert run.stdout == ""
