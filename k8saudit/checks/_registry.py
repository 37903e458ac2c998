"""The check registry: small pure functions over frames, with their metadata beside them.

A check is a function whose parameters name the frames it reads (``workloads``,
``containers``, ``rbac``, ... or ``snap`` for the snapshot itself). The frame
named by ``on`` is filtered by ``where`` (a ``DataFrame.query`` string) before it
is passed in, and its rows are what the check *evaluated*. The function returns
the offending rows, with at least ``kind``, ``namespace`` and ``name`` (and
``container`` for container checks); optional ``message`` and ``evidence``
columns say what is wrong. The runner adds everything else. Its ``fix`` (a function of one
finding's :class:`k8saudit.checks._fix.FixContext`) is declared with it.

What a check depends on is derived, not declared: the kinds that feed each frame it
takes (the ``kinds`` of its :class:`k8saudit.frames.FrameSpec`), plus the kinds behind the
columns it reads that come from elsewhere (a column's own ``kinds``: a column counts as read
when its name appears in the check's source or ``where``). Only a check that reads the snapshot
itself (a ``snap`` parameter) names the kinds it reads that way, with ``needs``.
:attr:`Check.inputs` is the result; the runner reports a check whose inputs could not
be read (or only in part) as not assessable (or partial), never as passing.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from .. import _model as m
from .. import frames as _frames
from ..vocab import PRACTICES, SEVERITIES
from ._fix import Fix

# references used across checks
PSS_BASELINE = (
    "Pod Security Standards (baseline): https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline"
)
PSS_RESTRICTED = "Pod Security Standards (restricted): https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted"
NSA_CISA = "NSA/CISA Kubernetes Hardening Guide v1.2"
#: the CIS Benchmark version whose numbering every check cites (the compliance data, frameworks/cis.yaml, is the
#: same version; a test holds them together). A check names its CIS controls once, in ``controls={"cis": [...]}``;
#: its CIS references are derived from them (see :func:`cis_references`).
CIS = "CIS Kubernetes Benchmark v1.12.0"
#: a reference to an older CIS version is allowed only for a control that no longer exists, and says so
CIS_WITHDRAWN = "no v1.12.0 control"


def cis_references(ids: tuple[str, ...] | list[str]) -> list[str]:
    """The references a check's CIS control ids stand for: ``CIS Kubernetes Benchmark v1.12.0 5.2.4``."""
    return [f"{CIS} {i}" for i in ids]


@dataclass(frozen=True)
class Check:
    """One registered check and its metadata."""

    id: str
    practice: int
    severity: str
    title: str
    why: str
    remediation: str
    on: str
    fires_on: str
    fn: Callable[..., pd.DataFrame] = field(repr=False, compare=False)
    where: str | None = None
    references: tuple[str, ...] = ()
    #: kinds read through the ``snap`` parameter (everything else is derived: see :attr:`inputs`)
    needs: tuple[str, ...] = ()
    needs_apiserver: bool = False
    aliases: tuple[str, ...] = ()
    #: framework id (``cis``, ``nsa``, ``pss``, ``mitre``) -> the ids of the controls this check evidences
    controls: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)
    #: the change that resolves one of its findings (see :mod:`k8saudit.checks._fix`; ``k8saudit.fixes.fix_for``)
    fix: Fix | None = field(default=None, repr=False, compare=False)

    @property
    def params(self) -> list[str]:
        return list(inspect.signature(self.fn).parameters)

    @property
    def frames(self) -> list[str]:
        """The frames the check reads: its parameters (``snap`` aside) and ``on``."""
        out = [p for p in self.params if p != "snap"]
        return out + [self.on] if self.on in _frames.SPECS and self.on not in out else out

    @property
    def inputs(self) -> tuple[str, ...]:
        """The kinds this check's result depends on, derived from what it reads (see the module docstring)."""
        words = self._words
        kinds = set(self.needs)
        for f in self.frames:
            spec = _frames.SPECS.get(f)
            if spec is None:
                continue
            kinds.update(spec.kinds)
            for col in spec.columns:
                if col.kinds and (words is None or col.name in words):
                    kinds.update(col.kinds)
        order = {k: i for i, k in enumerate(m.KINDS)}
        return tuple(sorted(kinds, key=lambda k: (order.get(k, len(order)), k)))

    @cached_property
    def _words(self) -> set[str] | None:
        return _words(self)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "practice": self.practice,
            "severity": self.severity,
            "title": self.title,
            "fires_on": self.fires_on,
            "why": self.why,
            "remediation": self.remediation,
            "references": list(self.references),
            "inputs": list(self.inputs),
            "controls": {k: list(v) for k, v in self.controls.items()},
        }


