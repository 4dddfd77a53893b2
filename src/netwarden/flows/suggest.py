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
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from netwarden.flows import queries
from netwarden.flows.analyze import iso
from netwarden.flows.anomalies import rows
from netwarden.flows.records import rule_name
from netwarden.flows.segments import protocol_name
from netwarden.flows.store import Ingested, Store, Window
from netwarden.model import ids
from netwarden.model.security import NetworkSecurityGroup, SecurityRule
from netwarden.model.values import Access, AnyAddress, Direction, Protocol, ServiceTag

if TYPE_CHECKING:
    from netwarden.engine import Engine

MAX_PREFIXES = 16       # more distinct sources/destinations: aggregate to /24, then give up
MAX_PORT_RANGES = 16


@dataclass
class Proposal:
    rule: SecurityRule
    evidence: dict[str, Any]
    current: dict[str, Any]
    proposed: dict[str, Any]


@dataclass
class NsgReport:
    nsg: NetworkSecurityGroup
    covered: bool
    tuples: int = 0
    hits: list[dict[str, Any]] = field(default_factory=list)
    unused: list[SecurityRule] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)

    def fragment(self) -> dict[str, Any]:
        """An NSG JSON fragment (ARM shape) with the proposed rules."""
        return {"id": self.nsg.id, "name": self.nsg.name,
                "properties": {"securityRules": [{"name": p.rule.name, "properties": p.proposed}
                                                 for p in self.proposals]}}

    def terraform(self) -> str:
        group = ids.resource_group(self.nsg.id) or "RESOURCE_GROUP"
        return "\n".join(_terraform(self.nsg.name, group, p) for p in self.proposals)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.nsg.id, "name": self.nsg.name, "covered": self.covered, "tuples": self.tuples,
            "rules": self.hits,
            "unused_allow_rules": [{"name": r.name, "priority": r.priority,
                                    "direction": r.direction.value} for r in self.unused],
            "proposals": [{"rule": p.rule.name, "priority": p.rule.priority,
                           "direction": p.rule.direction.value, "evidence": p.evidence,
                           "current": p.current, "proposed": p.proposed} for p in self.proposals],
            "nsg_fragment": self.fragment() if self.proposals else None,
            "terraform": self.terraform() if self.proposals else None,
        }


@dataclass
class Suggestions:
    window: dict[str, Any]
    nsgs: list[NsgReport]
    unattributed: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"window": self.window, "nsgs": [n.to_json() for n in self.nsgs],
                "unattributed": self.unattributed}


def suggest(store: Store, ingested: Ingested, window: Window, engine: Engine) -> Suggestions:
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
    reports = []
    for key, nsg in sorted(nsgs.items(), key=lambda kv: kv[1].name.lower()):
        mine = [h for (k, _), h in hits.items() if k == key]
        report = NsgReport(nsg, covered=bool(mine), tuples=sum(h["tuples"] for h in mine))
        report.hits = sorted(({"rule": h["rule_name"], "tuples": h["tuples"], "allowed": h["allowed"],
                               "denied": h["denied"], "bytes": h["bytes"] or 0,
                               "first_seen": iso(h["first_ms"]), "last_seen": iso(h["last_ms"])}
                              for h in mine), key=lambda h: (-h["tuples"], h["rule"]))
        if report.covered:
            for rule in sorted(nsg.rules, key=lambda r: (r.direction.value, r.priority)):
                if rule.access is not Access.ALLOW:
                    continue
                used = hits.get((key, rule.name.lower()))
                if used is None or not used["allowed"]:
                    report.unused.append(rule)
                else:
                    proposal = _propose(rule, used, evidence.get((key, rule.name.lower()), {}))
                    if proposal is not None:
                        report.proposals.append(proposal)
        reports.append(report)
    return Suggestions({"since": iso(window.since), "until": iso(window.until)}, reports, unattributed)


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
    props: dict[str, Any] = {"priority": rule.priority, "direction": rule.direction.value,
                             "access": rule.access.value, "protocol": protocol,
                             "sourcePortRange": "*"}
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


def _propose(rule: SecurityRule, hit: dict[str, Any], seen: dict[str, dict[Any, int]]) -> Proposal | None:
    current_protocol = "*" if rule.protocol is Protocol.ANY else _PROTOCOLS.get(str(rule.protocol), "*")
    current_ports = [str(p) for p in rule.destination_ports]
    current = _properties(rule, current_protocol, _side(rule.sources), _side(rule.destinations),
                          current_ports)
    services = seen.get("service", {})
    protocols = {p for p, _ in services}
    protocol = current_protocol
    if current_protocol == "*" and len(protocols) == 1 and next(iter(protocols)) in _PROTOCOLS:
        protocol = _PROTOCOLS[next(iter(protocols))]
    ports = _port_ranges([port for _, port in services]) or current_ports
    sources = _collapse(list(seen.get("src_ip", {}))) or _side(rule.sources)
    destinations = _collapse(list(seen.get("dst_ip", {}))) or _side(rule.destinations)
    proposed = _properties(rule, protocol, sources, destinations, ports)
    if proposed == current or not (_narrower(rule.sources, sources) or
                                   _narrower(rule.destinations, destinations) or
                                   protocol != current_protocol or ports != current_ports):
        return None
    evidence = {"tuples": hit["allowed"], "bytes": hit["bytes"] or 0,
                "first_seen": iso(hit["first_ms"]), "last_seen": iso(hit["last_ms"]),
                "sources": len(seen.get("src_ip", {})), "destinations": len(seen.get("dst_ip", {})),
                "services": [{"protocol": p, "port": port, "tuples": n}
                             for (p, port), n in sorted(services.items(), key=lambda kv: (-kv[1], kv[0]))]}
    return Proposal(rule, evidence, current, proposed)


def _narrower(current: tuple[Any, ...], proposed: list[str]) -> bool:
    """Whether ``proposed`` prefixes replace a wider or symbolic current side."""
    if any(isinstance(a, (AnyAddress, ServiceTag)) for a in current):
        return proposed != _side(current)
    return sorted(proposed) != sorted(_side(current))


def _terraform(nsg_name: str, group: str, proposal: Proposal) -> str:
    props, rule = proposal.proposed, proposal.rule
    label = re.sub(r"[^A-Za-z0-9_]", "_", f"{nsg_name}_{rule.name}").lower()
    if not re.match(r"[A-Za-z_]", label):
        label = f"_{label}"
    attributes: list[tuple[str, Any]] = [
        ("name", rule.name), ("priority", rule.priority), ("direction", props["direction"]),
        ("access", props["access"]), ("protocol", props["protocol"]), ("source_port_range", "*")]
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
    e = proposal.evidence
    note = (f"  # evidence: {e['tuples']} allowed tuples from {e['sources']} sources "
            f"to {e['destinations']} destinations, {e['first_seen']} .. {e['last_seen']}")
    return "\n".join([f'resource "azurerm_network_security_rule" "{label}" {{',
                      *(f"  {k.ljust(width)} = {json.dumps(v)}" for k, v in attributes),
                      note, "}"]) + "\n"
