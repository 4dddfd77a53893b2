"""Each point of the NetworkPolicy semantics (kubernetes.io "Network Policies" and the
networking.k8s.io/v1 API reference), one test each, traced on concrete packets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netwarden.engine import Packet
from tests.k8s.kube import address, can, deployment, engine_of, namespace, policy, write

BASE = [
    namespace("a", team="a"),
    namespace("b", team="b"),
    deployment("a", "x", {"app": "x", "tier": "front"}, [(8080, "TCP", "http"), (53, "UDP", "dns")]),
    deployment("a", "y", {"app": "y"}, [(9090, "TCP", "http"), (53, "TCP", "dns")]),
    deployment("a", "z", {"app": "z", "env": "prod"}, [80]),
    deployment("b", "x", {"app": "x"}, [(8080, "TCP", "http")]),
    deployment("b", "w", {"app": "w", "env": "dev"}, [80]),
]


def engine(tmp_path: Path, *policies: dict[str, Any]):  # type: ignore[no-untyped-def]
    return engine_of(write(tmp_path, *BASE, *policies))


def deny_all(ns: str) -> dict[str, Any]:
    return policy(ns, "deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_isolation_is_per_direction(tmp_path: Path) -> None:
    egress_only = policy("a", "eg", {"podSelector": {"matchLabels": {"app": "x"}},
                                     "policyTypes": ["Egress"], "egress": []})
    e = engine(tmp_path, egress_only)
    assert not can(e, "a/x", "a/y", port=9090)         # x isolated for egress ...
    assert can(e, "a/y", "a/x", port=8080)             # ... but not for ingress


@pytest.mark.parametrize(("spec", "ingress_isolated", "egress_isolated"), [
    ({"ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "y"}}}]}]}, True, False),
    ({"egress": [{"to": [{"podSelector": {"matchLabels": {"app": "y"}}}]}]}, True, True),
    ({"egress": []}, True, False),       # no egress rules: Egress is not defaulted in
    ({"policyTypes": [], "egress": [{"ports": [{"port": 1}]}]}, True, True),  # [] defaults too
    ({}, True, False),                   # every policy affects ingress
])
def test_policy_types_default(tmp_path: Path, spec: dict[str, Any], ingress_isolated: bool,
                              egress_isolated: bool) -> None:
    e = engine(tmp_path, policy("a", "p", {"podSelector": {"matchLabels": {"app": "x"}}, **spec}))
    assert can(e, "b/w", "a/x", port=8080) is not ingress_isolated
    assert can(e, "a/x", "b/w", port=80) is not egress_isolated


def test_policies_add_up(tmp_path: Path) -> None:
    one = policy("a", "one", {"podSelector": {"matchLabels": {"app": "x"}},
                              "ingress": [{"ports": [{"port": 8080}]}]})
    two = policy("a", "two", {"podSelector": {"matchLabels": {"tier": "front"}},
                              "ingress": [{"ports": [{"port": 8443}]}]})
    e = engine(tmp_path, one, two)
    assert can(e, "b/w", "a/x", port=8080) and can(e, "b/w", "a/x", port=8443)
    assert not can(e, "b/w", "a/x", port=22)


def test_both_ends_must_allow(tmp_path: Path) -> None:
    out_ok = policy("a", "x-out", {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Egress"],
                                   "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "z"}}}]}]})
    in_closed = policy("a", "z-in", {"podSelector": {"matchLabels": {"app": "z"}}, "policyTypes": ["Ingress"]})
    e = engine(tmp_path, out_ok, in_closed)
    assert not can(e, "a/x", "a/z")                   # egress allows, ingress does not
    in_ok = policy("a", "z-in", {"podSelector": {"matchLabels": {"app": "z"}},
                                 "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "y"}}}]}]})
    e = engine(tmp_path, out_ok, in_ok)
    assert not can(e, "a/x", "a/z")                   # egress allows z, ingress only y
    assert can(e, "a/y", "a/z")
    x_closed = policy("a", "x-out", {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Egress"]})
    e = engine(tmp_path, x_closed, in_ok)
    assert not can(e, "a/x", "a/z")                   # ingress would not allow x anyway
    assert can(e, "a/y", "a/z")


def test_empty_pod_selector_is_every_pod_of_the_namespace(tmp_path: Path) -> None:
    e = engine(tmp_path, policy("a", "deny", {"podSelector": {}}))
    assert not can(e, "b/w", "a/x", port=8080) and not can(e, "b/w", "a/z")
    assert can(e, "a/x", "b/w")                        # namespace b is not selected
    allow_ns = policy("a", "same-ns", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})
    e = engine(tmp_path, allow_ns)
    assert can(e, "a/y", "a/x", port=8080)             # from: podSelector {} = this namespace ...
    assert not can(e, "b/x", "a/x", port=8080)         # ... only


def test_namespace_selector_alone_and_empty(tmp_path: Path) -> None:
    team_b = policy("a", "from-b", {"podSelector": {"matchLabels": {"app": "z"}},
                                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]})
    e = engine(tmp_path, team_b)
    assert can(e, "b/w", "a/z") and can(e, "b/x", "a/z")
    assert not can(e, "a/x", "a/z")                    # its own namespace is not team b
    anywhere = policy("a", "from-all", {"podSelector": {"matchLabels": {"app": "z"}},
                                        "ingress": [{"from": [{"namespaceSelector": {}}]}]})
    e = engine(tmp_path, anywhere)
    assert can(e, "b/w", "a/z") and can(e, "a/x", "a/z")
    assert not can(e, "203.0.113.5", "a/z")            # every pod, not every address


@pytest.mark.parametrize(("expression", "sources"), [
    ({"key": "app", "operator": "In", "values": ["x", "y"]}, {"a/x", "a/y"}),
    ({"key": "env", "operator": "NotIn", "values": ["prod"]}, {"a/x", "a/y"}),   # no env: NotIn
    ({"key": "env", "operator": "Exists"}, {"a/z"}),
    ({"key": "env", "operator": "DoesNotExist"}, {"a/x", "a/y"}),
])
def test_match_expressions(tmp_path: Path, expression: dict[str, Any], sources: set[str]) -> None:
    target = deployment("a", "t", {"app": "t"}, [80])
    rule = policy("a", "expr", {"podSelector": {"matchLabels": {"app": "t"}},
                                "ingress": [{"from": [{"podSelector": {"matchExpressions": [expression]}}]}]})
    e = engine_of(write(tmp_path, *BASE, target, rule))
    assert {s for s in ("a/x", "a/y", "a/z") if can(e, s, "a/t")} == sources


def test_match_labels_and_expressions_together(tmp_path: Path) -> None:
    rule = policy("a", "both", {"podSelector": {"matchLabels": {"app": "z"}},
                                "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {
                                    "matchLabels": {"app": "w"},
                                    "matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]}}]}]})
    e = engine(tmp_path, rule)
    assert can(e, "b/w", "a/z")
    assert not can(e, "b/x", "a/z")


def test_ip_block_with_except_includes_pod_addresses(tmp_path: Path) -> None:
    rule = policy("a", "block", {"podSelector": {"matchLabels": {"app": "z"}},
                                 "ingress": [{"from": [{"ipBlock": {"cidr": "10.244.0.0/16",
                                                                    }}]}]})
    e = engine(tmp_path, rule)
    assert can(e, "b/w", "a/z")                       # pod addresses are addresses
    assert not can(e, "203.0.113.9", "a/z")
    narrow = policy("a", "block", {"podSelector": {"matchLabels": {"app": "z"}},
                                   "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                                      "except": ["10.0.0.0/8"]}}]}]})
    e = engine(tmp_path, narrow)
    assert can(e, "203.0.113.9", "a/z")
    assert not can(e, "b/w", "a/z")


def test_named_port_is_resolved_at_each_destination_pod(tmp_path: Path) -> None:
    rule = policy("a", "http", {"podSelector": {"matchExpressions": [
        {"key": "app", "operator": "In", "values": ["x", "y"]}]},
        "ingress": [{"ports": [{"port": "http"}]}]})
    e = engine(tmp_path, rule)
    assert can(e, "b/w", "a/x", port=8080) and not can(e, "b/w", "a/x", port=9090)
    assert can(e, "b/w", "a/y", port=9090) and not can(e, "b/w", "a/y", port=8080)


def test_named_port_needs_the_same_protocol(tmp_path: Path) -> None:
    rule = policy("a", "dns", {"podSelector": {"matchLabels": {"app": "x"}},
                               "ingress": [{"ports": [{"port": "dns", "protocol": "TCP"}]}]})
    e = engine(tmp_path, rule)
    assert not can(e, "b/w", "a/x", "tcp", 53)         # x's "dns" is UDP
    assert not can(e, "b/w", "a/x", "udp", 53)


def test_named_port_in_egress_is_the_destination_pods(tmp_path: Path) -> None:
    rule = policy("b", "to-http", {"podSelector": {"matchLabels": {"app": "w"}}, "policyTypes": ["Egress"],
                                   "egress": [{"ports": [{"port": "http"}]}]})
    e = engine(tmp_path, rule)
    assert can(e, "b/w", "a/x", port=8080) and can(e, "b/w", "a/y", port=9090)
    assert not can(e, "b/w", "a/y", port=8080)
    assert not can(e, "b/w", "203.0.113.9", port=8080)  # an address outside declares no port


@pytest.mark.parametrize(("ports", "checks"), [
    ([{"port": 53}], [("tcp", 53, True), ("udp", 53, False)]),                 # TCP by default
    ([{"port": 53, "protocol": "UDP"}], [("udp", 53, True), ("tcp", 53, False)]),
    ([{"port": 3868, "protocol": "SCTP"}], [("sctp", 3868, True), ("tcp", 3868, False)]),
    ([{"protocol": "UDP"}], [("udp", 1, True), ("udp", 65535, True), ("tcp", 1, False)]),
    ([], [("tcp", 1, True), ("udp", 9, True), ("icmp", 0, True)]),            # ports: [] = all
])
def test_ports_and_protocols(tmp_path: Path, ports: list[dict[str, Any]],
                             checks: list[tuple[str, int, bool]]) -> None:
    rule = policy("a", "p", {"podSelector": {"matchLabels": {"app": "z"}}, "ingress": [{"ports": ports}]})
    e = engine(tmp_path, rule)
    for protocol, port, expected in checks:
        assert can(e, "b/w", "a/z", protocol, port) is expected, (protocol, port)


def test_a_rule_with_ports_admits_no_icmp(tmp_path: Path) -> None:
    rule = policy("a", "p", {"podSelector": {"matchLabels": {"app": "z"}},
                             "ingress": [{"ports": [{"port": 80}]}]})
    e = engine(tmp_path, rule)
    assert not can(e, "b/w", "a/z", "icmp")


@pytest.mark.parametrize("rule", [
    {"from": []},                       # API: "If this field is empty or missing, this rule
    {},                                 #  matches all sources" (same for ports)
    {"from": [], "ports": []},
])
def test_empty_and_absent_peers_and_ports_match_everything(tmp_path: Path, rule: dict[str, Any]) -> None:
    e = engine(tmp_path, policy("a", "p", {"podSelector": {"matchLabels": {"app": "z"}}, "ingress": [rule]}))
    assert can(e, "b/w", "a/z", port=1) and can(e, "203.0.113.1", "a/z", "udp", 7)


@pytest.mark.parametrize("spec", [{"ingress": []}, {}, {"policyTypes": ["Ingress"]}])
def test_no_rules_allow_nothing(tmp_path: Path, spec: dict[str, Any]) -> None:
    e = engine(tmp_path, policy("a", "p", {"podSelector": {"matchLabels": {"app": "z"}}, **spec}))
    assert not can(e, "a/x", "a/z") and not can(e, "203.0.113.1", "a/z")


def test_empty_egress_to_is_everything(tmp_path: Path) -> None:
    e = engine(tmp_path, policy("a", "p", {"podSelector": {"matchLabels": {"app": "z"}},
                                           "policyTypes": ["Egress"],
                                           "egress": [{"to": [], "ports": [{"port": 443}]}]}))
    assert can(e, "a/z", "203.0.113.1", port=443) and can(e, "a/z", "b/w", port=443)
    assert not can(e, "a/z", "b/w", port=80)


def test_reach_and_trace_agree(tmp_path: Path) -> None:
    e = engine(tmp_path, deny_all("a"), policy("a", "x-to-y", {
        "podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "y"}}}], "ports": [{"port": "http"}]}]}),
        policy("a", "y-from-x", {"podSelector": {"matchLabels": {"app": "y"}}, "ingress": [
            {"from": [{"podSelector": {"matchLabels": {"app": "x"}}}]}]}))
    result = e.reach(e.endpoint("a/x"), e.endpoint("a/y"))
    assert result.verdict == "partial"
    assert {str(b) for b in result.allowed.boxes()} == {
        f"src {_ip(address(e, 'a/x'))} · dst {_ip(address(e, 'a/y'))} · tcp · dport 9090"}
    hops = [h.kind for h in result.arrived[0].hops]
    assert hops == ["k8s-egress", "k8s-network", "k8s-ingress", "deliver"]
    assert result.arrived[0].hops[0].rule == "a/x-to-y"
    assert result.arrived[0].hops[2].rule == "a/y-from-x"
    blocked = e.trace(Packet(address(e, "a/x"), address(e, "a/y"), 6, 40000, 9091))
    assert blocked.verdict == "denied" and blocked.hops[-1].kind == "k8s-egress"
    assert "a/deny-all" in blocked.hops[-1].detail and "a/x-to-y" in blocked.hops[-1].detail


def _ip(value: int) -> str:
    import ipaddress

    return str(ipaddress.IPv4Address(value))
