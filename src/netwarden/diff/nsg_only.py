"""The diff of a change that touches only NSGs, walking only the packets it can change.

An NSG decides a packet the same way before and after unless the packet lies in
Δ = allowed(before) ⊕ allowed(after), taken per direction in every subnet where a changed
NSG applies (its own subnets and those of the NICs it is on: the tag context of each
evaluation). Everything else in the two estates is equal, so a packet outside Δ meets the
same decision at every hop and its walk is the same in both versions. Hence, for a source
whose packets keep their header until an NSG sees them (every source but the internet):

* a source whose addresses miss Δ's source projection needs no walk;
* the others walk only their packets in Δ, towards the groups inside the destination
  projection of that part of Δ, and only those cells are compared.

The internet is the one source whose packets are rewritten on the way in (a public IP
translates the destination; firewall DNAT and application gateways also the source), so Δ
cannot be pulled back to the packets it sent. It is walked through the public entry points
whose handling can meet a changed NSG — a NIC's public IP meets only the NSGs of that NIC
and its subnet; any other kind of entry counts as meeting every NSG — plus the NIC entries
whose arrivals (at their NIC's private address) could overlap those, so each compared cell
is the exact union of what arrives there.

Estates with Kubernetes clusters (whose pod network translates too) take the general path.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable

from netwarden.diff.resources import ResourceDelta
from netwarden.engine import Engine
from netwarden.engine.endpoints import Endpoint, of_resource, resolve
from netwarden.engine.fanout import Row
from netwarden.engine.intervals import merge
from netwarden.engine.packets import Field, PacketSet
from netwarden.engine.path import Outcome
from netwarden.engine.reach import as_sent
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.edge import Firewall
from netwarden.model.network import Subnet
from netwarden.model.security import NetworkSecurityGroup
from netwarden.model.values import Direction

_OTHERS: dict[str, tuple[Field, ...]] = {
    "src": ("dst", "protocol", "src_port", "dst_port"),
    "dst": ("src", "protocol", "src_port", "dst_port"),
}


def changed_nsgs(delta: ResourceDelta) -> set[str] | None:
    """The ID keys of the changed NSGs when the delta holds nothing else (else None)."""
    touched = [*delta.added, *delta.removed, *(after for _, after in delta.changed)]
    if not touched or not all(isinstance(r, NetworkSecurityGroup) for r in touched):
        return None
    return {ids.key(r.id) for r in touched}


def decided_differently(old: Engine, new: Engine, nsgs: Iterable[str]) -> PacketSet:
    """Δ: the packets some of ``nsgs`` allows in one version and not the other, in some
    direction and subnet where it applies. A missing NSG allows everything (as the walk
    treats a dangling reference)."""
    space = old.space
    found = space.none()
    for nsg in nsgs:
        # the subnets and NICs that refer to an NSG are the same in both versions
        for subnet_id in old.estate.nsg_subnets(nsg):
            for direction in Direction:
                before, after = _allowed(old, nsg, direction, subnet_id), _allowed(new, nsg, direction, subnet_id)
                if before != after:
                    found |= (before - after) | (after - before)
    return found


def _allowed(engine: Engine, nsg_id: str, direction: Direction, subnet_id: str) -> PacketSet:
    compiled = engine.walker.compiled(nsg_id, direction, subnet_id)
    return engine.space.all() if compiled is None else compiled.allowed


class Groups:
    """The endpoint groups of a diff (the internet, on-premises, every subnet), built only
    when asked for: their endpoints and address sets are computed for the few a change
    concerns, not for every subnet."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        topo = engine.topology
        self.subnets: dict[str, Subnet | None] = {"internet": None}
        if topo.onprem_prefixes:
            self.subnets["onprem"] = None
        for subnet in engine.estate.subnets:
            self.subnets[ids.key(subnet.id)] = subnet
        self._endpoints: dict[str, Endpoint] = {}
        self._addresses: dict[tuple[str, str], PacketSet] = {}
        self._held: list[int] | None = None

    def __contains__(self, key: str) -> bool:
        return key in self.subnets

    def endpoint(self, key: str) -> Endpoint:
        found = self._endpoints.get(key)
        if found is None:
            subnet = self.subnets[key]
            found = resolve(key, self.engine.topology) if subnet is None \
                else of_resource(subnet, self.engine.topology)
            self._endpoints[key] = found
        return found

    def addresses(self, key: str, field: Field) -> PacketSet:
        found = self._addresses.get((key, field))
        if found is None:
            found = self._addresses[key, field] = self.engine.addresses_of(self.endpoint(key), field)
        return found

    def label(self, key: str) -> str:
        endpoint = self.endpoint(key)
        return endpoint.resource.name if endpoint.resource is not None else endpoint.label

    def meeting(self, field: Field, packets: PacketSet) -> list[str]:
        """The groups whose addresses (as ``field``) meet ``packets``, in group order. Only
        the candidates — subnets whose prefixes or whose holders' addresses fall in the
        projection — have their address sets built."""
        projection = packets.forget(*_OTHERS[field])
        if not projection:
            return []
        candidates = self._candidates(field, projection)
        return [k for k in self.subnets if (candidates is None or k in candidates)
                and self.addresses(k, field) & projection]

    def _candidates(self, field: Field, projection: PacketSet) -> set[str] | None:
        boxes = projection.boxes()
        if boxes.truncated:
            return None
        ranges = merge(r for box in boxes for r in getattr(box, field))
        found = {k for k, s in self.subnets.items() if s is None}
        for key, subnet in self.subnets.items():
            if subnet is not None and any(_meets(ranges, p.first, p.last) for p in subnet.address_prefixes):
                found.add(key)
        estate = self.engine.estate
        if self._held is None:
            self._held = estate.held_addresses()
        held = self._held
        for lo, hi in ranges:
            for address in held[bisect_left(held, lo):bisect_right(held, hi)]:
                for holder in estate.holders_of_address(address):
                    found.update(ids.key(s) for s in _subnet_ids(holder))
        return found


