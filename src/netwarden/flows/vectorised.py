"""The bulk tuple parser: tuple strings in, Parquet parts out, at C speed.

Per batch (up to ``rows`` tuples, several files), per tuple format, one of two engines
turns the tuple strings into the typed columns of a tuple part (``columns.PART_SCHEMA``):

* **native** (the default where it was built): the C scanner of :mod:`netwarden.flows.native`,
  one pass over the strings;
* **duckdb** (where it was not): the tuple strings become one Arrow string array
  (zero-copy from one joined buffer), one RE2 full-line match (``pyarrow.compute``)
  accepts the tuples whose every field has the documented shape, numeric ranges included,
  and DuckDB splits and casts them.

Either way, everything the engine does not accept goes to
:func:`netwarden.flows.records.parse_tuple`, the reference parser, which names the reason (or
parses it: an IPv6 address, say). Both engines are therefore only accelerators: a tuple is
parsed iff the reference parser parses it, with the same values
(``tests/flows/test_vectorised.py`` holds both to that). The part is written with pyarrow's
Parquet writer, and the groups' contexts (file, record, rule, MAC, NSG ...) go to a small
group part beside it (the ``flows`` view joins the two).
"""

from __future__ import annotations

import array
import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from netwarden.flows import native
from netwarden.flows.accounting import Accounting
from netwarden.flows.columns import (
    CODES,
    GROUP_SCHEMA,
    PART_SCHEMA,
    TUPLE_COLUMNS,
    encoded,
    write_part,
)
from netwarden.flows.records import (
    SECONDS_BELOW,
    Context,
    LiftedSource,
    LiftedTuples,
    Malformed,
    Parsed,
    TupleFormat,
    Tuples,
    parse_tuple,
)

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


SCAN_ROWS = 122_880      # DuckDB's row group size
ENGINES = ("native", "duckdb")
DEFAULT_ENGINE = "native" if native.AVAILABLE else "duckdb"


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
    """The tuples of one format waiting for the next flush: strings, and tuples still in
    their files' text (:class:`~netwarden.flows.records.LiftedTuples`)."""

    strings: list[Any] = field(default_factory=list)
    ctx: array.array[int] = field(default_factory=lambda: array.array("i"))
    starts: dict[int, int] = field(default_factory=dict)   # ctx -> first row of its group
    sources: list[tuple[bytes, Any]] = field(default_factory=list)       # (text, spans)
    source_index: dict[LiftedSource, int] = field(default_factory=dict)  # (by identity)
    ranges: array.array[int] = field(default_factory=lambda: array.array("q"))
    lifted: list[LiftedTuples] = field(default_factory=list)   # one per range
    lifted_rows: array.array[int] = field(default_factory=lambda: array.array("q", [0]))

    def add_lifted(self, cid: int, tuples: LiftedTuples) -> None:
        source = tuples.source
        index = self.source_index.get(source)
        if index is None:
            index = self.source_index[source] = len(self.sources)
            self.sources.append((source.text, source.spans))
        self.ranges.extend((index, tuples.first, tuples.count, cid))
        self.lifted.append(tuples)
        self.lifted_rows.append(self.lifted_rows[-1] + tuples.count)

    def strings_of_lifted(self) -> None:
        """Lifted tuples as strings beside the others (for the duckdb engine)."""
        for k, tuples in enumerate(self.lifted):
            cid = self.ranges[4 * k + 3]
            self.starts[cid] = len(self.strings)
            self.strings.extend(tuples.text(i) for i in range(tuples.count))
            self.ctx.extend(array.array("i", [cid]) * tuples.count)
        self.sources, self.source_index, self.lifted = [], {}, []
        self.ranges, self.lifted_rows = array.array("q"), array.array("q", [0])


@dataclass
class Batch:
    """Contexts and tuples of several files, flushed together into one Parquet part."""

    contexts: list[tuple[Context, int]] = field(default_factory=list)  # (context, file_id)
    pending: dict[TupleFormat, _Pending] = field(default_factory=dict)
    rows: int = 0

    def add(self, context: Context, file_id: int, tuples: Tuples) -> None:
        cid = len(self.contexts)
        self.contexts.append((context, file_id))
        slot = self.pending.setdefault(context.format, _Pending())
        if isinstance(tuples, LiftedTuples):
            slot.add_lifted(cid, tuples)
        else:
            slot.starts[cid] = len(slot.strings)
            slot.strings.extend(tuples)
            slot.ctx.extend(array.array("i", [cid]) * len(tuples))
        self.rows += len(tuples)


