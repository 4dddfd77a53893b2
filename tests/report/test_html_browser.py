"""The HTML report in a real browser: headless Chromium (Debian's `chromium` package) driven
by Playwright. No console errors, no request leaving the page, the findings count equal to
`scan --format json`, filters that change it correctly, hostile names shown as text and
never run, and the big report opening fast.

Skips (with the reason) only when /usr/bin/chromium or the playwright package is missing;
CI installs both (`.ci/run`)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_helpers import CLEAN, FLAWED, INTENT, NASTY, html_report, run

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium)", allow_module_level=True)
try:
    from playwright.sync_api import Browser, Page, Route, sync_playwright
except ImportError:
    pytest.skip("the playwright package is absent (pip install -e '.[test]')", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Watch:
    """A page with everything that would be a failure recorded: console errors, uncaught
    exceptions, dialogs (an alert() that ran), requests to anything but file: and data:."""

    def __init__(self, browser: Browser) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.route("**/*", self._route)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, path: Path, tab: str = "") -> float:
        started = time.perf_counter()
        self.page.goto(path.resolve().as_uri() + (f"#{tab}" if tab else ""), wait_until="load")
        self.page.wait_for_function("() => document.documentElement.classList.contains('js')")
        return time.perf_counter() - started

    def tab(self, name: str) -> None:
        self.page.click(f'.tabs a[data-tab="{name}"]')
        assert self.page.is_visible(f"section#{name}")

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        assert self.outside == [], self.outside
        self.page.close()


def count(page: Page) -> int:
    return int(page.inner_text("#findings [data-role=count]"))


def test_flawed_report(browser: Browser, flawed_report: Path, flawed_summary: dict[str, Any],
                       tmp_path: Path) -> None:
    w = Watch(browser)
    seconds = w.open(flawed_report)
    page = w.page
    assert page.is_visible("section#overview svg.diagram")
    page.screenshot(path=str(tmp_path / "overview.png"))
    # hovering a VNet lights its peering and dims the rest
    page.hover('section#overview g.vnet[data-label="vnet-hub"] > rect.frame', position={"x": 30, "y": 10})
    assert page.evaluate("document.querySelector('svg.diagram').classList.contains('focusing')")
    assert page.locator("svg.diagram path.line.peering.hl").count() == 1
    page.mouse.move(5, 5)
    w.tab("findings")
    total = flawed_summary["total"]
    by_severity = flawed_summary["by_severity"]
    assert count(page) == total
    assert page.locator("#findings article.finding").count() == min(total, 50)
    # severity checkboxes: the count follows, and only the checked severities are listed
    page.uncheck('#findings input[data-role=sev][value="critical"]')
    assert count(page) == total - by_severity["critical"]
    assert page.locator("#findings article.finding.sev-critical").count() == 0
    page.uncheck('#findings input[data-role=sev][value="high"]')
    assert count(page) == total - by_severity["critical"] - by_severity["high"]
    page.check('#findings input[data-role=sev][value="critical"]')
    page.check('#findings input[data-role=sev][value="high"]')
    assert count(page) == total
    # check and area selects, free text
    page.select_option("#findings select[data-role=check]", "EDGE001")
    assert count(page) == flawed_summary["by_check"]["EDGE001"]
    page.select_option("#findings select[data-role=check]", "")
    page.select_option("#findings select[data-role=area]", "MON")
    assert count(page) == sum(n for c, n in flawed_summary["by_check"].items() if c.startswith("MON"))
    page.select_option("#findings select[data-role=area]", "")
    page.fill("#findings input[data-role=search]", "vm-legacy")
    page.wait_for_function("t => document.querySelector('#findings [data-role=count]').textContent !== t",
                           arg=str(total))
    found = count(page)
    assert 0 < found < total
    texts = page.locator("#findings article.finding").all_inner_texts()
    assert len(texts) == found and all("vm-legacy" in t for t in texts)
    page.fill("#findings input[data-role=search]", "")
    page.wait_for_function("t => document.querySelector('#findings [data-role=count]').textContent === t",
                           arg=str(total))
    # a finding shows its chain of hops, witness and remediation
    first = page.locator("#findings article.finding").first
    assert first.locator("ol.chain li.hop").count() >= 2
    assert "WITNESS" in first.inner_text().upper() and "REMEDIATION" in first.inner_text().upper()
    page.screenshot(path=str(tmp_path / "findings.png"))
    # clicking a marked resource on the diagram filters the findings to it
    w.tab("overview")
    page.click('section#overview g.chip[data-label="vm-jump01"]')
    assert page.is_visible("section#findings")
    assert page.inner_text("#findings [data-role=focus-label]") == "in vm-jump01"
    focused = count(page)
    assert 0 < focused < total
    assert all("vm-jump01" in t for t in page.locator("#findings article.finding").all_inner_texts())
    page.click("#findings [data-role=focus-clear]")
    assert count(page) == total
    # the matrix: a cell shows what arrives, a witness and its path
    w.tab("matrix")
    page.click("#matrix td.cell.m-all >> nth=0")
    detail = page.inner_text("#matrix [data-role=detail]")
    assert "→" in detail and "WITNESS" in detail.upper()
    assert page.locator("#matrix [data-role=detail] li.hop").count() >= 1
    page.screenshot(path=str(tmp_path / "matrix.png"))
    print(f"contoso-flawed: loaded in {seconds:.2f} s; screenshots in {tmp_path}")
    w.clean()


def test_hostile_names_never_run(browser: Browser, nasty_report: Path) -> None:
    w = Watch(browser)
    w.open(nasty_report)
    page = w.page
    for tab in ("findings", "matrix", "overview"):
        w.tab(tab)
    w.tab("findings")
    # nothing was injected: no img, no element with an inline handler, only the report's scripts
    assert page.evaluate("document.querySelectorAll('img, b, iframe').length") == 0
    assert page.evaluate("[...document.querySelectorAll('*')].filter(e => [...e.attributes]"
                         ".some(a => a.name.startsWith('on'))).length") == 0
    assert page.evaluate("document.scripts.length") == 3
    # the names are shown literally
    text = page.inner_text("#findings [data-role=list]")
    assert NASTY["vm-jump01"] in text and NASTY["pip-vm-jump01"] in text
    assert NASTY["nsg-app"] in text and NASTY["AllowRdpInbound"] in text
    titles = page.evaluate("[...document.querySelectorAll('svg title')].map(t => t.textContent).join('\\n')")
    assert NASTY["snet-web"] in titles and NASTY["vm-jump01"] in titles
    w.tab("matrix")
    assert NASTY["snet-web"] in page.inner_text("#matrix table.matrix")
    # filtering with a hostile search string is plain text too
    w.tab("findings")
    page.fill("#findings input[data-role=search]", "<script>")
    page.wait_for_timeout(300)
    assert count(page) > 0
    w.clean()


def test_verify_and_diff_reports(browser: Browser, tmp_path: Path) -> None:
    verify = html_report(tmp_path, "verify", str(FLAWED), "--intent", str(INTENT), name="verify.html")
    out = tmp_path / "diff.html"
    assert run("diff", str(CLEAN), str(FLAWED), "--format", "html", "-o", str(out))[0] == 0
    w = Watch(browser)
    w.open(verify)
    page = w.page
    assert page.is_visible("section#verify .verdict.bad")
    w.tab("matrix")
    page.click("#matrix td.cell.m-excess >> nth=0")
    assert "excess" in page.inner_text("#matrix [data-role=detail]")
    w.tab("overview")
    w.open(out)
    assert page.is_visible("section#changes")
    assert page.locator("section#changes article.internet").count() > 0
    w.tab("resources")
    w.tab("overview")
    page.screenshot(path=str(tmp_path / "diff.png"))
    w.clean()


def test_medium_report_opens_fast(browser: Browser, medium_estate: Path, tmp_path: Path) -> None:
    started = time.perf_counter()
    report = html_report(tmp_path, "scan", str(medium_estate), name="medium.html")
    generated = time.perf_counter() - started
    w = Watch(browser)
    seconds = w.open(report)
    page = w.page
    w.tab("findings")
    total = int(page.get_attribute("#findings [data-role=count]", "data-total") or 0)
    assert count(page) == total > 0
    page.uncheck('#findings input[data-role=sev][value="low"]')
    assert 0 < count(page) < total
    w.tab("overview")
    before = page.get_attribute("svg.diagram", "viewBox")
    page.mouse.move(700, 700)
    page.mouse.wheel(0, -400)                                   # zoom in around the pointer
    page.wait_for_function("v => document.querySelector('svg.diagram').getAttribute('viewBox') !== v",
                           arg=before)
    page.screenshot(path=str(tmp_path / "medium.png"))
    size = report.stat().st_size
    print(f"medium: {size / 1e6:.2f} MB, generated in {generated:.1f} s, opened in {seconds:.2f} s")
    assert size < 20_000_000
    assert seconds < 5
    w.clean()


def test_screenshot_script_writes_a_png(tmp_path: Path, flawed_report: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, str(root / "scripts" / "screenshot_report.py"),
                           "--report", str(flawed_report), "--out", str(out)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copy(out, tmp_path / "copy.png")
