"""The estate at a glance, as a server-side SVG diagram.

VNets are boxes holding their subnets; peerings are lines between VNets; inside each subnet
its VMs and NICs, firewall, gateways, Bastion, application gateways, load balancers and
private endpoints are chips, with their public IPs; the internet and on-premises are nodes
with lines to the public entry points and gateways; PaaS services sit in a panel. Endpoints
the internet reaches are outlined red (amber: only through an application gateway or a
firewall), and every resource with marks (findings, changes ...) carries a count badge in
the colour of its worst mark.

Big estates are drawn aggregated — VNets and their subnets as rows, NICs as counts — so the
file stays small and the page fast (``DETAIL_LIMIT``).
"""

from __future__ import annotations

import math
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from netwarden.model import ids
from netwarden.model.cluster import AksCluster
from netwarden.model.compute import IpConfiguration, NetworkInterface, PublicIp, VirtualMachine
from netwarden.model.edge import (
    ApplicationGateway,
    BastionHost,
    Connection,
    Firewall,
    LoadBalancer,
    LocalNetworkGateway,
    VirtualNetworkGateway,
)
from netwarden.model.estate import Estate
from netwarden.model.monitoring import FlowLog
from netwarden.model.network import Peering, Subnet, VirtualNetwork
from netwarden.model.paas import PaasService, PrivateEndpoint
from netwarden.report.html.document import Section
from netwarden.report.html.exposure import Exposure

# Above these, the diagram is aggregated: subnets as rows, NICs as numbers.
DETAIL_LIMIT = {"chips": 250, "subnets": 120}
MAX_INTERNET_LINES = 80
MAX_PAAS = 40
_ENTRY_KINDS = ("agw", "bas", "vgw", "er", "fw")

LEVELS = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4,
          "added": 1, "changed": 2, "removed": 3, "exposed": 4}
_KIND_TAG = {"vm": "VM", "nic": "NIC", "nva": "NVA", "pe": "PE", "fw": "FW", "vgw": "VPN",
             "er": "ER", "bas": "BAS", "agw": "AGW", "lb": "LB", "aks": "AKS", "paas": "PaaS",
             "pip": "PIP"}


@dataclass(frozen=True)
class Mark:
    """Something to flag on the diagram: a finding, a change ... at a resource."""

    resource_id: str
    level: str           # a severity, or added / changed / removed / exposed
    label: str           # one line for the tooltip


# -- geometry helpers ----------------------------------------------------------------------------

def text_width(text: str, size: float = 11.0) -> float:
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch in "iljI.,:;|!'()[] ":
            width += 0.3
        elif ch in "mwMW@":
            width += 0.85
        elif ch.isupper():
            width += 0.68
        else:
            width += 0.56
    return width * size


def fit(text: str, max_px: float, size: float = 11.0) -> str:
    """``text`` cut with an ellipsis to fit ``max_px`` (the full text goes in the tooltip)."""
    if text_width(text, size) <= max_px:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > max_px:
            break
        out += ch
    return out + "…"


def _r(value: float) -> float:
    return round(value, 1)


@dataclass
class _Chip:
    id: str
    kind: str
    name: str
    resource_ids: list[str]
    sub: str = ""
    pips: list[PublicIp] = field(default_factory=list)
    subnet: str | None = None          # node id of its subnet (None: a panel)
    box: tuple[float, float, float, float] = (0, 0, 0, 0)


@dataclass
class _SubnetNode:
    id: str
    subnet: Subnet
    vnet: str
    chips: list[_Chip] = field(default_factory=list)
    nics: int = 0
    box: tuple[float, float, float, float] = (0, 0, 0, 0)


@dataclass
class _VnetNode:
    id: str
    name: str
    resource_id: str
    space: str
    external: bool = False
    hub: bool = False
    subnets: list[_SubnetNode] = field(default_factory=list)
    box: tuple[float, float, float, float] = (0, 0, 0, 0)


