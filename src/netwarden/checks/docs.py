"""Documentation of the catalogue, generated from the checks' metadata (``docs/checks/``).

Run ``python -m netwarden.checks.docs [DIR]`` to regenerate; a test fails when the files
in the repository are stale."""

from __future__ import annotations

import sys
from pathlib import Path

from netwarden.checks.base import Check
from netwarden.checks.registry import all_checks


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def render(check: Check) -> str:
    lines = [
        f"# {check.id} {check.name}",
        "",
        f"**{check.title}** — severity **{check.severity}**, area: {check.area.value}.",
        "",
        "## What it does",
        "",
        _clean(check.__doc__),
        "",
        "## Why is this bad?",
        "",
        _clean(check.rationale),
        "",
        "## What to do instead",
        "",
        _clean(check.remediation),
        "",
    ]
    if check.references:
        lines += ["## References", "", *(f"- <{ref}>" for ref in check.references), ""]
    return "\n".join(lines)


def render_index(checks: list[Check]) -> str:
    lines = ["# The check catalogue", "",
             "Generated from the checks' metadata by `python -m netwarden.checks.docs`; "
             "do not edit by hand.", "",
             "| ID | name | severity | title |", "|---|---|---|---|"]
    lines += [f"| [{c.id}]({c.id}.md) | {c.name} | {c.severity} | {c.title} |" for c in checks]
    return "\n".join(lines) + "\n"


def files() -> dict[str, str]:
    checks = all_checks()
    out = {f"{c.id}.md": render(c) for c in checks}
    out["README.md"] = render_index(checks)
    return out


def write(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.md"):
        stale.unlink()
    for name, text in files().items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/checks"))
