"""An ARM deployment template, evaluated offline into Azure-shaped raw resources.

What a deployment would do, as far as the template alone decides it:

* parameters take the value of the ``--parameters`` file, else their ``defaultValue``;
  a required parameter with neither is a warning at its declaration, and every value
  that needs it is unresolved;
* variables (``copy`` loops included), expressions, resource and property ``copy``
  loops, ``condition``, child resources (``parent/child`` names, nested ``resources``
  arrays, ``providers/...`` extension children, the ``scope`` property);
* nested deployments (``Microsoft.Resources/deployments`` with an inline ``template``):
  inner scope evaluates the nested template with the parameters passed to it, outer
  scope with the parent's; their resources go to the resource group or subscription the
  deployment targets. A linked template (``templateLink``) is not read: a warning.

Every resource gets its full ID under the subscription ``00000000-0000-0000-0000-000000000000``
and the resource group ``rg-deployment`` (a subscription-level template: the subscription;
a management-group-level one: the management group ``mg-deployment``). The deployment
itself is named after the template file (as ``az deployment ... create`` names it).

What cannot be evaluated is a located warning (code ``unresolved-value``, at the JSON
path of the expression) and is left out; the rest of the resource still loads. A name
that cannot be evaluated takes a placeholder (``route-to-{location}-hub-fw``), and so do
resource IDs built around the unknown part, so that references between resources hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netwarden.ingest.arm.expressions import (
    ArmError,
    ExpressionSyntaxError,
    evaluate,
    is_expression,
    literal,
    parse,
)
from netwarden.ingest.arm.functions import Target, resource_path
from netwarden.ingest.arm.values import (
    ID,
    Unresolved,
    first_unresolved,
    kind_of,
    placeholder,
    plain,
    to_text,
    wrap,
)
from netwarden.ingest.azure import flatten
from netwarden.ingest.build import KNOWN_TYPES
from netwarden.ingest.interface import IngestError, LoadOptions, RawResource
from netwarden.ingest.node import Node
from netwarden.model import ids
from netwarden.model.estate import Diagnostic
from netwarden.model.values import Location

DEFAULT_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
DEFAULT_RESOURCE_GROUP = "rg-deployment"
DEFAULT_MANAGEMENT_GROUP = "mg-deployment"

UNRESOLVED = "unresolved-value"
MISSING_PARAMETER = "missing-parameter"
LINKED_TEMPLATE = "linked-template"
_SYNTAX = "does not parse"

DROP = object()          # a value left out of the output
_MISSING = object()

# Members of a resource object that are template syntax, not resource state.
_NOT_STATE = frozenset({"condition", "copy", "dependson", "resources", "comments", "scope",
                        "existing", "metadata", "id", "name", "type", "apiversion",
                        "resourcegroup", "subscriptionid", "import"})


def _level(schema: str) -> str:
    lowered = schema.lower()
    if "subscriptiondeploymenttemplate" in lowered:
        return "subscription"
    if "managementgroupdeploymenttemplate" in lowered:
        return "managementGroup"
    if "tenantdeploymenttemplate" in lowered:
        return "tenant"
    return "resourceGroup"


def default_target(schema: str) -> Target:
    level = _level(schema)
    return Target(level,
                  DEFAULT_SUBSCRIPTION if level in ("resourceGroup", "subscription") else None,
                  DEFAULT_RESOURCE_GROUP if level == "resourceGroup" else None,
                  DEFAULT_MANAGEMENT_GROUP if level == "managementGroup" else None)


def _members(node: Node) -> Iterator[tuple[str, Node]]:
    """The members of an object node, with their keys as written (nothing for null)."""
    if isinstance(node.value, dict):
        for key in node.value:
            if isinstance(key, str):
                yield key, node.get(key)


def _lower_map(node: Node) -> dict[str, Node]:
    """The members of an object node by lower-cased name (nothing for null)."""
    return {key.lower(): child for key, child in _members(node)}


def _has(node: Node, member: str) -> bool:
    return isinstance(node.value, dict) and any(
        isinstance(k, str) and k.lower() == member for k in node.value)


def _is_loop_list(value: Any) -> bool:
    """A ``copy`` member that is a list of loops (property or variable iteration)."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(loop, dict) and {"name", "count", "input"} <= {k.lower() for k in loop}
        for loop in value)


# -- evaluation contexts ---------------------------------------------------------------------

