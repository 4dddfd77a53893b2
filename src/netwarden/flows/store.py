"""Where parsed flows land: Parquet parts in a store directory, queried with DuckDB.

Layout of a store (``--store DIR``, default ``$XDG_CACHE_HOME/netwarden/flows``)::

    manifest.json          one entry per input file: fingerprint (size, mtime), file_id,
                           its Parquet part, and its accounting (seen/parsed/malformed)
    parts/part-NNNNNN.parquet     tuples (group_id, ts_ms, src_ip, ... bytes_recv; direction,
                                  decision and state as small integer codes)
    parts/groups-NNNNNN.parquet   their groups (group_id, file_id, record, rule, mac, NSG ...)
    parts/part-NNNNNN-K.parquet   (and groups-NNNNNN-K) further parts of one landing worker
    spill/                 DuckDB's temporary files while a query exceeds its memory limit

Many files land over a pool of worker processes (``workers``, default one per DuckDB
thread asked for, else per core), each taking runs of consecutive files of about
``batch_rows`` tuples; the workers are spawned, so a script that calls :meth:`Store.ingest`
with more than one worker needs the usual ``if __name__ == "__main__":`` guard.

An input file whose size and modification time match its manifest entry is not read
again: its rows are already in a part and its malformed counts in the manifest. A changed
file gets a new file_id; queries see only the file_ids of the files asked about, so stale
rows in old parts are never counted (and parts nobody refers to are deleted).

One process (with its workers) writes a store at a time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from netwarden.flows import native
from netwarden.flows.accounting import Accounting, Reason, Unit
from netwarden.flows.columns import CODES, COLUMNS, CONTEXT_COLUMNS, TUPLE_COLUMNS, decoded
from netwarden.flows.records import discover, groups, read
from netwarden.flows.vectorised import DEFAULT_ENGINE, Batch, Parser, _sql_path

STORE_FORMAT = 2
BATCH_ROWS = 1_000_000
BYTES_PER_TUPLE = 67           # JSON bytes per NSG v2 / VNet tuple, record overhead included
GROUP_STRIDE = 1 << 32         # group ids reserved per run of files landed by a worker
RUNS_PER_WORKER = 2            # runs of files a landing process must have to be started
MEMORY_LIMIT = "2GB"           # DuckDB's, for the queries (it spills to the store beyond)


def default_store() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netwarden" / "flows"


@dataclass
class Ingested:
    """What one ingest saw: the accounting over all files asked about, and their ids."""

    books: Accounting
    file_ids: list[int]
    files: list[str]
    parts: list[str]
    reused: int = 0          # files answered from the store without reading them
    read: int = 0
    bytes_read: int = 0

    @property
    def nothing_parseable(self) -> bool:
        return self.books.parsed[Unit.RECORD] == 0


@dataclass
class Window:
    """A time window over the flows, in epoch milliseconds (half-open: since <= t < until)."""

    since: int | None = None
    until: int | None = None

    def where(self) -> str:
        terms = []
        if self.since is not None:
            terms.append(f"ts_ms >= {int(self.since)}")
        if self.until is not None:
            terms.append(f"ts_ms < {int(self.until)}")
        return " AND ".join(terms) or "1 = 1"


@dataclass
class _Manifest:
    path: Path
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    next_part: int = 1
    next_group: int = 0

    @classmethod
    def open(cls, path: Path) -> _Manifest:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == STORE_FORMAT:
                return cls(path, data["files"], data["next_id"], data["next_part"],
                           data["next_group"])
        except (OSError, ValueError, KeyError):
            pass
        return cls(path)

    def save(self) -> None:
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps({"format": STORE_FORMAT, "next_id": self.next_id,
                                    "next_part": self.next_part, "next_group": self.next_group,
                                    "files": self.files}),
                        encoding="utf-8")
        temp.replace(self.path)


class Store:
    def __init__(self, directory: Path | None = None, threads: int | None = None,
                 batch_rows: int = BATCH_ROWS, workers: int | None = None,
                 memory_limit: str | None = MEMORY_LIMIT, engine: str = DEFAULT_ENGINE) -> None:
        self.dir = Path(directory) if directory is not None else default_store()
        self.parts_dir = self.dir / "parts"
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = _Manifest.open(self.dir / "manifest.json")
        self.landing = Landing(self.parts_dir, batch_rows, engine)
        # landing processes: as many as DuckDB threads asked for (else cores)
        self.workers = max(1, workers or threads or os.cpu_count() or 1)
        self.con = duckdb.connect()
        if memory_limit:
            # spill big aggregates (distinct flows over 10^8 tuples) instead of growing
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
            self.con.execute(f"SET temp_directory = '{_sql_path(self.dir / 'spill')}'")
        # row order means nothing in a flows table; keeping it would serialise the Parquet writes
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    # -- ingest ------------------------------------------------------------------------------

    def ingest(self, paths: Iterable[str | Path]) -> Ingested:
        """Land every file named (or found below a directory named) and account for it.
        Raises FileNotFoundError for a path that does not exist."""
        files = list(dict.fromkeys(str(p.resolve()) for p in discover(paths)))
        result = Ingested(Accounting(), [], files, [])
        todo: list[tuple[str, os.stat_result | None]] = []
        for name in files:
            try:
                stat: os.stat_result | None = os.stat(name)
            except OSError:
                stat = None
            entry = self.manifest.files.get(name)
            if entry is not None and stat is not None and entry["size"] == stat.st_size \
                    and entry["mtime_ns"] == stat.st_mtime_ns:
                result.reused += 1
            else:
                todo.append((name, stat))
        self._read(todo, result)
        for name in files:
            entry = self.manifest.files[name]
            result.file_ids.append(entry["id"])
            if entry["part"] and entry["part"] not in result.parts:
                result.parts.append(entry["part"])
            result.books.merge(Accounting.from_json(entry["books"]))
        result.books.check()
        self._collect_garbage()
        return result

    def _read(self, todo: list[tuple[str, os.stat_result | None]], result: Ingested) -> None:
        """Land the files in order, in batches of about ``batch_rows`` tuples (memory stays at
        one batch plus one file per process). Many files go to a pool of ``workers``
        processes, each landing runs of consecutive files with its own DuckDB on one thread;
        their parts, group ids and file ids are reserved here, so the store is the same as
        one process would have written, but for the parts' names and group numbering."""
        files = []
        for name, stat in todo:
            files.append((name, stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1,
                          self.manifest.next_id))
            self.manifest.next_id += 1
            result.read += 1
            result.bytes_read += max(0, files[-1][1])
        runs = _runs(files, self.landing.batch_rows * BYTES_PER_TUPLE)
        # a landing process takes ≈0.5 s to start (Python, pyarrow, DuckDB): as long as one
        # batch, so a pool pays only from two runs per process
        workers = min(self.workers, len(runs) // RUNS_PER_WORKER)
        if workers <= 1:
            for run in runs:
                entries, used, _ = _land(self.con, self.landing, run,
                                         lambda: f"{self._next_part():06d}", self.manifest.next_group)
                self._record(entries, used)
            native.release()      # the scanner's buffers, kept from batch to batch until here
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        first_part, first_group = self.manifest.next_part, self.manifest.next_group
        jobs = [(self.landing, run, first_part + i, first_group + i * GROUP_STRIDE)
                for i, run in enumerate(runs)]
        # reserved before any part is written: a manifest saved after some runs never hands
        # their part numbers or group ids out again
        self.manifest.next_part += len(runs)
        self.manifest.next_group = first_group + len(runs) * GROUP_STRIDE
        # spawn, not fork: this process holds DuckDB's threads
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            for entries, _, _ in pool.map(_land_job, jobs):
                self._record(entries, 0)

    def _next_part(self) -> int:
        number = self.manifest.next_part
        self.manifest.next_part += 1
        return number

    def _record(self, entries: dict[str, dict[str, Any]], groups_used: int) -> None:
        self.manifest.files.update(entries)
        self.manifest.next_group += groups_used
        self.manifest.save()

    def _collect_garbage(self) -> None:
        live = {e["part"] for e in self.manifest.files.values() if e["part"]}
        live |= {p.replace("part-", "groups-") for p in live}
        for part in self.parts_dir.glob("*.parquet"):
            if part.name not in live:
                part.unlink(missing_ok=True)

    # -- queries -------------------------------------------------------------------------------

    def open_flows(self, ingested: Ingested, window: Window | None = None) -> duckdb.DuckDBPyConnection:
        """The store's connection with the view ``flows``: the rows of the files ingested,
        inside the window (``all_flows``: the same without the window). Beside it, its two
        halves: ``flow_groups`` (the groups of those files: ``group_id`` and the context
        columns) and ``flow_tuples`` (``group_id`` and the tuple columns inside the window,
        of every part read: only rows that join ``flow_groups`` belong to the files)."""
        con = self.con
        con.register("nw_active", pa.table({"file_id": pa.array(ingested.file_ids, pa.int32())}))
        tuples = ", ".join(decoded(name, "t") if name in CODES else f"t.{name}"
                           for name in TUPLE_COLUMNS)
        contexts = ", ".join(f"g.{name}" for name in CONTEXT_COLUMNS)
        types = dict(COLUMNS)
        if ingested.parts:
            def listed(prefix: str) -> str:
                return "[" + ", ".join("'" + str(self.parts_dir / p.replace("part-", prefix))
                                       .replace("'", "''") + "'" for p in ingested.parts) + "]"
            con.execute(f"CREATE OR REPLACE TEMP VIEW all_flows AS SELECT {contexts}, {tuples} "
                        f"FROM read_parquet({listed('part-')}) AS t "
                        f"JOIN read_parquet({listed('groups-')}) AS g ON t.group_id = g.group_id "
                        f"WHERE g.file_id IN (SELECT file_id FROM nw_active)")
            con.execute(f"CREATE OR REPLACE TEMP VIEW flow_groups AS SELECT g.group_id, {contexts} "
                        f"FROM read_parquet({listed('groups-')}) AS g "
                        f"WHERE g.file_id IN (SELECT file_id FROM nw_active)")
            con.execute(f"CREATE OR REPLACE TEMP VIEW all_flow_tuples AS SELECT t.group_id, {tuples} "
                        f"FROM read_parquet({listed('part-')}) AS t")
        else:
            empty = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in COLUMNS)
            con.execute(f"CREATE OR REPLACE TEMP VIEW all_flows AS SELECT {empty} WHERE 1 = 0")
            con.execute("CREATE OR REPLACE TEMP VIEW flow_groups AS SELECT CAST(NULL AS BIGINT) AS group_id, "
                        + ", ".join(f"CAST(NULL AS {types[n]}) AS {n}" for n in CONTEXT_COLUMNS)
                        + " WHERE 1 = 0")
            con.execute("CREATE OR REPLACE TEMP VIEW all_flow_tuples AS SELECT CAST(NULL AS BIGINT) AS group_id, "
                        + ", ".join(f"CAST(NULL AS {types[n]}) AS {n}" for n in TUPLE_COLUMNS)
                        + " WHERE 1 = 0")
        where = (window or Window()).where()
        con.execute(f"CREATE OR REPLACE TEMP VIEW flows AS SELECT * FROM all_flows WHERE {where}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW flow_tuples AS SELECT * FROM all_flow_tuples WHERE {where}")
        return con

    def close(self) -> None:
        self.con.close()


