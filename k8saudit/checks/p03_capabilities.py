"""Practice 3: NET_RAW is dropped, no dangerous capability is added, and a policy engine enforces it."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ._common import any_in, bracket, choose, concat, formatted, joined, rows, who
from ._fix import FixContext, dump, nest, pod_path, true
from ._registry import NSA_CISA, PSS_BASELINE, PSS_RESTRICTED, check

#: capabilities that hand a container a path to the node (module loading, raw devices, ptrace of
#: host processes, kernel programs, MAC/firewall/clock changes) or are ``ALL`` of them
DANGEROUS_CAPABILITIES: tuple[str, ...] = (
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
    "LINUX_IMMUTABLE",
    "CHECKPOINT_RESTORE",
    "AUDIT_CONTROL",
)

#: validating webhooks (configuration or webhook name) of admission policy engines
POLICY_ENGINE = re.compile(
    r"kyverno|gatekeeper|kubewarden|jspolicy|polaris|k-rail|kubescape|neuvector|stackrox|kube-enforcer|\bopa\b",
    re.IGNORECASE,
)
ENFORCING_LEVELS = ("baseline", "restricted")

_PSA_DOC = "Pod Security Admission: https://kubernetes.io/docs/concepts/security/pod-security-admission/"
_CAPS_DOC = (
    "Kubernetes docs, Set capabilities for a container: "
    "https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container"
)


def _caps_fix(c: FixContext) -> str:
    """Drop ALL, add back only what is neither dangerous nor NET_RAW (and unset privileged)."""
    row = c.container_row
    keep = (
        []
        if row is None
        else [x for x in (row["caps_add"] or []) if x not in DANGEROUS_CAPABILITIES and x != "NET_RAW"]
    )
    caps: dict[str, Any] = {"drop": ["ALL"]}
    if keep:
        caps["add"] = sorted(keep)
    sc: dict[str, Any] = {"capabilities": caps}
    if row is not None and true(row["privileged"]):
        sc["privileged"] = False
    return c.security(sc)


def _psa_fix(c: FixContext) -> str:
    return (
        f"# {c.check}: namespace {c.name}\n# apply: kubectl label namespace {c.name} "
        "pod-security.kubernetes.io/enforce=baseline (or use this patch)\n"
        + dump(
            {
                "metadata": {
                    "labels": {
                        "pod-security.kubernetes.io/enforce": "baseline",
                        "pod-security.kubernetes.io/warn": "restricted",
                        "pod-security.kubernetes.io/audit": "restricted",
                    }
                }
            }
        )
    )


def _policy_engine_fix(c: FixContext) -> str:
    return f"# {c.check}: install an admission policy engine (Kyverno, Gatekeeper) and enforce, e.g.:\n" + dump(
        {
            "apiVersion": "kyverno.io/v1",
            "kind": "ClusterPolicy",
            "metadata": {"name": "require-drop-all"},
            "spec": {
                "validationFailureAction": "Enforce",
                "rules": [
                    {
                        "name": "drop-all",
                        "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
                        "validate": {
                            "message": "containers must drop ALL capabilities",
                            "pattern": {
                                "spec": {"containers": [{"securityContext": {"capabilities": {"drop": ["ALL"]}}}]}
                            },
                        },
                    }
                ],
            },
        }
    )


def _net_raw_message(who: str | None, privileged: bool, added: bool, adds: str) -> str | None:
    if who is None:
        return None
    if privileged:
        return f"{who} is privileged: it holds NET_RAW whatever it drops"
    return f"{who} adds {adds}" if added else f"{who} does not drop NET_RAW"


def _bracketed(items: str) -> str:
    return f"[{items}]" if items else "not set"


def _net_raw_evidence(drop: str, add: str, privileged: bool) -> str:
    """The evidence from the lists' items joined (as :func:`bracket` shows them)."""
    ev = f"securityContext.capabilities.drop={_bracketed(drop)}; capabilities.add={_bracketed(add)}"
    return ev + "; privileged=true" if privileged else ev