def _meets(ranges: list[tuple[int, int]], lo: int, hi: int) -> bool:
    i = bisect_right(ranges, (hi, 1 << 32)) - 1
    return i >= 0 and ranges[i][1] >= lo


def _subnet_ids(holder: Resource) -> list[str]:
    if isinstance(holder, Firewall):
        return [c.subnet_id for c in holder.ip_configurations if c.subnet_id]
    subnet_id = getattr(holder, "subnet_id", None)
    return [subnet_id] if subnet_id else []


def credit(groups: Groups, source: str, outcomes: list[Outcome], wanted: list[str]) -> Row:
    """A row of ``outcomes`` (one walk from ``source``): each arrival credited to the wanted
    groups it reaches, by target and address (as ``Fanout.row`` does)."""
    row = Row()
    row.outcomes = outcomes
    by_target: dict[str, list[str]] = defaultdict(list)
    for b in wanted:
        for target in groups.endpoint(b).target_ids:
            by_target[target].append(b)
    src = groups.addresses(source, "src")
    for outcome in outcomes:
        if outcome.status != "arrived":
            continue
        sent = as_sent(outcome.branch) & src
        for b in dict.fromkeys(b for t in outcome.targets for b in by_target.get(t.lower(), ())):
            if part := sent & groups.addresses(b, "dst"):
                row.arrivals[b].append((outcome, part))
    return row


def internal_rows(old: Groups, new: Groups, source: str, delta: PacketSet
                  ) -> tuple[list[str], Row, Row] | None:
    """The rows of a source whose packets are not rewritten before an NSG (one of
    ``old.meeting("src", delta)``): its packets in Δ, towards the groups in their
    destination projection (None: nothing can change)."""
    part = old.addresses(source, "src") & delta
    if not part:
        return None
    wanted = [b for b in old.meeting("dst", part) if b != source]
    if not wanted:
        return None
    rows = []
    for groups in (old, new):
        reach = groups.engine.space.union(groups.addresses(b, "dst") for b in wanted)
        packets = groups.addresses(source, "src") & reach & delta
        rows.append(credit(groups, source, groups.engine.walk(groups.endpoint(source), packets), wanted))
    return wanted, rows[0], rows[1]