class Registry(Mapping[str, Check]):
    """All checks by id. ``CHECKS.frame()`` gives the catalog as a DataFrame."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, c: Check) -> None:
        if c.id in self._checks:
            raise ValueError(f"check id {c.id!r} registered twice")
        for a in c.aliases:
            if a in self._checks or any(a in x.aliases for x in self._checks.values()):
                raise ValueError(f"alias {a!r} of {c.id!r} already used")
        self._checks[c.id] = c

    def __getitem__(self, key: str) -> Check:
        if key in self._checks:
            return self._checks[key]
        for c in self._checks.values():
            if key in c.aliases:
                return c
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._checks, key=lambda k: (self._checks[k].practice, _order(self._checks[k]))))

    def __len__(self) -> int:
        return len(self._checks)

    def for_practice(self, practice: int) -> list[Check]:
        return [self[k] for k in self if self[k].practice == practice]

    def frame(self) -> pd.DataFrame:
        """The catalog: id, practice, severity, title, fires_on, why, remediation, references."""
        rows = [self[k].as_dict() for k in self]
        df = pd.DataFrame(
            rows,
            columns=[
                "id",
                "practice",
                "severity",
                "title",
                "fires_on",
                "why",
                "remediation",
                "references",
                "inputs",
                "controls",
            ],
        )
        df["severity"] = pd.Categorical(df["severity"], categories=SEVERITIES, ordered=True)
        return df

    def __repr__(self) -> str:
        return f"<{len(self)} checks over {len({c.practice for c in self.values()})} practices>"

    def _repr_html_(self) -> str:
        html: str = self.frame().drop(columns=["why", "references", "inputs", "controls"])._repr_html_()
        return html


_seq = 0
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words(c: Check) -> set[str] | None:
    """Identifiers and string words in a check's source and ``where`` (None when the source is not available:
    every column then counts as read)."""
    try:
        src = inspect.getsource(c.fn)
    except (OSError, TypeError):
        return None
    return set(_WORD.findall(src + " " + (c.where or "")))


def _order(c: Check) -> int:
    return getattr(c.fn, "_k8saudit_seq", 0)


CHECKS = Registry()


def check(
    id: str,
    *,
    practice: int,
    severity: str,
    on: str,
    title: str,
    why: str,
    remediation: str,
    fires_on: str | None = None,
    where: str | None = None,
    references: tuple[str, ...] | list[str] = (),
    needs: tuple[str, ...] | list[str] = (),
    needs_apiserver: bool = False,
    aliases: tuple[str, ...] | list[str] = (),
    controls: Mapping[str, list[str] | tuple[str, ...]] | None = None,
    fix: Fix | None = None,
) -> Callable[[Callable[..., pd.DataFrame]], Callable[..., pd.DataFrame]]:
    """Register a check. See the module docstring for the contract."""
    if severity not in SEVERITIES:
        raise ValueError(f"{id}: severity {severity!r} is not one of {SEVERITIES}")
    if practice not in PRACTICES:
        raise ValueError(f"{id}: practice {practice} is not 1-10")

    def deco(fn: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        params = list(inspect.signature(fn).parameters)
        unknown = [p for p in params if p != "snap" and p not in _frames.SPECS]
        if unknown:
            raise ValueError(f"{id}: parameter(s) {unknown} name no frame (frames: {', '.join(_frames.SPECS)})")
        if on not in _frames.SPECS and on != "cluster":
            raise ValueError(f"{id}: on={on!r} is neither a frame nor 'cluster'")
        if "snap" in params and not needs:
            raise ValueError(f"{id}: a check that reads the snapshot itself names the kinds it reads there (needs=)")
        for ref in references:
            if ref.startswith("CIS Kubernetes Benchmark") and (ref.startswith(CIS) or CIS_WITHDRAWN not in ref):
                raise ValueError(
                    f"{id}: reference {ref!r}: name CIS controls in controls={{'cis': [...]}} (the "
                    f"references are derived from them); an older version only for a control that "
                    f"no longer exists, saying '{CIS_WITHDRAWN}'"
                )
        global _seq
        _seq += 1
        fn._k8saudit_seq = _seq  # type: ignore[attr-defined]
        CHECKS.add(
            Check(
                id=id,
                practice=practice,
                severity=severity,
                title=title,
                why=why,
                remediation=remediation,
                on=on,
                fires_on=fires_on or on,
                fn=fn,
                where=where,
                references=tuple(cis_references((controls or {}).get("cis", ())) + list(references)),
                needs=tuple(needs),
                needs_apiserver=needs_apiserver,
                aliases=tuple(aliases),
                controls={k: tuple(v) for k, v in (controls or {}).items()},
                fix=fix,
            )
        )
        return fn

    return deco
