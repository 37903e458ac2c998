"""The live loader with a worker process: pods pages decoded and compacted beside it, the snapshot unchanged.

Each case loads the same cluster from the loopback API server twice, on fresh servers with the same faults:
``K8SAUDIT_WORKERS=1`` (the loader alone) and ``=2`` (the loader and one worker), and compares everything the
snapshot holds: objects as kept, provenance, skipped rows and their wording.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import orjson
import pytest
from test_pod_variants import (
    _SECRETS,
    NS,
    _own_creds,
    creds_container,
    deployment,
    pod_of,
    replicaset,
    snapshot_contents,
)

import k8saudit as ka
from k8saudit.sources import _listing, _parallel, _podpages
from k8saudit.testing import FakeApiServer
from k8saudit.testing.apiserver import _page_of

PAGE = 4  # pods a page: the 40 pods below come in 10 pages


def _cluster() -> list[dict[str, Any]]:
    creds = [*_SECRETS, *_SECRETS]
    deps = [deployment(name=f"web{i}", containers=[creds_container(creds[i])]) for i in range(3)]
    rss = [replicaset(d, "5d9c7b6f4") for d in deps]
    old = copy.deepcopy(deps[2]["spec"]["template"]["spec"])
    old["containers"] = [creds_container(creds[3], "registry.example.com/web:1.1")]
    rss.append(replicaset(deps[2], "0a1b2c3d4", spec=old))  # an older revision: keeps its own template
    pods = []
    for k in range(9):
        for i, rs in enumerate(rss):
            mutate = _own_creds(creds[(i + k) % len(creds)]) if (i + k) % 3 == 0 else None
            pods.append(pod_of(rs, f"p{k}{i}x", mutate=mutate))
    gen = pod_of(rss[0], "g0000")
    gen["metadata"]["generateName"] = gen["metadata"].pop("name")[:-5]  # named by the loader
    lost = pod_of(rss[1], "lost0", mutate=_own_creds(creds[1]))
    lost["metadata"]["ownerReferences"][0]["uid"] = "uid-not-in-the-cluster"
    applied = pod_of(rss[2], "appl0")
    applied["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
            {"kind": "Pod", "spec": {"containers": [creds_container(creds[2])]}}
        ),
        "note": "caf\u00e9 \u2603",  # not ASCII: UTF-8 checked before a worker has the page
    }
    bare = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bare-0", "namespace": NS, "uid": "uid-bare-0"},
        "spec": {"containers": [creds_container(creds[0])]},
    }
    pods += [gen, lost, applied, bare]
    namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in (NS, "kube-system")]
    return [*namespaces, *deps, *rss, *pods]


def _edit_pods_pages(server: FakeApiServer, edit: Callable[[int, bytes], bytes]) -> None:
    """Pass the body of every pods list page through ``edit(page_number, body)``."""
    real = server._list

    def wrapped(t: Any, ns: Any, query: Any, mode: str, **kw: Any) -> Any:
        reply = real(t, ns, query, mode, **kw)
        if t.resource == "pods" and reply.status == 200:
            reply.body = edit(_page_of(query.get("continue")), reply.body)
        return reply

    server._list = wrapped  # type: ignore[method-assign]


def _on_page(n: int, change: Callable[[dict[str, Any]], None]) -> Callable[[int, bytes], bytes]:
    def edit(page: int, body: bytes) -> bytes:
        if page != n:
            return body
        doc = orjson.loads(body)
        change(doc)
        return orjson.dumps(doc)

    return edit


def _malformed(doc: dict[str, Any]) -> None:
    doc["items"][1]["spec"]["containers"] = "nope"  # reported as one invalid pod, the others kept


def _duplicate(doc: dict[str, Any]) -> None:
    doc["items"][2] = copy.deepcopy(doc["items"][0])  # a pod twice on one page: the second is a duplicate


def _again(page: int) -> Callable[[int, bytes], bytes]:
    """The first pod of page 2 comes again on ``page`` (a pod moved while the list was read)."""
    first: list[bytes] = []

    def edit(n: int, body: bytes) -> bytes:
        doc = orjson.loads(body)
        if n == 2 and not first:
            first.append(orjson.dumps(doc["items"][0]))
        if n == page and first:
            doc["items"][-1] = orjson.loads(first[0])
            return orjson.dumps(doc)
        return body

    return edit


def _bad_utf8(page: int) -> Callable[[int, bytes], bytes]:
    def edit(n: int, body: bytes) -> bytes:
        return body.replace(b'"name":"web', b'"name":"w\xffb', 1) if n == page else body

    return edit


#: (id, faults: (resource, fault arguments), an edit of the pods pages, load arguments, categories of the
#: skipped rows)
CASES: list[tuple[str, list[tuple[str, dict[str, Any]]], Any, dict[str, Any], set[str]]] = [
    ("clean", [], None, {}, set()),
    ("owners-slow: pods pages held meanwhile", [("replicasets", {"delay": 0.4, "page": 1})], None, {}, set()),
    ("truncated-page-3-once", [("pods", {"body": "truncated", "page": 3})], None, {}, set()),
    ("garbage-page-5-twice", [("pods", {"body": "garbage", "page": 5, "times": 2})], None, {}, set()),
    ("503-page-4-twice", [("pods", {"status": 503, "page": 4, "times": 2})], None, {}, set()),
    ("410-page-6-once: the list read again", [("pods", {"status": 410, "page": 6})], None, {}, set()),
    ("410-page-6-forever", [("pods", {"status": 410, "page": 6, "times": None})], None, {}, {"partial"}),
    ("500-page-7-forever", [("pods", {"status": 500, "page": 7, "times": None})], None, {}, {"partial"}),
    ("truncated-page-8-forever", [("pods", {"body": "truncated", "page": 8, "times": None})], None, {}, {"partial"}),
    ("stop-paging-page-5", [("pods", {"body": "stop_paging", "page": 5})], None, {}, {"partial"}),
    ("slow-page-9", [("pods", {"delay": 2.0, "page": 9, "times": None})], None, {"timeout": 0.5}, {"partial"}),
    ("malformed-pod-page-4", [], _on_page(4, _malformed), {}, {"invalid"}),
    ("duplicate-on-page-3", [], _on_page(3, _duplicate), {}, {"duplicate"}),
    ("duplicate-across-pages", [], _again(7), {}, {"duplicate"}),
    ("invalid-utf8-page-6", [], _bad_utf8(6), {}, {"partial"}),
]


def _contents(snap: ka.Snapshot) -> tuple[Any, ...]:
    return (*snapshot_contents(snap), snap.meta.get("requests"))


class _Watched(_parallel.Pool):
    """The worker processes, watched: what they are sent and what they send back."""

    templates: ClassVar[list[bytes]] = []
    pages: ClassVar[list[bytes]] = []
    answers: ClassVar[list[bytes | None]] = []

    def send_templates(self, templates: bytes) -> None:
        _Watched.templates.append(templates)
        super().send_templates(templates)

    def ask_page(self, body: bytes) -> None:
        _Watched.pages.append(body)
        super().ask_page(body)

    def result(self) -> tuple[int, int, bytes | None]:
        got = super().result()
        _Watched.answers.append(got[2])
        return got


@pytest.fixture
def watched(monkeypatch: pytest.MonkeyPatch) -> type[_Watched]:
    monkeypatch.setattr(_listing, "_sleep", lambda _s: None)
    monkeypatch.setattr(_parallel, "Pool", _Watched)
    _Watched.templates, _Watched.pages, _Watched.answers = [], [], []
    return _Watched


def _load(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workers: str,
    faults: list[tuple[str, dict[str, Any]]],
    edit: Any,
    **kw: Any,
) -> ka.Snapshot:
    monkeypatch.setenv("K8SAUDIT_WORKERS", workers)
    with FakeApiServer(_cluster()) as srv:
        for resource, fault in faults:
            srv.fault(resource, **fault)
        if edit is not None:
            _edit_pods_pages(srv, edit)
        kc = srv.write_kubeconfig(tmp_path / f"kubeconfig-{workers}", context="fake")
        snap = ka.load_cluster(context="fake", kubeconfig=kc, page_size=PAGE, **kw)
        srv.assert_read_only()
    return snap


@pytest.mark.parametrize(("faults", "edit", "kw", "skipped"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_worker_makes_the_snapshot_the_loader_alone_makes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    watched: type[_Watched],
    faults: Any,
    edit: Any,
    kw: Any,
    skipped: set[str],
) -> None:
    alone = _load(tmp_path, monkeypatch, "1", faults, edit, **kw)
    assert not watched.pages and not watched.answers
    assert {r["category"] for r in alone.skipped_records} == skipped, alone.skipped.to_string()
    together = _load(tmp_path, monkeypatch, "2", faults, edit, **kw)
    assert _contents(together) == _contents(alone)
    assert any(a is not None for a in watched.answers), "a worker compacted pages"
    assert len(watched.templates) == 1


@pytest.mark.parametrize("kept", [1, 2])
def test_a_worker_that_keeps_few_templates_decoded_compacts_as_with_all_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: int
) -> None:
    """A worker decodes an owner's template when a pod first asks for it and keeps only the latest few decoded.
    The pods of these files take turns among four owners, so each template is decoded again and again: what the
    worker sends back for each batch is, byte for byte, what compaction against every template it was sent,
    all decoded, makes of it; and the snapshot is the loader's alone. (Files here: the API server returns pods
    sorted by name, one owner's together.)"""
    from k8saudit import _model
    from k8saudit._normalize import compact_pods
    from k8saudit._podspec import TemplateIndex
    from k8saudit.sources import files as files_mod

    lists: dict[str, list[dict[str, Any]]] = {}
    for o in _cluster():
        lists.setdefault(o["kind"], []).append(o)
    for kind, items in lists.items():
        body = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}  # kubectl's
        (tmp_path / f"{kind.lower()}s.json").write_text(json.dumps(body, indent=4))
    owners = [rs["metadata"]["uid"] for rs in lists["ReplicaSet"]]
    assert [p["metadata"]["ownerReferences"][0]["uid"] for p in lists["Pod"][:8]] == owners * 2  # in turns
    monkeypatch.setattr(files_mod, "CHUNK", 2048)  # a batch of a few pods
    monkeypatch.setattr(_parallel, "TEMPLATES_KEPT", kept)
    sent: list[bytes] = []
    answers: list[tuple[int, int, bytes | None]] = []

    class Counting(_parallel.Pool):
        def __init__(self, path: Any, kind: Any, templates: Any, n: int, **kw: Any) -> None:
            sent.append(templates)
            super().__init__(path, kind, templates, n, **kw)

        def result(self) -> tuple[int, int, bytes | None]:
            got = super().result()
            answers.append(got)
            return got

    monkeypatch.setattr(_parallel, "Pool", Counting)
    monkeypatch.setattr(Counting, "ready", lambda self: True)  # the worker does every batch: none done here
    monkeypatch.setenv("K8SAUDIT_WORKERS", "1")
    alone = snapshot_contents(ka.load(tmp_path))
    assert not answers
    monkeypatch.setenv("K8SAUDIT_WORKERS", "2")
    assert snapshot_contents(ka.load(tmp_path)) == alone
    assert len(sent) == 1 and len(answers) >= 8 and all(got is not None for _, _, got in answers)
    blobs, uids = msgspec.msgpack.decode(sent[0])
    assert (len(blobs), len(uids)) == (4, 7)  # 3 Deployments, 4 ReplicaSets: an older revision's template is its own
    spec = msgspec.msgpack.Decoder(_model.PodSpec | None)
    data = (tmp_path / "pods.json").read_bytes()
    decode = msgspec.json.Decoder(list[_model.Pod]).decode
    compacted = 0
    for a, b, got in answers:
        every = {u: TemplateIndex(spec.decode(blobs[i])) for u, i in uids.items()}
        pods = decode(b"[" + data[a:b] + b"]")
        assert got == msgspec.msgpack.encode((pods, compact_pods(pods, every))), (a, b)
        compacted += sum(p.spec is not None and not p.spec.containers for p in pods)
    assert compacted >= 20  # their containers are their owner's template's: a wrong template would keep them


