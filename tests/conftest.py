from __future__ import annotations

import pytest

import k8saudit as ka


@pytest.fixture(scope="session")
def sample_snap() -> ka.Snapshot:
    """The bundled sample cluster, loaded once per test session (treat it as read-only)."""
    return ka.sample()
