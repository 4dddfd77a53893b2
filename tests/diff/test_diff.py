"""diff: named cases, the CLI, and the property that an estate compared with itself is
unchanged."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.diff.reach import diff
from netwarden.engine import PacketSpace
from netwarden.ingest import load_estate

ROOT = Path(__file__).resolve().parents[2]
CONTOSO, FLAWED = ROOT / "examples" / "contoso", ROOT / "examples" / "contoso-flawed"
runner = CliRunner()
SPACE = PacketSpace()


def test_contoso_to_flawed_reports_the_new_exposure() -> None:
    result = diff(load_estate([CONTOSO]), load_estate([FLAWED]), SPACE)
    exposed = result.new_internet_exposure
    assert exposed
    jump = [c for c in exposed if any(h.name == "pip-vm-jump01" for h in c.path)]
    assert jump and any(h.name == "nsg-app" for h in jump[0].cause)
    added = {r.name for r in result.resources.added}
    assert {"vm-jump01", "pip-vm-jump01", "snet-batch"} <= added


def test_one_rule_change(tmp_path: Path) -> None:
    after = tmp_path / "after"
    after.mkdir()
    for source in CONTOSO.glob("*.json"):
        (after / source.name).write_text(source.read_text())
    security = json.loads((after / "security.json").read_text())
    nsg = next(r for r in security if r["name"] == "nsg-app")
    rule = copy.deepcopy(nsg["properties"]["securityRules"][0])
    rule["name"] = "AllowSshFromWeb"
    rule["id"] = nsg["id"] + "/securityRules/AllowSshFromWeb"
    rule["properties"].update(priority=150, direction="Inbound", access="Allow", protocol="Tcp",
                              sourceAddressPrefix="10.1.1.0/24", sourceApplicationSecurityGroups=[],
                              destinationAddressPrefix="*", destinationApplicationSecurityGroups=[],
                              destinationPortRange="22", destinationPortRanges=[],
                              sourcePortRange="*", sourcePortRanges=[])
    nsg["properties"]["securityRules"].append(rule)
    (after / "security.json").write_text(json.dumps(security))
    result = diff(load_estate([CONTOSO]), load_estate([after]), SPACE)
    assert [(r.name) for _, r in result.resources.changed] == ["nsg-app"]
    gained = [c for c in result.changes if c.kind == "newly-allowed"]
    assert {(c.source, c.destination) for c in gained} == {("snet-web", "snet-app")}
    assert {b.render("dst_port") for c in gained for b in c.packets.boxes()} == {"22"}
    assert any(h.rule == "AllowSshFromWeb" for h in gained[0].cause)
    assert result.pairs_recomputed < result.pairs_total     # only what the change touches
    assert not result.new_internet_exposure


def test_cli_fail_on_new_exposure() -> None:
    result = runner.invoke(app, ["diff", str(CONTOSO), str(FLAWED), "--format", "json",
                                 "--fail-on-new-exposure"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"]["new_internet_exposure"] is True
    assert {"from", "to", "packets", "witness", "path", "changed_by"} <= set(data["newly_allowed"][0])
    same = runner.invoke(app, ["diff", str(CONTOSO), str(CONTOSO), "--fail-on-new-exposure"])
    assert same.exit_code == 0 and "reachability unchanged" in same.stdout


# diff(A, A) is empty for any estate
import sys

sys.path.insert(0, str(ROOT / "tests" / "engine"))
from estates import estates


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates())
def test_diff_of_an_estate_with_itself_is_empty(drawn) -> None:  # type: ignore[no-untyped-def]
    estate, _ = drawn
    result = diff(estate, estate, SPACE, incremental=False)
    assert not result.resources and result.changes == []
    assert result.pairs_recomputed == result.pairs_total > 0


def _intent_from_matrix(estate) -> str | None:  # type: ignore[no-untyped-def]
    """An intent with one segment per NIC and, per pair, exactly the flows the network
    allows; None when an allowed set is not expressible as protocol/port specs."""
    from netwarden.engine import Engine
    from netwarden.intent.matrix import matrix
    from netwarden.intent.parse import load_intent  # noqa: F401
    from netwarden.model.values import Prefix

    engine = Engine(estate, space=SPACE)
    holders = [h for h in engine.topology.holders if h.kind == "nic"]
    lines = ["segments:"]
    names = {}
    for index, holder in enumerate(holders):
        names[holder.address.first] = f"n{index}"
        lines.append(f"  n{index}: {{cidrs: [{Prefix.of_network(__import__('ipaddress').ip_network(holder.address.first))}]}}")
    flows = []
    intent_text = "\n".join(lines) + "\n"
    path = Path(__import__("tempfile").mkdtemp()) / "intent.yaml"
    path.write_text(intent_text)
    from netwarden.intent.parse import load_intent as parse

    grid = matrix(engine, "segment", parse(path))
    names_by_protocol = {6: "tcp", 17: "udp", 1: "icmp", 50: "esp", 51: "ah", 132: "sctp"}
    for (a, b), cell in grid.cells.items():
        if not cell.allowed:
            continue
        specs = []
        for box in cell.allowed.boxes():
            if box.is_full("protocol") and box.is_full("dst_port") and box.is_full("src_port"):
                specs.append("any")
                continue
            if not box.is_full("src_port"):
                return None
            for lo, hi in box.protocol:
                for number in range(lo, hi + 1):
                    name = names_by_protocol.get(number)
                    if name is None:
                        return None
                    if name in ("tcp", "udp", "sctp") and not box.is_full("dst_port"):
                        specs += [f"{name}/{p_lo}-{p_hi}" for p_lo, p_hi in box.dst_port]
                    else:
                        specs.append(name)
        flows.append(f"  - {{from: {a}, to: {b}, ports: [{', '.join(dict.fromkeys(specs))}]}}")
    text = intent_text + ("flows:\n" + "\n".join(flows) + "\n" if flows else "")
    # expressible only if the specs describe each cell exactly (every source and
    # destination address of the two segments, no source-port condition)
    from netwarden.intent.resolve import resolve_segments
    from netwarden.intent.verify import flow_space

    path.write_text(text)
    intent = parse(path)
    segments = resolve_segments(engine, intent)
    for (a, b), cell in grid.cells.items():
        wanted = SPACE.none()
        for flow in intent.flows:
            if (flow.source, flow.destination) == (a, b):
                wanted |= flow_space(engine, flow, segments[a], segments[b])
        if wanted != cell.allowed:
            return None
    return text


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(estates(max_vnets=2, max_rules=5))
def test_an_intent_generated_from_the_matrix_verifies_clean(drawn) -> None:  # type: ignore[no-untyped-def]
    from hypothesis import assume

    from netwarden.engine import Engine
    from netwarden.intent.parse import load_intent
    from netwarden.intent.verify import verify

    estate, _ = drawn
    text = _intent_from_matrix(estate)
    assume(text is not None)
    path = Path(__import__("tempfile").mkdtemp()) / "intent.yaml"
    path.write_text(text)
    result = verify(Engine(estate, space=SPACE), load_intent(path))
    assert result.clean, [(v.kind, v.source, v.destination, str(v.packets)) for v in
                          (*result.excess, *result.missing)][:3]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(max_vnets=3, max_rules=6))
def test_single_walk_matrix_equals_pairwise_on_random_estates(drawn) -> None:  # type: ignore[no-untyped-def]
    from netwarden.engine import Engine
    from netwarden.intent.matrix import matrix, pairwise

    estate, _ = drawn
    engine = Engine(estate, space=SPACE)
    fast, slow = matrix(engine, "subnet"), pairwise(engine, "subnet")
    assert {k: str(c.allowed) for k, c in fast.cells.items() if c.allowed != slow.cells[k].allowed} == {}
