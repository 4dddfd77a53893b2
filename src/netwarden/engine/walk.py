"""The forwarding walk: packet sets travel from a source through NSGs, routes, peerings,
appliances, firewalls and NAT, splitting wherever the network treats them differently,
until they arrive or are dropped. Every branch keeps its hops as evidence.

Endpoints that share a subnet and a NIC NSG behave alike (ASG rules resolve to address
sets, which the packet set already carries), so delivery handles them as one class.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from netwarden.engine.addresses import NON_PUBLIC, AddressSets, TagContext
from netwarden.engine.firewall import FirewallCompiler
from netwarden.engine.nsg import CompiledNsg, compile_nsg
from netwarden.engine.packets import TCP, UDP, PacketSet
from netwarden.engine.path import Branch, Hop, Outcome
from netwarden.engine.routing import RouteEntry, Router
from netwarden.engine.topology import Entry, Holder, Topology
from netwarden.model import ids
from netwarden.model.compute import PublicIpSku
from netwarden.model.edge import ApplicationGateway, CollectionAction, Firewall, LoadBalancer
from netwarden.model.network import NextHop, Peering, Subnet, VirtualNetwork
from netwarden.model.values import Direction, Prefix, Protocol

MAX_HOPS = 64
EPHEMERAL = (1024, 65535)


class Walker:
    def __init__(self, topology: Topology, addresses: AddressSets) -> None:
        self.topology = topology
        self.addresses = addresses
        self.space = addresses.space
        self.router = Router(topology, addresses)
        self.firewalls = FirewallCompiler(topology.estate, addresses)
        self._nsgs: dict[tuple[object, ...], CompiledNsg] = {}
        self._classes_by_vnet: dict[str, tuple[PacketSet, list[tuple[str | None, list[Holder], PacketSet]]]] = {}
        self._members: dict[tuple[str, str], list[str]] = {}     # (balancer, pool) -> ipConfigurations

    # -- NSGs ------------------------------------------------------------------------------

    def compiled(self, nsg_id: str, direction: Direction, subnet_id: str | None) -> CompiledNsg | None:
        nsg = self.topology.nsg(nsg_id)
        if nsg is None:
            return None
        ctx = TagContext(subnet_id)
        k = (nsg.id.lower(), direction, self.addresses.context_key(ctx))
        found = self._nsgs.get(k)
        if found is None:
            found = compile_nsg(nsg, direction, self.addresses, ctx)
            self._nsgs[k] = found
        return found

    def nsg_filter(self, branch: Branch, nsg_id: str | None, direction: Direction,
                   subnet_id: str | None, level: str, out: list[Outcome]) -> Branch | None:
        """Apply one NSG; denied packets become a dropped outcome naming the rules."""
        if not nsg_id:
            return branch
        compiled = self.compiled(nsg_id, direction, subnet_id)
        kind = f"{level}-nsg-{'in' if direction is Direction.INBOUND else 'out'}"
        if compiled is None:
            # dangling NSG reference: Azure would reject it; treat as absent and say so
            return branch.then(Hop(kind, nsg_id, ids.name_from_id(nsg_id), "allow",
                                   detail="NSG not in the input; treated as absent"))
        denied = branch.packets - compiled.allowed
        if denied:
            deciders = compiled.deciding(denied, allows=False)
            for decision in deciders:
                out.append(Outcome("dropped", branch.restrict(decision.packets).then(
                    Hop(kind, compiled.nsg.id, compiled.nsg.name, "deny", decision.rule.name))))
        passed = branch.packets & compiled.allowed
        if not passed:
            return None
        deciding = compiled.deciding(passed, allows=True)
        return branch.restrict(compiled.allowed).then(
            Hop(kind, compiled.nsg.id, compiled.nsg.name, "allow",
                ", ".join(d.rule.name for d in deciding),
                decisions=tuple((d.rule.name, d.packets) for d in deciding)))

    # -- sources ------------------------------------------------------------------------------

    def from_holders(self, holders: list[Holder], packets: PacketSet) -> list[Outcome]:
        """Packets sent by NICs (grouped by subnet and NIC NSG) into the network."""
        out: list[Outcome] = []
        for (subnet_id, _), group in _classes(holders).items():
            nsg_id = _nic_nsg(group)
            sent = packets & self.addresses.on("src", _ranges(group))
            if not sent:
                continue
            subnet = self.topology.subnet(subnet_id)
            if subnet is None:
                out.append(Outcome("dropped", Branch.start(sent).then(
                    Hop("subnet", subnet_id, ids.name_from_id(subnet_id or "?"), "drop",
                        detail="subnet not in the input"))))
                continue
            self.egress(Branch.start(sent), nsg_id, subnet, out)
        return out

    def egress(self, branch: Branch, nic_nsg: str | None, subnet: Subnet, out: list[Outcome]) -> None:
        """Outbound: the NIC's NSG, then the subnet's NSG, then the subnet's routes."""
        b = self.nsg_filter(branch, nic_nsg, Direction.OUTBOUND, subnet.id, "nic", out)
        if b is not None:
            b = self.nsg_filter(b, subnet.nsg_id, Direction.OUTBOUND, subnet.id, "subnet", out)
        if b is not None:
            self.route(b, subnet, out)

    # -- routing ------------------------------------------------------------------------------

    def route(self, branch: Branch, subnet: Subnet, out: list[Outcome]) -> None:
        if len(branch.hops) > MAX_HOPS:
            out.append(Outcome("dropped", branch.then(Hop("loop", None, "routing", "drop",
                                                          detail="too many hops"))))
            return
        for entry, part in self.router.lookup(subnet, branch.packets):
            b = branch.restrict(part).then(Hop("route", entry.route.id if entry.route else subnet.id,
                                               subnet.name, "forward" if entry.next_hop is not NextHop.NONE
                                               else "drop", entry.route.name if entry.route else None,
                                               entry.describe()))
            hop = entry.next_hop
            if hop is NextHop.VNET_LOCAL:
                self.deliver(b, subnet.vnet_id, out)
            elif hop is NextHop.VNET_PEERING:
                crossed = self.cross(b, subnet.vnet_id, entry.peering, entry.remote_vnet, out)
                if crossed is not None and entry.remote_vnet is not None:
                    self.deliver(crossed, entry.remote_vnet.id, out)
                elif crossed is not None:
                    out.append(Outcome("dropped", crossed.then(Hop(
                        "peering", entry.peering.remote_vnet_id if entry.peering else None,
                        "remote VNet", "drop", detail="remote VNet not in the input"))))
            elif hop is NextHop.INTERNET:
                self.to_internet(b, out)
            elif hop is NextHop.GATEWAY:
                gateway = self.topology.gateway_for(subnet.vnet_id)
                if gateway is None:
                    out.append(Outcome("dropped", b.then(Hop("gateway", None, "gateway", "drop",
                                                             detail="the VNet has no gateway"))))
                else:
                    out.append(Outcome("arrived", b.then(Hop("gateway", gateway.id, gateway.name,
                                                             "forward", detail="to on-premises")),
                                       ("onprem",)))
            elif hop is NextHop.APPLIANCE:
                self.appliance(b, entry, subnet, out)
            else:
                out.append(Outcome("dropped", b))

    def cross(self, branch: Branch, vnet_id: str, peering: Peering | None,
              remote: VirtualNetwork | None, out: list[Outcome]) -> Branch | None:
        """Across a peering: the local side must allow virtual network access; traffic that
        did not originate in the local VNet (forwarded by an NVA or firewall) needs the
        remote side's allowForwardedTraffic (Azure, "Virtual network peering")."""
        if peering is None:
            return branch
        if not peering.allow_virtual_network_access:
            out.append(Outcome("dropped", branch.then(Hop("peering", peering.id, peering.name, "drop",
                                                          detail="allowVirtualNetworkAccess is false"))))
            return None
        back = self.topology.reverse(peering)
        origins = list(self.topology.vnet_space(vnet_id))
        if not branch.visited and peering.allow_gateway_transit and back is not None \
                and back.use_remote_gateways and self.topology.gateway_for(vnet_id) is not None:
            # On-premises traffic that this VNet's gateway hands straight to a spoke using it
            # through gateway transit is not traffic forwarded by an appliance: the spoke
            # needs only useRemoteGateways and the hub allowGatewayTransit, not
            # allowForwardedTraffic (learn.microsoft.com, "Configure VPN gateway transit
            # for virtual network peering").
            origins += self.topology.onprem_prefixes
        local = self.addresses.prefixes("src", origins)
        forwarded = branch.packets - local
        if forwarded and back is not None and not back.allow_forwarded_traffic:
            out.append(Outcome("dropped", branch.restrict(forwarded).then(Hop(
                "peering", back.id, back.name, "drop",
                detail="forwarded traffic, and the remote side's allowForwardedTraffic is false"))))
            branch = branch.restrict(local)
            if not branch.packets:
                return None
        return branch.then(Hop("peering", peering.id, peering.name, "forward"))

    # -- delivery -------------------------------------------------------------------------------

    def deliver(self, branch: Branch, vnet_id: str, out: list[Outcome]) -> None:
        """Into a VNet: each class of address holders through its subnet's and NIC's NSGs;
        addresses that no NIC holds arrive at their subnet (or are dropped outside any)."""
        topo = self.topology
        remaining = branch.packets
        everything, classes = self._delivery_classes(vnet_id)
        if not remaining & everything:
            classes = []
        for subnet_id, group, addresses in classes:
            nic_nsg = _nic_nsg(group)
            part = remaining & addresses
            if not part:
                continue
            remaining -= part
            b = branch.restrict(part)
            if group[0].kind == "firewall":
                self.firewall(b, group[0].firewall, out, addressed=True)  # type: ignore[arg-type]
                continue
            subnet = topo.subnet(subnet_id)
            subnet_nsg = subnet.nsg_id if subnet else None
            if group[0].kind != "nic" or (group[0].nic and group[0].nic.private_endpoint_id):
                # NSGs apply to private endpoints only where the subnet enables the policy
                if subnet is None or not subnet.nsg_applies_to_private_endpoints:
                    subnet_nsg = nic_nsg = None
            b2 = self.nsg_filter(b, subnet_nsg, Direction.INBOUND, subnet_id, "subnet", out)
            if b2 is not None:
                b2 = self.nsg_filter(b2, nic_nsg, Direction.INBOUND, subnet_id, "nic", out)
            if b2 is not None:
                targets = tuple(h.id for h in group)
                out.append(Outcome("arrived", b2.then(Hop("deliver", group[0].nic.id if group[0].nic
                                                          else group[0].id, _holder_name(group),
                                                          "arrive")), targets))
        if remaining:
            self._unheld(branch.restrict(remaining), vnet_id, out)

    def _delivery_classes(self, vnet_id: str) -> tuple[PacketSet, list[tuple[str | None, list[Holder], PacketSet]]]:
        """The classes of alike address holders of a VNet with their destination sets, and
        the union of them all (computed once per VNet)."""
        k = ids.key(vnet_id)
        found = self._classes_by_vnet.get(k)
        if found is None:
            classes = [(subnet_id, group, self.addresses.on("dst", _ranges(group)))
                       for (subnet_id, _), group in _classes(self.topology.holders_in_vnet(vnet_id)).items()]
            found = (self.space.union(c[2] for c in classes), classes)
            self._classes_by_vnet[k] = found
        return found

    def _unheld(self, branch: Branch, vnet_id: str, out: list[Outcome]) -> None:
        vnet = self.topology.estate.get(vnet_id, VirtualNetwork)
        remaining = branch.packets
        for subnet in self.topology.estate.subnets_of(vnet) if vnet else []:
            part = remaining & self.addresses.prefixes("dst", subnet.address_prefixes)
            if not part:
                continue
            remaining -= part
            b = self.nsg_filter(branch.restrict(part), subnet.nsg_id, Direction.INBOUND,
                                subnet.id, "subnet", out)
            if b is not None:
                out.append(Outcome("arrived", b.then(Hop("deliver", subnet.id, subnet.name, "arrive",
                                                         detail="no NIC holds these addresses")),
                                   (subnet.id,)))
        if remaining:
            out.append(Outcome("dropped", branch.restrict(remaining).then(Hop(
                "deliver", vnet_id, ids.name_from_id(vnet_id), "drop",
                detail="no subnet holds these addresses"))))

    # -- appliances and firewalls ----------------------------------------------------------------

    def appliance(self, branch: Branch, entry: RouteEntry, subnet: Subnet, out: list[Outcome]) -> None:
        topo = self.topology
        address = _int(entry.next_hop_ip)
        reachable = {ids.key(subnet.vnet_id): None}
        for peering, remote in topo.connected_peerings(subnet.vnet_id):
            if remote is not None:
                reachable[ids.key(remote.id)] = peering  # type: ignore[assignment]
        holders = [h for h in topo.holders_at(address) if address is not None
                   and ids.key(topo.vnet_of_subnet(h.subnet_id) or "") in reachable]
        balancer = None if holders or address is None else _internal_frontend(topo, address, reachable)
        if not holders and balancer is None:
            out.append(Outcome("dropped", branch.then(Hop(
                "next-hop", entry.route.id if entry.route else None, entry.next_hop_ip or "?", "drop",
                detail=f"no NIC, firewall or internal load balancer holds {entry.next_hop_ip}: "
                       "blackholed"))))
            return
        target_vnet = topo.vnet_of_subnet(holders[0].subnet_id if holders else balancer[2]) or ""
        peering = reachable.get(ids.key(target_vnet))
        b: Branch | None = branch
        if peering is not None:
            b = self.cross(branch, subnet.vnet_id, peering,
                           topo.estate.get(target_vnet, VirtualNetwork), out)
        if b is None:
            return
        if balancer is not None:
            self.internal_load_balancer(b, balancer[0], balancer[1], out)
        else:
            self.through_appliance(b, holders[0], out)

    def internal_load_balancer(self, branch: Branch, lb: LoadBalancer, frontend_id: str,
                               out: list[Outcome]) -> None:
        """Routed to an internal load balancer's frontend (the highly available NVA pattern):
        an HA-ports rule (protocol All, port 0: Standard SKU) balances every TCP and UDP flow
        to one member of its backend pools, without translating it (learn.microsoft.com,
        "High availability ports overview"); the flow then goes through that member as
        through any appliance. Which member takes a flow is the balancer's hash, so each
        member is a path the flow may take. Other protocols, and a frontend without an
        HA-ports rule, carry nothing routed to it; nor does a member with no NSG on its NIC or
        subnet, since a Standard balancer is closed unless an NSG opens it ("Azure Load
        Balancer overview", secure by default), as on the public path."""
        rules = [r for r in lb.rules if ids.key(r.frontend_id or "") == ids.key(frontend_id)
                 and r.protocol is Protocol.ANY and r.frontend_port == 0]
        if not rules:
            out.append(Outcome("dropped", branch.then(Hop(
                "load-balancer", lb.id, lb.name, "drop",
                detail="no HA-ports rule on this frontend: a load balancer balances traffic "
                       "routed to it only with one"))))
            return
        carried = branch.packets & (self.space.protocol(TCP) | self.space.protocol(UDP))
        if branch.packets - carried:
            out.append(Outcome("dropped", branch.restrict(branch.packets - carried).then(Hop(
                "load-balancer", lb.id, lb.name, "drop",
                detail="HA ports balance TCP and UDP flows only"))))
        if not carried:
            return
        members = list(dict.fromkeys(c for rule in rules for pool_id in rule.backend_pool_ids
                                     for c in self._pool_members(lb, pool_id)))
        b = branch.restrict(carried)
        holders = [h for c in members for h in self.topology.holders_of_config(c)]
        if not holders:
            out.append(Outcome("dropped", b.then(Hop(
                "load-balancer", lb.id, lb.name, "drop", rules[0].name,
                detail="the HA-ports rule's backend pools hold no NIC of the input"))))
            return
        standard = lb.sku.lower().startswith("standard")
        for holder in holders:
            via = b.then(Hop("load-balancer", lb.id, lb.name, "forward", rules[0].name,
                             f"HA ports -> backend {holder.address}"))
            nva_subnet = self.topology.subnet(holder.subnet_id)
            if standard and holder.nic is not None and not holder.nic.nsg_id and not (
                    nva_subnet and nva_subnet.nsg_id):
                out.append(Outcome("dropped", via.then(Hop(
                    "load-balancer", lb.id, lb.name, "drop",
                    detail="Standard load balancers are closed unless an NSG allows"))))
                continue
            self.through_appliance(via, holder, out)

    def through_appliance(self, arriving: Branch, holder: Holder, out: list[Outcome]) -> None:
        """Into the appliance (a NIC or a firewall) a route or a load balancer sent to."""
        if arriving.visited and holder.id.lower() in arriving.visited:
            out.append(Outcome("dropped", arriving.then(Hop(
                "loop", holder.id, ids.name_from_id(holder.id), "drop", detail="routing loop"))))
            return
        b: Branch | None = arriving.visit(holder.id)
        if holder.kind == "firewall" and holder.firewall is not None:
            self.firewall(b, holder.firewall, out)  # type: ignore[arg-type]
            return
        nic = holder.nic
        nva_subnet = self.topology.subnet(holder.subnet_id)
        if nic is None or nva_subnet is None:
            out.append(Outcome("dropped", b.then(Hop("nva", holder.id, ids.name_from_id(holder.id),
                                                     "drop", detail="appliance not modelled"))))
            return
        b = self.nsg_filter(b, nva_subnet.nsg_id, Direction.INBOUND, nva_subnet.id, "subnet", out)
        if b is not None:
            b = self.nsg_filter(b, nic.nsg_id, Direction.INBOUND, nva_subnet.id, "nic", out)
        if b is None:
            return
        own = self.addresses.on("dst", [(holder.address.first, holder.address.last)])
        if b.packets & own:
            # addressed to the appliance itself: it has arrived
            out.append(Outcome("arrived", b.restrict(own).then(Hop("deliver", nic.id, nic.name, "arrive")),
                               (holder.id,)))
            b = b.restrict(self.space.all() - own)
            if not b.packets:
                return
        if not nic.ip_forwarding:
            out.append(Outcome("dropped", b.then(Hop("nva", nic.id, nic.name, "drop",
                                                     detail="IP forwarding is disabled on the NIC"))))
            return
        b = b.then(Hop("nva", nic.id, nic.name, "forward", detail=f"virtual appliance {holder.address}"))
        self.egress(b, nic.nsg_id, nva_subnet, out)

    def firewall(self, branch: Branch, firewall: Firewall, out: list[Outcome],
                 addressed: bool = False) -> None:
        compiled = self.firewalls.compile_for(firewall, branch.packets)
        # the unions are precomputed, so rule-by-rule work happens only where it matters
        if branch.packets & compiled.network_denied:
            for decision in compiled.meeting("network", branch.packets):
                if decision.action is CollectionAction.DENY:
                    out.append(Outcome("dropped", branch.restrict(branch.packets & decision.packets).then(
                        Hop("firewall", firewall.id, firewall.name, "deny", decision.label))))
        if branch.packets & compiled.layer7:
            for decision in compiled.meeting("application", branch.packets):
                part = branch.packets & decision.packets
                rule = decision.rule_obj
                targets = ", ".join((*rule.target_fqdns, *rule.fqdn_tags, *rule.web_categories)) or "?"
                status = "conditional" if decision.action is CollectionAction.ALLOW else "dropped"
                out.append(Outcome(status, branch.restrict(part).then(Hop(
                    "firewall", firewall.id, firewall.name,
                    "conditional" if status == "conditional" else "deny", decision.label,
                    f"application rule (layer 7): only for {targets}"))))
        unmatched = branch.packets & compiled.unmatched
        if unmatched:
            out.append(Outcome("dropped", branch.restrict(unmatched).then(Hop(
                "firewall", firewall.id, firewall.name, "deny", "default deny",
                "no rule matched"))))
        passed = branch.packets & compiled.allowed
        if not passed:
            return
        deciding = [d for d in compiled.meeting("network", passed)
                    if d.action is CollectionAction.ALLOW]
        b = branch.restrict(compiled.allowed).then(Hop(
            "firewall", firewall.id, firewall.name, "allow", ", ".join(d.label for d in deciding),
            decisions=tuple((d.label, d.packets) for d in deciding)))
        if addressed:
            out.append(Outcome("arrived", b, (firewall.id,)))
            return
        subnet = self._firewall_subnet(firewall)
        if subnet is None:
            out.append(Outcome("dropped", b.then(Hop("firewall", firewall.id, firewall.name, "drop",
                                                     detail="firewall subnet not in the input"))))
            return
        self.route(b, subnet, out)

    def _firewall_subnet(self, firewall: Firewall) -> Subnet | None:
        for config in firewall.ip_configurations:
            if (subnet := self.topology.subnet(config.subnet_id)) is not None:
                return subnet
        return None

    # -- the internet and on-premises ---------------------------------------------------------------

    def to_internet(self, branch: Branch, out: list[Outcome]) -> None:
        private = self.addresses.prefixes("dst", NON_PUBLIC)
        dead = branch.packets & private
        if dead:
            out.append(Outcome("dropped", branch.restrict(dead).then(Hop(
                "internet", None, "internet", "drop", detail="private address routed to the internet"))))
        public = branch.packets - private
        if public:
            out.append(Outcome("arrived", branch.restrict(public).then(
                Hop("internet", None, "internet", "arrive")), ("internet",)))

    def from_internet(self, packets: PacketSet) -> list[Outcome]:
        """Packets from the internet arrive only at public IPs: of NICs (1:1 NAT), load
        balancers (rules and inbound NAT), firewalls (DNAT), application gateways (a proxy),
        Bastion and VPN gateways (which end them)."""
        out: list[Outcome] = []
        remaining = packets
        for entry in self.topology.entries:
            address = entry.pip.address
            if address is None:
                continue
            part = remaining & self.addresses.on("dst", [(address.first, address.last)])
            if not part:
                continue
            remaining -= part
            branch = Branch.start(part)
            handler = getattr(self, "_enter_" + entry.kind.replace("-", "_"))
            handler(branch, entry, out)
        if remaining:
            out.append(Outcome("dropped", Branch.start(remaining).then(Hop(
                "internet", None, "internet", "drop", detail="no public IP of the estate"))))
        return out

    def _enter_nic(self, branch: Branch, entry: Entry, out: list[Outcome]) -> None:
        config = self.topology.config(entry.owner_id)
        if config is None or config.private_ip is None:
            return
        nic = self.topology.estate.nic_of(config)
        subnet = self.topology.subnet(config.subnet_id)
        b = branch.translated(branch.packets.with_dst(config.private_ip.first, config.private_ip.last),
                              ("dst",), Hop("public-ip", entry.pip.id, entry.pip.name, "translate",
                                            detail=f"{entry.pip.address} -> {config.private_ip}"))
        nic_nsg = nic.nsg_id if nic else None
        subnet_nsg = subnet.nsg_id if subnet else None
        if entry.pip.sku is PublicIpSku.STANDARD and not nic_nsg and not subnet_nsg:
            out.append(Outcome("dropped", b.then(Hop(
                "public-ip", entry.pip.id, entry.pip.name, "drop",
                detail="Standard SKU public IPs are closed to inbound traffic unless an NSG allows it"))))
            return
        self._inbound_to(b, [config.id], subnet, nic_nsg, out, config.subnet_id)

    def _inbound_to(self, b: Branch | None, targets: list[str], subnet: Subnet | None,
                    nic_nsg: str | None, out: list[Outcome], subnet_id: str | None) -> None:
        if b is not None:
            b = self.nsg_filter(b, subnet.nsg_id if subnet else None, Direction.INBOUND, subnet_id,
                                "subnet", out)
        if b is not None:
            b = self.nsg_filter(b, nic_nsg, Direction.INBOUND, subnet_id, "nic", out)
        if b is not None:
            config = self.topology.config(targets[0])
            name = ids.name_from_id(config.nic_id) if config else ids.name_from_id(targets[0])
            out.append(Outcome("arrived", b.then(Hop("deliver", config.nic_id if config else targets[0],
                                                     name, "arrive")), tuple(targets)))

    def _enter_load_balancer(self, branch: Branch, entry: Entry, out: list[Outcome]) -> None:
        lb = self.topology.estate.get(entry.owner_id, LoadBalancer)
        if lb is None:
            return
        standard = lb.sku.lower().startswith("standard") or entry.pip.sku is PublicIpSku.STANDARD
        remaining = branch.packets
        mappings: list[tuple[str, PacketSet, list[str], int]] = []
        for rule in lb.rules:
            if ids.key(rule.frontend_id or "") != ids.key(entry.frontend_id or ""):
                continue
            match = _proto(self.space, rule.protocol.value) & self.space.ports_apply() & \
                self.space.dst_ports(rule.frontend_port, rule.frontend_port)
            members = [c for pool_id in rule.backend_pool_ids for c in self._pool_members(lb, pool_id)]
            mappings.append((f"rule {rule.name}", match, members, rule.backend_port))
        for nat in lb.nat_rules:
            if ids.key(nat.frontend_id or "") != ids.key(entry.frontend_id or "") or \
                    not nat.backend_ip_configuration_id:
                continue
            match = _proto(self.space, nat.protocol.value) & self.space.ports_apply() & \
                self.space.dst_ports(nat.frontend_port, nat.frontend_port)
            mappings.append((f"inbound NAT {nat.name}", match, [nat.backend_ip_configuration_id],
                             nat.backend_port))
        for label, match, members, backend_port in mappings:
            part = remaining & match
            if not part:
                continue
            remaining -= part
            for config_id in members:
                config = self.topology.config(config_id)
                if config is None or config.private_ip is None:
                    continue
                nic = self.topology.estate.nic_of(config)
                subnet = self.topology.subnet(config.subnet_id)
                b = branch.restrict(part)
                b = b.translated(b.packets.with_dst(config.private_ip.first, config.private_ip.last,
                                                    backend_port), ("dst", "dst_port"),
                                 Hop("load-balancer", lb.id, lb.name, "translate", label,
                                     f"{entry.pip.address} -> {config.private_ip}:{backend_port}"))
                nic_nsg = nic.nsg_id if nic else None
                if standard and not nic_nsg and not (subnet and subnet.nsg_id):
                    out.append(Outcome("dropped", b.then(Hop(
                        "load-balancer", lb.id, lb.name, "drop",
                        detail="Standard load balancers are closed unless an NSG allows"))))
                    continue
                self._inbound_to(b, [config.id], subnet, nic_nsg, out, config.subnet_id)
        if remaining:
            out.append(Outcome("dropped", branch.restrict(remaining).then(Hop(
                "load-balancer", lb.id, lb.name, "drop", detail="no rule for this port"))))

    def _pool_members(self, lb: LoadBalancer, pool_id: str) -> list[str]:
        """The ipConfigurations of a backend pool (found once: every NIC is looked at, and
        walks through a balancer ask again and again)."""
        k = (ids.key(lb.id), ids.key(pool_id))
        members = self._members.get(k)
        if members is None:
            members = [c.id for nic in self.topology.estate.nics for c in nic.ip_configurations
                       if any(ids.key(p) == k[1] for p in c.lb_backend_pool_ids)]
            for pool in lb.backend_pools:
                if ids.key(pool.id) == k[1]:
                    members += [c for c in pool.ip_configuration_ids if c not in members]
            self._members[k] = members
        return members

    def _enter_firewall(self, branch: Branch, entry: Entry, out: list[Outcome]) -> None:
        firewall = self.topology.estate.get(entry.owner_id, Firewall)
        if firewall is None:
            return
        compiled = self.firewalls.compile_for(firewall, branch.packets)
        remaining = branch.packets
        private = next((c.private_ip for c in firewall.ip_configurations if c.private_ip), None)
        subnet = self._firewall_subnet(firewall)
        for decision in compiled.nat:
            rule = decision.rule_obj
            part = remaining & decision.packets
            if not part:
                continue
            remaining -= part
            b = branch.restrict(part)
            if rule.translated_address is None or private is None or subnet is None:
                out.append(Outcome("dropped", b.then(Hop(
                    "firewall", firewall.id, firewall.name, "drop", decision.label,
                    f"DNAT to {rule.translated_fqdn or '?'}: the target cannot be resolved offline"))))
                continue
            port = rule.translated_port
            # DNAT to a private address also SNATs: the source becomes the address of the
            # firewall instance that takes the flow, one of AzureFirewallSubnet's (not only
            # the frontend private IP), and the client's source port is kept (Microsoft,
            # Azure Network Security blog, "Azure Firewall NAT Behaviors", DNAT rules)
            sub = subnet.address_prefixes[0] if subnet.address_prefixes else private
            lo, hi = (sub.first + 4, sub.last - 1) if sub.last - sub.first >= 7 \
                else (private.first, private.last)
            translated = b.packets.with_dst(rule.translated_address.first, rule.translated_address.last,
                                            port).with_src(lo, hi)
            b = b.translated(translated, ("dst", "dst_port", "src"), Hop(
                "firewall", firewall.id, firewall.name, "translate", decision.label,
                f"DNAT {entry.pip.address} -> {rule.translated_address}"
                f"{':' + str(port) if port else ''}, source translated to an instance address "
                f"in {subnet.name} ({sub})"))
            self.route(b.visit(firewall.id), subnet, out)
        if remaining:
            out.append(Outcome("dropped", branch.restrict(remaining).then(Hop(
                "firewall", firewall.id, firewall.name, "deny", "default deny", "no DNAT rule"))))

    def _enter_app_gateway(self, branch: Branch, entry: Entry, out: list[Outcome]) -> None:
        gateway = self.topology.estate.get(entry.owner_id, ApplicationGateway)
        if gateway is None:
            return
        subnet = self.topology.subnet(gateway.subnet_id)
        ports = sorted({l.port for l in gateway.listeners
                        if ids.key(l.frontend_id or "") == ids.key(entry.frontend_id or "") and l.port})
        listening = self.space.protocol(TCP) & self.space.wrap(
            self.space.raw_ranges("dst_port", [(p, p) for p in ports])) if ports else self.space.none()
        closed = branch.packets - listening
        if closed:
            out.append(Outcome("dropped", branch.restrict(closed).then(Hop(
                "app-gateway", gateway.id, gateway.name, "drop", detail="no listener"))))
        b: Branch | None = branch.restrict(listening)
        if not b.packets or subnet is None:
            return
        if sub_range := (subnet.address_prefixes[0] if subnet.address_prefixes else None):
            # the gateway's instances terminate the client's connection in their subnet
            b = b.translated(b.packets.with_dst(sub_range.first + 4, sub_range.last - 1),
                             ("dst",), Hop("app-gateway", gateway.id, gateway.name, "translate",
                                           detail=f"listener {entry.pip.address} -> instances in {subnet.name}"))
        b = self.nsg_filter(b, subnet.nsg_id, Direction.INBOUND, subnet.id, "subnet", out)
        if b is None:
            return
        out.append(Outcome("arrived", b.then(Hop("app-gateway", gateway.id, gateway.name, "arrive")),
                           (gateway.id, subnet.id)))
        waf = "WAF " + (gateway.waf_mode or "policy") if (gateway.waf_enabled or gateway.waf_policy_id) \
            else "no WAF"
        members = [h for pool in gateway.backend_pools for h in self._appgw_backends(gateway, pool.id)]
        backend_ports = gateway.backend_ports or tuple(ports)
        sub_range = subnet.address_prefixes[0] if subnet.address_prefixes else None
        for holder_address, target in members:
            for port in backend_ports:
                proxied = b.packets.with_dst(holder_address, holder_address, port)
                if sub_range is not None:   # from the instances (not the subnet's reserved addresses)
                    proxied = proxied.with_src(sub_range.first + 4, sub_range.last - 1, *EPHEMERAL)
                nb = b.translated(proxied, ("dst", "dst_port", "src", "src_port"), Hop(
                    "app-gateway", gateway.id, gateway.name, "proxy", None,
                    f"{gateway.tier or ''} {waf}; to backend {target}:{port}".strip()))
                self.egress(nb.visit(gateway.id), None, subnet, out)

    def _appgw_backends(self, gateway: ApplicationGateway, pool_id: str) -> list[tuple[int, str]]:
        found: list[tuple[int, str]] = []
        for nic in self.topology.estate.nics:
            for config in nic.ip_configurations:
                if config.private_ip and any(ids.key(p) == ids.key(pool_id)
                                             for p in config.appgw_backend_pool_ids):
                    found.append((config.private_ip.first, nic.name))
        for pool in gateway.backend_pools:
            if ids.key(pool.id) != ids.key(pool_id):
                continue
            for config_id in pool.ip_configuration_ids:
                config = self.topology.config(config_id)
                if config and config.private_ip and (config.private_ip.first, ids.name_from_id(
                        config.nic_id)) not in found:
                    found.append((config.private_ip.first, ids.name_from_id(config.nic_id)))
            for address in pool.addresses:
                value = _int(address)
                if value is not None:
                    found.append((value, address))
        return found

    def _enter_bastion(self, branch: Branch, entry: Entry, out: list[Outcome]) -> None:
        """Azure Bastion listens on TCP 443 only; its subnet's NSG filters what reaches it
        (learn.microsoft.com, "Working with NSG access and Azure Bastion")."""
        from netwarden.model.edge import BastionHost

        bastion = self.topology.estate.get(entry.owner_id, BastionHost)
        listening = self.space.protocol(TCP) & self.space.dst_ports(443, 443)
        self._terminal(branch, entry, out, "bastion", listening, bastion.subnet_id if bastion else None)

    def _enter_gateway(self, branch: Branch, entry: Entry, out: list[Outcome]) -> None:
        """A VPN gateway's public IP answers IKE (UDP 500, 4500) and IPsec ESP only; an
        ExpressRoute gateway's public IP is for management and accepts nothing here."""
        from netwarden.model.edge import VirtualNetworkGateway

        gateway = self.topology.estate.get(entry.owner_id, VirtualNetworkGateway)
        space = self.space
        listening = space.none()
        if gateway is not None and gateway.gateway_type.lower() == "vpn":
            listening = (space.protocol(17) & space.wrap(space.raw_ranges("dst_port", [(500, 500), (4500, 4500)]))) \
                | space.protocol(50)
        self._terminal(branch, entry, out, "gateway", listening, gateway.subnet_id if gateway else None)

    def _terminal(self, branch: Branch, entry: Entry, out: list[Outcome], kind: str,
                  listening: PacketSet, subnet_id: str | None) -> None:
        """A managed service that ends the packets it accepts (it is no router)."""
        name = ids.name_from_id(entry.owner_id)
        closed = branch.packets - listening
        if closed:
            out.append(Outcome("dropped", branch.restrict(self.space.all() - listening).then(Hop(
                kind, entry.owner_id, name, "drop", detail="the service does not listen there"))))
        b: Branch | None = branch.restrict(listening)
        if b is None or not b.packets:
            return
        subnet = self.topology.subnet(subnet_id)
        if subnet is not None and subnet.address_prefixes:
            where = subnet.address_prefixes[0]
            b = b.translated(b.packets.with_dst(where.first + 4, where.last - 1), ("dst",), Hop(
                kind, entry.owner_id, name, "translate", detail=f"{entry.pip.address} -> instances in {subnet.name}"))
            b = self.nsg_filter(b, subnet.nsg_id, Direction.INBOUND, subnet.id, "subnet", out)
        if b is None:
            return
        targets = (entry.owner_id, subnet.id) if subnet is not None else (entry.owner_id,)
        out.append(Outcome("arrived", b.then(Hop(kind, entry.owner_id, name, "arrive",
                                                 detail="managed service endpoint")), targets))

    def from_onprem(self, packets: PacketSet) -> list[Outcome]:
        """On-premises traffic enters through each VPN/ExpressRoute gateway and follows the
        GatewaySubnet's routes (where UDRs send it to a firewall for inspection)."""
        from netwarden.model.edge import VirtualNetworkGateway

        out: list[Outcome] = []
        for gateway in self.topology.estate.of(VirtualNetworkGateway):
            subnet = self.topology.subnet(gateway.subnet_id)
            if subnet is None:
                continue
            advertised = self.addresses.prefixes("dst", self._advertised(subnet.vnet_id))
            unrouted = packets - advertised
            if unrouted:
                # the gateway advertises only the address space it serves; on-premises has
                # no route into Azure for anything else
                out.append(Outcome("dropped", Branch.start(unrouted).then(Hop(
                    "gateway", gateway.id, gateway.name, "drop",
                    detail="destination not in the address space the gateway advertises"))))
            if not packets & advertised:
                continue
            b = Branch.start(packets & advertised).then(Hop(
                "gateway", gateway.id, gateway.name, "forward", detail="from on-premises"))
            self.route(b, subnet, out)
        return out

    def _advertised(self, vnet_id: str) -> list[Prefix]:
        """The gateway VNet's space and that of peered VNets using it (gateway transit)."""
        topo = self.topology
        found = list(topo.vnet_space(vnet_id))
        for peering, remote in topo.connected_peerings(vnet_id):
            back = topo.reverse(peering)
            if peering.allow_gateway_transit and back is not None and back.use_remote_gateways:
                found.extend(topo.remote_space(peering, remote))
        return found


