"""Equal parts of listed objects become one object (k8saudit.sources._share): never changing what any says."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from k8saudit import _model as m
from k8saudit.sources._share import Sharer

TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount"


def pod(
    name: str,
    *,
    token: str,
    env: list[tuple[str, str]],
    image: str = "web:1",
    ns: str = "shop",
    labels: dict[str, str] | None = None,
    extra_mount: str | None = None,
    privileged: bool | None = None,
) -> m.Pod:
    mounts = [{"name": "data", "mountPath": "/data"}, {"name": token, "mountPath": TOKEN, "readOnly": True}]
    if extra_mount:
        mounts.append({"name": extra_mount, "mountPath": f"/{extra_mount}"})
    container: dict[str, Any] = {
        "name": "web",
        "image": image,
        "env": [{"name": k, "value": v} for k, v in env],
        "volumeMounts": mounts,
    }
    if privileged is not None:
        container["securityContext"] = {"privileged": privileged}
    doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "web"}},
        "spec": {
            "containers": [container],
            "volumes": [{"name": "data", "emptyDir": {}}, {"name": token, "projected": {"sources": []}}],
            "nodeName": "node-1",
        },
    }
    return msgspec.json.decode(msgspec.json.encode(doc), type=m.Pod)


def test_equal_parts_are_one_object_and_differences_stay() -> None:
    env = [("MODE", "fast"), ("DB_HOST", "db")]
    a, b = pod("a", token="kube-api-access-aaaaa", env=env), pod("b", token="kube-api-access-bbbbb", env=env)
    c = pod("c", token="kube-api-access-ccccc", env=[("MODE", "slow"), ("DB_HOST", "db")])
    Sharer().share([a, b, c])
    ca, cb, cc = (p.spec.containers[0] for p in (a, b, c))
    assert cb.env is ca.env  # equal: one list
    assert cc.env is not ca.env and cc.env[0].value == "slow"  # same name and image, other env: its own
    assert cb.volume_mounts[0] is ca.volume_mounts[0] and cc.volume_mounts[0] is ca.volume_mounts[0]
    assert cb.volume_mounts[1] is not ca.volume_mounts[1]  # the token mounts differ by name
    assert cb.volume_mounts[1].name == "kube-api-access-bbbbb"
    assert b.spec.volumes[0] is a.spec.volumes[0] and b.spec.volumes[1].name == "kube-api-access-bbbbb"
    assert b.metadata.labels is a.metadata.labels


def as_deployment(p: m.Pod) -> m.Deployment:
    """A Deployment whose template is the pod's spec (a copy), labelled as the pod."""
    doc = msgspec.to_builtins(p)
    md = doc["metadata"]
    return msgspec.convert(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {**md, "name": f"dep-{md['name']}"},
            "spec": {"template": {"metadata": {"labels": md.get("labels")}, "spec": doc["spec"]}},
        },
        m.Deployment,
    )


_envs = st.lists(st.tuples(st.sampled_from(["MODE", "HOST", "PASSWORD"]), st.sampled_from(["a", "b", ""])), max_size=3)
_pods = st.builds(
    pod,
    st.sampled_from(["p1", "p2", "p3"]),
    token=st.sampled_from(["kube-api-access-1", "kube-api-access-2"]),
    env=_envs,
    image=st.sampled_from(["web:1", "web:2"]),
    ns=st.sampled_from(["shop", "ops"]),
    labels=st.sampled_from([None, {"app": "web", "v": "2"}]),
    extra_mount=st.sampled_from([None, "cache", "data"]),
    privileged=st.sampled_from([None, True, False]),
)


_objects = st.one_of(_pods, _pods.map(as_deployment))


@settings(max_examples=80, deadline=None)
@given(st.lists(_objects, min_size=1, max_size=8))
def test_sharing_never_changes_what_an_object_says(objs: list[Any]) -> None:
    before = [msgspec.json.encode(o) for o in objs]
    Sharer().share(objs)
    assert [msgspec.json.encode(o) for o in objs] == before
