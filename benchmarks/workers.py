"""The in-process measurements, each run in a fresh process by run.py
(``run.py --worker NAME ...``): one estate size, the 1,000-rule NSG, the load of a
Terraform plan, flow-log ingestion, and the verdict comparison with Checkov."""

from __future__ import annotations

import cProfile
import gc
import pstats
import resource
import statistics
import time
import tracemalloc
from pathlib import Path


def rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ip_of(name: str) -> int:
    # nic-sSSS-nJJJ-KKK -> 10.SSS.JJJ.(KKK+4)
    _, s, j, k = name.split("-")
    return (10 << 24) | (int(s[1:]) << 16) | (int(j[1:]) << 8) | (int(k) + 4)


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


def top_functions(prof: cProfile.Profile, n: int = 15) -> list[dict]:
    st = pstats.Stats(prof)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        short = file.split("site-packages/")[-1].split("/src/")[-1]
        rows.append({"function": f"{short}:{line}({func})", "calls": nc,
                     "tottime_s": round(tt, 3), "cumtime_s": round(ct, 3)})
    by_tot = sorted(rows, key=lambda r: -r["tottime_s"])[:n]
    by_cum = sorted(rows, key=lambda r: -r["cumtime_s"])[:n]
    return [{"by": "tottime", "rows": by_tot}, {"by": "cumtime", "rows": by_cum}]


# -- worker: one size in this process -------------------------------------------------------------

def worker(size: str, d: Path, src_name: str, dst_name: str, profile: bool, use_tracemalloc: bool,
           seed: int = 1) -> dict:
    """load, reach incl. load, warm reach, trace and every NSG compiled, in this process."""
    t0 = time.perf_counter()
    from netwarden.engine import Engine, Packet, Service
    from netwarden.engine.addresses import TagContext
    from netwarden.engine.nsg import compile_nsg
    from netwarden.ingest import load_estate
    from netwarden.model.values import Direction
    import_s = time.perf_counter() - t0

    svc = Service(6, (443, 443))
    res: dict = {"size": size, "seed": seed, "import_s": import_s,
                 "input_mb": sum(f.stat().st_size for f in d.glob("*.json")) / 2**20}

    # reach including load: load_estate + Engine + endpoint resolution + reach
    gc.collect()
    c0 = time.process_time()
    t0 = time.perf_counter()
    estate = load_estate([d])
    t1 = time.perf_counter()
    c1 = time.process_time()
    engine = Engine(estate)
    t2 = time.perf_counter()
    src, dst = engine.endpoint(src_name), engine.endpoint(dst_name)
    r = engine.reach(src, dst, svc)
    t3 = time.perf_counter()
    c3 = time.process_time()
    res.update(load_cpu_s=c1 - c0, reach_with_load_cpu_s=c3 - c0, load_s=t1 - t0, engine_init_s=t2 - t1, reach_cold_s=t3 - t2,
               reach_with_load_s=t3 - t0, reach_verdict=r.verdict,
               reach_pair=f"{src_name} -> {dst_name} tcp/443",
               reach_hops=[h.kind for h in (r.arrived or r.dropped or [None])[0].hops]
               if (r.arrived or r.dropped) else [])
    counts = estate.counts()
    res["counts"] = {k.split("/", 1)[1]: v for k, v in counts.items()}
    res["nics"] = counts.get("Microsoft.Network/networkInterfaces", 0)
    res["rss_after_load_mb"] = rss_mb()

    # warm reach (same engine, another pair in the same classes)
    other_src = src_name[:-3] + "001"
    t0 = time.perf_counter()
    r2 = engine.reach(engine.endpoint(other_src), engine.endpoint(dst_name), Service(6, (22, 22)))
    res["reach_warm_s"] = time.perf_counter() - t0
    res["reach_warm_verdict"] = r2.verdict

    # trace one concrete packet between the same NICs
    t0 = time.perf_counter()
    tr = engine.trace(Packet(ip_of(src_name), ip_of(dst_name), 6, 50000, 443))
    res["trace_s"] = time.perf_counter() - t0
    res["trace_verdict"] = tr.verdict
    res["trace_hops"] = [f"{h.kind}:{h.name}" for h in tr.hops]

    # compile every NSG, both directions, in the context of the first subnet using it
    ctx_of: dict[str, str] = {}
    for s in estate.subnets:
        if s.nsg_id:
            ctx_of.setdefault(s.nsg_id.lower(), s.id)
    per: list[float] = []
    rules = 0
    for nsg in estate.nsgs:
        ctx = TagContext(ctx_of.get(nsg.id.lower()))
        t0 = time.perf_counter()
        compile_nsg(nsg, Direction.INBOUND, engine.addresses, ctx)
        compile_nsg(nsg, Direction.OUTBOUND, engine.addresses, ctx)
        per.append(time.perf_counter() - t0)
        rules += len(nsg.rules)
    res["nsg_compile"] = {"nsgs": len(per), "rules": rules, "total_s": sum(per),
                          "mean_s": statistics.fmean(per) if per else 0,
                          "p50_s": pct(per, 0.5) if per else 0, "p95_s": pct(per, 0.95) if per else 0,
                          "max_s": max(per, default=0)}
    res["rss_peak_mb"] = rss_mb()

    if use_tracemalloc:
        gc.collect()
        tracemalloc.start()
        e2 = load_estate([d])
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        res["load_tracemalloc_peak_mb"] = peak / 2**20
        del e2
    if profile:
        prof = cProfile.Profile()
        prof.enable()
        e3 = load_estate([d])
        prof.disable()
        res["profile_load"] = top_functions(prof)
        eng = Engine(e3)
        prof = cProfile.Profile()
        prof.enable()
        eng.reach(eng.endpoint(src_name), eng.endpoint(dst_name), svc)
        prof.disable()
        res["profile_reach_cold"] = top_functions(prof)
    return res


