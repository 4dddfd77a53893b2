"""Streaming readers for NSG flow logs (versions 1 and 2) and VNet flow logs.

Files are read one at a time (plain or gzip, detected by magic bytes); a file is one JSON
document (``{"records": [...]}``), loaded whole — Azure writes one ``PT1H.json`` per
resource, MAC and hour — and never together with another. :func:`groups` walks a
document down to its flow groups and yields each group's context (file, record, rule,
MAC, NSG ...) with its list of tuple strings; :func:`parse_tuple` is the reference
parser of one tuple string (the bulk path in :mod:`netwarden.flows.vectorised` accepts
exactly what it accepts and hands everything else back to it for the reason).

Shapes (MicrosoftDocs azure-docs, nsg-flow-logs-overview.md / vnet-flow-logs-overview.md):

* NSG: ``records[].properties.flows[].flows[].flowTuples[]``; ``rule`` on the outer
  ``flows[]``, ``mac`` on the inner; ``properties.Version`` 1 (8 fields) or 2 (13).
* VNet: ``records[].flowRecords.flows[].flowGroups[].flowTuples[]``; ``macAddress`` on
  the record, ``aclID`` on ``flows[]``, ``rule`` on ``flowGroups[]``; 13 fields, IANA
  protocol numbers, state D for denied, an encryption code.
"""

from __future__ import annotations

import enum
import gzip
import itertools
import json
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv6Address
from pathlib import Path
from typing import Any

import msgspec

from netwarden.flows.accounting import Accounting, Reason, Unit


class TupleFormat(enum.Enum):
    NSG_V1 = "nsg1"
    NSG_V2 = "nsg2"
    VNET = "vnet"

    @property
    def fields(self) -> int:
        return 8 if self is TupleFormat.NSG_V1 else 13

    @property
    def log_kind(self) -> str:
        return "vnet" if self is TupleFormat.VNET else "nsg"


@dataclass(frozen=True, slots=True)
class Context:
    """Where a flow group sits and what its record says about it."""

    file: str
    record: int
    format: TupleFormat
    version: int | None
    resource_id: str | None      # the NSG (NSG logs) or the target VNet/subnet/NIC (VNet logs)
    flowlog_id: str | None       # VNet logs: the flow log resource
    acl_id: str | None           # VNet logs: flows[].aclID
    rule: str | None
    mac: str | None
    position: str                # JSON path of the flowTuples array


@dataclass(frozen=True, slots=True)
class PathInfo:
    """What Azure's storage layout says: ``resourceId=/SUBSCRIPTIONS/.../y=2024/m=01/d=02/
    h=03/m=00/macAddress=000D3AF8801A/PT1H.json`` (VNet logs: ``flowLogResourceID=``)."""

    resource_id: str | None = None
    mac: str | None = None
    hour: str | None = None      # "2024-01-02T03:00"


_ID_MARKERS = ("resourceid=", "flowlogresourceid=")


def path_info(path: Path) -> PathInfo:
    parts = path.parts
    resource_id = mac = hour = None
    start = next((i for i, p in enumerate(parts) if p.lower() in _ID_MARKERS), None)
    if start is not None:
        rest = parts[start + 1:]
        end = next((i for i, p in enumerate(rest) if p.startswith("y=")), len(rest))
        if end:
            resource_id = "/" + "/".join(rest[:end])
        stamps = [p.split("=", 1) for p in rest[end:] if "=" in p]
        values = [v for k, v in stamps if k in ("y", "m", "d", "h")]
        if len(values) >= 5:   # y, m (month), d, h, m (minute)
            y, mo, d, h, mi = values[:5]
            hour = f"{y}-{mo}-{d}T{h}:{mi}"
        mac = next((v for k, v in stamps if k.lower() == "macaddress"), None)
    return PathInfo(resource_id, mac, hour)


LOG_SUFFIXES = (".json", ".gz")


