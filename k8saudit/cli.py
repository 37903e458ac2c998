"""The ``k8saudit`` command: frames, snapshot, scan, paths, checks, diff, fleet, dashboard, demo.

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
import atexit
import contextlib
import os
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ._cliwords import cli_words
from ._util import closest, gc_paused, plural

EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3

#: the most shortest paths `paths -k` enumerates per entry and target
MAX_K = 100


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
        p.add_argument(
            "source",
            nargs="*",
            help="manifest files/directories (YAML or JSON, also gzip/bzip2/xz-compressed), an archive of them "
            "(tar, zip), a saved snapshot directory, "
            "`sample` / `sample:legacy` for a bundled sample cluster, `context:NAME` for a live "
            "one, or `-` for manifests on standard input",
        )
    p.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="NAME",
        help="read a live cluster through this kubeconfig context (repeatable)",
    )
    p.add_argument("--all-contexts", action="store_true", help="read every context of the kubeconfig")
    p.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    p.add_argument("--in-cluster", action="store_true", help="use the pod's service account (running inside a cluster)")
    p.add_argument(
        "-n",
        "--namespace",
        action="append",
        default=[],
        metavar="NS",
        help="only these namespaces, for every source (repeatable or NS,NS; default: all, like "
        "kubectl -A). Cluster-scoped objects (nodes, cluster roles and bindings, ...) and their "
        "findings are kept; a Namespace object is kept when it is listed",
    )
    p.add_argument("--cluster", metavar="NAME", help="name the cluster (default: directory or context name)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")


def _namespaces(args: argparse.Namespace) -> list[str]:
    return list(dict.fromkeys(n.strip() for v in args.namespace for n in v.split(",") if n.strip()))


def _load(args: argparse.Namespace) -> Any:
    snap = _load_source(args)
    namespaces = _namespaces(args)
    if not namespaces:
        return snap
    known = None
    if snap.meta.get("origin") != "live" or snap.members:
        known = snap.namespaces_named()
        snap = snap.in_namespaces(namespaces)  # a live read filtered already (by the same rule)
    _require_namespaces(snap, namespaces, known)
    return snap


def _require_namespaces(snap: Any, namespaces: list[str], known: set[str] | None) -> None:
    """``--namespace`` naming a namespace the source does not have is a usage error, never an audit of nothing
    there that reads as clean (a typo, or the wrong cluster)."""
    here = snap.namespaces_named()
    missing = [n for n in namespaces if n not in here]
    if not missing:
        return
    where = "the cluster" if snap.meta.get("origin") == "live" else (snap.source or "the source")
    lines = []
    for n in missing:
        close = closest(n, sorted(known or ()))
        lines.append(f"'{n}'" + (f" (did you mean '{close}'?)" if close else ""))
    shown = ""
    if known:
        names = sorted(known)
        shown = f"; its namespaces: {', '.join(names[:12])}" + (
            f" and {len(names) - 12} more" if len(names) > 12 else ""
        )
    raise UserError(
        f"--namespace {', '.join(lines)}: nothing in {where} is in {'it' if len(missing) == 1 else 'them'} "
        f"(no Namespace of that name, no object in it){shown}"
    )


def _load_source(args: argparse.Namespace) -> Any:
    import k8saudit as ka

    from .snapshot import SnapshotError

    prog = _Progress(args.quiet)
    try:
        if args.context or args.all_contexts or args.in_cluster:
            from .sources import live

            kw: dict[str, Any] = dict(kubeconfig=args.kubeconfig, namespaces=_namespaces(args) or None, progress=prog)
            if args.in_cluster:
                return live.load_cluster(in_cluster=True, **kw)
            contexts = args.context or live.list_contexts(args.kubeconfig)
            if len(contexts) == 1 and not args.all_contexts:
                return live.load_cluster(context=contexts[0], cluster=args.cluster, **kw)
            return live.load_clusters(contexts, **kw)
        if not args.source:
            raise UserError(
                "no source: give manifest paths, a snapshot directory, `sample`, `sample:legacy`, "
                "`-` (standard input) or --context NAME"
            )
        from .sources import open_source, parse_source

        sources = [parse_source(s) for s in args.source]
        if len(sources) == 1:
            live_kw: dict[str, Any] = (
                {"kubeconfig": args.kubeconfig, "namespaces": _namespaces(args) or None}
                if sources[0].kind == "context"
                else {}
            )
            return open_source(sources[0], cluster=args.cluster, progress=prog, **live_kw)
        if any(s.kind != "path" for s in sources):
            raise UserError(
                f"{' '.join(args.source)}: give one source, or several paths (`sample`, `context:NAME` "
                "and `-` stand alone)"
            )
        return ka.load(*(s.name or "" for s in sources), cluster=args.cluster, progress=prog)
    except SnapshotError as e:
        raise UserError(str(e)) from None
    finally:
        prog.done()


def _report_skipped(snap: Any, quiet: bool) -> None:
    from ._util import visible
    from .vocab import NOTED

    sk = snap.skipped
    if sk.empty or quiet:
        return
    lost = sk[~sk["category"].isin(NOTED)]
    if len(lost):
        print(
            f"k8saudit: {plural(len(lost), 'item')} could not be read (see `k8saudit frames skipped`):", file=sys.stderr
        )
        for r in lost.head(20).itertuples():
            doc = f"#{r.document}" if isinstance(r.document, str) else ""
            print(visible(f"  {r.source}{doc}: {r.reason}"), file=sys.stderr)
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


#: bare words `-o` takes as a format on standard output besides the export formats (kubectl's habit: `-o json`,
#: `-o yaml`, `-o wide`); a file so named is written as ./NAME. `-o -` is standard output in --format.
STDOUT_WORDS = ("text", "wide", "yaml", "table")


def _stdout_format(out: str, default: str) -> str | None:
    """The format an ``-o`` value sends to standard output, or None when it names a file."""
    from .export import ExportError, formats, lookup

    if out == "-":
        return default
    low = out.lower()
    if low in STDOUT_WORDS:
        return low
    if low in {n for f in formats() for n in (f.name, *f.aliases)}:
        try:
            return lookup(low).name
        except ExportError:
            return None
    return None


def _yaml_text(json_text: str) -> str:
    import json

    import yaml

    return str(yaml.safe_dump(json.loads(json_text), sort_keys=False, allow_unicode=True, width=1000))


def cmd_frames(args: argparse.Namespace) -> int:
    from .frames import FRAMES

    if args.frame != "list" and args.frame not in FRAMES and args.frame != "skipped":
        raise UserError(f"no frame {args.frame!r}; frames: {', '.join(FRAMES)}, skipped")
    if args.frame == "list":  # the columns of every frame: no source read
        from .frames import describe

        df = describe()
    else:
        snap = _load(args)
        _report_skipped(snap, args.quiet)
        df = snap.skipped if args.frame == "skipped" else snap.frame(args.frame)
    if args.columns:
        cols = [c.strip() for c in args.columns.split(",")]
        bad = [c for c in cols if c not in df.columns]
        if bad:
            raise UserError(
                f"no column{'s' if len(bad) > 1 else ''} {', '.join(bad)} in {args.frame}; columns: {', '.join(df.columns)}"
            )
        df = df[cols]
    fmt, out = args.format, args.output
    if out is not None and (named := _stdout_format(out, fmt)) is not None:
        fmt, out = named, None
    if fmt not in (*FRAME_FORMATS, "yaml", "wide", "text"):
        raise UserError(f"-o {args.output}: a frame is printed as {', '.join(FRAME_FORMATS)} or yaml")
    if fmt == "yaml":
        from .export import frame_to_text

        text = _yaml_text(frame_to_text(df, "json"))
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.frame == "list" and fmt in ("table", "text") and not args.columns:
        from .report import frames_text

        text = frames_text(width=100)  # a block per frame, descriptions wrapped: fits 100 columns
        if out:
            Path(out).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    _write_frame(df, "table" if fmt in ("wide", "text") else fmt, out)
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    from .snapshot import SnapshotError

    snap = _load(args)
    _require_objects(snap)
    _report_skipped(snap, args.quiet)
    members = snap.members or [snap]
    for s in members:
        out = Path(args.output) / s.cluster if len(members) > 1 else Path(args.output)
        try:
            s.save(out)
        except SnapshotError as e:
            raise UserError(str(e)) from None
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(s.kinds.items()))
        print(f"saved {s.cluster} to {out}: {plural(len(s), 'object')} ({kinds}); {len(s.skipped_records)} skipped")
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


def _parse_checks(text: str | None) -> list[str] | None:
    checks = [c.strip() for c in text.split(",")] if text else None
    if checks:
        from .checks import CHECKS
        from .findings import unknown_check

        for c in checks:
            if c not in CHECKS:
                raise UserError(f"--check: {unknown_check(c) or f'no check {c!r}'}")
    return checks


def _audit(args: argparse.Namespace, snap: Any, free_frames: tuple[str, ...] = ()) -> Any:
    from .findings import ConfigError, NoObjectsError, audit

    try:
        findings = audit(
            snap,
            practices=_parse_practices(args.practice),
            checks=_parse_checks(args.check),
            waivers=args.exemptions,
            default_exemptions=not args.no_default_exemptions,
            config=args.config,
            free_frames=free_frames,
        )
    except (ConfigError, NoObjectsError) as e:
        raise UserError(str(e)) from None
    return findings


def _filter_min(findings: Any, minimum: str | None) -> Any:
    if minimum is None:
        return findings
    return findings[findings["severity"] >= minimum]


def _paths_columns(findings: Any, fmt: str) -> Any:
    """The attack-path columns go to JSON, Excel and HTML; CSV, Markdown, SARIF and JUnit keep the schema."""
    from .export import PATH_FORMATS

    if fmt in PATH_FORMATS:
        return findings
    out = findings.drop(columns=["on_attack_path", "paths_through", "priority"], errors="ignore")
    out.attrs.update(findings.attrs)
    return out


#: frames only the checks read: neither the attack graph nor the exports do
_CHECKS_ONLY = ("env", "config_maps", "pdbs", "network_policies", "kubeconfig_users")
#: kinds the attack graph reads as objects, not through frames (a kind it reads once released is an error)
_GRAPH_KINDS = ("Pod", "Ingress", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy")


def _release_after_audit(snap: Any) -> None:
    """After the audit, before the attack graph: build the frames still to come, then free what no later step
    reads (the checks' own frames, the loaded objects but the attack graph's kinds). At 100k pods this is most
    of the memory the loader took; the graph's and the export's allocations reuse it."""
    from .frames import FRAMES

    keep = [n for n in FRAMES if n not in _CHECKS_ONLY]
    for s in snap.members or [snap]:
        for name in keep:
            s.frame(name)
        s.drop_frames(keep=keep)
    snap.release_objects(keep=_GRAPH_KINDS)


def cmd_scan(args: argparse.Namespace) -> int:
    from . import report

    minimum = _severity(args.min_severity, "--min-severity")
    fail_on = _severity(args.fail_on, "--fail-on")
    snap = _load(args)
    _require_objects(snap)
    _report_skipped(snap, args.quiet)
    findings = _audit(args, snap, free_frames=_CHECKS_ONLY)
    _release_after_audit(snap)
    ranked = findings
    if not args.no_paths and not snap.members and len(findings):
        from .export import with_attack_paths

        ranked = with_attack_paths(findings, snap)  # before the frames are freed: the attack graph reads them
    for s in snap.members or [snap]:  # the exports read the objects frame only: free the others
        s.drop_frames(keep=["objects"])
    shown = _filter_min(ranked, minimum)
    shown.attrs.update(findings.attrs)
    named = [f for o in args.output if (f := _stdout_format(o, args.format)) is not None]
    files = [o for o in args.output if _stdout_format(o, args.format) is None]
    if len(named) > 1:
        raise UserError(
            f"-o: one format on standard output, not {len(named)} ({', '.join(named)}); "
            "write the others to files (-o FILE.ext)"
        )
    from .export import ExportError, _format_for, export, lookup

    # one file with an explicit --format other than text: that format; otherwise from each extension
    fmt = args.format if len(files) == 1 and not named and args.format not in STDOUT_WORDS else None
    stdout = named[0] if named else None if files else args.format
    try:
        targets = [_format_for(Path(out), fmt).name for out in files]
    except ExportError as e:
        raise UserError(str(e)) from None
    if stdout is not None and stdout not in ("text", "wide", "table", "yaml"):
        targets.append(lookup(stdout).name)
    max_chars = _max_chars(args.max_chars, targets)
    for out, name in zip(files, targets):
        try:
            path = export(
                _paths_columns(shown, name),
                out,
                snapshot=snap,
                format=fmt,
                max_chars=max_chars if name == "markdown" else None,
                attack_paths=not args.no_paths,
            )
        except (ExportError, OSError) as e:
            raise UserError(str(e)) from None
        if not args.quiet:
            print(f"wrote {path}", file=sys.stderr)
    if stdout in ("text", "wide", "table"):
        wide = stdout == "wide" or args.all
        sys.stdout.write(report.text(shown, snap, show_exempt=args.show_exempt, limit=None if wide else report.LIMIT))
    elif stdout is not None:
        from .export import findings_to_stream, findings_to_text

        out_fmt = lookup("json" if stdout == "yaml" else stdout)
        if out_fmt.binary:
            raise UserError(
                f"{out_fmt.name} is a binary format: write it to a file with -o FILE{out_fmt.extensions[0]}"
            )
        table = _paths_columns(shown, out_fmt.name)
        limit = max_chars if out_fmt.name == "markdown" else None
        raw = getattr(sys.stdout, "buffer", None)
        try:
            if stdout != "yaml" and out_fmt.chunks is not None and raw is not None:
                sys.stdout.flush()  # piece by piece: a 400k-finding JSON export is never one string
                findings_to_stream(
                    table, out_fmt.name, raw, snapshot=snap, max_chars=limit, attack_paths=not args.no_paths
                )
                raw.flush()
            else:
                text = findings_to_text(
                    table, out_fmt.name, snapshot=snap, max_chars=limit, attack_paths=not args.no_paths
                )
                sys.stdout.write(_yaml_text(text) if stdout == "yaml" else text)
        except ExportError as e:
            raise UserError(str(e)) from None
    rc = _gate(findings, fail_on, args.allow_partial, args.quiet)
    global _done
    _done = True
    return rc


def _max_chars(value: int | None, targets: list[str]) -> int | None:
    """``--max-chars``: for the Markdown outputs only; given with none, it is an error saying where it applies."""
    if value is None:
        return None
    if "markdown" not in targets:
        raise UserError("--max-chars applies to Markdown: add -o FILE.md (or -o markdown for standard output)")
    if value < 0:
        raise UserError(f"--max-chars {value}: a number of characters, or 0 for no limit")
    return value


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
            print(
                f"k8saudit: {plural(len(live), 'finding')} at or above {fail_on} {'is' if len(live) == 1 else 'are'} not exempt (exit {EXIT_FINDINGS})",
                file=sys.stderr,
            )
        return EXIT_FINDINGS
    if len(gaps) and not allow_partial:
        if not quiet:
            counts = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in gaps["status"].value_counts().items())
            print(
                f"k8saudit: partial audit: {plural(len(gaps), 'check')} gave no complete verdict ({counts}); nothing at or "
                f"above {fail_on} was found in what could be read (exit {EXIT_PARTIAL}; --allow-partial accepts "
                "a partial audit)",
                file=sys.stderr,
            )
        return EXIT_PARTIAL
    return 0


def cmd_paths(args: argparse.Namespace) -> int:
    from .paths import attack_cut, attack_graph, attack_paths
    from .paths._paths import unknown_namespace
    from .paths._report import flat, text

    snap = _load(args)
    _require_objects(snap)
    _report_skipped(snap, args.quiet)
    if snap.members:
        raise UserError("paths reads one cluster at a time: give one source or one --context")
    if not 1 <= args.k <= MAX_K:
        raise UserError(
            f"-k must be 1-{MAX_K} (the paths grow exponentially with it: -k 100 takes seconds on the sample)"
        )
    # before the audit: a namespace the source does not have fails at once, in the command line's words
    wanted = [spec for spec in args.to or [] if spec.startswith("secrets:")]
    here = snap.namespaces_named() if wanted else set()
    for spec in wanted:
        if why := unknown_namespace(spec, here, snap.source or "the source"):
            raise UserError(f"--to {spec}: {why}")
    findings = _audit(args, snap)
    g = attack_graph(snap, findings)
    opts = dict(
        entries=args.sources or None,
        targets=args.to or None,
        assume_breach=args.assume_breach,
        certain_only=args.certain_only,
    )
    try:
        paths = attack_paths(g, k=args.k, **opts)
        cut = attack_cut(g, findings, k=args.k, **opts) if args.format == "text" else None
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.format == "text":
        out = text(paths, findings, cut)
    else:
        from .export import frame_to_text

        out = frame_to_text(paths.drop(columns=["vertices"]) if args.format == "json" else flat(paths), args.format)
    if args.output:
        try:
            Path(args.output).write_text(out, encoding="utf-8-sig" if args.format == "csv" else "utf-8")
        except OSError as e:
            raise UserError(f"{args.output}: cannot write: {e.strerror or e}") from None
    else:
        sys.stdout.write(out)
    if args.fail_on_path and len(paths):
        if not args.quiet:
            print(f"k8saudit: {len(paths)} attack path(s) found", file=sys.stderr)
        return EXIT_FINDINGS
    if args.fail_on_path and g.incomplete and not args.allow_partial:
        # no path in what could be read is no proof: a gate must not pass on it
        if not args.quiet:
            print(
                f"k8saudit: no attack path found, but {len(g.incomplete)} item(s) could not be read, so one may "
                f"exist (exit {EXIT_PARTIAL}; --allow-partial accepts an incomplete snapshot)",
                file=sys.stderr,
            )
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
    print(f"\n{plural(len(df), 'check')}. `k8saudit checks --format markdown` prints the full catalog.")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from .diff import diff, diff_text
    from .snapshot import SnapshotError
    from .sources import load

    sides = []
    for src in (args.before, args.after):
        try:
            sides.append(_findings_or_snapshot(src, load))
        except SnapshotError as e:
            raise UserError(str(e)) from None
    try:
        changes = diff(sides[0], sides[1], cluster=args.cluster)
    except ValueError as e:  # --cluster names a cluster a side does not hold
        raise UserError(
            str(e).replace("before holds", f"{args.before} holds").replace("after holds", f"{args.after} holds")
        ) from None
    if args.output:
        from .export import export

        print(f"matched on: {changes.attrs['matched_on']}", file=sys.stderr)
        for out in args.output:
            print(f"wrote {export(changes, out)}", file=sys.stderr)
    else:
        sys.stdout.write(diff_text(changes))
    if args.fail_on_new and (changes["status"] == "new").any():
        return EXIT_FINDINGS
    return 0


def _findings_or_snapshot(src: str, load: Any) -> Any:
    """A findings export (CSV, JSON) read back, or any source (a path, `sample`, `context:NAME`) loaded."""
    from .sources import open_source

    p = Path(src)
    if p.is_file() and p.suffix.lower() in (".csv", ".json") and not _kubernetes_json(p):
        from .export import ExportError, read_findings

        try:
            return read_findings(p)
        except ExportError as e:
            msg = str(e)
            raise UserError(msg if msg.startswith(str(p)) else f"{p}: {msg}") from None
    if src == "-":
        raise UserError("diff reads two sources; standard input (-) is not one of them here: save it to a file")
    return open_source(src)


#: the first key of a JSON document that is a Kubernetes object or List (a dump, a manifest), not a findings export
_KUBERNETES_JSON = re.compile(rb'\A(?:\xef\xbb\xbf)?\s*\{\s*"(?:apiVersion|kind|items|metadata)"\s*:')


def _kubernetes_json(path: Path) -> bool:
    """Whether a ``.json`` file is Kubernetes objects (``kubectl get -o json``) rather than a findings export:
    ``diff`` loads the former as a source and reads the latter back."""
    if path.suffix.lower() != ".json":
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return _KUBERNETES_JSON.match(head) is not None


#: ``NAME=SOURCE``: a fleet's cluster named on the command line
_NAMED_SOURCE = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)")


def _named_source(arg: str) -> str | tuple[str, str]:
    """``edge-1=prod/manifests`` → ``("edge-1", "prod/manifests")``; anything else (a path that exists even with
    an ``=`` in its name) as it is."""
    m = _NAMED_SOURCE.fullmatch(arg)
    return (m[1], m[2]) if m and not Path(arg).exists() else arg


def cmd_fleet_scan(args: argparse.Namespace) -> int:
    """Audit many clusters on Dask; print the summary, save a Parquet dataset and/or exports."""
    from .export import FORMATS

    fail_on = _severity(args.fail_on, "--fail-on")
    if args.scheduler and args.workers:
        raise UserError("--scheduler and --workers exclude each other (--workers sizes a local cluster)")
    if args.workers is not None and args.workers < 1:
        raise UserError("--workers must be at least 1")
    checks = _parse_checks(args.check)
    sources: list[Any] = [_named_source(s) for s in args.source] + [f"context:{c}" for c in args.context]
    if not sources and not args.all_contexts:
        raise UserError("no source: give paths, globs, `sample`, --context NAME or --all-contexts")
    exts = tuple(e for f, exts in FORMATS.items() for e in exts)
    exports = [o for o in args.output if o.lower().endswith(exts)]
    datasets = [o for o in args.output if o not in exports]
    from .findings import ConfigError
    from .fleet import FleetSourceError, FleetStoreError, audit
    from .fleet._progress import Silent, TerminalBar
    from .fleet._report import fleet_text
    from .snapshot import SnapshotError

    started = time.monotonic()
    try:
        fleet = audit(
            sources,
            client=args.scheduler,
            all_contexts=args.all_contexts,
            kubeconfig=args.kubeconfig,
            namespaces=args.namespace or None,
            read_on=args.read_on,
            workers=args.workers,
            retries=args.retries,
            progress=Silent() if args.quiet else TerminalBar(),
            practices=_parse_practices(args.practice),
            checks=checks,
            waivers=args.exemptions,
            default_exemptions=not args.no_default_exemptions,
            config=args.config,
        )
    except (FleetSourceError, SnapshotError, ConfigError) as e:
        raise UserError(str(e)) from None
    except OSError as e:
        if args.scheduler:
            raise UserError(f"cannot reach the Dask scheduler at {args.scheduler}: {e}") from None
        raise
    took = time.monotonic() - started
    where = (
        f"the Dask cluster at {args.scheduler}"
        if args.scheduler
        else f"a local Dask cluster of {plural(args.workers, 'worker process', 'worker processes')}"
        if args.workers
        else "a local Dask cluster of up to 4 worker processes"
    )
    sys.stdout.write(fleet_text(fleet, seconds=took, workers=where))
    for out in datasets:
        try:
            path = fleet.save(out)
        except FleetStoreError as e:
            raise UserError(str(e)) from None
        if not args.quiet:
            print(
                f"wrote {path}/ (Parquet: findings, scorecard, checks, skipped, failures, clusters; date {fleet.date})",
                file=sys.stderr,
            )
    for out in exports:
        from .export import ExportError

        try:
            path = fleet.export(out)
        except (ExportError, OSError) as e:
            raise UserError(str(e)) from None
        if not args.quiet:
            print(f"wrote {path}", file=sys.stderr)
    # as scan: 1 for open findings at or above --fail-on, else 3 when a cluster (or a check) could not
    # be assessed, unless --allow-partial
    return _gate(fleet.with_stats(), fail_on, args.allow_partial, args.quiet)


def cmd_fleet_report(args: argparse.Namespace) -> int:
    """Trends across saved fleet runs."""
    from .fleet import FleetStoreError, load
    from .fleet._report import history_text

    if args.practice is not None and not 1 <= args.practice <= 10:
        raise UserError(f"--practice {args.practice}: not in 1-10")
    try:
        scorecard = load(args.path, "scorecard")
        clusters = load(args.path, "clusters")
    except FleetStoreError as e:
        raise UserError(str(e)) from None
    if args.format == "text":
        sys.stdout.write(history_text(scorecard, clusters, args.practice))
        return 0
    from .fleet import trends

    df = trends(scorecard, args.practice)
    if args.practice is not None:
        df = df.reset_index()
    else:
        df = df.assign(date=df["date"].dt.strftime("%Y-%m-%d"))
    _write_frame(df, args.format, None)
    return 0


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
        raise UserError(
            "the dashboard needs Voilà, which is not installed: pip install 'k8saudit[dashboard]' "
            "(`make setup` installs it)"
        )
    _check_dashboard_source(env["K8SAUDIT_SOURCE"])
    print(
        f"k8saudit dashboard of {env['K8SAUDIT_SOURCE']}: {urls(args.port)['00-overview.ipynb']}\n"
        "(the practices are linked from the overview; Ctrl-C stops the server)",
        flush=True,
    )
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 0


def _check_dashboard_source(source: str) -> None:
    """Manifests, dumps and saved snapshots are read once before the server starts: a source with no Kubernetes
    object (an empty directory, a values file) is the one-line error `scan` gives, not a server whose every page
    fails, and what could not be read is reported here once. A live context is read by the pages themselves."""
    from .snapshot import SnapshotError
    from .sources import open_source, parse_source

    try:
        src = parse_source(source)
        if src.kind != "path":
            return
        snap = open_source(src)
    except SnapshotError as e:  # an unreadable path, a damaged snapshot
        raise UserError(str(e)) from None
    _require_objects(snap)
    _report_skipped(snap, quiet=False)


def cmd_workshop(args: argparse.Namespace) -> int:
    from .workshop import ProgressError, report

    try:
        df, errors = report(args.folder)
    except ProgressError as e:
        raise UserError(str(e)) from None
    for err in errors:
        print(f"k8saudit: skipped {err}", file=sys.stderr)
    if df.empty:
        raise UserError(
            f"{args.folder}: no progress file found (trainees hand theirs in with ka.workshop.hand_in(FOLDER))"
        )
    if args.format in ("csv", "markdown", "json"):
        from .export import frame_to_text

        sys.stdout.write(frame_to_text(df, args.format))
        return 0
    marks = df.copy()
    for col in map(str, range(1, 11)):
        marks[col] = marks[col].map(
            lambda v: (
                ""
                if not v
                else "S"
                if "after the solution" in v
                else "H"
                if "hint" in v
                else "+"
                if v.startswith("solved")
                else "."
            )
        )
    print(marks.to_string(index=False))
    print(
        f"\n{plural(len(df), 'trainee')}. +: solved, H: solved with hints, S: solved after seeing the solution, "
        ".: tried, not solved yet"
    )
    return 0


# --------------------------------------------------------------------------- parser

FRAME_FORMATS = ("table", "csv", "json", "markdown")


def _scan_formats() -> tuple[tuple[str, ...], str]:
    """The ``scan --format`` choices and the ``-o`` extensions, from the export registry."""
    from .export import formats

    return ("text", "wide", "yaml", *(f.name for f in formats())), " ".join(e for f in formats() for e in f.extensions)


def _add_audit_args(p: argparse.ArgumentParser) -> None:
    """What selects and judges the checks, for `scan` and `fleet scan` alike."""
    p.add_argument("--practice", metavar="N[,N]", help="only these practices (1-10)")
    p.add_argument("--check", metavar="ID[,ID]", help="only these checks")
    p.add_argument(
        "--fail-on",
        metavar="LEVEL",
        help="exit 1 when a non-exempt finding is at or above LEVEL; otherwise exit 3 when the audit is "
        "partial (an object that failed to parse or validate, a kind that could not be listed, a "
        "check not assessable or partial, an unreachable cluster)",
    )
    p.add_argument(
        "--allow-partial",
        action="store_true",
        help="with --fail-on: accept a partial audit (exit 0 instead of 3); it is still reported",
    )
    p.add_argument(
        "--exemptions", metavar="FILE", help="waivers file (check, namespace, kind, name, reason, owner, expires)"
    )
    p.add_argument("--no-default-exemptions", action="store_true", help="do not exempt well-known system components")
    p.add_argument("--config", metavar="FILE", help="config file: severity overrides, disabled checks")


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
        "  k8saudit diff snapshots/prod-2026-11-19 snapshots/prod-2026-11-26\n"
        "  k8saudit paths sample --to cluster-admin --fail-on-path\n\n"
        "exit status: 0 ok; 1 scan --fail-on: a finding at or above LEVEL is not exempt (diff --fail-on-new:\n"
        "  new findings; paths --fail-on-path: an attack path); 2 usage or input error (a source with no\n"
        "  Kubernetes object at all included); 3 scan --fail-on: nothing failing at LEVEL, but the audit is\n"
        "  partial (something that should have been assessed was not; paths --fail-on-path: no path, but\n"
        "  something could not be read) and --allow-partial was not given",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"k8saudit {_version()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser(
        "scan",
        help="run the checks and report findings",
        description="Run the checks over a source and print or export the findings.",
    )
    _add_source_args(s)
    _add_audit_args(s)
    s.add_argument("--min-severity", metavar="LEVEL", help="hide findings below this severity")
    s.add_argument("--show-exempt", action="store_true", help="list exempt findings in the text report too")
    s.add_argument(
        "--no-paths",
        action="store_true",
        help="do not build the attack graph (no on_attack_path/priority; the text report keeps its order)",
    )
    scan_formats, extensions = _scan_formats()
    s.add_argument("--format", choices=scan_formats, default="text", help="output format for stdout (default: text)")
    s.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        metavar="FILE|FORMAT",
        help=f"write findings to FILE, the format from its extension ({extensions}); repeatable. Like "
        "kubectl, a bare format name (json, yaml, csv, sarif, wide, text, ...) prints that format on "
        "stdout and `-` prints --format; write a file so named as ./json",
    )
    s.add_argument(
        "--all",
        action="store_true",
        help="the text report lists every object of a check with its whole message (as -o wide)",
    )
    s.add_argument(
        "--max-chars",
        type=int,
        metavar="N",
        help="cut the Markdown report to N characters, saying what was left out (default 65536: a "
        "pull request or issue body; 0: no limit)",
    )
    s.set_defaults(func=cmd_scan)

    f = sub.add_parser(
        "frames",
        help="print one frame of a source",
        description="Print a frame (workloads, containers, env, rbac, ...) of any source. "
        "`k8saudit frames list` documents every column.",
    )
    f.add_argument("frame", help="frame name, `skipped`, or `list`")
    _add_source_args(f)
    f.add_argument("--format", choices=(*FRAME_FORMATS, "yaml"), default="table")
    f.add_argument("--columns", metavar="A,B", help="only these columns")
    f.add_argument(
        "-o",
        "--output",
        metavar="FILE|FORMAT",
        help="write to FILE instead of stdout; a bare format name (json, yaml, csv, markdown, table, "
        "wide) prints that format on stdout, `-` prints --format; write a file so named as ./json",
    )
    f.set_defaults(func=cmd_frames)

    n = sub.add_parser(
        "snapshot",
        help="normalise a source into a saved snapshot directory",
        description="Capture a live cluster or normalise files into a snapshot that "
        "`k8saudit scan DIR` and `ka.load(DIR)` read back exactly.",
    )
    _add_source_args(n)
    n.add_argument("-o", "--output", required=True, metavar="DIR", help="snapshot directory to write")
    n.set_defaults(func=cmd_snapshot)

    a = sub.add_parser(
        "paths",
        help="attack paths: which findings chain into a takeover, and what to fix first",
        description="Build the attack graph of one cluster and print the paths from the entries "
        "(the internet, anonymous and authenticated API clients, or the workloads you "
        "name) to the targets (cluster-admin, root on a node, a namespace's Secrets), "
        "step by step, then the fewest findings whose fixes break every path.",
    )
    _add_source_args(a)
    a.add_argument(
        "--from",
        dest="sources",
        action="append",
        default=[],
        metavar="ENTRY",
        help="internet, anonymous, authenticated or workload:NS/NAME (repeatable; default: the first three)",
    )
    a.add_argument(
        "--to",
        action="append",
        default=[],
        metavar="TARGET",
        help="cluster-admin, nodes, secrets or secrets:NS (repeatable; default: all)",
    )
    a.add_argument("--assume-breach", action="store_true", help="every workload is an entry (a compromised pod)")
    a.add_argument("--certain-only", action="store_true", help="only steps known to work (no possible ones)")
    a.add_argument("-k", type=int, default=3, metavar="N", help="shortest paths per entry and target (default 3)")
    a.add_argument(
        "--fail-on-path",
        action="store_true",
        help="exit 1 when any path exists; else 3 when the snapshot is incomplete (something could not "
        "be read), unless --allow-partial",
    )
    a.add_argument(
        "--allow-partial",
        action="store_true",
        help="with --fail-on-path, exit 0 on an incomplete snapshot without paths",
    )
    a.add_argument("--practice", metavar="N[,N]", help=argparse.SUPPRESS)
    a.add_argument("--check", metavar="ID[,ID]", help=argparse.SUPPRESS)
    a.add_argument("--exemptions", metavar="FILE", help="waivers file (exempt findings still count as not fixed)")
    a.add_argument("--no-default-exemptions", action="store_true", help=argparse.SUPPRESS)
    a.add_argument("--config", metavar="FILE", help="config file: severity overrides, disabled checks")
    a.add_argument("--format", choices=("text", "csv", "json", "markdown"), default="text")
    a.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    a.set_defaults(func=cmd_paths)

    c = sub.add_parser("checks", help="list the checks, grouped by practice")
    c.add_argument("--practice", metavar="N[,N]")
    c.add_argument("--format", choices=("text", "markdown", "json", "csv"), default="text")
    c.set_defaults(func=cmd_checks)

    d = sub.add_parser(
        "diff",
        help="compare two audits: new, resolved, unchanged findings",
        description="Compare two audits: sources (snapshots, manifests, `sample`, `context:NAME`) or "
        "findings CSV/JSON exports. Findings match by check, object and container within "
        "the same cluster; one cluster on each side is taken as the same one whatever "
        "its folder is called (--cluster names it). The report says what it matched on.",
    )
    d.add_argument("before", help="the earlier audit: a source or a findings export")
    d.add_argument("after", help="the later audit: a source or a findings export")
    d.add_argument(
        "--cluster", metavar="NAME", help="compare as this cluster (a side holding several clusters: only this one)"
    )
    d.add_argument("-o", "--output", action="append", default=[], metavar="FILE")
    d.add_argument("--fail-on-new", action="store_true", help="exit 1 when there are new findings")
    d.set_defaults(func=cmd_diff)

    b = sub.add_parser(
        "dashboard",
        help="serve the overview and practice notebooks as a web app (Voilà)",
        description="Serve the overview and the practice notebooks as a web app on 127.0.0.1, "
        "code hidden, the same widgets and charts, offline.",
    )
    b.add_argument(
        "source",
        nargs="?",
        default="sample",
        help="`sample` (default), `sample:legacy`, a snapshot or manifest path, or `context:NAME`",
    )
    b.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default: 8866)")
    b.add_argument("--open", action="store_true", help="open it in the default web browser")
    b.set_defaults(func=cmd_dashboard)

    w = sub.add_parser(
        "workshop",
        help="trainer's view: merge a class's exercise progress files",
        description="`k8saudit workshop report DIR` merges the progress files (*.json) that trainees "
        "handed in (ka.workshop.hand_in(DIR)) into one table: a row per trainee, a column "
        "per practice's exercise.",
    )
    wsub = w.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    wr = wsub.add_parser("report", help="one table for the whole class")
    wr.add_argument("folder", metavar="DIR")
    wr.add_argument("--format", choices=("text", "csv", "markdown", "json"), default="text")
    wr.set_defaults(func=cmd_workshop)

    fl = sub.add_parser(
        "fleet",
        help="audit many clusters at once on Dask; trends across saved runs",
        description="Fleets: one Dask task per cluster (a local cluster of worker processes, "
        "or an existing Dask cluster with --scheduler).",
    )
    fsub = fl.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND")
    fs = fsub.add_parser(
        "scan",
        help="audit every cluster of a fleet",
        description="Audit many clusters on Dask: each cluster is read and audited on a worker; only the "
        "results come back. Live contexts are read on the workers, which need the kubeconfig "
        "and its credentials (or use --read-on client, or `k8saudit snapshot` first).",
        epilog="examples:\n"
        "  k8saudit fleet scan sample -o fleet/2026-12-06                the bundled 40-cluster fleet\n"
        "  k8saudit fleet scan --all-contexts --workers 4 -o fleet/$(date +%F) -o fleet.html\n"
        "  k8saudit fleet scan 'snapshots/*' --scheduler tcp://dask:8786 -o fleet.xlsx",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fs.add_argument(
        "source",
        nargs="*",
        help="saved snapshots, manifest directories, globs of them "
        "(quote them), context:NAME, `sample` (the bundled fleet) or sample:NAME; NAME=SOURCE names a cluster "
        "(two directories both called manifests/)",
    )
    fs.add_argument("--context", action="append", default=[], metavar="NAME", help="a kubeconfig context (repeatable)")
    fs.add_argument("--all-contexts", action="store_true", help="every context of the kubeconfig")
    fs.add_argument("--kubeconfig", metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    fs.add_argument(
        "-n", "--namespace", action="append", default=[], metavar="NS", help="live: only these namespaces (repeatable)"
    )
    fs.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler (e.g. tcp://dask:8786)")
    fs.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of the local Dask cluster (default: the cores, at most 4)",
    )
    fs.add_argument(
        "--read-on",
        choices=("workers", "client"),
        default="workers",
        help="where sources are read (client: here, then shipped to the workers)",
    )
    fs.add_argument("--retries", type=int, default=2, metavar="N", help="Dask retries of a failed task (default 2)")
    _add_audit_args(fs)
    fs.add_argument(
        "-o",
        "--output",
        action="append",
        default=[],
        metavar="PATH",
        help="a directory: the Parquet dataset (findings, scorecard, ... by cluster and date); "
        "a file .xlsx .html .csv .json .md .sarif .xml: that export; repeatable",
    )
    fs.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fs.set_defaults(func=cmd_fleet_scan)
    fr = fsub.add_parser(
        "report",
        help="trends across saved fleet runs",
        description="Read fleet runs saved with `fleet scan -o DIR` (globs welcome) and print "
        "the trends: per date, per practice, the clusters that moved.",
    )
    fr.add_argument("path", nargs="+", help="saved fleet directories, e.g. fleet/ or 'fleet/*'")
    fr.add_argument("--practice", type=int, metavar="N", help="one practice's score per cluster and date")
    fr.add_argument("--format", choices=("text", "csv", "json", "markdown", "table"), default="text")
    fr.set_defaults(func=cmd_fleet_report)

    def fleet_usage(_args: argparse.Namespace) -> int:
        fl.print_help()
        return EXIT_USAGE

    fl.set_defaults(func=fleet_usage)

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
        print(f"k8saudit: {cli_words(str(e))}", file=sys.stderr)
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
        print(f"k8saudit: {cli_words(msg)}", file=sys.stderr)
        return EXIT_USAGE


#: set by a command once everything it writes is written: the console script may then leave at once
_done = False


def _import_libraries() -> None:
    """Import what every command reads with the cyclic garbage collector paused.

    Importing pandas, numpy and pyarrow makes a few hundred thousand objects (modules, functions,
    classes) that live as long as the process and hold no garbage. With the collector on, each
    burst of them triggers collections that walk all that came before: about 250 of them and
    0.04-0.09 s of CPU, most of a small scan's collector time. When the pause ends they move to the
    oldest generation without a scan (:func:`~k8saudit._util.gc_paused`), so young collections do not
    walk them either.
    """
    with gc_paused():
        from . import export  # noqa: F401  (pandas, numpy, pyarrow: the parser lists its formats)


#: glibc's ``mallopt`` parameters (``malloc.h``), and what the console script sets them to (see :func:`_keep_freed_memory`)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_MMAP_THRESHOLD = 256 * 1024**2
_KEEP_TRIM_THRESHOLD = 1024**3
#: the environment through which a user sets glibc's thresholds: then they are the user's
_MALLOC_ENV = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES")


def _glibc() -> bool:
    """Is this process's C library glibc (whose ``mallopt`` :func:`_keep_freed_memory` calls)?"""
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # no confstr (Windows), or no such name (another C library)
        return False


