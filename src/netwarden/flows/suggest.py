"""``netwarden flows suggest``: allow rules that no flow used, and tighter rules from the
sources, destinations and ports that flows actually used — with the evidence.

Which NSG rule a log line means: NSG flow logs name the NSG (``resourceId``) and the rule
(``UserRule_<name>`` / ``DefaultRule_<name>``). VNet flow logs name only the rule; the NSG
is found from the local address (destination of inbound, source of outbound tuples): its
NIC's NSG and its subnet's NSG, in Azure's evaluation order, the first that has a rule of
that name. A name no NSG of the estate has is reported as unattributed, never guessed.

Only NSGs that the logs cover (some tuple was attributed to them) get conclusions: an
allow rule is "unused" when the window holds tuples of its NSG but none of the rule.
Rules proposed here are drafts for a human: a window shows what happened, not all that
must keep working.

With an intent, what must keep working is known, and the engine decides it exactly. Where
an NSG applies — the addresses it protects: its subnets' prefixes and its NICs' addresses,
each in its subnet's context — an intended flow's packets (``flow_space``) are the
destinations of inbound rules and the sources of outbound rules; the packets a rule
*decides* in the compiled NSG (``walker.compiled(...).decisions``) that belong to an
intended flow there are the rule's *needs*. An unused allow rule with needs is kept, with
the flows and their lines as the reason; a tighter rule is extended until its own match
holds every need (the flows' sources, destinations, ports, protocols), or the rule is
kept as it is, and the evidence says which.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from netwarden.engine.intervals import merge as _merge
from netwarden.engine.intervals import subtract as _minus
from netwarden.flows import queries
from netwarden.flows.analyze import iso
from netwarden.flows.anomalies import rows
from netwarden.flows.records import rule_name
from netwarden.flows.segments import protocol_name
from netwarden.flows.store import Ingested, Store, Window
from netwarden.model import ids
from netwarden.model.security import NetworkSecurityGroup, SecurityRule
from netwarden.model.values import (
    ANY_ADDRESS,
    Access,
    Address,
    AnyAddress,
    Direction,
    PortRange,
    Prefix,
    Protocol,
    ServiceTag,
)

if TYPE_CHECKING:
    from netwarden.engine import Engine
    from netwarden.engine.packets import Field, PacketSet
    from netwarden.intent.model import Flow, Intent

MAX_PREFIXES = 16       # more distinct sources/destinations: aggregate to /24, then give up
MAX_PORT_RANGES = 16


@dataclass(frozen=True)
class Need:
    """Packets of an intended flow that a rule decides (allows) where its NSG applies."""

    flow: Flow
    subnet_id: str | None          # the context the NSG was compiled in
    packets: PacketSet


def flow_ref(flow: Flow) -> dict[str, Any]:
    return {"flow": str(flow), "line": flow.location.line if flow.location else None}


def _required_by(flow: Flow) -> str:
    ref = flow_ref(flow)
    return f"required by intent flow `{ref['flow']}`" + (f", line {ref['line']}" if ref["line"] else "")


def _by_flow(needs: list[Need]) -> list[tuple[Flow, PacketSet]]:
    """The needs per intended flow (over every subnet the NSG applies in), in intent order."""
    merged: dict[Flow, PacketSet] = {}
    for need in needs:
        merged[need.flow] = merged[need.flow] | need.packets if need.flow in merged else need.packets
    return list(merged.items())


@dataclass
class Proposal:
    rule: SecurityRule
    evidence: dict[str, Any]
    current: dict[str, Any]
    proposed: dict[str, Any]


@dataclass
class Kept:
    """An allow rule the suggestion would have removed or tightened, kept because the
    intent requires flows it admits."""

    rule: SecurityRule
    used: bool
    why: str                       # what the suggestion would have done without the intent
    needs: list[Need]
    current: dict[str, Any]
    notes: list[dict[str, Any]] = field(default_factory=list)   # why a tightening was given up

    @property
    def reason(self) -> str:
        return "; ".join(_required_by(flow) for flow, _ in _by_flow(self.needs))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.rule.name, "priority": self.rule.priority,
                "direction": self.rule.direction.value, "used": self.used, "why": self.why,
                "reason": self.reason,
                "required_by": [{**flow_ref(flow), "packets": str(packets),
                                 "example": str(packets.witness())}
                                for flow, packets in _by_flow(self.needs)],
                "intent": self.notes, "properties": self.current}


@dataclass
class NsgReport:
    nsg: NetworkSecurityGroup
    covered: bool
    tuples: int = 0
    hits: list[dict[str, Any]] = field(default_factory=list)
    unused: list[SecurityRule] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        """Whether the fragment and Terraform have rules to show."""
        return bool(self.proposals or self.kept)

    def fragment(self) -> dict[str, Any]:
        """An NSG JSON fragment (ARM shape) with the proposed rules and the rules kept for
        the intent (as they are)."""
        rules = [{"name": p.rule.name, "properties": p.proposed} for p in self.proposals]
        rules += [{"name": k.rule.name, "properties": k.current} for k in self.kept]
        return {"id": self.nsg.id, "name": self.nsg.name, "properties": {"securityRules": rules}}

    def terraform(self) -> str:
        group = ids.resource_group(self.nsg.id) or "RESOURCE_GROUP"
        blocks = [_terraform(self.nsg.name, group, p.rule, p.proposed, _proposal_notes(p))
                  for p in self.proposals]
        blocks += [_terraform(self.nsg.name, group, k.rule, k.current, _kept_notes(k))
                   for k in self.kept]
        return "\n".join(blocks)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.nsg.id, "name": self.nsg.name, "covered": self.covered, "tuples": self.tuples,
            "rules": self.hits,
            "unused_allow_rules": [{"name": r.name, "priority": r.priority,
                                    "direction": r.direction.value} for r in self.unused],
            "kept_allow_rules": [k.to_json() for k in self.kept],
            "proposals": [{"rule": p.rule.name, "priority": p.rule.priority,
                           "direction": p.rule.direction.value, "evidence": p.evidence,
                           "current": p.current, "proposed": p.proposed} for p in self.proposals],
            "nsg_fragment": self.fragment() if self.touched else None,
            "terraform": self.terraform() if self.touched else None,
        }


@dataclass
class Suggestions:
    window: dict[str, Any]
    nsgs: list[NsgReport]
    unattributed: list[dict[str, Any]]
    intent: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"window": self.window, "intent": self.intent,
                "nsgs": [n.to_json() for n in self.nsgs], "unattributed": self.unattributed}


def suggest(store: Store, ingested: Ingested, window: Window, engine: Engine,
            intent: Intent | None = None) -> Suggestions:
    """Per NSG the logs cover: unused allow rules and tighter rules. With ``intent``, no
    rule is proposed for removal, nor tightened, in a way that closes an intended flow."""
    con = store.open_flows(ingested, window)
    nsgs = {ids.key(n.id): n for n in engine.estate.nsgs}
    mapping, unattributed = _attribute(rows(con, queries.RULE_LOCALS), nsgs, engine)
    con.register("rule_map", pa.table({
        name: pa.array([m[i] for m in mapping], pa.string())
        for i, name in enumerate(("log_kind", "resource_id", "rule", "direction", "local_ip",
                                  "nsg_key", "rule_name"))}))
    hits = {(r["nsg_key"], r["rule_name"].lower()): r for r in rows(con, queries.RULE_HITS)}
    evidence: dict[tuple[str, str], dict[str, dict[Any, int]]] = {}
    for query, what in ((queries.RULE_SOURCES, "src_ip"), (queries.RULE_DESTINATIONS, "dst_ip"),
                        (queries.RULE_SERVICES, "service")):
        for r in rows(con, query):
            value = (protocol_name(r["protocol"]), r["dst_port"]) if what == "service" else r[what]
            evidence.setdefault((r["nsg_key"], r["rule_name"].lower()), {}).setdefault(what, {})[value] = r["tuples"]
    required = _Required(engine, intent) if intent is not None else None
    reports = []
    for key, nsg in sorted(nsgs.items(), key=lambda kv: kv[1].name.lower()):
        mine = [h for (k, _), h in hits.items() if k == key]
        report = NsgReport(nsg, covered=bool(mine), tuples=sum(h["tuples"] for h in mine))
        report.hits = sorted(({"rule": h["rule_name"], "tuples": h["tuples"], "allowed": h["allowed"],
                               "denied": h["denied"], "bytes": h["bytes"] or 0,
                               "first_seen": iso(h["first_ms"]), "last_seen": iso(h["last_ms"])}
                              for h in mine), key=lambda h: (-h["tuples"], h["rule"]))
        if report.covered:
            needs = required.of(nsg) if required is not None else {}
            for rule in sorted(nsg.rules, key=lambda r: (r.direction.value, r.priority)):
                if rule.access is not Access.ALLOW:
                    continue
                used = hits.get((key, rule.name.lower()))
                needed = needs.get((rule.name.lower(), rule.direction), [])
                if used is None or not used["allowed"]:
                    if needed:
                        report.kept.append(Kept(rule, False, "unused in the window", needed,
                                                _current(rule)))
                    else:
                        report.unused.append(rule)
                    continue
                outcome = _propose(rule, used, evidence.get((key, rule.name.lower()), {}),
                                   engine, needed)
                if isinstance(outcome, Proposal):
                    report.proposals.append(outcome)
                elif isinstance(outcome, Kept):
                    report.kept.append(outcome)
        reports.append(report)
    about = None if intent is None else {"file": intent.source, "flows": len(intent.flows)}
    return Suggestions({"since": iso(window.since), "until": iso(window.until)}, reports,
                       unattributed, about)


class _Required:
    """The intended flows' packets, and per NSG the rules that decide some of them."""

    def __init__(self, engine: Engine, intent: Intent) -> None:
        from netwarden.intent.resolve import resolve_segments
        from netwarden.intent.verify import flow_space

        self.engine = engine
        endpoints = resolve_segments(engine, intent)
        spaces = [(flow, flow_space(engine, flow, endpoints[flow.source], endpoints[flow.destination]))
                  for flow in intent.flows]
        self.spaces = [(flow, packets) for flow, packets in spaces if packets]

    def of(self, nsg: NetworkSecurityGroup) -> dict[tuple[str, Direction], list[Need]]:
        """(rule name in lower case, direction) -> the intended packets the rule decides
        where ``nsg`` applies: inbound, to the addresses it protects; outbound, from them."""
        engine = self.engine
        found: dict[tuple[str, Direction], list[Need]] = {}
        for subnet_id, ranges in _protected(engine, nsg).items():
            for direction, side in ((Direction.INBOUND, "dst"), (Direction.OUTBOUND, "src")):
                compiled = engine.walker.compiled(nsg.id, direction, subnet_id)
                if compiled is None:
                    continue
                here = engine.addresses.on(side, ranges)  # type: ignore[arg-type]
                for flow, packets in self.spaces:
                    part = packets & here
                    if not part:
                        continue
                    for decision in compiled.decisions:
                        if decision.allows and not decision.rule.is_default and \
                                (hit := decision.packets & part):
                            found.setdefault((decision.rule.name.lower(), direction), []).append(
                                Need(flow, subnet_id, hit))
        return found


