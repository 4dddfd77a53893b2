from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.checks.paas.access import SERVICE_ENDPOINTS, label, private_endpoints
from netwarden.model.network import Subnet
from netwarden.model.paas import PaasService


class PaasWithoutPrivateAccess(Check):
    """Finds PaaS services that VNet workloads can only reach over the public endpoint: no
    private endpoint, and no service endpoint (a subnet with the service's endpoint —
    Microsoft.Storage, Microsoft.KeyVault, Microsoft.Sql — named in its virtual-network rules;
    a rule naming a subnet outside the input counts, since it cannot be disproved). A
    configuration export does not show who uses a service, so every service with public
    access enabled is treated as used from the VNets when the estate has any VNet; services
    with public access disabled are unreachable without a private endpoint and are skipped."""

    id = "PAAS002"
    name = "paas-without-private-access"
    title = "PaaS service without a private endpoint or service endpoint"
    severity = Severity.MEDIUM
    area = Area.PAAS
    rationale = ("Reach PaaS services through Private Link or service endpoints: without either, "
                 "traffic from the VNets goes to the service's public endpoint, which must then "
                 "stay open to public addresses and cannot tell the VNet's workloads apart.")
    remediation = ("Create a private endpoint for the service in the consuming VNet (with its "
                   "private DNS zone), or enable the service endpoint on the consuming subnets "
                   "and add them as virtual-network rules; then restrict public access.")
    references = (
        "https://learn.microsoft.com/azure/well-architected/security/networking",
        "https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview",
    )

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        if not ctx.estate.vnets:
            return
        for service in ctx.estate.of(PaasService):
            if not service.public_access_enabled or private_endpoints(ctx.estate, service):
                continue
            wanted = SERVICE_ENDPOINTS.get(service.kind, ())
            enabled = [s for s in ctx.estate.subnets
                       if any(e.lower() in wanted for e in s.service_endpoints)]
            ruled = [ctx.estate.get(r, Subnet) for r in service.vnet_subnet_ids]
            if any(s is None or s in enabled for s in ruled):
                continue
            facts = ["private endpoints: none",
                     "virtualNetworkRules: " + (", ".join(
                         f"{s.name} (no service endpoint)" for s in ruled if s) or "none")]
            if enabled:
                facts.append("subnets with the service endpoint, not in its rules: "
                             + ", ".join(s.name for s in enabled))
            yield self.finding(service, f"{label(service)} has neither a private endpoint nor a "
                                        f"service endpoint in its rules: no private path from "
                                        f"the VNets", Evidence(facts=tuple(facts)))
