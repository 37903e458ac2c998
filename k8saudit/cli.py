"""The ``k8saudit`` command: frames, snapshot, scan, checks, diff, dashboard, demo.

User errors become a one-line message and exit status 2 (so does a source with no
Kubernetes object at all). ``scan --fail-on LEVEL`` exits 1 when a finding at or above
that severity is not exempt; otherwise 3 when the audit is partial (something that
should have been assessed was not: an object that failed to parse or validate, a kind
that could not be listed, a check not assessable or partial, an unreachable cluster)
unless ``--allow-partial`` is given; otherwise 0. Failing findings win over a partial
audit: 1 says "found", 3 says "found nothing at LEVEL, but could not look everywhere".
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 2."""


# --------------------------------------------------------------------------- helpers


class _Progress:
    """Progress lines on stderr, throttled; silent unless the load takes a while."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.start = time.monotonic()
        self.last = 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, msg: str) -> None:
        now = time.monotonic()
        if self.quiet or now - self.start < 1.0 or now - self.last < 0.5:
            return
        self.last = now
        if self.tty:
            sys.stderr.write("\r\x1b[K" + msg[:150])
        else:
            sys.stderr.write(msg + "\n")
        sys.stderr.flush()

    def done(self, message: str | None = None) -> None:
        """End of a load: clear the progress line (the outcome is reported by the command itself)."""
        if self.tty and self.last:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def _add_source_args(p: argparse.ArgumentParser, *, positional: bool = True) -> None:
    if positional:
        p.add_argument("source", nargs="*", help="manifest files/directories, a saved snapshot directory, "
                                                  "`sample` / `sample:legacy` for a bundled sample cluster, `context:NAME` for a live "
                                                  "one, or `-` for manifests on standard input")
    p.add_argument("--context", action="append", default=[], metavar="NAME",
                   help="read a live cluster through this kubeconfig context (repeatable)")
    p.add_argument("--all-contexts", action="store_true", help="read every context of the kubeconfig")
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--in-cluster", action="store_true", help="use the pod's service account (running inside a cluster)")
    p.add_argument("-n", "--namespace", action="append", default=[], metavar="NS",
                   help="live: only these namespaces (repeatable; cluster-scoped kinds are still read)")
    p.add_argument("--cluster", metavar="NAME", help="name the cluster (default: directory or context name)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def _load(args: argparse.Namespace) -> Any:
    import k8saudit as ka

    from .snapshot import SnapshotError

    prog = _Progress(args.quiet)
    try:
        if args.context or args.all_contexts or args.in_cluster:
            from .sources import live

            kw: dict[str, Any] = dict(kubeconfig=args.kubeconfig, namespaces=args.namespace or None, progress=prog)
            if args.in_cluster:
                return live.load_cluster(in_cluster=True, **kw)
            contexts = args.context or live.list_contexts(args.kubeconfig)
            if len(contexts) == 1 and not args.all_contexts:
                return live.load_cluster(context=contexts[0], cluster=args.cluster, **kw)
            return live.load_clusters(contexts, **kw)
        if not args.source:
            raise UserError("no source: give manifest paths, a snapshot directory, `sample`, `sample:legacy`, "
                            "`-` (standard input) or --context NAME")
        from .sources import open_source, parse_source

        sources = [parse_source(s) for s in args.source]
        if len(sources) == 1:
            live_kw: dict[str, Any] = ({"kubeconfig": args.kubeconfig, "namespaces": args.namespace or None}
                                       if sources[0].kind == "context" else {})
            return open_source(sources[0], cluster=args.cluster, progress=prog, **live_kw)
        if any(s.kind != "path" for s in sources):
            raise UserError(f"{' '.join(args.source)}: give one source, or several paths (`sample`, `context:NAME` "
                            "and `-` stand alone)")
        return ka.load(*(s.name or "" for s in sources), cluster=args.cluster, progress=prog)
    except SnapshotError as e:
        raise UserError(str(e)) from None
    finally:
        prog.done()


def _report_skipped(snap: Any, quiet: bool) -> None:
    from .vocab import NOTED

    sk = snap.skipped
    if sk.empty or quiet:
        return
    lost = sk[~sk["category"].isin(NOTED)]
    if len(lost):
        print(f"k8saudit: {len(lost)} item(s) could not be read (see `k8saudit frames skipped`):", file=sys.stderr)
        for r in lost.head(20).itertuples():
            doc = f"#{r.document}" if isinstance(r.document, str) else ""
            print(f"  {r.source}{doc}: {r.reason}", file=sys.stderr)
        if len(lost) > 20:
            print(f"  … and {len(lost) - 20} more", file=sys.stderr)
    noted = sk[sk["category"].isin(NOTED)]
    if len(noted):
        counts = ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in noted["category"].value_counts().items())
        print(f"k8saudit: noted, nothing lost: {counts}", file=sys.stderr)


def _require_objects(snap: Any) -> None:
    """A source with no Kubernetes object at all is an error, not an empty cluster."""
    from .findings import no_objects_message

    members = snap.members or [snap]
    if not any(len(s) or s.kubeconfig_entries for s in members):
        raise UserError(no_objects_message(snap))


def _write_frame(df: Any, fmt: str, out: str | None) -> None:
    from .export import frame_to_text

    text = frame_to_text(df, fmt)
    if out:
        Path(out).write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    else:
        sys.stdout.write(text)


# --------------------------------------------------------------------------- commands


def cmd_frames(args: argparse.Namespace) -> int:
    from .frames import FRAMES

    if args.frame == "list":
        from .frames import describe
        print(describe().to_string(index=False))
        return 0
    if args.frame not in FRAMES and args.frame != "skipped":
        raise UserError(f"no frame {args.frame!r}; frames: {', '.join(FRAMES)}, skipped")
    snap = _load(args)
    _report_skipped(snap, args.quiet)
    df = snap.skipped if args.frame == "skipped" else snap.frame(args.frame)
    if args.columns:
        cols = [c.strip() for c in args.columns.split(",")]
        bad = [c for c in cols if c not in df.columns]
        if bad:
            raise UserError(f"no column(s) {', '.join(bad)} in {args.frame}; columns: {', '.join(df.columns)}")
        df = df[cols]
    _write_frame(df, args.format, args.output)
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    snap = _load(args)
    _require_objects(snap)
    _report_skipped(snap, args.quiet)
    members = snap.members or [snap]
    for s in members:
        out = Path(args.output) / s.cluster if len(members) > 1 else Path(args.output)
        s.save(out)
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(s.kinds.items()))
        print(f"saved {s.cluster} to {out}: {len(s)} objects ({kinds}); {len(s.skipped_records)} skipped")
    return 0


def _parse_practices(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        out = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError:
        raise UserError(f"--practice {text!r}: expected numbers 1-10, e.g. 3,8") from None
    bad = [p for p in out if not 1 <= p <= 10]
    if bad:
        raise UserError(f"--practice: {bad} not in 1-10")
    return out


def _severity(text: str | None, flag: str) -> str | None:
    from .vocab import SEVERITIES

    if text is None:
        return None
    if text not in SEVERITIES:
        raise UserError(f"{flag} {text!r}: one of {', '.join(SEVERITIES)}")
    return text


def _audit(args: argparse.Namespace, snap: Any) -> Any:
    from .findings import ConfigError, NoObjectsError, audit

    checks = [c.strip() for c in args.check.split(",")] if getattr(args, "check", None) else None
    if checks:
        from .checks import CHECKS
        bad = [c for c in checks if c not in CHECKS]
        if bad:
            raise UserError(f"--check: no check {', '.join(bad)} (see `k8saudit checks`)")
    try:
        findings = audit(snap, practices=_parse_practices(args.practice), checks=checks,
                         waivers=args.exemptions, default_exemptions=not args.no_default_exemptions,
                         config=args.config)
    except (ConfigError, NoObjectsError) as e:
        raise UserError(str(e)) from None
    return findings


def _filter_min(findings: Any, minimum: str | None) -> Any:
    if minimum is None:
        return findings
    return findings[findings["severity"] >= minimum]


def cmd_scan(args: argparse.Namespace) -> int:
    from . import report

    minimum = _severity(args.min_severity, "--min-severity")
    fail_on = _severity(args.fail_on, "--fail-on")
    snap = _load(args)
    _require_objects(snap)
    _report_skipped(snap, args.quiet)
    findings = _audit(args, snap)
    for s in snap.members or [snap]:  # the exports read the objects frame only: free the others
        s._frames = {k: v for k, v in s._frames.items() if k == "objects"}
    shown = _filter_min(findings, minimum)
    shown.attrs.update(findings.attrs)
    if args.output:
        from .export import ExportError, export
        # one -o with an explicit --format other than text: that format; otherwise from each extension
        fmt = args.format if len(args.output) == 1 and args.format != "text" else None
        for out in args.output:
            try:
                path = export(shown, out, snapshot=snap, format=fmt)
            except (ExportError, OSError) as e:
                raise UserError(str(e)) from None
            if not args.quiet:
                print(f"wrote {path}", file=sys.stderr)
    elif args.format == "text":
        sys.stdout.write(report.text(shown, snap, show_exempt=args.show_exempt))
    else:
        from .export import findings_to_text, lookup
        fmt = lookup(args.format)
        if fmt.binary:
            raise UserError(f"--format {fmt.name} is a binary format: write it to a file with -o FILE{fmt.extensions[0]}")
        sys.stdout.write(findings_to_text(shown, args.format, snapshot=snap))
    return _gate(findings, fail_on, args.allow_partial, args.quiet)


def _gate(findings: Any, fail_on: str | None, allow_partial: bool, quiet: bool) -> int:
    """The exit status of ``scan``: 1 for open findings at or above ``fail_on``, else 3 for a partial audit
    (unless allowed), else 0. Without ``--fail-on`` the scan reports and exits 0."""
    from .findings import not_assessed

    if fail_on is None:
        return 0
    live = findings[(~findings["exempt"]) & (findings["severity"] >= fail_on)]
    gaps = not_assessed(findings)
    if len(live):
        if not quiet:
            print(f"k8saudit: {len(live)} finding(s) at or above {fail_on} are not exempt (exit {EXIT_FINDINGS})",
                  file=sys.stderr)
        return EXIT_FINDINGS
    if len(gaps) and not allow_partial:
        if not quiet:
            counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in gaps["status"].value_counts().items())
            print(f"k8saudit: partial audit: {len(gaps)} check(s) gave no complete verdict ({counts}); nothing at or "
                  f"above {fail_on} was found in what could be read (exit {EXIT_PARTIAL}; --allow-partial accepts "
                  "a partial audit)", file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def cmd_checks(args: argparse.Namespace) -> int:
    from .checks import CHECKS
    from .report import catalog_markdown
    from .vocab import PRACTICES

    practices = _parse_practices(args.practice)
    if args.format == "markdown":
        sys.stdout.write(catalog_markdown())
        return 0
    df = CHECKS.frame()
    if practices:
        df = df[df.practice.isin(practices)]
    if args.format in ("json", "csv"):
        from .export import frame_to_text
        sys.stdout.write(frame_to_text(df, args.format))
        return 0
    for practice, grp in df.groupby("practice"):
        print(f"\n{practice}. {PRACTICES[int(practice)]}")
        for r in grp.itertuples():
            print(f"   {r.id:<30} {r.severity:<9} {r.title}")
    print(f"\n{len(df)} checks. `k8saudit checks --format markdown` prints the full catalog.")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff, diff_text
    from .snapshot import SnapshotError
    from .sources import load

    sides = []
    for src in (args.before, args.after):
        if not Path(src).exists():
            raise UserError(f"{src}: no such file or directory")
        try:
            sides.append(_findings_or_snapshot(src, load))
        except SnapshotError as e:
            raise UserError(str(e)) from None
    changes = diff(sides[0], sides[1])
    if args.output:
        from .export import export
        for out in args.output:
            print(f"wrote {export(changes, out)}", file=sys.stderr)
    else:
        sys.stdout.write(diff_text(changes))
    if args.fail_on_new and (changes["status"] == "new").any():
        return EXIT_FINDINGS
    return 0


def _findings_or_snapshot(src: str, load: Any) -> Any:
    p = Path(src)
    if p.is_file() and p.suffix.lower() in (".csv", ".json"):
        from .export import read_findings
        return read_findings(p)
    return load(p)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run

    return run(Path(args.out))


def cmd_dashboard(args: argparse.Namespace) -> int:
    import importlib.util
    import subprocess

    from .dashboard import DashboardError, urls, voila_command

    try:
        argv, env = voila_command(args.source, port=args.port, open_browser=args.open)
    except DashboardError as e:
        raise UserError(str(e)) from None
    if importlib.util.find_spec("voila") is None:
        raise UserError("the dashboard needs Voilà, which is not installed: pip install 'k8saudit[dashboard]' "
                        "(`make setup` installs it)")
    print(f"k8saudit dashboard of {env['K8SAUDIT_SOURCE']}: {urls(args.port)['00-overview.ipynb']}\n"
          "(the practices are linked from the overview; Ctrl-C stops the server)", flush=True)
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 0


def cmd_workshop(args: argparse.Namespace) -> int:
    from .workshop import ProgressError, report

    try:
        df, errors = report(args.folder)
    except ProgressError as e:
        raise UserError(str(e)) from None
    for err in errors:
        print(f"k8saudit: skipped {err}", file=sys.stderr)
    if df.empty:
        raise UserError(f"{args.folder}: no progress file found (trainees hand theirs in with "
                        "ka.workshop.hand_in(FOLDER))")
    if args.format in ("csv", "markdown", "json"):
        from .export import frame_to_text
        sys.stdout.write(frame_to_text(df, args.format))
        return 0
    marks = df.copy()
    for col in map(str, range(1, 11)):
        marks[col] = marks[col].map(lambda v: "" if not v else "S" if "after the solution" in v else "H" if "hint" in v
                                    else "+" if v.startswith("solved") else ".")
    print(marks.to_string(index=False))
    print(f"\n{len(df)} trainee(s). +: solved, H: solved with hints, S: solved after seeing the solution, "
          ".: tried, not solved yet")
    return 0


# --------------------------------------------------------------------------- parser

FRAME_FORMATS = ("table", "csv", "json", "markdown")


def _scan_formats() -> tuple[tuple[str, ...], str]:
    """The ``scan --format`` choices and the ``-o`` extensions, from the export registry."""
    from .export import formats

    return ("text", *(f.name for f in formats())), " ".join(e for f in formats() for e in f.extensions)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="k8saudit",
        description="Kubernetes security assessment: load a cluster (live, manifests or a saved snapshot) "
                    "into pandas frames, run the checks of ten security practices, export the findings.",
        epilog="examples:\n"
               "  k8saudit scan sample                                  the bundled sample cluster\n"
               "  k8saudit scan sample:legacy                           the second one: an old 1.15 cluster\n"
               "  k8saudit scan manifests/ --practice 3,8 --fail-on high\n"
               "  k8saudit scan --context prod -o report.html -o findings.sarif\n"
               "  k8saudit frames workloads data/sample-cluster --format csv\n"
               "  k8saudit snapshot --context prod -o snapshots/prod-2026-11-26\n"
               "  k8saudit diff snapshots/prod-2026-11-19 snapshots/prod-2026-11-26\n\n"
               "exit status: 0 ok; 1 scan --fail-on: a finding at or above LEVEL is not exempt (diff --fail-on-new:\n"
               "  new findings); 2 usage or input error (a source with no Kubernetes object at all included);\n"
               "  3 scan --fail-on: nothing failing at LEVEL, but the audit is partial (something that should\n"
               "  have been assessed was not) and --allow-partial was not given",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"k8saudit {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("scan", help="run the checks and report findings",
                       description="Run the checks over a source and print or export the findings.")
    _add_source_args(s)
    s.add_argument("--practice", metavar="N[,N]", help="only these practices (1-10)")
    s.add_argument("--check", metavar="ID[,ID]", help="only these checks")
    s.add_argument("--min-severity", metavar="LEVEL", help="hide findings below this severity")
    s.add_argument("--fail-on", metavar="LEVEL",
                   help="exit 1 when a non-exempt finding is at or above LEVEL; otherwise exit 3 when the audit is "
                        "partial (an object that failed to parse or validate, a kind that could not be listed, a "
                        "check not assessable or partial, an unreachable cluster)")
    s.add_argument("--allow-partial", action="store_true",
                   help="with --fail-on: accept a partial audit (exit 0 instead of 3); it is still reported")
    s.add_argument("--exemptions", metavar="FILE", help="waivers file (check, namespace, kind, name, reason, owner, expires)")
    s.add_argument("--no-default-exemptions", action="store_true", help="do not exempt well-known system components")
    s.add_argument("--show-exempt", action="store_true", help="list exempt findings in the text report too")
    s.add_argument("--config", metavar="FILE", help="config file: severity overrides, disabled checks")
    scan_formats, extensions = _scan_formats()
    s.add_argument("--format", choices=scan_formats, default="text", help="output format for stdout (default: text)")
    s.add_argument("-o", "--output", action="append", default=[], metavar="FILE",
                   help=f"write findings to FILE; format from the extension ({extensions}); repeatable")
    s.set_defaults(func=cmd_scan)

    f = sub.add_parser("frames", help="print one frame of a source",
                       description="Print a frame (workloads, containers, env, rbac, ...) of any source. "
                                   "`k8saudit frames list` documents every column.")
    f.add_argument("frame", help="frame name, `skipped`, or `list`")
    _add_source_args(f)
    f.add_argument("--format", choices=FRAME_FORMATS, default="table")
    f.add_argument("--columns", metavar="A,B", help="only these columns")
    f.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    f.set_defaults(func=cmd_frames)

    n = sub.add_parser("snapshot", help="normalise a source into a saved snapshot directory",
                       description="Capture a live cluster or normalise files into a snapshot that "
                                   "`k8saudit scan DIR` and `ka.load(DIR)` read back exactly.")
    _add_source_args(n)
    n.add_argument("-o", "--output", required=True, metavar="DIR", help="snapshot directory to write")
    n.set_defaults(func=cmd_snapshot)

    c = sub.add_parser("checks", help="list the checks, grouped by practice")
    c.add_argument("--practice", metavar="N[,N]")
    c.add_argument("--format", choices=("text", "markdown", "json", "csv"), default="text")
    c.set_defaults(func=cmd_checks)

    d = sub.add_parser("diff", help="compare two audits: new, resolved, unchanged findings",
                       description="Compare two snapshots (or two findings CSV/JSON exports).")
    d.add_argument("before")
    d.add_argument("after")
    d.add_argument("-o", "--output", action="append", default=[], metavar="FILE")
    d.add_argument("--fail-on-new", action="store_true", help="exit 1 when there are new findings")
    d.set_defaults(func=cmd_diff)

    b = sub.add_parser("dashboard", help="serve the overview and practice notebooks as a web app (Voilà)",
                       description="Serve the overview and the practice notebooks as a web app on 127.0.0.1, "
                                   "code hidden, the same widgets and charts, offline.")
    b.add_argument("source", nargs="?", default="sample",
                   help="`sample` (default), `sample:legacy`, a snapshot or manifest path, or `context:NAME`")
    b.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default: 8866)")
    b.add_argument("--open", action="store_true", help="open it in the default web browser")
    b.set_defaults(func=cmd_dashboard)

    w = sub.add_parser("workshop", help="trainer's view: merge a class's exercise progress files",
                       description="`k8saudit workshop report DIR` merges the progress files (*.json) that trainees "
                                   "handed in (ka.workshop.hand_in(DIR)) into one table: a row per trainee, a column "
                                   "per practice's exercise.")
    wsub = w.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    wr = wsub.add_parser("report", help="one table for the whole class")
    wr.add_argument("folder", metavar="DIR")
    wr.add_argument("--format", choices=("text", "csv", "markdown", "json"), default="text")
    wr.set_defaults(func=cmd_workshop)

    m = sub.add_parser("demo", help="audit the bundled sample cluster and write every export")
    m.add_argument("--out", default="out", metavar="DIR")
    m.set_defaults(func=cmd_demo)
    return p


def _version() -> str:
    from . import __version__
    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args) or 0)
    except UserError as e:
        print(f"k8saudit: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("k8saudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # the one place a bug is turned into a message, not a traceback
        from .sources.errors import describe_error
        msg = describe_error(e)
        if msg is None:
            raise
        print(f"k8saudit: {msg}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
