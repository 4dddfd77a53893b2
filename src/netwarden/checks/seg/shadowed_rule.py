from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.seg._common import attachments
from netwarden.engine.addresses import TagContext
from netwarden.engine.nsg import rule_match
from netwarden.model.values import Direction


class ShadowedRule(Check):
    """Finds NSG rules that can never decide a packet: in every subnet where the NSG
    applies, higher-priority rules already decide everything the rule matches (a rule
    that matches nothing at all, such as one naming an absent ASG, is SEG006's). The
    finding names the earlier rules that take its packets."""

    id = "SEG004"
    name = "shadowed-rule"
    title = "NSG rule shadowed by higher-priority rules"
    severity = Severity.LOW
    area = Area.SEG
    rationale = ("Confirm that the rule set does not unintentionally block required services: "
                 "a rule that never matches is a flow someone meant to allow (or deny) and "
                 "the network does not.")
    remediation = ("Give the rule a priority above the rules that shadow it, narrow those "
                   "rules, or delete the dead rule.")
    references = ("https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works",)

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        walker, addresses = ctx.engine.walker, ctx.engine.addresses
        for nsg in ctx.estate.nsgs:
            contexts = attachments(ctx.estate, nsg)
            for direction in Direction:
                compiled = [(s, c) for s in contexts
                            if (c := walker.compiled(nsg.id, direction, s)) is not None]
                deciding = {d.rule.id for _, c in compiled for d in c.decisions}
                for rule in (r for r in nsg.rules if r.direction is direction):
                    if rule.id in deciding:
                        continue                       # it decides somewhere
                    shadowers: dict[str, tuple[int, str]] = {}   # in evaluation order
                    witness = None
                    for subnet_id, c in compiled:
                        match = rule_match(rule, addresses, TagContext(subnet_id))
                        for d in c.decisions:
                            if d.rule.priority >= rule.priority or not (taken := d.packets & match):
                                continue
                            label = f"{d.rule.name} ({d.rule.priority}, {d.rule.access.value})"
                            shadowers.setdefault(d.rule.id, (d.rule.priority, label))
                            witness = witness or taken
                    if not shadowers:
                        continue                       # matches nothing anywhere: void
                    labels = [label for _, label in sorted(shadowers.values())]
                    names = ", ".join(labels[:3]) + (
                        f" and {len(labels) - 3} more" if len(labels) > 3 else "")
                    yield self.finding(rule, f"{nsg.name} rule {rule.name} (priority "
                                             f"{rule.priority}) never decides a packet: {names} "
                                             f"decide everything it matches",
                                       Evidence(witness, (), tuple(f"shadowed by {n}"
                                                                   for n in labels)))
