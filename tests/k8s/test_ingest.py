"""Reading manifests: the shapes (multi-document YAML, directories, kubectl Lists in YAML and
JSON), what each kind contributes, cluster assignment, and located errors (exit 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.ingest import IngestError, load_estate
from netwarden.k8s.model import KubeCluster, KubeService, Namespace, NetworkPolicy, Workload
from tests.k8s.kube import deployment, namespace, policy, write

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def workloads(estate: Any) -> dict[str, Workload]:
    return {f"{w.namespace}/{w.name}": w for w in estate.of(Workload)}


def test_every_workload_kind_and_its_pods(tmp_path: Path) -> None:
    objects = [
        deployment("ns", "dep", {"app": "dep"}, [(8080, "TCP", "http")], replicas=3),
        deployment("ns", "sts", {"app": "sts"}, [5432], replicas=2, kind="StatefulSet"),
        deployment("ns", "ds", {"app": "ds"}, [9100], kind="DaemonSet"),
        deployment("ns", "rs", {"app": "rs"}, [80], replicas=2, kind="ReplicaSet"),
        deployment("ns", "pod", {"app": "pod"}, [(53, "UDP", "dns")], kind="Pod"),
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "job", "namespace": "ns"},
         "spec": {"parallelism": 4, "template": {"metadata": {"labels": {"app": "job"}},
                                                 "spec": {"containers": [{"name": "c"}]}}}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cron", "namespace": "ns"},
         "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {
             "metadata": {"labels": {"app": "cron"}},
             "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 7000, "protocol": "SCTP"}]}]}}}}}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "ns"}},
    ]
    estate = load_estate([write(tmp_path, *objects)])
    found = workloads(estate)
    assert {(k, w.kind, w.replicas) for k, w in found.items()} == {
        ("ns/dep", "Deployment", 3), ("ns/sts", "StatefulSet", 2), ("ns/ds", "DaemonSet", 1),
        ("ns/rs", "ReplicaSet", 2), ("ns/pod", "Pod", 1), ("ns/job", "Job", 4), ("ns/cron", "CronJob", 1)}
    assert sum(p.last - p.first + 1 for w in found.values() for p in w.addresses) == 14
    every = sorted(a for w in found.values() for p in w.addresses for a in range(p.first, p.last + 1))
    assert len(set(every)) == len(every)                        # one address per pod
    assert found["ns/dep"].named_port("http", "TCP") == 8080
    assert found["ns/cron"].ports[0].protocol == "SCTP"
    assert dict(found["ns/sts"].labels) == {"app": "sts"}
    assert estate.unknown_types["k8s/ConfigMap"] == 1
    (ns,) = estate.of(Namespace)
    assert ns.name == "ns" and not ns.declared and dict(ns.labels) == {"kubernetes.io/metadata.name": "ns"}
    (cluster,) = estate.of(KubeCluster)
    assert cluster.name == "standalone" and cluster.enforced and str(cluster.address_pool[0]) == "10.244.0.0/16"


def test_namespace_name_label_is_automatic(tmp_path: Path) -> None:
    ns = namespace("shop", team="t")
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = "forged"
    estate = load_estate([write(tmp_path, ns)])
    (found,) = estate.of(Namespace)
    assert dict(found.labels) == {"team": "t", "kubernetes.io/metadata.name": "shop"}


def test_kubectl_lists_in_yaml_and_json(tmp_path: Path) -> None:
    items = [namespace("shop"), deployment("shop", "web", {"app": "web"}, [80]),
             policy("shop", "deny", {"podSelector": {}})]
    (tmp_path / "get.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    estate = load_estate([tmp_path / "get.json"])
    assert len(estate.of(NetworkPolicy)) == 1 and "shop/web" in workloads(estate)
    typed = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicyList",
             "items": [{k: v for k, v in items[2].items() if k != "kind"}]}
    yaml_dir = tmp_path / "yaml"
    write(yaml_dir, typed, name="policies.yml")
    estate = load_estate([yaml_dir])
    assert [p.name for p in estate.of(NetworkPolicy)] == ["deny"]


def test_pods_of_controllers_in_the_input_are_not_counted_twice(tmp_path: Path) -> None:
    dep = deployment("shop", "web", {"app": "web"}, [80], replicas=2)
    rs = deployment("shop", "web-5d8f7c", {"app": "web", "pod-template-hash": "5d8f7c"}, [80],
                    replicas=2, kind="ReplicaSet")
    rs["metadata"]["ownerReferences"] = [{"kind": "Deployment", "name": "web", "controller": True}]
    pods = []
    for suffix in ("abcde", "fghij"):
        pod = deployment("shop", f"web-5d8f7c-{suffix}", {"app": "web", "pod-template-hash": "5d8f7c"},
                         [80], kind="Pod")
        pod["metadata"]["ownerReferences"] = [{"kind": "ReplicaSet", "name": "web-5d8f7c", "controller": True}]
        pods.append(pod)
    estate = load_estate([write(tmp_path / "all", dep, rs, *pods)])
    assert set(workloads(estate)) == {"shop/web"} and workloads(estate)["shop/web"].replicas == 2
    # pods alone (kubectl get pods): one workload per controller, named after the Deployment
    estate = load_estate([write(tmp_path / "pods", *pods)])
    (only,) = estate.of(Workload)
    assert (only.kind, only.qualified, only.replicas) == ("Deployment", "shop/web", 2)


def test_services_and_hostnetwork(tmp_path: Path) -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
           "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": "http"}, {"port": 53, "protocol": "UDP"}]}}
    host = deployment("shop", "agent", {"app": "agent"}, kind="DaemonSet")
    host["spec"]["template"]["spec"]["hostNetwork"] = True
    estate = load_estate([write(tmp_path, svc, host, deployment("shop", "web", {"app": "web"}, [(8080, "TCP", "http")]))])
    (service,) = estate.of(KubeService)
    assert [(p.port, p.target_port, p.protocol) for p in service.ports] == [(80, "http", "TCP"), (53, 53, "UDP")]
    agent = workloads(estate)["shop/agent"]
    assert agent.host_network and not agent.addresses
    assert any(d.code == "host-network" for d in estate.diagnostics)


def test_duplicates(tmp_path: Path) -> None:
    dep = deployment("shop", "web", {"app": "web"}, [80])
    estate = load_estate([write(tmp_path / "a", dep), write(tmp_path / "b", dep)])
    assert len(estate.of(Workload)) == 1 and not estate.diagnostics
    other = deployment("shop", "web", {"app": "web2"}, [80])
    estate = load_estate([write(tmp_path / "a", dep), write(tmp_path / "c", other)])
    assert [d.code for d in estate.diagnostics] == ["conflicting-duplicate"]
    with pytest.raises(IngestError, match="conflicting duplicate"):
        load_estate([write(tmp_path / "d", dep, other)])


# -- which cluster -----------------------------------------------------------------------------


def aks(name: str, policy_engine: str | None = "azure", plugin: str = "azure") -> dict[str, Any]:
    profile: dict[str, Any] = {"networkPlugin": plugin}
    if policy_engine:
        profile["networkPolicy"] = policy_engine
    return {"id": f"/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/{name}",
            "name": name, "type": "Microsoft.ContainerService/managedClusters", "location": "eastus",
            "properties": {"networkProfile": profile, "agentPoolProfiles": [{"name": "p", "count": 1}]}}


def test_cluster_option_layout_and_ambiguity(tmp_path: Path) -> None:
    estate_file = tmp_path / "aks.json"
    estate_file.write_text(json.dumps([aks("one"), aks("two", None, "kubenet")]))
    manifests = write(tmp_path / "m", deployment("shop", "web", {"app": "web"}, [80]))
    with pytest.raises(IngestError, match="2 AKS clusters .* --cluster"):
        load_estate([estate_file, manifests])
    estate = load_estate([estate_file, manifests], cluster="two")
    (cluster,) = estate.of(KubeCluster)
    assert cluster.name == "two" and not cluster.enforced and cluster.pod_addressing == "pod-cidr"
    assert cluster.aks and cluster.aks.endswith("/two")
    with pytest.raises(IngestError, match="no AKS cluster named 'three'"):
        load_estate([estate_file, manifests], cluster="three")
    layout = tmp_path / "repo" / "clusters" / "one"
    write(layout, deployment("shop", "web", {"app": "web"}, [80]))
    write(tmp_path / "repo" / "clusters" / "two", deployment("shop", "api", {"app": "api"}, [80]))
    estate = load_estate([estate_file, tmp_path / "repo"])
    assert {(w.name, w.cluster) for w in estate.of(Workload)} == {("web", "k8s://one"), ("api", "k8s://two")}
    assert {c.name: c.enforced for c in estate.of(KubeCluster)} == {"one": True, "two": False}


def test_standalone_cluster_by_name(tmp_path: Path) -> None:
    estate = load_estate([write(tmp_path, deployment("a", "b", {"x": "y"}))], cluster="dev")
    (cluster,) = estate.of(KubeCluster)
    assert cluster.id == "k8s://dev" and cluster.aks is None


def test_the_only_aks_cluster_is_chosen(tmp_path: Path) -> None:
    estate = load_estate([EXAMPLES / "contoso", write(tmp_path, deployment("a", "b", {"x": "y"}))])
    (cluster,) = estate.of(KubeCluster)
    assert cluster.name == "aks-contoso-prod" and cluster.pod_addressing == "node-subnet"
    (workload,) = estate.of(Workload)
    assert str(workload.addresses[0]) == "10.1.4.4"            # snet-aks, after Azure's reserved


def test_yaml_that_is_not_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicaCount: 2\n")
    write(tmp_path, deployment("a", "b", {"x": "y"}))
    estate = load_estate([tmp_path])
    assert [d.code for d in estate.diagnostics] == ["skipped-file"]
    with pytest.raises(IngestError, match="not a Kubernetes manifest"):
        load_estate([tmp_path / "values.yaml"])


# -- located errors --------------------------------------------------------------------------

NP = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n"

BAD = [
    ("syntax", "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n", r":4:1: invalid YAML"),
    ("operator", NP + "  podSelector:\n    matchExpressions:\n    - {key: app, operator: Inn, values: [a]}\n",
     r":7:28: spec.podSelector.matchExpressions\[0\].operator: 'Inn' is not a selector operator"),
    ("in-without-values", NP + "  podSelector:\n    matchExpressions:\n    - {key: app, operator: In}\n",
     r":7:7: .*operator In needs at least one value"),
    ("exists-with-values", NP + "  podSelector:\n    matchExpressions:\n    - key: app\n      operator: Exists\n"
     "      values: [a]\n", r":9:15: .*takes no values"),
    ("string-port", NP + "  podSelector: {}\n  ingress:\n  - ports:\n    - port: \"80\"\n",
     r":8:13: spec.ingress\[0\].ports\[0\].port: port '80' is a string"),
    ("end-port-named", NP + "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: http, endPort: 90}\n",
     r":8:29: .*endPort needs a numeric port"),
    ("end-port-below", NP + "  podSelector: {}\n  egress:\n  - ports:\n    - {port: 90, endPort: 80}\n",
     r":8:27: .*endPort 80 is below port 90"),
    ("block-and-selector", NP + "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n"
     "      podSelector: {}\n", r":8:16: .*ipBlock cannot be combined"),
    ("except-outside", NP + "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
     "        except: [11.0.0.0/8]\n", r":10:18: .*must be a strict subset"),
    ("empty-peer", NP + "  podSelector: {}\n  ingress:\n  - from:\n    - {}\n", r":8:7: .*a peer needs"),
    ("typo", NP + "  podselector: {}\n", r":5:16: spec.podselector: unknown NetworkPolicy field"),
    ("policy-type", NP + "  podSelector: {}\n  policyTypes: [ingress]\n", r":6:17: .*neither 'Ingress'"),
    ("label-number", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    version: 1\n",
     r":6:14: metadata.labels.version: the value of 'version' must be a string"),
    ("duplicate-key", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n", r":5:3: duplicate key"),
    ("protocol", NP + "  podSelector: {}\n  ingress:\n  - ports:\n    - {protocol: ICMP}\n",
     r":8:18: .*protocol 'ICMP': expected TCP, UDP or SCTP"),
    ("no-kind", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata: {}\n",
     r":5:1: not a Kubernetes object: 'kind' is missing"),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD, ids=[b[0] for b in BAD])
def test_located_errors_exit_2(tmp_path: Path, case: str, text: str, expected: str) -> None:
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    with pytest.raises(IngestError) as caught:
        load_estate([path])
    assert re.search(re.escape(str(path)) + expected, str(caught.value)), str(caught.value)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.output and "Traceback" not in result.output


def test_json_errors_are_located_by_path(tmp_path: Path) -> None:
    bad = policy("a", "p", {"podSelector": {"matchLabels": {"app": 1}}})
    (tmp_path / "p.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [bad]}))
    with pytest.raises(IngestError, match=r"p.json: items\[0\].spec.podSelector.matchLabels.app"):
        load_estate([tmp_path / "p.json"])
