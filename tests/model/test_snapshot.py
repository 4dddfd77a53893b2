"""Snapshots: an estate saved and restored is the same estate — every resource, relation,
diagnostic and count, and the same answers from the engine — while restoring materialises
only the resources asked for. Bad snapshot files are located input errors (exit 2)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.engine import Engine, Packet, PacketSpace
from netwarden.ingest import IngestError, load_estate
from netwarden.model import snapshot
from netwarden.model.compute import NetworkInterface
from netwarden.model.estate import INDEXES, Estate

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
from estates import estates, packets

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()


def roundtrip(estate: Estate, tmp_path: Path) -> Estate:
    path = tmp_path / "estate.nwsnap"
    snapshot.write(estate, path)
    restored, changed = snapshot.read(path)
    assert changed == []
    return restored


def assert_same(a: Estate, b: Estate) -> None:
    assert list(a) == list(b)                       # every resource, equal and in order
    assert [type(r) for r in a] == [type(r) for r in b]
    assert [r.source for r in a] == [r.source for r in b]
    assert [r.tags for r in a] == [r.tags for r in b]
    assert a.counts() == b.counts()
    assert a.diagnostics == b.diagnostics
    assert a.unknown_types == b.unknown_types and a.sources == b.sources
    assert a.build_indexes() == b.build_indexes()


@pytest.mark.parametrize("example", ["contoso", "contoso-flawed", "contoso-aks"])
def test_examples_restore_to_the_same_estate(example: str, tmp_path: Path) -> None:
    estate = load_estate([EXAMPLES / example])
    assert_same(estate, roundtrip(estate, tmp_path))


def test_restoring_materialises_only_what_is_asked_for(tmp_path: Path) -> None:
    estate = load_estate([EXAMPLES / "contoso"])
    restored = roundtrip(estate, tmp_path)
    cache = restored._by_id._cache  # type: ignore[attr-defined]
    assert cache == {}
    nic = estate.nics[0]
    config = nic.ip_configurations[0]
    assert restored.get(config.id) == config         # a child brings its parent
    assert {type(r).__name__ for r in cache.values()} == {"NetworkInterface", "IpConfiguration"}
    assert restored.get(nic.id.upper(), NetworkInterface) == nic
    assert len([r for r in cache.values() if isinstance(r, NetworkInterface)]) == 1
    assert restored.get("/subscriptions/none") is None and "/subscriptions/none" not in restored


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.data())
def test_the_engine_answers_the_same_on_a_restored_estate(tmp_path_factory, data: st.DataObject) -> None:
    estate, meta = data.draw(estates())
    restored = roundtrip(estate, tmp_path_factory.mktemp("snap"))
    assert_same(estate, restored)
    space = PacketSpace()
    before, after = Engine(estate, space=space), Engine(restored, space=space)
    for _ in range(5):
        _, raw = data.draw(packets(meta))
        packet = Packet(*raw).normalized()
        a, b = before.trace(packet), after.trace(packet)
        assert (a.verdict, [(h.kind, h.name, h.action, h.rule) for h in a.hops]) == \
            (b.verdict, [(h.kind, h.name, h.action, h.rule) for h in b.hops])


def test_cli_snapshot_then_every_command_takes_it(tmp_path: Path) -> None:
    snap = tmp_path / "flawed.nwsnap"
    result = runner.invoke(app, ["snapshot", str(EXAMPLES / "contoso-flawed"), "-o", str(snap)])
    assert result.exit_code == 0, result.output
    assert "resources" in result.output and snap.stat().st_size > 0
    for args in (["scan", "--format", "json"],
                 ["verify", "--intent", str(EXAMPLES / "contoso.intent.yaml"), "--format", "json"],
                 ["matrix", "--format", "json"],
                 ["reach", "--from", "internet", "--to", "vm-web01", "--port", "22", "--protocol", "tcp", "--format", "json"]):
        raw = runner.invoke(app, [args[0], str(EXAMPLES / "contoso-flawed"), *args[1:]])
        restored = runner.invoke(app, [args[0], str(snap), *args[1:]])
        assert raw.exit_code == restored.exit_code, (args, restored.output)
        assert json.loads(raw.stdout) == json.loads(restored.stdout), args


def _snap(tmp_path: Path) -> Path:
    path = tmp_path / "contoso.nwsnap"
    snapshot.write(load_estate([EXAMPLES / "contoso"]), path)
    return path


@pytest.mark.parametrize("damage, message", [
    (lambda data: snapshot.MAGIC + b"[1, 2]", "not a netwarden snapshot"),
    (lambda data: data[: len(data) // 2], "damaged snapshot"),
    (lambda data: data[:-40] + b"\x00" * 40, "damaged snapshot"),
    (lambda data: data[:-8] + (10**12).to_bytes(8, "little"), "damaged snapshot"),
])
def test_a_damaged_snapshot_is_a_located_input_error(damage, message, tmp_path: Path) -> None:
    bad = tmp_path / "bad.nwsnap"
    bad.write_bytes(damage(_snap(tmp_path).read_bytes()))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2, result.output
    assert str(bad) in result.output and message in result.output
    assert "Traceback" not in result.output


def test_a_snapshot_of_another_version_is_refused_with_the_reason(tmp_path: Path, monkeypatch) -> None:
    path = _snap(tmp_path)
    import netwarden

    monkeypatch.setattr(netwarden, "__version__", "0.0.0-other")
    with pytest.raises(snapshot.SnapshotError, match="create the snapshot again"):
        snapshot.read(path)


def test_a_snapshot_is_the_only_input(tmp_path: Path) -> None:
    path = _snap(tmp_path)
    with pytest.raises(IngestError, match="only input"):
        load_estate([path, EXAMPLES / "contoso"])


def test_a_snapshot_older_than_its_inputs_warns(tmp_path: Path) -> None:
    inputs = tmp_path / "estate"
    shutil.copytree(EXAMPLES / "contoso", inputs)
    snap = tmp_path / "estate.nwsnap"
    assert runner.invoke(app, ["snapshot", str(inputs), "-o", str(snap)]).exit_code == 0
    assert not [d for d in load_estate([snap]).diagnostics if d.code == "stale-snapshot"]
    changed = sorted(inputs.glob("*.json"))[0]
    changed.write_text(changed.read_text() + "\n")
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    stale = [d for d in load_estate([snap]).diagnostics if d.code == "stale-snapshot"]
    assert len(stale) == 1 and str(changed) in stale[0].message


def test_every_index_is_stored() -> None:
    """A snapshot stores each relation index the estate defines (a new one is not forgotten)."""
    estate = load_estate([EXAMPLES / "contoso"])
    assert set(estate.build_indexes()) == set(INDEXES)


def test_trace_of_one_packet_is_the_same(tmp_path: Path) -> None:
    estate = load_estate([EXAMPLES / "contoso"])
    restored = roundtrip(estate, tmp_path)
    nic = estate.nics[0].ip_configurations[0].private_ip
    assert nic is not None
    packet = Packet(nic.first, (10 << 24) + 5, 6, 40000, 443)
    assert Engine(estate).trace(packet).verdict == Engine(restored).trace(packet).verdict
