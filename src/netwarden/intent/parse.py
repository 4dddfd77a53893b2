"""Reading an intent file (YAML), with every error located by line and column."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from netwarden.ingest.interface import IngestError
from netwarden.intent.model import BUILTIN, Flow, Intent, PortSpec, Segment
from netwarden.model.values import Location, Prefix

_SEGMENT_KEYS = {"subnets", "vnets", "cidrs", "tags", "tag", "asgs", "k8s"}
_FLOW_KEYS = {"from", "to", "ports", "via"}


class _Node:
    """A composed YAML node: its Python value and where it is."""

    def __init__(self, node: yaml.Node, file: str) -> None:
        self.node, self.file = node, file

    @property
    def location(self) -> Location:
        mark = self.node.start_mark
        return Location(self.file, line=mark.line + 1, path=f"column {mark.column + 1}")

    def error(self, message: str) -> IngestError:
        return IngestError(self.location, message)

    def mapping(self) -> dict[str, _Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("expected a mapping")
        found: dict[str, _Node] = {}
        for key, value in self.node.value:
            name = _Node(key, self.file).scalar()
            if name in found:
                raise _Node(key, self.file).error(f"duplicate key {name!r}")
            found[name] = _Node(value, self.file)
        return found

    def keys(self) -> dict[str, _Node]:
        """The key nodes of a mapping (to locate a misspelt key at the key itself)."""
        return {_Node(k, self.file).scalar(): _Node(k, self.file) for k, _ in self.node.value} \
            if isinstance(self.node, yaml.MappingNode) else {}

    def sequence(self) -> list[_Node]:
        if isinstance(self.node, yaml.ScalarNode):
            return [self]                                 # a single value counts as a list of one
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("expected a list")
        return [_Node(item, self.file) for item in self.node.value]

    def scalar(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error("expected a single value")
        return str(self.node.value)

    def strings(self) -> tuple[str, ...]:
        return tuple(item.scalar() for item in self.sequence())


def load_intent(path: str | Path) -> Intent:
    """Parse and validate an intent file. Raises IngestError (exit 2) located by line/column."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(Location(file), f"cannot read the intent: {exc}") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(file, line=mark.line + 1, path=f"column {mark.column + 1}") if mark \
            else Location(file)
        raise IngestError(where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        raise IngestError(Location(file), "the intent is empty (expected segments and flows)")
    document = _Node(root, file)
    top = document.mapping()
    for key in top:
        if key not in ("segments", "flows"):
            raise document.keys()[key].error(f"unknown key {key!r} (expected 'segments' and 'flows')")
    segments = {name: _segment(name, node) for name, node in
                (top["segments"].mapping().items() if "segments" in top else [])}
    for name in BUILTIN:
        if name in segments:
            raise top["segments"].mapping()[name].error(f"{name!r} is a built-in segment")
        segments[name] = Segment(name)
    flows = tuple(_flow(node, segments) for node in (top["flows"].sequence() if "flows" in top else []))
    return Intent(MappingProxyType(segments), flows, file)


def _segment(name: str, node: _Node) -> Segment:
    fields = node.mapping()
    for key in fields:
        if key not in _SEGMENT_KEYS:
            raise node.keys()[key].error(
                f"unknown selector {key!r} (expected one of {', '.join(sorted(_SEGMENT_KEYS))})")
    if not fields:
        raise node.error(f"segment {name!r} selects nothing")
    cidrs = []
    for item in fields["cidrs"].sequence() if "cidrs" in fields else []:
        try:
            cidrs.append(Prefix.parse(item.scalar()))
        except ValueError:
            raise item.error(f"{item.scalar()!r} is not a CIDR") from None
    tags_node = fields.get("tags") or fields.get("tag")
    tags = {k: v.scalar() for k, v in tags_node.mapping().items()} if tags_node else {}
    k8s: dict[str, Any] = {}
    if "k8s" in fields:
        for key, value in fields["k8s"].mapping().items():
            if key == "labels":
                k8s[key] = {k: v.scalar() for k, v in value.mapping().items()}
            elif key in ("namespace", "cluster"):
                k8s[key] = value.scalar()
            else:
                raise value.error(f"unknown k8s selector {key!r} (namespace, labels, cluster)")
    return Segment(
        name=name,
        subnets=fields["subnets"].strings() if "subnets" in fields else (),
        vnets=fields["vnets"].strings() if "vnets" in fields else (),
        cidrs=tuple(cidrs),
        tags=MappingProxyType(tags),
        asgs=fields["asgs"].strings() if "asgs" in fields else (),
        k8s=MappingProxyType(k8s),
        location=node.location,
    )


def _flow(node: _Node, segments: dict[str, Segment]) -> Flow:
    fields = node.mapping()
    for key in fields:
        if key not in _FLOW_KEYS:
            raise node.keys()[key].error(f"unknown key {key!r} in a flow (from, to, ports, via)")
    for key in ("from", "to"):
        if key not in fields:
            raise node.error(f"a flow needs {key!r}")
        name = fields[key].scalar()
        if name not in segments:
            raise fields[key].error(f"unknown segment {name!r} (defined: {', '.join(sorted(segments))})")
    ports = []
    for item in fields["ports"].sequence() if "ports" in fields else []:
        try:
            ports.append(PortSpec.parse(item.scalar()))
        except ValueError as exc:
            raise item.error(str(exc)) from None
    if fields["from"].scalar() == fields["to"].scalar():
        raise node.error("a flow from a segment to itself is not checked (intent is between segments)")
    return Flow(fields["from"].scalar(), fields["to"].scalar(), tuple(ports) or (PortSpec(None),),
                fields["via"].scalar() if "via" in fields else None, node.location)
