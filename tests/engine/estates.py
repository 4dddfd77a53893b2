"""Small estates for tests: a builder for hand-written ones and a hypothesis strategy
for random ones.

Everything is built directly from model objects (no JSON, no ingest), so the engine and
the reference oracle (``oracle.py``) are tested against the same model the rest of the
project sees.

``Builder`` is a mutable helper that knows how ARM IDs and back-references fit together
(VNet.subnet_ids, VNet.peering_ids, IpConfiguration.public_ip_id / PublicIp.attached_to,
...). ``estates()`` draws a random estate with it and returns ``(Estate, Meta)``;
``packets(meta)`` draws an ``(src, packet)`` pair in the oracle's calling convention.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass, field

from hypothesis import strategies as st

from netwarden.model import (
    ANY_ADDRESS,
    ANY_PORT,
    Access,
    Address,
    ApplicationSecurityGroup,
    Direction,
    Estate,
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    NextHop,
    Peering,
    PortRange,
    Prefix,
    Protocol,
    PublicIp,
    Route,
    RouteTable,
    SecurityRule,
    ServiceTag,
    Subnet,
    VirtualNetwork,
)
from netwarden.model.compute import PublicIpSku
from netwarden.model.edge import BackendPool, Frontend, LoadBalancer, LoadBalancingRule
from netwarden.model.paas import PrivateEndpoint

RG = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-test/providers"
NET = f"{RG}/Microsoft.Network"

# Some addresses on the public internet (documentation ranges and well-known ones).
INTERNET_IPS = ("203.0.113.7", "8.8.8.8", "198.51.100.20", "52.1.2.3")


def ip(text: str) -> int:
    return int(ipaddress.IPv4Address(text))


def ip_text(value: int) -> str:
    return str(ipaddress.IPv4Address(value))


# ---------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------


@dataclass
class RuleSpec:
    """An NSG rule before it knows its NSG. Addresses are strings: ``*``, a CIDR / IP,
    or a service tag name (anything that does not parse as an address is a tag)."""

    name: str
    priority: int
    direction: Direction
    access: Access
    protocol: Protocol = Protocol.ANY
    sources: tuple[str, ...] = ("*",)
    destinations: tuple[str, ...] = ("*",)
    source_ports: tuple[str, ...] = ("*",)
    destination_ports: tuple[str, ...] = ("*",)
    source_asg_ids: tuple[str, ...] = ()
    destination_asg_ids: tuple[str, ...] = ()


def _tuple(value: str | int | tuple | list | None) -> tuple:
    if value is None:
        return ()
    if isinstance(value, (str, int)):
        return (str(value),)
    return tuple(str(v) for v in value)


def rule(name: str, priority: int, direction: str, access: str, protocol: str = "*", *,
         src: str | tuple[str, ...] | None = "*", dst: str | tuple[str, ...] | None = "*",
         dst_ports: str | int | tuple = "*", src_ports: str | int | tuple = "*",
         src_asgs: tuple[str, ...] = (), dst_asgs: tuple[str, ...] = ()) -> RuleSpec:
    """Shorthand: ``rule("web", 100, "in", "allow", "tcp", src="Internet", dst_ports=80)``.
    When ASGs are given and ``src``/``dst`` is left at ``"*"``, the prefixes are dropped
    (a rule lists prefixes or ASGs, as the ingest builder produces it)."""
    direction_ = Direction.INBOUND if direction.lower().startswith("in") else Direction.OUTBOUND
    access_ = Access.ALLOW if access.lower() == "allow" else Access.DENY
    sources = () if (src_asgs and src == "*") else _tuple(src)
    destinations = () if (dst_asgs and dst == "*") else _tuple(dst)
    return RuleSpec(name, priority, direction_, access_, Protocol.parse(protocol),
                    sources, destinations, _tuple(src_ports), _tuple(dst_ports),
                    tuple(src_asgs), tuple(dst_asgs))


def address(text: str) -> Address:
    raw = text.strip()
    if raw == "*":
        return ANY_ADDRESS
    try:
        return Prefix.parse(raw)
    except ValueError:
        return ServiceTag(raw)


@dataclass
class _VNet:
    name: str
    space: tuple[str, ...]
    subnet_ids: list[str] = field(default_factory=list)
    peering_ids: list[str] = field(default_factory=list)


@dataclass
class _Nic:
    name: str
    subnet_id: str
    private_ip: str
    nsg_id: str | None
    ip_forwarding: bool
    asg_ids: tuple[str, ...]
    public_ip_id: str | None
    private_endpoint: bool = False


class Builder:
    """Collects resources by name and produces an ``Estate``. Every add method returns
    the ID of what it created (for a NIC: the ID of its single ipConfiguration)."""

    def __init__(self) -> None:
        self._vnets: dict[str, _VNet] = {}
        self._subnets: list[tuple[str, str, str, str | None, str | None]] = []
        self._endpoint_policies: dict[str, str] = {}
        self._balancers: list[LoadBalancer] = []
        self._nics: list[_Nic] = []
        self._pips: dict[str, tuple[str, PublicIpSku]] = {}
        self._pip_owner: dict[str, str] = {}
        self._nsgs: dict[str, list[RuleSpec]] = {}
        self._asgs: list[str] = []
        self._peerings: list[Peering] = []
        self._tables: dict[str, list[tuple[str, str, NextHop, str | None]]] = {}

    # ids ------------------------------------------------------------------------------
    @staticmethod
    def vnet_id(name: str) -> str:
        return f"{NET}/virtualNetworks/{name}"

    @staticmethod
    def subnet_id(vnet: str, name: str) -> str:
        return f"{NET}/virtualNetworks/{vnet}/subnets/{name}"

    @staticmethod
    def nic_id(name: str) -> str:
        return f"{NET}/networkInterfaces/{name}"

    @staticmethod
    def config_id(nic: str) -> str:
        return f"{NET}/networkInterfaces/{nic}/ipConfigurations/ipconfig1"

    @staticmethod
    def nsg_id(name: str) -> str:
        return f"{NET}/networkSecurityGroups/{name}"

    @staticmethod
    def asg_id(name: str) -> str:
        return f"{NET}/applicationSecurityGroups/{name}"

    @staticmethod
    def pip_id(name: str) -> str:
        return f"{NET}/publicIPAddresses/{name}"

    @staticmethod
    def route_table_id(name: str) -> str:
        return f"{NET}/routeTables/{name}"

    @staticmethod
    def peering_id(vnet: str, name: str) -> str:
        return f"{NET}/virtualNetworks/{vnet}/virtualNetworkPeerings/{name}"

    # adders ---------------------------------------------------------------------------
    def vnet(self, name: str, *space: str) -> str:
        self._vnets[name] = _VNet(name, tuple(space))
        return self.vnet_id(name)

    def subnet(self, vnet: str, name: str, cidr: str, *, nsg: str | None = None,
               route_table: str | None = None, endpoint_policies: str = "Disabled") -> str:
        """``nsg`` / ``route_table`` are IDs (as returned by ``nsg()`` / ``route_table()``);
        ``endpoint_policies`` is the subnet's privateEndpointNetworkPolicies."""
        sid = self.subnet_id(vnet, name)
        self._endpoint_policies[sid] = endpoint_policies
        self._vnets[vnet].subnet_ids.append(sid)
        self._subnets.append((vnet, name, cidr, nsg, route_table))
        return sid

    def nic(self, subnet_id: str, name: str, private_ip: str, *, nsg: str | None = None,
            ip_forwarding: bool = False, asgs: tuple[str, ...] = (),
            public_ip: str | None = None, private_endpoint: bool = False) -> str:
        """``public_ip`` is an ID from ``public_ip()``; ``private_endpoint`` makes it the NIC
        of a private endpoint (named after it). Returns the ipConfiguration ID."""
        self._nics.append(_Nic(name, subnet_id, private_ip, nsg, ip_forwarding, tuple(asgs),
                               public_ip, private_endpoint))
        if public_ip:
            self._pip_owner[public_ip] = self.config_id(name)
        return self.config_id(name)

    def internal_load_balancer(self, name: str, subnet_id: str, frontend_ip: str,
                               members: tuple[str, ...], *, ha_ports: bool = True) -> str:
        """A Standard internal load balancer: one private frontend, one pool of the
        ipConfiguration IDs ``members``, and one rule (HA ports, or TCP 443)."""
        lid = f"{NET}/loadBalancers/{name}"
        frontend = Frontend(id=f"{lid}/frontendIPConfigurations/fe", name="fe",
                            private_ip=Prefix.parse(frontend_ip), subnet_id=subnet_id)
        pool = BackendPool(id=f"{lid}/backendAddressPools/pool", name="pool",
                           ip_configuration_ids=members)
        port = 0 if ha_ports else 443
        rule = LoadBalancingRule(name="ha-ports" if ha_ports else "tcp-443", frontend_id=frontend.id,
                                 backend_pool_ids=(pool.id,),
                                 protocol=Protocol.ANY if ha_ports else Protocol.TCP,
                                 frontend_port=port, backend_port=port)
        self._balancers.append(LoadBalancer(id=lid, name=name, type="Microsoft.Network/loadBalancers",
                                            sku="Standard", frontends=(frontend,),
                                            backend_pools=(pool,), rules=(rule,)))
        return lid

    def public_ip(self, name: str, address: str, sku: str = "Standard") -> str:
        self._pips[name] = (address, PublicIpSku(sku))
        return self.pip_id(name)

    def nsg(self, name: str, *rules: RuleSpec) -> str:
        self._nsgs[name] = list(rules)
        return self.nsg_id(name)

    def add_rules(self, nsg_name: str, *rules: RuleSpec) -> None:
        self._nsgs[nsg_name].extend(rules)

    def asg(self, name: str) -> str:
        self._asgs.append(name)
        return self.asg_id(name)

    def peering(self, vnet: str, remote: str, *, access: bool = True, forwarded: bool = False,
                name: str | None = None) -> str:
        pname = name or f"{vnet}-to-{remote}"
        pid = self.peering_id(vnet, pname)
        self._vnets[vnet].peering_ids.append(pid)
        remote_space = self._vnets[remote].space if remote in self._vnets else ()
        self._peerings.append(Peering(
            id=pid, name=pname, type="Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
            vnet_id=self.vnet_id(vnet), remote_vnet_id=self.vnet_id(remote),
            allow_virtual_network_access=access, allow_forwarded_traffic=forwarded,
            remote_address_space=tuple(Prefix.parse(p) for p in remote_space),
            state=None))
        return pid

    def peer(self, a: str, b: str, **options: bool) -> tuple[str, str]:
        """Both sides of a peering with the same options."""
        return self.peering(a, b, **options), self.peering(b, a, **options)

    def route_table(self, name: str, *routes: tuple[str, str, str] | tuple[str, str, str, str]
                    ) -> str:
        """Routes as ``(name, prefix, next_hop_type[, next_hop_ip])``."""
        entries = []
        for entry in routes:
            rname, prefix, hop = entry[0], entry[1], entry[2]
            hop_ip = entry[3] if len(entry) > 3 else None
            entries.append((rname, prefix, NextHop.parse(hop), hop_ip))
        self._tables[name] = entries
        return self.route_table_id(name)

    # build ----------------------------------------------------------------------------
    def build(self) -> Estate:
        resources: list = []
        for v in self._vnets.values():
            resources.append(VirtualNetwork(
                id=self.vnet_id(v.name), name=v.name, type="Microsoft.Network/virtualNetworks",
                address_space=tuple(Prefix.parse(p) for p in v.space),
                subnet_ids=tuple(v.subnet_ids), peering_ids=tuple(v.peering_ids)))
        for vnet, name, cidr, nsg, table in self._subnets:
            resources.append(Subnet(
                id=self.subnet_id(vnet, name), name=name,
                type="Microsoft.Network/virtualNetworks/subnets", vnet_id=self.vnet_id(vnet),
                address_prefixes=(Prefix.parse(cidr),), nsg_id=nsg, route_table_id=table,
                private_endpoint_network_policies=self._endpoint_policies[self.subnet_id(vnet, name)]))
        # A peering is "Connected" when the remote side exists too, else "Initiated".
        pairs = {(p.vnet_id.lower(), (p.remote_vnet_id or "").lower()) for p in self._peerings}
        resources.extend(
            dataclasses.replace(p, state="Connected" if ((p.remote_vnet_id or "").lower(),
                                                        p.vnet_id.lower()) in pairs
                                else "Initiated")
            for p in self._peerings)
        for n in self._nics:
            nid = self.nic_id(n.name)
            config = IpConfiguration(
                id=self.config_id(n.name), name="ipconfig1",
                type="Microsoft.Network/networkInterfaces/ipConfigurations", nic_id=nid,
                private_ip=Prefix.parse(n.private_ip), subnet_id=n.subnet_id,
                public_ip_id=n.public_ip_id, asg_ids=n.asg_ids, primary=True)
            resources.append(NetworkInterface(
                id=nid, name=n.name, type="Microsoft.Network/networkInterfaces",
                ip_configurations=(config,), nsg_id=n.nsg_id, ip_forwarding=n.ip_forwarding,
                private_endpoint_id=f"{NET}/privateEndpoints/{n.name}" if n.private_endpoint else None))
            if n.private_endpoint:
                resources.append(PrivateEndpoint(
                    id=f"{NET}/privateEndpoints/{n.name}", name=n.name,
                    type="Microsoft.Network/privateEndpoints", subnet_id=n.subnet_id,
                    nic_ids=(nid,), private_ips=(Prefix.parse(n.private_ip),)))
        for name, (addr, sku) in self._pips.items():
            pid = self.pip_id(name)
            resources.append(PublicIp(
                id=pid, name=name, type="Microsoft.Network/publicIPAddresses",
                address=Prefix.parse(addr), sku=sku, attached_to=self._pip_owner.get(pid)))
        for name in self._asgs:
            resources.append(ApplicationSecurityGroup(
                id=self.asg_id(name), name=name,
                type="Microsoft.Network/applicationSecurityGroups"))
        for name, specs in self._nsgs.items():
            nid = self.nsg_id(name)
            rules = tuple(SecurityRule(
                id=f"{nid}/securityRules/{s.name}", name=s.name,
                type="Microsoft.Network/networkSecurityGroups/securityRules", nsg_id=nid,
                priority=s.priority, direction=s.direction, access=s.access,
                protocol=s.protocol,
                sources=tuple(address(a) for a in s.sources),
                destinations=tuple(address(a) for a in s.destinations),
                source_ports=tuple(PortRange.parse(p) for p in s.source_ports) or (ANY_PORT,),
                destination_ports=tuple(PortRange.parse(p) for p in s.destination_ports)
                or (ANY_PORT,),
                source_asg_ids=s.source_asg_ids, destination_asg_ids=s.destination_asg_ids,
            ) for s in specs)
            resources.append(NetworkSecurityGroup(
                id=nid, name=name, type="Microsoft.Network/networkSecurityGroups", rules=rules))
        for name, entries in self._tables.items():
            tid = self.route_table_id(name)
            routes = tuple(Route(
                id=f"{tid}/routes/{rname}", name=rname, type="Microsoft.Network/routeTables/routes",
                route_table_id=tid, prefix=Prefix.parse(prefix), next_hop=hop,
                next_hop_ip=hop_ip) for rname, prefix, hop, hop_ip in entries)
            resources.append(RouteTable(id=tid, name=name, type="Microsoft.Network/routeTables",
                                        routes=routes))
        resources.extend(self._balancers)
        return Estate(resources)


