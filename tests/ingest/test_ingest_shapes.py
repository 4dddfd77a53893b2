"""The shapes real exports come in: envelopes, directories, comments, any casing, children
inline or standalone, duplicates, and references to what the export does not hold."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.ingest import load_estate
from netwarden.model import (
    ApplicationGateway,
    ApplicationSecurityGroup,
    Direction,
    NetworkSecurityGroup,
    Peering,
    Prefix,
    PublicIp,
    PublicIpSku,
    RouteTable,
    ServiceTag,
    Subnet,
)

FIXTURES = Path(__file__).parent / "fixtures"
BASELINE: list[dict[str, Any]] = json.loads((FIXTURES / "estate.json").read_text())
RG = "/subscriptions/sub1/resourceGroups/rg-net/providers/Microsoft.Network"
VNET_ID = f"{RG}/virtualNetworks/vnet-hub"
NSG_ID = f"{RG}/networkSecurityGroups/nsg-web"


def write(directory: Path, name: str, document: Any) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def ids(resources: Any) -> list[str]:
    return sorted(r.id for r in resources)


# -- envelopes ---------------------------------------------------------------------------------

ENVELOPES = {
    "JSON array (az ... list -o json)": lambda resources: resources,
    "REST list response {value: [...]}": lambda resources: {"value": resources, "nextLink": None},
    "Resource Graph {data: [...]}": lambda resources: {"count": len(resources), "data": resources,
                                                      "skip_token": None},
}


@pytest.mark.parametrize("wrap", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_every_envelope_gives_the_same_estate(wrap: Any, tmp_path: Path) -> None:
    plain = load_estate([FIXTURES / "estate.json"])
    wrapped = load_estate([write(tmp_path, "wrapped.json", wrap(copy.deepcopy(BASELINE)))])
    assert ids(wrapped) == ids(plain)
    assert wrapped.counts() == plain.counts()
    assert wrapped.diagnostics == []


def test_single_resource_object() -> None:
    estate = load_estate([FIXTURES / "single-asg.json"])
    [asg] = estate.of(ApplicationSecurityGroup)
    assert (asg.name, asg.region) == ("asg-web", "westeurope")
    assert asg.source.file == str(FIXTURES / "single-asg.json") and asg.source.path == ""


def test_rest_list_response() -> None:
    estate = load_estate([FIXTURES / "rest-list.json"])
    pips = {p.name: p for p in estate.of(PublicIp)}
    assert pips["pip-web"].sku is PublicIpSku.STANDARD
    assert pips["pip-web"].address == Prefix.parse("20.1.2.3")
    assert pips["pip-web"].source.path == "value[0]"
    assert pips["pip-old"].sku is PublicIpSku.BASIC     # no SKU in the export: Basic
    assert pips["pip-old"].address is None              # dynamic, not allocated


def test_resource_graph_rows_with_lower_cased_types() -> None:
    estate = load_estate([FIXTURES / "resource-graph.json"])
    [nsg] = estate.nsgs
    assert nsg.type == "microsoft.network/networksecuritygroups"    # kept as written
    assert nsg.tags == {"env": "prod"}
    assert [(r.name, r.priority, r.destination_ports[0].lo) for r in nsg.rules] == [
        ("deny-rdp", 100, 3389)]
    [table] = estate.of(RouteTable)
    assert table.disable_bgp_route_propagation is True
    assert estate.unknown_types == {}
    assert estate.get(NSG_ID) is nsg       # Resource Graph lower-cases IDs too


def test_directory_is_walked_recursively_and_merges_children() -> None:
    """split/: VNet with an inline subnet + a standalone subnet; NSG with an inline rule
    (in a {value} envelope) + a standalone rule; notes.txt is not an estate file."""
    split = FIXTURES / "split"
    estate = load_estate([split])
    assert estate.sources == tuple(str(split / p) for p in (
        "nested/deeper/nsg.json", "nested/deeper/rule-deny-rdp.json",
        "nested/subnet-app.json", "vnet.json"))
    [vnet] = estate.vnets                   # input order: files sorted by path
    assert [s.name for s in estate.subnets_of(vnet)] == ["snet-app", "snet-web"]
    assert vnet.subnet_ids == (f"{VNET_ID}/subnets/snet-app", f"{VNET_ID}/subnets/snet-web")
    [nsg] = estate.nsgs
    assert [r.name for r in nsg.effective_rules(Direction.INBOUND)][:2] == ["allow-https",
                                                                           "deny-rdp"]
    web = estate.get(f"{VNET_ID}/subnets/snet-web", Subnet)
    assert web is not None and estate.get(web.nsg_id) is nsg
    assert estate.diagnostics == []


# -- comments --------------------------------------------------------------------------------


def test_comments_are_tolerated_and_strings_left_alone() -> None:
    estate = load_estate([FIXTURES / "commented.json"])
    [nsg] = estate.nsgs
    [rule] = nsg.rules
    assert rule.description == "see http://x and /* not a comment */ // nor this"
    assert (rule.priority, rule.destination_ports[0].lo) == (100, 443)
    assert rule.sources == (ServiceTag("Internet"),)


def test_multi_line_strings_as_in_arm_templates(tmp_path: Path) -> None:
    path = tmp_path / "multiline.json"
    path.write_text('// comment\n[{"id": "/subscriptions/s/resourceGroups/g/providers/'
                    'Microsoft.Network/applicationSecurityGroups/a",\n "tags": {"note": "two\n'
                    'lines"}}]')
    [asg] = load_estate([path]).of(ApplicationSecurityGroup)
    assert asg.tags == {"note": "two\nlines"}


# -- case-insensitive IDs and property names ------------------------------------------------


def test_reference_in_other_casing_resolves() -> None:
    estate = load_estate([FIXTURES / "estate.json"])
    [subnet] = estate.subnets
    assert subnet.nsg_id == ("/subscriptions/SUB1/resourceGroups/RG-NET/providers/"
                             "microsoft.network/NetworkSecurityGroups/NSG-WEB")    # as written
    nsg = estate.get(subnet.nsg_id, NetworkSecurityGroup)
    assert nsg is not None and nsg.name == "nsg-web"
    assert estate.diagnostics == []       # no dangling-reference for the odd casing


def test_property_names_in_odd_casing(tmp_path: Path) -> None:
    nsg = {
        "id": NSG_ID, "Name": "nsg-web", "TYPE": "Microsoft.Network/networkSecurityGroups",
        "Properties": {"SecurityRules": [{
            "NAME": "allow-https",
            "PROPERTIES": {"Protocol": "TCP", "DestinationPortRange": "443",
                           "sourceaddressprefix": "internet", "DestinationAddressPrefix": "*",
                           "Access": "allow", "Priority": "100", "Direction": "INBOUND"}}]},
    }
    [loaded] = load_estate([write(tmp_path, "odd.json", [nsg])]).nsgs
    [rule] = loaded.rules
    assert rule.name == "allow-https" and rule.priority == 100
    assert rule.direction is Direction.INBOUND
    assert rule.destination_ports[0].lo == 443
    assert rule.source.path == "[0].Properties.SecurityRules[0]"    # located as written


# -- inline and standalone children ------------------------------------------------------------


def test_inline_and_standalone_children_all_present(tmp_path: Path) -> None:
    standalone = [
        {"id": f"{VNET_ID}/subnets/snet-app", "name": "snet-app",
         "type": "Microsoft.Network/virtualNetworks/subnets",
         "properties": {"addressPrefix": "10.0.2.0/24"}},
        {"id": f"{NSG_ID}/securityRules/deny-rdp", "name": "deny-rdp",
         "type": "Microsoft.Network/networkSecurityGroups/securityRules",
         "properties": {"protocol": "Tcp", "destinationPortRange": "3389",
                        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                        "access": "Deny", "priority": 300, "direction": "Inbound"}},
    ]
    estate = load_estate([FIXTURES / "estate.json", write(tmp_path, "children.json", standalone)])
    [nsg] = estate.nsgs
    assert [r.name for r in nsg.rules] == ["allow-https", "allow-ssh-from-bastion", "deny-rdp"]
    assert [r.name for r in nsg.effective_rules(Direction.INBOUND)][:3] == [
        "allow-ssh-from-bastion", "allow-https", "deny-rdp"]         # by priority
    [vnet] = estate.vnets
    assert [s.name for s in estate.subnets_of(vnet)] == ["snet-web", "snet-app"]
    assert estate.get(f"{NSG_ID}/securityRules/deny-rdp") is nsg.rules[2]
    assert estate.diagnostics == []


def test_same_resource_inline_and_standalone_merges(tmp_path: Path) -> None:
    """A subnet exported inside its VNet and again on its own (az network vnet subnet list)
    is one subnet, even with volatile fields (etag) differing and IDs in other casing."""
    inline = BASELINE[0]["properties"]["subnets"][0]
    again = {**copy.deepcopy(inline), "etag": 'W/"2"',
             "properties": {**copy.deepcopy(inline["properties"]), "provisioningState": "Updating",
                            "routeTable": {"id": inline["properties"]["routeTable"]["id"].upper()}}}
    document = [*copy.deepcopy(BASELINE), again]
    estate = load_estate([write(tmp_path, "twice.json", document)])
    assert len(estate.subnets) == 1
    assert estate.counts()["Microsoft.Network/virtualNetworks/subnets"] == 1
    assert estate.diagnostics == []


def test_conflicting_duplicate_across_files_warns_and_keeps_the_first(tmp_path: Path) -> None:
    """Two files = two snapshots: the first NSG is kept, with none of the second's rules."""
    later = copy.deepcopy(BASELINE[1])
    later["properties"]["securityRules"].append(
        {"name": "allow-rdp", "properties": {
            "protocol": "Tcp", "destinationPortRange": "3389", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*", "access": "Allow", "priority": 300,
            "direction": "Inbound"}})
    second = write(tmp_path, "later.json", [later])
    estate = load_estate([FIXTURES / "estate.json", second])
    [nsg] = estate.nsgs
    assert [r.name for r in nsg.rules] == ["allow-https", "allow-ssh-from-bastion"]
    assert estate.get(f"{NSG_ID}/securityRules/allow-rdp") is None
    [warning] = estate.diagnostics
    assert warning.code == "conflicting-duplicate"
    assert str(warning) == (f"{second}: [0]: conflicting duplicate of {NSG_ID} (first at "
                            f"{FIXTURES / 'estate.json'}: [1]): properties.securityRules differs; "
                            "the first is kept")


