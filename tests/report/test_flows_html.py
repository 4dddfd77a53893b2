"""``netwarden flows analyze --format html``: one self-contained file, no URL, every section,
the numbers of ``--format json`` on the corpus sample, hostile log paths and rule names
escaped, the intent's violations highlighted; and in Chromium: no console error, the chart."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from netwarden.flows.cli import flows_app
from netwarden.flows.generate import Spec, estate_resources, generate

SAMPLE = Path("/work/shared/corpus/flowlogs/nsg-v2-sample.json")
if not SAMPLE.is_file():
    SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "flowlogs" / "nsg-v2-sample.json"
HOSTILE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(flows_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def data_block(page: str, section: str) -> Any:
    match = re.search(rf'<script type="application/json" id="data-{section}">(.*?)</script>', page, re.DOTALL)
    assert match
    return json.loads(match[1])


def cards(page: str) -> dict[str, str]:
    return dict(re.findall(r'class="card [^"]*" data-key="([^"]+)" data-value="([^"]*)"', page))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} is absent")
    tmp = tmp_path_factory.mktemp("flowshtml")
    out = tmp / "flows.html"
    code, _, err = invoke("analyze", str(SAMPLE), "--format", "html", "-o", str(out),
                          "--store", str(tmp / "s1"))
    assert code == 0 and out.is_file(), err
    code, text, _ = invoke("analyze", str(SAMPLE), "--format", "json", "--store", str(tmp / "s2"))
    assert code == 0
    return out.read_text(encoding="utf-8"), json.loads(text)


def test_one_file_without_urls(sample: tuple[str, dict[str, Any]]) -> None:
    page, _ = sample
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"https?://", page, re.IGNORECASE)
    assert not re.search(r"<(link|iframe|img|object|embed)\b", page, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\bsrc=", page, re.IGNORECASE)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp and "default-src 'none'" in html_lib.unescape(csp[1]) and "unsafe" not in csp[1]
    assert ' style="' not in page          # the CSP forbids inline styles: SVG attributes only


def test_sections_present(sample: tuple[str, dict[str, Any]]) -> None:
    page, _ = sample
    for section in ("traffic", "talkers", "internet", "anomalies"):
        assert f'<section class="section" id="{section}"' in page
    assert 'id="intent"' not in page      # no intent given
    for marker in ('id="flows-over-time"', 'class="grid top-talkers"', 'class="grid top-denied"',
                   'class="grid internet-by-port"', "Malformed input", "Internet to management ports"):
        assert marker in page
    assert page.count('class="flows-chart bar-chart"') >= 2


def test_numbers_equal_the_json(sample: tuple[str, dict[str, Any]]) -> None:
    page, data = sample
    s = data["summary"]
    got = cards(page)
    for key in ("tuples_in_window", "flows", "allowed", "denied", "bytes", "packets"):
        assert got[key] == str(s[key]), key
    assert got["malformed"] == str(data["malformed"]["total"])
    for r in data["malformed"]["by_reason"]:
        assert got[f"malformed:{r['reason']}"] == str(r["count"])
    embedded = data_block(page, "traffic")
    assert embedded["analysis"] == data
    # the time series adds up to the tuples in the window, allowed and denied alike
    buckets = embedded["series"]["buckets"]
    assert buckets and sum(b["tuples"] for b in buckets) == s["tuples_in_window"]
    assert sum(b["allowed"] for b in buckets) == s["allowed"]
    assert sum(b["denied"] for b in buckets) == s["denied"]
    columns = re.findall(r'class="column" data-tuples="(\d+)" data-allowed="(\d+)" data-denied="(\d+)"', page)
    assert len(columns) == len(buckets)
    assert sum(int(a) for _, a, _ in columns) == s["allowed"]
    assert sum(int(d) for _, _, d in columns) == s["denied"]
    # the tables hold the rankings, row for row
    talkers = re.search(r'class="grid top-talkers">(.*?)</table>', page, re.DOTALL)
    assert talkers
    rows = re.findall(r"<tr><td><code>([^<]+)</code></td>" + r'<td class="num">(\d+)</td>' * 5, talkers[1])
    assert [(t["src_ip"], t["tuples"], t["allowed"], t["denied"], t["bytes"], t["peers"])
            for t in data["top_talkers"]] == [(r[0], *map(int, r[1:])) for r in rows]
    denied = re.search(r'class="grid top-denied">(.*?)</table>', page, re.DOTALL)
    assert denied and denied[1].count("<tr>") - 1 == len(data["top_denied"])
    assert sum(int(n) for n in re.findall(r'</code></td><td class="num">(\d+)</td><td>20', denied[1])) == \
        sum(d["tuples"] for d in data["top_denied"])


def test_hostile_path_and_rule_name_are_escaped(tmp_path: Path) -> None:
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} is absent")
    text = SAMPLE.read_text(encoding="utf-8").replace("DefaultRule_DenyAllInBound",
                                                      json.dumps(HOSTILE)[1:-1])
    logs = tmp_path / HOSTILE.replace("/", "_")
    logs.mkdir()
    (logs / f"{HOSTILE.replace('/', '_')}.json").write_text(text, encoding="utf-8")
    out = tmp_path / "hostile.html"
    code, _, err = invoke("analyze", str(logs), "--format", "html", "-o", str(out),
                          "--store", str(tmp_path / "s"))
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "<img" not in page and "alert(2)</script>" not in page and "<script>alert" not in page
    assert str(escape(HOSTILE.replace("/", "_"))) in page          # the directory, as text
    assert str(escape(HOSTILE)) in page                            # the rule, as text
    assert page.count("<script") == page.count("</script>")


def test_default_output_is_report_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not SAMPLE.is_file():
        pytest.skip(f"{SAMPLE} is absent")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke("analyze", str(SAMPLE), "--format", "html", "--store", str(tmp_path / "s"))
    assert code == 0 and out == ""
    assert (tmp_path / "report.html").is_file() and "report.html" in err


def test_intent_violations_highlighted(tmp_path: Path) -> None:
    pytest.importorskip("netwarden.intent.parse")
    spec = Spec(files=3, records_per_file=2, groups_per_record=2, tuples_per_group=30, seed=5)
    generate(tmp_path / "logs", spec)
    estate = tmp_path / "estate.json"
    estate.write_text(json.dumps(estate_resources(spec)))
    intent = tmp_path / "intent.yaml"
    intent.write_text(
        "segments:\n"
        "  s0: {subnets: [snet0]}\n  s1: {subnets: [snet1]}\n  s2: {subnets: [snet2]}\n"
        "flows:\n"
        "  - {from: internet, to: s0, ports: [tcp/443, tcp/22]}\n"
        "  - {from: internet, to: s1, ports: [tcp/443]}\n"
        "  - {from: internet, to: s2, ports: [tcp/443]}\n")
    common = ["--estate", str(estate), "--intent", str(intent)]
    out = tmp_path / "intent.html"
    code, _, err = invoke("analyze", str(tmp_path / "logs"), *common, "--format", "html", "-o", str(out),
                          "--store", str(tmp_path / "s1"))
    assert code == 1 and out.is_file(), err
    _, text, _ = invoke("analyze", str(tmp_path / "logs"), *common, "--format", "json",
                        "--store", str(tmp_path / "s2"))
    data = json.loads(text)
    page = out.read_text(encoding="utf-8")
    assert '<section class="section" id="intent"' in page and '<section class="section" id="estate"' in page
    for kind, key in (("violations", "violations"), ("blocked-required", "blocked_required")):
        if not data[key]:
            continue
        table = re.search(rf'class="grid {kind}">(.*?)</table>', page, re.DOTALL)
        assert table
        assert table[1].count('<tr class="exposed">') == len(data[key])
    assert data["violations"] and 'class="verdict bad"' in page


# --- in a browser ------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is absent (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def test_in_chromium(browser: Any, sample: tuple[str, dict[str, Any]], tmp_path: Path) -> None:
    page_text, data = sample
    path = tmp_path / "flows.html"
    path.write_text(page_text, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog {d.message}"), d.dismiss()))

    def route(r: Any) -> None:
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("() => document.documentElement.classList.contains('js')")
    assert page.is_visible("section#traffic svg#flows-over-time")
    assert page.locator("svg#flows-over-time g.column rect").count() > 0
    box = page.locator("svg#flows-over-time").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 100
    page.click('.tabs a[data-tab="talkers"]')
    assert page.is_visible("section#talkers svg.bar-chart")
    assert page.locator("section#talkers table.top-talkers tbody tr").count() == len(data["top_talkers"])
    assert errors == [] and outside == []
    page.close()