# ---------------------------------------------------------------------------------------
# Random estates
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """What a random estate holds that is useful for picking packets. Addresses are ints."""

    nic_ips: tuple[tuple[str, int], ...]            # (ipConfiguration id, private IP)
    public_ips: tuple[tuple[int, str, str], ...]    # (address, public IP id, ipConfiguration id)
    internet_ips: tuple[int, ...]                   # addresses nobody in the estate holds, public
    unheld_private_ips: tuple[int, ...]             # private addresses nobody holds
    forwarding_ips: tuple[int, ...]                 # private IPs of NICs with ip_forwarding
    vnet_spaces: tuple[str, ...]                    # "10.X.0.0/16" per VNet

    def config_ip(self, config_id: str) -> int:
        return dict(self.nic_ips)[config_id]


PORTS = ("22", "80", "443", "3389", "1433")
PORT_RANGES = ("20-25", "1000-2000")
TAGS = ("VirtualNetwork", "Internet", "AzureLoadBalancer")
PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.ICMP, Protocol.ANY)


def _chance(draw, percent: int) -> bool:
    """A biased coin (hypothesis shrinks toward False)."""
    return draw(st.integers(0, 99)) < percent


@st.composite
def estates(draw, max_vnets: int = 3, max_rules: int = 8, balancers: bool = False):
    """A random small estate and its ``Meta``. Deterministic given the draw. ``balancers``:
    every subnet with appliances gets an internal load balancer in front of one, and most
    routes to an appliance go to a balancer's frontend."""
    b = Builder()
    n_vnets = draw(st.integers(1, max_vnets))
    octets = draw(st.lists(st.integers(0, 9), min_size=n_vnets, max_size=n_vnets, unique=True))
    n_nsgs = draw(st.integers(1 if balancers else 0, 4))
    n_asgs = draw(st.integers(0, 3))
    n_tables = draw(st.integers(0, 2))
    nsg_ids = [b.nsg_id(f"nsg{i}") for i in range(n_nsgs)]
    asg_ids = [b.asg(f"asg{i}") for i in range(n_asgs)]
    table_ids = [b.route_table_id(f"rt{i}") for i in range(n_tables)]

    def maybe(ids: list[str], percent: int) -> str | None:
        if not ids or not _chance(draw, percent):
            return None
        return draw(st.sampled_from(ids))

    vnet_names = [f"vnet{x}" for x in octets]
    nic_ips: list[tuple[str, int]] = []
    public_ips: list[tuple[int, str, str]] = []
    forwarding: list[int] = []
    subnet_cidrs: list[str] = []
    endpoint_ips: list[str] = []          # private endpoints' NICs: /32 system routes
    frontends: list[str] = []             # internal load balancers' frontends: next hops
    unheld: list[int] = [ip("10.77.0.5"), ip("192.168.1.10"), ip("172.16.5.5"),
                         ip("100.64.1.1")]
    for x, vname in zip(octets, vnet_names):
        b.vnet(vname, f"10.{x}.0.0/16")
        unheld.append(ip(f"10.{x}.200.5"))
        for j in range(1, draw(st.integers(1, 3)) + 1):
            cidr = f"10.{x}.{j}.0/24"
            subnet_cidrs.append(cidr)
            unheld.append(ip(f"10.{x}.{j}.200"))
            sid = b.subnet_id(vname, f"snet{j}")
            subnet_forwards = False
            appliances: list[str] = []
            for k in range(draw(st.integers(1, 3))):
                name = f"nic-{x}-{j}-{k}"
                private = f"10.{x}.{j}.{4 + k}"
                pip = None
                if _chance(draw, 35):
                    sku = draw(st.sampled_from(["Basic", "Standard"]))
                    pip = b.public_ip(f"pip-{x}-{j}-{k}", f"20.{x}.{j}.{4 + k}", sku)
                members = tuple(
                    # ARM ids are case-insensitive: sometimes refer in upper case.
                    (a.upper() if _chance(draw, 20) else a)
                    for a in asg_ids if _chance(draw, 40))
                forwards = _chance(draw, 30)
                endpoint = not forwards and pip is None and _chance(draw, 25)
                if endpoint:
                    endpoint_ips.append(private)
                cid = b.nic(sid, name, private, nsg=maybe(nsg_ids, 40), ip_forwarding=forwards,
                            asgs=members, public_ip=pip, private_endpoint=endpoint)
                nic_ips.append((cid, ip(private)))
                if forwards:
                    forwarding.append(ip(private))
                    appliances.append(cid)
                    subnet_forwards = True
                if pip:
                    public_ips.append((ip(f"20.{x}.{j}.{4 + k}"), pip, cid))
            # An internal load balancer in front of one of the subnet's appliances (one member:
            # the reference evaluator answers per packet, and the balancer's pick is a hash).
            if appliances and (balancers or _chance(draw, 50)):
                frontend = f"10.{x}.{j}.100"
                b.internal_load_balancer(f"ilb-{x}-{j}", sid, frontend, (appliances[0],),
                                         ha_ports=_chance(draw, 80))
                frontends.append(frontend)
            # Subnets holding an NVA get a route table less often (else most paths loop).
            balanced = balancers and bool(appliances)   # open to the balancer: an NSG
            b.subnet(vname, f"snet{j}", cidr, nsg=maybe(nsg_ids, 85 if balanced else 60),
                     route_table=maybe(table_ids, 10 if subnet_forwards else 60),
                     endpoint_policies=draw(st.sampled_from(
                         ["Disabled", "Enabled", "RouteTableEnabled", "NetworkSecurityGroupEnabled"])))

    # Peerings: for each pair nothing, both sides, or a single side.
    for a in range(n_vnets):
        for c in range(a + 1, n_vnets):
            shape = draw(st.sampled_from(["none", "both", "both", "a", "c"]))
            if shape == "none":
                continue
            sides = {"both": [(a, c), (c, a)], "a": [(a, c)], "c": [(c, a)]}[shape]
            for left, right in sides:
                b.peering(vnet_names[left], vnet_names[right], access=_chance(draw, 80),
                          forwarded=_chance(draw, 50))

    # Route tables.
    prefixes = (["0.0.0.0/0"] * 3 + ["10.0.0.0/8", "203.0.113.0/24"]
                + [f"10.{x}.0.0/16" for x in octets] * 2 + subnet_cidrs
                + [f"10.{x}.9.0/24" for x in octets] + [f"{a}/32" for a in endpoint_ips])
    hop_ips = (frontends + [ip_text(v) for v in forwarding] + [ip_text(v) for _, v in nic_ips]
               + [f"10.{octets[0]}.250.4"])
    for t in range(n_tables):
        chosen = draw(st.lists(st.sampled_from(prefixes), min_size=1, max_size=4, unique=True))
        routes = []
        for r, prefix in enumerate(chosen):
            hop = draw(st.sampled_from(["VirtualAppliance", "VirtualAppliance", "VnetLocal",
                                        "Internet", "None"]))
            if hop == "VirtualAppliance":
                if frontends and _chance(draw, 75 if balancers else 40):
                    hop_ip = draw(st.sampled_from(frontends))
                elif forwarding and _chance(draw, 75):
                    hop_ip = ip_text(draw(st.sampled_from(forwarding)))
                else:
                    hop_ip = draw(st.sampled_from(hop_ips))
                routes.append((f"udr{r}", prefix, hop, hop_ip))
            else:
                routes.append((f"udr{r}", prefix, hop))
        b.route_table(f"rt{t}", *routes)

    # NSG rules.
    nic_addresses = [ip_text(v) for _, v in nic_ips]
    cidr_bases = nic_addresses + [ip_text(v) for v, _, _ in public_ips] + list(INTERNET_IPS)

    def an_address() -> tuple[tuple[str, ...], tuple[str, ...]]:
        kinds = ["*", "*", "0/0", "cidr", "nic", "tag", "tag"] + (["asg"] * 2 if asg_ids else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "*":
            return ("*",), ()
        if kind == "0/0":
            return ("0.0.0.0/0",), ()
        if kind == "tag":
            return (draw(st.sampled_from(TAGS)),), ()
        if kind == "asg":
            chosen = draw(st.lists(st.sampled_from(asg_ids), min_size=1, max_size=2, unique=True))
            return (), tuple(a.upper() if _chance(draw, 20) else a for a in chosen)
        count = 2 if _chance(draw, 15) else 1
        found = []
        for _ in range(count):
            if kind == "nic":
                found.append(draw(st.sampled_from(nic_addresses)) + "/32")
            else:
                base = draw(st.sampled_from(cidr_bases))
                length = draw(st.sampled_from([8, 12, 16, 16, 20, 24, 24, 28, 32]))
                found.append(str(ipaddress.ip_network(f"{base}/{length}", strict=False)))
        return tuple(dict.fromkeys(found)), ()

    def a_port() -> str:
        return draw(st.sampled_from(["*", "*", *PORTS, *PORT_RANGES]))

    for i in range(n_nsgs):
        n_rules = draw(st.integers(0, max_rules))
        priorities = draw(st.lists(st.integers(100, 4096), min_size=n_rules, max_size=n_rules,
                                   unique=True))
        specs = []
        for r, priority in enumerate(priorities):
            sources, source_asgs = an_address()
            destinations, destination_asgs = an_address()
            src_ports = ("1000-2000",) if _chance(draw, 10) else ("*",)
            specs.append(RuleSpec(
                name=f"r{r}", priority=priority,
                direction=draw(st.sampled_from([Direction.INBOUND, Direction.OUTBOUND])),
                access=draw(st.sampled_from([Access.ALLOW, Access.DENY])),
                protocol=draw(st.sampled_from(PROTOCOLS)),
                sources=sources, destinations=destinations,
                source_ports=src_ports, destination_ports=(a_port(),),
                source_asg_ids=source_asgs, destination_asg_ids=destination_asgs))
        b.nsg(f"nsg{i}", *specs)

    meta = Meta(
        nic_ips=tuple(nic_ips), public_ips=tuple(public_ips),
        internet_ips=tuple(ip(a) for a in INTERNET_IPS), unheld_private_ips=tuple(unheld),
        forwarding_ips=tuple(forwarding), vnet_spaces=tuple(f"10.{x}.0.0/16" for x in octets))
    return b.build(), meta


TCP, UDP, ICMP, ESP = 6, 17, 1, 50
_PACKET_PORTS = (22, 80, 443, 3389, 1433, 21, 25, 1500, 5000)


@st.composite
def packets(draw, meta: Meta):
    """An ``(src, packet)`` for ``oracle.evaluate``: mostly from a NIC (its own address as
    source) to a NIC, an unheld private address or the internet; sometimes from the
    internet to a public IP (or, rarely, straight to a private address). Never from a NIC
    to a public IP of the estate (the oracle calls that out of scope), never from a NIC to
    its own address."""
    protocol = draw(st.sampled_from([TCP, TCP, UDP, ICMP, ESP]))
    if protocol in (TCP, UDP):
        if _chance(draw, 80):
            sport = draw(st.sampled_from([40000, 1500, 22, 53]))
        else:
            sport = draw(st.integers(0, 65535))
        if _chance(draw, 85):
            dport = draw(st.sampled_from(_PACKET_PORTS))
        else:
            dport = draw(st.integers(0, 65535))
    else:
        sport = dport = 0
    from_internet = _chance(draw, 25 if meta.public_ips else 5)
    if from_internet:
        src_ip = draw(st.sampled_from(meta.internet_ips))
        if meta.public_ips and _chance(draw, 85):
            dst_ip = draw(st.sampled_from(meta.public_ips))[0]
        else:
            dst_ip = draw(st.sampled_from([v for _, v in meta.nic_ips]))
        return ("internet", src_ip), (src_ip, dst_ip, protocol, sport, dport)
    config_id, src_ip = draw(st.sampled_from(meta.nic_ips))
    pool = draw(st.sampled_from(["nic", "nic", "nic", "unheld", "internet"]))
    others = [v for _, v in meta.nic_ips if v != src_ip]
    if pool == "nic" and others:
        dst_ip = draw(st.sampled_from(others))
    elif pool in ("unheld", "nic"):
        dst_ip = draw(st.sampled_from(meta.unheld_private_ips))
    else:
        dst_ip = draw(st.sampled_from(meta.internet_ips))
    return ("nic", config_id), (src_ip, dst_ip, protocol, sport, dport)


@st.composite
def scenarios(draw, n_packets: int = 1):
    """``(estate, meta, [(src, packet), ...])``."""
    estate, meta = draw(estates())
    traffic = [draw(packets(meta)) for _ in range(n_packets)]
    return estate, meta, traffic
