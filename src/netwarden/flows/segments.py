"""What the flow analyses need from a segmentation intent — and nothing more.

The analyses see only :class:`FlowIntent` (``segment_of``, ``allowed``, ``required``), so
they are tested with a fake and do not change when ``netwarden.intent`` does;
:class:`ResolvedIntent` adapts ``netwarden.intent`` to it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from netwarden.engine import Engine
    from netwarden.intent.model import Intent

PROTOCOL_NAMES = {1: "icmp", 6: "tcp", 17: "udp", 50: "esp", 51: "ah", 58: "icmpv6"}


def protocol_name(number: int) -> str:
    """``tcp``, ``udp``, ``icmp`` ... or the IANA number as text."""
    return PROTOCOL_NAMES.get(number, str(number))


class FlowIntent(Protocol):
    def segment_of(self, ip: str) -> str | None:
        """The segment an address belongs to (``internet``, ``onprem`` built in), or None."""

    def required(self, from_segment: str, to_segment: str, protocol: str, port: int) -> bool:
        """Whether the intent lists this flow as one that must work."""

    def allowed(self, from_segment: str, to_segment: str, protocol: str, port: int) -> bool:
        """Whether the intent permits this flow (everything not listed is denied)."""


@dataclass
class StaticIntent:
    """A small intent given as CIDRs per segment and allowed flows; for tests and scripts.

    ``flows`` entries are ``(from, to, protocol, lo, hi)``; ``protocol`` ``any`` matches every
    protocol. Every listed flow is both allowed and required. Addresses in no segment that
    are public belong to ``internet``.
    """

    segments: dict[str, list[str]]
    flows: list[tuple[str, str, str, int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._nets = [(name, ipaddress.ip_network(cidr, strict=False))
                      for name, cidrs in self.segments.items() for cidr in cidrs]

    def segment_of(self, ip: str) -> str | None:
        address = ipaddress.ip_address(ip)
        best: tuple[int, str] | None = None
        for name, net in self._nets:
            if address.version == net.version and address in net and \
                    (best is None or net.prefixlen > best[0]):
                best = (net.prefixlen, name)
        if best is not None:
            return best[1]
        from netwarden.flows.mapping import public

        return "internet" if public(ip) else None

    def _listed(self, src: str, dst: str, protocol: str, port: int) -> bool:
        return any(f == src and t == dst and p in ("any", protocol) and lo <= port <= hi
                   for f, t, p, lo, hi in self.flows)

    def required(self, from_segment: str, to_segment: str, protocol: str, port: int) -> bool:
        return self._listed(from_segment, to_segment, protocol, port)

    def allowed(self, from_segment: str, to_segment: str, protocol: str, port: int) -> bool:
        return self._listed(from_segment, to_segment, protocol, port)


class ResolvedIntent:
    """:class:`FlowIntent` over ``netwarden.intent``: segments resolved against the estate
    (subnets, CIDRs, ASGs, tags; ``internet`` and ``onprem`` built in), the most specific
    range deciding an address; the intent's flows allowed and required."""

    def __init__(self, engine: Engine, intent: Intent) -> None:
        from netwarden.intent.resolve import resolve_segments

        self.intent = intent
        ranges: list[tuple[int, int, str]] = []
        for name, endpoint in resolve_segments(engine, intent).items():
            spans = [(h.address.first, h.address.last) for h in endpoint.holders
                     if h.address.version == 4]
            spans += [(p.first, p.last) for p in endpoint.prefixes if p.version == 4]
            for subnet_id in endpoint.subnet_ids:
                subnet = engine.topology.subnet(subnet_id)
                spans += [(p.first, p.last) for p in (subnet.address_prefixes if subnet else ())
                          if p.version == 4]
            if endpoint.kind == "internet" and not endpoint.prefixes:
                spans += engine.addresses.internet(None)
            ranges += [(lo, hi, name) for lo, hi in spans]
        self._ranges = sorted(ranges, key=lambda r: r[1] - r[0])   # most specific first

    def segment_of(self, ip: str) -> str | None:
        try:
            value = int(ipaddress.IPv4Address(ip))
        except ValueError:
            return None
        return next((name for lo, hi, name in self._ranges if lo <= value <= hi), None)

    def allowed(self, from_segment: str, to_segment: str, protocol: str, port: int) -> bool:
        number = next((n for n, name in PROTOCOL_NAMES.items() if name == protocol), None)
        if number is None and protocol.isdigit():
            number = int(protocol)
        return any(flow.source == from_segment and flow.destination == to_segment and any(
            (spec.protocol is None or spec.protocol == number) and
            (spec.ports is None or port in spec.ports) for spec in flow.ports)
            for flow in self.intent.flows)

    def required(self, from_segment: str, to_segment: str, protocol: str, port: int) -> bool:
        return self.allowed(from_segment, to_segment, protocol, port)


def load_flow_intent(path: Path, engine: Engine) -> ResolvedIntent:
    """The intent file, resolved for flow analysis. Raises IngestError (exit 2)."""
    from netwarden.intent.parse import load_intent

    return ResolvedIntent(engine, load_intent(path))
