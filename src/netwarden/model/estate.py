"""The estate: every resource of an input, indexed by ID and name, with references resolved.

ARM IDs are case-insensitive, so every index is keyed by :func:`netwarden.model.ids.key`.
References that point outside the estate are kept as written and reported as warnings:
real exports are partial, and analyses mark what they cannot resolve.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from netwarden.model.base import Resource
from netwarden.model.cluster import AksCluster
from netwarden.model.compute import IpConfiguration, NetworkInterface, PublicIp, VirtualMachine
from netwarden.model.edge import (
    ApplicationGateway,
    BastionHost,
    Connection,
    Firewall,
    FirewallPolicy,
    IpGroup,
    LoadBalancer,
    LocalNetworkGateway,
    RuleCollectionGroup,
    VirtualNetworkGateway,
    WafPolicy,
)
from netwarden.model.ids import key
from netwarden.model.monitoring import FlowLog
from netwarden.model.network import NatGateway, Peering, RouteTable, Subnet, VirtualNetwork
from netwarden.model.paas import PaasService, PrivateEndpoint
from netwarden.model.security import ApplicationSecurityGroup, NetworkSecurityGroup, SecurityRule
from netwarden.model.values import Location

R = TypeVar("R", bound=Resource)


class Level(enum.Enum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem found in the input that does not stop the analysis."""

    code: str                 # e.g. "dangling-reference", "unresolved-value"
    message: str
    location: Location
    level: Level = Level.WARNING

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


# Fields that hold references but are not expected to resolve inside a network export.
_EXTERNAL_REFERENCES = frozenset({"storage_id", "vm_id", "target_ids", "peer_id"})


