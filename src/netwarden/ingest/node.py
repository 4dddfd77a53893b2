"""A read-only view of a parsed JSON value that knows where it is.

Every access returns another Node whose location extends the JSON path, so that any
validation error can name the exact place (``nsg.json: [3].properties.securityRules[1]...``).
Object keys are matched the way ARM matches property names: case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from netwarden.ingest.interface import IngestError
from netwarden.model.values import Location

T = TypeVar("T")


class Node:
    """Locations are computed lazily (only errors and resources need them), and each
    object's lower-cased key map is built once per document, on the first miss: loading
    stays linear in the size of the input."""

    __slots__ = ("_keys", "_location", "_parent", "_step", "value")

    def __init__(self, value: Any, location: Location,
                 keys: dict[int, dict[str, str]] | None = None) -> None:
        self.value = value
        self._parent: Node | None = None
        self._step: str | int = ""
        self._location: Location | None = location
        self._keys: dict[int, dict[str, str]] = {} if keys is None else keys

    def _child(self, value: Any, step: str | int) -> Node:
        node = Node.__new__(Node)
        node.value = value
        node._parent = self
        node._step = step
        node._location = None
        node._keys = self._keys
        return node

    @property
    def location(self) -> Location:
        if self._location is None:
            assert self._parent is not None
            self._location = self._parent.location.child(self._step)
        return self._location

    def error(self, message: str) -> IngestError:
        return IngestError(self.location, message)

    # -- navigation ----------------------------------------------------------------------

    def get(self, name: str) -> Node:
        """The member ``name`` (case-insensitive); a Node of None when absent (or when
        this is null). Any other non-object is an error: reading through a list or a
        string would silently lose what the input says."""
        value = self.value
        if type(value) is dict:
            if name in value:
                return self._child(value[name], name)
            keys = self._keys.get(id(value))
            if keys is None:
                keys = {k.lower(): k for k in value if isinstance(k, str)}
                self._keys[id(value)] = keys
            member = keys.get(name.lower())
            if member is not None:
                return self._child(value[member], member)
        elif value is not None:
            if not isinstance(value, dict):
                raise self.error(f"expected an object, found {_kind(value)}")
            return Node(dict(value), self.location, self._keys).get(name)
        return self._child(None, name)

    def path(self, *names: str) -> Node:
        node = self
        for name in names:
            node = node.get(name)
        return node

    def items(self) -> Iterator[Node]:
        """The elements of a list (nothing for null; an error for anything else)."""
        if self.value is None:
            return iter(())
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, found {_kind(self.value)}")
        return (self._child(item, i) for i, item in enumerate(self.value))

    @property
    def missing(self) -> bool:
        return self.value is None

    # -- typed reads ---------------------------------------------------------------------

    def str(self, default: str | None = None) -> str | None:
        if self.value is None:
            return default
        if isinstance(self.value, (str, int, float)) and not isinstance(self.value, bool):
            return str(self.value)
        raise self.error(f"expected a string, found {_kind(self.value)}")

    def required_str(self) -> str:
        text = self.str()
        if text is None or not text.strip():
            raise self.error("is required")
        return text

    def bool(self, default: bool = False) -> bool:
        if self.value is None:
            return default
        if isinstance(self.value, bool):
            return self.value
        if isinstance(self.value, str) and self.value.lower() in ("true", "false"):
            return self.value.lower() == "true"
        raise self.error(f"expected true or false, found {self.value!r}")

    def int(self, default: int | None = None) -> int | None:
        if self.value is None:
            return default
        if isinstance(self.value, bool):
            raise self.error(f"expected a number, found {self.value!r}")
        if isinstance(self.value, int):
            return self.value
        if isinstance(self.value, float) and self.value.is_integer():
            return int(self.value)
        if isinstance(self.value, str):
            try:
                return int(self.value.strip())
            except ValueError:
                pass
        raise self.error(f"expected a whole number, found {self.value!r}")

    def ref(self) -> str | None:
        """A reference: ``{"id": "..."}`` (or a bare ID string)."""
        if self.value is None:
            return None
        if isinstance(self.value, str):
            return self.value or None
        if isinstance(self.value, dict):
            return self.get("id").str()
        raise self.error(f"expected a reference {{\"id\": ...}}, found {_kind(self.value)}")

    def refs(self) -> tuple[str, ...]:
        return tuple(ref for item in self.items() if (ref := item.ref()))

    def strs(self) -> tuple[str, ...]:
        """A list of strings; a single string counts as a list of one."""
        if isinstance(self.value, str):
            return (self.value,)
        return tuple(text for item in self.items() if (text := item.str()) is not None)

    def parse(self, parser: Callable[[str], T]) -> T:
        """Apply a value parser that raises ValueError; locate its message here."""
        text = self.str()
        if text is None:
            raise self.error("is required")
        try:
            return parser(text)
        except ValueError as exc:
            raise self.error(str(exc)) from None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)
