"""Query endpoints: what ``--from`` and ``--to`` name, resolved to the address holders and
address sets the walk starts from and ends at."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from netwarden.engine.topology import Holder, Topology
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.compute import IpConfiguration, NetworkInterface, PublicIp, VirtualMachine
from netwarden.model.network import Subnet, VirtualNetwork
from netwarden.model.paas import PaasService, PrivateEndpoint
from netwarden.model.values import Prefix


class EndpointError(ValueError):
    """An endpoint that names nothing, or several things."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: str                             # internet, onprem, holders, addresses, paas, public-ip, pods
    label: str
    holders: tuple[Holder, ...] = ()      # address holders inside the estate
    prefixes: tuple[Prefix, ...] = ()     # private addresses (a subnet without NICs, a CIDR)
    subnet_ids: tuple[str, ...] = ()      # subnets the endpoint covers (arrivals there count)
    resource: Resource | None = None
    public_ips: tuple[PublicIp, ...] = ()
    workloads: tuple[Resource, ...] = ()  # Kubernetes workloads whose pods these are (kind pods)

    @property
    def target_ids(self) -> frozenset[str]:
        found = {h.id.lower() for h in self.holders} | {s.lower() for s in self.subnet_ids}
        found |= {w.id.lower() for w in self.workloads}
        if self.resource is not None:
            found.add(self.resource.id.lower())
        if self.kind in ("internet", "onprem"):
            found.add(self.kind)
        return frozenset(found)


_RESOURCE_KINDS = (NetworkInterface, VirtualMachine, Subnet, VirtualNetwork, PublicIp,
                   PrivateEndpoint, PaasService)


def resolve(text: str, topology: Topology) -> Endpoint:
    lowered = text.strip().lower()
    if lowered.startswith("k8s://") or ("/" in lowered and lowered[0] not in "/0123456789"):
        return _pods(text, topology)
    if lowered == "internet":
        return Endpoint("internet", "internet")
    if lowered in ("onprem", "on-premises"):
        if not topology.onprem_prefixes:
            raise EndpointError("the estate names no on-premises prefixes (no local network gateway)")
        return Endpoint("onprem", "onprem", prefixes=topology.onprem_prefixes)
    if text.strip()[:1].isdigit():
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            if "/" in text and _has_pods(topology):
                return _pods(text, topology)      # a namespace whose name starts with a digit
            raise EndpointError(f"{text!r} is not an IP address or CIDR") from None
        return _addresses(Prefix.of_network(net), topology)
    estate = topology.estate
    found = estate.get(text) if text.startswith("/") else None
    candidates = [found] if found is not None else [
        r for r in estate.find(text) if isinstance(r, _RESOURCE_KINDS)]
    if not candidates:
        raise EndpointError(f"no endpoint named {text!r} (a NIC, VM, subnet, VNet, public IP, "
                            "private endpoint, PaaS service, IP/CIDR, 'internet' or 'onprem')")
    if len(candidates) > 1:
        listing = "\n  ".join(f"{c.type}: {c.id}" for c in candidates)
        raise EndpointError(f"{text!r} is ambiguous; name one by its ID:\n  {listing}")
    return of_resource(candidates[0], topology)


def of_resource(resource: Resource, topology: Topology) -> Endpoint:
    estate = topology.estate
    if isinstance(resource, IpConfiguration):
        resource = estate.get(resource.nic_id, NetworkInterface) or resource
    if isinstance(resource, VirtualMachine):
        mine = tuple(h for n in resource.nic_ids for h in topology.holders_of_nic(n))
        return Endpoint("holders", resource.name, mine, resource=resource,
                        public_ips=_pips(mine, topology))
    if isinstance(resource, NetworkInterface):
        mine = tuple(topology.holders_of_nic(resource.id))
        return Endpoint("holders", resource.name, mine, resource=resource,
                        public_ips=_pips(mine, topology))
    if isinstance(resource, Subnet):
        mine = tuple(topology.holders_in_subnet(resource.id))
        return Endpoint("holders", resource.name, mine, resource.address_prefixes, (resource.id,),
                        resource, _pips(mine, topology))
    if isinstance(resource, VirtualNetwork):
        subnets = estate.subnets_of(resource)
        mine = tuple(h for s in subnets for h in topology.holders_in_subnet(s.id))
        return Endpoint("holders", resource.name, mine, topology.vnet_space(resource.id),
                        tuple(s.id for s in subnets), resource, _pips(mine, topology))
    if isinstance(resource, PublicIp):
        return Endpoint("public-ip", resource.name, resource=resource, public_ips=(resource,))
    if isinstance(resource, PrivateEndpoint):
        return Endpoint("holders", resource.name, _of_endpoint(resource, topology), resource=resource)
    if isinstance(resource, PaasService):
        endpoints = [e for e_id in resource.private_endpoint_ids
                     if (e := estate.get(e_id, PrivateEndpoint)) is not None]
        mine = _unique(h for e in endpoints for h in _of_endpoint(e, topology))
        return Endpoint("paas", resource.name, mine, resource=resource)
    raise EndpointError(f"{resource.name} ({resource.type}) is not an endpoint")


def _of_endpoint(endpoint: PrivateEndpoint, topology: Topology) -> tuple[Holder, ...]:
    """A private endpoint's addresses: its NIC's, or its own where the export lacks the NIC."""
    mine = [h for n in endpoint.nic_ids for h in topology.holders_of_nic(n)]
    mine += [h for a in endpoint.private_ips for h in topology.holders_at(a.first)
             if h.kind == "private-endpoint" and ids.key(h.id) == ids.key(endpoint.id)]
    return _unique(mine)


def _unique(holders: Iterable[Holder]) -> tuple[Holder, ...]:
    return tuple({(h.id, h.address.first): h for h in holders}.values())


def _pods(text: str, topology: Topology) -> Endpoint:
    """Kubernetes pods: ``namespace/name`` and the other forms of netwarden.k8s.endpoints."""
    from netwarden.k8s.endpoints import resolve_workloads

    return resolve_workloads(text.strip(), topology.estate)


def _has_pods(topology: Topology) -> bool:
    from netwarden.k8s.model import KubeCluster

    return bool(topology.estate.of(KubeCluster))


def _addresses(prefix: Prefix, topology: Topology) -> Endpoint:
    mine = tuple(topology.holders_within(prefix))
    subnets = tuple(s.id for s in topology.estate.subnets
                    if any(p.overlaps(prefix) for p in s.address_prefixes))
    if not mine and not subnets:
        if any(p.covers(prefix) for p in topology.onprem_prefixes):
            return Endpoint("onprem", str(prefix), prefixes=(prefix,))
        return Endpoint("internet", str(prefix), prefixes=(prefix,))
    covered = [p for p in topology.estate.of(PublicIp) if p.address and prefix.covers(p.address)]
    pips = tuple(e.pip for e in topology.entries if e.pip in covered) if covered else ()
    return Endpoint("addresses", str(prefix), mine, (prefix,), subnets, public_ips=pips)


def _pips(holders: tuple[Holder, ...], topology: Topology) -> tuple[PublicIp, ...]:
    """The public IPs on the holders' IP configurations."""
    found = (topology.estate.get(c.public_ip_id, PublicIp) for h in holders if h.nic is not None
             for c in h.nic.ip_configurations if c.id == h.id)
    return tuple(dict.fromkeys(p for p in found if p is not None))
