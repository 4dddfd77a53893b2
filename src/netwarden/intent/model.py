"""A segmentation intent: named segments and the flows allowed between them; everything
else between segments must be denied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from netwarden.model.values import Location, PortRange, Prefix

BUILTIN = ("internet", "onprem")


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    subnets: tuple[str, ...] = ()          # names or IDs
    vnets: tuple[str, ...] = ()
    cidrs: tuple[Prefix, ...] = ()
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    asgs: tuple[str, ...] = ()
    k8s: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    location: Location | None = None

    @property
    def builtin(self) -> bool:
        return self.name in BUILTIN


@dataclass(frozen=True, slots=True)
class PortSpec:
    """``tcp/443``, ``udp/500-4500``, ``icmp`` or ``any`` (protocol None = any)."""

    protocol: int | None
    ports: PortRange | None = None

    @classmethod
    def parse(cls, text: str) -> PortSpec:
        raw = str(text).strip().lower()
        if raw in ("any", "*"):
            return cls(None)
        names = {"tcp": 6, "udp": 17, "icmp": 1, "esp": 50, "ah": 51, "sctp": 132}
        proto, _, ports = raw.partition("/")
        if proto not in names:
            raise ValueError(f"{text!r}: expected tcp/N, udp/N-M, sctp/N, icmp, esp, ah or any")
        if not ports:
            return cls(names[proto])
        if proto not in ("tcp", "udp", "sctp"):
            raise ValueError(f"{text!r}: only tcp, udp and sctp take ports")
        return cls(names[proto], PortRange.parse(ports))

    def __str__(self) -> str:
        if self.protocol is None:
            return "any"
        name = {6: "tcp", 17: "udp", 1: "icmp", 50: "esp", 51: "ah", 132: "sctp"}.get(
            self.protocol, str(self.protocol))
        return f"{name}/{self.ports}" if self.ports and not self.ports.is_any else name


@dataclass(frozen=True, slots=True)
class Flow:
    source: str
    destination: str
    ports: tuple[PortSpec, ...]
    via: str | None = None
    location: Location | None = None

    def __str__(self) -> str:
        via = f" via {self.via}" if self.via else ""
        return f"{self.source} -> {self.destination} {', '.join(map(str, self.ports))}{via}"


@dataclass(frozen=True, slots=True)
class Intent:
    segments: Mapping[str, Segment]
    flows: tuple[Flow, ...]
    source: str = "<intent>"