@pytest.mark.parametrize("dies_after", [0, 1, 3])
def test_a_worker_that_dies_leaves_its_pages_to_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watched: type[_Watched], dies_after: int
) -> None:
    """The worker dies in the middle of the list: it answers ``dies_after`` pages and exits as the next one comes.
    What it wrote before it died is read as written, the loader does every other page, and the snapshot is the same.
    (It dies by itself at a set page: killed from outside, it may already have answered every page it was sent. And
    it is sent every page while it lives: the loader would otherwise do a page itself whenever the worker has two,
    and the worker could be sent no page after the one it dies at.)"""
    alone = _load(tmp_path, monkeypatch, "1", [], None)
    monkeypatch.setattr(_podpages, "AHEAD", 1000)
    dying = _parallel._WORKER.replace(
        "\nfor line in inp:\n",
        f"\nimport os\nfor n_, line in enumerate(inp):\n    if n_ == {dies_after}:\n        os._exit(9)\n",
        1,
    )
    assert dying != _parallel._WORKER
    monkeypatch.setattr(_parallel, "_WORKER", dying)
    together = _load(tmp_path, monkeypatch, "2", [], None)
    assert _contents(together) == _contents(alone)
    assert len(watched.pages) > dies_after  # it was sent the page it died at: it died in the middle of the list
    answered = [a is not None for a in watched.answers]  # (pages the loader took back instead are not here)
    k = min(len(answered), dies_after)
    assert answered == [True] * k + [False] * (len(answered) - k)