class Overview:
    """The diagram of one estate, with exposure and marks; ``nodes_for`` maps a resource to
    the diagram nodes that hold it (itself and its ancestors), for filtering by node."""

    def __init__(self, estate: Estate, exposure: Exposure | None = None,
                 marks: Sequence[Mark] = (), *, limits: Mapping[str, int] = DETAIL_LIMIT) -> None:
        self.estate = estate
        self.exposure = exposure or Exposure()
        self.marks = list(marks)
        self._seq = 0
        self.parent: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._index: dict[str, list[str]] = defaultdict(list)   # resource key -> node ids
        self._build()
        chips = sum(len(s.chips) for v in self.vnets for s in v.subnets)
        self.detailed = (chips <= limits["chips"] and
                         sum(len(v.subnets) for v in self.vnets) <= limits["subnets"])
        if not self.detailed:
            # chips are not drawn: they count on their subnet's row
            for vnet in self.vnets:
                for subnet in vnet.subnets:
                    for chip in subnet.chips:
                        self._alias[chip.id] = subnet.id
        self._mark_nodes()
        self._layout()

    # -- model -> nodes --------------------------------------------------------------------

    def _new(self, prefix: str = "n") -> str:
        self._seq += 1
        return f"{prefix}{self._seq}"

    def _own(self, node: str, *resource_ids: str | None) -> None:
        for rid in resource_ids:
            if rid:
                self._index[ids.key(rid)].append(node)

    def _build(self) -> None:
        estate = self.estate
        self._alias: dict[str, str] = {}
        self.vnets: list[_VnetNode] = []
        self.subnet_nodes: dict[str, _SubnetNode] = {}
        vnet_nodes: dict[str, _VnetNode] = {}
        for vnet in estate.vnets:
            vnode = _VnetNode(self._new(), vnet.name, vnet.id,
                              ", ".join(str(p) for p in vnet.address_space))
            vnet_nodes[ids.key(vnet.id)] = vnode
            self.vnets.append(vnode)
            self._own(vnode.id, vnet.id)
            self.names[vnode.id] = vnet.name
        for subnet in estate.subnets:
            vkey = ids.key(subnet.vnet_id)
            if vkey not in vnet_nodes:
                name = subnet.vnet_id.rsplit("/", 1)[-1] or "(unknown VNet)"
                outside = _VnetNode(self._new(), name, subnet.vnet_id, "not in the input", external=True)
                vnet_nodes[vkey] = outside
                self.vnets.append(outside)
                self._own(outside.id, subnet.vnet_id)
                self.names[outside.id] = name
            vnode = vnet_nodes[vkey]
            snode = _SubnetNode(self._new(), subnet, vnode.id)
            vnode.subnets.append(snode)
            self.subnet_nodes[ids.key(subnet.id)] = snode
            self.parent[snode.id] = vnode.id
            self._own(snode.id, subnet.id)
            self.names[snode.id] = subnet.name
        self._vnet_by_key = vnet_nodes

        pips = {ids.key(p.id): p for p in estate.of(PublicIp)}
        placed_pips: set[str] = set()
        self.panel_chips: list[_Chip] = []      # public entry points outside any subnet
        self.paas_chips: list[_Chip] = []

        def chip(kind: str, name: str, subnet_id: str | None, resource_ids: Iterable[str | None],
                 sub: str = "", pip_ids: Iterable[str | None] = ()) -> _Chip:
            found = [pips[ids.key(p)] for p in pip_ids if p and ids.key(p) in pips]
            c = _Chip(self._new(), kind, name, [r for r in resource_ids if r], sub, found)
            placed_pips.update(ids.key(p.id) for p in found)
            snode = self.subnet_nodes.get(ids.key(subnet_id or ""))
            if snode is not None:
                c.subnet = snode.id
                snode.chips.append(c)
                self.parent[c.id] = snode.id
            else:
                self.panel_chips.append(c)
            self._own(c.id, *c.resource_ids, *(p.id for p in found))
            self.names[c.id] = name
            return c

        # NICs (a VM, an NVA, a private endpoint's NIC), one chip per NIC and subnet
        vm_done: set[str] = set()
        pe_with_nic: set[str] = set()
        for nic in estate.nics:
            by_subnet: dict[str, list[IpConfiguration]] = defaultdict(list)
            for config in nic.ip_configurations:
                by_subnet[ids.key(config.subnet_id or "")].append(config)
            vm = estate.vm_of(nic)
            for subnet_key, configs in by_subnet.items():
                pe = estate.get(nic.private_endpoint_id, PrivateEndpoint) if nic.private_endpoint_id else None
                kind = "pe" if nic.private_endpoint_id else "nva" if nic.ip_forwarding else "vm" if vm else "nic"
                name = pe.name if pe else vm.name if vm else nic.name
                owned: list[str | None] = [nic.id, *(c.id for c in configs), nic.private_endpoint_id]
                if vm is not None and ids.key(vm.id) not in vm_done:
                    owned.append(vm.id)
                    vm_done.add(ids.key(vm.id))
                if nic.private_endpoint_id:
                    pe_with_nic.add(ids.key(nic.private_endpoint_id))
                address = ", ".join(str(c.private_ip) for c in configs if c.private_ip)
                c = chip(kind, name, configs[0].subnet_id, owned, address, (c.public_ip_id for c in configs))
                holder = self.subnet_nodes.get(subnet_key)
                if holder is not None:
                    holder.nics += 1
                else:
                    self.panel_chips.remove(c)          # a NIC whose subnet is not in the input
        for vm in estate.of(VirtualMachine):
            if ids.key(vm.id) not in vm_done:
                # a VM without a NIC in the input: count its marks on its first NIC's node if any
                for nic_id in vm.nic_ids:
                    for node in self._index.get(ids.key(nic_id), []):
                        self._own(node, vm.id)
                        break
        for fw in estate.of(Firewall):
            subnet_id = next((c.subnet_id for c in fw.ip_configurations if c.subnet_id), None)
            address = ", ".join(str(c.private_ip) for c in fw.ip_configurations if c.private_ip)
            chip("fw", fw.name, subnet_id, [fw.id, fw.policy_id], address,
                 (c.public_ip_id for c in fw.ip_configurations))
        for gw in estate.of(VirtualNetworkGateway):
            er = gw.gateway_type.lower().startswith("express")
            chip("er" if er else "vgw", gw.name, gw.subnet_id, [gw.id],
                 "ExpressRoute" if er else "VPN", gw.public_ip_ids)
        for bastion in estate.of(BastionHost):
            chip("bas", bastion.name, bastion.subnet_id, [bastion.id], bastion.sku or "",
                 [bastion.public_ip_id])
        for agw in estate.of(ApplicationGateway):
            chip("agw", agw.name, agw.subnet_id, [agw.id, agw.waf_policy_id], agw.tier or "",
                 (f.public_ip_id for f in agw.frontends))
        for lb in estate.of(LoadBalancer):
            subnet_id = next((f.subnet_id for f in lb.frontends if f.subnet_id), None)
            chip("lb", lb.name, subnet_id, [lb.id], f"{lb.sku} load balancer",
                 (f.public_ip_id for f in lb.frontends))
        for aks in estate.of(AksCluster):
            chip("aks", aks.name, aks.node_subnet_ids[0] if aks.node_subnet_ids else None, [aks.id],
                 aks.network_plugin or "")
        for pe in estate.of(PrivateEndpoint):
            if ids.key(pe.id) not in pe_with_nic:
                chip("pe", pe.name, pe.subnet_id, [pe.id],
                     ", ".join(str(p) for p in pe.private_ips))
        for pip in estate.of(PublicIp):
            if ids.key(pip.id) not in placed_pips:
                c = chip("pip", pip.name, None, [pip.id], str(pip.address or "dynamic"))
                c.pips = []
        # PaaS services: a panel of their own
        for service in estate.of(PaasService):
            c = _Chip(self._new(), "paas", service.name, [service.id],
                      service.kind.value + (" · public" if service.public_access_enabled else ""))
            self.paas_chips.append(c)
            self._own(c.id, service.id)
            self.names[c.id] = service.name
        # what acts on a subnet: its NSG, route table, NAT gateway; NIC NSGs on the NIC's node
        for held in self.subnet_nodes.values():
            s = held.subnet
            self._own(held.id, s.nsg_id, s.route_table_id, s.nat_gateway_id)
        for nic in estate.nics:
            if nic.nsg_id:
                for node in self._index.get(ids.key(nic.id), []):
                    self._own(node, nic.nsg_id)
        for peering in estate.of(Peering):
            peered = vnet_nodes.get(ids.key(peering.vnet_id))
            if peered is not None:
                self._own(peered.id, peering.id)
        for flow_log in estate.of(FlowLog):
            for node in list(self._index.get(ids.key(flow_log.target_id or ""), [])):
                self._own(node, flow_log.id)
        # hubs: VNets with the firewall or a gateway, or the most peered (when it stands out)
        degree: dict[str, int] = {}
        for v in self.vnets:
            model = estate.get(v.resource_id, VirtualNetwork)
            degree[v.id] = len({ids.key(p.remote_vnet_id or "") for p in estate.peerings_of(model)}) \
                if model is not None else 0
        top = max(degree.values(), default=0)
        for v in self.vnets:
            has_edge = any(c.kind in ("fw", "vgw", "er") for s in v.subnets for c in s.chips)
            v.hub = has_edge or (top >= 2 and degree[v.id] == top)
        if all(v.hub for v in self.vnets):
            for v in self.vnets:
                v.hub = False
        self.onprem = bool(estate.of(LocalNetworkGateway) or estate.of(Connection))

    def _node(self, node: str) -> str:
        return self._alias.get(node, node)

    def _lookup(self, resource_id: str) -> list[str]:
        """The nodes of a resource, or of its parent for a child resource (an NSG's rule, a
        route table's route ...)."""
        key = ids.key(resource_id)
        while key:
            found = self._index.get(key)
            if found:
                return found
            parts = key.rsplit("/", 2)
            if len(parts) < 3 or "/providers/" not in parts[0]:
                return []
            key = parts[0]
        return []

    def nodes_for(self, resource_id: str) -> list[str]:
        """The drawn nodes holding a resource, and their ancestors (for filtering)."""
        found: dict[str, None] = {}
        for node in self._lookup(resource_id):
            node = self._node(node)
            while node:
                found[node] = None
                node = self.parent.get(node, "")
        return list(found)

    # -- marks --------------------------------------------------------------------------------

    def _mark_nodes(self) -> None:
        own: dict[str, set[int]] = defaultdict(set)
        self.unplaced = 0
        for index, mark in enumerate(self.marks):
            nodes = {self._node(n) for n in self._lookup(mark.resource_id)}
            if not nodes:
                self.unplaced += 1
            for node in nodes:
                own[node].add(index)
        # subtree sets: a node counts what its descendants hold
        subtree: dict[str, set[int]] = defaultdict(set)
        for node, found in own.items():
            current: str | None = node
            while current:
                subtree[current] |= found
                current = self.parent.get(current)
        self.subtree = subtree

    def _badge(self, node: str, x: float, y: float) -> dict[str, Any] | None:
        found = self.subtree.get(node)
        if not found:
            return None
        level = max((self.marks[i].level for i in found), key=lambda lv: LEVELS.get(lv, 0))
        text = str(len(found)) if len(found) < 100 else "99+"
        return {"x": _r(x), "y": _r(y), "r": 9 if len(found) < 10 else 11, "text": text,
                "cls": f"sev-{level}" if level in ("critical", "high", "medium", "low", "info") else level}

    def _mark_lines(self, node: str) -> list[str]:
        found = sorted(self.subtree.get(node, ()), key=lambda i: -LEVELS.get(self.marks[i].level, 0))
        lines = [f"{self.marks[i].level}: {self.marks[i].label}" for i in found[:8]]
        if len(found) > 8:
            lines.append(f"… and {len(found) - 8} more")
        return lines

    # -- layout ---------------------------------------------------------------------------------

    def _layout(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.chips: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []
        if self.detailed:
            for v in self.vnets:
                self._size_detailed(v)
        else:
            for v in self.vnets:
                self._size_aggregated(v)
        margin, gap_x, gap_y = 30.0, 50.0, 90.0
        hubs = [v for v in self.vnets if v.hub]
        spokes = [v for v in self.vnets if not v.hub]
        top_h = 50.0
        y = margin + top_h + gap_y
        rows: list[list[_VnetNode]] = []
        if len(self.vnets) <= 3 and len(hubs) <= 1:
            # one row, the hub in the middle
            ordered = list(spokes)
            ordered[len(ordered) // 2:len(ordered) // 2] = hubs
            rows = [ordered] if ordered else []
            hub_row: list[_VnetNode] = []
        else:
            hub_row = hubs
            if hubs:
                rows.append(hubs)
            if spokes:
                # columns for a landscape diagram (about 16:10) from the average box size
                avg_w = sum(v.box[2] for v in spokes) / len(spokes) + gap_x
                avg_h = sum(v.box[3] for v in spokes) / len(spokes) + gap_y
                cols = round(math.sqrt(len(spokes) * avg_h / avg_w * 1.6))
                cols = max(1, min(len(spokes), cols))
                for i in range(0, len(spokes), cols):
                    rows.append(spokes[i:i + cols])
        row_boxes = []
        content_w = 0.0
        for row in rows:
            w = sum(v.box[2] for v in row) + gap_x * (len(row) - 1)
            content_w = max(content_w, w)
        paas_w = 0.0
        if self.paas_chips:
            paas_w = max([text_width(c.name) + 60 for c in self.paas_chips[:MAX_PAAS]] + [180.0])
            paas_w = min(paas_w, 260.0)
        for row in rows:
            w = sum(v.box[2] for v in row) + gap_x * (len(row) - 1)
            x = margin + (content_w - w) / 2 if row is hub_row or len(rows) == 1 else margin
            h = max(v.box[3] for v in row)
            for v in row:
                self._place(v, x, y)
                x += v.box[2] + gap_x
            row_boxes.append((y, h))
            y += h + gap_y
        height = y - gap_y + margin if rows else margin * 2 + top_h + 100
        width = margin * 2 + max(content_w, 500.0)
        # the internet, on-premises, and the public entry points outside subnets
        cx = margin + max(content_w, 500.0) / 2
        self.internet_box = (cx - 90, margin, 180.0, top_h)
        self._top_node("internet", "internet", "Internet", self._internet_sub(), self.internet_box)
        if self.onprem:
            self.onprem_box = (margin, margin, 170.0, top_h)
            self._top_node("onprem", "onprem", "On-premises", "via VPN / ExpressRoute", self.onprem_box)
        if self.panel_chips:
            px = cx + 130
            self._panel("edge", "public entry points outside subnets", self.panel_chips, px, margin, 
                        horizontal=True)
            width = max(width, px + self._panel_w + margin)
        if self.paas_chips:
            px = width - margin + gap_x
            self._panel("paas", "PaaS services", self.paas_chips[:MAX_PAAS], px, margin + top_h + gap_y,
                        fixed_w=paas_w, more=len(self.paas_chips) - MAX_PAAS)
            width = px + paas_w + margin
            height = max(height, margin + top_h + gap_y + self._panel_h + margin)
        self.width, self.height = _r(width), _r(height)
        self._draw_vnets()
        self._draw_lines(row_boxes, hub_row, gap_x, gap_y)

    def _internet_sub(self) -> str:
        entries = len([p for p in self.estate.of(PublicIp)])
        reached = len(self.exposure.pips)
        return f"{entries} public IP(s), {reached} reach something"

    def _top_node(self, node_id: str, cls: str, title: str, sub: str,
                  box: tuple[float, float, float, float]) -> None:
        x, y, w, h = box
        self.frames.append({
            "id": node_id, "cls": cls, "name": title, "focus": False, "rx": 22,
            "x": _r(x), "y": _r(y), "w": w, "h": h, "title": f"{title}: {sub}",
            "texts": [{"x": _r(x + w / 2), "y": _r(y + 21), "cls": "t-title", "text": title,
                       "anchor": "middle"},
                      {"x": _r(x + w / 2), "y": _r(y + 37), "cls": "t-sub", "text": fit(sub, w - 12, 10),
                       "anchor": "middle"}],
            "badge": None})

    # sizes: detailed
    _CHIP_MAX = 226.0
    _SUB_W = 470.0

    def _chip_size(self, c: _Chip) -> tuple[float, float]:
        w = 50 + text_width(c.name)
        if c.sub:
            w = max(w, 50 + text_width(c.sub, 10))
        for pip in c.pips:
            w = max(w, 50 + text_width(f"⇡ {pip.name} {pip.address or ''}", 10))
        lines = 1 + (1 if c.sub else 0) + len(c.pips)
        h = 15.0 + 13 * (lines - 1) + 7
        return min(max(w, 96.0), self._CHIP_MAX), h

    def _size_detailed(self, v: _VnetNode) -> None:
        pad = 10.0
        y = 46.0
        for s in v.subnets:
            sy = 38.0
            x = 8.0
            row_h = 0.0
            for c in s.chips:
                w, h = self._chip_size(c)
                if x + w > self._SUB_W - 8 and x > 8:
                    x = 8.0
                    sy += row_h + 6
                    row_h = 0.0
                c.box = (x, sy, w, h)          # relative to the subnet for now
                x += w + 6
                row_h = max(row_h, h)
            s.box = (pad, y, self._SUB_W, sy + row_h + (8 if s.chips else 0))
            y += s.box[3] + 8
        v.box = (0, 0, self._SUB_W + 2 * pad, max(y + 2, 70.0))

    _ROW_H = 18.0
    _AGG_W = 330.0

    def _size_aggregated(self, v: _VnetNode) -> None:
        y = 46.0
        for s in v.subnets:
            s.box = (8.0, y, self._AGG_W - 16, self._ROW_H - 2)
            y += self._ROW_H
        v.box = (0, 0, self._AGG_W, max(y + 8, 70.0))

    def _place(self, v: _VnetNode, x: float, y: float) -> None:
        v.box = (x, y, v.box[2], v.box[3])
        for s in v.subnets:
            sx, sy = x + s.box[0], y + s.box[1]
            s.box = (sx, sy, s.box[2], s.box[3])
            for c in s.chips:
                c.box = (sx + c.box[0], sy + c.box[1], c.box[2], c.box[3])

    # -- drawing --------------------------------------------------------------------------------

    def _exposed(self, c: _Chip) -> str:
        """"exposed" (the internet reaches it directly), "fronted" (only through an
        application gateway or firewall), "entry" (a gateway, Bastion or firewall: public by
        design), or ""."""
        keys = [ids.key(r) for r in c.resource_ids]
        hit = [k for k in keys if self.exposure.is_exposed(k)]
        if not hit:
            return ""
        if c.kind in _ENTRY_KINDS:
            return "entry"
        return "fronted" if all(k in self.exposure.fronted for k in hit) else "exposed"

    def _draw_vnets(self) -> None:
        for v in self.vnets:
            x, y, w, h = v.box
            nics = sum(s.nics for s in v.subnets)
            title = [f"VNet {v.name}", v.resource_id, f"address space: {v.space or '-'}",
                     f"{len(v.subnets)} subnet(s), {nics} NIC(s)"]
            marks = self._mark_lines(v.id)
            if marks:
                title += [f"{len(self.subtree[v.id])} mark(s) in this VNet:", *marks]
            self.frames.append({
                "id": v.id, "cls": "vnet" + (" hub" if v.hub else "") + (" external" if v.external else ""),
                "name": v.name, "focus": bool(marks), "rx": 10, "x": _r(x), "y": _r(y), "w": _r(w), "h": _r(h),
                "title": "\n".join(title),
                "texts": [{"x": _r(x + 12), "y": _r(y + 19), "cls": "t-title", "text": fit(v.name, w - 40, 13),
                           "anchor": ""},
                          {"x": _r(x + 12), "y": _r(y + 34), "cls": "t-sub", "anchor": "",
                           "text": fit(f"{v.space or 'no address space'} · {len(v.subnets)} subnets · {nics} NICs",
                                       w - 30, 10)}],
                "badge": self._badge(v.id, x + w - 6, y + 6)})
            for s in v.subnets:
                self._draw_subnet(s)
        for c in self.panel_chips + self.paas_chips[:MAX_PAAS]:
            if c.box[2]:
                self._draw_chip(c)

    def _name_of(self, resource_id: str) -> str:
        found = self.estate.get(resource_id)
        return found.name if found is not None else resource_id.rsplit("/", 1)[-1]

    def _subnet_facts(self, s: _SubnetNode) -> tuple[str, str]:
        subnet = s.subnet
        nsg = self._name_of(subnet.nsg_id) if subnet.nsg_id else "no NSG"
        rt = self._name_of(subnet.route_table_id) if subnet.route_table_id else ""
        prefix = ", ".join(str(p) for p in subnet.address_prefixes)
        return prefix, " · ".join(x for x in (nsg, rt) if x)

    def _draw_subnet(self, s: _SubnetNode) -> None:
        x, y, w, h = s.box
        prefix, facts = self._subnet_facts(s)
        exposed = [c for c in s.chips if self._exposed(c) == "exposed"]
        title = [f"subnet {s.subnet.name}", s.subnet.id, f"prefix: {prefix or '-'}", facts,
                 f"{s.nics} NIC(s)"]
        if s.chips and not self.detailed:
            kinds = sorted({_KIND_TAG[c.kind] for c in s.chips if c.kind not in ("vm", "nic")})
            if kinds:
                title.append("holds: " + ", ".join(kinds))
            pips = sum(len(c.pips) for c in s.chips)
            if pips:
                title.append(f"{pips} public IP(s)")
        if exposed:
            title.append(f"{len(exposed)} endpoint(s) reachable from the internet: "
                         + ", ".join(c.name for c in exposed[:6]) + (" …" if len(exposed) > 6 else ""))
        marks = self._mark_lines(s.id)
        if marks:
            title += [f"{len(self.subtree[s.id])} mark(s):", *marks]
        if self.detailed:
            texts = [{"x": _r(x + 8), "y": _r(y + 15), "cls": "t-head", "anchor": "",
                      "text": fit(f"{s.subnet.name}  {prefix}", w - 40, 12)},
                     {"x": _r(x + 8), "y": _r(y + 29), "cls": "t-sub", "anchor": "",
                      "text": fit(f"{facts} · {s.nics} NIC(s)", w - 20, 10)}]
            cls = "subnet" + (" exposed" if any(self._exposed(c) == "exposed" for c in s.chips) else "")
            badge = self._badge(s.id, x + w - 6, y + 6)
        else:
            kinds = [_KIND_TAG[k] for k in dict.fromkeys(c.kind for c in s.chips)
                     if k not in ("vm", "nic")]
            right = " ".join(kinds + [f"{s.nics} NICs"])
            texts = [{"x": _r(x + 6), "y": _r(y + 12), "cls": "", "anchor": "",
                      "text": fit(s.subnet.name, 140)},
                     {"x": _r(x + 150), "y": _r(y + 12), "cls": "t-num", "anchor": "",
                      "text": fit(prefix, 80, 10)},
                     {"x": _r(x + w - 22), "y": _r(y + 12), "cls": "t-num", "anchor": "end",
                      "text": fit(right, 90, 10)}]
            cls = "subrow" + (" exposed" if exposed else "")
            badge = self._badge(s.id, x + w - 9, y + h / 2)
        self.frames.append({"id": s.id, "cls": cls, "name": s.subnet.name, "focus": bool(marks),
                            "rx": 6 if self.detailed else 3,
                            "x": _r(x), "y": _r(y), "w": _r(w), "h": _r(h), "title": "\n".join(title),
                            "texts": texts, "badge": badge})
        if self.detailed:
            for c in s.chips:
                self._draw_chip(c)

    def _draw_chip(self, c: _Chip) -> None:
        x, y, w, h = c.box
        exposed = self._exposed(c)
        title = [f"{_KIND_TAG[c.kind]} {c.name}", *c.resource_ids[:2]]
        if c.sub:
            title.append(c.sub)
        for pip in c.pips:
            ports = self.exposure.pips.get(ids.key(pip.id))
            title.append(f"public IP {pip.name} {pip.address or 'dynamic'} ({pip.sku.value})"
                         + (f": the internet reaches {ports}" if ports else ": nothing arrives"))
        keys = [ids.key(r) for r in c.resource_ids]
        arrives = [self.exposure.targets[k] for k in keys if k in self.exposure.targets]
        if arrives:
            title.append(("reachable from the internet through an application gateway or firewall: "
                          if exposed == "fronted" else "reachable from the internet: ") + ", ".join(arrives))
        marks = self._mark_lines(c.id)
        if marks:
            title += [f"{len(self.subtree[c.id])} mark(s):", *marks]
        tag = _KIND_TAG[c.kind]
        texts = [{"x": _r(x + 17), "y": _r(y + 14.5), "cls": "t-kind", "anchor": "middle", "text": tag},
                 {"x": _r(x + 38), "y": _r(y + 15), "cls": "", "anchor": "", "text": fit(c.name, w - 42)}]
        line_y = y + 28
        if c.sub:
            texts.append({"x": _r(x + 38), "y": _r(line_y), "cls": "t-sub", "anchor": "",
                          "text": fit(c.sub, w - 42, 10)})
            line_y += 13
        for pip in c.pips:
            reached = ids.key(pip.id) in self.exposure.pips
            texts.append({"x": _r(x + 38), "y": _r(line_y), "cls": "t-pip-exposed" if reached else "t-pip",
                          "anchor": "", "text": fit(f"⇡ {pip.name} {pip.address or ''}", w - 42, 10)})
            line_y += 13
        self.chips.append({
            "id": c.id, "cls": f"chip k-{c.kind}" + (f" {exposed}" if exposed else ""), "name": c.name,
            "focus": bool(marks), "rx": 4, "x": _r(x), "y": _r(y), "w": _r(w), "h": _r(h),
            "title": "\n".join(title), "texts": texts, "badge": self._badge(c.id, x + w - 4, y + 2),
            "tag": {"x": _r(x), "y": _r(y), "h": _r(h)}})

    def _panel(self, node_id: str, title: str, chips: list[_Chip], x: float, y: float, *,
               horizontal: bool = False, fixed_w: float | None = None, more: int = 0) -> None:
        inner_y = y + 26
        cx = x + 8
        width = fixed_w or 0.0
        row_h = 0.0
        for c in chips:
            w, h = self._chip_size(c)
            if fixed_w:
                w = fixed_w - 16
            c.box = (cx, inner_y, w, h)
            if horizontal:
                cx += w + 6
                row_h = max(row_h, h)
            else:
                inner_y += h + 6
        if horizontal:
            width = cx - x + 2
            height = 26 + row_h + 8
        else:
            height = inner_y - y + (16 if more > 0 else 4)
        self._panel_w, self._panel_h = width, height
        texts = [{"x": _r(x + 8), "y": _r(y + 16), "cls": "t-head", "anchor": "", "text": title}]
        if more > 0:
            texts.append({"x": _r(x + 8), "y": _r(y + height - 6), "cls": "t-sub", "anchor": "",
                          "text": f"+{more} more"})
        self.frames.append({"id": node_id, "cls": "panel", "name": title, "focus": False, "rx": 8,
                            "x": _r(x), "y": _r(y), "w": _r(width), "h": _r(height), "title": title,
                            "texts": texts, "badge": None})

    # -- lines ----------------------------------------------------------------------------------

    def _draw_lines(self, row_boxes: list[tuple[float, float]], hub_row: list[_VnetNode],
                    gap_x: float, gap_y: float) -> None:
        estate = self.estate
        # peerings, once per pair: two-way, one-way, or with traffic blocked
        pairs: dict[tuple[str, str], list[Peering]] = defaultdict(list)
        for peering in estate.of(Peering):
            a = self._vnet_by_key.get(ids.key(peering.vnet_id))
            b = self._vnet_by_key.get(ids.key(peering.remote_vnet_id or ""))
            if a is None or b is None or a is b:
                continue
            first, second = sorted((a.id, b.id))
            pairs[(first, second)].append(peering)
        by_id = {v.id: v for v in self.vnets}
        hub_ids = {v.id for v in hub_row}
        for (a_id, b_id), peerings in pairs.items():
            a, b = by_id[a_id], by_id[b_id]
            directions = {ids.key(p.vnet_id) for p in peerings}
            blocked = any(not p.allow_virtual_network_access for p in peerings)
            cls = "peering" + (" oneway" if len(directions) < 2 else "") + (" blocked" if blocked else "")
            if a.id in hub_ids and b.id not in hub_ids:
                d = self._bus(a, b, row_boxes, gap_x, gap_y)
            elif b.id in hub_ids and a.id not in hub_ids:
                d = self._bus(b, a, row_boxes, gap_x, gap_y)
            else:
                d = self._straight(a.box, b.box)
            names = ", ".join(sorted(p.name for p in peerings))
            state = "one direction only" if len(directions) < 2 else "both directions"
            self.lines.append({"cls": cls, "d": d, "ends": f"{a.id} {b.id}",
                               "title": f"peering {a.name} ↔ {b.name} ({state}"
                                        + (", virtual network access blocked" if blocked else "")
                                        + f"): {names}"})
        # the internet to public entry points
        ix = self.internet_box[0] + self.internet_box[2] / 2
        iy = self.internet_box[1] + self.internet_box[3]
        if self.detailed:
            targets = [c for c in self._all_chips() if c.pips]
            for c in targets:
                reached = [p for p in c.pips if ids.key(p.id) in self.exposure.pips]
                x, y, w, _ = c.box
                ports = "; ".join(f"{p.name}: {self.exposure.pips[ids.key(p.id)]}" for p in reached)
                state = self._exposed(c)
                cls = ("entry" if state == "entry" else "exposed") if reached else "public"
                self.lines.append({
                    "cls": cls, "d": self._curve(ix, iy, x + w / 2, y),
                    "ends": f"internet {c.id}",
                    "title": f"internet → {c.name}: " + (ports if reached else "public IP, nothing arrives")})
        else:
            rows = [s for v in self.vnets for s in v.subnets
                    if any(self._exposed(c) == "exposed" for c in s.chips)]
            if len(rows) <= MAX_INTERNET_LINES:
                for s in rows:
                    x, y, w, _ = s.box
                    self.lines.append({"cls": "exposed", "d": self._curve(ix, iy, x + w / 2, y),
                                       "ends": f"internet {s.id}",
                                       "title": f"internet → {s.subnet.name}"})
            for c in self.panel_chips:
                reached = [p for p in c.pips if ids.key(p.id) in self.exposure.pips]
                x, y, w, _ = c.box
                self.lines.append({"cls": "exposed" if reached else "public",
                                   "d": self._curve(ix, iy, x + w / 2, y), "ends": f"internet {c.id}",
                                   "title": f"internet → {c.name}"})
        for c in self.panel_chips:
            if self.detailed and not c.pips and c.kind == "pip":
                x, y, w, _ = c.box
                hit = ids.key(c.resource_ids[0]) in self.exposure.pips
                self.lines.append({"cls": "exposed" if hit else "public",
                                   "d": self._curve(ix, iy, x + w / 2, y), "ends": f"internet {c.id}",
                                   "title": f"internet → {c.name}"})
        # on-premises to the gateways its connections use (all VPN/ER gateways without any)
        if self.onprem:
            ox = self.onprem_box[0] + self.onprem_box[2] / 2
            oy = self.onprem_box[1] + self.onprem_box[3]
            connected = {ids.key(c.gateway_id or "") for c in estate.of(Connection)}
            for c in self._all_chips():
                if c.kind in ("vgw", "er") and (not connected - {""} or
                                                 ids.key(c.resource_ids[0]) in connected):
                    row = None if self.detailed or c.subnet is None else self.subnet_nodes_by_id()[c.subnet]
                    x, y, w, _ = row.box if row is not None else c.box
                    node = row.id if row is not None else c.id
                    self.lines.append({"cls": "onprem-link", "d": self._curve(ox, oy, x + w / 2, y),
                                       "ends": f"onprem {node}", "title": f"on-premises ↔ {c.name}"})
        # private endpoints to their PaaS services
        if self.detailed:
            paas = {ids.key(r): c for c in self.paas_chips[:MAX_PAAS] for r in c.resource_ids}
            for pe in estate.of(PrivateEndpoint):
                source = next((c for c in self._all_chips() if c.kind == "pe" and
                               ids.key(pe.id) in {ids.key(r) for r in c.resource_ids}), None)
                for target_id in pe.target_ids:
                    target = paas.get(ids.key(target_id))
                    if source is None or target is None:
                        continue
                    sx, sy, sw, sh = source.box
                    tx, ty, _, th = target.box
                    d = f"M{_r(sx + sw)},{_r(sy + sh / 2)} C{_r(sx + sw + 80)},{_r(sy + sh / 2)} " \
                        f"{_r(tx - 80)},{_r(ty + th / 2)} {_r(tx)},{_r(ty + th / 2)}"
                    self.lines.append({"cls": "private-link", "d": d, "ends": f"{source.id} {target.id}",
                                       "title": f"private endpoint {pe.name} → {target.name}"})

    def exposure_counts(self) -> dict[str, int]:
        """How many endpoints are exposed, fronted, or public entry services."""
        counts = {"exposed": 0, "fronted": 0, "entry": 0}
        for c in self._all_chips():
            state = self._exposed(c)
            if state:
                counts[state] += 1
        return counts

    def subnet_score(self, subnet_id: str) -> float:
        """How much a subnet deserves a place in a capped matrix: directly exposed endpoints
        first, then its marks, then its size."""
        node = self.subnet_nodes.get(ids.key(subnet_id))
        if node is None:
            return 0.0
        exposed = any(self._exposed(c) == "exposed" for c in node.chips)
        return 10_000.0 * exposed + len(self.subtree.get(node.id, ())) + node.nics / 1000

    def subnet_nodes_by_id(self) -> dict[str, _SubnetNode]:
        return {s.id: s for s in self.subnet_nodes.values()}

    def _all_chips(self) -> list[_Chip]:
        return [c for v in self.vnets for s in v.subnets for c in s.chips] + self.panel_chips

    @staticmethod
    def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
        mid = (y1 + y2) / 2
        return f"M{_r(x1)},{_r(y1)} C{_r(x1)},{_r(mid)} {_r(x2)},{_r(mid)} {_r(x2)},{_r(y2)}"

    @staticmethod
    def _straight(a: tuple[float, ...], b: tuple[float, ...]) -> str:
        ax, ay = a[0] + a[2] / 2, a[1] + a[3] / 2
        bx, by = b[0] + b[2] / 2, b[1] + b[3] / 2

        def clip(box: tuple[float, ...], cx: float, cy: float, dx: float, dy: float) -> tuple[float, float]:
            tx = (box[2] / 2) / abs(dx) if dx else math.inf
            ty = (box[3] / 2) / abs(dy) if dy else math.inf
            t = min(tx, ty)
            return cx + dx * t, cy + dy * t

        dx, dy = bx - ax, by - ay
        if not dx and not dy:
            return f"M{_r(ax)},{_r(ay)}"
        p = clip(a, ax, ay, dx, dy)
        q = clip(b, bx, by, -dx, -dy)
        return f"M{_r(p[0])},{_r(p[1])} L{_r(q[0])},{_r(q[1])}"

    @staticmethod
    def _bus(hub: _VnetNode, spoke: _VnetNode, row_boxes: list[tuple[float, float]],
             gap_x: float, gap_y: float) -> str:
        """Hub bottom → the gap above the spoke's row (through the column gap when rows lie
        between) → down into the spoke's top."""
        hx = hub.box[0] + hub.box[2] / 2
        hy = hub.box[1] + hub.box[3]
        sx = spoke.box[0] + spoke.box[2] / 2
        sy = spoke.box[1]
        first_gap = hy + gap_y / 2
        above = sy - gap_y / 2
        if abs(above - first_gap) < 1:
            return f"M{_r(hx)},{_r(hy)} V{_r(above)} H{_r(sx)} V{_r(sy)}"
        lane = spoke.box[0] - gap_x / 2
        return (f"M{_r(hx)},{_r(hy)} V{_r(first_gap)} H{_r(lane)} V{_r(above)} H{_r(sx)} V{_r(sy)}")


LEGEND_FINDINGS = [
    {"cls": "sev-critical", "label": "critical"}, {"cls": "sev-high", "label": "high"},
    {"cls": "sev-medium", "label": "medium"}, {"cls": "sev-low", "label": "low"},
]
LEGEND_BASE = [
    {"cls": "exposed", "label": "reachable from the internet directly"},
    {"cls": "public", "label": "internet → public IP"},
    {"cls": "peering", "label": "peering (dashed: one way)"},
    {"cls": "hub", "label": "hub VNet"},
]


class OverviewSection(Section):
    """The estate diagram with summary cards, notes and the table of public entry points."""

    id, title, template, component = "overview", "Overview", "overview", "overview"

    def __init__(self, overview: Overview, *, cards: Sequence[Mapping[str, Any]] = (),
                 notes: Sequence[str] = (), legend: Sequence[Mapping[str, str]] = LEGEND_FINDINGS,
                 clickable: str = "findings", entries: bool = True, engine: Any = None) -> None:
        self.overview, self.cards, self.notes = overview, list(cards), list(notes)
        self.legend, self.clickable, self.show_entries = list(legend), clickable, entries
        self.engine = engine

    def _entries(self) -> list[dict[str, Any]]:
        if not self.show_entries:
            return []
        ov = self.overview
        estate = ov.estate
        owners: dict[str, tuple[str, str]] = {}
        if self.engine is not None:
            for entry in self.engine.topology.entries:
                owner = estate.get(entry.owner_id)
                name = owner.name if owner else entry.owner_id.rsplit("/", 1)[-1]
                nic_id = getattr(owner, "nic_id", None)
                if nic_id:
                    nic = estate.get(nic_id, NetworkInterface)
                    vm = estate.vm_of(nic) if nic else None
                    name = vm.name if vm else (nic.name if nic else name)
                owners[ids.key(entry.pip.id)] = (entry.kind, name)
        rows = []
        for pip in estate.of(PublicIp):
            key = ids.key(pip.id)
            kind, owner = owners.get(key, ("", "(not attached)"))
            reaches = ov.exposure.reaches.get(key, [])
            rows.append({"name": pip.name, "address": str(pip.address or "dynamic"), "sku": pip.sku.value,
                         "kind": kind, "owner": owner, "ports": ov.exposure.pips.get(key, ""),
                         "reaches": ", ".join(reaches[:8]) + (" …" if len(reaches) > 8 else "")})
        rows.sort(key=lambda r: (not r["ports"], r["name"].lower()))
        return rows

    def context(self) -> Mapping[str, Any]:
        ov = self.overview
        notes = list(self.notes)
        if not ov.detailed:
            notes.append(f"Large estate: drawn aggregated — VNets with their subnets as rows and NICs as "
                         f"counts (more than {DETAIL_LIMIT['chips']} endpoints or "
                         f"{DETAIL_LIMIT['subnets']} subnets).")
        if ov.unplaced:
            notes.append(f"{ov.unplaced} mark(s) concern resources the diagram does not draw "
                         "(see the lists).")
        legend = [*self.legend, *LEGEND_BASE]
        if any(" entry" in c["cls"] for c in ov.chips):
            legend.insert(len(self.legend) + 1, {"cls": "entry", "label": "public entry service "
                                                 "(gateway, Bastion, firewall)"})
        if any(" fronted" in c["cls"] for c in ov.chips):
            legend.insert(len(self.legend) + 1, {"cls": "fronted", "label": "reachable only through "
                                                 "an application gateway or firewall"})
        frames, chips = ov.frames, ov.chips
        if not self.clickable:             # nothing listens for a click: no pointer, no focus
            frames = [{**f, "focus": False} for f in frames]
            chips = [{**c, "focus": False} for c in chips]
        return {"cards": self.cards, "notes": notes, "width": ov.width, "height": ov.height,
                "frames": frames, "chips": chips, "lines": ov.lines, "legend": legend,
                "clickable": self.clickable, "entries": self._entries(),
                "aria": f"diagram of {len(ov.vnets)} VNets and "
                        f"{sum(len(v.subnets) for v in ov.vnets)} subnets"}