def worker_snapshot_write(d: Path, out: Path) -> dict:
    """Load the Azure JSON and write it as a snapshot (``netwarden snapshot``)."""
    from netwarden.ingest import load_estate
    from netwarden.model import snapshot

    estate = load_estate([d])
    t0 = time.perf_counter()
    written = snapshot.write(estate, out, inputs=list(estate.sources))
    return {"write_s": time.perf_counter() - t0, "bytes": written["bytes"],
            "resources": written["resources"]}


def worker_snapshot_reach(snap: Path, src_name: str, dst_name: str) -> dict:
    """reach incl. load, the load being a snapshot's: restore + Engine + endpoints + reach,
    timed as ``worker`` times the JSON path (imports excluded), then a trace."""
    t0 = time.perf_counter()
    from netwarden.engine import Engine, Packet, Service
    from netwarden.ingest import load_estate
    import_s = time.perf_counter() - t0

    c0 = time.process_time()
    t0 = time.perf_counter()
    estate = load_estate([snap])
    t1 = time.perf_counter()
    engine = Engine(estate)
    r = engine.reach(engine.endpoint(src_name), engine.endpoint(dst_name), Service(6, (443, 443)))
    t2 = time.perf_counter()
    c2 = time.process_time()
    tr = engine.trace(Packet(ip_of(src_name), ip_of(dst_name), 6, 50000, 443))
    t3 = time.perf_counter()
    materialised = len(getattr(estate._by_id, "_cache", ()))
    return {"import_s": import_s, "restore_s": t1 - t0, "reach_s": t2 - t1,
            "reach_with_load_s": t2 - t0, "reach_with_load_cpu_s": c2 - c0,
            "trace_s": t3 - t2, "verdict": r.verdict, "trace_verdict": tr.verdict,
            "materialised": materialised, "resources": len(estate), "rss_mb": rss_mb()}


