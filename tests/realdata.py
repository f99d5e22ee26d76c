"""Test helper: where the real public datasets are, and client folders imported from them.

``REALDATA_DIR`` is ``../shared/realdata`` next to the repository root, or the folder named by the
environment variable ``KPI_REALDATA``. When it is absent, every test that needs it is SKIPPED with
the reason "real datasets not found at <path> (set KPI_REALDATA)", never failed.

Use in a test module::

    from realdata import REALDATA_MARKS, realdata_clients  # noqa: F401 (pytest fixture)

    pytestmark = REALDATA_MARKS   # or decorate single tests/classes with @requires_realdata

    def test_something(realdata_clients):
        ga360_folder = realdata_clients["ga360"]

``realdata_clients`` is session-scoped: every importer runs once per test session (about 4 s in
all), into a temporary folder, and later tests (scorecard agreement, notebooks) reuse the result.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = [
    "REPO_ROOT",
    "REALDATA_DIR",
    "SKIP_REASON",
    "FACEBOOK_ADS_DATE",
    "realdata_available",
    "skip_without_realdata",
    "REALDATA_MARKS",
    "requires_realdata",
    "dataset_dir",
    "realdata_dir",
    "realdata_imports",
    "realdata_clients",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
REALDATA_DIR = Path(os.environ.get("KPI_REALDATA") or REPO_ROOT.parent / "shared" / "realdata")
SKIP_REASON = f"real datasets not found at {REALDATA_DIR} (set KPI_REALDATA)"

#: The day every row of the undated Facebook ads dataset is written on in ``realdata_clients``.
FACEBOOK_ADS_DATE = "2024-01-15"


def realdata_available() -> bool:
    """True when REALDATA_DIR is a folder."""
    return REALDATA_DIR.is_dir()


#: Skip (with SKIP_REASON) when the real datasets are absent.
skip_without_realdata = pytest.mark.skipif(not realdata_available(), reason=SKIP_REASON)

#: For a module: ``pytestmark = REALDATA_MARKS`` (tagged ``realdata``, skipped when absent).
REALDATA_MARKS = [pytest.mark.realdata, skip_without_realdata]


def requires_realdata(obj):
    """Decorator for a test function or class: tag it ``realdata``, skip it when data is absent."""
    return pytest.mark.realdata(skip_without_realdata(obj))


def dataset_dir(source: str) -> Path:
    """The dataset folder of importer ``source`` (e.g. ``"ga360"``); skips the test if absent."""
    from kpi_helpers.importers import DATASET_FOLDERS

    path = REALDATA_DIR / DATASET_FOLDERS[source]
    if not path.is_dir():
        pytest.skip(f"real dataset {DATASET_FOLDERS[source]} not found at {path} "
                    "(set KPI_REALDATA)")
    return path


@pytest.fixture(scope="session")
def realdata_dir() -> Path:
    """REALDATA_DIR; skips the test when it is absent."""
    if not realdata_available():
        pytest.skip(SKIP_REASON)
    return REALDATA_DIR


_IMPORTED: dict[str, tuple[Path, dict[str, int]]] = {}


def _import_all(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, int]]]:
    """Run every importer once per process (cached); skip when a dataset folder is absent."""
    from kpi_helpers.importers import DATASET_FOLDERS, IMPORTERS

    if not realdata_available():
        pytest.skip(SKIP_REASON)
    missing = [f for f in DATASET_FOLDERS.values() if not (REALDATA_DIR / f).is_dir()]
    if missing:
        pytest.skip(f"real datasets {', '.join(missing)} not found in {REALDATA_DIR} "
                    "(set KPI_REALDATA)")
    if not _IMPORTED:
        base = tmp_path_factory.mktemp("realdata_clients")
        for source, importer in IMPORTERS.items():
            options = {"date": FACEBOOK_ADS_DATE} if source == "facebook_ads" else {}
            folder = base / source
            rows = importer(REALDATA_DIR / DATASET_FOLDERS[source], folder, **options)
            _IMPORTED[source] = (folder, rows)
    return dict(_IMPORTED)


@pytest.fixture(scope="session")
def realdata_imports(tmp_path_factory: pytest.TempPathFactory
                     ) -> dict[str, tuple[Path, dict[str, int]]]:
    """{source: (client folder, rows written per table)}, every importer run once per session."""
    return _import_all(tmp_path_factory)


@pytest.fixture(scope="session")
def realdata_clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{source: client folder} imported once per test session from the real datasets.

    Keys are the importer names (``ga360``, ``ga4``, ``online_retail``, ``rees46``,
    ``online_shoppers``, ``facebook_posts``, ``facebook_ads``); facebook_ads rows are all on
    FACEBOOK_ADS_DATE. The folders are shared: tests must not modify them.
    """
    return {source: folder for source, (folder, _) in _import_all(tmp_path_factory).items()}
