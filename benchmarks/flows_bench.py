"""Flow-log ingest throughput: netwarden's vectorised path against plain json + a loop.

    python benchmarks/flows_bench.py [--tuples 2000000] [--repeats 3] [--out benchmarks/FLOWS.md]

Generates NSG v2 and VNet flow logs (``netwarden.flows.generate``, 40,000 tuples per
PT1H.json), then measures in one process, each on the same files, best of ``--repeats``
by CPU time (process_time, all threads) with wall time beside it:

* ``baseline``: ``json.loads`` per file, walk to the tuples, ``str.split`` each and convert
  the numeric fields with ``int`` — no validation, no storage (the floor of a Python loop);
* ``reference``: the same walk with :func:`netwarden.flows.records.parse_tuple` (full
  validation, reasons) — what pure Python costs;
* ``parse``: netwarden's path up to validated columnar rows (json, walk, Arrow buffers,
  RE2 shape check, DuckDB split/cast), without landing them;
* ``ingest``: the whole ``Store.ingest`` — parse and land as Parquet, accounting checked —
  with DuckDB on 1 thread, and on every core;
* ``reuse``: ``Store.ingest`` again (every file unchanged) and the first analysis query.
"""

from __future__ import annotations

import argparse
import array
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from netwarden.flows.accounting import Accounting, Unit
from netwarden.flows.generate import Spec, generate
from netwarden.flows.records import Malformed, discover, groups, load, parse_tuple
from netwarden.flows.store import Store
from netwarden.flows.vectorised import SHAPES, int_array, parse_sql, string_array


def baseline(files: list[Path]) -> int:
    n = 0
    for path in files:
        document = json.loads(path.read_bytes())
        for record in document["records"]:
            if "flowRecords" in record:
                lists = [g["flowTuples"] for f in record["flowRecords"]["flows"] for g in f["flowGroups"]]
            else:
                lists = [g["flowTuples"] for f in record["properties"]["flows"] for g in f["flows"]]
            for tuples in lists:
                for text in tuples:
                    f = text.split(",")
                    int(f[0]), int(f[3]), int(f[4])
                    if len(f) == 13:
                        int(f[9] or 0), int(f[10] or 0), int(f[11] or 0), int(f[12] or 0)
                    n += 1
    return n


def reference(files: list[Path]) -> int:
    n = 0
    books = Accounting()
    for path in files:
        document = load(path, books)
        for context, tuples in groups(document, path, books):
            for text in tuples:
                try:
                    parse_tuple(text, context.format)
                    n += 1
                except Malformed:
                    pass
    return n


def parse_only(files: list[Path]) -> int:
    con = duckdb.connect()
    con.execute("SET threads = 1")
    books, n = Accounting(), 0
    for path in files:
        document = load(path, books)
        by_format: dict[object, tuple[list[str], list[int]]] = {}
        for cid, (context, tuples) in enumerate(groups(document, path, books)):
            strings, ctx = by_format.setdefault(context.format, ([], []))
            strings.extend(tuples)
            ctx.extend([cid] * len(tuples))
        for fmt, (strings, ctx) in by_format.items():
            texts = string_array(strings)
            ok = pc.match_substring_regex(texts, SHAPES[fmt])  # type: ignore[index]
            table = pa.table({"t": texts.filter(ok), "ctx": int_array(array.array("i", ctx)).filter(ok)})
            con.register("nw_b", table)
            n += con.execute(f"SELECT COUNT(*), SUM(src_port) FROM ({parse_sql(fmt, 'nw_b')})").fetchall()[0][0]  # type: ignore[index,arg-type]
            con.unregister("nw_b")
    con.close()
    return n


def ingest(files_dir: Path, threads: int | None) -> Callable[[], int]:
    def run() -> int:
        store_dir = Path(tempfile.mkdtemp(prefix="nw-bench-store-"))
        try:
            store = Store(store_dir, threads=threads)
            books = store.ingest([files_dir]).books
            store.close()
            return books.parsed[Unit.TUPLE]
        finally:
            shutil.rmtree(store_dir, ignore_errors=True)
    return run


