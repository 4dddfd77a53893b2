"""The fields every Azure resource has."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from netwarden.model.values import NOWHERE, Location

EMPTY_TAGS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    id: str
    name: str
    type: str
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: EMPTY_TAGS, compare=False)
    source: Location = field(default=NOWHERE, compare=False)
