"""What the attack graph means on the sample and on every edge-kind fixture, as JSON: the (entry, target) pairs
reachable (all steps, and certain steps only; default entries, and assume breach), the findings on some path,
the size of the cut and the targets no fix can cut off.

A script, not a test: run it at two commits and compare, to show that a change of the graph's shape (a hub
instead of a product, say) kept its meaning.

    python benchmarks/paths_semantics.py before.json          # at the old commit
    python benchmarks/paths_semantics.py after.json           # at the new one
    python benchmarks/paths_semantics.py after.json --compare before.json
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _pairs(g, breach: bool) -> list[list[str]]:
    import networkx as nx

    from k8saudit.paths._paths import resolve_entries, resolve_targets

    ents = resolve_entries(g, [] if breach else None, breach)
    tgts = set(resolve_targets(g, None))
    return sorted([e, t] for e in ents if e in g for t in nx.descendants(g, e) & tgts)


def meaning(snap, findings) -> dict:
    import k8saudit as ka
    from k8saudit.paths._paths import relevant_edges

    g = ka.attack_graph(snap, findings)
    sure = g.only(g.edges_frame["certain"])
    out = {}
    for breach in (False, True):
        on = relevant_edges(g, entries=[] if breach else None, assume_breach=breach)
        cut = ka.attack_cut(g, findings, assume_breach=breach)
        out["assume breach" if breach else "default entries"] = {
            "pairs": _pairs(g, breach),
            "pairs, certain steps only": _pairs(sure, breach),
            "findings on a path": sorted({f for fs in g.edges_frame.loc[on, "finding_ids"] for f in fs}),
            "fixes in the cut": len(cut.fixes),
            "unbreakable targets": cut.unbreakable_targets,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="write the JSON here")
    ap.add_argument("--compare", help="a JSON written at another commit: print every difference, exit 1 if any")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import k8saudit as ka

    fixtures = HERE.parent / "tests" / "paths"
    res = {"sample": meaning(snap := ka.sample(), ka.audit(snap))}
    for p in sorted(fixtures.glob("*/*.yaml")):
        snap = ka.load(p)
        res[str(p.relative_to(fixtures))] = meaning(snap, ka.audit(snap, default_exemptions=False))
    Path(args.out).write_text(json.dumps(res, indent=1, sort_keys=True))
    print(f"{len(res)} cases written to {args.out}")
    if args.compare:
        old = json.loads(Path(args.compare).read_text())
        diffs = 0
        for case in sorted(set(old) & set(res)):
            for mode, facts in old[case].items():
                for what, value in facts.items():
                    if res[case][mode][what] != value:
                        diffs += 1
                        print(f"{case} ({mode}) {what}: {value} -> {res[case][mode][what]}")
        only = sorted(set(res) ^ set(old))
        print(f"{len(set(old) & set(res))} cases compared, {diffs} difference(s); in one file only: {only or 'none'}")
        sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
