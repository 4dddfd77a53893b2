"""Azure's published service-tag file (ServiceTags_Public_*.json): tag name -> prefixes.

Shape: ``{"values": [{"name": "Storage.WestEurope", "properties": {"addressPrefixes": [...]}}]}``.
IPv6 prefixes are kept; the IPv4 engine ignores them.
"""

from __future__ import annotations

from pathlib import Path

from netwarden.ingest import fields
from netwarden.ingest.loader import read_json
from netwarden.ingest.node import Node
from netwarden.model.values import Location, Prefix


def load_service_tags(path: str | Path) -> dict[str, tuple[Prefix, ...]]:
    """Tag name (case-insensitive key, lower-cased) -> prefixes. Raises IngestError."""
    root = Node(read_json(Path(path)), Location(str(path)))
    values = root.get("values")
    if not isinstance(values.value, list):
        raise values.error("expected the service-tag file's 'values' list")
    tags: dict[str, tuple[Prefix, ...]] = {}
    for entry in values.items():
        name = entry.get("name").required_str()
        tags[name.lower()] = fields.prefixes(entry.path("properties", "addressPrefixes"))
    return tags
