"""The readers against Microsoft's documented samples, and the reference tuple parser
against every malformation it names."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from netwarden.flows.accounting import Accounting, Reason, Unit
from netwarden.flows.records import (
    Malformed,
    TupleFormat,
    discover,
    groups,
    load,
    parse_tuple,
    path_info,
)

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "flowlogs"
NSG_ID = ("/SUBSCRIPTIONS/aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e/RESOURCEGROUPS/FABRIKAMRG/"
          "PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/FABRIAKMVM1-NSG")


@pytest.fixture(scope="module")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"flow-log samples not found at {SAMPLES}")
    return SAMPLES


def read(path: Path) -> tuple[list[tuple[object, list[object]]], Accounting]:
    books = Accounting()
    document = load(path, books)
    found = list(groups(document, path, books)) if document is not None else []
    return found, books


def parsed(path: Path) -> list[tuple[object, tuple[object, ...]]]:
    found, _ = read(path)
    return [(context, parse_tuple(text, context.format)) for context, tuples in found  # type: ignore[attr-defined]
            for text in tuples]


def test_nsg_v1_sample(samples: Path) -> None:
    rows = parsed(samples / "nsg-v1-sample.json")
    assert len(rows) == 12
    context, first = rows[0]
    assert context.format is TupleFormat.NSG_V1 and context.version == 1  # type: ignore[attr-defined]
    assert context.resource_id == NSG_ID  # type: ignore[attr-defined]
    assert context.rule == "DefaultRule_DenyAllInBound" and context.mac == "000D3AF8801A"  # type: ignore[attr-defined]
    assert context.position == "records[0].properties.flows[0].flows[0].flowTuples"  # type: ignore[attr-defined]
    # "1487282421,192.0.2.95,10.1.0.4,51529,5358,T,I,D": seconds -> milliseconds, T -> 6
    assert first == (1487282421000, "192.0.2.95", "10.1.0.4", 51529, 5358, 6, "I", "D",
                     None, None, None, None, None, None)
    udp = [t for _, t in rows if t[5] == 17]
    assert udp == [(1487282481000, "198.51.100.194", "10.1.0.4", 53, 1732, 17, "I", "D",
                    None, None, None, None, None, None)]
    rdp = [(c.rule, t[1]) for c, t in rows if t[4] == 3389]  # type: ignore[attr-defined]
    assert len(rdp) == 8 and {r for r, _ in rdp} == {"UserRule_default-allow-rdp"}


def test_nsg_v2_sample(samples: Path) -> None:
    rows = parsed(samples / "nsg-v2-sample.json")
    assert len(rows) == 11
    by_text = {(t[1], t[2], t[3]): (c, t) for c, t in rows}
    # "1542110402,192.0.2.190,10.5.16.4,28746,443,U,I,D,B,,,,": B has empty counters
    context, begin = by_text[("192.0.2.190", "10.5.16.4", 28746)]
    assert begin == (1542110402000, "192.0.2.190", "10.5.16.4", 28746, 443, 17, "I", "D", "B",
                     None, None, None, None, None)
    # "1542110379,10.5.16.4,203.0.113.115,44931,443,T,O,A,C,30,16978,24,14008"
    context, cont = by_text[("10.5.16.4", "203.0.113.115", 44931)]
    assert context.rule == "DefaultRule_AllowInternetOutBound" and context.mac == "000D3AF87856"  # type: ignore[attr-defined]
    assert cont == (1542110379000, "10.5.16.4", "203.0.113.115", 44931, 443, 6, "O", "A", "C",
                    None, 30, 16978, 24, 14008)
    assert sum((t[11] or 0) + (t[13] or 0) for _, t in rows) == 66 + 66 + 16978 + 14008 + 8489 + 7054


def test_vnet_sample(samples: Path) -> None:
    rows = parsed(samples / "vnet-sample.json")
    assert len(rows) == 19
    context, first = rows[0]
    assert context.format is TupleFormat.VNET and context.version == 4  # type: ignore[attr-defined]
    assert context.mac == "00224871C205" and context.acl_id == "00000000-1234-abcd-ef00-c1c2c3c4c5c6"  # type: ignore[attr-defined]
    assert context.resource_id.endswith("/virtualNetworks/myVNet")  # type: ignore[attr-defined]
    assert context.flowlog_id.endswith("/FLOWLOGS/VNETFLOWLOG")  # type: ignore[attr-defined]
    # "1663146003599,10.0.0.6,52.239.184.180,23956,443,6,O,B,NX,0,0,0,0": milliseconds kept
    assert first == (1663146003599, "10.0.0.6", "52.239.184.180", 23956, 443, 6, "O", "A", "B",
                     "NX", 0, 0, 0, 0)
    end = rows[9][1]
    assert end == (1663146022793, "10.0.0.6", "104.16.218.84", 36776, 443, 6, "O", "A", "E",
                   "NX", 22, 2217, 33, 32466)
    denied = [(c.rule, t) for c, t in rows if t[7] == "D"]  # type: ignore[attr-defined]
    assert len(denied) == 9 and all(t[8] == "D" for _, t in denied)
    assert denied[0] == ("BlockHighRiskTCPPortsFromInternet",
                         (1663145998065, "101.33.218.153", "10.0.0.6", 55188, 22, 6, "I", "D", "D",
                          "NX", 0, 0, 0, 0))


def test_as_documented_v1_counts_the_nested_wrapper(samples: Path) -> None:
    found, books = read(samples / "nsg-v1-sample.as-documented.txt")
    assert books.seen[Unit.RECORD] == 3 and books.parsed[Unit.RECORD] == 2
    assert books.malformed == {Reason.RECORD_WITHOUT_FLOWS: 1}
    example = books.examples[Reason.RECORD_WITHOUT_FLOWS][0]
    assert example.position == "records[2]" and "nested" in example.detail
    assert sum(len(t) for _, t in found) == 9
    books.check()


def test_gzip_and_storage_layout(samples: Path, tmp_path: Path) -> None:
    target = tmp_path / "insights-logs-networksecuritygroupflowevent" / "resourceId=" / \
        NSG_ID.strip("/") / "y=2018/m=11/d=13/h=12/m=00/macAddress=000D3AF87856/PT1H.json"
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress((samples / "nsg-v2-sample.json").read_bytes()))
    info = path_info(target)
    assert info.resource_id == NSG_ID and info.mac == "000D3AF87856"
    assert info.hour == "2018-11-13T12:00"
    assert list(discover([tmp_path])) == [target]
    found, books = read(target)
    assert sum(len(t) for _, t in found) == 11 and books.parsed[Unit.FILE] == 1


def test_path_supplies_missing_resource_and_mac(tmp_path: Path, samples: Path) -> None:
    target = tmp_path / "resourceId=" / "SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/" \
        "MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N" / "y=2024/m=01/d=02/h=03/m=00/macAddress=AA/PT1H.json"
    target.parent.mkdir(parents=True)
    text = (samples / "nsg-v1-sample.json").read_text().replace('"resourceId"', '"other"') \
        .replace('"mac"', '"notmac"')
    target.write_text(text)
    found, _ = read(target)
    assert {(c.resource_id, c.mac) for c, _ in found} == {  # type: ignore[attr-defined]
        ("/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N", "AA")}


V2 = "1542110379,10.5.16.4,203.0.113.115,44931,443,T,O,A,C,30,16978,24,14008"
VNET = "1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580"
V1 = "1487282421,192.0.2.95,10.1.0.4,51529,5358,T,I,D"


@pytest.mark.parametrize(("name", "fmt", "text", "reason"), [
    ("not a string", TupleFormat.NSG_V2, 42, Reason.NOT_A_STRING),
    ("v2 with 8 fields", TupleFormat.NSG_V2, V1, Reason.BAD_FIELD_COUNT),
    ("v1 with 13 fields", TupleFormat.NSG_V1, V2, Reason.BAD_FIELD_COUNT),
    ("time not digits", TupleFormat.NSG_V1, "x" + V1, Reason.BAD_TIME),
    ("time before 2000", TupleFormat.NSG_V1, "12" + V1[10:], Reason.BAD_TIME),
    ("time empty", TupleFormat.NSG_V1, V1[10:], Reason.BAD_TIME),
    ("octet over 255", TupleFormat.NSG_V1, V1.replace("192.0.2.95", "192.0.2.256"), Reason.BAD_IP),
    ("leading zero octet", TupleFormat.NSG_V1, V1.replace("10.1.0.4", "10.01.0.4"), Reason.BAD_IP),
    ("port over 65535", TupleFormat.NSG_V1, V1.replace("51529", "65536"), Reason.BAD_PORT),
    ("port negative", TupleFormat.NSG_V1, V1.replace("5358", "-1"), Reason.BAD_PORT),
    ("NSG protocol letter", TupleFormat.NSG_V1, V1.replace(",T,", ",X,"), Reason.BAD_PROTOCOL),
    ("VNet protocol over 255", TupleFormat.VNET, VNET.replace(",6,", ",256,"), Reason.BAD_PROTOCOL),
    ("VNet protocol letter", TupleFormat.VNET, VNET.replace(",6,", ",T,"), Reason.BAD_PROTOCOL),
    ("direction", TupleFormat.NSG_V1, V1.replace(",I,", ",In,"), Reason.UNKNOWN_DIRECTION),
    ("decision", TupleFormat.NSG_V1, V1[:-1] + "X", Reason.UNKNOWN_DECISION),
    ("NSG state D", TupleFormat.NSG_V2, V2.replace(",A,C,", ",A,D,"), Reason.UNKNOWN_STATE),
    ("VNet state", TupleFormat.VNET, VNET.replace(",E,", ",Z,"), Reason.UNKNOWN_STATE),
    ("encryption", TupleFormat.VNET, VNET.replace(",NX,", ",nx,"), Reason.UNKNOWN_ENCRYPTION),
    ("counter negative", TupleFormat.NSG_V2, V2.replace(",16978,", ",-1,"), Reason.BAD_COUNTER),
    ("counter float", TupleFormat.VNET, VNET.replace(",767,", ",7.5,"), Reason.BAD_COUNTER),
])
def test_reference_parser_names_the_reason(name: str, fmt: TupleFormat, text: object,
                                           reason: Reason) -> None:
    with pytest.raises(Malformed) as caught:
        parse_tuple(text, fmt)
    assert caught.value.reason is reason, name


@pytest.mark.parametrize(("name", "fmt", "text", "expected"), [
    ("IPv6", TupleFormat.VNET, VNET.replace("10.0.0.6", "2001:DB8::1"),
     (1663146003606, "2001:db8::1", "52.239.184.180")),
    ("9-digit seconds in 2000", TupleFormat.NSG_V1, "9466848" + V1[10:].replace(",", "00,", 1),
     (946684800000, "192.0.2.95", "10.1.0.4")),
    ("VNet doc's 10-digit seconds", TupleFormat.VNET, "1493763938" + VNET[13:],
     (1493763938000, "10.0.0.6", "52.239.184.180")),
    ("VNet B with empty counters", TupleFormat.VNET, VNET.replace("E,NX,3,767,2,1580", "B,NX,,,,"),
     (1663146003606, "10.0.0.6", "52.239.184.180")),
])
def test_reference_parser_accepts(name: str, fmt: TupleFormat, text: str, expected: tuple[object, ...]) -> None:
    assert parse_tuple(text, fmt)[:3] == expected, name


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("not JSON", b"hello", Reason.NOT_JSON),
    ("not UTF-8", b"\xff\xfe{", Reason.NOT_JSON),
    ("JSON without records", b'{"value": []}', Reason.NO_RECORDS),
    ("records not an array", b'{"records": {}}', Reason.NO_RECORDS),
    ("corrupt gzip", b"\x1f\x8b\x08\x00garbage", Reason.UNREADABLE),
])
def test_malformed_files(tmp_path: Path, name: str, content: bytes, reason: Reason) -> None:
    path = tmp_path / "PT1H.json"
    path.write_bytes(content)
    found, books = read(path)
    assert found == [] and books.malformed == {reason: 1}, name
    assert books.examples[reason][0].file == str(path)
    books.check()


def test_malformed_records_and_groups(tmp_path: Path, samples: Path) -> None:
    path = tmp_path / "mixed.json"
    shutil.copy(samples / "nsg-v2-sample.json", path)
    import json

    document = json.loads(path.read_text())
    good = document["records"][0]
    document["records"] += [
        7,                                                             # not an object
        {"properties": {"Version": 3, "flows": []}},                   # unknown version
        {"properties": {"Version": 2}},                                # no flows
        {"flowRecords": {"flows": "nope"}},                            # VNet without flows
        {"properties": {"Version": 2, "flows": [{"rule": "r"}, {"rule": "s", "flows": [
            {"mac": "m"}, 5]}]}},                                      # 3 bad groups
    ]
    path.write_text(json.dumps(document))
    found, books = read(path)
    assert books.malformed == {Reason.RECORD_NOT_OBJECT: 1, Reason.UNKNOWN_VERSION: 1,
                               Reason.RECORD_WITHOUT_FLOWS: 2, Reason.GROUP_WITHOUT_TUPLES: 3}
    assert books.seen[Unit.RECORD] == 7 and books.parsed[Unit.RECORD] == 3
    positions = [e.position for e in books.examples[Reason.GROUP_WITHOUT_TUPLES]]
    assert positions == ["records[6].properties.flows[0]", "records[6].properties.flows[1].flows[0]",
                         "records[6].properties.flows[1].flows[1]"]
    assert len(found) == 3 and good
    books.check()


@pytest.mark.parametrize(("name", "content"), [
    ("plain", b'{"records": [{"a": [1, 2.5, -0.0, "x\\u00e9", null, true]}]}'),
    ("byte order mark", b'\xef\xbb\xbf{"records": []}'),
    ("NaN and Infinity", b'{"records": [], "x": [NaN, Infinity, -Infinity]}'),
    ("lone surrogate", b'{"records": [{"t": "\\ud800"}]}'),
    ("number beyond a double", b'{"records": [], "x": 1e400}'),
    ("big integer", b'{"records": [], "x": 123456789012345678901234567890}'),
    ("duplicate keys", b'{"records": [1], "records": []}'),
    ("two byte order marks", b'\xef\xbb\xbf\xef\xbb\xbf{"records": []}'),
    ("trailing data", b'{"records": []} x'),
    ("control character", b'{"records": ["\x01"]}'),
    ("bad UTF-8 inside a string", b'{"records": ["\xc3\x28"]}'),
    ("deep nesting", b'{"records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
])
def test_fast_decoder_decides_as_json_does(tmp_path: Path, name: str, content: bytes) -> None:
    """msgspec decodes the documents it accepts to json's values; the others go to json,
    which accepts or refuses them as before, with its own reason."""
    import json
    import math

    path = tmp_path / "PT1H.json"
    path.write_bytes(content)
    books = Accounting()
    document = load(path, books)
    try:
        expected = json.loads(content.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        assert document is None and books.malformed == {Reason.NOT_JSON: 1}, name
        return
    if not isinstance(expected, dict) or not isinstance(expected.get("records"), list):
        assert document is None and books.malformed == {Reason.NO_RECORDS: 1}, name
        return
    assert books.malformed == {} and books.parsed[Unit.FILE] == 1, name
    same = json.dumps(document, allow_nan=True) == json.dumps(expected, allow_nan=True)
    assert same or (math.isnan(expected["x"][0]) and document["x"][1:] == expected["x"][1:]), name
