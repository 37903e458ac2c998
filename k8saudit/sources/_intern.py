"""Share equal strings between decoded objects, so a 100k-pod snapshot fits in memory.

Pods of one workload repeat the same images, env var names and values, mount
paths, label keys and values; msgspec gives each occurrence its own ``str``.
:class:`Interner` walks decoded objects once and makes equal strings one
object (about 40% less memory per pod). Fields that are unique per object
(names, uids, timestamps, pod IPs) are left alone: interning them saves nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi

from .. import _model as m

#: fields whose values are (nearly) unique per object
_UNIQUE: dict[type, frozenset[str]] = {
    m.ObjectMeta: frozenset({"name", "uid", "creation_timestamp", "generate_name"}),
    m.PodStatus: frozenset({"pod_ip"}),
    m.OwnerReference: frozenset({"uid"}),
}

_SCALARS = (mi.IntType, mi.BoolType, mi.FloatType, mi.NoneType)


def _may_hold_str(t: mi.Type) -> bool:
    if isinstance(t, mi.UnionType):
        return any(_may_hold_str(x) for x in t.types)
    return not isinstance(t, _SCALARS)


_plans: dict[type, tuple[str, ...]] = {}


def _plan(tp: type) -> tuple[str, ...]:
    """The fields of a struct type worth walking."""
    plan = _plans.get(tp)
    if plan is None:
        info = mi.type_info(tp)
        skip = _UNIQUE.get(tp, frozenset())
        fields = info.fields if isinstance(info, mi.StructType) else ()
        plan = _plans[tp] = tuple(f.name for f in fields if f.name not in skip and _may_hold_str(f.type))
    return plan


class Interner:
    """One table of strings for one load; safe to share between threads."""

    def __init__(self) -> None:
        self.table: dict[str, str] = {}

    def prepare(self, types: list[type]) -> None:
        """Build the walking plans up front (in one thread)."""
        for tp in types:
            self._prepare(tp, set())

    def _prepare(self, tp: Any, seen: set[Any]) -> None:
        if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)) or tp in seen:
            return
        seen.add(tp)
        _plan(tp)
        for f in msgspec.structs.fields(tp):
            for sub in _struct_types(f.type):
                self._prepare(sub, seen)

    def intern(self, objs: list[Any]) -> None:
        """Replace equal strings inside ``objs`` (in place) by one shared object."""
        sd = self.table.setdefault
        plans = _plans
        Struct = msgspec.Struct

        def walk(o: Any) -> None:
            tp = type(o)
            if tp is list:
                for i, v in enumerate(o):
                    tv = type(v)
                    if tv is str:
                        o[i] = sd(v, v)
                    elif v is not None and tv is not int and tv is not bool and tv is not float:
                        walk(v)
            elif tp is dict:
                for k, v in o.items():
                    tv = type(v)
                    if tv is str:
                        o[k] = sd(v, v)
                    elif v is not None and tv is not int and tv is not bool and tv is not float:
                        walk(v)
            else:
                plan = plans.get(tp)
                if plan is None:
                    plan = _plan(tp) if issubclass(tp, Struct) else ()
                for f in plan:
                    v = getattr(o, f)
                    if v is None:
                        continue
                    if type(v) is str:
                        setattr(o, f, sd(v, v))
                    else:
                        walk(v)

        for o in objs:
            walk(o)


def _struct_types(t: Any) -> list[type]:
    """Struct types mentioned in an annotation (through Optional, list, dict)."""
    out: list[type] = []
    stack = [t]
    while stack:
        x = stack.pop()
        if isinstance(x, type) and issubclass(x, msgspec.Struct):
            out.append(x)
        stack.extend(getattr(x, "__args__", ()) or ())
    return out
