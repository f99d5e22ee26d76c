"""Imported exports into a client folder: one source's rows replaced at a time, provenance, pseudonyms.

What ``kpi import PATH... --into CLIENT_DIR`` leaves in the folder::

    CLIENT_DIR/
      client.yml                  written when missing (folder name, Europe/Paris, the exports' currency)
      orders.csv, ad_spend.csv... the contract tables: every source's rows (Parquet from 10,000 rows)
      IMPORTS.md                  provenance for people: each file imported, rows read and written,
                                  period, what was left out and why, every mapping choice
      .kpi-import/
        imports.json              the same provenance for programs, and the hash of each table written
        key                       the folder's pseudonymisation key (never printed, never copied elsewhere)
        parts/<table>.<source>.parquet   each source's rows, from which the tables are rebuilt

*Sources.* Every export belongs to a source (``--source NAME``, else the format's name:
``shopify``, ``google_ads``, ``business_suite_instagram``...). Importing an export replaces that
source's rows of the same table whose date falls in the export's period (the range its title
states, else its first to last date) or whose id it holds again (order, post), and leaves every
other source's rows alone: importing the same export twice gives the same folder, a newer export
over the same dates replaces the older one's rows, and exports of successive months add up. So an
export must hold every row of its period: a view filtered by status or by campaign would remove
the source's other rows of those dates.

*Pseudonyms.* A ``customer_id`` is ``c`` + 16 hex digits of BLAKE2b keyed with the folder's key (a
message authentication code) over the identifier (an e-mail, a phone, a customer name, or the order
itself): the same buyer gets the same id in
every import into the folder, and nobody without the key can test an e-mail against the ids. The
key is made at the first import (32 random bytes), kept in ``.kpi-import/key`` (read and write for
the owner only) and never shown. E-mails, names, addresses and phones are never written.

*Never half-written.* The new folder is built aside (a sibling folder whose unchanged files are
hard links to the current ones), checked with the kit's own loader, and only then moved into
place; any error leaves the client folder as it was. A contract table that kpi import did not
write (or that was edited by hand since) is never replaced: the import stops and says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute

from ..contract import EXTENSIONS, TABLES
from ..errors import KpiInputError, Problem
from ..loading import Settings, load_client
from ._common import write_client_yml, write_table
from ._raw import Parsed
from .memory import release

__all__ = ["STATE_DIR", "KEY_FILE", "LOG_FILE", "PROVENANCE_FILE", "Pseudonymiser", "Entry", "FolderUpdate"]

STATE_DIR = ".kpi-import"
KEY_FILE = "key"
LOG_FILE = "imports.json"
PROVENANCE_FILE = "IMPORTS.md"
#: The ids that make a row the same row again, per table.
ROW_KEYS = {"orders": ("order_id",), "social_posts": ("post_id",), "ad_spend": ("date", "channel", "campaign"),
            "sessions": ("session_id",), "carts": ("cart_id",), "searches": ("session_id", "searched_at", "query"),
            "traffic": ("date", "end_date", "channel", "device", "landing_page"),
            "search_terms": ("date", "end_date", "no_results", "query")}
#: Formats of web analytics exports: their orders are the ones the analytics saw; a shop's export of the
#: same orders is the reference (see FolderUpdate._shop_orders_first).
ANALYTICS_FORMATS = frozenset({"matomo", "ga4", "ga360"})
#: Tables whose rows have no id of their own (several rows may share their keys).
NO_ID_TABLES = ("ad_spend", "searches", "traffic", "search_terms")
#: Formats whose one export writes several tables (the BigQuery exports): logged per source and table.
SEVERAL_TABLES = frozenset({"ga4", "ga360"})


class Pseudonymiser:
    """Identifiers -> customer ids: ``c`` + 16 hex digits of keyed BLAKE2b with the folder's key."""

    def __init__(self, key: bytes):
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymiser(key hidden)"

    def __call__(self, values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(pd.Series(values))
        hashed = np.array(["c" + hashlib.blake2b(str(u).encode("utf-8"), key=self._key, digest_size=8).hexdigest()
                           for u in uniques], dtype=object)
        return pd.Series(hashed[codes], index=pd.Series(values).index)


@dataclass
class Entry:
    """One export to write: what was read, where it came from, and under which source."""

    parsed: Parsed
    path: Path
    sha256: str
    size: int
    source: str


def _present(keys: tuple[str, ...], *frames: pd.DataFrame) -> list[str]:
    """The row keys every frame has (an aggregated export has only the segments it is split by)."""
    return [k for k in keys if all(k in f.columns for f in frames)]


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _local_dates(frame: pd.DataFrame, table: str, tz: str) -> pd.Series:
    col = frame[TABLES[table].time_column]
    if TABLES[table].column(TABLES[table].time_column).type == "date":
        return pd.to_datetime(col).dt.date
    return pd.to_datetime(col, utc=True).dt.tz_convert(tz).dt.date


def _canonical(frame: pd.DataFrame, table: str, tz: str) -> pd.DataFrame:
    """One dtype per contract type, whichever importer made the frame and whether it was just read
    or read back from a part: parts and tables are then written the same way every time."""
    out = {}
    for col in TABLES[table].columns:
        if col.name not in frame:
            continue
        values = frame[col.name]
        if col.type == "timestamp":
            if str(values.dtype) != f"datetime64[ns, {tz}]":  # already canonical when read back from a part
                values = pd.to_datetime(values, utc=True).dt.tz_convert(tz).astype(f"datetime64[ns, {tz}]")
            out[col.name] = values
        elif col.type == "float":
            out[col.name] = values.astype("float64")
        elif col.type == "int":
            out[col.name] = values.astype("Int64")
        elif col.type == "bool":
            out[col.name] = values.astype("boolean")
        else:  # id, str, date (ISO text): text held by Arrow (millions of ids fit), missing when missing
            if isinstance(values.dtype, pd.StringDtype) and values.dtype.na_value is not pd.NA:
                out[col.name] = values
                continue
            if not isinstance(values.dtype, pd.StringDtype):
                objects = values.astype("object")
                values = objects.astype(str).where(objects.notna(), None)
            out[col.name] = values.astype("str")
    return pd.DataFrame(out, index=frame.index)


def _arrow(frame: pd.DataFrame, column: str) -> pa.Array:
    """A column as Arrow compares it (object columns as text, as the table's sort always did)."""
    values = frame[column]
    return pa.array(values.astype(str) if values.dtype == object else values)


def _all_distinct(frame: pd.DataFrame, keys: list[str]) -> bool:
    """Whether no two rows of ``frame`` share ``keys`` (one key: counted by Arrow, without the hash
    table of every row that pandas' ``duplicated`` builds; several keys: by pandas)."""
    if len(keys) != 1:
        return not frame.duplicated(keys).any()
    values = _arrow(frame, keys[0])
    return pa.compute.count_distinct(values, mode="all").as_py() == len(values)


def _in_order(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``frame`` sorted by ``columns`` (missing values first; a stable sort, so rows equal on them keep
    their order). Sorted by Arrow on those columns only: text compares by code point, as Python's
    ``str`` does, and the frame is copied once (pandas' sort of text keys copied it several times)."""
    keys = pa.table({c: _arrow(frame, c) for c in columns})
    order = pa.compute.sort_indices(keys, options=pa.compute.SortOptions(
        [(c, "ascending", "at_start") for c in columns])) if len(frame) else pa.array([], pa.uint64())
    return frame.take(order.to_numpy()).reset_index(drop=True)


def _fresh(path: Path) -> Path:
    """``path`` unlinked first: files of the staged folder are hard links to the live folder's,
    so they are replaced, never written through."""
    path.unlink(missing_ok=True)
    return path


def _link_tree(src: Path, dst: Path) -> None:
    for entry in sorted(src.iterdir()):
        target = dst / entry.name
        if entry.is_dir() and not entry.is_symlink():
            target.mkdir()
            _link_tree(entry, target)
        else:
            try:
                os.link(entry, target, follow_symlinks=False)
            except OSError:
                shutil.copy2(entry, target, follow_symlinks=False)


class FolderUpdate:
    """The state of one client folder and the update an import makes to it (built aside, then moved)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.state = folder / STATE_DIR
        log_path = self.state / LOG_FILE
        self.log = json.loads(log_path.read_text(encoding="utf-8")) if log_path.is_file() else {
            "format": "kpi-kit imports", "version": 1, "tables": {}, "sources": {}, "imports": []}
        key_path = self.state / KEY_FILE
        if key_path.is_file():
            self.key, self.new_key = bytes.fromhex(key_path.read_text(encoding="ascii").strip()), False
        elif self.log["imports"]:
            raise KpiInputError(Problem(f"the folder's pseudonymisation key {key_path} is missing", file=str(folder),
                                        expected="the key made by the first import (restore it from a backup): "
                                                 "without it, customer ids of new imports would not match"))
        else:
            self.key, self.new_key = secrets.token_bytes(32), True
        self.pseudonymise: Callable[[pd.Series], pd.Series] = Pseudonymiser(self.key)

    # -- checks ------------------------------------------------------------------------------------

    def check_tables_are_ours(self, tables: set[str]) -> None:
        """Stop if a table the import would rewrite was not written by kpi import (or was edited)."""
        for table in sorted(tables):
            for ext in EXTENSIONS:
                path = self.folder / f"{table}.{ext}"
                if not path.is_file():
                    continue
                known = self.log["tables"].get(table)
                if known is None or known["file"] != path.name:
                    raise KpiInputError(Problem(
                        f"{path.name} was not written by kpi import; importing would replace it", file=str(path),
                        expected="a folder whose imported tables only kpi import writes: move the file out "
                                 "(or import into another folder)"))
                if sha256_of(path) != known["sha256"]:
                    raise KpiInputError(Problem(
                        f"{path.name} was changed since kpi import wrote it; importing would lose the change",
                        file=str(path), expected="imported tables left as written (edit the exports instead)"))

    # -- building the new folder ------------------------------------------------------------------

    def apply(self, entries: list[Entry], settings: Settings, *, write_settings: bool,
              currency: str | None) -> list[dict]:
        """Write ``entries`` (in order) into a staged copy, check it, move it into place.

        Returns one report per entry: rows read and written, rows of the same source replaced.
        """
        self.check_tables_are_ours({e.parsed.table for e in entries})
        parent = self.folder.parent
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{self.folder.name}.import-", dir=parent))
        try:
            if self.folder.exists():
                _link_tree(self.folder, stage)
                os.chmod(stage, self.folder.stat().st_mode & 0o7777)
            else:
                os.chmod(stage, 0o777 & ~_umask())
            reports = self._write(stage, entries, settings, write_settings=write_settings, currency=currency)
            release()  # the written frames' buffers, before the loader's DuckDB
            try:
                load_client(stage)
            except KpiInputError as exc:  # named as the client folder, not as its staged copy
                problems = [replace(p, file=(p.file or "").replace(str(stage), str(self.folder)) or None)
                            for p in exc.problems]
                raise KpiInputError(problems, header=f"{self.folder} would not follow the data contract after "
                                                     "this import, so nothing was changed in it") from None
            self._swap(stage)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        return reports

    def _write(self, stage: Path, entries: list[Entry], settings: Settings, *, write_settings: bool,
               currency: str | None) -> list[dict]:
        state = stage / STATE_DIR
        (state / "parts").mkdir(parents=True, exist_ok=True)
        os.chmod(state, 0o700)
        if self.new_key:
            key_path = _fresh(state / KEY_FILE)
            key_path.write_text(self.key.hex() + "\n", encoding="ascii")
            os.chmod(key_path, 0o600)
        reports = []
        for e in entries:
            report = self._merge(state, e, settings.timezone)
            self._record(e, report["period"])
            reports.append(report)
            e.parsed.frame = e.parsed.frame.iloc[:0]  # written to its part: memory is for the next table
        release()
        for table in sorted({e.parsed.table for e in entries}):
            self._rebuild(stage, state, table, settings.timezone)
            release()
        if write_settings:
            write_client_yml(stage, name=self.folder.name, timezone=settings.timezone,
                             currency=currency or settings.currency, language=settings.language)
        _fresh(state / LOG_FILE).write_text(json.dumps(self.log, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        _fresh(stage / PROVENANCE_FILE).write_text(provenance_markdown(self.log), encoding="utf-8")
        return reports

    def _merge(self, state: Path, e: Entry, tz: str) -> dict:
        p = e.parsed
        part = state / "parts" / f"{p.table}.{e.source}.parquet"
        new = _canonical(p.frame.reset_index(drop=True), p.table, tz)
        old = _canonical(pd.read_parquet(part), p.table, tz) if part.is_file() else new.iloc[:0]
        dates = _local_dates(new, p.table, tz)
        lo, hi = p.period or (min(dates), max(dates))  # a file without rows always states its period
        keys = _present(ROW_KEYS[p.table], new, old)
        old_dates = _local_dates(old, p.table, tz)
        again = pd.MultiIndex.from_frame(old[list(keys)]).isin(
            pd.MultiIndex.from_frame(new[list(keys)])) if len(old) else np.zeros(0, bool)
        replaced = ((old_dates >= lo) & (old_dates <= hi)).to_numpy() | again
        merged = pd.concat([old[~replaced], new], ignore_index=True) if len(old) else new
        merged.to_parquet(_fresh(part), index=False)
        key = f"{e.source}:{p.table}" if p.format in SEVERAL_TABLES else e.source  # one entry per table written
        self.log["sources"][key] = {"source": e.source, "table": p.table, "format": p.format, "rows": len(merged)}
        return {"file": str(e.path), "format": p.title, "language": p.language, "source": e.source, "table": p.table,
                "rows_read": p.rows_read, "rows_written": len(new), "replaced": int(replaced.sum()),
                "period": (lo.isoformat(), hi.isoformat()), "dropped": dict(p.dropped)}

    def _record(self, e: Entry, period: tuple[str, str]) -> None:
        p = e.parsed
        entry = {"source": e.source, "table": p.table, "format": p.format, "title": p.title, "file": e.path.name,
                 "sha256": e.sha256, "bytes": e.size, "language": p.language, "rows_read": p.rows_read,
                 "rows_written": len(p.frame), "period": list(period), "currency": p.currency,
                 "dropped": dict(p.dropped), "notes": list(p.notes)}
        imports = self.log["imports"]
        same = next((i for i, old in enumerate(imports)
                     if (old["source"], old["table"], old["sha256"]) == (e.source, p.table, e.sha256)), None)
        if same is None:
            imports.append(entry)
        else:
            imports[same] = entry

    def _rebuild(self, stage: Path, state: Path, table: str, tz: str) -> None:
        parts = sorted((state / "parts").glob(f"{table}.*.parquet"))
        frames = {p.name[len(table) + 1: -len(".parquet")]: pd.read_parquet(p) for p in parts}
        if table == "orders":
            frames = self._shop_orders_first(frames)
        frame = pd.concat(frames.values(), ignore_index=True)
        keys = _present(ROW_KEYS[table], frame)
        if table not in NO_ID_TABLES and not _all_distinct(frame, keys):
            dup = frame.duplicated(keys, keep=False)
            if dup.any():
                owner = pd.concat([pd.Series(s, index=f.index) for s, f in frames.items()], ignore_index=True)
                clash = frame.loc[dup, keys[0]].iloc[0]
                raise KpiInputError(Problem(
                    f"{keys[0]} {clash!r} comes from two sources ({', '.join(sorted(set(owner[dup])))})",
                    file=str(self.folder), column=keys[0],
                    expected="each id from one source: import a second shop or account into its own client folder"))
        frame = _in_order(_canonical(frame, table, tz), [TABLES[table].time_column, *keys])
        del frames
        for ext in EXTENSIONS:
            _fresh(stage / f"{table}.{ext}")
        if frame.empty:  # every source of the table imported periods without rows: no table (it is optional)
            self.log["tables"].pop(table, None)
            return
        write_table(frame, stage, table)
        written = next(stage / f"{table}.{ext}" for ext in EXTENSIONS if (stage / f"{table}.{ext}").is_file())
        self.log["tables"][table] = {"file": written.name, "sha256": sha256_of(written)}

    def _format_of(self, source: str) -> str | None:
        """The format a source was imported from (sources of several tables are logged per table)."""
        for key, entry in self.log["sources"].items():
            if entry.get("source", key) == source:
                return entry.get("format")
        return None

    def _shop_orders_first(self, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Orders that a web analytics export (a Matomo visits log) and a shop's export both hold
        are the shop's: its row is kept (its customer id, status, revenue), and takes the visit and
        the visitor the analytics saw it in when it has none. The analytics' other orders stay."""
        analytics = [s for s in frames if self._format_of(s) in ANALYTICS_FORMATS]
        shops = [s for s in frames if s not in analytics]
        if not analytics or not shops:
            return frames
        seen = pd.concat([frames[s] for s in analytics], ignore_index=True)
        shop_ids = set(pd.concat([frames[s]["order_id"] for s in shops], ignore_index=True).astype(str))
        links = seen[seen["order_id"].astype(str).isin(shop_ids)].drop_duplicates("order_id")
        links = links.set_index(links["order_id"].astype(str))
        out = {}
        for s, f in frames.items():
            if s in analytics:
                out[s] = f[~f["order_id"].astype(str).isin(shop_ids)]
                continue
            f = f.copy()
            ids = f["order_id"].astype(str)
            for col in ("session_id", "visitor_id"):
                found = ids.map(links[col]) if col in links else pd.Series(None, index=f.index)
                f[col] = f[col].where(f[col].notna(), found) if col in f else found
            out[s] = f
        self.linked_orders = len(links)
        return out

    def _swap(self, stage: Path) -> None:
        if not self.folder.exists():
            os.rename(stage, self.folder)
            return
        backup = self.folder.with_name(f".{self.folder.name}.previous-{os.getpid()}")
        os.rename(self.folder, backup)
        try:
            os.rename(stage, self.folder)
        except OSError:
            os.rename(backup, self.folder)
            raise
        shutil.rmtree(backup, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def provenance_markdown(log: dict) -> str:
    """IMPORTS.md: the folder's imports for people (deterministic: no clock time)."""
    lines = ["# Imports into this client folder", "",
             "Written by `kpi import` (kpi-kit) from the exports below; each table holds every source's rows. "
             "Customer ids are keyed hashes (the key stays in `.kpi-import/key`); e-mails, names, addresses "
             "and phones are not kept.", "", "## Sources now in the folder", "",
             "| source | table | format | rows |", "|---|---|---|---|"]
    for source, s in sorted(log["sources"].items()):
        lines.append(f"| {s.get('source', source)} | {s['table']} | {s['format']} | {s['rows']:,} |")
    lines += ["", "## Files imported", ""]
    for e in log["imports"]:
        dropped = "; ".join(f"{reason}: {n:,}" for reason, n in e["dropped"].items()) or "nothing"
        lines += [f"### {e['file']} ({e['title']}, {e['language']})", "",
                  f"- source `{e['source']}` -> table `{e['table']}`; sha256 `{e['sha256']}` ({e['bytes']:,} bytes)",
                  f"- rows read {e['rows_read']:,}, rows written {e['rows_written']:,}; period "
                  f"{e['period'][0]} .. {e['period'][1]}" + (f"; currency {e['currency']}" if e["currency"] else ""),
                  f"- left out: {dropped}", *(f"- {note}" for note in e["notes"]), ""]
    return "\n".join(lines)