class Scope:
    """One template's names: its parameters, variables and user functions, and where its
    expressions think they are deployed (``resourceGroup()``, ``resourceId()``)."""

    def __init__(self, loader: TemplateLoader, template: Node, target: Target,
                 deployment_name: str, supplied: dict[str, Any],
                 declared: dict[str, tuple[str, Node]] | None = None,
                 with_variables: bool = True) -> None:
        self.loader = loader
        self.template = template
        self.target = target
        self.deployment_name = deployment_name
        self.supplied = {k.lower(): v for k, v in supplied.items()}
        self.params: dict[str, tuple[str, Node]] = declared if declared is not None else {
            key.lower(): (key, node) for key, node in _members(template.get("parameters"))}
        self.variables: dict[str, Node] = {}
        self.variable_loops: dict[str, Node] = {}
        if with_variables:
            for key, node in _lower_map(template.get("variables")).items():
                if key == "copy" and _is_loop_list(node.value):
                    for loop in node.items():
                        name = loop.get("name").str() or ""
                        self.variable_loops[name.lower()] = loop
                else:
                    self.variables[key] = node
        self.functions: dict[str, Node] = {}
        if with_variables and isinstance(template.get("functions").value, list):
            for namespace in template.get("functions").items():
                prefix = (namespace.get("namespace").str() or "").lower()
                for key, member in _lower_map(namespace.get("members")).items():
                    self.functions[f"{prefix}.{key}"] = member
        self.names: dict[str, Instance] = {}
        self._cache: dict[str, Any] = {}
        self._busy: set[str] = set()

    def context(self) -> Ctx:
        return Ctx(self)

    def report_missing(self) -> None:
        for key, (label, decl) in self.params.items():
            if key not in self.supplied and not _has(decl, "defaultvalue"):
                self.loader.warn(decl.location, (
                    f"parameter '{label}' is required and has no value: what depends on it "
                    "cannot be evaluated (give it in a parameters file with --parameters)"),
                    MISSING_PARAMETER)

    def parameter(self, name: str) -> Any:
        key = "p:" + name.lower()
        if key in self._cache:
            return self._cache[key]
        declared = self.params.get(name.lower())
        if declared is None:
            raise ArmError(f"the template declares no parameter '{name}'")
        label, decl = declared
        if name.lower() in self.supplied:
            value = self.supplied[name.lower()]
        elif _has(decl, "defaultvalue"):
            if key in self._busy:
                raise ArmError(f"the default value of parameter '{label}' refers to itself")
            self._busy.add(key)
            try:
                value = self.loader.resolve(decl.get("defaultValue"), self.context(), None)
            finally:
                self._busy.discard(key)
        else:
            value = Unresolved(f"parameter '{label}' has no value (give it in a parameters "
                               "file with --parameters)", "{" + label + "}")
        if isinstance(value, Unresolved):
            value = value.relabel(label)
        self._cache[key] = value
        return value

    def variable(self, name: str) -> Any:
        key = "v:" + name.lower()
        if key in self._cache:
            return self._cache[key]
        if key in self._busy:
            raise ArmError(f"variable '{name}' refers to itself")
        node = self.variables.get(name.lower())
        loop = self.variable_loops.get(name.lower())
        if node is None and loop is None:
            raise ArmError(f"the template declares no variable '{name}'")
        self._busy.add(key)
        try:
            if node is not None:
                value = self.loader.resolve(node, self.context(), None)
            else:
                assert loop is not None
                value = self.loader.loop(loop, self.context(), None)
                value = value if value is not DROP else Unresolved(
                    f"the copy count of variable '{name}' cannot be evaluated", "{" + name + "}")
        finally:
            self._busy.discard(key)
        if isinstance(value, Unresolved):
            value = value.relabel(name)
        self._cache[key] = value
        return value

    def user_function(self, name: str) -> Callable[[list[Any]], Any] | None:
        member = self.functions.get(name.lower())
        if member is None:
            return None

        def run(args: list[Any]) -> Any:
            declared = list(member.get("parameters").items())
            if len(args) != len(declared):
                raise ArmError(f"{name}() takes {len(declared)} argument(s), not {len(args)}")
            params = {(d.get("name").str() or "").lower(): (d.get("name").str() or "", d)
                      for d in declared}
            supplied = {(d.get("name").str() or ""): a for d, a in zip(declared, args)}
            scope = Scope(self.loader, self.template, self.target, self.deployment_name,
                          supplied, params, with_variables=False)
            return self.loader.resolve(member.path("output", "value"), scope.context(), None)
        return run