@check(
    "cap-net-raw",
    practice=3,
    severity="medium",
    on="containers",
    fires_on="container",
    where="not windows",  # Linux-only setting: Windows pods ignore it (as Pod Security Standards do)
    title="Container keeps the NET_RAW capability",
    why=(
        "Container runtimes grant NET_RAW by default. With it a compromised container can forge packets: "
        "ARP or DNS spoofing against its neighbours on the node, ICMP tricks, sniffing on its interface. "
        "Almost no application needs it. A privileged container holds NET_RAW whatever it drops."
    ),
    remediation=(
        "Drop every capability and add back only what the process needs:\n"
        "```yaml\nsecurityContext:\n  capabilities:\n    drop: [ALL]\n"
        "    add: [NET_BIND_SERVICE]   # only if it binds a port below 1024\n```\n"
        "Remove NET_RAW and ALL from `add`, and `privileged: true`."
    ),
    references=[PSS_RESTRICTED, NSA_CISA, _CAPS_DOC],
    controls={
        "cis": ["5.2.8", "5.2.9"],
        "nsa": ["pod.privileged"],
        "pss": ["capabilities-restricted"],
        "mitre": ["T1046"],
    },
    fix=_caps_fix,
)
def cap_net_raw(containers: pd.DataFrame) -> pd.DataFrame:
    c = containers
    dropped = any_in(c["caps_drop"], ("ALL", "NET_RAW"))
    added = any_in(c["caps_add"], ("ALL", "NET_RAW"))
    privileged = c["privileged"].fillna(False).astype(bool)
    hit = ~dropped | added | privileged
    bad = c[hit]
    # the lists' texts over the whole column (its lists are converted once per audit), then the rows that fail;
    # each text written once per distinct tuple of what it says
    priv = privileged[hit]
    adds = joined(c["caps_add"], ("ALL", "NET_RAW"))[hit]
    msg = formatted(_net_raw_message, who(bad), priv, added[hit], adds)
    ev = formatted(_net_raw_evidence, joined(c["caps_drop"])[hit], joined(c["caps_add"])[hit], priv)
    return rows(bad, msg, ev)


@check(
    "cap-dangerous-add",
    practice=3,
    severity="high",
    on="containers",
    fires_on="container",
    where="not windows",  # Linux-only setting: Windows pods ignore it (as Pod Security Standards do)
    title="Container adds a dangerous capability",
    why=(
        "Capabilities such as SYS_ADMIN, SYS_MODULE, SYS_PTRACE, DAC_READ_SEARCH, BPF or NET_ADMIN each "
        "open a known path out of the container: mounting filesystems, loading kernel modules, attaching "
        "to other processes, reading host files through open handles, rewriting the node's firewall. "
        "Adding one makes a single application bug a node compromise. Flagged: "
        + ", ".join(DANGEROUS_CAPABILITIES)
        + "."
    ),
    remediation=(
        "Remove the capability from `securityContext.capabilities.add`; if the workload truly needs it "
        "(a CNI or storage agent), run it in a dedicated namespace and record an exemption:\n"
        "```yaml\nsecurityContext:\n  capabilities:\n    drop: [ALL]\n```"
    ),
    references=[PSS_BASELINE, NSA_CISA, _CAPS_DOC],
    controls={
        "cis": ["5.2.9"],
        "nsa": ["pod.privileged"],
        "pss": ["capabilities-baseline"],
        "mitre": ["T1611", "T1068"],
    },
    fix=_caps_fix,
)
def cap_dangerous_add(containers: pd.DataFrame) -> pd.DataFrame:
    hit = any_in(containers["caps_add"], DANGEROUS_CAPABILITIES)
    bad = containers[hit]
    msg = concat(who(bad), " adds ", joined(containers["caps_add"], DANGEROUS_CAPABILITIES)[hit])
    return rows(bad, msg, concat("securityContext.capabilities.add=", bracket(containers["caps_add"])[hit]))


def policy_engines(snap: Any) -> list[str]:
    """Admission policy found in a snapshot: known engines' validating webhooks and ValidatingAdmissionPolicies."""
    found = []
    for cfg in snap.items("ValidatingWebhookConfiguration"):
        names = [cfg.metadata.name or ""] + [w.name or "" for w in cfg.webhooks or ()]
        if any(POLICY_ENGINE.search(n) for n in names):
            found.append(f"ValidatingWebhookConfiguration/{cfg.metadata.name}")
    found += [f"ValidatingAdmissionPolicy/{p.metadata.name}" for p in snap.items("ValidatingAdmissionPolicy")]
    return found


