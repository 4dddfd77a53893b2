"""Terraform plans and states (`terraform show -json`) become the same model as Azure
resource JSON: azurerm resources translated to the ARM shape, IDs that a plan does not
know yet synthesised, references resolved through the configuration, and every resource
located at its Terraform address.

`fixtures/terraform/hub-spoke.plan.json` is a create plan of a hub and a `spoke` module
(its configuration is in `fixtures/terraform/README.md`); `edge-paas.state.json` is a
state with every other mapped type.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.ingest import IngestError, load_estate
from netwarden.ingest.loader import detect
from netwarden.model import ids
from netwarden.model.cluster import AksCluster
from netwarden.model.compute import NetworkInterface, PublicIp, VirtualMachine
from netwarden.model.edge import (
    ApplicationGateway,
    BastionHost,
    Connection,
    Firewall,
    FirewallPolicy,
    LoadBalancer,
    LocalNetworkGateway,
    RuleCollectionGroup,
    VirtualNetworkGateway,
    WafPolicy,
)
from netwarden.model.estate import Estate
from netwarden.model.monitoring import FlowLog
from netwarden.model.network import NatGateway, NextHop, Peering, RouteTable, Subnet, VirtualNetwork
from netwarden.model.paas import PaasService, PrivateEndpoint
from netwarden.model.security import ApplicationSecurityGroup, NetworkSecurityGroup

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
HUB_SPOKE = FIXTURES / "hub-spoke.plan.json"
EDGE_STATE = FIXTURES / "edge-paas.state.json"
ZERO = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers"
NET = f"{ZERO}/Microsoft.Network"
runner = CliRunner()


@pytest.fixture(scope="module")
def hub() -> Estate:
    return load_estate([HUB_SPOKE])


@pytest.fixture(scope="module")
def edge() -> Estate:
    return load_estate([EDGE_STATE])


def one(estate: Estate, cls: type, name: str) -> Any:
    found = [r for r in estate.of(cls) if r.name == name]
    assert len(found) == 1, f"{cls.__name__} {name}: {found}"
    return found[0]


def warnings(estate: Estate, code: str) -> dict[str, str]:
    return {d.location.address or d.location.file: d.message
            for d in estate.diagnostics if d.code == code}


# -- a plan with a module: IDs, references, associations ---------------------------------------

def test_plans_and_states_are_detected() -> None:
    assert detect(json.loads(HUB_SPOKE.read_text())) == "terraform"
    assert detect(json.loads(EDGE_STATE.read_text())) == "terraform"


def test_unknown_ids_are_synthesised_the_way_azure_forms_them(hub: Estate) -> None:
    web = one(hub, Subnet, "snet-web")
    assert web.id == f"{NET}/virtualNetworks/vnet-spoke/subnets/snet-web"
    assert web.vnet_id == f"{NET}/virtualNetworks/vnet-spoke"
    rdp = next(r for r in one(hub, NetworkSecurityGroup, "nsg-web").rules if r.name == "allow-rdp")
    assert rdp.id == f"{NET}/networkSecurityGroups/nsg-web/securityRules/allow-rdp"
    group = one(hub, RuleCollectionGroup, "rcg-spokes")
    assert group.policy_id == one(hub, FirewallPolicy, "afwp-hub").id
    assert group.id == f"{NET}/firewallPolicies/afwp-hub/ruleCollectionGroups/rcg-spokes"


def test_references_resolve_through_the_configuration(hub: Estate) -> None:
    subnet = {s.name: s for s in hub.subnets}
    nsg = {n.name: n.id for n in hub.nsgs}
    # association resources become the property on their target
    assert subnet["snet-web"].nsg_id == nsg["nsg-web"]
    assert subnet["snet-app"].route_table_id == one(hub, RouteTable, "rt-spoke").id
    # an inline subnet whose NSG is created in the same plan (one expression for all blocks)
    assert subnet["snet-shared"].nsg_id == nsg["nsg-shared"]
    nic = one(hub, NetworkInterface, "nic-jump")
    config = nic.ip_configurations[0]
    assert config.subnet_id == subnet["snet-web"].id
    assert config.public_ip_id == one(hub, PublicIp, "pip-jump").id
    assert config.asg_ids == (one(hub, ApplicationSecurityGroup, "asg-web").id,)
    assert one(hub, VirtualMachine, "vm-jump").nic_ids == (nic.id,)
    https = next(r for r in one(hub, NetworkSecurityGroup, "nsg-web").rules if r.name == "allow-https")
    assert https.destination_asg_ids == (one(hub, ApplicationSecurityGroup, "asg-web").id,)
    firewall = one(hub, Firewall, "afw-hub")
    assert firewall.policy_id == one(hub, FirewallPolicy, "afwp-hub").id
    assert firewall.ip_configurations[0].subnet_id == subnet["AzureFirewallSubnet"].id
    assert firewall.ip_configurations[0].public_ip_id == one(hub, PublicIp, "pip-fw").id


def test_references_through_module_outputs_and_variables(hub: Estate) -> None:
    vnets = {v.name: v.id for v in hub.vnets}
    peerings = {p.name: p for p in hub.of(Peering)}
    # root: remote_virtual_network_id = module.spoke.vnet_id (an output)
    assert peerings["hub-to-spoke"].remote_vnet_id == vnets["vnet-spoke"]
    # module: remote_virtual_network_id = var.hub_vnet_id (the call passes azurerm_virtual_network.hub.id)
    assert peerings["spoke-to-hub"].remote_vnet_id == vnets["vnet-hub"]
    assert not warnings(hub, "dangling-reference")


def test_every_resource_is_located_at_its_terraform_address(hub: Estate) -> None:
    rules = {r.name: r for r in one(hub, NetworkSecurityGroup, "nsg-web").rules}
    assert rules["allow-rdp"].source.address == "module.spoke.azurerm_network_security_rule.rdp"
    assert rules["allow-rdp"].source.path == "planned_values.root_module.child_modules[0].resources[5]"
    assert rules["allow-https"].source.address == "module.spoke.azurerm_network_security_group.web"
    assert rules["allow-https"].source.path.endswith(".values.security_rule[0]")
    assert one(hub, VirtualNetwork, "vnet-hub").source.address == "azurerm_virtual_network.hub"
    assert all(r.source.address for r in hub)


def test_other_providers_and_unread_types_are_counted_unknown(hub: Estate) -> None:
    assert dict(hub.unknown_types) == {"random_password": 1, "azurerm_resource_group": 1}


def test_values_unknown_until_apply_are_warned_with_their_address(hub: Estate) -> None:
    found = warnings(hub, "unresolved-value")
    assert set(found) == {
        "azurerm_public_ip.fw", "module.spoke.azurerm_public_ip.jump",
        "azurerm_firewall.hub",                          # its private IP
        "module.spoke.azurerm_network_interface.app",    # dynamic private IP
        "module.spoke.azurerm_route.default",            # next hop = the firewall's private IP
    }
    assert "the route default-via-firewall (0.0.0.0/0) is left out" in \
        found["module.spoke.azurerm_route.default"]
    assert one(hub, RouteTable, "rt-spoke").routes == ()           # not guessed
    app_nic = one(hub, NetworkInterface, "nic-app")
    assert app_nic.ip_configurations[0].private_ip is None
    assert "dynamic allocation" in found["module.spoke.azurerm_network_interface.app"]


def test_new_public_ips_get_documentation_addresses_as_stand_ins(hub: Estate) -> None:
    addresses = {p.name: str(p.address) for p in hub.of(PublicIp)}
    assert addresses == {"pip-fw": "192.0.2.1", "pip-jump": "192.0.2.2"}
    message = warnings(hub, "unresolved-value")["module.spoke.azurerm_public_ip.jump"]
    assert "192.0.2.2 (a documentation address) stands in for it" in message


def test_validate_reports_addresses_in_json() -> None:
    result = runner.invoke(app, ["validate", str(HUB_SPOKE), "--format", "json"])
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    route = next(w for w in data["warnings"] if w["address"] == "module.spoke.azurerm_route.default")
    assert route["code"] == "unresolved-value"
    assert route["path"].endswith(".values.next_hop_in_ip_address")


# -- scan and reach on the plan -------------------------------------------------------------------

def test_scan_finds_rdp_open_to_the_internet_and_names_the_address() -> None:
    """EDGE001 is about the VM the internet reaches: the finding is located at the VM's
    address; the evidence names the rule that lets RDP in, itself located at the address
    of the standalone rule resource."""
    result = runner.invoke(app, ["scan", str(HUB_SPOKE), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    edge001 = [f for f in data["findings"] if f["check"] == "EDGE001"]
    assert len(edge001) == 1
    finding = edge001[0]
    assert finding["location"]["address"] == "module.spoke.azurerm_windows_virtual_machine.jump"
    assert finding["location"]["file"] == str(HUB_SPOKE)
    assert finding["resource"] == f"{ZERO}/Microsoft.Compute/virtualMachines/vm-jump"
    hops = finding["evidence"]["path"]
    assert hops[0] == {"kind": "public-ip", "resource": f"{NET}/publicIPAddresses/pip-jump",
                       "name": "pip-jump", "rule": None, "action": "translate",
                       "detail": "192.0.2.2 -> 10.1.1.10"}
    assert (hops[1]["kind"], hops[1]["name"], hops[1]["rule"]) == ("subnet-nsg-in", "nsg-web", "allow-rdp")
    estate = load_estate([HUB_SPOKE])
    deciding = next(r for r in one(estate, NetworkSecurityGroup, "nsg-web").rules
                    if r.name == hops[1]["rule"])
    assert deciding.source.address == "module.spoke.azurerm_network_security_rule.rdp"


def test_sarif_names_the_address_as_a_logical_location() -> None:
    result = runner.invoke(app, ["scan", str(HUB_SPOKE), "--format", "sarif", "--check", "EDGE001"])
    data = json.loads(result.stdout)
    locations = data["runs"][0]["results"][0]["locations"][0]
    assert locations["physicalLocation"]["artifactLocation"]["uri"] == str(HUB_SPOKE)
    assert {"name": "module.spoke.azurerm_windows_virtual_machine.jump",
            "fullyQualifiedName": "module.spoke.azurerm_windows_virtual_machine.jump",
            "kind": "module"} in locations["logicalLocations"]


def test_reach_follows_the_internet_to_the_vm() -> None:
    result = runner.invoke(app, ["reach", str(HUB_SPOKE), "--from", "internet", "--to", "vm-jump",
                                 "--protocol", "tcp", "--port", "3389", "--format", "json",
                                 "--input-format", "terraform"])
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["verdict"] == "allowed"
    assert data["witness"].endswith("-> 10.1.1.10:3389")
    closed = runner.invoke(app, ["reach", str(HUB_SPOKE), "--from", "internet", "--to", "vm-jump",
                                 "--protocol", "tcp", "--port", "22", "--format", "json"])
    assert json.loads(closed.stdout)["verdict"] == "denied"


# -- a state with every other mapped type ------------------------------------------------------------

def test_state_network_and_security(edge: Estate) -> None:
    subnet = {s.name: s for s in edge.subnets}
    assert len(subnet) == 7        # inline v3 subnets, standalone subnets (not twice)
    assert str(subnet["snet-agw"].address_prefixes[0]) == "10.2.0.0/24"
    assert subnet["snet-backend"].nsg_id.endswith("/networkSecurityGroups/nsg-backend")
    assert subnet["snet-backend"].route_table_id.endswith("/routeTables/rt-backend")
    assert subnet["snet-aks"].nat_gateway_id.endswith("/natGateways/ng-edge")
    assert subnet["snet-aks"].service_endpoints == ("Microsoft.Storage", "Microsoft.KeyVault")
    assert subnet["snet-pe"].private_endpoint_network_policies == "Enabled"
    assert subnet["AzureFirewallSubnet"].delegations == ("Microsoft.Web/serverFarms",)
    rules = {r.name: r for r in one(edge, NetworkSecurityGroup, "nsg-backend").rules}
    assert set(rules) == {"allow-agw", "allow-lb"}     # allow-lb listed inline and standalone
    assert rules["allow-lb"].source.address == "azurerm_network_security_rule.lb"
    assert [str(p) for p in rules["allow-agw"].destination_ports] == ["80", "8080-8081"]
    assert rules["allow-agw"].destination_asg_ids == (one(edge, ApplicationSecurityGroup, "asg-backend").id,)
    table = one(edge, RouteTable, "rt-backend")
    assert table.disable_bgp_route_propagation is True
    assert [(r.name, r.next_hop, r.next_hop_ip) for r in table.routes] == [
        ("default", NextHop.APPLIANCE, "10.2.253.4"), ("blackhole", NextHop.NONE, None)]
    assert one(edge, NatGateway, "ng-edge").public_ip_ids == (one(edge, PublicIp, "pip-lb").id,)
    nic = one(edge, NetworkInterface, "nic-backend")
    assert nic.nsg_id.endswith("/networkSecurityGroups/nsg-nic") and nic.ip_forwarding is True
    config = nic.ip_configurations[0]
    assert config.lb_backend_pool_ids == (one(edge, LoadBalancer, "lb-edge").backend_pools[0].id,)
    assert config.appgw_backend_pool_ids[0].endswith("/applicationGateways/agw-edge/backendAddressPools/web")
    assert config.lb_nat_rule_ids[0].endswith("/loadBalancers/lb-edge/inboundNatRules/ssh")


def test_state_edge_services(edge: Estate) -> None:
    lb = one(edge, LoadBalancer, "lb-edge")
    assert lb.sku == "Standard"
    assert lb.frontends[0].public_ip_id == one(edge, PublicIp, "pip-lb").id
    assert [(p.name, p.addresses) for p in lb.backend_pools] == [("pool-web", ("10.2.1.50",))]
    rule = lb.rules[0]
    assert (rule.frontend_id, rule.frontend_port, rule.backend_port) == (lb.frontends[0].id, 443, 8443)
    nat = lb.nat_rules[0]
    assert (nat.frontend_port, nat.backend_port) == (2222, 22)
    assert nat.backend_ip_configuration_id == one(edge, NetworkInterface, "nic-backend").ip_configurations[0].id
    gateway = one(edge, ApplicationGateway, "agw-edge")
    assert gateway.tier == "WAF_v2" and gateway.subnet_id.endswith("/subnets/snet-agw")
    assert [(listener.port, listener.protocol) for listener in gateway.listeners] == [(443, "Https")]
    assert gateway.listeners[0].frontend_id == gateway.frontends[0].id
    assert gateway.backend_ports == (8080,)
    assert gateway.waf_policy_id == one(edge, WafPolicy, "waf-edge").id
    waf = one(edge, WafPolicy, "waf-edge")
    assert (waf.enabled, waf.mode, waf.managed_rule_sets) == (True, "Prevention", ("OWASP_3.2",))
    firewall = one(edge, Firewall, "afw-edge")
    assert str(firewall.ip_configurations[0].private_ip) == "10.2.253.4"
    assert [c.name for c in firewall.nat_collections] == ["inbound"]
    assert firewall.nat_collections[0].rules[0].translated_port == 22
    assert firewall.network_collections[0].rules[0].source_ip_group_ids[0].endswith("/ipGroups/ipg-office")
    assert firewall.application_collections[0].rules[0].target_fqdns == ("*.ubuntu.com",)
    assert one(edge, BastionHost, "bas-edge").public_ip_id == one(edge, PublicIp, "pip-bastion").id
    vpn = one(edge, VirtualNetworkGateway, "vgw-edge")
    assert (vpn.gateway_type, [str(p) for p in vpn.vpn_client_prefixes]) == ("Vpn", ["172.16.200.0/24"])
    office = one(edge, LocalNetworkGateway, "lgw-office")
    assert [str(p) for p in office.address_space] == ["192.168.10.0/24"]
    connection = one(edge, Connection, "cn-office")
    assert (connection.gateway_id, connection.local_gateway_id) == (vpn.id, office.id)


def test_state_paas_monitoring_and_aks(edge: Estate) -> None:
    services = {s.name: s for s in edge.of(PaasService)}
    storage = services["stedge"]     # azurerm_storage_account_network_rules replaces network_rules
    assert (storage.default_action, storage.bypass) == ("Deny", ("AzureServices", "Logging"))
    assert [str(p) for p in storage.ip_rules] == ["198.51.100.0/24"]
    assert storage.vnet_subnet_ids[0].endswith("/subnets/snet-aks")
    vault = services["kv-edge"]
    assert (vault.public_network_access, vault.default_action) == ("Enabled", "Deny")
    sql = services["sql-edge"]
    assert [str(p) for p in sql.ip_rules] == ["198.51.100.1-198.51.100.20"]
    assert sql.bypass == ("AzureServices",) and sql.vnet_subnet_ids[0].endswith("/subnets/snet-aks")
    endpoint = one(edge, PrivateEndpoint, "pe-stedge")
    assert endpoint.target_ids == (storage.id,) and endpoint.group_ids == ("blob",)
    assert [str(p) for p in endpoint.private_ips] == ["10.2.2.4"]
    flow_log = one(edge, FlowLog, "fl-backend")
    assert flow_log.target_id == one(edge, NetworkSecurityGroup, "nsg-backend").id
    assert (flow_log.enabled, flow_log.retention_days, flow_log.traffic_analytics,
            flow_log.traffic_analytics_interval) == (True, 30, True, 10)
    assert flow_log.id.endswith("/networkWatchers/nw-westeurope/flowLogs/fl-backend")
    cluster = one(edge, AksCluster, "aks-edge")
    assert (cluster.network_plugin, cluster.network_policy, cluster.outbound_type) == (
        "azure", "calico", "userDefinedRouting")
    assert len(cluster.node_subnet_ids) == 1 and cluster.node_subnet_ids[0].endswith("/subnets/snet-aks")
    assert [str(p) for p in cluster.api_authorized_ranges] == ["198.51.100.0/24"]
    assert dict(edge.unknown_types) == {"Microsoft.Network/networkWatchers": 1}


# -- small plans written here -------------------------------------------------------------------

AZURERM = "registry.terraform.io/hashicorp/azurerm"


def resource(address: str, values: dict[str, Any], unknown: dict[str, Any] | None = None,
             expressions: dict[str, Any] | None = None, index: Any = None) -> dict[str, Any]:
    """One resource of a plan: its planned values, what is unknown, its expressions."""
    type_, name = address.split(".")[-2:]
    entry = {"address": address + (f"[{json.dumps(index)}]" if index is not None else ""),
             "mode": "managed", "type": type_, "name": name.split("[")[0],
             "provider_name": AZURERM if type_.startswith("azurerm_") else "registry.terraform.io/x/y",
             "values": values}
    if index is not None:
        entry["index"] = index
    created = {} if "id" in values else {"id": True}      # an existing resource has its ID
    return {"entry": entry, "unknown": {**created, **(unknown or {})},
            "config": {"address": f"{type_}.{name.split('[')[0]}", "mode": "managed", "type": type_,
                       "name": name.split("[")[0], "expressions": expressions or {}}}


def plan(*resources: dict[str, Any]) -> dict[str, Any]:
    configs: dict[str, dict[str, Any]] = {}
    for r in resources:
        configs.setdefault(r["config"]["address"], r["config"])
    return {
        "format_version": "1.2", "terraform_version": "1.11.4",
        "planned_values": {"root_module": {"resources": [r["entry"] for r in resources]}},
        "resource_changes": [{"address": r["entry"]["address"], "type": r["entry"]["type"],
                              "change": {"actions": ["create"], "after_unknown": r["unknown"]}}
                             for r in resources],
        "configuration": {"root_module": {"resources": list(configs.values())}},
    }


def refs(*targets: str) -> dict[str, Any]:
    found = []
    for target in targets:
        parts = target.split(".")
        found += [".".join(parts[:n]) for n in range(len(parts), 1, -1)]
    return {"references": found}


RG = {"resource_group_name": "rg", "location": "westeurope"}
VNET = resource("azurerm_virtual_network.v", {"name": "vnet", **RG, "address_space": ["10.9.0.0/16"]},
                {"subnet": True})
SUBNETS = [resource("azurerm_subnet.web", {"name": f"web-{i}", "resource_group_name": "rg",
                                            "virtual_network_name": "vnet",
                                            "address_prefixes": [f"10.9.{i}.0/24"]}, index=i)
           for i in (0, 1)]


def load(tmp_path: Path, document: Any, name: str = "plan.json") -> Estate:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return load_estate([path])


def nic(subnet_reference: dict[str, Any], index: Any = None, **extra: Any) -> dict[str, Any]:
    return resource("azurerm_network_interface.n", {
        "name": f"nic-{index}", **RG,
        "ip_configuration": [{"name": "ip", "private_ip_address": "10.9.0.10",
                              "private_ip_address_allocation": "Static"}]},
        {"ip_configuration": [{"subnet_id": True}]},
        {"ip_configuration": [{"name": {"constant_value": "ip"}, "subnet_id": subnet_reference}],
         **extra}, index=index)


def test_count_index_pairs_instances(tmp_path: Path) -> None:
    """`azurerm_subnet.web[count.index].id` keeps only `azurerm_subnet.web` and `count.index`
    in the JSON: the instance with the referrer's own index is meant."""
    paired = {"references": ["azurerm_subnet.web", "count.index"]}
    estate = load(tmp_path, plan(VNET, *SUBNETS, nic(paired, 0), nic(paired, 1)))
    by_nic = {n.name: n.ip_configurations[0].subnet_id for n in estate.nics}
    assert by_nic == {f"nic-{i}": f"/subscriptions/{'0' * 8}-0000-0000-0000-{'0' * 12}/resourceGroups/rg"
                                  f"/providers/Microsoft.Network/virtualNetworks/vnet/subnets/web-{i}"
                      for i in (0, 1)}
    assert not warnings(estate, "unresolved-value")