@dataclass
class Ctx:
    """A scope plus what changes inside it: copy indices and lambda variables."""

    scope: Scope
    loops: dict[str, int] = field(default_factory=dict)
    main_loop: str | None = None
    lambdas: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        return self.scope.target

    @property
    def deployment_name(self) -> str:
        return self.scope.deployment_name

    def parameter(self, name: str) -> Any:
        return self.scope.parameter(name)

    def variable(self, name: str) -> Any:
        return self.scope.variable(name)

    def copy_index(self, loop: str | None) -> int:
        if loop is None:
            loop = self.main_loop or (next(reversed(self.loops)) if self.loops else None)
            if loop is None:
                raise ArmError("copyIndex() outside a copy loop")
        for name, index in self.loops.items():
            if name.lower() == loop.lower():
                return index
        raise ArmError(f"copyIndex('{loop}'): no copy loop of that name here")

    def reference(self, target: str, full: bool) -> Any:
        return self.scope.loader.reference(target, full, self.scope)

    def user_function(self, name: str) -> Callable[[list[Any]], Any] | None:
        return self.scope.user_function(name)

    def lambda_value(self, name: str) -> Any:
        if name.lower() not in self.lambdas:
            raise ArmError(f"lambdaVariables('{name}'): no lambda variable of that name")
        return self.lambdas[name.lower()]

    def with_lambda(self, bindings: dict[str, Any]) -> Ctx:
        return Ctx(self.scope, self.loops, self.main_loop, {**self.lambdas, **bindings})

    def with_loop(self, name: str, index: int, main: bool = False) -> Ctx:
        return Ctx(self.scope, {**self.loops, name: index},
                   name if main else self.main_loop, self.lambdas)


# -- resources -------------------------------------------------------------------------------

@dataclass
class Instance:
    """One resource the deployment creates (a copy loop makes one per index)."""

    node: Node               # the resource object in the template
    ctx: Ctx
    type: str                # full type: Microsoft.Network/virtualNetworks/subnets
    name: str                # full name: vnet/subnet
    id: str
    address: str | None      # which copy, for locations: "create-fw-pips[1]"
    deployment: bool = False
    quiet: bool = False              # a type netwarden does not model
    existing: bool = False           # declared "existing": not deployed by the template
    inner: Scope | None = None       # nested deployment: the scope of its template
    inner_ctx: Ctx | None = None
    target: Target | None = None
    _kept: Any = _MISSING
    _outputs: Any = _MISSING

    @property
    def where(self) -> Location:
        location = self.node.location
        return Location(location.file, location.path, location.line, self.address)


class Sink:
    """Where evaluated values land in a resource: unresolved values become placeholders
    (names, IDs) or are left out, each with a warning at the expression's location."""

    def __init__(self, loader: TemplateLoader, base: Location, quiet: bool = False) -> None:
        self.loader = loader
        self.at = [base]
        self.steps: list[str | int] = []
        self.quiet = quiet          # a resource type netwarden does not model: no warnings

    def enter(self, step: str | int) -> None:
        self.at.append(self.at[-1].child(step))
        self.steps.append(step)

    def leave(self) -> None:
        self.at.pop()
        self.steps.pop()

    @property
    def key(self) -> str | int:
        return self.steps[-1] if self.steps else ""

    @property
    def naming(self) -> bool:
        """Whether the value is the name of an inline child (``subnets[0].name``): a
        placeholder names it; any other unknown value is left out (a placeholder SKU or
        address would be a guess)."""
        return (len(self.steps) >= 2 and isinstance(self.steps[-2], int)
                and str(self.steps[-1]).lower() == "name")

    def put(self, value: Any, where: Location) -> Any:
        if first_unresolved(value) is None:
            return plain(value)
        return self._clean(value, where, "")

    def _clean(self, value: Any, where: Location, inner: str) -> Any:
        if isinstance(value, Unresolved):
            at = f" (at {inner})" if inner else ""
            key = self.key
            if value.kind == ID or self.naming:
                if not self.quiet:
                    self.loader.warn(where, f"cannot be evaluated{at}: {value.reason}; "
                                            f"placeholder '{value.text}' used")
                return value.text
            if self.quiet:
                pass
            elif len(self.steps) == 1 and str(key).lower() == "location":
                self.loader.regions.setdefault(value.reason, []).append(where)
            else:
                self.loader.warn(where, f"cannot be evaluated{at}: {value.reason}; left out")
            self.loader.tainted.append(self.at[-1])
            return DROP
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                self.enter(key)
                cleaned = self._clean(item, where, f"{inner}.{key}" if inner else key)
                self.leave()
                if cleaned is not DROP:
                    out[key] = cleaned
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for index, item in enumerate(value):
                self.enter(len(items))
                cleaned = self._clean(item, where, f"{inner}[{index}]")
                self.leave()
                if cleaned is not DROP:
                    items.append(cleaned)
            return items
        return value


