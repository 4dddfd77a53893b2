"""Newly allowed and newly denied packets between every pair of endpoint groups (subnets,
the internet, on-premises), recomputing only the pairs a change can touch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from netwarden.diff.nsg_only import (
    Groups,
    changed_nsgs,
    decided_differently,
    internal_rows,
    internet_rows,
)
from netwarden.diff.resources import ResourceDelta, compare
from netwarden.engine import Engine
from netwarden.engine.endpoints import Endpoint, of_resource, resolve
from netwarden.engine.fanout import Fanout, Row
from netwarden.engine.packets import PacketSet, PacketSpace
from netwarden.engine.path import Hop
from netwarden.engine.reach import as_sent
from netwarden.model import ids
from netwarden.model.compute import NetworkInterface
from netwarden.model.edge import ApplicationGateway
from netwarden.model.estate import Estate
from netwarden.model.network import RouteTable, Subnet
from netwarden.model.security import ApplicationSecurityGroup, NetworkSecurityGroup

# Changes to these reach every path that crosses them: recompute every pair.
_LOCAL = (NetworkSecurityGroup, Subnet, NetworkInterface, RouteTable, ApplicationSecurityGroup)


@dataclass
class Change:
    kind: str                         # newly-allowed, newly-denied
    source: str
    destination: str
    packets: PacketSet
    path: tuple[Hop, ...]             # where they now arrive (allowed) / where they used to (denied)
    cause: tuple[Hop, ...] = ()       # hops on the path at resources the change touched
    blocked_at: tuple[Hop, ...] = ()  # for newly denied: the path that now drops them


@dataclass
class DiffResult:
    resources: ResourceDelta
    changes: list[Change] = field(default_factory=list)
    pairs_total: int = 0
    pairs_recomputed: int = 0

    @property
    def new_internet_exposure(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "newly-allowed" and c.source == "internet"]


def _groups(engine: Engine) -> dict[str, Endpoint]:
    topo = engine.topology
    found = {"internet": resolve("internet", topo)}
    if topo.onprem_prefixes:
        found["onprem"] = resolve("onprem", topo)
    for subnet in engine.estate.subnets:
        found[ids.key(subnet.id)] = of_resource(subnet, topo)
    return found


def _affected(delta: ResourceDelta, before: Estate, after: Estate) -> set[str] | None:
    """Subnet keys whose traffic (as source or destination) a change can alter, or None when
    the change is global (a peering, firewall, gateway, VNet, public entry point, or
    anything at a subnet that forwards others' traffic ...)."""
    touched: set[str] = set()
    changed = [*delta.added, *delta.removed, *(a for _, a in delta.changed), *(b for b, _ in delta.changed)]
    for resource in changed:
        if not isinstance(resource, _LOCAL):
            return None
        key = ids.key(resource.id)
        for estate in (before, after):
            for subnet in estate.subnets:
                nics = estate.ip_configurations_in(subnet)
                if isinstance(resource, Subnet) and ids.key(subnet.id) == key:
                    touched.add(key)
                elif isinstance(resource, NetworkSecurityGroup) and (
                        ids.key(subnet.nsg_id or "") == key or any(
                            (nic := estate.nic_of(c)) and ids.key(nic.nsg_id or "") == key for c in nics)):
                    touched.add(ids.key(subnet.id))
                elif isinstance(resource, RouteTable) and ids.key(subnet.route_table_id or "") == key:
                    if estate.get(subnet.id) and subnet.name.lower() in (
                            "azurefirewallsubnet", "gatewaysubnet"):
                        return None                 # transit routing: global
                    touched.add(ids.key(subnet.id))
                elif isinstance(resource, NetworkInterface) and any(
                        ids.key(c.nic_id) == key for c in nics):
                    if resource.ip_forwarding:
                        return None                 # an appliance: transit
                    touched.add(ids.key(subnet.id))
                elif isinstance(resource, ApplicationSecurityGroup):
                    return None                     # rules anywhere may name it
    if touched & (_transit(before) | _transit(after)):
        return None     # its NSGs and routes also decide traffic between other subnets
    return touched


def _transit(estate: Estate) -> set[str]:
    """Subnets that pass traffic between others: those of NICs that forward (NVAs) and of
    application gateways (which proxy to their backends)."""
    found = {ids.key(c.subnet_id) for nic in estate.nics if nic.ip_forwarding
             for c in nic.ip_configurations if c.subnet_id}
    return found | {ids.key(g.subnet_id) for g in estate.of(ApplicationGateway) if g.subnet_id}


def diff(before: Estate, after: Estate, space: PacketSpace | None = None, *,
         incremental: bool = True) -> DiffResult:
    """Every endpoint pair's change, one walk per source group in each version; with
    ``incremental``, only what the resource delta can change is walked (the rest is
    unchanged by construction): for a change to NSGs alone, only the packets those NSGs
    decide differently (netwarden.diff.nsg_only); otherwise the pairs of the subnets it
    touches."""
    space = space or PacketSpace()
    old, new = Engine(before, space=space), Engine(after, space=space)
    delta = compare(before, after)
    result = DiffResult(delta)
    if incremental and old.k8s is None and new.k8s is None and (nsgs := changed_nsgs(delta)):
        _diff_nsgs(result, old, new, nsgs, delta)
        return result
    old_fan, new_fan = Fanout(old, _groups(old)), Fanout(new, _groups(new))
    names = list(dict.fromkeys([*old_fan.endpoints, *new_fan.endpoints]))
    affected = (_affected(delta, before, after) if delta else set()) if incremental else None
    result.pairs_total = _pair_count(old_fan.endpoints, new_fan.endpoints)
    for a in names:
        if affected is None or a in affected:
            wanted = names
        else:
            wanted = [b for b in names if b in affected]
        wanted = [b for b in wanted if _pairable(old_fan, new_fan, a, b)]
        if not wanted:
            continue
        was = old_fan.row(a, wanted) if a in old_fan.endpoints else Row()
        now = new_fan.row(a, wanted) if a in new_fan.endpoints else Row()
        label_a = _label(a, old_fan.endpoints, new_fan.endpoints)
        for b in wanted:
            result.pairs_recomputed += 1
            _compare(result, label_a, _label(b, old_fan.endpoints, new_fan.endpoints),
                     _cell(old_fan, was, a, b, space), _cell(new_fan, now, a, b, space),
                     was, now, b, delta)
    return result


def _diff_nsgs(result: DiffResult, old: Engine, new: Engine, nsgs: set[str],
               delta: ResourceDelta) -> None:
    """Only NSGs changed: walk the packets they decide differently (see nsg_only)."""
    changed = decided_differently(old, new, nsgs)
    was, now = Groups(old), Groups(new)
    names = list(dict.fromkeys([*was.subnets, *now.subnets]))
    result.pairs_total = _pair_count({k: _kind(k) for k in was.subnets},
                                     {k: _kind(k) for k in now.subnets})
    if not changed:
        return
    sources = set(was.meeting("src", changed))
    for a in names:
        if a == "internet":
            rows = internet_rows(was, now, nsgs)
        else:
            rows = internal_rows(was, now, a, changed) if a in sources else None
        if rows is None:
            continue
        wanted, before, after = rows
        for b in wanted:
            result.pairs_recomputed += 1
            cells = [g.addresses(a, "src") & g.addresses(b, "dst") & row.allowed(b, g.engine.space.none())
                     for g, row in ((was, before), (now, after))]
            _compare(result, was.label(a), was.label(b), cells[0], cells[1], before, after, b, delta)


def _kind(key: str) -> str:
    return key if key in ("internet", "onprem") else "holders"


def _pair_count(old: Mapping[str, Endpoint | str], new: Mapping[str, Endpoint | str]) -> int:
    """How many (a, b) pairs either version can ask about (both groups in that version,
    a != b, not the internet to itself), counted without enumerating them."""
    def internet(group: Mapping[str, Endpoint | str]) -> set[str]:
        return {k for k, e in group.items() if (e if isinstance(e, str) else e.kind) == "internet"}

    def pairs(keys: set[str], *excluded: set[str]) -> int:
        n = len(keys)
        return n * (n - 1) - sum(len(x) * (len(x) - 1) for x in excluded)

    common = old.keys() & new.keys()
    i_old, i_new = internet(old) & common, internet(new) & common
    both = pairs(set(common), i_old, i_new) + len(i_old & i_new) * (len(i_old & i_new) - 1)
    return pairs(set(old), internet(old)) + pairs(set(new), internet(new)) - both


def _pairable(old: Fanout, new: Fanout, a: str, b: str) -> bool:
    return any(a in f.endpoints and b in f.endpoints and f.pairable(a, b) for f in (old, new))


def _cell(fan: Fanout, row: Row, a: str, b: str, space: PacketSpace) -> PacketSet:
    if a not in fan.endpoints or b not in fan.endpoints:
        return space.none()
    return row.allowed(b, space.none()) & fan.queried(a, b)


def _label(key: str, *groups: dict[str, Endpoint]) -> str:
    for group in groups:
        if key in group:
            endpoint = group[key]
            return endpoint.resource.name if endpoint.resource is not None else endpoint.label
    return key


def _cause(hops: tuple[Hop, ...], delta: ResourceDelta) -> tuple[Hop, ...]:
    """The hops at resources the change touched (a route hop names its route, a child of
    the changed route table)."""
    keys, tables = delta.keys, delta.route_tables
    return tuple(h for h in hops if h.resource and (
        ids.key(h.resource) in keys or ids.key(ids.parent_id(h.resource) or "") in tables))


def _compare(result: DiffResult, a: str, b: str, before: PacketSet, after: PacketSet,
             was: Row, now: Row, key: str, delta: ResourceDelta) -> None:
    gained, lost = after - before, before - after
    if gained:
        for outcome, sent in now.arrivals.get(key, ()):
            part = sent & gained
            if part:
                hops = tuple(h.narrowed(part) for h in outcome.hops)
                result.changes.append(Change("newly-allowed", a, b, part, hops, _cause(hops, delta)))
    if lost:
        for outcome, sent in was.arrivals.get(key, ()):
            part = sent & lost
            if not part:
                continue
            blocker = next((o for o in now.outcomes if o.status != "arrived"
                            and as_sent(o.branch) & part), None)
            blocked = tuple(h.narrowed(part) for h in blocker.hops) if blocker else ()
            hops = tuple(h.narrowed(part) for h in outcome.hops)
            result.changes.append(Change("newly-denied", a, b, part, hops,
                                         _cause(blocked or hops, delta), blocked))
