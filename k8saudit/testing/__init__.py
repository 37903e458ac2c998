"""Test helpers: a Kubernetes API server that runs in-process on 127.0.0.1."""

from __future__ import annotations

from k8saudit.testing.apiserver import (
    BUILTIN_TYPES,
    FAULT_BODIES,
    FakeApiServer,
    Fault,
    MemoryStore,
    RequestRecord,
    ResourceType,
    Store,
)

__all__ = [
    "BUILTIN_TYPES",
    "FAULT_BODIES",
    "FakeApiServer",
    "Fault",
    "MemoryStore",
    "RequestRecord",
    "ResourceType",
    "Store",
]
