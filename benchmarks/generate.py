"""Synthetic hub-and-spoke Azure estates for benchmarks: Azure resource JSON (as an
``az``/Resource Graph export would give) and the same estate as a Terraform plan
(``terraform show -json``, azurerm; see ``tfplan.py``).

One hub VNet holds an Azure Firewall (with a firewall policy and rule collection groups
of network rules); every spoke is peered both ways with the hub (forwarded traffic
allowed) and its subnets each carry an NSG (shared by ``subnets_per_nsg`` subnets) and a
route table sending 0.0.0.0/0 to the firewall. NICs sit in every subnet (with ASGs, a few
public IPs, Standard or Basic), and some spokes hold a storage account behind a private
endpoint. The hub also holds an Application Gateway with a WAF policy, key vaults, a
Network Watcher with a flow log per NSG, and a storage account for the logs.

Traps (``Params.traps``) make the side-by-side with Checkov show where a string match and
a proof differ: NSGs 1-5 begin with a deny above an allow for RDP, an SSH allow from
``0.0.0.0/0`` written out, an allow of ``20-25`` from the internet, RDP from the two
halves ``0.0.0.0/1`` + ``128.0.0.0/1``, a UDP allow from the internet as the second rule;
each has a public-IP NIC behind it and no other internet-sourced inbound rule. The last
subnet has no NSG and a NIC with a Basic public IP. Flow logs, key vaults and storage
accounts come in variants (short, disabled or forever retention; ACL Allow with public
access disabled; an allow-everything IP rule ...).

    python benchmarks/generate.py --size large --seed 1 --out benchmarks/out/large
    python benchmarks/generate.py --size small --format terraform --out /tmp/tf  # plan.json
    python benchmarks/generate.py --size small --format both --out /tmp/est \
        --change-one-rule --intent /tmp/est/intent.yaml

Importable (``from benchmarks.generate import generate`` or by path):
``generate(size_or_params, seed) -> list[dict]``, ``write(resources, out_dir)``,
``to_plan(resources) -> dict`` / ``write_plan(resources, path)``,
``change_one_rule(resources) -> (resources, description)`` and
``intent(resources) -> str`` (YAML).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import random
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import ModuleType
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
    traps: bool = True             # planted cases for the Checkov comparison (see the docstring)
    key_vaults: int = 5
    app_gateway: bool = True       # hub Application Gateway (WAF policy in Detection mode)
    flow_logs: bool = True         # a flow log per NSG (with variants when traps are on)


SIZES: dict[str, Params] = {
    "small": Params(spokes=4, subnets=16, nics_per_subnet=6, nsg_rules=20, fw_rules=100,
                    private_endpoints=4),
    "medium": Params(spokes=19, subnets=200, nics_per_subnet=10, nsg_rules=30, fw_rules=500,
                     private_endpoints=20, key_vaults=10),
    "large": Params(spokes=99, subnets=2000, nics_per_subnet=10, nsg_rules=40, fw_rules=2000,
                    private_endpoints=100, key_vaults=20),
    # about 5,000 Terraform resources in about 5 MB of plan JSON (the plan-load target)
    "plan5k": Params(spokes=9, subnets=140, nics_per_subnet=10, nsg_rules=30, fw_rules=300,
                     private_endpoints=10, key_vaults=5),
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
MONITORING_RG = "rg-monitoring"
WATCHER_RG = "NetworkWatcherRG"
AGW_SUBNET = "10.0.2.0/24"


def _trap_rule(name: str, priority: int, access: str, protocol: str, port: str | list[str],
               source: str | list[str]) -> dict:
    props: dict[str, Any] = {"provisioningState": "Succeeded", "description": f"trap: {name}",
                             "protocol": protocol, "sourcePortRange": "*",
                             "destinationAddressPrefix": "*", "access": access,
                             "priority": priority, "direction": "Inbound"}
    props["destinationPortRanges" if isinstance(port, list) else "destinationPortRange"] = port
    props["sourceAddressPrefixes" if isinstance(source, list) else "sourceAddressPrefix"] = source
    return {"name": name, "properties": props}


# NSG index -> (what it plants, its leading rules). Each of these NSGs has a NIC with a
# Standard public IP behind it and no other inbound rule sourced from "*" or "Internet".
TRAPS: list[tuple[str, list[dict]]] = [
    ("deny above allow (RDP)", [
        _trap_rule("Deny-Rdp-Internet", 100, "Deny", "Tcp", "3389", "Internet"),
        _trap_rule("Allow-Rdp-Any", 110, "Allow", "Tcp", "3389", "*")]),
    ("SSH from 0.0.0.0/0 written out", [
        _trap_rule("Allow-Ssh-AllIPv4", 100, "Allow", "Tcp", "22", "0.0.0.0/0")]),
    ("port range 20-25 from the internet", [
        _trap_rule("Allow-Legacy-20-25", 100, "Allow", "Tcp", "20-25", "Internet")]),
    ("RDP from 0.0.0.0/1 + 128.0.0.0/1", [
        _trap_rule("Allow-Rdp-Halves", 100, "Allow", "Tcp", "3389", ["0.0.0.0/1", "128.0.0.0/1"])]),
    ("UDP from the internet as the second rule", [
        _trap_rule("Allow-Https-Vnet", 100, "Allow", "Tcp", "443", "VirtualNetwork"),
        _trap_rule("Allow-Snmp-Internet", 110, "Allow", "Udp", "161", "Internet")]),
]


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
        self.no_internet_src = False

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
        # traps: NSGs 0..4 lead with planted rules; the last subnet has no NSG
        self.trap_nsgs: dict[int, list[dict]] = {}
        self.forced_pip: dict[tuple[int, int], bool] = {}      # subnet -> Basic?
        self.no_nsg: set[tuple[int, int]] = set()
        if p.traps and self.n_nsgs > len(TRAPS) + 1:
            self.trap_nsgs = {n: rules for n, (_, rules) in enumerate(TRAPS)}
            for n in self.trap_nsgs:
                self.forced_pip[self.nsg_first_subnet[n]] = False
            last = self.subnet_list[-1]
            self.no_nsg.add(last)
            self.forced_pip[last] = True
        self.web_ips: list[str] = []
        self.asgs()
        self.nsgs()
        self.nics()          # before the VNets: subnets list their ipConfigurations
        self.paas()
        self.vnets()
        self.route_tables()
        self.firewall()
        if p.app_gateway:
            self.app_gateway()
        self.key_vaults()
        if p.flow_logs:
            self.flow_logs()
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
        for _ in range(50):
            r = self._rule(nsg_id, k, priority, s, j, inbound)
            src = r["properties"].get("sourceAddressPrefix")
            if not (self.no_internet_src and inbound and src in ("*", "Internet")):
                return r
        return r

    def _rule(self, nsg_id: str, k: int, priority: int, s: int, j: int, inbound: bool) -> dict:
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

    def nsg(self, nsg_id: str, n_rules: int, s: int, j: int, subnet_ids: list[str],
            head: list[dict] | None = None) -> dict:
        rnd = self.rnd
        rules: list[dict] = []
        for h in head or ():
            rules.append({**h, "id": f"{nsg_id}/securityRules/{h['name']}",
                          "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                          "properties": dict(h["properties"])})
        n_rules -= len(rules)
        inbound_n = round(n_rules * self.p.inbound_share)
        for direction_n, inbound in ((inbound_n, True), (n_rules - inbound_n, False)):
            # priorities unique per direction (Azure's constraint), 100..4096 (200.. after traps)
            prios = sorted(rnd.sample(range(200 if head else 100, 4096), direction_n))
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
            if (s, j) not in self.no_nsg:
                members.setdefault(n, []).append(self.subnet_id(s, j))
        for n in range(self.n_nsgs):
            s, j = self.nsg_first_subnet[n]
            # user rules: nsg_rules minus the explicit DenyAllInbound
            self.no_internet_src = n in self.trap_nsgs
            self.out.append(self.nsg(self.nsg_id(n), max(self.p.nsg_rules - 1, 0), s, j,
                                     members.get(n, []), self.trap_nsgs.get(n)))
            self.no_internet_src = False
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
                forced = k == 0 and (s, j) in self.forced_pip
                if forced or rnd.random() < p.public_ip_share:
                    basic = self.forced_pip[(s, j)] if forced else rnd.random() < p.basic_ip_share
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
                if role == 0 and s == 0 and k == 1:
                    self.web_ips.append(cp["privateIPAddress"])     # Application Gateway backends
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
        if self.p.app_gateway:
            hub_subnets.append({"name": "snet-agw", "id": f"{hub}/subnets/snet-agw",
                                "type": "Microsoft.Network/virtualNetworks/subnets",
                                "properties": {"provisioningState": "Succeeded",
                                               "addressPrefix": AGW_SUBNET,
                                               "privateEndpointNetworkPolicies": "Disabled"}})
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
                        **({} if (s, j) in self.no_nsg else
                           {"networkSecurityGroup": ref(self.nsg_id(self.nsg_of[(s, j)]))}),
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


    def app_gateway(self) -> None:
        """WAF_v2 gateway in the hub, HTTPS listener on a public frontend, backends = a few web
        NICs of spoke 1; its WAF policy is enabled but in Detection mode (a trap)."""
        agw = rid(HUB_RG, "Microsoft.Network", "applicationGateways", "agw-hub")
        pol = rid(HUB_RG, "Microsoft.Network", "ApplicationGatewayWebApplicationFirewallPolicies",
                  "wafp-hub")
        pip = rid(HUB_RG, "Microsoft.Network", "publicIPAddresses", "pip-agw-hub")
        hub = self.vnet_id(None)
        part = lambda kind, name: {"id": f"{agw}/{kind}/{name}", "name": name}
        self.out.append({"id": pip, "name": "pip-agw-hub", "type": "Microsoft.Network/publicIPAddresses",
                         "location": LOCATION, "tags": dict(TAGS),
                         "sku": {"name": "Standard", "tier": "Regional"},
                         "properties": {"provisioningState": "Succeeded", "ipAddress": "20.40.0.5",
                                        "publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Static",
                                        "ipConfiguration": ref(f"{agw}/frontendIPConfigurations/fe-public")}})
        self.out.append({"id": pol, "name": "wafp-hub",
                         "type": "Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies",
                         "location": LOCATION, "tags": dict(TAGS),
                         "properties": {"provisioningState": "Succeeded",
                                        "policySettings": {"state": "Enabled", "mode": "Detection",
                                                           "requestBodyCheck": True},
                                        "customRules": [],
                                        "managedRules": {"managedRuleSets": [
                                            {"ruleSetType": "OWASP", "ruleSetVersion": "3.2",
                                             "ruleGroupOverrides": []}], "exclusions": []},
                                        "applicationGateways": [ref(agw)]}})
        self.out.append({
            "id": agw, "name": "agw-hub", "type": "Microsoft.Network/applicationGateways",
            "location": LOCATION, "tags": dict(TAGS),
            "properties": {
                "provisioningState": "Succeeded", "sku": {"name": "WAF_v2", "tier": "WAF_v2", "capacity": 2},
                "firewallPolicy": ref(pol),
                "gatewayIPConfigurations": [{**part("gatewayIPConfigurations", "gw-ipconfig"), "properties": {
                    "subnet": ref(f"{hub}/subnets/snet-agw")}}],
                "frontendIPConfigurations": [{**part("frontendIPConfigurations", "fe-public"), "properties": {
                    "privateIPAllocationMethod": "Dynamic", "publicIPAddress": ref(pip)}}],
                "frontendPorts": [{**part("frontendPorts", "port-443"), "properties": {"port": 443}}],
                "sslCertificates": [{**part("sslCertificates", "cert-bench"), "properties": {}}],
                "httpListeners": [{**part("httpListeners", "listener-https"), "properties": {
                    "frontendIPConfiguration": ref(f"{agw}/frontendIPConfigurations/fe-public"),
                    "frontendPort": ref(f"{agw}/frontendPorts/port-443"), "protocol": "Https",
                    "sslCertificate": ref(f"{agw}/sslCertificates/cert-bench")}}],
                "backendAddressPools": [{**part("backendAddressPools", "pool-web"), "properties": {
                    "backendAddresses": [{"ipAddress": ip} for ip in self.web_ips[:4]]}}],
                "backendHttpSettingsCollection": [{**part("backendHttpSettingsCollection", "be-https"),
                                                   "properties": {"port": 443, "protocol": "Https",
                                                                  "cookieBasedAffinity": "Disabled",
                                                                  "requestTimeout": 30}}],
                "requestRoutingRules": [{**part("requestRoutingRules", "rule-web"), "properties": {
                    "ruleType": "Basic", "priority": 100,
                    "httpListener": ref(f"{agw}/httpListeners/listener-https"),
                    "backendAddressPool": ref(f"{agw}/backendAddressPools/pool-web"),
                    "backendHttpSettings": ref(f"{agw}/backendHttpSettingsCollection/be-https")}}]}})

    def key_vaults(self) -> None:
        """Variants by index: 0 closed (public access off, ACL Deny); 1 ACL Allow; 2 no network
        ACLs at all; 3 ACL Allow but public access disabled; 4 ACL Deny with an IP rule for
        0.0.0.0/0 (open after all)."""
        for n in range(self.p.key_vaults):
            v = n % 5
            name = f"kv-bench-{n + 1:03d}"
            kv = rid(MONITORING_RG if n == 0 else f"rg-data{n % self.p.spokes + 1:03d}",
                     "Microsoft.KeyVault", "vaults", name)
            props: dict[str, Any] = {
                "provisioningState": "Succeeded", "sku": {"family": "A", "name": "standard"},
                "tenantId": SUB.rsplit("/", 1)[1], "enableRbacAuthorization": True,
                "enableSoftDelete": True, "softDeleteRetentionInDays": 90, "enablePurgeProtection": True,
                "vaultUri": f"https://{name}.vault.azure.net/",
                "publicNetworkAccess": "Disabled" if v in (0, 3) else "Enabled"}
            if v != 2:
                props["networkAcls"] = {"bypass": "AzureServices",
                                        "defaultAction": "Allow" if v in (1, 3) else "Deny",
                                        "ipRules": [{"value": "0.0.0.0/0"}] if v == 4 else [],
                                        "virtualNetworkRules": []}
            self.out.append({"id": kv, "name": name, "type": "Microsoft.KeyVault/vaults",
                             "location": LOCATION, "tags": dict(TAGS), "properties": props})

    def flow_logs(self) -> None:
        """A flow log per NSG, 90 days with Traffic Analytics, into one storage account;
        with traps, NSG 1 keeps 30 days, NSG 2 has retention off, NSG 3's log is disabled,
        NSG 4 keeps forever (0 days), NSG 5 has none; ~10 % others keep 7 or 30 days."""
        rnd = self.rnd
        st = rid(MONITORING_RG, "Microsoft.Storage", "storageAccounts", "stbenchflowlogs")
        self.out.append({
            "id": st, "name": "stbenchflowlogs", "type": "Microsoft.Storage/storageAccounts",
            "location": LOCATION, "tags": dict(TAGS), "kind": "StorageV2",
            "sku": {"name": "Standard_LRS", "tier": "Standard"},
            "properties": {"provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
                           "allowBlobPublicAccess": False, "minimumTlsVersion": "TLS1_2",
                           "supportsHttpsTrafficOnly": True,
                           "networkAcls": {"bypass": "AzureServices, Logging, Metrics",
                                           "defaultAction": "Deny", "ipRules": [],
                                           "virtualNetworkRules": []}}})
        nw = rid(WATCHER_RG, "Microsoft.Network", "networkWatchers", f"NetworkWatcher_{LOCATION}")
        self.out.append({"id": nw, "name": f"NetworkWatcher_{LOCATION}",
                         "type": "Microsoft.Network/networkWatchers", "location": LOCATION,
                         "tags": dict(TAGS), "properties": {"provisioningState": "Succeeded"}})
        workspace = rid(MONITORING_RG, "Microsoft.OperationalInsights", "workspaces", "log-bench")
        traps = self.p.traps and bool(self.trap_nsgs)
        for n in range(self.n_nsgs):
            enabled, keep, days = True, True, 90
            r = rnd.random()
            if traps and n < 5:
                enabled, keep, days = [(True, True, 30), (True, False, 0), (False, True, 90),
                                       (True, True, 0), (None, None, None)][n]
                if enabled is None:
                    continue
            elif r < 0.05:
                days = 7
            elif r < 0.10:
                days = 30
            name = f"fl-nsg-{n + 1:04d}"
            self.out.append({
                "id": f"{nw}/flowLogs/{name}", "name": name, "type": "Microsoft.Network/networkWatchers/flowLogs",
                "location": LOCATION, "tags": dict(TAGS),
                "properties": {"provisioningState": "Succeeded", "targetResourceId": self.nsg_id(n),
                               "storageId": st, "enabled": enabled,
                               "retentionPolicy": {"days": days, "enabled": keep},
                               "format": {"type": "JSON", "version": 2},
                               "flowAnalyticsConfiguration": {"networkWatcherFlowAnalyticsConfiguration": {
                                   "enabled": rnd.random() < 0.8, "workspaceId": self.guid(),
                                   "workspaceRegion": LOCATION, "workspaceResourceId": workspace,
                                   "trafficAnalyticsInterval": 10}}}})


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
                  "microsoft.network/firewallpolicies/rulecollectiongroups",
                  "microsoft.network/applicationgateways",
                  "microsoft.network/applicationgatewaywebapplicationfirewallpolicies"),
    "paas.json": ("microsoft.storage/storageaccounts", "microsoft.network/privateendpoints",
                  "microsoft.keyvault/vaults"),
    "monitoring.json": ("microsoft.network/networkwatchers", "microsoft.network/networkwatchers/flowlogs"),
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


def _tfplan() -> ModuleType:
    """The sibling module ``tfplan.py``, however this one was imported."""
    name = "netwarden_bench_tfplan"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("tfplan.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def to_plan(resources: list[dict], **kwargs: Any) -> dict:
    """The estate as a Terraform plan document (see ``tfplan.to_plan``)."""
    return _tfplan().to_plan(resources, **kwargs)


def write_plan(resources: list[dict], path: str | Path, **kwargs: Any) -> dict[str, int]:
    """Write the estate as ``plan.json`` (compact, as ``terraform show -json``); returns counts."""
    return _tfplan().write_plan(resources, path, **kwargs)


def _nsg_index(name: str) -> int:
    return int(name.rsplit("-", 1)[1]) if name.rsplit("-", 1)[-1].isdigit() else -1


def change_one_rule(resources: list[dict]) -> tuple[list[dict], dict[str, Any]]:
    """The same estate with one NSG rule changed: the first-evaluated inbound rule of the NSG
    of the first public-IP NIC outside the trap NSGs becomes "Allow TCP 3389 from Internet".
    Returns the new resource list (only that NSG is a new object) and what changed."""
    subnet_nsg: dict[str, str] = {}
    for r in resources:
        if r["type"] == "Microsoft.Network/virtualNetworks":
            for sn in r["properties"].get("subnets", ()):
                if "networkSecurityGroup" in sn["properties"]:
                    subnet_nsg[sn["id"].lower()] = sn["properties"]["networkSecurityGroup"]["id"].lower()
    target = None
    for r in resources:
        if r["type"] != "Microsoft.Network/networkInterfaces":
            continue
        for c in r["properties"]["ipConfigurations"]:
            if "publicIPAddress" in c["properties"]:
                nsg = subnet_nsg.get(c["properties"]["subnet"]["id"].lower())
                if nsg and _nsg_index(nsg) > len(TRAPS):
                    target = nsg
                    break
        if target:
            break
    if target is None:
        raise ValueError("no NSG with a public-IP NIC behind it outside the traps")
    out = list(resources)
    for i, r in enumerate(out):
        if r["id"].lower() == target:
            nsg = copy.deepcopy(r)
            inbound = [x for x in nsg["properties"]["securityRules"]
                       if x["properties"]["direction"] == "Inbound"]
            rule = min(inbound, key=lambda x: x["properties"]["priority"])
            before = {"name": rule["name"], **rule["properties"]}
            rule["name"] = "Allow-Rdp-Internet"
            rule["id"] = f"{nsg['id']}/securityRules/{rule['name']}"
            props = rule["properties"]
            for key in [k for k in props if k.startswith(("source", "destination"))]:
                del props[key]
            props.update(protocol="Tcp", access="Allow", sourcePortRange="*",
                         sourceAddressPrefix="Internet", destinationAddressPrefix="*",
                         destinationPortRange="3389", description="changed: RDP from the internet")
            out[i] = nsg
            return out, {"nsg": nsg["name"], "nsg_id": nsg["id"], "rule": before["name"],
                         "priority": props["priority"], "before": before, "after": dict(props)}
    raise AssertionError("unreachable")


# the tiers of the intent: flows between roles (subnet names are snet-<role>-<n>)
INTENT_FLOWS = [("internet", "web", ["tcp/443"]), ("web", "app", ["tcp/8080"]),
                ("api", "app", ["tcp/443"]), ("app", "data", ["tcp/1433", "tcp/5432"]),
                ("app", "cache", ["tcp/6379"]), ("mgmt", "web", ["tcp/22"]),
                ("mgmt", "app", ["tcp/22"]), ("mgmt", "data", ["tcp/22"])]


def intent(resources: list[dict]) -> str:
    """A segmentation intent (YAML) for the estate: one segment per role, by subnet ID,
    and the tier flows of ``INTENT_FLOWS``."""
    by_role: dict[str, list[str]] = {}
    for r in resources:
        if r["type"] == "Microsoft.Network/virtualNetworks" and "spoke" in r["name"]:
            for sn in r["properties"].get("subnets", ()):
                by_role.setdefault(sn["name"].split("-")[1], []).append(sn["id"])
    lines = ["# generated by benchmarks/generate.py: one segment per role, the tier flows", "segments:"]
    for role in ROLES:
        if role in by_role:
            lines.append(f"  {role}:")
            lines.append("    subnets:")
            lines.extend(f"      - {i}" for i in by_role[role])
    lines.append("flows:")
    for src, dst, ports in INTENT_FLOWS:
        if (src == "internet" or src in by_role) and dst in by_role:
            lines.append(f"  - {{from: {src}, to: {dst}, ports: [{', '.join(ports)}]}}")
    return "\n".join(lines) + "\n"


def write_all(resources: list[dict], out: str | Path, fmt: str = "both",
              changed: dict[str, Any] | None = None, previous: list[dict] | None = None) -> dict[str, Any]:
    """``azure``: the resource files in ``out``; ``terraform``: ``out/plan.json``; ``both``:
    ``out/azure/*.json`` and ``out/terraform/plan.json``. ``changed``/``previous``: the
    one-rule change and the resources before it (the plan marks that NSG ``update``)."""
    out = Path(out)
    done: dict[str, Any] = {}
    if fmt in ("azure", "both"):
        done["azure"] = write(resources, out / "azure" if fmt == "both" else out)
    if fmt in ("terraform", "both"):
        kwargs: dict[str, Any] = {}
        if changed and previous is not None:
            old = next(r for r in previous if r["id"] == changed["nsg_id"])
            kwargs = {"changed": [changed["nsg_id"]],
                      "previous": {changed["nsg_id"]: next(_tfplan().instances([old]))[3]}}
        path = out / "terraform" / "plan.json" if fmt == "both" else out / "plan.json"
        done["terraform"] = write_plan(resources, path, **kwargs)
    return done


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
    ap.add_argument("--format", choices=("azure", "terraform", "both"), default="azure",
                    help="azure: resource JSON files in OUT; terraform: OUT/plan.json; "
                         "both: OUT/azure/ and OUT/terraform/plan.json")
    ap.add_argument("--change-one-rule", action="store_true",
                    help="write the version with one NSG rule changed (for diff)")
    ap.add_argument("--intent", metavar="FILE", help="also write a segmentation intent (YAML)")
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
    previous, changed = None, None
    if a.change_one_rule:
        previous = resources
        resources, changed = change_one_rule(resources)
        print(f"changed {changed['nsg']} rule {changed['rule']} (priority {changed['priority']}): "
              f"now Allow TCP 3389 from Internet", file=sys.stderr)
    files = write_all(resources, a.out, a.format, changed, previous)
    if a.intent:
        Path(a.intent).parent.mkdir(parents=True, exist_ok=True)
        Path(a.intent).write_text(intent(resources), encoding="utf-8")
    print(f"{a.size} seed {a.seed}: {len(resources)} resources in {time.perf_counter() - t0:.1f}s -> {a.out}",
          file=sys.stderr)
    for k, v in sorted(summary(resources).items()):
        print(f"  {v:7d}  {k}", file=sys.stderr)
    print(f"  files: {files}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