def test_identical_duplicate_across_files_merges_silently(tmp_path: Path) -> None:
    copy_of = write(tmp_path, "copy.json", BASELINE)
    estate = load_estate([FIXTURES / "estate.json", copy_of])
    assert estate.counts() == load_estate([FIXTURES / "estate.json"]).counts()
    assert estate.diagnostics == []


# -- references outside the input -----------------------------------------------------------------


def test_dangling_references_are_warnings(tmp_path: Path) -> None:
    without_nsg = [r for r in copy.deepcopy(BASELINE) if r["id"] != NSG_ID]
    path = write(tmp_path, "partial.json", without_nsg)
    estate = load_estate([path])
    [subnet] = estate.subnets
    assert [(d.code, d.level.value, d.location.path, d.message) for d in estate.diagnostics] == [
        ("dangling-reference", "warning", "[0].properties.subnets[0]",
         f"snet-web: nsg_id refers to {subnet.nsg_id}, which is not in the input")]
    assert estate.get(subnet.nsg_id) is None          # kept as written, unresolved
    assert len(estate.vnets) == 1 and len(estate.nics) == 1   # the rest loads


def test_standalone_child_without_its_parent_is_an_orphan(tmp_path: Path) -> None:
    rule = {"id": f"{RG}/networkSecurityGroups/gone/securityRules/r", "name": "r",
            "properties": {"protocol": "*"}}
    estate = load_estate([write(tmp_path, "orphan.json", [rule])])
    assert [(d.code, d.message) for d in estate.diagnostics] == [
        ("orphan", f"r: its parent {RG}/networkSecurityGroups/gone is not in the input; ignored")]
    assert len(estate) == 0


