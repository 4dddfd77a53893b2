"""Input adapters: files in, the model out; problems as located errors."""

from __future__ import annotations

from netwarden.ingest.interface import IngestError
from netwarden.ingest.loader import load_estate

__all__ = ["IngestError", "load_estate"]