@pytest.mark.parametrize("expression, why", [
    ({"references": ["azurerm_subnet.web", "each.value"]}, "an index computed from each.value"),
    (refs("azurerm_subnet.web[0].id", "azurerm_subnet.web[1].id"), "two unknown inputs"),
    (refs("azurerm_virtual_network.v.id"), "a VNet ID where a subnet ID belongs (a template)"),
    (refs("azurerm_subnet.web[0].address_prefixes"), "a prefix where an ID belongs"),
    ({"references": ["local.subnet_id"]}, "a local value"),
])
def test_what_cannot_be_told_stays_unresolved(tmp_path: Path, expression: dict[str, Any], why: str) -> None:
    estate = load(tmp_path, plan(VNET, *SUBNETS, nic(expression)))
    config = estate.nics[0].ip_configurations[0]
    assert config.subnet_id is None, why
    message = warnings(estate, "unresolved-value")["azurerm_network_interface.n"]
    assert message == "ip_configuration[0].subnet_id is unknown until apply; left unresolved"


def test_an_explicit_index_is_followed(tmp_path: Path) -> None:
    estate = load(tmp_path, plan(VNET, *SUBNETS, nic(refs("azurerm_subnet.web[1].id"))))
    assert estate.nics[0].ip_configurations[0].subnet_id.endswith("/subnets/web-1")


