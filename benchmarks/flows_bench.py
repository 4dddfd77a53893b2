"""Flow-log ingest throughput: netwarden's parser engines against plain json + a loop.

    python benchmarks/flows_bench.py [--tuples 2000000] [--repeats 3] [--formats nsg2 ...]
    python benchmarks/flows_bench.py --analyze-tuples 100000000    # flows analyze, whole process

Generates flow logs (``netwarden.flows.generate``, NSG v2 by default: the target's input;
40,000 tuples per PT1H.json), then measures in one process, each on the same files, best of
``--repeats`` by CPU time (process_time, all threads) with wall time beside it:

* ``baseline``: ``json.loads`` per file, walk to the tuples, ``str.split`` each and convert
  the numeric fields with ``int`` — no validation, no storage (the floor of a Python loop);
* ``reference``: the same walk with :func:`netwarden.flows.records.parse_tuple` (full
  validation, reasons) — what pure Python costs;
* ``parse``: netwarden's path up to the typed columns of a tuple part, per engine (native:
  tuple arrays lifted out of the JSON text and scanned in C; duckdb: msgspec, Arrow buffers,
  RE2 shape check, DuckDB split/cast), every column materialised, nothing landed;
* ``ingest``: the whole ``Store.ingest`` — parse and land as Parquet, accounting checked —
  in one process (per engine), and over a pool of landing processes (one per core; CPU
  counts the workers too);
* ``reuse``: ``Store.ingest`` again (every file unchanged) and the first analysis query.

``--analyze-tuples N`` instead runs ``netwarden flows analyze`` over N tuples (distinct
generated files, kept in benchmarks/out/flows-N) as one whole process with a fresh store:
wall time, CPU of every process, peak RSS, and whether the summary equals the generator's
ground truth.
"""

from __future__ import annotations

import argparse
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

from netwarden.flows.accounting import Accounting, Unit
from netwarden.flows.generate import Spec, generate
from netwarden.flows.records import Malformed, discover, groups, load, parse_tuple, read
from netwarden.flows.store import Store
from netwarden.flows.vectorised import DEFAULT_ENGINE, ENGINES, Batch, Parser


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


def parse_only(engine: str) -> Callable[[list[Path]], int]:
    """The store's own path up to the columns of a tuple part (``read``, lifting the tuple
    arrays out of the text for the native engine, ``groups``, ``Batch``, the parser's engine,
    the reference parser for what it rejects) on batches of 1 M tuples; every column
    materialised as Arrow, nothing landed."""
    def run(files: list[Path]) -> int:
        con = duckdb.connect()
        con.execute("SET threads = 1")
        books, n = Accounting(), 0
        parser = Parser(con, lambda _: books, engine)
        batch = Batch()
        for path in files:
            document, source = read(path, books, parser.lift)
            for context, tuples in groups(document, path, books, source):
                batch.add(context, 0, tuples)
            del document, source
            if batch.rows >= 1_000_000:
                n += parser.table(batch, 0).num_rows
                batch = Batch()
        n += parser.table(batch, 0).num_rows
        con.close()
        return n
    return run


def ingest(files_dir: Path, threads: int | None, engine: str = DEFAULT_ENGINE) -> Callable[[], int]:
    def run() -> int:
        store_dir = Path(tempfile.mkdtemp(prefix="nw-bench-store-"))
        try:
            store = Store(store_dir, threads=threads, engine=engine)
            books = store.ingest([files_dir]).books
            store.close()
            return books.parsed[Unit.TUPLE]
        finally:
            shutil.rmtree(store_dir, ignore_errors=True)
    return run


# -- flows analyze over many tuples, as a whole process -------------------------------------------

PER_FILE = 40_000          # tuples per PT1H.json (10 records x 4 groups x 1,000)
CHUNK_FILES = 10           # files per generator call (its ground truth stays small)


