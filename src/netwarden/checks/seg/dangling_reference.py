from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.seg._common import next_hop_owner
from netwarden.model.network import NextHop, RouteTable
from netwarden.model.security import ApplicationSecurityGroup


class DanglingReference(Check):
    """Finds rules and routes that refer to something the estate does not have: an NSG rule
    naming an application security group that does not exist (that side of the rule
    matches no one, so the rule is void), and a user-defined route whose VirtualAppliance
    next-hop IP no NIC, firewall or load-balancer frontend holds (the traffic it carries
    is blackholed)."""

    id = "SEG006"
    name = "dangling-reference"
    title = "Rule or route refers to something that does not exist"
    severity = Severity.MEDIUM
    area = Area.SEG
    rationale = ("Route through NVAs with UDRs where inspection is required, and review that "
                 "the rule set does what it says: a route to an appliance that is gone drops "
                 "traffic silently, and a rule naming a deleted ASG allows or denies no one.")
    remediation = ("Point the route at the appliance's current IP (or the internal load "
                   "balancer in front of it) or delete it; recreate the ASG and its members, "
                   "or fix or delete the rule.")
    references = ("https://learn.microsoft.com/azure/virtual-network/application-security-groups",
                  "https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        estate = ctx.estate
        for nsg in estate.nsgs:
            for rule in nsg.rules:
                missing = [a for a in (*rule.source_asg_ids, *rule.destination_asg_ids)
                           if estate.get(a, ApplicationSecurityGroup) is None]
                if missing:
                    names = ", ".join(a.rstrip("/").rsplit("/", 1)[-1] for a in missing)
                    void = any(side and all(a in missing for a in side)
                               for side in (rule.source_asg_ids, rule.destination_asg_ids))
                    effect = "the rule matches no one" if void else "that ASG matches no one"
                    yield self.finding(rule, f"{nsg.name} rule {rule.name} names ASG {names}, "
                                             f"which is not in the estate: {effect}",
                                       Evidence(facts=tuple(f"applicationSecurityGroup {a}: "
                                                            "not found" for a in missing)))
        for table in estate.of(RouteTable):
            for route in table.routes:
                fact = f"nextHopIpAddress {route.next_hop_ip}: no holder"
                if route.next_hop is NextHop.APPLIANCE and next_hop_owner(
                        estate, ctx.engine.topology, route.next_hop_ip) is None:
                    yield self.finding(route, f"{table.name} route {route.name} sends "
                                              f"{route.prefix or route.prefix_tag} to "
                                              f"{route.next_hop_ip}, which no NIC, firewall or "
                                              f"load balancer holds: blackholed",
                                       Evidence(facts=(fact,)))
