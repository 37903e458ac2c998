"""Benchmark: a fleet of synthetic clusters, serial vs a Dask LocalCluster of 2 worker processes.

A script, not a test. It writes N saved snapshots of ~500-pod synthetic clusters
(benchmarks/synth.py; ``--variants`` distinct sizes around ``--pods``, each generated once and
saved as a snapshot, then copied under N cluster names), then measures, each in a fresh
subprocess so that peak memory is that run's own:

  serial    one process: load + audit each cluster in turn, keeping the findings (what a loop over
            ka.audit does)
  fleet     ka.fleet.audit on a LocalCluster (2 worker processes, 1 thread each): throughput, the
            client's peak and final resident memory, each worker's peak

and repeats the fleet run lazily (``lazy=True``: the findings stay on the workers) for growing N
(``--sweep``) to show that the client's memory does not grow with the fleet.

    python benchmarks/bench_fleet.py                              # 200 clusters of ~500 pods (minutes)
    python benchmarks/bench_fleet.py --clusters 40 --sweep 10,20  # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD_SERIAL = """
import json, resource, sys, time
import k8saudit as ka
paths = json.loads(sys.argv[1])
t, cpu0 = time.perf_counter(), time.process_time()
kept, n = [], 0
for p in paths:
    f = ka.audit(ka.load(p))
    f.attrs.clear()
    kept.append(f)          # the results, as a fleet keeps them
    n += len(f)
took = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": took, "findings": n, "cpu": time.process_time() - cpu0,
                  "peak_mb": ru.ru_maxrss / 1024}))
"""

CHILD_FLEET = """
import json, logging, resource, sys, threading, time
import psutil
from distributed import Client, LocalCluster
import k8saudit as ka

paths = json.loads(sys.argv[1])
lazy = sys.argv[2] == "lazy"
me = psutil.Process()
peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], me.memory_info().rss)
        time.sleep(0.02)
with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
    client.run(lambda: __import__("k8saudit.findings"))           # workers warm, as on a running cluster
    def cpu():
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime
    workers_cpu0 = client.run(cpu)
    client_cpu0 = time.process_time()
    before = me.memory_info().rss
    th = threading.Thread(target=sample, daemon=True); th.start()
    t = time.perf_counter()
    fleet = ka.fleet.audit(paths, client=client, progress=False, lazy=lazy)
    took = time.perf_counter() - t
    n_findings = int(fleet.clusters["findings"].sum())
    held = fleet.clusters.memory_usage(deep=True).sum() + fleet.checks.memory_usage(deep=True).sum() + \
        fleet.scorecard.memory_usage(deep=True).sum()
    if not lazy:
        held += fleet.findings.memory_usage(deep=True).sum()
    stop.set(); th.join()
    workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    workers_cpu = sum(c - workers_cpu0[w] for w, c in client.run(cpu).items())
    print(json.dumps({"seconds": took, "findings": n_findings, "failures": len(fleet.failures),
                      "workers_cpu": workers_cpu, "client_cpu": time.process_time() - client_cpu0,
                      "client_before_mb": before / 2**20, "client_peak_mb": peak[0] / 2**20,
                      "client_after_mb": me.memory_info().rss / 2**20,
                      "results_mb": held / 2**20,
                      "worker_peak_mb": sorted(workers.values())}))
