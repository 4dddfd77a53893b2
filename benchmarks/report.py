"""results.json as text: the figures table, the targets, growth exponents, the Checkov
side-by-side and the profiles, for the generated section of benchmarks/README.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import proc

START, END = "<!-- results:start -->", "<!-- results:end -->"
CLI = ("scan", "matrix", "diff", "verify")


def fmt_s(v: float | None) -> str:
    if v is None:
        return "–"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1:
        return f"{v * 1e3:.1f} ms"
    return f"{v:.2f} s" if v < 100 else f"{v:.0f} s"


def fmt_mb(v: float | None) -> str:
    return "–" if v is None else (f"{v:.0f} MB" if v < 1024 else f"{v / 1024:.2f} GiB")


def fmt_measure(m: dict | None, rss: bool = True) -> str:
    """``12.3 s (CPU 11.9 s, 850 MB)``, or ``> 180 s (timed out; ~2,400 s extrapolated)``."""
    if not m:
        return "–"
    if m.get("timed_out"):
        text = f"**> {m['wall_s']:.0f} s (timed out)**"
        if m.get("extrapolated_s"):
            text += f"; extrapolated ≈ {fmt_s(m['extrapolated_s'])} (k = {m['extrapolated_k']:.2f})"
        return text
    if not m.get("ok", True):
        return f"failed (exit {m.get('rc')})"
    text = f"{fmt_s(m['wall_s'])} (CPU {fmt_s(m.get('cpu_s'))}"
    return text + (f", {fmt_mb(m.get('rss_mb'))})" if rss else ")")


def _wall(m: dict | None) -> float | None:
    return m["wall_s"] if m and m.get("ok") else None


def _cli_wall(name: str) -> Callable[[dict], float | None]:
    return lambda r: _wall((r.get("cli") or {}).get(name))


METRICS: dict[str, Callable[[dict], float | None]] = {
    "load (Azure JSON)": lambda r: r.get("load_s"),
    "reach incl. load": lambda r: r.get("reach_with_load_s"),
    "compile all NSGs": lambda r: (r.get("nsg_compile") or {}).get("total_s"),
    "load (Terraform plan)": lambda r: (r.get("tf_load") or {}).get("load_s"),
    **{f"{name} (process)": _cli_wall(name) for name in CLI},
    "scan peak RSS": lambda r: ((r.get("cli") or {}).get("scan") or {}).get("rss_mb")
    if ((r.get("cli") or {}).get("scan") or {}).get("ok") else None,
    "Checkov (process)": lambda r: _wall((r.get("checkov") or {}).get("checkov_best")),
    "netwarden scan of the plan (process)": lambda r: _wall((r.get("checkov") or {}).get("netwarden_best")),
}


def extrapolate_all(results: dict) -> None:
    """For every timed-out whole-process measurement: the exponent fitted on the sizes that
    finished, on the time above the process's start-up (``results["startup"]``: a bare
    ``netwarden --help`` / ``checkov --version``, which the small size is mostly made of),
    and the time it predicts: start-up + (t_last - start-up) * (n / n_last)^k."""
    sizes = results["sizes"]
    startup = {k: (v or {}).get("wall_s") or 0.0 for k, v in (results.get("startup") or {}).items()}

    def fill(m: dict, pts: list[tuple[float, float]], base: float, n: float) -> None:
        pts = [(x, t - base) for x, t in pts if t > base]
        if len(pts) < 2:
            return
        k = proc.fit(pts)
        if k is None:
            return
        m["extrapolated_k"] = k
        m["extrapolated_s"] = base + proc.extrapolate(pts[-1][1], pts[-1][0], n, k)
        m["extrapolated_base_s"] = base

    names = list(sizes)
    for i, size in enumerate(names):
        r = sizes[size]
        for name, m in (r.get("cli") or {}).items():
            if m and m.get("timed_out"):
                pts = [(sizes[x]["nics"], sizes[x]["cli"][name]["wall_s"]) for x in names[:i]
                       if (sizes[x].get("cli") or {}).get(name, {}).get("ok")]
                fill(m, pts, startup.get("netwarden", 0.0), r["nics"])
        side = r.get("checkov") or {}
        for tool in ("checkov", "netwarden"):
            m = side.get(f"{tool}_best")
            if m and m.get("timed_out"):
                pts = [(sizes[x]["nics"], sizes[x]["checkov"][f"{tool}_best"]["wall_s"]) for x in names[:i]
                       if ((sizes[x].get("checkov") or {}).get(f"{tool}_best") or {}).get("ok")]
                fill(m, pts, startup.get(tool, 0.0), r["nics"])


def exponents(results: dict) -> dict:
    """k in t ∝ NICs^k per metric: between consecutive sizes and fitted over all."""
    sizes = results["sizes"]
    names = list(sizes)
    out: dict[str, dict[str, float | None]] = {}
    for metric, f in METRICS.items():
        row: dict[str, float | None] = {}
        for a, b in zip(names, names[1:]):
            row[f"{a}→{b}"] = proc.exponent(f(sizes[a]), f(sizes[b]), sizes[a]["nics"], sizes[b]["nics"])
        row["fit"] = proc.fit([(sizes[n]["nics"], f(sizes[n])) for n in names])
        out[metric] = row
    flows = results.get("flows") or {}
    pts = [(v["tuples"], v["wall_s"]) for v in flows.values() if isinstance(v, dict) and "wall_s" in v]
    if len(pts) >= 2:
        out["flow-log ingest (in tuples)"] = {"fit": proc.fit(pts)}
    k8s = results.get("k8s") or {}
    pts = [(m["pods"], m["wall_s"]) for m in k8s.values() if m.get("ok")]
    if len(pts) >= 2:
        out["k8s matrix --by workload (in pods)"] = {"fit": proc.fit(pts)}
    return out


def targets(results: dict) -> list[tuple[str, str, str]]:
    """(target, measured, verdict) rows."""
    t = results["targets"]
    large = results["sizes"].get("large")
    rows: list[tuple[str, str, str]] = []

    def verdict(ok: bool | None, extrapolated: bool = False) -> str:
        if ok is None:
            return "not measured"
        word = "**met**" if ok else "**missed**"
        return f"{word} (by extrapolation)" if extrapolated else word

    if large:
        snap = large.get("snapshot")
        if snap:
            ok = snap["reach_with_load_s"] < t["reach_with_load_s"]
            rows.append(("reach incl. load < 0.5 s (large)",
                         f"{fmt_s(snap['reach_with_load_s'])} from a snapshot (restore "
                         f"{fmt_s(snap['restore_s'])}, reach {fmt_s(snap['reach_s'])}; the whole "
                         f"`netwarden reach` process {fmt_s(snap['cli_reach']['wall_s'])}); from the "
                         f"Azure JSON {fmt_s(large['reach_with_load_s'])} (load {fmt_s(large['load_s'])})",
                         verdict(ok)))
        else:
            ok = large["reach_with_load_s"] < t["reach_with_load_s"]
            rows.append(("reach incl. load < 0.5 s (large)",
                         f"{fmt_s(large['reach_with_load_s'])} (load {fmt_s(large['load_s'])}, reach "
                         f"{fmt_s(large['reach_cold_s'])})", verdict(ok)))
    n = results.get("nsg1000")
    if n:
        rows.append(("compile a 1,000-rule NSG < 50 ms", f"{fmt_s(n['cold_median_s']['both'])} "
                     f"(median of {n['repeats']}, both directions, fresh packet space)",
                     verdict(n["cold_median_s"]["both"] < t["nsg1000_compile_s"])))
    if large:
        cli = large.get("cli", {})
        scan = cli.get("scan")
        if scan:
            time_ok = None if scan.get("timed_out") else scan["wall_s"] < t["scan_s"]
            rss_ok = scan["rss_mb"] < t["scan_rss_mb"] if scan.get("ok") else None
            rows.append(("full scan < 15 s (large)", fmt_measure(scan, rss=False),
                         verdict(time_ok) if time_ok is not None else "**missed**"))
            rows.append(("full scan < 2 GiB (large)", fmt_mb(scan["rss_mb"]) + " peak RSS", verdict(rss_ok)))
        for name, key, label in (("matrix", "matrix_s", f"matrix --by subnet < 60 s (large: {large['subnets']:,} subnets)"),
                                 ("diff", "diff_s", "diff, one rule changed < 10 s (large)")):
            m = cli.get(name)
            if not m:
                continue
            if m.get("timed_out"):
                rows.append((label, fmt_measure(m, rss=False), "**missed**" + (
                    f" (timed out at {m['wall_s']:.0f} s > {t[key]:.0f} s)")))
            else:
                rows.append((label, fmt_measure(m, rss=False), verdict(m.get("ok") and m["wall_s"] < t[key])))
    p5 = results.get("plan5k")
    if p5:
        rows.append(("5 MB plan JSON with 5,000 resources loads < 3 s",
                     f"{fmt_s(p5['load_s'])} for {p5['tf_resources']:,} resources in {p5['plan_mb']:.1f} MB "
                     f"(whole `netwarden validate`: {fmt_s(p5['validate']['wall_s'])})",
                     verdict(p5["load_s"] < t["plan5k_load_s"])))
    ratio = checkov_ratio(results)
    if ratio:
        size, value, lower = ratio
        rows.append(("netwarden ≥ 5× faster than Checkov (large)",
                     f"{'≥ ' if lower else ''}{value:.1f}× at {size}" + (
                         " (Checkov timed out: a lower bound)" if lower else ""),
                     verdict(value >= t["checkov_ratio"]) if size == "large" else
                     f"measured at {size} only"))
    return rows


def checkov_ratio(results: dict) -> tuple[str, float, bool] | None:
    """(size, Checkov wall / netwarden wall, is it a lower bound) at the largest size run."""
    for size in reversed(list(results["sizes"])):
        side = results["sizes"][size].get("checkov")
        if not side:
            continue
        c, n = side.get("checkov_best"), side.get("netwarden_best")
        if not c or not n or not n.get("ok"):
            continue
        return size, c["wall_s"] / n["wall_s"], bool(c.get("timed_out"))
    return None


def figures(results: dict) -> str:
    sizes = results["sizes"]
    names = list(sizes)

    def cli(name: str) -> Callable[[dict], str]:
        return lambda r: fmt_measure((r.get("cli") or {}).get(name))

    rows: list[tuple[str, Callable[[dict], str]]] = [
        ("NICs / subnets", lambda r: f"{r['nics']:,} / {r['subnets']:,}"),
        ("NSGs × user rules", lambda r: f"{r['nsg_compile']['nsgs']:,} × "
                                        f"{r['nsg_compile']['rules'] // max(r['nsg_compile']['nsgs'], 1)}"),
        ("firewall network rules", lambda r: f"{r['fw_rules']:,}"),
        ("Azure JSON / Terraform plan", lambda r: f"{r['input_mb']:.1f} MB / {r['tf_load']['plan_mb']:.1f} MB "
                                                  f"({r['tf_load']['tf_resources']:,} TF resources)"),
        ("generate (in memory)", lambda r: fmt_s(r.get("generate_s"))),
        ("import netwarden", lambda r: fmt_s(r["import_s"])),
        ("**load** Azure JSON (CPU)", lambda r: f"{fmt_s(r['load_s'])} ({fmt_s(r.get('load_cpu_s'))})"),
        ("**load** Terraform plan (CPU)", lambda r: f"{fmt_s(r['tf_load']['load_s'])} "
                                                    f"({fmt_s(r['tf_load']['load_cpu_s'])})"),
        ("reach, cold (after load)", lambda r: fmt_s(r["reach_cold_s"])),
        ("**reach incl. load** (CPU)", lambda r: f"{fmt_s(r['reach_with_load_s'])} "
                                                 f"({fmt_s(r.get('reach_with_load_cpu_s'))})"),
        ("reach, warm / trace (1 packet)", lambda r: f"{fmt_s(r['reach_warm_s'])} / {fmt_s(r['trace_s'])}"),
        ("`netwarden snapshot`: write / size", lambda r: f"{fmt_s(r['snapshot']['write_s'])} / "
                                                      f"{r['snapshot']['bytes'] / 2**20:.0f} MB"
         if r.get("snapshot") else "–"),
        ("**reach incl. load from the snapshot** (CPU)",
         lambda r: f"{fmt_s(r['snapshot']['reach_with_load_s'])} "
                   f"({fmt_s(r['snapshot']['reach_with_load_cpu_s'])}); restore "
                   f"{fmt_s(r['snapshot']['restore_s'])}, {r['snapshot']['materialised']:,} of "
                   f"{r['snapshot']['resources']:,} resources materialised" if r.get("snapshot") else "–"),
        ("`netwarden reach` from the snapshot (process)",
         lambda r: fmt_measure(r["snapshot"]["cli_reach"]) if r.get("snapshot") else "–"),
        ("**compile all NSGs** (in+out)", lambda r: fmt_s(r["nsg_compile"]["total_s"])),
        ("compile per NSG: mean / p95 / max",
         lambda r: " / ".join(fmt_s(r["nsg_compile"][k]) for k in ("mean_s", "p95_s", "max_s"))),
        ("peak RSS of load+reach+compile", lambda r: fmt_mb(r["rss_peak_mb"])),
        ("**scan** (all checks)", cli("scan")),
        ("**matrix --by subnet**", cli("matrix")),
        ("**diff** (one rule changed)", cli("diff")),
        ("**verify** (generated intent)", cli("verify")),
        ("Checkov, plan (best of rounds)", lambda r: fmt_measure((r.get("checkov") or {}).get("checkov_best"))),
        ("netwarden scan, same plan, matching checks",
         lambda r: fmt_measure((r.get("checkov") or {}).get("netwarden_best"))),
    ]
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, f in rows:
        cells = []
        for n in names:
            try:
                cells.append(f(sizes[n]))
            except (KeyError, TypeError):
                cells.append("–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    flows = results.get("flows") or {}
    if flows:
        cells = []
        for n in names:
            v = flows.get(n) or {}
            cells.append(f"{v['tuples']:,} tuples ({v['json_mb']:.0f} MB): {fmt_s(v['wall_s'])} "
                         f"(CPU {fmt_s(v['cpu_s'])}, {fmt_mb(v['rss_mb'])})" if "wall_s" in v else
                         v.get("error", "–"))
        lines.append("| flow-log ingest (flows_bench.ingest, Parquet) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def exponent_table(results: dict) -> str:
    ex = results.get("exponents") or {}
    cols = sorted({c for row in ex.values() for c in row}, key=lambda c: (c == "fit", c))
    cols = [c for c in cols if c != "fit"] + ["fit"]
    lines = ["| metric | " + " | ".join(c if c != "fit" else "least-squares fit" for c in cols) + " |",
             "|---|" + "---|" * len(cols)]
    for metric, row in ex.items():
        lines.append(f"| {metric} | " + " | ".join("–" if row.get(c) is None else f"{row[c]:.2f}"
                                                   for c in cols) + " |")
    return "\n".join(lines)


def checkov_section(results: dict) -> list[str]:
    env = results.get("checkov_env") or {}
    if not env.get("checkov"):
        return ["### Side by side with Checkov", "",
                f"_Not run: {(env.get('note') or 'Checkov unavailable').rstrip('.')}._", ""]
    lines = ["### Side by side with Checkov", "",
             f"{env.get('version', 'checkov')} in `benchmarks/.venv-checkov`; both as whole processes on the "
             "same `plan.json`, alternating, best wall time of the rounds (a timed-out Checkov run is "
             "not repeated). Checkov: `checkov -f plan.json --framework terraform_plan --check "
             "CKV_AZURE_9,CKV_AZURE_10,CKV_AZURE_160,CKV_AZURE_77,CKV_AZURE_35,CKV_AZURE_109,CKV_AZURE_122,"
             "CKV_AZURE_135,CKV_AZURE_12 --skip-download -o json`; netwarden: `netwarden scan plan.json "
             "--input-format terraform --format json --check EDGE001 --check EDGE004 --check PAAS001 "
             "--check PAAS003 --check MON002`.", "",
             "| size | plan | Checkov rounds (wall) | netwarden rounds (wall) | Checkov best | netwarden best | ratio |",
             "|---|---|---|---|---|---|---|"]
    for size, r in results["sizes"].items():
        side = r.get("checkov")
        if not side:
            continue
        c, n = side["checkov_best"], side["netwarden_best"]
        ratio = f"{'≥ ' if c.get('timed_out') else ''}{c['wall_s'] / n['wall_s']:.1f}×" if n.get("ok") else "–"
        if c.get("timed_out") and c.get("extrapolated_s") and n.get("ok"):
            ratio += f" (≈ {c['extrapolated_s'] / n['wall_s']:.0f}× extrapolated)"
        lines.append(f"| {size} | {r['tf_load']['plan_mb']:.0f} MB, {r['tf_load']['tf_resources']:,} resources | "
                     + ", ".join(("> " if m.get("timed_out") else "") + fmt_s(m["wall_s"]) for m in side["checkov"])
                     + " | " + ", ".join(fmt_s(m["wall_s"]) for m in side["netwarden"]) + " | "
                     + fmt_measure(c) + " | " + fmt_measure(n) + f" | {ratio} |")
    lines.append("")
    comp = results.get("compare")
    if not comp:
        return lines
    import checkov_bench as cb
    rows = comp["rows"]
    lines += [f"**Verdicts at {comp['size']}** (same plan; unit = the resource Checkov reports on; "
              "netwarden FAIL = the scan's finding, or for ports 80 and UDP a `reach` from the internet, "
              "see checkov_bench.py):", "",
              "| Checkov check | netwarden | unit | both fail | both pass | Checkov only | netwarden only |",
              "|---|---|---|---|---|---|---|"]
    for check, (what, counterpart, unit) in cb.PAIRS.items():
        mine = [x for x in rows if x["check"] == check]
        bf = sum(1 for x in mine if x["agree"] and x["netwarden"] == "FAIL")
        bp = sum(1 for x in mine if x["agree"] and x["netwarden"] == "pass")
        co = sum(1 for x in mine if not x["agree"] and x["netwarden"] == "pass")
        no = sum(1 for x in mine if not x["agree"] and x["netwarden"] == "FAIL")
        lines.append(f"| {check} ({what}) | {counterpart} | {unit} | {bf} | {bp} | {co} | {no} |")
    agree = sum(1 for x in rows if x["agree"])
    log4j = ", ".join(f"{k} {v['result']}" for k, v in comp.get("checkov_135", {}).items()) or "–"
    lines += ["", f"Agreement: {agree} of {len(rows)} verdicts ({100 * agree / max(len(rows), 1):.0f} %). "
              f"CKV_AZURE_135 (WAF Log4j rule set) has no netwarden counterpart: {log4j}.", ""]
    dis = [x for x in rows if not x["agree"]]
    if dis:
        lines += [f"<details><summary>Every disagreement at {comp['size']} ({len(dis)}), with its explanation"
                  "</summary>", "", "| check | unit | Checkov | netwarden | why |", "|---|---|---|---|---|"]
        for x in dis:
            why = x["why"].replace("|", "\\|")
            lines.append(f"| {x['check']} | {x['unit']} | {x['checkov']} | {x['netwarden']} | {why} |")
        lines += ["", "</details>", ""]
    return lines


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"Measured {results['date']} on {m['nproc']} CPUs ({m['affinity']} usable, {m['cpu']}, "
        f"{m.get('mem_mb', 0) / 1024:.0f} GiB RAM), Python {m['python']} ({m['platform']}), netwarden at commit "
        f"{m['commit']}{' with uncommitted changes in ' + ', '.join(m['src_uncommitted']) if m['src_uncommitted'] else ''}. "
        f"Seed {results['seed']}; timeout per whole-process measurement {results['timeout_s']:.0f} s; "
        f"load average when it began {', '.join(f'{x:.1f}' for x in m.get('load_before', ()))} "
        "(the machine is shared: where wall time exceeds CPU time, other work took the CPU). "
        f"The suite took {results.get('suite_s', 0) / 60:.1f} min.",
        "",
        "Commands (estates in `benchmarks/out/<size>-seed1`, the plan in `…-tf/plan.json`, the "
        "one-rule change in `…-v2`, the intent in `….intent.yaml`):",
        "",
        "```",
        f"python benchmarks/run.py {' '.join(results.get('argv') or [])}".rstrip(),
        *dict.fromkeys(results.get("commands", [])),
        "```",
        "",
        "#### Targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *(f"| {a} | {b} | {c} |" for a, b, c in targets(results)),
        "",
        "#### Figures",
        "",
        "Whole-process rows: wall time (CPU time, peak RSS). Timed-out measurements say so and "
        "carry an extrapolation from the exponent fitted on the sizes that finished.",
        "",
        figures(results),
        "",
    ]
    n = results.get("nsg1000")
    if n:
        lines += [
            f"Single 1,000-rule NSG ({n['inbound_rules']} inbound + {n['rules'] - n['inbound_rules']} outbound "
            f"user rules + defaults, no catch-all: {n['decisions']['Inbound']} + {n['decisions']['Outbound']} "
            f"rules decide packets), fresh packet space, median of {n['repeats']}: inbound "
            f"{fmt_s(n['cold_median_s']['Inbound'])}, outbound {fmt_s(n['cold_median_s']['Outbound'])}, both "
            f"{fmt_s(n['cold_median_s']['both'])} (CPU {fmt_s(n['cold_median_s']['both_cpu'])}; warm "
            f"{fmt_s(n['warm_median_s'])}).", ""]
    p5 = results.get("plan5k")
    if p5:
        lines += [f"Plan load ({p5['tf_resources']:,} Terraform resources, {p5['plan_mb']:.1f} MB, "
                  f"{p5['model_resources']:,} model resources): load_estate {fmt_s(p5['load_s'])} "
                  f"(CPU {fmt_s(p5['load_cpu_s'])}, peak RSS {fmt_mb(p5['rss_mb'])}); the whole "
                  f"`netwarden validate --input-format terraform` process "
                  f"{fmt_measure(p5['validate'])}.", ""]
    base = {k: (v or {}).get("wall_s") for k, v in (results.get("startup") or {}).items()}
    lines += ["#### Growth exponents", "",
              "k in t ∝ NICs^k (peak memory for the RSS row), from the raw wall times. Whole processes "
              f"start with a fixed cost (`netwarden --help` {fmt_s(base.get('netwarden'))}, `checkov "
              f"--version` {fmt_s(base.get('checkov'))}) that the small size is mostly made of, which "
              "flattens small→medium: medium→large is the telling column. Extrapolations fit the time "
              "above that start-up.", "",
              exponent_table(results), ""]
    lines.append("![time against estate size](time_vs_size.png)" if results.get("plot")
                 else f"_No plot: {results.get('plot_note', 'matplotlib not importable')}._")
    lines.append("")
    lines += checkov_section(results)
    k8s = results.get("k8s")
    lines += ["#### Kubernetes connectivity", ""]
    if k8s:
        lines += ["`benchmarks/k8s_bench.py --namespaces N --runs 1` (10 workloads × 10 pods and 20 "
                  "NetworkPolicies per namespace; the full `matrix --by workload`), one process per size:", "",
                  "| pods | policies | whole process | load | map | render | cells | peak RSS |",
                  "|---|---|---|---|---|---|---|---|"]
        for size, m in k8s.items():
            ph = m.get("phases") or {}
            lines.append(f"| {m['pods']:,} ({size}) | {m['pods'] // 5:,} | {fmt_measure(m)} | "
                         f"{fmt_s(ph.get('load'))} | {fmt_s(ph.get('map'))} | {fmt_s(ph.get('render'))} | "
                         f"{ph.get('cells', '–')} | {fmt_mb(ph.get('rss_mb'))} |")
        lines.append("")
    else:
        lines += ["_Not measured: benchmarks/k8s_bench.py is not in this checkout (run.py runs it when "
                  "it appears)._", ""]
    for size, r in results["sizes"].items():
        for key, title in (("profile_load", "load_estate"), ("profile_reach_cold", "first reach (after load)")):
            if key not in r:
                continue
            lines += [f"<details><summary>cProfile, {size}: {title} (top by tottime)</summary>", "",
                      "| function | calls | tottime | cumtime |", "|---|---|---|---|"]
            for row in r[key][0]["rows"][:12]:
                lines.append(f"| `{row['function']}` | {row['calls']:,} | {row['tottime_s']:.2f} s | "
                             f"{row['cumtime_s']:.2f} s |")
            lines += ["", "</details>", ""]
    return "\n".join(lines)


def summary(results: dict) -> str:
    lines = [f"{a}: {b} -> {c}" for a, b, c in targets(results)]
    comp = results.get("compare")
    if comp:
        agree = sum(1 for x in comp["rows"] if x["agree"])
        lines.append(f"Checkov verdicts at {comp['size']}: {agree}/{len(comp['rows'])} agree")
    return "\n".join(lines).replace("**", "")


def update_readme(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in old:
        old += f"\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")
