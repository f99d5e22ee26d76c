"""Shared fixtures: paths of the repo, the sample clients, and a small client built in code."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # tests/realdata.py and other test helpers


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT

pytest_plugins = ["realdata"]  # the realdata_clients fixture (skips when ../shared/realdata is absent)