def _keep_freed_memory() -> None:
    """Let this process keep the large blocks it frees, to use them again (glibc only).

    glibc gives a block of more than its mmap threshold (128 KB at first, raised as such blocks are freed, to
    32 MB at most) its own mapping and returns it to the system when it is freed, and returns the free top of
    its heap beyond the trim threshold. A command allocates and frees blocks of tens of MB again and again
    (read buffers, columns, findings, its output), so each was faulted in page by page anew: a scan at 10k pods
    took 138k page faults and 0.6-0.9 s of system time, against 78k and 0.4-0.7 s with the thresholds raised;
    after a saved snapshot of 100k pods was loaded, the audit's faults fell from about 120k to 60k. A command's
    process is short-lived and its peak is unchanged; the system reclaims everything at its exit. Left alone
    where the user set them (``MALLOC_*_``, ``GLIBC_TUNABLES``) and where the C library is not glibc.
    """
    if any(k in os.environ for k in _MALLOC_ENV) or not _glibc():
        return
    with gc_paused():  # (as the libraries are imported: see _import_libraries)
        import ctypes

    mallopt = ctypes.CDLL(None).mallopt
    mallopt(_M_MMAP_THRESHOLD, _KEEP_MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _KEEP_TRIM_THRESHOLD)


def run() -> None:
    """The ``k8saudit`` console script: :func:`main`, then exit.

    A command that finished its work (``scan``) leaves without tearing the interpreter down: freeing
    every frame, module and object one by one costs ~0.15 s at 1,000 pods and grows with the cluster,
    and the operating system reclaims the memory at once. Standard output and error are flushed and
    the ``atexit`` functions run first; with another thread still alive (a pool not shut down), or
    after an error, the exit is the ordinary one.

    Before anything imports numpy, ``OPENBLAS_NUM_THREADS`` is 1 unless already set (see below), and
    the process keeps the large blocks of memory it frees (:func:`_keep_freed_memory`). The libraries
    every command reads (pandas with numpy and pyarrow, which the parser's list of formats brings in)
    are imported with the cyclic garbage collector paused.
    """
    # numpy's OpenBLAS starts a thread per core at import, which spins: 0.05-0.1 s of CPU per process for
    # linear algebra no command does. A value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _keep_freed_memory()
    _import_libraries()
    rc = main()
    if _done and threading.active_count() == 1:
        try:
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left: what it did not read is not ours to report
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        with contextlib.suppress(OSError):
            sys.stderr.flush()
        atexit._run_exitfuncs()
        os._exit(rc)
    sys.exit(rc)


if __name__ == "__main__":  # pragma: no cover
    run()
