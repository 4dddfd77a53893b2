"""verify reads what arrives off one composed walk of all segments (``Fanout.rows``):
it must report the same excess, missing and bypass packets per segment pair as the
pairwise reach it replaces (kept here as the reference)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import Params, generate, intent, write
from netwarden.engine import Engine, Service
from netwarden.ingest import load_estate
from netwarden.intent.parse import load_intent
from netwarden.intent.resolve import resolve_segments
from netwarden.intent.verify import VerifyResult, _compare, verify

ROOT = Path(__file__).resolve().parents[2]
CONTOSO, FLAWED = ROOT / "examples" / "contoso", ROOT / "examples" / "contoso-flawed"
INTENT = ROOT / "examples" / "contoso.intent.yaml"
VIA = """segments:
  web: {subnets: [snet-web]}
  app: {subnets: [snet-app]}
flows:
  - {from: web, to: internet, ports: [tcp/443, udp/123], via: afw-contoso-hub}
  - {from: web, to: app, ports: [tcp/8080, tcp/22], via: afw-contoso-hub}
"""


def pairwise_verify(engine: Engine, intent) -> VerifyResult:  # type: ignore[no-untyped-def]
    """The verify before composition: one ``Engine.reach`` per segment pair."""
    segments = resolve_segments(engine, intent)
    result = VerifyResult(intent, segments)
    names = [n for n, e in segments.items() if e.holders or e.prefixes or e.kind == "internet"]
    for a in names:
        if segments[a].kind == "onprem" and not segments[a].prefixes:
            continue
        for b in names:
            if a == b or (segments[b].kind == "onprem" and not segments[b].prefixes):
                continue
            reach = engine.reach(segments[a], segments[b], Service())
            result.checked_pairs += 1
            flows = [f for f in intent.flows if f.source == a and f.destination == b]
            _compare(engine, result, a, b, reach, flows)
    return result


def per_pair(engine: Engine, result: VerifyResult) -> dict[tuple[str, str, str, str], object]:
    found: dict[tuple[str, str, str, str], object] = {}
    for kind in ("excess", "missing", "bypass"):
        for v in getattr(result, kind):
            key = (kind, v.source, v.destination, str(v.flow) if kind != "excess" else "")
            found[key] = found.get(key, engine.space.none()) | v.packets
    return found


def assert_same(engine: Engine, intent) -> VerifyResult:  # type: ignore[no-untyped-def]
    new, old = verify(engine, intent), pairwise_verify(engine, intent)
    assert new.checked_pairs == old.checked_pairs
    got, want = per_pair(engine, new), per_pair(engine, old)
    assert got.keys() == want.keys()
    assert all(got[k] == want[k] for k in want), [k for k in want if got[k] != want[k]]
    for v in new.excess + new.bypass:   # evidence: a path that arrives
        assert v.path and v.path[-1].action in ("arrive", "allow", "forward", "translate"), v.path
    return new


def test_examples_report_what_pairwise_reach_reports(tmp_path: Path) -> None:
    via = tmp_path / "via.yaml"
    via.write_text(VIA)
    for where in (CONTOSO, FLAWED):
        engine = Engine(load_estate([where]))
        assert_same(engine, load_intent(INTENT))
        assert_same(engine, load_intent(via))


@st.composite
def hub_and_spoke(draw: st.DrawFn) -> Params:
    spokes = draw(st.integers(1, 3))
    return Params(spokes=spokes, subnets=draw(st.integers(spokes, 6)),
                  nics_per_subnet=draw(st.integers(1, 3)), nsg_rules=draw(st.integers(2, 10)),
                  fw_rules=draw(st.integers(2, 30)), public_ip_share=draw(st.sampled_from([0.0, 0.3])),
                  private_endpoints=draw(st.integers(0, 2)), key_vaults=0, traps=False,
                  flow_logs=False, vms=False, app_gateway=draw(st.booleans()))


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(params=hub_and_spoke(), seed=st.integers(1, 10_000))
def test_generated_estates_report_what_pairwise_reach_reports(params: Params, seed: int,
                                                              tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    where = tmp_path_factory.mktemp("estate")
    resources = generate(params, seed)
    write(resources, where / "estate")
    path = where / "intent.yaml"
    path.write_text(intent(resources))
    assert_same(Engine(load_estate([where / "estate"])), load_intent(path))
