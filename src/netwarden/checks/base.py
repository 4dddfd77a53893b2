"""What a posture check is: metadata (the single source of its docs) and one function of
the estate and the engine that yields findings, each proved with evidence."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Hop, Outcome
from netwarden.engine.path import witness as pick_witness
from netwarden.model.base import Resource
from netwarden.model.values import Location

if TYPE_CHECKING:
    from netwarden.checks.context import ScanContext


class Severity(enum.IntEnum):
    """Ordered: a higher value is more severe."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"{text!r} is not a severity "
                             f"({', '.join(s.name.lower() for s in cls)})") from None

    def __str__(self) -> str:
        return self.name.lower()


class Area(enum.Enum):
    """The guidance areas of "Secure network connectivity"."""

    EDGE = "North-south (internet edge)"
    SEG = "East-west (segmentation)"
    PAAS = "PaaS access"
    HYB = "Hybrid connectivity"
    MON = "Monitoring"
    K8S = "Kubernetes"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Proof of a reachability finding: the packets concerned, one witness, one path."""

    packets: PacketSet | None = None
    path: tuple[Hop, ...] = ()
    facts: tuple[str, ...] = ()        # non-path evidence ("publicNetworkAccess: Enabled")

    @classmethod
    def of(cls, outcome: Outcome, packets: PacketSet | None = None, *facts: str) -> Evidence:
        chosen = outcome.branch.packets if packets is None else packets & outcome.branch.packets
        return cls(chosen, tuple(hop.narrowed(chosen) for hop in outcome.hops), facts)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.packets is not None:
            witness = pick_witness(self.packets)
            data["packets"] = [str(b) for b in self.packets.boxes(limit=10)]
            data["witness"] = str(witness) if witness else None
        if self.path:
            data["path"] = [hop.to_json() for hop in self.path]
        if self.facts:
            data["facts"] = list(self.facts)
        return data

    def summary(self) -> str:
        parts = []
        if self.packets is not None and (witness := pick_witness(self.packets)):
            parts.append(str(witness))
        if self.path:
            parts.append(" → ".join(f"{h.name}" + (f" [{h.rule}]" if h.rule else "")
                                    for h in self.path))
        parts.extend(self.facts)
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    name: str
    severity: Severity
    resource: Resource
    title: str
    message: str
    remediation: str
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def location(self) -> Location:
        return self.resource.source

    @property
    def fingerprint(self) -> str:
        """Stable identity for baselines: the check and the resource (case-insensitive)."""
        return f"{self.check}:{self.resource.id.lower()}"


class Check:
    """Subclasses set the metadata and implement :meth:`run`.

    The class docstring says *what the check does*; ``rationale`` says why it matters (the
    guidance it enforces); ``remediation`` says what to do instead. ``docs/checks/`` is
    generated from these, and a test fails when a check lacks any of them.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    area: ClassVar[Area]
    rationale: ClassVar[str]
    remediation: ClassVar[str]
    references: ClassVar[tuple[str, ...]] = ()

    def run(self, ctx: ScanContext) -> Iterator[Finding]:
        raise NotImplementedError

    def finding(self, resource: Resource, message: str, evidence: Evidence = Evidence(),
                severity: Severity | None = None) -> Finding:
        return Finding(self.id, self.name, severity if severity is not None else self.severity,
                       resource, self.title, message, self.remediation, evidence)
