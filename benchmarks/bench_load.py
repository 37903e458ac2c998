"""Benchmark: loading `kubectl get -o json` dumps, building every frame, auditing, saved snapshots.

A script, not a test. For each size it generates the synthetic cluster once
(benchmarks/synth.py, cached under --data), then measures each variant in a
fresh subprocess so peak memory (VmHWM) is that variant's own:

  json.load      every file with the standard library, garbage collector off (the baseline)
  k8saudit       ka.load(dir) + every frame
  audit          ka.audit() on the loaded snapshot (frames already built)
  scan           the whole `k8saudit scan DIR --format json` (peak memory)
  save / reload  snap.save(dir) size, and ka.load(saved dir) + every frame

    python benchmarks/bench_load.py --pods 1000,10000            # minutes
    python benchmarks/bench_load.py --pods 100000                # ~4 GB of JSON, ~10 min the first time
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

VARIANTS = {
    "json.load": """
import gc, glob, json, time
gc.disable()
t = time.perf_counter()
for f in sorted(glob.glob(DIR + '/*.json')):
    with open(f, 'rb') as fh:
        json.load(fh)
print(time.perf_counter() - t)
""",
    "k8saudit": """
import time, k8saudit as ka
t = time.perf_counter()
s = ka.load(DIR)
for name in ka.FRAMES:
    s.frame(name)
print(time.perf_counter() - t)
""",
    "audit": """
import time, k8saudit as ka
from k8saudit.findings import audit
s = ka.load(DIR)
for name in ka.FRAMES:
    s.frame(name)
t = time.perf_counter()
f = audit(s)
print(time.perf_counter() - t, len(f))
""",
    "scan": """
import time, sys, io, contextlib
from k8saudit.cli import main
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    main(['scan', DIR, '--format', 'json', '-q'])
print(time.perf_counter() - t)
""",
    "save": """
import time, shutil, k8saudit as ka, pathlib
s = ka.load(DIR)
out = pathlib.Path(DIR + '.snapshot')
shutil.rmtree(out, ignore_errors=True)
t = time.perf_counter()
s.save(out)
size = sum(p.stat().st_size for p in out.rglob('*') if p.is_file())
print(time.perf_counter() - t, size)
""",
    "reload": """
import time, k8saudit as ka
t = time.perf_counter()
s = ka.load(DIR + '.snapshot')
for name in ka.FRAMES:
    s.frame(name)
print(time.perf_counter() - t)
""",
}


def run_variant(name: str, data: Path) -> tuple[list[str], float]:
    """Run one variant in a fresh interpreter; returns its printed values and its peak RSS in MB."""
    code = f"DIR = {str(data)!r}\n" + VARIANTS[name] + """
import sys
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'):
        print('HWM', int(line.split()[1]) / 1024, file=sys.stderr)
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"{name} failed:\n{r.stderr[-3000:]}")
    hwm = next(float(x.split()[1]) for x in r.stderr.splitlines() if x.startswith("HWM"))
    return r.stdout.split(), hwm


def ensure_data(n: int, root: Path) -> Path:
    out = root / f"synth-{n}"
    if not (out / "pods.json").exists():
        print(f"generating {n:,} pods into {out} …", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "synth.py"), "--pods", str(n), "-o", str(out), "-q"], check=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", default="1000,10000", help="comma-separated cluster sizes")
    ap.add_argument("--data", default=str(HERE / ".data"), help="where generated clusters are cached")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    results = []
    for n in [int(x) for x in args.pods.split(",")]:
        data = ensure_data(n, Path(args.data))
        size = sum(p.stat().st_size for p in data.glob("*.json"))
        row: dict[str, float | int] = {"pods": n, "dump_mb": size / 1024**2}
        for name in VARIANTS:
            t0 = time.perf_counter()
            vals, hwm = run_variant(name, data)
            row[f"{name}_s"] = float(vals[0])
            row[f"{name}_peak_mb"] = hwm
            if name == "save":
                row["snapshot_mb"] = int(vals[1]) / 1024**2
            if name == "audit":
                row["findings"] = int(vals[1])
            print(f"  {n:>7,} pods  {name:<10} {float(vals[0]):8.2f} s   peak {hwm:8,.0f} MB   "
                  f"(wall {time.perf_counter() - t0:.1f} s)", file=sys.stderr)
        results.append(row)
    print()
    print(f"{'pods':>8} {'dump MB':>8} {'json.load s':>11} {'peak MB':>8} {'k8saudit s':>10} {'peak MB':>8} "
          f"{'ratio':>6} {'audit s':>8} {'scan peak':>9} {'snap MB':>8} {'reload s':>8}")
    for r in results:
        print(f"{r['pods']:>8,} {r['dump_mb']:>8,.0f} {r['json.load_s']:>11.2f} {r['json.load_peak_mb']:>8,.0f} "
              f"{r['k8saudit_s']:>10.2f} {r['k8saudit_peak_mb']:>8,.0f} {r['k8saudit_s'] / r['json.load_s']:>6.2f} "
              f"{r['audit_s']:>8.2f} {r['scan_peak_mb']:>9,.0f} {r['snapshot_mb']:>8,.1f} {r['reload_s']:>8.2f}")
    print("\nratio = k8saudit (load + every frame) / json.load; target <= 0.5, peak <= 2,500 MB; "
          "snapshot <= 1/10 of the dump; audit < 5 s at 100k pods")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