def test_unknown_types_are_counted_not_fatal(tmp_path: Path) -> None:
    dns = {"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/dnszones/x.com",
           "type": "Microsoft.Network/dnszones", "properties": {"anything": [1, {"goes": None}]}}
    estate = load_estate([write(tmp_path, "dns.json", [dns, dns])])
    assert estate.unknown_types == {"Microsoft.Network/dnszones": 1}    # duplicates merge


# -- the official samples' quirks ------------------------------------------------------------------


def test_official_peering_sample_without_type_loads() -> None:
    estate = load_estate([FIXTURES / "peering-without-type.json"])
    [peering] = estate.of(Peering)
    assert peering.type == "Microsoft.Network/virtualNetworks/virtualNetworkPeerings"
    assert peering.vnet_id == ("/subscriptions/subid/resourceGroups/peerTest/providers/"
                               "Microsoft.Network/virtualNetworks/vnet1")
    assert peering.remote_address_space == (Prefix.parse("12.0.0.0/8"),)
    assert peering.allow_forwarded_traffic and peering.allow_virtual_network_access
    assert {d.code for d in estate.diagnostics} == {"dangling-reference"}   # vnet1, vnet2


def test_application_gateway_backend_addresses_as_bare_strings(tmp_path: Path) -> None:
    """The REST example lists backendAddresses as strings, not {"ipAddress": ...}."""
    gateway = {
        "id": f"{RG}/applicationGateways/agw", "type": "Microsoft.Network/applicationGateways",
        "properties": {"backendAddressPools": [
            {"name": "strings", "properties": {"backendAddresses": ["10.0.0.1", "10.0.0.2"]}},
            {"name": "objects", "properties": {"backendAddresses": [
                {"ipAddress": "10.0.0.3"}, {"fqdn": "app.contoso.com"}]}}]},
    }
    [loaded] = load_estate([write(tmp_path, "agw.json", [gateway])]).of(ApplicationGateway)
    assert [(p.name, p.addresses) for p in loaded.backend_pools] == [
        ("strings", ("10.0.0.1", "10.0.0.2")), ("objects", ("10.0.0.3", "app.contoso.com"))]
