"""Shared by the seg and hyb checks: where an NSG is evaluated, and measures of packet sets
(how many ports, how many addresses) computed exactly on the BDD, never from rule text."""

from __future__ import annotations

import ipaddress

from netwarden.engine.addresses import HOST_IP, NON_PUBLIC
from netwarden.engine.packets import TCP, PacketSet, PacketSpace
from netwarden.engine.topology import Topology
from netwarden.model.base import Resource
from netwarden.model.edge import Firewall, LoadBalancer
from netwarden.model.estate import Estate
from netwarden.model.security import NetworkSecurityGroup

PLATFORM_SUBNETS = frozenset({"gatewaysubnet", "azurefirewallsubnet", "azurebastionsubnet",
                              "azurefirewallmanagementsubnet", "routeserversubnet"})


def attachments(estate: Estate, nsg: NetworkSecurityGroup) -> list[str | None]:
    """The subnets in whose context an NSG is evaluated (its own subnets and those of the
    NICs it is attached to); ``[None]`` for an unattached NSG."""
    return list(estate.nsg_subnets(nsg.id)) or [None]


def port_count(packets: PacketSet, protocol: int) -> int:
    """How many distinct destination ports of ``protocol`` the set holds: project onto the
    destination port, fix the protocol, and let CUDD count the 16-variable remainder (exact:
    at most 65,536 fits a double)."""
    space, bdd = packets.space, packets.space.bdd
    projected = (packets & space.protocol(protocol)).forget("src", "dst", "src_port")
    node = bdd.let(space.assign("protocol", protocol), projected.node)
    return int(bdd.count(node, nvars=space.dims["dst_port"].width))


def port_text(packets: PacketSet, protocol: int, limit: int = 4) -> str:
    """The destination ports of ``protocol`` in the set, as ranges ("8000-9000, 9443")."""
    space = packets.space
    projected = (packets & space.protocol(protocol)).forget("src", "dst", "src_port")
    boxes = projected.boxes(limit=limit)
    ranges = sorted({r for box in boxes for r in box.dst_port})
    text = ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges[:limit])
    return text + (" ..." if boxes.truncated or len(ranges) > limit else "")


def source_count(packets: PacketSet) -> int:
    """How many distinct source addresses the set holds."""
    space = packets.space
    projected = packets.forget("dst", "protocol", "src_port", "dst_port")
    return (projected & space.protocol(TCP) & space.dst_range(0, 0) & space.src_ports(0, 0)
            & space.dst_ports(0, 0)).count()


def full_port_tuples(packets: PacketSet, protocol: int) -> PacketSet:
    """The packets of every (source, destination, source port) that the set holds on *all*
    destination ports of ``protocol``."""
    part = packets & packets.space.protocol(protocol)
    candidates = part.forget("dst_port") & packets.space.protocol(protocol)
    lacking = (candidates - part).forget("dst_port")
    return candidates - lacking


def public_sources(space: PacketSpace) -> PacketSet:
    """Packets from public IPv4 space (not private, shared, reserved, or Azure's host)."""
    blocked = sorted([(p.first, p.last) for p in NON_PUBLIC] + [(HOST_IP, HOST_IP)])
    ranges, at = [], 0
    for lo, hi in blocked:
        if lo > at:
            ranges.append((at, lo - 1))
        at = max(at, hi + 1)
    if at < 1 << 32:
        ranges.append((at, (1 << 32) - 1))
    return space.wrap(space.raw_ranges("src", ranges))


def next_hop_owner(estate: Estate, topology: Topology,
                   address: str | None) -> tuple[str, Resource] | None:
    """What holds a VirtualAppliance next-hop IP: ("nic", the NIC), ("firewall", the
    firewall) or ("load-balancer", the LB whose private frontend has it); else None."""
    try:
        value = int(ipaddress.IPv4Address((address or "").strip()))
    except ValueError:
        return None
    for holder in topology.holders_at(value):
        if holder.kind == "nic" and holder.nic is not None:
            return "nic", holder.nic
        if holder.kind == "firewall" and holder.firewall is not None:
            return "firewall", holder.firewall
    for firewall in estate.of(Firewall):
        if firewall.hub_private_ip is not None and value in firewall.hub_private_ip:
            return "firewall", firewall
    for lb in estate.of(LoadBalancer):
        if any(f.private_ip is not None and value in f.private_ip for f in lb.frontends):
            return "load-balancer", lb
    return None
