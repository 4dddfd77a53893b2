"""The bulk tuple parser: tuple strings in, Parquet rows out, at C speed.

Per batch (up to ``rows`` tuples, several files), per tuple format:

1. the tuple strings become one Arrow string array (zero-copy from one joined buffer);
2. one RE2 full-line match (``pyarrow.compute``) accepts the tuples whose every field has
   the documented shape, numeric ranges included (ports, protocol numbers, times);
3. DuckDB splits the accepted tuples, casts the fields and writes them to a Parquet part,
   each with its group's id; the groups' contexts (file, record, rule, MAC, NSG ...) go to a
   small Parquet part beside it (the ``flows`` view joins the two).

Everything the fast path does not accept goes to :func:`netwarden.flows.records.parse_tuple`,
the reference parser, which names the reason (or parses it: an IPv6 address, say). The
fast path is therefore only an accelerator: a tuple is parsed iff the reference parser
parses it, with the same values (``tests/flows/test_vectorised.py`` holds it to that).
"""

from __future__ import annotations

import array
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from netwarden.flows.accounting import Accounting
from netwarden.flows.records import (
    SECONDS_BELOW,
    Context,
    Malformed,
    Parsed,
    TupleFormat,
    parse_tuple,
)

# The flows table (a view: tuple parts joined with their groups on group_id). Every part
# and every query agrees on these names and types.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("file_id", "INTEGER"), ("record", "INTEGER"), ("log_kind", "VARCHAR"),
    ("version", "INTEGER"), ("resource_id", "VARCHAR"), ("flowlog_id", "VARCHAR"),
    ("acl_id", "VARCHAR"), ("rule", "VARCHAR"), ("mac", "VARCHAR"),
    ("ts_ms", "BIGINT"), ("src_ip", "VARCHAR"), ("dst_ip", "VARCHAR"),
    ("src_port", "INTEGER"), ("dst_port", "INTEGER"), ("protocol", "INTEGER"),
    ("direction", "VARCHAR"), ("decision", "VARCHAR"), ("state", "VARCHAR"),
    ("encryption", "VARCHAR"), ("packets_sent", "BIGINT"), ("bytes_sent", "BIGINT"),
    ("packets_recv", "BIGINT"), ("bytes_recv", "BIGINT"),
)
CONTEXT_COLUMNS = ("file_id", "record", "log_kind", "version", "resource_id", "flowlog_id",
                   "acl_id", "rule", "mac")
TUPLE_COLUMNS = tuple(name for name, _ in COLUMNS if name not in CONTEXT_COLUMNS)

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IP = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_PORT = r"(?:[0-9]{1,4}|0[0-9]{4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
_IANA = r"(?:[0-9]{1,2}|[01][0-9]{2}|2[0-4][0-9]|25[0-5])"
_COUNT = r"[0-9]{0,18}"
# Times: 10-digit seconds or 13-digit milliseconds from 2001-09 to 2096 (inside the reference
# parser's 2000..2099); any other time goes to the reference parser, which decides.
_TIME = r"[1-3](?:[0-9]{9}|[0-9]{12})"
_HEAD = rf"^{_TIME},{_IP},{_IP},{_PORT},{_PORT}"
_COUNTS = f"{_COUNT},{_COUNT},{_COUNT},{_COUNT}$"
SHAPES = {
    TupleFormat.NSG_V1: rf"{_HEAD},[TU],[IO],[AD]$",
    TupleFormat.NSG_V2: rf"{_HEAD},[TU],[IO],[AD],[BCE],{_COUNTS}",
    TupleFormat.VNET: rf"{_HEAD},{_IANA},[IO],[BCED],(?:X|NX(?:_[A-Z]+)*),{_COUNTS}",
}

_TS = "CAST(f[1] AS BIGINT)"
_TS_MS = f"CASE WHEN {_TS} < {SECONDS_BELOW} THEN {_TS} * 1000 ELSE {_TS} END"


def _counters(first: int) -> str:
    return ", ".join(f"CAST(NULLIF(f[{first + i}], '') AS BIGINT) AS {name}" for i, name in
                     enumerate(("packets_sent", "bytes_sent", "packets_recv", "bytes_recv")))


_NSG_PROTOCOL = "CASE f[6] WHEN 'T' THEN 6 ELSE 17 END"
_SELECTS = {
    TupleFormat.NSG_V1: f"{_NSG_PROTOCOL} AS protocol, f[7] AS direction, f[8] AS decision, "
                        "CAST(NULL AS VARCHAR) AS state, CAST(NULL AS VARCHAR) AS encryption, "
                        "CAST(NULL AS BIGINT) AS packets_sent, CAST(NULL AS BIGINT) AS bytes_sent, "
                        "CAST(NULL AS BIGINT) AS packets_recv, CAST(NULL AS BIGINT) AS bytes_recv",
    TupleFormat.NSG_V2: f"{_NSG_PROTOCOL} AS protocol, f[7] AS direction, f[8] AS decision, "
                        f"f[9] AS state, CAST(NULL AS VARCHAR) AS encryption, {_counters(10)}",
    TupleFormat.VNET: "CAST(f[6] AS INTEGER) AS protocol, f[7] AS direction, "
                      "CASE f[8] WHEN 'D' THEN 'D' ELSE 'A' END AS decision, f[8] AS state, "
                      f"f[9] AS encryption, {_counters(10)}",
}


