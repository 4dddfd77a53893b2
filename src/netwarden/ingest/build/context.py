"""What a builder needs besides its own resource: its children, and a place to warn."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from netwarden.ingest import fields
from netwarden.ingest.interface import RawResource
from netwarden.ingest.node import Node
from netwarden.model import ids
from netwarden.model.base import Resource
from netwarden.model.estate import Diagnostic
from netwarden.model.values import Location

Builder = Callable[[RawResource, "BuildContext"], Iterable[Resource]]


class BuildContext:
    def __init__(self, raws: Iterable[RawResource]) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._children: dict[tuple[str, str], list[RawResource]] = defaultdict(list)
        for raw in raws:
            if raw.parent_id:
                segment = raw.type_key.rsplit("/", 1)[-1]
                self._children[(ids.key(raw.parent_id), segment)].append(raw)

    def children(self, raw: RawResource, segment: str) -> list[RawResource]:
        """Child resources of ``raw`` of one type segment (``subnets``), inline or standalone."""
        return self._children.get((ids.key(raw.id), segment.lower()), [])

    def warn(self, location: Location, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(code, message, location))


def common(raw: RawResource) -> dict[str, Any]:
    """The constructor arguments every resource shares."""
    node = raw.node
    return {
        "id": raw.id,
        "name": raw.name,
        "type": raw.type,
        "region": node.get("location").str() if isinstance(node.value, dict) else None,
        "tags": fields.tags(node.get("tags")),
        "source": node.location,
    }


def props(raw: RawResource) -> Node:
    return raw.node.get("properties")


def part_common(node: Node, owner_id: str, segment: str, kind: str) -> dict[str, Any]:
    """Arguments for a sub-object (an ipConfiguration) that may lack an id of its own."""
    name = node.get("name").str() or "default"
    part_id = node.get("id").str() or f"{owner_id}/{segment}/{name}"
    return {"id": part_id, "name": name, "type": kind, "source": node.location}
