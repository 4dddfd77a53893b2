"""Terraform resource instances -> Azure-shaped raw resources.

Each azurerm resource becomes the object Azure would return for it (same property names
as the ARM/REST shape), so the one builder gives it its meaning. Association resources
(``azurerm_subnet_network_security_group_association`` ...) and separately declared parts
(``azurerm_lb_rule``, classic firewall rule collections ...) are merged into the object of
their target. IDs a plan does not know yet are synthesised the way Azure forms them:
``/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/<rg>/providers/<type>/<name>``,
children under their parent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netwarden.ingest.azure import flatten
from netwarden.ingest.interface import IngestError, LoadOptions, RawResource
from netwarden.ingest.terraform import compute, edge, firewall, network, paas
from netwarden.ingest.terraform.plan import Instance, Plan
from netwarden.ingest.terraform.refs import Resolver
from netwarden.ingest.terraform.shape import Kind, LocatedNode, Origins, View
from netwarden.model import ids
from netwarden.model.estate import Diagnostic
from netwarden.model.values import Location

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
RESOURCE_GROUPS = "Microsoft.Resources/resourceGroups"

KINDS: dict[str, Kind] = {
    "azurerm_resource_group": Kind(RESOURCE_GROUPS),
    **network.KINDS, **compute.KINDS, **firewall.KINDS, **edge.KINDS, **paas.KINDS,
}


@dataclass
class _Merge:
    instance: Instance
    target: str
    apply: Callable[[dict[str, Any]], str | None]   # returns a problem, or None
    what: str
    phase: int


class Translation:
    """The state of translating one plan: IDs, origins, outputs and warnings."""

    def __init__(self, plan: Plan, options: LoadOptions) -> None:
        self.plan = plan
        self.options = options
        self.origins = Origins()
        self.resolver = Resolver(plan, self.id_of, self.arm_type, self.stand_in)
        self._ids: dict[str, str | None] = {}
        self._pending: set[str] = set()
        self._emitted: list[tuple[Instance, dict[str, Any]]] = []
        self._merges: list[_Merge] = []
        self._warned: set[tuple[str, str, str]] = set()
        self._stand_ins: dict[str, str] | None = None
        self._standalone: dict[str, str] | None = None
        self._named: dict[tuple[str, str, str], Instance] | None = None
        self._subscriptions: dict[str, str] | None = None
        self._by_arm: dict[str, list[Instance]] = defaultdict(list)
        for instance in plan.instances:
            kind = self.kind(instance)
            if kind is not None and instance.mode == "managed":
                self._by_arm[kind.arm.lower()].append(instance)

    # -- kinds and IDs -------------------------------------------------------------------------

    def kind(self, instance: Instance) -> Kind | None:
        return KINDS.get(instance.type) if instance.mode == "managed" else None

    def arm_type(self, instance: Instance) -> str | None:
        kind = self.kind(instance)
        return kind.arm if kind else None

    def id_of(self, instance: Instance) -> str | None:
        """The resource's ID: planned, or synthesised (None when its name, resource group or
        parent stays unresolved)."""
        known = instance.at(("id",)).value
        if isinstance(known, str) and known.strip() and not instance.unknown_at(("id",)):
            return known
        if instance.address in self._ids:
            return self._ids[instance.address]
        kind = self.kind(instance)
        if kind is None or instance.address in self._pending:
            return None
        self._pending.add(instance.address)
        try:
            found = self._synthesise(View(instance, (), self), kind)
        finally:
            self._pending.discard(instance.address)
        self._ids[instance.address] = found
        return found

    def _synthesise(self, view: View, kind: Kind) -> str | None:
        name = view.at("name").value
        if kind.parent is None:
            group = view.at("resource_group_name").value
            if not name or not group:
                return None
            subscription = self.subscription(view.instance)
            if kind.arm == RESOURCE_GROUPS:
                return f"/subscriptions/{subscription}/resourceGroups/{name}"
            return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{kind.arm}/{name}"
        parent_type, segment = kind.arm.rsplit("/", 1)
        if kind.parent.endswith("_id"):
            parent = view.at(kind.parent).value
        else:
            parent = self.find(parent_type, view.at("resource_group_name").value,
                               view.at(kind.parent).value, view.instance)
        return f"{parent}/{segment}/{name}" if parent and name else None

    def subscription(self, instance: Instance) -> str:
        """The subscription of a resource the plan creates: the one of every known ID under
        the same provider configuration (a provider works in one subscription), else the
        placeholder. So a resource added to an existing estate gets the ID it will have."""
        if self._subscriptions is None:
            found: dict[str, set[str]] = defaultdict(set)
            for other in self.plan.instances:
                known = other.at(("id",)).value
                if other.mode == "managed" and other.type.startswith("azurerm_") and \
                        isinstance(known, str) and not other.unknown_at(("id",)):
                    parts = ids.segments(known)
                    if len(parts) > 1 and parts[0].lower() == "subscriptions":
                        found[_provider(other)].add(parts[1])
            self._subscriptions = {key: min(subs) for key, subs in found.items()
                                   if len({s.lower() for s in subs}) == 1}
        return self._subscriptions.get(_provider(instance), SUBSCRIPTION)

    def find(self, arm_type: str, group: Any, name: Any, instance: Instance | None = None) -> str | None:
        """The ID of the resource of ``arm_type`` named ``name`` in resource group ``group``:
        that of the plan's instance when there is one, else synthesised (in the subscription
        of ``instance``, the resource that names it)."""
        if not isinstance(group, str) or not isinstance(name, str) or not group or not name:
            return None
        if self._named is None:
            self._named = {}
            for type_key, candidates in self._by_arm.items():
                for candidate in candidates:
                    view = View(candidate, (), self)
                    found_name = view.at("name", quiet=True).value
                    found_group = view.at("resource_group_name", quiet=True).value
                    if isinstance(found_name, str) and isinstance(found_group, str):
                        self._named.setdefault(
                            (type_key, found_group.lower(), found_name.lower()), candidate)
        named = self._named.get((arm_type.lower(), group.lower(), name.lower()))
        found = self.id_of(named) if named is not None else None
        subscription = self.subscription(instance) if instance is not None else SUBSCRIPTION
        return found or f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{arm_type}/{name}"

    def declared_elsewhere(self, child_id: str, owner: Instance) -> bool:
        """Whether a child (a subnet, rule or route) is declared as a resource of its own. A
        state lists such children inline in their parent too (the attribute is computed);
        the standalone resource is the one to keep."""
        if self._standalone is None:
            self._standalone = {}
            for instance in self.plan.instances:
                kind = self.kind(instance)
                if kind is not None and kind.parent is not None and kind.translate is not None:
                    found = self.id_of(instance)
                    if found:
                        self._standalone[ids.key(found)] = instance.address
        declared = self._standalone.get(ids.key(child_id))
        return declared is not None and declared != owner.address

    def stand_in(self, instance: Instance, path: tuple[str | int, ...]) -> str | None:
        """The address that stands in for a public IP a plan creates (Azure assigns it at
        apply): one of the documentation ranges (RFC 5737), which no real estate uses, the
        same wherever the plan refers to it. Without an address the internet could not be
        followed to the IP configurations behind it."""
        if instance.type != "azurerm_public_ip" or path != ("ip_address",):
            return None
        if self._stand_ins is None:
            # TEST-NET-1 first: the engine's witness packets prefer addresses of the other two
            known = {str(i.at(path).value) for i in self.plan.instances if i.type == instance.type}
            known |= {"198.51.100.20", "203.0.113.10"}
            free = (f"{net}.{host}" for net in ("192.0.2", "198.51.100", "203.0.113")
                    for host in range(1, 255))
            self._stand_ins = {}
            for other in self.plan.instances:
                if other.type == instance.type and other.unknown_at(path):
                    address = next((a for a in free if a not in known), None)
                    if address is not None:
                        self._stand_ins[other.address] = address
        return self._stand_ins.get(instance.address)

    # -- outputs -------------------------------------------------------------------------------

    def emit(self, view: View, resource: dict[str, Any] | None) -> None:
        if resource is not None:
            self._emitted.append((view.instance, resource))

    def merge(self, view: View, target: Any, apply: Callable[[dict[str, Any]], str | None],
              what: str, phase: int = 0) -> None:
        """Change the object of ``target`` once everything is emitted (phase 0: parts of a
        resource such as load balancer pools; phase 1: associations, which may name parts)."""
        if target and not isinstance(target, str):
            raise IngestError(view.location, f"{what}: expected the ID of the resource it "
                              f"applies to, found {type(target).__name__} {target!r}"[:300])
        if target:
            self._merges.append(_Merge(view.instance, target, apply, what, phase))

    def warn(self, location: Location, code: str, message: str) -> None:
        key = (code, str(location), message)
        if key not in self._warned:
            self._warned.add(key)
            self.options.warnings.append(Diagnostic(code, message, location))

    def unresolved(self, location: Location, note: str = "", consequence: str = "left unresolved") -> None:
        """Report a value that stays unknown (``note``: why, or what follows from it)."""
        attribute = location.path.rsplit(".values.", 1)[-1] if ".values." in location.path \
            else location.path
        self.warn(location, "unresolved-value",
                  f"{attribute} is unknown until apply{f' ({note})' if note else ''}; {consequence}")

    # -- the run -------------------------------------------------------------------------------

    def run(self) -> list[RawResource]:
        unknown: list[RawResource] = []
        for instance in self.plan.instances:
            if instance.mode != "managed":
                continue
            kind = self.kind(instance)
            if kind is not None and kind.translate is not None:
                kind.translate(View(instance, (), self))
            else:   # another provider's resource, or an azurerm type not read: counted
                unknown.append(RawResource(instance.address, instance.type, instance.name,
                                           instance.node))
        for phase in (0, 1):
            index = self._index()
            for merge in (m for m in self._merges if m.phase == phase):
                target = index.get(ids.key(merge.target))
                where = merge.instance.node.location
                if target is None:
                    self.warn(where, "dangling-reference",
                              f"{merge.what}: {merge.target} is not in the plan; left out")
                    continue
                problem = merge.apply(target)
                if problem:
                    self.warn(where, "dangling-reference", f"{merge.what}: {problem}; left out")
        raws: list[RawResource] = []
        for instance, resource in self._emitted:
            where = instance.node.location
            raws.extend(flatten(LocatedNode(resource, where, self.origins)))
        return raws + unknown

    def _index(self) -> dict[str, dict[str, Any]]:
        """Every emitted object and every part of one that has an ID, by ID."""
        index: dict[str, dict[str, Any]] = {}
        for _, resource in self._emitted:
            index.setdefault(ids.key(resource["id"]), resource)
            properties = resource.get("properties") or {}
            for value in properties.values():
                for part in value if isinstance(value, list) else ():
                    if isinstance(part, dict) and isinstance(part.get("id"), str):
                        index.setdefault(ids.key(part["id"]), part)
        return index


def _provider(instance: Instance) -> str:
    return str((instance.config or {}).get("provider_config_key") or "")


def translate(plan: Plan, options: LoadOptions) -> list[RawResource]:
    return Translation(plan, options).run()


__all__ = ["KINDS", "SUBSCRIPTION", "Translation", "translate"]
