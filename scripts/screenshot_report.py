#!/usr/bin/env python3
"""Render a netwarden HTML report in headless Chromium and save a screenshot.

    python scripts/screenshot_report.py                       # docs/report-contoso-flawed.png
    python scripts/screenshot_report.py --estate DIR --out shot.png [--tab findings]

It runs ``netwarden scan ESTATE --format html`` into a temporary file, opens it with
Debian's ``chromium`` (``apt-get install chromium``) driven by Playwright (``pip install
playwright``; no browser download), fails on console errors or on any request that would
leave the page, and prints how long the page took to load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--estate", default=str(ROOT / "examples" / "contoso-flawed"))
    parser.add_argument("--report", help="an existing report to open instead of running scan")
    parser.add_argument("--out", default=str(ROOT / "docs" / "report-contoso-flawed.png"))
    parser.add_argument("--tab", default="overview", help="section to show (overview, findings, matrix ...)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--full-page", action="store_true")
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(options.report) if options.report else Path(tmp) / "report.html"
        if not options.report:
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "from netwarden.cli import main; main()", "scan",
                            options.estate, "--format", "html", "-o", str(report)], check=False)
            print(f"scan --format html: {time.perf_counter() - started:.2f} s, "
                  f"{report.stat().st_size / 1024:,.0f} KB")
        errors: list[str] = []
        outside: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": options.width, "height": options.height})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def guard(route):  # type: ignore[no-untyped-def]
                if route.request.url.startswith(("file:", "data:")):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            started = time.perf_counter()
            page.goto(report.resolve().as_uri() + f"#{options.tab}", wait_until="load")
            page.wait_for_function("() => document.documentElement.classList.contains('js')")
            print(f"page load: {time.perf_counter() - started:.2f} s")
            if options.full_page:
                page.screenshot(path=options.out, full_page=True)
            else:
                # down to the end of the section's first block (the diagram, for the overview)
                box = page.locator(f"section#{options.tab} > :is(.diagram-wrap, .matrix-layout, "
                                   ".findings-list, .items)").first.bounding_box()
                bottom = min(box["y"] + box["height"] + 12, 1800) if box else options.height
                page.screenshot(path=options.out, full_page=True,
                                clip={"x": 0, "y": 0, "width": options.width,
                                      "height": max(bottom, 400)})
            browser.close()
        if errors or outside:
            print("console errors:", errors, "requests leaving the page:", outside, file=sys.stderr)
            return 1
    print(f"saved {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
