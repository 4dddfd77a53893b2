"""Value types shared by the resource classes: addresses, ports, protocols, locations."""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where a resource or value came from: a file, a JSON path inside it, and for IaC
    inputs the resource address (``module.spoke.azurerm_network_security_rule.rdp``)."""

    file: str
    path: str = ""
    line: int | None = None
    address: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.address:
            where += f": {self.address}"
        if self.path:
            where += f": {self.path}"
        return where

    def child(self, step: str | int) -> Location:
        if isinstance(step, int):
            path = f"{self.path}[{step}]"
        else:
            path = f"{self.path}.{step}" if self.path else step
        return Location(self.file, path, self.line, self.address)


NOWHERE = Location("<memory>")


@dataclass(frozen=True, slots=True)
class Prefix:
    """A contiguous address range: a CIDR, a single address, or an ``a-b`` range."""

    text: str
    first: int
    last: int
    version: int = 4

    @classmethod
    def parse(cls, text: str) -> Prefix:
        """Parse ``10.0.0.0/8``, ``10.0.0.4``, or ``10.0.0.1-10.0.0.9``. Raises ValueError."""
        return _parse_prefix(text)

    @classmethod
    def _parse(cls, text: str) -> Prefix:
        raw = text.strip()
        fast = _IPV4.fullmatch(raw)
        if fast is not None:
            octets = [int(o) for o in fast.group(1, 2, 3, 4)]
            bits = int(fast.group(5)) if fast.group(5) is not None else 32
            if max(octets) <= 255 and bits <= 32 and all(
                    len(o) == 1 or o[0] != "0" for o in fast.group(1, 2, 3, 4)):
                value = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
                size = 1 << (32 - bits)
                first = value & ~(size - 1) & 0xFFFFFFFF
                return cls(raw, first, first + size - 1, 4)
        if "-" in raw and "/" not in raw:
            lo_text, _, hi_text = raw.partition("-")
            lo, hi = ipaddress.ip_address(lo_text.strip()), ipaddress.ip_address(hi_text.strip())
            if lo.version != hi.version or int(lo) > int(hi):
                raise ValueError(f"{text!r} is not a valid address range")
            return cls(raw, int(lo), int(hi), lo.version)
        # Azure accepts host bits set in a prefix (10.0.0.5/24) and treats it as the network.
        net = ipaddress.ip_network(raw, strict=False)
        return cls(raw, int(net.network_address), int(net.broadcast_address), net.version)

    @classmethod
    def of_network(cls, net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Prefix:
        return cls(str(net), int(net.network_address), int(net.broadcast_address), net.version)

    def __contains__(self, address: int) -> bool:
        return self.first <= address <= self.last

    def covers(self, other: Prefix) -> bool:
        return self.version == other.version and self.first <= other.first and other.last <= self.last

    def overlaps(self, other: Prefix) -> bool:
        return self.version == other.version and self.first <= other.last and other.first <= self.last

    @property
    def length(self) -> int | None:
        """The prefix length when this is a CIDR block, else None."""
        size = self.last - self.first + 1
        if size & (size - 1) or self.first % size:
            return None
        bits = 32 if self.version == 4 else 128
        return bits - (size.bit_length() - 1)

    def __str__(self) -> str:
        return self.text


_IPV4 = re.compile(r"(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:/(\d{1,2}))?")


@functools.lru_cache(maxsize=1 << 16)
def _parse_prefix(text: str) -> Prefix:
    """Prefixes repeat across an estate (rules, routes): parse each text once."""
    return Prefix._parse(text)


@dataclass(frozen=True, slots=True)
class ServiceTag:
    """A named address set resolved by the engine (VirtualNetwork, Internet, Storage.WestEurope ...)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class AnyAddress:
    def __str__(self) -> str:
        return "*"


ANY_ADDRESS = AnyAddress()
Address = Prefix | ServiceTag | AnyAddress


@dataclass(frozen=True, slots=True, order=True)
class PortRange:
    lo: int
    hi: int

    @classmethod
    def parse(cls, text: str | int) -> PortRange:
        """Parse ``*``, ``22`` or ``1000-2000`` (Azure: ports 0-65535). Raises ValueError."""
        raw = str(text).strip()
        if raw in ("*", "Any", "any"):
            return ANY_PORT
        lo_text, sep, hi_text = raw.partition("-")
        try:
            lo = int(lo_text.strip())
            hi = int(hi_text.strip()) if sep else lo
        except ValueError:
            raise ValueError(f"{raw!r} is not a valid port range") from None
        if not (0 <= lo <= hi <= 65535):
            raise ValueError(f"{raw!r} is not a valid port range")
        return cls(lo, hi)

    @property
    def is_any(self) -> bool:
        return self.lo == 0 and self.hi == 65535

    def __contains__(self, port: int) -> bool:
        return self.lo <= port <= self.hi

    def __str__(self) -> str:
        if self.is_any:
            return "*"
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"


ANY_PORT = PortRange(0, 65535)


class Protocol(enum.Enum):
    """NSG / firewall protocols. Values are IANA numbers; ANY is every protocol."""

    ANY = -1
    ICMP = 1
    TCP = 6
    UDP = 17
    ESP = 50
    AH = 51
    ICMPV6 = 58

    @classmethod
    def parse(cls, text: str) -> Protocol:
        names = {"*": cls.ANY, "any": cls.ANY, "tcp": cls.TCP, "udp": cls.UDP, "icmp": cls.ICMP,
                 "esp": cls.ESP, "ah": cls.AH, "icmpv6": cls.ICMPV6}
        found = names.get(str(text).strip().lower())
        if found is None:
            raise ValueError(f"{text!r} is not a known protocol (Tcp, Udp, Icmp, Esp, Ah or *)")
        return found

    def __str__(self) -> str:
        return "any" if self is Protocol.ANY else self.name.lower()


class Direction(enum.Enum):
    INBOUND = "Inbound"
    OUTBOUND = "Outbound"


class Access(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