class TemplateLoader:
    """One template file: evaluates it and produces its raw resources."""

    def __init__(self, document: Any, location: Location, options: LoadOptions,
                 supplied: dict[str, Any]) -> None:
        self.file = location.file
        self.root = Node(document, Location(location.file))
        self.options = options
        self.supplied = supplied
        self.warnings: list[Diagnostic] = []
        self._warned: set[str] = set()
        self.tainted: list[Location] = []
        self.registry: dict[str, Instance] = {}
        self.instances: list[Instance] = []
        self._pending: list[Instance] = []
        self._busy: set[int] = set()
        self.regions: dict[str, list[Location]] = {}    # unresolved resource locations, by reason

    # -- warnings ------------------------------------------------------------------------

    def warn(self, location: Location, message: str, code: str = UNRESOLVED) -> None:
        key = str(location)
        if key in self._warned:
            return
        self._warned.add(key)
        self.warnings.append(Diagnostic(code, message, location))

    def check_syntax(self, node: Node) -> None:
        """Every expression in the document that does not parse, wherever it is."""
        pending = [node]
        while pending:
            current = pending.pop()
            value = current.value
            if isinstance(value, str):
                if is_expression(value):
                    try:
                        parse(value[1:-1])
                    except ExpressionSyntaxError as exc:
                        self.warn(current.location, f"the expression {_SYNTAX}: {exc}; what "
                                                    "needs its value is left out")
            elif isinstance(value, dict):
                pending.extend(current.get(k) for k in reversed(list(value))
                               if isinstance(k, str) and k.lower() not in ("metadata", "comments"))
            elif isinstance(value, list):
                pending.extend(reversed(list(current.items())))

    # -- values --------------------------------------------------------------------------

    def string(self, text: str, ctx: Ctx, where: Location) -> Any:
        if not is_expression(text):
            return literal(text)
        inside = text[1:-1]
        try:
            expr = parse(inside)
        except ExpressionSyntaxError as exc:
            return Unresolved(f"the expression at {where.path or where.file} {_SYNTAX} ({exc})",
                              "{syntax-error}")
        try:
            return evaluate(expr, ctx)
        except ArmError as exc:
            return Unresolved(str(exc), placeholder(inside))
        except RecursionError:
            return Unresolved("the expression nests too deeply", placeholder(inside))

    def resolve(self, node: Node, ctx: Ctx, sink: Sink | None) -> Any:
        """A JSON value with its expressions evaluated. Without a sink, unresolved values
        stay in place (variables, parameters, ``reference()``); with one, they become
        placeholders or are left out (DROP)."""
        value = node.value
        if isinstance(value, str):
            result = self.string(value, ctx, node.location)
            return result if sink is None else sink.put(result, node.location)
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key in value:
                child = node.get(key)
                if key.lower() == "copy" and _is_loop_list(child.value):
                    for loop in child.items():
                        name = self._loop_name(loop, ctx)
                        if name is None:
                            continue
                        if sink is not None:
                            sink.enter(name)
                        expanded = self.loop(loop, ctx, sink)
                        if sink is not None:
                            sink.leave()
                        if expanded is not DROP:
                            out[name] = expanded
                    continue
                if sink is not None:
                    sink.enter(key)
                result = self.resolve(child, ctx, sink)
                if sink is not None:
                    sink.leave()
                if result is not DROP:
                    out[key] = result
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for child in node.items():
                if sink is not None:
                    sink.enter(len(items))
                result = self.resolve(child, ctx, sink)
                if sink is not None:
                    sink.leave()
                if result is not DROP:
                    items.append(result)
            return items
        return value

    def _loop_name(self, loop: Node, ctx: Ctx) -> str | None:
        name = self.resolve(loop.get("name"), ctx, None)
        if not isinstance(name, str) or not name:
            self.warn(loop.get("name").location, f"a copy loop needs a name, found {kind_of(name)}")
            return None
        return name

    def count(self, node: Node, ctx: Ctx) -> int | Unresolved:
        value = self.resolve(node, ctx, None)
        if isinstance(value, Unresolved):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return Unresolved(f"a copy count must be an integer, not {kind_of(value)}", "{count}")
        try:
            count = int(value)
        except ValueError:
            return Unresolved(f"a copy count must be an integer, not {value!r}", "{count}")
        if count < 0 or count > 800:
            return Unresolved(f"a copy count must be 0 to 800, not {count}", "{count}")
        return count

    def loop(self, loop: Node, ctx: Ctx, sink: Sink | None) -> Any:
        """A property or variable copy loop: the list of its inputs (DROP if the count
        cannot be evaluated)."""
        name = self._loop_name(loop, ctx) or "copy"
        count = self.count(loop.get("count"), ctx)
        if isinstance(count, Unresolved):
            if sink is None:
                return Unresolved(count.reason, "{" + name + "}")
            self.warn(loop.get("count").location, f"copy count cannot be evaluated: "
                                                  f"{count.reason}; '{name}' left out")
            self.tainted.append(sink.at[-1])
            return DROP
        items: list[Any] = []
        for index in range(count):
            if sink is not None:
                sink.enter(len(items))
            item = self.resolve(loop.get("input"), ctx.with_loop(name, index), sink)
            if sink is not None:
                sink.leave()
            if item is not DROP:
                items.append(item)
        return items

    # -- reference() ---------------------------------------------------------------------

    def reference(self, target: str, full: bool, scope: Scope) -> Any:
        instance = (self.registry.get(ids.key(target)) if target.startswith("/")
                    else scope.names.get(target.lower()))
        if instance is None:
            return Unresolved(f"reference() to {target}: the resource is not in this template, "
                              "its state is only known in Azure", placeholder(target))
        origin = f"{instance.type} {instance.name}"
        if instance.existing:
            return Unresolved(f"reference() to {origin}: an existing resource, its state is only "
                              "known in Azure", placeholder(target))
        if instance.deployment:
            return wrap({"outputs": self.outputs(instance)}, origin)
        key = id(instance)
        if key in self._busy:
            return Unresolved(f"reference() to {origin} depends on itself", placeholder(target))
        if instance._kept is _MISSING:
            self._busy.add(key)
            try:
                kept: dict[str, Any] = {}
                for name, node in _members(instance.node):
                    if name.lower() not in _NOT_STATE:
                        kept[name] = self.resolve(node, instance.ctx, None)
                if not any(k.lower() == "properties" for k in kept):
                    kept["properties"] = {}
                instance._kept = kept
            finally:
                self._busy.discard(key)
        state = dict(instance._kept)
        if full:
            state.update({"id": instance.id, "name": ids.name_from_id(instance.id),
                          "type": instance.type})
            return wrap(state, origin)
        props = next(v for k, v in state.items() if k.lower() == "properties")
        return wrap(props, origin, "")

    def outputs(self, instance: Instance) -> Any:
        if instance._outputs is _MISSING:
            outputs: dict[str, Any] = {}
            ctx = instance.inner_ctx
            template = instance.node.path("properties", "template")
            if ctx is not None:
                for label, node in _members(template.get("outputs")):
                    copy = node.get("copy")
                    if isinstance(copy.value, dict):
                        count = self.count(copy.get("count"), ctx)
                        value: Any = (count if isinstance(count, Unresolved) else [
                            self.resolve(copy.get("input"), ctx.with_loop("copy", i, True), None)
                            for i in range(count)])
                    else:
                        value = self.resolve(node.get("value"), ctx, None)
                    outputs[label] = {"type": node.get("type").value, "value": value}
            instance._outputs = outputs
        return instance._outputs

    # -- declarations --------------------------------------------------------------------

    def run(self) -> list[RawResource]:
        self.check_syntax(self.root)
        if not isinstance(self.root.value, dict):
            raise IngestError(self.root.location, "an ARM template must be a JSON object")
        target = default_target(str(self.root.value.get("$schema", "")))
        scope = Scope(self, self.root, target, Path(self.file).stem, self.supplied)
        scope.report_missing()
        self.declare(scope, self.root.get("resources"), scope.context(), target, None, None)
        while self._pending:
            self.expand(self._pending.pop(0))
        raws: list[RawResource] = []
        for instance in self.instances:
            raws.extend(self.emit(instance))
        for reason, places in self.regions.items():
            more = f" (and {len(places) - 1} more)" if len(places) > 1 else ""
            self.warn(places[0], f"the location (region) of {len(places)} resource(s) cannot be "
                                 f"evaluated: {reason}; left out{more}")
        return self.validated(raws)

    def _resources(self, node: Node) -> Iterator[tuple[Node, str | None]]:
        if isinstance(node.value, dict):          # languageVersion 2.0: symbolic names
            for key in node.value:
                yield node.get(key), key
        elif isinstance(node.value, list):
            for item in node.items():
                yield item, None
        elif node.value is not None:
            raise node.error(f"expected a list of resources, found {kind_of(node.value)}")

    def declare(self, scope: Scope, resources: Node, ctx: Ctx, target: Target,
                parent: Instance | None, address: str | None) -> None:
        for node, symbol in self._resources(resources):
            if not isinstance(node.value, dict):
                raise node.error(f"expected a resource object, found {kind_of(node.value)}")
            copy = node.get("copy")
            if isinstance(copy.value, dict):
                name = self._loop_name(copy, ctx)
                if name is None:
                    continue
                count = self.count(copy.get("count"), ctx)
                if isinstance(count, Unresolved):
                    self.warn(copy.get("count").location, f"copy count cannot be evaluated: "
                                                          f"{count.reason}; the resource is left out")
                    continue
                for index in range(count):
                    where = f"{name}[{index}]"
                    self.declare_one(scope, node, symbol, ctx.with_loop(name, index, True), target,
                                     parent, f"{address}, {where}" if address else where)
            else:
                self.declare_one(scope, node, symbol, ctx, target, parent, address)

    def declare_one(self, scope: Scope, node: Node, symbol: str | None, ctx: Ctx, target: Target,
                    parent: Instance | None, address: str | None) -> None:
        where = Location(node.location.file, node.location.path, None, address)
        quiet = not self.modelled(node, ctx, parent)
        condition = node.get("condition")
        if condition.value is not None:
            decided = self.resolve(condition, ctx, None)
            if isinstance(decided, Unresolved):
                if not quiet:
                    self.warn(condition.location, f"the condition cannot be evaluated: "
                                                  f"{decided.reason}; the resource is loaded as "
                                                  "if it were deployed")
            elif decided is False or (isinstance(decided, str) and decided.lower() == "false"):
                return
        named = self.identify(scope, node, ctx, target, parent, where, quiet)
        if named is None:
            return
        resource_type, name, resource_id = named
        instance = Instance(node, ctx, resource_type, name, resource_id, address, quiet=quiet)
        existing = node.get("existing").value is True
        instance.existing = existing
        if symbol:
            scope.names[symbol.lower()] = instance
        if not existing:
            scope.names.setdefault(name.lower(), instance)
            key = ids.key(resource_id)
            first = self.registry.get(key)
            if first is not None:
                self.warn(where, f"{resource_id} is declared twice (first at {first.where}); "
                                 "this declaration is left out")
                return
            self.registry[key] = instance
        if resource_type.lower() == "microsoft.resources/deployments":
            instance.deployment = True
            instance.target = target
            if not existing:
                self._pending.append(instance)
            return
        if existing:
            return
        self.instances.append(instance)
        children = node.get("resources")
        if children.value is not None:
            self.declare(scope, children, ctx, target, instance, address)

    def modelled(self, node: Node, ctx: Ctx, parent: Instance | None) -> bool:
        """Whether netwarden models the resource's type (or it is a nested deployment,
        which may hold such resources): only then do its unresolved values matter."""
        written = self.resolve(node.get("type"), ctx, None)
        if not isinstance(written, str):
            return True
        written = written.split("@", 1)[0]
        if parent is not None and "." not in written.split("/", 1)[0]:
            written = f"{parent.type}/{written}"
        key = written.lower()
        return key in KNOWN_TYPES or key == "microsoft.resources/deployments"

    def identify(self, scope: Scope, node: Node, ctx: Ctx, target: Target,
                 parent: Instance | None, where: Location,
                 quiet: bool = False) -> tuple[str, str, str] | None:
        """The full type, full name and ID of a resource, or None (warned) when they
        cannot be known."""
        type_node, name_node = node.get("type"), node.get("name")
        if type_node.value is None:
            raise type_node.error("a resource needs a 'type'")
        if name_node.value is None:
            raise name_node.error("a resource needs a 'name'")
        written_type = self.resolve(type_node, ctx, None)
        if isinstance(written_type, Unresolved) or not isinstance(written_type, str):
            reason = (written_type.reason if isinstance(written_type, Unresolved)
                      else f"the type is {kind_of(written_type)}")
            self.warn(where, f"resource left out: its type cannot be evaluated ({reason})")
            return None
        written_type = written_type.split("@", 1)[0]          # Bicep-style "type@version"
        name = self.resolve(name_node, ctx, None)
        if isinstance(name, Unresolved):
            if _SYNTAX in name.reason:
                self.warn(where, f"resource left out: its name cannot be evaluated ({name.reason})")
                return None
            if not quiet:
                self.warn(name_node.location, f"cannot be evaluated: {name.reason}; placeholder "
                                              f"'{name.text}' used")
            name = name.text
        elif isinstance(name, (dict, list)) or name is None:
            self.warn(where, f"resource left out: its name is {kind_of(name)}")
            return None
        name = to_text(name).strip("/")
        full_type, full_name = written_type, name
        if parent is not None and "." not in written_type.split("/", 1)[0]:
            full_type = f"{parent.type}/{written_type}"
            full_name = f"{parent.name}/{name}"
        elif parent is not None and written_type.lower().startswith(parent.type.lower() + "/") \
                and name.count("/") < written_type.count("/") - 1:
            full_name = f"{parent.name}/{name}"          # full type, name of the child only
        scope_value: Any = None
        if node.get("scope").value is not None:
            scope_value = self.resolve(node.get("scope"), ctx, None)
            if isinstance(scope_value, Unresolved):
                self.warn(node.get("scope").location, f"cannot be evaluated: {scope_value.reason}; "
                                                      f"placeholder '{scope_value.text}' used")
                scope_value = scope_value.text
            if not isinstance(scope_value, str):
                self.warn(where, f"resource left out: its scope is {kind_of(scope_value)}")
                return None
        try:
            return resource_identity(full_type, full_name, target, scope_value)
        except ArmError as exc:
            self.warn(where, f"resource left out: {exc}")
            return None

    def expand(self, instance: Instance) -> None:
        """A nested deployment: declare the resources of its inline template."""
        props = instance.node.get("properties")
        ctx = instance.ctx
        if not isinstance(props.value, dict):
            self.warn(props.location, f"nested deployment {instance.name}: its properties are not "
                                      "an object; its resources are not loaded")
            return
        if props.get("templateLink").value is not None:
            self.warn(props.get("templateLink").location,
                      f"nested deployment {instance.name} links an external template "
                      "(templateLink): it is not read, and its resources are not loaded",
                      LINKED_TEMPLATE)
            return
        template = props.get("template")
        if not isinstance(template.value, dict):
            self.warn(instance.where, f"nested deployment {instance.name} has no inline template; "
                                      "nothing of it is loaded")
            return
        parent_target = instance.target or ctx.target
        target = self.deployment_target(instance, parent_target)
        mode = self.resolve(props.path("expressionEvaluationOptions", "scope"), ctx, None)
        if isinstance(mode, str) and mode.lower() == "inner":
            supplied: dict[str, Any] = {}
            for label, entry in _members(props.get("parameters")):
                if isinstance(entry.value, dict) and any(k.lower() == "value" for k in entry.value):
                    supplied[label] = self.resolve(entry.get("value"), ctx, None)
                elif isinstance(entry.value, dict) and any(k.lower() == "reference"
                                                           for k in entry.value):
                    supplied[label] = Unresolved(f"parameter '{label}' is a Key Vault reference, "
                                                 "not read offline", "{" + label + "}")
            inner = Scope(self, template, target, instance.name, supplied)
            inner.report_missing()
            inner_ctx = inner.context()
        else:
            if props.get("parameters").value:
                self.warn(props.get("parameters").location,
                          "parameters passed to an outer-scope nested deployment are ignored "
                          "(set expressionEvaluationOptions.scope to 'inner' to use them)")
            inner, inner_ctx = ctx.scope, ctx
        instance.inner, instance.inner_ctx = inner, inner_ctx
        self.declare(inner, template.get("resources"), inner_ctx, target, None, instance.address)

    def deployment_target(self, instance: Instance, parent: Target) -> Target:
        values: dict[str, str | None] = {}
        for member in ("resourceGroup", "subscriptionId", "scope"):
            node = instance.node.get(member)
            value = self.resolve(node, instance.ctx, None) if node.value is not None else None
            if isinstance(value, Unresolved):
                self.warn(node.location, f"cannot be evaluated: {value.reason}; placeholder "
                                         f"'{value.text}' used")
                value = value.text
            values[member] = to_text(value) if value not in (None, "") else None
        group, subscription, scope = (values["resourceGroup"], values["subscriptionId"],
                                      values["scope"])
        if group:
            if "/" in group:                      # a resource group ID
                parts = ids.segments(group)
                subscription = parts[1] if len(parts) > 1 else subscription
                group = parts[-1]
            return Target("resourceGroup", subscription or parent.subscription
                          or DEFAULT_SUBSCRIPTION, group)
        if subscription:
            return Target("subscription", subscription)
        if scope:
            parts = ids.segments(scope)
            lowered = [p.lower() for p in parts]
            if "managementgroups" in lowered:
                return Target("managementGroup", None, None,
                              parts[lowered.index("managementgroups") + 1]
                              if lowered[-1] != "managementgroups" else None)
            if "resourcegroups" in lowered:
                return Target("resourceGroup", parts[1], parts[lowered.index("resourcegroups") + 1])
            if lowered[:1] == ["subscriptions"] and len(parts) > 1:
                return Target("subscription", parts[1])
            if not parts:
                return Target("tenant")
        return parent

    # -- output --------------------------------------------------------------------------

    def emit(self, instance: Instance) -> list[RawResource]:
        """The raw resources of one instance: the evaluated resource object (unresolved
        values left out) and its inline children."""
        where = instance.where
        sink = Sink(self, where, instance.quiet)
        body: dict[str, Any] = {"id": instance.id, "name": ids.name_from_id(instance.id),
                                "type": instance.type}
        for key, node in _members(instance.node):
            if key.lower() in _NOT_STATE:
                continue
            sink.enter(key)
            value = self.resolve(node, instance.ctx, sink)
            sink.leave()
            if value is not DROP:
                body[key] = value
        try:
            return flatten(Node(body, where))
        except IngestError as exc:
            if not self._tainted_within(where):
                raise
            self.warn(where, f"{instance.type} {instance.name} left out: {_what(exc)}, because "
                             "a value it needs could not be evaluated")
            return []

    def _tainted_within(self, location: Location) -> bool:
        return any(_within(t, location) for t in self.tainted)

    def validated(self, raws: list[RawResource]) -> list[RawResource]:
        """Build the raw resources once, so that a resource the builder rejects only
        because a value was left out (a route whose next hop is a runtime IP address)
        is itself left out with a warning, rather than failing the whole input. A
        rejection with nothing left out is an error in the template: it stands."""
        from netwarden.ingest.build import build_estate

        for _ in range(len(raws) + 1):
            try:
                build_estate(raws)
                return raws
            except IngestError as exc:
                culprit = max((r for r in raws if _within(exc.location, r.node.location)),
                              key=lambda r: len(r.node.location.path), default=None)
                if culprit is None or not self._tainted_within(culprit.node.location):
                    raise
                gone = culprit.node.location
                raws = [r for r in raws if not _within(r.node.location, gone)]
                self.warn(gone, f"{culprit.type} {culprit.name} left out: {_what(exc)}, because "
                                "a value it needs could not be evaluated")
        return raws


