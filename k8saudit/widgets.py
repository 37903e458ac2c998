"""ipywidgets for the notebooks: explore findings, pick a source, fix a manifest and re-check it.

Each widget is an ``ipywidgets.VBox`` (display it as the last line of a cell) with
plain Python properties a test can drive without a browser: set the controls'
``.value`` and read ``.filtered`` / ``.value`` / ``.check()``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd

from .checks import CHECKS
from .exercises import Exercise, Grade, grade
from .export import export
from .fixes import exempt_warning, fix_for
from .notebook import badge, open_source, repo_root
from .snapshot import Snapshot, SnapshotError, is_saved_snapshot
from .viz import CLUSTER_SCOPED, practice_label
from .vocab import EXEMPT_COLOR, PRACTICES, SEVERITIES, SEVERITY_COLORS, STATUS_COLORS

ALL = "(all)"
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
#: sort keys of the explorer: label → (columns, ascending)
SORTS: dict[str, tuple[list[str], list[bool]]] = {
    "severity (worst first)": (["_rank", "practice", "check_id", "namespace", "name"], [False, True, True, True, True]),
    "practice": (["practice", "_rank", "check_id", "namespace", "name"], [True, False, True, True, True]),
    "check": (["check_id", "namespace", "name", "container"], [True, True, True, True]),
    "namespace": (["namespace", "_rank", "check_id", "name"], [True, False, True, True]),
    "name": (["name", "namespace", "_rank", "check_id"], [True, True, False, True]),
    "priority (attack paths first)": (["priority"], [True]),
}


def _e(v: object) -> str:
    return "" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else html.escape(str(v))


def markdown_html(text: str) -> str:
    """The little Markdown remediations use: fenced code blocks and `inline code`."""
    out = []
    for i, part in enumerate(re.split(r"```[a-z]*\n?", text or "")):
        if i % 2:
            out.append(f'<pre style="background:#f3f4f6;padding:6px;margin:4px 0">{html.escape(part.rstrip())}</pre>')
        else:
            esc = html.escape(part).replace("\n", "<br>")
            out.append(re.sub(r"`([^`]+)`", r"<code>\1</code>", esc))
    return "".join(out)


@dataclass(frozen=True)
class Exported:
    """What an explorer's export wrote: the file, how many findings of how many, and the filters."""

    path: Path
    rows: int
    total: int
    filters: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.rows} of {self.total} findings ({self.filters})"

    __repr__ = __str__


