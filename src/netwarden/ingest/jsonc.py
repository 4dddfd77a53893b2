"""JSON with comments: real ARM templates and hand-edited exports carry ``//`` and
``/* */`` comments, which strict JSON rejects."""

from __future__ import annotations

import json
import re
from typing import Any

from netwarden.ingest.interface import IngestError
from netwarden.model.values import Location

_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)


def _blank(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.startswith('"'):
        return text
    # keep newlines so that error line numbers stay true
    return re.sub(r"[^\n]", " ", text)


def strip_comments(text: str) -> str:
    return _TOKENS.sub(_blank, text)


def loads(text: str, file: str) -> Any:
    """Parse JSON, tolerating comments; a syntax error is located by line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return json.loads(strip_comments(text))
    except json.JSONDecodeError as exc:
        raise IngestError(Location(file, line=exc.lineno),
                          f"column {exc.colno}: invalid JSON: {exc.msg}") from None
