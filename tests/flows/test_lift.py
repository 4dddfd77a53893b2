"""Lifting flowTuples arrays out of a file's JSON text changes nothing a reader can see.

``native.lift`` replaces every plain flowTuples array in a text by a marker object and keeps
the tuples where they are. The lifted text must decode, for every text, to the original
document with markers in place of exactly those arrays (put back, the documents are equal),
and must be valid JSON exactly when the original is. Drawn here: documents of every JSON
shape with flowTuples keys at every depth, plain and other arrays, strings with quotes,
backslashes, escapes, control characters and non-ASCII text, under every spacing JSON
allows; and the same texts damaged by a byte.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from netwarden.flows import native
from netwarden.flows.accounting import Accounting, Reason, Unit
from netwarden.flows.records import LIFTED, LiftedTuples, groups, read
from netwarden.flows.store import Store

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="the native scanner is not built "
                                "(test_vectorised.py fails for that)")

# (long enough for the 16-byte steps of the lifter's string scan)
PLAIN = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
# text that serialises into escapes, quotes and what looks like JSON inside a string
JSONISH = st.lists(st.sampled_from(['"', "\\", "flowTuples", "[", "]", ":", ",", " ", "a", "é", "\n"]),
                   max_size=8).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=8), JSONISH)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), ANY_TEXT, PLAIN)
KEYS = st.one_of(st.sampled_from(["flowTuples", "flowTuples", "flowtuples", "records", "flows"]), ANY_TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, st.one_of(inner, st.lists(PLAIN, max_size=5)), max_size=4)),
    max_leaves=16)
SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (" ,", " : "), (",\r\n\t", ":\t"), ("\n,\n", "\n:\n")])


def texts() -> st.SearchStrategy[bytes]:
    return st.builds(lambda value, seps, indent, ascii_only: json.dumps(
        {"records": [value]}, separators=seps, indent=indent, ensure_ascii=ascii_only).encode(),
        VALUES, SEPARATORS, st.sampled_from([None, None, 0, 2, "\t"]), st.booleans())


def decoded(text: bytes) -> tuple[bool, Any]:
    try:
        return True, msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False, None


def put_back(value: Any, arrays: list[list[str]]) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and LIFTED in value:
            return arrays[value[LIFTED]]
        return {k: put_back(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [put_back(v, arrays) for v in value]
    return value


def check(text: bytes) -> None:
    valid, document = decoded(text)
    lifted = native.lift(text)
    if lifted is None:
        return
    lifted_text, spans, counts = lifted
    valid_lifted, document_lifted = decoded(lifted_text)
    assert valid_lifted == valid
    if not valid:
        return
    at = memoryview(spans).cast("q")
    arrays, first = [], 0
    for count in counts:
        arrays.append([text[at[2 * i]:at[2 * i] + at[2 * i + 1]].decode("ascii")
                       for i in range(first, first + count)])
        first += count
    assert put_back(document_lifted, arrays) == document
    assert len(lifted_text) <= len(text) + 20 * len(counts)


@settings(max_examples=300, deadline=None)
@given(texts())
@example(b'{"a": "\\"flowTuples\\": [\\"x\\"]", "flowTuples": ["y"]}')
@example(b'{"flowTuples" : [ "a" , "b" ] , "k": {"flowTuples":[]}}')
@example(b'{"flow\\u0054uples": ["a"], "flowTuples": ["a\\\\", "b"]}')
@example(b'{"x": "\\\\", "flowTuples": ["1,2"]}')
@example(b'{"x": "\\\\\\"", "flowTuples": ["1,2"]}')
def test_a_lifted_text_decodes_to_the_same_document(text: bytes) -> None:
    check(text)


@settings(max_examples=300, deadline=None)
@given(texts(), st.integers(0, 10**6), st.sampled_from(["drop", "insert", "replace"]),
       st.sampled_from(list(b'"\\[],:{} \x00\x1fa\x7f\xc3')))
@example(b'{"flowTuples": ["a", "b"]}', 15, "drop", ord('"'))
@example(b'{"flowTuples": ["a", "b"]}', 20, "insert", ord(','))
@example(b'{"flowTuples": ["a", "b"]', 0, "replace", ord('{'))
@example(b'{"flowTuples": ["a", "b"]}', 19, "replace", ord(' '))
@example(b'{"flowTuples": ["a", "b"]}', 19, "replace", ord('a'))
@example(b'{"flowTuples": ["1542110379,10.5.16.4,203.0.113.115"]}', 30, "insert", 0x1F)
@example(b'{"flowTuples": ["1542110379,10.5.16.4,203.0.113.115"]}', 30, "insert", 0xC3)
def test_a_damaged_text_is_damaged_lifted_too(text: bytes, at: int, how: str, byte: int) -> None:
    at %= len(text) + 1
    if how == "drop":
        damaged = text[:at] + text[at + 1:]
    elif how == "insert":
        damaged = text[:at] + bytes([byte]) + text[at:]
    else:
        damaged = text[:at] + bytes([byte]) + text[at + 1:]
    check(damaged)


def test_what_is_not_lifted() -> None:
    assert native.lift(b'{"records": [{"flowTuples": "a"}]}') is None            # not an array
    assert native.lift(b'{"records": [{"flowTuples": ["a", 1]}]}') is None       # not all strings
    assert native.lift(b'{"records": [{"flowTuples": ["\\u0041"]}]}') is None    # an escape
    assert native.lift('{"records": [{"flowTuples": ["é"]}]}'.encode()) is None  # not ASCII
    assert native.lift(b'{"records": [{"flowTuples": ["a"]}], "x": "\\u0000nw"}') is None   # a NUL
    assert native.lift(b'{"records": [{"flowTuples": ["a"]}]}') is not None


GOOD = "1542110379,10.5.16.4,203.0.113.115,44931,443,T,O,A,C,30,16978,24,14008"


def nsg(groups: list[list[Any]]) -> dict[str, Any]:
    return {"records": [{"resourceId": "/N", "properties": {"Version": 2, "flows": [
        {"rule": "r", "flows": [{"mac": f"M{i}", "flowTuples": tuples} for i, tuples in enumerate(groups)]}]}}]}


def test_read_hands_out_lifted_tuples_in_place_of_plain_arrays(tmp_path: Path) -> None:
    path = tmp_path / "PT1H.json"
    path.write_text(json.dumps(nsg([[GOOD, GOOD], [GOOD, 7], []]), indent=1))
    books = Accounting()
    document, source = read(path, books, native.lift)
    assert source is not None and source.counts == [2, 0]
    found = [tuples for _, tuples in groups(document, path, books, source)]
    assert isinstance(found[0], LiftedTuples) and [found[0].text(i) for i in range(2)] == [GOOD, GOOD]
    assert found[1] == [GOOD, 7] and isinstance(found[2], LiftedTuples) and len(found[2]) == 0


@pytest.mark.parametrize("engine", ["native", "duckdb"])
def test_bad_tuples_in_lifted_arrays_are_counted_where_they_are(tmp_path: Path, engine: str) -> None:
    bad_port = GOOD.replace("443", "99999")
    ipv6 = GOOD.replace("10.5.16.4", "fd00::4")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text(json.dumps(nsg([[GOOD, bad_port, ipv6], [GOOD, None, bad_port]])))
    store = Store(tmp_path / "store", engine=engine)
    ingested = store.ingest([logs])
    books = ingested.books
    assert books.seen[Unit.TUPLE] == 6 and books.parsed[Unit.TUPLE] == 3
    assert books.malformed[Reason.BAD_PORT] == 2 and books.malformed[Reason.NOT_A_STRING] == 1
    positions = sorted(e.position for e in books.examples[Reason.BAD_PORT])
    assert positions == ["records[0].properties.flows[0].flows[0].flowTuples[1]",
                         "records[0].properties.flows[0].flows[1].flowTuples[2]"]
    rows = store.open_flows(ingested).execute("SELECT src_ip, mac FROM flows ORDER BY 1, 2").fetchall()
    assert rows == [("10.5.16.4", "M0"), ("10.5.16.4", "M1"), ("fd00::4", "M0")]