class FindingsExplorer(w.VBox):
    """Filter findings by namespace, practice, check, minimum severity and exemption; sort; inspect one.

    ``.filtered`` is the filtered, sorted DataFrame; ``.value`` the selected finding
    (a row, or None). ``snap`` (optional) fills the suggested fix with the cluster's names.
    """

    def __init__(
        self, findings: pd.DataFrame, *, snap: Snapshot | None = None, practice: int | None = None, max_rows: int = 50
    ) -> None:
        self.findings = findings.assign(
            _rank=findings["severity"].astype(str).map(_RANK).astype(int),
            _ns=findings["namespace"].astype("string").fillna(CLUSTER_SCOPED),
        )
        self.snap, self.max_rows = snap, max_rows
        f = self.findings
        style = {"description_width": "initial"}
        self.namespace = w.Dropdown(
            options=[ALL, *sorted(f["_ns"].unique())], value=ALL, description="namespace", style=style
        )
        present = sorted({int(p) for p in f["practice"].dropna()})
        self.practice = w.Dropdown(
            options=[("all practices", 0), *[(practice_label(p), p) for p in present]],
            value=practice if practice in present else 0,
            description="practice",
            style=style,
        )
        self.check_id = w.Dropdown(options=[ALL], value=ALL, description="check", style=style)
        self.severity = w.Dropdown(
            options=[(f"{s} and worse", s) for s in SEVERITIES], value="info", description="severity", style=style
        )
        self.show_exempt = w.Checkbox(value=True, description="show exempt", indent=False)
        sorts = [k for k in SORTS if k != "priority (attack paths first)" or "priority" in findings.columns]
        self.sort_by = w.Dropdown(
            options=sorts,
            value=sorts[-1] if "priority" in findings.columns else "severity (worst first)",
            description="sort by",
            style=style,
        )
        self.summary = w.HTML()
        self.table = w.HTML()
        self.selector = w.Select(options=[], rows=6, description="finding", layout=w.Layout(width="98%"), style=style)
        self.detail = w.HTML()
        self._update_checks()
        for ctl in (self.namespace, self.check_id, self.severity, self.show_exempt, self.sort_by):
            ctl.observe(self._refresh, names="value")
        self.practice.observe(self._on_practice, names="value")
        self.selector.observe(self._show_detail, names="value")
        filters = w.HBox([self.namespace, self.practice, self.check_id], layout=w.Layout(flex_flow="row wrap"))
        options = w.HBox([self.severity, self.sort_by, self.show_exempt], layout=w.Layout(flex_flow="row wrap"))
        super().__init__([filters, options, self.summary, self.table, self.selector, self.detail])
        self._refresh()

    # ------------------------------------------------------------------ state

    @property
    def filtered(self) -> pd.DataFrame:
        """The findings passing the filters, in the chosen order (schema columns only)."""
        f = self.findings
        m = f["_rank"] >= _RANK[self.severity.value]
        if self.namespace.value != ALL:
            m &= f["_ns"] == self.namespace.value
        if self.practice.value:
            m &= f["practice"] == self.practice.value
        if self.check_id.value != ALL:
            m &= f["check_id"] == self.check_id.value
        if not self.show_exempt.value:
            m &= ~f["exempt"].astype(bool)
        cols, asc = SORTS[self.sort_by.value]
        out = f[m.fillna(False).astype(bool)].sort_values(cols, ascending=asc, kind="stable", na_position="first")
        return out.drop(columns=["_rank", "_ns"]).reset_index(drop=True)

    @property
    def value(self) -> pd.Series | None:
        """The selected finding, or None."""
        fid = self.selector.value
        if fid is None:
            return None
        rows = self.findings[self.findings["finding_id"] == fid]
        return rows.drop(columns=["_rank", "_ns"]).iloc[0] if len(rows) else None

    def select(self, finding_id: str) -> None:
        """Select one finding (it must pass the filters)."""
        self.selector.value = finding_id

    @property
    def filter_text(self) -> str:
        """The filters in words, e.g. ``practice 8, high and worse, exempt hidden``."""
        ns = self.namespace.value
        parts = [
            "all namespaces" if ns == ALL else f"namespace {ns}",
            f"practice {self.practice.value}" if self.practice.value else "all practices",
        ]
        if self.check_id.value != ALL:
            parts.append(f"check {self.check_id.value}")
        parts.append("every severity" if self.severity.value == SEVERITIES[0] else f"{self.severity.value} and worse")
        parts.append("exempt shown" if self.show_exempt.value else "exempt hidden")
        return ", ".join(parts)

    def export(self, path: str | Path, *, format: str | None = None) -> Exported:
        """Write the filtered findings to ``path`` (format from the extension); say what was written."""
        df = self.filtered
        p = export(df, path, snapshot=self.snap, format=format)
        return Exported(p, len(df), len(self.findings), self.filter_text)

    # ------------------------------------------------------------------ rendering

    def _on_practice(self, _change: object = None) -> None:
        self._update_checks()
        self._refresh()

    def _update_checks(self) -> None:
        f = self.findings
        if self.practice.value:
            f = f[f["practice"] == self.practice.value]
        ids = [c for c in CHECKS if c in set(f["check_id"])]
        keep = self.check_id.value if self.check_id.value in ids else ALL
        self.check_id.options = [ALL, *ids]
        self.check_id.value = keep

    def _refresh(self, _change: object = None) -> None:
        df = self.filtered
        n_ex = int(df["exempt"].astype(bool).sum())
        self.summary.value = f"<b>{len(df)}</b> finding(s) shown of {len(self.findings)}" + (
            f" ({n_ex} exempt, greyed)" if n_ex else ""
        )
        self.table.value = self._table_html(df)
        top = df.head(500)
        opts = [(self._label(r), r.finding_id) for r in top.itertuples()]
        current = self.selector.value
        self.selector.options = opts
        ids = [fid for _, fid in opts]
        if current not in ids:  # start on the first finding that is not exempt (its fix is safe to apply)
            live = top.loc[~top["exempt"].astype(bool), "finding_id"]
            current = live.iloc[0] if len(live) else (ids[0] if ids else None)
        self.selector.value = current
        self._show_detail()

    @staticmethod
    def _label(r: object) -> str:
        where = f"{r.namespace}/{r.name}" if isinstance(r.namespace, str) else str(r.name)  # type: ignore[attr-defined]
        cont = f" [{r.container}]" if isinstance(r.container, str) else ""  # type: ignore[attr-defined]
        ex = " (exempt)" if r.exempt else ""  # type: ignore[attr-defined]
        return f"{r.severity} · {r.check_id}: {r.kind} {where}{cont}{ex}"  # type: ignore[attr-defined]

    def _table_html(self, df: pd.DataFrame) -> str:
        head = "".join(
            f"<th style='text-align:left'>{c}</th>"
            for c in ("severity", "practice", "check", "object", "container", "message")
        )
        rows = []
        for r in df.head(self.max_rows).itertuples():
            style = f"color:{EXEMPT_COLOR};font-style:italic" if r.exempt else ""
            obj = f"{_e(r.kind)} {_e(r.namespace) + '/' if isinstance(r.namespace, str) else ''}{_e(r.name)}"
            message = markdown_html(str(r.message))
            rows.append(
                f"<tr style='{style}'><td>{badge(str(r.severity))}</td><td>{_e(r.practice)}</td>"
                f"<td style='white-space:nowrap'><code>{_e(r.check_id)}</code></td>"
                f"<td style='white-space:nowrap'>{obj}</td><td>{_e(r.container)}</td>"
                f"<td style='text-align:left'>{message}{' (exempt)' if r.exempt else ''}</td></tr>"
            )
        more = (
            f"<p><i>showing the first {self.max_rows} of {len(df)}: narrow the filters or use "
            "<code>explorer.filtered</code></i></p>"
            if len(df) > self.max_rows
            else ""
        )
        return (
            f"<div style='max-height:360px;overflow:auto'><table style='font-size:0.9em;line-height:1.3'><thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>{more}"
        )

    def _show_detail(self, _change: object = None) -> None:
        r = self.value
        if r is None:
            self.detail.value = "<i>No finding selected.</i>"
            return
        ex = f"<p><b>Exempt:</b> {_e(r['exempt_reason'])}</p>" if r["exempt"] else ""
        warning = exempt_warning(r)
        warn = (
            f"<p style='border:2px solid {SEVERITY_COLORS['high']};background:#fef2f2;padding:6px'>"
            f"<b>⚠ Do not apply this fix.</b> {_e(warning)}</p>"
            if warning
            else ""
        )
        fix = html.escape(fix_for(r, self.snap))
        self.detail.value = (
            f"<div style='border-left:4px solid {SEVERITY_COLORS.get(str(r['severity']), EXEMPT_COLOR)};padding-left:8px'>"
            f"<p>{badge(str(r['severity']))} <b>{_e(r['title'])}</b> <code>{_e(r['check_id'])}</code> "
            f"(practice {_e(r['practice'])}: {_e(PRACTICES.get(int(r['practice']), ''))})</p>"
            f"<p>{markdown_html(str(r['message']))}</p><p><b>Evidence:</b> <code>{_e(r['evidence'])}</code></p>{ex}"
            f"<p><b>Remediation:</b> {markdown_html(str(r['remediation']))}</p>"
            f"<p><b>Suggested fix:</b></p>{warn}<pre style='background:#f3f4f6;padding:6px'>{fix}</pre>"
            f"<p style='color:#6b7280;font-size:0.85em'>finding_id {_e(r['finding_id'])}</p></div>"
        )