def test_association_with_a_target_outside_the_plan(tmp_path: Path) -> None:
    outside = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/x/subnets/y"
    estate = load(tmp_path, plan(
        resource("azurerm_network_security_group.n", {"name": "nsg", **RG, "security_rule": []}),
        resource("azurerm_subnet_network_security_group_association.a", {"subnet_id": outside},
                 {"network_security_group_id": True},
                 {"subnet_id": {"constant_value": outside},
                  "network_security_group_id": refs("azurerm_network_security_group.n.id")})))
    message = warnings(estate, "dangling-reference")["azurerm_subnet_network_security_group_association.a"]
    assert message == f"subnet NSG association: {outside} is not in the plan; left out"


def test_a_plan_without_azurerm_resources_is_warned(tmp_path: Path) -> None:
    estate = load(tmp_path, plan(resource("random_pet.p", {"length": 2})))
    assert dict(estate.unknown_types) == {"random_pet": 1}
    assert warnings(estate, "no-azure-resources")[str(tmp_path / "plan.json")] == \
        "no azurerm resource in this Terraform plan: nothing to analyse"


def test_builder_errors_name_the_terraform_address_and_attribute(tmp_path: Path) -> None:
    document = json.loads(HUB_SPOKE.read_text())
    spoke = document["planned_values"]["root_module"]["child_modules"][0]
    rdp = next(r for r in spoke["resources"] if r["address"].endswith("security_rule.rdp"))
    rdp["values"]["priority"] = 5000
    with pytest.raises(IngestError) as caught:
        load(tmp_path, document)
    where = caught.value.location
    assert where.address == "module.spoke.azurerm_network_security_rule.rdp"
    assert where.path == "planned_values.root_module.child_modules[0].resources[5].values.priority"
    assert caught.value.message == "5000 is outside the valid priorities 100-4096"