class Parser:
    """Turns batches into tuple parts, accounting every tuple to its file."""

    def __init__(self, con: duckdb.DuckDBPyConnection,
                 books_of: Callable[[int], Accounting], engine: str = DEFAULT_ENGINE) -> None:
        if engine not in ENGINES or (engine == "native" and not native.AVAILABLE):
            raise ValueError(f"no tuple parser engine {engine!r} here")
        self.con = con
        self.books_of = books_of
        self.engine = engine
        # what records.read lifts the tuple arrays out of a file's text with (native only)
        self.lift = native.lift if engine == "native" else None

    def table(self, batch: Batch, first_group: int) -> pa.Table:
        """The batch's parsed tuples as the rows of a tuple part (group ids from
        ``first_group``, in the order of ``batch.contexts``); every tuple not parsed is
        accounted to its file with the reference parser's reason."""
        contexts = batch.contexts
        rescued: list[tuple[int, Parsed]] = []
        tables = []
        for fmt, slot in batch.pending.items():
            if self.engine == "native":
                if slot.ranges:
                    table, rejected = native.scan_lifted(fmt, slot.sources, slot.ranges, first_group,
                                                         len(contexts))
                    for row in rejected:
                        k = bisect.bisect_right(slot.lifted_rows, row) - 1
                        index = row - slot.lifted_rows[k]
                        self._reference(fmt, slot.ranges[4 * k + 3], index, slot.lifted[k].text(index),
                                        contexts, rescued)
                    tables.append(table)
                if not slot.strings:
                    continue
                table, rejected = native.scan(fmt, slot.strings, slot.ctx, first_group, len(contexts))
                for row in rejected:
                    cid = slot.ctx[row]
                    self._reference(fmt, cid, row - slot.starts[cid], slot.strings[row], contexts, rescued)
            else:
                slot.strings_of_lifted()
                table = self._duckdb(fmt, slot, contexts, rescued, first_group)
            tables.append(table)
        tables.append(self._rescued_table(rescued, first_group))
        return pa.concat_tables(tables)

    def flush(self, batch: Batch, part: Path, groups_part: Path, first_group: int) -> dict[int, int]:
        """Write the batch's parsed tuples to ``part`` and their groups' contexts to
        ``groups_part`` (group ids from ``first_group``); returns tuples written per file_id."""
        table = self.table(batch, first_group)
        write_part(table, part)
        write_part(self._context_table(batch.contexts, first_group), groups_part)
        counts: dict[int, int] = {}
        for entry in pc.value_counts(table["group_id"]).to_pylist():
            file_id = batch.contexts[entry["values"] - first_group][1]
            counts[file_id] = counts.get(file_id, 0) + entry["counts"]
        return counts

    # -- pieces ----------------------------------------------------------------------------------

    @staticmethod
    def _context_table(contexts: list[tuple[Context, int]], first_group: int) -> pa.Table:
        return pa.table({
            "group_id": range(first_group, first_group + len(contexts)),
            "file_id": [f for _, f in contexts],
            "record": [c.record for c, _ in contexts],
            "log_kind": [c.format.log_kind for c, _ in contexts],
            "version": [c.version for c, _ in contexts],
            **{name: [getattr(c, name) for c, _ in contexts]
               for name in ("resource_id", "flowlog_id", "acl_id", "rule", "mac")},
        }, schema=GROUP_SCHEMA)

    def _duckdb(self, fmt: TupleFormat, slot: _Pending, contexts: list[tuple[Context, int]],
                rescued: list[tuple[int, Parsed]], first_group: int) -> pa.Table:
        """The duckdb engine: RE2 shape check, then DuckDB's split and casts."""
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
        self.con.register("nw_batch", pa.Table.from_batches(
            table.to_batches(max_chunksize=SCAN_ROWS), table.schema))
        try:
            columns = ", ".join(encoded(n) if n in CODES else n for n in TUPLE_COLUMNS)
            parsed = arrow(self.con.sql(
                f"SELECT CAST(ctx AS BIGINT) + {int(first_group)} AS group_id, {columns} "
                f"FROM ({parse_sql(fmt, 'nw_batch')})"))
        finally:
            self.con.unregister("nw_batch")
        return parsed.cast(PART_SCHEMA)

    def _reference(self, fmt: TupleFormat, cid: int, index: int, text: Any,
                   contexts: list[tuple[Context, int]], rescued: list[tuple[int, Parsed]]) -> None:
        """Tuple ``index`` of group ``cid``, parsed by the reference parser or accounted to its
        file."""
        context, file_id = contexts[cid]
        try:
            rescued.append((cid, parse_tuple(text, fmt)))
        except Malformed as exc:
            self.books_of(file_id).bad(exc.reason, context.file, f"{context.position}[{index}]",
                                       exc.detail, text if isinstance(text, str) else repr(text))

    @staticmethod
    def _rescued_table(rescued: list[tuple[int, Parsed]], first_group: int) -> pa.Table:
        """The tuples the reference parser parsed, as rows of a tuple part."""
        names = ("group_id",) + TUPLE_COLUMNS
        columns = {name: [] for name in names}
        for cid, row in rescued:
            columns["group_id"].append(first_group + cid)
            for name, value in zip(TUPLE_COLUMNS, row):
                columns[name].append(value)
        for name, letters in CODES.items():
            columns[f"{name}_code"] = [None if v is None else letters.index(v) for v in columns.pop(name)]
        return pa.table({name: columns[name] for name in PART_SCHEMA.names}, schema=PART_SCHEMA)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
