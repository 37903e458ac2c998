"""Benchmark: k8saudit vs Checkov on the same Kubernetes manifests.

A script, not a test. It writes (once, cached under benchmarks/.data/) the controller manifests of a
synthetic cluster as one multi-document YAML file (Deployments, StatefulSets, DaemonSets, Jobs,
CronJobs, Services, RBAC: see benchmarks/synth.py), installs Checkov into benchmarks/.venv-checkov
when it is missing (pip, a few minutes the first time), then times both tools on that file, Checkov
as it runs by default and with ``--compact`` (no code block per result: its fastest setting that
still reports every failure; the failures must be the same):

  checkov -f FILE --framework kubernetes -o json --quiet --skip-download
  checkov -f FILE --framework kubernetes -o json --quiet --skip-download --compact
  k8saudit scan FILE --format json -q

Each run is a fresh process started by a small wrapper that reports its wall clock and the peak RSS
of its largest process (getrusage RUSAGE_CHILDREN); the tools take turns and the best of --runs
is kept. Then, for every check both tools have, it prints the failing counts side by side.
``--skip-download`` keeps Checkov from calling its vendor's API (it only adds guideline links, and
a failed call costs seconds of retries).

    python benchmarks/bench_checkov.py                      # 10k pods, ~30 min with the install
    python benchmarks/bench_checkov.py --pods 1000 --json /tmp/checkov.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHECKOV_VENV = HERE / ".venv-checkov"

# k8saudit check ids -> the Checkov ids covering the same thing, each with a word of its title (lower
# case) that must appear in the installed Checkov's check name, so a renumbering shows up as a warning.
MAPPING: list[tuple[tuple[str, ...], dict[str, str]]] = [
    (("privileged",), {"CKV_K8S_16": "privileged"}),
    (("priv-escalation",), {"CKV_K8S_20": "allowprivilegeescalation"}),
    (("run-as-root",), {"CKV_K8S_23": "root containers"}),
    (("host-pid",), {"CKV_K8S_17": "process id"}),
    (("host-ipc",), {"CKV_K8S_18": "ipc namespace"}),
    (("host-network",), {"CKV_K8S_19": "network namespace"}),
    (("host-port",), {"CKV_K8S_26": "hostport"}),
    (("cap-net-raw",), {"CKV_K8S_28": "net_raw"}),
    (("cap-dangerous-add",), {"CKV_K8S_39": "sys_admin"}),
    (("rootfs-writable",), {"CKV_K8S_22": "read-only"}),
    (("rollout-no-readiness",), {"CKV_K8S_9": "readiness"}),
    (("secret-env-ref", "secret-envfrom"), {"CKV_K8S_35": "secrets as environment"}),
    (("authn-sa-token-automount",), {"CKV_K8S_38": "service account tokens"}),
    (("rbac-wildcard",), {"CKV_K8S_49": "wildcard"}),
    (("rbac-escalation",), {"CKV_K8S_157": "bind", "CKV_K8S_158": "escalate"}),
    (
        ("rbac-escalation",),
        {"CKV2_K8S_1": "privilege escalation", "CKV2_K8S_2": "pods/exec", "CKV2_K8S_3": "impersonate"},
    ),
    (("rbac-secrets-read",), {"CKV2_K8S_5": "read all secrets"}),
]

ROLE_LEVEL = {"CKV_K8S_49", "CKV_K8S_157", "CKV_K8S_158"}  # fail Roles/ClusterRoles; k8saudit reports bindings

WRAPPER = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], 'wb') as out:
    t = time.perf_counter()
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE).returncode
    dt = time.perf_counter() - t
print(json.dumps({'seconds': dt, 'peak_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 'rc': rc}))
"""


class CkvFailure(msgspec.Struct):
    check_id: str
    check_name: str
    resource: str


class CkvResults(msgspec.Struct):
    failed_checks: list[CkvFailure] = []


class CkvReport(msgspec.Struct):
    results: CkvResults


def ensure_manifests(n_pods: int, data: Path) -> Path:
    path = data / f"controllers-{n_pods}.yaml"
    if not path.exists():
        sys.path.insert(0, str(ROOT))
        from benchmarks.synth import write_controllers_yaml  # the controllers need no pods.json

        print(f"writing the controller manifests of a {n_pods:,}-pod cluster to {path} …", file=sys.stderr)
        data.mkdir(parents=True, exist_ok=True)
        write_controllers_yaml(n_pods, str(path) + ".part")
        os.replace(str(path) + ".part", path)
    return path


