"""ARM deployment templates (``netwarden.ingest.arm``): the expression language and its
functions, copy loops, conditions, nested deployments, ``reference()``, what stays
unresolved (and is reported where it is), and the real templates of the reference corpus
(AKS baseline, Azure landing zone connectivity, quickstarts) down to single rules.

Resource IDs live in subscription 00000000-0000-0000-0000-000000000000, resource group
``rg-deployment`` (the defaults of the ARM adapter); the parameter files the corpus needs
are in ``fixtures/arm`` (see its README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.ingest import IngestError, load_estate
from netwarden.ingest.arm import ADAPTER
from netwarden.ingest.arm.expressions import ExpressionSyntaxError, parse
from netwarden.ingest.arm.hashing import arm_guid, unique_string
from netwarden.ingest.arm.template import Scope, TemplateLoader, default_target
from netwarden.ingest.arm.values import ID, STRING, Unresolved
from netwarden.ingest.interface import LoadOptions
from netwarden.model import (
    AksCluster,
    ApplicationGateway,
    Diagnostic,
    Estate,
    Firewall,
    FirewallPolicy,
    FirewallRuleKind,
    IpGroup,
    NetworkInterface,
    NetworkSecurityGroup,
    NextHop,
    Peering,
    PublicIp,
    RouteTable,
    RuleCollectionGroup,
    Subnet,
    VirtualNetwork,
    VirtualNetworkGateway,
)
from netwarden.model.values import Location

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"

SCHEMA = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
SUB_SCHEMA = "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000"
RG = f"{SUB}/resourceGroups/rg-deployment"
NET = f"{RG}/providers/Microsoft.Network"
FIXTURES = Path(__file__).parent / "fixtures" / "arm"
AKS_PARAMS = FIXTURES / "aks-baseline.parameters.json"
runner = CliRunner()


# -- helpers ---------------------------------------------------------------------------------

def evaluate(expression: str, parameters: dict[str, Any] | None = None,
             variables: dict[str, Any] | None = None, supplied: dict[str, Any] | None = None,
             schema: str = SCHEMA) -> Any:
    """The value of one expression, as a variable of a template with these declarations."""
    document = {"$schema": schema, "parameters": parameters or {},
                "variables": {**(variables or {}), "subject": expression}, "resources": []}
    loader = TemplateLoader(document, Location("t.json"), LoadOptions(), supplied or {})
    scope = Scope(loader, loader.root, default_target(schema), "t", supplied or {})
    return scope.variable("subject")


def template(*resources: dict[str, Any], schema: str = SCHEMA, **sections: Any) -> dict[str, Any]:
    return {"$schema": schema, "contentVersion": "1.0.0.0", **sections, "resources": list(resources)}


def load(tmp_path: Path, document: Any, parameters: dict[str, Any] | None = None) -> Estate:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    options = LoadOptions()
    if parameters is not None:
        params = tmp_path / "template.parameters.json"
        params.write_text(json.dumps({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {k: {"value": v} for k, v in parameters.items()}}), encoding="utf-8")
        options = LoadOptions(parameters=params)
    return load_estate([path], options=options)


def warned(estate: Estate, code: str | None = None) -> list[Diagnostic]:
    return [d for d in estate.diagnostics if code is None or d.code == code]


def warning_at(estate: Estate, path: str) -> Diagnostic:
    found = [d for d in estate.diagnostics if d.location.path == path]
    assert found, f"no warning at {path}; warnings: {[str(d) for d in estate.diagnostics]}"
    return found[0]


def ids_of(estate: Estate, cls: type) -> list[str]:
    return [r.id for r in estate.of(cls)]


def nsg(name: str, *rules: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-04-01",
            "name": name, "location": "westeurope",
            "properties": {"securityRules": list(rules)}, **extra}


def rule(name: str, priority: Any, port: Any = "22", source: Any = "Internet",
         access: str = "Allow") -> dict[str, Any]:
    return {"name": name, "properties": {
        "priority": priority, "direction": "Inbound", "access": access, "protocol": "Tcp",
        "sourceAddressPrefix": source, "sourcePortRange": "*",
        "destinationAddressPrefix": "*", "destinationPortRange": port}}


def vnet(name: str = "vnet", prefix: str = "10.0.0.0/16", **properties: Any) -> dict[str, Any]:
    return {"type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-04-01",
            "name": name, "location": "westeurope",
            "properties": {"addressSpace": {"addressPrefixes": [prefix]}, **properties}}


# -- the expression language -----------------------------------------------------------------

FUNCTIONS: dict[str, list[tuple[str, Any]]] = {
    "strings": [
        ("[concat('a', 'b', 1, true())]", "ab1True"),
        ("[format('{0}-{1:D3}-{{x}}', 'a', 7)]", "a-007-{x}"),
        ("[toLower('ABC')]", "abc"), ("[toUpper('abc')]", "ABC"),
        ("[replace('a-b-c', '-', '_')]", "a_b_c"),
        ("[split('a/b/c', '/')[1]]", "b"), ("[split('a,b;c', createArray(',', ';'))]", ["a", "b", "c"]),
        ("[substring('abcdef', 1, 3)]", "bcd"), ("[indexOf('abcABC', 'C')]", 2),
        ("[lastIndexOf('abcabc', 'b')]", 4), ("[padLeft('7', 3, '0')]", "007"),
        ("[trim('  x ')]", "x"), ("[startsWith('Abc', 'a')]", True), ("[endsWith('abc', 'BC')]", True),
        ("[contains('Hello', 'ell')]", True), ("[first('abc')]", "a"), ("[last('abc')]", "c"),
        ("[take('abcdef', 2)]", "ab"), ("[skip('abcdef', 4)]", "ef"),
        ("[join(createArray('a', 'b'), ',')]", "a,b"), ("[length('four')]", 4),
        ("[base64('hi')]", "aGk="), ("[base64ToString('aGk=')]", "hi"),
        ("[uri('https://example.com/a/', 'b')]", "https://example.com/a/b"),
        ("[uriComponent('a b/c')]", "a%20b%2Fc"),
    ],
    "arrays": [
        ("[createArray(1, 'a')]", [1, "a"]), ("[array('x')]", ["x"]),
        ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
        ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
        ("[intersection(createArray(1, 2, 3), createArray(2, 3, 4))]", [2, 3]),
        ("[first(createArray('x', 'y'))]", "x"), ("[last(createArray('x', 'y'))]", "y"),
        ("[take(createArray(1, 2, 3), 2)]", [1, 2]), ("[skip(createArray(1, 2, 3), 2)]", [3]),
        ("[contains(createArray(1, 2), 2)]", True), ("[indexOf(createArray('a', 'b'), 'b')]", 1),
        ("[range(5, 3)]", [5, 6, 7]), ("[length(range(0, 4))]", 4), ("[empty(createArray())]", True),
        ("[min(3, 1, 2)]", 1), ("[max(createArray(4, 9))]", 9),
        ("[flatten(createArray(createArray(1), createArray(2, 3)))]", [1, 2, 3]),
    ],
    "objects": [
        ("[createObject('a', 1).a]", 1), ("[length(createObject('a', 1, 'b', 2))]", 2),
        ("[union(createObject('a', createObject('x', 1)), createObject('a', createObject('y', 2)), createObject('b', 3))]",
         {"a": {"x": 1, "y": 2}, "b": 3}),
        ("[intersection(createObject('a', 1, 'b', 2), createObject('a', 1, 'b', 3))]", {"a": 1}),
        ("[contains(createObject('Key', 1), 'key')]", True), ("[empty(json('{}'))]", True),
        ("[items(createObject('b', 2, 'a', 1))]", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
        ("[objectKeys(createObject('a', 1))]", ["a"]),
        ("[json('{\"a\": [1, 2]}').a[1]]", 2), ("[json('null')]", None),
        ("[tryGet(createObject('a', 1), 'b')]", None), ("[coalesce(json('null'), 'z')]", "z"),
        ("[createObject('A', 1).a]", 1),
    ],
    "logic and comparison": [
        ("[if(equals(1, 1), 'y', 'n')]", "y"), ("[not(true())]", False),
        ("[and(true(), not(false()), or(false(), true()))]", True),
        ("[equals(createArray(1, 'a'), createArray(1, 'a'))]", True), ("[equals('A', 'a')]", False),
        ("[greater(2, 1)]", True), ("[greaterOrEquals(1, 1)]", True), ("[less('a', 'b')]", True),
        ("[lessOrEquals(3, 2)]", False), ("[bool('true')]", True), ("[bool(0)]", False),
        ("[empty('')]", True), ("[empty(null())]", True),
    ],
    "numbers and conversion": [
        ("[add(1, mul(2, 3))]", 7), ("[sub(1, 3)]", -2), ("[div(-7, 2)]", -3), ("[mod(7, 3)]", 1),
        ("[int('42')]", 42), ("[string(42)]", "42"), ("[string(true())]", "True"),
        ("[string(createObject('a', 1))]", '{"a":1}'), ("[json('[1]')]", [1]),
    ],
    "resource IDs and scope": [
        ("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v', 's')]",
         f"{NET}/virtualNetworks/v/subnets/s"),
        ("[resourceId('other-rg', 'Microsoft.Network/virtualNetworks', 'v')]",
         f"{SUB}/resourceGroups/other-rg/providers/Microsoft.Network/virtualNetworks/v"),
        ("[resourceId('sub', 'rg2', 'Microsoft.Network/virtualNetworks', 'v')]",
         "/subscriptions/sub/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v"),
        ("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r')]",
         f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/r"),
        ("[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p')]",
         "/providers/Microsoft.Authorization/policyDefinitions/p"),
        ("[extensionResourceId(resourceId('Microsoft.Network/virtualNetworks', 'v'), 'Microsoft.Authorization/locks', 'l')]",
         f"{NET}/virtualNetworks/v/providers/Microsoft.Authorization/locks/l"),
        ("[managementGroupResourceId('mg1', 'Microsoft.Authorization/policyDefinitions', 'p')]",
         "/providers/Microsoft.Management/managementGroups/mg1/providers/Microsoft.Authorization/policyDefinitions/p"),
        ("[resourceGroup().name]", "rg-deployment"), ("[resourceGroup().id]", RG),
        ("[subscription().subscriptionId]", "00000000-0000-0000-0000-000000000000"),
        ("[subscription().id]", SUB), ("[deployment().name]", "t"),
        ("[environment().suffixes.storage]", "core.windows.net"),
    ],
    "hashing": [
        ("[uniqueString('test')]", "rbgf3xv4ufgzg"),
        ("[uniqueString('hello', 'world')]", "a7wkljktk6wne"),
        ("[uniqueString(resourceGroup().id)]",
         unique_string("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-deployment")),
        ("[guid('a', 'b')]", arm_guid("a", "b")),
        ("[length(guid(resourceGroup().id))]", 36),
    ],
    "lambdas": [
        ("[map(range(0, 3), lambda('i', mul(lambdaVariables('i'), 2)))]", [0, 2, 4]),
        ("[filter(createArray(1, 2, 3, 4), lambda('n', greater(lambdaVariables('n'), 2)))]", [3, 4]),
        ("[reduce(createArray(1, 2, 3), 0, lambda('a', 'n', add(lambdaVariables('a'), lambdaVariables('n'))))]", 6),
        ("[sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]", [1, 2, 3]),
        ("[toObject(createArray('a'), lambda('k', lambdaVariables('k')), lambda('k', toUpper(lambdaVariables('k'))))]", {"a": "A"}),
    ],
    "networking": [
        ("[cidrSubnet('10.0.0.0/16', 24, 3)]", "10.0.3.0/24"),
        ("[cidrHost('10.0.1.0/24', 3)]", "10.0.1.4"),
        ("[parseCidr('10.0.1.0/24').broadcast]", "10.0.1.255"),
    ],
    "syntax": [
        ("[[notAnExpression]", "[notAnExpression]"), ("plain text", "plain text"),
        ("[concat('it''s', ' ok')]", "it's ok"),
        ("[\n  concat(\n    'a',\n    'b')\n]", "ab"),
        ("[createArray(createObject('k', createArray(10, 20)))[0].k[1]]", 20),
        ("[variables('other')[1]]", "y"), ("[parameters('withDefault')]", "dv"),
        ("[parameters('WITHDEFAULT')]", "dv"),
    ],
}


@pytest.mark.parametrize(("expression", "expected"), [
    pytest.param(e, v, id=f"{group}: {e}") for group, cases in FUNCTIONS.items() for e, v in cases])
def test_function(expression: str, expected: Any) -> None:
    value = evaluate(expression, {"withDefault": {"type": "string", "defaultValue": "dv"}},
                     {"other": ["x", "y"]})
    assert value == expected


def test_subscription_scope_functions() -> None:
    assert evaluate("[resourceId('Microsoft.Resources/resourceGroups', 'g')]", schema=SUB_SCHEMA) == \
        f"{SUB}/providers/Microsoft.Resources/resourceGroups/g"
    gone = evaluate("[resourceGroup().name]", schema=SUB_SCHEMA)
    assert isinstance(gone, Unresolved) and "subscription deployment" in gone.reason


@pytest.mark.parametrize(("text", "column"), [
    ("concat('a',", 13), ("concat('a' 'b')", 13), ("'unterminated", 2), ("1 +", 4), ("", 2),
    ("variables", 2), ("a.b(", 6),
])
def test_syntax_errors_name_the_column(text: str, column: int) -> None:
    with pytest.raises(ExpressionSyntaxError) as error:
        parse(text)
    assert error.value.column == column


def test_unresolved_values_carry_the_reason_and_a_placeholder() -> None:
    declared = {"p": {"type": "string"}}
    bare = evaluate("[parameters('p')]", declared)
    assert isinstance(bare, Unresolved) and "parameter 'p' has no value" in bare.reason
    named = evaluate("[concat('nsg-', parameters('p'), '-web')]", declared)
    assert isinstance(named, Unresolved) and (named.text, named.kind) == ("nsg-{p}-web", STRING)
    ref = evaluate("[resourceId('Microsoft.Network/routeTables', concat('rt-', parameters('p')))]",
                   declared)
    assert isinstance(ref, Unresolved) and ref.kind == ID
    assert ref.text == f"{NET}/routeTables/rt-{{p}}"
    # a decided branch does not need the unknown one
    assert evaluate("[and(false(), equals(parameters('p'), 'x'))]", declared) is False
    assert evaluate("[or(true(), equals(parameters('p'), 'x'))]", declared) is True
    assert evaluate("[if(true(), 'a', parameters('p'))]", declared) == "a"
    assert evaluate("[length(createArray(parameters('p'), 'b'))]", declared) == 2
    for expression, reason in [
        ("[resourceGroup().location]", "location is only known at deployment"),
        ("[utcNow()]", "changes with every deployment"),
        ("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 's'), '2023-01-01').keys]",
         "only known in Azure"),
        ("[reference(resourceId('Microsoft.Network/azureFirewalls', 'fw')).ipConfigurations]",
         "not in this template"),
        ("[createArray(1)[3]]", "index 3 is out of range"),
        ("[nope(1)]", "unknown function 'nope'"),
        ("[variables('missing')]", "declares no variable 'missing'"),
        ("[substring('abc', 2, 5)]", "outside a string"),
        ("[copyIndex()]", "outside a copy loop"),
    ]:
        value = evaluate(expression)
        assert isinstance(value, Unresolved) and reason in value.reason, (expression, value)


def test_unique_string_and_guid_match_azure() -> None:
    # published uniqueString() outputs, and guid() = uuid5 in ARM's namespace over "a-b"
    assert unique_string("foo", "bar", "baz") == "xzi4ioaxtmth4"
    assert unique_string("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg") \
        == "bmg7c6xu4tw46"
    assert unique_string("abc") == "cgtzqvhu4i23s"
    import uuid
    assert arm_guid("a", "b") == str(uuid.uuid5(uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830"), "a-b"))


# -- templates: loops, children, conditions --------------------------------------------------

def test_resource_copy_loop(tmp_path: Path) -> None:
    estate = load(tmp_path, template(
        {**nsg("[concat('nsg-', variables('tiers')[copyIndex()])]",
               rule("[concat('r', copyIndex(1))]", "[add(100, copyIndex())]")),
         "copy": {"name": "nsgLoop", "count": "[length(variables('tiers'))]"}},
        variables={"tiers": ["web", "app", "data"]}))
    groups = {g.name: g for g in estate.of(NetworkSecurityGroup)}
    assert sorted(groups) == ["nsg-app", "nsg-data", "nsg-web"]
    assert groups["nsg-app"].id == f"{NET}/networkSecurityGroups/nsg-app"
    assert [(r.name, r.priority) for r in groups["nsg-data"].rules] == [("r3", 102)]
    assert groups["nsg-data"].source.address == "nsgLoop[2]"
    assert not warned(estate)


def test_property_copy_loops(tmp_path: Path) -> None:
    ports = ["22", "3389", "443"]
    estate = load(tmp_path, template(
        vnet(copy=[{"name": "subnets", "count": "[length(variables('tiers'))]", "input": {
            "name": "[concat('snet-', variables('tiers')[copyIndex('subnets')])]",
            "properties": {"addressPrefix": "[cidrSubnet('10.0.0.0/16', 24, copyIndex('subnets'))]"}}}]),
        {"type": "Microsoft.Network/networkSecurityGroups", "name": "nsg-loop",
         "properties": {"copy": [{"name": "securityRules", "count": "[length(parameters('ports'))]",
                                  "input": rule("[concat('allow-', parameters('ports')[copyIndex('securityRules')])]",
                                                "[add(200, mul(10, copyIndex('securityRules')))]",
                                                port="[parameters('ports')[copyIndex('securityRules')]]",
                                                source="10.1.0.0/16")}]}},
        parameters={"ports": {"type": "array", "defaultValue": ports}},
        variables={"tiers": ["web", "app", "data"]}))
    assert [(s.name, s.address_prefixes[0].text) for s in estate.of(Subnet)] == [
        ("snet-web", "10.0.0.0/24"), ("snet-app", "10.0.1.0/24"), ("snet-data", "10.0.2.0/24")]
    assert estate.get(f"{NET}/virtualNetworks/vnet/subnets/snet-app", Subnet) is not None
    rules = estate.of(NetworkSecurityGroup)[0].rules
    assert [(r.name, r.priority, str(r.destination_ports[0])) for r in rules] == [
        ("allow-22", 200, "22"), ("allow-3389", 210, "3389"), ("allow-443", 220, "443")]


def test_variable_copy_loops() -> None:
    variables = {
        "copy": [{"name": "prefixes", "count": 3, "input": "[concat('10.', copyIndex('prefixes'), '.0.0/16')]"}],
        "subnetSet": {"copy": [{"name": "subnets", "count": 2,
                                "input": {"name": "[concat('s', copyIndex('subnets'))]"}}]},
    }
    assert evaluate("[variables('prefixes')]", variables=variables) == [
        "10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"]
    assert evaluate("[variables('subnetSet').subnets[1].name]", variables=variables) == "s1"


def test_child_resources_and_extension_resources(tmp_path: Path) -> None:
    estate = load(tmp_path, template(
        {**vnet(), "resources": [
            {"type": "subnets", "name": "snet-a", "properties": {"addressPrefix": "10.0.1.0/24"}},
            {"type": "Microsoft.Network/virtualNetworks/subnets", "name": "vnet/snet-b",
             "properties": {"addressPrefix": "10.0.2.0/24"}},
            {"type": "providers/diagnosticSettings", "name": "Microsoft.Insights/default",
             "properties": {"metrics": []}},
        ]},
        {"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {"routes": []}},
        {"type": "Microsoft.Network/routeTables/routes", "name": "rt/default",
         "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}},
        {"type": "Microsoft.Insights/diagnosticSettings", "name": "to-la",
         "scope": "[resourceId('Microsoft.Network/routeTables', 'rt')]", "properties": {}},
        {"type": "Microsoft.Network/networkSecurityGroups/providers/diagnosticSettings",
         "name": "nsg/Microsoft.Insights/legacy", "properties": {}},
        nsg("nsg")))
    assert sorted(s.id for s in estate.of(Subnet)) == [
        f"{NET}/virtualNetworks/vnet/subnets/snet-a", f"{NET}/virtualNetworks/vnet/subnets/snet-b"]
    assert estate.of(VirtualNetwork)[0].subnet_ids  # the builder attached both to the VNet
    table = estate.of(RouteTable)[0]
    assert [(r.id, r.next_hop) for r in table.routes] == [
        (f"{NET}/routeTables/rt/routes/default", NextHop.INTERNET)]
    assert estate.unknown_types["Microsoft.Insights/diagnosticSettings"] == 3
    path = tmp_path / "template.json"
    raws = ADAPTER.resources(json.loads(path.read_text()), Location(str(path)), LoadOptions())
    extension_ids = sorted(r.id for r in raws if r.type == "Microsoft.Insights/diagnosticSettings")
    assert extension_ids == [
        f"{NET}/networkSecurityGroups/nsg/providers/Microsoft.Insights/diagnosticSettings/legacy",
        f"{NET}/routeTables/rt/providers/Microsoft.Insights/diagnosticSettings/to-la",
        f"{NET}/virtualNetworks/vnet/providers/Microsoft.Insights/diagnosticSettings/default"]


def test_conditions(tmp_path: Path) -> None:
    estate = load(tmp_path, template(
        nsg("kept", condition="[equals(parameters('mode'), 'full')]"),
        nsg("skipped", condition="[not(equals(parameters('mode'), 'full'))]"),
        nsg("literal-false", condition=False),
        nsg("unknown", condition="[equals(parameters('unset'), 'x')]"),
        {**vnet(), "condition": False, "resources": [{"type": "subnets", "name": "s",
                                                 "properties": {"addressPrefix": "10.0.0.0/24"}}]},
        parameters={"mode": {"type": "string", "defaultValue": "full"}, "unset": {"type": "string"}}))
    assert sorted(g.name for g in estate.of(NetworkSecurityGroup)) == ["kept", "unknown"]
    assert not estate.of(VirtualNetwork) and not estate.of(Subnet)   # children go with the parent
    warning = warning_at(estate, "resources[3].condition")
    assert warning.code == "unresolved-value" and "loaded as if it were deployed" in warning.message


# -- nested deployments ----------------------------------------------------------------------

def deployment(name: str, resources: list[dict[str, Any]], scope: str | None = None,
               **extra: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {"mode": "Incremental", "template": {
        "$schema": SCHEMA, "contentVersion": "1.0.0.0", **extra.pop("inner", {}),
        "resources": resources}}
    if scope:
        properties["expressionEvaluationOptions"] = {"scope": scope}
    properties.update(extra.pop("properties", {}))
    return {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": name,
            "properties": properties, **extra}


def test_nested_deployment_inner_scope(tmp_path: Path) -> None:
    inner = deployment(
        "spoke", [{**vnet("[parameters('name')]", "[parameters('space')]"),
                   "properties": {"addressSpace": {"addressPrefixes": ["[parameters('space')]"]},
                                  "subnets": [{"name": "[variables('subnet')]", "properties": {
                                      "addressPrefix": "[cidrSubnet(parameters('space'), 24, 0)]"}}],
                                  "dhcpOptions": {"dnsServers": ["[resourceGroup().name]"]}}}],
        scope="inner", resourceGroup="rg-spoke",
        inner={"parameters": {"name": {"type": "string"}, "space": {"type": "string"},
                              "unused": {"type": "string", "defaultValue": "[variables('outer')]"}},
               "variables": {"subnet": "[concat('snet-', parameters('name'))]"},
               "outputs": {"vnetId": {"type": "string",
                                      "value": "[resourceId('Microsoft.Network/virtualNetworks', parameters('name'))]"}}},
        properties={"parameters": {"name": {"value": "[variables('spokeName')]"},
                                   "space": {"value": "10.9.0.0/16"}}})
    estate = load(tmp_path, template(
        inner,
        {**vnet("hub", "10.0.0.0/16"), "resources": [{
            "type": "virtualNetworkPeerings", "name": "to-spoke", "properties": {
                "remoteVirtualNetwork": {"id": "[reference('spoke').outputs.vnetId.value]"}}}]},
        variables={"spokeName": "vnet-spoke", "outer": "not visible inside"}))
    spoke = estate.get(f"{SUB}/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke",
                       VirtualNetwork)
    assert spoke is not None and [p.text for p in spoke.address_space] == ["10.9.0.0/16"]
    assert spoke.dns_servers == ("rg-spoke",)          # resourceGroup() is the nested target
    subnet = estate.of(Subnet)[0]
    assert (subnet.name, subnet.address_prefixes[0].text) == ("snet-vnet-spoke", "10.9.0.0/24")
    peering = estate.of(Peering)[0]
    assert peering.remote_vnet_id == spoke.id          # the nested deployment's output
    # inner scope: the outer variable is not visible to the nested template
    assert all("outer" not in d.message for d in estate.diagnostics), estate.diagnostics


def test_nested_deployment_outer_scope_and_subscription(tmp_path: Path) -> None:
    document = template(
        deployment("peer-back", [{
            "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
            "name": "[concat(parameters('hubName'), '/to-', variables('spoke'))]",
            "properties": {"remoteVirtualNetwork": {
                "id": "[resourceId('Microsoft.Network/virtualNetworks', variables('spoke'))]"}}}],
            resourceGroup="rg-hub"),
        deployment("sub-level", [{"type": "Microsoft.Resources/resourceGroups", "name": "rg-new",
                                  "location": "westeurope"}],
                   subscriptionId="22222222-2222-2222-2222-222222222222"),
        vnet("[variables('spoke')]"),
        parameters={"hubName": {"type": "string", "defaultValue": "vnet-hub"}},
        variables={"spoke": "vnet-spoke"})
    estate = load(tmp_path, document)
    peering = estate.of(Peering)[0]
    assert peering.id == ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/"
                          "Microsoft.Network/virtualNetworks/vnet-hub/virtualNetworkPeerings/to-vnet-spoke")
    # outer scope: resourceId() resolves in the parent's resource group
    assert peering.remote_vnet_id == f"{NET}/virtualNetworks/vnet-spoke"
    path = tmp_path / "template.json"
    raws = ADAPTER.resources(document, Location(str(path)), LoadOptions())
    assert "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-new" in {r.id for r in raws}


def test_linked_template_is_reported_and_skipped(tmp_path: Path) -> None:
    estate = load(tmp_path, template(
        {"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "linked",
         "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.com/t.json"}}},
        nsg("still-here")))
    assert [g.name for g in estate.of(NetworkSecurityGroup)] == ["still-here"]
    warning = warning_at(estate, "resources[0].properties.templateLink")
    assert warning.code == "linked-template" and "not read" in warning.message


# -- reference() and unresolved values -------------------------------------------------------

def nic(name: str, allocation: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Microsoft.Network/networkInterfaces", "name": name, "properties": {
        "ipConfigurations": [{"name": "ipconfig1", "properties": {
            "subnet": {"id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'nva')]"},
            **allocation}}]}}


def route_table(name: str, next_hop: str) -> dict[str, Any]:
    return {"type": "Microsoft.Network/routeTables", "name": name, "properties": {"routes": [
        {"name": "default", "properties": {"addressPrefix": "0.0.0.0/0",
                                           "nextHopType": "VirtualAppliance",
                                           "nextHopIpAddress": next_hop}}]}}


def test_reference_to_the_same_template(tmp_path: Path) -> None:
    estate = load(tmp_path, template(
        vnet(subnets=[{"name": "nva", "properties": {"addressPrefix": "10.0.0.0/24"}}]),
        nic("nic-static", {"privateIPAllocationMethod": "Static", "privateIPAddress": "10.0.0.4"}),
        nic("nic-dynamic", {"privateIPAllocationMethod": "Dynamic"}),
        route_table("rt-static", "[reference(resourceId('Microsoft.Network/networkInterfaces', "
                                 "'nic-static')).ipConfigurations[0].properties.privateIPAddress]"),
        route_table("rt-dynamic", "[reference('nic-dynamic', '2023-04-01').ipConfigurations[0]"
                                  ".properties.privateIPAddress]"),
        route_table("rt-full", "[reference(resourceId('Microsoft.Network/networkInterfaces', "
                               "'nic-static'), '2023-04-01', 'Full').properties.ipConfigurations[0]"
                               ".properties.privateIPAddress]")))
    tables = {t.name: t for t in estate.of(RouteTable)}
    assert tables["rt-static"].routes[0].next_hop_ip == "10.0.0.4"
    assert tables["rt-full"].routes[0].next_hop_ip == "10.0.0.4"
    # a dynamic address is assigned by Azure: the route cannot be built, and says why
    assert tables["rt-dynamic"].routes == ()
    cause = warning_at(estate, "resources[4].properties.routes[0].properties.nextHopIpAddress")
    assert "set by Azure at deployment" in cause.message and "left out" in cause.message
    dropped = warning_at(estate, "resources[4].properties.routes[0]")
    assert "nextHopIpAddress" in dropped.message and "could not be evaluated" in dropped.message


def test_missing_parameter_is_located_and_resources_still_load(tmp_path: Path) -> None:
    estate = load(tmp_path, template(
        {"type": "Microsoft.Network/routeTables", "name": "[concat('rt-', parameters('region'))]",
         "location": "[parameters('region')]",
         "properties": {"routes": [{"name": "to-internet", "properties": {
             "addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}}]}},
        vnet(subnets=[{"name": "s", "properties": {
            "addressPrefix": "10.0.0.0/24",
            "routeTable": {"id": "[resourceId('Microsoft.Network/routeTables', concat('rt-', parameters('region')))]"}}}],
            dhcpOptions={"dnsServers": ["[parameters('dns')]", "10.0.0.53"]}),
        parameters={"region": {"type": "string"}, "dns": {"type": "string"}}))
    declared = warning_at(estate, "parameters.region")
    assert declared.code == "missing-parameter" and "region" in declared.message
    table = estate.of(RouteTable)[0]
    assert table.name == "rt-{region}" and len(table.routes) == 1
    assert warning_at(estate, "resources[0].name").code == "unresolved-value"
    # the placeholder ID on both sides keeps the subnet linked to its route table
    assert estate.of(Subnet)[0].route_table_id == table.id
    assert estate.of(VirtualNetwork)[0].dns_servers == ("10.0.0.53",)
    dns = warning_at(estate, "resources[1].properties.dhcpOptions.dnsServers[0]")
    assert "parameter 'dns' has no value" in dns.message and "left out" in dns.message


def test_parameters_file(tmp_path: Path) -> None:
    document = template(nsg("[parameters('name')]", rule("ssh", "[parameters('priority')]")),
                        parameters={"name": {"type": "string", "defaultValue": "nsg-default"},
                                    "priority": {"type": "int", "defaultValue": 100}})
    estate = load(tmp_path, document, {"name": "nsg-given", "PRIORITY": 300})
    group = estate.of(NetworkSecurityGroup)[0]
    assert (group.name, group.rules[0].priority) == ("nsg-given", 300)
    # a Key Vault reference is not read: unresolved where it is used
    params = tmp_path / "kv.parameters.json"
    params.write_text(json.dumps({"parameters": {"name": {"reference": {
        "keyVault": {"id": "/subscriptions/x/resourceGroups/y/providers/Microsoft.KeyVault/vaults/v"},
        "secretName": "n"}}}}))
    estate = load_estate([tmp_path / "template.json"], options=LoadOptions(parameters=params))
    assert estate.of(NetworkSecurityGroup)[0].name == "{name}"
    assert "Key Vault reference" in warning_at(estate, "resources[0].name").message
    params.write_text(json.dumps({"parameters": {"name": "not an object"}}))
    with pytest.raises(IngestError) as error:
        load_estate([tmp_path / "template.json"], options=LoadOptions(parameters=params))
    assert error.value.location.path == "parameters.name"


# -- bad input -------------------------------------------------------------------------------

def test_expression_syntax_error_is_a_located_warning(tmp_path: Path) -> None:
    document = template(
        nsg("nsg-web", rule("ssh", 100), {**rule("rdp", "[add(200, ]", port="3389")}),
        nsg("[concat('nsg-', ]"),
        vnet(dhcpOptions={"dnsServers": ["[variables('broken')]"]}),
        variables={"broken": "[concat('a' 'b')]"})
    path = tmp_path / "template.json"
    path.write_text(json.dumps(document))
    estate = load_estate([path])
    syntax = warning_at(estate, "resources[0].properties.securityRules[1].properties.priority")
    assert syntax.code == "unresolved-value" and "does not parse" in syntax.message
    assert "column" in syntax.message
    # the rule that needs the value is left out, the rest of the NSG loads
    assert [r.name for r in estate.of(NetworkSecurityGroup)[0].rules] == ["ssh"]
    # a name that does not parse: the resource cannot be identified and is left out
    assert [g.name for g in estate.of(NetworkSecurityGroup)] == ["nsg-web"]
    assert "left out" in warning_at(estate, "resources[1]").message
    # a variable that does not parse is reported where it is, and where it is used
    assert "does not parse" in warning_at(estate, "variables.broken").message
    assert "does not parse" in warning_at(estate, "resources[2].properties.dhcpOptions.dnsServers[0]").message
    assert estate.of(VirtualNetwork)[0].dns_servers == ()
    result = runner.invoke(app, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert any("does not parse" in w["message"] for w in json.loads(result.stdout)["warnings"])


def test_invalid_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"$schema": "' + SCHEMA + '", "resources": [ {"type": ]}')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "invalid JSON" in result.stderr


def test_malformed_template_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"$schema": SCHEMA, "resources": {"oops": 1}}))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "resource object" in result.stderr
    path.write_text(json.dumps(template({"name": "no-type"})))
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "resources[0].type" in result.stderr


def test_detection_of_every_template_scope() -> None:
    for schema in (SCHEMA, SUB_SCHEMA,
                   "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#",
                   "https://schema.management.azure.com/schemas/2019-08-01/tenantDeploymentTemplate.json#"):
        assert ADAPTER.detect({"$schema": schema})
    assert not ADAPTER.detect({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#"})


# -- the reference corpus ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def arm() -> Path:
    folder = CORPUS / "arm"
    if not folder.is_dir():
        pytest.skip(f"reference corpus not found at {folder}")
    return folder


CORPUS_PARAMETERS = {
    "aks-baseline-cluster-stamp.json": AKS_PARAMS,
    "aks-baseline-hub-default.json": AKS_PARAMS,
    "aks-baseline-hub-regionA.json": AKS_PARAMS,
    "aks-baseline-spoke-BU0001A0008.json": AKS_PARAMS,
    "alz-hubspoke-connectivity.json": FIXTURES / "alz-hubspoke.parameters.json",
    "alz-nvahubspoke-connectivity.json": FIXTURES / "alz-nvahubspoke.parameters.json",
    "quickstart-bastion-hub-spoke-vnet.json": FIXTURES / "quickstart.parameters.json",
    "quickstart-nat-gateway-hub-spoke-firewall.json": FIXTURES / "quickstart.parameters.json",
}


def corpus(arm: Path, *names: str, parameters: Path | None = None) -> Estate:
    return load_estate([arm / n for n in names], options=LoadOptions(parameters=parameters))


@pytest.mark.parametrize("name", sorted(CORPUS_PARAMETERS))
def test_corpus_template_loads(arm: Path, name: str) -> None:
    estate = corpus(arm, name, parameters=CORPUS_PARAMETERS[name])
    assert len(estate) > 0
    for resource in estate:
        assert resource.id.startswith(("/subscriptions/", "/providers/")), resource.id
        assert "{" not in resource.id, resource.id    # everything named with the parameters given
    # with the defaults alone it loads too (required parameters: located warnings)
    bare = corpus(arm, name)
    missing = warned(bare, "missing-parameter")
    assert all(d.location.path.startswith("parameters.") for d in missing)


def rules_of(group: NetworkSecurityGroup) -> dict[str, Any]:
    return {r.name: r for r in group.rules}


def test_aks_baseline_hub_default(arm: Path) -> None:
    estate = corpus(arm, "aks-baseline-hub-default.json", parameters=AKS_PARAMS)
    assert not warned(estate)
    (bastion,) = estate.of(NetworkSecurityGroup)
    assert bastion.id == f"{NET}/networkSecurityGroups/nsg-eastus2-bastion"
    assert len(bastion.rules) == 11
    host = rules_of(bastion)["AllowBastionHostToHostInBound"]
    assert (host.priority, host.direction.value, [str(p) for p in host.destination_ports],
            [str(a) for a in host.sources]) == (130, "Inbound", ["8080", "5701"], ["VirtualNetwork"])
    assert not estate.of(RouteTable) and not estate.of(Peering)
    vnet_ = estate.get(f"{NET}/virtualNetworks/vnet-eastus2-hub", VirtualNetwork)
    assert vnet_ is not None and [p.text for p in vnet_.address_space] == ["10.200.0.0/24"]
    subnets = {s.name: s for s in estate.of(Subnet)}
    assert subnets["AzureBastionSubnet"].nsg_id == bastion.id
    assert [p.text for p in subnets["GatewaySubnet"].address_prefixes] == ["10.200.0.64/27"]
    assert sorted(p.name for p in estate.of(PublicIp)) == [
        "pip-fw-eastus2-01", "pip-fw-eastus2-02", "pip-fw-eastus2-default"]
    groups = estate.of(RuleCollectionGroup)
    assert len(groups) == 4 and sum(len(g.collections) for g in groups) == 1
    base = estate.get(f"{NET}/firewallPolicies/fw-policies-base/ruleCollectionGroups/"
                      "DefaultNetworkRuleCollectionGroup", RuleCollectionGroup)
    assert base is not None and base.priority == 200
    (dns,) = base.collections[0].rules
    assert (dns.name, [str(p) for p in dns.protocols], [str(p) for p in dns.destination_ports]) == (
        "DNS", ["udp"], ["53"])
    policy = estate.get(f"{NET}/firewallPolicies/fw-policies-eastus2", FirewallPolicy)
    assert policy is not None and policy.base_policy_id == f"{NET}/firewallPolicies/fw-policies-base"
    (firewall,) = estate.of(Firewall)
    assert firewall.policy_id == policy.id and len(firewall.ip_configurations) == 3
    assert firewall.ip_configurations[0].subnet_id == subnets["AzureFirewallSubnet"].id


def test_aks_baseline_hub_region_a(arm: Path) -> None:
    estate = corpus(arm, "aks-baseline-hub-regionA.json", parameters=AKS_PARAMS)
    assert len(estate.of(NetworkSecurityGroup)[0].rules) == 11
    groups = {g.name: g for g in estate.of(RuleCollectionGroup)
              if "fw-policies-eastus2" in g.id}
    assert sorted(groups) == ["DefaultApplicationRuleCollectionGroup",
                              "DefaultDnatRuleCollectionGroup", "DefaultNetworkRuleCollectionGroup"]
    application = groups["DefaultApplicationRuleCollectionGroup"]
    assert [(c.name, c.priority, len(c.rules)) for c in application.collections] == [
        ("AKS-Global-Requirements", 200, 3), ("Flux-Requirements", 300, 2)]
    flux = application.collections[1].rules[1]
    assert flux.kind is FirewallRuleKind.APPLICATION
    assert flux.target_fqdns[0] == "eastus2.dp.kubernetesconfiguration.azure.com"
    ip_group = f"{NET}/ipGroups/ipg-eastus2-AksNodepools"
    assert flux.source_ip_group_ids == (ip_group,)
    (network,) = groups["DefaultNetworkRuleCollectionGroup"].collections
    api = network.rules[0]
    assert (api.name, [str(d) for d in api.destinations], [str(p) for p in api.destination_ports]) == (
        "pod-to-api-server", ["AzureCloud.eastus2"], ["443"])
    # the IP group lists the spoke subnets' prefixes through reference(): another template
    group = estate.get(ip_group, IpGroup)
    assert group is not None and group.prefixes == ()
    warning = warning_at(estate, "resources[4].properties.copy[0].input")
    assert "not in this template" in warning.message


def test_aks_baseline_spoke(arm: Path) -> None:
    estate = corpus(arm, "aks-baseline-spoke-BU0001A0008.json", parameters=AKS_PARAMS)
    groups = {g.name.rsplit("-", 1)[-1]: g for g in estate.of(NetworkSecurityGroup)}
    assert {k: len(g.rules) for k, g in groups.items()} == {"nodepools": 0, "aksilbs": 0, "appgw": 5}
    control = rules_of(groups["appgw"])["AllowControlPlaneInBound"]
    assert (control.priority, [str(p) for p in control.destination_ports],
            [str(a) for a in control.sources]) == (110, ["65200-65535"], ["*"])
    web = rules_of(groups["appgw"])["Allow443InBound"]
    assert ([str(a) for a in web.sources], [str(a) for a in web.destinations]) == (
        ["Internet"], ["VirtualNetwork"])
    (table,) = estate.of(RouteTable)
    assert table.id == f"{NET}/routeTables/route-to-eastus2-hub-fw"
    # its one route goes to the hub firewall's private IP, known only in Azure: left out, said so
    assert table.routes == ()
    assert "not in this template" in warning_at(
        estate, "resources[0].properties.routes[0].properties.nextHopIpAddress").message
    subnets = {s.name: s for s in estate.of(Subnet)}
    assert subnets["snet-clusternodes"].route_table_id == table.id
    assert subnets["snet-applicationgateway"].route_table_id is None
    assert subnets["snet-clusternodes"].nsg_id == groups["nodepools"].id
    hub = f"{NET}/virtualNetworks/vnet-eastus2-hub"
    spoke = f"{NET}/virtualNetworks/vnet-spoke-BU0001A0008-00"
    peerings = {p.id: p.remote_vnet_id for p in estate.of(Peering)}
    assert peerings == {f"{spoke}/virtualNetworkPeerings/spoke-to-vnet-eastus2-hub": hub,
                        f"{hub}/virtualNetworkPeerings/hub-to-vnet-spoke-BU0001A0008-00": spoke}
    assert [p.name for p in estate.of(PublicIp)] == ["pip-BU0001A0008-00"]


def test_aks_baseline_hub_and_spoke_together(arm: Path) -> None:
    estate = corpus(arm, "aks-baseline-hub-regionA.json", "aks-baseline-spoke-BU0001A0008.json",
                    parameters=AKS_PARAMS)
    vnets = {v.name: v for v in estate.of(VirtualNetwork)}
    assert sorted(vnets) == ["vnet-eastus2-hub", "vnet-spoke-BU0001A0008-00"]
    assert len(vnets["vnet-eastus2-hub"].peering_ids) == 1     # made by the spoke's nested deployment
    assert len(vnets["vnet-spoke-BU0001A0008-00"].peering_ids) == 1
    assert not warned(estate, "dangling-reference")


def test_aks_baseline_spoke_without_parameters(arm: Path) -> None:
    estate = corpus(arm, "aks-baseline-spoke-BU0001A0008.json")
    assert {d.location.path for d in warned(estate, "missing-parameter")} == {
        "parameters.hubVnetResourceId", "parameters.location"}
    (table,) = estate.of(RouteTable)
    assert table.name == "route-to-{location}-hub-fw"
    assert {s.route_table_id for s in estate.of(Subnet)} == {table.id, None}
    assert len(estate.of(NetworkSecurityGroup)) == 3 and len(estate.of(Subnet)) == 3


def test_alz_hub_spoke_connectivity(arm: Path) -> None:
    params = FIXTURES / "alz-hubspoke.parameters.json"
    estate = corpus(arm, "alz-hubspoke-connectivity.json", parameters=params)
    assert not warned(estate)
    rg = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-vnet-hub-prod-eastus2"
    hub = estate.get(f"{rg}/providers/Microsoft.Network/virtualNetworks/vnet-hub-contoso-prod-eastus2",
                     VirtualNetwork)
    assert hub is not None and [p.text for p in hub.address_space] == ["10.100.0.0/16"]
    assert sorted((s.name, s.address_prefixes[0].text) for s in estate.of(Subnet)) == [
        ("AzureFirewallManagementSubnet", "10.100.1.0/24"), ("AzureFirewallSubnet", "10.100.0.0/24"),
        ("GatewaySubnet", "10.100.2.0/24")]
    assert not estate.of(NetworkSecurityGroup) and not estate.of(RouteTable)
    assert not estate.of(Peering) and not estate.of(RuleCollectionGroup)
    (policy,) = estate.of(FirewallPolicy)
    assert policy.name == "afwp-contoso-prod-eastus2" and policy.tier == "Standard"
    (firewall,) = estate.of(Firewall)
    assert firewall.policy_id == policy.id and firewall.tier == "Standard"
    assert firewall.ip_configurations[0].subnet_id == f"{hub.id}/subnets/AzureFirewallSubnet"
    (gateway,) = estate.of(VirtualNetworkGateway)
    assert gateway.name == "vpng-contoso-prod-eastus2" and gateway.gateway_type == "Vpn"
    assert len(estate.of(PublicIp)) == 3
    # with its defaults (enableHub "No") nothing is deployed
    assert len(corpus(arm, "alz-hubspoke-connectivity.json")) == 0


def test_alz_nva_hub_spoke_connectivity(arm: Path) -> None:
    estate = corpus(arm, "alz-nvahubspoke-connectivity.json",
                    parameters=FIXTURES / "alz-nvahubspoke.parameters.json")
    assert sorted(g.gateway_type for g in estate.of(VirtualNetworkGateway)) == ["ExpressRoute", "Vpn"]
    assert sorted(s.name for s in estate.of(Subnet)) == ["AzureFirewallSubnet", "GatewaySubnet"]
    assert not estate.of(Firewall) and len(estate.of(PublicIp)) == 3


def test_quickstarts(arm: Path) -> None:
    params = FIXTURES / "quickstart.parameters.json"
    bastion = corpus(arm, "quickstart-bastion-hub-spoke-vnet.json", parameters=params)
    assert sorted(v.name for v in bastion.of(VirtualNetwork)) == ["vnet-hub", "vnet-spoke"]
    assert sorted(p.name for p in bastion.of(Peering)) == ["peering-to-vnet-hub", "peering-to-vnet-spoke"]
    assert len(bastion.of(NetworkInterface)) == 1
    nat = corpus(arm, "quickstart-nat-gateway-hub-spoke-firewall.json", parameters=params)
    (table,) = nat.of(RouteTable)
    assert table.routes == ()     # next hop: the firewall's private IP, assigned by Azure
    assert len(nat.of(Peering)) == 2 and len(nat.of(Firewall)) == 1
    (group,) = nat.of(RuleCollectionGroup)
    assert group.collections and group.collections[0].rules


def test_aks_cluster_stamp(arm: Path) -> None:
    estate = corpus(arm, "aks-baseline-cluster-stamp.json", parameters=AKS_PARAMS)
    (cluster,) = estate.of(AksCluster)
    assert cluster.node_subnet_ids == (
        f"{NET}/virtualNetworks/vnet-spoke-BU0001A0008-00/subnets/snet-clusternodes",)
    assert len(estate.of(ApplicationGateway)) == 1


def test_scan_of_the_aks_spoke(arm: Path) -> None:
    """A spoke with an NSG on every subnet, no VM, and no flow logs: a reviewer expects the
    missing flow logs (MON001, one per NSG), and neither a subnet without NSG (SEG001) nor an
    exposed management port (EDGE001)."""
    result = runner.invoke(app, ["scan", str(arm / "aks-baseline-spoke-BU0001A0008.json"),
                                 "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    checks = [f["check"] for f in data["findings"]]
    assert checks.count("MON001") == 3
    assert "SEG001" not in checks and "EDGE001" not in checks
    assert all(f["resource"].startswith(f"{RG}/providers/") for f in data["findings"])
    assert {f["location"]["file"] for f in data["findings"]} == {
        str(arm / "aks-baseline-spoke-BU0001A0008.json")}
    assert any(w["code"] == "missing-parameter" for w in data["warnings"])