def _protected(engine: Engine, nsg: NetworkSecurityGroup) -> dict[str | None, list[tuple[int, int]]]:
    """Subnet (the NSG's evaluation context) -> the IPv4 ranges the NSG protects there: the
    prefixes of the subnets it is attached to, the addresses of the NICs it is attached to."""
    key = ids.key(nsg.id)
    found: dict[str | None, list[tuple[int, int]]] = {}
    for subnet in engine.estate.subnets:
        if subnet.nsg_id and ids.key(subnet.nsg_id) == key:
            found.setdefault(subnet.id, []).extend(
                (p.first, p.last) for p in subnet.address_prefixes if p.version == 4)
    for holder in engine.topology.holders:
        nic = holder.nic
        if nic is not None and nic.nsg_id and ids.key(nic.nsg_id) == key and holder.address.version == 4:
            found.setdefault(holder.subnet_id, []).append((holder.address.first, holder.address.last))
    return {subnet: ranges for subnet, ranges in found.items() if ranges}


def _attribute(locals_: list[dict[str, Any]], nsgs: dict[str, NetworkSecurityGroup],
               engine: Engine) -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    """(log_kind, resource_id, rule, direction, local_ip, nsg_key, rule_name) per logged
    rule and local address; and what could not be attributed."""
    mapping: list[tuple[Any, ...]] = []
    missing: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in locals_:
        name = rule_name(row["rule"])
        direction = Direction.INBOUND if row["direction"] == "I" else Direction.OUTBOUND
        if row["log_kind"] == "nsg":
            candidates = [nsgs.get(ids.key(row["resource_id"]))] if row["resource_id"] else []
        else:
            candidates = _nsgs_of(row["local_ip"], direction, nsgs, engine)
        found = next(((n, r) for n in candidates if n is not None
                      for r in n.effective_rules(direction) if r.name.lower() == name.lower()), None)
        if found is None:
            key = (row["log_kind"], row["resource_id"], row["rule"])
            entry = missing.setdefault(key, {"log_kind": key[0], "resource_id": key[1] or None,
                                             "rule": key[2], "tuples": 0})
            entry["tuples"] += row["tuples"]
            continue
        nsg, rule = found
        mapping.append((row["log_kind"], row["resource_id"], row["rule"], row["direction"],
                        row["local_ip"], ids.key(nsg.id), rule.name))
    return mapping, sorted(missing.values(), key=lambda e: (-e["tuples"], e["rule"]))


