"""``netwarden flows``: the flow-log commands (mounted by ``netwarden.cli`` as a sub-app).

Exit codes (the house contract): 0 ran; 1 intent violations or blocked required flows
(``analyze --intent``; ``suggest --intent`` keeps rules instead and exits 0); 2 bad input
or usage — a bad intent file (located by line and column), logs with nothing parseable in
them (no file found, or not one record could be parsed while something was malformed). A
run where some files or tuples are malformed but others parse exits 0 and reports the
malformed ones by reason, with file and position.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from netwarden.cli_estate import (
    ClusterOption,
    InputFormat,
    InputFormatOption,
    ParametersOption,
    ServiceTagsOption,
    engine_for,
)
from netwarden.exits import EXIT_FINDINGS, fail
from netwarden.flows.accounting import Unit

if TYPE_CHECKING:
    from netwarden.engine import Engine
    from netwarden.flows.segments import ResolvedIntent
    from netwarden.flows.store import Ingested, Store, Window


flows_app = typer.Typer(name="flows", help="Flow-log analytics: what traffic really happened.",
                        no_args_is_help=True, add_completion=False,
                        pretty_exceptions_enable=False, rich_markup_mode=None)

class AnalyzeFormat(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    html = "html"       # a self-contained report file: -o FILE, default report.html


class SuggestFormat(str, Enum):
    text = "text"
    json = "json"
    terraform = "terraform"


Logs = Annotated[list[Path], typer.Argument(help="Flow-log files or directories (Azure's "
                                            "storage layout, plain or gzip).", show_default=False)]
EstateOption = Annotated[list[Path] | None, typer.Option(
    "--estate", help="Estate files or directories (maps addresses to NICs, subnets, NSGs).")]
SinceOption = Annotated[str | None, typer.Option(
    "--since", help="Only tuples at or after T (ISO 8601, UTC unless zoned; or epoch seconds).")]
UntilOption = Annotated[str | None, typer.Option("--until", help="Only tuples before T.")]
StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="Parquet store directory (default: ~/.cache/netwarden/flows).")]
OutputOption = Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE.")]
ThreadsOption = Annotated[int | None, typer.Option("--threads", min=1, help="DuckDB threads.")]
IntentOption = Annotated[Path | None, typer.Option("--intent", help="Segmentation intent (YAML).")]


def _window(since: str | None, until: str | None) -> Window:
    from netwarden.flows.analyze import parse_time
    from netwarden.flows.store import Window

    try:
        return Window(parse_time(since) if since else None, parse_time(until) if until else None)
    except ValueError as exc:
        fail(str(exc))


def _ingest(logs: list[Path], store_dir: Path | None, threads: int | None) -> tuple[Store, Ingested]:
    from netwarden.flows.store import Store

    store = Store(store_dir, threads=threads)
    try:
        return store, store.ingest(logs)
    except FileNotFoundError as exc:
        fail(f"{exc}: no such file or directory")


def _engine(estate: list[Path] | None, service_tags: Path | None, input_format: InputFormat,
            parameters: Path | None, cluster: str | None) -> Engine | None:
    """The estate's engine, loaded as every estate command loads it (or None without one)."""
    if not estate:
        return None
    return engine_for(estate, service_tags, input_format, parameters, cluster)


def _intent(path: Path | None, engine: Engine | None) -> ResolvedIntent | None:
    """The intent file resolved against the estate; a bad one fails (exit 2), located."""
    if path is None:
        return None
    if engine is None:
        fail("--intent needs --estate (segments are resolved against the estate)")
    from netwarden.flows.segments import load_flow_intent
    from netwarden.ingest import IngestError

    try:
        return load_flow_intent(path, engine)
    except IngestError as exc:
        fail(str(exc))


def nothing_parseable(ingested: Ingested) -> bool:
    books = ingested.books
    return books.parsed[Unit.RECORD] == 0 and (books.seen[Unit.FILE] == 0
                                                or sum(books.malformed.values()) > 0)


def _write(text: str, output: Path | None) -> None:
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _finish(ingested: Ingested) -> None:
    if nothing_parseable(ingested):
        books = ingested.books
        reasons = ", ".join(f"{r.value}: {n}" for r, n in books.malformed.most_common())
        fail(f"nothing parseable in {books.seen[Unit.FILE]} file(s)" + (f" ({reasons})" if reasons else ""),
             "flow logs are Azure NSG or VNet flow-log JSON: {\"records\": [...]}")


