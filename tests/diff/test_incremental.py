"""The incremental diff equals a full recomputation: for changes to NSGs alone (walking
only the packets they decide differently) and for other changes (the pairs of the subnets
they touch), on random estates and on every rule of the Contoso example."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netwarden.diff.reach import DiffResult, diff
from netwarden.engine import PacketSpace
from netwarden.ingest import load_estate
from netwarden.model import (
    ANY_ADDRESS,
    ANY_PORT,
    Access,
    Direction,
    Estate,
    NetworkSecurityGroup,
    Protocol,
    RouteTable,
    SecurityRule,
)
from netwarden.model.network import Subnet
from tests.engine.estates import Builder, estates, rule

ROOT = Path(__file__).resolve().parents[2]

SPACE = PacketSpace()


def facts(result: DiffResult) -> list[tuple]:
    return [(c.kind, c.source, c.destination, c.packets, c.path, c.cause, c.blocked_at)
            for c in result.changes]


def assert_same_as_full(before: Estate, after: Estate) -> DiffResult:
    fast = diff(before, after, SPACE)
    full = diff(before, after, SPACE, incremental=False)
    assert facts(fast) == facts(full), [(c.kind, c.source, c.destination, str(c.packets))
                                        for c in (*fast.changes, *full.changes)][:6]
    assert fast.pairs_total == full.pairs_total == full.pairs_recomputed
    return fast


def replaced(estate: Estate, old, new) -> Estate:  # type: ignore[no-untyped-def]
    """The estate with one top-level resource replaced (``new`` None: removed)."""
    return Estate([new if r is old else r for r in estate if not (r is old and new is None)])


def mutate_rules(nsg: NetworkSecurityGroup, how: str, index: int) -> NetworkSecurityGroup | None:
    rules = list(nsg.rules)
    if how == "drop-nsg":
        return None
    if not rules:
        how = "add"
    rule = rules[index % len(rules)] if rules else None
    if how == "remove":
        rules.remove(rule)
    elif how == "flip":
        rules[rules.index(rule)] = dataclasses.replace(
            rule, access=Access.DENY if rule.access is Access.ALLOW else Access.ALLOW)
    elif how == "turn":
        rules[rules.index(rule)] = dataclasses.replace(
            rule, direction=Direction.OUTBOUND if rule.direction is Direction.INBOUND else Direction.INBOUND)
    elif how == "add":
        rules.append(SecurityRule(
            id=f"{nsg.id}/securityRules/added", name="added",
            type="Microsoft.Network/networkSecurityGroups/securityRules", nsg_id=nsg.id,
            priority=99 + index % 3, direction=Direction.INBOUND if index % 2 else Direction.OUTBOUND,
            access=Access.ALLOW if index % 4 < 2 else Access.DENY, protocol=Protocol.TCP,
            sources=(ANY_ADDRESS,), destinations=(ANY_ADDRESS,), source_ports=(ANY_PORT,),
            destination_ports=(ANY_PORT,)))
    return dataclasses.replace(nsg, rules=tuple(rules))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(max_vnets=3, max_rules=6),
       st.sampled_from(["remove", "flip", "turn", "add", "add", "drop-nsg"]),
       st.integers(0, 50), st.integers(0, 50))
def test_an_nsg_change_diffs_as_a_full_recomputation(drawn, how, which, index) -> None:  # type: ignore[no-untyped-def]
    estate, _ = drawn
    nsgs = estate.nsgs
    if not nsgs:
        return
    nsg = nsgs[which % len(nsgs)]
    assert_same_as_full(estate, replaced(estate, nsg, mutate_rules(nsg, how, index)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(max_vnets=3, max_rules=6), st.sampled_from(["subnet-nsg", "nic-nsg", "route-table"]),
       st.integers(0, 50), st.integers(0, 50))
def test_other_changes_diff_as_a_full_recomputation(drawn, how, which, index) -> None:  # type: ignore[no-untyped-def]
    """Re-attachments (an NSG or route table moved to another subnet or NIC) take the
    affected-pairs path; an NVA's or a gateway's subnet makes them global."""
    estate, _ = drawn
    nsg_ids = [None, *(n.id for n in estate.nsgs)]
    if how == "nic-nsg":
        nic = estate.nics[which % len(estate.nics)]
        after = replaced(estate, nic, dataclasses.replace(nic, nsg_id=nsg_ids[index % len(nsg_ids)]))
    else:
        subnet = estate.subnets[which % len(estate.subnets)]
        if how == "subnet-nsg":
            changed = dataclasses.replace(subnet, nsg_id=nsg_ids[index % len(nsg_ids)])
        else:
            tables = [None, *(t.id for t in estate.of(RouteTable))]
            changed = dataclasses.replace(subnet, route_table_id=tables[index % len(tables)])
        after = replaced(estate, subnet, changed)
    assert_same_as_full(estate, after)


CONTOSO = load_estate([ROOT / "examples" / "contoso"])


@pytest.mark.parametrize("how", ["remove", "flip"])
@pytest.mark.parametrize("nsg_name", [n.name for n in CONTOSO.nsgs])
def test_every_contoso_rule_changed_diffs_as_a_full_recomputation(nsg_name: str, how: str) -> None:
    """Contoso has what random estates lack: a firewall with DNAT, an application gateway,
    Bastion, a VPN gateway to on-premises, private endpoints."""
    nsg = next(n for n in CONTOSO.nsgs if n.name == nsg_name)
    walked = 0
    for index in range(len(nsg.rules)):
        result = assert_same_as_full(CONTOSO, replaced(CONTOSO, nsg, mutate_rules(nsg, how, index)))
        walked += result.pairs_recomputed
        assert result.pairs_recomputed < result.pairs_total
    assert walked < len(nsg.rules) * result.pairs_total


def test_a_change_to_nsgs_and_a_route_table_together_takes_the_pairs_path() -> None:
    nsg = next(n for n in CONTOSO.nsgs if n.name == "nsg-app")
    subnet = next(s for s in CONTOSO.subnets if s.nsg_id and s.nsg_id.lower() == nsg.id.lower())
    after = replaced(CONTOSO, nsg, mutate_rules(nsg, "remove", 0))
    after = replaced(after, next(s for s in after.subnets if s.id == subnet.id),
                     dataclasses.replace(subnet, route_table_id=None))
    assert_same_as_full(CONTOSO, after)


def test_an_nsg_only_on_an_appliance_subnet_changes_transit() -> None:
    """An NVA's subnet NSG decides traffic between two other subnets: the NSG path finds
    it (Δ is about packets, not places), and so does the pairs path (a transit subnet
    makes the change global)."""
    b = Builder()
    b.vnet("hub", "10.0.0.0/16")
    b.vnet("spoke", "10.1.0.0/16")
    b.peer("hub", "spoke", forwarded=True)
    nva_nsg = b.nsg("nsg-nva", rule("allow-22", 100, "in", "allow", "tcp", dst_ports=22))
    table = b.route_table("rt", ("to-spoke", "10.1.0.0/16", "VirtualAppliance", "10.0.1.4"),
                          ("to-hub", "10.0.2.0/24", "VirtualAppliance", "10.0.1.4"))
    nva_subnet = b.subnet("hub", "snet-nva", "10.0.1.0/24", nsg=nva_nsg)
    hub = b.subnet("hub", "snet-a", "10.0.2.0/24", route_table=table)
    spoke = b.subnet("spoke", "snet-b", "10.1.1.0/24", route_table=table)
    b.nic(nva_subnet, "nic-nva", "10.0.1.4", ip_forwarding=True)
    b.nic(hub, "nic-a", "10.0.2.4")
    b.nic(spoke, "nic-b", "10.1.1.4")
    before = b.build()
    b.add_rules("nsg-nva", rule("deny-22", 90, "in", "deny", "tcp", dst_ports=22))
    after = b.build()
    result = assert_same_as_full(before, after)
    assert {(c.kind, c.source, c.destination) for c in result.changes} >= {
        ("newly-denied", "snet-a", "snet-b")}
    moved = Estate([dataclasses.replace(r, nsg_id=None) if isinstance(r, Subnet) and r.name == "snet-nva"
                    else r for r in after])
    result = assert_same_as_full(after, moved)   # an association changed: the pairs path
    assert {(c.kind, c.source, c.destination) for c in result.changes} >= {
        ("newly-allowed", "snet-a", "snet-b")}
