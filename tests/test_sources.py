"""Sources → Snapshot: formats, provenance, save/load, and every kind of bad input."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import textwrap
import time
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import k8saudit as ka
from k8saudit.frames import FRAMES
from k8saudit.sources import files as files_mod

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "namespace": "ns"},
    "spec": {"containers": [{"name": "c", "image": "nginx"}]},
}


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(textwrap.dedent(text))
    return p


def pod(name: str, ns: str = "ns", **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec},
    }


# --------------------------------------------------------------------------- formats


def test_multi_document_yaml_with_provenance(tmp_path: Path) -> None:
    write(
        tmp_path,
        "app.yaml",
        """
        # leading comment
        apiVersion: v1
        kind: Namespace
        metadata: {name: ns}
        ---
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        spec: {containers: [{name: c, image: nginx}]}
        """,
    )
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Namespace": 1, "Pod": 1} and snap.skipped.empty
    o = snap.objects.set_index("kind")
    assert o.loc["Namespace", "source"] == "app.yaml#0" and o.loc["Pod", "source"] == "app.yaml#1"
    assert o.loc["Namespace", "line"] == 3 and o.loc["Pod", "line"] == 8  # where each object starts
    assert snap.cluster == tmp_path.name


def test_kubectl_lists_json_and_yaml(tmp_path: Path) -> None:
    write(
        tmp_path, "pods.json", json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod("a"), pod("b")]}, indent=4)
    )
    # a typed list as the API returns it: items without kind/apiVersion
    items = [{k: v for k, v in pod(n).items() if k not in ("kind", "apiVersion")} for n in ("c", "d")]
    write(tmp_path, "podlist.json", json.dumps({"kind": "PodList", "apiVersion": "v1", "items": items}))
    write(
        tmp_path,
        "list.yaml",
        """
        apiVersion: v1
        kind: List
        items:
        - {apiVersion: v1, kind: Service, metadata: {name: s, namespace: ns}, spec: {type: NodePort}}
        """,
    )
    write(tmp_path, "array.json", json.dumps([pod("e")]))
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped
    assert sorted(snap.objects.name) == ["a", "b", "c", "d", "e", "s"]
    assert "pods.json#0/items/1" in set(snap.objects.source)


def test_helm_template_output_keeps_chart_source(tmp_path: Path) -> None:
    write(
        tmp_path,
        "rendered.yaml",
        """
        ---
        # Source: shop/templates/sa.yaml
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: shop, namespace: ns}
        ---
        # Source: shop/templates/empty.yaml
        ---
        # Source: shop/templates/deploy.yaml
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: shop, namespace: ns}
        spec: {template: {spec: {containers: [{name: c, image: c}]}}}
        """,
    )
    snap = ka.load(tmp_path / "rendered.yaml")
    assert snap.skipped.empty
    assert set(snap.objects.source) == {
        "rendered.yaml#0 (shop/templates/sa.yaml)",
        "rendered.yaml#1 (shop/templates/deploy.yaml)",
    }


def test_secret_values_are_dropped_on_load(tmp_path: Path) -> None:
    write(
        tmp_path,
        "s.yaml",
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: db, namespace: ns}
        type: Opaque
        data: {password: aHVudGVyMg==}
        stringData: {token: plain-text-token}
        """,
    )
    snap = ka.load(tmp_path)
    s = snap.items("Secret")[0]
    assert s.data is None and s.string_data is None and s.data_keys == ["password", "token"]
    assert snap.secrets.iloc[0]["keys"] == ["password", "token"]
    snap.save(tmp_path / "saved")
    blob = b"".join(p.read_bytes() for p in (tmp_path / "saved").rglob("*") if p.is_file())
    import gzip

    text = blob + b"".join(gzip.decompress(p.read_bytes()) for p in (tmp_path / "saved").rglob("*.gz"))
    assert b"aHVudGVyMg" not in text and b"plain-text-token" not in text


def test_unknown_kinds_are_kept_in_objects_only(tmp_path: Path) -> None:
    write(
        tmp_path,
        "crd.yaml",
        """
        apiVersion: cert-manager.io/v1
        kind: Certificate
        metadata: {name: shop-tls, namespace: ns}
        spec: {secretName: shop-tls}
        """,
    )
    snap = ka.load(tmp_path)
    assert snap.skipped.empty
    assert snap.objects[["kind", "api_version", "name"]].values.tolist() == [
        ["Certificate", "cert-manager.io/v1", "shop-tls"]
    ]
    assert snap.workloads.empty