def _nsgs_of(ip: str, direction: Direction, nsgs: dict[str, NetworkSecurityGroup],
             engine: Engine) -> list[NetworkSecurityGroup | None]:
    try:
        value = int(ipaddress.IPv4Address(ip))
    except ValueError:
        return []
    found: list[NetworkSecurityGroup | None] = []
    for holder in engine.topology.holders_at(value):
        if holder.nic is None:
            continue
        subnet = engine.topology.subnet(holder.subnet_id)
        levels = [subnet.nsg_id if subnet else None, holder.nic.nsg_id]
        if direction is Direction.OUTBOUND:
            levels.reverse()
        found += [nsgs.get(ids.key(n)) for n in levels if n]
    return found


def _collapse(addresses: list[str]) -> list[str] | None:
    """Addresses as few prefixes: /32s collapsed, then /24s; None when still too many."""
    nets: list[Any] = [ipaddress.ip_network(a) for a in addresses]
    for widen in (None, 24):
        if widen is not None:
            nets = [n.supernet(new_prefix=widen) if n.version == 4 and n.prefixlen > widen else n
                    for n in nets]
        merged = [str(n) for v in (4, 6) for n in
                  ipaddress.collapse_addresses(x for x in nets if x.version == v)]
        if len(merged) <= MAX_PREFIXES:
            return [m.rsplit("/", 1)[0] if m.endswith(("/32", "/128")) else m for m in merged]
    return None


