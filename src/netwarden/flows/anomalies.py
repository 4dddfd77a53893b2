"""Anomalies in the flows of a window:

* new (source net, destination net, protocol, port) combinations after ``--baseline-until``
  that the baseline (the window before it) never showed;
* internet sources that contacted management ports (22, 3389, 5985, 5986), allowed or not;
* talkers whose bytes exceed the mean over all talkers by more than ``sigmas`` standard
  deviations (population). A talker is a source address. With n talkers no z-score can
  exceed sqrt(n - 1), so fewer than 11 talkers never show an outlier at 3 sigma.
"""

from __future__ import annotations

from typing import Any

import duckdb

from netwarden.flows import queries
from netwarden.flows.segments import protocol_name


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def named(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Protocol numbers as names (tcp, udp ...), the way every output shows them."""
    for entry in entries:
        if "protocol" in entry and isinstance(entry["protocol"], int):
            entry["protocol"] = protocol_name(entry["protocol"])
    return entries


def new_combinations(con: duckdb.DuckDBPyConnection, cut_ms: int, top: int) -> list[dict[str, Any]]:
    return named(rows(con, queries.render(queries.NEW_COMBOS, cut=cut_ms, top=top)))


def management_from_internet(con: duckdb.DuckDBPyConnection, top: int) -> list[dict[str, Any]]:
    return named(rows(con, queries.render(queries.MANAGEMENT_FROM_INTERNET, top=top)))


def volume_outliers(con: duckdb.DuckDBPyConnection, sigmas: float, top: int) -> list[dict[str, Any]]:
    found = rows(con, queries.render(queries.VOLUME_OUTLIERS, sigmas=sigmas, top=top))
    for entry in found:
        entry["z"] = round((entry["bytes"] - entry["mean"]) / entry["sd"], 3)
        entry["mean"] = round(entry["mean"], 3)
        entry["sd"] = round(entry["sd"], 3)
    return found