def test_save_and_load_round_trip_exactly(sample_snap: ka.Snapshot, tmp_path: Path) -> None:
    sample_snap.save(tmp_path / "snap")
    again = ka.load(tmp_path / "snap")
    assert again.cluster == sample_snap.cluster and again.captured_at == sample_snap.captured_at
    assert again.kinds == sample_snap.kinds
    for name in FRAMES:
        pd.testing.assert_frame_equal(again.frame(name), sample_snap.frame(name), obj=name)
    pd.testing.assert_frame_equal(again.skipped, sample_snap.skipped)
    # saving the reloaded snapshot gives the same bytes
    again.save(tmp_path / "snap2")
    for p in sorted((tmp_path / "snap").rglob("*.gz")):
        assert p.read_bytes() == (tmp_path / "snap2" / p.relative_to(tmp_path / "snap")).read_bytes()


def test_sample_works_from_a_wheel(tmp_path: Path) -> None:
    """The sample ships inside the wheel (force-include), not only in the checkout."""
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(root),
        ],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("k8saudit-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        z.extractall(tmp_path / "site")
    assert any(n.startswith("k8saudit/_sample/sample-cluster/") for n in names)
    assert any(n.startswith("k8saudit/_sample/legacy-cluster/") for n in names)
    assert "k8saudit/_jupyter/voila/templates/k8saudit/index.html.j2" in names  # the dashboard's offline template
    code = (
        "import k8saudit as ka, sys; s = ka.sample(); print(ka.sample_path()); "
        "print(len(s) + 1000 * len(ka.sample('legacy')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
    )
    assert out.returncode == 0, out.stderr
    path, count = out.stdout.split()
    assert "_sample" in path and int(count) % 1000 > 100 and int(count) // 1000 > 100


# --------------------------------------------------------------------------- bad input

BAD_CASES = {
    "malformed-yaml": ("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n", "parse_error", "malformed YAML"),
    "malformed-json": ("bad.json", '{"apiVersion": "v1", "kind": "Pod",,}', "parse_error", "malformed JSON"),
    "no-kind": ("nokind.yaml", "apiVersion: v1\nmetadata: {name: x}\n", "invalid", "no `kind`"),
    "no-apiversion": ("noapi.yaml", "kind: Pod\nmetadata: {name: x}\n", "invalid", "no `apiVersion`"),
    "not-utf8": (
        "latin1.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: caf\xe9}\n".encode("latin-1"),
        "unreadable",
        "not UTF-8",
    ),
    "binary": ("blob.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "unreadable", "binary file"),
    "empty": ("empty.yaml", "", "empty", "empty file"),
    "only-comments": ("comments.yaml", "# nothing here\n---\n# still nothing\n", "empty", "empty file"),
    "scalar-document": ("scalar.yaml", "just a string\n", "not_kubernetes", "not a Kubernetes object"),
    "wrong-type": (
        "wrongtype.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: nginx}\n",
        "invalid",
        "$.spec.containers",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_input_is_reported_and_the_rest_loads(case: str, tmp_path: Path) -> None:
    fname, content, category, reason = BAD_CASES[case]
    write(tmp_path, fname, content)
    write(tmp_path, "good.yaml", json.dumps(POD))
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 1}, "the good file must still load"
    sk = snap.skipped
    assert len(sk) == 1, sk.to_string()
    row = sk.iloc[0]
    assert row.source == fname and row.category == category and reason in row.reason, row.reason


def test_a_bad_document_does_not_stop_the_next_one(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mixed.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: ns}
        spec: {containers: [{name: c, image: c}]}
        ---
        this: [is broken
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: b, namespace: ns}
        spec: {containers: [{name: c, image: c}]}
        """,
    )
    snap = ka.load(tmp_path)
    assert sorted(snap.objects.name) == ["a", "b"]
    assert snap.skipped[["source", "document", "category"]].values.tolist() == [["mixed.yaml", "1", "parse_error"]]
    assert "line 7" in snap.skipped.reason[0]


def test_nulls_where_lists_or_objects_are_expected(tmp_path: Path) -> None:
    write(
        tmp_path,
        "nulls.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d, namespace: ns, labels: null}
        spec:
          replicas: null
          template:
            metadata: null
            spec:
              securityContext: null
              volumes: null
              initContainers: null
              containers:
              - name: c
                image: c
                env: null
                envFrom: null
                ports: null
                securityContext: {capabilities: null}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        spec: {containers: null}
        """,
    )
    snap = ka.load(tmp_path)
    assert snap.skipped.empty
    for name in FRAMES:
        snap.frame(name)
    assert len(snap.workloads) == 2 and len(snap.containers) == 1
    assert snap.workloads.set_index("name").loc["d", "replicas"] == 1


def test_duplicates_keep_the_first_and_report_the_second(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", json.dumps(POD))
    write(tmp_path, "b.yaml", json.dumps(POD))
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 1}
    row = snap.skipped.iloc[0]
    assert row.category == "duplicate" and row.source == "b.yaml" and "already loaded from a.yaml#0" in row.reason


def test_yaml_alias_bomb_fails_fast_in_bounded_memory(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    write(
        tmp_path,
        "bomb.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  " + "\n  ".join(lines) + "\n",
    )
    write(tmp_path, "good.yaml", json.dumps(POD))
    tracemalloc.start()
    t0 = time.perf_counter()
    snap = ka.load(tmp_path)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5 and peak < 200 * 1024**2
    assert snap.kinds == {"Pod": 1}
    assert "alias bomb" in snap.skipped.reason[0]


def test_a_one_gigabyte_file_is_refused_quickly(tmp_path: Path) -> None:
    big = tmp_path / "huge.yaml"
    with open(big, "wb") as fh:
        fh.write(b"apiVersion: v1\nkind: ConfigMap\n")
        fh.truncate(1024**3)  # sparse: 1 GB on paper, no disk used
    write(tmp_path, "good.yaml", json.dumps(POD))
    t0 = time.perf_counter()
    snap = ka.load(tmp_path)
    assert time.perf_counter() - t0 < 5
    assert snap.kinds == {"Pod": 1}
    row = snap.skipped.iloc[0]
    assert row.category in ("too_large", "unreadable") and row.source == "huge.yaml"


def test_large_json_lists_are_streamed_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_mod, "CHUNK", 4096)  # force many batches on a small file
    items = [pod(f"p{i:04d}") for i in range(300)]
    items[150] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "broken", "namespace": "ns"},
        "spec": {"containers": "nope"},
    }
    items[200] = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}}
    body = json.dumps(
        {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, indent=4
    )
    write(tmp_path, "pods.json", body)
    assert (tmp_path / "pods.json").stat().st_size > files_mod.CHUNK
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 298, "Widget": 1}
    assert snap.skipped[["document", "category"]].values.tolist() == [["0/items/150", "invalid"]]
    srcs = snap.objects.set_index("name").source
    assert srcs["p0299"] == "pods.json#0/items/299" and srcs["w"] == "pods.json#0/items/200"


