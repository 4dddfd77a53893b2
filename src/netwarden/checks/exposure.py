"""Shared by the edge checks: which NICs the internet reaches on which ports, as findings
with their evidence."""

from __future__ import annotations

from collections.abc import Iterator

from netwarden.checks.context import ScanContext
from netwarden.engine.packets import PacketSet
from netwarden.engine.path import Outcome
from netwarden.model.base import Resource

_SERVICE_NAMES = {22: "SSH", 3389: "RDP", 5985: "WinRM", 5986: "WinRM", 1433: "SQL Server",
                  3306: "MySQL", 5432: "PostgreSQL", 6379: "Redis", 6380: "Redis",
                  27017: "MongoDB", 9200: "Elasticsearch", 9300: "Elasticsearch",
                  5984: "CouchDB", 9042: "Cassandra", 11211: "Memcached", 1521: "Oracle",
                  2375: "Docker API", 2376: "Docker API", 10250: "kubelet"}


def service_name(port: int) -> str:
    return _SERVICE_NAMES.get(port, f"port {port}")


def exposed(ctx: ScanContext, packets: PacketSet) -> Iterator[tuple[Resource, list[Outcome]]]:
    """(VM or NIC, every internet path into it) for each VM (or stand-alone NIC) that the
    internet reaches with ``packets`` — one entry per VM, whatever its NICs and entries."""
    estate = ctx.estate
    found: dict[str, tuple[Resource, list[Outcome]]] = {}
    for holder in ctx.engine.topology.holders:
        if holder.kind != "nic" or holder.nic is None:
            continue
        outcomes = ctx.exposure(holder.id, holder.address, packets)
        if outcomes:
            owner: Resource = estate.vm_of(holder.nic) or holder.nic
            found.setdefault(owner.id.lower(), (owner, []))[1].extend(outcomes)
    yield from found.values()


def ports_of(packets: PacketSet, candidates: tuple[int, ...]) -> list[int]:
    space = packets.space
    return [p for p in candidates if packets & space.dst_ports(p, p)]