def _internal_frontend(topo: Topology, address: int,
                       reachable: dict[str, Peering | None]) -> tuple[LoadBalancer, str, str] | None:
    """The internal load balancer whose private frontend in a VNet the route can reach holds
    ``address``: (the balancer, the frontend's ID, its subnet's ID)."""
    for lb in topo.estate.of(LoadBalancer):
        for frontend in lb.frontends:
            if frontend.private_ip is not None and frontend.subnet_id is not None \
                    and frontend.private_ip.first <= address <= frontend.private_ip.last \
                    and ids.key(topo.vnet_of_subnet(frontend.subnet_id) or "") in reachable:
                return lb, frontend.id, frontend.subnet_id
    return None


def _classes(holders: Iterable[Holder]) -> dict[tuple[str | None, str | None], list[Holder]]:
    groups: dict[tuple[str | None, str | None], list[Holder]] = defaultdict(list)
    for holder in holders:
        nsg = holder.nic.nsg_id if holder.nic else None
        if holder.nic and holder.nic.private_endpoint_id:
            # a private endpoint's NIC is exempt from its subnet's NSG unless the subnet's
            # privateEndpointNetworkPolicies enable it (learn.microsoft.com, "Manage network
            # policies for private endpoints"); it must not share a class with VM NICs
            nsg = f"private-endpoint:{nsg or ''}"
        key = (holder.subnet_id, nsg) if holder.kind == "nic" else (holder.subnet_id, f"{holder.kind}:{holder.id}")
        groups[key].append(holder)
    return groups


def _nic_nsg(group: list[Holder]) -> str | None:
    return group[0].nic.nsg_id if group[0].nic else None


def _ranges(holders: list[Holder]) -> list[tuple[int, int]]:
    return [(h.address.first, h.address.last) for h in holders]


def _holder_name(group: list[Holder]) -> str:
    names = [h.nic.name if h.nic else ids.name_from_id(h.id) for h in group]
    return names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1} alike)"


def _proto(space, number: int) -> PacketSet:  # type: ignore[no-untyped-def]
    return space.all() if number < 0 else space.protocol(number)


def _int(text: str | None) -> int | None:
    import ipaddress

    try:
        return int(ipaddress.IPv4Address((text or "").strip()))
    except ValueError:
        return None