@pytest.mark.parametrize("rules, path, message", [
    ({1: {"priority": 5000}}, "security_rule[1].priority", "5000 is outside the valid priorities 100-4096"),
    ({2: {"source_address_prefix": "", "source_address_prefixes": ["10.0.0.0/8", "10.0.0.300"]}},
     "security_rule[2].source_address_prefixes[1]", None),
    ({0: {"destination_port_ranges": ["22", "x-y"], "destination_port_range": ""}},
     "security_rule[0].destination_port_ranges[1]", None),
])
def test_errors_in_inline_blocks_name_the_element(tmp_path: Path, rules: dict[int, dict[str, Any]],
                                                  path: str, message: str | None) -> None:
    """An inline block's attribute (and a list element of one) is located exactly: the
    block's node is kept by its view, list elements are indexed directly."""
    document = json.loads(HUB_SPOKE.read_text())
    nsg = document["planned_values"]["root_module"]["resources"][1]
    first = nsg["values"]["security_rule"][0]
    nsg["values"]["security_rule"] = [
        {**first, "name": f"rule-{i}", "priority": 1000 + i, **rules.get(i, {})} for i in range(3)]
    with pytest.raises(IngestError) as caught:
        load(tmp_path, document)
    where = caught.value.location
    assert where.address == "azurerm_network_security_group.shared"
    assert where.path == f"planned_values.root_module.resources[1].values.{path}"
    assert message is None or caught.value.message == message


