"""EDGE004: internet ingress through an Application Gateway that no WAF protects."""
from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.model import ids
from netwarden.model.edge import ApplicationGateway, WafPolicy


class IngressWithoutWaf(Check):
    """Finds Application Gateways with a public frontend and no WAF in Prevention mode: a
    non-WAF tier without a WAF policy, a WAF tier without WAF configuration, an inline WAF
    disabled or in Detection mode, or a linked WAF policy disabled or in Detection mode (then
    the policy is at fault and the finding names its gateways). Internal-only gateways are
    not internet ingress. Per-listener/per-path policies and Azure Front Door are not
    modelled yet."""

    id = "EDGE004"
    name = "ingress-without-waf"
    title = "Internet ingress without a WAF in Prevention mode"
    severity = Severity.HIGH
    area = Area.EDGE
    rationale = ("Protect ingress with a web application firewall (Application Gateway or "
                 "Front Door): without one, or with one that only detects, injection and other "
                 "OWASP Top 10 attacks reach the application unhindered.")
    remediation = ("Use the WAF_v2 tier with a WAF policy (OWASP/DRS managed rules), enabled and "
                   "in Prevention mode; tune false positives with exclusions, not Detection mode.")
    references = ("https://learn.microsoft.com/azure/web-application-firewall/ag/ag-overview",
                  "https://learn.microsoft.com/azure/well-architected/security/networking")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        public = [g for g in ctx.estate.of(ApplicationGateway) if any(f.public_ip_id for f in g.frontends)]
        for gw in public:
            if not gw.waf_policy_id and (problem := _inline(gw)):
                facts = (f"sku.tier: {gw.tier}", "firewallPolicy: not set",
                         f"WAF configuration: enabled={gw.waf_enabled}, mode={gw.waf_mode}")
                yield self.finding(gw, f"application gateway {gw.name} has {problem}",
                                   Evidence(facts=facts))
        for policy in ctx.estate.of(WafPolicy):
            gateways = [g.name for g in public if ids.key(g.waf_policy_id or "") == ids.key(policy.id)]
            if gateways and (not policy.enabled or policy.mode.lower() != "prevention"):
                state = "Enabled" if policy.enabled else "Disabled"
                mode = f"in {policy.mode} mode" if policy.enabled else "disabled"
                yield self.finding(policy, f"WAF policy {policy.name} is {mode} on application "
                                           f"gateway(s) {', '.join(gateways)}: it blocks no attack",
                                   Evidence(facts=(f"policySettings.state: {state}",
                                                   f"policySettings.mode: {policy.mode}")))


def _inline(gateway: ApplicationGateway) -> str | None:
    """What is wrong with a gateway's own WAF configuration, or None."""
    mode = gateway.waf_mode or "Detection"
    if not (gateway.tier or "").lower().startswith("waf"):
        return f"no WAF (tier {gateway.tier}, no WAF policy)"
    if gateway.waf_enabled is None or not gateway.waf_enabled:
        return "a WAF tier but no WAF configuration" if gateway.waf_enabled is None else "its WAF disabled"
    return None if mode.lower() == "prevention" else f"its WAF in {mode} mode"
