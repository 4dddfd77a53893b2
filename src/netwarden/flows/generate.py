"""Synthetic flow logs with their ground truth, for tests and benchmarks.

Writes NSG v1 / v2 and VNet flow logs in Azure's storage layout (one ``PT1H.json`` per
resource, hour and MAC, plain or gzip), a chosen share of them broken in each documented
way, and returns what an exact analysis must find: counts, bytes, talkers, denied flows,
internet traffic per port, rule hits, malformed items by reason. The truth is computed
here, from the values generated — never by parsing the files back.

    python -m netwarden.flows.generate OUT --files 20 --tuples 5000 --malformed 0.01
"""

from __future__ import annotations

import gzip as gzip_module
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUB = "00000000-0000-0000-0000-0000000000AA"
RG = "RG-FLOWS"
HOUR0 = 1_704_067_200        # 2024-01-01T00:00:00Z
MANAGEMENT = (22, 3389, 5985, 5986)

# tuple reasons each format can show, and how to break one field to get exactly that reason
TUPLE_BREAKS = {
    "bad_field_count": lambda f: f[:-1],
    "bad_time": lambda f: ["17x", *f[1:]],
    "bad_ip": lambda f: [f[0], "10.0.0.256", *f[2:]],
    "bad_port": lambda f: [*f[:4], "70000", *f[5:]],
    "bad_protocol": lambda f: [*f[:5], "Q" if not f[5].isdigit() else "300", *f[6:]],
    "unknown_direction": lambda f: [*f[:6], "X", *f[7:]],
    "unknown_decision": lambda f: [*f[:7], "Z", *f[8:]],
    "unknown_state": lambda f: [*f[:8], "Q", *f[9:]],
    "unknown_encryption": lambda f: [*f[:8], "nx", *f[9:]],
    "bad_counter": lambda f: [*f[:10], "-5", *f[11:]],
}
FORMAT_BREAKS = {
    "nsg1": ["bad_field_count", "bad_time", "bad_ip", "bad_port", "bad_protocol",
             "unknown_direction", "unknown_decision", "not_a_string"],
    "nsg2": ["bad_field_count", "bad_time", "bad_ip", "bad_port", "bad_protocol",
             "unknown_direction", "unknown_decision", "unknown_state", "bad_counter", "not_a_string"],
    "vnet": ["bad_field_count", "bad_time", "bad_ip", "bad_port", "bad_protocol",
             "unknown_direction", "unknown_state", "unknown_encryption", "bad_counter",
             "not_a_string"],
}
# VNet: position 8 is the state (unknown_decision does not exist), 9 the encryption
_VNET_SHIFT = {"unknown_state": lambda f: [*f[:7], "Q", *f[8:]],
               "unknown_encryption": lambda f: [*f[:8], "nx", *f[9:]]}


@dataclass
class Truth:
    files: int = 0
    files_malformed: Counter[str] = field(default_factory=Counter)
    records_malformed: Counter[str] = field(default_factory=Counter)
    tuples_total: int = 0
    tuples_malformed: Counter[str] = field(default_factory=Counter)
    tuples_parsed: int = 0
    allowed: int = 0
    denied: int = 0
    bytes: int = 0
    flows: set[tuple[str, str, int, int, int]] = field(default_factory=set)
    talkers: Counter[str] = field(default_factory=Counter)           # src ip -> tuples
    talker_bytes: Counter[str] = field(default_factory=Counter)      # src ip -> bytes
    denied_flows: Counter[tuple[str, str, int, int]] = field(default_factory=Counter)
    internet: Counter[tuple[str, int, int]] = field(default_factory=Counter)  # (direction, proto, port)
    rule_hits: Counter[tuple[str, str]] = field(default_factory=Counter)      # (NSG id upper, rule)
    management: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    ipv6: int = 0                   # parsed IPv6 tuples


@dataclass(frozen=True)
class Host:
    ip: str
    mac: str
    nsg: str        # NSG name


@dataclass
class Spec:
    files: int = 6
    records_per_file: int = 3
    groups_per_record: int = 3
    tuples_per_group: int = 40
    formats: tuple[str, ...] = ("nsg2", "nsg1", "vnet")
    malformed: float = 0.0          # share of tuples broken (records and files: a tenth of it)
    gzip: bool = False
    seed: int = 1
    subnets: int = 3
    hosts_per_subnet: int = 4
    ipv6: float = 0.0               # share of IPv6 tuples (the reference parser's path)
    first_file: int = 0             # index of the first file: specs with disjoint ranges
                                    # write disjoint files (host and hour follow the index)


