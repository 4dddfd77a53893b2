"""The matrix composed where walks meet, at firewalls and deliveries (``Fanout.rows``) against one walk per source
(``Fanout.row``) and against one ``reach`` per pair, on random hub-and-spoke estates from
the benchmark generator (spokes routing 0.0.0.0/0 to the hub's Azure Firewall); and the
cells that are not listed."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from benchmarks.generate import Params, generate, write
from netwarden.cli import app
from netwarden.engine import Engine
from netwarden.engine.fanout import Fanout
from netwarden.ingest import load_estate
from netwarden.intent.matrix import ReadCell, cell_summary, groups, matrix, pairwise, summary

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@st.composite
def hub_and_spoke(draw: st.DrawFn) -> Params:
    spokes = draw(st.integers(1, 3))
    return Params(spokes=spokes, subnets=draw(st.integers(spokes, 6)),
                  nics_per_subnet=draw(st.integers(1, 3)), nsg_rules=draw(st.integers(2, 10)),
                  fw_rules=draw(st.integers(2, 30)), public_ip_share=draw(st.sampled_from([0.0, 0.3])),
                  private_endpoints=draw(st.integers(0, 2)), key_vaults=0, traps=False,
                  flow_logs=False, vms=False, app_gateway=draw(st.booleans()))


def _engine(params: Params, seed: int, where: Path) -> Engine:
    write(generate(params, seed), where)
    return Engine(load_estate([where]))


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(params=hub_and_spoke(), seed=st.integers(1, 10_000))
def test_rows_composed_where_walks_meet_equal_one_walk_per_source(params: Params, seed: int,
                                                                 tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(params, seed, tmp_path_factory.mktemp("estate"))
    endpoints = groups(engine, "subnet", None)
    composed, plain = Fanout(engine, endpoints), Fanout(engine, endpoints)
    joined: dict[str, int] = {"firewall": 0, "deliver": 0}
    original = Fanout._continue_together

    def spy(self, kind, target, members, rows, walker):  # type: ignore[no-untyped-def]
        joined[kind] += len(members)
        return original(self, kind, target, members, rows, walker)

    Fanout._continue_together = spy  # type: ignore[method-assign]
    try:
        rows = dict(composed.rows(endpoints))
    finally:
        Fanout._continue_together = original  # type: ignore[method-assign]
    space = engine.space
    none = space.none()
    for a in endpoints:
        row, split = plain.row(a), composed.split(rows[a])
        assert split is not None
        for b in endpoints:
            if not plain.pairable(a, b):
                continue
            allowed = rows[a].allowed(b, none)
            assert allowed == row.allowed(b, none), (a, b)
            if b in rows[a].apart:   # read off the row: boxes exactly the cell, none empty
                assert b not in rows[a].arrivals
                assert space.union(space.box(box) for box in split.get(b, ())) == allowed, (a, b)
                assert (b in split) == bool(allowed)
    assert joined["firewall"] > 0 and joined["deliver"] > 0   # the walks did meet


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(params=hub_and_spoke(), seed=st.integers(1, 10_000))
def test_composed_matrix_equals_pairwise_reach(params: Params, seed: int, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(params, seed, tmp_path_factory.mktemp("estate"))
    fast, slow = matrix(engine, "subnet"), pairwise(engine, "subnet")
    assert set(fast.cells) == set(slow.cells)
    assert all(fast.cells[k].allowed == slow.cells[k].allowed for k in slow.cells)
    assert all(fast.cells[k].exposure == slow.cells[k].exposure for k in slow.cells)
    read = [c for c in fast.listed() if isinstance(c, ReadCell)]
    assert all(cell_summary(c) == summary(c.allowed) for c in read)
    listed = {(c.source, c.destination) for c in fast.listed()}
    assert listed == {k for k, c in slow.cells.items() if c.allowed}
    assert fast.pairs == len(slow.cells)


def test_cells_not_listed_read_as_empty_and_json_lists_only_what_arrives() -> None:
    engine = Engine(load_estate([ROOT / "examples" / "contoso"]))
    m = matrix(engine, "subnet")
    empty = m.cells[("snet-app", "snet-web")]
    assert empty.exposure == "none" and not empty.allowed and empty.marks == []
    assert ("snet-app", "snet-web") in m.cells and ("snet-web", "snet-web") not in m.cells
    assert all(c.allowed for c in m.listed()) and len(m.listed()) < m.pairs == len(list(m.cells))
    data = json.loads(runner.invoke(app, ["matrix", str(ROOT / "examples" / "contoso"),
                                          "--format", "json"]).stdout)
    assert data["pairs"] == m.pairs and len(data["cells"]) == len(m.listed())
    assert all(c["exposure"] in ("all", "some") for c in data["cells"])
    assert {(c["from"], c["to"]) for c in data["cells"]} == {(c.source, c.destination) for c in m.listed()}