def _streamed_list(indent: int | str) -> tuple[str, int]:
    """300 pods as `kubectl get -o json` writes a List (its kind and metadata after the items), and where the
    first item starts."""
    body = json.dumps(
        {"apiVersion": "v1", "items": [pod(f"p{i:04d}") for i in range(300)], "kind": "List", "metadata": {}},
        indent=indent,
    )
    return body, body.index("{", body.index('"items"'))


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("indent", [4, 2, "\t"])
def test_a_streamed_list_whose_items_end_where_a_read_ends_is_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indent: int | str, workers: str
) -> None:
    """When the items and the trailer fill the last read of CHUNK bytes exactly, the trailer is left to an empty
    last read: it is the List's end, not a truncated item (it was reported as one)."""
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    monkeypatch.setenv("K8SAUDIT_WORKERS", workers)
    body, start = _streamed_list(indent)
    pad = -(len(body.encode()) - start) % 4096  # trailing newlines: the file's bytes from the first item, 4096 * n
    write(tmp_path, "pods.json", body + "\n" * pad)
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 300} and snap.skipped.empty, snap.skipped.to_dict("records")


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize(
    "cut, why",
    [
        (0, "the file ends after it, without closing the list"),
        (1, "the file ends after it, without closing the list"),  # the "," after it too
        (2, "the file ends after it, without closing the list"),
        (40, "the file ends inside an item"),
    ],
)
def test_a_streamed_list_cut_short_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int, why: str, workers: str
) -> None:
    """A dump cut short (the disk filled, the copy stopped) loses the items after the cut: it is a parse error
    naming the item after which it ends, never a smaller cluster that reads as whole; even when the cut falls
    right after an item's closing brace."""
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    monkeypatch.setenv("K8SAUDIT_WORKERS", workers)
    body, _ = _streamed_list(4)
    end = body.index("\n        }", body.index('"p0199"')) + len("\n        }")
    write(tmp_path, "pods.json", body[: end + cut])
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 200}
    assert snap.skipped[["source", "document", "category", "reason"]].values.tolist() == [
        [
            "pods.json",
            "0/items/200",
            "parse_error",
            f"truncated JSON List after item 200: {why}; what followed is missing",
        ]
    ]
    # only the List's own closing brace lost: every item is there, nothing to report
    write(tmp_path, "pods.json", body[: body.rindex("}")])
    assert ka.load(tmp_path).skipped.empty


