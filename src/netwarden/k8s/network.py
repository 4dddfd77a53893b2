"""Pods in the engine's walk: what leaves a pod passes its egress policies, then the pod
network or the node subnet's NSG and routes (the pod's own address with Azure CNI, a node's
address with kubenet/Overlay SNAT); what arrives for a pod passes its ingress policies.

:class:`PodNetwork` is what :class:`netwarden.engine.reach.Engine` calls for endpoints of kind
``pods``: :meth:`send` starts a walk at pods, :meth:`receive` finishes arrivals at pods.
Every policy verdict is a hop with the policies that decide it, like an NSG's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from netwarden.engine.packets import Field, PacketSet
from netwarden.engine.path import Branch, Hop, Outcome
from netwarden.k8s.model import KubeCluster, Namespace, NetworkPolicy, Workload
from netwarden.k8s.policy import CompiledCluster, Direction, intervals
from netwarden.model import ids
from netwarden.model.network import Subnet

if TYPE_CHECKING:
    from netwarden.engine.reach import Engine


class PodNetwork:
    """The Kubernetes clusters of an estate, as the engine sees them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.space = engine.space
        estate = engine.estate
        self.clusters: dict[str, KubeCluster] = {ids.key(c.id): c for c in estate.of(KubeCluster)}
        self._members: dict[str, tuple[list[Namespace], list[Workload], list[NetworkPolicy]]] = {
            k: ([], [], []) for k in self.clusters}
        for ns in estate.of(Namespace):
            self._members[ids.key(ns.cluster)][0].append(ns)
        for workload in estate.of(Workload):
            self._members[ids.key(workload.cluster)][1].append(workload)
        for policy in estate.of(NetworkPolicy):
            self._members[ids.key(policy.cluster)][2].append(policy)
        self._compiled: dict[str, CompiledCluster] = {}

    # -- lookups -------------------------------------------------------------------------------

    def compiled(self, cluster_id: str) -> CompiledCluster:
        k = ids.key(cluster_id)
        found = self._compiled.get(k)
        if found is None:
            namespaces, workloads, policies = self._members[k]
            found = CompiledCluster(self.space, self.clusters[k], namespaces, workloads, policies)
            self._compiled[k] = found
        return found

    def all_compiled(self) -> list[CompiledCluster]:
        return [self.compiled(k) for k in self.clusters]

    def node_subnet(self, cluster: KubeCluster) -> Subnet | None:
        for subnet_id in cluster.node_subnets:
            subnet = self.engine.topology.subnet(subnet_id)
            if subnet is not None and subnet.address_prefixes:
                return subnet
        return None

    def workloads_at(self, address: int) -> list[Workload]:
        found = []
        for cc in self.all_compiled():
            found += [cc.workloads[i] for i in cc.workloads_at(address, address)]
        return found

    def _group(self, workloads: Iterable[Workload]) -> dict[str, list[int] | None]:
        groups: dict[str, list[int] | None] = defaultdict(list)
        for workload in workloads:
            cc = self.compiled(workload.cluster)
            i = cc.index.get(workload.id.lower())
            if i is not None:
                groups[ids.key(workload.cluster)].append(i)  # type: ignore[union-attr]
        return groups

    # -- the walk ----------------------------------------------------------------------------------

    def send(self, workloads: Iterable[Workload], packets: PacketSet) -> list[Outcome]:
        """Packets sent by the pods of ``workloads`` (their addresses as sources)."""
        out: list[Outcome] = []
        for cluster_key, indices in self._group(workloads).items():
            assert indices is not None
            cc = self.compiled(cluster_key)
            sent = packets & cc.addr("src", indices)
            if not sent:
                continue
            branch = self._policy(cc, Branch.start(sent), "egress", indices, out)
            if branch is not None:
                self._leave(cc, branch, out)
        return out

    def enter(self, packets: PacketSet) -> list[Outcome]:
        """Packets from outside a cluster that no Azure network fronts (a standalone cluster):
        they reach its pod network directly, and only the policies judge them."""
        out: list[Outcome] = []
        space = self.space
        for cluster in self.clusters.values():
            if self.node_subnet(cluster) is not None:
                continue
            ranges = [(p.first, p.last) for p in cluster.address_pool if p.version == 4]
            part = packets & space.wrap(space.raw_ranges("dst", ranges)) \
                - space.wrap(space.raw_ranges("src", ranges))
            if part:
                out.append(Outcome("arrived", Branch.start(part).then(Hop(
                    "k8s-network", cluster.id, cluster.name, "forward",
                    detail="from outside the cluster; no network is modelled in front of it")),
                    (cluster.id,)))
        return out

    def receive(self, outcomes: list[Outcome], workloads: Iterable[Workload] | None = None) -> list[Outcome]:
        """Arrivals at the pod network or the node subnet that are addressed to pods (of
        ``workloads``; default: any) continue through those pods' ingress policies. The
        packets are taken as they arrive, after any NAT on the way."""
        groups = self._group(workloads) if workloads is not None else \
            {k: None for k in self.clusters}
        result: list[Outcome] = []
        for outcome in outcomes:
            if outcome.status != "arrived":
                result.append(outcome)
                continue
            remaining = outcome.branch
            targets = {t.lower() for t in outcome.targets}
            for cluster_key, chosen in groups.items():
                cc = self.compiled(cluster_key)
                if not self._lands(cc.cluster, targets):
                    continue
                indices = chosen if chosen is not None else _hit(
                    cc, remaining.packets & cc.pods("dst"), "dst", list(range(len(cc.workloads))))
                if not indices:
                    continue
                here = cc.addr("dst", indices)
                if not remaining.packets & here:
                    continue
                self._arrive(cc, _unheld_stripped(remaining.restrict(here)), indices, result,
                             outcome.targets)
                remaining = remaining.restrict(self.space.all() - here)
            if remaining.packets:
                result.append(Outcome(outcome.status, remaining, outcome.targets, outcome.notes))
        return result

    def _lands(self, cluster: KubeCluster, targets: set[str]) -> bool:
        if ids.key(cluster.id) in targets:
            return True
        return cluster.pod_addressing == "node-subnet" and any(ids.key(s) in targets
                                                               for s in cluster.node_subnets)

    def _leave(self, cc: CompiledCluster, branch: Branch, out: list[Outcome]) -> None:
        """After the source's egress policies: the pod network, or the node subnet."""
        cluster = cc.cluster
        subnet = self.node_subnet(cluster)
        walker = self.engine.walker
        if cluster.pod_addressing == "node-subnet" and subnet is not None:
            # Azure CNI: pod addresses are the node subnet's; the subnet's NSG and route
            # table apply to what pods send, inside the cluster and out of it
            walker.egress(branch, None, subnet, out)
            return
        space = self.space
        pool = space.wrap(space.raw_ranges("dst", [(p.first, p.last) for p in cluster.address_pool
                                                   if p.version == 4]))
        pools = ", ".join(map(str, cluster.address_pool))
        inside = branch.packets & pool
        if inside:
            out.append(Outcome("arrived", branch.restrict(pool).then(Hop(
                "k8s-network", cluster.id, cluster.name, "forward",
                detail=f"pod network {pools}")), (cluster.id,)))
        if not branch.packets - pool:
            return
        b = branch.restrict(space.all() - pool)
        if subnet is None:
            out.append(Outcome("arrived", b.then(Hop(
                "k8s-network", cluster.id, cluster.name, "forward",
                detail="leaves the cluster; no Azure network is modelled for it")), ("internet",)))
            return
        prefix = subnet.address_prefixes[0]
        lo, hi = (prefix.first + 4, prefix.last - 1) if prefix.last - prefix.first >= 7 \
            else (prefix.first, prefix.last)
        b = b.translated(b.packets.with_src(lo, hi), ("src",), Hop(
            "k8s-snat", cluster.id, cluster.name, "translate",
            detail=f"leaves the pod network {pools} with a node's address in {subnet.name}"))
        walker.egress(b, None, subnet, out)

    def _arrive(self, cc: CompiledCluster, branch: Branch, indices: list[int], out: list[Outcome],
                landed: tuple[str, ...] = ()) -> None:
        """Through the destination pods' ingress policies; the arrival keeps the targets it
        landed at (the node subnet, the pod network), so a subnet endpoint still counts it."""
        passed = self._policy(cc, branch, "ingress", indices, out)
        if passed is None:
            return
        hit = _hit(cc, passed.packets, "dst", indices)
        if not hit:
            return
        first = cc.workloads[hit[0]]
        name = first.qualified + (f" (+{len(hit) - 1} workloads)" if len(hit) > 1 else "")
        out.append(Outcome("arrived", passed.then(Hop(
            "deliver", first.id, name, "arrive",
            detail=f"pods of {first.kind} {first.qualified}" if len(hit) == 1 else "pods")),
            (*(cc.workloads[i].id for i in hit), *landed)))

    def _policy(self, cc: CompiledCluster, branch: Branch, direction: Direction,
                indices: list[int], out: list[Outcome]) -> Branch | None:
        """The NetworkPolicies of ``indices`` (the sources for egress, the destinations for
        ingress): denied packets become a dropped outcome naming the isolating policies."""
        kind = f"k8s-{direction}"
        field: Field = "src" if direction == "egress" else "dst"
        involved = _hit(cc, branch.packets & cc.addr(field, indices), field, indices)
        if not involved:
            return branch
        first = cc.workloads[involved[0]]
        resource = first.id if len(involved) == 1 else cc.cluster.id
        name = first.qualified + (f" (+{len(involved) - 1} workloads)" if len(involved) > 1 else "")
        verdict = cc.verdict(direction, involved)
        denied = branch.packets - verdict
        if denied:
            blocked = _hit(cc, denied, field, involved)
            isolators = ", ".join(p.qualified for p in cc.isolators(direction, blocked))
            out.append(Outcome("dropped", branch.restrict(denied).then(Hop(
                kind, resource, name, "deny", "default deny",
                detail=f"isolated for {direction} by {isolators}; no rule of theirs admits "
                       "these packets"))))
        passed = branch.packets & verdict
        if not passed:
            return None
        decisions = cc.decisions(passed, direction, involved)
        labels = [label for label, _, _ in decisions]
        detail = ""
        if not cc.enforced:
            engine = cc.cluster.network_policy or "none"
            detail = f"NetworkPolicies are not enforced: the cluster has no policy engine ({engine})"
        policy_ids = [pid for _, pid, _ in decisions if pid]
        if len(decisions) == 1 and policy_ids:
            resource = policy_ids[0]
        return branch.restrict(verdict).then(Hop(
            kind, resource, name, "allow", ", ".join(labels), detail,
            decisions=tuple((label, part) for label, _, part in decisions)))


def _hit(cc: CompiledCluster, packets: PacketSet, field: Field, among: list[int]) -> list[int]:
    """The workloads of ``among`` with a pod address in ``field`` of ``packets``."""
    if not packets:
        return []
    wanted = set(among)
    found = {i for lo, hi in intervals(packets, field) for i in cc.workloads_at(lo, hi)}
    return [i for i in among if i in found and i in wanted]


def _unheld_stripped(branch: Branch) -> Branch:
    """Drop the walk's final "no NIC holds these addresses" delivery: pods hold them."""
    hops = branch.hops
    if hops and hops[-1].kind == "deliver" and hops[-1].detail.startswith("no NIC holds"):
        return replace(branch, hops=hops[:-1])
    return branch


__all__ = ["PodNetwork"]
