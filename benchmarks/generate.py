"""Synthetic hub-and-spoke Azure estates for benchmarks (Azure resource JSON, as an
``az``/Resource Graph export would give).

One hub VNet holds an Azure Firewall (with a firewall policy and rule collection groups
of network rules); every spoke is peered both ways with the hub (forwarded traffic
allowed) and its subnets each carry an NSG (shared by ``subnets_per_nsg`` subnets) and a
route table sending 0.0.0.0/0 to the firewall. NICs sit in every subnet (with ASGs, a few
public IPs, Standard or Basic), and some spokes hold a storage account behind a private
endpoint.

    python benchmarks/generate.py --size large --seed 1 --out benchmarks/out/large
    python benchmarks/generate.py --size nsg1000 --seed 1 --out benchmarks/out/nsg1000

Importable: ``generate(size_or_params, seed) -> list[dict]`` and
``write(resources, out_dir)``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

SUB = "/subscriptions/11111111-2222-3333-4444-555555555555"
LOCATION = "westeurope"
HUB_RG = "rg-hub"
FW_IP = "10.0.1.4"


@dataclass(frozen=True)
class Params:
    spokes: int                 # spoke VNets (the hub is one more VNet)
    subnets: int                # workload subnets over all spokes (spread round-robin)
    nics_per_subnet: int
    nsg_rules: int              # user rules per NSG
    subnets_per_nsg: int = 2    # an NSG is shared by this many consecutive subnets
    fw_rules: int = 100         # network rules in the firewall policy
    asgs_per_spoke: int = 4
    asg_rule_share: float = 0.25   # share of NSG rules selecting by ASG
    inbound_share: float = 0.7     # share of NSG rules that are inbound
    public_ip_share: float = 0.02  # share of NICs with a public IP
    basic_ip_share: float = 0.3    # share of those public IPs that are Basic SKU
    private_endpoints: int = 4     # storage accounts, each behind one private endpoint
    vms: bool = True               # a VM resource per NIC (compute.json)
    big_nsg_rules: int = 0         # >0: one extra NSG with this many rules (compile benchmark)
    # False: the big NSG has no any-protocol/any-port rule, so no user rule can decide every
    # remaining packet and compilation walks all its rules (the worst case)
    big_nsg_catch_all: bool = False


SIZES: dict[str, Params] = {
    "small": Params(spokes=4, subnets=16, nics_per_subnet=6, nsg_rules=20, fw_rules=100,
                    private_endpoints=4),
    "medium": Params(spokes=19, subnets=200, nics_per_subnet=10, nsg_rules=30, fw_rules=500,
                     private_endpoints=20),
    "large": Params(spokes=99, subnets=2000, nics_per_subnet=10, nsg_rules=40, fw_rules=2000,
                    private_endpoints=100),
    # the small estate plus one 1,000-rule NSG (attached to nothing extra: compile benchmark)
    "nsg1000": Params(spokes=4, subnets=16, nics_per_subnet=6, nsg_rules=20, fw_rules=100,
                      private_endpoints=4, big_nsg_rules=1000),
}

TAGS = {"environment": "bench", "workload": "netwarden-benchmark", "costCenter": "cc-0001"}
# (protocol, destination port(s)) pairs seen in real NSGs, with weights
SERVICES: list[tuple[str, Any, int]] = [
    ("Tcp", "443", 20), ("Tcp", "80", 8), ("Tcp", "22", 6), ("Tcp", "3389", 4),
    ("Tcp", "1433", 5), ("Tcp", "5432", 4), ("Tcp", "3306", 3), ("Tcp", "6379", 2),
    ("Tcp", "8080", 5), ("Tcp", "8443", 3), ("Udp", "53", 3), ("Tcp", "53", 1),
    ("Udp", "123", 2), ("Tcp", "445", 2), ("Tcp", "5985-5986", 2), ("Tcp", "9000-9100", 2),
    ("Tcp", ["80", "443"], 5), ("Tcp", ["1433", "1434", "5022"], 1), ("*", "*", 3),
    ("Icmp", "*", 2), ("Tcp", "30000-32767", 1), ("Udp", "500", 1), ("Tcp", "27017", 1),
]
SVC_WEIGHTS = [w for _, _, w in SERVICES]
FW_PORTS = ["443", "80", "22", "1433", "5432", "8080", "53", "123", "3389", "445",
            "9000-9100", "6379", "5671-5672", "*"]
ROLES = ["web", "app", "data", "mgmt", "batch", "cache", "api", "jobs"]


def rid(rg: str, provider: str, *parts: str) -> str:
    return f"{SUB}/resourceGroups/{rg}/providers/{provider}/" + "/".join(parts)


def ref(i: str) -> dict[str, str]:
    return {"id": i}


def params_for(size: str | Params) -> Params:
    if isinstance(size, Params):
        return size
    try:
        return SIZES[size]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; one of {', '.join(SIZES)}") from None


class _Gen:
    def __init__(self, p: Params, seed: int) -> None:
        self.p = p
        self.rnd = random.Random(seed)
        self.out: list[dict] = []
        self.guid_n = 0
        self.no_catch_all = False

    def guid(self) -> str:
        self.guid_n += 1
        return f"{self.rnd.getrandbits(32):08x}-0000-4000-8000-{self.guid_n:012x}"

    # -- layout -------------------------------------------------------------------------------
    def run(self) -> list[dict]:
        p, rnd = self.p, self.rnd
        self.spoke_subnets: list[list[int]] = [[] for _ in range(p.spokes)]
        for i in range(p.subnets):
            self.spoke_subnets[i % p.spokes].append(len(self.spoke_subnets[i % p.spokes]))
        if any(len(s) > 250 for s in self.spoke_subnets):
            raise ValueError("at most 250 subnets per spoke (a /24 each in a /16)")
        if p.spokes > 250:
            raise ValueError("at most 250 spokes")
        # global subnet order: spoke by spoke; NSGs shared by consecutive subnets
        self.subnet_list = [(s, j) for s in range(p.spokes) for j in self.spoke_subnets[s]]
        self.nsg_of: dict[tuple[int, int], int] = {
            key: i // p.subnets_per_nsg for i, key in enumerate(self.subnet_list)}
        self.n_nsgs = (len(self.subnet_list) + p.subnets_per_nsg - 1) // p.subnets_per_nsg
        self.nsg_first_subnet: dict[int, tuple[int, int]] = {}
        for key, n in self.nsg_of.items():
            self.nsg_first_subnet.setdefault(n, key)
        self.pe_spokes = sorted(rnd.sample(range(p.spokes), min(p.private_endpoints, p.spokes))) \
            if p.private_endpoints <= p.spokes else \
            [i % p.spokes for i in range(p.private_endpoints)]
        self.pe_ips: dict[tuple[int, int], list[tuple[int, str]]] = {}
        self.asgs()
        self.nsgs()
        self.nics()          # before the VNets: subnets list their ipConfigurations
        self.paas()
        self.vnets()
        self.route_tables()
        self.firewall()
        return self.out

    def spoke_rg(self, s: int) -> str:
        return f"rg-spoke{s + 1:03d}"

    def vnet_id(self, s: int | None) -> str:
        if s is None:
            return rid(HUB_RG, "Microsoft.Network", "virtualNetworks", "vnet-hub")
        return rid(self.spoke_rg(s), "Microsoft.Network", "virtualNetworks", f"vnet-spoke{s + 1:03d}")

    def subnet_name(self, s: int, j: int) -> str:
        return f"snet-{ROLES[j % len(ROLES)]}-{j:03d}"

    def subnet_id(self, s: int, j: int) -> str:
        return f"{self.vnet_id(s)}/subnets/{self.subnet_name(s, j)}"

    def subnet_prefix(self, s: int, j: int) -> str:
        return f"10.{s + 1}.{j}.0/24"

    def nsg_id(self, n: int) -> str:
        s, _ = self.nsg_first_subnet.get(n, (0, 0))
        return rid(self.spoke_rg(s), "Microsoft.Network", "networkSecurityGroups", f"nsg-{n + 1:04d}")

    def asg_id(self, s: int, a: int) -> str:
        return rid(self.spoke_rg(s), "Microsoft.Network", "applicationSecurityGroups",
                   f"asg-spoke{s + 1:03d}-{ROLES[a % len(ROLES)]}")

    def rt_id(self, s: int) -> str:
        return rid(self.spoke_rg(s), "Microsoft.Network", "routeTables", f"rt-spoke{s + 1:03d}")

    # -- resources -----------------------------------------------------------------------------
    def asgs(self) -> None:
        for s in range(self.p.spokes):
            for a in range(self.p.asgs_per_spoke):
                i = self.asg_id(s, a)
                self.out.append({"id": i, "name": i.rsplit("/", 1)[1],
                                 "type": "Microsoft.Network/applicationSecurityGroups",
                                 "location": LOCATION, "tags": dict(TAGS, tier=ROLES[a % len(ROLES)]),
                                 "properties": {"provisioningState": "Succeeded",
                                                "resourceGuid": self.guid()}})

    def _address(self, s: int, j: int) -> str:
        rnd = self.rnd
        r = rnd.random()
        if r < 0.30:
            return self.subnet_prefix(s, rnd.choice(self.spoke_subnets[s]))
        if r < 0.45:
            return f"10.{s + 1}.0.0/16"
        if r < 0.60:
            return "VirtualNetwork"
        if r < 0.68:
            return f"192.168.{rnd.randrange(256)}.0/24"
        if r < 0.74:
            return f"10.{rnd.randrange(1, self.p.spokes + 1)}.{rnd.randrange(250)}.0/24"
        if r < 0.80:
            return "AzureLoadBalancer"
        if r < 0.86:
            return "Internet"
        if r < 0.92:
            return f"10.{s + 1}.{rnd.choice(self.spoke_subnets[s])}.{rnd.randrange(4, 250)}"
        return "*"

    def rule(self, nsg_id: str, k: int, priority: int, s: int, j: int, inbound: bool) -> dict:
        rnd, p = self.rnd, self.p
        proto, port, _ = rnd.choices(SERVICES, SVC_WEIGHTS)[0]
        while self.no_catch_all and proto == "*" and port == "*":
            proto, port, _ = rnd.choices(SERVICES, SVC_WEIGHTS)[0]
        access = "Allow" if rnd.random() < 0.8 else "Deny"
        direction = "Inbound" if inbound else "Outbound"
        props: dict[str, Any] = {"provisioningState": "Succeeded",
                                 "description": f"generated rule {k}", "protocol": proto,
                                 "sourcePortRange": "*"}
        if isinstance(port, list):
            props["destinationPortRanges"] = port
        else:
            props["destinationPortRange"] = port
        use_asg = rnd.random() < p.asg_rule_share and p.asgs_per_spoke > 0
        local = self.subnet_prefix(s, j)
        for side in ("source", "destination"):
            own_side = (side == "destination") == inbound   # the side the NSG protects
            if use_asg and (own_side or rnd.random() < 0.5):
                props[f"{side}ApplicationSecurityGroups"] = [
                    ref(self.asg_id(s, a)) for a in rnd.sample(range(p.asgs_per_spoke),
                                                               rnd.choice((1, 1, 1, 2)))]
            elif own_side and rnd.random() < 0.6:
                props[f"{side}AddressPrefix"] = rnd.choice((local, "*", "VirtualNetwork"))
            elif rnd.random() < 0.15:
                props[f"{side}AddressPrefixes"] = sorted({self._address(s, j) for _ in range(3)}
                                                         - {"*", "VirtualNetwork", "Internet",
                                                            "AzureLoadBalancer"}) or [local]
            else:
                props[f"{side}AddressPrefix"] = self._address(s, j)
        props.update(access=access, priority=priority, direction=direction)
        name = f"{access}-{proto}-{k:04d}-{direction}".replace("*", "Any")
        return {"name": name, "id": f"{nsg_id}/securityRules/{name}",
                "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                "properties": props}

    def nsg(self, nsg_id: str, n_rules: int, s: int, j: int, subnet_ids: list[str]) -> dict:
        rnd = self.rnd
        inbound_n = round(n_rules * self.p.inbound_share)
        rules = []
        for direction_n, inbound in ((inbound_n, True), (n_rules - inbound_n, False)):
            # priorities unique per direction (Azure's constraint), 100..4096
            prios = sorted(rnd.sample(range(100, 4096), direction_n))
            for k, prio in enumerate(prios):
                rules.append(self.rule(nsg_id, len(rules), prio, s, j, inbound))
            if direction_n and inbound:
                rules.append({"name": "DenyAllInbound", "id": f"{nsg_id}/securityRules/DenyAllInbound",
                              "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                              "properties": {"provisioningState": "Succeeded", "protocol": "*",
                                             "sourcePortRange": "*", "destinationPortRange": "*",
                                             "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                                             "access": "Deny", "priority": 4096,
                                             "direction": "Inbound"}})
        return {"id": nsg_id, "name": nsg_id.rsplit("/", 1)[1],
                "type": "Microsoft.Network/networkSecurityGroups", "location": LOCATION,
                "tags": dict(TAGS), "properties": {
                    "provisioningState": "Succeeded", "resourceGuid": self.guid(),
                    "securityRules": rules, "subnets": [ref(i) for i in subnet_ids]}}

    def nsgs(self) -> None:
        members: dict[int, list[str]] = {}
        for (s, j), n in self.nsg_of.items():
            members.setdefault(n, []).append(self.subnet_id(s, j))
        for n in range(self.n_nsgs):
            s, j = self.nsg_first_subnet[n]
            # user rules: nsg_rules minus the explicit DenyAllInbound
            self.out.append(self.nsg(self.nsg_id(n), max(self.p.nsg_rules - 1, 0), s, j, members[n]))
        if self.p.big_nsg_rules:
            i = rid(self.spoke_rg(0), "Microsoft.Network", "networkSecurityGroups", "nsg-big")
            self.no_catch_all = not self.p.big_nsg_catch_all
            self.out.append(self.nsg(i, self.p.big_nsg_rules - 1, 0, 0, []))
            self.no_catch_all = False

    def nics(self) -> None:
        p, rnd = self.p, self.rnd
        self.subnet_configs: dict[tuple[int, int], list[str]] = {}
        self.nic_names: list[str] = []
        vms: list[dict] = []
        pips: list[dict] = []
        for s, j in self.subnet_list:
            configs = self.subnet_configs.setdefault((s, j), [])
            role = j % len(ROLES)
            rg = f"rg-workload{s + 1:03d}"
            for k in range(p.nics_per_subnet):
                name = f"nic-s{s + 1:03d}-n{j:03d}-{k:03d}"
                nic_id = rid(rg, "Microsoft.Network", "networkInterfaces", name)
                cfg_id = f"{nic_id}/ipConfigurations/ipconfig1"
                configs.append(cfg_id)
                cp: dict[str, Any] = {
                    "provisioningState": "Succeeded", "privateIPAddress": f"10.{s + 1}.{j}.{k + 4}",
                    "privateIPAllocationMethod": "Static" if k % 3 == 0 else "Dynamic",
                    "subnet": ref(self.subnet_id(s, j)), "primary": True,
                    "privateIPAddressVersion": "IPv4"}
                if p.asgs_per_spoke:
                    asgs = [role % p.asgs_per_spoke]
                    if rnd.random() < 0.2:
                        asgs.append(rnd.randrange(p.asgs_per_spoke))
                    cp["applicationSecurityGroups"] = [ref(self.asg_id(s, a)) for a in sorted(set(asgs))]
                if rnd.random() < p.public_ip_share:
                    basic = rnd.random() < p.basic_ip_share
                    pip_id = rid(rg, "Microsoft.Network", "publicIPAddresses", f"pip-{name[4:]}")
                    cp["publicIPAddress"] = ref(pip_id)
                    n = len(pips)
                    pips.append({
                        "id": pip_id, "name": pip_id.rsplit("/", 1)[1],
                        "type": "Microsoft.Network/publicIPAddresses", "location": LOCATION,
                        "tags": dict(TAGS),
                        "sku": {"name": "Basic" if basic else "Standard", "tier": "Regional"},
                        "properties": {"provisioningState": "Succeeded", "resourceGuid": self.guid(),
                                       "ipAddress": f"20.{50 + n // 65536 % 100}.{n // 256 % 256}.{n % 256}",
                                       "publicIPAddressVersion": "IPv4",
                                       "publicIPAllocationMethod": "Dynamic" if basic else "Static",
                                       "idleTimeoutInMinutes": 4, "ipConfiguration": ref(cfg_id)}})
                vm_name = f"vm-{name[4:]}"
                vm_id = rid(rg, "Microsoft.Compute", "virtualMachines", vm_name)
                self.nic_names.append(name)
                self.out.append({
                    "id": nic_id, "name": name, "type": "Microsoft.Network/networkInterfaces",
                    "location": LOCATION, "tags": dict(TAGS, tier=ROLES[role]),
                    "properties": {
                        "provisioningState": "Succeeded", "resourceGuid": self.guid(),
                        "ipConfigurations": [{"name": "ipconfig1", "id": cfg_id,
                                              "type": "Microsoft.Network/networkInterfaces/ipConfigurations",
                                              "properties": cp}],
                        "dnsSettings": {"dnsServers": [], "appliedDnsServers": []},
                        "enableAcceleratedNetworking": True, "enableIPForwarding": False,
                        "nicType": "Standard", "primary": True,
                        **({"virtualMachine": ref(vm_id)} if p.vms else {})}})
                if p.vms:
                    vms.append({
                        "id": vm_id, "name": vm_name, "type": "Microsoft.Compute/virtualMachines",
                        "location": LOCATION, "tags": dict(TAGS, tier=ROLES[role]),
                        "properties": {"provisioningState": "Succeeded",
                                       "hardwareProfile": {"vmSize": "Standard_D2s_v5"},
                                       "networkProfile": {"networkInterfaces": [
                                           {"id": nic_id, "properties": {"primary": True}}]}}})
        self.out.extend(vms)
        self.out.extend(pips)

    def paas(self) -> None:
        for n, s in enumerate(self.pe_spokes):
            j = self.spoke_subnets[s][-1]
            rg = f"rg-data{s + 1:03d}"
            st_name = f"stbench{n:05d}{s + 1:03d}"
            st_id = rid(rg, "Microsoft.Storage", "storageAccounts", st_name)
            pe_name = f"pe-{st_name}-blob"
            pe_id = rid(rg, "Microsoft.Network", "privateEndpoints", pe_name)
            nic_id = rid(rg, "Microsoft.Network", "networkInterfaces", f"{pe_name}-nic")
            used = self.pe_ips.setdefault((s, j), [])
            ip = f"10.{s + 1}.{j}.{200 + len(used)}"
            used.append((len(used), ip))
            cfg_id = f"{nic_id}/ipConfigurations/privateEndpointIpConfig.{self.guid()}"
            self.subnet_configs[(s, j)].append(cfg_id)
            self.out.append({
                "id": st_id, "name": st_name, "type": "Microsoft.Storage/storageAccounts",
                "location": LOCATION, "tags": dict(TAGS), "kind": "StorageV2",
                "sku": {"name": "Standard_ZRS", "tier": "Standard"},
                "properties": {
                    "provisioningState": "Succeeded",
                    "publicNetworkAccess": "Disabled" if n % 3 else "Enabled",
                    "allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2",
                    "supportsHttpsTrafficOnly": True,
                    "networkAcls": {"bypass": "AzureServices", "defaultAction": "Deny" if n % 2 else "Allow",
                                    "ipRules": [{"value": "203.0.113.0/24", "action": "Allow"}] if n % 4 == 1 else [],
                                    "virtualNetworkRules": []},
                    "privateEndpointConnections": [{
                        "id": f"{st_id}/privateEndpointConnections/{pe_name}",
                        "name": pe_name,
                        "properties": {"provisioningState": "Succeeded",
                                       "privateEndpoint": ref(pe_id),
                                       "privateLinkServiceConnectionState": {"status": "Approved"}}}],
                    "primaryEndpoints": {"blob": f"https://{st_name}.blob.core.windows.net/"}}})
            self.out.append({
                "id": pe_id, "name": pe_name, "type": "Microsoft.Network/privateEndpoints",
                "location": LOCATION, "tags": dict(TAGS),
                "properties": {
                    "provisioningState": "Succeeded", "subnet": ref(self.subnet_id(s, j)),
                    "privateLinkServiceConnections": [{
                        "name": pe_name, "id": f"{pe_id}/privateLinkServiceConnections/{pe_name}",
                        "properties": {"privateLinkServiceId": st_id, "groupIds": ["blob"],
                                       "privateLinkServiceConnectionState": {"status": "Approved"}}}],
                    "manualPrivateLinkServiceConnections": [],
                    "networkInterfaces": [ref(nic_id)],
                    "customDnsConfigs": [{"fqdn": f"{st_name}.blob.core.windows.net", "ipAddresses": [ip]}],
                    "ipConfigurations": [], "applicationSecurityGroups": []}})
            self.out.append({
                "id": nic_id, "name": f"{pe_name}-nic", "type": "Microsoft.Network/networkInterfaces",
                "location": LOCATION, "tags": dict(TAGS),
                "properties": {
                    "provisioningState": "Succeeded",
                    "ipConfigurations": [{"name": cfg_id.rsplit("/", 1)[1], "id": cfg_id,
                                          "properties": {"privateIPAddress": ip,
                                                         "privateIPAllocationMethod": "Static",
                                                         "subnet": ref(self.subnet_id(s, j)),
                                                         "primary": True}}],
                    "enableIPForwarding": False, "privateEndpoint": ref(pe_id)}})

    def peering(self, vnet: str, remote: str, name: str, remote_space: str, hub_side: bool) -> dict:
        return {"name": name, "id": f"{vnet}/virtualNetworkPeerings/{name}",
                "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                "properties": {"provisioningState": "Succeeded", "peeringState": "Connected",
                               "peeringSyncLevel": "FullyInSync", "remoteVirtualNetwork": ref(remote),
                               "allowVirtualNetworkAccess": True, "allowForwardedTraffic": True,
                               "allowGatewayTransit": False, "useRemoteGateways": False,
                               "remoteAddressSpace": {"addressPrefixes": [remote_space]},
                               "remoteVirtualNetworkAddressSpace": {"addressPrefixes": [remote_space]}}}

    def vnets(self) -> None:
        hub = self.vnet_id(None)
        fw_cfg = rid(HUB_RG, "Microsoft.Network", "azureFirewalls", "afw-hub",
                     "azureFirewallIpConfigurations", "ipconfig-afw")
        hub_subnets = [{"name": "AzureFirewallSubnet", "id": f"{hub}/subnets/AzureFirewallSubnet",
                        "type": "Microsoft.Network/virtualNetworks/subnets",
                        "properties": {"provisioningState": "Succeeded", "addressPrefix": "10.0.1.0/26",
                                       "ipConfigurations": [ref(fw_cfg)],
                                       "privateEndpointNetworkPolicies": "Disabled"}}]
        peerings = [self.peering(hub, self.vnet_id(s), f"peer-hub-to-spoke{s + 1:03d}",
                                 f"10.{s + 1}.0.0/16", True) for s in range(self.p.spokes)]
        self.out.append(self._vnet(hub, "10.0.0.0/16", hub_subnets, peerings, "connectivity"))
        for s in range(self.p.spokes):
            vid = self.vnet_id(s)
            subnets = []
            for j in self.spoke_subnets[s]:
                subnets.append({
                    "name": self.subnet_name(s, j), "id": self.subnet_id(s, j),
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                    "properties": {
                        "provisioningState": "Succeeded", "addressPrefix": self.subnet_prefix(s, j),
                        "networkSecurityGroup": ref(self.nsg_id(self.nsg_of[(s, j)])),
                        "routeTable": ref(self.rt_id(s)),
                        "serviceEndpoints": [],
                        "privateEndpointNetworkPolicies": "Enabled" if (s, j) in self.pe_ips else "Disabled",
                        "privateLinkServiceNetworkPolicies": "Enabled",
                        "ipConfigurations": [ref(c) for c in self.subnet_configs.get((s, j), [])]}})
            peer = [self.peering(vid, hub, f"peer-spoke{s + 1:03d}-to-hub", "10.0.0.0/16", False)]
            self.out.append(self._vnet(vid, f"10.{s + 1}.0.0/16", subnets, peer, "workload"))

    def _vnet(self, vid: str, space: str, subnets: list, peerings: list, tier: str) -> dict:
        return {"id": vid, "name": vid.rsplit("/", 1)[1], "type": "Microsoft.Network/virtualNetworks",
                "location": LOCATION, "tags": dict(TAGS, tier=tier),
                "properties": {"provisioningState": "Succeeded", "resourceGuid": self.guid(),
                               "addressSpace": {"addressPrefixes": [space]}, "subnets": subnets,
                               "virtualNetworkPeerings": peerings, "enableDdosProtection": False}}

    def route_tables(self) -> None:
        for s in range(self.p.spokes):
            rt = self.rt_id(s)
            self.out.append({
                "id": rt, "name": rt.rsplit("/", 1)[1], "type": "Microsoft.Network/routeTables",
                "location": LOCATION, "tags": dict(TAGS),
                "properties": {"provisioningState": "Succeeded", "disableBgpRoutePropagation": True,
                               "routes": [{"name": "default-via-afw", "id": f"{rt}/routes/default-via-afw",
                                           "type": "Microsoft.Network/routeTables/routes",
                                           "properties": {"provisioningState": "Succeeded",
                                                          "addressPrefix": "0.0.0.0/0",
                                                          "nextHopType": "VirtualAppliance",
                                                          "nextHopIpAddress": FW_IP}}],
                               "subnets": [ref(self.subnet_id(s, j)) for j in self.spoke_subnets[s]]}})

    def firewall(self) -> None:
        p, rnd = self.p, self.rnd
        fw = rid(HUB_RG, "Microsoft.Network", "azureFirewalls", "afw-hub")
        pol = rid(HUB_RG, "Microsoft.Network", "firewallPolicies", "afwp-hub")
        pip = rid(HUB_RG, "Microsoft.Network", "publicIPAddresses", "pip-afw-hub")
        cfg = f"{fw}/azureFirewallIpConfigurations/ipconfig-afw"
        # rule collection groups: east-west, egress, platform; collections of <= 50 rules
        groups: dict[str, list[dict]] = {"rcg-east-west": [], "rcg-egress": [], "rcg-platform": []}
        per_collection = 50
        for k in range(p.fw_rules):
            r = rnd.random()
            group = "rcg-east-west" if r < 0.7 else ("rcg-egress" if r < 0.9 else "rcg-platform")
            s1, s2 = rnd.randrange(p.spokes), rnd.randrange(p.spokes)
            src = [self.subnet_prefix(s1, rnd.choice(self.spoke_subnets[s1]))
                   for _ in range(rnd.choice((1, 1, 2)))]
            if rnd.random() < 0.2:
                src = [f"10.{s1 + 1}.0.0/16"]
            if group == "rcg-east-west":
                dst = [self.subnet_prefix(s2, rnd.choice(self.spoke_subnets[s2]))
                       for _ in range(rnd.choice((1, 1, 2)))]
            elif group == "rcg-egress":
                dst = [f"{rnd.randrange(13, 200)}.{rnd.randrange(256)}.{rnd.randrange(256)}.0/24"]
            else:
                dst = ["*"] if rnd.random() < 0.3 else [f"192.168.{rnd.randrange(256)}.0/24"]
            ports = sorted({rnd.choice(FW_PORTS) for _ in range(rnd.choice((1, 1, 2, 3)))})
            proto = ["TCP"] if ports != ["53"] and ports != ["123"] else ["UDP"]
            if "*" in ports:
                proto = ["Any"]
            rule = {"ruleType": "NetworkRule", "name": f"net-{k:05d}", "ipProtocols": proto,
                    "sourceAddresses": src, "sourceIpGroups": [], "destinationAddresses": dst,
                    "destinationIpGroups": [], "destinationFqdns": [], "destinationPorts": ports}
            cols = groups[group]
            if not cols or len(cols[-1]["rules"]) >= per_collection:
                action = "Deny" if rnd.random() < 0.1 else "Allow"
                cols.append({"ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                             "name": f"{group[4:]}-{len(cols) + 1:03d}",
                             "priority": 100 + 10 * len(cols), "action": {"type": action},
                             "rules": []})
            cols[-1]["rules"].append(rule)
        rcg_ids = []
        for g, (name, cols) in enumerate(groups.items()):
            gid = f"{pol}/ruleCollectionGroups/{name}"
            rcg_ids.append(gid)
            self.out.append({"id": gid, "name": name,
                             "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
                             "properties": {"provisioningState": "Succeeded", "priority": 200 + 100 * g,
                                            "ruleCollections": cols}})
        self.out.append({"id": pol, "name": "afwp-hub", "type": "Microsoft.Network/firewallPolicies",
                         "location": LOCATION, "tags": dict(TAGS),
                         "properties": {"provisioningState": "Succeeded", "sku": {"tier": "Standard"},
                                        "threatIntelMode": "Deny",
                                        "ruleCollectionGroups": [ref(i) for i in rcg_ids],
                                        "firewalls": [ref(fw)], "childPolicies": []}})
        self.out.append({"id": pip, "name": "pip-afw-hub", "type": "Microsoft.Network/publicIPAddresses",
                         "location": LOCATION, "tags": dict(TAGS),
                         "sku": {"name": "Standard", "tier": "Regional"},
                         "properties": {"provisioningState": "Succeeded", "ipAddress": "20.40.0.4",
                                        "publicIPAddressVersion": "IPv4",
                                        "publicIPAllocationMethod": "Static", "ipConfiguration": ref(cfg)}})
        hub = self.vnet_id(None)
        self.out.append({"id": fw, "name": "afw-hub", "type": "Microsoft.Network/azureFirewalls",
                         "location": LOCATION, "tags": dict(TAGS),
                         "properties": {"provisioningState": "Succeeded",
                                        "sku": {"name": "AZFW_VNet", "tier": "Standard"},
                                        "threatIntelMode": "Deny",
                                        "ipConfigurations": [{
                                            "name": "ipconfig-afw", "id": cfg,
                                            "properties": {"privateIPAddress": FW_IP,
                                                           "subnet": ref(f"{hub}/subnets/AzureFirewallSubnet"),
                                                           "publicIPAddress": ref(pip)}}],
                                        "firewallPolicy": ref(pol), "networkRuleCollections": [],
                                        "applicationRuleCollections": [], "natRuleCollections": []}})


def generate(size: str | Params, seed: int = 1) -> list[dict]:
    """The resources of one synthetic estate (deterministic for a seed)."""
    return _Gen(params_for(size), seed).run()


FILES = {
    "network.json": ("microsoft.network/virtualnetworks", "microsoft.network/routetables"),
    "security.json": ("microsoft.network/networksecuritygroups",
                      "microsoft.network/applicationsecuritygroups"),
    "compute.json": ("microsoft.network/networkinterfaces", "microsoft.compute/virtualmachines"),
    "edge.json": ("microsoft.network/publicipaddresses", "microsoft.network/azurefirewalls",
                  "microsoft.network/firewallpolicies",
                  "microsoft.network/firewallpolicies/rulecollectiongroups"),
    "paas.json": ("microsoft.storage/storageaccounts", "microsoft.network/privateendpoints"),
}


def write(resources: list[dict], out: str | Path) -> dict[str, int]:
    """Split the resources into a few files by type; returns {file: resources}."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[dict]] = {name: [] for name in FILES}
    where = {t: name for name, types in FILES.items() for t in types}
    for r in resources:
        t = r["type"].lower()
        # a private endpoint's NIC sits with its endpoint
        if t == "microsoft.network/networkinterfaces" and "privateEndpoint" in r["properties"]:
            by_file["paas.json"].append(r)
        else:
            by_file[where.get(t, "network.json")].append(r)
    for name, items in by_file.items():
        with open(out / name, "w", encoding="utf-8") as f:
            json.dump(items, f, indent=1)
    return {k: len(v) for k, v in by_file.items()}


def summary(resources: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in resources:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="small", choices=sorted(SIZES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE",
                    help="override a parameter, e.g. --set nsg_rules=60")
    a = ap.parse_args(argv)
    p = SIZES[a.size]
    for item in a.set:
        k, v = item.split("=", 1)
        cur = asdict(p)[k]
        p = replace(p, **{k: type(cur)(v) if not isinstance(cur, bool) else v.lower() in ("1", "true")})
    t0 = time.perf_counter()
    resources = generate(p, a.seed)
    files = write(resources, a.out)
    print(f"{a.size} seed {a.seed}: {len(resources)} resources in {time.perf_counter() - t0:.1f}s -> {a.out}",
          file=sys.stderr)
    for k, v in sorted(summary(resources).items()):
        print(f"  {v:7d}  {k}", file=sys.stderr)
    print(f"  files: {files}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
