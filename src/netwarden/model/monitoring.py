"""Flow-log settings."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.model.base import Resource


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowLog(Resource):
    target_id: str | None                 # an NSG, or a VNet / subnet / NIC for VNet flow logs
    enabled: bool = False
    retention_enabled: bool = False
    retention_days: int = 0               # 0 with retention enabled means "keep forever"
    traffic_analytics: bool = False
    traffic_analytics_interval: int | None = None
    format_version: int | None = None
    storage_id: str | None = None
