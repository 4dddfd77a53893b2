from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.paas.access import label, open_to_internet, private_endpoints
from netwarden.model.paas import PaasService


class PrivateEndpointPublicStillOpen(Check):
    """Finds PaaS services that have a private endpoint but whose public endpoint still admits
    every network (public network access enabled or not set, and default action Allow or
    IP/firewall rules covering every public address) — the private endpoint adds a private
    path and closes nothing. PAAS001 covers the same exposure on services without one."""

    id = "PAAS003"
    name = "private-endpoint-public-still-open"
    title = "PaaS service with a private endpoint still open to every network"
    severity = Severity.HIGH
    area = Area.PAAS
    rationale = ("Reach PaaS services through Private Link, and close their public access with "
                 "network rules: a private endpoint does not close the public endpoint, so the "
                 "service stays reachable from the whole internet while looking private.")
    remediation = ("Set publicNetworkAccess to Disabled now that the private endpoint carries "
                   "the traffic (SQL: also delete the allow-all firewall rule); where some public "
                   "access must stay, set the default action to Deny and allow only named ranges.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/private-link/private-endpoint-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for service in ctx.estate.of(PaasService):
            endpoints = private_endpoints(ctx.estate, service)
            facts = open_to_internet(ctx, service) if endpoints else ()
            if not facts:
                continue
            yield self.finding(service, f"{label(service)} has private endpoint "
                                        f"{', '.join(endpoints)} but its public endpoint is still "
                                        f"open to every network ({facts[1]})",
                               Evidence(facts=(*facts,
                                               f"private endpoints: {', '.join(endpoints)}")))