def _contents(snap: ka.Snapshot) -> tuple:
    import msgspec

    return (
        snap.kinds,
        {k: [msgspec.json.encode(o) for o in snap.items(k)] for k in snap.kinds},
        {k: snap.provenance(k) for k in snap.kinds},
        snap.skipped_records,
    )


def _json_lists(tmp_path: Path) -> Path:
    """The sample cluster as `kubectl get -o json` writes it (one List per file), plus Lists the typed path
    must hand to the general one: items without kind (a PodList), a bad item, bytes that are not UTF-8 in
    a field no frame reads, an item without apiVersion, one without a name, an unmodelled kind, a
    duplicate, and a kustomize file."""
    import yaml

    out = tmp_path / "lists"
    out.mkdir()
    sample = Path(ka.__file__).parent.parent / "data" / "sample-cluster"
    for f in sorted(sample.glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(f.read_text()) if d]
        items = [i for d in docs for i in (d["items"] if d.get("kind") == "List" else [d])]
        (out / f"{f.stem}.json").write_text(
            json.dumps(
                {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, indent=4
            )
        )
    bare = {k: v for k, v in pod("typed").items() if k not in ("kind", "apiVersion")}
    variants = {
        "podlist": {"apiVersion": "v1", "kind": "PodList", "items": [bare]},
        "bad": {"apiVersion": "v1", "kind": "List", "items": [pod("ok1"), {**pod("bad"), "spec": {"containers": 3}}]},
        "noapi": {"kind": "List", "items": [pod("ok2"), {k: v for k, v in pod("noapi").items() if k != "apiVersion"}]},
        "noname": {"kind": "List", "items": [{**pod("x"), "metadata": {"namespace": "ns"}}]},
        "widget": {
            "kind": "List",
            "items": [pod("ok3"), {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}],
        },
        "dup": {"kind": "List", "items": [pod("ok1"), pod("ok1", hostPID=True)]},
        "kustomize": {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "ConfigList", "items": []},
    }
    for name, doc in variants.items():
        (out / f"zz-{name}.json").write_text(json.dumps(doc, indent=2))
    raw = json.dumps({"kind": "List", "items": [{**pod("latin"), "status": {"message": "@@"}}]}).encode()
    (out / "zz-latin1.json").write_bytes(raw.replace(b"@@", b"caf\xe9"))
    return out


def test_json_lists_read_typed_exactly_as_the_general_path_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = _json_lists(tmp_path)
    typed = _contents(ka.load(d))
    monkeypatch.setattr(files_mod, "_typed_list", lambda *a: False)
    general = _contents(ka.load(d))
    assert typed == general
    kinds, _, prov, skipped = typed
    assert kinds["Pod"] > 10 and ("zz-podlist.json#0/items/0", 0) in prov["Pod"]
    assert {(r["source"], r["category"]) for r in skipped} >= {
        ("zz-bad.json", "invalid"),
        ("zz-noapi.json", "invalid"),
        ("zz-latin1.json", "unreadable"),
        ("zz-dup.json", "conflict"),
        ("zz-kustomize.json", "not_kubernetes"),
    }


def test_streamed_items_longer_than_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An item longer than the read buffer makes it grow; the result is the one of a whole-file read."""
    items = [pod(f"p{i:03d}") for i in range(60)]
    for i in (0, 7, 8, 59):
        items[i]["metadata"]["annotations"] = {"note": "x" * (9000 + 37 * i)}
    items[30] = {**pod("bad"), "spec": {"containers": "nope"}}
    write(tmp_path, "pods.json", json.dumps({"apiVersion": "v1", "items": items, "kind": "List"}, indent=4))
    whole = _contents(ka.load(tmp_path))
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    streamed = _contents(ka.load(tmp_path))
    assert streamed[:3] == whole[:3] and streamed[0] == {"Pod": 59}
    assert [(r["document"], r["category"]) for r in streamed[3]] == [("0/items/30", "invalid")]


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    snap = ka.load(tmp_path / "nope")
    assert snap.skipped.iloc[0].reason == "no such file or directory"


def test_yaml_11_booleans_mean_what_kubectl_reads(tmp_path: Path) -> None:
    """`privileged: yes` is true in YAML 1.1 (Kubernetes), a string in 1.2: the loader reads it as true."""
    write(
        tmp_path,
        "p.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        spec:
          hostNetwork: yes
          containers:
          - name: c
            image: c
            securityContext: {privileged: on}
        """,
    )
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert snap.workloads.host_network.tolist() == [True] and snap.containers.privileged.tolist() == [True]


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    write(
        tmp_path,
        "anchors.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d, namespace: ns}
        spec:
          template:
            spec:
              containers:
              - &base {name: a, image: app, securityContext: {runAsNonRoot: true}}
              - <<: *base
                name: b
        """,
    )
    c = ka.load(tmp_path).containers.set_index("container")
    assert list(c.index) == ["a", "b"] and c.loc["b", "run_as_non_root"] == True  # noqa: E712


def test_unquoted_timestamps_stay_strings(tmp_path: Path) -> None:
    write(
        tmp_path,
        "t.yaml",
        """
        apiVersion: v1
        kind: Namespace
        metadata: {name: a, creationTimestamp: 2026-01-15T09:14:03Z}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: b, creationTimestamp: 2026-01-15T09:14:03Z, labels: &l {team: x}, annotations: *l}
        """,
    )
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert set(snap.objects.created) == {"2026-01-15T09:14:03Z"}


def test_duplicates_across_a_streamed_list_and_a_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    body = json.dumps({"apiVersion": "v1", "items": [pod(f"p{i}") for i in range(50)], "kind": "List"}, indent=4)
    write(tmp_path, "a-pods.json", body)
    write(tmp_path, "b.yaml", json.dumps(pod("p7")))
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 50}
    assert snap.skipped[["source", "category", "name"]].values.tolist() == [["b.yaml", "duplicate", "p7"]]


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=40).flatmap(
        lambda b: st.tuples(st.just(b), st.integers(0, len(b)), st.sampled_from([b"", b"\x80", b"\xe9", b"\xff"]))
    )
)
def test_ascii_of_a_mapped_file_is_bytes_isascii(case: tuple[bytes, int, bytes]) -> None:
    """The typed List path tells a file with bytes above 0x7f from the mapping, eight bytes at a time: any length,
    a high byte at any place (in the eight-byte words or in the tail after them)."""
    import mmap
    import tempfile

    text, at, high = case
    data = text[:at] + high + text[at:] or b" "
    with tempfile.TemporaryFile() as fh:
        fh.write(data)
        fh.flush()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            assert files_mod._ascii(mm) == data.isascii()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\x00", b"{", b"a", b"\xef", b"\x85"])).map(
        b"".join
    )
)
def test_a_files_first_byte_and_blankness_are_those_of_lstrip(head: bytes) -> None:
    """How a file is told JSON or blank from its first megabyte, without copying it: as ``lstrip()`` tells."""
    assert files_mod._first_byte(head) == head.lstrip()[:1]
    assert (not head or head.isspace()) == (not head.strip())


def test_a_json_list_with_text_beyond_ascii_is_read_typed_and_bytes_not_utf8_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [{**pod("caf\u00e9-ok"), "status": {"message": "d\u00e9j\u00e0"}}],
    }
    raw = json.dumps(good, ensure_ascii=False).encode()
    (tmp_path / "pods.json").write_bytes(raw)
    calls: list[bool] = []
    typed = files_mod._typed_list
    monkeypatch.setattr(files_mod, "_typed_list", lambda *a: calls.append(typed(*a)) or calls[-1])
    snap = ka.load(tmp_path)
    assert calls == [True] and not snap.skipped_records  # UTF-8 beyond ASCII: the typed path took it whole
    (tmp_path / "pods.json").write_bytes(raw.replace("d\u00e9j\u00e0".encode(), b"d\xe9j\xe0"))
    calls.clear()
    snap = ka.load(tmp_path)
    assert calls == [False]  # Latin-1 bytes in a field no frame reads: handed to the general path, which names them
    assert [(r["source"], r["category"]) for r in snap.skipped_records] == [("pods.json", "unreadable")]


def test_fast_yaml_path_agrees_with_pyyaml_on_the_sample_and_fixtures() -> None:
    """Every document that takes the yaml_rs path must mean what PyYAML (YAML 1.1, as kubectl) reads."""
    root = Path(__file__).resolve().parents[1]
    texts = [
        p.read_text() for d in ("sample-cluster", "legacy-cluster") for p in sorted((root / "data" / d).glob("*.yaml"))
    ]
    texts += [p.read_text() for p in sorted((root / "tests" / "checks").glob("*/*.yaml"))]
    fast = 0
    for text in texts:
        bounds = [0] + [mt.start() for mt in files_mod._DOC_SEP.finditer(text)] + [len(text)]
        for a, b in itertools.pairwise(bounds):
            body = text[a:b]
            body = body[3:] if files_mod._DOC_SEP.match(body) else body
            got = files_mod._fast_yaml(body) if files_mod._has_content(body) else None
            if got is None:
                continue
            fast += 1
            assert got[0] == files_mod._safe_yaml(body)[0]
    assert fast > 300


def test_gc_pause_nests_and_leaves_nothing_frozen() -> None:
    """Loading pauses the collector; afterwards it runs as before, nothing stays frozen, cycles are reclaimed."""
    import gc
    import weakref

    from k8saudit._util import gc_paused

    class Node:
        pass

    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner end does not resume it
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle made while paused
        gone = weakref.ref(a)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    del a, b
    gc.collect()
    assert gone() is None
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector the caller switched off stays off
    finally:
        gc.enable()
    snap = ka.load(Path(ka.__file__).parent.parent / "data" / "sample-cluster")
    assert len(snap) and gc.isenabled() and gc.get_freeze_count() == 0


def _big_list(tmp_path: Path, name: str, items: list, tail: str = "") -> Path:
    body = json.dumps(
        {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}, indent=4
    )
    return write(tmp_path, name, body if not tail else body[: body.rindex("\n    ],")] + tail)


@pytest.mark.parametrize("case", ["clean", "bad-items", "truncated", "trailing", "no-items"])
def test_worker_processes_read_a_streamed_list_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Batches decoded by worker processes give the very snapshot one process gives: objects, provenance,
    skipped rows (a bad item is worded by the loader; a truncated file or trailing garbage too)."""
    from k8saudit.sources import _parallel

    items: list = [pod(f"p{i:04d}", hostPID=i % 7 == 0) for i in range(400)]
    items[3]["metadata"]["annotations"] = {"note": "x" * 9000}  # longer than a chunk
    items[5]["spec"]["containers"][0]["env"] = [{"name": "PASSWORD", "value": "hunter2"}]
    tail = ""
    if case == "bad-items":
        items[150] = {**pod("broken"), "spec": {"containers": "nope"}}
        items[151] = {**pod("big"), "metadata": {"name": "big", "namespace": "ns", "generation": 2**70}}
        items[152] = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"}}
        items[399] = pod("p0001")  # a duplicate: the first one is kept
    elif case == "truncated":
        tail = ',\n        {\n            "apiVersion": "v1",\n            "kind": "Pod",\n            "meta'
    elif case == "trailing":
        tail = ",\n        garbage\n    ]\n}\n"
    elif case == "no-items":
        items = []
    _big_list(tmp_path, "pods.json", items, tail)
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    seen: list[str] = []

    class Counting(_parallel.Pool):
        def result(self):  # type: ignore[no-untyped-def]
            got = super().result()
            seen.append("worker" if got[2] is not None else "here")
            return got

    monkeypatch.setattr(_parallel, "Pool", Counting)
    monkeypatch.setattr(Counting, "ready", lambda self: True)  # the workers do every batch: none done ahead here
    monkeypatch.setenv("K8SAUDIT_WORKERS", "0")
    alone = _contents(ka.load(tmp_path))
    assert not seen
    monkeypatch.setenv("K8SAUDIT_WORKERS", "3")  # two workers
    together = _contents(ka.load(tmp_path))
    assert together == alone
    if case != "no-items":
        assert seen.count("worker") >= 5
        assert alone[0]["Pod"] >= 396 and "hunter2" not in str(alone[1])
    if case == "bad-items":
        assert "here" in seen and {r["category"] for r in alone[3]} == {"invalid", "conflict"}
    if case in ("truncated", "trailing"):  # what follows the last whole item is a skipped row, never silence
        assert [(r["category"], r["document"]) for r in alone[3]] == [("parse_error", "0/items/400")]


