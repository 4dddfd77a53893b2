"""The logs against the model: does the estate's NSG decide a logged packet with the rule
the log names?

NSG flow logs name the NSG and the rule that decided each tuple. For a sample of tuples per
(NSG, rule, direction) the engine evaluates the same packet against the NSG as exported
(``engine.walker.compiled``; the subnet of the local address gives the VirtualNetwork tag its
meaning) and names the first rule that matches. A disagreement means the export and the
running configuration differ (a rule added, changed or reordered since), or the log came
from elsewhere; it is reported with the packet, never resolved by guessing.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from netwarden.engine.packets import Packet
from netwarden.flows import queries
from netwarden.flows.anomalies import rows
from netwarden.flows.records import rule_name
from netwarden.flows.segments import protocol_name
from netwarden.model.security import NetworkSecurityGroup
from netwarden.model.values import Direction

if TYPE_CHECKING:
    import duckdb

    from netwarden.engine import Engine

PER_RULE = 20
EXAMPLES = 10


def check_rules(con: duckdb.DuckDBPyConnection, engine: Engine, per_rule: int = PER_RULE) -> dict[str, Any]:
    checked = agree = 0
    unknown_nsgs: set[str] = set()
    disagree: list[dict[str, Any]] = []
    for row in rows(con, queries.render(queries.RULE_SAMPLE, per_rule=per_rule)):
        nsg = engine.estate.get(row["resource_id"] or "", NetworkSecurityGroup)
        if nsg is None:
            unknown_nsgs.add(row["resource_id"] or "")
            continue
        try:
            packet = Packet(int(ipaddress.IPv4Address(row["src_ip"])), int(ipaddress.IPv4Address(row["dst_ip"])),
                            row["protocol"], row["src_port"], row["dst_port"])
        except ValueError:          # IPv6: the engine models IPv4
            continue
        direction = Direction.INBOUND if row["direction"] == "I" else Direction.OUTBOUND
        compiled = engine.walker.compiled(nsg.id, direction, row["subnet_id"])
        if compiled is None:
            continue
        decided = next((d.rule.name for d in compiled.decisions if packet in d.packets), None)
        checked += 1
        logged = rule_name(row["rule"] or "")
        if decided is not None and decided.lower() == logged.lower():
            agree += 1
        elif len(disagree) < EXAMPLES:
            disagree.append({"nsg": nsg.name, "logged_rule": row["rule"], "engine_rule": decided,
                             "src_ip": row["src_ip"], "dst_ip": row["dst_ip"],
                             "protocol": protocol_name(row["protocol"]),
                             "src_port": row["src_port"], "dst_port": row["dst_port"],
                             "direction": row["direction"]})
    return {"checked": checked, "agree": agree, "disagree": checked - agree,
            "examples": disagree, "nsgs_not_in_estate": sorted(unknown_nsgs)}