def internet_rows(old: Groups, new: Groups, nsgs: set[str]) -> tuple[list[str], Row, Row] | None:
    """The internet's rows through the entry points that can meet a changed NSG (and the
    NIC entries whose arrivals could overlap theirs), towards every group they reach.

    Each entry point is walked in the old version first; where none of its outcomes passed
    a changed NSG, its walk in the new version is the same (the walks differ only from an
    evaluation of a changed NSG on, and each evaluation leaves a hop naming it on what
    arrives or is dropped), so the old outcomes stand for both."""
    entries = [e for e in old.engine.topology.entries if e.pip.address is not None]
    picked = {_range(e) for e in entries if _meets_nsgs(old.engine, e, nsgs)}
    if not picked:
        return None
    walks: tuple[dict[tuple[int, int], list[Outcome]], dict[tuple[int, int], list[Outcome]]] = ({}, {})
    _walk_entries(old, new, picked, nsgs, walks)
    landing = _arrived(old, walks).forget(*_OTHERS["dst"])
    more = {_range(e) for e in entries if e.kind == "nic" and _private_meets(old.engine, e, landing)}
    _walk_entries(old, new, more - picked, nsgs, walks)
    if not any(_touches(o, nsgs) for walk in walks[0].values() for o in walk):
        return None             # no changed NSG on the internet's way: nothing changes
    rows = []
    for groups, walk in zip((old, new), walks):
        order = dict.fromkeys(_range(e) for e in groups.engine.topology.entries if e.pip.address)
        rows.append([o for address in order for o in walk.get(address, ())])
    wanted = [b for b in old.meeting("dst", _arrived(old, walks)) if b != "internet"]
    if not wanted:
        return None
    return wanted, credit(old, "internet", rows[0], wanted), credit(new, "internet", rows[1], wanted)


def _walk_entries(old: Groups, new: Groups, addresses: set[tuple[int, int]], nsgs: set[str],
                  walks: tuple[dict[tuple[int, int], list[Outcome]], ...]) -> None:
    """Walk internet packets sent to each public IP in ``addresses`` in both versions (the
    new walk only where the old one passed a changed NSG)."""
    for address in sorted(addresses):
        walks[0][address] = found = _from_internet(old, address)
        touched = any(_touches(o, nsgs) for o in found)
        walks[1][address] = _from_internet(new, address) if touched else found


def _from_internet(groups: Groups, address: tuple[int, int]) -> list[Outcome]:
    engine = groups.engine
    sent = groups.addresses("internet", "src") & engine.addresses.on("dst", [address])
    return engine.walker.from_internet(sent)


def _touches(outcome: Outcome, nsgs: set[str]) -> bool:
    return any(h.resource is not None and ids.key(h.resource) in nsgs for h in outcome.hops)


def _arrived(old: Groups, walks: tuple[dict[tuple[int, int], list[Outcome]], ...]) -> PacketSet:
    """What arrives (as sent) in either version's walks."""
    return old.engine.space.union(as_sent(o.branch) for walk in walks for found in walk.values()
                                  for o in found if o.status == "arrived")


def _range(entry) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    return entry.pip.address.first, entry.pip.address.last


def _meets_nsgs(engine: Engine, entry, nsgs: set[str]) -> bool:  # type: ignore[no-untyped-def]
    """Whether the walk through a public entry point can meet one of ``nsgs``: a NIC's
    public IP leads only to the NSGs of that NIC and its subnet (walk._enter_nic); every
    other entry may forward anywhere."""
    if entry.kind != "nic":
        return True
    topo = engine.topology
    config = topo.config(entry.owner_id)
    if config is None:
        return False
    nic = engine.estate.nic_of(config)
    subnet = topo.subnet(config.subnet_id)
    return any(ids.key(n or "") in nsgs for n in (nic.nsg_id if nic else None,
                                                   subnet.nsg_id if subnet else None))


def _private_meets(engine: Engine, entry, landing: PacketSet) -> bool:  # type: ignore[no-untyped-def]
    config = engine.topology.config(entry.owner_id)
    if config is None or config.private_ip is None:
        return False
    return bool(engine.addresses.on("dst", [(config.private_ip.first, config.private_ip.last)]) & landing)