# One-letter codes land as small integers: the Parquet writer spends more on one-letter
# strings than on all the integer columns together. The ``flows`` view decodes them.
CODES = {"direction": ("I", "O"), "decision": ("A", "D"), "state": ("B", "C", "E", "D")}


def encoded(name: str) -> str:
    whens = " ".join(f"WHEN '{letter}' THEN {i}" for i, letter in enumerate(CODES[name]))
    return f"CAST(CASE {name} {whens} END AS TINYINT) AS {name}_code"


def decoded(name: str, table: str) -> str:
    whens = " ".join(f"WHEN {i} THEN '{letter}'" for i, letter in enumerate(CODES[name]))
    return f"CASE {table}.{name}_code {whens} END AS {name}"


SCAN_ROWS = 122_880      # DuckDB's row group size
PARQUET = "FORMAT parquet"


def parse_sql(fmt: TupleFormat, table: str) -> str:
    """The rows of ``table`` (columns ``t`` the accepted tuple text, ``ctx``), parsed."""
    return (f"SELECT ctx, ts_ms, src_ip, dst_ip, src_port, dst_port, protocol, direction, "
            f"decision, state, encryption, packets_sent, bytes_sent, packets_recv, bytes_recv "
            f"FROM (SELECT ctx, {_TS_MS} AS ts_ms, f[2] AS src_ip, f[3] AS dst_ip, "
            f"CAST(f[4] AS INTEGER) AS src_port, CAST(f[5] AS INTEGER) AS dst_port, "
            f"{_SELECTS[fmt]} FROM (SELECT ctx, string_split(t, ',') AS f FROM {table}))")