@check(
    "policy-engine-absent",
    practice=3,
    severity="medium",
    on="cluster",
    fires_on="cluster",
    title="No admission policy enforces pod security",
    why=(
        "Checks like these find a misconfiguration after it runs; only admission control stops the next "
        "privileged or NET_RAW pod from being created. Counted as enforcement: any namespace labelled "
        "`pod-security.kubernetes.io/enforce` baseline or restricted (the built-in Pod Security Admission), "
        "a ValidatingWebhookConfiguration of a known policy engine (Kyverno, Gatekeeper/OPA, Kubewarden, "
        "jsPolicy, Polaris, k-rail, Kubescape, NeuVector, StackRox, Aqua kube-enforcer) or any "
        "ValidatingAdmissionPolicy. Unrelated webhooks (cert-manager, ingress controllers) do not count. "
        "Not visible from the API: cluster-wide PSA defaults in the apiserver's admission configuration "
        "file, and whether the engine's policies actually cover pods; label namespaces explicitly."
    ),
    remediation=(
        "Enforce Pod Security Admission on every namespace that runs workloads:\n"
        "```bash\nkubectl label namespace <ns> pod-security.kubernetes.io/enforce=baseline "
        "pod-security.kubernetes.io/warn=restricted\n```\n"
        "or install a policy engine (Kyverno, Gatekeeper) with policies that reject privileged "
        "pods, host namespaces and added capabilities."
    ),
    references=[NSA_CISA, _PSA_DOC],
    needs=("ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy"),
    controls={"cis": ["5.2.1"], "nsa": ["pod.security-enforcement"], "mitre": ["T1610"]},
    fix=_policy_engine_fix,
)
def policy_engine_absent(namespaces: pd.DataFrame, snap: Any) -> pd.DataFrame:
    if namespaces["psa_enforce"].isin(ENFORCING_LEVELS).any() or policy_engines(snap):
        return pd.DataFrame()  # enforced: nothing to report
    webhooks = [c.metadata.name for c in snap.items("ValidatingWebhookConfiguration")]
    privileged = int((namespaces["psa_enforce"] == "privileged").sum())
    evidence = (
        f"namespaces with pod-security.kubernetes.io/enforce=baseline|restricted: 0 of {len(namespaces)}"
        f" ({privileged} enforce privileged); validating webhooks: "
        f"{'[' + ', '.join(webhooks) + ']' if webhooks else 'none'} (no known policy engine); "
        "ValidatingAdmissionPolicies: none"
    )
    return pd.DataFrame(
        [
            {
                "kind": "Cluster",
                "namespace": None,
                "name": snap.cluster,
                "message": "no namespace enforces Pod Security Admission and no policy engine is installed",
                "evidence": evidence,
            }
        ]
    )


@check(
    "psa-not-enforced",
    practice=3,
    severity="low",
    on="namespaces",
    fires_on="namespace",
    where="not is_system and workload_count > 0",
    title="Namespace does not enforce a Pod Security Standard",
    why=(
        "Without a `pod-security.kubernetes.io/enforce` label of baseline or restricted, anyone who may "
        "create pods in the namespace may create privileged ones, share the host's namespaces or mount "
        "the node's filesystem, and nothing stops it at admission. If a policy engine enforces the same "
        "rules for this namespace, record an exemption."
    ),
    remediation=(
        "Label the namespace (check first with `--dry-run=server`, which lists the pods that would "
        "be rejected):\n```yaml\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n"
        "    pod-security.kubernetes.io/enforce: baseline\n"
        "    pod-security.kubernetes.io/warn: restricted\n```"
    ),
    references=[PSS_BASELINE, _PSA_DOC],
    controls={"cis": ["5.2.1"], "nsa": ["pod.security-enforcement"], "mitre": ["T1610"]},
    fix=_psa_fix,
)
def psa_not_enforced(namespaces: pd.DataFrame) -> pd.DataFrame:
    bad = namespaces[~namespaces["psa_enforce"].isin(ENFORCING_LEVELS)]
    label = bad["psa_enforce"]
    ev = ("pod-security.kubernetes.io/enforce=" + label).fillna("pod-security.kubernetes.io/enforce not set")
    ev = ev.mask(~bad["declared"], "Namespace object not in the snapshot: its labels are unknown")
    count = bad["workload_count"].astype("string")
    msg = concat("namespace `", bad["name"], "` runs ", count, " workload(s) with no Pod Security Standard enforced")
    out = rows(bad.assign(kind="Namespace", namespace=bad["name"]), msg, ev)
    return out


# -- seccomp ----------------------------------------------------------------------------------------------------

_SECCOMP_OK = ("RuntimeDefault", "Localhost")
_SECCOMP_DOC = "Kubernetes docs, Restrict a container's syscalls with seccomp: https://kubernetes.io/docs/tutorials/security/seccomp/"


