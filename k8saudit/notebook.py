"""What the notebooks share: the source parameter, loading it, practice headers and small summaries.

Every notebook has a ``parameters`` cell (``SOURCE = "sample"``) followed by
``SOURCE = source_from_env(SOURCE)``, so ``K8SAUDIT_SOURCE`` runs all of them
against another source without editing them.
"""

from __future__ import annotations

import html
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd

from .checks import CHECKS
from .findings import check_stats
from .snapshot import Snapshot
from .vocab import PRACTICE_SHORT, PRACTICES, SEVERITY_COLORS, SEVERITY_TEXT

ENV_VAR = "K8SAUDIT_SOURCE"
#: where notebooks write their files instead of ``<checkout>/out`` (the notebook tests set it to a temporary folder)
OUT_ENV_VAR = "K8SAUDIT_OUT"

#: the notebooks, by number (0: overview, 1-10: practices, 11: export)
NOTEBOOKS: dict[int, str] = {
    0: "00-overview.ipynb",
    1: "01-secrets-in-env.ipynb",
    2: "02-api-server-authn.ipynb",
    3: "03-capabilities.ipynb",
    4: "04-host-namespaces.ipynb",
    5: "05-rbac.ipynb",
    6: "06-read-only-rootfs.ipynb",
    7: "07-network-isolation.ipynb",
    8: "08-privileged-containers.ipynb",
    9: "09-proc-mount.ipynb",
    10: "10-rolling-updates.ipynb",
    11: "11-export-findings.ipynb",
    12: "12-attack-paths.ipynb",
    13: "13-fleet.ipynb",
}


def source_from_env(default: str = "sample") -> str:
    """``$K8SAUDIT_SOURCE`` when set (a path, ``sample``, ``sample:legacy`` or ``context:NAME``), else ``default``."""
    value = os.environ.get(ENV_VAR, "").strip()
    return value or default


def repo_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The checkout's root (the first parent holding pyproject.toml), else the current directory."""
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "pyproject.toml").is_file() and (d / "k8saudit").is_dir():
            return d
    return Path.cwd()


class ProgressLabel:
    """A source's progress as a label under the cell (see :class:`k8saudit.sources.Progress`)."""

    def __init__(self, label: Any) -> None:
        self.label = label
        self.last = 0.0

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self.label.value = message[:200]

    def done(self, message: str) -> None:
        self.label.value = message


