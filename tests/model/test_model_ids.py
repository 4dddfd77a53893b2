"""ARM resource IDs: types, parents, names, and the case-insensitive key."""

from __future__ import annotations

import pytest

from netwarden.model.ids import key, name_from_id, parent_id, resource_group, type_from_id

SUB = "/subscriptions/subid/resourceGroups/rg1/providers"

IDS = {
    "NSG": (f"{SUB}/Microsoft.Network/networkSecurityGroups/testnsg",
            "Microsoft.Network/networkSecurityGroups", None, "testnsg"),
    "NSG rule": (f"{SUB}/Microsoft.Network/networkSecurityGroups/testnsg/securityRules/rule1",
                 "Microsoft.Network/networkSecurityGroups/securityRules",
                 f"{SUB}/Microsoft.Network/networkSecurityGroups/testnsg", "rule1"),
    "subnet": (f"{SUB}/Microsoft.Network/virtualNetworks/vnet1/subnets/default",
               "Microsoft.Network/virtualNetworks/subnets",
               f"{SUB}/Microsoft.Network/virtualNetworks/vnet1", "default"),
    "peering": (f"{SUB}/Microsoft.Network/virtualNetworks/vnet1/virtualNetworkPeerings/peer",
                "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                f"{SUB}/Microsoft.Network/virtualNetworks/vnet1", "peer"),
    "NIC ipConfiguration": (
        f"{SUB}/Microsoft.Network/networkInterfaces/test-nic/ipConfigurations/ipconfig1",
        "Microsoft.Network/networkInterfaces/ipConfigurations",
        f"{SUB}/Microsoft.Network/networkInterfaces/test-nic", "ipconfig1"),
    "flow log under a network watcher": (
        f"{SUB}/Microsoft.Network/networkWatchers/nw1/flowLogs/flowLog1",
        "Microsoft.Network/networkWatchers/flowLogs",
        f"{SUB}/Microsoft.Network/networkWatchers/nw1", "flowLog1"),
    "VM (another provider)": (f"{SUB}/Microsoft.Compute/virtualMachines/vm1",
                              "Microsoft.Compute/virtualMachines", None, "vm1"),
    "Resource Graph casing": (
        "/subscriptions/subid/resourcegroups/rg1/providers/microsoft.network/"
        "networksecuritygroups/nsg1", "microsoft.network/networksecuritygroups", None, "nsg1"),
    "trailing slash": (f"{SUB}/Microsoft.KeyVault/vaults/kv1/", "Microsoft.KeyVault/vaults",
                       None, "kv1"),
    "extension resource (last providers wins)": (
        f"{SUB}/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Authorization/locks/l",
        "Microsoft.Authorization/locks", None, "l"),
}


@pytest.mark.parametrize("resource_id, type_, parent, name", IDS.values(), ids=IDS.keys())
def test_real_ids(resource_id: str, type_: str, parent: str | None, name: str) -> None:
    assert type_from_id(resource_id) == type_
    assert parent_id(resource_id) == parent
    assert name_from_id(resource_id) == name


NOT_ARM = {"no slash": "foo", "root only": "/foo", "subscription": "/subscriptions/s",
           "resource group": "/subscriptions/s/resourceGroups/g",
           "provider without a name": f"{SUB}/Microsoft.Network/virtualNetworks",
           "child type without a name": f"{SUB}/Microsoft.Network/virtualNetworks/v/subnets",
           "empty": ""}


@pytest.mark.parametrize("resource_id", NOT_ARM.values(), ids=NOT_ARM.keys())
def test_ids_without_a_type(resource_id: str) -> None:
    assert type_from_id(resource_id) is None
    assert parent_id(resource_id) is None


def test_key_is_case_and_slash_insensitive() -> None:
    assert key(f"{SUB}/Microsoft.Network/VirtualNetworks/VNet1/") == \
        key(f"{SUB.upper()}/microsoft.network/virtualnetworks/vnet1")


def test_resource_group() -> None:
    assert resource_group(IDS["subnet"][0]) == "rg1"
    assert resource_group("/subscriptions/s/RESOURCEGROUPS/Net-RG/providers/x/y/z") == "Net-RG"
    assert resource_group("/subscriptions/s") is None
