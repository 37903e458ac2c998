"""Practice 8: no privileged containers, no privilege escalation, no root."""

from __future__ import annotations

import pandas as pd

from ._common import concat, formatted, rows, tri, who, workload_column
from ._fix import true
from ._registry import NSA_CISA, PSS_BASELINE, PSS_RESTRICTED, check

_SC_DOC = "Kubernetes docs, Configure a Security Context: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/"


@check(
    "privileged",
    practice=8,
    severity="critical",
    on="containers",
    fires_on="container",
    title="Container runs privileged",
    why=(
        "A privileged container has every capability, every device of the node and no seccomp, AppArmor "
        "or SELinux confinement: root in it is root on the node (mount the host disk, load a kernel "
        "module, read every other pod's secrets)."
    ),
    remediation=(
        "Remove `privileged: true`; grant the one capability the workload needs instead:\n"
        "```yaml\nsecurityContext:\n  privileged: false\n  allowPrivilegeEscalation: false\n"
        "  capabilities:\n    drop: [ALL]\n```"
    ),
    references=[PSS_BASELINE, NSA_CISA, _SC_DOC],
    controls={"cis": ["5.2.2"], "nsa": ["pod.privileged"], "pss": ["privileged"], "mitre": ["T1611", "T1610"]},
    fix=lambda c: c.security({"privileged": False}),
)
def privileged(containers: pd.DataFrame) -> pd.DataFrame:
    bad = containers[containers["privileged"].fillna(False).astype(bool)]
    return rows(bad, concat(who(bad), " runs privileged"), "securityContext.privileged=true")


def _escalation_message(who: str | None, privileged: bool, setting: str) -> str | None:
    if who is None:
        return None
    if privileged:
        return f"{who} is privileged, which always allows privilege escalation: drop privileged first"
    if setting == "not set":
        return f"{who} allows privilege escalation (not set: defaults to true)"
    return f"{who} allows privilege escalation"


def _escalation_evidence(setting: str, privileged: bool) -> str:
    ev = f"securityContext.allowPrivilegeEscalation={setting}"
    return ev + "; privileged=true" if privileged else ev


@check(
    "priv-escalation",
    practice=8,
    severity="medium",
    on="containers",
    fires_on="container",
    where="not windows",  # Linux-only setting: Windows pods ignore it (as Pod Security Standards do)
    title="Container allows privilege escalation",
    why=(
        "Unless `allowPrivilegeEscalation: false` sets no_new_privs, a process can gain privileges "
        "through setuid binaries or file capabilities in the image (sudo, su, ping, a planted binary): "
        "a foothold as an unprivileged user becomes root in the container. The default is true."
    ),
    remediation=(
        "Set it on every container:\n```yaml\nsecurityContext:\n  allowPrivilegeEscalation: false\n```\n"
        "The API refuses `false` together with `privileged: true` or an added SYS_ADMIN: remove "
        "those first."
    ),
    references=[PSS_RESTRICTED, NSA_CISA, _SC_DOC],
    controls={"cis": ["5.2.6"], "nsa": ["pod.privileged"], "pss": ["privilege-escalation"], "mitre": ["T1068"]},
    fix=lambda c: c.security(
        {"allowPrivilegeEscalation": False}
        | ({"privileged": False} if (c.container_row is not None and true(c.container_row["privileged"])) else {})
    ),
)
def priv_escalation(containers: pd.DataFrame) -> pd.DataFrame:
    c = containers
    bad = c[c["allow_privilege_escalation"].fillna(True).astype(bool)]
    priv = bad["privileged"].fillna(False).astype(bool)
    setting = tri(bad["allow_privilege_escalation"])  # "true", or "not set": the default, true
    msg = formatted(_escalation_message, who(bad), priv, setting)
    ev = formatted(_escalation_evidence, setting, priv)
    return rows(bad, msg, ev)


def _root_message(who: str | None, uid0: bool, nonroot: str) -> str | None:
    if who is None:
        return None
    return f"{who} runs as root (runAsUser=0)" if uid0 else f"{who} may run as root (runAsNonRoot {nonroot})"


