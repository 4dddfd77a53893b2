"""The contoso AKS example (examples/contoso-aks: manifests of aks-contoso-prod under
clusters/<name>/, plus the NSG rule that lets Application Gateway reach the web pods) with
the contoso estate: reach across the cluster boundary, both ways."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netwarden.cli import app
from netwarden.engine import Engine, Packet, Service
from netwarden.engine.reach import as_sent
from netwarden.ingest import load_estate
from netwarden.intent.matrix import matrix
from netwarden.intent.parse import load_intent
from netwarden.intent.verify import verify
from netwarden.k8s.model import KubeCluster, Workload

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONTOSO, AKS = EXAMPLES / "contoso", EXAMPLES / "contoso-aks"
TCP = 6


@cache
def engine(*paths: Path) -> Engine:
    return Engine(load_estate(list(paths) or [CONTOSO, AKS]))


def reach(source: str, destination: str, protocol: int | None = None, port: int | None = None,
          e: Engine | None = None):  # type: ignore[no-untyped-def]
    e = e or engine()
    return e.reach(e.endpoint(source), e.endpoint(destination),
                   Service(protocol, (port, port) if port else None))


def kinds(outcome) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.kind for h in outcome.hops]


def test_the_cluster_is_tied_to_aks() -> None:
    (cluster,) = engine().estate.of(KubeCluster)
    assert cluster.name == "aks-contoso-prod" and cluster.enforced
    assert (cluster.network_plugin, cluster.network_policy, cluster.pod_addressing) == ("azure", "azure", "node-subnet")
    addresses = {w.qualified: str(w.addresses[0]) for w in engine().estate.of(Workload)}
    assert all(a.startswith("10.1.") for a in addresses.values())   # snet-aks 10.1.4.0/22


def test_web_to_api_crosses_the_node_subnet_nsg() -> None:
    result = reach("shop/web", "shop/api", TCP, 8443)
    assert result.verdict == "allowed"
    path = result.arrived[0].hops
    assert kinds(result.arrived[0]) == ["k8s-egress", "subnet-nsg-out", "route", "subnet-nsg-in",
                                        "k8s-ingress", "deliver"]
    assert path[0].rule == "shop/web" and path[3].rule == "AllowIntraClusterInbound"
    assert path[4].rule == "shop/api"


def test_the_tiers() -> None:
    assert reach("shop/api", "shop/db", TCP, 5432).verdict == "allowed"
    denied = reach("shop/web", "shop/db")
    assert denied.verdict == "denied" and denied.dropped[0].hops[-1].kind == "k8s-egress"
    assert reach("shop/db", "shop/api").verdict == "denied"
    assert reach("monitoring/prometheus", "shop/web", TCP, 9102).verdict == "allowed"
    assert reach("monitoring/prometheus", "shop/db", TCP, 5432).verdict == "denied"
    assert reach("shop/db", "kube-system/coredns", 17, 53).verdict == "allowed"


def test_application_gateway_reaches_the_web_pods() -> None:
    result = reach("snet-appgw", "shop/web", TCP, 8080)
    assert result.verdict == "allowed"
    hops = result.arrived[0].hops
    assert [h.rule for h in hops if h.kind in ("subnet-nsg-in", "k8s-ingress")] == [
        "AllowAppGatewayToWebPods", "shop/web"]
    assert reach("snet-appgw", "shop/api", TCP, 8443).verdict == "denied"


def test_without_the_nsg_rule_the_node_subnet_blocks_it() -> None:
    e = engine(CONTOSO, AKS / "clusters")
    result = reach("snet-appgw", "shop/web", TCP, 8080, e)
    assert result.verdict == "denied"
    assert result.dropped[0].hops[-1].rule == "DenyAllInbound"      # nsg-aks, before any policy


def test_vms_do_not_reach_pods() -> None:
    result = reach("vm-app01", "shop/api", TCP, 8443)
    assert result.verdict == "denied"
    assert {o.hops[-1].name for o in result.dropped} == {"nsg-aks"}


def test_pod_egress_goes_through_the_hub_firewall() -> None:
    result = reach("shop/api", "internet", TCP, 443)
    (conditional,) = result.conditional
    route = next(h for h in conditional.hops if h.kind == "route")
    assert route.rule == "default-via-afw" and "10.0.1.4" in route.detail
    assert conditional.hops[-1].name == "afw-contoso-hub"
    assert conditional.hops[0].kind == "k8s-egress" and conditional.hops[0].rule == "shop/api"
    # what the policy does not allow never reaches the firewall
    web = reach("shop/web", "internet", TCP, 443)
    assert not web.conditional and web.dropped[0].hops[-1].kind == "k8s-egress"


def test_trace_of_a_pod_packet() -> None:
    e = engine()
    api = next(w for w in e.estate.of(Workload) if w.qualified == "shop/api").addresses[0].first
    db = next(w for w in e.estate.of(Workload) if w.qualified == "shop/db").addresses[0].first
    result = e.trace(Packet(api, db, TCP, 40000, 5432))
    assert result.verdict == "allowed" and result.hops[-1].name == "shop/db"
    result = e.trace(Packet(api, db, TCP, 40000, 22))
    assert result.verdict == "denied" and result.hops[-1].kind == "k8s-egress"
    result = e.trace(Packet(api, 0xCB00710A, TCP, 40000, 443))
    assert result.verdict == "conditional" and result.hops[-1].name == "afw-contoso-hub"


def test_the_workload_map_equals_pairwise_reach() -> None:
    e = engine()
    result = matrix(e, "workload")
    labels = [w.qualified for w in e.estate.of(Workload)]
    assert sorted(result.groups) == sorted(labels)
    for a in labels:
        for b in labels:
            r = reach(a, b)
            pairwise = e.space.union(as_sent(o.branch) for o in r.arrived) & r.queried
            cell = result.cells.get((a, b))
            assert (cell.allowed if cell else e.space.none()) == pairwise, (a, b)
    assert set(result.cells) == {
        ("kube-system/coredns", "kube-system/coredns"), ("shop/web", "shop/api"), ("shop/api", "shop/db"),
        ("monitoring/prometheus", "shop/web"), ("monitoring/prometheus", "shop/api"),
        *((w, "kube-system/coredns") for w in ("shop/web", "shop/api", "shop/db", "monitoring/prometheus"))}


def test_intent_segments_select_pods(tmp_path: Path) -> None:
    intent = tmp_path / "intent.yaml"
    intent.write_text("""