def malformed_files(books: Accounting) -> int:
    return sum(books.malformed[r] for r in Reason if r.unit is Unit.FILE)


# -- landing (in this process or in a worker) ------------------------------------------------------

@dataclass(frozen=True)
class Landing:
    """How a process lands batches: where, how many tuples a batch holds, which parser engine."""

    parts_dir: Path
    batch_rows: int
    engine: str


# (path, size, mtime_ns, file_id) of one input file
FileJob = tuple[str, int, int, int]


def _runs(files: list[FileJob], target_bytes: int) -> list[list[FileJob]]:
    """Consecutive files cut into runs of about ``target_bytes`` (gzip counted 10x)."""
    runs: list[list[FileJob]] = []
    run: list[FileJob] = []
    size = 0
    for job in files:
        run.append(job)
        size += max(0, job[1]) * (10 if job[0].lower().endswith(".gz") else 1)
        if size >= target_bytes:
            runs.append(run)
            run, size = [], 0
    if run:
        runs.append(run)
    return runs


def _land_job(job: tuple[str, int, list[FileJob], int, int]) -> tuple[dict[str, dict[str, Any]], int, int]:
    """A worker's share: one run of files, landed by a DuckDB of its own on one thread.
    Its parts are ``part-NNNNNN.parquet``, then ``part-NNNNNN-K.parquet``."""
    landing, run, number, first_group = job
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    names = iter(range(1 << 30))

    def part_name() -> str:
        k = next(names)
        return f"{number:06d}" if k == 0 else f"{number:06d}-{k}"

    try:
        entries, used, parts = _land(con, landing, run, part_name, first_group)
    finally:
        con.close()
    if used > GROUP_STRIDE:
        raise RuntimeError(f"{used} flow groups in one run of files: more than {GROUP_STRIDE}")
    return entries, used, parts


