"""Which resources a change added, removed or changed (by ID, case-insensitive)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.estate import Estate


@dataclass
class ResourceDelta:
    added: list[Resource] = field(default_factory=list)
    removed: list[Resource] = field(default_factory=list)
    changed: list[tuple[Resource, Resource]] = field(default_factory=list)   # (before, after)

    @cached_property
    def keys(self) -> set[str]:
        """Every touched ID (computed once: the delta is complete when it is built)."""
        found = {ids.key(r.id) for r in (*self.added, *self.removed)}
        found |= {ids.key(after.id) for _, after in self.changed}
        return found

    @cached_property
    def route_tables(self) -> set[str]:
        """Changed route tables: a route hop names its route, a child of the table."""
        from netwarden.model.network import RouteTable

        return {ids.key(after.id) for _, after in self.changed if isinstance(after, RouteTable)}

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def compare(before: Estate, after: Estate) -> ResourceDelta:
    """Top-level resources compared by value (their source location and tags aside)."""
    old = {ids.key(r.id): r for r in before}
    new = {ids.key(r.id): r for r in after}
    delta = ResourceDelta()
    delta.added = [new[k] for k in new if k not in old]
    delta.removed = [old[k] for k in old if k not in new]
    delta.changed = [(old[k], new[k]) for k in new if k in old and old[k] != new[k]]
    return delta


def changed_fields(before: Resource, after: Resource) -> list[str]:
    from dataclasses import fields

    return [f.name for f in fields(before) if f.compare
            and getattr(before, f.name, None) != getattr(after, f.name, None)]
