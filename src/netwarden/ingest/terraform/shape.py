"""Building Azure-shaped objects out of Terraform values, remembering where each came from.

Every value placed in an Azure-shaped object records the place in the plan it was read
from. The builder reads these objects through :class:`LocatedNode`, so an error it raises
(an invalid prefix, a missing port) names the Terraform address and the plan's JSON path
(``module.spoke.azurerm_network_security_group.web: ...values.security_rule[1].priority``),
not a property that exists only in the translation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from netwarden.ingest.node import Node
from netwarden.ingest.terraform.plan import Instance, step_into
from netwarden.model.values import Location

if TYPE_CHECKING:
    from netwarden.ingest.terraform.translate import Translation


@dataclass(frozen=True, slots=True)
class Kind:
    """How a Terraform resource type maps to Azure: its ARM type ("association" or "part"
    for resources merged into another's object), the attribute that names its parent
    (``*_name``: in the same resource group; ``*_id``: by ID) for a child resource, and the
    function that translates it (None: it only has an ID)."""

    arm: str
    parent: str | None = None
    translate: Callable[[View], None] | None = None


# Where a value came from: a Location, the plan Node it was read from, or (where, step) for
# a member of a value. Locations are formed only when asked for (an error, a resource's
# source): forming one per attribute read would cost more than the reading.
Where = Location | Node | tuple[Any, str | int]


def located(where: Where) -> Location:
    if isinstance(where, Location):
        return where
    if isinstance(where, tuple):
        return located(where[0]).child(where[1])
    return where.location


class Val:
    """A value read from the plan (known, or resolved through references), and where."""

    __slots__ = ("_where", "unresolved", "value")

    def __init__(self, value: Any, where: Where, unresolved: bool = False) -> None:
        self.value = value
        self._where = where
        self.unresolved = unresolved

    @property
    def where(self) -> Location:
        where = self._where
        if not isinstance(where, Location):
            where = self._where = located(where)
        return where

    def map(self, function: Any) -> Val:
        return self if self.value is None else Val(function(self.value), self._where)


def enabled(val: Val) -> Val:
    """A Terraform boolean as Azure's ``Enabled``/``Disabled``."""
    return val.map(lambda v: ("Enabled" if v else "Disabled") if isinstance(v, bool) else v)


def negated(val: Val) -> Val:
    return val.map(lambda v: (not v) if isinstance(v, bool) else v)


class Origins:
    """Where each built container and each member of one came from."""

    def __init__(self) -> None:
        self._containers: dict[int, Where] = {}
        self._members: dict[tuple[int, str | int], Where] = {}
        self._alive: list[Any] = []        # keeps ids unique while the build runs

    def container(self, value: Any, where: Where) -> Any:
        self._containers[id(value)] = where
        self._alive.append(value)
        return value

    def member(self, parent: Any, step: str | int, where: Where) -> None:
        self._members[(id(parent), step)] = where

    def has(self, value: Any) -> bool:
        return id(value) in self._containers

    def locate(self, parent: Any, value: Any, step: str | int) -> Location | None:
        if isinstance(value, (dict, list)) and id(value) in self._containers:
            return located(self._containers[id(value)])
        found = self._members.get((id(parent), step))
        return None if found is None else located(found)


class LocatedNode(Node):
    """A Node over an Azure-shaped object whose locations are those of the plan: a member
    with a recorded origin is located there, any other at its parent."""

    __slots__ = ("_origins",)

    def __init__(self, value: Any, location: Location, origins: Origins) -> None:
        super().__init__(value, location)
        self._origins = origins

    def _child(self, value: Any, step: str | int) -> Node:
        node = LocatedNode.__new__(LocatedNode)
        node.value = value
        node._parent = self
        node._step = step
        node._keys = self._keys
        node._origins = self._origins
        node._location = None       # located when asked (the origins outlive the build)
        return node

    @property
    def location(self) -> Location:
        if self._location is None:
            parent = self._parent
            assert parent is not None
            self._location = self._origins.locate(parent.value, self.value, self._step) \
                or parent.location
        return self._location


class View:
    """One resource instance (or a nested block of it) as the translators read it."""

    __slots__ = ("_base", "instance", "path", "tf")

    def __init__(self, instance: Instance, path: tuple[str | int, ...], tf: Translation,
                 base: Node | None = None) -> None:
        self.instance = instance
        self.path = path
        self.tf = tf
        self._base = base           # the node at ``path``, found once

    @property
    def base(self) -> Node:
        """The node of this block (or resource's values): paths are read from here rather
        than from the resource's values again."""
        if self._base is None:
            self._base = self.instance.at(self.path)
        return self._base

    @property
    def location(self) -> Location:
        return self.base.location

    @property
    def address(self) -> str:
        return self.instance.address

    @property
    def id(self) -> str | None:
        """The resource's ID: the planned one, or synthesised when the plan has none yet."""
        return self.tf.id_of(self.instance)

    def node(self, *path: str | int) -> Node:
        return self.instance.at(path, self.base)

    def configured(self, name: str) -> bool:
        """Whether the configuration sets this attribute or block (when it does not, an
        unknown value is one the provider computes, such as a VNet's subnets from its
        standalone subnet resources)."""
        return bool(self.path) or self.tf.resolver.configured(self.instance, name)

    # -- values ------------------------------------------------------------------------------

    def at(self, *path: str | int, quiet: bool = False, note: str = "") -> Val:
        """The value at ``path``: known, or resolved through the configuration's references.
        What stays unknown is None, reported (unless ``quiet``) as an unresolved value;
        ``note`` says why it is unknown ("assigned by Azure") or what follows from it."""
        full = self.path + path
        node = self.instance.at(path, self.base)
        if not self.instance.unknown_at(full):
            marker = self.instance.unknown_marker(full)
            if isinstance(node.value, list) and isinstance(marker, list) and True in marker:
                return Val(self._elements(full, node, marker, quiet, note), node)
            return Val(node.value, node)
        resolved = self.tf.resolver.unknown_value(self.instance, full)
        if resolved is not None:
            return Val(resolved, node)
        if not quiet:
            self.tf.unresolved(node.location, note)
        return Val(None, node, unresolved=True)

    def _elements(self, full: tuple[str | int, ...], node: Node, marker: list[Any],
                  quiet: bool, note: str) -> list[Any]:
        positions = [i for i, m in enumerate(marker) if m is True and i < len(node.value)]
        values = list(node.value)
        found = self.tf.resolver.unknown_elements(self.instance, full, positions)
        if found is not None:
            for position, value in zip(positions, found):
                values[position] = value
        elif not quiet:
            for position in positions:
                self.tf.unresolved(node.location.child(position), note)
        return values

    def first(self, *names: str, note: str = "") -> Val:
        """The first of several attribute names that is set (provider versions rename them)."""
        unresolved: Val | None = None
        for name in names:
            val = self.at(name, quiet=True)
            if val.value is not None:
                return val
            unresolved = unresolved or (val if val.unresolved else None)
        if unresolved is not None:
            self.tf.unresolved(unresolved.where, note)
            return unresolved
        return self.at(names[0], quiet=True)

    def elements(self, *path: str | int, quiet: bool = False) -> list[Val]:
        """The elements of a list attribute (a single string counts as a list of one)."""
        val = self.at(*path, quiet=quiet)
        if isinstance(val.value, (str, int)) and not isinstance(val.value, bool):
            return [val]
        if not isinstance(val.value, list):
            return []
        return [Val(item, (val._where, i)) for i, item in enumerate(val.value) if item is not None]

    def ref(self, *path: str | int, quiet: bool = False) -> Val:
        """An ID attribute as an Azure reference ``{"id": ...}``."""
        val = self.at(*path, quiet=quiet)
        if val.value is None or val.value == "":
            return Val(None, val.where, val.unresolved)
        return Val(self.obj({"id": val}, val._where), val._where)

    def refs(self, *path: str | int) -> Val:
        """A list of IDs as Azure references ``[{"id": ...}]``."""
        items = [self.obj({"id": e}, e._where) for e in self.elements(*path) if e.value != ""]
        where = self.node(*path)
        return Val(self.tf.origins.container(items, where), where)

    # -- nested blocks -------------------------------------------------------------------------

    def blocks(self, *path: str | int, quiet: bool = False) -> list[View]:
        """The blocks of a nested block type (a list of objects)."""
        full = self.path + path
        node = self.instance.at(path, self.base)
        if self.instance.unknown_at(full):
            if not quiet:
                self.tf.unresolved(node.location, "")
            return []
        if isinstance(node.value, dict):
            return [View(self.instance, full, self.tf, node)]
        if isinstance(node.value, list):
            return [View(self.instance, (*full, i), self.tf, step_into(node, i))
                    for i in range(len(node.value)) if isinstance(node.value[i], dict)]
        return []

    def block(self, *path: str | int, quiet: bool = False) -> View | None:
        found = self.blocks(*path, quiet=quiet)
        return found[0] if found else None

    # -- building ------------------------------------------------------------------------------

    def obj(self, members: dict[str, Any], where: Where | None = None) -> dict[str, Any]:
        """An Azure-shaped object. A member given as a :class:`Val` records where it came
        from (also when it is absent, so that "is required" names the Terraform attribute);
        a Val of None leaves the member out."""
        built: dict[str, Any] = {}
        self.tf.origins.container(built, self.base if where is None else where)
        for name, member in members.items():
            if isinstance(member, Val):
                self.tf.origins.member(built, name, member._where)
                if member.value is None:
                    continue
                built[name] = self._copy(member.value, member._where)
            elif member is not None:
                built[name] = member
        return built

    def _copy(self, value: Any, where: Where) -> Any:
        """Plan values are copied (merges mutate what is built); their members keep their
        places in the plan."""
        if isinstance(value, list):
            if value and all(self.tf.origins.has(v) for v in value):
                return self.tf.origins.container(list(value), where)   # built objects
            copied = self.tf.origins.container(list(value), where)
            for i in range(len(copied)):
                self.tf.origins.member(copied, i, (where, i))
            return copied
        if isinstance(value, dict) and not self.tf.origins.has(value):
            copied = self.tf.origins.container(dict(value), where)
            for key in copied:
                self.tf.origins.member(copied, key, (where, key))
            return copied
        return value

    def resource(self, properties: dict[str, Any] | None, **extra: Any) -> dict[str, Any] | None:
        """The Azure-shaped object of this resource (None, reported, when it has no ID)."""
        resource_id = self.id
        kind = self.tf.kind(self.instance)
        if kind is None:
            return None
        if resource_id is None:
            self.tf.warn(self.instance.node.location, "incomplete",
                         f"{self.address}: no ID can be formed (its name, resource group or "
                         "parent is unknown); left out")
            return None
        return self.obj({
            "id": resource_id,
            "type": kind.arm,
            "name": self.at("name") if self.at("name", quiet=True).value else Val(
                resource_id.rsplit("/", 1)[-1], self.location),
            "location": self.at("location", quiet=True),
            "tags": self.at("tags", quiet=True),
            **extra,
            "properties": properties if properties is not None else self.obj({}),
        }, self.location)

    def child(self, owner_id: str | None, child_type: str, properties: dict[str, Any],
              name: Val | None = None, part_id: str | None = None) -> dict[str, Any] | None:
        """An inline child (a subnet in a VNet, a rule in an NSG): full type and ID set, so
        the Azure adapter's :func:`flatten` takes it as it is."""
        name = name or self.at("name")
        if not name.value or not owner_id:
            return None
        segment = child_type.rsplit("/", 1)[-1]
        child_id = part_id or f"{owner_id}/{segment}/{name.value}"
        if self.tf.declared_elsewhere(child_id, self.instance):
            return None
        return self.obj({"id": child_id, "type": child_type, "name": name,
                         "properties": properties})


def present(items: Iterable[Any]) -> list[Any]:
    return [item for item in items if item is not None]