def test_workers_that_cannot_start_or_die_leave_the_work_to_the_loader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from k8saudit.sources import _parallel

    _big_list(tmp_path, "pods.json", [pod(f"p{i:04d}") for i in range(300)])
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    monkeypatch.setenv("K8SAUDIT_WORKERS", "0")
    alone = _contents(ka.load(tmp_path))
    monkeypatch.setenv("K8SAUDIT_WORKERS", "3")
    monkeypatch.setattr(_parallel.sys, "executable", str(tmp_path / "no-python"))
    assert _contents(ka.load(tmp_path)) == alone  # no worker started: read in this process
    monkeypatch.undo()
    monkeypatch.setattr(files_mod, "CHUNK", 4096)
    monkeypatch.setenv("K8SAUDIT_WORKERS", "3")  # two workers
    dying = _parallel._WORKER.replace("\nfor line in inp:", "\nfor line in __import__('itertools').islice(inp, 3):")
    assert dying != _parallel._WORKER
    monkeypatch.setattr(_parallel, "_WORKER", dying)  # each worker answers a few batches, then exits
    answered: list[bool] = []

    class Waiting(_parallel.Pool):
        def ready(self) -> bool:  # the loader waits for its workers: they, not it, do every batch they can
            return True

        def result(self) -> tuple[int, int, bytes | None]:
            got = super().result()
            answered.append(got[2] is not None)
            return got

    monkeypatch.setattr(_parallel, "Pool", Waiting)
    assert _contents(ka.load(tmp_path)) == alone
    k = answered.count(True)  # each answered 3, then the loader did the rest: nothing lost
    assert 3 <= k <= 6 and answered == [True] * k + [False] * (len(answered) - k) and len(answered) > 10
    monkeypatch.setattr(_parallel, "_WORKER", "import sys; sys.stdin.readline(); sys.exit(3)")  # dies at once
    answered.clear()
    assert _contents(ka.load(tmp_path)) == alone
    assert not any(answered) and answered


