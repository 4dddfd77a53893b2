"""Where parsed flows land: Parquet parts in a store directory, queried with DuckDB.

Layout of a store (``--store DIR``, default ``$XDG_CACHE_HOME/netwarden/flows``)::

    manifest.json          one entry per input file: fingerprint (size, mtime), file_id,
                           its Parquet part, and its accounting (seen/parsed/malformed)
    parts/part-NNNNNN.parquet     tuples (group_id, ts_ms, src_ip, ... bytes_recv; direction,
                                  decision and state as small integer codes)
    parts/groups-NNNNNN.parquet   their groups (group_id, file_id, record, rule, mac, NSG ...)

An input file whose size and modification time match its manifest entry is not read
again: its rows are already in a part and its malformed counts in the manifest. A changed
file gets a new file_id; queries see only the file_ids of the files asked about, so stale
rows in old parts are never counted (and parts nobody refers to are deleted).

One process writes a store at a time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from netwarden.flows.accounting import Accounting, Reason, Unit
from netwarden.flows.records import discover, groups, load
from netwarden.flows.vectorised import (
    CODES,
    COLUMNS,
    CONTEXT_COLUMNS,
    TUPLE_COLUMNS,
    Batch,
    Parser,
    decoded,
)

STORE_FORMAT = 2
BATCH_ROWS = 1_000_000


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
                 batch_rows: int = BATCH_ROWS) -> None:
        self.dir = Path(directory) if directory is not None else default_store()
        self.parts_dir = self.dir / "parts"
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = _Manifest.open(self.dir / "manifest.json")
        self.batch_rows = batch_rows
        self.con = duckdb.connect()
        # row order means nothing in a flows table; keeping it would serialise the Parquet writes
        self.con.execute("SET preserve_insertion_order = false")
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
        """Read files in order; land a batch whenever it holds ``batch_rows`` tuples, so
        memory stays at one batch plus one file. DuckDB uses ``threads`` for its part."""
        books: dict[int, Accounting] = {}
        parser = Parser(self.con, books.__getitem__)
        batch = Batch()
        members: list[tuple[str, os.stat_result | None, int]] = []

        def flush() -> None:
            nonlocal batch, members
            part, counts = None, {}
            if batch.rows:
                number = self.manifest.next_part
                part = f"part-{number:06d}.parquet"
                self.manifest.next_part += 1
                counts = parser.flush(batch, self.parts_dir / part,
                                      self.parts_dir / f"groups-{number:06d}.parquet",
                                      self.manifest.next_group)
                self.manifest.next_group += len(batch.contexts)
            for name, stat, file_id in members:
                file_books = books.pop(file_id)
                file_books.ok(Unit.TUPLE, counts.get(file_id, 0))
                file_books.check()
                self.manifest.files[name] = {
                    "id": file_id, "size": stat.st_size if stat else -1,
                    "mtime_ns": stat.st_mtime_ns if stat else -1,
                    "part": part if counts.get(file_id) else None, "books": file_books.to_json()}
            self.manifest.save()
            batch, members = Batch(), []

        for name, stat in todo:
            file_id = self.manifest.next_id
            self.manifest.next_id += 1
            file_books = books[file_id] = Accounting()
            members.append((name, stat, file_id))
            path = Path(name)
            result.read += 1
            result.bytes_read += stat.st_size if stat else 0
            document = load(path, file_books)
            if document is not None:
                for context, tuples in groups(document, path, file_books):
                    file_books.see(Unit.TUPLE, len(tuples))
                    batch.add(context, file_id, tuples)
            del document
            if batch.rows >= self.batch_rows:
                flush()
        if members:
            flush()

    def _collect_garbage(self) -> None:
        live = {e["part"] for e in self.manifest.files.values() if e["part"]}
        live |= {p.replace("part-", "groups-") for p in live}
        for part in self.parts_dir.glob("*.parquet"):
            if part.name not in live:
                part.unlink(missing_ok=True)

    # -- queries -------------------------------------------------------------------------------

    def open_flows(self, ingested: Ingested, window: Window | None = None) -> duckdb.DuckDBPyConnection:
        """The store's connection with the view ``flows``: the rows of the files ingested,
        inside the window (``all_flows``: the same without the window)."""
        con = self.con
        con.register("nw_active", pa.table({"file_id": pa.array(ingested.file_ids, pa.int32())}))
        tuples = ", ".join(decoded(name, "t") if name in CODES else f"t.{name}"
                           for name in TUPLE_COLUMNS)
        contexts = ", ".join(f"g.{name}" for name in CONTEXT_COLUMNS)
        if ingested.parts:
            def listed(prefix: str) -> str:
                return "[" + ", ".join("'" + str(self.parts_dir / p.replace("part-", prefix))
                                       .replace("'", "''") + "'" for p in ingested.parts) + "]"
            con.execute(f"CREATE OR REPLACE TEMP VIEW all_flows AS SELECT {contexts}, {tuples} "
                        f"FROM read_parquet({listed('part-')}) AS t "
                        f"JOIN read_parquet({listed('groups-')}) AS g ON t.group_id = g.group_id "
                        f"WHERE g.file_id IN (SELECT file_id FROM nw_active)")
        else:
            empty = ", ".join(f"CAST(NULL AS {t}) AS {n}" for n, t in COLUMNS)
            con.execute(f"CREATE OR REPLACE TEMP VIEW all_flows AS SELECT {empty} WHERE 1 = 0")
        where = (window or Window()).where()
        con.execute(f"CREATE OR REPLACE TEMP VIEW flows AS SELECT * FROM all_flows WHERE {where}")
        return con

    def close(self) -> None:
        self.con.close()


def malformed_files(books: Accounting) -> int:
    return sum(books.malformed[r] for r in Reason if r.unit is Unit.FILE)