def _generate_chunk(args: tuple[str, int, int]) -> dict[str, int]:
    out, first, files = args
    spec = Spec(files=files, first_file=first, records_per_file=10, groups_per_record=4,
                tuples_per_group=PER_FILE // 40, formats=("nsg2", "vnet"), seed=1 + first)
    truth = generate(Path(out), spec)
    return {"files": truth.files, "tuples_total": truth.tuples_total,
            "tuples_parsed": truth.tuples_parsed, "allowed": truth.allowed,
            "denied": truth.denied, "bytes": truth.bytes}


def generate_many(out: Path, tuples: int, workers: int) -> dict[str, int]:
    """Distinct real files for ``tuples`` tuples below ``out`` (each file its own host, hour
    and seed: no copies, no links), generated ``CHUNK_FILES`` at a time over ``workers``
    processes; the summed ground truth is kept beside ``out`` (``out.truth.json``, outside the
    logs) and reused."""
    from concurrent.futures import ProcessPoolExecutor

    marker = out.parent / f"{out.name}.truth.json"
    files = max(1, tuples // PER_FILE)
    if marker.exists():
        truth = json.loads(marker.read_text())
        if truth.get("files") == files:
            return truth
    chunks = [(str(out), first, min(CHUNK_FILES, files - first)) for first in range(0, files, CHUNK_FILES)]
    total: dict[str, int] = {}
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        for done, part in enumerate(pool.map(_generate_chunk, chunks), 1):
            for key, value in part.items():
                total[key] = total.get(key, 0) + value
            if done % 25 == 0 or done == len(chunks):
                print(f"generated {done}/{len(chunks)} chunks, {total['tuples_total']:,} tuples, "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
    marker.write_text(json.dumps(total))
    return total


def cpu_seconds() -> float:
    """CPU seconds of this process (all threads) and of the children it has waited for
    (the ingest's landing processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def measure(fn: Callable[[], int], repeats: int) -> tuple[float, float, int]:
    best: tuple[float, float, int] | None = None
    for _ in range(repeats):
        cpu, wall = cpu_seconds(), time.perf_counter()
        n = fn()
        result = (cpu_seconds() - cpu, time.perf_counter() - wall, n)
        if best is None or result[0] < best[0]:
            best = result
    assert best is not None
    return best


def _tree_rss_mb(root: int) -> float:
    """Resident memory of ``root``'s session (the launcher, the command and every process
    it started), summed: the launcher's rusage only knows the largest single process."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) != root:          # session id
                continue
            for line in Path(f"/proc/{entry}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


def analyze_run(tuples: int, data: Path, workers: int, timeout: float) -> dict[str, object]:
    """``netwarden flows analyze`` over ``tuples`` generated tuples as one whole process with
    a fresh store: wall, CPU (the process and its landing workers), peak RSS of the largest
    process (rusage) and of the whole process tree (sampled every 0.2 s)."""
    import threading

    import proc

    truth = generate_many(data, tuples, workers)
    size = sum(p.stat().st_size for p in data.rglob("PT1H.json"))
    store = Path(tempfile.mkdtemp(prefix="nw-bench-analyze-store-"))
    report = store.parent / (store.name + ".json")
    cmd = [sys.executable, "-c", "import sys; from netwarden.cli import main; sys.argv[0] = 'netwarden'; main()",
           "flows", "analyze", str(data), "--store", str(store), "--format", "json", "-o", str(report)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        me = os.getpid()
        while not done.wait(0.2):
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        stat = Path(f"/proc/{entry}/stat").read_text()
                        fields = stat[stat.rindex(")") + 2:].split()
                        if int(fields[1]) == me:      # the launcher: its own session
                            peak[0] = max(peak[0], _tree_rss_mb(int(entry)))
                    except (OSError, ValueError, IndexError):
                        pass

    load_before = os.getloadavg()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run = proc.measure(cmd, timeout, env=env)
    finally:
        done.set()
        sampler.join()
    load_after = os.getloadavg()
    result: dict[str, object] = {"tuples": tuples, "files": truth["files"], "json_bytes": size, **run,
                                 "tree_rss_mb": peak[0], "load_before": load_before,
                                 "load_after": load_after, "truth": truth}
    if report.exists():
        summary = json.loads(report.read_text())["summary"]
        result["summary"] = summary
        result["exact"] = all(summary[k] == truth[t] for k, t in (
            ("tuples_total", "tuples_total"), ("tuples_parsed", "tuples_parsed"),
            ("allowed", "allowed"), ("denied", "denied"), ("bytes", "bytes"), ("files", "files")))
        report.unlink()
    parquet = sum(p.stat().st_size for p in (store / "parts").glob("*.parquet"))
    result["parquet_bytes"] = parquet
    shutil.rmtree(store, ignore_errors=True)
    return result


def write_analyze_report(out: Path, r: dict[str, object]) -> None:
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, " \
              f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, " \
              f"Python {platform.python_version()}, duckdb {duckdb.__version__}, pyarrow {pa.__version__}"
    summary = r.get("summary") or {}
    wall, cpu, rss, tree = r["wall_s"], r["cpu_s"], r["rss_mb"], r["tree_rss_mb"]
    lb, la = r["load_before"], r["load_after"]
    verdict_time = "met" if not r["timed_out"] and r["rc"] == 0 and wall < 180 else "missed"
    verdict_mem = "met" if tree and tree < 4096 else "missed"
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    start, end = "<!-- analyze:start -->", "<!-- analyze:end -->"
    block = (f"{start}\n`flows analyze` over {r['tuples']:,} tuples: {r['files']:,} distinct PT1H.json "
             f"files, {r['json_bytes'] / 1e9:.2f} GB of JSON (NSG v2 and VNet), a fresh store; one "
             f"whole process (`python benchmarks/flows_bench.py --analyze-tuples {r['tuples']}`); "
             f"{machine}.\n\n"
             f"| wall s | CPU s (all processes) | peak RSS, largest process | peak RSS, all processes (sampled) | Parquet landed | exit | figures equal the generator's truth |\n"
             f"|---:|---:|---:|---:|---:|---:|---|\n"
             f"| {wall:.1f} | {cpu if cpu is None else f'{cpu:.1f}'} | "
             f"{'?' if rss is None else f'{rss / 1024:.2f} GiB'} | {tree / 1024:.2f} GiB | "
             f"{int(r['parquet_bytes']) / 1e9:.2f} GB | {r['rc']} | {r.get('exact')} |\n\n"
             f"Targets: under 3 min — **{verdict_time}**; under 4 GiB — **{verdict_mem}**. "
             f"Load average before / after: {lb[0]:.2f} / {la[0]:.2f}. "
             f"Tuples {summary.get('tuples_total', 0):,}, distinct flows {summary.get('flows', 0):,}, "
             f"bytes {summary.get('bytes', 0):,}.\n{end}")
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text + "\n" + block + "\n"
    out.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tuples", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "FLOWS.md")
    parser.add_argument("--keep", type=Path, help="generate into (or reuse) this directory")
    parser.add_argument("--analyze-tuples", type=int, metavar="N",
                        help="instead: `flows analyze` over N tuples as one process (wall, peak RSS); "
                             "the logs are generated once into benchmarks/out/flows-N (or --keep)")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--formats", nargs="+", default=["nsg2"], choices=["nsg1", "nsg2", "vnet"],
                        help="log formats of the generated files (default: NSG v2, the target's input)")
    args = parser.parse_args()
    if args.analyze_tuples:
        data = args.keep or ROOT / "benchmarks" / "out" / f"flows-{args.analyze_tuples}"
        data.mkdir(parents=True, exist_ok=True)
        result = analyze_run(args.analyze_tuples, data, os.cpu_count() or 1, args.timeout)
        print(json.dumps({k: v for k, v in result.items() if k != "stderr_tail" or v}, indent=1))
        write_analyze_report(args.out, result)
        return

    per_file = 40_000
    spec = Spec(files=max(1, args.tuples // per_file), records_per_file=10, groups_per_record=4,
                tuples_per_group=per_file // 40, formats=tuple(args.formats), seed=1)
    data = args.keep or Path(tempfile.mkdtemp(prefix="nw-bench-logs-"))
    if not any(data.rglob("PT1H.json")):
        started = time.perf_counter()
        truth = generate(data, spec)
        print(f"generated {truth.tuples_total:,} tuples in {time.perf_counter() - started:.1f} s", flush=True)
    files = list(discover([data]))
    size = sum(p.stat().st_size for p in files)
    load_before = os.getloadavg()
    rows = []
    runs: list[tuple[str, Callable[[], int], int]] = [
        ("baseline: json + split/int loop", lambda: baseline(files), max(1, args.repeats - 1)),
        ("reference parser (pure Python, validating)", lambda: reference(files), 1),
    ]
    for engine in ENGINES:
        runs.append((f"netwarden parse, {engine} engine (to validated columns)",
                     lambda engine=engine: parse_only(engine)(files), args.repeats))
    for engine in ENGINES:
        runs.append((f"netwarden ingest, {engine} engine, 1 process (+ Parquet)",
                     ingest(data, 1, engine), args.repeats))
    pool = f"netwarden ingest, {DEFAULT_ENGINE} engine, {os.cpu_count()} landing processes (+ Parquet)"
    runs.append((pool, ingest(data, None, DEFAULT_ENGINE), args.repeats))
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
    write_report(args.out, rows, size, len(files), reuse, parquet, (load_before[0], os.getloadavg()[0]),
                 args.formats)


def write_report(out: Path, rows: list[tuple[str, int, float, float]], size: int, files: int,
                 reuse: tuple[float, float], parquet: int, load: tuple[float, float],
                 formats: list[str]) -> None:
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
    kinds = " and ".join({"nsg1": "NSG v1", "nsg2": "NSG v2", "vnet": "VNet"}[f] for f in formats)
    block = (f"{start}\n{files} files, {size / 1e6:.1f} MB of JSON ({kinds}, 40,000 tuples "
             f"per PT1H.json); {machine}.\n\n{table}\n\nReuse (every file unchanged: manifest "
             f"check) + a top-talkers query over the Parquet: {reuse[0]:.2f} s CPU, {reuse[1]:.2f} s "
             f"wall. Parquet landed: {parquet / 1e6:.1f} MB. Load average (1 min) at the start / "
             f"end: {load[0]:.2f} / {load[1]:.2f} on {os.cpu_count()} cores.\n{end}")
    if start in text and end in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text + "\n" + block + "\n"
    out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
