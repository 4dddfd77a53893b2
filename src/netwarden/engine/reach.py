"""Reachability between endpoints, and the trace of one concrete packet."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from netwarden.engine.addresses import AddressSets, is_public
from netwarden.engine.endpoints import Endpoint, EndpointError, resolve
from netwarden.engine.packets import TCP, Packet, PacketSet, PacketSpace
from netwarden.engine.path import Branch, Hop, Outcome
from netwarden.engine.topology import Topology
from netwarden.engine.walk import Walker
from netwarden.model import ids
from netwarden.model.estate import Estate
from netwarden.model.paas import PaasService
from netwarden.model.values import Prefix


@dataclass(frozen=True, slots=True)
class Service:
    """The protocol and destination ports a query asks about (None: any)."""

    protocol: int | None = None
    ports: tuple[int, int] | None = None


@dataclass
class ReachResult:
    source: Endpoint
    destination: Endpoint
    queried: PacketSet            # the packets asked about, as they would arrive
    allowed: PacketSet            # the packets that arrive (after any NAT)
    verdict: str                  # allowed, denied, partial
    arrived: list[Outcome]
    dropped: list[Outcome]
    conditional: list[Outcome]
    unresolved_tags: list[str] = field(default_factory=list)


@dataclass
class TraceResult:
    packet: Packet
    verdict: str                  # allowed, denied, conditional
    outcome: Outcome | None
    outcomes: list[Outcome]
    unresolved_tags: list[str] = field(default_factory=list)

    @property
    def hops(self) -> tuple[Hop, ...]:
        return self.outcome.hops if self.outcome else ()


# CUDD refuses to shut a manager down while nodes of it are referenced, and Python's
# cycle collector frees objects in no particular order: a manager collected with its
# packet sets would print "Still N nodes referenced" at a random moment. Managers are
# therefore kept for the life of the process; share one (``space=``) to bound memory.
_LIVE_SPACES: list[PacketSpace] = []


class Engine:
    """The symbolic engine for one estate."""

    def __init__(self, estate: Estate,
                 service_tags: Mapping[str, tuple[Prefix, ...]] | None = None,
                 space: PacketSpace | None = None) -> None:
        self.estate = estate
        if space is None:
            space = PacketSpace()
            _LIVE_SPACES.append(space)
        self.space = space
        self.topology = Topology(estate)
        self.addresses = AddressSets(self.space, self.topology, service_tags)
        self.walker = Walker(self.topology, self.addresses)
        self.k8s = _pod_network(self)     # Kubernetes pods, when the estate has clusters

    def endpoint(self, text: str) -> Endpoint:
        return resolve(text, self.topology)

    # -- packet spaces of endpoints --------------------------------------------------------------

    def service(self, service: Service) -> PacketSet:
        space = self.space
        packets = space.all() if service.protocol is None else space.protocol(service.protocol)
        if service.ports is not None:
            packets &= space.ports_apply() & space.dst_ports(*service.ports)
        return packets

    def addresses_of(self, endpoint: Endpoint, field: str) -> PacketSet:
        a = self.addresses
        if endpoint.kind == "internet":
            if endpoint.prefixes:
                return a.prefixes(field, endpoint.prefixes)  # type: ignore[arg-type]
            return a.on(field, a.internet(None))  # type: ignore[arg-type]
        ranges = [(h.address.first, h.address.last) for h in endpoint.holders]
        if endpoint.kind == "holders" and endpoint.subnet_ids:
            # a subnet or VNet: its NICs' addresses, and all usable addresses of subnets no
            # NIC sits in (a gateway's or Bastion's instances, an empty subnet)
            held = {ids.key(h.subnet_id or "") for h in endpoint.holders}
            for subnet_id in endpoint.subnet_ids:
                subnet = self.topology.subnet(subnet_id)
                if subnet is not None and ids.key(subnet.id) not in held:
                    ranges += [_usable(p) for p in subnet.address_prefixes]
        elif endpoint.kind != "holders" or not endpoint.holders:
            ranges += [(p.first, p.last) for p in endpoint.prefixes]
        return a.on(field, ranges)  # type: ignore[arg-type]

    # -- reach ---------------------------------------------------------------------------------

    def reach(self, source: Endpoint, destination: Endpoint, service: Service = Service(),
              within: PacketSet | None = None) -> ReachResult:
        """The packets of the service that get from ``source`` to ``destination``, with
        their paths; ``within`` narrows the query to those packets (as they would arrive)."""
        base = self.service(service)
        src = self.addresses_of(source, "src")
        if within is not None:      # the query's packets as they would arrive; what arrives
            src &= within           # (translated or not) is still judged by the destination
        if destination.kind == "paas" and source.kind == "internet":
            queried = src & base & self.space.all()
            outcomes = self._paas_public(destination, src & base)
        else:
            dst_private = self.addresses_of(destination, "dst")
            queried = src & dst_private & base
            outcomes = self.walk(source, queried, service.protocol)
            if source.kind == "internet" and destination.kind == "paas":
                outcomes += self._paas_public(destination, src & base)
        targets = destination.target_ids
        at_destination = base & (self.space.all() if destination.kind in ("paas", "public-ip")
                                 else self.addresses_of(destination, "dst"))
        arrived = [_narrowed(o, at_destination) for o in outcomes if o.status == "arrived"
                   and any(t.lower() in targets for t in o.targets)]
        arrived = [o for o in arrived if o.branch.packets]
        pips = self.addresses.on("dst", [(p.address.first, p.address.last)
                                         for p in destination.public_ips if p.address])
        dropped = [o for o in outcomes if o.status == "dropped"
                   and (o.branch.packets & at_destination
                        or ("dst" not in o.branch.changed and o.branch.packets & pips & base))]
        conditional = [o for o in outcomes if o.status == "conditional"]
        allowed = self.space.union(o.branch.packets for o in arrived)
        logical = self.space.union(as_sent(o.branch) for o in arrived)
        if destination.kind == "paas" and source.kind == "internet":
            logical = self.space.union(o.branch.origin for o in arrived)
        got = logical & queried
        verdict = "denied" if not got else ("allowed" if got == queried else "partial")
        return ReachResult(source, destination, queried, allowed, verdict, arrived, dropped,
                           conditional, sorted(self.addresses.unresolved))

    def walk(self, source: Endpoint, queried: PacketSet, protocol: int | None = None) -> list[Outcome]:
        """Every outcome of the packets ``queried`` (as they would arrive) sent by ``source``."""
        outcomes = self._walk(source, queried, protocol)
        if self.k8s is not None:      # what arrives for pods passes their ingress policies
            if source.kind in ("internet", "onprem"):
                outcomes += self.k8s.enter(queried)
            outcomes = self.k8s.receive(outcomes)
        return outcomes

    def _walk(self, source: Endpoint, queried: PacketSet, protocol: int | None = None) -> list[Outcome]:
        w = self.walker
        if source.kind == "internet":
            entries = [(e.pip.address.first, e.pip.address.last)
                       for e in self.topology.entries if e.pip.address]
            # The queried port is the port packets arrive on. NAT at the entry (a load
            # balancer rule or inbound NAT rule, firewall DNAT, an application gateway's
            # listener -> backend setting) maps other frontend ports onto it, so packets
            # are sent to every port of the public IPs and judged as they arrive
            # (learn.microsoft.com: "Inbound NAT rules", "Filter inbound Internet traffic
            # with Azure Firewall DNAT", "Application Gateway backend settings").
            sent = queried.forget("dst", "dst_port") & self.service(Service(protocol)) \
                & self.addresses.on("dst", entries)
            return w.from_internet(sent)
        if source.kind == "onprem":
            return w.from_onprem(queried)
        if source.kind in ("holders", "addresses"):
            return w.from_holders(list(source.holders), queried) + \
                self._from_bare_prefixes(source, queried)
        if source.kind == "pods" and self.k8s is not None:
            return self.k8s.send(source.workloads, queried)  # type: ignore[arg-type]
        raise EndpointError(f"{source.label}: a {source.kind} cannot be a source; "
                            "name the NIC or VM behind it")

    def _from_bare_prefixes(self, source: Endpoint, packets: PacketSet) -> list[Outcome]:
        """Sources in a subnet that no NIC holds (an empty subnet, a CIDR)."""
        if not source.prefixes:
            return []
        held = self.addresses.on("src", [(h.address.first, h.address.last) for h in source.holders])
        out: list[Outcome] = []
        for subnet_id in source.subnet_ids:
            subnet = self.topology.subnet(subnet_id)
            if subnet is None:
                continue
            part = (packets - held) & self.addresses.prefixes("src", subnet.address_prefixes) \
                & self.addresses.prefixes("src", source.prefixes)
            if part:
                self.walker.egress(Branch.start(part), None, subnet, out)
        return out

    def _paas_public(self, destination: Endpoint, packets: PacketSet) -> list[Outcome]:
        """The public endpoint of a PaaS service: public network access, the network ACL's
        default action, and its IP rules decide (service endpoints come from VNets, not the
        internet)."""
        service = destination.resource
        if not isinstance(service, PaasService):
            return []
        space = self.space
        # the public endpoints (HTTPS 443, SMB 445, TDS 1433) are TCP services: a UDP
        # packet to port 443 reaches nothing (learn.microsoft.com, "Azure Storage firewall
        # and virtual network rules"; "Azure SQL Database connectivity architecture")
        ports = space.protocol(TCP) & space.wrap(space.raw_ranges("dst_port", [(p, p) for p in service.ports]))
        part = packets & ports
        hop_args = ("paas", service.id, service.name)
        if not part:
            return []
        branch = Branch.start(part)
        if not service.public_access_enabled:
            return [Outcome("dropped", branch.then(Hop(*hop_args, "deny", "publicNetworkAccess",
                                                       "public network access is disabled")))]
        if (service.default_action or "Allow").lower() == "allow":
            return [Outcome("arrived", branch.then(Hop(*hop_args, "allow", "defaultAction",
                                                       "network ACL default action Allow")),
                            (service.id,))]
        allowed = self.addresses.prefixes("src", service.ip_rules)
        out = []
        if part & allowed:
            out.append(Outcome("arrived", branch.restrict(allowed).then(Hop(
                *hop_args, "allow", "ipRules", ", ".join(map(str, service.ip_rules)))), (service.id,)))
        if part - allowed:
            out.append(Outcome("dropped", branch.restrict(space.all() - allowed).then(Hop(
                *hop_args, "deny", "defaultAction", "network ACL default action Deny"))))
        return out

    # -- trace ---------------------------------------------------------------------------------

    def trace(self, packet: Packet) -> TraceResult:
        packet = packet.normalized()
        packets = self.space.packet(packet)
        w, topo = self.walker, self.topology
        holders = [h for h in topo.holders_at(packet.src) if h.kind == "nic"]
        pods = self.k8s.workloads_at(packet.src) if self.k8s is not None and not holders else []
        if holders:
            outcomes = w.from_holders(holders[:1], packets)
        elif pods:
            outcomes = self.k8s.send(pods[:1], packets)  # type: ignore[union-attr]
        elif self.k8s is not None and (entered := self.k8s.enter(packets)):
            outcomes = entered
        elif any(packet.src in p for p in topo.onprem_prefixes):
            outcomes = w.from_onprem(packets)
        elif is_public(packet.src) and not any(packet.src in p for p in topo.all_vnet_space()):
            outcomes = w.from_internet(packets)
        else:
            subnet = next((s for s in self.estate.subnets
                           if any(packet.src in p for p in s.address_prefixes)), None)
            if subnet is None:
                raise EndpointError(f"no NIC, subnet, on-premises range or internet address holds "
                                    f"the source {Prefix.parse(str(_ip(packet.src)))}")
            outcomes = []
            w.egress(Branch.start(packets), None, subnet, outcomes)
        if self.k8s is not None:
            outcomes = self.k8s.receive(outcomes)
        # a trace is of one packet to one address: arriving in a subnet where no NIC holds
        # the address is not arriving anywhere (reach counts it for subnet endpoints)
        outcomes = [o if not _unheld(o) else Outcome("dropped", o.branch, o.targets, o.notes)
                    for o in outcomes]
        outcome = next((o for o in outcomes if o.status == "arrived"), None)
        verdict = "allowed"
        if outcome is None:
            outcome = next((o for o in outcomes if o.status == "conditional"), None)
            verdict = "conditional" if outcome else "denied"
        if outcome is None:
            outcome = next((o for o in outcomes if o.status == "dropped"), None)
        return TraceResult(packet, verdict, outcome, outcomes, sorted(self.addresses.unresolved))


def _pod_network(engine: Engine):  # type: ignore[no-untyped-def]
    """Kubernetes pods as endpoints (netwarden.k8s.network), when the estate has clusters."""
    from netwarden.k8s.model import KubeCluster

    if not engine.estate.of(KubeCluster):
        return None
    from netwarden.k8s.network import PodNetwork

    return PodNetwork(engine)


def _usable(prefix: Prefix) -> tuple[int, int]:
    """A subnet prefix without the addresses Azure reserves (the first four, the last)."""
    if prefix.last - prefix.first >= 7:
        return prefix.first + 4, prefix.last - 1
    return prefix.first, prefix.last


def _unheld(outcome: Outcome) -> bool:
    last = outcome.hops[-1] if outcome.hops else None
    return outcome.status == "arrived" and last is not None and last.kind == "deliver" \
        and last.detail.startswith("no NIC holds")


def _narrowed(outcome: Outcome, destination: PacketSet) -> Outcome:
    """An arrival restricted to the packets addressed to the destination (a class of
    alike NICs arrives together; only the queried ones count)."""
    if outcome.branch.packets <= destination:
        return outcome
    branch = outcome.branch.restrict(destination)
    branch = replace(branch, hops=tuple(h.narrowed(branch.packets) for h in branch.hops))
    return Outcome(outcome.status, branch, outcome.targets, outcome.notes)


def as_sent(branch: Branch) -> PacketSet:
    """The arriving packets with the source their sender used (undoing SNAT)."""
    if "src" not in branch.changed:
        return branch.packets
    return branch.packets.forget("src", "src_port") & branch.origin.forget("dst", "dst_port")


def _ip(value: int) -> str:
    import ipaddress

    return str(ipaddress.IPv4Address(value))
