"""AKS clusters as the Azure network sees them."""

from __future__ import annotations

from dataclasses import dataclass

from netwarden.model.base import Resource
from netwarden.model.values import Prefix


@dataclass(frozen=True, slots=True, kw_only=True)
class AksCluster(Resource):
    network_plugin: str | None = None      # azure, kubenet, none
    network_policy: str | None = None      # azure, calico, cilium, or None (no engine)
    pod_cidrs: tuple[Prefix, ...] = ()
    service_cidrs: tuple[Prefix, ...] = ()
    node_subnet_ids: tuple[str, ...] = ()
    outbound_type: str | None = None
    private_cluster: bool = False
    api_authorized_ranges: tuple[Prefix, ...] = ()
