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
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Iterator, TypeVar

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
    """All resources of one or more inputs, merged."""

    def __init__(
        self,
        resources: Iterable[Resource],
        *,
        unknown_types: Counter[str] | None = None,
        diagnostics: Iterable[Diagnostic] = (),
        sources: Iterable[str] = (),
    ) -> None:
        self._by_id: dict[str, Resource] = {}
        self._by_type: dict[type[Resource], list[Resource]] = defaultdict(list)
        for resource in resources:
            self._by_id[key(resource.id)] = resource
            self._by_type[type(resource)].append(resource)
        for nic in self.of(NetworkInterface):
            for config in nic.ip_configurations:
                self._by_id.setdefault(key(config.id), config)
        for table in self.of(RouteTable):
            for route in table.routes:
                self._by_id.setdefault(key(route.id), route)
        for nsg in self.of(NetworkSecurityGroup):
            for rule in nsg.rules:
                self._by_id.setdefault(key(rule.id), rule)
        self._parts: dict[str, Resource] = {}
        for lb in self.of(LoadBalancer):
            for part in (*lb.frontends, *lb.backend_pools, *lb.nat_rules):
                self._parts[key(part.id)] = lb
        for gateway in self.of(ApplicationGateway):
            for part in (*gateway.frontends, *gateway.backend_pools):
                self._parts[key(part.id)] = gateway
        self.unknown_types: Counter[str] = unknown_types or Counter()
        self.sources = tuple(sources)
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self.diagnostics.extend(self._dangling_references())

    # -- lookup ---------------------------------------------------------------------

    def get(self, resource_id: str | None, cls: type[R] = Resource) -> R | None:  # type: ignore[assignment]
        """The resource with this ID (any casing), if it is in the estate and of ``cls``."""
        if not resource_id:
            return None
        found = self._by_id.get(key(resource_id))
        return found if isinstance(found, cls) else None

    def owner_of_part(self, part_id: str) -> Resource | None:
        """The load balancer or application gateway that holds a frontend/pool/NAT rule."""
        return self._parts.get(key(part_id))

    def of(self, cls: type[R]) -> list[R]:
        """Every resource of exactly this class, in input order."""
        return self._by_type.get(cls, [])  # type: ignore[return-value]

    def __iter__(self) -> Iterator[Resource]:
        for resources in self._by_type.values():
            yield from resources

    def __len__(self) -> int:
        return sum(len(resources) for resources in self._by_type.values())

    def __contains__(self, resource_id: str) -> bool:
        return key(resource_id) in self._by_id or key(resource_id) in self._parts

    def find(self, name: str) -> list[Resource]:
        """Resources whose name is ``name`` (case-insensitive), top-level and child."""
        return list(self._by_name.get(name.lower(), ()))

    @cached_property
    def _by_name(self) -> dict[str, list[Resource]]:
        index: dict[str, list[Resource]] = defaultdict(list)
        for resource in self._by_id.values():
            index[resource.name.lower()].append(resource)
        return index

    def counts(self) -> dict[str, int]:
        """How many resources of each Azure type (child resources counted separately)."""
        counter: Counter[str] = Counter()
        spelling: dict[str, str] = {}
        for resource in self._by_id.values():
            type_key = resource.type.lower()
            counter[type_key] += 1
            spelling.setdefault(type_key, resource.type)
        return {spelling[k]: counter[k] for k in sorted(counter)}

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

    @cached_property
    def _subnets_of_vnet(self) -> dict[str, list[Subnet]]:
        index: dict[str, list[Subnet]] = defaultdict(list)
        for subnet in self.subnets:
            index[key(subnet.vnet_id)].append(subnet)
        return index

    def subnets_of(self, vnet: VirtualNetwork) -> list[Subnet]:
        return self._subnets_of_vnet.get(key(vnet.id), [])

    @cached_property
    def _configs_of_subnet(self) -> dict[str, list[IpConfiguration]]:
        index: dict[str, list[IpConfiguration]] = defaultdict(list)
        for nic in self.nics:
            for config in nic.ip_configurations:
                if config.subnet_id:
                    index[key(config.subnet_id)].append(config)
        return index

    def ip_configurations_in(self, subnet: Subnet) -> list[IpConfiguration]:
        return self._configs_of_subnet.get(key(subnet.id), [])

    @cached_property
    def _asg_members(self) -> dict[str, list[IpConfiguration]]:
        index: dict[str, list[IpConfiguration]] = defaultdict(list)
        for nic in self.nics:
            for config in nic.ip_configurations:
                for asg_id in config.asg_ids:
                    index[key(asg_id)].append(config)
        return index

    def asg_members(self, asg_id: str) -> list[IpConfiguration]:
        """The IP configurations that are members of an ASG."""
        return self._asg_members.get(key(asg_id), [])

    def nic_of(self, config: IpConfiguration) -> NetworkInterface | None:
        return self.get(config.nic_id, NetworkInterface)

    @cached_property
    def _peerings_of_vnet(self) -> dict[str, list[Peering]]:
        index: dict[str, list[Peering]] = defaultdict(list)
        for peering in self.of(Peering):
            index[key(peering.vnet_id)].append(peering)
        return index

    def peerings_of(self, vnet: VirtualNetwork) -> list[Peering]:
        return self._peerings_of_vnet.get(key(vnet.id), [])

    def vnet_of(self, subnet: Subnet) -> VirtualNetwork | None:
        return self.get(subnet.vnet_id, VirtualNetwork)

    @cached_property
    def _vm_of_nic(self) -> dict[str, VirtualMachine]:
        index: dict[str, VirtualMachine] = {}
        for vm in self.of(VirtualMachine):
            for nic_id in vm.nic_ids:
                index[key(nic_id)] = vm
        return index

    def vm_of(self, nic: NetworkInterface) -> VirtualMachine | None:
        return self._vm_of_nic.get(key(nic.id)) or self.get(nic.vm_id, VirtualMachine)

    @cached_property
    def _flow_logs_of(self) -> dict[str, list[FlowLog]]:
        index: dict[str, list[FlowLog]] = defaultdict(list)
        for flow_log in self.of(FlowLog):
            if flow_log.target_id:
                index[key(flow_log.target_id)].append(flow_log)
        return index

    def flow_logs_of(self, target_id: str) -> list[FlowLog]:
        return self._flow_logs_of.get(key(target_id), [])

    @cached_property
    def _nsg_subnets(self) -> dict[str, list[str]]:
        index: dict[str, dict[str, str]] = defaultdict(dict)
        for subnet in self.subnets:
            if subnet.nsg_id:
                index[key(subnet.nsg_id)].setdefault(key(subnet.id), subnet.id)
        for nic in self.nics:
            if nic.nsg_id:
                for config in nic.ip_configurations:
                    if config.subnet_id:
                        index[key(nic.nsg_id)].setdefault(key(config.subnet_id), config.subnet_id)
        return {nsg: list(subnets.values()) for nsg, subnets in index.items()}

    def nsg_subnets(self, nsg_id: str) -> list[str]:
        """The subnets where an NSG applies: its own, and those of the NICs it is on."""
        return self._nsg_subnets.get(key(nsg_id), [])

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


@functools.lru_cache(maxsize=None)
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
