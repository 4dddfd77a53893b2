"""Fixtures of the HTML report tests: an estate whose names try to break out of HTML,
attributes and scripts, reports generated through the command line, the medium benchmark."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from report_helpers import FLAWED, NASTY, ROOT, html_report, run


@pytest.fixture(scope="session")
def nasty_estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """contoso-flawed with hostile resource names (IDs unchanged, so references resolve; the
    files keep their comments, so the names are replaced textually)."""
    out = tmp_path_factory.mktemp("nasty") / "estate"
    out.mkdir()
    for path in FLAWED.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        for old, new in NASTY.items():
            quoted = json.dumps(new, ensure_ascii=False)
            text = re.sub(r'"name"(\s*):(\s*)"' + re.escape(old) + '"',
                          lambda m, q=quoted: f'"name"{m[1]}:{m[2]}{q}', text)
        (out / path.name).write_text(text, encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def flawed_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return html_report(tmp_path_factory.mktemp("flawed"), "scan", str(FLAWED))


@pytest.fixture(scope="session")
def nasty_report(tmp_path_factory: pytest.TempPathFactory, nasty_estate: Path) -> Path:
    return html_report(tmp_path_factory.mktemp("nastyreport"), "scan", str(nasty_estate))


@pytest.fixture(scope="session")
def flawed_summary() -> dict[str, Any]:
    code, out, _ = run("scan", str(FLAWED), "--format", "json")
    assert code == 1
    return json.loads(out)["summary"]


@pytest.fixture(scope="session")
def medium_estate() -> Path:
    """The medium benchmark estate (generated once when absent)."""
    bench = ROOT / "benchmarks" / "out" / "medium-seed1"
    if (bench / "network.json").is_file():
        return bench
    target = Path("/tmp/netwarden-bench-medium-seed1")
    if not (target / "network.json").is_file():
        import subprocess
        import sys

        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--size", "medium",
                        "--seed", "1", "--out", str(target)], check=True)
    return target