def test_pages_held_while_the_owners_are_listed_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watched: type[_Watched]
) -> None:
    """While the ReplicaSets are listed (slowly here), a pods list handed to a worker goes on, its pages held
    unread; beyond MAX_HELD_BYTES it waits instead (the loader alone waits, as before). The snapshot is the same."""
    slow = [("replicasets", {"delay": 0.4, "page": 1})]
    held: list[int] = []
    real = _podpages.Pages.hold

    def hold(self: _podpages.Pages, body: bytes, decoded: Any) -> None:
        held.append(len(body))
        real(self, body, decoded)

    monkeypatch.setattr(_podpages.Pages, "hold", hold)
    alone = _load(tmp_path, monkeypatch, "1", slow, None)
    assert not held
    together = _load(tmp_path, monkeypatch, "2", slow, None)
    assert len(held) >= 5  # (of 10 pages: as many as came while the ReplicaSets were listed)
    big = max(held)
    held.clear()
    monkeypatch.setattr(_listing, "MAX_HELD_BYTES", 2 * big)
    bounded = _load(tmp_path, monkeypatch, "2", slow, None)
    assert 1 <= len(held) <= 3  # (one page more than the budget at most)
    assert _contents(bounded) == _contents(together) == _contents(alone)


def test_no_credential_in_what_a_worker_is_sent_or_sends_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watched: type[_Watched]
) -> None:
    """The page bytes are the API server's (the loader reads them the same); the templates the worker is sent
    were masked when their owners were admitted, and the pods it sends back are masked too."""
    snap = _load(tmp_path, monkeypatch, "2", [], None)
    secrets = [s.encode() for s in _SECRETS]
    assert any(s in page for page in watched.pages for s in secrets)  # what it must mask is there
    answers = [a for a in watched.answers if a is not None]
    assert answers and watched.templates
    for blob in (*watched.templates, *answers):
        assert not any(s in blob for s in secrets)
    stored = b"".join(msgspec.json.encode(o) for k in snap.kinds for o in snap.items(k))
    assert not any(s in stored for s in secrets)


