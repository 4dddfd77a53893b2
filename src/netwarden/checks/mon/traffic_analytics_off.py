from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.base import Area, Check, Evidence, Finding, Severity
from netwarden.checks.context import ScanContext
from netwarden.model import ids
from netwarden.model.monitoring import FlowLog


class TrafficAnalyticsOff(Check):
    """Finds enabled flow logs that do not feed Traffic Analytics (no
    networkWatcherFlowAnalyticsConfiguration, or one that is disabled)."""

    id = "MON003"
    name = "traffic-analytics-off"
    title = "Flow log without Traffic Analytics"
    severity = Severity.LOW
    area = Area.MON
    rationale = ("Use Traffic Analytics on the flow logs: raw flow records in a storage account "
                 "are rarely read, while Traffic Analytics shows traffic between segments, "
                 "flows from malicious IPs and open ports, and surfaces anomalies.")
    remediation = ("Enable Traffic Analytics on the flow log with a Log Analytics workspace "
                   "(a 10-minute processing interval for timely detection).")
    references = ("https://learn.microsoft.com/azure/network-watcher/traffic-analytics",)

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        for log in ctx.estate.of(FlowLog):
            if not log.enabled or log.traffic_analytics:
                continue
            target = ids.name_from_id(log.target_id) if log.target_id else "no target"
            fact = "networkWatcherFlowAnalyticsConfiguration: not enabled"
            yield self.finding(log, f"flow log {log.name} ({target}) has Traffic Analytics off",
                               Evidence(facts=(fact,)))
