"""What every command shares at its edge: the exit codes (a contract) and the one-line
error for bad input or usage."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# 0 ran and nothing failed; 1 findings at or above the threshold; 2 bad input or usage.
EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2


def fail(message: str, hint: str | None = None) -> NoReturn:
    """One clear line on stderr (input text printed literally) and exit 2."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[bold red]error:[/bold red] {escape(message)}", markup=True, emoji=False)
    if hint:
        err.print(f"hint: {hint}", markup=False)
    raise typer.Exit(EXIT_INPUT)
