"""The native tuple scanner's output as Arrow columns of a tuple part.

``_tuplescan`` (C, ``_tuplescan.c``) reads a list of tuple strings of one format in one pass
and fills typed column buffers for the tuples of the plain shape; it returns the rows it
rejected, which the caller hands to the reference parser
(:func:`netwarden.flows.records.parse_tuple`). Here its buffers become Arrow arrays without
a copy, the addresses it numbered become the dictionary of both address columns (their
dotted text), and the columns are those of :data:`netwarden.flows.columns.PART_SCHEMA`.

The extension is optional (``setup.py``): where it was not built, :data:`AVAILABLE` is
False and the store parses with the vectorised Arrow/DuckDB path, to the same rows.
"""

from __future__ import annotations

import array
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from netwarden.flows.columns import PART_SCHEMA
from netwarden.flows.records import TupleFormat

try:
    from netwarden.flows import _tuplescan
except ImportError:      # not built here (no C compiler at install time)
    _tuplescan = None

AVAILABLE = _tuplescan is not None
_FORMATS = {TupleFormat.NSG_V1: 0, TupleFormat.NSG_V2: 1, TupleFormat.VNET: 2}
_COUNTERS = ("packets_sent", "bytes_sent", "packets_recv", "bytes_recv")


def dotted(addresses: pa.Array) -> pa.Array:
    """IPv4 addresses (uint32) as dotted-decimal strings."""
    octets = [pc.cast(pc.bit_wise_and(pc.shift_right(addresses, shift), 255), pa.string())
              for shift in (24, 16, 8, 0)]
    return pc.binary_join_element_wise(*octets, ".")


def lift(text: bytes) -> tuple[bytes, Any, list[int]] | None:
    """The text with its plain flowTuples arrays lifted out (``_tuplescan.c`` says how and
    why the document decodes the same), the spans of their tuples and the count of each; or
    None (nothing lifted)."""
    if _tuplescan is None:
        return None
    return _tuplescan.lift(text)


def scan(fmt: TupleFormat, strings: list[object], ctx: array.array[int], first_group: int,
         contexts: int) -> tuple[pa.Table, list[int]]:
    """The tuples of the plain shape as a table of PART_SCHEMA (``group_id`` is
    ``first_group + ctx``), and the indices of the others, in order."""
    if _tuplescan is None:
        raise RuntimeError("the native tuple scanner is not built")
    return _table(fmt, _tuplescan.scan(strings, _FORMATS[fmt], ctx, first_group, contexts))


def scan_lifted(fmt: TupleFormat, sources: list[tuple[bytes, Any]], ranges: array.array[int],
                first_group: int, contexts: int) -> tuple[pa.Table, list[int]]:
    """As :func:`scan`, over lifted tuples: ``sources`` are (text, spans) of files,
    ``ranges`` int64 quadruples (source, first span, count, ctx), one per group; a rejected
    index counts the tuples of all ranges before it."""
    if _tuplescan is None:
        raise RuntimeError("the native tuple scanner is not built")
    return _table(fmt, _tuplescan.scan_lifted(sources, ranges, _FORMATS[fmt], first_group, contexts))


def _table(fmt: TupleFormat, out: dict[str, Any]) -> tuple[pa.Table, list[int]]:
    rows = out["rows"]

    def fixed(name: str, kind: pa.DataType, valid: str | None = None) -> pa.Array:
        validity = pa.py_buffer(out[valid]) if valid else None
        return pa.Array.from_buffers(kind, rows, [validity, pa.py_buffer(out[name])])

    buffer = pa.py_buffer(out["addresses"])
    addresses = dotted(pa.Array.from_buffers(pa.uint32(), buffer.size // 4, [None, buffer]))
    columns: dict[str, pa.Array] = {
        "group_id": fixed("group_id", pa.int64()),
        "ts_ms": fixed("ts_ms", pa.int64()),
        "src_ip": pa.DictionaryArray.from_arrays(fixed("src_ip", pa.int32()), addresses),
        "dst_ip": pa.DictionaryArray.from_arrays(fixed("dst_ip", pa.int32()), addresses),
        "src_port": fixed("src_port", pa.int32()),
        "dst_port": fixed("dst_port", pa.int32()),
        "protocol": fixed("protocol", pa.int32()),
        "direction_code": fixed("direction_code", pa.int8()),
        "decision_code": fixed("decision_code", pa.int8()),
    }
    if fmt is TupleFormat.NSG_V1:
        columns["state_code"] = pa.nulls(rows, pa.int8())
    else:
        columns["state_code"] = fixed("state_code", pa.int8())
    encryption = PART_SCHEMA.field("encryption").type
    if fmt is TupleFormat.VNET:
        codes = pc.cast(fixed("encryption_code", pa.int8()), pa.int32())
        columns["encryption"] = pa.DictionaryArray.from_arrays(
            codes, pa.array(out["encryptions"], pa.string()))
    else:
        columns["encryption"] = pa.nulls(rows, encryption)
    for name in _COUNTERS:
        columns[name] = (pa.nulls(rows, pa.int64()) if fmt is TupleFormat.NSG_V1
                         else fixed(name, pa.int64(), f"{name}_valid"))
    return pa.Table.from_arrays([columns[name] for name in PART_SCHEMA.names],
                                schema=PART_SCHEMA), out["rejected"]


def release() -> None:
    """Free the memory the scanner keeps for the column buffers of the next batch."""
    if _tuplescan is not None:
        _tuplescan.release()
