"""Builders for flow logs and AKS clusters."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.ingest import fields
from netwarden.ingest.build.context import BuildContext, common, props
from netwarden.ingest.interface import RawResource
from netwarden.model.base import Resource
from netwarden.model.cluster import AksCluster
from netwarden.model.monitoring import FlowLog


def flow_log(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    analytics = p.path("flowAnalyticsConfiguration", "networkWatcherFlowAnalyticsConfiguration")
    yield FlowLog(
        **common(raw),
        target_id=p.get("targetResourceId").str(),
        enabled=p.get("enabled").bool(False),
        retention_enabled=p.path("retentionPolicy", "enabled").bool(False),
        retention_days=p.path("retentionPolicy", "days").int(0) or 0,
        traffic_analytics=analytics.get("enabled").bool(False),
        traffic_analytics_interval=analytics.get("trafficAnalyticsInterval").int(),
        format_version=p.path("format", "version").int(),
        storage_id=p.get("storageId").str(),
    )


def aks(raw: RawResource, ctx: BuildContext) -> Iterator[Resource]:
    p = props(raw)
    net = p.get("networkProfile")
    pods = fields.prefixes(net.get("podCidrs")) or (
        (fields.prefix(net.get("podCidr")),) if net.get("podCidr").value else ())
    services = fields.prefixes(net.get("serviceCidrs")) or (
        (fields.prefix(net.get("serviceCidr")),) if net.get("serviceCidr").value else ())
    api = p.get("apiServerAccessProfile")
    yield AksCluster(
        **common(raw),
        network_plugin=net.get("networkPlugin").str(),
        network_policy=net.get("networkPolicy").str() or None,
        pod_cidrs=tuple(dict.fromkeys(pods)),
        service_cidrs=tuple(dict.fromkeys(services)),
        node_subnet_ids=tuple(dict.fromkeys(
            s for pool in p.get("agentPoolProfiles").items() if (s := pool.get("vnetSubnetID").str()))),
        outbound_type=net.get("outboundType").str(),
        private_cluster=api.get("enablePrivateCluster").bool(False),
        api_authorized_ranges=fields.prefixes(api.get("authorizedIPRanges")),
    )


BUILDERS = {
    "microsoft.network/networkwatchers/flowlogs": flow_log,
    "microsoft.containerservice/managedclusters": aks,
}
CONSUMED_CHILDREN: set[str] = set()