class Estate:
    """All resources of one or more inputs, merged.

    Relations (subnets of a VNet, members of an ASG, who holds an address, ...) are indexes
    of resource IDs built on first use; a snapshot (:mod:`netwarden.model.snapshot`) stores
    them with the resources, which it materialises one by one as they are asked for."""

    def __init__(
        self,
        resources: Iterable[Resource],
        *,
        unknown_types: Counter[str] | None = None,
        diagnostics: Iterable[Diagnostic] = (),
        sources: Iterable[str] = (),
    ) -> None:
        by_id: dict[str, Resource] = {}
        type_keys: dict[type[Resource], list[str]] = defaultdict(list)
        by_type: dict[type[Resource], list[Resource]] = defaultdict(list)
        for resource in resources:
            resource_key = key(resource.id)
            by_id[resource_key] = resource
            type_keys[type(resource)].append(resource_key)
            by_type[type(resource)].append(resource)
        for resource_key in [k for keys in type_keys.values() for k in keys]:
            for child in children(by_id[resource_key]):
                by_id.setdefault(key(child.id), child)
        self._by_id: Mapping[str, Resource] = by_id
        self._type_keys: dict[type[Resource], list[str]] = dict(type_keys)
        self._by_type: dict[type[Resource], list[Resource]] = dict(by_type)
        self._indexes: dict[str, Any] = {}
        self.unknown_types: Counter[str] = unknown_types or Counter()
        self.sources = tuple(sources)
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self.diagnostics.extend(self._dangling_references())

    @classmethod
    def _restore(cls, by_id: Mapping[str, Resource], type_keys: dict[type[Resource], list[str]],
                 indexes: Mapping[str, Any], *, unknown_types: Counter[str],
                 diagnostics: list[Diagnostic], sources: tuple[str, ...]) -> Estate:
        """An estate over resources that are materialised on access (a snapshot's), with
        its relation indexes given (``indexes`` may load each on first access)."""
        estate = cls.__new__(cls)
        estate._by_id = by_id
        estate._type_keys = type_keys
        estate._by_type = {}
        estate._indexes = indexes  # type: ignore[assignment]
        estate.unknown_types = unknown_types
        estate.sources = sources
        estate.diagnostics = diagnostics
        return estate

    # -- lookup ---------------------------------------------------------------------

    def get(self, resource_id: str | None, cls: type[R] = Resource) -> R | None:  # type: ignore[assignment]
        """The resource with this ID (any casing), if it is in the estate and of ``cls``."""
        if not resource_id:
            return None
        found = self._by_id.get(key(resource_id))
        return found if isinstance(found, cls) else None

    def owner_of_part(self, part_id: str) -> Resource | None:
        """The load balancer or application gateway that holds a frontend/pool/NAT rule."""
        owner = self._index("parts").get(key(part_id))
        return self._by_id.get(owner) if owner else None

    def of(self, cls: type[R]) -> list[R]:
        """Every resource of exactly this class, in input order."""
        found = self._by_type.get(cls)
        if found is None:
            by_id = self._by_id
            found = self._by_type[cls] = [by_id[k] for k in self._type_keys.get(cls, ())]
        return found  # type: ignore[return-value]

    def types(self) -> list[type[Resource]]:
        """The classes of the top-level resources, in input order."""
        return list(self._type_keys)

    def __iter__(self) -> Iterator[Resource]:
        for cls in self._type_keys:
            yield from self.of(cls)

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._type_keys.values())

    def __contains__(self, resource_id: str) -> bool:
        return key(resource_id) in self._by_id or key(resource_id) in self._index("parts")

    def find(self, name: str) -> list[Resource]:
        """Resources whose name is ``name`` (case-insensitive), top-level and child."""
        return self._resolve(self._index("by_name").get(name.lower(), ()))

    def counts(self) -> dict[str, int]:
        """How many resources of each Azure type (child resources counted separately)."""
        return dict(self._index("counts"))

    def _resolve(self, keys: Iterable[str]) -> list[Any]:
        by_id = self._by_id
        return [by_id[k] for k in keys]

    def _index(self, name: str) -> Any:
        found = self._indexes.get(name)
        if found is None:
            found = self._indexes[name] = INDEXES[name](self)
        return found

    def build_indexes(self) -> dict[str, Any]:
        """Every relation index, built now (what a snapshot stores)."""
        return {name: self._index(name) for name in INDEXES}

    # -- typed collections --------------------------------------------------------------

    @property
    def vnets(self) -> list[VirtualNetwork]:
        return self.of(VirtualNetwork)

    @property
    def subnets(self) -> list[Subnet]:
        return self.of(Subnet)

    @property
    def nics(self) -> list[NetworkInterface]:
        return self.of(NetworkInterface)

    @property
    def nsgs(self) -> list[NetworkSecurityGroup]:
        return self.of(NetworkSecurityGroup)

    # -- resolved relations ---------------------------------------------------------------

    def subnets_of(self, vnet: VirtualNetwork) -> list[Subnet]:
        return self._resolve(self._index("subnets_of_vnet").get(key(vnet.id), ()))

    def ip_configurations_in(self, subnet: Subnet | str) -> list[IpConfiguration]:
        """The IP configurations in a subnet (given as a Subnet, or by ID when the export
        names the subnet without including it)."""
        subnet_id = subnet if isinstance(subnet, str) else subnet.id
        return self._resolve(self._index("configs_of_subnet").get(key(subnet_id), ()))

    def subnet_ids_with_configs(self) -> list[str]:
        """The ID keys of every subnet that some IP configuration names (in the estate or not)."""
        return list(self._index("configs_of_subnet"))

    def asg_members(self, asg_id: str) -> list[IpConfiguration]:
        """The IP configurations that are members of an ASG."""
        return self._resolve(self._index("asg_members").get(key(asg_id), ()))

    def holders_of_address(self, address: int) -> list[Resource]:
        """What holds this private IPv4 address: IP configurations of NICs, firewalls,
        private endpoints (each once, in input order)."""
        return self._resolve(self._index("address_holders").get(address, ()))

    def held_addresses(self) -> list[int]:
        """Every private IPv4 address something holds, ascending."""
        return sorted(self._index("address_holders"))

    def nic_of(self, config: IpConfiguration) -> NetworkInterface | None:
        return self.get(config.nic_id, NetworkInterface)

    def peerings_of(self, vnet: VirtualNetwork) -> list[Peering]:
        return self._resolve(self._index("peerings_of_vnet").get(key(vnet.id), ()))

    def vnet_of(self, subnet: Subnet) -> VirtualNetwork | None:
        return self.get(subnet.vnet_id, VirtualNetwork)

    def vm_of(self, nic: NetworkInterface) -> VirtualMachine | None:
        vm_key = self._index("vm_of_nic").get(key(nic.id))
        found = self._by_id.get(vm_key) if vm_key else None
        return found if isinstance(found, VirtualMachine) else self.get(nic.vm_id, VirtualMachine)

    def flow_logs_of(self, target_id: str) -> list[FlowLog]:
        return self._resolve(self._index("flow_logs_of").get(key(target_id), ()))

    def nsg_subnets(self, nsg_id: str) -> list[str]:
        """The subnets where an NSG applies: its own, and those of the NICs it is on."""
        return self._index("nsg_subnets").get(key(nsg_id), [])

    # -- integrity ------------------------------------------------------------------------

    def _dangling_references(self) -> Iterator[Diagnostic]:
        """One warning per reference to a resource that is not in the estate."""
        for resource in self._by_id.values():
            for name, target in _references(resource):
                if name in _EXTERNAL_REFERENCES or target in self:
                    continue
                yield Diagnostic(
                    "dangling-reference",
                    f"{resource.name}: {name} refers to {target}, which is not in the input",
                    resource.source,
                )


def children(resource: Resource) -> tuple[Resource, ...]:
    """The child resources an estate indexes by ID along with their parent."""
    if isinstance(resource, NetworkInterface):
        return resource.ip_configurations
    if isinstance(resource, RouteTable):
        return resource.routes
    if isinstance(resource, NetworkSecurityGroup):
        return resource.rules
    return ()


# -- relation indexes: built from the resources, keyed and valued by ID keys ---------------------

def _grouped(pairs: Iterable[tuple[Any, str]]) -> dict[Any, list[str]]:
    index: dict[Any, list[str]] = defaultdict(list)
    for group, member in pairs:
        index[group].append(member)
    return dict(index)


