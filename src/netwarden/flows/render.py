"""Terminal output of the flow commands (rendered from the same dicts as the JSON)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _table(title: str, columns: list[str], entries: list[dict[str, Any]], keys: list[str]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(*("" if entry.get(k) is None else str(entry.get(k)) for k in keys))
    return table


def render_analysis(data: dict[str, Any], console: Console) -> None:
    s = data["summary"]
    console.print(f"files {s['files']} ({s['files_malformed']} malformed, {s['files_reused']} from the store)  "
                  f"records {s['records_total']} ({s['records_malformed']} malformed)")
    console.print(f"tuples {s['tuples_total']}: parsed {s['tuples_parsed']}, malformed {s['tuples_malformed']}; "
                  f"in window {s['tuples_in_window']}: allowed {s['allowed']}, denied {s['denied']}, "
                  f"{s['flows']} flows, {s['bytes']} bytes  [{s['first_seen']} .. {s['last_seen']}]",
                  markup=False)
    if data["malformed"]["by_reason"]:
        console.print(_table("malformed", ["reason", "unit", "count", "first example"],
                             [{**m, "example": (f"{m['examples'][0]['file']} {m['examples'][0]['position']}: "
                                                f"{m['examples'][0]['detail']}") if m["examples"] else ""}
                              for m in data["malformed"]["by_reason"]],
                             ["reason", "unit", "count", "example"]))
    console.print(_table("top talkers", ["source", "tuples", "allowed", "denied", "bytes", "peers"],
                         data["top_talkers"], ["src_ip", "tuples", "allowed", "denied", "bytes", "peers"]))
    console.print(_table("top denied", ["source", "destination", "protocol", "port", "rule", "tuples"],
                         data["top_denied"], ["src_ip", "dst_ip", "protocol", "dst_port", "rule", "tuples"]))
    console.print(_table("internet by port", ["way", "protocol", "port", "tuples", "allowed", "denied",
                                              "bytes", "hosts"], data["internet_by_port"],
                         ["way", "protocol", "dst_port", "tuples", "allowed", "denied", "bytes",
                          "internet_hosts"]))
    if data["mapped"]:
        console.print(_table("by NIC", ["nic", "subnet", "tuples", "in", "out", "allowed", "denied"],
                             data["mapped"]["by_nic"],
                             ["nic", "subnet", "tuples", "inbound", "outbound", "allowed", "denied"]))
    a = data["anomalies"]
    if a["new_combinations"]:
        console.print(_table("new since the baseline", ["from", "to", "protocol", "port", "tuples",
                                                        "allowed", "first seen"], a["new_combinations"],
                             ["src_net", "dst_net", "protocol", "dst_port", "tuples", "allowed", "first_seen"]))
    if a["management_from_internet"]:
        console.print(_table("internet to management ports", ["source", "destination", "port", "tuples",
                                                              "allowed", "denied"],
                             a["management_from_internet"],
                             ["src_ip", "dst_ip", "dst_port", "tuples", "allowed", "denied"]))
    if a["volume_outliers"]:
        console.print(_table("volume outliers", ["source", "bytes", "z"], a["volume_outliers"],
                             ["src_ip", "bytes", "z"]))
    for key, title in (("violations", "allowed but not in the intent"),
                       ("blocked_required", "required by the intent but denied")):
        if data[key]:
            console.print(_table(title, ["from", "to", "protocol", "port", "tuples", "bytes"], data[key],
                                 ["from", "to", "protocol", "port", "tuples", "bytes"]))


def render_suggestions(data: dict[str, Any], console: Console) -> None:
    if data.get("intent"):
        console.print(f"intent {data['intent']['file']}: {data['intent']['flows']} flows; no rule "
                      "that admits one is proposed for removal or tightened to close it",
                      markup=False)
    for nsg in data["nsgs"]:
        if not nsg["covered"]:
            console.print(f"{nsg['name']}: no flow in the window (no conclusion)", markup=False)
            continue
        console.print(f"{nsg['name']}: {nsg['tuples']} tuples", markup=False)
        for rule in nsg["unused_allow_rules"]:
            console.print(f"  unused allow rule {rule['name']} ({rule['direction']}, priority "
                          f"{rule['priority']})", markup=False)
        for rule in nsg.get("kept_allow_rules", []):
            console.print(f"  kept allow rule {rule['name']} ({rule['direction']}, priority "
                          f"{rule['priority']}; {rule['why']}): {rule['reason']}", markup=False)
        for proposal in nsg["proposals"]:
            e = proposal["evidence"]
            console.print(f"  tighten {proposal['rule']}: {e['tuples']} allowed tuples from "
                          f"{e['sources']} sources", markup=False)
            for note in e.get("intent", []):
                console.print(f"    intent: {note['note']}", markup=False)
        if nsg["terraform"]:
            console.print(nsg["terraform"], markup=False, highlight=False)
    for entry in data["unattributed"]:
        console.print(f"unattributed rule {entry['rule']} ({entry['log_kind']}, {entry['tuples']} tuples)",
                      markup=False)