# -- malformed input: one located error, exit 2 --------------------------------------------------

def _patched(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(json.loads(HUB_SPOKE.read_text()))
    *steps, last = [int(s) if s.isdigit() else s for s in path.split("/")]
    target = document
    for step in steps:
        target = target[step]
    target[last] = value
    return document


@pytest.mark.parametrize("document, forced, expected", [
    ('{"format_version": "1.2", "planned_values": {', False, "{file}:1:"),
    ([{"id": "/subscriptions/s"}], True,
     "{file}: not a Terraform plan or state: expected the JSON object that `terraform show -json` prints"),
    ({"format_version": "1.2"}, True, ("{file}: not a Terraform plan or state: it has neither "
                                       "'planned_values' (a plan) nor 'values' (a state); run "
                                       "`terraform show -json`")),
    (_patched("format_version", "2.0"), False,
     "{file}: format_version: format '2.0' is not one this version reads (0.x or 1.x)"),
    (_patched("planned_values/root_module/resources", {"x": 1}), False,
     "{file}: planned_values.root_module.resources: expected a list, found an object"),
    (_patched("planned_values/root_module/resources/0", "azurerm_resource_group.hub"), False,
     "{file}: planned_values.root_module.resources[0]: expected a resource object"),
    (_patched("planned_values/root_module/resources/1/type", None), False,
     "{file}: planned_values.root_module.resources[1].type: is required"),
    (_patched("planned_values/root_module/child_modules/0/address", "spoke"), False,
     "{file}: planned_values.root_module.child_modules[0].address: 'spoke' is not a module address"),
    (_patched("planned_values/root_module/resources/2/values", [1]), False,
     "{file}: planned_values.root_module.resources[2].values: expected an object (the resource's attributes)"),
])
def test_malformed_plans_exit_2_with_a_located_message(tmp_path: Path, document: Any, forced: bool,
                                                       expected: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    args = ["validate", str(path), *(["--input-format", "terraform"] if forced else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    output = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
    assert expected.format(file=path) in output, output


def test_ids_of_the_plan_keep_their_case_insensitive_identity(hub: Estate) -> None:
    web = one(hub, Subnet, "snet-web")
    assert hub.get(web.id.upper()) is web and ids.key(web.id) in {ids.key(s.id) for s in hub.subnets}


# -- the mapping ---------------------------------------------------------------------------------

MAPPED = (  # the types issue 5 names
    "virtual_network", "subnet", "network_security_group", "network_security_rule",
    "subnet_network_security_group_association", "network_interface",
    "network_interface_security_group_association",
    "network_interface_application_security_group_association", "application_security_group",
    "public_ip", "route_table", "route", "subnet_route_table_association",
    "virtual_network_peering", "firewall", "firewall_policy",
    "firewall_policy_rule_collection_group", "firewall_network_rule_collection",
    "firewall_nat_rule_collection", "application_gateway", "web_application_firewall_policy", "lb",
    "lb_backend_address_pool", "lb_rule", "lb_nat_rule",
    "network_interface_backend_address_pool_association", "private_endpoint", "storage_account",
    "storage_account_network_rules", "key_vault", "mssql_server", "mssql_firewall_rule",
    "network_watcher_flow_log", "linux_virtual_machine", "windows_virtual_machine", "bastion_host",
    "virtual_network_gateway", "local_network_gateway", "kubernetes_cluster",
)


def test_every_required_type_is_translated_into_a_type_the_builder_reads() -> None:
    from netwarden.ingest.build import KNOWN_TYPES
    from netwarden.ingest.terraform import KINDS

    for name in MAPPED:
        kind = KINDS[f"azurerm_{name}"]
        assert kind.translate is not None, name
        merged = kind.arm in ("association", "part") or kind.arm.lower() in (
            "microsoft.network/loadbalancers/backendaddresspools",
            "microsoft.network/loadbalancers/loadbalancingrules")
        assert merged or kind.arm.lower() in KNOWN_TYPES, (name, kind.arm)


def test_resources_added_to_an_existing_estate_get_its_subscription(tmp_path: Path) -> None:
    """A provider works in one subscription: what the plan creates gets the subscription of
    the IDs it already knows, so that a diff against the state pairs the same resources."""
    existing = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg"
    vnet = resource("azurerm_virtual_network.v", {
        "id": f"{existing}/providers/Microsoft.Network/virtualNetworks/vnet", "name": "vnet", **RG,
        "address_space": ["10.9.0.0/16"], "subnet": []})
    subnet = resource("azurerm_subnet.web", {"name": "web", "resource_group_name": "rg",
                                             "virtual_network_name": "vnet",
                                             "address_prefixes": ["10.9.1.0/24"]})
    nsg = resource("azurerm_network_security_group.n", {"name": "nsg", **RG, "security_rule": []})
    association = resource("azurerm_subnet_network_security_group_association.a", {},
                           {"subnet_id": True, "network_security_group_id": True},
                           {"subnet_id": refs("azurerm_subnet.web.id"),
                            "network_security_group_id": refs("azurerm_network_security_group.n.id")})
    estate = load(tmp_path, plan(vnet, subnet, nsg, association))
    web = one(estate, Subnet, "web")
    assert web.id == f"{existing}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/web"
    assert web.nsg_id == f"{existing}/providers/Microsoft.Network/networkSecurityGroups/nsg"
    assert not estate.diagnostics


def test_a_mangled_reference_or_bypass_list_is_a_located_input_error(tmp_path: Path) -> None:
    """Found by the mutation fuzzer: a storage account ID given as a list (in
    azurerm_storage_account_network_rules) and a bypass list holding a list are input
    errors naming the resource, not crashes."""
    from netwarden.ingest import IngestError, load_estate

    plan = json.loads((FIXTURES / "edge-paas.state.json").read_text())

    def resources(node: object) -> list[dict]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "azurerm_storage_account_network_rules":
                found.append(node)
            for value in node.values():
                found += resources(value)
        elif isinstance(node, list):
            for value in node:
                found += resources(value)
        return found

    rules = resources(plan)
    assert rules, "the fixture has storage account network rules"
    for mangle in (lambda v: v.update(storage_account_id=[v["storage_account_id"]]),
                   lambda v: v.update(bypass=[["AzureServices"]])):
        broken = json.loads(json.dumps(plan))
        mangle(resources(broken)[0]["values"])
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(broken))
        with pytest.raises(IngestError) as caught:
            load_estate([path])
        assert "azurerm_storage_account_network_rules" in str(caught.value)