def _port_ranges(ports: list[int]) -> list[str] | None:
    ranges: list[list[int]] = []
    for port in sorted(set(ports)):
        if ranges and port == ranges[-1][1] + 1:
            ranges[-1][1] = port
        else:
            ranges.append([port, port])
    if len(ranges) > MAX_PORT_RANGES:
        return None
    return [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges]


def _side(addresses: tuple[Any, ...]) -> list[str]:
    return ["*" if isinstance(a, AnyAddress) else str(a) for a in addresses]


def _properties(rule: SecurityRule, protocol: str, sources: list[str], destinations: list[str],
                ports: list[str]) -> dict[str, Any]:
    source_ports = [str(p) for p in rule.source_ports]
    props: dict[str, Any] = {"priority": rule.priority, "direction": rule.direction.value,
                             "access": rule.access.value, "protocol": protocol}
    if len(source_ports) == 1:
        props["sourcePortRange"] = source_ports[0]
    else:
        props["sourcePortRanges"] = source_ports
    for side, values, asgs in (("source", sources, rule.source_asg_ids),
                               ("destination", destinations, rule.destination_asg_ids)):
        if asgs:
            props[f"{side}ApplicationSecurityGroups"] = [{"id": a} for a in asgs]
        elif len(values) == 1:
            props[f"{side}AddressPrefix"] = values[0]
        else:
            props[f"{side}AddressPrefixes"] = values
    if len(ports) == 1:
        props["destinationPortRange"] = ports[0]
    else:
        props["destinationPortRanges"] = ports
    return props


