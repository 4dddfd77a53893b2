"""SEG002-SEG006 and HYB001: the exact (check, resource) pairs on fixtures full of traps,
on the clean example (nothing) and on the flawed one (its planted flaws).

Fixtures: tests/checks/fixtures/seg/<scenario>/estate.json, written by build.py there (the
traps are commented where they are built)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from netwarden.checks.base import Finding
from netwarden.checks.registry import get
from netwarden.checks.scan import scan
from netwarden.engine import Engine
from netwarden.ingest import load_estate
from netwarden.model.estate import Estate

FIXTURES = Path(__file__).parent / "fixtures" / "seg"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CHECKS = ("SEG002", "SEG003", "SEG004", "SEG005", "SEG006", "HYB001")


@cache
def findings(path: Path, check_id: str) -> tuple[Finding, ...]:
    check = get(check_id)
    assert check is not None, f"{check_id} is not in the catalogue"
    estate, engine = _loaded(path)
    return tuple(scan(estate, engine, [check]).findings)


@cache
def _loaded(path: Path) -> tuple[Estate, Engine]:
    estate = load_estate([path])
    return estate, Engine(estate)


def fired(path: Path, check_id: str) -> set[str]:
    return {f.resource.name for f in findings(path, check_id)}


CASES = [
    # SEG002: a1/b1 (deny-list of 1,000 ports in an allow-all) and a4/b5 (peered, defaults).
    # Not: zero trust (vnet-2), one direction only (vnet-3), unpeered VNets (vnet-6), a NIC NSG
    # closing b7 (vnet-7), 2,000 closed ports (vnet-8), the appliance, the private endpoint,
    # the empty subnet and GatewaySubnet.
    ("flat-tiers", "SEG002", {"snet-a1", "snet-a4"}),
    ("flat-tiers", "HYB001", set()),                      # no gateway, no on-premises
    # SEG003: 0.0.0.0/0 written out on 2,001 ports; Internet on every port; a public /8;
    # VirtualNetwork widened to everything by a 0.0.0.0/0 UDR. Not: one port, private source,
    # a /9, exactly 1,024 ports, outbound, the allow under a deny-all, the allow whose internet
    # part a deny takes first, the same VirtualNetwork rule where no UDR widens the tag.
    ("overly-permissive-rule", "SEG003",
     {"AllowAnyWide", "AllowInternetAll", "AllowSlash8", "AllowVnetWidened"}),
    ("overly-permissive-rule", "SEG004", {"AllowShadowedAll"}),   # the deny-above-allow trap
    # SEG004: an allow under a broader deny; shadowed in its only (UDR-widened) context; an
    # unattached NSG (no context); an outbound deny under allow-all. Not: shadowed in one of
    # two attachment contexts, a partial overlap, void rules (absent ASG, unresolved tag),
    # Azure's default rules.
    ("shadowed-rule", "SEG004",
     {"AllowShadowedByDeny", "AllowPartnerOne", "DenyAfterAllowAll", "DenyInternetOut"}),
    ("shadowed-rule", "SEG006", {"AllowFromMissingAsg"}),
    # SEG005: one VM's NIC as next hop. Not: an internal LB frontend, Azure Firewall, a table
    # no subnet uses.
    ("routes", "SEG005", {"rt-single"}),
    # SEG006: an absent ASG (alone, or beside a present one), a next hop nobody holds. Not: a
    # present ASG, next hops held by a NIC, a firewall or an LB frontend.
    ("routes", "SEG006", {"AllowFromMissingAsg", "AllowToMixedAsgs", "to-gone-nva"}),
    # HYB001: a spoke subnet with only default rules, a hub subnet without NSG, a subnet where
    # one NIC of a class is open. Not: a subnet whose NSG allows only 443 from on-premises,
    # one reached only through the firewall.
    ("onprem-uninspected", "HYB001", {"snet-open", "snet-hubvm", "snet-mixed"}),
]


@pytest.mark.parametrize(("fixture", "check_id", "expected"), CASES,
                         ids=[f"{c}-{f}" for f, c, _ in CASES])
def test_fixture_exact_resources(fixture: str, check_id: str, expected: set[str]) -> None:
    assert fired(FIXTURES / fixture, check_id) == expected


@pytest.mark.parametrize("check_id", CHECKS)
def test_clean_example_is_clean(check_id: str) -> None:
    assert fired(EXAMPLES / "contoso", check_id) == set()


FLAWED = [
    # flaw 10 (web <-> app flat); flaw 3 makes snet-batch flat with both of them
    ("SEG002", {"snet-web", "snet-app"}),
    # flaw 10: the 0.0.0.0/0 UDR of rt-web widens VirtualNetwork to every address
    ("SEG003", {"AllowVnetInbound"}),
    # flaw 11, and flaw 10's consequence: AllowVnetInbound (everything) leaves DenyAllInbound dead
    ("SEG004", {"AllowAdminConsoleFromAppGw", "DenyAllInbound"}),
    ("SEG005", {"rt-web"}),                                          # flaw 8
    ("SEG006", {"AllowNodeExporterFromMonitoring", "partner-via-nva"}),  # flaw 12
    ("HYB001", set()),            # on-premises enters through afw-contoso-hub (rt-gateway)
]


@pytest.mark.parametrize(("check_id", "expected"), FLAWED, ids=[c for c, _ in FLAWED])
def test_flawed_example(check_id: str, expected: set[str]) -> None:
    assert fired(EXAMPLES / "contoso-flawed", check_id) == expected


def test_seg002_flawed_pairs_and_evidence() -> None:
    found = findings(EXAMPLES / "contoso-flawed", "SEG002")
    pairs = {frozenset(f.evidence.facts[0].split(":")[0].split(" -> ")) for f in found}
    assert pairs == {frozenset({"snet-web", "snet-app"}), frozenset({"snet-web", "snet-batch"}),
                     frozenset({"snet-app", "snet-batch"})}
    web_app = next(f for f in found if "snet-app" in f.message and f.resource.name == "snet-web")
    assert "TCP 8000-9000" in web_app.message          # app -> web: DenyAltHttpFromSpoke
    assert web_app.evidence.path and web_app.evidence.path[-1].action == "arrive"
    assert web_app.evidence.packets is not None and web_app.evidence.packets


def test_seg003_evidence_is_a_public_packet_the_rule_decides() -> None:
    finding = next(f for f in findings(FIXTURES / "overly-permissive-rule", "SEG003")
                   if f.resource.name == "AllowAnyWide")
    assert finding.resource.id.endswith("nsg-p1/securityRules/AllowAnyWide")
    assert "2,001 ports" in finding.message
    witness = finding.evidence.packets.witness() if finding.evidence.packets else None
    assert witness is not None and 1000 <= witness.dst_port <= 3000
    assert not (witness.src >> 24 in (10, 127) or witness.src >> 20 == 0xAC1)


def test_seg004_names_the_shadowing_rules() -> None:
    finding = next(f for f in findings(EXAMPLES / "contoso-flawed", "SEG004")
                   if f.resource.name == "AllowAdminConsoleFromAppGw")
    assert finding.evidence.facts == ("shadowed by DenyAltHttpFromSpoke (400, Deny)",)
    assert "nsg-web" in finding.message


def test_seg005_facts_name_route_ip_and_nic() -> None:
    (finding,) = findings(EXAMPLES / "contoso-flawed", "SEG005")
    facts = " ".join(finding.evidence.facts)
    assert "default-via-nva" in facts and "10.0.4.4" in facts and "nic-vm-nva01" in facts
    assert "vm-nva01" in finding.message


def test_seg006_resources_are_the_rule_and_the_route() -> None:
    found = {f"{f.resource.id.split('/')[-3]}/{f.resource.name}"
             for f in findings(EXAMPLES / "contoso-flawed", "SEG006")}
    assert found == {"nsg-aks/AllowNodeExporterFromMonitoring", "rt-app/partner-via-nva"}


def test_hyb001_path_has_no_inspection() -> None:
    finding = next(f for f in findings(FIXTURES / "onprem-uninspected", "HYB001")
                   if f.resource.name == "snet-open")
    kinds = [h.kind for h in finding.evidence.path]
    assert kinds[0] == "gateway" and "firewall" not in kinds and "nva" not in kinds
    witness = finding.evidence.packets.witness() if finding.evidence.packets else None
    assert witness is not None and witness.src >> 16 == 0xC0A8      # from 192.168.0.0/16


def test_hyb001_names_only_the_nics_open_on_every_port() -> None:
    finding = next(f for f in findings(FIXTURES / "onprem-uninspected", "HYB001")
                   if f.resource.name == "snet-mixed")
    assert "nic-mixed-a" in finding.message and "nic-mixed-b" not in finding.message


def test_seg004_lists_the_shadowing_rules_in_evaluation_order() -> None:
    finding = next(f for f in findings(EXAMPLES / "contoso-flawed", "SEG004")
                   if f.resource.name == "DenyAllInbound")
    assert finding.evidence.facts == (
        "shadowed by AllowHttpFromAppGw (100, Allow)", "shadowed by AllowHttpsFromOnPrem (110, Allow)",
        "shadowed by AllowSshFromBastion (120, Allow)", "shadowed by DenyAltHttpFromSpoke (400, Deny)",
        "shadowed by AllowVnetInbound (1000, Allow)")
