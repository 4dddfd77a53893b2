"""The reference oracle: decides one concrete packet by direct, rule-by-rule evaluation.

It is written independently of ``netwarden.engine`` (it must not import it): the
symbolic engine is checked against it on random estates. It reads only the model.

    evaluate(estate, src, packet) -> Verdict

``src`` is ``("nic", ip_configuration_id)`` or ``("internet", src_ip)``; ``packet`` is
``(src_ip, dst_ip, protocol, src_port, dst_port)`` with integer IPv4 addresses, the IANA
protocol number, and ports 0 for protocols other than TCP (6) and UDP (17).

Semantics (the project's decisions, after Azure's documentation):

NSG rules
    First match by ascending priority: user rules, then Azure's defaults
    (``NetworkSecurityGroup.effective_rules``). Protocol ``*`` matches all, else equal
    IANA numbers. A rule matches when any of its sources (prefixes, tags or ASGs)
    matches the source address, any destination matches the destination address, any
    source port range and any destination port range match. A port range that is the
    whole 0-65535 matches every packet; any other range matches only TCP/UDP packets
    whose port lies in it.

Tags, relative to the subnet S (VNet V) where the NSG is applied
    VirtualNetwork = V's space, the spaces of VNets that V's own peering objects point
    to (remote VNet in the estate, allow_virtual_network_access on V's side), the
    prefixes of every UDR of S's route table (0.0.0.0/0 included), and 168.63.129.16.
    Internet = IPv4 minus the VNet's and its connected peers' spaces minus 10/8, 172.16/12, 192.168/16, 100.64/10,
    168.63.129.16. AzureLoadBalancer = 168.63.129.16. Other tags match nothing.

Paths
    From a NIC: outbound NIC NSG, outbound subnet NSG, then routing from its subnet.
    Routing: system routes (VNet space -> VnetLocal; connected peerings -> the remote
    space -> VNetPeering; 0/0 -> Internet; 10/8, 172.16/12, 192.168/16, 100.64/10 ->
    None unless covered by a VnetLocal/VNetPeering prefix, and all four gone when the
    route table has a 0/0 UDR), UDRs replacing system routes of the same prefix,
    longest prefix match, UDR wins ties.
    Delivery to a host: inbound subnet NSG, then NIC NSG. VirtualAppliance: the NVA is
    reached like a host (peering checks, inbound NSGs); it is the destination when it
    holds dst, else it needs ip_forwarding and forwards through its outbound NSGs and
    its subnet's routes. From the internet: only to a NIC's public IP, translated to the
    private IP; a Standard public IP with no NSG at all is closed.
"""

from __future__ import annotations

import ipaddress
import weakref
from dataclasses import dataclass, field

from netwarden.model import (
    Access,
    AnyAddress,
    Direction,
    Estate,
    IpConfiguration,
    NetworkInterface,
    NetworkSecurityGroup,
    NextHop,
    Peering,
    Prefix,
    Protocol,
    PublicIp,
    RouteTable,
    SecurityRule,
    ServiceTag,
    Subnet,
    VirtualNetwork,
)
from netwarden.model.compute import PublicIpSku
from netwarden.model.edge import LoadBalancer
from netwarden.model.ids import key

TCP, UDP = 6, 17
ALL_V4 = Prefix.parse("0.0.0.0/0")
AZURE_HOST = Prefix.parse("168.63.129.16/32")
RESERVED_PRIVATE = tuple(Prefix.parse(p) for p in
                         ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))

