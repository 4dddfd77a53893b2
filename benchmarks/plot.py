"""time_vs_size.png from results.json: wall time of each measurement against estate size
(NICs), log-log; timed-out sizes drawn at their extrapolation, hollow and dashed.

    python benchmarks/plot.py benchmarks/results.json benchmarks/time_vs_size.png

Needs matplotlib (not a netwarden dependency): run.py calls it with the python of
benchmarks/.venv-checkov, where it installs matplotlib next to Checkov.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def series(results: dict[str, Any]) -> dict[str, list[tuple[int, float, bool]]]:
    """label -> [(NICs, seconds, extrapolated?)]"""
    out: dict[str, list[tuple[int, float, bool]]] = {}
    for r in results["sizes"].values():
        n = r.get("nics")
        if not n:
            continue
        for label, value in (("load (Azure JSON)", r.get("load_s")),
                             ("reach incl. load", r.get("reach_with_load_s")),
                             ("compile all NSGs", (r.get("nsg_compile") or {}).get("total_s"))):
            if value:
                out.setdefault(label, []).append((n, value, False))
        for name, m in (r.get("cli") or {}).items():
            if not m:
                continue
            if m.get("timed_out"):
                if m.get("extrapolated_s"):
                    out.setdefault(f"{name} (CLI)", []).append((n, m["extrapolated_s"], True))
            else:
                out.setdefault(f"{name} (CLI)", []).append((n, m["wall_s"], False))
        tf = r.get("tf_load")
        if tf and tf.get("load_s"):
            out.setdefault("load (Terraform plan)", []).append((n, tf["load_s"], False))
        side = r.get("checkov")
        if side:
            for tool in ("checkov", "netwarden"):
                best = side.get(f"{tool}_best")
                if best is None:
                    continue
                label = "Checkov (process)" if tool == "checkov" else "netwarden scan, same plan (process)"
                if best.get("timed_out"):
                    if best.get("extrapolated_s"):
                        out.setdefault(label, []).append((n, best["extrapolated_s"], True))
                else:
                    out.setdefault(label, []).append((n, best["wall_s"], False))
    return out


def main(argv: list[str]) -> int:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(argv[1]) as f:
        results = json.load(f)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for label, points in series(results).items():
        points.sort()
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        line, = ax.loglog(xs, ys, marker="o", label=label)
        for (x0, y0, e0), (x1, y1, e1) in zip(points, points[1:]):
            if e1:   # the last segment is an extrapolation
                ax.loglog([x0, x1], [y0, y1], linestyle="--", color=line.get_color())
                ax.plot([x1], [y1], marker="o", markerfacecolor="white", color=line.get_color())
        line.set_data([p[0] for p in points if not p[2]], [p[1] for p in points if not p[2]])
    large = results["sizes"].get("large", {}).get("nics")
    t = results.get("targets") or {}
    if large:   # the targets at large, as short black bars
        for label, key in (("scan 15 s", "scan_s"), ("matrix 60 s", "matrix_s"), ("diff 10 s", "diff_s"),
                           ("reach incl. load 0.5 s", "reach_with_load_s")):
            if key in t:
                ax.plot([large], [t[key]], marker="_", markersize=18, color="black")
                ax.annotate(f"target: {label}", (large, t[key]), xytext=(-8, 0), textcoords="offset points",
                            ha="right", va="center", fontsize=7)
    ax.set_xlabel("estate size (NICs; small / medium / large)")
    ax.set_ylabel("wall time, seconds")
    ax.set_title("netwarden: time against estate size (hollow/dashed: extrapolated)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(argv[2], dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
