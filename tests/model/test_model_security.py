"""NSG evaluation order: user rules by priority, then Azure's default rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden.model import (
    ANY_ADDRESS,
    Access,
    Direction,
    NetworkSecurityGroup,
    Protocol,
    SecurityRule,
    ServiceTag,
    default_rules,
)

NSG_ID = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/nsg"
IN, OUT = Direction.INBOUND, Direction.OUTBOUND


def rule(name: str, priority: int, direction: Direction = IN) -> SecurityRule:
    return SecurityRule(id=f"{NSG_ID}/securityRules/{name}", name=name,
                        type="Microsoft.Network/networkSecurityGroups/securityRules",
                        nsg_id=NSG_ID, priority=priority, direction=direction,
                        access=Access.DENY, protocol=Protocol.TCP)


NSG = NetworkSecurityGroup(
    id=NSG_ID, name="nsg", type="Microsoft.Network/networkSecurityGroups",
    rules=(rule("c", 300), rule("out-b", 200, OUT), rule("a", 100), rule("b", 4096),
           rule("out-a", 150, OUT)),
)

DEFAULTS = {
    IN: [("AllowVnetInBound", 65000, Access.ALLOW, ServiceTag("VirtualNetwork"),
          ServiceTag("VirtualNetwork")),
         ("AllowAzureLoadBalancerInBound", 65001, Access.ALLOW, ServiceTag("AzureLoadBalancer"),
          ANY_ADDRESS),
         ("DenyAllInBound", 65500, Access.DENY, ANY_ADDRESS, ANY_ADDRESS)],
    OUT: [("AllowVnetOutBound", 65000, Access.ALLOW, ServiceTag("VirtualNetwork"),
           ServiceTag("VirtualNetwork")),
          ("AllowInternetOutBound", 65001, Access.ALLOW, ANY_ADDRESS, ServiceTag("Internet")),
          ("DenyAllOutBound", 65500, Access.DENY, ANY_ADDRESS, ANY_ADDRESS)],
}


@pytest.mark.parametrize("direction, user_rules",
                         [(IN, ["a", "c", "b"]), (OUT, ["out-a", "out-b"])],
                         ids=["inbound", "outbound"])
def test_effective_rules_order(direction: Direction, user_rules: list[str]) -> None:
    effective = NSG.effective_rules(direction)
    expected = [*user_rules, *(name for name, *_ in DEFAULTS[direction])]
    assert [r.name for r in effective] == expected
    assert [r.priority for r in effective] == sorted(r.priority for r in effective)
    assert all(r.direction is direction for r in effective)
    assert [r.is_default for r in effective] == [False] * len(user_rules) + [True] * 3


@pytest.mark.parametrize("direction", [IN, OUT], ids=["inbound", "outbound"])
def test_default_rules_are_azures(direction: Direction) -> None:
    rules = default_rules(NSG_ID, direction)
    assert [(r.name, r.priority, r.access, r.sources, r.destinations) for r in rules] == [
        (name, priority, access, (source,), (destination,))
        for name, priority, access, source, destination in DEFAULTS[direction]]
    for r in rules:
        assert r.protocol is Protocol.ANY and r.source_ports[0].is_any
        assert r.destination_ports[0].is_any
        assert r.id == f"{NSG_ID}/defaultSecurityRules/{r.name}" and r.nsg_id == NSG_ID


def test_an_nsg_without_rules_still_has_the_defaults() -> None:
    empty = NetworkSecurityGroup(id=NSG_ID, name="nsg",
                                 type="Microsoft.Network/networkSecurityGroups")
    assert [r.name for r in empty.effective_rules(IN)] == [name for name, *_ in DEFAULTS[IN]]


def test_defaults_match_the_official_sample(corpus_live: Path) -> None:
    """The six defaultSecurityRules Azure itself returns (REST example NetworkSecurityGroupGet)."""
    sample = json.loads((corpus_live / "NetworkSecurityGroupGet.json").read_text())
    official = {(d["name"], d["properties"]["priority"], d["properties"]["access"],
                 d["properties"]["direction"], d["properties"]["sourceAddressPrefix"],
                 d["properties"]["destinationAddressPrefix"], d["properties"]["protocol"])
                for d in sample["properties"]["defaultSecurityRules"]}
    ours = {(r.name, r.priority, r.access.value, r.direction.value, str(r.sources[0]),
             str(r.destinations[0]), "*" if r.protocol is Protocol.ANY else str(r.protocol))
            for direction in (IN, OUT) for r in default_rules(NSG_ID, direction)}
    assert ours == official
