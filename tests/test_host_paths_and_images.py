"""The classifiers behind host-path-sensitive and image-mutable-tag, on open-ended inputs (hypothesis)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from k8saudit.checks.p04_host_namespaces import RUNTIME_SOCKETS, SENSITIVE_HOST_PATHS, sensitive_host_path
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
