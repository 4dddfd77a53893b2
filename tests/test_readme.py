"""The README's command summary stays true: every command it lists exists and accepts every
option it shows (pip-audit checks its --help block the same way)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCK = README.split("## What it answers", 1)[1].split("```", 2)[1]
LINES = [line for line in BLOCK.splitlines() if line.startswith("netwarden ")]


def _command(line: str) -> list[str]:
    words = line.split()[1:3]
    return words if words[0] == "flows" else words[:1]


def test_the_block_lists_every_command() -> None:
    listed = {" ".join(_command(line)) for line in LINES}
    assert listed == {"validate", "scan", "reach", "trace", "verify", "matrix", "diff",
                      "flows analyze", "flows suggest", "checks", "snapshot"}


@pytest.mark.parametrize("line", LINES, ids=[" ".join(_command(line)) for line in LINES])
def test_listed_options_exist(line: str) -> None:
    command = _command(line)
    index = BLOCK.index(line)
    following = BLOCK[index:].split("\nnetwarden ", 1)[0]     # continuation lines too
    result = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]+|-o)\b", following):
        assert option in result.output, f"`netwarden {command}` has no {option}"
