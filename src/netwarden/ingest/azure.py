"""Azure resource JSON: ``az ... list -o json``, ``az graph query``, REST responses.

Accepted document shapes: a JSON array of resources, ``{"value": [...]}`` (REST list
responses), ``{"data": [...]}`` (Resource Graph), or a single resource object.
Child resources may be inline (subnets inside a VNet) or standalone
(``.../virtualNetworks/v/subnets/s``); both become raw resources of the child type,
and :mod:`netwarden.ingest.build` merges them.
"""

from __future__ import annotations

from typing import Any

from netwarden.ingest.interface import IngestError, LoadOptions, RawResource
from netwarden.ingest.node import Node
from netwarden.model import ids
from netwarden.model.values import Location

# Inline children: parent type -> [(property under "properties", child type segment)].
INLINE_CHILDREN: dict[str, tuple[tuple[str, str], ...]] = {
    "microsoft.network/virtualnetworks": (("subnets", "subnets"),
                                          ("virtualNetworkPeerings", "virtualNetworkPeerings")),
    "microsoft.network/networksecuritygroups": (("securityRules", "securityRules"),),
    "microsoft.network/routetables": (("routes", "routes"),),
    "microsoft.network/networkinterfaces": (("ipConfigurations", "ipConfigurations"),),
    "microsoft.network/loadbalancers": (("inboundNatRules", "inboundNatRules"),),
    "microsoft.sql/servers": (("firewallRules", "firewallRules"),
                              ("virtualNetworkRules", "virtualNetworkRules")),
}


class AzureJsonAdapter:
    name = "azure"

    def detect(self, document: Any) -> bool:
        if isinstance(document, list):
            return True
        if not isinstance(document, dict):
            return False
        if "$schema" in document or "planned_values" in document or "format_version" in document:
            return False
        return "id" in document or "value" in document or "data" in document or "properties" in document

    def resources(self, document: Any, location: Location,
                  options: LoadOptions | None = None) -> list[RawResource]:
        root = Node(document, Location(location.file))
        if isinstance(document, dict) and "id" not in document:
            for envelope in ("value", "data"):
                if isinstance(document.get(envelope), list):
                    root = root.get(envelope)
                    break
        elements = list(root.items()) if isinstance(root.value, list) else [root]
        found: list[RawResource] = []
        for element in elements:
            found.extend(flatten(element))
        return found


def flatten(node: Node, parent: RawResource | None = None) -> list[RawResource]:
    """A resource object and its inline children, as raw resources."""
    if not isinstance(node.value, dict):
        raise node.error("expected a resource object")
    resource_id = node.get("id").str()
    if not resource_id or not resource_id.strip():
        if parent is None:
            raise node.get("id").error("resource has no 'id'")
        name = node.get("name").required_str()
        resource_id = f"{parent.id}/{_child_segment(node, parent)}/{name}"
    if not resource_id.startswith("/"):
        raise node.get("id").error(f"{resource_id!r} is not an Azure resource ID")
    resource_type = node.get("type").str()
    derived = ids.type_from_id(resource_id)
    if not resource_type or "/" not in resource_type or (
            derived and derived.lower() != resource_type.lower() and parent is None):
        # The official peering example has no 'type'; a child's 'type' may be a short
        # name; where the written type contradicts the ID, the ID is authoritative.
        resource_type = derived
    if not resource_type:
        raise node.get("type").error(
            f"resource {resource_id!r} has no 'type', and none can be derived from its ID")
    name = node.get("name").str() or ids.name_from_id(resource_id)
    parent_id = parent.id if parent else ids.parent_id(resource_id)
    raw = RawResource(resource_id, resource_type, name, node, parent_id)
    found = [raw]
    for member, segment in INLINE_CHILDREN.get(resource_type.lower(), ()):
        for child in node.path("properties", member).items():   # null: none; not a list: error
            found.extend(flatten(_with_type(child, f"{resource_type}/{segment}"), raw))
    return found


def _child_segment(node: Node, parent: RawResource) -> str:
    child_type = node.get("type").str() or ""
    return child_type.rsplit("/", 1)[-1] or "children"


def _with_type(node: Node, child_type: str) -> Node:
    """Give an inline child its full type when it names none (or only a short one)."""
    if isinstance(node.value, dict):
        written = node.get("type").str()
        if not written or "/" not in written:
            return Node({**node.value, "type": child_type}, node.location)
    return node


ADAPTER = AzureJsonAdapter()

__all__ = ["ADAPTER", "AzureJsonAdapter", "IngestError", "flatten"]
