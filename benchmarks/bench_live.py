"""Benchmark: reading a live cluster with k8saudit vs. the strongest plain client code.

    python benchmarks/bench_live.py                       # 1,000 and 10,000 pods, 3 runs each
    python benchmarks/bench_live.py --pods 100000 --runs 1 --variants live   # opt-in: minutes, GBs
    python benchmarks/bench_live.py --pods 1000 --variants live
    python benchmarks/bench_live.py --pods 10000 --variants live --runs 1 --stages   # where the time goes

A synthetic cluster of N pods (``benchmarks/synth.py``) is served by the
loopback API server (``k8saudit.testing.FakeApiServer``, HTTPS, bearer token)
running in a separate process, items encoded once up front. Each variant then
runs in a fresh Python process that reports its wall time, its CPU time
(user + system, every thread) and its peak RSS (``VmHWM``), beside the CPU
time the API server spent serving it; the variants take turns, --runs rounds
(default 3), and the table shows min/median. ``--stages`` also times the live
variant's stages (the CPU time of the thread running each):

- ``live``:  ``k8saudit.load_cluster()``: paginated, concurrent, raw bytes
  decoded by msgspec into the snapshot's typed structs (``K8SAUDIT_WORKERS``
  unset: as a user gets it).
- ``live-w``: the same with one worker process (``K8SAUDIT_WORKERS=2``) that
  decodes and compacts the pods pages; its CPU time is counted in the CPU column
  (and shown apart, "workers").
- ``raw``:   the strongest baseline a user could write with the official
  client: every kind listed in one request with ``_preload_content=False``,
  the raw body parsed by ``orjson``, the garbage collector off.
- ``typed``: ``CoreV1Api().list_pod_for_all_namespaces()`` and friends, typed
  models, no pagination, the garbage collector off (with it on the client
  is several times slower still).
- ``replay``: not a baseline but a bound: the ``live`` variant with every
  answer's body taken from a recording of one load (made once per size, before
  the rounds) instead of the network: what the loader's own work costs with an
  API server and a network that take no time (no request is made; the
  loader's threads, decoding, admission and sharing are as in ``live``).
- ``replay-w``: the same bound for ``live-w``: the recording served to the
  loader and its one worker process (``K8SAUDIT_WORKERS=2``).

Targets: ``live`` at least 2.5x faster than ``raw`` and 10x faster than
``typed`` at 10,000 pods; ``live`` within 2.5 GB peak at 100,000 pods.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {"raw": 2.5, "typed": 10.0}  # live must be this many times faster than each baseline
TARGET_PEAK_GB_AT_100K = 2.5


# --------------------------------------------------------------------------- the served cluster


class SynthStore:
    """The objects of a synthetic N-pod cluster, each encoded once (compact JSON, as the API server sends)."""

    def __init__(self, n_pods: int, log: Any = None) -> None:
        import orjson

        from benchmarks.synth import KINDS, iter_objects

        self.items: dict[str, list[bytes]] = {}
        self.by_ns: dict[str, dict[str, list[int]]] = {}
        self.bytes = 0
        for res in KINDS:
            t = time.perf_counter()
            items: list[bytes] = []
            by_ns: dict[str, list[int]] = {}
            for o in iter_objects(n_pods, res):
                ns = (o.get("metadata") or {}).get("namespace") or ""
                by_ns.setdefault(ns, []).append(len(items))
                items.append(orjson.dumps({k: v for k, v in o.items() if k not in ("kind", "apiVersion")}))
            self.items[res], self.by_ns[res] = items, by_ns
            self.bytes += sum(map(len, items))
            if log:
                log(f"encoded {len(items):,} {res} in {time.perf_counter() - t:.1f}s")

    def kinds(self) -> list[str]:
        return list(self.items)

    def list(self, resource: str, namespace: str | None, start: int, limit: int | None) -> tuple[list[bytes], int]:
        items = self.items.get(resource, [])
        if namespace is not None:
            idx = self.by_ns.get(resource, {}).get(namespace, [])
            picked = idx[start:] if limit is None else idx[start : start + limit]
            return [items[i] for i in picked], len(idx)
        return (items[start:] if limit is None else items[start : start + limit]), len(items)


def serve(n_pods: int, workdir: Path) -> None:
    """Run the API server for an N-pod cluster until stdin closes; print the kubeconfig path when ready."""
    from k8saudit.testing import FakeApiServer

    def log(msg: str) -> None:
        print(f"  [server] {msg}", file=sys.stderr, flush=True)

    t = time.perf_counter()
    store = SynthStore(n_pods)
    log(f"{n_pods:,} pods: {store.bytes / 1e6:,.0f} MB of JSON encoded in {time.perf_counter() - t:.1f}s")
    with FakeApiServer(store) as srv:
        kc = srv.write_kubeconfig(workdir / "kubeconfig", context="bench", cluster=f"synth-{n_pods}")
        print(kc, flush=True)
        sys.stdin.read()  # until the parent closes it


# --------------------------------------------------------------------------- the variants


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _calls(kubeconfig: str) -> list[Any]:
    """Every kind k8saudit reads, one list call each, as the official client offers them."""
    from kubernetes import client, config

    api = config.new_client_from_config(config_file=kubeconfig, context="bench")
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    net, rbac, policy = client.NetworkingV1Api(api), client.RbacAuthorizationV1Api(api), client.PolicyV1Api(api)
    adm, ext = client.AdmissionregistrationV1Api(api), client.ApiextensionsV1Api(api)
    return [
        core.list_namespace,
        core.list_node,
        core.list_pod_for_all_namespaces,
        apps.list_deployment_for_all_namespaces,
        apps.list_replica_set_for_all_namespaces,
        apps.list_stateful_set_for_all_namespaces,
        apps.list_daemon_set_for_all_namespaces,
        batch.list_job_for_all_namespaces,
        batch.list_cron_job_for_all_namespaces,
        core.list_replication_controller_for_all_namespaces,
        core.list_service_for_all_namespaces,
        net.list_network_policy_for_all_namespaces,
        core.list_service_account_for_all_namespaces,
        core.list_secret_for_all_namespaces,
        core.list_config_map_for_all_namespaces,
        rbac.list_role_for_all_namespaces,
        rbac.list_cluster_role,
        rbac.list_role_binding_for_all_namespaces,
        rbac.list_cluster_role_binding,
        policy.list_pod_disruption_budget_for_all_namespaces,
        adm.list_validating_webhook_configuration,
        adm.list_mutating_webhook_configuration,
        adm.list_validating_admission_policy,
        ext.list_custom_resource_definition,
    ]


def _typed(kubeconfig: str) -> int:
    """Typed models, one request per kind, the GC off."""
    import gc

    gc.disable()
    kept = [call() for call in _calls(kubeconfig)]
    return sum(len(r.items) for r in kept)


def _raw(kubeconfig: str) -> int:
    """Raw response bodies (``_preload_content=False``) parsed by orjson, one request per kind, the GC off."""
    import gc

    import orjson

    gc.disable()
    kept = []
    for call in _calls(kubeconfig):
        resp = call(_preload_content=False)
        kept.append(orjson.loads(resp.data))
        resp.release_conn()
    return sum(len(d.get("items") or []) for d in kept)


def _live(kubeconfig: str, page_size: int, workers: int) -> int:
    import k8saudit as ka

    snap = ka.load_cluster("bench", kubeconfig=kubeconfig, page_size=page_size, workers=workers, timeout=120)
    if snap.skipped_records:
        print(f"  [live] skipped: {snap.skipped_records}", file=sys.stderr)
    return len(snap)


def _cpu(who: int | None = None) -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF if who is None else who)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    """CPU time of the worker processes this process started and waited for."""
    import resource

    return _cpu(resource.RUSAGE_CHILDREN)


#: --stages: (what, module, object, method) timed in the live variant, by the CPU time of the thread that runs them
STAGES = (
    ("HTTP request and read (TLS included)", "k8saudit.sources._listing", "Lister", "get"),
    ("page: request, read and decode", "k8saudit.sources._listing", "Lister", "page"),
    ("admit a page (all below)", "k8saudit.snapshot", "Snapshot", "admit_page"),
    ("admit pods a worker compacted (live-w)", "k8saudit.snapshot", "Snapshot", "admit_compacted"),
    ("compact pods pages ahead here (live-w)", "k8saudit.sources._podpages", None, "compact_pods"),
    ("  secret rules before compaction", "k8saudit.snapshot", None, "normalize"),
    ("  compaction (and the rules on what it keeps)", "k8saudit.snapshot", "Snapshot", "_compact_one"),
    ("share equal parts (not pods)", "k8saudit.sources._share", "Sharer", "share"),
    ("share equal parts (pods)", "k8saudit.sources._share", "Sharer", "share_metadata"),
    ("assemble the snapshot", "k8saudit.sources.live", None, "_assemble"),
)


def _time_stages() -> dict[str, list[float]]:
    """Wrap each of :data:`STAGES` to add up the CPU time of the thread that runs it (calls nest: a stage
    includes those it calls)."""
    import importlib
    import threading

    spent: dict[str, list[float]] = {what: [0.0, 0] for what, *_ in STAGES}
    lock = threading.Lock()
    for what, module, owner, name in STAGES:
        mod = importlib.import_module(module)
        target = getattr(mod, owner) if owner else mod
        fn = getattr(target, name)

        def timed(*a: Any, _fn: Any = fn, _what: str = what, **k: Any) -> Any:
            t = time.thread_time()
            try:
                return _fn(*a, **k)
            finally:
                d = time.thread_time() - t
                with lock:
                    spent[_what][0] += d
                    spent[_what][1] += 1

        setattr(target, name, timed)
    return spent


def _bodies(path: str, record: bool) -> None:
    """Record every answer's body of the loads to come into ``path`` (``record``), or serve them from it: the
    loader's ``Lister.get`` is wrapped, keyed by the request's path and query."""
    import pickle

    from k8saudit.sources import _listing

    get = _listing.Lister.get

    def key(path_: str, query: list[tuple[str, Any]]) -> tuple[str, tuple[tuple[str, Any], ...]]:
        return path_, tuple(map(tuple, query))

    if record:
        kept: dict[tuple[str, tuple[tuple[str, Any], ...]], bytes] = {}

        def recording(self: Any, path_: str, query: list[tuple[str, Any]], accept: str) -> bytes:
            body = get(self, path_, query, accept)
            kept[key(path_, query)] = body
            return body

        import atexit

        atexit.register(lambda: Path(path).write_bytes(pickle.dumps(kept, protocol=5)))
        setattr(_listing.Lister, "get", recording)  # noqa: B010
        return
    served = pickle.loads(Path(path).read_bytes())

    def replaying(self: Any, path_: str, query: list[tuple[str, Any]], accept: str) -> bytes:
        try:
            body: bytes = served[key(path_, query)]
            return body
        except KeyError:
            raise SystemExit(f"replay: {path_} {query} was not recorded") from None

    setattr(_listing.Lister, "get", replaying)  # noqa: B010


def measure(
    variant: str, kubeconfig: str, page_size: int, workers: int, stages: bool = False, bodies: str | None = None
) -> None:
    """Run one variant in this (fresh) process and print its figures as JSON."""
    import kubernetes.client  # noqa: F401
    import orjson  # noqa: F401

    # imports are not what is measured (`import k8saudit` defers the snapshot's and the loader's to first use)
    import k8saudit.snapshot
    import k8saudit.sources.live  # noqa: F401

    if bodies:  # `live` records the bodies, `replay` serves them (before the stages wrap the loader's get)
        _bodies(bodies, record=variant == "live")
    spent = _time_stages() if stages else None
    base = _peak_rss_mb()
    run = {
        # the loader's variants differ only in what is set around this call (workers, a recording)
        **dict.fromkeys(("live", "live-w", "replay", "replay-w"), lambda: _live(kubeconfig, page_size, workers)),
        "raw": lambda: _raw(kubeconfig),
        "typed": lambda: _typed(kubeconfig),
    }[variant]
    c, w, t = _cpu(), _children_cpu(), time.perf_counter()
    n = run()
    seconds, worker_cpu = time.perf_counter() - t, _children_cpu() - w
    cpu = _cpu() - c + worker_cpu
    print(
        json.dumps(
            {
                "variant": variant,
                "objects": n,
                "seconds": seconds,
                "cpu_s": cpu,
                "worker_cpu_s": worker_cpu,
                "peak_mb": _peak_rss_mb(),
                "base_mb": base,
                **({"stages": spent} if spent is not None else {}),
            }
        )
    )


# --------------------------------------------------------------------------- driver


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system, every thread) process ``pid`` has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def run(
    n_pods: int, variants: list[str], page_size: int, workers: int, limit_s: float, runs: int, stages: bool = False
) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="k8saudit-bench-") as tmp:
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(n_pods), "--workdir", tmp],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            kubeconfig = server.stdout.readline().strip()
            if not kubeconfig:
                raise SystemExit(f"the API server for {n_pods:,} pods did not start")
            bodies = str(Path(tmp) / "bodies.pickle")
            common = ["--kubeconfig", kubeconfig, "--page-size", str(page_size), "--workers", str(workers)]
            if any(v.startswith("replay") for v in variants):  # one load recorded, once, for the replays
                rec = [sys.executable, __file__, "--measure", "live", *common, "--bodies", bodies]
                out = subprocess.run(rec, capture_output=True, text=True, timeout=limit_s)
                if out.returncode != 0 or not Path(bodies).exists():
                    raise SystemExit(f"recording a load of {n_pods:,} pods failed:\n{out.stderr[-3000:]}")
            print(f"  load average {_loadavg()} before {n_pods:,} pods", file=sys.stderr, flush=True)
            for i in range(runs):  # the variants take turns: each round sees the same load
                for variant in variants:
                    cmd = [
                        sys.executable,
                        "-X",
                        "faulthandler",
                        __file__,
                        "--measure",
                        variant,
                        *common,
                        *(["--stages"] if stages else []),
                        *(["--bodies", bodies] if variant.startswith("replay") else []),
                    ]
                    served = _cpu_of(server.pid)
                    env = {k: v for k, v in os.environ.items() if k != "K8SAUDIT_WORKERS"}
                    if variant.endswith("-w"):
                        env["K8SAUDIT_WORKERS"] = "2"  # the loader and one worker process
                    try:
                        out = subprocess.run(cmd, capture_output=True, text=True, timeout=limit_s, env=env)
                    except subprocess.TimeoutExpired:
                        rows.append({"pods": n_pods, "variant": variant, "error": f"over {limit_s:.0f}s"})
                        continue
                    if out.returncode != 0:
                        print(out.stderr[-3000:], file=sys.stderr)
                        last = (out.stderr.strip().splitlines() or ["?"])[-1]
                        rows.append({"pods": n_pods, "variant": variant, "error": f"exit {out.returncode}: {last}"})
                        continue
                    served = _cpu_of(server.pid) - served
                    got = json.loads(out.stdout.strip().splitlines()[-1])
                    rows.append({"pods": n_pods, "run": i + 1, **got, "server_cpu_s": served})
                    print(
                        f"  {n_pods:>9,} pods  {variant:<6} run {i + 1}: {rows[-1]['seconds']:8.2f}s wall "
                        f"{rows[-1]['cpu_s']:8.2f}s CPU ({rows[-1]['worker_cpu_s']:.2f}s of it workers)  "
                        f"peak {rows[-1]['peak_mb']:,.0f} MB  (the API server: {served:.2f}s CPU)",
                        file=sys.stderr,
                        flush=True,
                    )
                    for what, (cpu, calls) in (got.get("stages") or {}).items():
                        print(f"      {what:<48} {cpu:6.2f}s CPU  {calls:7,} calls", file=sys.stderr, flush=True)
            print(f"  load average {_loadavg()} after {n_pods:,} pods", file=sys.stderr, flush=True)
        finally:
            if server.stdin:
                server.stdin.close()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    return rows


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _mm(xs: list[float]) -> str:
    return f"{min(xs):.2f}/{statistics.median(xs):.2f}"


def summary(rows: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, Any]]:
    """(pods, variant) -> wall and CPU seconds of every run, peak MB, objects."""
    out: dict[tuple[int, str], dict[str, Any]] = {}
    for r in rows:
        if "seconds" not in r:
            continue
        s = out.setdefault(
            (r["pods"], r["variant"]), {"wall": [], "cpu": [], "server": [], "peak_mb": 0.0, "objects": r["objects"]}
        )
        s["wall"].append(r["seconds"])
        s["cpu"].append(r["cpu_s"])
        s["server"].append(r.get("server_cpu_s", float("nan")))
        s["peak_mb"] = max(s["peak_mb"], r["peak_mb"])
    return out


def table(rows: list[dict[str, Any]]) -> str:
    out = [
        f"{'pods':>9}  {'variant':<7} {'objects':>9} {'wall s min/med':>15} {'CPU s min/med':>15} "
        f"{'peak RSS':>10}  {'live is':>12}  {'server CPU s':>12}",
        "-" * 100,
    ]
    by = summary(rows)
    for (pods, variant), s in by.items():
        live = by.get((pods, "live"))
        speed = ""
        if variant != "live" and live:
            speed = f"{min(s['wall']) / min(live['wall']):5.1f}x faster"
        out.append(
            f"{pods:>9,}  {variant:<7} {s['objects']:>9,} {_mm(s['wall']):>15} {_mm(s['cpu']):>15} "
            f"{s['peak_mb']:>7,.0f} MB  {speed:>12}  {_mm(s['server']):>12}"
        )
    for r in rows:
        if "error" in r:
            out.append(f"{r['pods']:>9,}  {r['variant']:<7} {r['error']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", default="1000,10000", help="comma-separated cluster sizes (default 1000,10000)")
    ap.add_argument(
        "--variants",
        default="live,live-w,raw,typed",
        help="any of live, live-w, raw, typed, replay, replay-w (default the first four)",
    )
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per variant (default 3)")
    ap.add_argument("--page-size", type=int, default=500)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--limit", type=float, default=3600, help="seconds a variant may take (default 3600)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    ap.add_argument(
        "--stages",
        action="store_true",
        help="time the live variant's stages too (CPU time of the thread running each; adds a little overhead)",
    )
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    ap.add_argument(
        "--measure", choices=("live", "live-w", "raw", "typed", "replay", "replay-w"), help=argparse.SUPPRESS
    )
    ap.add_argument("--bodies", help=argparse.SUPPRESS)
    ap.add_argument("--kubeconfig", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.serve is not None:
        serve(a.serve, Path(a.workdir))
        return 0
    if a.measure:
        measure(a.measure, a.kubeconfig, a.page_size, a.workers, a.stages, a.bodies)
        return 0
    sizes = [int(x.replace("_", "")) for x in a.pods.split(",") if x]
    variants = [v.strip() for v in a.variants.split(",") if v.strip()]
    rows: list[dict[str, Any]] = []
    print(f"{os.cpu_count()} CPUs", file=sys.stderr)
    for n in sizes:
        rows += run(n, variants, a.page_size, a.workers, a.limit, a.runs, a.stages)
    print(table(rows))
    by = summary(rows)
    for n in sizes:
        lv = by.get((n, "live"))
        for name in ("live", "live-w"):
            mine = by.get((n, name))
            for base, target in TARGETS.items():
                b = by.get((n, base))
                if mine and b:
                    ratio = min(b["wall"]) / min(mine["wall"])
                    print(
                        f"{n:,} pods: {name} is {ratio:.2f}x faster than {base} (min of {len(mine['wall'])} runs; "
                        f"median {statistics.median(b['wall']) / statistics.median(mine['wall']):.2f}x; CPU "
                        f"{min(b['cpu']) / min(mine['cpu']):.2f}x; target {target}x: "
                        f"{'met' if ratio >= target else 'NOT met'})"
                    )
        raw = by.get((n, "raw"))
        for name, who in (("replay", "the loader's own work"), ("replay-w", "the loader's and its worker's work")):
            rp = by.get((n, name))
            if rp:
                bound = f"; against raw at most {min(raw['wall']) / min(rp['wall']):.2f}x" if raw else ""
                print(
                    f"{n:,} pods: {who} ({name}: no network, no server) {_mm(rp['wall'])} s wall, "
                    f"{_mm(rp['cpu'])} s CPU{bound}"
                )
        if lv and n >= 100_000:
            ok = lv["peak_mb"] / 1024 <= TARGET_PEAK_GB_AT_100K
            print(
                f"{n:,} pods: live peak {lv['peak_mb'] / 1024:.2f} GB "
                f"(target {TARGET_PEAK_GB_AT_100K} GB: {'met' if ok else 'NOT met'})"
            )
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
