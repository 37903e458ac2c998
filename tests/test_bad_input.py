"""Bad input on disk: every problem is a skipped row naming the file and why; nothing aborts the scan.

Deep nesting, integers beyond int64, duplicate YAML keys, unreadable directories, broken links,
files that vanish mid-scan, objects given twice (the same, or differing), files that are not
Kubernetes manifests at all.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest
import yaml

import k8saudit as ka
from k8saudit.findings import audit
from k8saudit.sources import files as files_mod

GOOD = """\
apiVersion: v1
kind: Pod
metadata: {name: good, namespace: app}
spec:
  containers: [{name: c, image: nginx, securityContext: {privileged: true}}]
"""


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def skipped(snap: ka.Snapshot) -> dict[str, tuple[str, str]]:
    """source → (category, reason)."""
    return {r.source: (r.category, r.reason) for r in snap.skipped.itertuples()}


def assert_good_loaded(snap: ka.Snapshot) -> None:
    assert snap.get("Pod", "app", "good") is not None
    f = audit(snap)
    assert "privileged" in set(f.check_id)  # the rest of the scan still audits


# --------------------------------------------------------------------------- deep nesting, huge integers


@pytest.mark.parametrize(
    "text",
    [
        '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "deep"}, "data": '
        + '{"a": ' * 1500
        + "1"
        + "}" * 1500
        + "}",
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["json-objects-1500", "json-arrays-100k"],
)
def test_deep_json_is_a_skipped_document(tmp_path: Path, text: str) -> None:
    write(tmp_path, "deep.json", text)
    write(tmp_path, "good.yaml", GOOD)
    snap = ka.load(tmp_path)
    cat, reason = skipped(snap)["deep.json"]
    assert cat == "parse_error" and "nested more than" in reason
    assert_good_loaded(snap)


@pytest.mark.parametrize(
    "body",
    [
        "data:\n  x:\n" + "".join("  " * (i + 2) + "k:\n" for i in range(1200)) + "  " * 1202 + "k: 1\n",
        "data:\n  x:\n" + "- " * 100_000 + "1\n",  # crashes the Rust YAML parser outright if it gets it
        "data:\n  x: " + "[" * 3000 + "]" * 3000 + "\n",
        "data:\n  x: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n",
    ],
    ids=["block-1200", "compact-sequences-100k", "flow-3000", "flow-maps-1000"],
)
def test_deep_yaml_is_a_skipped_document(tmp_path: Path, body: str) -> None:
    write(tmp_path, "deep.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\n" + body + "---\n" + GOOD)
    snap = ka.load(tmp_path)
    rows = snap.skipped
    assert list(rows["category"]) == ["parse_error"] and rows["document"].tolist() == ["0"]
    assert "nested more than" in rows["reason"].iloc[0]
    assert_good_loaded(snap)  # the next document of the same file loads


def test_nesting_real_objects_use_is_accepted(tmp_path: Path) -> None:
    """A CRD schema nests a few dozen levels: far from the limit."""
    schema: dict = {"type": "string"}
    for _ in range(60):
        schema = {"type": "object", "properties": {"x": schema}}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "things.example.com"},
        "spec": {"group": "example.com", "versions": [{"name": "v1", "schema": {"openAPIV3Schema": schema}}]},
    }
    write(tmp_path, "crd.yaml", yaml.safe_dump(crd))
    write(tmp_path, "crd.json", json.dumps({**crd, "metadata": {"name": "other.example.com"}}))
    snap = ka.load(tmp_path)
    assert snap.skipped.empty and snap.kinds == {"CustomResourceDefinition": 2}


@pytest.mark.parametrize(
    ("field", "doc"),
    [
        (
            "spec.replicas",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big, namespace: app}\nspec:\n"
            "  replicas: 99999999999999999999999\n  template:\n    spec:\n      containers: [{name: c, image: i}]\n",
        ),
        (
            "runAsUser",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: big, namespace: app}\nspec:\n"
            "  securityContext: {runAsUser: 9223372036854775808}\n  containers: [{name: c, image: i}]\n",
        ),
        (
            "hostPort",
            '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big", "namespace": "app"}, "spec": '
            '{"containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "hostPort": -99999999999999999999}]}]}}',
        ),
        (
            "nodePort",
            "apiVersion: v1\nkind: Service\nmetadata: {name: big, namespace: app}\nspec:\n"
            "  type: NodePort\n  ports: [{port: 80, nodePort: 18446744073709551616}]\n",
        ),
    ],
    ids=["replicas", "run-as-user", "host-port-json", "node-port"],
)
def test_integer_beyond_int64_skips_that_object_only(tmp_path: Path, field: str, doc: str) -> None:
    write(tmp_path, "big.yaml", doc)
    write(tmp_path, "good.yaml", GOOD)
    snap = ka.load(tmp_path)
    cat, reason = skipped(snap)["big.yaml"]
    assert cat == "invalid" and field in reason and "922337203685477580" in reason
    assert_good_loaded(snap)
    stats = ka.findings.check_stats(audit(snap))
    assert not (stats["status"] == "error").any(), stats[stats.status == "error"]


def test_integer_beyond_int64_in_a_streamed_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_mod, "CHUNK", 4096)  # stream even a small List
    items = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": f"p{i}", "namespace": "app"},
            "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {"runAsUser": 1000}}]},
        }
        for i in range(40)
    ]
    items[7]["spec"]["containers"][0]["securityContext"]["runAsUser"] = 2**64
    (tmp_path / "pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=4))
    snap = ka.load(tmp_path)
    assert len(snap.items("Pod")) == 39
    rows = snap.skipped
    assert rows["category"].tolist() == ["invalid"] and rows["name"].tolist() == ["p7"]
    assert len(snap.containers) == 39


# --------------------------------------------------------------------------- duplicate keys


DUP_PRIV = """\
apiVersion: v1
kind: Pod
metadata: {name: sneaky, namespace: app}
spec:
  containers:
  - name: c
    image: nginx
    securityContext:
      privileged: true
      privileged: false