Packet = tuple[int, int, int, int, int]
Source = tuple[str, "str | int"]
DroppedBy = tuple[str, "str | None", "str | None"]


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One step of the evaluation, for reading failures: what was looked at and how it
    decided. ``kind`` is one of nsg, route, peering, appliance, deliver, dnat, internet."""

    kind: str
    resource_id: str | None
    detail: str

    def __str__(self) -> str:
        where = f" [{self.resource_id}]" if self.resource_id else ""
        return f"{self.kind}: {self.detail}{where}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    arrived_at: str | None                  # "nic:<ipConfiguration id>" / "internet" / "onprem"
    dropped_by: DroppedBy | None            # (kind, resource id, rule name or None)
    hops: list[Hop] = field(default_factory=list, compare=False)

    def explain(self) -> str:
        lines = [str(h) for h in self.hops]
        lines.append(f"=> arrived at {self.arrived_at}" if self.allowed
                     else f"=> dropped by {self.dropped_by}")
        return "\n".join(lines)


class _Drop(Exception):
    def __init__(self, kind: str, resource_id: str | None, name: str | None) -> None:
        super().__init__(kind, resource_id, name)
        self.by: DroppedBy = (kind, resource_id, name)


class _Arrive(Exception):
    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


# ---------------------------------------------------------------------------------------
# An index of the estate (built once per estate, cached weakly)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Host:
    config: IpConfiguration
    nic: NetworkInterface
    subnet: Subnet
    vnet: VirtualNetwork


@dataclass(frozen=True)
class _Route:
    first: int
    last: int
    next_hop: NextHop
    next_hop_ip: str | None
    is_udr: bool
    table_id: str | None        # None for system routes
    name: str                   # UDR name, or the prefix text of a system route
    route_id: str | None        # the UDR's id
    remote: VirtualNetwork | None = None   # for VNetPeering routes

    @property
    def size(self) -> int:
        return self.last - self.first + 1


_NON_PUBLIC = tuple(
    (int(n.network_address), int(n.broadcast_address)) for n in map(ipaddress.ip_network, (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "0.0.0.0/8",
        "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "168.63.129.16/32")))


def _is_v4(prefix: Prefix) -> bool:
    return prefix.version == 4


class _View:
    def __init__(self, estate: Estate) -> None:
        self.estate = estate
        self.hosts: list[_Host] = []
        for nic in estate.nics:
            for config in nic.ip_configurations:
                subnet = estate.get(config.subnet_id, Subnet)
                vnet = estate.vnet_of(subnet) if subnet is not None else None
                if subnet is None or vnet is None or config.private_ip is None:
                    continue
                self.hosts.append(_Host(config, nic, subnet, vnet))
        self.by_config = {key(h.config.id): h for h in self.hosts}
        self._tags: dict[str, list[tuple[int, int]]] = {}
        self._routes: dict[str, list[_Route]] = {}

    # hosts ------------------------------------------------------------------------------
    def host(self, config_id: str) -> _Host:
        found = self.by_config.get(key(config_id))
        if found is None:
            raise ValueError(f"no ipConfiguration {config_id} with a subnet and a private IP")
        return found

    def holder(self, vnet: VirtualNetwork, address: int) -> _Host | None:
        """The ipConfiguration in ``vnet`` whose private IP is ``address``."""
        for h in self.hosts:
            if key(h.vnet.id) == key(vnet.id) and _is_v4(h.config.private_ip) \
                    and address in h.config.private_ip:
                return h
        return None

    def asg_holds(self, asg_id: str, address: int) -> bool:
        for h in self.hosts:
            if any(key(a) == key(asg_id) for a in h.config.asg_ids) \
                    and _is_v4(h.config.private_ip) and address in h.config.private_ip:
                return True
        return False

    def public_ip_at(self, address: int) -> tuple[PublicIp, _Host] | None:
        for h in self.hosts:
            pip = self.estate.get(h.config.public_ip_id, PublicIp)
            if pip is not None and pip.address is not None and pip.address.first == address:
                return pip, h
        return None

    # peerings ---------------------------------------------------------------------------
    def peering(self, vnet: VirtualNetwork, remote: VirtualNetwork) -> Peering | None:
        """``vnet``'s own peering object pointing to ``remote`` (the first, if several)."""
        for p in self.estate.peerings_of(vnet):
            if p.remote_vnet_id and key(p.remote_vnet_id) == key(remote.id):
                return p
        return None

    def connected_peers(self, vnet: VirtualNetwork) -> list[VirtualNetwork]:
        """VNets peered with ``vnet`` from both sides (both Peering objects exist)."""
        found: list[VirtualNetwork] = []
        for p in self.estate.peerings_of(vnet):
            remote = self.estate.get(p.remote_vnet_id, VirtualNetwork)
            if remote is None or any(key(r.id) == key(remote.id) for r in found):
                continue
            if self.peering(remote, vnet) is not None:
                found.append(remote)
        return found

    # tags -------------------------------------------------------------------------------
    def virtual_network(self, subnet: Subnet) -> list[tuple[int, int]]:
        cached = self._tags.get(key(subnet.id))
        if cached is not None:
            return cached
        vnet = self.estate.vnet_of(subnet)
        ranges: list[Prefix] = []
        if vnet is not None:
            ranges.extend(vnet.address_space)
            for p in self.estate.peerings_of(vnet):
                remote = self.estate.get(p.remote_vnet_id, VirtualNetwork)
                # a peering carries traffic (and widens the tag) only once both sides exist
                if remote is not None and p.allow_virtual_network_access \
                        and self.peering(remote, vnet) is not None:
                    ranges.extend(remote.address_space)
        table = self.estate.get(subnet.route_table_id, RouteTable)
        if table is not None:
            ranges.extend(r.prefix for r in table.routes if r.prefix is not None)
        ranges.append(AZURE_HOST)
        result = [(p.first, p.last) for p in ranges if _is_v4(p)]
        self._tags[key(subnet.id)] = result
        return result

    def tag_holds(self, tag: str, address: int, subnet: Subnet) -> bool:
        name = tag.lower()
        if name == "virtualnetwork":
            return any(lo <= address <= hi for lo, hi in self.virtual_network(subnet))
        if name == "internet":
            # public space outside the VNet and its connected peers; UDR prefixes do not
            # shrink it (they only widen VirtualNetwork)
            vnet = self.estate.vnet_of(subnet)
            spaces = list(vnet.address_space) if vnet else []
            for remote in (self.connected_peers(vnet) if vnet else []):
                spaces.extend(remote.address_space)
            if any(address in p for p in spaces if _is_v4(p)):
                return False
            if any(address in p for p in RESERVED_PRIVATE) or address in AZURE_HOST:
                return False
            return True
        if name == "azureloadbalancer":
            return address in AZURE_HOST
        return False

    # routes -----------------------------------------------------------------------------
    def routes(self, subnet: Subnet) -> list[_Route]:
        cached = self._routes.get(key(subnet.id))
        if cached is not None:
            return cached
        vnet = self.estate.vnet_of(subnet)
        assert vnet is not None
        system: list[_Route] = []
        for p in vnet.address_space:
            if _is_v4(p):
                system.append(_Route(p.first, p.last, NextHop.VNET_LOCAL, None, False, None,
                                     p.text, None))
        for remote in self.connected_peers(vnet):
            for p in remote.address_space:
                if _is_v4(p):
                    system.append(_Route(p.first, p.last, NextHop.VNET_PEERING, None, False,
                                         None, p.text, None, remote))
        system.append(_Route(ALL_V4.first, ALL_V4.last, NextHop.INTERNET, None, False, None,
                             "0.0.0.0/0", None))
        table = self.estate.get(subnet.route_table_id, RouteTable)
        udrs: list[_Route] = []
        if table is not None:
            for r in table.routes:
                if r.prefix is None or not _is_v4(r.prefix):
                    continue      # service-tag UDRs: not generated by the random estates
                udrs.append(_Route(r.prefix.first, r.prefix.last, r.next_hop, r.next_hop_ip,
                                   True, table.id, r.name, r.id))
        default_udr = any(u.first == ALL_V4.first and u.last == ALL_V4.last for u in udrs)
        if not default_udr:
            local = [s for s in system if s.next_hop in (NextHop.VNET_LOCAL, NextHop.VNET_PEERING)]
            for p in RESERVED_PRIVATE:
                if not any(s.first <= p.first and p.last <= s.last for s in local):
                    system.append(_Route(p.first, p.last, NextHop.NONE, None, False, None,
                                         p.text, None))
        # A private endpoint's /32 (next hop type InterfaceEndpoint) in every subnet of its
        # VNet and of directly peered VNets. A UDR of the same /32 replaces it (below, as any
        # system route); with route-table policies on the endpoint's subnet, a UDR covering it
        # at least as long as the VNet's address-space prefix invalidates it; 0/0 never does.
        for remote in [vnet, *self.connected_peers(vnet)]:
            for h in self.hosts:
                if key(h.vnet.id) != key(remote.id) or not h.nic.private_endpoint_id \
                        or not _is_v4(h.config.private_ip):
                    continue
                ip = h.config.private_ip.first
                block = next((p for p in remote.address_space if _is_v4(p) and ip in p), None)
                if h.subnet.udr_applies_to_private_endpoints and block is not None and any(
                        u.first <= ip <= u.last and u.size <= block.last - block.first + 1
                        for u in udrs):
                    continue
                same = key(remote.id) == key(vnet.id)
                system.append(_Route(ip, ip, NextHop.VNET_LOCAL if same else NextHop.VNET_PEERING,
                                     None, False, None, f"{h.config.private_ip.text} (endpoint)",
                                     None, None if same else remote))
        replaced = {(u.first, u.last) for u in udrs}
        result = udrs + [s for s in system if (s.first, s.last) not in replaced]
        self._routes[key(subnet.id)] = result
        return result

    def select_route(self, subnet: Subnet, address: int) -> _Route | None:
        best: _Route | None = None
        for r in self.routes(subnet):           # UDRs first, in table order
            if not r.first <= address <= r.last:
                continue
            if best is None or r.size < best.size:
                best = r
            # equal size: keep the earlier one (a UDR before any system route)
        return best


