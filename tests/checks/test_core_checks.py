"""EDGE001 and SEG001 on a fixture full of traps: the exact (check, resource) pairs."""

from __future__ import annotations

from pathlib import Path

from netwarden.checks.registry import get
from netwarden.checks.scan import scan
from netwarden.engine import Engine
from netwarden.ingest import load_estate

FIXTURE = Path(__file__).parent / "fixtures" / "core" / "estate.json"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def fired(path: Path, check_id: str) -> set[str]:
    estate = load_estate([path])
    check = get(check_id)
    assert check is not None
    return {f.resource.name for f in scan(estate, Engine(estate), [check]).findings}


def test_edge001_exact_resources() -> None:
    # vm-open: 0.0.0.0/0 written out, Basic IP; vm-range: 20-25 contains 22.
    # Not: vm-shadow (deny 22 at 100 above the allow), vm-nicdeny (NIC NSG denies what the
    # subnet NSG allows), vm-std (Standard public IP without any NSG is closed).
    assert fired(FIXTURE, "EDGE001") == {"vm-open", "vm-range"}


def test_edge001_evidence_names_the_rule_and_entry() -> None:
    estate = load_estate([FIXTURE])
    check = get("EDGE001")
    assert check is not None
    finding = next(f for f in scan(estate, Engine(estate), [check]).findings
                   if f.resource.name == "vm-range")
    hops = finding.evidence.path
    assert hops[0].name == "pip-range" and any(h.rule == "AllowLegacy" for h in hops)
    assert "SSH 22" in finding.message and "3389" not in finding.message


def test_seg001_exact_resources() -> None:
    assert fired(FIXTURE, "SEG001") == {"snet-bare"}        # GatewaySubnet is exempt


def test_examples() -> None:
    assert fired(EXAMPLES / "contoso", "EDGE001") == set()
    assert fired(EXAMPLES / "contoso", "SEG001") == set()
    assert fired(EXAMPLES / "contoso-flawed", "EDGE001") == {"vm-jump01", "vm-legacy"}
    assert fired(EXAMPLES / "contoso-flawed", "SEG001") == {"snet-batch"}