"""


def make_fleet(n: int, pods: int, variants: int, root: Path) -> list[Path]:
    """N saved snapshots: ``variants`` synthetic clusters of about ``pods`` pods, copied under N names."""
    sys.path.insert(0, str(ROOT))
    import k8saudit as ka
    from benchmarks.synth import write_cluster

    bases = []
    for i in range(variants):
        size = pods - variants // 2 * 5 + i * 5
        base = root / "base" / f"pods-{size}"
        if not (base / "snapshot.json").is_file():
            raw = root / "raw" / f"pods-{size}"
            if not (raw / "pods.json").is_file():
                write_cluster(size, str(raw))
            ka.load(raw, cluster=f"synth-{size}").save(base)
            shutil.rmtree(raw)
        bases.append(base)
    out = []
    for i in range(n):
        dst = root / "clusters" / f"cluster-{i:04d}"
        if not (dst / "snapshot.json").is_file():
            shutil.copytree(bases[i % len(bases)], dst, dirs_exist_ok=True)
            manifest = json.loads((dst / "snapshot.json").read_text())
            manifest["cluster"] = dst.name
            (dst / "snapshot.json").write_text(json.dumps(manifest))
        out.append(dst)
    return out


def child(code: str, paths: list[Path], *extra: str) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", code, json.dumps([str(p) for p in paths]), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if res.returncode:
        raise SystemExit(f"child failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clusters", type=int, default=200)
    ap.add_argument("--pods", type=int, default=500)
    ap.add_argument("--variants", type=int, default=5, help="distinct synthetic clusters behind the copies")
    ap.add_argument("--sweep", default="25,50,100", help="smaller fleets for the client-memory curve")
    ap.add_argument("--data", default=str(HERE / ".data" / "fleet"))
    ap.add_argument("--serial", metavar="JSON", help="the serial run's figures from an earlier run (skips it)")
    args = ap.parse_args()
    t = time.perf_counter()
    paths = make_fleet(args.clusters, args.pods, args.variants, Path(args.data))
    size = sum(f.stat().st_size for f in paths[0].rglob("*") if f.is_file())
    print(
        f"{len(paths)} saved snapshots of ~{args.pods} pods ({size / 1e6:.2f} MB each) ready in "
        f"{time.perf_counter() - t:.0f} s\n"
    )

    serial = json.loads(args.serial) if args.serial else child(CHILD_SERIAL, paths)
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} when the runs started")
    print(
        f"serial, 1 process:    {serial['seconds']:7.1f} s  {len(paths) / serial['seconds']:5.2f} clusters/s  "
        f"peak {serial['peak_mb']:6.0f} MB  CPU {serial['cpu'] / len(paths):.2f} s/cluster  "
        f"({serial['findings']:,} findings)"
    )
    print(f"  (serial figures: {json.dumps(serial)})")
    rows = []
    runs = [(n, "lazy") for n in sorted({int(x) for x in args.sweep.split(",") if x} | {len(paths)})]
    for n, mode in [(len(paths), "eager"), *runs]:
        r = child(CHILD_FLEET, paths[:n], mode)
        rows.append((n, mode, r))
        if mode == "eager":
            print(
                f"fleet, 2 workers:     {r['seconds']:7.1f} s  {n / r['seconds']:5.2f} clusters/s  "
                f"client peak {r['client_peak_mb']:5.0f} MB  workers peak "
                f"{', '.join(f'{w:.0f}' for w in r['worker_peak_mb'])} MB  workers' CPU "
                f"{r['workers_cpu'] / n:.2f} s/cluster, client's {r['client_cpu'] / n:.3f} s/cluster  "
                f"({r['findings']:,} findings, {r['failures']} failed)"
            )
            print(f"speed-up: {serial['seconds'] / r['seconds']:.2f}x\n")
    print("client memory as the fleet grows (results only travel back; lazy: the findings stay on the workers):")
    print(
        f"{'clusters':>9} {'mode':>6} {'seconds':>8} {'clusters/s':>11} {'client before':>14} {'client peak':>12} "
        f"{'client after':>13} {'findings':>9} {'held here':>9} {'worker peaks':>14}"
    )
    for n, mode, r in rows:
        print(
            f"{n:>9} {mode:>6} {r['seconds']:>8.1f} {n / r['seconds']:>11.2f} {r['client_before_mb']:>11.0f} MB "
            f"{r['client_peak_mb']:>9.0f} MB {r['client_after_mb']:>10.0f} MB {r['findings']:>9,} "
            f"{r['results_mb']:>5.1f} MB {'/'.join(f'{w:.0f}' for w in r['worker_peak_mb']):>11} MB"
        )


if __name__ == "__main__":
    main()
