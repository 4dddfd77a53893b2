"""Helpers for the Kubernetes tests: manifests as Python objects, written as YAML, loaded
into an engine; one concrete packet traced between pods or addresses."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml

from netwarden.engine import Engine, Packet
from netwarden.ingest import load_estate
from netwarden.k8s.model import Workload

PROTOCOLS = {"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1}


def namespace(name: str, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def deployment(ns: str, name: str, labels: dict[str, str], ports: list[Any] = (),  # type: ignore[assignment]
               replicas: int = 1, kind: str = "Deployment") -> dict[str, Any]:
    """``ports``: numbers, or (number, protocol, name) tuples."""
    container: dict[str, Any] = {"name": "main", "image": "example"}
    if ports:
        container["ports"] = []
        for port in ports:
            number, protocol, pname = port if isinstance(port, tuple) else (port, "TCP", None)
            item: dict[str, Any] = {"containerPort": number, "protocol": protocol}
            if pname:
                item["name"] = pname
            container["ports"].append(item)
    template = {"metadata": {"labels": dict(labels)}, "spec": {"containers": [container]}}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
                "spec": template["spec"]}
    spec: dict[str, Any] = {"selector": {"matchLabels": dict(labels)}, "template": template}
    if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": ns},
            "spec": spec}


def policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def write(directory: Path, *objects: dict[str, Any] | str, name: str = "manifests.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    parts = [o if isinstance(o, str) else yaml.safe_dump(o, sort_keys=False) for o in objects]
    path.write_text("---\n".join(parts), encoding="utf-8")
    return path


def engine_of(*paths: Path | str, cluster: str | None = None) -> Engine:
    return Engine(load_estate(list(paths), cluster=cluster))


def workload(engine: Engine, qualified: str) -> Workload:
    ns, name = qualified.split("/")
    found = [w for w in engine.estate.of(Workload) if w.namespace == ns and w.name == name]
    assert len(found) == 1, f"{qualified}: {found}"
    return found[0]


def address(engine: Engine, end: str) -> int:
    """A pod's address (``ns/name``: its first pod) or an IP."""
    if "/" in end:
        return workload(engine, end).addresses[0].first
    return int(ipaddress.IPv4Address(end))


def can(engine: Engine, src: str, dst: str, protocol: str = "tcp", port: int = 80) -> bool:
    """Whether one packet from ``src`` to ``dst`` arrives (traced)."""
    packet = Packet(address(engine, src), address(engine, dst), PROTOCOLS[protocol],
                    49152 if protocol in ("tcp", "udp", "sctp") else 0,
                    port if protocol in ("tcp", "udp", "sctp") else 0)
    return engine.trace(packet).verdict == "allowed"
