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


ENTRY = Path(__file__).resolve().parents[1] / "engine" / "fixtures" / "entry_points"


def test_edge001_through_a_load_balancer_inbound_nat_rule() -> None:
    # lb-web's inbound NAT rule maps 50001 -> vm-web1:22; vm-web2 has no NAT rule
    estate = load_estate([ENTRY / "load_balancer.json"])
    check = get("EDGE001")
    assert check is not None
    findings = scan(estate, Engine(estate), [check]).findings
    assert {f.resource.name for f in findings} == {"vm-web1"}
    assert findings[0].evidence.path[0].kind == "load-balancer"
    assert "SSH 22" in findings[0].message and "lb-web" in findings[0].message


def test_edge001_through_firewall_dnat(tmp_path: Path) -> None:
    import json

    resources = json.loads((ENTRY / "firewall.json").read_text())
    for resource in resources:
        for collection in resource.get("properties", {}).get("ruleCollections", []):
            for rule in collection["rules"]:
                if rule.get("name") == "https-to-app1":      # 443 -> app1:8443 becomes 2222 -> :22
                    rule.update(destinationPorts=["2222"], translatedPort="22")
        for rule in resource.get("properties", {}).get("securityRules", []):
            if rule["name"] == "AllowFirewallTo8443":         # and app1's NSG admits it
                rule["properties"]["destinationPortRange"] = "22"
    (tmp_path / "estate.json").write_text(json.dumps(resources))
    estate = load_estate([tmp_path / "estate.json"])
    check = get("EDGE001")
    assert check is not None
    findings = scan(estate, Engine(estate), [check]).findings
    assert len(findings) == 1 and "SSH 22" in findings[0].message
    first = findings[0].evidence.path[0]
    assert (first.kind, first.action, first.rule) == ("firewall", "translate", "dnat-inbound/https-to-app1")
