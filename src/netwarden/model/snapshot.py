"""Snapshots: an estate saved once it is loaded, restored in a fraction of the time.

Loading a large export parses and validates every resource (seconds for 20,000 NICs). A
snapshot stores each resource pickled on its own, with the estate's relation indexes and
its diagnostics, so that restoring reads a table of contents and materialises a resource
only when something asks for it: a query that walks five subnets unpickles those, their
NSGs and their NICs, not the other 20,000.

The file: ``MAGIC``, the resources one after another, then each index, then the table of
contents (a pickled dict) and its length as 8 bytes. A snapshot is tied to the netwarden
version and the shape of the model classes that wrote it; one that does not match is
refused with the reason, never half-read. Snapshots are pickles: restore only the ones
you (or your pipeline) wrote — like any pickle, a crafted file can run code.
"""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import hashlib
import importlib
import io
import mmap
import os
import pickle
import pkgutil
import struct
import sys
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from netwarden.model.base import Resource
from netwarden.model.estate import INDEXES, Estate, children
from netwarden.model.ids import key

MAGIC = b"NWSNAP\x00\x01"
FORMAT = 1
_TRAILER = struct.Struct("<Q")

def _mapping_proxy(items: dict[Any, Any]) -> Mapping[Any, Any]:
    return MappingProxyType(items)


# Mapping proxies (read-only tags and labels) do not pickle by themselves.
_DISPATCH = {**copyreg.dispatch_table, MappingProxyType: lambda m: (_mapping_proxy, (dict(m),))}


class SnapshotError(ValueError):
    """A file that is not a snapshot this netwarden can restore (the message says why)."""