def discover(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files named, and below each directory named every ``*.json`` / ``*.gz`` (sorted).
    Raises FileNotFoundError for a path that does not exist."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and p.name.lower().endswith(LOG_SUFFIXES))
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(str(path))


# msgspec decodes strict JSON (RFC 8259) about twice as fast as ``json``, to the same values;
# what it refuses (NaN, lone surrogates, 1e400 ...) goes to ``json``, which decides and
# words the reason: the documents accepted, and their values, are exactly ``json``'s.
_decode = msgspec.json.Decoder().decode
_BOM = b"\xef\xbb\xbf"
_UNDECODED = object()


# -- tuples left in the JSON text ------------------------------------------------------------------

# The key of the object that stands in, in a lifted text, for a flowTuples array left in the
# original text (:func:`netwarden.flows.native.lift`). No document can have a key of its own
# spelled so: a text that spells a NUL anywhere is never lifted.
LIFTED = "\x00nw"


@dataclass(eq=False, slots=True)
class LiftedSource:
    """One file's JSON text and where its lifted flowTuples arrays lie in it: ``spans`` holds
    int64 pairs (start, length) of every tuple, array after array; array K has ``counts[K]``
    tuples from span ``firsts[K]``."""

    text: bytes
    spans: Any                   # a buffer of int64
    counts: list[int]
    firsts: list[int]

    def tuples(self, marker: Any) -> LiftedTuples | None:
        """The array a marker object stands for, or None if ``marker`` is not one."""
        if type(marker) is dict and len(marker) == 1 and LIFTED in marker:
            k = marker[LIFTED]
            return LiftedTuples(self, self.firsts[k], self.counts[k])
        return None


@dataclass(frozen=True, slots=True)
class LiftedTuples:
    """A flowTuples array of plain strings, left in its file's text: ``count`` tuples from span
    ``first`` of ``source``."""

    source: LiftedSource
    first: int
    count: int

    def __len__(self) -> int:
        return self.count

    def text(self, index: int) -> str:
        """Tuple ``index`` of the array, as the JSON decoder would have given it (the lifter
        takes only printable ASCII without escapes)."""
        at = memoryview(self.source.spans).cast("q")
        start, length = at[2 * (self.first + index)], at[2 * (self.first + index) + 1]
        return self.source.text[start:start + length].decode("ascii")


# (lifted text, spans, counts) of a text, or None: netwarden.flows.native.lift
Lifter = Callable[[bytes], "tuple[bytes, Any, list[int]] | None"]


def load(path: Path, books: Accounting) -> Any | None:
    """The JSON document of one file, or None (counted as a malformed file)."""
    return read(path, books)[0]


def read(path: Path, books: Accounting, lift: Lifter | None = None) -> tuple[Any | None, LiftedSource | None]:
    """The JSON document of one file, or None (counted as a malformed file); with ``lift``,
    its plain flowTuples arrays are left in the text (markers stand for them in the
    document; :func:`groups` hands them out as :class:`LiftedTuples`), and the source they
    are in. A document decodes the same either way."""
    name = str(path)
    books.see(Unit.FILE)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        books.bad(Reason.UNREADABLE, name, "", f"cannot read: {exc}")
        return None, None
    text = raw[3:] if raw[:3] == _BOM else raw
    source = None
    lifted = lift(text) if lift is not None else None
    document: Any = _UNDECODED
    if lifted is not None:
        try:
            document = _decode(lifted[0])
            counts = lifted[2]
            source = LiftedSource(text, lifted[1], counts, list(itertools.accumulate([0, *counts[:-1]])))
        except (msgspec.DecodeError, ValueError, RecursionError):
            document = _UNDECODED     # invalid: decoded again below, to say why as ever
    if document is _UNDECODED:
        try:
            document = _decode(text)
        except (msgspec.DecodeError, ValueError, RecursionError):
            document = _UNDECODED
    try:
        if document is _UNDECODED:
            document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        books.bad(Reason.NOT_JSON, name, "", f"not UTF-8 text (byte {exc.start})")
        return None, None
    except (ValueError, RecursionError) as exc:
        books.bad(Reason.NOT_JSON, name, "", f"not JSON: {exc}")
        return None, None
    if not isinstance(document, dict) or not isinstance(document.get("records"), list):
        books.bad(Reason.NO_RECORDS, name, "", "no top-level \"records\" array")
        return None, None
    books.ok(Unit.FILE)
    return document, source


def _get(obj: dict[str, Any], *names: str) -> Any:
    """A key looked up case-insensitively (the docs spell resourceId / resourceid / Version)."""
    for name in names:
        if name in obj:
            return obj[name]
    lowered = {k.lower(): v for k, v in obj.items() if isinstance(k, str)}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


Tuples = list[Any] | LiftedTuples


def groups(document: dict[str, Any], path: Path, books: Accounting,
           source: LiftedSource | None = None) -> Iterator[tuple[Context, Tuples]]:
    """Every flow group of a loaded document, with its context and its tuples (a list, or
    where :func:`read` lifted them, a :class:`LiftedTuples`). Counts records and groups
    (seen, parsed, malformed); tuples are the caller's to count."""
    name = str(path)
    info = path_info(path)
    records = document["records"]
    books.see(Unit.RECORD, len(records))
    for index, record in enumerate(records):
        where = f"records[{index}]"
        if not isinstance(record, dict):
            books.bad(Reason.RECORD_NOT_OBJECT, name, where, f"a {type(record).__name__}, not an object")
            continue
        if "flowRecords" in record:
            found = _vnet_groups(record, index, name, info, books, source)
        elif isinstance(record.get("properties"), dict):
            found = _nsg_groups(record, index, name, info, books, source)
        else:
            detail = ("a nested \"records\" array instead of a record" if "records" in record
                      else "neither properties.flows (NSG) nor flowRecords.flows (VNet)")
            books.bad(Reason.RECORD_WITHOUT_FLOWS, name, where, detail)
            continue
        if found is None:
            continue
        books.ok(Unit.RECORD)
        yield from found


def _flow_tuples(group: Any, source: LiftedSource | None) -> Tuples | None:
    """A group's flowTuples: its list, the lifted array its marker stands for, or None."""
    tuples = group.get("flowTuples") if isinstance(group, dict) else None
    if isinstance(tuples, list):
        return tuples
    return source.tuples(tuples) if source is not None else None


def _nsg_groups(record: dict[str, Any], index: int, name: str, info: PathInfo,
                books: Accounting, source: LiftedSource | None) -> list[tuple[Context, Tuples]] | None:
    where = f"records[{index}]"
    props = record["properties"]
    flows = props.get("flows")
    if not isinstance(flows, list):
        books.bad(Reason.RECORD_WITHOUT_FLOWS, name, where, "properties.flows is not an array")
        return None
    version = _get(props, "Version", "version")
    if version not in (1, 2) or isinstance(version, bool):
        books.bad(Reason.UNKNOWN_VERSION, name, where,
                  f"properties.Version is {version!r}, expected 1 or 2")
        return None
    fmt = TupleFormat.NSG_V1 if version == 1 else TupleFormat.NSG_V2
    resource = _text(_get(record, "resourceId", "resourceid")) or info.resource_id
    found = []
    for i, flow in enumerate(flows):
        outer = f"{where}.properties.flows[{i}]"
        inner = flow.get("flows") if isinstance(flow, dict) else None
        if not isinstance(inner, list):
            books.see(Unit.GROUP)
            books.bad(Reason.GROUP_WITHOUT_TUPLES, name, outer, "no flows array")
            continue
        rule = _text(flow.get("rule"))
        books.see(Unit.GROUP, len(inner))
        for j, group in enumerate(inner):
            position = f"{outer}.flows[{j}]"
            tuples = _flow_tuples(group, source)
            if tuples is None:
                books.bad(Reason.GROUP_WITHOUT_TUPLES, name, position, "flowTuples is not an array")
                continue
            books.ok(Unit.GROUP)
            mac = _text(group.get("mac")) or info.mac
            found.append((Context(name, index, fmt, int(version), resource, None, None, rule, mac,
                                  f"{position}.flowTuples"), tuples))
    return found


def _vnet_groups(record: dict[str, Any], index: int, name: str, info: PathInfo,
                 books: Accounting, source: LiftedSource | None) -> list[tuple[Context, Tuples]] | None:
    where = f"records[{index}]"
    holder = record["flowRecords"]
    flows = holder.get("flows") if isinstance(holder, dict) else None
    if not isinstance(flows, list):
        books.bad(Reason.RECORD_WITHOUT_FLOWS, name, where, "flowRecords.flows is not an array")
        return None
    version = record.get("flowLogVersion")
    version = version if isinstance(version, int) and not isinstance(version, bool) else None
    flowlog = _text(_get(record, "flowLogResourceID")) or info.resource_id
    target = _text(_get(record, "targetResourceID"))
    mac = _text(_get(record, "macAddress")) or info.mac
    found = []
    for i, flow in enumerate(flows):
        outer = f"{where}.flowRecords.flows[{i}]"
        inner = flow.get("flowGroups") if isinstance(flow, dict) else None
        if not isinstance(inner, list):
            books.see(Unit.GROUP)
            books.bad(Reason.GROUP_WITHOUT_TUPLES, name, outer, "no flowGroups array")
            continue
        acl = _text(flow.get("aclID"))
        books.see(Unit.GROUP, len(inner))
        for j, group in enumerate(inner):
            position = f"{outer}.flowGroups[{j}]"
            tuples = _flow_tuples(group, source)
            if tuples is None:
                books.bad(Reason.GROUP_WITHOUT_TUPLES, name, position, "flowTuples is not an array")
                continue
            books.ok(Unit.GROUP)
            found.append((Context(name, index, TupleFormat.VNET, version, target, flowlog, acl,
                                  _text(group.get("rule")), mac, f"{position}.flowTuples"), tuples))
    return found


_RULE_PREFIXES = ("userrule_", "defaultrule_")


def rule_name(logged: str) -> str:
    """The NSG rule a logged name means: ``UserRule_allow-rdp`` -> ``allow-rdp``,
    ``DefaultRule_DenyAllInBound`` -> ``DenyAllInBound``; other names as they are."""
    lowered = logged.lower()
    for prefix in _RULE_PREFIXES:
        if lowered.startswith(prefix):
            return logged[len(prefix):]
    return logged


# -- one tuple: the reference parser -------------------------------------------------------------

# Epoch values below 1e11 are seconds (NSG logs, the VNet doc's bandwidth example), above are
# milliseconds (the VNet sample). Normalised to milliseconds, a time must fall in 2000..2099.
SECONDS_BELOW = 10**11
TIME_MIN_MS, TIME_MAX_MS = 946_684_800_000, 4_102_444_800_000
MAX_COUNTER_DIGITS = 18

_IPV4 = re.compile(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
                   r"(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}")
_ENCRYPTION = re.compile(r"X|NX(?:_[A-Z]+)*")
NSG_PROTOCOLS = {"T": 6, "U": 17}
STATES = {TupleFormat.NSG_V1: frozenset(), TupleFormat.NSG_V2: frozenset("BCE"),
          TupleFormat.VNET: frozenset("BCED")}

# (ts_ms, src_ip, dst_ip, src_port, dst_port, protocol, direction, decision, state, encryption,
#  packets_sent, bytes_sent, packets_recv, bytes_recv)
Parsed = tuple[int, str, str, int, int, int, str, str, "str | None", "str | None",
               "int | None", "int | None", "int | None", "int | None"]


class Malformed(Exception):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def _digits(text: str, most: int) -> bool:
    return 0 < len(text) <= most and text.isascii() and text.isdigit()


def _ip(text: str) -> str:
    if _IPV4.fullmatch(text):
        return text
    if ":" in text:
        try:
            return str(IPv6Address(text))
        except ValueError:
            pass
    raise Malformed(Reason.BAD_IP, f"{text!r} is not an IP address")


def _port(text: str) -> int:
    if _digits(text, 5) and int(text) <= 65535:
        return int(text)
    raise Malformed(Reason.BAD_PORT, f"{text!r} is not a port")


def _counter(text: str) -> int | None:
    if text == "":
        return None
    if _digits(text, MAX_COUNTER_DIGITS):
        return int(text)
    raise Malformed(Reason.BAD_COUNTER, f"{text!r} is not a count")


def parse_tuple(text: Any, fmt: TupleFormat) -> Parsed:
    """One tuple string, parsed; raises :class:`Malformed` with the first problem found."""
    if not isinstance(text, str):
        raise Malformed(Reason.NOT_A_STRING, f"a {type(text).__name__}, not a string")
    f = text.split(",")
    if len(f) != fmt.fields:
        raise Malformed(Reason.BAD_FIELD_COUNT, f"{len(f)} fields, expected {fmt.fields}")
    if not _digits(f[0], 13):
        raise Malformed(Reason.BAD_TIME, f"{f[0]!r} is not an epoch time")
    ts = int(f[0])
    ts = ts * 1000 if ts < SECONDS_BELOW else ts
    if not TIME_MIN_MS <= ts < TIME_MAX_MS:
        raise Malformed(Reason.BAD_TIME, f"{f[0]!r} is outside 2000..2099")
    src, dst = _ip(f[1]), _ip(f[2])
    sport, dport = _port(f[3]), _port(f[4])
    if fmt is TupleFormat.VNET:
        if not (_digits(f[5], 3) and int(f[5]) <= 255):
            raise Malformed(Reason.BAD_PROTOCOL, f"{f[5]!r} is not an IANA protocol number")
        protocol = int(f[5])
    else:
        found = NSG_PROTOCOLS.get(f[5])
        if found is None:
            raise Malformed(Reason.BAD_PROTOCOL, f"{f[5]!r} is not T or U")
        protocol = found
    if f[6] not in ("I", "O"):
        raise Malformed(Reason.UNKNOWN_DIRECTION, f"{f[6]!r} is not I or O")
    encryption = None
    if fmt is TupleFormat.VNET:
        state = f[7]
        if state not in STATES[fmt]:
            raise Malformed(Reason.UNKNOWN_STATE, f"{state!r} is not B, C, E or D")
        decision = "D" if state == "D" else "A"
        encryption = f[8]
        if not _ENCRYPTION.fullmatch(encryption):
            raise Malformed(Reason.UNKNOWN_ENCRYPTION, f"{encryption!r} is not an encryption code")
    else:
        decision = f[7]
        if decision not in ("A", "D"):
            raise Malformed(Reason.UNKNOWN_DECISION, f"{decision!r} is not A or D")
        if fmt is TupleFormat.NSG_V1:
            return (ts, src, dst, sport, dport, protocol, f[6], decision, None, None,
                    None, None, None, None)
        state = f[8]
        if state not in STATES[fmt]:
            raise Malformed(Reason.UNKNOWN_STATE, f"{state!r} is not B, C or E")
    return (ts, src, dst, sport, dport, protocol, f[6], decision, state, encryption,
            _counter(f[9]), _counter(f[10]), _counter(f[11]), _counter(f[12]))
