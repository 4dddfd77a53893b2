"""The ARM template functions, evaluated offline.

Each function is registered with its arity and how it treats unresolved arguments:

* most functions return an unresolved value when an argument is unresolved;
* *builders* (``concat``, ``format``, ``resourceId`` ...) also render a placeholder text
  (``route-to-{location}-hub-fw``), which names and resource IDs use;
* *tolerant* functions (``createArray``, ``if``, ``and`` ...) keep or skip unresolved
  arguments where the result does not depend on them;
* *deep* functions (``equals``, ``contains`` ...) read inside arrays and objects, so an
  unresolved value anywhere inside an argument makes the result unresolved.

What is only known in Azure (``reference()`` of a resource outside the template, runtime
properties, ``list*()`` secrets, ``utcNow()``, ``newGuid()``, zones, the resource group's
location) is unresolved, never guessed.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import math
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from netwarden.ingest.arm.expressions import ArmError, Call, Expr, evaluate, parse
from netwarden.ingest.arm.hashing import arm_guid, unique_string
from netwarden.ingest.arm.values import (
    ID,
    OPAQUE,
    STRING,
    Unresolved,
    first_unresolved,
    kind_of,
    placeholder,
    plain,
    same,
    to_text,
    wrap,
)

# -- what a function may ask of the template -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Where a deployment puts its resources: the prefix of their IDs, and what
    ``resourceGroup()``, ``subscription()`` and ``resourceId()`` answer."""

    level: str                         # resourceGroup, subscription, managementGroup, tenant
    subscription: str | None = None
    resource_group: str | None = None
    management_group: str | None = None

    @property
    def prefix(self) -> str:
        if self.level == "resourceGroup":
            return f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
        if self.level == "subscription":
            return f"/subscriptions/{self.subscription}"
        if self.level == "managementGroup":
            return f"/providers/Microsoft.Management/managementGroups/{self.management_group}"
        return ""


class Context(Protocol):
    target: Target
    deployment_name: str

    def parameter(self, name: str) -> Any: ...
    def variable(self, name: str) -> Any: ...
    def copy_index(self, loop: str | None) -> int: ...
    def reference(self, target: str, full: bool) -> Any: ...
    def user_function(self, name: str) -> Callable[[list[Any]], Any] | None: ...
    def lambda_value(self, name: str) -> Any: ...
    def with_lambda(self, bindings: dict[str, Any]) -> Context: ...


# -- the registry ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Spec:
    name: str
    fn: Callable[..., Any]
    min_args: int
    max_args: int | None
    lazy: bool          # receives the unevaluated argument expressions
    tolerant: bool      # handles unresolved arguments itself
    deep: bool          # unresolved anywhere inside an argument makes the result unresolved
    builder: str | None  # STRING or ID: renders a placeholder from unresolved arguments


FUNCTIONS: dict[str, Spec] = {}


def fn(name: str, min_args: int = 0, max_args: int | None = None, *, lazy: bool = False,
       tolerant: bool = False, deep: bool = False,
       builder: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        FUNCTIONS[name.lower()] = Spec(name, function, min_args, max_args, lazy, tolerant, deep,
                                       builder)
        return function
    return register


def call(expr: Call, ctx: Context) -> Any:
    key = expr.name.lower()
    spec = FUNCTIONS.get(key)
    if spec is None:
        if key.startswith("list"):
            for arg in expr.args:      # evaluate for the error messages, not the value
                evaluate(arg, ctx)
            return Unresolved(f"{expr.name}() returns keys or secrets that are only known in "
                              "Azure", placeholder(expr.source))
        user = ctx.user_function(expr.name) if "." in expr.name else None
        if user is None:
            raise ArmError(f"unknown function '{expr.name}'")
        args = [evaluate(arg, ctx) for arg in expr.args]
        return user(args)
    count = len(expr.args)
    if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
        expected = (str(spec.min_args) if spec.min_args == spec.max_args
                    else f"{spec.min_args} or more" if spec.max_args is None
                    else f"{spec.min_args} to {spec.max_args}")
        raise ArmError(f"{spec.name}() takes {expected} argument(s), not {count}")
    if spec.lazy:
        return spec.fn(ctx, expr)
    args = [evaluate(arg, ctx) for arg in expr.args]
    if not spec.tolerant:
        for arg in args:
            bad = first_unresolved(arg) if spec.deep else arg
            if isinstance(bad, Unresolved):
                return _derived(spec, expr, ctx, args, bad)
    try:
        return spec.fn(ctx, *args)
    except ArmError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError) as exc:
        raise ArmError(f"{spec.name}(): {exc}") from None


def _derived(spec: Spec, expr: Call, ctx: Context, args: list[Any], bad: Unresolved) -> Unresolved:
    """The unresolved result of a call with an unresolved argument: for builders, the
    result with each unresolved argument replaced by its placeholder text."""
    if spec.builder and all(isinstance(a, (str, int, Unresolved)) for a in args):
        texts = [a.text if isinstance(a, Unresolved) else a for a in args]
        try:
            text = spec.fn(ctx, *texts)
        except (ArmError, TypeError, ValueError, IndexError):
            text = None
        if isinstance(text, str):
            is_id = spec.builder == ID or text.startswith(("/subscriptions/", "/providers/")) or any(
                isinstance(a, Unresolved) and a.kind == ID for a in args)
            return Unresolved(bad.reason, text, ID if is_id else STRING)
    return Unresolved(bad.reason, placeholder(expr.source), OPAQUE)


