"""Entry points into an estate, each on a small Azure-shaped estate under
``fixtures/entry_points/`` (ARM / ``az ... show`` JSON): a Standard load balancer with a rule
and an inbound NAT rule, Azure Firewall DNAT / network / application rules, an Application
Gateway (WAF_v2), on-premises through a VPN gateway with gateway transit, private endpoint
network policies, and a PaaS public endpoint. Each test asserts the verdict, the hop kind
and rule that decide, and, where NAT happens, the packets as they arrive (post-NAT
destination and port) with the entry hop's public address.

Variants of a fixture are small edits of its JSON (``edit=``), loaded through the same
ingest path as the fixture itself.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.engine import Engine, Packet, Service
from netwarden.engine.path import Outcome
from netwarden.ingest import load_estate
from netwarden.model.values import Prefix
from netwarden.report.paths import boxes_json

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "entry_points"
TCP = 6
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
INTERNET_CLIENT = "203.0.113.10"

Doc = list[dict[str, Any]]
_CACHE: dict[str, Engine] = {}


# -- helpers ------------------------------------------------------------------------------


def doc(name: str) -> Doc:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def engine(name: str, tmp_path: Path | None = None, edit: Callable[[Doc], None] | None = None) -> Engine:
    """The engine of a fixture, or of a variant: the fixture's JSON after ``edit``."""
    if edit is None:
        if name not in _CACHE:
            _CACHE[name] = Engine(load_estate([FIXTURES / f"{name}.json"]))
        return _CACHE[name]
    assert tmp_path is not None
    data = copy.deepcopy(doc(name))
    edit(data)
    path = tmp_path / f"{name}-variant.json"
    path.write_text(json.dumps(data, indent=1))
    return Engine(load_estate([path]))


