"""Evidence: hops, branches of a walk, and outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from netwarden.engine.packets import TCP, Field, Packet, PacketSet

# A witness reads best as a plausible packet: TCP from a documentation address
# (203.0.113.10, TEST-NET-3) to another (198.51.100.20, TEST-NET-2), an ephemeral source
# port and HTTPS, where the set allows them; otherwise the lowest values.
_PREFERRED = Packet(src=0xCB00710A, dst=0xC6336414, protocol=TCP, src_port=49152, dst_port=443)


def witness(packets: PacketSet) -> Packet | None:
    """One packet of the set, chosen to read naturally."""
    return packets.witness(prefer=_PREFERRED)


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a path: what the packets met and what it did to them."""

    kind: str                 # nsg-out, nsg-in, route, peering, nva, firewall, public-ip, ...
    resource: str | None      # Azure ID of the resource that acts
    name: str                 # its name, for people
    action: str               # allow, deny, forward, translate, arrive, drop, conditional
    rule: str | None = None   # the deciding rule (NSG rule, route, firewall rule)
    detail: str = ""
    # (rule, the packets it decided here): lets a narrowed path name only its own rules
    decisions: tuple[tuple[str, PacketSet], ...] = field(default=(), compare=False, repr=False)

    def narrowed(self, packets: PacketSet) -> Hop:
        """This hop labelled with only the rules that decide ``packets`` (unchanged when the
        packets were translated after this hop and no longer meet its decisions)."""
        if not self.decisions:
            return self
        names = [name for name, decided in self.decisions if decided & packets]
        if not names or ", ".join(names) == self.rule:
            return self
        return replace(self, rule=", ".join(names))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "resource": self.resource, "name": self.name,
                                "rule": self.rule, "action": self.action}
        if self.detail:
            data["detail"] = self.detail
        return data

    def __str__(self) -> str:
        rule = f" rule {self.rule}" if self.rule else ""
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.kind} {self.name}{rule}: {self.action}{detail}"


@dataclass(frozen=True, slots=True)
class Branch:
    """Packets travelling together along one path.

    ``packets`` are the packets as they are now (after any NAT); ``origin`` the same
    packets as their source sent them. ``changed`` names the fields NAT has rewritten:
    a filter on the current packets restricts the origin through the unchanged fields.
    """

    packets: PacketSet
    origin: PacketSet
    hops: tuple[Hop, ...] = ()
    changed: frozenset[Field] = frozenset()
    visited: frozenset[str] = frozenset()

    @classmethod
    def start(cls, packets: PacketSet) -> Branch:
        return cls(packets, packets)

    def restrict(self, allowed: PacketSet) -> Branch:
        packets = self.packets & allowed
        if not self.changed:
            return replace(self, packets=packets, origin=packets)
        return replace(self, packets=packets,
                       origin=self.origin & packets.forget(*self.changed))

    def then(self, hop: Hop) -> Branch:
        return replace(self, hops=(*self.hops, hop))

    def translated(self, packets: PacketSet, fields: tuple[Field, ...], hop: Hop) -> Branch:
        """NAT: the packets become ``packets``; the origin keeps what the source sent."""
        return Branch(packets, self.origin, (*self.hops, hop), self.changed | set(fields),
                      self.visited)

    def visit(self, key: str) -> Branch:
        return replace(self, visited=self.visited | {key.lower()})


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a branch ended: ``arrived`` at targets, ``dropped``, or ``conditional`` (a
    layer-7 rule admits it only for the FQDNs it names)."""

    status: str
    branch: Branch
    targets: tuple[str, ...] = ()       # ipConfiguration / subnet / resource IDs, "internet", "onprem"
    notes: tuple[str, ...] = field(default=())

    @property
    def hops(self) -> tuple[Hop, ...]:
        return self.branch.hops
