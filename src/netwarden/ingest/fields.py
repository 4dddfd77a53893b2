"""Parsers for the values Azure network properties hold, each raising a located error."""

from __future__ import annotations

import re

from netwarden.ingest.node import Node
from netwarden.model.values import (
    ANY_ADDRESS,
    Access,
    Address,
    Direction,
    PortRange,
    Prefix,
    Protocol,
    ServiceTag,
)

_TAG = re.compile(r"^[A-Za-z][A-Za-z0-9._\-]*$")


def address(node: Node) -> Address:
    """``*``, a CIDR, an address, an ``a-b`` range, or a service tag name."""
    text = (node.str() or "").strip()
    if not text:
        raise node.error("is empty: expected an address prefix, '*' or a service tag")
    if text in ("*", "Any", "any"):
        return ANY_ADDRESS
    if text[0].isdigit() or ":" in text or "/" in text:
        try:
            return Prefix.parse(text)
        except ValueError:
            raise node.error(f"{text!r} is not a valid address prefix") from None
    if _TAG.match(text):
        return ServiceTag(text)
    raise node.error(f"{text!r} is not an address prefix or a service tag")


def prefix(node: Node) -> Prefix:
    """A CIDR, address or range (no tags)."""
    text = (node.str() or "").strip()
    try:
        return Prefix.parse(text)
    except ValueError:
        raise node.error(f"{text!r} is not a valid address prefix") from None


def prefixes(node: Node) -> tuple[Prefix, ...]:
    return tuple(prefix(item) for item in node.items() if item.value not in (None, ""))


def addresses(single: Node, plural: Node) -> tuple[Address, ...]:
    """The union of a singular property (``sourceAddressPrefix``) and its plural twin."""
    found: list[Address] = []
    if single.value not in (None, ""):
        found.append(address(single))
    if isinstance(plural.value, str):
        found.append(address(plural))
    else:
        found.extend(address(item) for item in plural.items() if item.value not in (None, ""))
    return tuple(dict.fromkeys(found))


def port_range(node: Node) -> PortRange:
    text = node.str()
    if text is None or not str(text).strip():
        raise node.error("is empty: expected a port, a port range or '*'")
    try:
        return PortRange.parse(text)
    except ValueError:
        raise node.error(f"{text!r} is not a valid port range") from None


def port_ranges(single: Node, plural: Node) -> tuple[PortRange, ...]:
    found: list[PortRange] = []
    if single.value not in (None, ""):
        found.append(port_range(single))
    if isinstance(plural.value, (str, int)):
        found.append(port_range(plural))
    else:
        found.extend(port_range(item) for item in plural.items() if item.value not in (None, ""))
    return tuple(dict.fromkeys(found))


def port(node: Node) -> int:
    value = node.int()
    if value is None:
        raise node.error("is required: expected a port")
    if not 0 <= value <= 65535:
        raise node.error(f"{node.value!r} is not a valid port")
    return value


def protocol(node: Node) -> Protocol:
    text = node.str()
    if text is None:
        raise node.error("is required: expected a protocol (Tcp, Udp, Icmp, Esp, Ah or *)")
    return node.parse(Protocol.parse)


def lb_protocol(node: Node) -> Protocol:
    """Load balancer rules say ``All`` for every protocol (HA ports)."""
    if (node.str() or "").lower() == "all":
        return Protocol.ANY
    return protocol(node)


def direction(node: Node) -> Direction:
    text = (node.str() or "").strip().lower()
    for member in Direction:
        if member.value.lower() == text:
            return member
    raise node.error(f"{node.value!r} is not a direction (Inbound or Outbound)")


def access(node: Node) -> Access:
    text = (node.str() or "").strip().lower()
    for member in Access:
        if member.value.lower() == text:
            return member
    raise node.error(f"{node.value!r} is not an access (Allow or Deny)")


def priority(node: Node, lo: int, hi: int) -> int:
    value = node.int()
    if value is None:
        raise node.error("is required: expected a priority")
    if not lo <= value <= hi:
        raise node.error(f"{value} is outside the valid priorities {lo}-{hi}")
    return value


def tags(node: Node) -> dict[str, str]:
    if not isinstance(node.value, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in node.value.items()}