_VIEWS: weakref.WeakKeyDictionary[Estate, _View] = weakref.WeakKeyDictionary()


def _view(estate: Estate) -> _View:
    found = _VIEWS.get(estate)
    if found is None:
        found = _VIEWS[estate] = _View(estate)
    return found


# ---------------------------------------------------------------------------------------
# NSG evaluation
# ---------------------------------------------------------------------------------------


def _port_matches(ranges, protocol: int, port: int) -> bool:
    for r in ranges:
        if r.is_any:
            return True
        if protocol in (TCP, UDP) and r.lo <= port <= r.hi:
            return True
    return False


def _address_matches(view: _View, addresses, asg_ids, address: int, subnet: Subnet) -> bool:
    for a in addresses:
        if isinstance(a, AnyAddress):
            return True
        if isinstance(a, Prefix):
            if _is_v4(a) and a.first <= address <= a.last:
                return True
        elif isinstance(a, ServiceTag):
            if view.tag_holds(a.name, address, subnet):
                return True
    return any(view.asg_holds(asg_id, address) for asg_id in asg_ids)


def rule_matches(view: _View, rule: SecurityRule, packet: Packet, subnet: Subnet) -> bool:
    src_ip, dst_ip, protocol, src_port, dst_port = packet
    if rule.protocol is not Protocol.ANY and rule.protocol.value != protocol:
        return False
    if not _address_matches(view, rule.sources, rule.source_asg_ids, src_ip, subnet):
        return False
    if not _address_matches(view, rule.destinations, rule.destination_asg_ids, dst_ip, subnet):
        return False
    if not _port_matches(rule.source_ports, protocol, src_port):
        return False
    return _port_matches(rule.destination_ports, protocol, dst_port)


