"""Benchmark: the attack graph, its paths and its minimum cut on a synthetic cluster.

A script, not a test. It loads the synthetic cluster (benchmarks/synth.py, cached under --data),
builds every frame and audits it (not measured), then measures, above that:

  graph   ka.attack_graph(snap, findings)   time, and memory above the frames and findings
  paths   ka.attack_paths(graph)            the default entries and targets, k shortest per pair
  breach  ka.attack_paths(graph, assume_breach=True, targets="cluster-admin", k=1)
  cut     ka.attack_cut(graph, findings)

Memory is the peak resident set above the resident set once the frames and findings exist (the
kernel's peak counter is reset through /proc/self/clear_refs before each step).

    python benchmarks/bench_paths.py --pods 10000
    python benchmarks/bench_paths.py --pods 100000      # ~6 GB of JSON generated once, minutes
    python benchmarks/bench_paths.py --kinds --flows preflow_push,boykov_kolmogorov,dinitz

``--stages`` instead times a whole ``k8saudit scan DIR --format json`` stage by stage, in --runs fresh processes
(min/median of CPU seconds, wall beside): interpreter start, imports (pandas and numpy, networkx, k8saudit's own),
load, the frames the audit builds, the audit itself, graph, paths, priorities, the JSON export, the garbage
collector's share of all of it, and the exit (the quick one the command takes, and the ordinary one), the last
measured from outside the process::

    python benchmarks/bench_paths.py --pods 1000,10000 --stages

``--kinds`` also times each edge kind on its own (edges and CPU seconds per kind: a kind that grows as a
product of two sets shows here first); ``--flows`` times the cut's minimum-fix search with each networkx
maximum-flow function.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.bench_load import ensure_data  # noqa: E402


def _status(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def measure(name: str, fn, base_mb: float, rows: list[dict]) -> object:
    _reset_peak()
    t, cpu = time.perf_counter(), time.process_time()
    out = fn()
    dt, dcpu = time.perf_counter() - t, time.process_time() - cpu
    peak = _status("VmHWM") - base_mb
    rows.append(
        {"step": name, "seconds": round(dt, 2), "cpu_seconds": round(dcpu, 2), "peak_above_frames_mb": round(peak)}
    )
    print(f"  {name:<7} {dt:8.2f} s  (CPU {dcpu:6.2f} s)   peak {peak:8,.0f} MB above the frames", file=sys.stderr)
    return out


#: one scan, as cmd_scan runs it, stage by stage (the frames the audit builds are timed apart from the audit)
_STAGES = r"""
import gc, json, os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the k8saudit command starts (cli.run)
marks = [("interpreter start", time.process_time(), time.perf_counter())]
gc_cpu = [0.0, 0.0]
def _gc(phase, info):
    if phase == "start":
        gc_cpu[1] = time.process_time()
    else:
        gc_cpu[0] += time.process_time() - gc_cpu[1]
gc.callbacks.append(_gc)
def mark(name):
    marks.append((name, time.process_time(), time.perf_counter()))
from k8saudit import cli
cli._keep_freed_memory()  # as the command starts: the process keeps the large blocks it frees
cli._import_libraries()  # and imports pandas, numpy and pyarrow with the collector paused
mark("import pandas + numpy")
from k8saudit._util import gc_paused
with gc_paused():  # as with_attack_paths imports the graph's modules
    import networkx
mark("import networkx")
from k8saudit.export import findings_to_stream, with_attack_paths
from k8saudit.findings import audit
from k8saudit.paths import attack_graph, attack_paths, prioritize
from k8saudit.snapshot import Snapshot
mark("import k8saudit")
import k8saudit as ka
snap = ka.load(sys.argv[1])
mark("load")
frames_cpu = [0.0, 0.0, 0]
build = Snapshot.frame
def frame(self, name, *a, **k):
    if name in self._frames or frames_cpu[2]:
        return build(self, name, *a, **k)
    frames_cpu[2] = 1
    c, w = time.process_time(), time.perf_counter()
    try:
        return build(self, name, *a, **k)
    finally:
        frames_cpu[0] += time.process_time() - c
        frames_cpu[1] += time.perf_counter() - w
        frames_cpu[2] = 0
