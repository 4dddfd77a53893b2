"""The workload connectivity map (``matrix --by workload``): for every pair of workloads of a
cluster, the packets their pods can exchange.

Computed from the per-workload packet sets, not pod by pod: ``OUT[a]`` (what a's pods may
send, egress policies) and ``IN[b]`` (what b's pods accept, ingress policies) are compiled
once each; the destinations ``OUT[a]`` can reach and the sources ``IN[b]`` admits are decoded
from the BDDs as address ranges, and only pairs that both allow are intersected:
``cell(a, b) = OUT[a] & IN[b] & underlay``. The underlay is the node subnet's NSGs and routes
between pod addresses (Azure CNI), found by one walk for the whole cluster; elsewhere the
pod network carries everything. Cells with no packets are left out (a cluster has n² pairs);
a workload's pods talking to each other are the diagonal.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Branch, Outcome
from netwarden.k8s.model import Workload
from netwarden.k8s.policy import CompiledCluster, intervals
from netwarden.model import ids

if TYPE_CHECKING:
    from netwarden.engine.reach import Engine
    from netwarden.intent.matrix import Matrix


def workload_matrix(engine: Engine) -> Matrix:
    from netwarden.intent.matrix import Cell, Matrix

    network = engine.k8s
    if network is None:
        raise ValueError("--by workload needs Kubernetes manifests among the inputs")
    clusters = network.all_compiled()
    names = Counter(w.qualified for cc in clusters for w in cc.workloads)

    def label(w: Workload) -> str:
        if names[w.qualified] == 1:
            return w.qualified
        return f"{ids.name_from_id(w.cluster)}/{w.namespace}/{w.kind.lower()}/{w.name}"

    groups = [label(w) for cc in clusters for w in cc.workloads]
    result = Matrix("workload", groups)
    for cc in clusters:
        labels = [label(w) for w in cc.workloads]
        src = [cc.addr("src", (i,)) for i in range(len(labels))]
        dst = [cc.addr("dst", (i,)) for i in range(len(labels))]
        for (a, b), (allowed, queried) in connectivity(engine, cc, with_queried=True).items():
            if queried is None:
                queried = src[a] & dst[b]
            result.cells[(labels[a], labels[b])] = Cell(labels[a], labels[b], allowed, queried)
    return result


def connectivity(engine: Engine, cc: CompiledCluster, with_queried: bool = False) -> dict[tuple[int, int], Any]:
    """Every pair of workloads (indices) whose pods can exchange packets, and those packets
    (with ``with_queried``: and the pair's whole packet set where it came for free, else None)."""
    n = len(cc.workloads)
    if not n:
        return {}
    underlay = _underlay(engine, cc)
    out = [cc.of_workload(i, "egress") for i in range(n)]
    into = [cc.of_workload(i, "ingress") for i in range(n)]
    pods_dst, pods_src = cc.pods("dst"), cc.pods("src")
    reached = [_hit(cc, out[a] & pods_dst, "dst") for a in range(n)]
    admitted = [_hit(cc, into[b] & pods_src, "src") for b in range(n)]
    cells: dict[tuple[int, int], Any] = {}
    src = [cc.addr("src", (i,)) for i in range(n)]
    dst = [cc.addr("dst", (i,)) for i in range(n)]
    for a in range(n):
        open_out = out[a] is src[a]                 # not isolated for egress
        for b in sorted(reached[a]):
            if a not in admitted[b]:
                continue
            base = out[a] & into[b]
            queried = base if open_out and into[b] is dst[b] else None   # both open: everything
            allowed = base & underlay if underlay is not None else base
            if allowed:
                cells[(a, b)] = (allowed, queried) if with_queried else allowed
    return cells


def _hit(cc: CompiledCluster, packets: PacketSet, field: str) -> set[int]:
    if not packets:
        return set()
    return {i for lo, hi in intervals(packets, field) for i in cc.workloads_at(lo, hi)}  # type: ignore[arg-type]


def _underlay(engine: Engine, cc: CompiledCluster) -> PacketSet | None:
    """What the Azure network lets through between the cluster's pods: with Azure CNI, pod
    addresses are the node subnet's, and its NSG (out, then in) and routes apply. None when
    nothing but the pod network lies between pods."""
    cluster = cc.cluster
    network = engine.k8s
    subnet = network.node_subnet(cluster) if network is not None else None
    if cluster.pod_addressing != "node-subnet" or subnet is None:
        return None
    out: list[Outcome] = []
    engine.walker.egress(Branch.start(cc.pods("src") & cc.pods("dst")), None, subnet, out)
    landed = {ids.key(s) for s in cluster.node_subnets}
    return engine.space.union(o.branch.packets for o in out if o.status == "arrived"
                              and any(ids.key(t) in landed for t in o.targets))


__all__ = ["connectivity", "workload_matrix"]
