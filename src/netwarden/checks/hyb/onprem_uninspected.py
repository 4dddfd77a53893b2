from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.seg._common import full_port_tuples
from netwarden.engine.packets import TCP, PacketSet
from netwarden.engine.path import Outcome
from netwarden.model import ids
from netwarden.model.network import Subnet

INSPECTING = frozenset({"firewall", "nva"})


class OnpremUninspected(Check):
    """Walks every packet from the on-premises prefixes (local network gateways, VPN client
    pools) to all VNet address space through the VPN/ExpressRoute gateways, and finds the
    subnets whose workload NICs it reaches on every TCP port without passing an Azure
    Firewall or an NVA on the way: nothing inspects or narrows what enters from on-premises."""

    id = "HYB001"
    name = "onprem-uninspected"
    title = "On-premises traffic reaches workloads uninspected"
    severity = Severity.HIGH
    area = Area.HYB
    rationale = ("Inspect traffic entering from on-premises: a compromised or mis-routed "
                 "on-premises host must not reach cloud workloads on every port. Route the "
                 "GatewaySubnet through Azure Firewall or an NVA, or restrict with NSGs.")
    remediation = ("Add a route table to the GatewaySubnet that sends the VNet prefixes to Azure "
                   "Firewall (or an NVA), and allow only the needed on-premises flows in the "
                   "workload subnets' NSGs.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/firewall/forced-tunneling")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        topo, a = ctx.engine.topology, ctx.engine.addresses
        if not topo.onprem_prefixes:
            return
        workloads = {ids.key(h.id): h for h in topo.holders if h.kind == "nic" and h.nic
                     and not h.nic.private_endpoint_id}
        packets = a.prefixes("src", topo.onprem_prefixes) & a.prefixes("dst", topo.all_vnet_space())
        by_subnet: dict[str, list[tuple[Outcome, str, PacketSet]]] = defaultdict(list)
        for outcome in ctx.engine.walker.from_onprem(packets):
            held = [workloads[k] for t in outcome.targets if (k := ids.key(t)) in workloads]
            if outcome.status != "arrived" or any(hop.kind in INSPECTING for hop in outcome.hops):
                continue
            for holder in held:          # a class of alike NICs arrives as one outcome
                mine = a.on("dst", [(holder.address.first, holder.address.last)])
                if full := full_port_tuples(outcome.branch.packets & mine, TCP):
                    name = holder.nic.name if holder.nic else holder.id
                    by_subnet[ids.key(holder.subnet_id or "")].append((outcome, name, full))
        for subnet_key, arrivals in by_subnet.items():
            subnet = ctx.estate.get(subnet_key, Subnet)
            if subnet is None:
                continue
            nics = ", ".join(dict.fromkeys(name for _, name, _ in arrivals))
            outcome, _, full = arrivals[0]
            entry = outcome.hops[0].name if outcome.hops else "the gateway"
            yield self.finding(subnet, f"on-premises reaches every TCP port of {nics} in "
                                       f"{subnet.name} through {entry} with no firewall or NVA",
                               Evidence.of(outcome, full))
