"""The command line. Thin: parse arguments, call an analysis, hand its result to a writer.

Exit codes (a contract): 0 ran and nothing failed; 1 findings at or above the failure
threshold; 2 bad input or usage.
"""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from netwarden import __version__
from netwarden.cli_estate import (
    ClusterOption,
    InputFormat,
    InputFormatOption,
    ParametersOption,
    ServiceTagsOption,
    engine_for,
    load,
    state,
)
from netwarden.exits import EXIT_FINDINGS, EXIT_OK, fail
from netwarden.ingest import IngestError
from netwarden.report.inventory import inventory_json, render_inventory
from netwarden.report.paths import reach_json, render_reach, render_trace, trace_json

if TYPE_CHECKING:
    from netwarden.intent.model import Intent

app = typer.Typer(
    name="netwarden",
    help="Proves what an Azure network lets through.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)




class TextOrJson(str, Enum):
    text = "text"
    json = "json"


EstatePaths = Annotated[list[Path], typer.Argument(help="Estate files or directories.",
                                                   show_default=False)]


def emit(data: Any, output: Path | None = None) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")


def write_text(render: Any, result: Any, output: Path) -> None:
    """A text report written to a file: rendered by rich into a recording console."""
    with open(os.devnull, "w", encoding="utf-8") as sink:
        console = Console(record=True, width=120, file=sink)
        render(result, console)
    output.write_text(console.export_text(), encoding="utf-8")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netwarden {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    state["debug"] = debug


@app.command()
def validate(
    estate: EstatePaths,
    format: Annotated[TextOrJson, typer.Option("--format", help="Output format.")] = TextOrJson.text,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Load an estate and report what it holds: counts per type, warnings, unknown types."""
    loaded = load(estate, input_format, parameters, cluster)
    if format is TextOrJson.json:
        emit(inventory_json(loaded))
    else:
        render_inventory(loaded, Console(highlight=False))


@app.command("snapshot")
def snapshot_command(
    estate: EstatePaths,
    output: Annotated[Path, typer.Option("-o", "--output", help="The snapshot file to write.")],
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Load an estate once and save it: every command takes the snapshot in place of the
    estate and starts in a fraction of a second, materialising only what it needs."""
    from netwarden.model import snapshot

    loaded = load(estate, input_format, parameters, cluster)
    try:
        written = snapshot.write(loaded, output, inputs=list(loaded.sources))
    except OSError as exc:
        fail(f"{output}: cannot write: {exc.strerror}")
    console = Console(highlight=False, stderr=True)
    warnings = sum(1 for d in loaded.diagnostics if d.level.value == "warning")
    console.print(f"wrote {output}: {written['resources']:,} resources, "
                  f"{written['bytes'] / 2**20:.1f} MB"
                  + (f", {warnings} warning(s) kept with it (netwarden validate {output})"
                     if warnings else ""))


_PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "esp": 50, "ah": 51, "any": None, "*": None}


def _protocol(text: str) -> int | None:
    value = text.strip().lower()
    if value in _PROTOCOLS:
        return _PROTOCOLS[value]
    if value.isdigit() and int(value) < 256:
        return int(value)
    fail(f"--protocol {text!r}: expected tcp, udp, icmp, esp, ah, any or an IANA number")


def _ports(text: str | None) -> tuple[int, int] | None:
    if text is None or text.strip() in ("*", "any"):
        return None
    lo_text, _, hi_text = text.partition("-")
    try:
        lo, hi = int(lo_text), int(hi_text or lo_text)
    except ValueError:
        fail(f"--port {text!r}: expected N or N-M")
    if not 0 <= lo <= hi <= 65535:
        fail(f"--port {text!r}: ports run from 0 to 65535, low to high")
    return lo, hi


@app.command()
def reach(
    estate: EstatePaths,
    source: Annotated[str, typer.Option("--from", help="internet, onprem, an IP/CIDR, or a resource name or ID.")],
    destination: Annotated[str, typer.Option("--to", help="Same forms as --from.")],
    protocol: Annotated[str, typer.Option("--protocol", help="tcp, udp, icmp, esp, ah or any.")] = "any",
    port: Annotated[str | None, typer.Option("--port", help="Destination port N or range N-M.")] = None,
    format: Annotated[TextOrJson, typer.Option("--format")] = TextOrJson.text,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Every packet from SRC that arrives at DST, with the paths and deciding rules."""
    from netwarden.engine import EndpointError, Service

    engine = engine_for(estate, service_tags, input_format, parameters, cluster)
    service = Service(_protocol(protocol), _ports(port))
    if service.ports is not None and service.protocol not in (6, 17, None, 132):
        fail("--port applies to tcp or udp (or any)")
    try:
        result = engine.reach(engine.endpoint(source), engine.endpoint(destination), service)
    except EndpointError as exc:
        fail(str(exc))
    if format is TextOrJson.json:
        emit(reach_json(result))
    else:
        render_reach(result, Console(highlight=False))


@app.command()
def trace(
    estate: EstatePaths,
    src: Annotated[str, typer.Option("--src", help="Source IP address.")],
    dst: Annotated[str, typer.Option("--dst", help="Destination IP address (private or public).")],
    protocol: Annotated[str, typer.Option("--protocol", help="tcp, udp, icmp, esp, ah or a number.")],
    dst_port: Annotated[int, typer.Option("--dst-port", min=0, max=65535)] = 0,
    src_port: Annotated[int, typer.Option("--src-port", min=0, max=65535)] = 49152,
    format: Annotated[TextOrJson, typer.Option("--format")] = TextOrJson.text,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """One concrete packet, hop by hop: where it goes and which rule decides it."""
    import ipaddress

    from netwarden.engine import EndpointError, Packet

    number = _protocol(protocol)
    if number is None:
        fail("--protocol: trace needs one protocol (tcp, udp, icmp, esp, ah or a number)")
    try:
        addresses = [int(ipaddress.IPv4Address(a.strip())) for a in (src, dst)]
    except ValueError as exc:
        fail(f"{exc}: --src and --dst take IPv4 addresses")
    engine = engine_for(estate, service_tags, input_format, parameters, cluster)
    try:
        result = engine.trace(Packet(addresses[0], addresses[1], number, src_port, dst_port))
    except EndpointError as exc:
        fail(str(exc))
    if format is TextOrJson.json:
        emit(trace_json(result))
    else:
        render_trace(result, Console(highlight=False))
    raise typer.Exit(EXIT_OK)


class ReportFormat(str, Enum):
    """The writers of scan and verify."""

    text = "text"
    json = "json"
    sarif = "sarif"
    html = "html"       # a self-contained report file: -o FILE, default report.html


def write_report(format: ReportFormat, output: Path | None, result: Any, render: Any,
                 to_json: Any, to_sarif: Any, html: Any) -> None:
    """A scan's or verify's result in the format asked: text (to the terminal, or ``-o``),
    JSON, SARIF, or the self-contained HTML report (``html()`` builds it)."""
    if format is ReportFormat.text and output is None:
        render(result, Console(highlight=False))
    elif format is ReportFormat.text:
        write_text(render, result, output)
    elif format is ReportFormat.html:
        from netwarden.report.html import write_report as write_html

        write_html(html(), output)
    else:
        emit(to_json(result) if format is ReportFormat.json else to_sarif(result), output)


class FailOn(str, Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"
    never = "never"


@app.command()
def scan(
    estate: EstatePaths,
    format: Annotated[ReportFormat, typer.Option("--format", help="Output format.")] = ReportFormat.text,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 at or above this severity.")] = FailOn.high,
    check: Annotated[list[str] | None, typer.Option("--check", metavar="ID", help="Run only this check (repeatable).")] = None,
    skip: Annotated[list[str] | None, typer.Option("--skip", metavar="ID", help="Skip this check (repeatable).")] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", help="Report only findings not in this earlier JSON result.")] = None,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Check the estate against the secure-connectivity guidance, with proof for each finding."""
    from netwarden.checks.base import Severity
    from netwarden.checks.scan import load_baseline, select
    from netwarden.checks.scan import scan as run_scan
    from netwarden.report.findings import render_scan, scan_json
    from netwarden.report.sarif import scan_sarif

    try:
        checks = select(check or (), skip or ())
        known = load_baseline(baseline) if baseline else None
    except (ValueError, OSError) as exc:
        fail(str(exc))
    engine = engine_for(estate, service_tags, input_format, parameters, cluster)
    result = run_scan(engine.estate, engine, checks, known)
    def html() -> Any:      # the HTML writer (jinja2) is imported only when asked for
        from netwarden.report.html import scan_report

        return scan_report(result, engine, sources=estate)

    write_report(format, output, result, render_scan, scan_json, scan_sarif, html)
    threshold = None if fail_on is FailOn.never else Severity.parse(fail_on.value)
    raise typer.Exit(EXIT_FINDINGS if result.failing(threshold) else EXIT_OK)


class MatrixFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"


class MatrixBy(str, Enum):
    subnet = "subnet"
    vnet = "vnet"
    segment = "segment"
    workload = "workload"


def _intent(path: Path) -> Intent:
    from netwarden.intent.parse import load_intent

    try:
        return load_intent(path)
    except IngestError as exc:
        fail(str(exc))


@app.command()
def verify(
    estate: EstatePaths,
    intent: Annotated[Path, typer.Option("--intent", help="Segmentation intent (YAML).")],
    format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.text,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Prove the network enforces the intent: excess, missing and bypassing flows."""
    from netwarden.intent.verify import verify as run_verify
    from netwarden.report.intent import render_verify, verify_json, verify_sarif

    wanted = _intent(intent)
    engine = engine_for(estate, service_tags, input_format, parameters, cluster)
    try:
        result = run_verify(engine, wanted)
    except IngestError as exc:
        fail(str(exc))
    def html() -> Any:      # the HTML writer (jinja2) is imported only when asked for
        from netwarden.report.html import verify_report

        return verify_report(result, engine, sources=estate)

    write_report(format, output, result, render_verify, verify_json, verify_sarif, html)
    raise typer.Exit(EXIT_OK if result.clean else EXIT_FINDINGS)


@app.command()
def matrix(
    estate: EstatePaths,
    by: Annotated[MatrixBy, typer.Option("--by", help="Group endpoints by subnet, VNet, intent segment or Kubernetes workload.")] = MatrixBy.subnet,
    intent: Annotated[Path | None, typer.Option("--intent", help="Mark cells intended / excess / missing.")] = None,
    format: Annotated[MatrixFormat, typer.Option("--format")] = MatrixFormat.text,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Who can reach whom, as a table of the protocols and ports that arrive."""
    from netwarden.intent.matrix import matrix as run_matrix
    from netwarden.report.intent import matrix_csv, matrix_json, render_matrix

    wanted = _intent(intent) if intent else None
    if by is MatrixBy.segment and wanted is None:
        fail("--by segment needs --intent FILE")
    engine = engine_for(estate, service_tags, input_format, parameters, cluster)
    grouping = by.value if by is not MatrixBy.subnet or wanted is None else "segment"
    try:
        result = run_matrix(engine, grouping, wanted)
    except IngestError as exc:
        fail(str(exc))
    if format is MatrixFormat.json:
        emit(matrix_json(result), output)
    elif format is MatrixFormat.csv:
        text = matrix_csv(result)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    else:
        render_matrix(result, Console(highlight=False, width=max(120, 22 * (len(result.groups) + 1))))


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"       # a self-contained report file: -o FILE, default report.html


@app.command()
def diff(
    before: Annotated[Path, typer.Argument(help="The estate before (file or directory).", show_default=False)],
    after: Annotated[Path, typer.Argument(help="The estate after (any supported format).", show_default=False)],
    format: Annotated[DiffFormat, typer.Option("--format")] = DiffFormat.text,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")] = None,
    fail_on_new_exposure: Annotated[bool, typer.Option(
        "--fail-on-new-exposure", help="Exit 1 when anything becomes reachable from the internet.")] = False,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """What a change opens and closes: newly allowed and newly denied packets, with paths."""
    from netwarden.diff.reach import diff as run_diff
    from netwarden.report.diff import diff_json, render_diff

    old, new = load([before], parameters=parameters, cluster=cluster), \
        load([after], parameters=parameters, cluster=cluster)
    result = run_diff(old, new)
    if format is DiffFormat.json:
        emit(diff_json(result), output)
    elif format is DiffFormat.html:
        from netwarden.report.html import diff_report, write_report

        write_report(diff_report(result, old, new, sources=[before, after]), output)
    else:
        render_diff(result, Console(highlight=False))
    raise typer.Exit(EXIT_FINDINGS if fail_on_new_exposure and result.new_internet_exposure else EXIT_OK)


checks_app = typer.Typer(help="The check catalogue.", invoke_without_command=True,
                         add_completion=False, rich_markup_mode=None)
app.add_typer(checks_app, name="checks")


def _mount_flows() -> None:
    """`netwarden flows ...`: flow-log analytics (DuckDB) live in their own subpackage."""
    from netwarden.flows.cli import flows_app

    app.add_typer(flows_app, name="flows")


_mount_flows()


@checks_app.callback()
def checks_list(ctx: typer.Context) -> None:
    """List the catalogue (or `netwarden checks explain ID`)."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Table

    from netwarden.checks.registry import all_checks

    table = Table(title="netwarden checks", title_justify="left")
    for column in ("ID", "name", "severity", "title"):
        table.add_column(column)
    for item in all_checks():
        table.add_row(item.id, item.name, str(item.severity), item.title)
    Console(highlight=False).print(table)


@checks_app.command("explain")
def checks_explain(check_id: Annotated[str, typer.Argument(help="A check ID, e.g. EDGE001.")]) -> None:
    """Print one check's documentation."""
    from netwarden.checks.docs import render
    from netwarden.checks.registry import get

    found = get(check_id)
    if found is None:
        fail(f"unknown check {check_id!r}", "`netwarden checks` lists them")
    sys.stdout.write(render(found))


def main() -> None:
    """Entry point: usage errors exit 2 (click's convention, which matches ours); an
    unexpected exception is one line unless --debug asks for the traceback."""
    state["process"] = True
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:
        if state["debug"]:
            raise
        Console(stderr=True).print(f"[bold red]internal error:[/bold red] {exc!r} "
                                   "(run with --debug for the traceback)")
        sys.exit(70)