"""

DUP_HOST = """\
apiVersion: v1
kind: Pod
metadata:
  name: sneaky
  namespace: app
spec:
  hostPID: true
  containers: [{name: c, image: nginx}]
  hostPID: false
"""


@pytest.mark.parametrize(
    "text", [DUP_PRIV, DUP_HOST, DUP_HOST.replace("spec:", "x: &a 1\nspec:")], ids=["nested", "pod-spec", "pyyaml-path"]
)
def test_duplicate_yaml_keys_refuse_the_document(tmp_path: Path, text: str) -> None:
    write(tmp_path, "dup.yaml", text + "---\n" + GOOD)
    snap = ka.load(tmp_path)
    rows = snap.skipped
    assert rows["category"].tolist() == ["parse_error"] and rows["document"].tolist() == ["0"]
    assert "duplicate key" in rows["reason"].iloc[0]
    assert snap.get("Pod", "app", "sneaky") is None
    assert_good_loaded(snap)


DUP_JSON_PRIV = (
    '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sneaky", "namespace": "app"}, "spec": {"containers": '
    '[{"name": "c", "image": "nginx", "securityContext": {"privileged": true, "privileged": false}}]}}'
)


@pytest.mark.parametrize(
    "text",
    [
        DUP_JSON_PRIV,
        DUP_JSON_PRIV.replace('"spec"', '"kind": "Pod", "spec"'),  # at the top
        "\ufeff" + DUP_JSON_PRIV,  # after a byte-order mark
        "[" + DUP_JSON_PRIV + "]",  # in a bare array of manifests
    ],
    ids=["nested", "top-level", "bom", "array"],
)
def test_duplicate_json_keys_refuse_the_document(tmp_path: Path, text: str) -> None:
    (tmp_path / "dup.json").write_text(text, encoding="utf-8")
    write(tmp_path, "good.yaml", GOOD)
    snap = ka.load(tmp_path)
    cat, reason = skipped(snap)["dup.json"]
    assert cat == "parse_error" and "duplicate key" in reason and ("'privileged'" in reason or "'kind'" in reason)
    assert snap.get("Pod", "app", "sneaky") is None
    assert_good_loaded(snap)


def test_equal_keys_in_different_objects_are_no_duplicate(tmp_path: Path) -> None:
    doc = json.loads(DUP_JSON_PRIV.replace(', "privileged": false', ""))
    doc["spec"]["initContainers"] = [{"name": "c", "image": "nginx", "securityContext": {"privileged": False}}]
    (tmp_path / "ok.json").write_text(json.dumps(doc))
    snap = ka.load(tmp_path)
    assert snap.skipped.empty and snap.get("Pod", "app", "sneaky") is not None


def test_yaml_rs_refuses_duplicate_keys() -> None:
    """The fast path relies on yaml_rs refusing duplicate keys (PyYAML then words the error)."""
    yaml_rs = pytest.importorskip("yaml_rs")
    with pytest.raises(Exception, match="duplicate"):
        yaml_rs.loads("a: 1\nb: {x: 1, x: 2}\n")
    assert files_mod._fast_yaml(DUP_PRIV) is None


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: merged
          namespace: app
          annotations: &b {a: "1", b: "2"}
          labels:
            <<: *b
            b: "3"
        """)
    write(tmp_path, "m.yaml", text)
    snap = ka.load(tmp_path)
    assert snap.skipped.empty
    assert snap.get("ConfigMap", "app", "merged").metadata.labels == {"a": "1", "b": "3"}