def source_options(snapshots_dir: str | Path | None = None) -> list[tuple[str, str]]:
    """(label, source) pairs: kubeconfig contexts (when a kubeconfig exists), the sample, and the snapshots
    saved under ``snapshots_dir`` (default: ``snapshots/`` at the checkout's root)."""
    out: list[tuple[str, str]] = []
    try:
        from .sources.live import list_contexts

        out += [(f"kubeconfig context: {c}", f"context:{c}") for c in list_contexts()]
    except (SnapshotError, ImportError):
        pass
    out.append(("bundled sample cluster", "sample"))
    out.append(("bundled legacy cluster (an old 1.15 one)", "sample:legacy"))
    root = Path(snapshots_dir) if snapshots_dir is not None else repo_root() / "snapshots"
    if root.is_dir():
        out += [(f"saved snapshot: {p.name}", str(p)) for p in sorted(root.iterdir()) if is_saved_snapshot(p)]
    return out


class SourcePicker(w.VBox):
    """Choose where the cluster state comes from; ``.value`` is a source string, ``.load()`` a Snapshot."""

    def __init__(self, value: str = "sample", *, snapshots_dir: str | Path | None = None) -> None:
        self.choice = w.Dropdown(
            options=source_options(snapshots_dir), description="source", layout=w.Layout(width="60%")
        )
        self.path = w.Text(
            placeholder="…or a path: manifests, a kubectl dump, a saved snapshot", layout=w.Layout(width="60%")
        )
        self.button = w.Button(description="Load", button_style="primary", icon="download")
        self.status = w.HTML()
        self.snapshot: Snapshot | None = None
        self._loaded_from: str | None = None
        self.button.on_click(lambda _b: self.load())
        super().__init__([self.choice, self.path, self.button, self.status])
        self.value = value

    @property
    def value(self) -> str:
        return self.path.value.strip() or str(self.choice.value)

    @value.setter
    def value(self, source: str) -> None:
        known = [v for _, v in self.choice.options]
        if source in known:
            self.choice.value, self.path.value = source, ""
        else:
            self.path.value = source

    def load(self) -> Snapshot | None:
        """Load the chosen source (None, with the reason shown, when it cannot be read)."""
        self.status.value = f"loading <code>{_e(self.value)}</code>…"
        try:
            self.snapshot = open_source(self.value)
        except SnapshotError as e:
            self.snapshot, self._loaded_from = None, None
            self.status.value = f"<span style='color:{SEVERITY_COLORS['high']}'>cannot load: {_e(e)}</span>"
            return None
        s, self._loaded_from = self.snapshot, self.value
        self.status.value = (
            f"loaded <b>{_e(s.cluster)}</b>: {len(s):,} objects, {len(s.workloads)} workloads, {len(s.skipped)} skipped"
        )
        return s

    def current(self) -> Snapshot:
        """The snapshot of what the picker shows now: the one *Load* read when the choice has not changed
        since, else the choice loaded now. Raises SnapshotError (also shown) when it cannot be read."""
        if self.snapshot is not None and self._loaded_from == self.value:
            return self.snapshot
        snap = self.load()
        if snap is None:
            raise SnapshotError(f"{self.value}: cannot load (see the picker's message)")
        return snap


