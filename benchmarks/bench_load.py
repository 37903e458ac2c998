"""Benchmark: loading `kubectl get -o json` dumps, building every frame, auditing, saved snapshots.

A script, not a test. For each size it generates the synthetic cluster once
(benchmarks/synth.py, cached under --data), then measures each variant in a
fresh subprocess, --runs times (default 3), the variants taking turns so a
baseline and k8saudit share the machine's load; it reports the min and median
of wall time and of CPU time (user + system, worker processes included; the
system part apart: page faults on fresh memory are most of it) and
the peak resident memory (VmHWM of the process, plus the largest worker's):

  msgspec        msgspec.json.decode() of every file in full, garbage collector off (the strongest baseline)
  json.load      every file with the standard library, garbage collector off (the second baseline)
                 (the baselines are timed file by file, reading included, freeing each file's objects not
                 counted: their peak is that of the largest file)
  k8saudit       ka.load(dir) + every frame (the modules they use imported before the clock: `import k8saudit`
                 alone defers pandas and pyarrow to first use)
  k8saudit-pN    the same, K8SAUDIT_WORKERS=N: N processes admit the pods, the loader and N - 1 worker processes
                 (p1: the loader alone; the workers' CPU time counted, their peak in the workers column)
  audit          ka.audit() on the loaded snapshot (frames already built)
  scan           the whole `k8saudit scan DIR --format json` in-process (peak memory), its output to
                 /dev/null through a byte stream, as a shell's pipe or file gets it (the JSON is streamed)
  scan-process   `k8saudit scan DIR --format json -q` as a user runs it, imports included (wall from outside)
  save / reload  snap.save(dir) size, and ka.load(saved dir) + every frame

    python benchmarks/bench_load.py --pods 1000,10000            # minutes
    python benchmarks/bench_load.py --pods 100000 --runs 3       # 6.3 GB of JSON, ~10 min the first time

The load average before and after is printed: on a shared machine compare
figures of one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_FILES = "sorted(glob.glob(DIR + '/*.json'))"


def _baseline(module: str, decode: str) -> str:
    """A plain decode of every file, the GC off: timed file by file, reading included, freeing not counted."""
    return f"""
import gc, glob, os, {module}
gc.disable()
wall = cpu_s = sys_s = 0.0
for f in {_FILES}:
    t, c, s = time.perf_counter(), time.process_time(), os.times().system
    with open(f, 'rb') as fh:
        doc = {decode}
    wall += time.perf_counter() - t
    cpu_s += time.process_time() - c
    sys_s += os.times().system - s
    del doc  # freeing it is not counted: the baseline's user keeps it
RESULT, CPU, SYS = [wall], cpu_s, sys_s
"""


_K8SAUDIT = """
import k8saudit as ka
import k8saudit.frames, k8saudit.snapshot, k8saudit.sources.files  # imported before the clock, as the baselines' are
CPU0, t = cpu(), time.perf_counter()
s = ka.load(DIR)
for name in ka.FRAMES:
    s.frame(name)
RESULT = [time.perf_counter() - t]
"""

VARIANTS = {
    "msgspec": _baseline("msgspec", "msgspec.json.decode(fh.read())"),
    "json.load": _baseline("json", "json.load(fh)"),
    "k8saudit": _K8SAUDIT,
    **{  # the same, K8SAUDIT_WORKERS=N: the loader alone (p1) or with 1 or 2 worker processes (p2, p3)
        f"k8saudit-p{n}": f"import os\nos.environ['K8SAUDIT_WORKERS'] = '{n}'\n" + _K8SAUDIT for n in (1, 2, 3)
    },
    "audit": """
import k8saudit as ka
from k8saudit.findings import audit
s = ka.load(DIR)
for name in ka.FRAMES:
    s.frame(name)
CPU0, t = cpu(), time.perf_counter()
f = audit(s)
RESULT = [time.perf_counter() - t, len(f)]
""",
    "scan": """
import io, os, contextlib
from k8saudit.cli import main
CPU0, t = cpu(), time.perf_counter()
with open(os.devnull, 'wb') as sink, contextlib.redirect_stdout(io.TextIOWrapper(sink, write_through=True)):
    main(['scan', DIR, '--format', 'json', '-q'])
