"""JSON with comments: real ARM templates and hand-edited exports carry ``//`` and
``/* */`` comments, and multi-line strings, which strict JSON rejects."""

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
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
        # ARM (and Bicep output) also accepts line breaks inside strings: strict=False.
        return json.loads(strip_comments(text), strict=False)
    except json.JSONDecodeError as exc:
        raise IngestError(Location(file, line=exc.lineno),
                          f"column {exc.colno}: invalid JSON: {exc.msg}") from None
    except ValueError as exc:
        # Not a syntax error: a number Python refuses to convert (over 4,300 digits).
        raise IngestError(Location(file), f"invalid JSON: {str(exc).split(';')[0]}") from None