_PROTOCOLS = {"tcp": "Tcp", "udp": "Udp", "icmp": "Icmp", "esp": "Esp", "ah": "Ah"}


def _protocol_text(rule: SecurityRule) -> str:
    return "*" if rule.protocol is Protocol.ANY else _PROTOCOLS.get(str(rule.protocol), "*")


def _current(rule: SecurityRule) -> dict[str, Any]:
    return _properties(rule, _protocol_text(rule), _side(rule.sources), _side(rule.destinations),
                       [str(p) for p in rule.destination_ports])


def _propose(rule: SecurityRule, hit: dict[str, Any], seen: dict[str, dict[Any, int]],
             engine: Engine | None = None, needs: list[Need] | None = None) -> Proposal | Kept | None:
    """A tighter rule from what the window saw; with ``needs``, extended to admit them
    (or None and the rule kept when only the rule as it is admits them)."""
    current_protocol = _protocol_text(rule)
    current_ports = [str(p) for p in rule.destination_ports]
    current = _current(rule)
    services = seen.get("service", {})
    protocols = {p for p, _ in services}
    protocol = current_protocol
    if current_protocol == "*" and len(protocols) == 1 and next(iter(protocols)) in _PROTOCOLS:
        protocol = _PROTOCOLS[next(iter(protocols))]
    was: dict[str, Any] = {"protocol": current_protocol, "ports": current_ports,
                           "sources": _side(rule.sources), "destinations": _side(rule.destinations)}
    dims: dict[str, Any] = {
        "protocol": protocol,
        "ports": _port_ranges([port for _, port in services]) or current_ports,
        "sources": _collapse(list(seen.get("src_ip", {}))) or was["sources"],
        "destinations": _collapse(list(seen.get("dst_ip", {}))) or was["destinations"]}
    if not _tighter(rule, dims, was, current):
        return None
    notes: list[dict[str, Any]] = []
    if needs and engine is not None:
        notes = _admit(engine, rule, needs, dims, was)
        if not _tighter(rule, dims, was, current):
            return Kept(rule, True, "a tighter rule from the window's traffic would close these "
                        "flows; only the rule as it is admits them", needs, current, notes)
    proposed = _properties(rule, dims["protocol"], dims["sources"], dims["destinations"], dims["ports"])
    evidence = {"tuples": hit["allowed"], "bytes": hit["bytes"] or 0,
                "first_seen": iso(hit["first_ms"]), "last_seen": iso(hit["last_ms"]),
                "sources": len(seen.get("src_ip", {})), "destinations": len(seen.get("dst_ip", {})),
                "services": [{"protocol": p, "port": port, "tuples": n}
                             for (p, port), n in sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))]}
    if notes:
        evidence["intent"] = notes
    return Proposal(rule, evidence, current, proposed)


def _tighter(rule: SecurityRule, dims: dict[str, Any], was: dict[str, Any],
             current: dict[str, Any]) -> bool:
    proposed = _properties(rule, dims["protocol"], dims["sources"], dims["destinations"], dims["ports"])
    return proposed != current and (_narrower(rule.sources, dims["sources"]) or
                                    _narrower(rule.destinations, dims["destinations"]) or
                                    dims["protocol"] != was["protocol"] or dims["ports"] != was["ports"])


def _narrower(current: tuple[Any, ...], proposed: list[str]) -> bool:
    """Whether ``proposed`` prefixes replace a wider or symbolic current side."""
    if any(isinstance(a, (AnyAddress, ServiceTag)) for a in current):
        return proposed != _side(current)
    return sorted(proposed) != sorted(_side(current))


# -- keeping intended flows open -------------------------------------------------------------

_SIDES: tuple[tuple[str, Field], ...] = (("sources", "src"), ("destinations", "dst"))


