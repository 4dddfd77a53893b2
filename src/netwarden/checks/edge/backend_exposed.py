"""EDGE003: a data or management service port is reachable from the internet."""
from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.exposure import ports_of, service_name
from netwarden.engine.packets import UDP
from netwarden.engine.path import Outcome
from netwarden.model.base import Resource
from netwarden.model.paas import PaasService

BACKEND_PORTS = (1433, 1521, 2375, 2376, 3306, 5432, 5984, 6379, 6380, 9042, 9200, 9300,
                 10250, 11211, 27017)


class BackendExposed(Check):
    """Finds databases, caches, search engines and container/kubelet APIs (BACKEND_PORTS) the
    internet reaches on VMs by any path (public IP, load balancer, DNAT, application gateway),
    or on PaaS public endpoints (public access, network ACL, firewall rules); witness + path."""

    id = "EDGE003"
    name = "backend-exposed"
    title = "Data or management service reachable from the internet"
    severity = Severity.CRITICAL
    area = Area.EDGE
    rationale = ("Expose a minimal set of endpoints and lock backends behind the edge: a "
                 "database, cache, search engine or container API answering the internet is "
                 "scanned within minutes and is a direct path to the data.")
    remediation = ("Remove the rule, public IP or firewall rule that admits the internet; reach "
                   "the service privately (Private Link, service endpoints, VNet peering, VPN) "
                   "and disable public network access on PaaS services.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/azure-sql/database/firewall-configure")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        wanted = ctx.tcp_ports(*BACKEND_PORTS) | ctx.ports(UDP, 11211)
        reached: dict[str, tuple[Resource, list[Outcome]]] = {}
        for holder in ctx.engine.topology.holders:
            if holder.nic is not None:
                owner: Resource = ctx.estate.vm_of(holder.nic) or holder.nic
                reached.setdefault(owner.id, (owner, []))[1].extend(
                    ctx.exposure(holder.id, holder.address, wanted))
        internet = ctx.engine.endpoint("internet")
        for service in ctx.estate.of(PaasService):
            if set(service.ports) & set(BACKEND_PORTS):      # one query: the whole public endpoint
                to = ctx.engine.endpoint(service.id)
                reached[service.id] = (service, ctx.engine.reach(internet, to).arrived)
        for owner, outcomes in reached.values():
            if not (hits := [o for o in outcomes if o.branch.packets & wanted]):
                continue
            ports = sorted({p for o in hits for p in ports_of(o.branch.packets & wanted, BACKEND_PORTS)})
            facts = (f"dst: the public endpoint of {owner.name}",) if isinstance(owner, PaasService) else ()
            where = "on its public endpoint" if facts else f"via {hits[0].hops[0].name}"
            names = ", ".join(f"{service_name(p)} {p}" for p in ports[:4])
            names += f" and {len(ports) - 4} more ports" if len(ports) > 4 else ""
            yield self.finding(owner, f"{names} of {owner.name} reachable from the internet {where}",
                               Evidence.of(hits[0], wanted, *facts))