def hosts(spec: Spec) -> list[Host]:
    return [Host(f"10.0.{s}.{4 + h}", f"000D3A{s:02X}{h:04X}", f"NSG-SNET{s}")
            for s in range(spec.subnets) for h in range(spec.hosts_per_subnet)]


RULES_IN = ("UserRule_allow-https", "UserRule_allow-ssh-mgmt", "DefaultRule_AllowVnetInBound",
            "DefaultRule_DenyAllInBound")
RULES_OUT = ("UserRule_allow-sql-out", "DefaultRule_AllowInternetOutBound",
             "UserRule_deny-smtp-out")


def nsg_id(name: str) -> str:
    return (f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/{RG}/PROVIDERS/MICROSOFT.NETWORK/"
            f"NETWORKSECURITYGROUPS/{name}")


def _public(rng: random.Random) -> str:
    return f"{rng.choice((203, 198, 52))}.{rng.choice((0, 51, 96))}.{rng.choice((113, 100, 7))}.{rng.randrange(1, 255)}"


class _Writer:
    def __init__(self, spec: Spec, truth: Truth) -> None:
        self.spec, self.truth = spec, truth
        self.rng = random.Random(spec.seed)
        self.hosts = hosts(spec)

    # one flow: (src, dst, sport, dport, proto, direction, rule, allowed)
    def flow(self, host: Host) -> tuple[str, str, int, int, int, str, str, bool]:
        rng = self.rng
        sport = rng.randrange(1024, 65536)
        pick = rng.random()
        if pick < 0.35:
            return _public(rng), host.ip, sport, 443, 6, "I", "UserRule_allow-https", True
        if pick < 0.45:
            src = rng.choice(self.hosts).ip
            return src, host.ip, sport, 22, 6, "I", "UserRule_allow-ssh-mgmt", True
        if pick < 0.55:
            src = rng.choice(self.hosts).ip
            return src, host.ip, sport, rng.choice((8080, 53)), rng.choice((6, 17)), "I", \
                "DefaultRule_AllowVnetInBound", True
        if pick < 0.75:
            return _public(rng), host.ip, sport, rng.choice(MANAGEMENT + (445, 23)), 6, "I", \
                "DefaultRule_DenyAllInBound", False
        if pick < 0.85:
            return host.ip, rng.choice(self.hosts).ip, sport, 1433, 6, "O", "UserRule_allow-sql-out", True
        if pick < 0.95:
            return host.ip, _public(rng), sport, rng.choice((443, 80)), 6, "O", \
                "DefaultRule_AllowInternetOutBound", True
        return host.ip, _public(rng), sport, 25, 6, "O", "UserRule_deny-smtp-out", False

    def tuple_text(self, fmt: str, ts: int, flow: tuple[Any, ...]) -> tuple[str, int]:
        src, dst, sport, dport, proto, direction, _, allowed = flow
        rng = self.rng
        if fmt == "nsg1":
            fields = [str(ts), src, dst, str(sport), str(dport), "T" if proto == 6 else "U",
                      direction, "A" if allowed else "D"]
            return ",".join(fields), 0
        state = rng.choice("BCE") if allowed else ("B" if fmt == "nsg2" else "D")
        if state in "CE":
            counters = [rng.randrange(1, 50), rng.randrange(60, 90000), rng.randrange(1, 50),
                        rng.randrange(60, 90000)]
            texts = [str(c) for c in counters]
            volume = counters[1] + counters[3]
        else:
            texts = ["", "", "", ""] if fmt == "nsg2" else ["0", "0", "0", "0"]
            volume = 0
        if fmt == "nsg2":
            fields = [str(ts), src, dst, str(sport), str(dport), "T" if proto == 6 else "U",
                      direction, "A" if allowed else "D", state, *texts]
        else:
            fields = [str(ts * 1000 + rng.randrange(1000)), src, dst, str(sport), str(dport),
                      str(proto), direction, state, "NX", *texts]
        return ",".join(fields), volume

    def broken(self, fmt: str, text: str) -> tuple[Any, str]:
        reason = self.rng.choice(FORMAT_BREAKS[fmt])
        if reason == "not_a_string":
            return 12345, reason
        fields = text.split(",")
        breaker: Callable[[list[str]], list[str]] = TUPLE_BREAKS[reason]
        if fmt == "vnet":
            breaker = _VNET_SHIFT.get(reason, breaker)
        return ",".join(breaker(fields)), reason

    def account(self, flow: tuple[Any, ...], volume: int, nsg: str | None) -> None:
        truth = self.truth
        src, dst, sport, dport, proto, _, rule, allowed = flow
        truth.tuples_parsed += 1
        truth.allowed += allowed
        truth.denied += not allowed
        truth.bytes += volume
        truth.flows.add((src, dst, sport, dport, proto))
        truth.talkers[src] += 1
        truth.talker_bytes[src] += volume
        if not allowed:
            truth.denied_flows[(src, dst, proto, dport)] += 1
        if not src.startswith("10.") and ":" not in src:
            truth.internet[("inbound", proto, dport)] += 1
            if dport in MANAGEMENT:
                truth.management[(src, dst, dport)] += 1
        elif not dst.startswith("10.") and ":" not in dst:
            truth.internet[("outbound", proto, dport)] += 1
        if nsg is not None:
            truth.rule_hits[(nsg_id(nsg), rule)] += 1

    def record_groups(self, fmt: str, host: Host, hour: int) -> list[tuple[str, list[Any]]]:
        """The tuples of one record, one group per rule (in a fixed rule order)."""
        spec, rng, truth = self.spec, self.rng, self.truth
        buckets: dict[str, list[Any]] = {rule: [] for rule in (*RULES_IN, *RULES_OUT)}
        for _ in range(spec.groups_per_record * spec.tuples_per_group):
            flow = self.flow(host)
            if rng.random() < spec.ipv6:
                flow = (f"2001:db8::{rng.randrange(1, 4096):x}", "fd00::1", *flow[2:])
            ts = hour * 3600 + HOUR0 + rng.randrange(3600)
            text, volume = self.tuple_text(fmt, ts, flow)
            truth.tuples_total += 1
            if rng.random() < spec.malformed:
                bad, reason = self.broken(fmt, text)
                truth.tuples_malformed[reason] += 1
                buckets[flow[6]].append(bad)
                continue
            self.account(flow, volume, host.nsg if fmt != "vnet" else None)
            truth.ipv6 += ":" in flow[0]
            buckets[flow[6]].append(text)
        return [(rule, items) for rule, items in buckets.items() if items]


