"""Shared plumbing for the importers: reading source files, writing a client folder.

Every importer reads a published dataset folder and writes one client folder in the format of
``spec/data-contract.md``:

* tables below ``CSV_MAX_ROWS`` rows are written as UTF-8 CSV (comma, header), larger ones as
  parquet (typed columns, tz-aware timestamps);
* in CSV, timestamps are ISO 8601 with an explicit offset (``2017-08-01T07:00:40+00:00``), booleans
  ``True``/``False``, missing values empty;
* id columns are always strings;
* ``client.yml`` (name, timezone, currency, language) and ``PROVENANCE.md`` (dataset, publisher,
  license, mapping notes) are written next to the tables.

Bad input raises :class:`SourceDataError` (or ``FileNotFoundError`` for a missing file) with a
message naming the file, the column and what was expected.

The raw exports of the tools (``kpi import``) are read by :mod:`._raw`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..contract import TABLES

__all__ = [
    "CSV_MAX_ROWS",
    "SourceDataError",
    "OutputDirError",
    "require_files",
    "read_source_csv",
    "prepare_out_dir",
    "write_table",
    "write_client_yml",
    "write_provenance",
]

#: Tables with at least this many rows are written as parquet, smaller ones as CSV.
CSV_MAX_ROWS = 10_000


class SourceDataError(ValueError):
    """The source dataset is not what the importer expects (missing column, bad value)."""


class OutputDirError(ValueError):
    """The output folder exists and is not empty (importers never overwrite a client folder)."""


def require_files(source: str, src_dir: Path | str, names: Sequence[str]) -> list[Path]:
    """Return the paths of ``names`` inside ``src_dir``; raise FileNotFoundError naming the first
    missing one (or the folder itself)."""
    src = Path(src_dir)
    if not src.is_dir():
        raise FileNotFoundError(f"{source}: source folder not found: {src}")
    paths = [src / n for n in names]
    for p in paths:
        if not p.is_file():
            expected = ", ".join(names)
            raise FileNotFoundError(
                f"{source}: source file not found: {p} (the folder must contain {expected})"
            )
    return paths


def read_source_csv(path: Path, columns: Sequence[str], **kwargs) -> pd.DataFrame:
    """Read a source CSV (``usecols=columns``), raising SourceDataError naming missing columns."""
    header = pd.read_csv(path, nrows=0, **{k: v for k, v in kwargs.items() if k == "sep"})
    missing = [c for c in columns if c not in header.columns]
    if missing:
        raise SourceDataError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"expected at least: {', '.join(columns)}"
        )
    return pd.read_csv(path, usecols=list(columns), **kwargs)


def prepare_out_dir(out_dir: Path | str) -> Path:
    """Create ``out_dir`` (and parents) if missing; refuse an existing non-empty folder."""
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise OutputDirError(f"output path exists and is not a folder: {out}")
        if any(out.iterdir()):
            raise OutputDirError(f"output folder is not empty: {out} (give a new or empty folder)")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _check_columns(name: str, df: pd.DataFrame) -> list[str]:
    """Contract column order of ``df``'s columns; an importer bug if one is missing or unknown."""
    spec = TABLES[name]
    missing = [c for c in spec.required if c not in df.columns]
    unknown = [c for c in df.columns if c not in spec.names]
    if missing or unknown:
        raise AssertionError(f"{name}: missing required {missing}, not in the contract {unknown}")
    return [c for c in spec.names if c in df.columns]


def _iso(series: pd.Series) -> pd.Series:
    """tz-aware datetimes -> ISO 8601 strings with offset (missing stays missing)."""
    return series.map(lambda t: t.isoformat() if pd.notna(t) else None)


def write_table(df: pd.DataFrame, out_dir: Path, name: str) -> int:
    """Write contract table ``name`` to ``out_dir`` (CSV or parquet by size); return its rows."""
    cols = _check_columns(name, df)
    df = df[cols].reset_index(drop=True)
    for c in cols:
        naive = pd.api.types.is_datetime64_any_dtype(df[c]) and not isinstance(
            df[c].dtype, pd.DatetimeTZDtype)
        if naive:
            raise AssertionError(f"{name}.{c}: naive timestamps are not written by importers")
    if len(df) >= CSV_MAX_ROWS:
        df.to_parquet(out_dir / f"{name}.parquet", index=False)
    else:
        out = df.copy()
        for c in cols:
            if isinstance(out[c].dtype, pd.DatetimeTZDtype):
                out[c] = _iso(out[c])
        out.to_csv(out_dir / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    return len(df)


def write_client_yml(out_dir: Path, *, name: str, timezone: str, currency: str,
                     language: str = "en") -> None:
    """Write client.yml; values are JSON-quoted strings, which YAML reads as plain strings."""
    lines = [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in
             (("name", name), ("timezone", timezone), ("currency", currency),
              ("language", language))]
    (out_dir / "client.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_provenance(out_dir: Path, *, dataset: str, folder: str, publisher: str,
                     license: str, origin: str, importer: str, notes: Sequence[str],
                     rows: dict[str, int]) -> None:
    """Write PROVENANCE.md: what the data is, who published it, its license, how it was mapped."""
    table_lines = "\n".join(f"| {t} | {n:,} |" for t, n in rows.items())
    note_lines = "\n".join(f"- {n}" for n in notes)
    text = f"""# Provenance: {dataset}

Real public data, not written by this team. Converted to the kit's client-folder format by
`{importer}` (its docstring documents every mapping choice) from the folder `{folder}`.

**Original publisher.** {publisher}

**License as stated.** {license}

**Where the copy came from.** {origin}

## Tables written

| table | rows |
|---|---|
{table_lines}

## Mapping notes and caveats

{note_lines}
"""
    (out_dir / "PROVENANCE.md").write_text(text, encoding="utf-8")
