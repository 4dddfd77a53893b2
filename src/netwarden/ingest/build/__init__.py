"""Azure-shaped raw resources -> the model. One builder per resource type; every input
format reaches the model through here, so each property's meaning is coded once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from netwarden.ingest.build import compute, edge, firewall, monitoring, network, paas, security
from netwarden.ingest.build.context import BuildContext, Builder
from netwarden.ingest.interface import IngestError, RawResource
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.estate import Diagnostic, Estate
from netwarden.model.values import Location

_MODULES = (network, security, compute, firewall, edge, paas, monitoring)
BUILDERS: dict[str, Builder] = {k: v for m in _MODULES for k, v in m.BUILDERS.items()}
CONSUMED_CHILDREN: frozenset[str] = frozenset().union(*(m.CONSUMED_CHILDREN for m in _MODULES))
KNOWN_TYPES = frozenset(BUILDERS) | CONSUMED_CHILDREN

# Read-only or volatile properties that may differ between two exports of one resource.
_VOLATILE = frozenset({"etag", "provisioningstate", "resourceguid", "systemdata"})


def build_estate(raws: Iterable[RawResource], *, diagnostics: Iterable[Diagnostic] = (),
                 sources: Iterable[str] = ()) -> Estate:
    notes: list[Diagnostic] = list(diagnostics)
    merged = merge_duplicates(raws, notes)
    ctx = BuildContext(merged)
    present = {ids.key(raw.id) for raw in merged}
    resources: list[Resource] = []
    unknown: Counter[str] = Counter()
    for raw in merged:
        builder = BUILDERS.get(raw.type_key)
        if builder is not None:
            resources.extend(builder(raw, ctx))
        elif raw.type_key in CONSUMED_CHILDREN:
            if raw.parent_id and ids.key(raw.parent_id) not in present:
                ctx.warn(raw.node.location, "orphan",
                         f"{raw.name}: its parent {raw.parent_id} is not in the input; ignored")
        else:
            unknown[raw.type] += 1
    return Estate(resources, unknown_types=unknown,
                  diagnostics=[*notes, *ctx.diagnostics], sources=sources)


def merge_duplicates(raws: Iterable[RawResource], notes: list[Diagnostic]) -> list[RawResource]:
    """One raw resource per ID. The same resource exported twice (inline in its parent and
    on its own, or in two files) merges. Two that disagree on a property are an error
    within one file (the export is corrupt); across files they are two snapshots, and the
    first is kept with a warning that names both (and the inline children of the second
    go with it: the kept resource must not mix two snapshots)."""
    by_id: dict[str, RawResource] = {}
    dropped: list[Location] = []
    for raw in raws:
        if any(_inside(raw.node.location, snapshot) for snapshot in dropped):
            continue
        k = ids.key(raw.id)
        first = by_id.get(k)
        if first is None:
            by_id[k] = raw
            continue
        if first.type_key != raw.type_key:
            raise IngestError(raw.node.location,
                              f"duplicate ID {raw.id} with another type ({first.type}) "
                              f"at {first.node.location}")
        conflict = _conflict(_props(first), _props(raw))
        if conflict:
            message = (f"conflicting duplicate of {raw.id} (first at {first.node.location}): "
                       f"properties.{conflict} differs")
            if raw.node.location.file == first.node.location.file:
                raise IngestError(raw.node.location, message)
            notes.append(Diagnostic("conflicting-duplicate", f"{message}; the first is kept",
                                    raw.node.location))
            dropped.append(raw.node.location)
            continue
        richer = raw if len(_props(raw)) > len(_props(first)) else first
        by_id[k] = RawResource(first.id, first.type, first.name, richer.node,
                               first.parent_id or raw.parent_id)
    return list(by_id.values())


def _inside(child: Location, parent: Location) -> bool:
    """Whether ``child`` is a JSON path within ``parent`` (an inline child of it)."""
    return child.file == parent.file and (
        not parent.path or child.path.startswith(parent.path + "."))


def _props(raw: RawResource) -> dict[str, Any]:
    value = raw.node.get("properties").value
    return value if isinstance(value, dict) else {}


def _conflict(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    """The first property both define differently (ignoring volatile ones), else None."""
    lowered_b = {k.lower(): v for k, v in b.items()}
    for name, value in a.items():
        if name.lower() in _VOLATILE or name.lower() not in lowered_b:
            continue
        if _normal(value) != _normal(lowered_b[name.lower()]):
            return name
    return None


def _normal(value: Any) -> Any:
    """Compare values the way ARM does: IDs case-insensitively, volatile fields dropped."""
    if isinstance(value, dict):
        return {k.lower(): _normal(v) for k, v in value.items() if k.lower() not in _VOLATILE}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str) and value.lower().startswith("/subscriptions/"):
        return value.lower()
    return value
