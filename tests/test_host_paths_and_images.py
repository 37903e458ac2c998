"""The classifiers behind host-path-sensitive and image-mutable-tag, on open-ended inputs (hypothesis)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit.checks._common import audit_cache
from k8saudit.checks.p04_host_namespaces import (
    RUNTIME_SOCKETS,
    SENSITIVE_HOST_PATHS,
    host_path_sensitive,
    host_path_volume,
    sensitive_host_path,
)
from k8saudit.checks.p10_rollout import image_reference

segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
rel = st.lists(segment, min_size=0, max_size=4).map("/".join)


@pytest.mark.parametrize(
    "path, sensitive",
    [
        ("/", True),
        ("//", True),
        ("/etc", True),
        ("/etc/kubernetes/pki", True),
        ("/var", True),
        ("/var/lib", True),
        ("/var/run", True),
        ("/run", True),
        ("/var/run/docker.sock", True),
        ("/run/containerd/containerd.sock", True),
        ("/var/run/crio/crio.sock", True),
        ("/home/ci/docker.sock", True),
        ("/data/../etc", True),
        ("/proc/1/root", True),
        ("/sys/fs/cgroup", True),
        ("/var/lib/kubelet/pods", True),
        ("/etc/localtime", False),
        ("/etc/timezone", False),
        ("/etcetera", False),
        ("/system", False),
        ("/var/log", False),
        ("/var/lib/docker", False),
        ("/srv/data", False),
        ("/lib/modules", False),
        ("/run/xtables.lock", False),
        ("", False),
        (None, False),
    ],
)
def test_sensitive_host_paths(path: str | None, sensitive: bool) -> None:
    assert (sensitive_host_path(path) is not None) == sensitive, sensitive_host_path(path)


#: the sensitive roots, and each runtime's own socket directory (/run/containerd, /run/crio, ...)
ROOTS = SENSITIVE_HOST_PATHS[1:] + tuple({s.rsplit("/", 1)[0] for s in RUNTIME_SOCKETS} - {"/run"})


@given(st.sampled_from(sorted(ROOTS)), rel)
def test_anything_under_a_sensitive_path_is_sensitive(root: str, tail: str) -> None:
    assert sensitive_host_path(f"{root}/{tail}") is not None


@given(rel, st.sampled_from(["", "/", "//", "/."]))
def test_spelling_does_not_change_the_verdict(tail: str, suffix: str) -> None:
    p = "/" + tail
    assert (sensitive_host_path(p) is None) == (sensitive_host_path(p.replace("/", "//") + suffix) is None)


host = st.one_of(
    st.just(""), st.builds(lambda h, port: f"{h}.example.com{port}/", segment, st.sampled_from(["", ":5000", ":443"]))
)
tag = st.one_of(st.none(), st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12))
digest = st.one_of(
    st.none(), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(lambda h: "sha256:" + h)
)


@given(host, st.lists(segment, min_size=1, max_size=3).map("/".join), tag, digest)
def test_image_reference_splits_repo_tag_and_digest(h: str, path: str, t: str | None, d: str | None) -> None:
    image = h + path + (f":{t}" if t else "") + (f"@{d}" if d else "")
    ref = image_reference(pd.Series([image])).iloc[0]
    assert ref["repo"] == h + path
    assert (None if pd.isna(ref["tag"]) else ref["tag"]) == t
    assert (None if pd.isna(ref["digest"]) else ref["digest"]) == d


HOST_PATH_ROW = st.tuples(
    st.sampled_from(["Deployment", "DaemonSet", None]),
    st.sampled_from(["a", "b", "", None]),  # equal names in two namespaces are two objects
    st.sampled_from(["w", "v"]),
    st.sampled_from(["logs", "sock", None]),
    st.sampled_from(["hostPath", "emptyDir", None]),
    st.sampled_from(["/var/log", "/var/run/docker.sock", "/etc", "/etc/localtime", "", None]),
)


def _host_path_definition(
    recs: list[tuple[Any, ...]], known: set[tuple[Any, ...]], sensitive: bool
) -> set[tuple[Any, ...]]:
    """host-path-sensitive / host-path-volume row by row: one row per workload of the frame with such volumes, its
    paths and evidence the distinct texts of its volumes (grouped by keys read as text, missing as empty)."""
    texts: dict[tuple[Any, ...], list[str]] = {}
    evs: dict[tuple[Any, ...], list[str]] = {}
    first: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for kind, ns, name, volume, typ, path in recs:
        why = sensitive_host_path(path) if path is not None else None
        if typ != "hostPath" or (why is not None) != sensitive:
            continue
        g = ("c", kind or "", ns or "", name)
        texts.setdefault(g, []).append(f"`{path or ''}`" + (f" ({why})" if sensitive else ""))
        if volume is not None:
            evs.setdefault(g, []).append(f"volumes[{volume}].hostPath.path={path or ''}")
        first.setdefault((kind, ns, name), g)
    word = "sensitive host path(s) " if sensitive else "host path(s) "
    out = set()
    for (kind, ns, name), g in first.items():
        if (kind, ns, name) not in known:
            continue
        paths = ", ".join(dict.fromkeys(texts[g]))
        ev = "; ".join(dict.fromkeys(evs.get(g, []))) or None
        out.add((kind, ns, name, None if kind is None else f"{kind} `{name}` mounts {word}{paths}", ev))
    return out


@settings(max_examples=120, deadline=None)
@given(
    st.lists(HOST_PATH_ROW, max_size=10),
    st.sets(st.tuples(st.sampled_from(["Deployment", None]), st.sampled_from(["a", "b", "", None])), max_size=3),
)
def test_the_host_path_checks_are_their_row_by_row_definitions(
    recs: list[tuple[Any, ...]], workload_keys: set[tuple[Any, ...]]
) -> None:
    volumes = pd.DataFrame(
        [("c", k, ns, n, v, None, t, p) for k, ns, n, v, t, p in recs],
        columns=["cluster", "kind", "namespace", "name", "volume", "pod", "type", "host_path"],
        dtype="string",
    )
    known = {(k, ns, n) for k, ns in workload_keys for n in ("w", "v")}
    workloads = pd.DataFrame(
        [("c", k, ns, n) for k, ns, n in sorted(known, key=str)], columns=["cluster", "kind", "namespace", "name"]
    ).astype("string")
    for fn, sensitive in ((host_path_sensitive, True), (host_path_volume, False)):
        with audit_cache():  # the table both checks share
            got = fn(workloads, volumes)
        rows = {tuple(None if v is pd.NA else v for v in r) for r in got.itertuples(index=False)}
        assert len(rows) == len(got)
        assert rows == _host_path_definition(recs, known, sensitive), fn.__name__