segments:
  appgw: {subnets: [snet-appgw]}
  web: {k8s: {namespace: shop, labels: {app: web}}}
  api: {k8s: {namespace: shop, labels: {app: api}}}
  db: {k8s: {namespace: shop, labels: {tier: data}, cluster: aks-contoso-prod}}
flows:
  - {from: appgw, to: web, ports: [tcp/8080]}
  - {from: web, to: api, ports: [tcp/8443]}
  - {from: api, to: db, ports: [tcp/5432, tcp/5433]}
""")
    result = verify(engine(), load_intent(intent))
    pods = {"web", "api", "db"}
    assert not [v for v in result.excess if {v.source, v.destination} & pods]
    (missing,) = result.missing                # 5433: api may only send to the "postgres" port
    assert (missing.source, missing.destination) == ("api", "db") and missing.path[-1].kind == "k8s-egress"
    intent.write_text("segments:\n  ghost: {k8s: {namespace: shop, labels: {app: ghost}}}\n")
    from netwarden.ingest import IngestError

    with pytest.raises(IngestError, match="selects no pod"):
        verify(engine(), load_intent(intent))


def test_cli() -> None:
    runner = CliRunner()
    base = [str(CONTOSO), str(AKS)]
    out = runner.invoke(app, ["reach", *base, "--from", "shop/web", "--to", "shop/api", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["verdict"] == "partial" and data["from"] == "shop/web"
    assert data["paths"][0]["hops"][0]["kind"] == "k8s-egress"
    out = runner.invoke(app, ["trace", *base, "--src", "10.1.4.7", "--dst", "10.1.4.12", "--protocol", "tcp",
                              "--dst-port", "5432", "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.output)["verdict"] == "allowed"
    out = runner.invoke(app, ["matrix", *base, "--by", "workload", "--format", "json"])
    assert out.exit_code == 0
    cells = {(c["from"], c["to"]): c["summary"] for c in json.loads(out.output)["cells"]}
    assert cells[("shop/web", "shop/api")] == "tcp/8443" and ("shop/web", "shop/db") not in cells
    out = runner.invoke(app, ["reach", *base, "--from", "shop/nope", "--to", "shop/api"])
    assert out.exit_code == 2 and "no workload or service named 'shop/nope'" in out.output


def test_cluster_option(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    for f in (AKS / "clusters" / "aks-contoso-prod").glob("*.yaml"):
        (manifests / f.name).write_text(f.read_text())
    out = CliRunner().invoke(app, ["reach", str(CONTOSO), str(manifests), "--cluster", "aks-contoso-prod",
                                   "--from", "shop/api", "--to", "shop/db", "--protocol", "tcp", "--port", "5432"])
    assert out.exit_code == 0 and out.output.startswith("ALLOWED")
    out = CliRunner().invoke(app, ["validate", str(CONTOSO), str(manifests), "--cluster", "aks-other"])
    assert out.exit_code == 2 and "no AKS cluster named 'aks-other'" in out.output
