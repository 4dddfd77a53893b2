"""The catalogue as a whole: every check has its metadata, its generated docs are current,
and it has tests (a fixture where it fires and one where it does not)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netwarden.checks import docs
from netwarden.checks.base import Area, Severity
from netwarden.checks.registry import all_checks

ROOT = Path(__file__).resolve().parents[2]
CHECKS = all_checks()
CONTRACT_IDS = {"EDGE001", "EDGE002", "EDGE003", "EDGE004", "EDGE005", "EDGE006", "EDGE007",
                "SEG001", "SEG002", "SEG003", "SEG004", "SEG005", "SEG006", "PAAS001",
                "PAAS002", "PAAS003", "HYB001", "MON001", "MON002", "MON003"}


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_metadata_is_complete(check) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"(EDGE|SEG|PAAS|HYB|MON|K8S)\d{3}", check.id)
    assert check.id.startswith(check.area.name)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", check.name), "names are kebab-case patterns"
    assert isinstance(check.severity, Severity) and isinstance(check.area, Area)
    for field in ("title", "rationale", "remediation"):
        assert len(getattr(check, field).split()) >= 3, f"{check.id}.{field} is missing or thin"
    assert check.__doc__ and len(check.__doc__.split()) >= 8, f"{check.id} needs a docstring"


def test_ids_and_names_are_unique() -> None:
    assert len({c.id for c in CHECKS}) == len(CHECKS)
    assert len({c.name for c in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_every_check_is_tested(check) -> None:  # type: ignore[no-untyped-def]
    tests = "\n".join(p.read_text() for p in (ROOT / "tests" / "checks").glob("test_*.py")
                      if p.name != "test_catalogue.py")
    assert check.id in tests, f"{check.id} has no tests in tests/checks"


def test_generated_docs_are_current() -> None:
    directory = ROOT / "docs" / "checks"
    expected = docs.files()
    present = {p.name: p.read_text() for p in directory.glob("*.md")} if directory.is_dir() else {}
    stale = sorted(n for n in expected if present.get(n) != expected[n])
    extra = sorted(set(present) - set(expected))
    assert not stale and not extra, (
        f"docs/checks is stale ({stale or extra}); run `python -m netwarden.checks.docs`")


def test_the_contract_catalogue_is_implemented() -> None:
    missing = CONTRACT_IDS - {c.id for c in CHECKS}
    assert not missing, f"checks of the contract not implemented yet: {sorted(missing)}"