RESULT = [time.perf_counter() - t]
""",
    "save": """
import shutil, k8saudit as ka, pathlib
s = ka.load(DIR)
out = pathlib.Path(DIR + '.snapshot')
shutil.rmtree(out, ignore_errors=True)
CPU0, t = cpu(), time.perf_counter()
s.save(out)
size = sum(p.stat().st_size for p in out.rglob('*') if p.is_file())
RESULT = [time.perf_counter() - t, size]
""",
    "reload": """
import k8saudit as ka
CPU0, t = cpu(), time.perf_counter()
s = ka.load(DIR + '.snapshot')
for name in ka.FRAMES:
    s.frame(name)
RESULT = [time.perf_counter() - t]
""",
}

_PRELUDE = """
import resource, time
def _now():
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime, a.ru_stime + b.ru_stime
def cpu():  # the CPU seconds so far; the system seconds among them are kept as where the clock starts (SYS0)
    global SYS0
    total, SYS0 = _now()
    return total
CPU0 = cpu()
WORKER_MB = []
if VARIANT not in ('msgspec', 'json.load'):  # each worker's own peak, read before it ends (see _REPORT)
    from k8saudit.sources import _parallel
    def _peaks(end):
        def ending(pool):  # before the workers are stopped (abandon) or end (close)
            for p in pool.procs:
                try:
                    with open(f'/proc/{p.pid}/status') as f:
                        WORKER_MB.append(next(int(l.split()[1]) / 1024 for l in f if l.startswith('VmHWM:')))
                except (OSError, StopIteration):  # stopped already
                    pass
            end(pool)
        return ending
    _parallel.Pool.abandon, _parallel.Pool.close = _peaks(_parallel.Pool.abandon), _peaks(_parallel.Pool.close)
"""

_REPORT = """
import json, sys
hwm = next(int(l.split()[1]) / 1024 for l in open('/proc/self/status') if l.startswith('VmHWM:'))
# the largest worker's own peak, read from /proc before it ended: not RUSAGE_CHILDREN's ru_maxrss, which for a
# child started by vfork and exec also holds the parent's resident set at that moment (exec records the high
# water of the memory it leaves, the parent's, as the child's)
child = max(WORKER_MB, default=0)
total, system = _now()
print(json.dumps({'values': RESULT, 'cpu': globals().get('CPU', total - CPU0), 'sys': globals().get('SYS', system - SYS0),
                  'peak_mb': hwm, 'worker_peak_mb': child}))
"""

# `k8saudit scan` as a user runs it: the clock is outside the process, so imports count
_PROCESS = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run([sys.argv[1], 'scan', sys.argv[2], '--format', 'json', '-q'], stdout=subprocess.DEVNULL).returncode
dt = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({'values': [dt, rc], 'cpu': r.ru_utime + r.ru_stime, 'sys': r.ru_stime,
                  'peak_mb': r.ru_maxrss / 1024, 'worker_peak_mb': 0}))
"""


