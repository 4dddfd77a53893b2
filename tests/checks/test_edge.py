"""EDGE002-EDGE007 on small Azure-shaped fixtures full of traps, and on the example estates:
the exact (check, resource) pairs each check reports (Checkov style). Every fixture's header
comment says which resource must be flagged and why, and which must not."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from netwarden.checks.base import Finding, Severity
from netwarden.checks.scan import scan, select
from netwarden.engine import Engine
from netwarden.ingest import load_estate

FIXTURES = Path(__file__).parent / "fixtures" / "edge"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINE = ("EDGE002", "EDGE003", "EDGE004", "EDGE005", "EDGE006", "EDGE007")
H, M = Severity.HIGH, Severity.MEDIUM


@cache
def findings(path: Path) -> tuple[Finding, ...]:
    """All findings of EDGE002-EDGE007 on an estate (scanned once per test session)."""
    estate = load_estate([path])
    return tuple(scan(estate, Engine(estate), select(only=MINE)).findings)


def fired(path: Path, *checks: str) -> set[tuple[str, str]]:
    return {(f.check, f.resource.name) for f in findings(path) if f.check in checks}


def graded(path: Path, check: str) -> dict[str, Severity]:
    return {f.resource.name: f.severity for f in findings(path) if f.check == check}


def one(path: Path, check: str, name: str) -> Finding:
    found = [f for f in findings(path) if f.check == check and f.resource.name == name]
    assert len(found) == 1, found
    return found[0]


# -- EDGE002 vm-public-ip -----------------------------------------------------------------


def test_edge002_vm_public_ip() -> None:
    # HIGH when the internet gets through the IP; MEDIUM when closed (Standard SKU without
    # NSG, Basic SKU whose NSG denies above its allow); a VM-less NIC is named itself.
    # Not: a VM without public IP, a VM reached only through a load balancer.
    assert graded(FIXTURES / "vm-public-ip", "EDGE002") == {
        "vm-open": H, "vm-https": H, "vm-std": M, "vm-shadow": M, "nic-orphan": M}


def test_edge002_evidence_is_the_path_through_the_ip() -> None:
    finding = one(FIXTURES / "vm-public-ip", "EDGE002", "vm-https")
    assert finding.evidence.path[0].name == "pip-https"
    assert any(h.rule == "AllowHttps" for h in finding.evidence.path)
    assert "pip-https (Standard, 20.0.0.9)" in finding.message
    closed = one(FIXTURES / "vm-public-ip", "EDGE002", "vm-std")
    assert closed.evidence.path == () and closed.evidence.facts


def test_edge002_standard_ip_without_nsg_still_fires_while_edge003_does_not() -> None:
    estate = FIXTURES / "backend-exposed"
    assert graded(estate, "EDGE002")["vm-std-nonsg"] is M
    assert ("EDGE003", "vm-std-nonsg") not in fired(estate, "EDGE003")


# -- EDGE003 backend-exposed --------------------------------------------------------------


def test_edge003_backend_exposed() -> None:
    # Fires: 1400-1500 from 0.0.0.0/0 written out (contains 1433); Basic IP without NSG;
    # Redis behind a load balancer; SQL with 0.0.0.0-255.255.255.255; SQL open to a partner
    # range. Not: deny above allow; NIC NSG denying what the subnet NSG allows; Standard IP
    # without NSG; 443 only; SQL "Azure services" rule; SQL public access disabled; storage.
    assert fired(FIXTURES / "backend-exposed", "EDGE003") == {
        ("EDGE003", "vm-range"), ("EDGE003", "vm-basic-nonsg"), ("EDGE003", "vm-redis"),
        ("EDGE003", "sql-open"), ("EDGE003", "sql-partner")}


def test_edge003_names_the_port_and_proves_the_path() -> None:
    finding = one(FIXTURES / "backend-exposed", "EDGE003", "vm-range")
    assert "SQL Server 1433" in finding.message and "MySQL" not in finding.message
    hops = finding.evidence.path
    assert hops[0].name == "pip-range" and any(h.rule == "AllowPartnerRange" for h in hops)
    assert finding.evidence.packets is not None
    witness = finding.evidence.packets.witness()
    assert witness is not None and witness.dst_port == 1433
    assert finding.severity is Severity.CRITICAL


def test_edge003_through_a_load_balancer_and_on_a_paas_endpoint() -> None:
    redis = one(FIXTURES / "backend-exposed", "EDGE003", "vm-redis")
    assert redis.evidence.path[0].kind == "load-balancer" and "Redis 6379" in redis.message
    sql = one(FIXTURES / "backend-exposed", "EDGE003", "sql-open")
    assert [h.kind for h in sql.evidence.path] == ["paas"]
    assert "0.0.0.0-255.255.255.255" in sql.evidence.path[0].detail


# -- EDGE004 ingress-without-waf ----------------------------------------------------------


def test_edge004_ingress_without_waf() -> None:
    # A lax linked policy is the resource at fault (one finding, however many gateways).
    assert fired(FIXTURES / "ingress-without-waf", "EDGE004") == {
        ("EDGE004", "agw-standard"), ("EDGE004", "agw-inline-detection"),
        ("EDGE004", "agw-inline-off"), ("EDGE004", "agw-waf-noconfig"),
        ("EDGE004", "waf-detect"), ("EDGE004", "waf-off")}


def test_edge004_policy_finding_names_every_gateway_it_protects() -> None:
    finding = one(FIXTURES / "ingress-without-waf", "EDGE004", "waf-detect")
    assert "agw-policy-detect," in finding.message and "agw-policy-detect2" in finding.message
    assert "policySettings.mode: Detection" in finding.evidence.facts


# -- EDGE005 gateway-bypass ---------------------------------------------------------------


def test_edge005_gateway_bypass() -> None:
    # Backends by NIC back-reference, pool IP configuration and pool IP address; not: the
    # backend reached only through the gateway, the closed one, the open non-backend.
    assert fired(FIXTURES / "gateway-bypass", "EDGE005") == {
        ("EDGE005", "vm-web1"), ("EDGE005", "vm-web3")}


def test_edge005_evidence_is_the_bypass_path() -> None:
    finding = one(FIXTURES / "gateway-bypass", "EDGE005", "vm-web3")
    hops = finding.evidence.path
    assert hops[0].kind == "load-balancer" and hops[0].rule == "inbound NAT ssh-web3"
    assert not any(h.kind == "app-gateway" for h in hops)
    assert "agw" in finding.message and "lb-ops" in finding.message


# -- EDGE006 egress-not-inspected ---------------------------------------------------------


def test_edge006_egress_not_inspected() -> None:
    # HIGH: all egress leaves directly; MEDIUM: NSG narrows it (deny written 0.0.0.0/0), or
    # only half the address space is routed to the firewall. Not: via firewall, via NVA,
    # the NVA itself, all egress denied, private endpoint only, platform subnet.
    assert graded(FIXTURES / "egress-not-inspected", "EDGE006") == {
        "snet-direct": H, "snet-narrow": M, "snet-half": M}


def test_edge006_evidence_is_an_uninspected_path_to_the_internet() -> None:
    finding = one(FIXTURES / "egress-not-inspected", "EDGE006", "snet-half")
    hops = finding.evidence.path
    assert hops[-1].kind == "internet" and not any(h.kind in ("firewall", "nva") for h in hops)
    witness = finding.evidence.packets.witness() if finding.evidence.packets else None
    assert witness is not None and witness.dst >= 0x80000000     # 128.0.0.0/1 escapes


# -- EDGE007 forced-tunneling -------------------------------------------------------------


def test_edge007_forced_tunneling() -> None:
    # Not: default route to an appliance, on-premises prefixes only, half the space, a
    # 0.0.0.0/0 to the gateway that two more specific /1 routes to the firewall make dead.
    assert fired(FIXTURES / "forced-tunneling", "EDGE007") == {
        ("EDGE007", "rt-forced"), ("EDGE007", "rt-split"), ("EDGE007", "rt-orphan"),
        ("EDGE007", "rt-exception")}


def test_edge007_names_the_associated_subnets() -> None:
    finding = one(FIXTURES / "forced-tunneling", "EDGE007", "rt-forced")
    assert "snet-a, snet-b" in finding.message
    assert "route default-to-onprem: 0.0.0.0/0 -> VirtualNetworkGateway" in finding.evidence.facts


# -- the example estates ------------------------------------------------------------------


def test_clean_example_has_no_edge_findings() -> None:
    assert fired(EXAMPLES / "contoso", *MINE) == set()


def test_flawed_example_planted_edge_flaws() -> None:
    # 1 jump box (public IP; RDP opens it, and the default AllowVnetInBound admits every port
    # because rt-app's 0.0.0.0/0 widens VirtualNetwork, see flaw 10); 2 legacy VM; 5 WAF
    # policy in Detection; 6 forced tunnelling; 9 SQL firewall 0.0.0.0-255.255.255.255 and
    # the MySQL VM's public IP. Flaw 8 (single NVA) is SEG005's: a path through an NVA counts
    # as inspected for EDGE006, and snet-shared denies all egress.
    assert fired(EXAMPLES / "contoso-flawed", *MINE) == {
        ("EDGE002", "vm-jump01"), ("EDGE002", "vm-legacy"), ("EDGE002", "vm-mysql01"),
        ("EDGE003", "vm-jump01"), ("EDGE003", "sql-contoso-prod"), ("EDGE003", "vm-mysql01"),
        ("EDGE004", "waf-contoso-prod"), ("EDGE007", "rt-batch")}
    assert graded(EXAMPLES / "contoso-flawed", "EDGE002")["vm-jump01"] is H


def test_flawed_example_mysql_vm_is_exposed_through_the_internet_tag() -> None:
    assert ("EDGE003", "vm-mysql01") in fired(EXAMPLES / "contoso-flawed", "EDGE003")
    assert graded(EXAMPLES / "contoso-flawed", "EDGE002")["vm-mysql01"] is H