def _what(exc: IngestError) -> str:
    """A builder's error as a phrase: "'nextHopIpAddress' is required for ..."."""
    member = exc.location.path.rsplit(".", 1)[-1] if exc.location.path else ""
    return f"'{member}' {exc.message}" if member and not member.endswith("]") else exc.message


def _within(inner: Location, outer: Location) -> bool:
    if inner.file != outer.file or inner.address != outer.address:
        return False
    return (not outer.path or inner.path == outer.path
            or inner.path.startswith(outer.path + ".") or inner.path.startswith(outer.path + "["))


def resource_identity(full_type: str, full_name: str, target: Target,
                      scope: str | None = None) -> tuple[str, str, str]:
    """(type, name, ID) of a resource deployed at ``target``; ``scope`` is the resource an
    extension resource applies to (ID, or a path relative to the deployment's scope).
    Old-style extension types (``.../networkSecurityGroups/providers/diagnosticSettings``,
    named ``nsg/Microsoft.Insights/default``) become the extension's own type and ID."""
    segments = [s for s in full_type.split("/") if s]
    names = [n for n in full_name.split("/")]
    lowered = [s.lower() for s in segments]
    if "providers" in lowered[1:]:
        at = lowered.index("providers", 1)
        base_types, ext_types = segments[:at], segments[at + 1:]
        k = len(base_types) - 1
        if len(names) < k + 2:
            raise ArmError(f"the name '{full_name}' does not fit the extension type '{full_type}'")
        _, _, base_id = resource_identity("/".join(base_types), "/".join(names[:k]), target, scope)
        ext_type = "/".join([names[k], *ext_types])
        ext_id = f"{base_id}/{resource_path(ext_type, names[k + 1:])}"
        return ext_type, "/".join(names[k + 1:]), ext_id
    if lowered == ["microsoft.resources", "resourcegroups"] and target.subscription:
        return full_type, full_name, f"/subscriptions/{target.subscription}/resourceGroups/{full_name}"
    path = resource_path(full_type, names)
    if scope is not None:
        base = scope.rstrip("/") if scope.startswith("/") else (
            f"{target.prefix}/providers/{scope.strip('/')}")
        return full_type, full_name, f"{base}/{path}"
    return full_type, full_name, f"{target.prefix}/{path}"


