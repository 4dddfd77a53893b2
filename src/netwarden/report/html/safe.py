"""Safe by construction: one Jinja environment with autoescaping for every template, and
JSON for scripts that cannot break out of its ``<script type="application/json">`` block.

Every name, tag and description in a report comes from the input, which an attacker may
write (a resource called ``</script><script>alert(1)</script>``). Templates never mark
input as safe; data reaches the scripts only as JSON parsed with ``JSON.parse`` and is put
on the page with ``textContent`` (never ``innerHTML``). The document's Content Security
Policy allows only the report's own inline script and style (by hash) and no network at all,
so even a mistake here could neither run injected code nor fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined
from markupsafe import Markup

_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                               "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_for_script(data: Any) -> Markup:
    """``data`` as JSON that is inert inside ``<script type="application/json">``: ``<``,
    ``>`` and ``&`` are ``\\u`` escapes, so no ``</script>`` or ``<!--`` can appear."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return Markup(text.translate(_JSON_ESCAPES))


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline script or style."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def environment(templates: dict[str, str]) -> Environment:
    """Autoescaping everywhere (also for templates whose name has no .html suffix)."""
    env = Environment(loader=DictLoader(templates), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["num"] = lambda value: f"{value:,}"
    return env
