"""Address sets: prefixes, ASGs and service tags as packet-set constraints.

Service tags are relative to where an NSG applies (Azure, "Virtual network service tags"):
VirtualNetwork is the VNet's address space, the spaces of peered VNets (where the local
peering allows virtual network access), on-premises spaces reached through a gateway,
the address prefixes used on the subnet's user-defined routes — including 0.0.0.0/0, which
makes the tag (and so the default AllowVnetInBound rule) match every address, a documented
gotcha — and the host address 168.63.129.16. Internet is the public address space outside
the virtual network, its peers and on-premises (it does not shrink with UDR prefixes). AzureLoadBalancer is the host address 168.63.129.16. Any other tag takes
its ranges from a user-supplied service-tag file; a tag with no ranges is *unresolved*:
it matches nothing, and the engine reports it rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from netwarden.engine.intervals import complement as _complement
from netwarden.engine.intervals import merge as _merge
from netwarden.engine.packets import Field, PacketSet, PacketSpace
from netwarden.engine.topology import Topology
from netwarden.model import ids
from netwarden.model.network import Subnet
from netwarden.model.values import Address, AnyAddress, Prefix, ServiceTag

HOST_IP = 0xA83F8110  # 168.63.129.16: DHCP, DNS, health probes (the AzureLoadBalancer tag)
PRIVATE_RANGES = tuple(Prefix.parse(p) for p in
                       ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"))
# Not reachable across the internet: private, shared, loopback, link-local, multicast, reserved.
NON_PUBLIC = (*PRIVATE_RANGES, *(Prefix.parse(p) for p in (
    "0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4")))


@dataclass(frozen=True, slots=True)
class TagContext:
    """Where an NSG is evaluated: the subnet (and so VNet and route table) it protects."""

    subnet_id: str | None

    @property
    def key(self) -> str:
        return ids.key(self.subnet_id or "")


class AddressSets:
    """Turns model addresses into packet sets over one field (src or dst)."""

    def __init__(self, space: PacketSpace, topology: Topology,
                 service_tags: Mapping[str, tuple[Prefix, ...]] | None = None) -> None:
        self.space = space
        self.topology = topology
        self.service_tags = {k.lower(): v for k, v in (service_tags or {}).items()}
        self.unresolved: set[str] = set()
        self._vnet_cache: dict[str, list[tuple[int, int]]] = {}
        self._context_keys: dict[str, tuple[tuple[tuple[int, int], ...], ...]] = {}
        self._raw_cache: dict[tuple[str, tuple[tuple[int, int], ...]], Any] = {}

    # -- ranges -------------------------------------------------------------------------

    def virtual_network(self, ctx: TagContext) -> list[tuple[int, int]]:
        cached = self._vnet_cache.get(ctx.key)
        if cached is not None:
            return cached
        topo = self.topology
        subnet = topo.estate.get(ctx.subnet_id, Subnet)
        ranges: list[Prefix] = [Prefix("168.63.129.16/32", HOST_IP, HOST_IP)]
        if subnet is not None:
            vnet_id = subnet.vnet_id
            ranges.extend(topo.vnet_space(vnet_id))
            for peering, remote in topo.connected_peerings(vnet_id):
                if peering.allow_virtual_network_access:
                    ranges.extend(topo.remote_space(peering, remote))
            if topo.gateway_for(vnet_id) is not None:
                ranges.extend(topo.onprem_prefixes)
            for route in topo.udrs(subnet):
                if route.prefix is not None:
                    ranges.append(route.prefix)
        result = _merge((p.first, p.last) for p in ranges if p.version == 4)
        self._vnet_cache[ctx.key] = result
        return result

    def internet(self, ctx: TagContext | None) -> list[tuple[int, int]]:
        """Public IPv4 space outside the virtual network: outside the VNet, its peers and
        the on-premises space it reaches (outside every VNet when no context). Unlike
        VirtualNetwork it does not follow UDR prefixes: a 0.0.0.0/0 route widens
        VirtualNetwork to everything, but the internet stays the internet, so the two tags
        then overlap."""
        excluded = [(p.first, p.last) for p in NON_PUBLIC]
        excluded.append((HOST_IP, HOST_IP))
        subnet = self.topology.estate.get(ctx.subnet_id, Subnet) if ctx else None
        if subnet is None:
            excluded.extend((p.first, p.last) for p in self.topology.all_vnet_space())
        else:
            topo = self.topology
            spaces = list(topo.vnet_space(subnet.vnet_id))
            for peering, remote in topo.connected_peerings(subnet.vnet_id):
                spaces.extend(topo.remote_space(peering, remote))
            if topo.gateway_for(subnet.vnet_id) is not None:
                spaces.extend(topo.onprem_prefixes)
            excluded.extend((p.first, p.last) for p in spaces if p.version == 4)
        return _complement(_merge(excluded), (1 << 32) - 1)

    def tag(self, name: str, ctx: TagContext | None) -> list[tuple[int, int]]:
        lowered = name.lower()
        if lowered == "virtualnetwork":
            return self.virtual_network(ctx or TagContext(None))
        if lowered == "internet":
            return self.internet(ctx)
        if lowered == "azureloadbalancer":
            return [(HOST_IP, HOST_IP)]
        prefixes = self.service_tags.get(lowered)
        if prefixes is None:
            self.unresolved.add(name)
            return []
        return _merge((p.first, p.last) for p in prefixes if p.version == 4)

    def ranges(self, addresses: Iterable[Address], asg_ids: Iterable[str],
               ctx: TagContext | None) -> list[tuple[int, int]] | None:
        """The address ranges of a rule side; None means any address."""
        found: list[tuple[int, int]] = []
        for address in addresses:
            if isinstance(address, AnyAddress):
                return None
            if isinstance(address, Prefix):
                if address.version == 4:
                    found.append((address.first, address.last))
            elif isinstance(address, ServiceTag):
                found.extend(self.tag(address.name, ctx))
        for asg_id in asg_ids:
            found.extend((ip.first, ip.last) for ip in self.topology.asg_addresses(asg_id))
        return _merge(found)

    def context_key(self, ctx: TagContext) -> tuple[tuple[tuple[int, int], ...], ...]:
        """What an NSG's meaning depends on in a context: the ranges of the two relative
        tags. Subnets that resolve them alike share one compiled NSG."""
        found = self._context_keys.get(ctx.key)
        if found is None:
            found = (tuple(self.virtual_network(ctx)), tuple(self.internet(ctx)))
            self._context_keys[ctx.key] = found
        return found

    # -- packet sets -----------------------------------------------------------------------

    def raw(self, field: Field, ranges: list[tuple[int, int]] | None) -> Any:
        """The raw BDD node (not yet within the valid universe) of ``field`` in ``ranges``."""
        if ranges is None:
            return self.space.bdd.true
        k = (field, tuple(ranges))
        node = self._raw_cache.get(k)
        if node is None:
            node = self.space.raw_ranges(field, ranges)
            if len(self._raw_cache) > 50_000:
                self._raw_cache.clear()
            self._raw_cache[k] = node
        return node

    def on(self, field: Field, ranges: list[tuple[int, int]] | None) -> PacketSet:
        if ranges is None:
            return self.space.all()
        return self.space.wrap(self.space.raw_ranges(field, ranges))

    def prefixes(self, field: Field, prefixes: Iterable[Prefix]) -> PacketSet:
        return self.on(field, _merge((p.first, p.last) for p in prefixes if p.version == 4))


def is_public(address: int) -> bool:
    return not any(address in p for p in NON_PUBLIC) and address != HOST_IP
