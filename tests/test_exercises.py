"""Exercises cannot be gamed: a fix passes only when what the exercise is about still exists and works,
and the practice's checks find nothing. Feedback is graded (still failing, removed, hints, solution)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8saudit.exercises import EXERCISES, Manifest, exercise, grade

BARE = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: workshop\n"
Docs = list[dict[str, Any]]


def edit(text: str, fn: Callable[[Docs], object]) -> str:
    docs = [d for d in yaml.safe_load_all(text) if d]
    fn(docs)
    return yaml.safe_dump_all(docs, sort_keys=False)


def pod(docs: Docs, i: int = 0) -> dict[str, Any]:
    return docs[i]["spec"]["template"]["spec"]


def c0(docs: Docs, i: int = 0) -> dict[str, Any]:
    return pod(docs, i)["containers"][0]


def _del(d: dict[str, Any], *keys: str) -> None:
    for k in keys:
        d.pop(k, None)


# (practice) -> (deletes a part the fix needs, what the feedback says)
NEEDED: dict[int, tuple[Callable[[Docs], object], str]] = {
    1: (lambda d: _del(pod(d), "volumes"), "missing a Secret volume mounted in container `billing`"),
    2: (
        lambda d: c0(d).update(image="registry.example.com/storefront:latest"),
        "changed the image of container `web` (it must stay `registry.example.com/storefront:1.0`)",
    ),
    3: (
        lambda d: c0(d)["securityContext"]["capabilities"].pop("add"),
        "removed NET_BIND_SERVICE from container `edge`",
    ),
    4: (lambda d: _del(c0(d), "ports"), "removed port 9100 of container `metrics`"),
    5: (
        lambda d: d[0]["rules"][0].update(verbs=["get", "list", "watch"]),
        "removed the permission the CI deploys with: ServiceAccount ci/deployer must still update Deployments",
    ),
    6: (
        lambda d: (_del(pod(d), "volumes"), _del(c0(d), "volumeMounts")),
        "missing a writable volume at /tmp in container `reports`",
    ),
    7: (lambda d: d[2]["spec"]["ports"].clear(), "removed port 80 → 8080 of Service workshop/api"),
    8: (lambda d: _del(c0(d)["securityContext"], "runAsUser"), "missing user 10001"),
    9: (lambda d: _del(pod(d), "hostUsers"), "removed `hostUsers: false` of Deployment workshop/sandbox"),
    10: (lambda d: d[0]["spec"].update(replicas=0), "scaled down the replicas of Deployment workshop/checkout"),
}


def _only_literal_removed(d: Docs) -> None:
    c0(d)["env"] = [e for e in c0(d)["env"] if e["name"] != "DB_PASSWORD"]


def _token_off_in_the_container(d: Docs) -> None:
    c0(d)["automountServiceAccountToken"] = False


def _clusterrole_narrowed(d: Docs) -> None:
    d[0]["rules"] = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "update", "patch"]}]


# (practice) -> (a plausible but wrong fix applied to the broken manifest, the check still failing)
WRONG: dict[int, tuple[Callable[[Docs], object], str]] = {
    1: (_only_literal_removed, "secret-env-ref"),
    2: (_token_off_in_the_container, "authn-sa-token-automount"),
    3: (lambda d: c0(d)["securityContext"]["capabilities"].update(drop=["NET_RAW"]), "cap-dangerous-add"),
    4: (lambda d: _del(pod(d), "hostNetwork"), "host-pid"),
    5: (_clusterrole_narrowed, "rbac-clusterwide-binding"),
    6: (
        lambda d: (
            c0(d).update(volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}])
            or pod(d).update(volumes=[{"name": "tmp", "emptyDir": {}}])
        ),
        "rootfs-writable",
    ),
    7: (lambda d: d[2]["spec"].update(type="LoadBalancer"), "svc-lb-open"),
    8: (lambda d: c0(d)["securityContext"].update(privileged=False, runAsUser=10001), "priv-escalation"),
    9: (lambda d: pod(d).update(securityContext={"procMount": "Default"}), "proc-mount-unmasked"),
    10: (
        lambda d: (
            d[0]["spec"].update(replicas=3, strategy={"type": "RollingUpdate"}),
            c0(d).update(readinessProbe={"httpGet": {"path": "/", "port": 8080}}),
        ),
        "rollout-no-pdb",
    ),
}

PRACTICES = sorted(EXERCISES)


def test_every_exercise_is_covered_here() -> None:
    assert PRACTICES == list(range(1, 11)) and set(NEEDED) == set(WRONG) == set(PRACTICES)
    for ex in EXERCISES.values():
        assert ex.title and all(ex.hints) and ex.hints[0] != ex.hints[1]


@pytest.mark.parametrize("practice", PRACTICES, ids=lambda p: f"practice-{p}")
def test_solution_passes_and_the_untouched_manifest_fails(practice: int) -> None:
    ex = EXERCISES[practice]
    good = grade(practice, ex.solution)
    assert good.passed and good.missing == [] and good.findings.empty, (good.missing, good.findings)
    bad = grade(practice, ex.broken)
    assert not bad.passed and len(bad.findings) > 0


@pytest.mark.parametrize("practice", PRACTICES, ids=lambda p: f"practice-{p}")
def test_a_bare_namespace_is_not_a_fix(practice: int) -> None:
    g = grade(practice, BARE)
    assert not g.passed and g.findings.empty  # the findings are gone: only what was removed can tell
    main = (
        next(
            k
            for k in Manifest(EXERCISES[practice].broken).objects
            if k[0] not in ("Namespace", *EXERCISES[practice].replaceable)
        )[0]
        if practice != 5
        else None
    )
    if main is None:
        assert any(m.startswith("removed the permission the CI deploys with") for m in g.missing)
    else:
        assert any(m.startswith(f"removed {main} workshop/") for m in g.missing), g.missing


@pytest.mark.parametrize("practice", PRACTICES, ids=lambda p: f"practice-{p}")
def test_deleting_a_needed_part_fails_with_what_was_removed(practice: int) -> None:
    fn, says = NEEDED[practice]
    g = grade(practice, edit(EXERCISES[practice].solution, fn))
    assert not g.passed
    assert any(m.startswith(says) for m in g.missing), g.missing


@pytest.mark.parametrize("practice", PRACTICES, ids=lambda p: f"practice-{p}")
def test_a_plausible_wrong_fix_is_told_what_still_fails(practice: int) -> None:
    fn, check_id = WRONG[practice]
    g = grade(practice, edit(EXERCISES[practice].broken, fn))
    assert not g.passed and not any(m.startswith(("removed", "changed", "scaled")) for m in g.missing), g.missing
    assert check_id in set(g.findings["check_id"])  # nothing was removed, but the finding is still there
    ex = exercise(practice)
    ex.check(edit(EXERCISES[practice].broken, fn))
    assert "Still failing" in ex.result.value and f"<code>{check_id}</code>" in ex.result.value


# ---------------------------------------------------------------------- random deletions


def paths(node: object, pre: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*pre, k)
            yield from paths(v, (*pre, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield (*pre, i)
            yield from paths(v, (*pre, i))


#: the only parts of each solution whose deletion keeps a valid fix (each a default or a redundant grant)
OPTIONAL: dict[int, set[tuple[Any, ...]]] = {
    1: {
        (0, "spec", "template", "spec", "containers", 0, "volumeMounts", 0, "readOnly")
    },  # Secret volumes are read-only
    5: {(0, "rules", 0, "verbs", i) for i in range(5)},  # any one verb less still lets the CI update (update or patch)
    6: {(0, "spec", "template", "spec", "volumes", 0, "emptyDir", "sizeLimit")},
    # ClusterIP is the default type; a missing podSelector selects every pod; policyTypes default to Ingress
    7: {
        (2, "spec", "type"),
        (3, "spec"),
        (3, "spec", "podSelector"),
        (3, "spec", "policyTypes"),
        (3, "spec", "policyTypes", 1),
    },
    8: {(0, "spec", "template", "spec", "containers", 0, "securityContext", "privileged")},  # false is the default
    9: {(0, "spec", "template", "spec", "containers", 0, "securityContext")},  # procMount Default is the default
    # RollingUpdate with 25 % is the default (0 of 3 pods down); the probe's path and period have defaults; a PDB
    # without a budget or with an empty selector (every pod of its namespace) still covers the Deployment
    10: {
        (0, "spec", "strategy"),
        (0, "spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet", "path"),
        (0, "spec", "template", "spec", "containers", 0, "readinessProbe", "periodSeconds"),
        (1, "spec", "maxUnavailable"),
        (1, "spec", "selector", "matchLabels"),
    },
}


def _optional(practice: int, path: tuple[Any, ...]) -> bool:
    return any(path[: len(o)] == o for o in OPTIONAL.get(practice, set()))


@st.composite
def deletions(draw: st.DrawFn) -> tuple[int, Docs, list[tuple[Any, ...]]]:
    practice = draw(st.sampled_from(PRACTICES))
    docs = [d for d in yaml.safe_load_all(EXERCISES[practice].solution) if d]
    chosen = draw(
        st.lists(st.sampled_from([p for p in paths(docs) if len(p) > 1]), min_size=1, max_size=3, unique=True)
    )
    return practice, docs, chosen


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(deletions())
def test_random_deletions_of_required_parts_never_pass(case: tuple[int, Docs, list[tuple[Any, ...]]]) -> None:
    practice, docs, chosen = case
    docs = copy.deepcopy(docs)
    for path in sorted(chosen, key=len, reverse=True):
        cur: Any = docs
        try:
            for k in path[:-1]:
                cur = cur[k]
            del cur[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # a parent went first
    g = grade(practice, yaml.safe_dump_all(docs, sort_keys=False))
    if g.passed:
        assert all(_optional(practice, p) for p in chosen), (practice, chosen)


# ---------------------------------------------------------------------- graded feedback in the widget


def test_feedback_is_rendered_not_raw_markdown() -> None:
    ex = exercise(1)
    ex.check()
    assert "`" not in ex.result.value.replace("<code>", "").replace("</code>", "")
    assert "<code>" in ex.result.value and "Still failing" in ex.result.value
    ex.check(BARE)
    assert "must stay" in ex.result.value and "<code>billing</code>" in ex.result.value
    assert "`" not in ex.result.value


def test_hints_come_in_two_levels_then_the_solution() -> None:
    ex = exercise(6)
    assert ex.hint_view.value == "" and ex.solution_view.layout.display == "none"
    assert ex.hint() == EXERCISES[6].hints[0] and "Hint 1" in ex.hint_view.value and "Hint 2" not in ex.hint_view.value
    assert ex.hint_button.description == "Another hint"
    assert ex.hint() == EXERCISES[6].hints[1] and "Hint 2" in ex.hint_view.value
    assert "`" not in ex.hint_view.value and ex.solution_view.layout.display == "none"
    assert ex.hint_button.description == "Solution"
    assert ex.hint() == ex.solution and ex.solution_view.layout.display == "block"
    assert "readOnlyRootFilesystem" in ex.solution_view.value


def test_exemption_annotations_do_not_pass_an_exercise() -> None:
    text = edit(EXERCISES[8].broken, lambda d: d[0]["metadata"].update(annotations={"k8saudit.io/ignore": "all"}))
    ex = exercise(8)
    f = ex.check(text)
    assert not ex.passed and len(f) > 0 and "exemptions do not count" in ex.result.value
