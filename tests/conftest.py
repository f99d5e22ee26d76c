"""Shared fixtures: paths of the repo, the sample clients, and a small client built in code."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# the loader's cache of validated folders (kpi_helpers/loading/cache.py): one per test run, never ~/.cache
os.environ.setdefault("KPI_CACHE_DIR", tempfile.mkdtemp(prefix="kpi-test-cache-"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # tests/realdata.py and other test helpers


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT

pytest_plugins = ["realdata"]  # the realdata_clients fixture (skips when ../shared/realdata is absent)

