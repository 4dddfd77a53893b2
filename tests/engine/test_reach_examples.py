"""Named reachability cases on the bundled example estates: each asserts the verdict and
the deciding hop/rule, so a regression in any semantic shows up with its name."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from netwarden.engine import Engine, Packet, Service
from netwarden.ingest import load_estate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TCP = 6


@pytest.fixture(scope="module")
def clean() -> Engine:
    return Engine(load_estate([EXAMPLES / "contoso"]))


@pytest.fixture(scope="module")
def flawed() -> Engine:
    return Engine(load_estate([EXAMPLES / "contoso-flawed"]))


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def reach(engine: Engine, src: str, dst: str, port: int | None = None, protocol: int | None = TCP):
    service = Service(protocol, (port, port) if port is not None else None)
    return engine.reach(engine.endpoint(src), engine.endpoint(dst), service)


def test_rdp_from_internet_reaches_the_jumpbox_through_its_public_ip(flawed: Engine) -> None:
    result = reach(flawed, "internet", "vm-jump01", 3389)
    assert result.verdict == "allowed"
    hops = result.arrived[0].hops
    assert hops[0].kind == "public-ip" and hops[0].action == "translate"
    assert any(h.rule == "AllowRdpInbound" and h.action == "allow" for h in hops)


def test_clean_estate_exposes_no_management_port(clean: Engine) -> None:
    for vm in ("vm-web01", "vm-app01"):
        for port in (22, 3389):
            assert reach(clean, "internet", vm, port).verdict == "denied"


def test_port_range_20_25_from_written_out_any_opens_ssh(flawed: Engine) -> None:
    # AllowLegacyTransfer: tcp 20-25 from 0.0.0.0/0 (not '*') on the subnet NSG
    result = reach(flawed, "internet", "vm-legacy", 22)
    assert result.verdict == "allowed"
    assert [h.rule for h in result.arrived[0].hops if h.kind == "subnet-nsg-in"] == ["AllowLegacyTransfer"]
    assert reach(flawed, "internet", "vm-legacy", 3389).verdict == "denied"


def test_web_reaches_app_only_on_8080(clean: Engine) -> None:
    assert reach(clean, "vm-web01", "vm-app01", 8080).verdict == "allowed"
    result = reach(clean, "vm-web01", "vm-app01", 22)
    assert result.verdict == "denied"
    assert result.dropped[0].hops[-1].rule == "DenyAllInbound"


def test_app_to_sql_goes_through_the_firewall(clean: Engine) -> None:
    result = reach(clean, "vm-app01", "sql-contoso-prod", 1433)
    assert result.verdict == "allowed"
    kinds = [h.kind for h in result.arrived[0].hops]
    assert "firewall" in kinds and kinds.index("firewall") < kinds.index("deliver")


def test_internet_reaches_web_only_through_the_application_gateway(clean: Engine) -> None:
    result = reach(clean, "internet", "vm-web01", 443)
    assert result.verdict == "allowed"
    for outcome in result.arrived:
        assert any(h.kind == "app-gateway" for h in outcome.hops)


def test_egress_to_the_internet_is_only_conditional_on_fqdns(clean: Engine) -> None:
    result = reach(clean, "vm-web01", "internet", 443)
    assert result.verdict == "denied"
    assert result.conditional, "application rules admit HTTPS only for the FQDNs they name"
    assert all("layer 7" in o.hops[-1].detail for o in result.conditional)


def test_single_vm_nva_forwards_web_egress_in_the_flawed_estate(flawed: Engine) -> None:
    result = reach(flawed, "vm-web01", "internet", 443)
    assert result.verdict == "allowed"
    assert any(h.kind == "nva" and h.action == "forward" for h in result.arrived[0].hops)


def test_trace_names_the_denying_rule(clean: Engine) -> None:
    result = clean.trace(Packet(ip("10.1.1.4"), ip("10.1.3.5"), TCP, 49152, 1433))
    assert result.verdict == "denied"
    assert result.hops[-1].kind == "subnet-nsg-in" and result.hops[-1].rule == "DenyAllInbound"


def test_trace_from_the_internet_to_a_public_ip(flawed: Engine) -> None:
    pip = next(p for p in flawed.estate.of(__import__("netwarden.model", fromlist=["PublicIp"]).PublicIp)
               if p.name == "pip-vm-jump01")
    assert pip.address is not None
    result = flawed.trace(Packet(ip("8.8.8.8"), pip.address.first, TCP, 40000, 3389))
    assert result.verdict == "allowed"
    assert result.hops[0].kind == "public-ip"


def test_ambiguous_or_unknown_endpoint_is_an_error(clean: Engine) -> None:
    from netwarden.engine import EndpointError

    with pytest.raises(EndpointError, match="no endpoint named"):
        clean.endpoint("nope")