Snapshot.frame = frame
findings = audit(snap)
c, w = time.process_time(), time.perf_counter()
marks.append(("frames (those the audit builds)", marks[-1][1] + frames_cpu[0], marks[-1][2] + frames_cpu[1]))
marks.append(("audit", c, w))
g = attack_graph(snap, findings)
mark("attack graph")
paths = attack_paths(g)
mark("paths")
ranked = prioritize(findings, g, paths=paths)
mark("priorities")
for s in snap.members or [snap]:
    s.drop_frames(keep=["objects"])
with open(os.devnull, "wb") as out:
    findings_to_stream(ranked, "json", out, snapshot=snap)
mark("JSON export")
print(json.dumps({"marks": marks, "gc": gc_cpu[0]}))
sys.stdout.flush()
if sys.argv[2] == "quick":
    import atexit
    atexit._run_exitfuncs()
    os._exit(0)
"""


def stages(pods: list[int], data_root: Path, runs: int) -> None:
    """The stage table of a scan (see the module docstring): min/median of ``runs`` fresh processes."""
    import statistics
    import subprocess

    for n in pods:
        data = ensure_data(n, data_root)
        rows: dict[str, list[tuple[float, float]]] = {}
        gcs: list[float] = []
        totals: list[tuple[float, float]] = []
        for i in range(runs * 2):
            how = "quick" if i % 2 == 0 else "ordinary"
            t = time.perf_counter()
            p = subprocess.Popen(
                [sys.executable, "-c", _STAGES, str(data), how], stdout=subprocess.PIPE, cwd=HERE.parent
            )
            assert p.stdout is not None
            out = p.stdout.read()
            _, status, usage = os.wait4(p.pid, 0)  # the child's own CPU, its exit included
            p.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - t
            if p.returncode != 0:
                raise SystemExit(f"the stage run at {n:,} pods failed (exit {p.returncode})")
            ru = usage.ru_utime + usage.ru_stime
            doc = json.loads(out.decode().strip().splitlines()[-1])
            marks, prev = doc["marks"], (0.0, doc["marks"][0][2])
            for name, cpu, w in marks:
                if how == "quick":  # the start's wall is not known inside the process: left blank
                    rows.setdefault(name, []).append((cpu - prev[0], w - prev[1] if w != prev[1] else float("nan")))
                prev = (cpu, w)
            exit_cpu = ru - prev[0]
            rows.setdefault(f"exit ({how})", []).append((exit_cpu, float("nan")))
            if how == "quick":
                gcs.append(doc["gc"])
                totals.append((ru, wall))
        print(f"\n{n:,} pods: a scan stage by stage, CPU s (min/median of {runs} fresh processes), wall beside")
        for name, xs in rows.items():
            cpu = [x for x, _ in xs]
            walls = [w for _, w in xs if w == w]
            wall = f"{min(walls):6.3f}/{statistics.median(walls):6.3f}" if walls else ""
            print(f"  {name:<34} {min(cpu):6.3f}/{statistics.median(cpu):6.3f}   {wall}")
        print(f"  {'garbage collector (within the above)':<34} {min(gcs):6.3f}/{statistics.median(gcs):6.3f}")
        cpu = [c for c, _ in totals]
        walls = [w for _, w in totals]
        print(
            f"  {'whole process (quick exit)':<34} {min(cpu):6.3f}/{statistics.median(cpu):6.3f}   "
            f"{min(walls):6.3f}/{statistics.median(walls):6.3f}   load average {_loadavg()}"
        )


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", default="10000", help="cluster size (with --stages: comma-separated sizes)")
    ap.add_argument("--stages", action="store_true", help="time a whole scan stage by stage, in fresh processes")
    ap.add_argument("--runs", type=int, default=3, help="with --stages: fresh processes per size (default 3)")
    ap.add_argument("--data", default=str(HERE / ".data"), help="where generated clusters are cached")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    ap.add_argument("--kinds", action="store_true", help="also time each edge kind on its own")
    ap.add_argument("--flows", default="", help="comma-separated networkx flow functions to compare in the cut")
    args = ap.parse_args()
    if args.stages:
        stages([int(n) for n in args.pods.split(",")], Path(args.data), args.runs)
        return
    args.pods = int(args.pods)

    import k8saudit as ka

    data = ensure_data(args.pods, Path(args.data))
    t = time.perf_counter()
    snap = ka.load(data)
    for name in ka.FRAMES:
        snap.frame(name)
    findings = ka.audit(snap)
    print(
        f"{args.pods:,} pods: loaded, framed and audited in {time.perf_counter() - t:.1f} s "
        f"({len(findings):,} findings; RSS {_status('VmRSS'):,.0f} MB)",
        file=sys.stderr,
    )
    base = _status("VmRSS")
    rows: list[dict] = []
    g = measure("graph", lambda: ka.attack_graph(snap, findings), base, rows)
    paths = measure("paths", lambda: ka.attack_paths(g), base, rows)
    breach = measure(
        "breach", lambda: ka.attack_paths(g, assume_breach=True, entries=[], targets="cluster-admin", k=1), base, rows
    )
    cut = measure("cut", lambda: ka.attack_cut(g, findings), base, rows)
    e = g.edges_frame
    top = e["kind"].value_counts().head(5)
    print("\nedges per kind, top 5: " + ", ".join(f"{k} {n:,}" for k, n in top.items()), file=sys.stderr)
    if args.kinds:
        per_kind(snap)
    if args.flows:
        flows(g, args.flows.split(","))
    print(
        f"\ngraph: {g.number_of_nodes():,} vertices, {len(e):,} edges ({int(e['gap'].sum()):,} gaps); "
        f"{len(paths):,} paths (truncated: {paths.attrs['truncated']}); assume breach: {len(breach):,} paths "
        f"to cluster-admin; cut: {len(cut.fixes)} fixes, {len(cut.unbreakable_targets)} unbreakable targets"
    )
    total = sum(r["seconds"] for r in rows if r["step"] in ("graph", "paths"))
    cpu = sum(r["cpu_seconds"] for r in rows if r["step"] in ("graph", "paths"))
    peak = max(r["peak_above_frames_mb"] for r in rows if r["step"] in ("graph", "paths"))
    print(
        f"graph + paths: {total:.1f} s (CPU {cpu:.1f} s; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores), peak {peak:,} MB above the frames (aim: <= 10 s, <= 1,000 MB)"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "pods": args.pods,
                    "steps": rows,
                    "vertices": g.number_of_nodes(),
                    "edges": len(e),
                    "paths": len(paths),
                },
                indent=2,
            )
        )


def per_kind(snap) -> None:
    """Each edge kind on its own (the late ones after the others, as the graph builder runs them)."""
    from k8saudit.paths._context import Context
    from k8saudit.paths._graph import LATE
    from k8saudit.paths._registry import EDGE_KINDS

    ctx = Context(snap)
    for name in ("workloads", "pods", "nodes", "placement", "grants", "service_accounts"):
        getattr(ctx, name)  # the shared derivations, built once, are not charged to the first kind using them
    rows = []
    order = [k for k in EDGE_KINDS if k not in LATE] + list(LATE)
    for kid in order:
        cpu = time.process_time()
        out = EDGE_KINDS[kid].fn(ctx)
        rows.append((kid, len(out), time.process_time() - cpu))
        ctx.sources |= set(out["source"])
        ctx.targets |= set(out["target"])
    print("\nedge kind                      edges    CPU s", file=sys.stderr)
    for kid, n, dt in sorted(rows, key=lambda r: -r[1]):
        print(f"  {kid:<26} {n:>9,} {dt:8.2f}", file=sys.stderr)


def flows(g, names: list[str]) -> None:
    """The cut's minimum-fix search with each networkx maximum-flow function (same network, same answer)."""
    from networkx.algorithms import flow

    from k8saudit.paths import _cut
    from k8saudit.paths._paths import resolve_entries, resolve_targets

    e = g.edges_frame
    edges = [(s, t, frozenset(f)) for s, t, f in zip(e["source"], e["target"], e["finding_ids"])]
    ents, tgts = resolve_entries(g, None), resolve_targets(g, None)
    default = _cut.FLOW
    try:
        for name in names:
            _cut.FLOW = getattr(flow, name)
            t, cpu = time.perf_counter(), time.process_time()
            cut, _ = _cut.min_fix_set(edges, ents, tgts)
            print(
                f"  cut with {name:<26} {time.perf_counter() - t:7.2f} s (CPU {time.process_time() - cpu:6.2f} s), "
                f"{len(cut)} fixes",
                file=sys.stderr,
            )
    finally:
        _cut.FLOW = default


if __name__ == "__main__":
    main()