def decide(view: _View, nsg: NetworkSecurityGroup, direction: Direction, packet: Packet,
           subnet: Subnet) -> SecurityRule:
    for rule in nsg.effective_rules(direction):
        if rule_matches(view, rule, packet, subnet):
            return rule
    raise AssertionError("the default Deny* rule matches every packet")


def _filter(view: _View, nsg_id: str | None, where: str, direction: Direction,
            packet: Packet, subnet: Subnet, hops: list[Hop]) -> None:
    """Apply the NSG at one level (absent NSG: allows); raise _Drop on deny."""
    if nsg_id is None:
        hops.append(Hop("nsg", None, f"{direction.value} at {where}: no NSG, allowed"))
        return
    nsg = view.estate.get(nsg_id, NetworkSecurityGroup)
    if nsg is None:
        # A dangling NSG reference: not generated; treat it as absent but say so.
        hops.append(Hop("nsg", nsg_id, f"{direction.value} at {where}: NSG not in estate"))
        return
    rule = decide(view, nsg, direction, packet, subnet)
    hops.append(Hop("nsg", nsg.id, f"{direction.value} at {where}: {rule.access.value} by "
                                    f"{rule.name} ({rule.priority})"))
    if rule.access is Access.DENY:
        raise _Drop("nsg", nsg.id, rule.name)