class ManifestExercise(w.VBox):
    """Fix a broken manifest, re-check it, get graded feedback, two hints on request, then the solution.

    A re-check passes only when what the exercise is about is still there (see ``k8saudit.exercises``)
    and the practice's checks find nothing. Each attempt, hint and solution shown is recorded in the
    trainee's progress file (``k8saudit.workshop``).
    """

    def __init__(
        self,
        practice: int,
        broken_yaml: str,
        solution_yaml: str,
        *,
        checks: list[str] | None = None,
        task: str = "",
        exercise: Exercise | None = None,
    ) -> None:
        self.practice, self.checks = practice, checks
        self.broken, self.solution = broken_yaml.strip() + "\n", solution_yaml.strip() + "\n"
        self.exercise = exercise or Exercise(practice, task, self.broken, self.solution, tuple(checks or ()))
        self.editor = w.Textarea(
            value=self.broken, rows=min(30, self.broken.count("\n") + 2), layout=w.Layout(width="98%")
        )
        self.editor.add_class("k8saudit-code")
        self.button = w.Button(description="Re-check", button_style="primary", icon="check")
        self.reset = w.Button(description="Start over", icon="undo")
        self.hint_button = w.Button(description="Hint", icon="lightbulb-o")
        self.show_solution = w.ToggleButton(value=False, description="Show solution", icon="eye")
        self.result = w.HTML()
        self.hint_view = w.HTML()
        self.solution_view = w.HTML(layout=w.Layout(display="none"))
        self.hints_shown = 0
        self.button.on_click(lambda _b: self.check())
        self.reset.on_click(lambda _b: setattr(self.editor, "value", self.broken))
        self.hint_button.on_click(lambda _b: self.hint())
        self.show_solution.observe(self._toggle, names="value")
        intro = w.HTML(
            "<style>.k8saudit-code textarea{font-family:monospace;font-size:12px}</style>"
            f"<p><b>Exercise (practice {practice}):</b> {markdown_html(task)} Edit the manifest, then press "
            "<i>Re-check</i>. Stuck? <i>Hint</i> gives a first hint, then a second, then the solution.</p>"
        )
        super().__init__(
            [
                intro,
                self.editor,
                w.HBox([self.button, self.reset, self.hint_button, self.show_solution]),
                self.result,
                self.hint_view,
                self.solution_view,
            ]
        )
        self.grade: Grade | None = None
        self.findings: pd.DataFrame | None = None

    @classmethod
    def of(cls, ex: Exercise) -> ManifestExercise:
        """The widget of one exercise of ``k8saudit.exercises``."""
        return cls(ex.practice, ex.broken, ex.solution, checks=list(ex.checks), task=ex.task, exercise=ex)

    def hint(self) -> str:
        """The next hint (two levels), then the solution; returns what is now shown."""
        hints = [h for h in self.exercise.hints if h]
        if self.hints_shown < len(hints):
            self.hints_shown += 1
            self.hint_view.value = "".join(
                f"<p>💡 <b>Hint {i + 1}:</b> {markdown_html(h)}</p>" for i, h in enumerate(hints[: self.hints_shown])
            )
            self.hint_button.description = "Another hint" if self.hints_shown < len(hints) else "Solution"
            self._record("hint", level=self.hints_shown)
            return hints[self.hints_shown - 1]
        self.show_solution.value = True
        return self.solution

    def _toggle(self, change: dict[str, object]) -> None:
        self.solution_view.value = f"<pre style='background:#ecfdf5;padding:6px'>{html.escape(self.solution)}</pre>"
        self.solution_view.layout.display = "block" if change["new"] else "none"
        if change["new"]:
            self._record("solution")

    def _record(self, event: str, **kw: object) -> None:
        from . import workshop

        workshop.record(self.practice, event, **kw)  # type: ignore[arg-type]

    def check(self, text: str | None = None) -> pd.DataFrame:
        """Grade the editor's text (or ``text``) → the findings that still fire; the feedback is shown below."""
        body = self.editor.value if text is None else text
        g = self.grade = grade(self.practice, body, exercise=self.exercise)
        f = self.findings = g.findings
        bad = SEVERITY_COLORS["high"]
        if g.problems:
            self.result.value = (
                f"<p style='color:{bad}'>The manifest could not be read: {_e('; '.join(g.problems))}</p>"
            )
        elif not g.loaded:
            self.result.value = f"<p style='color:{bad}'>The editor holds no Kubernetes object.</p>"
        elif g.passed:
            self.result.value = (
                f"<p style='color:{STATUS_COLORS['pass']}'>✔ No findings left, and everything the "
                "exercise needs is still there: well done.</p>"
            )
        else:
            parts = []
            if g.missing:
                items = "".join(f"<li>{markdown_html(m[0].upper() + m[1:])}: it must stay.</li>" for m in g.missing)
                parts.append(
                    f"<p style='color:{bad}'><b>Removed or changed what must stay ({len(g.missing)}):</b> the "
                    f"fix has to keep the app working.</p><ul>{items}</ul>"
                )
            if len(f):
                items = "".join(
                    f"<li>{badge(str(r.severity))} <code>{_e(r.check_id)}</code> {markdown_html(str(r.message))}"
                    + (" <i>(exempt by annotation: exemptions do not count here)</i>" if r.exempt else "")
                    + "</li>"
                    for r in f.itertuples()
                )
                parts.append(f"<p><b>Still failing ({len(f)}):</b></p><ul>{items}</ul>")
            self.result.value = "".join(parts)
        self._record("attempt", passed=g.passed)
        return f

    @property
    def passed(self) -> bool:
        """True when the last re-check passed (nothing removed that must stay, no findings left)."""
        return self.grade is not None and self.grade.passed


