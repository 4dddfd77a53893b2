from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.seg._common import attachments, port_count, public_sources, source_count
from netwarden.engine.packets import TCP, UDP
from netwarden.model.security import SecurityRule
from netwarden.model.values import Direction, Prefix

WIDE_SOURCES = 1 << 24    # a /8 of public space
WIDE_PORTS = 1024


class OverlyPermissiveRule(Check):
    """Finds inbound Allow rules of NSGs that admit a wide part of the internet (at least a /8
    of public address space: `*`, `Internet`, `0.0.0.0/0` written out, or a VirtualNetwork tag
    that a 0.0.0.0/0 route widened) on more than 1,024 TCP or UDP ports. The measure is taken
    on the packets the rule actually decides in each subnet where the NSG applies, so a rule
    that higher-priority rules fully shadow does not count (SEG004 reports it)."""

    id = "SEG003"
    name = "overly-permissive-rule"
    title = "NSG rule admits the internet on a wide port range"
    severity = Severity.HIGH
    area = Area.SEG
    rationale = ("Start from zero trust and allow only the flows a tier needs: an inbound rule "
                 "open to the internet on every (or thousands of) ports exposes whatever "
                 "service listens there, now or later.")
    remediation = ("Narrow the rule to the source ranges and the few ports the workload serves "
                   "(or put the service behind Application Gateway / Azure Firewall), and keep "
                   "an explicit deny for the rest.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        engine = ctx.engine
        for nsg in ctx.estate.nsgs:
            flagged: set[str] = set()
            for subnet_id in attachments(ctx.estate, nsg):
                compiled = engine.walker.compiled(nsg.id, Direction.INBOUND, subnet_id)
                subnet = engine.topology.subnet(subnet_id)
                public = public_sources(ctx.space)     # to the subnet the NSG protects
                if subnet is not None:
                    public &= engine.addresses.prefixes("dst", subnet.address_prefixes)
                for decision in compiled.decisions if compiled else ():
                    rule = decision.rule
                    if not decision.allows or rule.is_default or rule.id in flagged \
                            or not _could_be_wide(rule):
                        continue
                    exposed = decision.packets & public
                    ports = max(port_count(exposed, TCP), port_count(exposed, UDP))
                    if ports <= WIDE_PORTS or (sources := source_count(exposed)) < WIDE_SOURCES:
                        continue
                    flagged.add(rule.id)
                    where = f" in {subnet_id.rsplit('/', 1)[-1]}" if subnet_id else ""
                    facts = (f"source: {', '.join(map(str, rule.sources or rule.source_asg_ids))}",
                             f"destination ports: {', '.join(map(str, rule.destination_ports))}",
                             f"decides {sources:,} public sources x {ports:,} ports{where}")
                    yield self.finding(rule, f"{nsg.name} rule {rule.name} (priority "
                                             f"{rule.priority}) admits {sources:,} public source "
                                             f"addresses on {ports:,} ports{where}",
                                       Evidence(exposed, (), facts))


def _could_be_wide(rule: SecurityRule) -> bool:
    """A sound shortcut before any set counting: a rule whose port ranges span at most
    WIDE_PORTS ports, or whose sources are plain prefixes spanning fewer than WIDE_SOURCES
    addresses (or ASGs, which are private), cannot decide that much."""
    if sum(r.hi - r.lo + 1 for r in rule.destination_ports) <= WIDE_PORTS:
        return False
    if rule.source_asg_ids:
        return False
    if all(isinstance(a, Prefix) for a in rule.sources):
        return sum(a.last - a.first + 1 for a in rule.sources) >= WIDE_SOURCES
    return True
