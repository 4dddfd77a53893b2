"""EDGE005: a backend of an Application Gateway is also reachable from the internet directly."""
from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.edge import ApplicationGateway


class GatewayBypass(Check):
    """Finds backends of an Application Gateway (backend pool members given as NIC IP
    configurations or as IP addresses) that the internet also reaches on a path that does
    not pass that gateway: the VM's own public IP, a load balancer rule or inbound NAT rule,
    a firewall DNAT rule, or another gateway. Evidence: a witness packet and the bypass path."""

    id = "EDGE005"
    name = "gateway-bypass"
    title = "Application Gateway backend reachable around the gateway"
    severity = Severity.HIGH
    area = Area.EDGE
    rationale = ("Lock backends to the gateway: a backend the internet reaches directly "
                 "bypasses the WAF, TLS policy and routing rules that the gateway enforces.")
    remediation = ("Remove the other entry point (public IP, load balancer or NAT rule, DNAT "
                   "rule) and allow inbound traffic to the backends only from the gateway's "
                   "subnet in their NSGs.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/application-gateway/configuration-infrastructure")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        topology, estate = ctx.engine.topology, ctx.estate
        fronted: dict[str, dict[str, str]] = {}    # ipConfiguration -> {gateway key: name}
        for gateway in estate.of(ApplicationGateway):
            pools = {ids.key(p.id) for p in gateway.backend_pools}
            members = [c.id for n in estate.nics for c in n.ip_configurations
                       if pools & {ids.key(p) for p in c.appgw_backend_pool_ids}]
            members += [c for p in gateway.backend_pools for c in p.ip_configuration_ids]
            members += [h.id for p in gateway.backend_pools for a in p.addresses
                        for h in topology.holders if h.kind == "nic" and str(h.address) == a.strip()]
            for member in members:
                fronted.setdefault(ids.key(member), {})[ids.key(gateway.id)] = gateway.name
        reported: set[str] = set()
        for holder in topology.holders:
            gateways = fronted.get(ids.key(holder.id))
            if holder.nic is None or not gateways:
                continue
            bypass = [o for o in ctx.exposure(holder.id, holder.address) if not any(
                h.kind == "app-gateway" and ids.key(h.resource or "") in gateways for h in o.hops)]
            owner: Resource = estate.vm_of(holder.nic) or holder.nic
            if bypass and owner.id not in reported:
                reported.add(owner.id)
                names = ", ".join(sorted(gateways.values()))
                yield self.finding(owner, f"{owner.name}, a backend of {names}, is reachable from the "
                                          f"internet around the gateway via {bypass[0].hops[0].name}",
                                   Evidence.of(bypass[0]))