# --------------------------------------------------------------------------- attack paths


class PathExplorer(w.VBox):
    """Pick an entry and a target, see the paths between them step by step: technique, evidence, and the
    finding whose fix removes each step (or "gap" when no check reports it).

    ``.value`` is the selected path (a row of ``ka.attack_paths``), ``.steps`` its steps as a DataFrame.
    """

    def __init__(self, paths: pd.DataFrame, findings: pd.DataFrame) -> None:
        self.paths, self.findings = paths, findings
        self._by_id = findings.set_index("finding_id") if len(findings) else None
        style = {"description_width": "initial"}
        entries = list(dict.fromkeys(paths["entry"]))
        self.entry = w.Dropdown(
            options=[(_label_of(paths, e, "entry"), e) for e in entries],
            value=entries[0] if entries else None,
            description="from",
            style=style,
        )
        self.target = w.Dropdown(options=[], description="to", style=style)
        self.path = w.Select(options=[], rows=4, description="path", layout=w.Layout(width="98%"), style=style)
        self.summary = w.HTML()
        self.detail = w.HTML()
        self.entry.observe(self._on_entry, names="value")
        self.target.observe(self._on_target, names="value")
        self.path.observe(self._show, names="value")
        super().__init__(
            [
                w.HBox([self.entry, self.target], layout=w.Layout(flex_flow="row wrap")),
                self.summary,
                self.path,
                self.detail,
            ]
        )
        self._on_entry()

    @property
    def value(self) -> pd.Series | None:
        pid = self.path.value
        rows = self.paths[self.paths["path_id"] == pid]
        return rows.iloc[0] if len(rows) else None

    @property
    def steps(self) -> pd.DataFrame:
        """The selected path's attacker steps: target, technique, ATT&CK, evidence, fix (``gap`` when none)."""
        p = self.value
        cols = ["step", "to", "technique", "attack", "certain", "evidence", "fix"]
        if p is None:
            return pd.DataFrame(columns=cols)
        moves = [s for s in p["steps"] if not s["structural"]]
        return pd.DataFrame(
            [
                {
                    "step": i + 1,
                    "to": s["target_label"],
                    "technique": s["technique"],
                    "attack": s["attack"],
                    "certain": s["certain"],
                    "evidence": s["evidence"],
                    "fix": self._fix(s) or "gap: no check reports this step",
                }
                for i, s in enumerate(moves)
            ],
            columns=cols,
        )

    def _fix(self, step: dict) -> str:
        parts = []
        for fid in step["finding_ids"]:
            if self._by_id is not None and fid in self._by_id.index:
                r = self._by_id.loc[fid]
                where = "/".join(str(x) for x in (r["namespace"], r["name"]) if isinstance(x, str) and x)
                parts.append(f"{r['check_id']} on {r['kind']} {where}")
        return " or ".join(parts)

    def _on_entry(self, _change: object = None) -> None:
        p = self.paths[self.paths["entry"] == self.entry.value]
        targets = list(dict.fromkeys(p.sort_values(["length", "target"])["target"]))
        self.target.options = [(_label_of(p, t, "target"), t) for t in targets]
        self.target.value = targets[0] if targets else None
        self._on_target()

    def _on_target(self, _change: object = None) -> None:
        p = self.paths[(self.paths["entry"] == self.entry.value) & (self.paths["target"] == self.target.value)]
        self.path.options = [
            (f"{r.path_id} · {r.length} step(s){'' if r.certain else ' (possible)'}: {r.summary}", r.path_id)
            for r in p.itertuples()
        ]
        self.path.value = p["path_id"].iloc[0] if len(p) else None
        self.summary.value = (
            f"<b>{len(p)}</b> path(s) shown (the shortest first) of {len(self.paths)} "
            f"from {self.entry.label or 'nowhere'}"
        )
        self._show()

    def _show(self, _change: object = None) -> None:
        st = self.steps
        if st.empty:
            self.detail.value = "<i>No path selected.</i>"
            return
        rows = "".join(
            f"<tr><td>{r.step}</td><td style='white-space:nowrap'><b>{_e(r.to)}</b></td>"
            f"<td>{_e(r.technique)} <code>{_e(r.attack)}</code>{'' if r.certain else ' <i>(possible)</i>'}</td>"
            f"<td style='text-align:left'><code>{_e(r.evidence)}</code></td>"
            f"<td style='text-align:left;color:{'#b91c1c' if r.fix.startswith('gap') else '#065f46'}'>{_e(r.fix)}</td></tr>"
            for r in st.itertuples()
        )
        self.detail.value = (
            "<table style='font-size:0.9em;line-height:1.3'><thead><tr><th>#</th><th>reaches</th>"
            "<th>technique</th><th style='text-align:left'>evidence</th>"
            f"<th style='text-align:left'>fix</th></tr></thead><tbody>{rows}</tbody></table>"
        )