def generate(out: Path, spec: Spec | None = None) -> Truth:
    """Write the logs of ``spec`` below ``out``; return their ground truth."""
    spec = spec or Spec()
    truth = Truth()
    writer = _Writer(spec, truth)
    rng = writer.rng
    out = Path(out)
    for index in range(spec.first_file, spec.first_file + spec.files):
        fmt = spec.formats[index % len(spec.formats)]
        host = writer.hosts[index % len(writer.hosts)]
        hour = index // len(writer.hosts)
        path = _path(out, fmt, host, hour)
        path.parent.mkdir(parents=True, exist_ok=True)
        truth.files += 1
        if spec.malformed and rng.random() < spec.malformed / 10:
            path.write_bytes(b"this is not json {")
            truth.files_malformed["not_json"] += 1
            continue
        records = []
        for r in range(spec.records_per_file):
            if spec.malformed and rng.random() < spec.malformed / 10:
                records.append({"time": "2024-01-01T00:00:00Z", "properties": {"Version": 2}})
                truth.records_malformed["record_without_flows"] += 1
                continue
            records.append(_record(writer, fmt, host, hour, r))
        text = json.dumps({"records": records}).encode()
        path.write_bytes(gzip_module.compress(text, 1) if spec.gzip else text)
    return truth


def _record(writer: _Writer, fmt: str, host: Host, hour: int, index: int) -> dict[str, Any]:
    stamp = f"2024-01-{1 + hour // 24:02d}T{hour % 24:02d}:{index:02d}:00.0000000Z"
    groups = writer.record_groups(fmt, host, hour)
    if fmt == "vnet":
        return {"time": stamp, "flowLogVersion": 4, "macAddress": host.mac,
                "category": "FlowLogFlowEvent",
                "flowLogResourceID": f"/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/NETWORKWATCHERRG/"
                                     f"PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/VNETFL",
                "targetResourceID": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
                                    f"Microsoft.Network/virtualNetworks/vnet-flows",
                "flowRecords": {"flows": [{"aclID": "00000000-0000-0000-0000-000000000001",
                                           "flowGroups": [{"rule": rule, "flowTuples": tuples}
                                                          for rule, tuples in groups]}]}}
    return {"time": stamp, "systemId": "00000000-0000-0000-0000-000000000002",
            "category": "NetworkSecurityGroupFlowEvent", "resourceId": nsg_id(host.nsg),
            "operationName": "NetworkSecurityGroupFlowEvents",
            "properties": {"Version": 1 if fmt == "nsg1" else 2,
                           "flows": [{"rule": rule, "flows": [{"mac": host.mac, "flowTuples": tuples}]}
                                     for rule, tuples in groups]}}