@pytest.mark.parametrize("live", [False, True])
@pytest.mark.parametrize("by_default", [True, False])
def test_how_many_workers(monkeypatch: pytest.MonkeyPatch, by_default: bool, live: bool) -> None:
    """K8SAUDIT_WORKERS=N: N processes, the loader and N - 1 workers; else, when workers are on by default, one
    per CPU but the loader's own and those other work keeps busy (the tasks running now beside this one, where
    the system says; else the load average's whole part), at most DEFAULT_WORKERS, for a Pod List from MIN_BYTES
    on (a live pods list with LIVE_MIN_BYTES still to come); none for a smaller one, on one CPU, or where nothing
    says how busy the machine is. Files and live lists each have their own default."""
    from k8saudit.sources import _parallel

    monkeypatch.setattr(_parallel, "LIVE_BY_DEFAULT" if live else "BY_DEFAULT", by_default)
    monkeypatch.setattr(_parallel, "BY_DEFAULT" if live else "LIVE_BY_DEFAULT", not by_default)
    monkeypatch.setattr(_parallel, "DEFAULT_WORKERS", 3)
    monkeypatch.delenv("K8SAUDIT_WORKERS", raising=False)
    big, small = 10 * 1024**3, (_parallel.LIVE_MIN_BYTES if live else _parallel.MIN_BYTES) - 1
    cases = [  # (CPUs, load average, tasks running now with this one (None: not known), workers)
        *((1, 0.0, 1, 0), (2, 0.0, 1, 1), (2, 0.99, 2, 0), (2, 1.0, None, 0), (2, 0.6, None, 1), (2, 7.5, 9, 0)),
        (2, 1.3, 1, 1),  # the scan before this one has just ended: nothing else is running now
        (2, 0.0, 3, 0),  # a fleet's loaders have just started beside this one: the average does not know yet
        *((4, 0.0, 1, 3), (4, 0.6, 3, 1), (4, 1.2, None, 2), (4, 2.9, 5, 0), (4, 3.0, 2, 2), (16, 0.0, 1, 3)),
        *((16, 12.4, None, 3), (16, 13.0, None, 2), (16, 40.0, 60, 0), (16, 0.0, 14, 2)),
    ]
    for cpus, load, now, n in cases:
        monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid, c=cpus: set(range(c)), raising=False)
        monkeypatch.setattr(_parallel.os, "getloadavg", lambda x=load: (x, 0.0, 0.0), raising=False)
        monkeypatch.setattr(_parallel, "_running_now", lambda r=now: r)
        assert _parallel.workers_for(big, live=live) == (n if by_default else 0), (cpus, load, now)
        assert _parallel.workers_for(small, live=live) == 0
    looks = iter([1, 4, 2])  # the most of a few looks: one saw three other tasks running, the first none
    monkeypatch.setattr(_parallel, "_running_now", lambda: next(looks))
    monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    assert _parallel.workers_for(big, live=live) == 0
    monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    monkeypatch.setattr(_parallel, "DEFAULT_WORKERS", 1)
    monkeypatch.setattr(_parallel, "_running_now", lambda: 1)
    assert _parallel.workers_for(big, live=live) == (1 if by_default else 0)  # 16 CPUs: the default's one

    def unreadable() -> tuple[float, float, float]:
        raise OSError("no load average")

    monkeypatch.setattr(_parallel.os, "getloadavg", unreadable, raising=False)
    monkeypatch.setattr(_parallel, "_running_now", lambda: None)
    assert _parallel.workers_for(big, live=live) == 0  # nothing says how busy the machine is
    for said, n in (("4", 3), ("3", 2), ("2", 1), ("1", 0), ("0", 0), ("many", 0), ("-1", 0)):
        monkeypatch.setenv("K8SAUDIT_WORKERS", said)
        # not a number: the loader alone, and a warning says so
        told = pytest.warns(UserWarning, match="not a number") if said == "many" else contextlib.nullcontext()
        with told:
            assert _parallel.workers_for(1, live=live) == n and _parallel.workers_for(big, live=live) == n, (
                said
            )  # said outright: whatever the size
    monkeypatch.setenv("K8SAUDIT_WORKERS", "4")
    monkeypatch.delattr(_parallel.os, "preadv")  # as on Windows: the loader reads alone, asked or not
    assert _parallel.workers_for(big, live=live) == 0