def arrow(result: Any) -> pa.Table:
    """A DuckDB relation as an Arrow table (the method's name changed across versions)."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        method = getattr(result, name, None)
        if method is not None:
            return method()
    raise RuntimeError("this duckdb cannot produce Arrow tables")


def string_array(strings: list[str]) -> pa.Array:
    """An Arrow string array of Python strings; zero-copy from one joined buffer when ASCII."""
    data = "".join(strings)
    encoded = data.encode("utf-8")
    if len(encoded) != len(data):
        return pa.array(strings, pa.string())
    offsets = array.array("i", [0])
    offsets.extend(itertools.accumulate(map(len, strings)))
    if offsets[-1] >= 2**31:
        return pa.array(strings, pa.large_string())
    return pa.StringArray.from_buffers(len(strings), pa.py_buffer(offsets), pa.py_buffer(encoded))


def int_array(values: array.array[int]) -> pa.Array:
    return pa.Array.from_buffers(pa.int32(), len(values), [None, pa.py_buffer(values)])


@dataclass
class _Pending:
    """The tuples of one format waiting for the next flush."""

    strings: list[Any] = field(default_factory=list)
    ctx: array.array[int] = field(default_factory=lambda: array.array("i"))
    starts: dict[int, int] = field(default_factory=dict)   # ctx -> first row of its group


@dataclass
class Batch:
    """Contexts and tuples of several files, flushed together into one Parquet part."""

    contexts: list[tuple[Context, int]] = field(default_factory=list)  # (context, file_id)
    pending: dict[TupleFormat, _Pending] = field(default_factory=dict)
    rows: int = 0

    def add(self, context: Context, file_id: int, tuples: list[Any]) -> None:
        cid = len(self.contexts)
        self.contexts.append((context, file_id))
        slot = self.pending.setdefault(context.format, _Pending())
        slot.starts[cid] = len(slot.strings)
        slot.strings.extend(tuples)
        slot.ctx.extend(array.array("i", [cid]) * len(tuples))
        self.rows += len(tuples)


class Parser:
    """Flushes batches to Parquet parts, accounting every tuple to its file."""

    def __init__(self, con: duckdb.DuckDBPyConnection,
                 books_of: Callable[[int], Accounting]) -> None:
        self.con = con
        self.books_of = books_of

    def flush(self, batch: Batch, part: Path, groups_part: Path, first_group: int) -> dict[int, int]:
        """Write the batch's parsed tuples to ``part`` and their groups' contexts to
        ``groups_part`` (group ids from ``first_group``); returns tuples written per file_id."""
        contexts = batch.contexts
        selects: list[str] = []
        rescued: list[tuple[int, Parsed]] = []
        names = []
        try:
            for fmt, slot in batch.pending.items():
                name = f"nw_batch_{fmt.value}"
                self.con.register(name, self._accepted(fmt, slot, contexts, rescued))
                names.append(name)
                selects.append(parse_sql(fmt, name))
            self.con.register("nw_rescued", self._rescued_table(rescued))
            names.append("nw_rescued")
            selects.append("SELECT * FROM nw_rescued")
            union = " UNION ALL ".join(f"({s})" for s in selects)
            columns = ", ".join(encoded(n) if n in CODES else n for n in TUPLE_COLUMNS)
            self.con.execute(f"COPY (SELECT CAST(ctx AS BIGINT) + {int(first_group)} AS group_id, {columns} "
                             f"FROM ({union})) TO '{_sql_path(part)}' ({PARQUET})")
            table = self._context_table(contexts, first_group)
            self.con.register("nw_ctx", table)
            names.append("nw_ctx")
            self.con.execute(f"COPY nw_ctx TO '{_sql_path(groups_part)}' (FORMAT parquet)")
            counts = self.con.execute(
                f"SELECT g.file_id, COUNT(*) FROM read_parquet('{_sql_path(part)}') AS t "
                f"JOIN nw_ctx AS g ON t.group_id = g.group_id GROUP BY g.file_id").fetchall()
        finally:
            for name in names:
                self.con.unregister(name)
        return {int(k): int(v) for k, v in counts}

    # -- pieces ----------------------------------------------------------------------------------

    @staticmethod
    def _context_table(contexts: list[tuple[Context, int]], first_group: int) -> pa.Table:
        return pa.table({
            "group_id": pa.array(range(first_group, first_group + len(contexts)), pa.int64()),
            "file_id": pa.array([f for _, f in contexts], pa.int32()),
            "record": pa.array([c.record for c, _ in contexts], pa.int32()),
            "log_kind": pa.array([c.format.log_kind for c, _ in contexts], pa.string()),
            "version": pa.array([c.version for c, _ in contexts], pa.int32()),
            **{name: pa.array([getattr(c, name) for c, _ in contexts], pa.string())
               for name in ("resource_id", "flowlog_id", "acl_id", "rule", "mac")},
        })

    def _accepted(self, fmt: TupleFormat, slot: _Pending, contexts: list[tuple[Context, int]],
                  rescued: list[tuple[int, Parsed]]) -> pa.Table:
        """The tuples of the fast path's shape; the others go to the reference parser."""
        strings = slot.strings
        try:
            texts = string_array(strings)
        except TypeError:    # a non-string among them: keep its place with an empty text
            texts = string_array([s if isinstance(s, str) else "" for s in strings])
        ok = pc.match_substring_regex(texts, SHAPES[fmt])
        ctx = int_array(slot.ctx)
        if pc.all(ok).as_py() is not True:
            for row in pc.indices_nonzero(pc.invert(ok)).to_pylist():
                cid = slot.ctx[row]
                self._reference(fmt, cid, row - slot.starts[cid], strings[row], contexts, rescued)
            texts, ctx = texts.filter(ok), ctx.filter(ok)
        table = pa.table({"t": texts, "ctx": ctx})
        # record batches of SCAN_ROWS: DuckDB scans the batches of an Arrow table in parallel
        return pa.Table.from_batches(table.to_batches(max_chunksize=SCAN_ROWS), table.schema)

    def _reference(self, fmt: TupleFormat, cid: int, index: int, text: Any,
                   contexts: list[tuple[Context, int]], rescued: list[tuple[int, Parsed]]) -> None:
        context, file_id = contexts[cid]
        try:
            rescued.append((cid, parse_tuple(text, fmt)))
        except Malformed as exc:
            self.books_of(file_id).bad(exc.reason, context.file, f"{context.position}[{index}]",
                                       exc.detail, text if isinstance(text, str) else repr(text))

    @staticmethod
    def _rescued_table(rescued: list[tuple[int, Parsed]]) -> pa.Table:
        types = {"ctx": pa.int32(), "ts_ms": pa.int64(), "src_ip": pa.string(),
                 "dst_ip": pa.string(), "src_port": pa.int32(), "dst_port": pa.int32(),
                 "protocol": pa.int32(), "direction": pa.string(), "decision": pa.string(),
                 "state": pa.string(), "encryption": pa.string(), "packets_sent": pa.int64(),
                 "bytes_sent": pa.int64(), "packets_recv": pa.int64(), "bytes_recv": pa.int64()}
        columns: list[list[Any]] = [[cid for cid, _ in rescued]]
        columns += [list(values) for values in zip(*(row for _, row in rescued))] or \
            [[] for _ in range(len(types) - 1)]
        return pa.table({name: pa.array(col, kind) for (name, kind), col in zip(types.items(), columns)})


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