def _path(out: Path, fmt: str, host: Host, hour: int) -> Path:
    day, h = 1 + hour // 24, hour % 24
    stamp = f"y=2024/m=01/d={day:02d}/h={h:02d}/m=00/macAddress={host.mac}/PT1H.json"
    if fmt == "vnet":
        return out / "insights-logs-flowlogflowevent" / "flowLogResourceID=" / \
            f"SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/" \
            "NETWORKWATCHERS/NW/FLOWLOGS/VNETFL" / stamp
    return out / "insights-logs-networksecuritygroupflowevent" / "resourceId=" / \
        nsg_id(host.nsg).strip("/") / stamp


def estate_resources(spec: Spec | None = None) -> list[dict[str, Any]]:
    """An Azure resource export (``az ... -o json`` shape) that the logs of ``spec`` belong
    to: one VNet 10.0.0.0/16, subnet ``snet{s}`` 10.0.s.0/24 with NSG ``NSG-SNET{s}``, one NIC
    per host. Every NSG allows https from anywhere, SSH from the VNet, SQL outbound, RDP
    from an admin range the generated traffic never comes from (an unused rule), and denies
    SMTP outbound; the rules the logs name are the rules this estate decides them by."""
    spec = spec or Spec()
    base = f"/subscriptions/{SUB.lower()}/resourceGroups/{RG.lower()}/providers/Microsoft.Network"
    vnet_id = f"{base}/virtualNetworks/vnet-flows"

    def rule(name: str, priority: int, direction: str, source: str, port: str,
             access: str = "Allow") -> dict[str, Any]:
        return {"name": name, "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port,
            "sourceAddressPrefix": source, "destinationAddressPrefix": "*",
            "access": access, "priority": priority, "direction": direction}}

    resources: list[dict[str, Any]] = []
    subnets = []
    for s in range(spec.subnets):
        nsg = f"NSG-SNET{s}"
        resources.append({"id": f"{base}/networkSecurityGroups/{nsg}", "name": nsg,
                          "type": "Microsoft.Network/networkSecurityGroups", "location": "westeurope",
                          "properties": {"securityRules": [
                              rule("allow-https", 100, "Inbound", "*", "443"),
                              rule("allow-ssh-mgmt", 110, "Inbound", "VirtualNetwork", "22"),
                              rule("allow-rdp", 120, "Inbound", "192.168.100.0/24", "3389"),
                              rule("allow-sql-out", 100, "Outbound", "*", "1433"),
                              rule("deny-smtp-out", 200, "Outbound", "*", "25", "Deny")]}})
        subnets.append({"name": f"snet{s}", "id": f"{vnet_id}/subnets/snet{s}", "properties": {
            "addressPrefix": f"10.0.{s}.0/24",
            "networkSecurityGroup": {"id": f"{base}/networkSecurityGroups/{nsg}"}}})
    resources.append({"id": vnet_id, "name": "vnet-flows", "type": "Microsoft.Network/virtualNetworks",
                      "location": "westeurope",
                      "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                                     "subnets": subnets}})
    for host in hosts(spec):
        s = int(host.ip.split(".")[2])
        name = f"nic-{host.ip.replace('.', '-')}"
        resources.append({"id": f"{base}/networkInterfaces/{name}", "name": name,
                          "type": "Microsoft.Network/networkInterfaces", "location": "westeurope",
                          "properties": {"macAddress": host.mac, "ipConfigurations": [{
                              "name": "ipconfig1", "id": f"{base}/networkInterfaces/{name}/ipConfigurations/ipconfig1",
                              "properties": {"privateIPAddress": host.ip, "privateIPAllocationMethod": "Static",
                                             "subnet": {"id": f"{vnet_id}/subnets/snet{s}"}}}]}})
    return resources


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--records", type=int, default=3)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--tuples", type=int, default=40, help="tuples per group")
    parser.add_argument("--malformed", type=float, default=0.0)
    parser.add_argument("--gzip", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--estate", type=Path, help="also write the matching estate here")
    args = parser.parse_args(argv)
    truth = generate(args.out, Spec(files=args.files, records_per_file=args.records,
                                    groups_per_record=args.groups, tuples_per_group=args.tuples,
                                    malformed=args.malformed, gzip=args.gzip, seed=args.seed))
    if args.estate:
        args.estate.write_text(json.dumps(estate_resources(Spec(seed=args.seed)), indent=1))
    print(json.dumps({"files": truth.files, "tuples_total": truth.tuples_total,
                      "tuples_parsed": truth.tuples_parsed, "allowed": truth.allowed,
                      "denied": truth.denied, "bytes": truth.bytes,
                      "malformed": {**truth.files_malformed, **truth.records_malformed,
                                    **truth.tuples_malformed}}, indent=2))


if __name__ == "__main__":
    main()
