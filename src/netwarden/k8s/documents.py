"""Reading manifests: YAML (multi-document) and JSON, as values that know where they are.

YAML values keep their marks (line and column of every mapping value and list item), so
any validation error names ``file:line:column`` and the path inside the document; JSON
values (``kubectl get -o json``) are located by their path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from netwarden.ingest.interface import IngestError
from netwarden.k8s.model import K8sLocation
from netwarden.model.values import Location

YAML_SUFFIXES = (".yaml", ".yml")

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Marked(dict):  # type: ignore[type-arg]
    """A mapping with the mark of each value (and of the mapping itself)."""

    __slots__ = ("mark", "marks")
    mark: Any
    marks: dict[str, Any]


class _MarkedList(list):  # type: ignore[type-arg]
    __slots__ = ("mark", "marks")
    mark: Any
    marks: list[Any]


class _Loader(_Base):  # type: ignore[misc]
    pass


def _mapping(loader: Any, node: yaml.MappingNode) -> _Marked:
    loader.flatten_mapping(node)
    result = _Marked()
    result.mark = node.start_mark
    result.marks = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise _located_yaml(key_node.start_mark, "a mapping key must be a single value")
        key = str(key) if not isinstance(key, str) else key
        if key in result:
            raise _located_yaml(key_node.start_mark, f"duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.marks[key] = value_node.start_mark
    return result


def _sequence(loader: Any, node: yaml.SequenceNode) -> _MarkedList:
    result = _MarkedList(loader.construct_object(item, deep=True) for item in node.value)
    result.mark = node.start_mark
    result.marks = [item.start_mark for item in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


class _YamlProblem(Exception):
    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


def _located_yaml(mark: Any, message: str) -> _YamlProblem:
    return _YamlProblem(mark, message)


_Str = str   # KNode.str() shadows the name inside the class


class KNode:
    """A value of a manifest and where it is. Navigation never raises for absent members
    (a KNode of None); type checks raise located :class:`IngestError`."""

    __slots__ = ("file", "mark", "path", "value")

    def __init__(self, value: Any, file: str, path: str = "", mark: Any = None) -> None:
        self.value, self.file, self.path, self.mark = value, file, path, mark

    @property
    def location(self) -> Location:
        if self.mark is not None:
            return K8sLocation(self.file, self.path, self.mark.line + 1, None, self.mark.column + 1)
        return Location(self.file, self.path)

    def error(self, message: str) -> IngestError:
        return IngestError(self.location, message)

    def _step(self, step: str | int) -> str:
        if isinstance(step, int):
            return f"{self.path}[{step}]"
        return f"{self.path}.{step}" if self.path else step

    def get(self, name: str) -> KNode:
        value = self.value
        if value is None:
            return KNode(None, self.file, self._step(name), self.mark)
        if not isinstance(value, dict):
            raise self.error(f"expected a mapping, found {_kind(value)}")
        marks = getattr(value, "marks", None)
        mark = marks.get(name, self.mark) if marks else self.mark
        return KNode(value.get(name), self.file, self._step(name), mark)

    def path_get(self, *names: str) -> KNode:
        node = self
        for name in names:
            node = node.get(name)
        return node

    def has(self, name: str) -> bool:
        return isinstance(self.value, dict) and name in self.value

    @property
    def present(self) -> bool:
        return self.value is not None

    def items(self) -> list[KNode]:
        """A list's items; [] for null; anything else is an error."""
        value = self.value
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"expected a list, found {_kind(value)}")
        marks = getattr(value, "marks", None)
        return [KNode(item, self.file, self._step(i), marks[i] if marks else self.mark)
                for i, item in enumerate(value)]

    def entries(self) -> list[tuple[str, KNode]]:
        value = self.value
        if value is None:
            return []
        if not isinstance(value, dict):
            raise self.error(f"expected a mapping, found {_kind(value)}")
        return [(k, self.get(k)) for k in value]

    def str(self, default: str | None = None) -> str | None:
        value = self.value
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(f"expected a string, found {_kind(value)}")
        return value

    def required_str(self) -> _Str:
        text = self.str()
        if not text:
            raise self.error("is required")
        return text

    def int(self, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int | None:
        value = self.value
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected an integer, found {_kind(value)}")
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise self.error(f"{value} is out of range ({lo}..{hi})")
        return value

    def bool(self, default: bool = False) -> bool:
        value = self.value
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, found {_kind(value)}")
        return value

    def string_map(self) -> dict[_Str, _Str]:
        """A map of strings (labels, selectors). Kubernetes rejects non-string values
        (``version: 1`` must be quoted), and so does this."""
        found: dict[str, str] = {}
        for key, node in self.entries():
            if not isinstance(node.value, str):
                raise node.error(f"the value of {key!r} must be a string (quote it), "
                                 f"found {_kind(node.value)}")
            found[key] = node.value
        return found


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def read_yaml(path: Path) -> list[KNode]:
    """Every non-empty document of a YAML file."""
    file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(Location(file), f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise IngestError(Location(file), f"cannot read: {exc.strerror}") from None
    documents: list[KNode] = []
    try:
        for index, document in enumerate(_load_all(text)):
            if document is None:
                continue
            mark = getattr(document, "mark", None)
            documents.append(KNode(document, file, "", mark))
    except _YamlProblem as exc:
        raise IngestError(_mark_location(file, exc.mark), exc.message) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise IngestError(_mark_location(file, mark), f"invalid YAML: {problem}") from None
    except RecursionError:
        raise IngestError(Location(file), "YAML nested too deeply") from None
    return documents


def _load_all(text: str) -> Iterator[Any]:
    loader = _Loader(text)
    try:
        while loader.check_data():
            yield loader.get_data()
    finally:
        loader.dispose()


def _mark_location(file: str, mark: Any) -> Location:
    if mark is None:
        return Location(file)
    return K8sLocation(file, "", mark.line + 1, None, mark.column + 1)


def is_manifest(document: Any) -> bool:
    """A Kubernetes object (or list of objects): ``apiVersion`` and ``kind``."""
    return isinstance(document, dict) and "apiVersion" in document and "kind" in document \
        and "id" not in document and "properties" not in document


__all__ = ["YAML_SUFFIXES", "KNode", "is_manifest", "read_yaml"]
