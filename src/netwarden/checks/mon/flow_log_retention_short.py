from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.model import ids
from netwarden.model.monitoring import FlowLog

MINIMUM_DAYS = 90


class FlowLogRetentionShort(Check):
    """Finds enabled flow logs whose retention policy is disabled or keeps records fewer than
    90 days (retention enabled with 0 days keeps them forever and passes). Disabled flow logs
    record nothing, so their retention is not judged (MON001 reports the gap)."""

    id = "MON002"
    name = "flow-log-retention-short"
    title = "Flow log retention under 90 days"
    severity = Severity.LOW
    area = Area.MON
    rationale = ("Keep NSG/VNet flow logs with retention: intrusions are often found weeks after "
                 "they began, and without at least 90 days of flow records the traffic that "
                 "matters is gone before anyone looks for it.")
    remediation = ("Enable the flow log's retention policy with 90 days or more (0 keeps the "
                   "records forever), and make sure no storage lifecycle rule deletes them sooner.")
    references = ("https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview",
                  "https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview")

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for log in ctx.estate.of(FlowLog):
            if not log.enabled:
                continue
            target = ids.name_from_id(log.target_id) if log.target_id else "no target"
            if not log.retention_enabled:
                problem = "has its retention policy disabled"
            elif 0 < log.retention_days < MINIMUM_DAYS:
                problem = f"keeps records {log.retention_days} days (under {MINIMUM_DAYS})"
            else:
                continue
            yield self.finding(log, f"flow log {log.name} ({target}) {problem}", Evidence(facts=(
                f"retentionPolicy.enabled: {str(log.retention_enabled).lower()}",
                f"retentionPolicy.days: {log.retention_days}")))
