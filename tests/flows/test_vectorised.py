"""The bulk parser is an accelerator only, with either engine: a tuple lands iff the
reference parser parses it, with the same values; everything else is counted with the
reference's reason."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.flows import native
from netwarden.flows.accounting import Reason, Unit
from netwarden.flows.records import Malformed, TupleFormat, parse_tuple
from netwarden.flows.store import Store
from netwarden.flows.vectorised import ENGINES

GOOD = {
    TupleFormat.NSG_V1: "1487282421,192.0.2.95,10.1.0.4,51529,5358,T,I,D",
    TupleFormat.NSG_V2: "1542110379,10.5.16.4,203.0.113.115,44931,443,T,O,A,C,30,16978,24,14008",
    TupleFormat.VNET: "1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580",
}
ALPHABET = "0123456789,.:-TUIOADBCEXN_ x"


def document(fmt: TupleFormat, tuples: list[object]) -> dict[str, object]:
    if fmt is TupleFormat.VNET:
        return {"records": [{"macAddress": "M", "flowLogVersion": 4, "flowRecords": {"flows": [
            {"aclID": "a", "flowGroups": [{"rule": "r", "flowTuples": tuples}]}]}}]}
    version = 1 if fmt is TupleFormat.NSG_V1 else 2
    return {"records": [{"resourceId": "/N", "properties": {"Version": version, "flows": [
        {"rule": "r", "flows": [{"mac": "M", "flowTuples": tuples}]}]}}]}


# The native engine is built wherever there is a C compiler (CI has one): its absence there
# must fail, not skip, or the default engine would go untested.
engines = pytest.mark.parametrize("engine", ENGINES)


def test_the_native_engine_is_built() -> None:
    assert native.AVAILABLE


def land(tmp_path: Path, fmt: TupleFormat, tuples: list[object],
         engine: str) -> tuple[list[tuple[object, ...]], Counter[Reason]]:
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    path = logs / f"{fmt.value}.json"
    path.write_text(json.dumps(document(fmt, tuples)))
    store = Store(tmp_path / "store", engine=engine)
    ingested = store.ingest([path])
    con = store.open_flows(ingested)
    landed = con.execute(
        "SELECT ts_ms, src_ip, dst_ip, src_port, dst_port, protocol, direction, decision, state, "
        "encryption, packets_sent, bytes_sent, packets_recv, bytes_recv FROM flows").fetchall()
    store.close()
    assert ingested.books.seen[Unit.TUPLE] == len(tuples)
    return landed, ingested.books.malformed


def reference(fmt: TupleFormat, tuples: list[object]) -> tuple[list[tuple[object, ...]], Counter[Reason]]:
    parsed, reasons = [], Counter()
    for text in tuples:
        try:
            parsed.append(parse_tuple(text, fmt))
        except Malformed as exc:
            reasons[exc.reason] += 1
    return parsed, reasons


def mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randrange(1, 4)):
        at = rng.randrange(len(chars) + 1)
        kind = rng.random()
        if kind < 0.4 and chars:
            chars[min(at, len(chars) - 1)] = rng.choice(ALPHABET)
        elif kind < 0.7:
            chars.insert(at, rng.choice(ALPHABET))
        elif chars:
            del chars[min(at, len(chars) - 1)]
    return "".join(chars)


@engines
@pytest.mark.parametrize("fmt", list(TupleFormat), ids=lambda f: f.value)
def test_fast_path_equals_reference_on_mutations(tmp_path: Path, fmt: TupleFormat, engine: str) -> None:
    rng = random.Random(7)
    tuples: list[object] = [GOOD[fmt]] * 5 + [mutate(rng, GOOD[fmt]) for _ in range(3000)]
    tuples += [17, None, "é" + GOOD[fmt], GOOD[fmt].replace("10.", "fd00::", 1)]
    landed, reasons = land(tmp_path, fmt, tuples, engine)
    expected, expected_reasons = reference(fmt, tuples)
    assert sorted(landed, key=repr) == sorted(expected, key=repr)
    assert reasons == expected_reasons
    assert len(landed) + sum(reasons.values()) == len(tuples)
    assert 5 <= len(landed) < len(tuples) and len(reasons) >= 5


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET, max_size=70), max_size=40),
       st.sampled_from(list(TupleFormat)), st.sampled_from(ENGINES))
def test_fast_path_equals_reference_on_noise(tmp_path_factory: pytest.TempPathFactory,
                                             noise: list[str], fmt: TupleFormat, engine: str) -> None:
    tmp_path = tmp_path_factory.mktemp("noise")
    tuples: list[object] = [GOOD[fmt], *noise]
    landed, reasons = land(tmp_path, fmt, tuples, engine)
    expected, expected_reasons = reference(fmt, tuples)
    assert sorted(landed, key=repr) == sorted(expected, key=repr)
    assert reasons == expected_reasons


@engines
def test_positions_of_bad_tuples_point_at_them(tmp_path: Path, engine: str) -> None:
    fmt = TupleFormat.NSG_V2
    tuples: list[object] = [GOOD[fmt], GOOD[fmt].replace("443", "99999"), GOOD[fmt], 5]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.json").write_text(json.dumps(document(fmt, tuples)))
    store = Store(tmp_path / "store", engine=engine)
    books = store.ingest([logs]).books
    port = books.examples[Reason.BAD_PORT][0]
    assert port.position == "records[0].properties.flows[0].flows[0].flowTuples[1]"
    assert port.text == tuples[1] and port.file.endswith("a.json")
    assert books.examples[Reason.NOT_A_STRING][0].position.endswith("flowTuples[3]")


@engines
def test_empty_groups_beside_full_ones(tmp_path: Path, engine: str) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "empty.json").write_text(json.dumps(document(TupleFormat.VNET, [])))
    (logs / "full.json").write_text(json.dumps(document(TupleFormat.NSG_V1, [GOOD[TupleFormat.NSG_V1]] * 3)))
    store = Store(tmp_path / "store", engine=engine)
    ingested = store.ingest([logs])
    books = ingested.books
    assert books.seen[Unit.GROUP] == books.parsed[Unit.GROUP] == 2
    assert books.seen[Unit.TUPLE] == books.parsed[Unit.TUPLE] == 3
    assert store.open_flows(ingested).execute("SELECT COUNT(*) FROM flows").fetchall() == [(3,)]
