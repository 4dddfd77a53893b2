"""The ``addr`` table: what each address seen in the flows is — internet or private, which
NIC and subnet holds it (with an estate), which segment (with an intent).

Built once per analysis from the distinct addresses of the window (a few thousand rows,
not one per tuple), then joined by the queries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from netwarden.engine.addresses import is_public
from netwarden.flows.segments import FlowIntent

if TYPE_CHECKING:
    from netwarden.engine import Engine

PLATFORM = {"168.63.129.16", "169.254.169.254"}
COLUMNS = ("ip", "scope", "nic", "nic_id", "subnet", "subnet_id", "vnet", "net", "segment")


def public(ip: str) -> bool:
    """Whether an address is on the internet (no estate known): not private, shared,
    loopback, link-local, multicast or reserved. Documentation ranges count as public."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return is_public(int(address))
    return bool(address.is_global)


@dataclass(frozen=True, slots=True)
class Place:
    scope: str                    # internet, private, platform
    nic: str | None = None
    nic_id: str | None = None
    subnet: str | None = None
    subnet_id: str | None = None
    vnet: str | None = None
    net: str = ""                 # vnet/subnet, a /24 (/64) without an estate, or "internet"


class AddressMap:
    """Places addresses using an engine's topology (NIC holders, subnets, VNet spaces)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self._subnets: dict[int, dict[int, tuple[str, str, str | None]]] = {}
        self._spaces: list[tuple[int, int]] = []
        if engine is not None:
            topo = engine.topology
            for subnet in engine.estate.subnets:
                vnet = topo.estate.get(subnet.vnet_id)
                vnet_name = vnet.name if vnet is not None else subnet.vnet_id.rsplit("/", 1)[-1]
                for prefix in subnet.address_prefixes:
                    if prefix.version == 4 and prefix.length is not None:
                        self._subnets.setdefault(prefix.length, {})[prefix.first >> (32 - prefix.length)] = \
                            (subnet.id, subnet.name, vnet_name)
            self._spaces = [(p.first, p.last) for p in topo.all_vnet_space() if p.version == 4]
            self._spaces += [(p.first, p.last) for p in topo.onprem_prefixes]
        self._lengths = sorted(self._subnets, reverse=True)

    def place(self, ip: str) -> Place:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return Place("private", net=ip)
        if ip in PLATFORM:
            return Place("platform", net="platform")
        if address.version == 6:
            scope = "internet" if address.is_global else "private"
            net = "internet" if scope == "internet" else \
                str(ipaddress.ip_network(f"{address}/64", strict=False))
            return Place(scope, net=net)
        value = int(address)
        if self.engine is not None:
            holder = next((h for h in self.engine.topology.holders_at(value) if h.nic is not None), None)
            found = self._subnet(value)
            if holder is not None or found is not None:
                subnet_id, subnet, vnet = found if found else (holder.subnet_id, None, None)  # type: ignore[union-attr]
                return Place("private", holder.nic.name if holder else None,  # type: ignore[union-attr]
                             holder.nic.id if holder else None, subnet, subnet_id, vnet,  # type: ignore[union-attr]
                             f"{vnet}/{subnet}" if subnet else (subnet_id or ip))
            if any(lo <= value <= hi for lo, hi in self._spaces):
                return Place("private", net="vnet-unmapped")
        if is_public(value):
            return Place("internet", net="internet")
        return Place("private", net=str(ipaddress.ip_network(f"{ip}/24", strict=False)))

    def _subnet(self, value: int) -> tuple[str, str, str | None] | None:
        for length in self._lengths:
            found = self._subnets[length].get(value >> (32 - length))
            if found is not None:
                return found
        return None


def address_table(ips: Iterable[str], places: AddressMap, intent: FlowIntent | None) -> pa.Table:
    rows: dict[str, list[str | None]] = {name: [] for name in COLUMNS}
    for ip in ips:
        place = places.place(ip)
        segment = intent.segment_of(ip) if intent is not None else None
        for name, value in (("ip", ip), ("scope", place.scope), ("nic", place.nic),
                            ("nic_id", place.nic_id), ("subnet", place.subnet),
                            ("subnet_id", place.subnet_id), ("vnet", place.vnet),
                            ("net", place.net), ("segment", segment)):
            rows[name].append(value)
    return pa.table({name: pa.array(values, pa.string()) for name, values in rows.items()})