def _root_evidence(nonroot: str, user: str) -> str:
    return f"runAsNonRoot={nonroot}; runAsUser={user} (effective: container over pod)"


@check(
    "run-as-root",
    practice=8,
    severity="medium",
    on="containers",
    fires_on="container",
    title="Container may run as root",
    why=(
        "Unless `runAsNonRoot: true` makes the kubelet refuse to start a UID 0 process, a container runs "
        "as whatever user its image names, very often root. Root in a container owns every file of the "
        "image, and any container escape (a kernel or runtime bug, a mounted host path) lands as root on "
        "the node. The settings are read as the kubelet does, container over pod. Pods in a user "
        "namespace (`hostUsers: false`) are not reported: their root is not the node's."
    ),
    remediation=(
        "Run as a fixed non-root user, at pod level so every container inherits it:\n"
        "```yaml\nspec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n"
        "    runAsGroup: 10001\n```\nand build the image with a numeric `USER`."
    ),
    references=[PSS_RESTRICTED, NSA_CISA, _SC_DOC],
    controls={
        "cis": ["5.2.7"],
        "nsa": ["pod.non-root"],
        "pss": ["running-as-non-root", "running-as-non-root-user"],
        "mitre": ["T1611", "T1068"],
    },
    fix=lambda c: c.security({"runAsNonRoot": True, "runAsUser": 10001}),
)
def run_as_root(containers: pd.DataFrame, workloads: pd.DataFrame) -> pd.DataFrame:
    userns = workload_column(containers, workloads, "host_users").eq(False).fillna(False).astype(bool)
    nonroot = containers["run_as_non_root"].fillna(False).astype(bool)
    uid0 = containers["run_as_user"].eq(0).fillna(False).astype(bool)
    bad = containers[(~nonroot | uid0) & ~userns]
    user = bad["run_as_user"].astype("string").fillna("not set")
    nonroot_text = tri(bad["run_as_non_root"])
    msg = formatted(_root_message, who(bad), uid0[bad.index], nonroot_text)
    ev = formatted(_root_evidence, nonroot_text, user)
    return rows(bad, msg, ev)


_APPARMOR_DOC = "Kubernetes docs, Restrict a container's access to resources with AppArmor: https://kubernetes.io/docs/tutorials/security/apparmor/"


@check(
    "apparmor-unconfined",
    practice=8,
    severity="medium",
    on="containers",
    fires_on="container",
    where="not windows",
    title="Container runs with AppArmor explicitly unconfined",
    why=(
        "On nodes with AppArmor (Ubuntu, Debian, SUSE), the runtime's default profile denies writes to "
        "/proc and /sys, mounts and raw kernel interfaces, a second wall behind capabilities that several "
        "container escapes ran into. `appArmorProfile: Unconfined` (or the older annotation "
        "`container.apparmor.security.beta.kubernetes.io/<container>: unconfined`) takes that wall down. "
        "Read as the kubelet does: the container's field, else its annotation, else the pod's field. "
        "Leaving it unset is fine (the runtime default applies)."
    ),
    remediation=(
        "Remove the Unconfined setting (the runtime default applies), or name it:\n"
        "```yaml\nspec:\n  securityContext:\n    appArmorProfile:\n      type: RuntimeDefault\n```\n"
        "and delete any `container.apparmor.security.beta.kubernetes.io/*: unconfined` annotation."
    ),
    references=[PSS_BASELINE, NSA_CISA, _APPARMOR_DOC],
    controls={"cis": ["5.6.3"], "nsa": ["pod.hardening"], "pss": ["apparmor"], "mitre": ["T1611"]},
    fix=lambda c: c.security({"appArmorProfile": {"type": "RuntimeDefault"}}),
)
def apparmor_unconfined(containers: pd.DataFrame) -> pd.DataFrame:
    bad = containers[containers["apparmor_profile"].astype("string").eq("Unconfined").fillna(False).astype(bool)]
    return rows(
        bad,
        concat(who(bad), " runs with AppArmor unconfined"),
        "appArmorProfile.type=Unconfined (effective: container field, else annotation, else pod)",
    )
