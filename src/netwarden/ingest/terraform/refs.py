"""Resolving what a plan leaves unknown, through the references of the configuration.

A plan knows no ID of a resource it is about to create, so every attribute that refers to
one (``subnet_id = azurerm_subnet.web.id``) is unknown. The configuration keeps each
attribute's expression with the ``references`` it reads; following them (through module
variables and outputs) names the resource instance, whose ID the adapter synthesises.

Only a value the attribute holds *itself* is taken: an ID attribute that reads the ``id``
of a resource of the expected type, a ``*_name`` that reads a ``name``, an address that
reads an address. The JSON keeps references, not the expression, so anything computed
from them (a template, ``cidrhost(...)``) could be mistaken for a plain reference; these
rules refuse what would be a different kind of value. An expression with more than one
unknown input is ambiguous and stays unresolved. Nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netwarden.ingest.terraform.plan import (
    Index,
    Instance,
    Key,
    ModulePath,
    Plan,
    Token,
    is_expression,
    tokens,
)

MAX_DEPTH = 16
Path = tuple[str | int, ...]

# What an ID attribute may refer to (lower-case ARM types); attributes not listed take any.
_NET = "microsoft.network/"
EXPECTED_TYPES: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "subnet_id": [_NET + "virtualnetworks/subnets"],
    "vnet_subnet_id": [_NET + "virtualnetworks/subnets"],
    "virtual_network_subnet_ids": [_NET + "virtualnetworks/subnets"],
    "network_security_group_id": [_NET + "networksecuritygroups"],
    "security_group": [_NET + "networksecuritygroups"],
    "route_table_id": [_NET + "routetables"],
    "public_ip_address_id": [_NET + "publicipaddresses"],
    "network_interface_id": [_NET + "networkinterfaces"],
    "network_interface_ids": [_NET + "networkinterfaces"],
    "application_security_group_id": [_NET + "applicationsecuritygroups"],
    "source_application_security_group_ids": [_NET + "applicationsecuritygroups"],
    "destination_application_security_group_ids": [_NET + "applicationsecuritygroups"],
    "remote_virtual_network_id": [_NET + "virtualnetworks"],
    "virtual_network_id": [_NET + "virtualnetworks"],
    "firewall_policy_id": [_NET + "firewallpolicies",
                           _NET + "applicationgatewaywebapplicationfirewallpolicies"],
    "base_policy_id": [_NET + "firewallpolicies"],
    "backend_address_pool_id": [_NET + "loadbalancers/backendaddresspools",
                                _NET + "applicationgateways/backendaddresspools"],
    "backend_address_pool_ids": [_NET + "loadbalancers/backendaddresspools"],
    "loadbalancer_id": [_NET + "loadbalancers"],
    "nat_gateway_id": [_NET + "natgateways"],
    "nat_rule_id": [_NET + "loadbalancers/inboundnatrules"],
    "storage_account_id": ["microsoft.storage/storageaccounts"],
    "server_id": ["microsoft.sql/servers"],
    "kubernetes_cluster_id": ["microsoft.containerservice/managedclusters"],
    "source_ip_groups": [_NET + "ipgroups"],
    "destination_ip_groups": [_NET + "ipgroups"],
    "virtual_network_gateway_id": [_NET + "virtualnetworkgateways"],
    "peer_virtual_network_gateway_id": [_NET + "virtualnetworkgateways"],
    "local_network_gateway_id": [_NET + "localnetworkgateways"],
}.items()}


@dataclass(frozen=True, slots=True)
class Resolved:
    value: Any
    known: bool     # read as a known planned value: it cannot be why another value is unknown


def category(attribute: str) -> str:
    """What kind of value an attribute holds, to tell a plain reference from a computed one."""
    if attribute == "id" or attribute.endswith(("_id", "_ids", "_ip_groups")) or \
            attribute == "security_group":
        return "id"
    if attribute == "name" or attribute.endswith("_name"):
        return "name"
    if attribute.endswith(("address", "addresses")):
        return "address"
    return attribute


class Resolver:
    def __init__(self, plan: Plan, id_of: Callable[[Instance], str | None],
                 arm_type: Callable[[Instance], str | None],
                 stand_in: Callable[[Instance, Path], Any] = lambda instance, path: None) -> None:
        self.plan = plan
        self._id_of = id_of
        self._arm_type = arm_type
        self._stand_in = stand_in

    # -- entry points ----------------------------------------------------------------------

    def unknown_value(self, instance: Instance, path: Path, depth: int = 0) -> Any | None:
        """The value of an unknown attribute, from the references of its expression; None
        when it cannot be told."""
        found = self.expression_at(instance, path)
        if found is None:
            return None
        expression, rest = found
        wanted = _attribute_name(path)
        if wanted == "id" or (rest and wanted not in EXPECTED_TYPES):
            # An ID is computed, never configured; inside an expression that sets a whole
            # list of objects only a reference attribute of a known type can be told apart.
            return None
        result = self._expression(expression, instance.module, (), instance.key, wanted, depth)
        # With ``rest``, one expression sets a whole list of objects (an attribute written as
        # blocks): its single unknown input is what each unknown leaf of the kind reads.
        if result is None or result.known or not _scalar(result.value):
            return None
        return result.value

    def unknown_elements(self, instance: Instance, path: Path, positions: list[int]) -> list[Any] | None:
        """The unknown elements (at ``positions``) of a list attribute, in order: when its
        expression reads exactly as many unknown values, or when the list sits inside one
        expression with a single unknown input."""
        found = self.expression_at(instance, path)
        if found is None:
            return None
        expression, rest = found
        if rest:
            values = [self.unknown_value(instance, (*path, p)) for p in positions]
            return None if None in values else values
        references = expression.get("references")
        if not references:
            return None
        roots, modifiers = _roots(references)
        wanted = _attribute_name(path)
        sources = []
        for root in roots:
            result = self._reference(root, instance.module, (), instance.key, modifiers, wanted, 0)
            if result is not None and result.known:
                continue
            if result is None or not _scalar(result.value):
                return None
            sources.append(result.value)
        return sources if len(sources) == len(positions) else None

    def configured(self, instance: Instance, name: str) -> bool:
        """Whether the configuration sets a top-level attribute or block."""
        expressions = (instance.config or {}).get("expressions")
        return isinstance(expressions, dict) and name in expressions

    def expression_at(self, instance: Instance, path: Path) -> tuple[dict[str, Any], Path] | None:
        """The configuration expression that sets the value at ``path``, and the part of the
        path inside it (when one expression sets a whole list of objects)."""
        current: Any = (instance.config or {}).get("expressions")
        at = 0
        while at < len(path):
            step = path[at]
            if not isinstance(step, str) or not isinstance(current, dict):
                return None
            entry = current.get(step)
            if is_expression(entry):
                return entry, path[at + 1:]
            at += 1
            if isinstance(entry, list):                     # repeated nested blocks
                if at >= len(path) or not isinstance(path[at], int):
                    return None
                current = _block(instance, path[:at], int(path[at]), entry)
                at += 1
            elif isinstance(entry, dict):                   # a single nested block
                if at < len(path) and isinstance(path[at], int):
                    if path[at] != 0:
                        return None
                    at += 1
                current = entry
            else:
                return None
        return None

    # -- following references ------------------------------------------------------------------

    def _expression(self, expression: Any, module: ModulePath, extra: tuple[Token, ...],
                    key: Key, wanted: str, depth: int) -> Resolved | None:
        if not isinstance(expression, dict) or depth > MAX_DEPTH:
            return None
        references = expression.get("references")
        if not references:
            if "constant_value" in expression:
                return Resolved(_walk(expression["constant_value"], extra), True)
            return None
        roots, modifiers = _roots(references)
        sources = []
        for root in roots:
            result = self._reference(root, module, extra, key, modifiers, wanted, depth)
            if result is None or not result.known:
                sources.append(result)
        if not sources:
            return Resolved(None, True)       # every input is known: not why a value is unknown
        return sources[0] if len(sources) == 1 else None

    def _reference(self, root: tuple[Token, ...], module: ModulePath, extra: tuple[Token, ...],
                   key: Key, modifiers: frozenset[str], wanted: str, depth: int) -> Resolved | None:
        head = root[0]
        if head == "var":
            call = self.plan.call_config(module)
            if call is None or len(root) < 2 or not isinstance(root[1], str):
                return None        # the root module's variables are known in a plan
            arguments = call.get("expressions")
            expression = arguments.get(root[1]) if isinstance(arguments, dict) else None
            return self._expression(expression, module[:-1], (*root[2:], *extra), module[-1][1],
                                    wanted, depth + 1)
        if head == "module":
            return self._output(root, module, extra, wanted, depth)
        if head in ("data", "local", "path", "terraform", "self", "count", "each") or len(root) < 2:
            return None
        if not isinstance(root[1], str):
            return None
        instances = self.plan.instances_of(module, "managed", str(head), root[1])
        rest = root[2:]
        paired = False
        if rest and isinstance(rest[0], Index):
            chosen = [i for i in instances if i.key == rest[0].key]
            rest = rest[1:]
        elif len(instances) == 1 and instances[0].key is None:
            chosen = instances
        elif key is not None and modifiers in (frozenset({"count.index"}), frozenset({"each.key"})):
            # `azurerm_subnet.web[count.index].id`: the JSON keeps only `azurerm_subnet.web`
            # and `count.index`; the instance with the referrer's own key is the one meant.
            chosen = [i for i in instances if i.key == key]
            paired = True
        else:
            return None
        if len(chosen) != 1:
            return None
        attribute = (*rest, *extra)
        if not attribute and paired and not extra and category(wanted) == "id":
            attribute = ("id",)
        if not attribute or any(isinstance(s, Index) and s.key == "*" for s in attribute):
            return None
        path = tuple(s.key if isinstance(s, Index) else s for s in attribute)
        return self._attribute(chosen[0], path, wanted, depth)

    def _output(self, root: tuple[Token, ...], module: ModulePath, extra: tuple[Token, ...],
                wanted: str, depth: int) -> Resolved | None:
        if len(root) < 3 or not isinstance(root[1], str):
            return None
        call, rest = root[1], root[2:]
        key: Key = None
        if isinstance(rest[0], Index):
            key, rest = rest[0].key, rest[1:]
        elif self.plan.module_keys(module, call) - {None}:
            return None            # `module.x.out` of a module with count/for_each
        if not rest or not isinstance(rest[0], str):
            return None
        child = (*module, (call, key))
        config = self.plan.module_config(child)
        outputs = config.get("outputs") if config else None
        output = outputs.get(rest[0]) if isinstance(outputs, dict) else None
        expression = output.get("expression") if isinstance(output, dict) else None
        return self._expression(expression, child, (*rest[1:], *extra), None, wanted, depth + 1)

    def _attribute(self, instance: Instance, path: Path, wanted: str, depth: int) -> Resolved | None:
        last = _attribute_name(path)
        if category(wanted) != category(last) or (category(wanted) == "id" and path != ("id",)):
            return None
        if path == ("id",):
            expected = EXPECTED_TYPES.get(wanted)
            actual = (self._arm_type(instance) or "").lower()
            if expected is not None and actual not in expected:
                return None
            known = instance.at(path).value
            if isinstance(known, str) and known.strip() and not instance.unknown_at(path):
                return Resolved(known, True)
            synthesised = self._id_of(instance)
            return Resolved(synthesised, False) if synthesised else None
        if not instance.unknown_at(path):
            return Resolved(instance.at(path).value, True)
        value = self.unknown_value(instance, path, depth + 1)
        if value is None:
            value = self._stand_in(instance, path)
        return Resolved(value, False) if value is not None else None


def _attribute_name(path: Path) -> str:
    return next((str(step) for step in reversed(path) if isinstance(step, str)), "")


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _walk(value: Any, steps: tuple[Token, ...]) -> Any:
    for step in steps:
        key = step.key if isinstance(step, Index) else step
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _roots(references: list[Any]) -> tuple[list[tuple[Token, ...]], frozenset[str]]:
    """The distinct references of an expression, and its ``count``/``each`` modifiers.

    Terraform lists each reference from its longest traversal down to the object
    (``azurerm_subnet.web.id``, ``azurerm_subnet.web``), each one a prefix of the one
    before; a new reference starts where that chain breaks."""
    roots: list[tuple[Token, ...]] = []
    modifiers: set[str] = set()
    previous: tuple[Token, ...] | None = None
    for text in references:
        steps = tokens(text) if isinstance(text, str) else None
        if not steps:
            previous = None
            continue
        if previous is not None and len(steps) < len(previous) and previous[:len(steps)] == steps:
            previous = steps               # a shorter form of the same reference
            continue
        previous = steps
        if steps[0] in ("count", "each"):
            modifiers.add(".".join(str(s) for s in steps[:2]))
        elif steps not in roots:
            roots.append(steps)
    return roots, frozenset(modifiers)


def _block(instance: Instance, list_path: Path, index: int, blocks: list[Any]) -> Any:
    """The configuration block behind element ``index`` of a planned list of blocks: the one
    of the same (constant) name, or the only one. Sets are reordered in a plan, so position
    alone says nothing."""
    planned = instance.at(list_path).value
    element = planned[index] if isinstance(planned, list) and 0 <= index < len(planned) else None
    name = element.get("name") if isinstance(element, dict) else None
    names = [b.get("name", {}).get("constant_value") if isinstance(b, dict) and
             isinstance(b.get("name"), dict) else None for b in blocks]
    if isinstance(name, str) and names.count(name) == 1:
        return blocks[names.index(name)]
    if len(blocks) == 1 and isinstance(planned, list) and len(planned) == 1:
        return blocks[0]
    return None