# --------------------------------------------------------------------------- the file system


def test_broken_symlink_and_special_files(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", GOOD)
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    os.mkfifo(tmp_path / "pipe.yaml")
    snap = ka.load(tmp_path)
    rows = skipped(snap)
    assert rows["gone.yaml"][0] == "unreadable" and "broken symbolic link" in rows["gone.yaml"][1]
    assert rows["pipe.yaml"][0] == "unreadable" and "not a regular file" in rows["pipe.yaml"][1]
    assert_good_loaded(snap)


def test_broken_symlink_given_as_the_path(tmp_path: Path) -> None:
    link = tmp_path / "m.yaml"
    link.symlink_to(tmp_path / "missing.yaml")
    write(tmp_path / "d", "good.yaml", GOOD)
    snap = ka.load(link, tmp_path / "d")
    assert "broken symbolic link" in skipped(snap)[str(link)][1]


def test_unreadable_subdirectory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "good.yaml", GOOD)
    write(tmp_path / "team-b" / "secret-stuff", "pod.yaml", GOOD.replace("good", "hidden"))
    locked = tmp_path / "team-b"
    if os.geteuid() == 0:  # root reads everything: make the listing fail as it does for a user
        real = os.scandir

        def scandir(path: object = ".") -> object:
            if Path(str(path)) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        locked.chmod(0)
    try:
        snap = ka.load(tmp_path)
    finally:
        locked.chmod(0o755)
    cat, reason = skipped(snap)["team-b/"]
    assert cat == "unreadable" and "Permission denied" in reason
    assert_good_loaded(snap)


def test_file_vanishing_mid_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD.replace("good", "other"))
    real = files_mod.load_file

    def load_file(snap: ka.Snapshot, path: Path, label: str, **kw: object) -> None:
        if path.name == "a.yaml":  # listed, then deleted before it is read
            (tmp_path / "b.yaml").unlink()
        real(snap, path, label, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(files_mod, "load_file", load_file)
    snap = ka.load(tmp_path)
    cat, reason = skipped(snap)["b.yaml"]
    assert cat == "unreadable" and "No such file" in reason
    assert_good_loaded(snap)


# --------------------------------------------------------------------------- the same object twice


def test_identical_duplicate_is_a_duplicate(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", "# a copy\n" + GOOD)
    snap = ka.load(tmp_path)
    rows = snap.skipped
    assert rows["category"].tolist() == ["duplicate"] and rows["source"].tolist() == ["b.yaml"]


def test_differing_duplicate_is_a_conflict_naming_both(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "b.yaml", GOOD.replace("privileged: true", "privileged: false"))
    snap = ka.load(tmp_path)
    rows = snap.skipped
    assert rows["category"].tolist() == ["conflict"]
    reason = rows["reason"].iloc[0]
    assert "a.yaml#0" in reason and "b.yaml#0" in reason and "the one from a.yaml#0 is kept and assessed" in reason
    assert snap.objects.set_index("name").loc["good", "source"] == "a.yaml#0"
    assert "privileged" in set(audit(snap).check_id)  # the kept version is the one assessed


def test_conflict_of_compacted_pods_and_replicasets(tmp_path: Path) -> None:
    """Owned objects are compacted when kept: a copy is compared as it would be kept."""
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w", "namespace": "app", "uid": "d1"},
        "spec": {
            "template": {"metadata": {"labels": {"a": "w"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}
        },
    }
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "w-1",
            "namespace": "app",
            "uid": "r1",
            "ownerReferences": [{"kind": "Deployment", "name": "w", "uid": "d1", "controller": True}],
        },
        "spec": {"template": dep["spec"]["template"]},
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "w-1-a",
            "namespace": "app",
            "uid": "p1",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "w-1", "uid": "r1", "controller": True}],
        },
        "spec": {"containers": [{"name": "c", "image": "i:1"}], "nodeName": "n1"},
    }
    mutated = json.loads(json.dumps(pod))
    mutated["spec"]["containers"][0]["image"] = "evil:1"
    lst = lambda *items: json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)})  # noqa: E731
    write(tmp_path, "1-all.json", lst(dep, rs, pod))
    write(tmp_path, "2-again.json", lst(rs, pod))
    write(tmp_path, "3-mutated.json", lst(mutated))
    snap = ka.load(tmp_path)
    cats = dict(zip(snap.skipped["source"] + " " + snap.skipped["kind"], snap.skipped["category"]))
    assert cats == {
        "2-again.json ReplicaSet": "duplicate",
        "2-again.json Pod": "duplicate",
        "3-mutated.json Pod": "conflict",
    }


