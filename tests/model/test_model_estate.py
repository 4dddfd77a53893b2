"""The estate: lookup in any casing, typed collections, resolved relations, and the
dangling-reference warnings it raises about resources built in memory."""

from __future__ import annotations

from netwarden.model import (
    Estate,
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    Prefix,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from netwarden.model.values import Location

RG = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network"
VNET = VirtualNetwork(id=f"{RG}/virtualNetworks/v", name="v",
                      type="Microsoft.Network/virtualNetworks",
                      address_space=(Prefix.parse("10.0.0.0/16"),))
NSG = NetworkSecurityGroup(id=f"{RG}/networkSecurityGroups/nsg",
                           name="nsg", type="Microsoft.Network/networkSecurityGroups")
SUBNET = Subnet(id=f"{VNET.id}/subnets/web", name="web",
                type="Microsoft.Network/virtualNetworks/subnets",
                vnet_id=VNET.id.upper(), nsg_id=NSG.id.lower(),
                address_prefixes=(Prefix.parse("10.0.1.0/24"),))
CONFIG = IpConfiguration(id=f"{RG}/networkInterfaces/nic/ipConfigurations/ip1", name="ip1",
                         type="Microsoft.Network/networkInterfaces/ipConfigurations",
                         nic_id=f"{RG}/networkInterfaces/nic", subnet_id=SUBNET.id,
                         asg_ids=(f"{RG}/applicationSecurityGroups/ASG-WEB",),
                         private_ip=Prefix.parse("10.0.1.4"))
NIC = NetworkInterface(id=f"{RG}/networkInterfaces/nic", name="nic",
                       type="Microsoft.Network/networkInterfaces", ip_configurations=(CONFIG,),
                       vm_id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                             "virtualMachines/vm1",
                       source=Location("nics.json", "[0]"))


def estate() -> Estate:
    return Estate([VNET, NSG, SUBNET, NIC], sources=["mem"])


def test_get_in_any_casing_and_by_class() -> None:
    e = estate()
    assert e.get(NSG.id.upper()) is NSG
    assert e.get(f" {NSG.id}/ ") is NSG
    assert e.get(NSG.id, NetworkSecurityGroup) is NSG
    assert e.get(NSG.id, Subnet) is None                  # wrong class
    assert e.get(None) is None and e.get("") is None
    assert e.get(CONFIG.id) is CONFIG                     # child parts are indexed too
    assert CONFIG.id.upper() in e and f"{RG}/nothing/x" not in e


def test_collections_and_relations() -> None:
    e = estate()
    assert e.vnets == [VNET] and e.subnets == [SUBNET] and e.nics == [NIC] and e.nsgs == [NSG]
    assert e.subnets_of(VNET) == [SUBNET]                 # vnet_id written in upper case
    assert e.vnet_of(SUBNET) is VNET
    assert e.ip_configurations_in(SUBNET) == [CONFIG]
    assert e.nic_of(CONFIG) is NIC
    assert e.asg_members(f"{RG}/applicationSecurityGroups/asg-web") == [CONFIG]
    assert e.vm_of(NIC) is None
    assert [r.name for r in e.find("WEB")] == ["web"]
    assert len(e) == 4 and list(e) == [VNET, NSG, SUBNET, NIC]


def test_counts_include_child_parts() -> None:
    assert estate().counts() == {
        "Microsoft.Network/networkInterfaces": 1,
        "Microsoft.Network/networkInterfaces/ipConfigurations": 1,
        "Microsoft.Network/networkSecurityGroups": 1,
        "Microsoft.Network/virtualNetworks": 1,
        "Microsoft.Network/virtualNetworks/subnets": 1,
    }


def test_dangling_references_warn_once_each_and_skip_external_ones() -> None:
    e = estate()
    assert [(d.code, d.location, d.message) for d in e.diagnostics] == [
        ("dangling-reference", CONFIG.source,
         f"ip1: asg_ids refers to {RG}/applicationSecurityGroups/ASG-WEB, which is not in the "
         "input")]
    # vm_id points outside a network export by design: no warning for it


def test_vm_resolves_through_its_nic_list() -> None:
    vm = VirtualMachine(id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/"
                           "virtualMachines/vm1", name="vm1",
                        type="Microsoft.Compute/virtualMachines", nic_ids=(NIC.id.upper(),))
    e = Estate([NIC, vm])
    assert e.vm_of(NIC) is vm
