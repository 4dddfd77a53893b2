"""The symbolic engine: exact packet sets, NSGs, routing, firewalls, reachability, trace.
Nothing here knows about files or output formats."""

from __future__ import annotations

from netwarden.engine.endpoints import Endpoint, EndpointError
from netwarden.engine.packets import Packet, PacketSet, PacketSpace
from netwarden.engine.path import Hop, Outcome
from netwarden.engine.reach import Engine, ReachResult, Service, TraceResult

__all__ = ["Endpoint", "EndpointError", "Engine", "Hop", "Outcome", "Packet", "PacketSet",
           "PacketSpace", "ReachResult", "Service", "TraceResult"]
