"""The command line. Thin: parse arguments, call an analysis, hand its result to a writer.

Exit codes (a contract): 0 ran and nothing failed; 1 findings at or above the failure
threshold; 2 bad input or usage.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from rich.console import Console

from netwarden import __version__
from netwarden.ingest import IngestError, load_estate
from netwarden.model.estate import Estate
from netwarden.report.inventory import inventory_json, render_inventory

app = typer.Typer(
    name="netwarden",
    help="Proves what an Azure network lets through.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT = 0, 1, 2
_state = {"debug": False}


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


EstatePaths = Annotated[list[Path], typer.Argument(help="Estate files or directories.",
                                                   show_default=False)]


def fail(message: str, hint: str | None = None) -> NoReturn:
    """One clear line on stderr and exit 2 (a traceback only with --debug)."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    err.print(f"[bold red]error:[/bold red] {message}", markup=True)
    if hint:
        err.print(f"hint: {hint}")
    raise typer.Exit(EXIT_INPUT)


def load(paths: list[Path]) -> Estate:
    try:
        return load_estate(paths)
    except IngestError as exc:
        if _state["debug"]:
            raise
        fail(str(exc))


def emit(data: Any, output: Path | None = None) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netwarden {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def validate(
    estate: EstatePaths,
    format: Annotated[TextOrJson, typer.Option("--format", help="Output format.")] = TextOrJson.text,
) -> None:
    """Load an estate and report what it holds: counts per type, warnings, unknown types."""
    loaded = load(estate)
    if format is TextOrJson.json:
        emit(inventory_json(loaded))
    else:
        render_inventory(loaded, Console(highlight=False))


def main() -> None:
    """Entry point: usage errors exit 2 (click's convention, which matches ours); an
    unexpected exception is one line unless --debug asks for the traceback."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        if _state["debug"]:
            raise
        Console(stderr=True).print(f"[bold red]internal error:[/bold red] {exc!r} "
                                   "(run with --debug for the traceback)")
        sys.exit(70)
