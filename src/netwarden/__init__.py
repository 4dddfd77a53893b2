"""netwarden: proves what an Azure network lets through."""

from __future__ import annotations

__version__ = "0.1.0"
