"""The HTML report without a browser: one self-contained file, safe with hostile names,
the sections of scan / verify / diff, the matrix equal to `netwarden matrix`, and size and
speed on the medium benchmark estate."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from report_helpers import CLEAN, FLAWED, INTENT, NASTY, html_report, run

from netwarden.checks.scan import scan, select
from netwarden.engine import Engine
from netwarden.ingest import load_estate
from netwarden.intent.matrix import matrix
from netwarden.intent.parse import load_intent
from netwarden.report.html import (
    Mark,
    Overview,
    Section,
    internet_exposure,
    matrix_view,
    render_report,
    scan_report,
)
from netwarden.report.html.safe import json_for_script


class _Page(HTMLParser):
    """Everything a reader (or a script) could meet: elements, attributes, text, scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs)
            self.scripts.append((self._script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            attrs, body = self.scripts[-1]
            self.scripts[-1] = (attrs, body + data)
        else:
            self.text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def data_block(html: str, section: str) -> Any:
    page = parse(html)
    for attrs, body in page.scripts:
        if attrs.get("id") == f"data-{section}":
            assert attrs.get("type") == "application/json"
            return json.loads(body)
    raise AssertionError(f"no data block for {section}")


def assert_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<html") == 1 and html.rstrip().endswith("</html>")
    assert "http://" not in html and "https://" not in html and "//:" not in html
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img", "base", "form"), tag
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                assert name == "href" and (value or "").startswith("#"), (tag, name, value)
            assert not name.startswith("on"), (tag, name)
    assert "@import" not in html and "url(" not in html
    # the CSP allows exactly the inline scripts and the style, and no network at all
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") ==
               "Content-Security-Policy")
    assert csp is not None and "default-src 'none'" in csp and "unsafe-inline" not in csp
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/json":
            continue
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp


# -- scan -----------------------------------------------------------------------------------------

def test_scan_report_is_one_self_contained_file(flawed_report: Path) -> None:
    html = flawed_report.read_text(encoding="utf-8")
    assert_self_contained(html)
    for section in ("overview", "findings", "matrix"):
        assert f'<section class="section" id="{section}"' in html
    assert '<svg class="diagram"' in html
    assert 'class="matrix"' in html


def test_findings_data_matches_the_json_summary(flawed_report: Path, flawed_summary: dict[str, Any]) -> None:
    html = flawed_report.read_text(encoding="utf-8")
    data = data_block(html, "findings")
    items = data["items"]
    assert len(items) == flawed_summary["total"] > 0
    by_severity = {s: sum(1 for f in items if f["s"] == s) for s in data["severities"]}
    assert by_severity == flawed_summary["by_severity"]
    assert f'data-total="{flawed_summary["total"]}"' in html
    edge = next(f for f in items if f["c"] == "EDGE001")
    assert edge["w"].startswith("tcp ") and edge["p"][0][0] == "public-ip"      # witness, path
    assert data["checks"]["EDGE001"]["remediation"]
    # every finding is placed on the diagram (its node and ancestors) for the node filter
    assert all(f.get("n") for f in items), [f["r"] for f in items if not f.get("n")]


def test_overview_marks_exposure_and_findings() -> None:
    estate = load_estate([FLAWED])
    engine = Engine(estate)
    result = scan(estate, engine, select())
    marks = [Mark(f.resource.id, str(f.severity), f.check) for f in result.findings]
    ov = Overview(estate, internet_exposure(engine), marks)
    assert ov.detailed
    chips = {c["name"]: c for c in ov.chips}
    assert " exposed" in chips["vm-jump01"]["cls"] and chips["vm-jump01"]["badge"]
    assert chips["vm-jump01"]["badge"]["cls"] == "sev-critical"
    assert " fronted" in chips["vm-web01"]["cls"]          # only through the application gateway
    assert " entry" in chips["agw-contoso-prod"]["cls"]
    assert "exposed" not in chips["vm-app01"]["cls"]
    frames = {f["name"]: f for f in ov.frames}
    assert "hub" in frames["vnet-hub"]["cls"]
    assert frames["vnet-spoke-prod"]["badge"]               # findings inside the VNet
    assert any(line["cls"].startswith("peering") for line in ov.lines)
    assert any(line["cls"] == "exposed" and "internet" in line["ends"] for line in ov.lines)
    vm = next(v for v in estate.of(type(estate.vm_of(estate.nics[0]))) if v.name == "vm-jump01")
    nodes = ov.nodes_for(vm.id)
    assert [ov.names[n] for n in nodes] == ["vm-jump01", "snet-app", "vnet-spoke-prod"]
    assert ov.unplaced == 0


def test_hostile_names_are_escaped(nasty_report: Path) -> None:
    raw = nasty_report.read_text(encoding="utf-8")
    assert_self_contained(raw)
    for name in NASTY.values():
        if "<" in name or '"' in name:
            assert name not in raw, name
    assert NASTY["snet-web"] in raw                          # Unicode as UTF-8, not mangled
    page = parse(raw)
    # nothing but the report's own tags: no injected script, img, svg or b element
    assert [t for t, _ in page.tags if t in ("img", "b")] == []
    assert len(page.scripts) == raw.count("</script>") == 3  # code + findings + matrix data
    text = "".join(page.text)
    for key in ("vm-jump01", "nsg-app", "snet-web", "pip-vm-jump01"):
        assert NASTY[key] in text, key                       # shown literally (diagram titles)
    # the data for the scripts round-trips exactly, and contains no markup characters
    for attrs, body in page.scripts:
        if attrs.get("type") == "application/json":
            assert "<" not in body and ">" not in body and "&" not in body
            assert "\u2028" not in body
    items = data_block(raw, "findings")["items"]
    names = {f["r"] for f in items}
    assert NASTY["vm-jump01"] in names
    hops = {h[1] for f in items for h in f.get("p", [])} | {h[2] for f in items for h in f.get("p", [])}
    assert NASTY["nsg-app"] in hops
    labels = json.dumps(data_block(raw, "matrix"), ensure_ascii=False)
    assert NASTY["snet-web"] in labels


def test_json_for_script_cannot_close_the_block() -> None:
    text = str(json_for_script({"a": "</script><!-- & \u2028", "b": ["<b>"]}))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028", "b": ["<b>"]}


def test_default_output_is_report_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("scan", str(FLAWED), "--format", "html")
    assert code == 1                                         # exit codes as for every format
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert "report.html" in err
    code, _, _ = run("scan", str(CLEAN), "--format", "html", "-o", "clean.html")
    assert code == 0 and (tmp_path / "clean.html").is_file()


# -- verify and diff --------------------------------------------------------------------------------

def test_verify_report(tmp_path: Path) -> None:
    path = html_report(tmp_path, "verify", str(FLAWED), "--intent", str(INTENT))
    html = path.read_text(encoding="utf-8")
    assert_self_contained(html)
    for section in ("verify", "matrix", "overview"):
        assert f'id="{section}"' in html
    _, out, _ = run("verify", str(FLAWED), "--intent", str(INTENT), "--format", "json")
    excess = json.loads(out)["summary"]["excess"]
    assert f"Excess flows <span class=\"muted\">({excess})</span>" in html
    cells = data_block(html, "matrix")["cells"]
    assert sum("excess" in c["m"] for c in cells) > 0 and any("intended" in c["m"] for c in cells)
    clean = html_report(tmp_path, "verify", str(CLEAN), "--intent", str(INTENT), name="clean.html")
    assert "CLEAN: the network enforces the intent" in clean.read_text(encoding="utf-8")


def test_diff_report_puts_internet_exposure_first(tmp_path: Path) -> None:
    out = tmp_path / "diff.html"
    code, _, err = run("diff", str(CLEAN), str(FLAWED), "--format", "html", "-o", str(out),
                       "--fail-on-new-exposure")
    assert code == 1, err
    html = out.read_text(encoding="utf-8")
    assert_self_contained(html)
    for section in ("changes", "resources", "overview"):
        assert f'id="{section}"' in html
    data = json.loads(run("diff", str(CLEAN), str(FLAWED), "--format", "json")[1])
    exposed = [c for c in data["newly_allowed"] if c["from"] == "internet"]
    assert exposed
    first = html.index("Newly exposed to the internet")
    assert first < html.index(">Newly allowed <") < html.index(">Newly denied <")
    assert html.count('class="item kind-newly-allowed internet"') == len(exposed)
    summary = data["summary"]
    assert f"Added <span class=\"muted\">({summary['added']})</span>" in html
    assert f"Changed <span class=\"muted\">({summary['changed']})</span>" in html


# -- matrix ---------------------------------------------------------------------------------------

def _cells(m: Any) -> dict[tuple[str, str], tuple[Any, Any, list[str]]]:
    return {k: (c.allowed, c.queried, c.marks) for k, c in m.cells.items()}


def test_matrix_view_equals_matrix_whole_and_capped() -> None:
    engine = Engine(load_estate([FLAWED]))
    full = matrix(engine, "subnet")
    view = matrix_view(engine, "subnet")
    assert not view.capped and _cells(view.matrix) == _cells(full)
    assert all(view.paths[k] for k, c in full.cells.items() if c.allowed)
    capped = matrix_view(engine, "subnet", limit=6, rank={"snet-app": 5, "snet-web": 4})
    assert capped.capped and capped.notes
    assert capped.matrix.groups[:1] == ["internet"] and {"snet-app", "snet-web"} <= set(capped.matrix.groups)
    assert len(capped.matrix.groups) == 6
    for key, cell in capped.matrix.cells.items():
        assert (cell.allowed, cell.queried) == (full.cells[key].allowed, full.cells[key].queried), key
    # the witness path ends where the witness arrives
    path = capped.paths[("internet", "snet-app")]
    assert path[0].kind == "public-ip" and path[-1].action == "arrive"


def test_matrix_view_by_segment_with_intent() -> None:
    engine = Engine(load_estate([FLAWED]))
    intent = load_intent(INTENT)
    full = matrix(engine, "segment", intent)
    capped = matrix_view(engine, "segment", intent, limit=5)
    for key, cell in capped.matrix.cells.items():
        assert cell.marks == full.cells[key].marks, key


# -- extension and scale ----------------------------------------------------------------------------

class _Plugin(Section):
    id, title, template, component = "flows", "Flows", "flows", "flows"

    def context(self) -> dict[str, Any]:
        return {"rows": ["<i>x</i>"]}

    def data(self) -> Any:
        return {"top": ["</script>"]}


def test_a_new_section_plugs_in() -> None:
    script = "NW.components.flows = function (root, data) { root.dataset.n = data.top.length; };"
    html = render_report("flows", [_Plugin()], templates={"flows": "{% for r in rows %}<p>{{ r }}</p>{% endfor %}"},
                         scripts=[script])
    assert_self_contained(html)
    assert "<p>&lt;i&gt;x&lt;/i&gt;</p>" in html and script in html
    with pytest.raises(ValueError):
        render_report("x", [_Plugin()], templates={"flows": ""}, scripts=["a('</script>')"])
    bad = _Plugin()
    bad.id = "no spaces"
    with pytest.raises(ValueError):
        render_report("x", [bad], templates={"flows": ""})


def test_medium_estate_report_is_small_and_aggregated(medium_estate: Path, tmp_path: Path) -> None:
    estate = load_estate([medium_estate])
    engine = Engine(estate)
    result = scan(estate, engine, select())
    started = time.perf_counter()
    html = scan_report(result, engine, sources=[medium_estate])
    elapsed = time.perf_counter() - started
    size = len(html.encode("utf-8"))
    (tmp_path / "medium.html").write_text(html, encoding="utf-8")
    print(f"medium: {size / 1e6:.2f} MB, html in {elapsed:.2f} s")
    assert size < 20_000_000
    assert elapsed < 60
    assert_self_contained(html)
    assert "drawn aggregated" in html
    assert re.search(r"Showing \d+ of \d+ subnets", html)
    assert len(data_block(html, "findings")["items"]) == len(result.findings)
