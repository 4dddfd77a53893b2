"""Azure resource IDs.

ARM resource IDs are case-insensitive. The model keeps every ID as written (for
display) and indexes by :func:`key`, the lower-cased form.
"""

from __future__ import annotations

import functools

ResourceId = str


@functools.lru_cache(maxsize=1 << 18)
def key(resource_id: str) -> str:
    """The case-insensitive index key of an ID (also strips a trailing slash). Cached: the
    engine and the checks ask for the keys of the same few thousand IDs millions of times."""
    return resource_id.strip().rstrip("/").lower()


def segments(resource_id: str) -> list[str]:
    return [part for part in resource_id.strip().strip("/").split("/") if part]


def type_from_id(resource_id: str) -> str | None:
    """Derive the resource type from an ARM ID, or None when the ID is not one.

    ``/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/virtualNetworkPeerings/p``
    is of type ``Microsoft.Network/virtualNetworks/virtualNetworkPeerings``.
    """
    parts = segments(resource_id)
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return None
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[at + 1 :]
    if len(rest) < 3 or len(rest) % 2 == 0:
        return None
    namespace, pairs = rest[0], rest[1:]
    return "/".join([namespace, *pairs[0::2]])


def name_from_id(resource_id: str) -> str:
    parts = segments(resource_id)
    return parts[-1] if parts else resource_id


def parent_id(resource_id: str) -> str | None:
    """The ID of the parent resource of a child resource, or None for a top-level one."""
    parts = segments(resource_id)
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return None
    at = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = len(parts) - at - 1          # namespace, then type/name pairs
    if rest < 5 or rest % 2 == 0:       # top-level, or not a resource ID
        return None
    return "/" + "/".join(parts[:-2])


def resource_group(resource_id: str) -> str | None:
    parts = segments(resource_id)
    for index, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[index + 1]
    return None
