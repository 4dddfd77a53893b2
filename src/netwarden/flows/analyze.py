"""``netwarden flows analyze``: what the logs show, as one complete result object.

Totals (tuples, distinct flows, allowed, denied, bytes, malformed by reason), top talkers,
top denied flows, internet traffic per destination port, rule hits; with an estate the
flows mapped to NICs and subnets; anomalies; with an intent the traffic that crossed
segment boundaries against it (``violations``: allowed but not permitted;
``blocked_required``: denied but required).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from netwarden import __version__
from netwarden.flows import anomalies, queries
from netwarden.flows.accounting import Unit
from netwarden.flows.anomalies import named, rows
from netwarden.flows.crosscheck import check_rules
from netwarden.flows.mapping import AddressMap, address_table
from netwarden.flows.segments import FlowIntent, protocol_name
from netwarden.flows.store import Ingested, Store, Window

if TYPE_CHECKING:
    from netwarden.engine import Engine


def parse_time(text: str) -> int:
    """Epoch milliseconds of ``2024-01-02T03:04:05Z`` (any ISO 8601, UTC when no zone),
    ``2024-01-02``, or an epoch in seconds (10 digits) or milliseconds (13). ValueError."""
    raw = text.strip()
    if re.fullmatch(r"\d{1,13}", raw):
        value = int(raw)
        return value * 1000 if value < 10**11 else value
    try:
        moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time (ISO 8601 like 2024-01-02T03:00:00Z, "
                         f"or epoch seconds)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Options:
    top: int = 10
    baseline_until: int | None = None
    sigmas: float = 3.0


@dataclass
class Analysis:
    summary: dict[str, Any]
    window: dict[str, Any]
    malformed: dict[str, Any]
    top_talkers: list[dict[str, Any]]
    top_denied: list[dict[str, Any]]
    internet_by_port: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    anomalies: dict[str, Any]
    mapped: dict[str, Any] | None = None
    violations: list[dict[str, Any]] = field(default_factory=list)
    blocked_required: list[dict[str, Any]] = field(default_factory=list)
    intent: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.violations or self.blocked_required)

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": {"name": "netwarden", "version": __version__},
            "window": self.window, "summary": self.summary, "malformed": self.malformed,
            "top_talkers": self.top_talkers, "top_denied": self.top_denied,
            "internet_by_port": self.internet_by_port, "rules": self.rules,
            "mapped": self.mapped, "anomalies": self.anomalies, "intent": self.intent,
            "violations": self.violations, "blocked_required": self.blocked_required,
        }


def analyze(store: Store, ingested: Ingested, window: Window, options: Options,
            engine: Engine | None = None, intent: FlowIntent | None = None) -> Analysis:
    con = store.open_flows(ingested, window)
    con.execute(f"CREATE OR REPLACE TEMP TABLE flow_sums AS {queries.FLOW_SUMS}")
    ips = [ip for (ip,) in con.execute(queries.ADDRESSES).fetchall()]
    con.register("addr", address_table(ips, AddressMap(engine), intent))
    top = options.top
    totals = rows(con, queries.TOTALS)[0]
    flows, = con.execute(queries.DISTINCT_FLOWS).fetchall()[0]
    books = ingested.books
    summary = {
        "files": books.seen[Unit.FILE], "files_malformed": books.malformed_in(Unit.FILE),
        "files_reused": ingested.reused,
        "records_total": books.seen[Unit.RECORD], "records_malformed": books.malformed_in(Unit.RECORD),
        "groups_total": books.seen[Unit.GROUP], "groups_malformed": books.malformed_in(Unit.GROUP),
        "tuples_total": books.seen[Unit.TUPLE], "tuples_parsed": books.parsed[Unit.TUPLE],
        "tuples_malformed": books.malformed_in(Unit.TUPLE),
        "tuples_in_window": totals["tuples"], "flows": flows,
        "allowed": totals["allowed"] or 0, "denied": totals["denied"] or 0,
        "bytes": totals["bytes"] or 0, "packets": totals["packets"] or 0,
        "first_seen": iso(totals["first_ms"]), "last_seen": iso(totals["last_ms"]),
    }
    result = Analysis(
        summary=summary,
        window={"since": iso(window.since), "until": iso(window.until),
                "baseline_until": iso(options.baseline_until)},
        malformed=books.report(),
        top_talkers=rows(con, queries.render(queries.TOP_TALKERS, top=top)),
        top_denied=named(rows(con, queries.render(queries.TOP_DENIED, top=top))),
        internet_by_port=named(rows(con, queries.render(queries.INTERNET_BY_PORT, top=top))),
        rules=rows(con, queries.render(queries.BY_RULE, top=top)),
        anomalies={
            "new_combinations": None if options.baseline_until is None else
            anomalies.new_combinations(con, options.baseline_until, top),
            "management_from_internet": anomalies.management_from_internet(con, top),
            "volume_outliers": anomalies.volume_outliers(con, options.sigmas, top),
        },
        intent=intent is not None,
    )
    for entry in result.top_denied + result.anomalies["management_from_internet"]:
        entry["first_seen"], entry["last_seen"] = iso(entry.pop("first_ms")), iso(entry.pop("last_ms"))
    for entry in result.anomalies["new_combinations"] or []:
        entry["first_seen"] = iso(entry.pop("first_ms"))
    if engine is not None:
        unmapped = rows(con, queries.UNMAPPED_LOCAL)[0]
        result.mapped = {
            "by_nic": rows(con, queries.render(queries.BY_NIC, top=top)),
            "by_nic_rule": rows(con, queries.render(queries.BY_NIC_RULE, top=top)),
            "subnet_pairs": named(rows(con, queries.render(queries.SUBNET_PAIRS, top=top))),
            "unmapped_local": {"tuples": unmapped["tuples"], "addresses": unmapped["addresses"]},
            "rule_check": check_rules(con, engine),
        }
    if intent is not None:
        result.violations, result.blocked_required = _against_intent(con, intent)
        result.summary["tuples_unsegmented"] = con.execute(queries.UNSEGMENTED).fetchall()[0][0]
    return result


def _against_intent(con: Any, intent: FlowIntent) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    violations: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    blocked: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for row in rows(con, queries.SEGMENT_TRAFFIC):
        key = (row["src_segment"], row["dst_segment"], protocol_name(row["protocol"]), row["dst_port"])
        if row["decision"] == "A" and not intent.allowed(*key):
            target = violations
        elif row["decision"] == "D" and intent.required(*key):
            target = blocked
        else:
            continue
        entry = target.setdefault(key, {"from": key[0], "to": key[1], "protocol": key[2],
                                        "port": key[3], "tuples": 0, "bytes": 0})
        entry["tuples"] += row["tuples"]
        entry["bytes"] += row["bytes"] or 0

    def ordered(found: dict[tuple[str, str, str, int], dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(found.values(), key=lambda e: (-e["tuples"], e["from"], e["to"],
                                                     e["protocol"], e["port"]))

    return ordered(violations), ordered(blocked)
