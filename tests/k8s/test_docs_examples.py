"""The examples of the Kubernetes documentation's "Network Policies" page
(kubernetes.io/docs/concepts/services-networking/network-policies/), each as a named case,
on a small standalone cluster (pod addresses from 10.244.0.0/16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.k8s.kube import can, deployment, engine_of, namespace, policy, write

# The pods every example is judged on: a "db" and a "frontend" in the default namespace, a
# client in a namespace of project "myproject", one in another namespace, and helpers.
POPULATION = [
    namespace("default"),
    namespace("myproject", project="myproject"),
    namespace("other", project="other"),
    namespace("alice", user="alice"),
    deployment("default", "db", {"role": "db"}, [6379, 5978]),
    deployment("default", "frontend", {"role": "frontend"}, [80]),
    deployment("default", "client", {"role": "client"}, [80]),
    deployment("myproject", "worker", {"app": "worker"}, [80]),
    deployment("other", "frontend", {"role": "frontend"}, [80]),
    deployment("alice", "client", {"role": "client"}, [80]),
    deployment("alice", "server", {"role": "server"}, [80]),
]


def cluster(tmp_path: Path, *policies: dict) -> object:  # type: ignore[type-arg]
    return engine_of(write(tmp_path, *POPULATION, *policies))


# -- "Default policies" ------------------------------------------------------------------------

DEFAULT_DENY_INGRESS = policy("default", "default-deny-ingress",
                              {"podSelector": {}, "policyTypes": ["Ingress"]})
ALLOW_ALL_INGRESS = policy("default", "allow-all-ingress",
                           {"podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})
DEFAULT_DENY_EGRESS = policy("default", "default-deny-egress",
                             {"podSelector": {}, "policyTypes": ["Egress"]})
ALLOW_ALL_EGRESS = policy("default", "allow-all-egress",
                          {"podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})
DEFAULT_DENY_ALL = policy("default", "default-deny-all",
                          {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})


def test_no_policy_allows_everything(tmp_path: Path) -> None:
    engine = cluster(tmp_path)
    assert can(engine, "other/frontend", "default/db", port=1234)
    assert can(engine, "default/db", "8.8.8.8", "udp", 53)


def test_default_deny_ingress(tmp_path: Path) -> None:
    engine = cluster(tmp_path, DEFAULT_DENY_INGRESS)
    assert not can(engine, "default/frontend", "default/db", port=6379)
    assert not can(engine, "myproject/worker", "default/db", port=6379)
    assert not can(engine, "203.0.113.7", "default/db", port=6379)
    assert can(engine, "default/db", "myproject/worker")          # egress is not isolated
    assert can(engine, "default/db", "203.0.113.7", port=443)
    assert can(engine, "default/frontend", "other/frontend")      # another namespace: open


def test_allow_all_ingress(tmp_path: Path) -> None:
    engine = cluster(tmp_path, DEFAULT_DENY_INGRESS, ALLOW_ALL_INGRESS)
    assert can(engine, "other/frontend", "default/db", port=6379)
    assert can(engine, "203.0.113.7", "default/db", "udp", 9999)
    assert can(engine, "203.0.113.7", "default/db", "icmp")


def test_default_deny_egress(tmp_path: Path) -> None:
    engine = cluster(tmp_path, DEFAULT_DENY_EGRESS)
    assert not can(engine, "default/db", "myproject/worker")
    assert not can(engine, "default/frontend", "default/db", port=6379)   # even in-namespace
    assert not can(engine, "default/db", "8.8.8.8", "udp", 53)
    assert can(engine, "myproject/worker", "default/db", port=6379)      # ingress not isolated


def test_allow_all_egress(tmp_path: Path) -> None:
    engine = cluster(tmp_path, DEFAULT_DENY_EGRESS, ALLOW_ALL_EGRESS)
    assert can(engine, "default/db", "8.8.8.8", "udp", 53)
    assert can(engine, "default/frontend", "other/frontend", port=80)


def test_default_deny_all(tmp_path: Path) -> None:
    engine = cluster(tmp_path, DEFAULT_DENY_ALL)
    assert not can(engine, "default/frontend", "default/db", port=6379)
    assert not can(engine, "default/db", "8.8.8.8", "udp", 53)
    assert not can(engine, "other/frontend", "default/db", port=6379)
    assert can(engine, "other/frontend", "myproject/worker")          # other namespaces untouched


# -- "The NetworkPolicy resource": test-network-policy -------------------------------------------

TEST_NETWORK_POLICY = policy("default", "test-network-policy", {
    "podSelector": {"matchLabels": {"role": "db"}},
    "policyTypes": ["Ingress", "Egress"],
    "ingress": [{
        "from": [
            {"ipBlock": {"cidr": "172.17.0.0/16", "except": ["172.17.1.0/24"]}},
            {"namespaceSelector": {"matchLabels": {"project": "myproject"}}},
            {"podSelector": {"matchLabels": {"role": "frontend"}}},
        ],
        "ports": [{"protocol": "TCP", "port": 6379}],
    }],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 5978}]}],
})


@pytest.mark.parametrize(("source", "protocol", "port", "expected"), [
    ("default/frontend", "tcp", 6379, True),       # podSelector: role=frontend in "default"
    ("other/frontend", "tcp", 6379, False),        # ... only in the policy's namespace
    ("myproject/worker", "tcp", 6379, True),       # namespaceSelector: any pod of myproject
    ("default/client", "tcp", 6379, False),        # neither
    ("172.17.0.5", "tcp", 6379, True),             # ipBlock
    ("172.17.1.5", "tcp", 6379, False),            # ... except 172.17.1.0/24
    ("172.18.0.5", "tcp", 6379, False),            # outside the block
    ("default/frontend", "tcp", 6380, False),      # another port
    ("default/frontend", "udp", 6379, False),      # another protocol
])
def test_test_network_policy_ingress(tmp_path: Path, source: str, protocol: str, port: int,
                                     expected: bool) -> None:
    engine = cluster(tmp_path, TEST_NETWORK_POLICY)
    assert can(engine, source, "default/db", protocol, port) is expected


@pytest.mark.parametrize(("destination", "port", "expected"), [
    ("10.0.0.7", 5978, True),
    ("10.0.0.7", 5979, False),
    ("10.0.1.7", 5978, False),
    ("default/frontend", 5978, False),             # a pod is not in 10.0.0.0/24
    ("8.8.8.8", 443, False),
])
def test_test_network_policy_egress(tmp_path: Path, destination: str, port: int, expected: bool) -> None:
    engine = cluster(tmp_path, TEST_NETWORK_POLICY)
    assert can(engine, "default/db", destination, "tcp", port) is expected


def test_test_network_policy_leaves_other_pods_alone(tmp_path: Path) -> None:
    engine = cluster(tmp_path, TEST_NETWORK_POLICY)
    assert can(engine, "other/frontend", "default/frontend", port=12345)
    assert can(engine, "default/frontend", "8.8.8.8", "udp", 53)


# -- "Behavior of to and from selectors": AND vs OR ------------------------------------------

AND_POLICY = policy("alice", "and", {
    "podSelector": {"matchLabels": {"role": "server"}},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"user": "alice"}},
                           "podSelector": {"matchLabels": {"role": "client"}}}]}]})
OR_POLICY = policy("alice", "or", {
    "podSelector": {"matchLabels": {"role": "server"}},
    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"user": "alice"}}},
                          {"podSelector": {"matchLabels": {"role": "client"}}}]}]})


@pytest.mark.parametrize(("rule", "source", "expected"), [
    (AND_POLICY, "alice/client", True),       # client pod in an alice namespace
    (AND_POLICY, "default/client", False),    # a client, but not in an alice namespace
    (AND_POLICY, "alice/server", False),      # in an alice namespace, but not a client
    (OR_POLICY, "alice/client", True),
    (OR_POLICY, "alice/server", True),        # any pod in an alice namespace
    (OR_POLICY, "default/client", False),     # podSelector alone: clients of "alice" only
])
def test_and_versus_or(tmp_path: Path, rule: dict, source: str, expected: bool) -> None:  # type: ignore[type-arg]
    engine = cluster(tmp_path, rule)
    assert can(engine, source, "alice/server") is expected


# -- "Targeting a range of ports" (endPort) -----------------------------------------------------

END_PORT = policy("default", "multi-port-egress", {
    "podSelector": {"matchLabels": {"role": "db"}},
    "policyTypes": ["Egress"],
    "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 32000, "endPort": 32768}]}]})


@pytest.mark.parametrize(("port", "expected"), [(31999, False), (32000, True), (32500, True),
                                                (32768, True), (32769, False)])
def test_end_port(tmp_path: Path, port: int, expected: bool) -> None:
    engine = cluster(tmp_path, END_PORT)
    assert can(engine, "default/db", "10.0.0.9", "tcp", port) is expected
    assert not can(engine, "default/db", "10.0.0.9", "udp", 32000)


# -- "Targeting a Namespace by its name" --------------------------------------------------------

def test_namespace_by_its_name(tmp_path: Path) -> None:
    by_name = policy("default", "from-myproject", {
        "podSelector": {"matchLabels": {"role": "db"}},
        "ingress": [{"from": [{"namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": "myproject"}}}]}]})
    engine = cluster(tmp_path, by_name)
    assert can(engine, "myproject/worker", "default/db", port=6379)
    assert not can(engine, "other/frontend", "default/db", port=6379)