def _label_of(paths: pd.DataFrame, vertex: str, col: str) -> str:
    hit = paths.loc[paths[col] == vertex, f"{col}_label"]
    return str(hit.iloc[0]) if len(hit) else vertex


class FixWhatIf(w.VBox):
    """The fewest findings whose fixes break every breakable path, and a toggle that recomputes the paths
    as if they were fixed. ``.paths`` is the current paths frame; ``.apply.value`` the toggle."""

    def __init__(self, graph: Any, findings: pd.DataFrame, **path_options: Any) -> None:
        from .paths import attack_cut, attack_paths

        self.graph, self.findings, self.options = graph, findings, path_options
        self.cut = attack_cut(graph, findings, **path_options)
        self.before = attack_paths(graph, **path_options)
        self.after = attack_paths(graph.without(self.cut.finding_ids), **path_options)
        self.apply = w.ToggleButton(
            value=False,
            description=f"apply these {len(self.cut.fixes)} fixes",
            icon="wrench",
            layout=w.Layout(width="auto"),
        )
        self.fixes = w.HTML(self._fixes_html())
        self.result = w.HTML()
        self.apply.observe(self._refresh, names="value")
        super().__init__([self.fixes, self.apply, self.result])
        self._refresh()

    @property
    def paths(self) -> pd.DataFrame:
        return self.after if self.apply.value else self.before

    def _fixes_html(self) -> str:
        rows = "".join(
            f"<tr><td>{i + 1}</td><td>{badge(str(r.severity))}</td><td><code>{_e(r.check_id)}</code></td>"
            f"<td style='white-space:nowrap'>{_e(r.kind)} {_e(r.namespace) + '/' if isinstance(r.namespace, str) else ''}"
            f"{_e(r.name)}</td><td>{r.paths_removed}</td><td style='text-align:left'>{_e(r.title)}</td></tr>"
            for i, r in enumerate(self.cut.fixes.itertuples())
        )
        stuck = ""
        if self.cut.unbreakable_targets:
            labels = dict(zip(self.graph.nodes_frame["vertex"], self.graph.nodes_frame["label"]))
            stuck = (
                "<p>Reached through gaps alone, whatever is fixed: "
                + ", ".join(_e(str(labels.get(t, t))) for t in self.cut.unbreakable_targets)
                + "</p>"
            )
        return (
            f"<p><b>Fix these {len(self.cut.fixes)} finding(s) to break every breakable path</b></p>"
            "<table style='font-size:0.9em'><thead><tr><th>#</th><th>severity</th><th>check</th><th>object</th>"
            f"<th>paths it breaks</th><th style='text-align:left'>title</th></tr></thead><tbody>{rows}</tbody>"
            f"</table>{stuck}"
        )

    def _refresh(self, _change: object = None) -> None:
        p = self.paths
        by_target = p.groupby(["target", "target_label"], sort=False).size().sort_values(ascending=False, kind="stable")
        cells = "".join(f"<tr><td>{_e(str(t))}</td><td>{n}</td></tr>" for (_, t), n in by_target.head(24).items())
        if len(by_target) > 24:
            cells += f"<tr><td>… {len(by_target) - 24} more target(s)</td><td></td></tr>"
        state = "with the fixes applied" if self.apply.value else "as the cluster is"
        self.result.value = (
            f"<p><b>{len(p)}</b> path(s) {state} (before: {len(self.before)}, after: "
            f"{len(self.after)})</p><table style='font-size:0.9em'><thead><tr><th>target</th>"
            f"<th>paths</th></tr></thead><tbody>{cells}</tbody></table>"
        )
