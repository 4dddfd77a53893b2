from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext

# Subnets where Azure forbids or does not need an NSG (platform-managed).
EXEMPT = frozenset({"gatewaysubnet", "azurefirewallsubnet", "azurefirewallmanagementsubnet",
                    "routeserversubnet"})


class SubnetWithoutNsg(Check):
    """Finds subnets with no network security group (GatewaySubnet, AzureFirewallSubnet,
    AzureFirewallManagementSubnet and RouteServerSubnet excepted)."""

    id = "SEG001"
    name = "subnet-without-nsg"
    title = "Subnet without a network security group"
    severity = Severity.HIGH
    area = Area.SEG
    rationale = ("Segment tiers into subnets with NSGs that start from zero trust: a subnet "
                 "without an NSG accepts everything routed to it, so nothing limits lateral "
                 "movement into it.")
    remediation = ("Associate an NSG with the subnet that allows only the flows the tier needs "
                   "and denies the rest (an explicit DenyAll above the default rules).")
    references = ("https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview",)

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for subnet in ctx.estate.subnets:
            if subnet.nsg_id or subnet.name.lower() in EXEMPT:
                continue
            workloads = len(ctx.estate.ip_configurations_in(subnet))
            yield self.finding(subnet, f"subnet {subnet.name} has no NSG"
                                       + (f" ({workloads} IP configuration(s) in it)" if workloads else ""),
                               Evidence(facts=("networkSecurityGroup: not set",)))