# --------------------------------------------------------------------------- not Kubernetes at all


def test_non_kubernetes_files_are_noted_not_failed(tmp_path: Path) -> None:
    write(tmp_path, "chart/values.yaml", "replicaCount: 1\nimage:\n  repository: nginx\n")
    write(tmp_path, "chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\n")
    write(
        tmp_path,
        "kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [good.yaml]\n",
    )
    write(tmp_path, "list.yaml", "- a\n- b\n")
    write(tmp_path, "broken.yaml", "apiVersion: v1\nmetadata: {name: nokind, namespace: app}\n")
    write(tmp_path, "good.yaml", GOOD)
    snap = ka.load(tmp_path)
    cats = {k: v[0] for k, v in skipped(snap).items()}
    assert cats == {
        "chart/values.yaml": "not_kubernetes",
        "chart/Chart.yaml": "not_kubernetes",
        "kustomization.yaml": "not_kubernetes",
        "list.yaml": "not_kubernetes",
        "broken.yaml": "invalid",
    }
    assert_good_loaded(snap)


_FLOW = "{apiVersion: v1, kind: Pod, metadata: {name: a, namespace: n}, spec: {containers: [{name: c, image: i}]}}"


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_a_yaml_file_in_flow_style_is_read_as_yaml(tmp_path: Path, suffix: str) -> None:
    # it opens with a brace, as JSON does, and is no JSON: a file named YAML is YAML
    (tmp_path / f"pod{suffix}").write_text(_FLOW + "\n")
    (tmp_path / f"cut{suffix}").write_text(_FLOW[:-8] + "\n")
    snap = ka.load(tmp_path)
    assert [p.metadata.name for p in snap.items("Pod")] == ["a"]
    assert snap.skipped[["source", "category"]].values.tolist() == [[f"cut{suffix}", "parse_error"]]
    assert snap.skipped["reason"].iloc[0].startswith("malformed YAML: ")


def test_a_json_file_in_yaml_flow_style_is_malformed_json(tmp_path: Path) -> None:
    (tmp_path / "pod.json").write_text(_FLOW + "\n")
    snap = ka.load(tmp_path)
    assert not snap.items("Pod")
    assert snap.skipped[["source", "category"]].values.tolist() == [["pod.json", "parse_error"]]
    assert snap.skipped["reason"].iloc[0].startswith("malformed JSON: ")


def test_yaml_documents_in_flow_style_between_separators_are_each_read(tmp_path: Path) -> None:
    # as Helm 4 renders toJson: each document in flow style, --- between them; a JSON document may come first
    json_pod = json.dumps(yaml.safe_load(_FLOW.replace("name: a", "name: c")))
    (tmp_path / "flow.yaml").write_text(f"{_FLOW}\n---\n{_FLOW.replace('name: a', 'name: b')}\n")
    (tmp_path / "mixed.yaml").write_text(f"{json_pod}\n---\n{_FLOW.replace('name: a', 'name: d')}\n")
    # JSON documents one after another, with no separator, are still read as a stream of JSON
    lines = "\n".join(json.dumps(yaml.safe_load(_FLOW.replace("name: a", f"name: {n}"))) for n in "ef")
    (tmp_path / "lines.yaml").write_text(lines + "\n")
    snap = ka.load(tmp_path)
    assert snap.skipped.empty, snap.skipped.to_string()
    assert sorted(p.metadata.name for p in snap.items("Pod")) == ["a", "b", "c", "d", "e", "f"]
