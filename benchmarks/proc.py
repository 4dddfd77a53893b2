"""Whole-process measurements: wall time, CPU time and peak RSS of one command, with a
timeout (the process group is killed when it runs out)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# A small launcher between the suite and the measured command. On Linux the peak RSS a
# process reports includes the peak of the address space it was exec'd from; subprocess
# spawns with vfork, so a command started directly from a big parent would inherit the
# parent's peak. The launcher is a fresh, small interpreter (~10 MB) that forks the command
# and reports its rusage, so ``rss_mb`` is the command's own peak (+ at most that baseline).
_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"cpu_s": ru.ru_utime + ru.ru_stime, "maxrss_kb": ru.ru_maxrss}, f)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measure(cmd: Sequence[str], timeout: float, stdout: Path | None = None,
            env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``cmd``; return ``wall_s``, ``cpu_s`` (user + system of the process and the
    children it waited for), ``rss_mb`` (its peak resident set), ``rc``, ``timed_out`` and
    the tail of its stderr. ``stdout`` goes to that file (else is discarded)."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile(suffix=".json") as usage_file, \
            (open(stdout, "wb") if stdout else open(os.devnull, "wb")) as out:
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, usage_file.name, *cmd]
        start = time.perf_counter()
        p = subprocess.Popen(launcher, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        timed_out = False
        while True:
            pid, status, _ = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                timed_out = True
                try:
                    os.killpg(p.pid, signal.SIGKILL)     # the launcher and the command
                except ProcessLookupError:
                    pass
                pid, status, _ = os.wait4(p.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)   # keep Popen from waiting again
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
        try:
            inner = json.loads(Path(usage_file.name).read_text() or "{}")
        except ValueError:
            inner = {}
    # a killed command has no report of its own: the launcher's rusage of it is lost, so
    # CPU and RSS are unknown then
    return {"wall_s": wall, "cpu_s": inner.get("cpu_s"),
            "rss_mb": inner["maxrss_kb"] / 1024 if "maxrss_kb" in inner else None,
            "rc": p.returncode, "timed_out": timed_out, "stderr_tail": tail if p.returncode else ""}


def exponent(t1: float | None, t2: float | None, n1: float, n2: float) -> float | None:
    """k in t ∝ n^k between two points."""
    if not t1 or not t2 or t1 <= 0 or t2 <= 0 or n1 <= 0 or n2 <= 0 or n1 == n2:
        return None
    return math.log(t2 / t1) / math.log(n2 / n1)


def fit(points: Sequence[tuple[float, float | None]]) -> float | None:
    """Least-squares slope of log t against log n over the points that have a value."""
    pts = [(math.log(n), math.log(t)) for n, t in points if t and t > 0 and n > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / den if den else None


def extrapolate(t: float, n: float, n_target: float, k: float | None) -> float | None:
    return None if k is None else t * (n_target / n) ** k
