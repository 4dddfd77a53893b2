"""Kubernetes benchmark: 5,000 pods in 500 workloads across 50 namespaces with 1,000
NetworkPolicies -> the full workload connectivity map (``matrix --by workload``).

    python benchmarks/k8s_bench.py [--namespaces 50] [--workloads 10] [--replicas 10]
                                   [--policies 20] [--seed 1] [--runs 3] [--write benchmarks/K8S.md]

The cluster is standalone (pod addresses from 10.244.0.0/16). Each namespace ``ns-NN`` has
10 Deployments of 10 replicas (labels app, tier, plus container ports http/metrics, some
grpc) and 20 policies in the shapes real clusters use: default deny both ways (but every
tenth namespace, ``--legacy 10``, has only three narrow policies, so most of its pods are
open both ways), DNS to the platform
namespace, metrics from the monitoring namespace (named port), a same-namespace
call chain (named ports), calls to the next namespace's API tier (namespaceSelector AND
podSelector), HTTPS to the internet (ipBlock 0.0.0.0/0 except the private ranges), a
matchExpressions rule with an endPort range, and a few broad ones (every pod on a port).

Phases, each in the same process: ``load`` (YAML parse + model + synthetic addresses),
``map`` (compile the policies into packet sets and compute every pair's cell), ``render``
(the protocol/port summary of every non-empty cell, as ``matrix --format json`` prints).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from netwarden.engine import Engine
from netwarden.ingest import load_estate
from netwarden.intent.matrix import summary
from netwarden.k8s.matrix import workload_matrix

TIERS = ("web", "api", "data", "worker")


def generate(namespaces: int, workloads: int, replicas: int, policies: int, seed: int,
             legacy: int = 10) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(namespaces):
        ns = f"ns-{i:02d}"
        out.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {
            "team": "platform" if i == 0 else "monitoring" if i == 1 else f"team-{i % 10}",
            "env": "prod" if i % 3 else "dev"}}})
        for j in range(workloads):
            ports = [{"name": "http", "containerPort": 8080 + j % 3},
                     {"name": "metrics", "containerPort": 9090}]
            if j % 4 == 1:
                ports.append({"name": "grpc", "containerPort": 50051})
            if i == 0 and j == 0:
                ports = [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                         {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}]
            labels = {"app": f"w{j}", "tier": TIERS[j % 4]}
            out.append({"apiVersion": "apps/v1", "kind": "Deployment",
                        "metadata": {"name": f"w{j}", "namespace": ns},
                        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": f"w{j}"}},
                                 "template": {"metadata": {"labels": labels},
                                              "spec": {"containers": [{"name": "main", "image": "x",
                                                                       "ports": ports}]}}}})
        made = _policies(ns, i, namespaces, workloads, rng, legacy)
        while len(made) < policies:           # more per namespace: more call-chain variants
            j = rng.randrange(workloads)
            made.append(_np(ns, f"extra-{len(made)}", {"matchLabels": {"app": f"w{j}"}}, ingress=[{
                "from": [{"podSelector": {"matchLabels": {"tier": rng.choice(TIERS)}}}],
                "ports": [{"port": rng.choice((8080, 8081, 8082, 9090))}]}]))
        out.extend(made[:policies])
    return out


def _np(ns: str, name: str, selector: dict[str, Any], ingress: list[Any] | None = None,
        egress: list[Any] | None = None, types: list[str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector}
    if types:
        spec["policyTypes"] = types
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def _policies(ns: str, i: int, namespaces: int, workloads: int, rng: random.Random,
              legacy: int) -> list[dict[str, Any]]:
    nxt = f"ns-{(i + 1) % namespaces:02d}"
    made = [
        _np(ns, "default-deny", {}, types=["Ingress", "Egress"]),
        _np(ns, "allow-dns", {}, types=["Egress"], egress=[{
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ns-00"}},
                    "podSelector": {"matchLabels": {"app": "w0"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]),
        _np(ns, "allow-metrics", {}, ingress=[{
            "from": [{"namespaceSelector": {"matchLabels": {"team": "monitoring"}},
                      "podSelector": {"matchLabels": {"app": "w1"}}}],
            "ports": [{"port": "metrics"}]}]),
    ]
    if legacy and i % legacy == legacy - 1:
        # a legacy namespace: no namespace-wide policy, so the pods no other policy selects
        # are open both ways
        made = [_np(ns, f"legacy-{k}", {"matchLabels": {"app": f"w{k}"}}, ingress=[{
            "from": [{"podSelector": {}}], "ports": [{"port": "http"}]}]) for k in (1, 2, 3)]
    if i == 0:      # the platform namespace: DNS for everyone
        made.append(_np(ns, "dns-from-all", {"matchLabels": {"app": "w0"}}, ingress=[{
            "from": [{"namespaceSelector": {}}], "ports": [{"port": "dns"}, {"port": "dns-tcp"}]}]))
    if i == 1:      # the monitoring namespace: Prometheus scrapes every pod's metrics port
        made.append(_np(ns, "scrape-all", {"matchLabels": {"app": "w1"}}, types=["Egress"], egress=[{
            "to": [{"namespaceSelector": {}}], "ports": [{"port": "metrics"}]}]))
    for j in range(1, min(workloads, 8)):     # the call chain w(j-1) -> w(j), both ends
        made.append(_np(ns, f"w{j}-in", {"matchLabels": {"app": f"w{j}"}}, ingress=[{
            "from": [{"podSelector": {"matchLabels": {"app": f"w{j - 1}"}}}], "ports": [{"port": "http"}]}]))
    for j in range(min(workloads - 1, 5)):
        made.append(_np(ns, f"w{j}-out", {"matchLabels": {"app": f"w{j}"}}, types=["Egress"], egress=[{
            "to": [{"podSelector": {"matchLabels": {"app": f"w{j + 1}"}}}], "ports": [{"port": "http"}]}]))
    made += [
        _np(ns, "api-from-prev-namespace", {"matchLabels": {"tier": "api"}}, ingress=[{
            "from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": f"ns-{(i - 1) % namespaces:02d}"}},
                "podSelector": {"matchLabels": {"tier": "web"}}}],
            "ports": [{"port": "http"}, {"port": "grpc"}]}]),
        _np(ns, "web-to-next-api", {"matchLabels": {"tier": "web"}}, types=["Egress"], egress=[{
            "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": nxt}},
                    "podSelector": {"matchLabels": {"tier": "api"}}}],
            "ports": [{"port": "http"}, {"port": "grpc"}]}]),
        _np(ns, "web-to-internet", {"matchLabels": {"tier": "web"}}, types=["Egress"], egress=[{
            "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "172.16.0.0/12",
                                                               "192.168.0.0/16"]}}],
            "ports": [{"port": 443}]}]),
        _np(ns, "data-from-prod", {"matchExpressions": [{"key": "tier", "operator": "In",
                                                          "values": ["api", "data"]}]}, ingress=[{
            "from": [{"namespaceSelector": {"matchExpressions": [{"key": "env", "operator": "NotIn",
                                                                 "values": ["dev"]}]},
                      "podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]}}],
            "ports": [{"port": 8080, "endPort": 8090}]}]),
        _np(ns, "worker-any-pod", {"matchLabels": {"tier": "worker"}}, ingress=[{
            "from": [{"namespaceSelector": {}}], "ports": [{"port": 9090}]}]),
        _np(ns, "worker-egress", {"matchLabels": {"tier": "worker"}}, types=["Egress"], egress=[{
            "to": [{"namespaceSelector": {"matchLabels": {"team": f"team-{rng.randrange(10)}"}}}],
            "ports": [{"port": "http"}]}]),
    ]
    return made


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(directory: Path) -> dict[str, float]:
    gc.collect()
    figures: dict[str, float] = {}
    t0, c0 = time.perf_counter(), _cpu()
    estate = load_estate([directory])
    engine = Engine(estate)
    t1, c1 = time.perf_counter(), _cpu()
    matrix = workload_matrix(engine)
    t2, c2 = time.perf_counter(), _cpu()
    cache: dict[Any, str] = {}
    for cell in matrix.cells.values():
        key = cell.allowed.forget("src", "dst", "src_port").node
        if key not in cache:
            cache[key] = summary(cell.allowed)
    t3, c3 = time.perf_counter(), _cpu()
    figures.update(load=t1 - t0, load_cpu=c1 - c0, map=t2 - t1, map_cpu=c2 - c1,
                   render=t3 - t2, render_cpu=c3 - c2, total=t3 - t0, total_cpu=c3 - c0,
                   cells=len(matrix.cells), groups=len(matrix.groups), distinct=len(cache),
                   rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--workloads", type=int, default=10, help="per namespace")
    parser.add_argument("--replicas", type=int, default=10, help="pods per workload")
    parser.add_argument("--policies", type=int, default=20, help="per namespace")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--legacy", type=int, default=10,
                        help="every Nth namespace has no namespace-wide policy (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, help="write the results as Markdown here")
    args = parser.parse_args()
    objects = generate(args.namespaces, args.workloads, args.replicas, args.policies, args.seed,
                       args.legacy)
    pods = args.namespaces * args.workloads * args.replicas
    n_policies = sum(1 for o in objects if o["kind"] == "NetworkPolicy")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        per_file = args.namespaces // 10 or 1
        for start in range(0, args.namespaces, per_file):
            chunk = [o for o in objects if _ns_index(o) // per_file == start // per_file]
            (directory / f"ns-{start:02d}.yaml").write_text(yaml.safe_dump_all(chunk, sort_keys=False))
        size = sum(p.stat().st_size for p in directory.iterdir())
        for _ in range(args.runs):
            runs.append(measure(directory))
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in runs[-1].items()}),
                  flush=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    header = (f"{pods:,} pods in {args.namespaces * args.workloads:,} workloads across "
              f"{args.namespaces} namespaces, {n_policies:,} NetworkPolicies "
              f"({size / 1e6:.1f} MB of YAML in {len(list(range(0, args.namespaces, per_file)))} files)")
    table = [
        "| phase | wall (median) | CPU (median) | runs (wall) |",
        "|---|---|---|---|",
        *(f"| {label} | {med[key]:.2f} s | {med[key + '_cpu']:.2f} s | "
          f"{', '.join(f'{r[key]:.2f}' for r in runs)} |"
          for label, key in (("load (YAML → model, addresses)", "load"),
                             ("map (compile policies, every pair's cell)", "map"),
                             ("render (summary of each distinct cell)", "render"),
                             ("**total**", "total"))),
    ]
    facts = (f"{int(med['groups'])} workloads, {int(med['cells']):,} non-empty cells of "
             f"{int(med['groups']) ** 2:,} pairs, {int(med['distinct'])} distinct port summaries; "
             f"peak RSS {med['rss_mb']:.0f} MB")
    machine = f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    text = "\n".join([header, "", *table, "", facts, "", machine])
    print(text)
    if args.write:
        args.write.write_text(_markdown(header, table, facts, machine, args), encoding="utf-8")


def _ns_index(o: dict[str, Any]) -> int:
    name = o["metadata"].get("namespace") or o["metadata"]["name"]
    return int(name.split("-")[1])


def _markdown(header: str, table: list[str], facts: str, machine: str, args: argparse.Namespace) -> str:
    return "\n".join([
        "# Kubernetes benchmark: the workload connectivity map",
        "",
        (f"`python benchmarks/k8s_bench.py --runs {args.runs} --write benchmarks/K8S.md` "
         "(see the module docstring for the cluster's shape)."),
        "",
        header + "; target: the full map in < 20 s.",
        "",
        *table,
        "",
        facts + ".",
        "",
        f"Machine: {machine}.",
        "",
    ])


if __name__ == "__main__":
    main()
