"""The native scanner against the reference parser, tuple by tuple.

Sound: every tuple it accepts, ``records.parse_tuple`` parses to the same values. Complete
on the plain shape: every tuple the reference parses whose addresses are IPv4 it accepts
too (what it rejects costs the reference parser's time, so a lazy scanner would be slow,
not wrong; this keeps it fast). Tuples are drawn field by field around every boundary the
documentation and the reference draw: time units and range, octets and leading zeros,
port and protocol ranges, codes, counter lengths, field counts.
"""

from __future__ import annotations

import array
import json
import string
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from netwarden.flows import native
from netwarden.flows.accounting import Unit
from netwarden.flows.columns import CODES
from netwarden.flows.records import Malformed, TupleFormat, parse_tuple
from netwarden.flows.store import Store

pytestmark = pytest.mark.skipif(not native.AVAILABLE, reason="the native scanner is not built "
                                "(test_vectorised.py fails for that)")


def number(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(str)


def padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(st.integers(1, 3), values).map(lambda z: "0" * z[0] + z[1])


# Per field: the values the documentation allows (a strategy), its edges (either side of
# every boundary, leading zeros, other characters: a list, every one of which a test below
# puts into an otherwise good tuple) and further odd values (a strategy). A drawn tuple has
# at most one odd field, so every check of the scanner is met alone.
@dataclass
class Field:
    good: st.SearchStrategy[str]
    edges: list[str]
    odd: st.SearchStrategy[str] = field(default_factory=st.nothing)

    def odd_values(self) -> st.SearchStrategy[str]:
        return st.one_of(st.sampled_from(self.edges), self.odd)


TIME = Field(
    st.one_of(number(946_684_800, 4_102_444_799), number(946_684_800_000, 4_102_444_799_999)),
    [str(n) for n in (946_684_799, 946_684_800, 4_102_444_799, 4_102_444_800, 99_999_999_999,
                      100_000_000_000, 946_684_799_999, 946_684_800_000, 4_102_444_799_999,
                      4_102_444_800_000, 10**13, 10**12 - 1, 0)]
    + ["01542110377", "0001542110377", "00001542110377", "01663146003606", "", "-1542110377", "1542110377.5", "１５４２１１０３７７",
       " 1542110377", "1542110377 "],
    st.one_of(padded(number(946_684_800, 4_102_444_799)), number(0, 10**14)))
OCTET = Field(number(0, 255), ["0", "00", "01", "09", "010", "099", "100", "199", "200", "249", "250",
                               "255", "256", "260", "300", "999", "0255", "1000", "", "a", "-1", "٣"],
              st.one_of(padded(number(0, 255)), number(256, 1099)))


def dotted(octets: list[str]) -> str:
    return ".".join(octets)


IP = Field(st.lists(OCTET.good, min_size=4, max_size=4).map(dotted),
           [dotted([edge, "2", "3", "4"]) for edge in OCTET.edges]
           + [dotted(["1", "2", "3", edge]) for edge in OCTET.edges]
           + ["10.0.0", "10.0.0.1.7", "10.0.0.1.", ".10.0.0.1", "10..0.1", "10.0.0.1 ", "10.0.0.1x",
              "fd00::4", "::ffff:10.0.0.1", "2001:db8::1", "10.0.0.1:80", "", "10,0,0,1"],
           st.builds(lambda octets, at, odd: dotted(octets[:at] + [odd] + octets[at + 1:]),
                     st.lists(OCTET.good, min_size=4, max_size=4), st.integers(0, 3), OCTET.odd_values()))
PORT = Field(number(0, 65535), ["0", "00000", "000000", "65535", "065535", "65536", "99999", "100000",
                                "", "+80", "8o", " 80"],
             st.one_of(padded(number(0, 99_999)), number(65_530, 70_000)))
def others(letters: str) -> list[str]:
    """Every other one-character field: letters, digits, punctuation."""
    return [c for c in string.ascii_letters + string.digits + "_-+. " if c not in letters]


NSG_PROTOCOL = Field(st.sampled_from("TU"), others("TU") + ["6", "17", "", "TU", "T "])
IANA = Field(number(0, 255), ["0", "00", "000", "0000", "255", "256", "0255", "1000", "T", "", "6 "],
             st.one_of(padded(number(0, 255)), number(256, 1000)))
DIRECTION = Field(st.sampled_from("IO"), others("IO") + ["", "IO", "I "])
DECISION = Field(st.sampled_from("AD"), others("AD") + ["", "AD", "D "])
NSG_STATE = Field(st.sampled_from("BCE"), others("BCE") + ["", "BC", "E "])
VNET_STATE = Field(st.sampled_from("BCED"), others("BCED") + ["", "BC", "D "])
ENCRYPTION = Field(st.sampled_from(["X", "NX", "NX_HW_NOT_SUPPORTED", "NX_SW_NOT_READY", "NX_A_B_C"]),
                   ["NX_", "NXA", "NX__A", "NX_a", "NX_A1", "XX", "x", "", "N", "NX_A_", "_NX", "X_A", "NX "])
COUNTER = Field(st.one_of(st.just(""), number(0, 10**18 - 1)),
                ["0", "00", "999999999999999999", "000000000000000001", "1000000000000000000",
                 "0000000000000000000", "x", "-5", "1e3", " ", "+1"],
                st.one_of(number(10**17, 10**19), padded(number(0, 10**17))))
FIELDS = {
    TupleFormat.NSG_V1: [TIME, IP, IP, PORT, PORT, NSG_PROTOCOL, DIRECTION, DECISION],
    TupleFormat.NSG_V2: [TIME, IP, IP, PORT, PORT, NSG_PROTOCOL, DIRECTION, DECISION, NSG_STATE]
                        + [COUNTER] * 4,
    TupleFormat.VNET: [TIME, IP, IP, PORT, PORT, IANA, DIRECTION, VNET_STATE, ENCRYPTION] + [COUNTER] * 4,
}
GOOD = {
    TupleFormat.NSG_V1: "1487282421,192.0.2.95,10.1.0.4,51529,5358,T,I,D",
    TupleFormat.NSG_V2: "1542110379,10.5.16.4,203.0.113.115,44931,443,U,O,A,E,30,16978,,",
    TupleFormat.VNET: "1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,D,NX_HW_NOT_SUPPORTED,3,767,2,1580",
}


@st.composite
def tuples(draw: st.DrawFn, fmt: TupleFormat) -> str:
    kinds = FIELDS[fmt]
    odd = draw(st.one_of(st.none(), st.integers(0, len(kinds) - 1)))
    fields = [draw(kind.odd_values() if i == odd else kind.good) for i, kind in enumerate(kinds)]
    cut = draw(st.sampled_from([0] * 12 + [-1, 1]))
    if cut < 0:
        fields.pop()
    elif cut > 0:
        fields.append(draw(COUNTER.good))
    return ",".join(fields)


def rows(fmt: TupleFormat, texts: list[object]) -> tuple[list[tuple[object, ...]], list[int]]:
    """The scanner's accepted rows as the reference's tuples, and the rows it rejected."""
    ctx = array.array("i", [0]) * len(texts)
    table, rejected = native.scan(fmt, texts, ctx, 5, 1)
    assert table.column("group_id").to_pylist() == [5] * table.num_rows
    columns = table.to_pydict()
    for name, letters in CODES.items():
        columns[name] = [None if c is None else letters[c] for c in columns.pop(f"{name}_code")]
    order = ("ts_ms", "src_ip", "dst_ip", "src_port", "dst_port", "protocol", "direction",
             "decision", "state", "encryption", "packets_sent", "bytes_sent", "packets_recv",
             "bytes_recv")
    return list(zip(*(columns[name] for name in order))), rejected


def reference(text: object, fmt: TupleFormat) -> tuple[object, ...] | None:
    try:
        return parse_tuple(text, fmt)
    except Malformed:
        return None


def check(fmt: TupleFormat, texts: list[object]) -> int:
    accepted, rejected = rows(fmt, texts)
    assert rejected == sorted(set(rejected))
    kept = [t for i, t in enumerate(texts) if i not in set(rejected)]
    assert len(kept) == len(accepted)
    for text, row in zip(kept, accepted):
        assert reference(text, fmt) == row, text                     # sound
    for i in rejected:
        parsed = reference(texts[i], fmt)
        assert parsed is None or ":" in f"{parsed[1]}{parsed[2]}", texts[i]   # complete
    return len(accepted)


@pytest.mark.parametrize("fmt", list(TupleFormat), ids=lambda f: f.value)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_the_scanner_agrees_with_the_reference(fmt: TupleFormat, data: st.DataObject) -> None:
    check(fmt, data.draw(st.lists(tuples(fmt), min_size=1, max_size=60)))


@pytest.mark.parametrize("fmt", list(TupleFormat), ids=lambda f: f.value)
def test_every_edge_of_every_field(fmt: TupleFormat) -> None:
    good = GOOD[fmt].split(",")
    texts: list[object] = [GOOD[fmt]]
    for i, kind in enumerate(FIELDS[fmt]):
        texts += [",".join(good[:i] + [edge] + good[i + 1:]) for edge in kind.edges]
    texts += [",".join(good[:-1]), ",".join([*good, "1"]), ",".join([*good, ""]), GOOD[fmt] + ","]
    for i in range(1, len(good)):                       # a separator that is not a comma
        texts += [",".join(good[:i]) + other + ",".join(good[i:]) for other in (";", ".", " ", "")]
    assert check(fmt, texts) >= 10       # the edges on the good side of their boundary


@pytest.mark.parametrize("fmt", list(TupleFormat), ids=lambda f: f.value)
@given(data=st.data())
@settings(max_examples=20, deadline=None)
@example(data=None)
def test_well_formed_tuples_are_all_accepted(fmt: TupleFormat, data: st.DataObject | None) -> None:
    texts: list[object] = [GOOD[fmt]] * 3
    if data is not None:
        texts += data.draw(st.lists(tuples(fmt), max_size=20))
    assert check(fmt, texts) >= 3


def test_what_is_not_a_plain_string_is_rejected() -> None:
    good = "1542110379,10.5.16.4,203.0.113.115,44931,443,T,O,A,C,30,16978,24,14008"

    class Text(str):
        pass

    texts: list[object] = [good, 7, None, Text(good), "é" + good, good + "\x00", good.replace(",", "\x00", 1),
                           good]
    accepted, rejected = rows(TupleFormat.NSG_V2, texts)
    assert rejected == [1, 2, 3, 4, 5, 6] and len(accepted) == 2


def test_a_context_outside_the_batch_is_an_error_not_a_row() -> None:
    good = "1487282421,192.0.2.95,10.1.0.4,51529,5358,T,I,D"
    with pytest.raises(ValueError):
        native.scan(TupleFormat.NSG_V1, [good], array.array("i", [3]), 0, 2)
    with pytest.raises(ValueError):
        native.scan(TupleFormat.NSG_V1, [good, good], array.array("i", [0]), 0, 1)


def test_more_encryption_codes_than_the_scanner_holds_still_land(tmp_path: Path) -> None:
    codes = ["X", "NX"] + ["NX_" + "".join(chr(65 + (i // 26 ** k) % 26) for k in range(3)) for i in range(98)]
    texts = [f"1663146003606,10.0.0.6,10.0.0.7,23956,443,6,O,E,{code},3,767,2,1580" for code in codes]
    _, rejected = rows(TupleFormat.VNET, texts)
    assert rejected and len(rejected) < len(texts)
    document = {"records": [{"macAddress": "M", "flowRecords": {"flows": [
        {"aclID": "a", "flowGroups": [{"rule": "r", "flowTuples": texts}]}]}}]}
    (tmp_path / "v.json").write_text(json.dumps(document))
    store = Store(tmp_path / "store", engine="native")
    ingested = store.ingest([tmp_path / "v.json"])
    landed = store.open_flows(ingested).execute("SELECT encryption FROM flows").fetchall()
    assert sorted(e for (e,) in landed) == sorted(codes)
    assert ingested.books.parsed[Unit.TUPLE] == len(codes) and not ingested.books.malformed