@flows_app.command()
def analyze(
    logs: Logs,
    estate: EstateOption = None,
    intent: IntentOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    baseline_until: Annotated[str | None, typer.Option(
        "--baseline-until", help="Tuples before T are the baseline for new combinations.")] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows per ranking.")] = 10,
    sigmas: Annotated[float, typer.Option("--sigmas", min=0.0, help="Volume outlier threshold.")] = 3.0,
    format: Annotated[AnalyzeFormat, typer.Option("--format", help="Output format.")] = AnalyzeFormat.text,
    output: OutputOption = None,
    store: StoreOption = None,
    threads: ThreadsOption = None,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Totals, top talkers, denied flows, internet traffic per port, anomalies; with
    --estate the NICs and subnets; with --intent the segment crossings against it."""
    from netwarden.flows.analyze import Options, parse_time
    from netwarden.flows.analyze import analyze as run

    window = _window(since, until)
    try:
        cut = parse_time(baseline_until) if baseline_until else None
    except ValueError as exc:
        fail(str(exc))
    engine = _engine(estate, service_tags, input_format, parameters, cluster)
    wanted = _intent(intent, engine)
    flows_store, ingested = _ingest(logs, store, threads)
    result = run(flows_store, ingested, window, Options(top=top, baseline_until=cut, sigmas=sigmas),
                 engine=engine, intent=wanted)
    data = result.to_json()
    if format is AnalyzeFormat.json:
        _write(json.dumps(data, indent=2) + "\n", output)
    elif format is AnalyzeFormat.csv:
        _write(analysis_csv(data), output)
    elif format is AnalyzeFormat.html:
        from netwarden.report.html import write_report
        from netwarden.report.html.flows import flow_series, flows_report

        series = flow_series(flows_store.open_flows(ingested, window))
        write_report(flows_report(data, series, sources=logs, estate=estate or (), intent=intent),
                     output)
    else:
        from netwarden.flows.render import render_analysis

        render_analysis(data, _console(output))
    _finish(ingested)
    if result.failed:
        raise typer.Exit(EXIT_FINDINGS)


@flows_app.command()
def suggest(
    logs: Logs,
    estate: Annotated[list[Path], typer.Option("--estate", help="Estate files or directories.")],
    intent: Annotated[Path | None, typer.Option(
        "--intent", help="Segmentation intent (YAML): rules that admit an intended flow are "
        "kept, and tighter rules still admit it.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    format: Annotated[SuggestFormat, typer.Option("--format", help="Output format.")] = SuggestFormat.text,
    output: OutputOption = None,
    store: StoreOption = None,
    threads: ThreadsOption = None,
    service_tags: ServiceTagsOption = None,
    input_format: InputFormatOption = InputFormat.auto,
    parameters: ParametersOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Per NSG: allow rules no flow used in the window, and tighter rules (the sources and
    ports flows used) as an NSG JSON fragment and Terraform, with evidence counts; with
    --intent, never one that closes an intended flow (such rules are kept, with the flow)."""
    from netwarden.flows.suggest import suggest as run

    window = _window(since, until)
    engine = _engine(estate, service_tags, input_format, parameters, cluster)
    assert engine is not None
    wanted = _intent(intent, engine)
    flows_store, ingested = _ingest(logs, store, threads)
    result = run(flows_store, ingested, window, engine, wanted.intent if wanted else None)
    if format is SuggestFormat.json:
        _write(json.dumps(result.to_json(), indent=2) + "\n", output)
    elif format is SuggestFormat.terraform:
        _write("\n".join(n.terraform() for n in result.nsgs if n.touched), output)
    else:
        from netwarden.flows.render import render_suggestions

        render_suggestions(result.to_json(), _console(output))
    _finish(ingested)


def _console(output: Path | None) -> Console:
    if output is None:
        return Console(highlight=False, soft_wrap=True)
    return Console(file=output.open("w", encoding="utf-8"), highlight=False, soft_wrap=True,
                   width=120)


CSV_COLUMNS = ("section", "key", "protocol", "port", "tuples", "allowed", "denied", "bytes", "detail")


def analysis_csv(data: dict[str, Any]) -> str:
    """One long table: a row per summary figure, malformed reason and ranked entry."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, value in data["summary"].items():
        writer.writerow(["summary", name, "", "", "", "", "", "", value])
    for entry in data["malformed"]["by_reason"]:
        first = entry["examples"][0] if entry["examples"] else {}
        writer.writerow(["malformed", entry["reason"], "", "", entry["count"], "", "", "",
                         f"{first.get('file', '')} {first.get('position', '')}".strip()])
    for t in data["top_talkers"]:
        writer.writerow(["top_talkers", t["src_ip"], "", "", t["tuples"], t["allowed"], t["denied"],
                         t["bytes"], f"peers={t['peers']}"])
    for d in data["top_denied"]:
        writer.writerow(["top_denied", f"{d['src_ip']}->{d['dst_ip']}", d["protocol"], d["dst_port"],
                         d["tuples"], 0, d["tuples"], "", d["rule"]])
    for i in data["internet_by_port"]:
        writer.writerow(["internet_by_port", i["way"], i["protocol"], i["dst_port"], i["tuples"],
                         i["allowed"], i["denied"], i["bytes"], f"hosts={i['internet_hosts']}"])
    for section in ("violations", "blocked_required"):
        for v in data[section]:
            writer.writerow([section, f"{v['from']}->{v['to']}", v["protocol"], v["port"],
                             v["tuples"], "", "", v["bytes"], ""])
    return out.getvalue()