def test_a_small_pods_list_is_not_handed_to_a_worker_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, watched: type[_Watched]
) -> None:
    monkeypatch.setattr(_parallel, "LIVE_BY_DEFAULT", True)
    monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(_parallel, "_running_now", lambda: 1)  # nothing else running: a core left free
    monkeypatch.delenv("K8SAUDIT_WORKERS", raising=False)
    with FakeApiServer(_cluster()) as srv:
        kc = srv.write_kubeconfig(tmp_path / "kubeconfig", context="fake")
        ka.load_cluster(context="fake", kubeconfig=kc, page_size=PAGE)
        assert not watched.templates  # 43 pods: far below LIVE_MIN_BYTES
        monkeypatch.setattr(_parallel, "LIVE_MIN_BYTES", 1000)
        ka.load_cluster(context="fake", kubeconfig=kc, page_size=PAGE)
        assert watched.templates and any(a is not None for a in watched.answers)


@pytest.mark.parametrize("value", ["two", "2.5", "-"])
def test_a_worker_count_that_is_not_a_number_is_said(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from k8saudit.sources import _parallel

    monkeypatch.setenv("K8SAUDIT_WORKERS", value)
    with pytest.warns(UserWarning, match=r"K8SAUDIT_WORKERS=.* is not a number of processes"):
        assert _parallel.workers_for(1 << 30) == 0
    monkeypatch.setenv("K8SAUDIT_WORKERS", "3")
    assert _parallel.workers_for(1 << 30) == (2 if hasattr(os, "preadv") else 0)
