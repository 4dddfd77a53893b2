"""The values an ARM expression evaluates to, beyond JSON: the *unresolved* marker, and
the objects ``reference()`` returns (whose absent members are runtime values, not errors).

An :class:`Unresolved` travels through evaluation like any value: functions that only
move values around (``createArray``, ``if``, ``union`` of objects) keep it in place, the
others turn into another Unresolved with the same reason. Where the value finally lands,
:mod:`netwarden.ingest.arm.template` decides: a name takes the placeholder text, a
resource ID built around an unknown part keeps it (both sides of a reference build the
same placeholder, so the link holds whatever the value), and anything else is left out
with a located warning.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

OPAQUE, STRING, ID = "opaque", "string", "id"


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A value that cannot be known offline, and why."""

    reason: str          # "parameter 'location' has no value (give it with --parameters)"
    text: str            # what stands in for it inside a name: "{location}"
    kind: str = OPAQUE   # OPAQUE, STRING (a string with a placeholder part), or ID

    def relabel(self, label: str) -> Unresolved:
        """Name an opaque value after the parameter or variable that holds it."""
        return self if self.kind != OPAQUE else Unresolved(self.reason, "{" + label + "}", OPAQUE)


def placeholder(source: str) -> str:
    """The placeholder text of an expression: braces around its (slash-free) source, so a
    placeholder never adds a segment to a resource name or ID."""
    return "{" + re.sub(r"\s+", "", source).replace("/", "|") + "}"


class RefDict(dict):  # type: ignore[type-arg]
    """An object returned by ``reference()``: a member the template does not set is set
    by Azure at deployment (an IP address, a principal ID), so reading it is unresolved."""

    origin: str = ""
    path: str = ""

    def member(self, name: str) -> Any:
        for key, value in self.items():
            if key.lower() == name.lower():
                return wrap(value, self.origin, f"{self.path}.{key}" if self.path else key)
        where = f"{self.path}.{name}" if self.path else name
        return Unresolved(f"'{where}' of {self.origin} is set by Azure at deployment, "
                          "not by the template", placeholder(where))


class RefList(list):  # type: ignore[type-arg]
    origin: str = ""
    path: str = ""

    def item(self, index: int) -> Any:
        where = f"{self.path}[{index}]"
        if -len(self) <= index < len(self):
            return wrap(self[index], self.origin, where)
        return Unresolved(f"'{where}' of {self.origin} is set by Azure at deployment, "
                          "not by the template", placeholder(where))


def wrap(value: Any, origin: str, path: str = "") -> Any:
    if isinstance(value, dict) and not isinstance(value, RefDict):
        wrapped: Any = RefDict(value)
    elif isinstance(value, list) and not isinstance(value, RefList):
        wrapped = RefList(value)
    else:
        return value
    wrapped.origin, wrapped.path = origin, path
    return wrapped


def first_unresolved(value: Any) -> Unresolved | None:
    """The first Unresolved anywhere inside a value (depth-first), or None."""
    if isinstance(value, Unresolved):
        return value
    if isinstance(value, dict):
        for item in value.values():
            found = first_unresolved(item)
            if found is not None:
                return found
    elif isinstance(value, list):
        for item in value:
            found = first_unresolved(item)
            if found is not None:
                return found
    return None


def plain(value: Any) -> Any:
    """A value without the reference wrappers (for output)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int):
        return "an int"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def to_text(value: Any) -> str:
    """A value as ARM turns it into a string (``string()``, ``concat``, ``format``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(plain(value), separators=(",", ":"), ensure_ascii=False)


def same(a: Any, b: Any) -> bool:
    """ARM's ``equals``: deep, strings case-sensitive, object keys case-insensitive."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        la = {k.lower(): v for k, v in a.items()}
        lb = {k.lower(): v for k, v in b.items()}
        return la.keys() == lb.keys() and all(same(la[k], lb[k]) for k in la)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b
