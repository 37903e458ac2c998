"""Readable text for attack paths (the ``k8saudit paths`` report), flat tables for exports, the model page."""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from ._registry import ATTACK, EDGE_KINDS, GROUPS

FLAT_COLUMNS = [
    "path_id",
    "entry",
    "target",
    "length",
    "certain",
    "breakable",
    "techniques",
    "attack",
    "finding_ids",
    "summary",
]


def flat(paths: pd.DataFrame) -> pd.DataFrame:
    """The paths frame with list columns joined by ``; `` and no step dicts (for CSV, Markdown, tables)."""
    out = paths[FLAT_COLUMNS].copy()
    for c in ("techniques", "attack", "finding_ids"):
        out[c] = out[c].map("; ".join)
    return out


def text(paths: pd.DataFrame, findings: pd.DataFrame, cut: Any = None, *, width: int = 110, limit: int = 30) -> str:
    """The ``k8saudit paths`` report: each path step by step (evidence, the findings to fix), then the cut."""
    by_id = findings.set_index("finding_id") if len(findings) else None
    a = paths.attrs
    head = f"k8saudit attack paths of {a.get('cluster', 'cluster')}"
    out = [
        head,
        "=" * len(head),
        f"{len(paths)} path(s) from {', '.join(a.get('entries', [])[:6]) or 'nowhere'}"
        + (" …" if len(a.get("entries", [])) > 6 else "")
        + f" to {len(a.get('targets', []))} target(s); at most {a.get('k')} per entry and target; "
        + ("certain steps only" if a.get("certain_only") else "certain and possible steps"),
    ]
    if a.get("incomplete"):
        miss = a["incomplete"]
        out.append(
            f"INCOMPLETE: {len(miss)} item(s) could not be read ({miss[0]}{' …' if len(miss) > 1 else ''}); "
            "steps through them are missing, so a path not listed here is no proof that none exists"
        )
    if a.get("truncated"):
        out.append("(truncated: more paths exist; narrow --from/--to)")
    for r in paths.head(limit).itertuples():
        flag = "" if r.certain else ", possible"
        out += ["", f"{r.path_id}  {r.entry_label} → {r.target_label}  ({r.length} step(s){flag})"]
        for s in r.steps:
            if s["structural"]:
                continue
            tech = s["technique"] + (f" [{s['attack']}]" if s["attack"] else "")
            out.append("  " + textwrap.shorten(f"→ {s['target_label']}: {tech}", width=width - 2, placeholder=" …"))
            out.append("      " + textwrap.shorten(s["evidence"], width=width - 6, placeholder=" …"))
            fix = _fix(s["finding_ids"], by_id)
            extra = f" (+{s['alternatives']} other way(s))" if s["alternatives"] else ""
            out.append(
                "      "
                + textwrap.shorten(
                    ("fix: " + fix if fix else "gap: no check reports this step") + extra,
                    width=width - 6,
                    placeholder=" …",
                )
            )
    if len(paths) > limit:
        out += ["", f"… and {len(paths) - limit} more path(s) (--format csv|json lists them all)"]
    if cut is not None:
        out += ["", f"Fix these {len(cut.fixes)} finding(s) to break every breakable path", "-" * 60]
        for r in cut.fixes.itertuples():
            where = "/".join(str(x) for x in (r.namespace, r.name) if isinstance(x, str) and x)
            out.append(f"  {r.check_id:<28} {r.kind} {where}: breaks {r.paths_removed} of the paths above")
        if cut.unbreakable_targets:
            out += [
                "",
                "Reached through gaps alone (no finding to fix; see the gaps below):",
                "  " + ", ".join(cut.unbreakable_targets),
            ]
        gaps = cut.gaps[~cut.gaps["structural"]]
        if len(gaps):
            kinds = gaps["kind"].value_counts()
            out += [
                "",
                f"{len(gaps)} step(s) rest on no finding (gaps in the checks): "
                + ", ".join(f"{k} {n}" for k, n in kinds.items()),
            ]
    return "\n".join(out) + "\n"


def _fix(ids: list[str], by_id: pd.DataFrame | None) -> str:
    if not ids or by_id is None:
        return ""
    parts = []
    for i in ids:
        if i in by_id.index:
            r = by_id.loc[i]
            where = "/".join(str(x) for x in (r["namespace"], r["name"]) if isinstance(x, str) and x)
            parts.append(f"{r['check_id']} ({r['kind']} {where})")
    return " or ".join(parts)