def find(data: Any, name: str) -> dict[str, Any]:
    """The one resource (top level or inline child) named ``name``."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("name") == name and "properties" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(data)
    assert len(found) == 1, f"{name}: {len(found)} matches"
    return found[0]


def reach(e: Engine, src: str, dst: str, port: int | None = None, protocol: int | None = TCP):
    service = Service(protocol, (port, port) if port is not None else None)
    return e.reach(e.endpoint(src), e.endpoint(dst), service)


def trace(e: Engine, src: str, dst: str, port: int, protocol: int = TCP):
    return e.trace(Packet(ip(src), ip(dst), protocol, 49152, port))


def kinds(outcome: Outcome) -> list[str]:
    return [h.kind for h in outcome.hops]


def hop(outcome: Outcome, kind: str):
    matches = [h for h in outcome.hops if h.kind == kind]
    assert len(matches) == 1, f"{kind}: {[str(h) for h in outcome.hops]}"
    return matches[0]


def single_box(packets) -> dict[str, str]:
    boxes = boxes_json(packets)
    assert len(boxes) == 1, boxes
    return boxes[0]


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def nid(group: str, kind: str, name: str) -> str:
    return f"{SUB}/resourceGroups/{group}/providers/Microsoft.Network/{kind}/{name}"


# =========================================================================================
# 1. Load balancer (Standard) with a public frontend 20.50.1.10: rule lbr-http tcp 80 ->
#    8080 to nic-web1 and nic-web2; inbound NAT rule nat-ssh-vm-web1 tcp 50001 -> 22 to
#    nic-web1. nsg-web on snet-web allows 8080 and 22 from Internet.
# =========================================================================================

LB = "load_balancer"
LB_ID = nid("rg-lb", "loadBalancers", "lb-web")


def test_lb_ssh_reaches_web1_only_through_the_inbound_nat_rule() -> None:
    e = engine(LB)
    result = reach(e, "internet", "vm-web1", 22)
    assert result.verdict == "allowed"
    assert result.arrived
    for outcome in result.arrived:
        entry = outcome.hops[0]
        assert (entry.kind, entry.resource, entry.action) == ("load-balancer", LB_ID, "translate")
        assert entry.rule == "inbound NAT nat-ssh-vm-web1"
        assert entry.detail == "20.50.1.10 -> 10.1.1.4:22"
        assert hop(outcome, "subnet-nsg-in").rule == "AllowSshFromInternet"
        assert kinds(outcome)[-1] == "deliver"
    # the packets arrive on NIC1:22 (translated from 20.50.1.10:50001), from every
    # internet address: exactly what was asked
    box = single_box(result.allowed)
    assert (box["dst"], box["protocol"], box["dst_ports"]) == ("10.1.1.4", "tcp", "22")
    assert result.allowed == result.queried


def test_lb_nat_rule_trace_from_the_public_frontend() -> None:
    e = engine(LB)
    result = trace(e, INTERNET_CLIENT, "20.50.1.10", 50001)
    assert result.verdict == "allowed"
    assert [h.kind for h in result.hops] == ["load-balancer", "subnet-nsg-in", "deliver"]
    assert result.hops[0].detail == "20.50.1.10 -> 10.1.1.4:22"
    # port 22 on the frontend itself has no rule
    direct = trace(e, INTERNET_CLIENT, "20.50.1.10", 22)
    assert direct.verdict == "denied"
    assert (direct.hops[-1].kind, direct.hops[-1].detail) == ("load-balancer", "no rule for this port")


def test_lb_ssh_never_reaches_web2() -> None:
    result = reach(engine(LB), "internet", "vm-web2", 22)
    assert result.verdict == "denied"
    assert not result.arrived and not result.allowed


@pytest.mark.parametrize("vm,address", [("vm-web1", "10.1.1.4"), ("vm-web2", "10.1.1.5")])
def test_lb_rule_reaches_both_backends_on_8080(vm: str, address: str) -> None:
    e = engine(LB)
    result = reach(e, "internet", vm, 8080)
    assert result.verdict == "allowed"
    for outcome in result.arrived:
        entry = outcome.hops[0]
        assert (entry.kind, entry.action, entry.rule) == ("load-balancer", "translate", "rule lbr-http")
        assert entry.detail == f"20.50.1.10 -> {address}:8080"
        assert hop(outcome, "subnet-nsg-in").rule == "AllowHttpAltFromInternet"
    box = single_box(result.allowed)
    assert (box["dst"], box["dst_ports"]) == (address, "8080")
    assert result.allowed == result.queried
    # nothing arrives on the frontend port: the backend listens on 8080
    assert reach(e, "internet", vm, 80).verdict == "denied"


def _nsg_only_8080(data: Doc) -> None:
    nsg = find(data, "nsg-web")
    nsg["properties"]["securityRules"] = [
        r for r in nsg["properties"]["securityRules"] if r["name"] == "AllowHttpAltFromInternet"]


def test_lb_backend_nsg_allowing_only_8080_blocks_the_natted_ssh(tmp_path: Path) -> None:
    e = engine(LB, tmp_path, _nsg_only_8080)
    result = reach(e, "internet", "vm-web1", 22)
    assert result.verdict == "denied"
    assert result.dropped
    for outcome in result.dropped:
        assert outcome.hops[0].rule == "inbound NAT nat-ssh-vm-web1"
        last = outcome.hops[-1]
        assert (last.kind, last.action, last.rule) == ("subnet-nsg-in", "deny", "DenyAllInBound")
        # dropped as translated: NIC1:22
        box = single_box(outcome.branch.packets)
        assert (box["dst"], box["dst_ports"]) == ("10.1.1.4", "22")
    assert reach(e, "internet", "vm-web1", 8080).verdict == "allowed"


def _no_nsg(data: Doc) -> None:
    del find(data, "snet-web")["properties"]["networkSecurityGroup"]


def test_standard_lb_without_any_nsg_is_closed(tmp_path: Path) -> None:
    e = engine(LB, tmp_path, _no_nsg)
    for vm, port in (("vm-web1", 8080), ("vm-web2", 8080), ("vm-web1", 22)):
        result = reach(e, "internet", vm, port)
        assert result.verdict == "denied", (vm, port)
        assert result.dropped
        for outcome in result.dropped:
            last = outcome.hops[-1]
            assert (last.kind, last.action) == ("load-balancer", "drop")
            assert "Standard" in last.detail


def _basic_without_nsg(data: Doc) -> None:
    _no_nsg(data)
    find(data, "lb-web")["sku"] = {"name": "Basic", "tier": "Regional"}
    pip = find(data, "pip-lb-web")
    pip["sku"] = {"name": "Basic", "tier": "Regional"}


def test_basic_lb_without_nsg_is_open(tmp_path: Path) -> None:
    e = engine(LB, tmp_path, _basic_without_nsg)
    for vm, port, rule in (("vm-web1", 8080, "rule lbr-http"), ("vm-web2", 8080, "rule lbr-http"),
                           ("vm-web1", 22, "inbound NAT nat-ssh-vm-web1")):
        result = reach(e, "internet", vm, port)
        assert result.verdict == "allowed", (vm, port)
        for outcome in result.arrived:
            assert kinds(outcome) == ["load-balancer", "deliver"]
            assert outcome.hops[0].rule == rule
    assert reach(e, "internet", "vm-web2", 22).verdict == "denied"


# =========================================================================================
# 2. Azure Firewall afw-hub (10.0.1.4, public 20.60.1.10) with policy afwp-hub:
#    DNAT 20.60.1.10:443 -> 10.2.1.4:8443 (https-to-app1) and :8080 -> an FQDN;
#    network rules net-deny (Deny ssh spoke1 -> spoke2) above net-allow (spokes);
#    application rule allow-microsoft-update (*.update.microsoft.com) for spoke1.
#    Spoke UDRs send the other spoke (and spoke1 its default route) to the firewall.
# =========================================================================================

FW = "firewall"
FW_ID = nid("rg-fw", "azureFirewalls", "afw-hub")


def test_firewall_dnat_reaches_the_vm_on_8443_with_the_firewall_as_source() -> None:
    e = engine(FW)
    result = reach(e, "internet", "vm-app1", 8443)
    # decided with the original (internet) source, although the VM sees the firewall's
    assert result.verdict == "allowed"
    assert result.arrived
    for outcome in result.arrived:
        entry = outcome.hops[0]
        assert (entry.kind, entry.resource, entry.action) == ("firewall", FW_ID, "translate")
        assert entry.rule == "dnat-inbound/https-to-app1"
        assert entry.detail.startswith("DNAT 20.60.1.10 -> 10.2.1.4:8443, source translated")
        assert "AzureFirewallSubnet (10.0.1.0/26)" in entry.detail
        assert kinds(outcome) == ["firewall", "route", "peering", "subnet-nsg-in", "deliver"]
        assert hop(outcome, "subnet-nsg-in").rule == "AllowFirewallTo8443"
        # the origin is what the internet client sent: to the public IP on 443
        origin = single_box(outcome.branch.origin)
        assert (origin["dst"], origin["dst_ports"]) == ("20.60.1.10", "443")
    # as they arrive: to 10.2.1.4:8443, SNAT'd to the firewall's instances in
    # AzureFirewallSubnet (10.0.1.4-10.0.1.62: not the subnet's reserved addresses), with
    # the client's source port kept
    box = single_box(result.allowed)
    assert (box["dst"], box["protocol"], box["src_ports"], box["dst_ports"]) == \
        ("10.2.1.4", "tcp", "*", "8443")
    instances = e.addresses.on("src", [(ip("10.0.1.4"), ip("10.0.1.62"))])
    assert result.allowed.forget("dst", "dst_port", "protocol", "src_port") == instances
    # nothing arrives on the frontend port
    assert reach(e, "internet", "vm-app1", 443).verdict == "denied"


def _nsg_expects_internet_source(data: Doc) -> None:
    rule = find(data, "AllowFirewallTo8443")
    rule["properties"]["sourceAddressPrefix"] = "Internet"


def test_firewall_dnat_is_judged_by_the_vm_nsg_on_the_snat_source(tmp_path: Path) -> None:
    # an NSG that admits 8443 only from Internet does not admit DNAT'd traffic: the
    # firewall's private address (VirtualNetwork) is the source it sees
    e = engine(FW, tmp_path, _nsg_expects_internet_source)
    result = reach(e, "internet", "vm-app1", 8443)
    assert result.verdict == "denied"
    assert result.dropped
    for outcome in result.dropped:
        last = outcome.hops[-1]
        assert (last.kind, last.action, last.rule) == ("subnet-nsg-in", "deny", "DenyVnetInbound")
        assert outcome.hops[0].rule == "dnat-inbound/https-to-app1"


def test_firewall_dnat_to_an_fqdn_is_dropped_saying_why() -> None:
    e = engine(FW)
    result = trace(e, INTERNET_CLIENT, "20.60.1.10", 8080)
    assert result.verdict == "denied"
    last = result.hops[-1]
    assert (last.kind, last.action, last.rule) == ("firewall", "drop", "dnat-inbound/web-to-fqdn")
    assert "app.internal.contoso.com" in last.detail
    assert "cannot be resolved offline" in last.detail
    # and no other port of the firewall's public IP is open
    other = trace(e, INTERNET_CLIENT, "20.60.1.10", 22)
    assert other.verdict == "denied"
    assert (other.hops[-1].kind, other.hops[-1].rule) == ("firewall", "default deny")


def test_firewall_network_deny_rule_above_an_allow_decides_spoke_to_spoke() -> None:
    e = engine(FW)
    result = reach(e, "vm-app1", "vm-data1", 22)
    assert result.verdict == "denied"
    # exactly one reason, the deny rule (not also a "default deny" for the same packets)
    assert len(result.dropped) == 1
    outcome = result.dropped[0]
    assert kinds(outcome) == ["subnet-nsg-out", "route", "peering", "firewall"]
    assert hop(outcome, "route").rule == "to-other-spoke"
    last = outcome.hops[-1]
    assert (last.kind, last.resource, last.action, last.rule) == \
        ("firewall", FW_ID, "deny", "net-deny/deny-ssh-spoke1-to-spoke2")
    assert outcome.branch.packets == result.queried


def test_firewall_network_allow_rule_carries_other_ports_between_spokes() -> None:
    result = reach(engine(FW), "vm-app1", "vm-data1", 443)
    assert result.verdict == "allowed"
    (outcome,) = result.arrived
    assert kinds(outcome) == ["subnet-nsg-out", "route", "peering", "firewall", "route", "peering",
                              "deliver"]
    fw = hop(outcome, "firewall")
    assert (fw.action, fw.rule) == ("allow", "net-allow/allow-spokes")
    assert [h.name for h in outcome.hops if h.kind == "peering"] == ["spoke1-to-hub", "hub-to-spoke2"]


def test_firewall_application_rule_is_conditional_never_allowed() -> None:
    e = engine(FW)
    result = reach(e, "vm-app1", "internet", 443)
    assert result.verdict != "allowed"
    assert not result.arrived and not result.allowed
    assert result.conditional
    for outcome in result.conditional:
        last = outcome.hops[-1]
        assert (last.kind, last.action, last.rule) == \
            ("firewall", "conditional", "app-egress/allow-microsoft-update")
        assert "*.update.microsoft.com" in last.detail
    traced = trace(e, "10.2.1.4", "13.107.4.50", 443)
    assert traced.verdict == "conditional"
    assert traced.hops[-1].rule == "app-egress/allow-microsoft-update"


# =========================================================================================
# 3. Application Gateway agw-web (WAF_v2, public 20.70.1.10, snet-agw 10.5.0.0/24):
#    listener 443, backend pool nic-web1, backend settings port 8080. nsg-web on the
#    backend subnet allows 8080 from the App Gateway subnet and denies VirtualNetwork.
# =========================================================================================

AGW = "app_gateway"
AGW_ID = nid("rg-agw", "applicationGateways", "agw-web")


def test_appgw_delivers_to_the_backend_on_its_settings_port() -> None:
    e = engine(AGW)
    result = reach(e, "internet", "vm-web1", 8080)
    assert result.verdict == "allowed"
    assert result.arrived
    for outcome in result.arrived:
        hops = outcome.hops
        assert hops[0].kind == "app-gateway" or hops[0].name == "nsg-agw"
        (proxy,) = [h for h in hops if h.kind == "app-gateway" and h.action == "proxy"]
        assert proxy.resource == AGW_ID
        assert "WAF" in proxy.detail and "nic-web1:8080" in proxy.detail
        nsgs = [(h.name, h.rule) for h in hops if h.kind == "subnet-nsg-in"]
        assert nsgs == [("nsg-agw", "AllowHttpsFromInternet"), ("nsg-web", "AllowAppGatewayTo8080")]
        # the client's packets meet the gateway subnet's NSG, the proxied ones the backend's
        assert hops.index(proxy) < [h.name for h in hops].index("nsg-web")
        assert (hops[-1].kind, hops[-1].name) == ("deliver", "nic-web1")
        # as sent: to the gateway's public address on the listener's port
        origin = single_box(outcome.branch.origin)
        assert (origin["dst"], origin["dst_ports"]) == ("20.70.1.10", "443")
    box = single_box(result.allowed)
    assert (box["dst"], box["protocol"], box["dst_ports"]) == ("10.5.1.4", "tcp", "8080")
    # the backend sees the gateway's subnet as the source
    assert result.allowed <= e.addresses.prefixes("src", [Prefix.parse("10.5.0.0/24")])


def test_appgw_backend_is_reached_only_through_the_gateway() -> None:
    result = reach(engine(AGW), "internet", "vm-web1", None)
    assert result.arrived
    assert all("app-gateway" in kinds(o) for o in result.arrived)
    box = single_box(result.allowed)
    assert (box["protocol"], box["dst_ports"]) == ("tcp", "8080")


def _backend_nsg_expects_internet(data: Doc) -> None:
    find(data, "AllowAppGatewayTo8080")["properties"]["sourceAddressPrefix"] = "Internet"


def test_appgw_backend_nsg_decides_on_the_gateway_subnet_as_source(tmp_path: Path) -> None:
    e = engine(AGW, tmp_path, _backend_nsg_expects_internet)
    result = reach(e, "internet", "vm-web1", 8080)
    assert result.verdict == "denied"
    assert result.dropped
    for outcome in result.dropped:
        assert "app-gateway" in kinds(outcome)
        last = outcome.hops[-1]
        assert (last.kind, last.name, last.action, last.rule) == \
            ("subnet-nsg-in", "nsg-web", "deny", "DenyVnetInbound")


def test_appgw_port_without_listener_is_dropped() -> None:
    e = engine(AGW)
    result = trace(e, INTERNET_CLIENT, "20.70.1.10", 22)
    assert result.verdict == "denied"
    last = result.hops[-1]
    assert (last.kind, last.resource, last.action, last.detail) == \
        ("app-gateway", AGW_ID, "drop", "no listener")
    assert reach(e, "internet", "vm-web1", 22).verdict == "denied"


# =========================================================================================
# 4. On-premises 192.168.0.0/16 (lgw-onprem, cn-onprem) through vgw-hub in the hub's
#    GatewaySubnet; hub-to-spoke allowGatewayTransit, spoke-to-hub useRemoteGateways (and
#    neither allows forwarded traffic, as in Microsoft's gateway transit walkthrough).
# =========================================================================================

ONPREM = "onprem"


def test_onprem_reaches_a_spoke_vm_through_gateway_transit() -> None:
    result = reach(engine(ONPREM), "onprem", "vm-app1", 22)
    assert result.verdict == "allowed"
    (outcome,) = result.arrived
    assert kinds(outcome) == ["gateway", "route", "peering", "deliver"]
    assert outcome.hops[0].name == "vgw-hub"
    assert hop(outcome, "route").detail == "10.2.0.0/16 -> VNetPeering [Default]"
    assert hop(outcome, "peering").name == "hub-to-spoke"
    assert single_box(result.allowed)["src"] == "192.168.0.0/16"


def test_spoke_reaches_onprem_over_the_propagated_gateway_route() -> None:
    result = reach(engine(ONPREM), "vm-app1", "onprem", 22)
    assert result.verdict == "allowed"
    (outcome,) = result.arrived
    assert hop(outcome, "route").detail == "192.168.0.0/16 -> VirtualNetworkGateway [VirtualNetworkGateway]"
    assert outcome.hops[-1].kind == "gateway"


def _gateway_subnet_via_firewall(forwarded: bool) -> Callable[[Doc], None]:
    def edit(data: Doc) -> None:
        rt = nid("rg-hybrid", "routeTables", "rt-gateway")
        data.append({"id": rt, "name": "rt-gateway", "type": "Microsoft.Network/routeTables",
                     "location": "westeurope", "properties": {
                         "disableBgpRoutePropagation": False,
                         "routes": [{"name": "spoke-via-firewall", "id": f"{rt}/routes/spoke-via-firewall",
                                     "properties": {"addressPrefix": "10.2.0.0/16",
                                                    "nextHopType": "VirtualAppliance",
                                                    "nextHopIpAddress": "10.0.1.4"}}]}})
        find(data, "GatewaySubnet")["properties"]["routeTable"] = {"id": rt}
        find(data, "spoke-to-hub")["properties"]["allowForwardedTraffic"] = forwarded
    return edit


def test_gateway_subnet_udr_sends_onprem_traffic_through_the_firewall(tmp_path: Path) -> None:
    e = engine(ONPREM, tmp_path, _gateway_subnet_via_firewall(forwarded=True))
    result = reach(e, "onprem", "vm-app1", 22)
    assert result.verdict == "allowed"
    (outcome,) = result.arrived
    assert kinds(outcome) == ["gateway", "route", "firewall", "route", "peering", "deliver"]
    assert outcome.hops[1].rule == "spoke-via-firewall"
    fw = hop(outcome, "firewall")
    assert (fw.name, fw.action, fw.rule) == ("afw-hub", "allow", "net-hybrid/onprem-to-spoke")
    # the firewall's policy admits 22 and 443 only
    denied = reach(e, "onprem", "vm-app1", 3389)
    assert denied.verdict == "denied"
    assert [(o.hops[-1].kind, o.hops[-1].rule) for o in denied.dropped] == [("firewall", "default deny")]


def test_firewall_forwarded_onprem_traffic_needs_allow_forwarded_traffic(tmp_path: Path) -> None:
    # unlike gateway transit, traffic the firewall forwards into the spoke is forwarded traffic
    e = engine(ONPREM, tmp_path, _gateway_subnet_via_firewall(forwarded=False))
    result = reach(e, "onprem", "vm-app1", 22)
    assert result.verdict == "denied"
    (outcome,) = result.dropped
    last = outcome.hops[-1]
    assert (last.kind, last.name, last.action) == ("peering", "spoke-to-hub", "drop")
    assert "allowForwardedTraffic" in last.detail
    assert "firewall" in kinds(outcome)


def _no_bgp_propagation(data: Doc) -> None:
    find(data, "rt-spoke")["properties"]["disableBgpRoutePropagation"] = True


def test_spoke_without_gateway_route_propagation_drops_onprem_at_the_none_route(tmp_path: Path) -> None:
    e = engine(ONPREM, tmp_path, _no_bgp_propagation)
    result = reach(e, "vm-app1", "onprem", 22)
    assert result.verdict == "denied"
    (outcome,) = result.dropped
    last = outcome.hops[-1]
    assert (last.kind, last.name, last.action, last.rule) == ("route", "snet-app", "drop", None)
    assert last.detail == "192.168.0.0/16 -> None [Default]"
    assert outcome.branch.packets == result.queried


# =========================================================================================
# 5. Private endpoint pe-stcontoso-blob (10.4.2.4) in snet-pe, whose NSG nsg-pe denies 443
#    from snet-app (DenyAppHttps); vm-tool1 (10.4.2.10) shares snet-pe.
# =========================================================================================

PE = "private_endpoint"


@pytest.mark.parametrize("target", ["pe-stcontoso-blob", "stcontoso"])
def test_private_endpoint_ignores_the_nsg_when_network_policies_are_disabled(target: str) -> None:
    result = reach(engine(PE), "vm-app1", target, 443)
    assert result.verdict == "allowed"
    (outcome,) = result.arrived
    assert kinds(outcome) == ["route", "deliver"]
    assert outcome.hops[-1].name == "pe-stcontoso-blob.nic.0b1c2d3e"
    assert single_box(result.allowed)["dst"] == "10.4.2.4"


def test_vm_sharing_the_private_endpoint_subnet_keeps_its_nsg() -> None:
    # the endpoint's exemption is its own: a VM NIC in the same subnet is filtered
    result = reach(engine(PE), "vm-app1", "vm-tool1", 443)
    assert result.verdict == "denied"
    (outcome,) = result.dropped
    last = outcome.hops[-1]
    assert (last.kind, last.name, last.action, last.rule) == ("subnet-nsg-in", "nsg-pe", "deny", "DenyAppHttps")


def _pe_policies_enabled(data: Doc) -> None:
    find(data, "snet-pe")["properties"]["privateEndpointNetworkPolicies"] = "Enabled"


def test_private_endpoint_obeys_the_nsg_when_network_policies_are_enabled(tmp_path: Path) -> None:
    e = engine(PE, tmp_path, _pe_policies_enabled)
    result = reach(e, "vm-app1", "pe-stcontoso-blob", 443)
    assert result.verdict == "denied"
    (outcome,) = result.dropped
    last = outcome.hops[-1]
    assert (last.kind, last.name, last.action, last.rule) == ("subnet-nsg-in", "nsg-pe", "deny", "DenyAppHttps")
    assert reach(e, "vm-app1", "pe-stcontoso-blob", 80).verdict == "allowed"


# =========================================================================================
# 6. PaaS public endpoint: storage stpublicdata, defaultAction Deny, ipRule 203.0.113.0/24.
# =========================================================================================

PAAS = "paas"


def test_storage_with_an_ip_rule_is_partially_reachable_from_the_internet() -> None:
    e = engine(PAAS)
    result = reach(e, "internet", "stpublicdata", 443)
    assert result.verdict == "partial"
    box = single_box(result.allowed)
    assert (box["src"], box["protocol"], box["dst_ports"]) == ("203.0.113.0/24", "tcp", "443")
    (outcome,) = result.arrived
    assert (outcome.hops[-1].kind, outcome.hops[-1].action, outcome.hops[-1].rule) == \
        ("paas", "allow", "ipRules")
    (blocked,) = result.dropped
    assert (blocked.hops[-1].action, blocked.hops[-1].rule) == ("deny", "defaultAction")
    # any protocol and port: only TCP to the storage endpoints' ports arrives
    anything = reach(e, "internet", "stpublicdata", None, None)
    assert anything.verdict == "partial"
    box = single_box(anything.allowed)
    assert (box["src"], box["protocol"], box["dst_ports"]) == ("203.0.113.0/24", "tcp", "443,445")


def _public_access_disabled(data: Doc) -> None:
    find(data, "stpublicdata")["properties"]["publicNetworkAccess"] = "Disabled"


def test_storage_with_public_access_disabled_is_closed(tmp_path: Path) -> None:
    e = engine(PAAS, tmp_path, _public_access_disabled)
    result = reach(e, "internet", "stpublicdata", 443)
    assert result.verdict == "denied"
    assert not result.allowed
    (outcome,) = result.dropped
    assert (outcome.hops[-1].kind, outcome.hops[-1].action, outcome.hops[-1].rule) == \
        ("paas", "deny", "publicNetworkAccess")


# =========================================================================================
# 7. The `reach --format json` / `trace --format json` contract, on the load balancer.
# =========================================================================================

runner = CliRunner()


def test_reach_json_contract_on_the_lb_nat_rule() -> None:
    result = runner.invoke(app, ["reach", str(FIXTURES / f"{LB}.json"), "--from", "internet",
                                 "--to", "vm-web1", "--protocol", "tcp", "--port", "22",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "allowed"
    assert (data["from"], data["to"]) == ("internet", "vm-web1")
    (box,) = data["allowed"]
    assert {"src", "dst", "protocol", "src_ports", "dst_ports", "text"} <= set(box)
    assert (box["dst"], box["protocol"], box["dst_ports"]) == ("10.1.1.4", "tcp", "22")
    assert data["witness"] == f"tcp {INTERNET_CLIENT}:49152 -> 10.1.1.4:22"
    (path,) = data["paths"]
    assert path["status"] == "arrived"
    assert path["targets"] == [f"{nid('rg-lb', 'networkInterfaces', 'nic-web1')}/ipConfigurations/ipconfig1"]
    for h in path["hops"]:
        assert {"kind", "resource", "name", "rule", "action"} <= set(h)
    assert path["hops"][0] == {"kind": "load-balancer", "resource": LB_ID, "name": "lb-web",
                               "rule": "inbound NAT nat-ssh-vm-web1", "action": "translate",
                               "detail": "20.50.1.10 -> 10.1.1.4:22"}
    assert [(h["kind"], h["rule"], h["action"]) for h in path["hops"][1:]] == [
        ("subnet-nsg-in", "AllowSshFromInternet", "allow"), ("deliver", None, "arrive")]
    assert path["hops"][1]["resource"] == nid("rg-lb", "networkSecurityGroups", "nsg-web")
    assert path["witness"] == data["witness"]
    assert data["blocked"] == [] and data["conditional"] == [] and data["unresolved_tags"] == []


def test_reach_json_contract_when_denied() -> None:
    result = runner.invoke(app, ["reach", str(FIXTURES / f"{LB}.json"), "--from", "internet",
                                 "--to", "vm-web2", "--protocol", "tcp", "--port", "22",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "denied"
    assert data["allowed"] == [] and data["paths"] == [] and data["witness"] is None


def test_trace_json_contract_through_the_lb_nat_rule() -> None:
    result = runner.invoke(app, ["trace", str(FIXTURES / f"{LB}.json"), "--src", INTERNET_CLIENT,
                                 "--dst", "20.50.1.10", "--protocol", "tcp", "--dst-port", "50001",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == "allowed"
    assert data["packet"] == f"tcp {INTERNET_CLIENT}:49152 -> 20.50.1.10:50001"
    assert [(h["kind"], h["action"]) for h in data["hops"]] == [
        ("load-balancer", "translate"), ("subnet-nsg-in", "allow"), ("deliver", "arrive")]
    assert "dropped_by" not in data
