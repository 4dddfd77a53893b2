"""A route whose next hop is an internal load balancer's frontend: the highly available NVA
pattern the guidance (and SEG005's remediation) asks for. An HA-ports rule balances every
TCP and UDP flow to a member of its backend pool, untranslated, and the flow goes through
that appliance (learn.microsoft.com, "High availability ports overview"). Everything else
routed to the frontend is dropped there, with the reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.engine import Engine, Packet
from netwarden.ingest import load_estate
from netwarden.model.values import Prefix

NET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network"
LB = f"{NET}/loadBalancers/lb-nva"
FRONTEND = "10.0.2.100"


def ref(kind: str, name: str) -> dict[str, str]:
    return {"id": f"{NET}/{kind}/{name}"}


def nic(name: str, subnet: str, address: str, *, forwarding: bool, pool: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"subnet": {"id": f"{NET}/virtualNetworks/{subnet}"},
                              "privateIPAddress": address, "primary": True}
    if pool:
        config["loadBalancerBackendAddressPools"] = [{"id": f"{LB}/backendAddressPools/nvas"}]
    return {"id": f"{NET}/networkInterfaces/{name}", "name": name,
            "type": "Microsoft.Network/networkInterfaces",
            "properties": {"enableIPForwarding": forwarding, "ipConfigurations": [
                {"id": f"{NET}/networkInterfaces/{name}/ipConfigurations/ipconfig1",
                 "name": "ipconfig1", "properties": config}]}}


def estate(tmp_path: Path, *, protocol: str = "All", port: int = 0, nsg: bool = True,
           forwarding: bool = True, sku: str = "Standard") -> Engine:
    allow_all = {"id": f"{NET}/networkSecurityGroups/nsg-nva", "name": "nsg-nva",
                 "type": "Microsoft.Network/networkSecurityGroups", "properties": {"securityRules": [
                     {"name": "allow-vnet-in", "properties": {
                         "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "*",
                         "sourceAddressPrefix": "VirtualNetwork", "sourcePortRange": "*",
                         "destinationAddressPrefix": "*", "destinationPortRange": "*"}}]}}
    nva_subnet: dict[str, Any] = {"addressPrefix": "10.0.2.0/24"}
    if nsg:
        nva_subnet["networkSecurityGroup"] = ref("networkSecurityGroups", "nsg-nva")
    resources = [
        {"id": f"{NET}/virtualNetworks/vnet", "name": "vnet", "type": "Microsoft.Network/virtualNetworks",
         "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]}, "subnets": [
             {"id": f"{NET}/virtualNetworks/vnet/subnets/nva", "name": "nva", "properties": nva_subnet},
             {"id": f"{NET}/virtualNetworks/vnet/subnets/app", "name": "app", "properties": {
                 "addressPrefix": "10.0.1.0/24", "routeTable": ref("routeTables", "rt-app")}}]}},
        {"id": f"{NET}/routeTables/rt-app", "name": "rt-app", "type": "Microsoft.Network/routeTables",
         "properties": {"routes": [{"name": "default-to-ilb", "properties": {
             "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
             "nextHopIpAddress": FRONTEND}}]}},
        nic("nic-nva1", "vnet/subnets/nva", "10.0.2.4", forwarding=forwarding, pool=True),
        nic("nic-nva2", "vnet/subnets/nva", "10.0.2.5", forwarding=forwarding, pool=True),
        nic("nic-vm", "vnet/subnets/app", "10.0.1.4", forwarding=False, pool=False),
        {"id": LB, "name": "lb-nva", "type": "Microsoft.Network/loadBalancers", "sku": {"name": sku},
         "properties": {
             "frontendIPConfigurations": [{"id": f"{LB}/frontendIPConfigurations/fe", "name": "fe",
                                           "properties": {"privateIPAddress": FRONTEND, "subnet": {
                                               "id": f"{NET}/virtualNetworks/vnet/subnets/nva"}}}],
             "backendAddressPools": [{"id": f"{LB}/backendAddressPools/nvas", "name": "nvas"}],
             "loadBalancingRules": [{"name": "nva-rule", "properties": {
                 "frontendIPConfiguration": {"id": f"{LB}/frontendIPConfigurations/fe"},
                 "backendAddressPool": {"id": f"{LB}/backendAddressPools/nvas"},
                 "protocol": protocol, "frontendPort": port, "backendPort": port}}]}},
    ]
    if nsg:
        resources.append(allow_all)
    path = tmp_path / "estate.json"
    path.write_text(json.dumps(resources))
    return Engine(load_estate([path]))


def ip(text: str) -> int:
    return Prefix.parse(text).first


def outcomes(engine: Engine, protocol: int, port: int) -> list[tuple[str, list[str]]]:
    trace = engine.trace(Packet(ip("10.0.1.4"), ip("8.8.8.8"), protocol, 50000 if port else 0, port))
    return [(o.status, [f"{h.kind}:{h.action}" for h in o.hops] + [o.hops[-1].detail or ""])
            for o in trace.outcomes]


def test_ha_ports_carry_tcp_and_udp_through_each_appliance_to_the_internet(tmp_path: Path) -> None:
    engine = estate(tmp_path)
    for protocol, port in ((6, 443), (17, 53)):
        found = outcomes(engine, protocol, port)
        arrived = [hops for status, hops in found if status == "arrived"]
        assert len(arrived) == 2 and len(found) == 2, found     # one path per backend member
        for hops in arrived:
            steps = [h for h in hops if "nsg" not in h]
            assert steps[:3] == ["route:forward", "load-balancer:forward", "nva:forward"], hops
            assert "subnet-nsg-in:allow" in hops and steps[-2] == "internet:arrive", hops
    trace = engine.trace(Packet(ip("10.0.1.4"), ip("8.8.8.8"), 6, 50000, 443))
    backends = sorted(h.detail for o in trace.outcomes for h in o.hops if h.kind == "load-balancer")
    assert backends == ["HA ports -> backend 10.0.2.4", "HA ports -> backend 10.0.2.5"]


def test_ha_ports_balance_no_icmp(tmp_path: Path) -> None:
    found = outcomes(estate(tmp_path), 1, 0)
    assert [status for status, _ in found] == ["dropped"]
    assert found[0][1][-2:] == ["load-balancer:drop", "HA ports balance TCP and UDP flows only"]


@pytest.mark.parametrize(("options", "reason"), [
    ({"protocol": "Tcp", "port": 443}, "no HA-ports rule on this frontend"),
    ({"nsg": False}, "Standard load balancers are closed unless an NSG allows"),
    ({"forwarding": False}, "IP forwarding is disabled on the NIC"),
])
def test_what_the_balancer_or_its_members_do_not_carry_is_dropped_with_the_reason(
        tmp_path: Path, options: dict[str, Any], reason: str) -> None:
    found = outcomes(estate(tmp_path, **options), 6, 443)
    assert found and all(status == "dropped" for status, _ in found), found
    assert all(hops[-1].startswith(reason) for _, hops in found), found


def test_traffic_addressed_to_the_frontend_itself_is_not_routed_through_it(tmp_path: Path) -> None:
    trace = estate(tmp_path).trace(Packet(ip("10.0.1.4"), ip(FRONTEND), 6, 50000, 443))
    assert trace.outcomes and all(h.kind != "nva" for o in trace.outcomes for h in o.hops)


def test_a_next_hop_that_nothing_holds_is_a_blackhole(tmp_path: Path) -> None:
    estate(tmp_path)                              # writes estate.json; the route then misses
    path = tmp_path / "estate.json"
    path.write_text(path.read_text().replace(f'"nextHopIpAddress": "{FRONTEND}"',
                                             '"nextHopIpAddress": "10.0.2.99"'))
    trace = Engine(load_estate([path])).trace(Packet(ip("10.0.1.4"), ip("8.8.8.8"), 6, 50000, 443))
    assert [o.status for o in trace.outcomes] == ["dropped"]
    assert "blackholed" in (trace.outcomes[0].hops[-1].detail or "")
