"""K8S001-K8S005 on manifests built here: where each fires (and with what), where it must
not, the clean contoso-aks example (nothing), and suppression by annotation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from netwarden.checks.base import Finding, Severity
from netwarden.checks.registry import get
from netwarden.checks.scan import scan
from netwarden.engine import Engine
from netwarden.ingest import load_estate
from tests.k8s.kube import deployment, namespace, policy, write

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
K8S = ("K8S001", "K8S002", "K8S003", "K8S004", "K8S005")


def run(paths: list[Path], *check_ids: str) -> list[Finding]:
    estate = load_estate(paths)
    checks = [get(c) for c in check_ids or K8S]
    return scan(estate, Engine(estate), checks).findings  # type: ignore[arg-type]


def pairs(findings: list[Finding]) -> set[tuple[str, str]]:
    return {(f.check, f.resource.name) for f in findings}


FLAWED = [
    namespace("shop"), namespace("safe"), namespace("kube-system"),
    deployment("shop", "web", {"app": "web"}, [80]),
    deployment("shop", "api", {"app": "api"}, [(8443, "TCP", "https")]),
    deployment("shop", "admin", {"app": "admin"}, [(9000, "TCP", "admin")]),
    deployment("safe", "db", {"app": "db"}, [5432]),
    deployment("kube-system", "coredns", {"k8s-app": "kube-dns"}, [(53, "UDP", "dns")]),
    # web: open to the whole internet on 80 (ipBlock 0.0.0.0/0)
    policy("shop", "web-public", {"podSelector": {"matchLabels": {"app": "web"}},
                                  "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 80}]}]}),
    # admin: from every pod of every namespace on its named port
    policy("shop", "admin-any-pod", {"podSelector": {"matchLabels": {"app": "admin"}},
                                     "ingress": [{"from": [{"namespaceSelector": {}}], "ports": [{"port": "admin"}]}]}),
    # a typo: app=wbe selects nothing
    policy("shop", "typo", {"podSelector": {"matchLabels": {"app": "wbe"}}, "policyTypes": ["Ingress"]}),
    # safe: default deny both ways, db only from api
    policy("safe", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
    policy("safe", "db", {"podSelector": {"matchLabels": {"app": "db"}},
                          "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "api"}}}]}]}),
    # a policy in a namespace without workloads selects nothing either
    policy("empty", "deny", {"podSelector": {}}),
]


@pytest.fixture(scope="module")
def flawed(tmp_path_factory: pytest.TempPathFactory) -> list[Finding]:
    return run([write(tmp_path_factory.mktemp("flawed"), *FLAWED)])


def test_k8s001_namespace_without_default_deny(flawed: list[Finding]) -> None:
    found = [f for f in flawed if f.check == "K8S001"]
    assert pairs(found) == {("K8S001", "shop")}            # not safe, not kube-system
    assert "shop/api" in found[0].message and "shop/web" not in found[0].message


def test_k8s002_namespace_without_default_deny_egress(flawed: list[Finding]) -> None:
    found = [f for f in flawed if f.check == "K8S002"]
    assert pairs(found) == {("K8S002", "shop")}
    assert "3 workload(s) may send anywhere" in found[0].message


def test_k8s003_workload_unrestricted_ingress(flawed: list[Finding]) -> None:
    found = {f.resource.name: f for f in flawed if f.check == "K8S003"}
    assert set(found) == {"web", "api", "admin"}           # not db (api only), not coredns
    assert found["web"].severity is Severity.HIGH and "every internet address on tcp/80" in found["web"].message
    assert "shop/web-public" in found["web"].message
    assert found["admin"].severity is Severity.MEDIUM
    assert "every pod of the cluster on tcp/9000" in found["admin"].message
    assert "not isolated" in found["api"].message
    witness = found["web"].evidence.to_json()["witness"]
    assert witness.startswith("tcp ") and witness.endswith(":80")


def test_k8s004_policy_selects_nothing(flawed: list[Finding]) -> None:
    found = {f.resource.name: f for f in flawed if f.check == "K8S004"}
    assert set(found) == {"typo", "deny"} and found["deny"].resource.namespace == "empty"  # type: ignore[attr-defined]
    assert "app=admin, app=api, app=web" in found["typo"].message
    assert found["typo"].location.line is not None            # located at the manifest


def aks(network_policy: str | None) -> dict[str, Any]:
    profile = {"networkPlugin": "azure", **({"networkPolicy": network_policy} if network_policy else {})}
    return {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-dev",
            "name": "aks-dev", "type": "Microsoft.ContainerService/managedClusters", "location": "eastus",
            "properties": {"networkProfile": profile}}


@pytest.mark.parametrize(("engine", "with_policies", "fires"), [
    (None, True, True), ("none", True, True), ("azure", True, False), ("cilium", True, False),
    (None, False, False),
])
def test_k8s005_cluster_without_policy_engine(tmp_path: Path, engine: str | None, with_policies: bool,
                                              fires: bool) -> None:
    (tmp_path / "aks.json").write_text(json.dumps([aks(engine)]))
    objects: list[Any] = [deployment("shop", "web", {"app": "web"}, [80])]
    if with_policies:
        objects.append(policy("shop", "deny", {"podSelector": {}}))
    found = run([tmp_path / "aks.json", write(tmp_path / "m", *objects)], "K8S005", "K8S003")
    assert (("K8S005", "aks-dev") in pairs(found)) is fires
    assert not [f for f in found if f.check == "K8S003"] or engine in ("azure", "cilium")


def test_unenforced_policies_do_not_protect(tmp_path: Path) -> None:
    (tmp_path / "aks.json").write_text(json.dumps([aks("none")]))
    manifests = write(tmp_path / "m", deployment("shop", "web", {"app": "web"}, [80]),
                      deployment("shop", "db", {"app": "db"}, [5432]),
                      policy("shop", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}))
    engine = Engine(load_estate([tmp_path / "aks.json", manifests]))
    result = engine.reach(engine.endpoint("shop/web"), engine.endpoint("shop/db"))
    assert result.verdict == "allowed"
    assert "not enforced" in result.arrived[0].hops[0].detail


def test_the_contoso_aks_example_is_clean() -> None:
    assert run([EXAMPLES / "contoso", EXAMPLES / "contoso-aks"]) == []


def test_annotation_suppresses(tmp_path: Path) -> None:
    web = deployment("shop", "web", {"app": "web"}, [80])
    web["metadata"]["annotations"] = {"netwarden-ignore": "K8S003: the ingress controller"}
    estate = load_estate([write(tmp_path, web)])
    result = scan(estate, Engine(estate), [get("K8S003")])  # type: ignore[list-item]
    assert not result.findings and [s.reason for s in result.suppressed] == ["the ingress controller"]