def _admit(engine: Engine, rule: SecurityRule, needs: list[Need], dims: dict[str, Any],
           was: dict[str, Any]) -> list[dict[str, Any]]:
    """Extend ``dims`` (in place) until the rule they describe admits every need: per
    intended flow, the sources, destinations, ports and protocols its packets use that the
    proposal lacks are added; a dimension that cannot hold them goes back to the rule's
    own value. Checked exactly at the end (the rule's match in each subnet context must
    contain the needs); should that fail, every dimension goes back. One note per flow."""
    space = engine.space
    notes = []
    for flow, packets in _by_flow(needs):
        added: dict[str, Any] = {}
        kept: dict[str, str] = {}
        if dims["protocol"] != was["protocol"]:
            number = Protocol.parse(dims["protocol"]).value
            if _projection(packets, "protocol") != [(number, number)]:
                dims["protocol"] = was["protocol"]
                kept["protocol"] = f"the flow uses protocols other than {protocol_name(number)}"
        if dims["ports"] != was["ports"]:
            if packets - space.ports_apply():
                dims["ports"] = was["ports"]
                kept["ports"] = "the flow uses protocols without ports, which only port * admits"
            else:
                wanted = _projection(packets & space.ports_apply(), "dst_port")
                have = [(r.lo, r.hi) for r in map(PortRange.parse, dims["ports"])]
                missing = None if wanted is None else _minus(wanted, have)
                text = None if missing is None else _port_text(_merge(have + missing))
                if text is None:
                    dims["ports"] = was["ports"]
                    kept["ports"] = f"the flow's ports need more than {MAX_PORT_RANGES} ranges"
                elif missing:
                    dims["ports"], added["ports"] = text, _port_text(missing, limit=None)
        for side, field_ in _SIDES:
            if dims[side] == was[side] or getattr(rule, f"{side[:-1]}_asg_ids"):
                continue                      # the rule's own side (or its ASGs): admits them
            wanted = _projection(packets, field_)
            have = [(a.first, a.last) for a in _addresses(dims[side])
                    if isinstance(a, Prefix) and a.version == 4]
            missing = None if wanted is None else _minus(wanted, have)
            if missing == []:
                continue
            extra = None if missing is None else _cidrs(missing)
            merged = None if extra is None else _collapse(dims[side] + extra)
            if extra is None or merged is None:
                dims[side] = was[side]
                kept[side] = f"the flow's {side} need more than {MAX_PREFIXES} prefixes"
            else:
                dims[side], added[side] = merged, extra
        notes.append({**flow_ref(flow), "added": added, "kept_as_in_rule": kept,
                      "note": _note(flow, added, kept)})
    if not _admits(engine, rule, dims, needs):
        dims.update(was)
        for note in notes:
            note["kept_as_in_rule"] = {k: "a narrower rule would not admit all of the flow"
                                       for k in ("protocol", "ports", "sources", "destinations")}
            note["note"] = _note_text(note)
    return notes


def _admits(engine: Engine, rule: SecurityRule, dims: dict[str, Any], needs: list[Need]) -> bool:
    from netwarden.engine.addresses import TagContext
    from netwarden.engine.nsg import rule_match

    candidate = replace(rule, protocol=Protocol.ANY if dims["protocol"] == "*" else Protocol.parse(dims["protocol"]),
                        sources=_addresses(dims["sources"]), destinations=_addresses(dims["destinations"]),
                        destination_ports=tuple(PortRange.parse(p) for p in dims["ports"]))
    matches: dict[str | None, PacketSet] = {}
    for need in needs:
        if need.subnet_id not in matches:
            matches[need.subnet_id] = rule_match(candidate, engine.addresses, TagContext(need.subnet_id))
        if not need.packets <= matches[need.subnet_id]:
            return False
    return True


def _note(flow: Flow, added: dict[str, Any], kept: dict[str, str]) -> str:
    return _note_text({**flow_ref(flow), "added": added, "kept_as_in_rule": kept})


def _note_text(note: dict[str, Any]) -> str:
    where = f"intent flow `{note['flow']}`" + (f", line {note['line']}" if note["line"] else "")
    parts = [f"{side} {', '.join(values)} added" for side, values in note["added"].items()]
    parts += [f"{side} kept as in the rule ({why})" for side, why in note["kept_as_in_rule"].items()]
    if not parts:
        return f"already admits {where}"
    return f"for {where}: " + "; ".join(parts)


