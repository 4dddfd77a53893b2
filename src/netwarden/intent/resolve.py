"""Segments resolved against an estate: the endpoints (address holders and prefixes)
each one selects."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from netwarden.engine import Engine
from netwarden.engine.endpoints import Endpoint, EndpointError, of_resource, resolve
from netwarden.engine.intervals import subtract as _subtract
from netwarden.ingest.interface import IngestError
from netwarden.intent.model import Intent, Segment
from netwarden.model import ids
from netwarden.model.compute import NetworkInterface, VirtualMachine
from netwarden.model.network import Subnet, VirtualNetwork
from netwarden.model.security import ApplicationSecurityGroup
from netwarden.model.values import Location, Prefix


def _merge(name: str, parts: list[Endpoint]) -> Endpoint:
    kinds = {p.kind for p in parts}
    if len(kinds) == 1 and kinds <= {"internet", "onprem"}:
        # addresses outside the estate: a part of the internet or of on-premises
        kind = kinds.pop()
        return Endpoint(kind, name, prefixes=tuple(dict.fromkeys(x for p in parts for x in p.prefixes)))
    if "internet" in kinds or "onprem" in kinds:
        raise ValueError(f"segment {name!r} mixes addresses inside and outside the estate")
    holders = {h.id.lower(): h for p in parts for h in p.holders}
    prefixes = tuple(dict.fromkeys(x for p in parts for x in p.prefixes))
    subnets = tuple(dict.fromkeys(x for p in parts for x in p.subnet_ids))
    pips = tuple(dict.fromkeys(x for p in parts for x in p.public_ips))
    return Endpoint("holders", name, tuple(holders.values()), prefixes, subnets, None, pips)


def _named(engine: Engine, text: str, kind: type, segment: Segment) -> list[Endpoint]:
    estate = engine.estate
    found = [estate.get(text)] if text.startswith("/") else [
        r for r in estate.find(text) if isinstance(r, kind)]
    found = [r for r in found if isinstance(r, kind)]
    if not found:
        raise IngestError(segment.location or Location("<intent>"),
                          f"segment {segment.name!r}: no {kind.__name__} named {text!r} in the estate")
    return [of_resource(r, engine.topology) for r in found]


def segment_endpoint(engine: Engine, segment: Segment) -> Endpoint:
    if segment.builtin:
        return resolve(segment.name, engine.topology) if segment.name == "internet" or \
            engine.topology.onprem_prefixes else Endpoint("onprem", "onprem")
    if segment.k8s:
        if segment.subnets or segment.vnets or segment.cidrs or segment.asgs or segment.tags:
            raise IngestError(segment.location or Location("<intent>"),
                              f"segment {segment.name!r}: a k8s selector selects pods; put "
                              "Azure selectors in a segment of their own")
        from netwarden.k8s.endpoints import segment_pods

        try:
            return segment_pods(engine.estate, segment.name, segment.k8s)
        except EndpointError as exc:
            raise IngestError(segment.location or Location("<intent>"), str(exc)) from None
    parts: list[Endpoint] = []
    for text in segment.subnets:
        parts += _named(engine, text, Subnet, segment)
    for text in segment.vnets:
        parts += _named(engine, text, VirtualNetwork, segment)
    for prefix in segment.cidrs:
        try:
            parts.append(resolve(str(prefix), engine.topology))
        except EndpointError as exc:
            raise IngestError(segment.location or Location("<intent>"), str(exc)) from None
    for text in segment.asgs:
        for asg in _named_resources(engine, text, ApplicationSecurityGroup, segment):
            members = {ids.key(c.id) for c in engine.estate.asg_members(asg.id)}
            holders = tuple(h for h in engine.topology.holders if ids.key(h.id) in members)
            parts.append(Endpoint("holders", asg.name, holders))
    if segment.tags:
        for resource in engine.estate:
            if all(resource.tags.get(k) == v for k, v in segment.tags.items()) and isinstance(
                    resource, (VirtualMachine, NetworkInterface, Subnet, VirtualNetwork)):
                parts.append(of_resource(resource, engine.topology))
    return _merge(segment.name, parts)


def _named_resources(engine: Engine, text: str, kind: type, segment: Segment) -> list:  # type: ignore[type-arg]
    found = [engine.estate.get(text)] if text.startswith("/") else engine.estate.find(text)
    found = [r for r in found if isinstance(r, kind)]
    if not found:
        raise IngestError(segment.location or Location("<intent>"),
                          f"segment {segment.name!r}: no {kind.__name__} named {text!r} in the estate")
    return found


def resolve_segments(engine: Engine, intent: Intent) -> dict[str, Endpoint]:
    """Every segment's endpoint. The built-in ``internet`` and ``onprem`` exclude the
    addresses of segments the intent carves out of them (``dns: {cidrs: [192.168.10.0/24]}``),
    so that every address belongs to one segment."""
    resolved: dict[str, Endpoint] = {}
    for name, segment in intent.segments.items():
        try:
            resolved[name] = segment_endpoint(engine, segment)
        except ValueError as exc:
            raise IngestError(segment.location or Location(intent.source), str(exc)) from None
    for builtin in ("internet", "onprem"):
        carved = [p for n, e in resolved.items() if n != builtin and e.kind == builtin
                  for p in e.prefixes]
        if carved and builtin in resolved:
            whole = resolved[builtin]
            ranges = ([(p.first, p.last) for p in whole.prefixes] if whole.prefixes
                      else engine.addresses.internet(None))
            rest = _subtract(ranges, [(p.first, p.last) for p in carved])
            resolved[builtin] = replace(whole, prefixes=tuple(
                Prefix(f"{_ip(lo)}-{_ip(hi)}", lo, hi) for lo, hi in rest))
    return {name: replace(endpoint, label=name) for name, endpoint in resolved.items()}


def _ip(value: int) -> str:
    return str(ipaddress.IPv4Address(value))