def measure(fn: Callable[[], int], repeats: int) -> tuple[float, float, int]:
    best: tuple[float, float, int] | None = None
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        n = fn()
        result = (time.process_time() - cpu, time.perf_counter() - wall, n)
        if best is None or result[0] < best[0]:
            best = result
    assert best is not None
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuples", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "FLOWS.md")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    args = parser.parse_args()

    per_file = 40_000
    spec = Spec(files=max(1, args.tuples // per_file), records_per_file=10, groups_per_record=4,
                tuples_per_group=per_file // 40, formats=("nsg2", "vnet"), seed=1)
    data = args.keep or Path(tempfile.mkdtemp(prefix="nw-bench-logs-"))
    if not any(data.rglob("PT1H.json")):
        started = time.perf_counter()
        truth = generate(data, spec)
        print(f"generated {truth.tuples_total:,} tuples in {time.perf_counter() - started:.1f} s", flush=True)
    files = list(discover([data]))
    size = sum(p.stat().st_size for p in files)
    rows = []
    runs: list[tuple[str, Callable[[], int], int]] = [
        ("baseline: json + split/int loop", lambda: baseline(files), max(1, args.repeats - 1)),
        ("reference parser (pure Python, validating)", lambda: reference(files), 1),
        ("netwarden parse (to validated columns)", lambda: parse_only(files), args.repeats),
        ("netwarden ingest, 1 DuckDB thread (+ Parquet)", ingest(data, 1), args.repeats),
        (f"netwarden ingest, {os.cpu_count()} DuckDB threads (+ Parquet)", ingest(data, None), args.repeats),
    ]
    for name, fn, repeats in runs:
        cpu, wall, n = measure(fn, repeats)
        rows.append((name, n, cpu, wall))
        print(f"{name:50s} {n:>10,} tuples  cpu {cpu:6.2f} s  wall {wall:6.2f} s  "
              f"{n / cpu / 1e6:5.2f} M tuples/s/core  {size / cpu / 1e6:6.1f} MB/s", flush=True)

    store_dir = Path(tempfile.mkdtemp(prefix="nw-bench-store-"))
    store = Store(store_dir)
    store.ingest([data])
    cpu, wall = time.process_time(), time.perf_counter()
    again = store.ingest([data])
    con = store.open_flows(again)
    con.execute("SELECT src_ip, COUNT(*) FROM flows GROUP BY src_ip ORDER BY 2 DESC LIMIT 10").fetchall()
    reuse = (time.process_time() - cpu, time.perf_counter() - wall)
    parquet = sum(p.stat().st_size for p in (store_dir / "parts").glob("*.parquet"))
    store.close()
    shutil.rmtree(store_dir, ignore_errors=True)
    print(f"reuse + top-talkers query: cpu {reuse[0]:.2f} s, wall {reuse[1]:.2f} s; "
          f"Parquet {parquet / 1e6:.1f} MB for {size / 1e6:.1f} MB of JSON")
    write_report(args.out, rows, size, len(files), reuse, parquet)


def write_report(out: Path, rows: list[tuple[str, int, float, float]], size: int, files: int,
                 reuse: tuple[float, float], parquet: int) -> None:
    base = rows[0][1] / rows[0][2]
    lines = ["| path | tuples | CPU s | wall s | M tuples/s per core (CPU) | MB/s (CPU) | vs baseline |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, n, cpu, wall in rows:
        lines.append(f"| {name} | {n:,} | {cpu:.2f} | {wall:.2f} | {n / cpu / 1e6:.2f} | "
                     f"{size / cpu / 1e6:.0f} | {n / cpu / base:.2f}x |")
    table = "\n".join(lines)
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, " \
              f"duckdb {duckdb.__version__}, pyarrow {pa.__version__}"
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    block = (f"{start}\n{files} files, {size / 1e6:.1f} MB of JSON (NSG v2 and VNet, 40,000 tuples "
             f"per PT1H.json); {machine}.\n\n{table}\n\nReuse (every file unchanged: manifest "
             f"check) + a top-talkers query over the Parquet: {reuse[0]:.2f} s CPU, {reuse[1]:.2f} s "
             f"wall. Parquet landed: {parquet / 1e6:.1f} MB.\n{end}")
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text + "\n" + block + "\n"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