def _outbound(view: _View, host: _Host, packet: Packet, hops: list[Hop]) -> None:
    _filter(view, host.nic.nsg_id, f"nic {host.nic.name}", Direction.OUTBOUND, packet,
            host.subnet, hops)
    _filter(view, host.subnet.nsg_id, f"subnet {host.subnet.name}", Direction.OUTBOUND,
            packet, host.subnet, hops)


def _inbound(view: _View, host: _Host, packet: Packet, hops: list[Hop]) -> None:
    if host.nic.private_endpoint_id and not host.subnet.nsg_applies_to_private_endpoints:
        return      # NSGs reach a private endpoint only where its subnet's policy says so
    _filter(view, host.subnet.nsg_id, f"subnet {host.subnet.name}", Direction.INBOUND,
            packet, host.subnet, hops)
    _filter(view, host.nic.nsg_id, f"nic {host.nic.name}", Direction.INBOUND, packet,
            host.subnet, hops)


# ---------------------------------------------------------------------------------------
# Forwarding
# ---------------------------------------------------------------------------------------


def _cross_peering(view: _View, vnet: VirtualNetwork, remote: VirtualNetwork, packet: Packet,
                   hops: list[Hop]) -> None:
    """The gates of a packet routed from ``vnet`` into the peered ``remote``."""
    ours = view.peering(vnet, remote)
    theirs = view.peering(remote, vnet)
    assert ours is not None and theirs is not None, "only connected peerings carry routes"
    if not ours.allow_virtual_network_access:
        hops.append(Hop("peering", ours.id, "allowVirtualNetworkAccess is off"))
        raise _Drop("peering", ours.id, None)
    src_ip = packet[0]
    forwarded = not any(_is_v4(p) and src_ip in p for p in vnet.address_space)
    if forwarded and not theirs.allow_forwarded_traffic:
        hops.append(Hop("peering", theirs.id,
                        "forwarded packet, remote side's allowForwardedTraffic is off"))
        raise _Drop("peering", theirs.id, None)
    hops.append(Hop("peering", ours.id, f"{vnet.name} -> {remote.name}"
                                        + (" (forwarded)" if forwarded else "")))


def _deliver(view: _View, host: _Host, packet: Packet, hops: list[Hop]) -> None:
    _inbound(view, host, packet, hops)
    hops.append(Hop("deliver", host.config.id, f"at {host.nic.name}"))
    raise _Arrive(f"nic:{host.config.id}")


