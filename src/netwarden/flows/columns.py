"""The columns of the flows table, and how a Parquet part stores them.

The ``flows`` view (see :mod:`netwarden.flows.store`) joins two kinds of part: tuple parts
(``group_id`` and the tuple columns) and group parts (``group_id`` and the context
columns). Every part writer and every query agrees on the names and types here.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

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

# One-letter codes land as small integers: a Parquet writer spends more on one-letter
# strings than on all the integer columns together. The ``flows`` view decodes them.
CODES = {"direction": ("I", "O"), "decision": ("A", "D"), "state": ("B", "C", "E", "D")}


def encoded(name: str) -> str:
    """SQL: the letter column ``name`` as its code column ``name_code``."""
    whens = " ".join(f"WHEN '{letter}' THEN {i}" for i, letter in enumerate(CODES[name]))
    return f"CAST(CASE {name} {whens} END AS TINYINT) AS {name}_code"


def decoded(name: str, table: str) -> str:
    """SQL: the code column ``table.name_code`` as its letter column ``name``."""
    whens = " ".join(f"WHEN {i} THEN '{letter}'" for i, letter in enumerate(CODES[name]))
    return f"CASE {table}.{name}_code {whens} END AS {name}"


# Addresses and encryption codes are dictionary-encoded: a batch holds few distinct values
# (thousands of addresses in millions of tuples), and a writer given the dictionary writes
# it as is instead of hashing every string again. Readers see plain strings.
_TEXT = pa.dictionary(pa.int32(), pa.string())
_ARROW = {"BIGINT": pa.int64(), "INTEGER": pa.int32(), "VARCHAR": pa.string()}
PART_SCHEMA = pa.schema(
    [("group_id", pa.int64())]
    + [(f"{name}_code", pa.int8()) if name in CODES
       else (name, _TEXT if name in ("src_ip", "dst_ip", "encryption") else _ARROW[kind])
       for name, kind in COLUMNS if name not in CONTEXT_COLUMNS])
GROUP_SCHEMA = pa.schema([("group_id", pa.int64())]
                         + [(name, _ARROW[kind]) for name, kind in COLUMNS if name in CONTEXT_COLUMNS])


# Statistics only where a reader can skip row groups or parts with them: times (windows)
# and group ids (the join of tuples to their groups). Elsewhere they are work for nothing:
# the minimum and maximum of every string cost as much as the rest of a part together.
STATISTICS = ("ts_ms", "group_id", "file_id")
# Columns of nearly unique values are written plain: a dictionary for them is built only to
# be given up (measured per column: source ports and byte counts write 20-40 % faster plain;
# every other column is smaller and as fast or faster with one).
PLAIN = ("src_port", "bytes_sent", "bytes_recv")


def write_part(table: pa.Table, path: Path) -> None:
    """One Parquet part (a tuple part or a group part)."""
    names = table.column_names
    pq.write_table(table, path, write_statistics=[n for n in STATISTICS if n in names],
                   use_dictionary=[n for n in names if n not in PLAIN])
