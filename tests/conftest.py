"""Shared pytest setup: the repository root, a busy machine and a deterministic hypothesis
profile."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("qingliu", deadline=None, max_examples=100,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("qingliu")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (where pyproject.toml is)."""
    return REPO


@pytest.fixture
def cpu_hog() -> Iterator[subprocess.Popen[bytes]]:
    """A CPU-bound process beside the test (a busy machine), stopped at the end."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield hog
    finally:
        hog.kill()
        hog.wait(10)
