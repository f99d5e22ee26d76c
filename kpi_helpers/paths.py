"""Every path the kit uses, derived from the project root.

Notebooks never build relative paths: they ask this module, so the same notebook works when
JupyterLab opens it from ``notebooks/`` and when papermill runs it from anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "PROJECT_ROOT",
    "SAMPLE_DIR",
    "NOTEBOOKS_DIR",
    "REPORTS_DIR",
    "sample_client",
    "sample_clients",
    "resolve_client_dir",
]


def _find_root() -> Path:
    """The folder holding ``pyproject.toml`` and ``notebooks/`` (or ``KPI_KIT_ROOT`` if set)."""
    env = os.environ.get("KPI_KIT_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent
    for candidate in (here.parent, *here.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "kpi_helpers").is_dir():
            return candidate
    return Path.cwd().resolve()


PROJECT_ROOT: Path = _find_root()
SAMPLE_DIR: Path = PROJECT_ROOT / "data" / "sample"
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
REPORTS_DIR: Path = PROJECT_ROOT / "reports"


def sample_clients() -> list[str]:
    """Names of the committed sample clients, sorted."""
    if not SAMPLE_DIR.is_dir():
        return []
    return sorted(p.name for p in SAMPLE_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))


def sample_client(name: str) -> Path:
    """Folder of the sample client ``name`` (e.g. ``"maison-lune"``)."""
    return SAMPLE_DIR / name


def resolve_client_dir(path: str | os.PathLike) -> Path:
    """Resolve a client folder given as a parameter.

    Absolute paths are kept; a relative path is tried from the current folder first, then from
    the project root (so ``data/sample/maison-lune`` works from ``notebooks/`` too).
    """
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    if p.exists():
        return p.resolve()
    return (PROJECT_ROOT / p).resolve()