def test_tasks_running_now_are_read_from_the_system() -> None:
    """This process, asking, is one of the tasks running (where the system says: Linux)."""
    from k8saudit.sources import _parallel

    now = _parallel._running_now()
    assert now is None if not Path("/proc/loadavg").exists() else now >= 1


def test_a_chunk_that_ends_right_after_an_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next chunk then starts with the "," between items: every item is still read, nothing skipped
    (it used to turn a batch into one malformed item and lose the pods in it)."""
    p = _big_list(tmp_path, "pods.json", [pod(f"p{i:04d}") for i in range(200)])
    raw = p.read_bytes()
    start = raw.index(b"{", raw.index(b'"items"'))
    first_end = raw.index(b"\n        }", start) + len(b"\n        }")
    for items_in_first_chunk in (1, 7):
        end = start
        for _ in range(items_in_first_chunk):
            end = raw.index(b"\n        }", end) + len(b"\n        }")
        monkeypatch.setattr(files_mod, "CHUNK", end - start)
        snap = ka.load(tmp_path)
        assert snap.kinds == {"Pod": 200} and snap.skipped_records == [], items_in_first_chunk
    assert first_end > start


def _job(generate: str, ns: str | None = None, name: str | None = None, privileged: bool = False) -> dict:
    md: dict = {"generateName": generate}
    if ns:
        md["namespace"] = ns
    if name:
        md["name"] = name
    c: dict = {"name": "m", "image": "busybox:1.36"}
    if privileged:
        c["securityContext"] = {"privileged": True}
    spec = {"template": {"spec": {"restartPolicy": "Never", "containers": [c]}}}
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md, "spec": spec}


@pytest.mark.parametrize("suffix", ["yaml", "json"])
def test_objects_named_only_by_generate_name_are_each_kept(tmp_path: Path, suffix: str) -> None:
    """The API server names each object created from a generateName apart: two of them are two objects, not
    a duplicate (the second, here the privileged one, used to be a conflict and went unassessed)."""
    import yaml

    docs = [
        _job("migrate-"),
        _job("migrate-", privileged=True),
        _job("migrate-"),  # the same as the first: still a third object
        _job("migrate-", ns="batch"),  # another namespace: its own count
        _job("migrate-", name="migrate-fixed"),  # a name wins over generateName
    ]
    if suffix == "yaml":
        (tmp_path / "jobs.yaml").write_text(yaml.safe_dump_all(docs))
    else:
        (tmp_path / "jobs.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    snap = ka.load(tmp_path)
    assert snap.skipped.empty
    names = [(j.metadata.namespace, j.metadata.name) for j in snap.items("Job")]
    assert names == [
        ("default", "migrate-*"),
        ("default", "migrate-*2"),
        ("default", "migrate-*3"),
        ("batch", "migrate-*"),
        ("default", "migrate-fixed"),
    ]
    f = ka.audit(snap, checks=["privileged"])
    assert f[["namespace", "name"]].values.tolist() == [["default", "migrate-*2"]]


@pytest.mark.parametrize("indent", [2, 4, "\t"])
def test_a_malformed_item_costs_only_itself_whatever_the_indentation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indent: int | str
) -> None:
    """A streamed List whose batch holds a malformed item is read item by item, cut where the List's own
    indentation says (a List indented by 2 used to be read as one item: the pods beside the bad one were lost)."""
    items = [pod(f"p{i:03d}") for i in range(60)]
    items[17]["status"] = "@@BROKEN@@"
    body = json.dumps({"apiVersion": "v1", "items": items, "kind": "List"}, indent=indent)
    write(tmp_path, "pods.json", body.replace('"@@BROKEN@@"', "@@BROKEN@@"))
    monkeypatch.setattr(files_mod, "CHUNK", 2048)
    snap = ka.load(tmp_path)
    assert snap.kinds == {"Pod": 59}
    assert [(r["source"], r["category"], r["document"]) for r in snap.skipped_records] == [
        ("pods.json", "parse_error", "0/items/17")
    ]