def _seccomp_field(c: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(the effective field type, the legacy annotation value lower-cased), both ``<NA>`` when unset."""
    return c["seccomp_profile"].astype("string"), c["seccomp_annotation"].astype("string").str.strip().str.lower()


@check(
    "seccomp-unconfined",
    practice=3,
    severity="high",
    on="containers",
    fires_on="container",
    where="not windows",  # Linux-only setting: Windows pods ignore it (as Pod Security Standards do)
    title="Container runs with seccomp explicitly Unconfined",
    why=(
        "`seccompProfile: Unconfined` switches off the syscall filter even on nodes whose kubelet applies "
        "RuntimeDefault to every pod (`--seccomp-default`): the container may call `unshare`, `keyctl`, "
        "`bpf`, `mount` and the rest of the few hundred syscalls most kernel escapes (CVE-2022-0185, "
        "CVE-2022-0492) go through. Worse than leaving it unset, which a node default can still cover. "
        "Read as the kubelet does: the container's field, else the pod's; the deprecated "
        "`seccomp.security.alpha.kubernetes.io` annotations (`unconfined`) count where no field is set."
    ),
    remediation=(
        "Set the runtime's default profile at pod level and remove `Unconfined` from every "
        "container:\n```yaml\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n```\n"
        "If one syscall is missing, write a Localhost profile that adds it rather than dropping the filter."
    ),
    references=[PSS_BASELINE, NSA_CISA, _SECCOMP_DOC],
    controls={"cis": ["5.6.2"], "nsa": ["pod.hardening"], "pss": ["seccomp-baseline"], "mitre": ["T1611", "T1068"]},
    fix=lambda c: (
        c.header()
        + dump(
            nest(
                pod_path(c.kind),
                {
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    c.list_key: [
                        {
                            "name": c.container or "<container>",
                            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                        }
                    ],
                },
            )
        )
    ),
)
def seccomp_unconfined(containers: pd.DataFrame) -> pd.DataFrame:
    field, ann = _seccomp_field(containers)
    by_field = field.eq("Unconfined").fillna(False).astype(bool)
    by_ann = (field.isna() & ann.eq("unconfined")).fillna(False).astype(bool)
    bad = containers[by_field | by_ann]
    w, legacy = who(bad), by_ann[bad.index].to_numpy(dtype=bool)
    msg = choose(
        legacy,
        concat(w, " runs with seccomp unconfined (legacy annotation)"),
        concat(w, " runs with seccomp Unconfined"),
        bad.index,
    )
    ev = choose(
        legacy,
        "metadata.annotations[seccomp.security.alpha.kubernetes.io/...]=unconfined",
        "securityContext.seccompProfile.type=Unconfined (effective: container over pod)",
        bad.index,
    )
    return rows(bad, msg, ev)


@check(
    "seccomp-not-set",
    practice=3,
    severity="low",
    on="containers",
    fires_on="container",
    where="not windows",
    title="Container has no seccomp profile",
    why=(
        "With no `seccompProfile` the container runs Unconfined unless every node's kubelet was started "
        "with `--seccomp-default`, which is not visible from the API: every syscall the kernel offers is "
        "reachable from the container. The runtime's default profile blocks about 50 rarely needed, "
        "often exploited ones and breaks almost nothing. Read as the kubelet does (container over pod). "
        "A profile set only by the deprecated `seccomp.security.alpha.kubernetes.io` annotations is "
        "reported too: kubelets ignore it since Kubernetes 1.25 and the API stopped copying it into "
        "the field in 1.27."
    ),
    remediation=(
        "Set it once at pod level; every container inherits it:\n"
        "```yaml\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n```"
    ),
    references=[PSS_RESTRICTED, NSA_CISA, _SECCOMP_DOC],
    controls={"cis": ["5.6.2"], "nsa": ["pod.hardening"], "pss": ["seccomp-restricted"], "mitre": ["T1611", "T1068"]},
    fix=lambda c: c.pod({"securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}),
)
def seccomp_not_set(containers: pd.DataFrame) -> pd.DataFrame:
    field, ann = _seccomp_field(containers)
    unset = field.isna() & ~ann.eq("unconfined").fillna(False).astype(bool)
    bad = containers[unset]
    w, a = who(bad), ann[bad.index]
    only_ann = a.notna().to_numpy(dtype=bool)
    by_ann = concat(
        w, " sets its seccomp profile only by the deprecated annotation (", (a, ""), "), which current kubelets ignore"
    )
    msg = choose(only_ann, by_ann, concat(w, " sets no seccomp profile"), bad.index)
    ev = choose(
        only_ann,
        concat("securityContext.seccompProfile not set; annotation seccomp.security.alpha.kubernetes.io=", (a, "")),
        "securityContext.seccompProfile not set (container nor pod)",
        bad.index,
    )
    return rows(bad, msg, ev)
