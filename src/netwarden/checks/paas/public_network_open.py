from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.paas.access import label, open_to_internet, private_endpoints
from netwarden.model.paas import PaasService


class PaasPublicNetworkOpen(Check):
    """Finds PaaS services (storage accounts, key vaults, SQL servers) without a private
    endpoint whose public endpoint admits every network: public network access enabled (or
    not set, which Azure treats as enabled) and no restriction — network ACL default action
    Allow (or no ACL), or IP/firewall rules that together cover every public address (SQL's
    0.0.0.0-255.255.255.255). Services with a private endpoint are left to PAAS003."""

    id = "PAAS001"
    name = "paas-public-network-open"
    title = "PaaS service open to every network"
    severity = Severity.HIGH
    area = Area.PAAS
    rationale = ("Reach PaaS services through Private Link or service endpoints, and close their "
                 "public access with network rules: a public endpoint open to all networks lets "
                 "anyone on the internet reach the data plane, one leaked key or token away from "
                 "the data.")
    remediation = ("Set publicNetworkAccess to Disabled and reach the service through a private "
                   "endpoint; where public access must stay, set the default action to Deny (SQL: "
                   "delete the allow-all firewall rule) and allow only the needed IP ranges and "
                   "VNet subnets.")
    references = ("https://learn.microsoft.com/azure/well-architected/security/networking",
                  "https://learn.microsoft.com/azure/storage/common/storage-network-security",
                  "https://learn.microsoft.com/azure/azure-sql/database/firewall-configure")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for service in ctx.estate.of(PaasService):
            facts = open_to_internet(ctx, service)
            if not facts or private_endpoints(ctx.estate, service):
                continue
            yield self.finding(service, f"{label(service)} is open to every network "
                                        f"({facts[1]})", Evidence(facts=facts))