def ensure_checkov() -> Path:
    exe = CHECKOV_VENV / "bin" / "checkov"
    if not exe.exists():
        print(f"installing Checkov into {CHECKOV_VENV} (pip; a few minutes the first time) …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        subprocess.run([str(CHECKOV_VENV / "bin" / "pip"), "install", "-q", "checkov"], check=True)
    return exe


def k8saudit_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "k8saudit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "k8saudit.cli"]


def run_once(cmd: list[str], out: Path) -> dict[str, Any]:
    """Run cmd in a fresh wrapper process (stdout to out): its wall clock, peak RSS and exit code."""
    r = subprocess.run([sys.executable, "-c", WRAPPER, str(out), *cmd], capture_output=True, text=True)
    res: dict[str, Any] = json.loads(r.stdout.splitlines()[-1]) if r.returncode == 0 else {"rc": -1}
    if res["rc"] not in (0, 1):  # both tools exit 1 when something fails; anything else is an error
        raise SystemExit(f"{cmd[0]} failed ({res['rc']}):\n{r.stderr[-3000:]}")
    return res


def measure(cmds: dict[str, tuple[list[str], Path]], runs: int) -> dict[str, dict[str, Any]]:
    """Run every tool `runs` times, alternating tools so background load hits both alike; keep the fastest."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in cmds}
    for i in range(runs):
        for name, (cmd, out) in cmds.items():
            res = run_once(cmd, out)
            print(
                f"  {name:<15} run {i + 1}: {res['seconds']:8.2f} s   peak {res['peak_mb']:7,.0f} MB", file=sys.stderr
            )
            results[name].append(res)
    timing = {}
    for name, rs in results.items():
        best = min(rs, key=lambda x: x["seconds"])
        timing[name] = {
            "seconds": best["seconds"],
            "peak_mb": best["peak_mb"],
            "runs": [x["seconds"] for x in rs],
            "output_mb": cmds[name][1].stat().st_size / 1024**2,
        }
    return timing


def failures(path: Path) -> list[CkvFailure]:
    """The failed checks of a Checkov JSON report (a list of reports when several frameworks ran)."""
    reports = msgspec.json.decode(path.read_bytes(), type=CkvReport | list[CkvReport])
    return [f for r in (reports if isinstance(reports, list) else [reports]) for f in r.results.failed_checks]


def obj_key(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind}.{namespace or 'default'}.{name}"  # Checkov's resource naming


def compare(ckv: list[CkvFailure], ours: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    ckv_res: dict[str, set[str]] = {}
    titles: dict[str, str] = {}
    for c in ckv:
        ckv_res.setdefault(c.check_id, set()).add(c.resource)
        titles[c.check_id] = c.check_name
    our_rows: Counter[str] = Counter(f["check_id"] for f in ours)
    our_res: dict[str, set[str]] = {}
    for f in ours:
        our_res.setdefault(f["check_id"], set()).add(obj_key(f["kind"], f["namespace"], f["name"]))
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    for our_ids, ckv_ids in MAPPING:
        for cid, word in ckv_ids.items():
            if cid in titles and word not in titles[cid].lower():
                warnings.append(f"{cid} is now titled {titles[cid]!r}: check the mapping to {'+'.join(our_ids)}")
        a: set[str] = set().union(*(ckv_res.get(c, set()) for c in ckv_ids))
        b: set[str] = set().union(*(our_res.get(c, set()) for c in our_ids))
        rows.append(
            {
                "k8saudit": list(our_ids),
                "checkov": list(ckv_ids),
                "checkov_titles": {c: titles.get(c) for c in ckv_ids},
                "checkov_resources": len(a),
                "k8saudit_findings": sum(our_rows[c] for c in our_ids),
                "k8saudit_objects": len(b),
                "both": None if set(ckv_ids) <= ROLE_LEVEL else len(a & b),
            }
        )
    return rows, warnings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pods", type=int, default=10000, help="size of the synthetic cluster (default 10000)")
    ap.add_argument("--runs", type=int, default=2, help="runs per tool; the best is reported (default 2)")
    ap.add_argument("--data", default=str(HERE / ".data"), help="where generated files are cached")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON to this file")
    args = ap.parse_args()
    data = Path(args.data)
    manifests = ensure_manifests(args.pods, data)
    checkov = ensure_checkov()
    version = subprocess.run([str(checkov), "--version"], capture_output=True, text=True).stdout.strip()
    docs = sum(1 for line in manifests.open(encoding="utf-8") if line == "---\n")
    size_mb = manifests.stat().st_size / 1024**2
    print(f"{manifests}: {docs:,} documents, {size_mb:.1f} MB; Checkov {version}", file=sys.stderr)

    ckv_out, our_out = data / f"checkov-{args.pods}.json", data / f"k8saudit-{args.pods}.json"
    compact_out = data / f"checkov-compact-{args.pods}.json"
    ckv_cmd = [
        str(checkov),
        "-f",
        str(manifests),
        "--framework",
        "kubernetes",
        "-o",
        "json",
        "--quiet",
        "--skip-download",
    ]
    load = os.getloadavg()[0]
    timing = measure(
        {
            "checkov": (ckv_cmd, ckv_out),
            "checkov-compact": ([*ckv_cmd, "--compact"], compact_out),
            "k8saudit": ([*k8saudit_cmd(), "scan", str(manifests), "--format", "json", "-q"], our_out),
        },
        args.runs,
    )
    ckv, compact = failures(ckv_out), failures(compact_out)
    if sorted((f.check_id, f.resource) for f in ckv) != sorted((f.check_id, f.resource) for f in compact):
        raise SystemExit("checkov --compact did not report the same failures as checkov: not the same work")
    del compact
    ours = json.loads(our_out.read_text())["findings"]
    rows, warnings = compare(ckv, ours)
    speedup = timing["checkov"]["seconds"] / timing["k8saudit"]["seconds"]
    speedup_compact = timing["checkov-compact"]["seconds"] / timing["k8saudit"]["seconds"]

    print(
        f"\n{args.pods:,}-pod cluster: {docs:,} manifests in one {size_mb:.1f} MB YAML file, "
        f"best of {args.runs} runs "
        f"({os.cpu_count()} CPUs, load average {load:.1f} before the first run)\n"
    )
    print(f"{'tool':<16} {'seconds':>9} {'peak MB':>9} {'output MB':>10} {'failures':>9}")
    for tool, n in (("checkov", len(ckv)), ("checkov-compact", len(ckv)), ("k8saudit", len(ours))):
        t = timing[tool]
        print(f"{tool:<16} {t['seconds']:>9.2f} {t['peak_mb']:>9,.0f} {t['output_mb']:>10,.1f} {n:>9,}")
    print()
    for name, ratio in (("checkov", speedup), ("checkov --compact", speedup_compact)):
        low = "" if ratio >= 20 else "  ** below target **"
        print(f"speed ratio = {name} / k8saudit = {ratio:.1f}x (target >= 20x){low}")

    print(f"\n{'k8saudit check':<30} {'checkov ids':<33} {'ckv res':>8} {'k8s rows':>9} {'k8s obj':>8} {'both':>6}")
    for r in rows:
        both = "-" if r["both"] is None else f"{r['both']:,}"
        print(
            f"{'+'.join(r['k8saudit']):<30} {','.join(r['checkov']):<33} {r['checkov_resources']:>8,} "
            f"{r['k8saudit_findings']:>9,} {r['k8saudit_objects']:>8,} {both:>6}"
        )
    print(
        "units: Checkov fails once per manifest object and check, however many containers are at fault\n"
        "  (CKV_K8S_49/157/158 fail Roles/ClusterRoles, CKV2_K8S_* bindings); k8saudit reports a row per container\n"
        "  for container checks, per workload for pod-level ones, per binding for RBAC (exempt rows included).\n"
        "  'k8s obj' collapses k8saudit's rows to distinct objects, 'both' = objects flagged by both tools\n"
        "  ('-': Roles vs bindings, not comparable)."
    )
    mapped = {c for _, ids in MAPPING for c in ids}
    other = Counter(f.check_id for f in ckv if f.check_id not in mapped)
    print(
        "Checkov failures with no counterpart above: "
        + ", ".join(f"{c} {n:,}" for c, n in sorted(other.items(), key=lambda x: -x[1]))
    )
    for w in warnings:
        print("WARNING:", w)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "pods": args.pods,
                    "manifest_documents": docs,
                    "manifest_mb": size_mb,
                    "checkov_version": version,
                    "load_average": load,
                    "timing": timing,
                    "speedup": speedup,
                    "speedup_compact": speedup_compact,
                    "checks": rows,
                    "checkov_unmapped": dict(other),
                    "warnings": warnings,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