def read_parameters(path: Path) -> dict[str, Any]:
    """A deployment parameters file: ``{"parameters": {"x": {"value": ...}}}`` (the
    ``$schema`` envelope is optional). Key Vault references stay unresolved."""
    from netwarden.ingest.loader import read_json

    document = read_json(Path(path))
    root = Node(document, Location(str(path)))
    if not isinstance(document, dict):
        raise root.error("a parameters file must be a JSON object")
    entries = root.get("parameters") if isinstance(root.get("parameters").value, dict) else root
    values: dict[str, Any] = {}
    for key in entries.value:
        if key.startswith("$") or key.lower() == "contentversion":
            continue
        entry = entries.get(key)
        if not isinstance(entry.value, dict):
            raise entry.error("expected {\"value\": ...} or {\"reference\": ...}")
        members = {k.lower(): k for k in entry.value}
        if "value" in members:
            values[key] = entry.value[members["value"]]
        elif "reference" in members:
            values[key] = Unresolved(f"parameter '{key}' is a Key Vault reference, not read "
                                     "offline", "{" + key + "}")
        else:
            raise entry.error("expected {\"value\": ...} or {\"reference\": ...}")
    return values


def load_template(document: Any, location: Location, options: LoadOptions) -> list[RawResource]:
    supplied = read_parameters(options.parameters) if options.parameters else {}
    loader = TemplateLoader(document, location, options, supplied)
    raws = loader.run()
    options.warnings.extend(loader.warnings)
    return raws


__all__ = ["DEFAULT_RESOURCE_GROUP", "DEFAULT_SUBSCRIPTION",
           "load_template", "read_parameters", "resource_identity"]