def _route_from(view: _View, subnet: Subnet, packet: Packet, hops: list[Hop],
                visited: set[str]) -> None:
    """Route a packet leaving ``subnet``; always ends by raising _Drop or _Arrive."""
    vnet = view.estate.vnet_of(subnet)
    assert vnet is not None
    dst = packet[1]
    route = view.select_route(subnet, dst)
    if route is None:   # cannot happen: 0/0 always exists
        raise _Drop("no-route", None, None)
    hops.append(Hop("route", route.route_id or route.table_id,
                    f"from {subnet.name}: {'UDR' if route.is_udr else 'system'} {route.name} "
                    f"-> {route.next_hop.value}"
                    + (f" {route.next_hop_ip}" if route.next_hop_ip else "")))
    hop = route.next_hop
    table = route.table_id or "system"
    if hop is NextHop.NONE:
        raise _Drop("route", table, route.name)
    if hop is NextHop.INTERNET:
        found = view.public_ip_at(dst)
        if found is not None:
            raise _Drop("unsupported", found[0].id, None)
        # Non-public destinations (private, shared, loopback, link-local, multicast,
        # reserved) cannot be delivered across the internet: the packet is lost there.
        if any(lo <= dst <= hi for lo, hi in _NON_PUBLIC):
            raise _Drop("internet", None, None)
        hops.append(Hop("internet", None, "leaves Azure to the internet"))
        raise _Arrive("internet")
    if hop is NextHop.GATEWAY:
        raise _Drop("no-gateway", table, route.name)
    if hop is NextHop.VNET_LOCAL:
        target = view.holder(vnet, dst)
        if target is None:
            raise _Drop("no-host", vnet.id, None)
        _deliver(view, target, packet, hops)
    if hop is NextHop.VNET_PEERING:
        assert route.remote is not None
        _cross_peering(view, vnet, route.remote, packet, hops)
        target = view.holder(route.remote, dst)
        if target is None:
            raise _Drop("no-host", route.remote.id, None)
        _deliver(view, target, packet, hops)
    if hop is NextHop.APPLIANCE:
        _appliance(view, vnet, route, packet, hops, visited)
    raise _Drop("unsupported", route.route_id, route.next_hop.value)


def _appliance(view: _View, vnet: VirtualNetwork, route: _Route, packet: Packet,
               hops: list[Hop], visited: set[str]) -> None:
    try:
        address = int(ipaddress.IPv4Address((route.next_hop_ip or "").strip()))
    except ValueError:
        raise _Drop("next-hop", route.route_id, None) from None
    nva = view.holder(vnet, address)
    peer: VirtualNetwork | None = None
    if nva is None:
        for remote in view.connected_peers(vnet):
            nva = view.holder(remote, address)
            if nva is not None:
                peer = remote
                break
    if nva is None:
        nva, peer = _balanced(view, vnet, address, packet, hops, route.route_id)
    if key(nva.nic.id) in visited:
        hops.append(Hop("appliance", nva.nic.id, "visited twice"))
        raise _Drop("loop", nva.nic.id, None)
    visited.add(key(nva.nic.id))
    if peer is not None:
        _cross_peering(view, vnet, peer, packet, hops)
    hops.append(Hop("appliance", nva.config.id, f"to NVA {nva.nic.name}"))
    _inbound(view, nva, packet, hops)
    if packet[1] in nva.config.private_ip:
        hops.append(Hop("deliver", nva.config.id, f"at {nva.nic.name} (the appliance)"))
        raise _Arrive(f"nic:{nva.config.id}")
    if not nva.nic.ip_forwarding:
        hops.append(Hop("appliance", nva.nic.id, "IP forwarding is off"))
        raise _Drop("ip-forwarding", nva.nic.id, None)
    _outbound(view, nva, packet, hops)
    _route_from(view, nva.subnet, packet, hops, visited)


