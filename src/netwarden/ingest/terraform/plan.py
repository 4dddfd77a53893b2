"""Reading ``terraform show -json`` output: the resource instances with their located
values, what the plan leaves unknown until apply, and the configuration behind them.

A plan holds ``planned_values.root_module`` (resources and nested ``child_modules``),
``resource_changes`` (``change.after_unknown`` marks what is unknown) and
``configuration`` (each attribute's expression with the ``references`` it reads). A
state holds ``values.root_module`` and nothing unknown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from netwarden.ingest.node import Node
from netwarden.model.values import Location

Key = int | str | None                      # a count index, a for_each key, or none
ModulePath = tuple[tuple[str, Key], ...]    # (call name, instance key) from the root

_TOKEN = re.compile(r'\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[(\d+|"(?:[^"\\]|\\.)*"|\*)\]')


@dataclass(frozen=True, slots=True)
class Index:
    """An index step of an address or reference: ``[0]`` or ``["web"]``."""

    key: int | str


Token = str | Index


def tokens(text: str) -> tuple[Token, ...] | None:
    """``module.spoke["a"].azurerm_subnet.web[0].id`` as names and index steps; None when
    the text is not such a traversal."""
    found: list[Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None or match.end() == at or (at == 0 and text.startswith(".")):
            return None
        name, index = match.groups()
        if name is not None:
            found.append(name)
        elif index == "*":
            found.append(Index("*"))
        else:
            found.append(Index(int(index) if index.isdigit() else json.loads(index)))
        at = match.end()
    return tuple(found)


def split_address(address: str) -> tuple[ModulePath, tuple[Token, ...]] | None:
    """A resource address as its module path and the rest (``type.name[key]``)."""
    steps = tokens(address)
    if steps is None:
        return None
    module: list[tuple[str, Key]] = []
    at = 0
    while at + 1 < len(steps) and steps[at] == "module" and isinstance(steps[at + 1], str):
        call = str(steps[at + 1])
        key: Key = None
        at += 2
        if at < len(steps) and isinstance(steps[at], Index):
            key = steps[at].key  # type: ignore[union-attr]
            at += 1
        module.append((call, key))
    return tuple(module), steps[at:]


@dataclass(slots=True)
class Instance:
    """One resource instance of the plan (or state)."""

    address: str
    mode: str                     # "managed" or "data"
    type: str
    name: str
    key: Key
    module: ModulePath
    node: Node                    # the resource object; its location carries the address
    unknown: Any = None           # change.after_unknown: True, or a structure of markers
    config: dict[str, Any] | None = None   # the configuration entry of the resource

    @property
    def values(self) -> Node:
        return self.node.get("values")

    def at(self, path: tuple[str | int, ...], start: Node | None = None) -> Node:
        """The planned value at a path of attribute names and list indexes (a Node of
        None where there is nothing); from ``start`` (a node of this instance) when given,
        with ``path`` relative to it."""
        node = self.values if start is None else start
        for step in path:
            node = step_into(node, step)
        return node

    def unknown_at(self, path: tuple[str | int, ...]) -> bool:
        """Whether the value at ``path`` (or a value that contains it) is unknown until apply."""
        return self.unknown_marker(path) is True

    def unknown_marker(self, path: tuple[str | int, ...]) -> Any:
        """The marker structure at ``path`` (True, a list/dict of markers, or None)."""
        marker = self.unknown
        for step in path:
            if marker is True:
                return True
            if isinstance(step, int) and isinstance(marker, list) and step < len(marker):
                marker = marker[step]
            elif isinstance(step, str) and isinstance(marker, dict):
                marker = marker.get(step)
            else:
                return None
        return marker


def step_into(node: Node, step: str | int) -> Node:
    """One step down: an attribute by name, a list element by index (a Node of None,
    located where the element would be, when there is none)."""
    if isinstance(step, str):
        return node.get(step)
    if isinstance(node.value, list) and 0 <= step < len(node.value):
        return node._child(node.value[step], step)
    return Node(None, node.location.child(step))


@dataclass
class Plan:
    """The instances of a document and the configuration to resolve their references."""

    file: str
    kind: str                                   # "plan" or "state"
    instances: list[Instance] = field(default_factory=list)
    configuration: dict[str, Any] = field(default_factory=dict)
    errored: bool = False
    _by_resource: dict[tuple[ModulePath, str, str, str], list[Instance]] = field(default_factory=dict)
    _module_keys: dict[tuple[ModulePath, str], set[Key]] = field(default_factory=dict)

    @classmethod
    def read(cls, document: Any, location: Location) -> Plan:
        root = Node(document, Location(location.file))
        if not isinstance(document, dict):
            raise root.error("not a Terraform plan or state: expected the JSON object that "
                             "`terraform show -json` prints")
        version = root.get("format_version")
        text = version.str()
        if text is not None and not re.fullmatch(r"[01](\.\d+)*", text.strip()):
            raise version.error(f"format {text!r} is not one this version reads (0.x or 1.x)")
        if "planned_values" in document:
            kind, values = "plan", root.get("planned_values")
        elif "values" in document:
            kind, values = "state", root.get("values")
        else:
            raise root.error("not a Terraform plan or state: it has neither 'planned_values' "
                             "(a plan) nor 'values' (a state); run `terraform show -json`")
        if values.value is not None and not isinstance(values.value, dict):
            raise values.error("expected an object (the planned values), found "
                               f"{type(values.value).__name__}")
        plan = cls(location.file, kind, errored=root.get("errored").value is True)
        configuration = document.get("configuration")
        plan.configuration = configuration if isinstance(configuration, dict) else {}
        changes = _after_unknown(root.get("resource_changes"))
        plan._walk(values.get("root_module"), (), changes)
        configs = _ConfigIndex(plan.configuration)
        for instance in plan.instances:
            instance.config = configs.resource(instance)
            plan._by_resource.setdefault(
                (instance.module, instance.mode, instance.type, instance.name), []).append(instance)
        return plan

    def _walk(self, module: Node, path: ModulePath, changes: dict[str, Any]) -> None:
        if module.value is None:
            return
        if not isinstance(module.value, dict):
            raise module.error("expected a module object")
        for item in module.get("resources").items():
            self.instances.append(_instance(item, path, changes))
        for child in module.get("child_modules").items():
            address = child.get("address")
            parsed = split_address(address.required_str())
            if parsed is None or parsed[1]:
                raise address.error(f"{address.value!r} is not a module address")
            self._walk(child, parsed[0], changes)

    def instances_of(self, module: ModulePath, mode: str, type_: str, name: str) -> list[Instance]:
        return self._by_resource.get((module, mode, type_, name), [])

    def module_keys(self, parent: ModulePath, call: str) -> set[Key]:
        """The instance keys of a module call seen among the planned resources."""
        if not self._module_keys:
            for instance in self.instances:
                for depth in range(len(instance.module)):
                    self._module_keys.setdefault(
                        (instance.module[:depth], instance.module[depth][0]), set()).add(
                        instance.module[depth][1])
        return self._module_keys.get((parent, call), set())

    def module_config(self, module: ModulePath) -> dict[str, Any] | None:
        """The configuration of a module (by its call names; instance keys do not matter)."""
        current: Any = self.configuration.get("root_module")
        for call, _ in module:
            if not isinstance(current, dict):
                return None
            calls = current.get("module_calls")
            entry = calls.get(call) if isinstance(calls, dict) else None
            current = entry.get("module") if isinstance(entry, dict) else None
        return current if isinstance(current, dict) else None

    def call_config(self, module: ModulePath) -> dict[str, Any] | None:
        """The ``module_calls`` entry that made the module (None for the root)."""
        if not module:
            return None
        parent = self.module_config(module[:-1])
        calls = parent.get("module_calls") if parent else None
        entry = calls.get(module[-1][0]) if isinstance(calls, dict) else None
        return entry if isinstance(entry, dict) else None


def _instance(item: Node, module: ModulePath, changes: dict[str, Any]) -> Instance:
    if not isinstance(item.value, dict):
        raise item.error("expected a resource object")
    address = item.get("address").required_str()
    mode = item.get("mode").str() or "managed"
    if mode not in ("managed", "data"):
        raise item.get("mode").error(f"{mode!r} is not a resource mode (managed or data)")
    type_ = item.get("type").required_str()
    name = item.get("name").required_str()
    index = item.get("index").value
    if isinstance(index, bool) or (index is not None and not isinstance(index, (int, str))):
        raise item.get("index").error(f"expected a number or a string, found {index!r}")
    values = item.get("values")
    if values.value is not None and not isinstance(values.value, dict):
        raise values.error("expected an object (the resource's attributes)")
    located = Node(item.value, Location(item.location.file, item.location.path, address=address))
    return Instance(address, mode, type_, name, index, module, located,
                    unknown=changes.get(address))


def _after_unknown(changes: Node) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for change in changes.items():
        if not isinstance(change.value, dict):
            raise change.error("expected a resource change object")
        address = change.get("address").str()
        marker = change.path("change", "after_unknown").value
        if address and marker:
            found[address] = marker
    return found


class _ConfigIndex:
    """The configuration entry of each resource, by module call path, mode, type and name."""

    def __init__(self, configuration: dict[str, Any]) -> None:
        self._entries: dict[tuple[tuple[str, ...], str, str, str], dict[str, Any]] = {}
        self._collect(configuration.get("root_module"), ())

    def _collect(self, module: Any, calls: tuple[str, ...]) -> None:
        if not isinstance(module, dict):
            return
        for entry in module.get("resources") or ():
            if isinstance(entry, dict):
                key = (calls, str(entry.get("mode") or "managed"), str(entry.get("type")),
                       str(entry.get("name")))
                self._entries[key] = entry
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict):
                self._collect(call.get("module"), (*calls, name))

    def resource(self, instance: Instance) -> dict[str, Any] | None:
        calls = tuple(call for call, _ in instance.module)
        return self._entries.get((calls, instance.mode, instance.type, instance.name))


def is_expression(value: Any) -> TypeGuard[dict[str, Any]]:
    """A configuration expression (``constant_value`` and/or ``references``), as opposed
    to the body of a nested block."""
    return isinstance(value, dict) and bool(value) and set(value) <= {"constant_value", "references"}


__all__ = ["Index", "Instance", "Key", "ModulePath", "Plan", "is_expression", "split_address",
           "step_into", "tokens"]
