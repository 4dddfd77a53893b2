"""Property tests: whatever JSON the loader is fed, it either loads it or raises the
project's own IngestError (which the CLI turns into one located line and exit 2).
A TypeError, KeyError, AttributeError ... escaping from here is a bug in ingest/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.ingest import IngestError, load_estate

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS_LIVE = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "live"

# Words the loader looks for, so that random objects often look like resources.
AZURE_KEYS = [
    "id", "name", "type", "properties", "value", "data", "location", "tags", "sku",
    "subnets", "securityRules", "routes", "ipConfigurations", "addressPrefix",
    "addressPrefixes", "addressSpace", "networkSecurityGroup", "subnet", "priority",
    "protocol", "direction", "access", "sourceAddressPrefix", "destinationPortRange",
    "destinationPortRanges", "nextHopType", "nextHopIpAddress", "ruleCollections", "rules",
    "virtualNetworkPeerings", "remoteVirtualNetwork", "privateIPAddress", "frontendPort",
    "loadBalancingRules", "inboundNatRules", "backendAddressPools", "backendAddresses",
    "frontendIPConfigurations", "httpListeners", "frontendPorts", "networkAcls", "ipRules",
    "firewallRules", "startIpAddress", "privateLinkServiceConnections", "networkProfile",
    "agentPoolProfiles", "targetResourceId", "retentionPolicy", "ipAddress", "port",
]
AZURE_STRINGS = [
    "", "*", "22", "80-70", "0-65535", "65536", "10.0.0.0/8", "10.0.0.300/24", "::/0",
    "10.0.0.1-10.0.0.9", "VirtualNetwork", "Tcp", "Allow", "Inbound", "VirtualAppliance",
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/n",
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v",
    "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s",
    "Microsoft.Network/networkSecurityGroups", "Microsoft.Network/virtualNetworks",
    "Microsoft.Network/routeTables", "Microsoft.Network/networkInterfaces",
    "Microsoft.Network/azureFirewalls", "Microsoft.Network/loadBalancers", "foo", "/foo",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()                       # NaN and Infinity too: Python's json reads them
    | st.text(max_size=12)
    | st.sampled_from(AZURE_STRINGS)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(AZURE_KEYS) | st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)

PROPERTY = settings(derandomize=True, max_examples=300, deadline=None)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "estate.json"


def load_or_input_error(path: Path) -> None:
    """Load; an IngestError is an accepted outcome, anything else fails the test."""
    try:
        estate = load_estate([path])
    except IngestError as exc:
        assert str(exc).startswith(str(path)), f"error is not located in the file: {exc}"
        return
    # What a loaded estate promises must hold too.
    estate.counts()
    for diagnostic in estate.diagnostics:
        str(diagnostic)


@PROPERTY
@given(document=json_values)
def test_arbitrary_json_loads_or_raises_input_error(scratch: Path, document: Any) -> None:
    scratch.write_text(json.dumps(document), encoding="utf-8")
    load_or_input_error(scratch)


# Objects with a plausible id and type and arbitrary properties reach every builder.
BUILT_TYPES = sorted({s for s in AZURE_STRINGS if s.startswith("Microsoft.")} | {
    "Microsoft.Network/applicationGateways", "Microsoft.Network/firewallPolicies",
    "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
    "Microsoft.Network/publicIPAddresses", "Microsoft.Network/privateEndpoints",
    "Microsoft.Sql/servers", "Microsoft.Storage/storageAccounts",
    "Microsoft.ContainerService/managedClusters", "Microsoft.Network/networkWatchers/flowLogs",
    "Microsoft.Network/virtualNetworkGateways", "Microsoft.Network/bastionHosts",
    "Microsoft.Network/virtualNetworks/subnets", "Microsoft.Network/connections",
    "Microsoft.Network/applicationGatewayWebApplicationFirewallPolicies",
})
resource_like = st.builds(
    lambda t, name, props: {"id": f"/subscriptions/s/resourceGroups/g/providers/{t}/{name}",
                            "type": t, "properties": props},
    st.sampled_from(BUILT_TYPES), st.sampled_from(["a", "b", "a/children/c"]),
    st.dictionaries(st.sampled_from(AZURE_KEYS), json_values, max_size=6),
)


@PROPERTY
@given(resources=st.lists(resource_like | json_values, min_size=1, max_size=3))
def test_arbitrary_resources_in_envelopes_load_or_raise_input_error(
        scratch: Path, resources: list[Any]) -> None:
    for document in (resources, {"value": resources}, {"data": resources}):
        scratch.write_text(json.dumps(document), encoding="utf-8")
        load_or_input_error(scratch)


# -- mutated real resources ------------------------------------------------------------------


def seed_files() -> list[Path]:
    """The real REST samples when the corpus is beside the checkout, else our fixtures."""
    files = sorted(CORPUS_LIVE.glob("*.json")) if CORPUS_LIVE.is_dir() else []
    return files or sorted(p for p in FIXTURES.rglob("*.json") if p.name != "commented.json")


SEEDS = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in seed_files()}


def _slots(value: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key-or-index) in a JSON value, parents before children."""
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((value, key))
            _slots(item, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index))
            _slots(item, found)
    return found


def _mangle(text: str, data: st.DataObject) -> str:
    how = data.draw(st.sampled_from(["drop-char", "upper", "garble", "append", "azure"]))
    if how == "drop-char" and text:
        at = data.draw(st.integers(0, len(text) - 1))
        return text[:at] + text[at + 1:]
    if how == "upper":
        return text.upper()
    if how == "garble":
        return data.draw(st.text(max_size=10))
    if how == "append":
        return text + data.draw(st.sampled_from(["/", "-1", "/33", "x", " ", "-"]))
    return data.draw(st.sampled_from(AZURE_STRINGS))


def mutate(document: Any, data: st.DataObject) -> Any:
    """Apply one random mutation at a random JSON path (or to the whole document)."""
    slots = _slots(document, [])
    if not slots:
        return data.draw(json_values)
    container, key = slots[data.draw(st.integers(0, len(slots) - 1))]
    current = container[key]
    how = data.draw(st.sampled_from(["delete", "replace", "change-string", "wrap-in-list",
                                     "wrap-in-ref", "duplicate"]))
    if how == "delete":
        del container[key]
    elif how == "replace":
        container[key] = data.draw(json_values)
    elif how == "change-string":
        container[key] = _mangle(current, data) if isinstance(current, str) \
            else data.draw(st.sampled_from(AZURE_STRINGS))
    elif how == "wrap-in-list":
        container[key] = [current]
    elif how == "wrap-in-ref":
        container[key] = {"id": current}
    elif isinstance(container, list):
        container.append(copy.deepcopy(current))
    else:
        container[data.draw(st.sampled_from(AZURE_KEYS))] = copy.deepcopy(current)
    return document


@PROPERTY
@given(seed=st.sampled_from(sorted(SEEDS)), mutations=st.integers(1, 4), data=st.data())
def test_mutated_real_resources_load_or_raise_input_error(
        scratch: Path, seed: str, mutations: int, data: st.DataObject) -> None:
    document = copy.deepcopy(SEEDS[seed])
    if data.draw(st.booleans()):
        document = data.draw(st.sampled_from([[document], {"value": [document]},
                                              {"data": [document]}]))
    for _ in range(mutations):
        document = mutate(document, data)
    scratch.write_text(json.dumps(document), encoding="utf-8")
    load_or_input_error(scratch)