def model_markdown() -> str:
    """docs/attack-paths.md: the model, generated from the edge-kind registry (a test fails when it is stale)."""
    lines = [
        "# Attack paths: the model",
        "",
        "Generated from the edge-kind registry (`python -m k8saudit.paths > docs/attack-paths.md`); "
        "do not edit by hand.",
        "",
        "`ka.attack_graph(snap)` builds a directed graph whose vertices are entry points (the internet, "
        "anonymous and authenticated API clients), workloads, service accounts, users and groups, nodes "
        '(root on them), hubs ("any service account of a namespace") and targets (cluster-admin, root '
        "on a node, the Secrets of a namespace). Each edge is one step an attacker can take, produced by "
        "one of the edge kinds below: a small function over the snapshot's frames, registered with its "
        "technique, its MITRE ATT&CK for Containers id and the checks whose findings it rests on.",
        "",
        "- **Fixes.** An edge lists the ids of the findings whose fix removes it; fixing any one of them "
        "does. Two independent ways to take the same step are two edges. `ka.attack_cut(snap)` finds the "
        "fewest findings whose fixes break every path (a minimum cut in which each finding counts once).",
        "- **Gaps.** An edge that rests on no finding is a step no check reports; `g.gaps` lists them, "
        "and a target reached through gaps alone is reported as such by the cut, never dropped.",
        "- **Certain or possible.** `certain` is false when the step may not work: placement unknown "
        "(manifests without pods or nodes), a policy engine that may reject the pod, a mitigation the "
        "snapshot cannot see. Paths use both by default and say which they are; `certain_only=True` "
        "keeps the certain ones.",
        "- **Admission-aware.** Creating pods leads to root on a node only in namespaces whose enforced "
        "Pod Security level (`pod-security.kubernetes.io/enforce`) is neither baseline nor restricted.",
        "- **RBAC** is matched as the API server's authorizer matches it: `*` verbs, groups and "
        "resources, `*/subresource`, `resourceNames` (never allowing `create`), aggregated ClusterRoles, "
        "RoleBinding scope; cluster-scoped resources only through ClusterRoleBindings.",
        "- **Assume breach.** `attack_paths(snap, assume_breach=True)` makes every workload an entry: "
        "what can a compromised pod reach?",
        "- **Hubs keep the graph a sum.** A step that would join every member of one set to every member "
        'of another goes through a hub vertex: "any service account of NS", "create pods in NS" (each '
        "identity that may create pods there → the hub → root on a node, one edge per namespace admitting a "
        'privileged pod), "an open port on a node with a public address" (one edge per public node → the '
        "hub → each workload behind a NodePort). Each half rests on its own findings, so a path through a "
        "hub is broken by the same fixes as the direct step, and the 100,000-pod synthetic cluster has "
        "185,372 edges rather than 1.16 million (README, Attack paths, for the timings).",
        "",
    ]
    lines += ["| edge kind | group | technique | ATT&CK | certainty | rests on |", "|---|---|---|---|---|---|"]
    for k in EDGE_KINDS.values():
        attack = ", ".join(k.attack) or "—"
        rests = ", ".join(f"`{c}`" for c in k.rests_on) or ("(wiring)" if k.structural else "no check: gap")
        lines.append(f"| `{k.id}` | {k.group} | {k.technique} | {attack} | {k.certainty} | {rests} |")
    lines.append("")
    for group, title in GROUPS.items():
        kinds = [k for k in EDGE_KINDS.values() if k.group == group]
        if not kinds:
            continue
        lines += [f"## {title}", ""]
        for k in kinds:
            attack = "; ".join(f"{a} {ATTACK[a]}" for a in k.attack) or "none in ATT&CK for Containers"
            rests = ", ".join(f"`{c}`" for c in k.rests_on) or (
                "nothing (model wiring)" if k.structural else "no check: these edges are gaps"
            )
            lines += [
                f"### `{k.id}`",
                "",
                f"**{k.title}**",
                "",
                k.why.strip(),
                "",
                f"- Technique: {k.technique} ({attack})",
                f"- Certainty: {k.certainty}",
                f"- Fixed by the findings of: {rests}",
                "",
            ]
    return "\n".join(lines).rstrip() + "\n"