def _land(con: duckdb.DuckDBPyConnection, landing: Landing, files: list[FileJob],
          next_part: Callable[[], str], first_group: int) -> tuple[dict[str, dict[str, Any]], int, int]:
    """Read ``files`` in order and land a batch whenever it holds ``batch_rows`` tuples
    (in parts named ``part-{next_part()}``); returns the manifest entries of the files, the
    group ids used from ``first_group`` and the number of parts written."""
    books: dict[int, Accounting] = {}
    parser = Parser(con, books.__getitem__, landing.engine)
    batch = Batch()
    members: list[FileJob] = []
    entries: dict[str, dict[str, Any]] = {}
    group = first_group
    written = 0

    def flush() -> None:
        nonlocal batch, members, group, written
        part, counts = None, {}
        if batch.rows:
            label = next_part()
            part = f"part-{label}.parquet"
            counts = parser.flush(batch, landing.parts_dir / part,
                                  landing.parts_dir / f"groups-{label}.parquet", group)
            group += len(batch.contexts)
            written += 1
        for name, size, mtime_ns, file_id in members:
            file_books = books.pop(file_id)
            file_books.ok(Unit.TUPLE, counts.get(file_id, 0))
            file_books.check()
            entries[name] = {"id": file_id, "size": size, "mtime_ns": mtime_ns,
                             "part": part if counts.get(file_id) else None,
                             "books": file_books.to_json()}
        batch, members = Batch(), []

    for job in files:
        name, file_id = job[0], job[3]
        file_books = books[file_id] = Accounting()
        members.append(job)
        path = Path(name)
        document, source = read(path, file_books, parser.lift)
        if document is not None:
            for context, tuples in groups(document, path, file_books, source):
                file_books.see(Unit.TUPLE, len(tuples))
                batch.add(context, file_id, tuples)
        del document, source
        if batch.rows >= landing.batch_rows:
            flush()
    if members:
        flush()
    return entries, group - first_group, written
