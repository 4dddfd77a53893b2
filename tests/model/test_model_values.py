"""Value types: prefixes, port ranges, protocols, next hops, locations."""

from __future__ import annotations

import pytest

from netwarden.model import ANY_PORT, NextHop, PortRange, Prefix, Protocol
from netwarden.model.values import Location


def v4(text: str) -> int:
    a, b, c, d = (int(part) for part in text.split("."))
    return a << 24 | b << 16 | c << 8 | d


PREFIXES = {
    "CIDR": ("10.0.0.0/8", v4("10.0.0.0"), v4("10.255.255.255"), 4, 8),
    "single address": ("10.0.0.4", v4("10.0.0.4"), v4("10.0.0.4"), 4, 32),
    "host bits set (Azure takes the network)": ("10.0.0.5/24", v4("10.0.0.0"),
                                                v4("10.0.0.255"), 4, 24),
    "address range": ("10.0.0.1-10.0.0.9", v4("10.0.0.1"), v4("10.0.0.9"), 4, None),
    "range that is a CIDR block": ("10.0.0.0-10.0.0.255", v4("10.0.0.0"), v4("10.0.0.255"), 4, 24),
    "range of one address": ("10.0.0.7-10.0.0.7", v4("10.0.0.7"), v4("10.0.0.7"), 4, 32),
    "everything": ("0.0.0.0/0", 0, 0xFFFFFFFF, 4, 0),
    "surrounding blanks": (" 192.168.1.0/24 ", v4("192.168.1.0"), v4("192.168.1.255"), 4, 24),
    "IPv6 CIDR": ("2001:db8::/32", 0x20010DB8 << 96, (0x20010DB8 << 96) | ((1 << 96) - 1), 6, 32),
    "IPv6 everything": ("::/0", 0, (1 << 128) - 1, 6, 0),
}


@pytest.mark.parametrize("text, first, last, version, length", PREFIXES.values(),
                         ids=PREFIXES.keys())
def test_prefix_parse(text: str, first: int, last: int, version: int, length: int | None) -> None:
    prefix = Prefix.parse(text)
    assert (prefix.first, prefix.last, prefix.version, prefix.length) == (first, last, version,
                                                                          length)
    assert str(prefix) == text.strip()          # kept as written, for messages


BAD_PREFIXES = {
    "prefix length 33": "10.0.0.0/33",
    "octet 256": "10.0.0.256",
    "reversed range": "10.0.0.9-10.0.0.1",
    "range across versions": "10.0.0.1-::1",
    "empty": "",
    "a word": "VirtualNetwork",
    "two slashes": "10.0.0.0/8/8",
    "range with a CIDR end": "10.0.0.0-10.0.0.0/24/1",
}


@pytest.mark.parametrize("text", BAD_PREFIXES.values(), ids=BAD_PREFIXES.keys())
def test_prefix_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        Prefix.parse(text)


def test_prefix_relations() -> None:
    net, sub, other = Prefix.parse("10.0.0.0/16"), Prefix.parse("10.0.1.0/24"), Prefix.parse(
        "10.1.0.0/16")
    assert net.covers(sub) and not sub.covers(net)
    assert net.overlaps(sub) and sub.overlaps(net) and not net.overlaps(other)
    assert v4("10.0.1.9") in sub and v4("10.0.2.0") not in sub
    assert not Prefix.parse("::/0").covers(net)         # versions never mix


PORTS = {
    "any": ("*", ANY_PORT),
    "Any spelled out": ("Any", ANY_PORT),
    "one port": ("22", PortRange(22, 22)),
    "one port as a number": (22, PortRange(22, 22)),
    "range": ("1000-2000", PortRange(1000, 2000)),
    "range with blanks": (" 80 - 90 ", PortRange(80, 90)),
    "the whole range written out": ("0-65535", ANY_PORT),
    "port 0": ("0", PortRange(0, 0)),
    "highest port": ("65535", PortRange(65535, 65535)),
}


@pytest.mark.parametrize("text, expected", PORTS.values(), ids=PORTS.keys())
def test_port_range_parse(text: str | int, expected: PortRange) -> None:
    assert PortRange.parse(text) == expected


BAD_PORTS = {"reversed": "80-70", "above 65535": "65536", "negative": "-1", "a name": "ssh",
             "empty": "", "three parts": "1-2-3", "open-ended": "80-"}


@pytest.mark.parametrize("text", BAD_PORTS.values(), ids=BAD_PORTS.keys())
def test_port_range_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a valid port range"):
        PortRange.parse(text)


def test_port_range_text() -> None:
    assert [str(PortRange.parse(t)) for t in ("*", "0-65535", "22", "22-22", "80-90")] == [
        "*", "*", "22", "22", "80-90"]
    assert ANY_PORT.is_any and not PortRange(1, 65535).is_any
    assert 80 in PortRange(80, 90) and 91 not in PortRange(80, 90)


@pytest.mark.parametrize("text, expected", [
    ("*", Protocol.ANY), ("Tcp", Protocol.TCP), ("UDP", Protocol.UDP), ("icmp", Protocol.ICMP),
    ("Esp", Protocol.ESP), ("Ah", Protocol.AH), (" Any ", Protocol.ANY),
    ("IcmpV6", Protocol.ICMPV6),
])
def test_protocol_parse(text: str, expected: Protocol) -> None:
    assert Protocol.parse(text) is expected


def test_protocol_parse_rejects() -> None:
    with pytest.raises(ValueError, match=r"'Gre' is not a known protocol"):
        Protocol.parse("Gre")


def test_next_hop_parse() -> None:
    assert NextHop.parse("virtualappliance") is NextHop.APPLIANCE
    assert NextHop.parse("None") is NextHop.NONE
    with pytest.raises(ValueError, match="is not a next-hop type"):
        NextHop.parse("Teleport")


def test_location_text_and_child_paths() -> None:
    root = Location("nsg.json")
    rule = root.child(0).child("properties").child("securityRules").child(1)
    assert rule.path == "[0].properties.securityRules[1]"
    assert str(rule.child("priority")) == "nsg.json: [0].properties.securityRules[1].priority"
    assert root.child("properties").path == "properties"      # no leading dot at the root
    assert str(Location("x.json", line=3)) == "x.json:3"
    assert str(Location("main.tf", "values", address="azurerm_subnet.a")) == \
        "main.tf: azurerm_subnet.a: values"