def _int(value: Any, what: str = "argument") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ArmError(f"{what} must be an integer, not {kind_of(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise ArmError(f"{what} must be an integer, not {value}")
    return int(value)


def _str(value: Any, what: str = "argument") -> str:
    if not isinstance(value, str):
        raise ArmError(f"{what} must be a string, not {kind_of(value)}")
    return value


def _bool(value: Any, what: str = "argument") -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ArmError(f"{what} must be a bool, not {kind_of(value)}")


# -- deployment and scope --------------------------------------------------------------------

_UNKNOWN_LOCATION = "the {} location is only known at deployment (pass the parameter " \
                    "that holds it with --parameters)"


@fn("parameters", 1, 1)
def _parameters(ctx: Context, name: Any) -> Any:
    return ctx.parameter(_str(name, "the parameter name"))


@fn("variables", 1, 1)
def _variables(ctx: Context, name: Any) -> Any:
    return ctx.variable(_str(name, "the variable name"))


@fn("copyIndex", 0, 2)
def _copy_index(ctx: Context, *args: Any) -> int:
    loop: str | None = None
    offset = 0
    if args and isinstance(args[0], str):
        loop = args[0]
        if len(args) > 1:
            offset = _int(args[1], "the offset")
    elif args:
        if len(args) > 1:
            raise ArmError("copyIndex(): the loop name comes first")
        offset = _int(args[0], "the offset")
    return ctx.copy_index(loop) + offset


@fn("resourceGroup", 0, 0)
def _resource_group(ctx: Context) -> Any:
    target = ctx.target
    if target.level != "resourceGroup":
        raise ArmError(f"resourceGroup() is not available in a {target.level} deployment")
    return wrap({
        "id": target.prefix,
        "name": target.resource_group,
        "type": "Microsoft.Resources/resourceGroups",
        "location": Unresolved(_UNKNOWN_LOCATION.format("resource group's"),
                               "{resourceGroup().location}"),
        "properties": {"provisioningState": "Succeeded"},
    }, "the resource group")


@fn("subscription", 0, 0)
def _subscription(ctx: Context) -> Any:
    target = ctx.target
    if target.subscription is None:
        raise ArmError(f"subscription() is not available in a {target.level} deployment")
    return wrap({
        "id": f"/subscriptions/{target.subscription}",
        "subscriptionId": target.subscription,
        "tenantId": Unresolved("the tenant ID is only known in Azure", "{tenantId}"),
        "displayName": Unresolved("the subscription's name is only known in Azure",
                                  "{subscription().displayName}"),
    }, "the subscription")


@fn("tenant", 0, 0)
def _tenant(ctx: Context) -> Any:
    return wrap({"tenantId": Unresolved("the tenant ID is only known in Azure", "{tenantId}")},
                "the tenant")


@fn("managementGroup", 0, 1)
def _management_group(ctx: Context, *args: Any) -> Any:
    target = ctx.target
    if args:
        return {"id": f"/providers/Microsoft.Management/managementGroups/{_str(args[0])}",
                "name": args[0], "type": "Microsoft.Management/managementGroups"}
    if target.level != "managementGroup":
        raise ArmError(f"managementGroup() is not available in a {target.level} deployment")
    return wrap({"id": target.prefix, "name": target.management_group,
                 "type": "Microsoft.Management/managementGroups"}, "the management group")


@fn("deployment", 0, 0)
def _deployment(ctx: Context) -> Any:
    return wrap({
        "name": ctx.deployment_name,
        "location": Unresolved(_UNKNOWN_LOCATION.format("deployment's"), "{deployment().location}"),
        "properties": {"mode": "Incremental", "provisioningState": "Accepted"},
    }, "the deployment")


_PUBLIC_CLOUD = {
    "name": "AzureCloud",
    "gallery": "https://gallery.azure.com/",
    "graph": "https://graph.windows.net/",
    "portal": "https://portal.azure.com",
    "graphAudience": "https://graph.windows.net/",
    "activeDirectoryDataLake": "https://datalake.azure.net/",
    "batch": "https://batch.core.windows.net/",
    "media": "https://rest.media.azure.net",
    "sqlManagement": "https://management.core.windows.net:8443/",
    "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/"
                       "arm-compute/quickstart-templates/aliases.json",
    "resourceManager": "https://management.azure.com/",
    "authentication": {
        "loginEndpoint": "https://login.microsoftonline.com/",
        "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
        "tenant": "common",
        "identityProvider": "AAD",
    },
    "suffixes": {
        "acrLoginServer": ".azurecr.io",
        "azureDatalakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
        "azureDatalakeStoreFileSystem": "azuredatalakestore.net",
        "azureFrontDoorEndpointSuffix": "azurefd.net",
        "keyvaultDns": ".vault.azure.net",
        "sqlServerHostname": ".database.windows.net",
        "storage": "core.windows.net",
    },
}


@fn("environment", 0, 0)
def _environment(ctx: Context) -> Any:
    """The public Azure cloud (``AzureCloud``); netwarden models no sovereign clouds."""
    return json.loads(json.dumps(_PUBLIC_CLOUD))


@fn("reference", 1, 3)
def _reference(ctx: Context, target: Any, *rest: Any) -> Any:
    full = len(rest) >= 2 and isinstance(rest[1], str) and rest[1].lower() == "full"
    return ctx.reference(_str(target, "the resource name or ID"), full)


@fn("resourceInfo", 1, 1)
def _resource_info(ctx: Context, name: Any) -> Any:
    return ctx.reference(_str(name), True)


for _runtime in ("utcNow", "newGuid"):
    def _nondeterministic(ctx: Context, *args: Any, _name: str = _runtime) -> Any:
        return Unresolved(f"{_name}() changes with every deployment", "{" + _name + "()}")
    fn(_runtime, 0, 1)(_nondeterministic)


@fn("pickZones", 3, 5)
def _pick_zones(ctx: Context, *args: Any) -> Any:
    return Unresolved("pickZones(): the availability zones of a region are only known in Azure",
                      "{pickZones()}")


@fn("dateTimeAdd", 2, 3)
def _date_time_add(ctx: Context, *args: Any) -> Any:
    return Unresolved("dateTimeAdd() is not evaluated offline", "{dateTimeAdd()}")


# -- resource IDs ----------------------------------------------------------------------------

def resource_path(resource_type: str, names: list[str]) -> str:
    """``Microsoft.Network/virtualNetworks/subnets`` + [v, s] ->
    ``providers/Microsoft.Network/virtualNetworks/v/subnets/s``."""
    segments = [s for s in resource_type.split("/") if s]
    if len(segments) < 2 or "." not in segments[0]:
        raise ArmError(f"'{resource_type}' is not a resource type (Namespace/type expected)")
    parts = [p for name in names for p in to_text(name).split("/")]
    if len(parts) != len(segments) - 1:
        raise ArmError(f"resource type '{resource_type}' needs {len(segments) - 1} name "
                       f"segment(s), got {len(parts)} ({'/'.join(parts)})")
    if any(not p for p in parts):
        raise ArmError(f"a resource name segment of '{resource_type}' is empty")
    return "providers/" + "/".join([segments[0], *(f"{t}/{n}" for t, n in zip(segments[1:], parts))])


def _is_type(value: Any) -> bool:
    return isinstance(value, str) and "/" in value and "." in value.split("/", 1)[0]


@fn("resourceId", 2, builder=ID)
def _resource_id(ctx: Context, *args: Any) -> str:
    at = next((i for i, a in enumerate(args) if _is_type(a)), None)
    if at is None or at > 2:
        raise ArmError("resourceId(): no resource type (Namespace/type) among the arguments")
    target = ctx.target
    scope = args[:at]
    names = list(args[at + 1:])
    subscription = target.subscription
    if len(scope) == 2:
        subscription, group = _str(scope[0]), _str(scope[1])
    elif len(scope) == 1:
        group = _str(scope[0])
    elif target.level == "resourceGroup":
        group = target.resource_group or ""
    else:
        prefix = target.prefix if target.level == "subscription" else ""
        return f"{prefix}/{resource_path(args[at], names)}"
    if subscription is None:
        raise ArmError("resourceId(): no subscription at this deployment scope")
    return f"/subscriptions/{subscription}/resourceGroups/{group}/{resource_path(args[at], names)}"


@fn("subscriptionResourceId", 2, builder=ID)
def _subscription_resource_id(ctx: Context, *args: Any) -> str:
    if _is_type(args[0]):
        subscription = ctx.target.subscription
        resource_type, names = args[0], list(args[1:])
    else:
        subscription, resource_type, names = _str(args[0]), args[1], list(args[2:])
    if subscription is None:
        raise ArmError("subscriptionResourceId(): no subscription at this deployment scope")
    return f"/subscriptions/{subscription}/{resource_path(_str(resource_type), names)}"


@fn("tenantResourceId", 2, builder=ID)
def _tenant_resource_id(ctx: Context, resource_type: Any, *names: Any) -> str:
    return f"/{resource_path(_str(resource_type), list(names))}"


@fn("managementGroupResourceId", 2, builder=ID)
def _management_group_resource_id(ctx: Context, *args: Any) -> str:
    if _is_type(args[0]):
        group = ctx.target.management_group
        resource_type, names = args[0], list(args[1:])
    else:
        group, resource_type, names = _str(args[0]), args[1], list(args[2:])
    if group is None:
        raise ArmError("managementGroupResourceId(): no management group at this scope")
    return (f"/providers/Microsoft.Management/managementGroups/{group}/"
            f"{resource_path(_str(resource_type), names)}")


@fn("extensionResourceId", 3, builder=ID)
def _extension_resource_id(ctx: Context, scope: Any, resource_type: Any, *names: Any) -> str:
    return f"{_str(scope).rstrip('/')}/{resource_path(_str(resource_type), list(names))}"


# -- logic and comparison --------------------------------------------------------------------

@fn("if", 3, 3, lazy=True)
def _if(ctx: Context, expr: Call) -> Any:
    condition = evaluate(expr.args[0], ctx)
    if isinstance(condition, Unresolved):
        return Unresolved(condition.reason, placeholder(expr.source))
    return evaluate(expr.args[1] if _bool(condition, "if()'s condition") else expr.args[2], ctx)


def _junction(ctx: Context, expr: Call, stop: bool) -> Any:
    """and/or: evaluated left to right; a deciding value decides even beside unresolved ones."""
    pending: Unresolved | None = None
    for arg in expr.args:
        value = evaluate(arg, ctx)
        if isinstance(value, Unresolved):
            pending = pending or value
            continue
        if _bool(value, f"an argument of {expr.name}()") is stop:
            return stop
    if pending is not None:
        return Unresolved(pending.reason, placeholder(expr.source))
    return not stop


@fn("and", 1, lazy=True)
def _and(ctx: Context, expr: Call) -> Any:
    return _junction(ctx, expr, False)


@fn("or", 1, lazy=True)
def _or(ctx: Context, expr: Call) -> Any:
    return _junction(ctx, expr, True)


@fn("not", 1, 1)
def _not(ctx: Context, value: Any) -> bool:
    return not _bool(value)


@fn("bool", 1, 1)
def _to_bool(ctx: Context, value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return value != 0
    return _bool(value)


@fn("true", 0, 0)
def _true(ctx: Context) -> bool:
    return True


@fn("false", 0, 0)
def _false(ctx: Context) -> bool:
    return False


@fn("null", 0, 0)
def _null(ctx: Context) -> None:
    return None


@fn("equals", 2, 2, deep=True)
def _equals(ctx: Context, a: Any, b: Any) -> bool:
    return same(a, b)


def _ordered(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not (
            isinstance(a, bool) or isinstance(b, bool)):
        return a, b
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    raise ArmError(f"cannot compare {kind_of(a)} with {kind_of(b)}")


@fn("less", 2, 2)
def _less(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x < y)


@fn("lessOrEquals", 2, 2)
def _less_or_equals(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x <= y)


@fn("greater", 2, 2)
def _greater(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x > y)


@fn("greaterOrEquals", 2, 2)
def _greater_or_equals(ctx: Context, a: Any, b: Any) -> bool:
    x, y = _ordered(a, b)
    return bool(x >= y)


@fn("coalesce", 1, lazy=True)
def _coalesce(ctx: Context, expr: Call) -> Any:
    for arg in expr.args:
        value = evaluate(arg, ctx)
        if isinstance(value, Unresolved):
            return Unresolved(value.reason, placeholder(expr.source))
        if value is not None:
            return value
    return None


# -- arrays and objects ----------------------------------------------------------------------

@fn("empty", 1, 1)
def _empty(ctx: Context, value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, (str, list, dict)):
        return len(value) == 0
    raise ArmError(f"empty() takes a string, array or object, not {kind_of(value)}")


@fn("length", 1, 1)
def _length(ctx: Context, value: Any) -> int:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise ArmError(f"length() takes a string, array or object, not {kind_of(value)}")


@fn("createArray", 0, tolerant=True)
def _create_array(ctx: Context, *items: Any) -> list[Any]:
    return list(items)


@fn("createObject", 0, tolerant=True)
def _create_object(ctx: Context, *items: Any) -> Any:
    if len(items) % 2:
        raise ArmError("createObject() takes key, value pairs")
    keys = items[0::2]
    bad = next((k for k in keys if isinstance(k, Unresolved)), None)
    if bad is not None:
        return Unresolved(bad.reason, "{createObject()}")
    return {_str(k, "an object key"): v for k, v in zip(keys, items[1::2])}


@fn("array", 1, 1, tolerant=True)
def _array(ctx: Context, value: Any) -> Any:
    if isinstance(value, Unresolved):
        return value
    return list(value) if isinstance(value, list) else [value]


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    merged = dict(a)
    lowered = {k.lower(): k for k in merged}
    for key, value in b.items():
        existing = lowered.get(key.lower())
        if existing is not None and isinstance(merged[existing], dict) and isinstance(value, dict):
            merged[existing] = _merge(merged[existing], value)
        else:
            if existing is not None:
                del merged[existing]
            merged[key] = value
            lowered[key.lower()] = key
    return merged


@fn("union", 1)
def _union(ctx: Context, *args: Any) -> Any:
    if all(isinstance(a, dict) or a is None for a in args):
        result: dict[str, Any] = {}
        for a in args:
            result = _merge(result, a or {})
        return result
    if all(isinstance(a, list) or a is None for a in args):
        items: list[Any] = []
        for a in args:
            for value in a or []:
                # an element holding an unresolved value cannot be compared: kept as is
                if first_unresolved(value) is not None or not any(
                        first_unresolved(seen) is None and same(value, seen) for seen in items):
                    items.append(value)
        return items
    raise ArmError("union() takes arrays or objects, not a mix")


@fn("intersection", 1, deep=True)
def _intersection(ctx: Context, *args: Any) -> Any:
    if all(isinstance(a, dict) for a in args):
        first = args[0]
        return {k: v for k, v in first.items()
                if all(any(kk.lower() == k.lower() and same(vv, v) for kk, vv in other.items())
                       for other in args[1:])}
    if all(isinstance(a, list) for a in args):
        items: list[Any] = []
        for value in args[0]:
            if all(any(same(value, o) for o in other) for other in args[1:]) and not any(
                    same(value, seen) for seen in items):
                items.append(value)
        return items
    raise ArmError("intersection() takes arrays or objects, not a mix")


@fn("first", 1, 1)
def _first(ctx: Context, value: Any) -> Any:
    if isinstance(value, (str, list)):
        return value[0] if value else (None if isinstance(value, list) else "")
    raise ArmError(f"first() takes a string or an array, not {kind_of(value)}")


@fn("last", 1, 1)
def _last(ctx: Context, value: Any) -> Any:
    if isinstance(value, (str, list)):
        return value[-1] if value else (None if isinstance(value, list) else "")
    raise ArmError(f"last() takes a string or an array, not {kind_of(value)}")


@fn("take", 2, 2)
def _take(ctx: Context, value: Any, count: Any) -> Any:
    if not isinstance(value, (str, list)):
        raise ArmError(f"take() takes a string or an array, not {kind_of(value)}")
    return value[:max(0, _int(count, "the count"))]


@fn("skip", 2, 2)
def _skip(ctx: Context, value: Any, count: Any) -> Any:
    if not isinstance(value, (str, list)):
        raise ArmError(f"skip() takes a string or an array, not {kind_of(value)}")
    return value[max(0, _int(count, "the count")):]


@fn("contains", 2, 2, deep=True)
def _contains(ctx: Context, container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return to_text(item) in container
    if isinstance(container, list):
        return any(same(item, value) for value in container)
    if isinstance(container, dict):
        return any(k.lower() == to_text(item).lower() for k in container)
    raise ArmError(f"contains() takes a string, array or object, not {kind_of(container)}")


@fn("range", 2, 2)
def _range(ctx: Context, start: Any, count: Any) -> list[int]:
    first, number = _int(start, "the start"), _int(count, "the count")
    if number < 0 or number > 10000:
        raise ArmError(f"range() count must be 0 to 10000, not {number}")
    return list(range(first, first + number))


@fn("min", 1, deep=True)
def _min(ctx: Context, *args: Any) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not values:
        raise ArmError("min() of nothing")
    return min(_int(v) for v in values)


@fn("max", 1, deep=True)
def _max(ctx: Context, *args: Any) -> Any:
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else list(args)
    if not values:
        raise ArmError("max() of nothing")
    return max(_int(v) for v in values)


@fn("items", 1, 1)
def _items(ctx: Context, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, dict):
        raise ArmError(f"items() takes an object, not {kind_of(value)}")
    return [{"key": k, "value": value[k]} for k in sorted(value, key=str.lower)]


@fn("objectKeys", 1, 1)
def _object_keys(ctx: Context, value: Any) -> list[str]:
    if not isinstance(value, dict):
        raise ArmError(f"objectKeys() takes an object, not {kind_of(value)}")
    return list(value)


@fn("flatten", 1, 1)
def _flatten(ctx: Context, value: Any) -> list[Any]:
    if not isinstance(value, list) or not all(isinstance(v, list) for v in value):
        raise ArmError("flatten() takes an array of arrays")
    return [item for inner in value for item in inner]


@fn("shallowMerge", 1, 1)
def _shallow_merge(ctx: Context, value: Any) -> dict[str, Any]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ArmError("shallowMerge() takes an array of objects")
    merged: dict[str, Any] = {}
    for item in value:
        merged.update(item)
    return merged


@fn("tryGet", 2)
def _try_get(ctx: Context, value: Any, *keys: Any) -> Any:
    for key in keys:
        if value is None:
            return None
        if isinstance(value, dict):
            found = [v for k, v in value.items() if k.lower() == to_text(key).lower()]
            value = found[0] if found else None
        elif isinstance(value, list):
            index = _int(key, "the index")
            value = value[index] if 0 <= index < len(value) else None
        else:
            raise ArmError(f"tryGet() cannot read inside {kind_of(value)}")
    return value


@fn("indexOf", 2, 2, deep=True)
def _index_of(ctx: Context, container: Any, item: Any) -> int:
    if isinstance(container, str):
        return container.lower().find(to_text(item).lower())
    if isinstance(container, list):
        return next((i for i, v in enumerate(container) if same(v, item)), -1)
    raise ArmError(f"indexOf() takes a string or an array, not {kind_of(container)}")


@fn("lastIndexOf", 2, 2, deep=True)
def _last_index_of(ctx: Context, container: Any, item: Any) -> int:
    if isinstance(container, str):
        return container.lower().rfind(to_text(item).lower())
    if isinstance(container, list):
        return next((i for i in range(len(container) - 1, -1, -1) if same(container[i], item)), -1)
    raise ArmError(f"lastIndexOf() takes a string or an array, not {kind_of(container)}")


# -- strings ---------------------------------------------------------------------------------

@fn("concat", 0, builder=STRING)
def _concat(ctx: Context, *args: Any) -> Any:
    if args and all(isinstance(a, list) or a is None for a in args) and any(
            isinstance(a, list) for a in args):
        return [item for a in args for item in (a or [])]
    if any(isinstance(a, (list, dict)) for a in args):
        raise ArmError("concat() takes strings or arrays, not a mix")
    return "".join(to_text(a) for a in args)


def _format_value(value: Any, spec: str) -> str:
    if spec and isinstance(value, (int, float)) and not isinstance(value, bool):
        code, digits = spec[0], spec[1:]
        width = int(digits) if digits.isdigit() else None
        if code in "Dd" and isinstance(value, int):
            return str(value).zfill(width or 0) if value >= 0 else "-" + str(-value).zfill(width or 0)
        if code in "Xx" and isinstance(value, int):
            text = format(value, "x" if code == "x" else "X")
            return text.zfill(width or 0)
        if code in "Nn":
            return f"{value:,.{2 if width is None else width}f}"
        if code in "Ff":
            return f"{value:.{2 if width is None else width}f}"
        if code in "Pp":
            return f"{value * 100:.{2 if width is None else width}f} %"
    return to_text(value)


@fn("format", 1, builder=STRING)
def _format(ctx: Context, pattern: Any, *args: Any) -> str:
    text = _str(pattern, "the format string")
    out: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char == "{":
            if text.startswith("{{", at):
                out.append("{")
                at += 2
                continue
            end = text.find("}", at)
            if end < 0:
                raise ArmError(f"format(): unclosed '{{' at position {at}")
            item, _, spec = text[at + 1:end].partition(":")
            index_text, _, align_text = item.partition(",")
            try:
                index = int(index_text.strip())
                align = int(align_text.strip()) if align_text.strip() else 0
            except ValueError:
                raise ArmError(f"format(): '{{{text[at + 1:end]}}}' is not a placeholder") from None
            if not 0 <= index < len(args):
                raise ArmError(f"format(): placeholder {{{index}}} but {len(args)} argument(s)")
            value = _format_value(args[index], spec.strip())
            out.append(value.rjust(align) if align >= 0 else value.ljust(-align))
            at = end + 1
        elif char == "}":
            if text.startswith("}}", at):
                out.append("}")
                at += 2
                continue
            raise ArmError(f"format(): unmatched '}}' at position {at}")
        else:
            out.append(char)
            at += 1
    return "".join(out)


@fn("string", 1, 1, deep=True)
def _string(ctx: Context, value: Any) -> str:
    return to_text(value)


@fn("toLower", 1, 1, builder=STRING)
def _to_lower(ctx: Context, value: Any) -> str:
    return _str(value).lower()


@fn("toUpper", 1, 1, builder=STRING)
def _to_upper(ctx: Context, value: Any) -> str:
    return _str(value).upper()


@fn("replace", 3, 3, builder=STRING)
def _replace(ctx: Context, value: Any, old: Any, new: Any) -> str:
    return _str(value).replace(_str(old), _str(new))


@fn("trim", 1, 1)
def _trim(ctx: Context, value: Any) -> str:
    return _str(value).strip()


@fn("split", 2, 2)
def _split(ctx: Context, value: Any, delimiter: Any) -> list[str]:
    text = _str(value)
    delimiters = delimiter if isinstance(delimiter, list) else [delimiter]
    parts = [text]
    for d in delimiters:
        parts = [piece for part in parts for piece in part.split(_str(d, "the delimiter"))]
    return parts


@fn("join", 2, 2)
def _join(ctx: Context, values: Any, delimiter: Any) -> str:
    if not isinstance(values, list):
        raise ArmError(f"join() takes an array, not {kind_of(values)}")
    return _str(delimiter, "the delimiter").join(to_text(v) for v in values)


@fn("substring", 2, 3)
def _substring(ctx: Context, value: Any, start: Any, *length: Any) -> str:
    text = _str(value)
    first = _int(start, "the start index")
    count = _int(length[0], "the length") if length else len(text) - first
    if first < 0 or count < 0 or first + count > len(text):
        raise ArmError(f"substring(): {first}+{count} is outside a string of {len(text)} characters")
    return text[first:first + count]


@fn("startsWith", 2, 2)
def _starts_with(ctx: Context, value: Any, prefix: Any) -> bool:
    return _str(value).lower().startswith(_str(prefix).lower())


@fn("endsWith", 2, 2)
def _ends_with(ctx: Context, value: Any, suffix: Any) -> bool:
    return _str(value).lower().endswith(_str(suffix).lower())


@fn("padLeft", 2, 3, builder=STRING)
def _pad_left(ctx: Context, value: Any, width: Any, *pad: Any) -> str:
    fill = _str(pad[0], "the padding character") if pad else " "
    if len(fill) != 1:
        raise ArmError("padLeft(): the padding must be one character")
    return to_text(value).rjust(_int(width, "the total length"), fill)


@fn("int", 1, 1)
def _to_int(ctx: Context, value: Any) -> int:
    if isinstance(value, float):
        return int(value)
    return _int(value)


@fn("float", 1, 1)
def _to_float(ctx: Context, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ArmError(f"float() cannot convert {kind_of(value)}") from None


@fn("json", 1, 1)
def _json(ctx: Context, value: Any) -> Any:
    try:
        return json.loads(_str(value))
    except json.JSONDecodeError as exc:
        raise ArmError(f"json(): not valid JSON ({exc.msg})") from None


@fn("uniqueString", 1)
def _unique_string(ctx: Context, *args: Any) -> str:
    return unique_string(*(_str(a, "each argument of uniqueString()") for a in args))


@fn("guid", 1)
def _guid(ctx: Context, *args: Any) -> str:
    return arm_guid(*(_str(a, "each argument of guid()") for a in args))


@fn("base64", 1, 1)
def _base64(ctx: Context, value: Any) -> str:
    return base64.b64encode(_str(value).encode("utf-8")).decode("ascii")


@fn("base64ToString", 1, 1)
def _base64_to_string(ctx: Context, value: Any) -> str:
    return base64.b64decode(_str(value)).decode("utf-8")


@fn("base64ToJson", 1, 1)
def _base64_to_json(ctx: Context, value: Any) -> Any:
    return json.loads(base64.b64decode(_str(value)).decode("utf-8"))


@fn("uri", 2, 2, builder=STRING)
def _uri(ctx: Context, base: Any, relative: Any) -> str:
    return urllib.parse.urljoin(_str(base), _str(relative))


@fn("uriComponent", 1, 1)
def _uri_component(ctx: Context, value: Any) -> str:
    return urllib.parse.quote(_str(value), safe="")


@fn("uriComponentToString", 1, 1)
def _uri_component_to_string(ctx: Context, value: Any) -> str:
    return urllib.parse.unquote(_str(value))


@fn("dataUri", 1, 1)
def _data_uri(ctx: Context, value: Any) -> str:
    return "data:text/plain;charset=utf8;base64," + str(_base64(ctx, value))


@fn("dataUriToString", 1, 1)
def _data_uri_to_string(ctx: Context, value: Any) -> str:
    text = _str(value)
    header, _, data = text.partition(",")
    return base64.b64decode(data).decode("utf-8") if header.endswith(";base64") else (
        urllib.parse.unquote(data))


# -- numbers ---------------------------------------------------------------------------------

@fn("add", 2, 2)
def _add(ctx: Context, a: Any, b: Any) -> int:
    return _int(a) + _int(b)


@fn("sub", 2, 2)
def _sub(ctx: Context, a: Any, b: Any) -> int:
    return _int(a) - _int(b)


@fn("mul", 2, 2)
def _mul(ctx: Context, a: Any, b: Any) -> int:
    return _int(a) * _int(b)


@fn("div", 2, 2)
def _div(ctx: Context, a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ArmError("div(): division by zero")
    return int(x / y)          # ARM truncates toward zero


@fn("mod", 2, 2)
def _mod(ctx: Context, a: Any, b: Any) -> int:
    x, y = _int(a), _int(b)
    if y == 0:
        raise ArmError("mod(): division by zero")
    return int(math.fmod(x, y))


# -- networking (Bicep's CIDR functions) -----------------------------------------------------

def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(_str(value, "the network"), strict=False)
    except ValueError:
        raise ArmError(f"'{value}' is not a CIDR network") from None


@fn("parseCidr", 1, 1)
def _parse_cidr(ctx: Context, value: Any) -> dict[str, Any]:
    net = _network(value)
    hosts = list(net.hosts()) if net.num_addresses <= 4 else None
    first = hosts[0] if hosts else (net.network_address + 1 if net.num_addresses > 2
                                    else net.network_address)
    last = hosts[-1] if hosts else (net.broadcast_address - 1 if net.num_addresses > 2
                                    else net.broadcast_address)
    result: dict[str, Any] = {"network": str(net.network_address), "cidr": net.prefixlen,
                              "firstUsable": str(first), "lastUsable": str(last)}
    if net.version == 4:
        result["netmask"] = str(net.netmask)
        result["broadcast"] = str(net.broadcast_address)
    return result


@fn("cidrSubnet", 3, 3)
def _cidr_subnet(ctx: Context, value: Any, bits: Any, index: Any) -> str:
    net = _network(value)
    size, number = _int(bits, "the new prefix length"), _int(index, "the subnet index")
    if size < net.prefixlen or size > net.max_prefixlen:
        raise ArmError(f"cidrSubnet(): /{size} does not fit in {net}")
    count = 1 << (size - net.prefixlen)
    if not 0 <= number < count:
        raise ArmError(f"cidrSubnet(): {net} has {count} /{size} subnets, not index {number}")
    start = int(net.network_address) + number * (1 << (net.max_prefixlen - size))
    return f"{ipaddress.ip_address(start)}/{size}"


@fn("cidrHost", 2, 2)
def _cidr_host(ctx: Context, value: Any, index: Any) -> str:
    net = _network(value)
    number = _int(index, "the host index")
    offset = number + (1 if net.version == 4 and net.prefixlen < 31 else 0)
    if not 0 <= offset < net.num_addresses:
        raise ArmError(f"cidrHost(): {net} has no host {number}")
    return str(net.network_address + offset)


# -- lambdas (filter, map, reduce, sort, toObject) -------------------------------------------

@dataclass(frozen=True, slots=True)
class Lambda:
    names: tuple[str, ...]
    body: Expr
    ctx: Any

    def __call__(self, *values: Any) -> Any:
        bound = self.ctx.with_lambda(dict(zip((n.lower() for n in self.names), values)))
        return evaluate(self.body, bound)


@fn("lambda", 2, lazy=True)
def _lambda(ctx: Context, expr: Call) -> Lambda:
    names = [evaluate(arg, ctx) for arg in expr.args[:-1]]
    return Lambda(tuple(_str(n, "a lambda variable name") for n in names), expr.args[-1], ctx)


@fn("lambdaVariables", 1, 1)
def _lambda_variables(ctx: Context, name: Any) -> Any:
    return ctx.lambda_value(_str(name))


def _callable(value: Any, what: str) -> Lambda:
    if not isinstance(value, Lambda):
        raise ArmError(f"{what} must be a lambda")
    return value


def _array_arg(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ArmError(f"{what} takes an array, not {kind_of(value)}")
    return value


def _decided(value: Any) -> Any:
    if isinstance(value, Unresolved):
        raise _Pending(value)
    return value


class _Pending(Exception):
    def __init__(self, value: Unresolved) -> None:
        self.value = value


def _lambda_call(function: Callable[..., Any]) -> Callable[..., Any]:
    def run(ctx: Context, *args: Any) -> Any:
        try:
            return function(ctx, *args)
        except _Pending as pending:
            return Unresolved(pending.value.reason, "{" + function.__name__.strip("_") + "()}")
    run.__name__ = function.__name__
    return run


@fn("filter", 2, 2)
@_lambda_call
def _filter(ctx: Context, values: Any, predicate: Any) -> list[Any]:
    test = _callable(predicate, "filter()'s predicate")
    return [v for i, v in enumerate(_array_arg(values, "filter()"))
            if _bool(_decided(test(v, i) if len(test.names) > 1 else test(v)))]


@fn("map", 2, 2)
@_lambda_call
def _map(ctx: Context, values: Any, mapper: Any) -> list[Any]:
    f = _callable(mapper, "map()'s mapper")
    return [f(v, i) if len(f.names) > 1 else f(v)
            for i, v in enumerate(_array_arg(values, "map()"))]


@fn("reduce", 3, 3)
@_lambda_call
def _reduce(ctx: Context, values: Any, initial: Any, reducer: Any) -> Any:
    f = _callable(reducer, "reduce()'s reducer")
    acc = initial
    for i, v in enumerate(_array_arg(values, "reduce()")):
        acc = _decided(f(acc, v, i) if len(f.names) > 2 else f(acc, v))
    return acc


@fn("sort", 2, 2)
@_lambda_call
def _sort(ctx: Context, values: Any, compare: Any) -> list[Any]:
    f = _callable(compare, "sort()'s comparison")
    items = list(_array_arg(values, "sort()"))
    # insertion sort: the comparison is a "less than" lambda, and arrays are small
    for i in range(1, len(items)):
        j = i
        while j > 0 and _bool(_decided(f(items[j], items[j - 1]))):
            items[j - 1], items[j] = items[j], items[j - 1]
            j -= 1
    return items


@fn("toObject", 2, 3)
@_lambda_call
def _to_object(ctx: Context, values: Any, key: Any, *value: Any) -> dict[str, Any]:
    key_of = _callable(key, "toObject()'s key")
    value_of = _callable(value[0], "toObject()'s value") if value else None
    return {_str(_decided(key_of(v)), "a key"): (value_of(v) if value_of else v)
            for v in _array_arg(values, "toObject()")}


@fn("mapValues", 2, 2)
@_lambda_call
def _map_values(ctx: Context, value: Any, mapper: Any) -> dict[str, Any]:
    f = _callable(mapper, "mapValues()'s mapper")
    if not isinstance(value, dict):
        raise ArmError(f"mapValues() takes an object, not {kind_of(value)}")
    return {k: f(v) for k, v in value.items()}


@fn("groupBy", 2, 2)
@_lambda_call
def _group_by(ctx: Context, values: Any, key: Any) -> dict[str, Any]:
    key_of = _callable(key, "groupBy()'s key")
    groups: dict[str, list[Any]] = {}
    for v in _array_arg(values, "groupBy()"):
        groups.setdefault(_str(_decided(key_of(v)), "a key"), []).append(v)
    return groups


def evaluate_text(text: str, ctx: Context) -> Any:
    """Evaluate the inside of a bracketed expression string (for callers holding text)."""
    return evaluate(parse(text), ctx)


__all__ = ["FUNCTIONS", "Context", "Lambda", "Target", "call", "evaluate_text", "plain",
           "resource_path"]
