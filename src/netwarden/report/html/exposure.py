"""What the internet reaches, per public IP and per endpoint: one symbolic walk from every
public source to every public entry point (the scan's own view of the internet edge)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from netwarden.engine import Engine
from netwarden.engine.packets import PacketSet
from netwarden.intent.matrix import summary
from netwarden.model import ids
from netwarden.model.compute import PublicIp
from netwarden.model.values import Prefix

# hops that inspect or terminate what the internet sends before it reaches a backend
_FRONTS = ("app-gateway", "firewall")


@dataclass
class Exposure:
    """``pips``: per public IP (key), the packets the internet sends that arrive somewhere,
    as sent; ``targets``: per arrival target (ipConfiguration / resource / subnet key), the
    ports that arrive and whether only through an application gateway or firewall."""

    pips: dict[str, str] = field(default_factory=dict)
    reaches: dict[str, list[str]] = field(default_factory=dict)
    targets: dict[str, str] = field(default_factory=dict)
    fronted: set[str] = field(default_factory=set)      # targets reached only through a front

    def is_exposed(self, key: str) -> bool:
        return key in self.targets


def internet_exposure(engine: Engine) -> Exposure:
    from netwarden.checks.context import ScanContext

    estate, space = engine.estate, engine.space
    owner_pips: dict[str, list[PublicIp]] = defaultdict(list)
    for entry in engine.topology.entries:
        owner_pips[ids.key(entry.owner_id)].append(entry.pip)
    sent: dict[str, PacketSet] = {}
    arrived: dict[str, PacketSet] = {}
    direct: set[str] = set()
    reaches: dict[str, dict[str, None]] = defaultdict(dict)
    for outcome in ScanContext(estate, engine).from_internet:
        if outcome.status != "arrived" or not outcome.hops:
            continue
        first = outcome.hops[0]
        origin = outcome.branch.origin
        candidates: list[tuple[str, Prefix | None]]
        if first.kind == "public-ip" and first.resource:
            candidates = [(ids.key(first.resource), None)]
        else:
            candidates = [(ids.key(p.id), p.address) for p in owner_pips.get(ids.key(first.resource or ""), [])]
        fronts = {ids.key(h.resource) for h in outcome.hops if h.kind in _FRONTS and h.resource}
        names = [_name(engine, t) for t in outcome.targets]
        for pip_key, address in candidates:
            part = origin if address is None else origin & space.dst_range(address.first, address.last)
            if not part:
                continue
            sent[pip_key] = sent[pip_key] | part if pip_key in sent else part
            for name in names:
                reaches[pip_key][name] = None
        for target in outcome.targets:
            key = ids.key(target)
            arrived[key] = arrived[key] | outcome.branch.packets if key in arrived else outcome.branch.packets
            if not fronts - {key}:           # no front on the way, or the front is the target
                direct.add(key)
    return Exposure(
        pips={k: summary(v) for k, v in sent.items()},
        reaches={k: list(v) for k, v in reaches.items()},
        targets={k: summary(v) for k, v in arrived.items()},
        fronted={k for k in arrived if k not in direct},
    )


def _name(engine: Engine, target: str) -> str:
    estate = engine.estate
    resource = estate.get(target)
    if resource is None:
        return target.rsplit("/", 1)[-1]
    nic_id = getattr(resource, "nic_id", None)
    if nic_id:
        from netwarden.model.compute import NetworkInterface

        nic = estate.get(nic_id, NetworkInterface)
        if nic is not None:
            vm = estate.vm_of(nic)
            return vm.name if vm else nic.name
    return resource.name
