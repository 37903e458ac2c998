"""The edge-kind registry: small pure functions over frames, with their metadata beside them.

An edge kind is to the attack graph what a check is to the findings. Its function takes the
:class:`~k8saudit.paths._context.Context` (the snapshot's frames plus a few shared derivations)
and returns one row per edge:

``source``, ``target``
    vertex ids (see :mod:`k8saudit.paths._vertices`);
``certain``
    ``True`` when the step is known to work, ``False`` when it may (scheduling unknown, a policy
    engine that may reject the pod, ...);
``evidence``
    the object and field that make the step possible (``Deployment legacy/legacy-monolith
    spec.template.spec.containers[monolith].securityContext.privileged=true``);
``rests``
    a list of ``(check_id, kind, namespace, name, container)`` keys: the findings whose fix
    removes this edge. Fixing *any one* of them removes it, so an edge that needs two
    conditions (a NodePort *and* a public node) rests on both findings, and two independent
    ways to the same step are two edges. Keys are joined to the audit's findings; a key no
    finding matches is dropped, and an edge left with no finding is a *gap*: a step an
    attacker can take that no check reports.

Structural edges (``structural=True``) are not attacker steps but the model's own wiring (a
service account is a member of ``system:serviceaccounts``; "any service account of ``shop``"
leads to each of them): they rest on no finding and are never listed as gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._context import Context

EDGE_COLUMNS = ["source", "target", "certain", "evidence", "rests"]

GROUPS: dict[str, str] = {
    "exposure": "Exposure: the internet reaches a workload",
    "identity": "Identities: anonymous access, group membership",
    "token": "Token theft: a workload or a node yields a service account's credentials",
    "rbac": "RBAC: what an identity's permissions let it become",
    "escape": "Escape: a container reaches root on its node",
    "node": "Node root: what a node's credentials hold",
    "structural": "Model wiring: hubs and memberships (not attacker steps)",
}

#: MITRE ATT&CK for Containers techniques the edge kinds use (id → name)
ATTACK: dict[str, str] = {
    "T1190": "Exploit Public-Facing Application",
    "T1078": "Valid Accounts",
    "T1078.001": "Valid Accounts: Default Accounts",
    "T1528": "Steal Application Access Token",
    "T1552.001": "Unsecured Credentials: Credentials In Files",
    "T1552.007": "Unsecured Credentials: Container API",
    "T1609": "Container Administration Command",
    "T1610": "Deploy Container",
    "T1611": "Escape to Host",
    "T1098.006": "Account Manipulation: Additional Container Cluster Roles",
}


@dataclass(frozen=True)
class EdgeKind:
    """One registered edge kind and its metadata."""

    id: str
    group: str
    technique: str
    title: str
    why: str
    fn: Callable[[Context], pd.DataFrame] = field(repr=False, compare=False)
    attack: tuple[str, ...] = ()
    rests_on: tuple[str, ...] = ()
    on: str = ""
    structural: bool = False
    certainty: str = "certain"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "technique": self.technique,
            "attack": ", ".join(self.attack),
            "title": self.title,
            "certainty": self.certainty,
            "rests_on": ", ".join(self.rests_on),
            "structural": self.structural,
            "why": self.why,
        }


class EdgeRegistry(Mapping[str, EdgeKind]):
    """All edge kinds by id, in registration order. ``EDGE_KINDS.frame()`` is the model as a table."""

    def __init__(self) -> None:
        self._kinds: dict[str, EdgeKind] = {}

    def add(self, k: EdgeKind) -> None:
        if k.id in self._kinds:
            raise ValueError(f"edge kind {k.id!r} registered twice")
        self._kinds[k.id] = k

    def __getitem__(self, key: str) -> EdgeKind:
        return self._kinds[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [k.as_dict() for k in self._kinds.values()],
            columns=["id", "group", "technique", "attack", "title", "certainty", "rests_on", "structural", "why"],
        )

    def __repr__(self) -> str:
        return f"<{len(self)} edge kinds>"


EDGE_KINDS = EdgeRegistry()


def edge(
    id: str,
    *,
    group: str,
    technique: str,
    title: str,
    why: str,
    attack: tuple[str, ...] = (),
    rests_on: tuple[str, ...] = (),
    on: str = "",
    structural: bool = False,
    certainty: str = "certain",
) -> Callable[[Callable[[Context], pd.DataFrame]], Callable[[Context], pd.DataFrame]]:
    """Register an edge kind (see the module docstring for the contract)."""
    if group not in GROUPS:
        raise ValueError(f"{id}: group {group!r} is not one of {list(GROUPS)}")
    unknown = [a for a in attack if a not in ATTACK]
    if unknown:
        raise ValueError(f"{id}: unknown ATT&CK ids {unknown}")
    if certainty not in ("certain", "possible", "either"):
        raise ValueError(f"{id}: certainty {certainty!r}")

    def deco(fn: Callable[[Context], pd.DataFrame]) -> Callable[[Context], pd.DataFrame]:
        EDGE_KINDS.add(
            EdgeKind(
                id=id,
                group=group,
                technique=technique,
                title=title,
                why=why,
                fn=fn,
                attack=tuple(attack),
                rests_on=tuple(rests_on),
                on=on,
                structural=structural,
                certainty=certainty,
            )
        )
        return fn

    return deco


def no_edges() -> pd.DataFrame:
    return _NO_EDGES.copy(deep=False)


_NO_EDGES = pd.DataFrame(
    {
        "source": pd.Series([], dtype=object),
        "target": pd.Series([], dtype=object),
        "certain": pd.Series([], dtype=bool),
        "evidence": pd.Series([], dtype=object),
        "rests": pd.Series([], dtype=object),
    }
)


def object_array(v: Any, n: int) -> np.ndarray:
    """A column as a 1-d object array of ``n`` values (a scalar repeated; lists stay values, never a dimension)."""
    a = np.empty(n, dtype=object)
    a[:] = [v] * n if pd.api.types.is_scalar(v) else list(v.to_numpy()) if isinstance(v, pd.Series) else list(v)
    return a


def first_each(rows: list[tuple[Any, ...]], key: Callable[[tuple[Any, ...]], Any]) -> list[tuple[Any, ...]]:
    """The first of ``rows`` with each ``key(row)``, in order."""
    seen: set[Any] = set()
    out = []
    for r in rows:
        k = key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def text(*parts: Any) -> Any:
    """The parts joined, or NA when one is missing (as text columns of the frames add up)."""
    return "".join(parts) if all(type(p) is str for p in parts) else pd.NA


def edges(source: Any, target: Any, evidence: Any, rests: Any, certain: Any = True) -> pd.DataFrame:
    """An edge frame from columns (arrays or Series, aligned by position; scalars broadcast)."""
    cols = {"source": source, "target": target, "certain": certain, "evidence": evidence, "rests": rests}
    n = next((len(v) for k, v in cols.items() if not pd.api.types.is_scalar(v) and k != "rests"), None)
    if n is None:
        n = 1
        cols["rests"] = [rests]
    if n == 0:
        return no_edges()
    arrays = {k: object_array(cols[k], n) for k in EDGE_COLUMNS}
    df = pd.DataFrame(arrays, dtype=object, copy=False)
    df.isetitem(EDGE_COLUMNS.index("certain"), arrays["certain"].astype(bool))  # one column, no second frame
    return df