def progress_label() -> ProgressLabel | None:
    """A :class:`ProgressLabel` shown under the running cell, inside a Jupyter kernel only (else None)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None or not hasattr(shell, "kernel"):
            return None
        import ipywidgets
        from IPython.display import display
    except Exception:
        return None
    label = ipywidgets.Label("connecting…")
    display(label)
    return ProgressLabel(label)


def open_source(source: str) -> Snapshot:
    """Load a source string: ``sample`` (``sample:legacy``: the second bundled sample), ``context:NAME`` (a live
    cluster, its progress shown under the cell; ``context:`` alone: the current context) or a path (manifests,
    dumps or a saved snapshot; relative paths are also looked up from the checkout's root).
    See :func:`k8saudit.sources.parse_source`."""
    from . import sources

    src = sources.parse_source(source, root=repo_root())
    return sources.open_source(src, progress=progress_label() if src.kind == "context" else None)


def badge(severity: str) -> str:
    """A severity as a small coloured label (HTML)."""
    return (
        f'<span style="background:{SEVERITY_COLORS.get(severity, "#9ca3af")};'
        f"color:{SEVERITY_TEXT.get(severity, '#111827')};padding:1px 7px;border-radius:9px;"
        f'font-size:0.85em">{html.escape(severity)}</span>'
    )


class CheckTable:
    """The checks of one practice, from the registry; renders as HTML, Markdown or plain text."""

    def __init__(self, practice: int) -> None:
        if practice not in PRACTICES:
            raise ValueError(f"practice must be 1-10, not {practice!r}")
        self.practice = practice
        self.checks = CHECKS.for_practice(practice)

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"check": c.id, "severity": c.severity, "finds": c.title, "looks at": c.fires_on, "why": c.why}
                for c in self.checks
            ],
            columns=["check", "severity", "finds", "looks at", "why"],
        )

    def _repr_html_(self) -> str:
        head = (
            f"<h4 style='margin:0.4em 0'>Practice {self.practice}: {html.escape(PRACTICES[self.practice])}</h4>"
            f"<p style='margin:0 0 0.5em'>k8saudit runs {len(self.checks)} check(s) for this practice:</p>"
        )
        rows = "".join(
            f"<tr><td><code>{html.escape(c.id)}</code></td><td>{badge(c.severity)}</td>"
            f"<td>{html.escape(c.title)}</td><td>{html.escape(c.fires_on)}</td>"
            f"<td style='text-align:left;font-size:0.9em'>{html.escape(c.why)}</td></tr>"
            for c in self.checks
        )
        return (
            head + "<table><thead><tr><th>check</th><th>severity</th><th>finds</th><th>looks at</th>"
            "<th style='text-align:left'>why it matters</th></tr></thead><tbody>" + rows + "</tbody></table>"
        )

    def _repr_markdown_(self) -> str:
        lines = [
            f"**Practice {self.practice}: {PRACTICES[self.practice]}**",
            "",
            "| check | severity | finds | looks at |",
            "|---|---|---|---|",
        ]
        lines += [f"| `{c.id}` | {c.severity} | {c.title} | {c.fires_on} |" for c in self.checks]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Practice {self.practice} ({PRACTICE_SHORT[self.practice]}): " + ", ".join(c.id for c in self.checks)


def practice_header(practice: int) -> CheckTable:
    """The checks of a practice as a table (rendered from the registry, never typed by hand)."""
    return CheckTable(practice)


def check_summary(findings: pd.DataFrame, practice: int) -> pd.DataFrame:
    """Per check of a practice (all of them, also those without findings): severity, open, exempt, status."""
    stats = check_stats(findings)
    status = dict(zip(stats["check_id"], stats["status"])) if stats is not None and len(stats) else {}
    f = findings[findings["practice"] == practice]
    rows = []
    for c in CHECKS.for_practice(practice):
        mine = f[f["check_id"] == c.id]
        ex = int(mine["exempt"].astype(bool).sum())
        st = status.get(c.id, "not run")
        if st == "fail" and ex == len(mine):
            st = "pass (all exempt)"
        rows.append({"check": c.id, "severity": c.severity, "open": len(mine) - ex, "exempt": ex, "status": st})
    return pd.DataFrame(rows, columns=["check", "severity", "open", "exempt", "status"])


def examples_elsewhere(findings: pd.DataFrame, practice: int) -> pd.DataFrame:
    """Every check has a live example: for each check of ``practice`` that raises nothing in ``findings``,
    its findings on the bundled samples (``sample``, ``sample:legacy``) other than the audited cluster.

    Checks that judge the API server or the cluster as a whole can only go one way on one cluster; this
    shows where they go the other way. Empty when every check of the practice fires here.
    """
    from . import sources
    from .findings import audit

    cols = ["source", "check", "severity", "object", "message"]
    quiet = [c.id for c in CHECKS.for_practice(practice) if not findings["check_id"].eq(c.id).any()]
    here = set(findings["cluster"].dropna().unique()) if "cluster" in findings else set()
    frames = []
    for name, (directory, _) in sources.SAMPLES.items():
        if not quiet or directory in here:
            continue
        f = audit(sources.sample(name), checks=quiet)
        f = f[~f["exempt"].astype(bool)]
        obj = f["kind"].astype("string") + " " + (f["namespace"].astype("string") + "/").fillna("") + f["name"]
        frames.append(
            pd.DataFrame(
                {
                    "source": "sample" if name == "main" else f"sample:{name}",
                    "check": f["check_id"],
                    "severity": f["severity"].astype("string"),
                    "object": obj,
                    "message": f["message"],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out[cols].sort_values(["check", "source", "object"], kind="stable").reset_index(drop=True)


def at_a_glance(snap: Snapshot) -> pd.Series:
    """Counts a reader checks first: namespaces, workloads, containers, pods, nodes, services, bindings."""
    ns = snap.namespaces
    return pd.Series(
        {
            "namespaces": len(ns),
            "workloads": int(snap.workloads["pod"].isna().sum()),  # not the rows of pods that differ
            "containers": len(snap.containers),
            "pods": int(snap.kinds.get("Pod", 0)),
            "nodes": len(snap.nodes),
            "services": len(snap.services),
            "role bindings (rules)": len(snap.rbac),
            "objects loaded": len(snap),
            "objects skipped": len(snap.skipped),
        },
        name=snap.cluster,
    )


def top_findings(findings: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` worst open findings (severity, then practice), in a few readable columns."""
    live = findings[~findings["exempt"].astype(bool)]
    live = live.sort_values(
        ["severity", "practice", "check_id", "namespace", "name"],
        ascending=[False, True, True, True, True],
        kind="stable",
    )
    cols = ["severity", "practice", "check_id", "kind", "namespace", "name", "container"]
    return live[cols].head(n).reset_index(drop=True)


def notebook_links() -> str:
    """Markdown links to the practice notebooks."""
    lines = [f"- [{n}. {PRACTICES[n]}]({NOTEBOOKS[n]})" for n in range(1, 11)]
    lines.append(f"- [Export the findings]({NOTEBOOKS[11]})")
    lines.append(f"- [Attack paths: which findings chain into a takeover]({NOTEBOOKS[12]})")
    lines.append(f"- [Fleets: many clusters in one audit]({NOTEBOOKS[13]})")
    return "\n".join(lines)


def output_dir(name: str = "out") -> Path:
    """``out/`` at the checkout's root (created), or ``$K8SAUDIT_OUT`` when set (the notebook tests point it at
    a temporary folder, so they never overwrite what ``make demo`` wrote)."""
    env = os.environ.get(OUT_ENV_VAR, "").strip()
    d = Path(env).expanduser() if env else repo_root() / name
    d.mkdir(parents=True, exist_ok=True)
    return d