def _parts(estate: Estate) -> dict[str, str]:
    index: dict[str, str] = {}
    for lb in estate.of(LoadBalancer):
        for part in (*lb.frontends, *lb.backend_pools, *lb.nat_rules):
            index[key(part.id)] = key(lb.id)
    for gateway in estate.of(ApplicationGateway):
        for part in (*gateway.frontends, *gateway.backend_pools):
            index[key(part.id)] = key(gateway.id)
    return index


def _by_name(estate: Estate) -> dict[str, list[str]]:
    return _grouped((r.name.lower(), k) for k, r in estate._by_id.items())


def _counts(estate: Estate) -> dict[str, int]:
    counter: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for resource in estate._by_id.values():
        type_key = resource.type.lower()
        counter[type_key] += 1
        spelling.setdefault(type_key, resource.type)
    return {spelling[k]: counter[k] for k in sorted(counter)}


def _subnets_of_vnet(estate: Estate) -> dict[str, list[str]]:
    return _grouped((key(s.vnet_id), key(s.id)) for s in estate.subnets)


def _configs_of_subnet(estate: Estate) -> dict[str, list[str]]:
    return _grouped((key(c.subnet_id), key(c.id)) for nic in estate.nics
                    for c in nic.ip_configurations if c.subnet_id)


def _asg_members(estate: Estate) -> dict[str, list[str]]:
    return _grouped((key(asg_id), key(c.id)) for nic in estate.nics
                    for c in nic.ip_configurations for asg_id in c.asg_ids)


def _address_holders(estate: Estate) -> dict[int, list[str]]:
    pairs: list[tuple[int, str]] = []
    for nic in estate.nics:
        pairs += [(c.private_ip.first, key(c.id)) for c in nic.ip_configurations
                  if c.private_ip is not None and c.private_ip.version == 4]
    for firewall in estate.of(Firewall):
        pairs += [(c.private_ip.first, key(firewall.id)) for c in firewall.ip_configurations
                  if c.private_ip is not None and c.private_ip.version == 4]
    for endpoint in estate.of(PrivateEndpoint):
        pairs += [(p.first, key(endpoint.id)) for p in endpoint.private_ips if p.version == 4]
    return {address: list(dict.fromkeys(keys)) for address, keys in _grouped(pairs).items()}


def _peerings_of_vnet(estate: Estate) -> dict[str, list[str]]:
    return _grouped((key(p.vnet_id), key(p.id)) for p in estate.of(Peering))


def _vm_of_nic(estate: Estate) -> dict[str, str]:
    return {key(nic_id): key(vm.id) for vm in estate.of(VirtualMachine) for nic_id in vm.nic_ids}


def _flow_logs_of(estate: Estate) -> dict[str, list[str]]:
    return _grouped((key(f.target_id), key(f.id)) for f in estate.of(FlowLog) if f.target_id)


def _nsg_subnets(estate: Estate) -> dict[str, list[str]]:
    index: dict[str, dict[str, str]] = defaultdict(dict)
    for subnet in estate.subnets:
        if subnet.nsg_id:
            index[key(subnet.nsg_id)].setdefault(key(subnet.id), subnet.id)
    for nic in estate.nics:
        if nic.nsg_id:
            for config in nic.ip_configurations:
                if config.subnet_id:
                    index[key(nic.nsg_id)].setdefault(key(config.subnet_id), config.subnet_id)
    return {nsg: list(subnets.values()) for nsg, subnets in index.items()}


INDEXES: dict[str, Callable[[Estate], Any]] = {
    "parts": _parts, "by_name": _by_name, "counts": _counts,
    "subnets_of_vnet": _subnets_of_vnet, "configs_of_subnet": _configs_of_subnet,
    "asg_members": _asg_members, "address_holders": _address_holders,
    "peerings_of_vnet": _peerings_of_vnet, "vm_of_nic": _vm_of_nic,
    "flow_logs_of": _flow_logs_of, "nsg_subnets": _nsg_subnets,
}


@functools.cache
def _reference_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls)
                 if f.name != "id" and (f.name.endswith("_id") or f.name.endswith("_ids")))


def _references(resource: Resource) -> Iterator[tuple[str, str]]:
    """Every (field, ID) a resource refers to: by convention, fields named ``*_id(s)``."""
    for name in _reference_fields(type(resource)):
        value = getattr(resource, name)
        for target in (value,) if isinstance(value, str) else (value or ()):
            if isinstance(target, str) and target.startswith("/"):
                yield name, target


__all__ = [
    "AksCluster", "ApplicationGateway", "ApplicationSecurityGroup", "BastionHost", "Connection",
    "Diagnostic", "Estate", "Firewall", "FirewallPolicy", "FlowLog", "IpGroup", "Level",
    "LoadBalancer", "LocalNetworkGateway", "NatGateway", "NetworkSecurityGroup", "PaasService",
    "PrivateEndpoint", "PublicIp", "RuleCollectionGroup", "SecurityRule", "VirtualNetworkGateway",
    "WafPolicy",
]