def run_variant(name: str, data: Path) -> dict:
    """Run one variant in a fresh interpreter: its printed values, CPU seconds and peak RSS in MB."""
    if name == "scan-process":
        exe = str(Path(sys.executable).with_name("k8saudit"))
        cmd = [sys.executable, "-c", _PROCESS, exe, str(data)]
    else:
        cmd = [sys.executable, "-c", f"DIR, VARIANT = {str(data)!r}, {name!r}\n" + _PRELUDE + VARIANTS[name] + _REPORT]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"{name} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def ensure_data(n: int, root: Path) -> Path:
    out = root / f"synth-{n}"
    if not (out / "pods.json").exists():
        print(f"generating {n:,} pods into {out} …", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "synth.py"), "--pods", str(n), "-o", str(out), "-q"], check=True)
    return out


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def _mm(xs: list[float], fmt: str = "{:.2f}") -> str:
    """min/median of a few runs."""
    return f"{fmt.format(min(xs))}/{fmt.format(statistics.median(xs))}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", default="1000,10000", help="comma-separated cluster sizes")
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per variant (default 3)")
    ap.add_argument(
        "--variants",
        default=",".join([*(v for v in VARIANTS if not v.startswith("k8saudit-p")), "scan-process"]),
        help="comma-separated variants (default: all but the k8saudit-pN)",
    )
    ap.add_argument("--data", default=str(HERE / ".data"), help="where generated clusters are cached")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    results = []
    print(f"{os.cpu_count()} CPUs; load average {_load()} at start", file=sys.stderr)
    for n in [int(x) for x in args.pods.split(",")]:
        data = ensure_data(n, Path(args.data))
        size = sum(p.stat().st_size for p in data.glob("*.json"))
        row: dict = {"pods": n, "dump_mb": size / 1024**2, "load_before": _load()}
        runs: dict[str, list[dict]] = {v: [] for v in variants}
        for i in range(args.runs):  # the variants take turns: each round sees the same load
            for name in variants:
                if name == "reload" and not (data.parent / (data.name + ".snapshot")).exists():
                    runs["save"] = runs.get("save") or [run_variant("save", data)]
                got = run_variant(name, data)
                runs[name].append(got)
                print(
                    f"  {n:>7,} pods  {name:<12} run {i + 1}: {got['values'][0]:8.2f} s wall "
                    f"{got['cpu']:8.2f} s CPU ({got['sys']:.2f} s system)  peak {got['peak_mb']:8,.0f} MB "
                    f"(workers {got['worker_peak_mb']:,.0f} MB)",
                    file=sys.stderr,
                    flush=True,
                )
        for name, rs in runs.items():
            if not rs:
                continue
            row[name] = {
                "wall_s": [r["values"][0] for r in rs],
                "cpu_s": [r["cpu"] for r in rs],
                "sys_s": [r["sys"] for r in rs],
                "peak_mb": [r["peak_mb"] for r in rs],
                "worker_peak_mb": [r["worker_peak_mb"] for r in rs],
                "values": [r["values"][1:] for r in rs],
            }
        row["load_after"] = _load()
        results.append(row)
    _print(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def _ratios(r: dict, kname: str) -> None:
    k = r.get(kname)
    for base in ("msgspec", "json.load"):
        b = r.get(base)
        if k and b:
            print(
                f"  {kname} load + every frame / {base} (GC off): wall "
                f"{min(k['wall_s']) / min(b['wall_s']):.2f} (min) "
                f"{statistics.median(k['wall_s']) / statistics.median(b['wall_s']):.2f} (median), "
                f"CPU {min(k['cpu_s']) / min(b['cpu_s']):.2f} (min)"
            )


def _print(results: list[dict]) -> None:
    print()
    for r in results:
        print(
            f"{r['pods']:,} pods, {r['dump_mb']:,.0f} MB of JSON; load average {r['load_before']} before, "
            f"{r['load_after']} after; min/median of {len(next(iter(v for v in r.values() if isinstance(v, dict)))['wall_s'])} fresh processes"
        )
        print(f"  {'variant':<13} {'wall s':>13} {'CPU s':>13} {'of it system':>13} {'peak MB':>9} {'workers MB':>10}")
        for name in [*VARIANTS, "scan-process"]:
            v = r.get(name)
            if not v:
                continue
            print(
                f"  {name:<13} {_mm(v['wall_s']):>13} {_mm(v['cpu_s']):>13} {_mm(v['sys_s']):>13} "
                f"{max(v['peak_mb']):>9,.0f} "
                f"{max(v['worker_peak_mb']):>10,.0f}"
            )
        for kname in (v for v in VARIANTS if v.startswith("k8saudit")):
            _ratios(r, kname)

        if r.get("audit"):
            print(f"  findings: {r['audit']['values'][0][0]:,}")
        if r.get("save"):
            print(f"  saved snapshot: {r['save']['values'][0][0] / 1024**2:,.1f} MB")
    print(
        "\ntargets at 100k pods: load + every frame <= 0.35x msgspec and <= 0.25x json.load, peak <= 1,600 MB; "
        "audit <= 2 s; scan peak <= 2,000 MB; at 1k pods scan-process <= 1 s"
    )


if __name__ == "__main__":
    main()