def _balanced(view: _View, vnet: VirtualNetwork, address: int, packet: Packet,
              hops: list[Hop], route_id: str | None) -> tuple[_Host, None]:
    """A next hop that is an internal load balancer's frontend (in ``vnet`` or a connected
    peer): an HA-ports rule (protocol All, port 0) hands TCP and UDP to its pool's member (the
    random estates give a pool one member); anything else is dropped there. A Standard
    balancer is closed to a member with no NSG on its NIC or subnet. Returns the member (the
    peering, if any, already crossed)."""
    for remote in [vnet, *view.connected_peers(vnet)]:
        for lb in view.estate.of(LoadBalancer):
            for frontend in lb.frontends:
                subnet = view.estate.get(frontend.subnet_id, Subnet)
                if frontend.private_ip is None or address not in frontend.private_ip \
                        or subnet is None or key(subnet.vnet_id) != key(remote.id):
                    continue
                peer = None if remote is vnet else remote
                if peer is not None:
                    _cross_peering(view, vnet, peer, packet, hops)
                hops.append(Hop("balancer", lb.id, f"to {lb.name}"))
                rules = [r for r in lb.rules if key(r.frontend_id or "") == key(frontend.id)
                         and r.protocol is Protocol.ANY and r.frontend_port == 0]
                if not rules or packet[2] not in (6, 17):
                    raise _Drop("load-balancer", lb.id, None)
                members = [view.by_config[key(c)] for r in rules for pool in lb.backend_pools
                           if key(pool.id) in {key(p) for p in r.backend_pool_ids}
                           for c in pool.ip_configuration_ids if key(c) in view.by_config]
                if not members:
                    raise _Drop("load-balancer", lb.id, None)
                member = members[0]
                if not member.nic.nsg_id and not member.subnet.nsg_id:
                    raise _Drop("load-balancer", lb.id, None)
                return member, None
    raise _Drop("next-hop", route_id, None)


# ---------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------


def evaluate(estate: Estate, src: Source, packet: Packet) -> Verdict:
    """Where one concrete packet goes. See the module docstring for the semantics."""
    view = _view(estate)
    packet = tuple(int(v) for v in packet)  # type: ignore[assignment]
    if len(packet) != 5:
        raise ValueError("packet is (src_ip, dst_ip, protocol, src_port, dst_port)")
    hops: list[Hop] = []
    kind = src[0]
    try:
        if kind == "nic":
            host = view.host(str(src[1]))
            hops.append(Hop("source", host.config.id, f"from {host.nic.name}"))
            _outbound(view, host, packet, hops)
            _route_from(view, host.subnet, packet, hops, set())
        elif kind == "internet":
            _from_internet(view, packet, hops)
        else:
            raise ValueError(f"unknown source kind {kind!r} (expected 'nic' or 'internet')")
    except _Drop as drop:
        return Verdict(False, None, drop.by, hops)
    except _Arrive as arrive:
        return Verdict(True, arrive.where, None, hops)
    raise AssertionError("evaluation ended without a verdict")


def _from_internet(view: _View, packet: Packet, hops: list[Hop]) -> None:
    src_ip, dst_ip, protocol, src_port, dst_port = packet
    found = view.public_ip_at(dst_ip)
    if found is None:
        hops.append(Hop("internet", None, "no public IP of the estate holds the destination"))
        raise _Drop("no-route", None, None)
    pip, host = found
    private = host.config.private_ip.first
    translated: Packet = (src_ip, private, protocol, src_port, dst_port)
    hops.append(Hop("dnat", pip.id, f"{pip.address} -> {ipaddress.IPv4Address(private)} "
                                    f"({pip.sku.value})"))
    if pip.sku is PublicIpSku.STANDARD and host.subnet.nsg_id is None and host.nic.nsg_id is None:
        raise _Drop("public-ip", pip.id, None)
    _deliver(view, host, translated, hops)


def nsg_decision(estate: Estate, nsg_id: str, direction: Direction, packet: Packet,
                 subnet_id: str) -> SecurityRule:
    """The rule of one NSG that decides ``packet`` when the NSG is applied at ``subnet_id``
    (the subnet itself, or the subnet of a NIC it is attached to: tags are relative to it)."""
    view = _view(estate)
    nsg = estate.get(nsg_id, NetworkSecurityGroup)
    subnet = estate.get(subnet_id, Subnet)
    if nsg is None or subnet is None:
        raise ValueError("unknown NSG or subnet")
    concrete: Packet = tuple(int(v) for v in packet)  # type: ignore[assignment]
    return decide(view, nsg, direction, concrete, subnet)


__all__ = ["Hop", "Verdict", "evaluate", "nsg_decision"]
