"""Snapshot: the raw objects of one cluster, where each came from, what could not be read.

Frames are derived lazily and cached (``snap.workloads``, ``snap.containers``, ...).
A snapshot of several clusters (``Snapshot.combine``) concatenates its members'
frames; every frame has a ``cluster`` column either way.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import json
import os
import warnings
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import msgspec
import pandas as pd

from . import _model as m
from . import frames as _frames
from ._normalize import RULES_VERSION, mask_container, mask_containers, mask_metadata, normalize
from ._podspec import TemplateIndex, residual
from ._util import gc_paused
from .vocab import NOTED, SKIPPED_COLUMNS, UNREADABLE

T = TypeVar("T")

SNAPSHOT_FORMAT = "k8saudit-snapshot"
#: 2: snapshot.json holds a sha256 per object file (version 1 snapshots are read, unverified)
SNAPSHOT_VERSION = 2


def category_not_assessed(category: str | None) -> bool:
    """True when a skipped row of this category means something was not assessed (see :data:`NOTED`)."""
    return category not in NOTED


class SnapshotError(Exception):
    """A snapshot (or its source) cannot be read at all; the message says why."""


class Admitted(NamedTuple):
    """What :meth:`Snapshot.admit_page` admitted of a page (duplicates left out) and the rows it recorded."""

    objs: list[Any]
    sources: list[str]
    skipped: list[dict[str, Any]]


class _Bucket:
    __slots__ = ("items", "lines", "sources")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.sources: list[str] = []
        self.lines: list[int] = []


class Snapshot:
    """The objects of one cluster, grouped by kind, with provenance.

    Build one with :func:`k8saudit.load`, :func:`k8saudit.sample` or
    :func:`k8saudit.load_cluster`; inspect it through its frames.
    """

    def __init__(
        self,
        cluster: str = "cluster",
        *,
        source: str = "",
        captured_at: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.cluster = cluster
        self.source = source
        self.captured_at = captured_at or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        #: free-form facts about the capture: server_version, origin ("files", "live", ...)
        self.meta: dict[str, Any] = dict(meta or {})
        self.kubeconfig_entries: list[dict[str, Any]] = []
        self.members: list[Snapshot] = []
        self._buckets: dict[str, _Bucket] = {}
        self._skipped: list[dict[str, Any]] = []
        #: (kind, namespace, name) → (source, object) of every object kept so far (duplicates are refused)
        self._keys: dict[tuple[str, str | None, str | None], tuple[str, Any]] | None = {}
        self._frames: dict[str, pd.DataFrame] = {}
        #: indexes several frames are built from (see :class:`k8saudit.frames.Derived`), by name
        self._derived: dict[str, Any] = {}
        #: uid of every pod-template owner seen so far → what its template says (canonical keys)
        self._templates: dict[str, TemplateIndex] = {}
        #: an owned object was kept before its owner's template was known: :meth:`compact` has work to do
        self._unowned = False
        #: (kind, namespace, generateName) → how many objects named only by that generateName were kept so far
        self._generated: dict[tuple[str, str | None, str], int] = {}
        #: kind → how many objects of it :meth:`release_objects` freed (they still count; reading them is an error)
        self._released: dict[str, int] = {}

    # ------------------------------------------------------------------ building

    def add(self, obj: Any, source: str = "", line: int = 0, *, dedupe: bool = True) -> bool:
        """Keep one decoded object (normalised: no secret values). False for a duplicate."""
        if not self._admit(obj, source, dedupe):
            return False
        b = self._buckets.get(obj.kind)
        if b is None:
            b = self._buckets[obj.kind] = _Bucket()
        b.items.append(obj)
        b.sources.append(source)
        b.lines.append(line)
        self.drop_frames()
        return True

    def add_many(self, kind: str, objs: list[Any], sources: list[str], lines: list[int] | None = None) -> None:
        """Keep a batch of objects of one kind (the path for large lists); duplicates are reported."""
        lines = lines if lines is not None else [0] * len(objs)
        keep = [self._admit(o, src, True) for o, src in zip(objs, sources)]
        if not all(keep):
            objs = [o for o, k in zip(objs, keep) if k]
            sources = [x for x, k in zip(sources, keep) if k]
            lines = [x for x, k in zip(lines, keep) if k]
        self.keep_many(kind, objs, sources, lines)

    def admit_page(self, objs: list[Any], sources: list[str]) -> Admitted:
        """Normalise and compact a page of objects as it arrives, without keeping them yet (see
        :meth:`keep_many`): the live loader compacts each page while the next is fetched, and keeps the
        kinds in the order files would have them. What it recorded can be taken back (:meth:`forget`)."""
        before = len(self._skipped)
        keep = [self._admit(o, src, True) for o, src in zip(objs, sources)]
        if not all(keep):
            objs = [o for o, k in zip(objs, keep) if k]
            sources = [x for x, k in zip(sources, keep) if k]
        return Admitted(objs, sources, self._skipped[before:])

    def forget(self, admitted: Admitted) -> None:
        """Take back what :meth:`admit_page` recorded (a list read again from its start after its continue
        token expired reads the same objects again: they are not duplicates)."""
        skipped = {id(r) for r in admitted.skipped}
        if skipped:
            self._skipped = [r for r in self._skipped if id(r) not in skipped]
        for o in admitted.objs:
            md = o.metadata
            key = (o.kind, md.namespace, md.name)
            if self._keys is not None and (got := self._keys.get(key)) is not None and got[1] is o:
                del self._keys[key]
            if md.uid:
                self._templates.pop(md.uid, None)
            if md.generate_name and md.name and md.name.startswith(md.generate_name + "*"):
                gen = (o.kind, md.namespace, md.generate_name)
                self._generated[gen] -= 1

    def keep_many(self, kind: str, objs: list[Any], sources: list[str], lines: list[int] | None = None) -> None:
        """Keep objects :meth:`admit_page` admitted already."""
        b = self._buckets.get(kind)
        if b is None:
            b = self._buckets[kind] = _Bucket()
        b.items.extend(objs)
        b.sources.extend(sources)
        b.lines.extend(lines if lines is not None else [0] * len(objs))
        self.drop_frames()

    def owner_templates(self) -> tuple[list[m.PodSpec | None], dict[str, int]]:
        """The pod templates owned objects are compacted against, each once, and the index of each owner's
        (by uid): what the files loader's workers compact pods against (secret rules applied already)."""
        specs: list[m.PodSpec | None] = []
        at: dict[int, int] = {}
        uids: dict[str, int] = {}
        for uid, tpl in self._templates.items():
            i = at.get(id(tpl))
            if i is None:
                i = at[id(tpl)] = len(specs)
                specs.append(tpl.spec)
            uids[uid] = i
        return specs, uids

    @property
    def template_index(self) -> dict[str, TemplateIndex]:
        """Owner's uid → the template owned objects are compacted against (read only: see :meth:`owner_templates`)."""
        return self._templates

    def keep_compacted(self, pods: list[m.Pod], sources: list[str], whole: list[int]) -> bool:
        """Keep pods admitted elsewhere already (the files loader's workers: secret rules applied, compacted
        against :meth:`owner_templates`, namespace defaulted), as :meth:`add_many` would keep them; the pods at
        the indexes ``whole`` (named by ``generateName`` or holding ``*``) are only masked, and admitted here.
        False, and nothing kept, when one of the others was kept already or comes twice: a duplicate is
        compared with the whole object (the caller admits the batch itself)."""
        admitted = self.admit_compacted(pods, sources, whole)
        if admitted is None:
            return False
        self.keep_many("Pod", admitted.objs, admitted.sources)
        return True

    def admit_compacted(self, pods: list[m.Pod], sources: list[str], whole: list[int]) -> Admitted | None:
        """:meth:`keep_compacted` without keeping them yet, as :meth:`admit_page` (the live loader's pods pages a
        worker process compacted); None, and nothing recorded, where :meth:`keep_compacted` is False."""
        keys = self._keys
        left = set(whole)
        if keys is not None:
            batch: set[tuple[str, str | None, str | None]] = set()
            for i, p in enumerate(pods):
                if i in left:
                    continue
                key = ("Pod", p.metadata.namespace, p.metadata.name)
                if key in keys or key in batch:
                    return None
                batch.add(key)
        before = len(self._skipped)
        objs, srcs = [], []
        templates = self._templates
        for i, (p, src) in enumerate(zip(pods, sources)):
            if i in left:
                if not self._admit(p, src, True):
                    continue
            else:
                md = p.metadata
                if keys is not None:
                    keys[("Pod", md.namespace, md.name)] = (src, p)
                if not self._unowned and p.spec is not None:
                    ref = m.controller_ref(md.owner_references)
                    if ref is not None and (ref.uid or "") not in templates:
                        self._owner_unknown(ref)
            objs.append(p)
            srcs.append(src)
        return Admitted(objs, srcs, self._skipped[before:])

    def _admit(self, obj: Any, source: str, dedupe: bool) -> bool:
        """Normalise an object about to be kept (secret rules, defaults, compaction); False for a duplicate.

        An object compacted against its owner's template (a pod, a ReplicaSet, a Job) is masked once
        compacted, only in what it keeps: the template was masked when its owner was kept, and what the
        rules would mask cannot make a container equal to its template's that was not (masking is
        idempotent), so the kept object is the same either way."""
        owned = isinstance(obj, _OWNED) and self._owner_template(obj) is not None
        if owned:
            mask_metadata(obj.metadata)
            tpl = m.pod_template(obj)
            if tpl is not None and tpl.metadata is not obj.metadata:
                mask_metadata(tpl.metadata)
        else:
            normalize(obj)
        md = obj.metadata
        if md.namespace is None and isinstance(obj, m.K8sObject) and type(obj).api[2]:
            md.namespace = "default"
        if md.name is None and md.generate_name:
            # the API server names each one apart: so does k8saudit, in reading order (``job-*``, ``job-*2``,
            # ...), never a duplicate of the one before (that one would have gone unassessed)
            gen = (obj.kind, md.namespace, md.generate_name)
            n = self._generated[gen] = self._generated.get(gen, 0) + 1
            md.name = md.generate_name + ("*" if n == 1 else f"*{n}")
        if dedupe and self._keys is not None:
            key = (obj.kind, md.namespace, md.name)
            first = self._keys.get(key)
            if first is not None:
                if owned:
                    normalize(obj)  # compared as it would be kept
                self._duplicate(obj, source, *first)
                return False
            self._keys[key] = (source, obj)
        self._compact_one(obj)
        return True

    def _owner_template(self, obj: Any) -> TemplateIndex | None:
        """The template of the owner ``obj`` (a pod, a ReplicaSet, a Job) is compacted against, when known."""
        ref = m.controller_ref(obj.metadata.owner_references)
        return self._templates.get(ref.uid or "") if ref is not None else None

    def _duplicate(self, obj: Any, source: str, first: str, kept: Any) -> None:
        """Report an object seen twice: ``duplicate`` when both say the same, else ``conflict`` (the first is kept)."""
        kind, md = obj.kind, obj.metadata
        file, _, doc = source.partition("#")
        what = f"{kind} {_qual(md.namespace, md.name)}"
        if self._comparable(obj, kept) == _ENC.encode(kept):
            self.skip(
                file,
                f"duplicate {what}: already loaded from {first}; the first one is kept",
                category="duplicate",
                document=doc.split(" ")[0] or None,
                kind=kind,
                namespace=md.namespace,
                name=md.name,
            )
            return
        self.skip(
            file,
            f"conflict: {what} from {source} differs from the one loaded from {first}; the one from "
            f"{first} is kept and assessed, this one is not",
            category="conflict",
            document=doc.split(" ")[0] or None,
            kind=kind,
            namespace=md.namespace,
            name=md.name,
        )

    def _comparable(self, obj: Any, kept: Any) -> bytes:
        """``obj`` encoded as it would be kept (compacted like ``kept`` was), to compare with it."""
        if isinstance(obj, m.Pod) and obj.spec is not None:
            ref = m.controller_ref(obj.metadata.owner_references)
            tpl = self._templates.get(ref.uid or "") if ref is not None else None
            if tpl is not None:
                return _ENC.encode(msgspec.structs.replace(obj, spec=residual(obj.spec, tpl, obj.metadata.name)))
        if isinstance(obj, (m.ReplicaSet, m.Job)):
            mine, theirs = m.pod_template(obj), m.pod_template(kept)
            idx = self._templates.get(kept.metadata.uid or "")
            if (
                mine is not None
                and mine.spec is not None
                and theirs is not None
                and theirs.spec is None
                and idx is not None
                and idx.same(mine.spec)
            ):
                spec, mine.spec = mine.spec, None
                try:
                    return _ENC.encode(obj)
                finally:
                    mine.spec = spec
        return _ENC.encode(obj)

    # ------------------------------------------------------------------ compaction
    #
    # A live capture holds every pod and ReplicaSet beside the Deployment that owns them: 100k copies
    # of a few hundred templates. Frames read a workload's template once, so an owned object keeps
    # only what its owner's template does not say (see ``_podspec``): a ReplicaSet or Job whose
    # template is its owner's drops it (an older revision keeps its own); a pod keeps the containers
    # that differ from its template's or that it lacks (sidecars injected by admission webhooks,
    # containers a webhook or an edit changed), its ephemeral containers, the volumes its template
    # lacks, and its own fields (host namespaces, security context, service account, node).

    def _compact_one(self, obj: Any) -> None:
        if isinstance(obj, m.Pod):
            self._compact_pod(obj)
            return
        if not isinstance(obj, _TEMPLATE_OWNERS):
            return
        tpl = m.pod_template(obj)
        spec = tpl.spec if tpl is not None else None
        uid = obj.metadata.uid
        owner = None
        if isinstance(obj, (m.ReplicaSet, m.Job)):
            ref = m.controller_ref(obj.metadata.owner_references)
            if ref is not None:
                owner = self._templates.get(ref.uid or "")
                if owner is None:
                    self._owner_unknown(ref)
        if owner is not None and spec is not None and not owner.same(spec):
            mask_containers(spec)  # kept: the secret rules apply to it (admitted unmasked, see _admit)
        if owner is not None and (spec is None or owner.same(spec)):
            if tpl is not None:
                tpl.spec = None  # the owner's template is the one the frames read
            if uid:
                self._templates[uid] = owner
        elif uid and spec is not None:
            self._templates[uid] = TemplateIndex(spec)

    def _compact_pod(self, pod: m.Pod) -> None:
        spec = pod.spec
        ref = m.controller_ref(pod.metadata.owner_references)
        if spec is None or ref is None:
            return
        tpl = self._templates.get(ref.uid or "")
        if tpl is None:
            self._owner_unknown(ref)
            return
        pod.spec = residual(spec, tpl, pod.metadata.name, mask_container)

    def _owner_unknown(self, ref: m.OwnerReference) -> None:
        """An object names an owner whose template is not loaded (yet): unless that owner cannot hold a pod
        template (a Node's mirror pod), compaction has objects left to do once owners come later."""
        if ref.kind is None or ref.kind in m.POD_TEMPLATE_KINDS:
            self._unowned = True

    def compact(self) -> None:
        """Drop what owned objects repeat from their owners' templates (see above); idempotent. Objects
        kept after their owners were compacted then: nothing to do unless some came first."""
        if self._unowned:
            self._compact_all()
        # loading is over: the keys the comparisons needed are computed again if more objects come
        for tpl in self._templates.values():
            tpl.release()

    def _compact_all(self) -> None:
        self._unowned = False
        for kind in m.OWNERS_FIRST:
            for o in self.items(kind):
                self._compact_one(o)
        self.drop_frames()

    def skip(
        self,
        source: str,
        reason: str,
        *,
        category: str = "invalid",
        document: int | str | None = None,
        kind: str | None = None,
        namespace: str | None = None,
        name: str | None = None,
    ) -> None:
        """Record something that could not be read, and why."""
        self._skipped.append(
            {
                "cluster": self.cluster,
                "source": source,
                "document": None if document is None else str(document),
                "kind": kind,
                "namespace": namespace,
                "name": name,
                "category": category,
                "reason": reason,
            }
        )
        self._frames.pop("skipped", None)

    # ------------------------------------------------------------------ reading

    def items(self, kind: str) -> list[Any]:
        """The objects of one kind (typed structs; ``msgspec.to_builtins`` gives dicts)."""
        if self.members:
            return [o for s in self.members for o in s.items(kind)]
        self._not_released(kind)
        b = self._buckets.get(kind)
        return b.items if b is not None else []

    def provenance(self, kind: str) -> list[tuple[str, int]]:
        """(source, line) of each object of ``kind``, in the order of :meth:`items`."""
        if self.members:
            return [p for s in self.members for p in s.provenance(kind)]
        self._not_released(kind)
        b = self._buckets.get(kind)
        return list(zip(b.sources, b.lines)) if b is not None else []

    def iter_objects(self) -> Iterator[tuple[Any, str, int]]:
        for kind in self.kinds:
            self._not_released(kind)
            b = self._buckets[kind]
            yield from zip(b.items, b.sources, b.lines)

    def release_objects(self, keep: Iterable[str] = ()) -> None:
        """Free the loaded objects of every kind but ``keep``, once the frames built from them are all a command
        needs (``k8saudit scan`` after its frames; not the notebook API, where users go on exploring). They still
        count (:attr:`kinds`, ``len``); reading them afterwards, or a frame built from them that is not built yet,
        is a :class:`SnapshotError`, never an empty answer."""
        wanted = set(keep)
        for s in self.members or [self]:
            for kind, b in s._buckets.items():
                if kind in wanted or not b.items:
                    continue
                s._released[kind] = s._released.get(kind, 0) + len(b.items)
                b.items, b.sources, b.lines = [], [], []
            # the index of duplicates and the pod templates hold the objects too; both serve only while objects
            # are added
            s._keys = None
            s._templates.clear()

    def _not_released(self, kind: str) -> None:
        if kind in self._released:
            raise SnapshotError(
                f"the {kind} objects of {self.cluster!r} were released to save memory: read them before "
                "release_objects()"
            )

    def get(self, kind: str, namespace: str | None, name: str) -> Any | None:
        """One object by kind, namespace and name, or None."""
        for o in self.items(kind):
            if o.metadata.name == name and o.metadata.namespace == namespace:
                return o
        return None

    @property
    def kinds(self) -> dict[str, int]:
        """How many objects of each kind were loaded."""
        if self.members:
            out: dict[str, int] = {}
            for s in self.members:
                for k, n in s.kinds.items():
                    out[k] = out.get(k, 0) + n
            return out
        return {k: len(b.items) + self._released.get(k, 0) for k, b in self._buckets.items()}

    def __len__(self) -> int:
        return sum(self.kinds.values())

    def __repr__(self) -> str:
        kinds = ", ".join(f"{k}={n}" for k, n in sorted(self.kinds.items()))
        return (
            f"<Snapshot {self.cluster!r} from {self.source or '?'} at {self.captured_at}: "
            f"{len(self)} object{'' if len(self) == 1 else 's'} ({kinds}); {len(self.skipped_records)} skipped>"
        )

    @property
    def clusters(self) -> list[str]:
        return [s.cluster for s in self.members] if self.members else [self.cluster]

    @property
    def skipped_records(self) -> list[dict[str, Any]]:
        if self.members:
            return [r for s in self.members for r in s.skipped_records]
        return self._skipped

    @property
    def skipped(self) -> pd.DataFrame:
        """What could not be read: one row per file, document, object or kind, with the reason."""
        df = pd.DataFrame(self.skipped_records, columns=SKIPPED_COLUMNS)
        return df.astype({c: "string" for c in SKIPPED_COLUMNS})

    def namespaces_named(self) -> set[str]:
        """Every namespace the snapshot names: its Namespace objects, the namespaces of its objects, and those of
        what could not be read (a live list forbidden in a namespace is something there, not nothing)."""
        got: set[str | None] = set()
        for s in self.members or [self]:
            for kind in s.kinds:
                s._not_released(kind)
                if kind == "Namespace":
                    got.update(o.metadata.name for o in s._buckets[kind].items)
                else:
                    got.update(o.metadata.namespace for o in s._buckets[kind].items)
            got.update(r.get("namespace") for r in s.skipped_records)
        return {n for n in got if n}

    def unreadable_kinds(self) -> dict[str, str]:
        """Kinds the source could not list at all (403, not served, errors at cluster scope) → reason."""
        out: dict[str, str] = {}
        for r in self.skipped_records:
            if r["category"] in UNREADABLE and r["kind"] and not r["name"] and not r["namespace"]:
                out.setdefault(r["kind"], r["reason"])
        return out

    @property
    def apiserver_visible(self) -> bool:
        """True when the kube-apiserver's flags could be read (its static pod is present)."""
        return not self.frame("apiserver").empty

    # ------------------------------------------------------------------ frames

    def frame(self, name: str) -> pd.DataFrame:
        """A frame by name (see :data:`k8saudit.frames.FRAMES`), built once and cached."""
        cached = self._frames.get(name)
        if cached is not None:
            return cached
        spec = _frames.spec(name)
        for kind in (*spec.kinds, *(k for c in spec.columns for k in c.kinds or ())):
            self._not_released(kind)
        if self.members:
            parts = [s.frame(name) for s in self.members]
            df = pd.concat(parts, ignore_index=True) if parts else spec.empty()
        else:
            with gc_paused():
                df = spec(self)
        self._frames[name] = df
        return df

    def derived(self, index: _frames.Derived[T]) -> T:
        """An index some frames are built from (the workloads pods roll up to, ...), built once and cached."""
        if index.name not in self._derived:
            self._derived[index.name] = index.build(self)
        got: T = self._derived[index.name]
        return got

    def forget_frame(self, name: str) -> None:
        """Forget one built frame (it is built again on use); the indexes frames are built from stay."""
        self._frames.pop(name, None)

    def drop_frames(self, keep: Iterable[str] = ()) -> None:
        """Forget the frames built so far (but those named in ``keep``) and the indexes they were built
        from, to free their memory; they are built again on use."""
        kept = {k: self._frames[k] for k in keep if k in self._frames}
        self._frames.clear()
        self._frames.update(kept)
        self._derived.clear()

    # One accessor per frame (``snap.workloads``, ...) is made from the frame specs (see _frame_accessor
    # below), with the spec's docstring. The names are also declared here, for type checkers and editors
    # (a test keeps them the frames' names).
    objects: pd.DataFrame
    workloads: pd.DataFrame
    containers: pd.DataFrame
    env: pd.DataFrame
    volumes: pd.DataFrame
    rbac: pd.DataFrame
    nodes: pd.DataFrame
    services: pd.DataFrame
    network_policies: pd.DataFrame
    namespaces: pd.DataFrame
    apiserver: pd.DataFrame
    kubeconfig_users: pd.DataFrame
    pdbs: pd.DataFrame
    service_accounts: pd.DataFrame
    config_maps: pd.DataFrame
    secrets: pd.DataFrame

    # ------------------------------------------------------------------ combining

    @classmethod
    def combine(cls, snaps: Iterable[Snapshot]) -> Snapshot:
        """One snapshot of several clusters; frames gain rows from each (``cluster`` tells them apart)."""
        snaps = list(snaps)
        names = [s.cluster for s in snaps]
        if len(set(names)) != len(names):
            raise SnapshotError(f"cluster names must differ to combine snapshots: {names}")
        out = cls(
            "+".join(names),
            source=", ".join(s.source for s in snaps),
            captured_at=max((s.captured_at for s in snaps), default=None),
        )
        out.members = snaps
        return out

    def in_namespaces(self, namespaces: Iterable[str]) -> Snapshot:
        """The objects of these namespaces only, like ``kubectl -n``: a namespaced object is kept when its
        namespace is listed, a Namespace when its name is, and a cluster-scoped object (Node, ClusterRole,
        ClusterRoleBinding, ...) always, since it applies to every namespace. What could not be read is kept
        unless it names another namespace. The same rule as a live read with ``namespaces=``."""
        keep = set(namespaces)
        if self.members:
            return Snapshot.combine(s.in_namespaces(keep) for s in self.members)
        for kind in self._released:
            self._not_released(kind)
        out = Snapshot(
            self.cluster,
            source=self.source,
            captured_at=self.captured_at,
            meta={**self.meta, "namespaces": sorted(keep)},
        )
        out.kubeconfig_entries = list(self.kubeconfig_entries)
        out._keys = None
        for kind, b in self._buckets.items():
            nb = _Bucket()
            for o, src, line in zip(b.items, b.sources, b.lines):
                md = o.metadata
                if (md.name in keep) if kind == "Namespace" else (md.namespace is None or md.namespace in keep):
                    nb.items.append(o)
                    nb.sources.append(src)
                    nb.lines.append(line)
            if nb.items:
                out._buckets[kind] = nb
        out._skipped = [dict(r) for r in self._skipped if not r.get("namespace") or r["namespace"] in keep]
        return out

    # ------------------------------------------------------------------ save / load

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the snapshot to a directory that :func:`k8saudit.load` reads back exactly."""
        if self.members:
            raise SnapshotError("save each member of a combined snapshot on its own")
        for kind in self._released:
            self._not_released(kind)
        root = Path(path)
        if root.exists() and not root.is_dir():
            raise SnapshotError(f"{root}: is a file; a snapshot is saved to a directory")
        try:
            return self._save(root)
        except OSError as e:
            where = e.filename if isinstance(e.filename, str) and e.filename != str(root) else root
            raise SnapshotError(f"{where}: cannot write the snapshot: {e.strerror or e}") from None

    def _save(self, root: Path) -> Path:
        root.mkdir(parents=True, exist_ok=True)
        (root / "objects").mkdir(exist_ok=True)
        for old in (root / "objects").glob("*.json.gz"):
            old.unlink()
        kinds = {}
        enc = msgspec.json.Encoder()
        for kind, b in self._buckets.items():
            fname = f"objects/{kind}.json.gz"
            body = b"".join(
                [
                    b'{"kind":',
                    enc.encode(kind),
                    b',"items":',
                    enc.encode(b.items),
                    b',"sources":',
                    enc.encode(b.sources),
                    b',"lines":',
                    enc.encode(b.lines),
                    b"}",
                ]
            )
            blob = gzip.compress(body, compresslevel=5, mtime=0)
            with open(root / fname, "wb") as fh:
                fh.write(blob)
            kinds[kind] = {"count": len(b.items), "file": fname, "sha256": hashlib.sha256(blob).hexdigest()}
        manifest = {
            "format": SNAPSHOT_FORMAT,
            "version": SNAPSHOT_VERSION,
            "cluster": self.cluster,
            "captured_at": self.captured_at,
            "source": self.source,
            "masking": RULES_VERSION,
            "meta": self.meta,
            "kinds": kinds,
            "skipped": self._skipped,
            "kubeconfig": self.kubeconfig_entries,
        }
        (root / "snapshot.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        return root

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Snapshot:
        """Read a directory written by :meth:`save`."""
        with gc_paused():
            return cls._read(Path(path))

    @classmethod
    def _read(cls, root: Path) -> Snapshot:
        where = root / "snapshot.json"
        if not where.is_file():
            raise SnapshotError(f"{root}: not a k8saudit snapshot (no snapshot.json)")
        try:
            manifest = json.loads(where.read_text())
        except (OSError, ValueError) as e:
            raise SnapshotError(f"{where}: not a readable k8saudit snapshot ({e})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != SNAPSHOT_FORMAT:
            fmt = manifest.get("format") if isinstance(manifest, dict) else None
            raise SnapshotError(f"{where}: not a k8saudit snapshot (format {fmt!r})")
        version = manifest.get("version", 0)
        if not isinstance(version, int) or version > SNAPSHOT_VERSION:
            raise SnapshotError(f"{root}: snapshot format version {version!r} is newer than this k8saudit understands")
        kinds = manifest.get("kinds", {})
        skipped = manifest.get("skipped", [])
        if (
            not isinstance(kinds, dict)
            or not isinstance(skipped, list)
            or not all(isinstance(r, dict) for r in skipped)
        ):
            raise SnapshotError(f"{where}: `kinds` must be a mapping and `skipped` a list of records")
        snap = cls(
            str(manifest.get("cluster", root.name)),
            source=str(manifest.get("source", str(root))),
            captured_at=manifest.get("captured_at"),
            meta=manifest.get("meta") if isinstance(manifest.get("meta"), dict) else None,
        )
        snap._skipped = [{c: r.get(c) for c in SKIPPED_COLUMNS} for r in skipped]
        snap.kubeconfig_entries = list(manifest.get("kubeconfig", []))
        # written before the current secret rules: apply them now (the objects may hold values they mask)
        stale = not isinstance(manifest.get("masking"), int) or manifest["masking"] < RULES_VERSION
        unverified = []
        for kind, info in kinds.items():
            path, digest = _saved_file(root, where, kind, info)
            try:
                blob = path.read_bytes()
            except OSError as e:
                raise SnapshotError(f"{path}: cannot read the saved {kind} objects: {e.strerror or e}") from None
            if digest is None:
                unverified.append(kind)
            elif hashlib.sha256(blob).hexdigest() != digest:
                raise SnapshotError(
                    f"{path}: content does not match the sha256 recorded in {where}: the snapshot "
                    "was altered or damaged after it was saved; refusing to read it"
                )
            tp = m.KINDS.get(kind, m.Generic)
            try:
                data: Any = msgspec.json.Decoder(_saved_bucket(tp)).decode(gzip.decompress(blob))
            except (msgspec.DecodeError, EOFError, gzip.BadGzipFile, OSError, RecursionError) as e:
                raise SnapshotError(f"{path}: not a readable list of saved {kind} objects: {e}") from None
            n = len(data.items)
            if len(data.sources) != n or len(data.lines) != n or data.kind != kind:
                raise SnapshotError(
                    f"{path}: inconsistent saved {kind} objects: {n} items, {len(data.sources)} "
                    f"sources, {len(data.lines)} lines, kind {data.kind!r}"
                )
            if isinstance(info.get("count"), int) and info["count"] != n:
                raise SnapshotError(f"{path}: holds {n} {kind} objects, {where} says {info['count']}")
            if stale:
                for o in data.items:
                    normalize(o)
            b = snap._buckets[kind] = _Bucket()
            b.items, b.sources, b.lines = data.items, data.sources, data.lines
        if unverified:
            snap.meta["integrity"] = (
                f"unverified: snapshot format {version} records no content hashes ({', '.join(unverified)})"
            )
            warnings.warn(f"{root}: {snap.meta['integrity']}; save it again to add them", stacklevel=3)
        else:
            snap.meta["integrity"] = "verified (sha256 of every object file)"
        snap._keys = None
        return snap


def _saved_file(root: Path, where: Path, kind: str, info: Any) -> tuple[Path, str | None]:
    """The object file of one kind (only ever inside the snapshot's directory) and its recorded sha256."""
    if not isinstance(info, dict) or not isinstance(info.get("file"), str):
        raise SnapshotError(f"{where}: kinds.{kind} must be a mapping with a `file`")
    name = info["file"]
    rel = Path(name)
    inside = root.resolve()
    if rel.is_absolute() or ".." in rel.parts or "\\" in name or not (root / rel).resolve().is_relative_to(inside):
        raise SnapshotError(f"{where}: kinds.{kind}.file {name!r} is not a file inside the snapshot; refusing it")
    digest = info.get("sha256")
    if digest is not None and not (isinstance(digest, str) and len(digest) == 64):
        raise SnapshotError(f"{where}: kinds.{kind}.sha256 is not a sha256 hex digest")
    return root / rel, digest


def _frame_accessor(spec: _frames.FrameSpec, added: bool) -> None:
    """``Snapshot.<frame>``: a property per registered frame, its docstring the frame's (what one row is)."""
    if not added:
        if isinstance(Snapshot.__dict__.get(spec.name), property):
            delattr(Snapshot, spec.name)
        return
    if spec.name in Snapshot.__dict__:
        raise ValueError(f"frame {spec.name!r} would hide Snapshot.{spec.name}")
    name = spec.name

    def get(self: Snapshot) -> pd.DataFrame:
        return self.frame(name)

    get.__name__ = name
    setattr(Snapshot, name, property(get, doc=spec.doc))


_frames.on_register(_frame_accessor)

_ENC = msgspec.json.Encoder()

_saved_types: dict[type, type] = {}


def _saved_bucket(tp: type) -> type:
    """The struct a saved ``objects/<Kind>.json.gz`` decodes into, for item type ``tp``."""
    st = _saved_types.get(tp)
    if st is None:
        st = _saved_types[tp] = msgspec.defstruct(
            "SavedBucket",
            [("kind", str), ("items", list[tp]), ("sources", list[str]), ("lines", list[int])],  # type: ignore[valid-type]
            gc=False,
        )
    return st


#: what is compacted against its owner's template
_OWNED = (m.Pod, m.ReplicaSet, m.Job)
_TEMPLATE_OWNERS = (m.Deployment, m.StatefulSet, m.DaemonSet, m.ReplicaSet, m.ReplicationController, m.Job, m.CronJob)


def _qual(namespace: str | None, name: str | None) -> str:
    return f"{namespace}/{name}" if namespace else str(name)


def is_saved_snapshot(path: str | os.PathLike[str]) -> bool:
    p = Path(path)
    return p.is_dir() and (p / "snapshot.json").is_file()


def looks_like_snapshot(path: str | os.PathLike[str]) -> bool:
    """A saved snapshot, or what is left of one: a directory (or its ``objects/``) holding the object files
    :meth:`Snapshot.save` writes. Told by their content, not their name alone, so a directory of compressed
    manifests (``pods.json.gz``) is not taken for one."""
    p = Path(path)
    if not p.is_dir():
        return False
    if is_saved_snapshot(p):
        return True
    return any(_is_object_file(f) for f in (*(p / "objects").glob("*.json.gz"), *p.glob("*.json.gz")))


def _is_object_file(path: Path) -> bool:
    """An ``objects/<Kind>.json.gz`` of a saved snapshot: ``{"kind":...,"items":`` as :meth:`Snapshot._save` writes
    it, with no space (``kubectl get -o json`` indents and starts with ``apiVersion``)."""
    try:
        with gzip.open(path, "rb") as fh:
            head = fh.read(200)
    except (OSError, EOFError, zlib.error):
        return False
    return head.startswith(b'{"kind":"') and b'","items":' in head
