"""The findings of the sample, every check and path fixture and synth-1k/10k, as files to
compare at two commits: every row and column (the finding ids included), and each check's stats.

A script, not a test: run it at two commits and compare, to show that a change in how the checks or the
findings are computed kept what they find.

    python benchmarks/findings_semantics.py /tmp/before                 # at the old commit
    python benchmarks/findings_semantics.py /tmp/after --compare /tmp/before
    python benchmarks/findings_semantics.py /tmp/after --pods 1000,10000,100000   # the larger clusters too
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: a waivers file that matches something in the sample and the synthetic clusters (globs, kinds, one expired)
WAIVERS = """
waivers:
  - {check: "host-*", namespace: "kube-*", reason: system, owner: sre}
  - {check: "cap-*", kind: Deployment, name: "*a*", reason: legacy, expires: 2099-01-01}
  - {check: "rbac-*", reason: old, expires: 2000-01-01}
  - {check: image-mutable-tag, namespace: "ns-1*", reason: pinned later}
"""


def cases(pods: list[int], tmp: Path):
    import k8saudit as ka

    yield "sample", ka.sample(), {}
    yield "sample+waivers", ka.sample(), {"waivers": tmp / "waivers.yaml"}
    yield "sample-legacy", ka.sample("legacy"), {}
    for d in ("checks", "paths"):
        for p in sorted((HERE.parent / "tests" / d).glob("*/*.yaml")):
            snap = ka.load(p)
            yield f"{d}/{p.parent.name}/{p.name}", snap, {"default_exemptions": False}
    for n in pods:
        snap = ka.load(HERE / ".data" / f"synth-{n}.snapshot")
        yield f"synth-{n}", snap, {}
        yield f"synth-{n}+waivers", snap, {"waivers": tmp / "waivers.yaml"}


def _plain(findings):
    """The findings with a check's own texts (title, remediation: categoricals since the findings stopped writing
    them per row) as plain text, so that findings of commits before and after that compare value by value."""
    import pandas as pd

    texts = {c: "string" for c in ("title", "remediation") if isinstance(findings[c].dtype, pd.CategoricalDtype)}
    return findings.astype(texts) if texts else findings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="a folder: one pickle per case")
    ap.add_argument("--compare", help="a folder written at another commit: print every difference, exit 1 if any")
    ap.add_argument("--pods", default="1000,10000", help="synthetic cluster sizes (saved snapshots)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import pandas as pd

    import k8saudit as ka

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "waivers.yaml").write_text(WAIVERS)
    pods = [int(x) for x in args.pods.split(",") if x]
    diffs = n = 0
    for name, snap, kw in cases(pods, out):
        f = ka.audit(snap, today=dt.date(2026, 12, 1), **kw)
        got = {
            "findings": pd.DataFrame(f),
            "stats": f.attrs["stats"],
            "expired": [{**w, "source": Path(w["source"]).name} for w in f.attrs["expired_waivers"]],
        }
        file = out / (name.replace("/", "__") + ".pkl")
        file.write_bytes(pickle.dumps(got))
        n += 1
        if args.compare:
            old_file = Path(args.compare) / file.name
            if not old_file.exists():
                print(f"{name}: not in {args.compare}")
                continue
            old = pickle.loads(old_file.read_bytes())
            try:
                pd.testing.assert_frame_equal(_plain(got["findings"]), _plain(old["findings"]), check_exact=True)
            except AssertionError as e:
                diffs += 1
                print(f"{name}: findings differ: {e}")
            for k in ("stats", "expired"):
                if k == "expired":
                    old[k] = [{**w, "source": Path(w["source"]).name} for w in old[k]]
                if got[k] != old[k]:
                    diffs += 1
                    print(f"{name}: {k} differ")
    print(f"{n} cases written to {out}" + (f"; {diffs} difference(s)" if args.compare else ""))
    if diffs:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