def is_snapshot(path: str | Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def fingerprint(path: str | Path) -> tuple[str, int, int]:
    """What a snapshot remembers of an input file to tell when it changed."""
    stat = os.stat(path)
    return (str(path), stat.st_size, stat.st_mtime_ns)


def write(estate: Estate, path: str | Path, inputs: list[str] | None = None) -> dict[str, int]:
    """Save an estate; ``inputs`` are the files it was loaded from (their size and time are
    kept, to warn when a snapshot is older than its inputs). Returns what was written."""
    from netwarden import __version__

    indexes = estate.build_indexes()
    buffer = io.BytesIO()
    buffer.write(MAGIC)
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.dispatch_table = _DISPATCH  # type: ignore[misc]
    offsets = array("Q", [buffer.tell()])
    slot_of: dict[str, int] = {}
    type_keys: dict[type[Resource], list[str]] = {}
    for cls in estate.types():
        keys = type_keys[cls] = []
        for resource in estate.of(cls):
            resource_key = key(resource.id)
            pickler.dump(resource)
            pickler.clear_memo()
            slot = slot_of[resource_key] = len(offsets) - 1     # a top-level ID wins over
            for child in children(resource):                     # a child's, as in Estate
                slot_of.setdefault(key(child.id), slot)
            offsets.append(buffer.tell())
            keys.append(resource_key)
    sections: dict[str, tuple[int, int]] = {}

    def section(name: str, value: Any) -> None:
        start = buffer.tell()
        pickler.dump(value)
        pickler.clear_memo()
        sections[name] = (start, buffer.tell() - start)

    section("table", (slot_of, offsets.tobytes(), type_keys))
    section("meta", (estate.diagnostics, estate.unknown_types, estate.sources))
    for name, index in indexes.items():
        section(f"index:{name}", index)
    contents = {"format": FORMAT, "netwarden": __version__, "model": _model_shape(),
                "python": sys.version_info[:2], "sections": sections,
                "inputs": [fingerprint(p) for p in inputs or () if os.path.isfile(p)]}
    start = buffer.tell()
    pickle.dump(contents, buffer, protocol=5)
    buffer.write(_TRAILER.pack(buffer.tell() - start))
    data = buffer.getbuffer()
    temporary = Path(f"{path}.tmp{os.getpid()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        data.release()
        temporary.unlink(missing_ok=True)
    return {"resources": len(offsets) - 1, "bytes": buffer.tell()}


def read(path: str | Path) -> tuple[Estate, list[str]]:
    """Restore an estate. Returns it with the inputs that changed since it was written
    (those still on disk whose size or time differ). Raises SnapshotError."""
    from netwarden import __version__

    with open(path, "rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:                 # an empty file
            raise SnapshotError("not a netwarden snapshot (empty file)") from None
    if data[:len(MAGIC)] != MAGIC or len(data) < len(MAGIC) + _TRAILER.size:
        raise SnapshotError("not a netwarden snapshot")
    try:
        (length,) = _TRAILER.unpack_from(data, len(data) - _TRAILER.size)
        contents = pickle.loads(data[len(data) - _TRAILER.size - length:len(data) - _TRAILER.size])
        if contents.get("format") != FORMAT or contents.get("netwarden") != __version__ \
                or contents.get("model") != _model_shape():
            raise SnapshotError(f"written by netwarden {contents.get('netwarden')} (format "
                                f"{contents.get('format')}), which this version {__version__} "
                                "cannot restore: create the snapshot again")
        sections = contents["sections"]

        def section(name: str) -> Any:
            start, size = sections[name]
            return pickle.loads(data[start:start + size])

        slot_of, offsets_bytes, type_keys = section("table")
        diagnostics, unknown_types, sources = section("meta")
    except SnapshotError:
        raise
    except Exception as exc:  # noqa: BLE001 - truncated or corrupted: unpickling raises any type
        raise SnapshotError(f"damaged snapshot ({type(exc).__name__}: {exc})") from None
    offsets = array("Q")
    offsets.frombytes(offsets_bytes)
    resources = _Resources(data, slot_of, offsets)
    estate = Estate._restore(resources, type_keys, _Indexes(section),
                             unknown_types=Counter(unknown_types),
                             diagnostics=list(diagnostics), sources=tuple(sources))
    changed = [p for p, size, mtime in contents.get("inputs", ())
               if os.path.isfile(p) and fingerprint(p)[1:] != (size, mtime)]
    return estate, changed


class _Resources(Mapping[str, Resource]):
    """The resources of a snapshot by ID key, unpickled on first access (a child — an IP
    configuration, route or rule — with its parent)."""

    def __init__(self, data: mmap.mmap, slot_of: dict[str, int], offsets: array) -> None:
        self._data = data
        self._slot_of = slot_of
        self._offsets = offsets
        self._cache: dict[str, Resource] = {}

    def _materialise(self, slot: int) -> None:
        resource = pickle.loads(self._data[self._offsets[slot]:self._offsets[slot + 1]])
        cache, slot_of = self._cache, self._slot_of
        cache[key(resource.id)] = resource
        for child in children(resource):
            child_key = key(child.id)
            if slot_of.get(child_key) == slot:
                cache.setdefault(child_key, child)

    def get(self, resource_key: str, default: Any = None) -> Any:
        found = self._cache.get(resource_key)
        if found is None:
            slot = self._slot_of.get(resource_key)
            if slot is None:
                return default
            self._materialise(slot)
            found = self._cache.get(resource_key, default)
        return found

    def __getitem__(self, resource_key: str) -> Resource:
        found = self.get(resource_key)
        if found is None:
            raise KeyError(resource_key)
        return found  # type: ignore[no-any-return]

    def __contains__(self, resource_key: object) -> bool:
        return resource_key in self._slot_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._slot_of)

    def __len__(self) -> int:
        return len(self._slot_of)


class _Indexes(dict):  # type: ignore[type-arg]
    """The estate's relation indexes, each unpickled on first use."""

    def __init__(self, section: Any) -> None:
        super().__init__()
        self._section = section

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        if name not in self and name in INDEXES:
            self[name] = self._section(f"index:{name}")
        return super().get(name, default)


@functools.lru_cache(maxsize=1)
def _model_shape() -> str:
    """A digest of every model class's fields (the estate's and the Kubernetes model's): a
    snapshot restores only into the shape that wrote it."""
    import netwarden.model as package

    modules = [importlib.import_module(f"{package.__name__}.{m.name}")
               for m in pkgutil.iter_modules(package.__path__)]
    modules.append(importlib.import_module("netwarden.k8s.model"))
    shapes: list[str] = []
    for module in sorted(modules, key=lambda m: m.__name__):
        for attribute in sorted(vars(module)):
            value = getattr(module, attribute)
            if isinstance(value, type) and dataclasses.is_dataclass(value) \
                    and value.__module__ == module.__name__:
                shapes.append(f"{module.__name__}.{value.__qualname__}:"
                              + ",".join(f.name for f in dataclasses.fields(value)))
    return hashlib.sha256("\n".join(shapes).encode()).hexdigest()
