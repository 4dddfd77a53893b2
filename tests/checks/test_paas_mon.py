"""PAAS001-003 and MON001-003: on small Azure-shaped fixtures (one where each check fires,
one where it must not) and on the examples, the exact (check, resource name) pairs of all
six checks together — so PAAS001 and PAAS003 never report the same service, and a fixture
for one check proves the others stay quiet on it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from netwarden.checks.base import Finding
from netwarden.checks.registry import get
from netwarden.checks.scan import scan
from netwarden.engine import Engine
from netwarden.ingest import load_estate

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
IDS = ("PAAS001", "PAAS002", "PAAS003", "MON001", "MON002", "MON003")


@cache
def findings(path: Path) -> tuple[Finding, ...]:
    estate = load_estate([path])
    checks = [get(i) for i in IDS]
    assert all(checks)
    return tuple(scan(estate, Engine(estate), checks).findings)  # type: ignore[arg-type]


def pairs(path: Path) -> set[tuple[str, str]]:
    return {(f.check, f.resource.name) for f in findings(path)}


def finding(path: Path, check: str, name: str) -> Finding:
    return next(f for f in findings(path) if (f.check, f.resource.name) == (check, name))


def fixture(check: str, case: str) -> Path:
    return FIXTURES / check[:-3].lower() / check / f"{case}.json"


CASES = [
    # PAAS001: storage Allow; storage with neither setting (Azure defaults: Enabled + Allow);
    # key vault whose two /1 rules cover every address; SQL 0.0.0.0-255.255.255.255. No VNets,
    # so PAAS002 says nothing.
    ("PAAS001", "fires", {("PAAS001", "st-open"), ("PAAS001", "st-no-acls"),
                          ("PAAS001", "kv-covering-rules"), ("PAAS001", "sql-allow-all")}),
    # publicNetworkAccess omitted + Deny; Disabled + Allow; named ranges; SQL "Azure services"
    # 0.0.0.0-0.0.0.0; SQL rule for half the space; SQL Disabled with an allow-all rule.
    ("PAAS001", "passes", set()),
    # With a private endpoint the same exposure is PAAS003's, never PAAS001's. The SQL server
    # lists no connection: the private endpoint resource names it.
    ("PAAS003", "fires", {("PAAS003", "st-pe-open"), ("PAAS003", "sql-pe-allow-all")}),
    # PE + Disabled/Allow; PE + Enabled/Deny with trusted services (contoso's flow-log
    # account); PE + omitted/Deny; PE + SQL "Azure services" rule.
    ("PAAS003", "passes", set()),
    # No private endpoint; the Microsoft.Storage endpoint of snet-app is not in the account's
    # rules; the key vault's rule names a subnet without the Microsoft.KeyVault endpoint.
    ("PAAS002", "fires", {("PAAS002", "st-public-path"), ("PAAS002", "kv-rule-no-endpoint"),
                          ("PAAS002", "sql-firewall-only")}),
    # Service endpoints in the rules (storage, key vault, SQL vnet rule); a private endpoint;
    # a closed server without one; a rule naming another subscription's subnet.
    ("PAAS002", "passes", set()),
    # No flow log; a disabled NSG flow log (and a disabled VNet flow log); a VNet flow log on
    # one of the NSG's two subnets; a NIC NSG whose NIC, subnet and VNet are not logged.
    ("MON001", "fires", {("MON001", "nsg-none"), ("MON001", "nsg-disabled-log"),
                         ("MON001", "nsg-partial"), ("MON001", "nsg-nic")}),
    # VNet-level, NSG, subnet-level, all-NICs, NIC-level and NIC-in-logged-subnet coverage;
    # an NSG attached to nothing.
    ("MON001", "passes", set()),
    ("MON002", "fires", {("MON002", "fl-7-days"), ("MON002", "fl-retention-disabled")}),
    # 0 days with retention enabled = forever; 90; 365; a disabled flow log is not judged.
    ("MON002", "passes", set()),
    ("MON003", "fires", {("MON003", "fl-no-analytics-config"),
                         ("MON003", "fl-analytics-disabled")}),
    ("MON003", "passes", set()),
]


@pytest.mark.parametrize(("check", "case", "expected"), CASES,
                         ids=[f"{c}-{k}" for c, k, _ in CASES])
def test_fixture_exact_pairs(check: str, case: str, expected: set[tuple[str, str]]) -> None:
    assert pairs(fixture(check, case)) == expected


def test_paas001_evidence_states_the_settings() -> None:
    path = fixture("PAAS001", "fires")
    defaults = finding(path, "PAAS001", "st-no-acls")
    assert defaults.evidence.facts[:2] == (
        "publicNetworkAccess: not set (Azure default: Enabled)",
        "networkAcls: not set, so default action Allow")
    server = finding(path, "PAAS001", "sql-allow-all")
    assert "SQL server sql-allow-all" in server.message
    assert "0.0.0.0-255.255.255.255" in server.message
    assert "publicNetworkAccess: Enabled" in server.evidence.facts
    vault = finding(path, "PAAS001", "kv-covering-rules")
    assert "0.0.0.0/1, 128.0.0.0/1" in vault.evidence.facts[1]


def test_paas003_names_the_private_endpoint() -> None:
    found = finding(fixture("PAAS003", "fires"), "PAAS003", "sql-pe-allow-all")
    assert "pe-sql" in found.message and "private endpoints: pe-sql" in found.evidence.facts
    assert "publicNetworkAccess: not set (Azure default: Enabled)" in found.evidence.facts


def test_paas002_says_which_service_endpoint_is_unused() -> None:
    path = fixture("PAAS002", "fires")
    assert ("subnets with the service endpoint, not in its rules: snet-app"
            in finding(path, "PAAS002", "st-public-path").evidence.facts)
    assert ("virtualNetworkRules: snet-db (no service endpoint)"
            in finding(path, "PAAS002", "kv-rule-no-endpoint").evidence.facts)


def test_mon001_names_the_uncovered_places() -> None:
    path = fixture("MON001", "fires")
    partial = finding(path, "MON001", "nsg-partial")
    assert "snet-p2" in partial.message and "snet-p1" not in partial.message
    assert "fl-nsg-disabled-log is disabled" in finding(path, "MON001", "nsg-disabled-log").message
    assert "NIC nic-1" in finding(path, "MON001", "nsg-nic").message


def test_mon002_message_states_the_days() -> None:
    path = fixture("MON002", "fires")
    assert "7 days" in finding(path, "MON002", "fl-7-days").message
    disabled = finding(path, "MON002", "fl-retention-disabled")
    assert "retentionPolicy.enabled: false" in disabled.evidence.facts


def test_every_message_is_one_line_naming_the_resource() -> None:
    for check, case, _ in CASES:
        for f in findings(fixture(check, case)):
            assert "\n" not in f.message and f.resource.name in f.message


def test_clean_example_is_clean() -> None:
    assert pairs(EXAMPLES / "contoso") == set()


def test_flawed_example_planted_flaws() -> None:
    # Flaw 4 (storage) and 9 (SQL) keep their private endpoints: PAAS003, not PAAS001.
    # Flaw 7: nsg-data has no flow log; fl-nsg-appgw keeps 7 days with Traffic Analytics off.
    assert pairs(EXAMPLES / "contoso-flawed") == {
        ("PAAS003", "stcontosoprod001"), ("PAAS003", "sql-contoso-prod"),
        ("MON001", "nsg-data"), ("MON002", "fl-nsg-appgw"), ("MON003", "fl-nsg-appgw")}
