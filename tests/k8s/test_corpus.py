"""The AKS baseline's ingress NetworkPolicy (shared/corpus/k8s, from mspnp/aks-baseline)
loads, and means what it says: only the Traefik ingress controller's pods (both labels, in
any namespace: ``namespaceSelector: {}``) reach the ASP.NET app, on every port; its egress
stays open (policyTypes left out: Ingress only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.ingest import load_estate
from netwarden.k8s.model import NetworkPolicy
from tests.conftest import CORPUS
from tests.k8s.kube import can, deployment, engine_of, namespace, write

POLICY = CORPUS / "k8s" / "aks-baseline-ingress-network-policy.yaml"
TRAEFIK = {"app.kubernetes.io/name": "traefik-ingress-ilb", "app.kubernetes.io/instance": "traefik-ingress-ilb"}


@pytest.fixture()
def policy_file() -> Path:
    if not POLICY.is_file():
        pytest.skip(f"reference corpus not found at {POLICY}")
    return POLICY


def test_it_loads_as_written(policy_file: Path) -> None:
    (policy,) = load_estate([policy_file]).of(NetworkPolicy)
    assert (policy.namespace, policy.name) == ("a0008", "allow-only-ingress-to-workload")
    assert policy.policy_types == ("Ingress",) and policy.types_defaulted
    assert dict(policy.pod_selector.match_labels) == {"app.kubernetes.io/name": "aspnetapp"}
    (rule,) = policy.ingress
    (peer,) = rule.peers
    assert peer.namespace_selector is not None and peer.namespace_selector.is_empty
    assert peer.pod_selector is not None and dict(peer.pod_selector.match_labels) == TRAEFIK
    assert rule.ports == ()
    assert policy.source.line == 1


def test_it_means_what_it_says(tmp_path: Path, policy_file: Path) -> None:
    workloads = write(tmp_path, namespace("a0008"), namespace("traefik"),
                      deployment("a0008", "aspnetapp", {"app.kubernetes.io/name": "aspnetapp"}, [8080]),
                      deployment("a0008", "traefik", TRAEFIK, [443]),
                      deployment("traefik", "traefik", TRAEFIK, [443]),
                      deployment("a0008", "half", {"app.kubernetes.io/name": "traefik-ingress-ilb"}, [443]),
                      deployment("a0008", "other", {"app": "other"}, [80]))
    engine = engine_of(policy_file, workloads)
    for source in ("a0008/traefik", "traefik/traefik"):          # any namespace
        assert can(engine, source, "a0008/aspnetapp", port=8080)
        assert can(engine, source, "a0008/aspnetapp", "udp", 53)   # no ports: every port
    for source in ("a0008/half", "a0008/other", "203.0.113.4"):  # both labels are needed
        assert not can(engine, source, "a0008/aspnetapp", port=8080)
    assert can(engine, "a0008/aspnetapp", "a0008/other")          # egress is not isolated
    assert can(engine, "a0008/other", "a0008/half", port=443)     # other pods are untouched