def _addresses(values: list[str]) -> tuple[Address, ...]:
    found: list[Address] = []
    for value in values:
        if value == "*":
            found.append(ANY_ADDRESS)
            continue
        try:
            found.append(Prefix.parse(value))
        except ValueError:
            found.append(ServiceTag(value))
    return tuple(found)


def _projection(packets: PacketSet, field_: Field) -> list[tuple[int, int]] | None:
    """The values ``field_`` takes in ``packets`` (merged ranges); None when the cover was
    cut short. Ports: of the port-bearing protocols only."""
    from netwarden.engine.packets import FIELDS

    values = packets.forget(*(f for f in FIELDS if f != field_))
    if field_ in ("src_port", "dst_port"):
        values &= packets.space.ports_apply()
    boxes = values.boxes()
    if boxes.truncated:
        return None
    return _merge(r for box in boxes for r in getattr(box, field_))


def _cidrs(ranges: list[tuple[int, int]]) -> list[str] | None:
    """IPv4 ranges as CIDR text; None when more than MAX_PREFIXES blocks."""
    from netwarden.engine.boxes import format_cidr, range_to_cidrs

    blocks = [format_cidr(n, length) for lo, hi in ranges for n, length in range_to_cidrs(lo, hi)]
    return blocks if len(blocks) <= MAX_PREFIXES else None


def _port_text(ranges: list[tuple[int, int]], limit: int | None = MAX_PORT_RANGES) -> list[str] | None:
    merged = _merge(ranges)
    if limit is not None and len(merged) > limit:
        return None
    return [str(PortRange(lo, hi)) for lo, hi in merged]


# -- Terraform -------------------------------------------------------------------------------

def _proposal_notes(proposal: Proposal) -> list[str]:
    e = proposal.evidence
    notes = [(f"evidence: {e['tuples']} allowed tuples from {e['sources']} sources "
              f"to {e['destinations']} destinations, {e['first_seen']} .. {e['last_seen']}")]
    notes += [f"intent: {n['note']}" for n in e.get("intent", [])]
    return notes


def _kept_notes(kept: Kept) -> list[str]:
    return [f"kept as it is ({kept.why}): {kept.reason}",
            *(f"intent: {n['note']}" for n in kept.notes)]


def _terraform(nsg_name: str, group: str, rule: SecurityRule, props: dict[str, Any],
               notes: list[str]) -> str:
    label = re.sub(r"[^A-Za-z0-9_]", "_", f"{nsg_name}_{rule.name}").lower()
    if not re.match(r"[A-Za-z_]", label):
        label = f"_{label}"
    attributes: list[tuple[str, Any]] = [
        ("name", rule.name), ("priority", rule.priority), ("direction", props["direction"]),
        ("access", props["access"]), ("protocol", props["protocol"])]
    if "sourcePortRange" in props:
        attributes.append(("source_port_range", props["sourcePortRange"]))
    else:
        attributes.append(("source_port_ranges", props["sourcePortRanges"]))
    for side in ("source", "destination"):
        if f"{side}ApplicationSecurityGroups" in props:
            attributes.append((f"{side}_application_security_group_ids",
                               [a["id"] for a in props[f"{side}ApplicationSecurityGroups"]]))
        elif f"{side}AddressPrefix" in props:
            attributes.append((f"{side}_address_prefix", props[f"{side}AddressPrefix"]))
        else:
            attributes.append((f"{side}_address_prefixes", props[f"{side}AddressPrefixes"]))
    if "destinationPortRange" in props:
        attributes.append(("destination_port_range", props["destinationPortRange"]))
    else:
        attributes.append(("destination_port_ranges", props["destinationPortRanges"]))
    attributes += [("resource_group_name", group), ("network_security_group_name", nsg_name)]
    width = max(len(k) for k, _ in attributes)
    return "\n".join([f'resource "azurerm_network_security_rule" "{label}" {{',
                      *(f"  {k.ljust(width)} = {json.dumps(v)}" for k, v in attributes),
                      *(f"  # {n}" for n in notes), "}"]) + "\n"
