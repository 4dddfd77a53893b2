"""Intent files: the documented format parses; every mistake is located by line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.ingest import IngestError
from netwarden.intent.model import PortSpec
from netwarden.intent.parse import load_intent

ROOT = Path(__file__).resolve().parents[2]


def test_the_contoso_intent_parses() -> None:
    intent = load_intent(ROOT / "examples" / "contoso.intent.yaml")
    assert {"internet", "onprem", "web", "app", "sql", "dc"} <= set(intent.segments)
    flow = next(f for f in intent.flows if f.source == "app" and f.destination == "sql")
    assert [str(p) for p in flow.ports] == ["tcp/1433"] and flow.via == "afw-contoso-hub"
    assert flow.location is not None and flow.location.line is not None


def test_the_design_example_parses(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text("""segments:
  web:  {subnets: [snet-web]}
  app:  {subnets: [snet-app], asgs: [asg-app]}
  data: {cidrs: [10.1.3.0/24]}
  ops:  {tags: {tier: ops}}
flows:
  - {from: internet, to: web, ports: [tcp/443]}
  - {from: web, to: app, ports: [tcp/8080]}
  - {from: app, to: data, ports: [tcp/1433], via: afw-hub}
""")
    intent = load_intent(path)
    assert dict(intent.segments["ops"].tags) == {"tier": "ops"}
    assert len(intent.flows) == 3


@pytest.mark.parametrize("text, expected", [
    pytest.param("segments:\n  web: {subnets: [a]}\nflows:\n  - {from: web, to: nope}\n",
                 ":4: column 21: unknown segment 'nope'", id="unknown segment"),
    pytest.param("segments:\n  web: {subnetz: [a]}\n", ":2: column 9: unknown selector 'subnetz'",
                 id="unknown selector"),
    pytest.param("segments:\n  web: {cidrs: [10.0.0.0/33]}\n", ":2: column 17: '10.0.0.0/33' is not a CIDR",
                 id="bad cidr"),
    pytest.param("segments:\n  web: {subnets: [a]}\nflows:\n  - {from: internet, to: web, ports: [tcp/99999]}\n",
                 ":4: column 39: '99999' is not a valid port range", id="bad port"),
    pytest.param("segments:\n  web: {subnets: [a]}\nflows:\n  - {from: internet, to: web, ports: [gre]}\n",
                 "expected tcp/N, udp/N-M, sctp/N, icmp, esp, ah or any", id="bad protocol"),
    pytest.param("segments:\n  internet: {cidrs: [1.0.0.0/8]}\n", "'internet' is a built-in segment",
                 id="builtin redefined"),
    pytest.param("segments: [\n", "invalid YAML", id="invalid yaml"),
    pytest.param("", "the intent is empty", id="empty"),
    pytest.param("segments:\n  web: {subnets: [a]}\nflows:\n  - {from: web, to: web}\n",
                 "from a segment to itself", id="self flow"),
    pytest.param("segment: {}\n", ":1: column 1: unknown key 'segment'", id="top-level typo"),
])
def test_mistakes_are_located(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text(text)
    with pytest.raises(IngestError) as caught:
        load_intent(path)
    assert str(caught.value).startswith(str(path))
    assert expected in str(caught.value)


def test_cli_exit_2_with_the_location(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text("segments:\n  web: {subnets: [snet-web]}\nflows:\n  - {from: web, to: nope}\n")
    result = CliRunner().invoke(app, ["verify", str(ROOT / "examples" / "contoso"), "--intent", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4: column 21: unknown segment 'nope'" in result.output
    assert "Traceback" not in result.output


def test_segment_naming_nothing_in_the_estate_is_located(tmp_path: Path) -> None:
    path = tmp_path / "intent.yaml"
    path.write_text("segments:\n  web: {subnets: [snet-nowhere]}\n")
    result = CliRunner().invoke(app, ["verify", str(ROOT / "examples" / "contoso"), "--intent", str(path)])
    assert result.exit_code == 2
    assert "segment 'web': no Subnet named 'snet-nowhere'" in result.output


@pytest.mark.parametrize("text, protocol, ports", [
    ("tcp/443", 6, (443, 443)), ("udp/500-4500", 17, (500, 4500)), ("icmp", 1, None),
    ("any", None, None), ("TCP/22", 6, (22, 22)), ("sctp/5701", 132, (5701, 5701)),
])
def test_port_specs(text: str, protocol: int | None, ports: tuple[int, int] | None) -> None:
    spec = PortSpec.parse(text)
    assert spec.protocol == protocol
    assert (None if spec.ports is None else (spec.ports.lo, spec.ports.hi)) == ports


def test_the_shipped_json_schema_accepts_the_examples_and_rejects_typos() -> None:
    import json
    from importlib import resources

    import jsonschema
    import yaml

    schema = json.loads(resources.files("netwarden.intent").joinpath("schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    document = yaml.safe_load((ROOT / "examples" / "contoso.intent.yaml").read_text())
    assert list(validator.iter_errors(document)) == []
    assert list(validator.iter_errors({"segments": {"web": {"subnetz": ["a"]}}}))
    assert list(validator.iter_errors({"flows": [{"from": "a", "to": "b", "ports": ["gre/1"]}]}))