def worker_nsg1000(d: Path, repeats: int = 5) -> dict:
    """The 1,000-rule NSG compiled in a fresh packet space, both directions."""
    from netwarden.engine import Engine
    from netwarden.engine.addresses import TagContext
    from netwarden.engine.nsg import compile_nsg
    from netwarden.ingest import load_estate
    from netwarden.model.values import Direction

    estate = load_estate([d])
    nsg = next(n for n in estate.nsgs if n.name == "nsg-big")
    subnet = estate.subnets[1].id if len(estate.subnets) > 1 else None
    ctx = TagContext(subnet)
    cold: dict[str, list[float]] = {"Inbound": [], "Outbound": [], "both": []}
    for _ in range(repeats):
        engine = Engine(estate)          # a fresh packet space: nothing cached
        both = 0.0
        cpu_both = 0.0
        decisions = {}
        for direction in (Direction.INBOUND, Direction.OUTBOUND):
            t0 = time.perf_counter()
            c0 = time.process_time()
            c = compile_nsg(nsg, direction, engine.addresses, ctx)
            dt = time.perf_counter() - t0
            cpu_both = cpu_both + time.process_time() - c0
            cold[direction.value].append(dt)
            decisions[direction.value] = len(c.decisions)
            both += dt
        cold["both"].append(both)
        cold.setdefault("both_cpu", []).append(cpu_both)
    warm = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        compile_nsg(nsg, Direction.INBOUND, engine.addresses, ctx)
        compile_nsg(nsg, Direction.OUTBOUND, engine.addresses, ctx)
        warm.append(time.perf_counter() - t0)
    inbound = sum(1 for r in nsg.rules if r.direction is Direction.INBOUND)
    prof = cProfile.Profile()
    engine = Engine(estate)
    prof.enable()
    compile_nsg(nsg, Direction.INBOUND, engine.addresses, ctx)
    compile_nsg(nsg, Direction.OUTBOUND, engine.addresses, ctx)
    prof.disable()
    return {"rules": len(nsg.rules), "inbound_rules": inbound, "decisions": decisions,
            "cold_median_s": {k: statistics.median(v) for k, v in cold.items()},
            "cold_min_s": {k: min(v) for k, v in cold.items()},
            "warm_median_s": statistics.median(warm), "repeats": repeats,
            "profile": top_functions(prof, 10)}


def worker_tfload(plan: Path) -> dict:
    """load_estate of a Terraform plan (import excluded), its CPU time and the peak RSS."""
    t0 = time.perf_counter()
    from netwarden.ingest import load_estate
    from netwarden.ingest.interface import LoadOptions  # noqa: F401  (import cost, not load)
    import_s = time.perf_counter() - t0
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    estate = load_estate([plan])
    load_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    counts = estate.counts()
    doc_resources = plan.read_bytes().count(b'"provider_name":') // 2  # planned_values + resource_changes
    return {"plan_mb": plan.stat().st_size / 2**20, "tf_resources": doc_resources, "import_s": import_s,
            "load_s": load_s, "load_cpu_s": cpu_s, "rss_mb": rss_mb(),
            "model_resources": sum(counts.values()),
            "nics": counts.get("Microsoft.Network/networkInterfaces", 0)}


def worker_flows(tuples: int, data: Path) -> dict:
    """Flow-log ingestion (flows_bench's ``ingest``: parse, validate, land as Parquet) of
    ``tuples`` generated tuples (generated once into ``data``), DuckDB on every core."""
    import flows_bench as fb

    from netwarden.flows.generate import Spec, generate

    per_file = min(40000, tuples)
    spec = Spec(files=max(1, tuples // per_file), records_per_file=10, groups_per_record=4,
                tuples_per_group=max(1, per_file // 40), formats=("nsg2", "vnet"), seed=1)
    generated_s = None
    if not any(data.rglob("PT1H.json")):
        t0 = time.perf_counter()
        generate(data, spec)
        generated_s = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in data.rglob("PT1H.json"))
    gc.collect()
    # the store lands files over a pool of processes: their CPU counts too
    c0, t0 = fb.cpu_seconds(), time.perf_counter()
    n = fb.ingest(data, None)()
    return {"tuples": n, "json_mb": size / 2**20, "wall_s": time.perf_counter() - t0,
            "cpu_s": fb.cpu_seconds() - c0, "rss_mb": rss_mb(), "generated_s": generated_s}
