"""Every class of bad input gives one located error: the file, the JSON path (or line and
column), and what is wrong; the CLI prints it as one line and exits 2.

Most cases patch one JSON path of the valid baseline ``fixtures/estate.json``; the error
names that same path, so each case reads as "put this there, get this message".
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.ingest import IngestError, load_estate
from netwarden.model import LoadBalancer, PortRange

FIXTURES = Path(__file__).parent / "fixtures"
BASELINE = json.loads((FIXTURES / "estate.json").read_text(encoding="utf-8"))
NSG_ID = BASELINE[1]["id"]
SUBNET_ID = BASELINE[0]["properties"]["subnets"][0]["id"]
DELETE = object()

RULE = "[1].properties.securityRules[1].properties"      # allow-ssh-from-bastion
ROUTE = "[2].properties.routes[0].properties"
IPCONFIG = "[3].properties.ipConfigurations[0].properties"
SUBNET = "[0].properties.subnets[0].properties"


def patch(document: Any, path: str, value: Any) -> None:
    """Set (or, with DELETE, remove) the member at a JSON path like ``[1].properties.x[0]``;
    an index one past the end of a list appends."""
    steps: list[str | int] = [int(index) if index else name for name, index in
                              re.findall(r"\.?([^.\[\]]+)|\[(\d+)\]", path)]
    container = document
    for step in steps[:-1]:
        container = container[step]
    last = steps[-1]
    if value is DELETE:
        del container[last]
    elif isinstance(container, list) and last == len(container):
        container.append(value)
    else:
        container[last] = value


@dataclass(frozen=True)
class Bad:
    patches: dict[str, Any]
    where: str          # the JSON path the error names
    message: str        # what is wrong; "{file}" stands for the estate file


CASES: dict[str, Bad] = {
    # -- resources without identity -------------------------------------------------------
    "resource without id": Bad(
        {"[4].id": DELETE}, "[4].id", "resource has no 'id'"),
    "blank id": Bad(
        {"[4].id": "  "}, "[4].id", "resource has no 'id'"),
    "id that is not an ARM resource ID": Bad(
        {"[4].id": "foo"}, "[4].id", "'foo' is not an Azure resource ID"),
    "type neither given nor derivable from the id": Bad(
        {"[4].id": "/foo", "[4].type": DELETE}, "[4].type",
        "resource '/foo' has no 'type', and none can be derived from its ID"),
    "array element that is not an object": Bad(
        {"[5]": 42}, "[5]", "expected a resource object"),
    "inline child with neither id nor name": Bad(
        {"[0].properties.subnets[0].id": DELETE, "[0].properties.subnets[0].name": DELETE},
        "[0].properties.subnets[0].name", "is required"),
    "id that is an object": Bad(
        {"[4].id": {"id": "x"}}, "[4].id", "expected a string, found an object"),
    # -- structure --------------------------------------------------------------------------
    "properties that is a list": Bad(
        {"[1].properties": []}, "[1].properties", "expected an object, found a list"),
    "address space written as a string": Bad(
        {"[0].properties.addressSpace": "10.0.0.0/16"}, "[0].properties.addressSpace",
        "expected an object, found a string"),
    "security rules that are an object": Bad(
        {"[1].properties.securityRules": {"allow": {}}}, "[1].properties.securityRules",
        "expected a list, found an object"),
    "reference that is a number": Bad(
        {f"{SUBNET}.networkSecurityGroup": 7}, f"{SUBNET}.networkSecurityGroup",
        'expected a reference {"id": ...}, found a number'),
    "boolean that is not one": Bad(
        {f"{IPCONFIG}.primary": "yes"}, f"{IPCONFIG}.primary",
        "expected true or false, found 'yes'"),
    # -- addresses --------------------------------------------------------------------------
    "subnet prefix longer than /32": Bad(
        {f"{SUBNET}.addressPrefix": "10.0.1.0/33"}, f"{SUBNET}.addressPrefix",
        "'10.0.1.0/33' is not a valid address prefix"),
    "VNet address space with an octet above 255": Bad(
        {"[0].properties.addressSpace.addressPrefixes[0]": "10.0.300.0/16"},
        "[0].properties.addressSpace.addressPrefixes[0]",
        "'10.0.300.0/16' is not a valid address prefix"),
    "NSG rule destination prefix with trailing junk": Bad(
        {"[1].properties.securityRules[0].properties.destinationAddressPrefix": "10.0.1.0/24x"},
        "[1].properties.securityRules[0].properties.destinationAddressPrefix",
        "'10.0.1.0/24x' is not a valid address prefix"),
    "NSG rule source prefix list entry": Bad(
        {f"{RULE}.sourceAddressPrefixes": ["10.0.2.0/26", "10.0.2.64/26/1"]},
        f"{RULE}.sourceAddressPrefixes[1]", "'10.0.2.64/26/1' is not a valid address prefix"),
    "NSG rule source that is neither prefix nor tag": Bad(
        {f"{RULE}.sourceAddressPrefixes": ["Virtual Network"]},
        f"{RULE}.sourceAddressPrefixes[0]",
        "'Virtual Network' is not an address prefix or a service tag"),
    "reversed address range": Bad(
        {f"{RULE}.sourceAddressPrefixes": ["10.0.2.9-10.0.2.1"]},
        f"{RULE}.sourceAddressPrefixes[0]", "'10.0.2.9-10.0.2.1' is not a valid address prefix"),
    "NIC private IP with an octet above 255": Bad(
        {f"{IPCONFIG}.privateIPAddress": "10.0.1.400"}, f"{IPCONFIG}.privateIPAddress",
        "'10.0.1.400' is not a valid address prefix"),
    "rule with no source at all": Bad(
        {f"{RULE}.sourceAddressPrefixes": []}, f"{RULE}.sourceAddressPrefix",
        "is required: no source prefix or ASG given"),
    # -- ports ------------------------------------------------------------------------------
    "reversed port range": Bad(
        {f"{RULE}.destinationPortRange": "80-70"}, f"{RULE}.destinationPortRange",
        "'80-70' is not a valid port range"),
    "port above 65535": Bad(
        {f"{RULE}.destinationPortRange": "65536"}, f"{RULE}.destinationPortRange",
        "'65536' is not a valid port range"),
    "port given by name": Bad(
        {f"{RULE}.destinationPortRange": "ssh"}, f"{RULE}.destinationPortRange",
        "'ssh' is not a valid port range"),
    "negative port": Bad(
        {f"{RULE}.sourcePortRange": "-1"}, f"{RULE}.sourcePortRange",
        "'-1' is not a valid port range"),
    "bad entry in a port range list": Bad(
        {f"{RULE}.destinationPortRange": DELETE,
         f"{RULE}.destinationPortRanges": ["443", "8080-80"]},
        f"{RULE}.destinationPortRanges[1]", "'8080-80' is not a valid port range"),
    "rule without destination port": Bad(
        {f"{RULE}.destinationPortRange": DELETE}, f"{RULE}.destinationPortRange",
        "is required: no destination port given"),
    # -- protocol, priority, direction, access ----------------------------------------------
    "unknown protocol": Bad(
        {f"{RULE}.protocol": "Gre"}, f"{RULE}.protocol",
        "'Gre' is not a known protocol (Tcp, Udp, Icmp, Esp, Ah or *)"),
    "missing protocol": Bad(
        {f"{RULE}.protocol": DELETE}, f"{RULE}.protocol",
        "is required: expected a protocol (Tcp, Udp, Icmp, Esp, Ah or *)"),
    "priority below 100": Bad(
        {f"{RULE}.priority": 99}, f"{RULE}.priority",
        "99 is outside the valid priorities 100-4096"),
    "priority above 4096": Bad(
        {f"{RULE}.priority": 4097}, f"{RULE}.priority",
        "4097 is outside the valid priorities 100-4096"),
    "default-rule priority on a user rule": Bad(
        {f"{RULE}.priority": 65000}, f"{RULE}.priority",
        "65000 is outside the valid priorities 100-4096"),
    "priority that is not a number": Bad(
        {f"{RULE}.priority": "high"}, f"{RULE}.priority", "expected a whole number, found 'high'"),
    "fractional priority": Bad(
        {f"{RULE}.priority": 100.5}, f"{RULE}.priority", "expected a whole number, found 100.5"),
    "missing priority": Bad(
        {f"{RULE}.priority": DELETE}, f"{RULE}.priority", "is required: expected a priority"),
    "unknown direction": Bad(
        {f"{RULE}.direction": "Sideways"}, f"{RULE}.direction",
        "'Sideways' is not a direction (Inbound or Outbound)"),
    "unknown access": Bad(
        {f"{RULE}.access": "Maybe"}, f"{RULE}.access", "'Maybe' is not an access (Allow or Deny)"),
    # -- routes -----------------------------------------------------------------------------
    "unknown next hop type": Bad(
        {f"{ROUTE}.nextHopType": "Teleport"}, f"{ROUTE}.nextHopType",
        "'Teleport' is not a next-hop type (VnetLocal, VNetPeering, VirtualNetworkGateway, "
        "Internet, VirtualAppliance, None, VirtualNetworkServiceEndpoint)"),
    "appliance route without next-hop IP": Bad(
        {f"{ROUTE}.nextHopIpAddress": DELETE}, f"{ROUTE}.nextHopIpAddress",
        "is required for next hop VirtualAppliance"),
    "route to '*'": Bad(
        {f"{ROUTE}.addressPrefix": "*"}, f"{ROUTE}.addressPrefix",
        "'*' is not a valid route prefix"),
    # -- duplicates within one file ---------------------------------------------------------
    "conflicting duplicate of a resource": Bad(
        {"[5]": {**copy.deepcopy(BASELINE[1]), "properties": {"securityRules": []}}}, "[5]",
        f"conflicting duplicate of {NSG_ID} (first at {{file}}: [1]): "
        "properties.securityRules differs"),
    "standalone subnet contradicting the inline one": Bad(
        {"[5]": {"id": SUBNET_ID, "name": "snet-web",
                 "type": "Microsoft.Network/virtualNetworks/subnets",
                 "properties": {"addressPrefix": "10.0.9.0/24"}}}, "[5]",
        f"conflicting duplicate of {SUBNET_ID} (first at {{file}}: "
        "[0].properties.subnets[0]): properties.addressPrefix differs"),
}


def write_case(case: Bad, directory: Path) -> Path:
    document = copy.deepcopy(BASELINE)
    for path, value in case.patches.items():
        patch(document, path, value)
    target = directory / "estate.json"
    target.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return target


def test_baseline_is_valid() -> None:
    estate = load_estate([FIXTURES / "estate.json"])
    assert estate.diagnostics == []
    assert len(estate.nsgs) == 1 and len(estate.subnets) == 1


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_resource_is_located(case: Bad, tmp_path: Path) -> None:
    target = write_case(case, tmp_path)
    with pytest.raises(IngestError) as raised:
        load_estate([target])
    message = case.message.replace("{file}", str(target))
    assert str(raised.value) == f"{target}: {case.where}: {message}"
    assert raised.value.location.file == str(target)
    assert raised.value.location.path == case.where
    assert raised.value.message == message


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_cli_prints_one_located_line_and_exits_2(case: Bad, tmp_path: Path) -> None:
    target = write_case(case, tmp_path)
    result = CliRunner().invoke(app, ["validate", str(target)])
    assert result.exit_code == 2, result.output
    message = case.message.replace("{file}", str(target))
    assert result.stderr == f"error: {target}: {case.where}: {message}\n"
    assert result.stdout == ""


# -- file-level problems: located by file, and by line and column for syntax ------------------

FILE_CASES: dict[str, tuple[bytes, str]] = {
    "missing comma": (b'[\n  {"id": "/x"\n   "name": "n"}\n]\n',
                      ":3: column 4: invalid JSON: Expecting ',' delimiter"),
    "syntax error below comments keeps its line": (
        b'// exported by hand\n/* two\n   lines */\n[\n  {"id": }\n]\n',
        ":5: column 10: invalid JSON: Expecting value"),
    "unterminated string": (b'[{"id": "/x]', ":1: column 9: invalid JSON: Unterminated string "
                                               "starting at"),
    "empty file": (b"", ":1: column 1: invalid JSON: Expecting value"),
    "not UTF-8 (Latin-1 e-acute)": (b'[{"name": "caf\xe9"}]', ": not UTF-8 text (byte 14)"),
    "UTF-16 with a byte-order mark": ('[]'.encode("utf-16"), ": not UTF-8 text (byte 0)"),
    "integer of 5,000 digits": (b"[" + b"1" * 5000 + b"]",
                                ": invalid JSON: Exceeds the limit (4300 digits) for integer "
                                "string conversion: value has 5000 digits"),
    "nested 101 levels deep": (b"[" * 101 + b"]" * 101,
                               ": JSON nested too deeply (over 100 levels)"),
    "nested beyond the parser's recursion limit": (b"[" * 100_000 + b"]" * 100_000,
                                                   ": JSON nested too deeply (over 100 levels)"),
    "object that is not a resource": (b'{"hello": "world"}',
                                      ": not a recognised estate format (Azure resource JSON "
                                      "expected)"),
    "a bare number": (b"42", ": not a recognised estate format (Azure resource JSON expected)"),
    "a flow log": (b'{"records": []}',
                   ": a flow log (use `netwarden flows`) is not an estate format this version reads"),
    "envelope whose items are not objects": (b'{"value": ["x"]}', ": value[0]: expected a "
                                                                   "resource object"),
    "single object without id": (b'{"properties": {}}', ": id: resource has no 'id'"),
}


@pytest.mark.parametrize("content, located", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_bad_file_is_located(content: bytes, located: str, tmp_path: Path) -> None:
    target = tmp_path / "estate.json"
    target.write_bytes(content)
    with pytest.raises(IngestError) as raised:
        load_estate([target])
    assert str(raised.value) == f"{target}{located}"

    result = CliRunner().invoke(app, ["validate", str(target)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {target}{located}\n"


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-export.json"
    with pytest.raises(IngestError) as raised:
        load_estate([FIXTURES / "estate.json", missing])
    assert str(raised.value) == f"{missing}: no such file or directory"


def test_non_estate_file_in_a_directory_is_skipped_with_a_warning(tmp_path: Path) -> None:
    """In a directory, files that are not estates are skipped with a warning, not fatal."""
    (tmp_path / "PT1H.json").write_text('{"records": []}')
    (tmp_path / "estate.json").write_text((FIXTURES / "estate.json").read_text())
    estate = load_estate([tmp_path])
    assert [(d.code, str(d)) for d in estate.diagnostics] == [
        ("skipped-file", f"{tmp_path / 'PT1H.json'}: skipped: a flow log (use `netwarden flows`) "
                         "is not an estate format this version reads")]
    assert len(estate.nsgs) == 1


LB_ID = "/subscriptions/sub1/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb1"
LOAD_BALANCER = {
    "id": LB_ID, "name": "lb1", "type": "Microsoft.Network/loadBalancers",
    "properties": {
        "loadBalancingRules": [{"name": "https", "properties": {
            "protocol": "Tcp", "frontendPort": 443, "backendPort": 8443}}],
        "inboundNatRules": [{"name": "ssh-pool", "properties": {
            "protocol": "Tcp", "backendPort": 22,
            "frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50010}}],
    },
}
LB_RULE = "[0].properties.loadBalancingRules[0].properties"
NAT_RULE = "[0].properties.inboundNatRules[0].properties"
LB_CASES: dict[str, Bad] = {
    "load-balancing rule without backend port": Bad(
        {f"{LB_RULE}.backendPort": DELETE}, f"{LB_RULE}.backendPort",
        "is required: expected a port"),
    "load-balancing rule port above 65535": Bad(
        {f"{LB_RULE}.frontendPort": 70000}, f"{LB_RULE}.frontendPort",
        "70000 is not a valid port"),
    "load-balancing rule protocol": Bad(
        {f"{LB_RULE}.protocol": "Sctp"}, f"{LB_RULE}.protocol",
        "'Sctp' is not a known protocol (Tcp, Udp, Icmp, Esp, Ah or *)"),
    "NAT rule port range end below its start": Bad(
        {f"{NAT_RULE}.frontendPortRangeEnd": 49990}, f"{NAT_RULE}.frontendPortRangeEnd",
        "49990 is below frontendPortRangeStart 50000"),
}


def test_load_balancer_baseline_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "lb.json"
    path.write_text(json.dumps([LOAD_BALANCER]))
    [lb] = load_estate([path]).of(LoadBalancer)
    assert [(r.frontend_port, r.backend_port) for r in lb.rules] == [(443, 8443)]
    assert lb.nat_rules[0].frontend_port_range == PortRange(50000, 50010)


@pytest.mark.parametrize("case", LB_CASES.values(), ids=LB_CASES.keys())
def test_bad_load_balancer_is_located(case: Bad, tmp_path: Path) -> None:
    document = [copy.deepcopy(LOAD_BALANCER)]
    for path, value in case.patches.items():
        patch(document, path, value)
    target = tmp_path / "lb.json"
    target.write_text(json.dumps(document))
    with pytest.raises(IngestError) as raised:
        load_estate([target])
    assert str(raised.value) == f"{target}: {case.where}: {case.message}"
