"""Counting what could not be parsed: by reason, with the file and position of examples.

Nothing is dropped silently. Every file, record, flow group and tuple that the reader
meets is *seen*; each ends up either *parsed* or *malformed* (with a reason), and the
books must balance per unit: ``parsed + malformed == seen``. :meth:`Accounting.check`
enforces that (a real check, not an ``assert`` that ``python -O`` would strip).

Units nest: a malformed file's records are never seen, a malformed record's groups are
never seen, a malformed group's tuples are never seen.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


class Unit(enum.Enum):
    FILE = "file"
    RECORD = "record"
    GROUP = "group"        # a flow group: NSG properties.flows[].flows[], VNet flowGroups[]
    TUPLE = "tuple"


class Reason(enum.Enum):
    """Why something could not be parsed. The value is the reason's stable name."""

    # files
    UNREADABLE = "unreadable"                  # I/O error, corrupt gzip
    NOT_JSON = "not_json"                      # not UTF-8 JSON
    NO_RECORDS = "no_records"                  # JSON, but no top-level "records" array
    # records
    RECORD_NOT_OBJECT = "record_not_object"
    RECORD_WITHOUT_FLOWS = "record_without_flows"  # neither properties.flows nor flowRecords.flows
    UNKNOWN_VERSION = "unknown_version"        # NSG properties.Version other than 1 or 2
    # groups
    GROUP_WITHOUT_TUPLES = "group_without_tuples"  # not an object, or flowTuples not an array
    # tuples
    NOT_A_STRING = "not_a_string"
    BAD_FIELD_COUNT = "bad_field_count"
    BAD_TIME = "bad_time"
    BAD_IP = "bad_ip"
    BAD_PORT = "bad_port"
    BAD_PROTOCOL = "bad_protocol"
    UNKNOWN_DIRECTION = "unknown_direction"
    UNKNOWN_DECISION = "unknown_decision"
    UNKNOWN_STATE = "unknown_state"
    UNKNOWN_ENCRYPTION = "unknown_encryption"
    BAD_COUNTER = "bad_counter"

    @property
    def unit(self) -> Unit:
        return _UNITS[self]


_UNITS = {
    **{r: Unit.FILE for r in (Reason.UNREADABLE, Reason.NOT_JSON, Reason.NO_RECORDS)},
    **{r: Unit.RECORD for r in (Reason.RECORD_NOT_OBJECT, Reason.RECORD_WITHOUT_FLOWS,
                                Reason.UNKNOWN_VERSION)},
    Reason.GROUP_WITHOUT_TUPLES: Unit.GROUP,
}
for _reason in Reason:
    _UNITS.setdefault(_reason, Unit.TUPLE)

EXAMPLES_PER_REASON = 5


@dataclass(frozen=True, slots=True)
class Example:
    file: str
    position: str          # a JSON path: records[3].properties.flows[0].flows[0].flowTuples[7]
    detail: str
    text: str | None = None  # the offending tuple text (truncated), when there is one

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "position": self.position, "detail": self.detail}
        if self.text is not None:
            data["text"] = self.text
        return data


class AccountingError(RuntimeError):
    """The books do not balance: a bug in the reader, never an input problem."""


@dataclass
class Accounting:
    seen: Counter[Unit] = field(default_factory=Counter)
    parsed: Counter[Unit] = field(default_factory=Counter)
    malformed: Counter[Reason] = field(default_factory=Counter)
    examples: dict[Reason, list[Example]] = field(default_factory=dict)

    def see(self, unit: Unit, count: int = 1) -> None:
        self.seen[unit] += count

    def ok(self, unit: Unit, count: int = 1) -> None:
        self.parsed[unit] += count

    def bad(self, reason: Reason, file: str, position: str, detail: str,
            text: str | None = None, count: int = 1) -> None:
        self.malformed[reason] += count
        kept = self.examples.setdefault(reason, [])
        if len(kept) < EXAMPLES_PER_REASON:
            if text is not None and len(text) > 200:
                text = text[:200] + "..."
            kept.append(Example(file, position, detail, text))

    def malformed_in(self, unit: Unit) -> int:
        return sum(n for reason, n in self.malformed.items() if reason.unit is unit)

    def merge(self, other: Accounting) -> None:
        self.seen.update(other.seen)
        self.parsed.update(other.parsed)
        self.malformed.update(other.malformed)
        for reason, examples in other.examples.items():
            kept = self.examples.setdefault(reason, [])
            kept.extend(examples[: max(0, EXAMPLES_PER_REASON - len(kept))])

    def check(self) -> None:
        """Raise :class:`AccountingError` unless parsed + malformed == seen for every unit."""
        for unit in Unit:
            seen, parsed, bad = self.seen[unit], self.parsed[unit], self.malformed_in(unit)
            if parsed + bad != seen:
                raise AccountingError(f"{unit.value}s: parsed {parsed} + malformed {bad} "
                                      f"!= seen {seen}")

    # -- persistence (the store keeps one per input file) ------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "seen": {u.value: self.seen[u] for u in Unit},
            "parsed": {u.value: self.parsed[u] for u in Unit},
            "malformed": {r.value: n for r, n in sorted(self.malformed.items(),
                                                        key=lambda kv: kv[0].value) if n},
            "examples": {r.value: [e.to_json() for e in ex]
                         for r, ex in sorted(self.examples.items(), key=lambda kv: kv[0].value)},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Accounting:
        books = cls()
        for unit in Unit:
            books.seen[unit] = int(data["seen"].get(unit.value, 0))
            books.parsed[unit] = int(data["parsed"].get(unit.value, 0))
        for name, count in data["malformed"].items():
            books.malformed[Reason(name)] = int(count)
        for name, examples in data["examples"].items():
            books.examples[Reason(name)] = [
                Example(e["file"], e["position"], e["detail"], e.get("text")) for e in examples]
        return books

    def report(self) -> dict[str, Any]:
        """The ``malformed`` section of the analysis output."""
        return {
            "total": sum(self.malformed.values()),
            "by_unit": {u.value: self.malformed_in(u) for u in Unit},
            "by_reason": [
                {"reason": r.value, "unit": r.unit.value, "count": n,
                 "examples": [e.to_json() for e in self.examples.get(r, [])]}
                for r, n in sorted(self.malformed.items(), key=lambda kv: (-kv[1], kv[0].value))
                if n
            ],
        }
