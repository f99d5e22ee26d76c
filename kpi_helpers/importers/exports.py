"""Raw exports of the agency's tools -> one client folder: ``kpi import PATH... --into CLIENT_DIR``.

Each export is recognised by its content (header, title lines, encoding), never by its name, by
the first of :data:`FORMATS` whose ``detect(path)`` says yes; that module reads it into one
contract table (its docstring lists every mapping choice) and :mod:`.client_folder` writes it
into the folder with its provenance, replacing that source's rows of the export's period.

| format | module | table |
|---|---|---|
| Shopify orders export (CSV) | ``shopify`` | orders |
| WooCommerce Analytics orders report (CSV) | ``woocommerce`` | orders |
| PrestaShop orders export (CSV, ``;``) | ``prestashop`` | orders |
| Google Ads campaign report (CSV UTF-8 or "CSV Excel" UTF-16, by day) | ``google_ads`` | ad_spend |
| Meta Ads Manager report (CSV or Excel, by day) | ``meta_ads`` | ad_spend |
| Meta Business Suite posts export (Instagram, Facebook) | ``business_suite`` | social_posts |
| GA4 report or exploration downloaded from the interface (CSV) | ``ga4_report`` | traffic (aggregated) |
| Matomo visits log (``Live.getLastVisitsDetails``: CSV, TSV or JSON) | ``matomo`` | sessions, orders, carts, searches |
| Matomo Site Search keywords reports (all keywords; keywords with no results) | ``matomo_search`` | search_terms |
| GA4 BigQuery export, ``events_*`` tables (Parquet, Avro, JSON lines) | ``ga4_export`` | sessions, orders, carts, searches |
| Universal Analytics (GA360) BigQuery export, ``ga_sessions_*`` tables | ``ga360_export`` | sessions, orders, carts, searches |

The BigQuery exports come as many files (one or more per daily table): every file of the same
export given to one ``kpi import`` is read together (a visit may span two daily tables) and
becomes several tables of one source (``ga4``, ``ga360``). A folder or a glob pattern
(``'exports/events_2025*.parquet'``, quoted) names them.

From Python (a notebook)::

    from kpi_helpers.importers import import_exports
    import_exports(["orders_export_1.csv", "Rapport_campagnes.csv"], "clients/maison-lune")

Bad input (an empty, truncated or unrecognised export, a value that does not read, an export in
another currency than the folder's) raises :class:`~kpi_helpers.errors.KpiInputError` naming
the file and the line; the folder is then left as it was. ``kpi import`` prints it and exits 2.
"""

from __future__ import annotations

import argparse
import glob
import inspect
import re
import shlex
from pathlib import Path
from types import ModuleType

from ..errors import KpiInputError, Problem
from ..loading import read_settings
from . import (business_suite, ga4_export, ga4_report, ga360_export, google_ads, matomo, matomo_search, meta_ads,
               prestashop, shopify, woocommerce)
from ._raw import ImportContext, peek_rows
from .bq_export import export_digest
from .client_folder import Entry, FolderUpdate, sha256_of

__all__ = ["FORMATS", "recognise", "describe_raw_export", "import_exports", "main"]

#: The export formats, in the order they are tried.
FORMATS: tuple[ModuleType, ...] = (ga4_export, ga360_export, shopify, woocommerce, prestashop, google_ads, meta_ads,
                                   business_suite, ga4_report, matomo, matomo_search)
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


def recognise(path: Path | str) -> ModuleType | None:
    """The importer module of the export at ``path``, or None when no format recognises it."""
    for module in FORMATS:
        try:
            if module.detect(path):
                return module
        except (OSError, ValueError):
            continue
    return None


def describe_raw_export(path: Path | str, *, into: Path | str) -> tuple[str, str] | None:
    """(what the file is, what to do with it) when ``path`` is a raw export rather than a
    contract table; None otherwise. Used by ``kpi validate`` on a folder's files."""
    module = recognise(path)
    if module is not None:
        moved = Path(into).with_name(Path(into).name + "-exports") / Path(path).name
        return (f"a raw {module.TITLE}",
                f"the contract's tables: move the export out of the client folder (to {moved}, say) and convert "
                f"it with `kpi import {shlex.quote(str(moved))} --into {shlex.quote(str(into))}`")
    return None


def _expand(paths: list[Path | str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith((".", "~$")))
        elif not p.exists() and glob.has_magic(str(p)):
            out += sorted(Path(f) for f in glob.glob(str(p.expanduser())) if Path(f).is_file())
        else:
            out.append(p)
    if not out:
        raise KpiInputError(Problem("no export to import", file=", ".join(map(str, paths)),
                                    expected="export files (or folders holding them)"))
    return out


def _unrecognised(path: Path) -> KpiInputError:
    if not path.is_file():
        return KpiInputError(Problem("file not found", file=str(path), expected="an export to import"))
    rows = peek_rows(path)
    if path.stat().st_size == 0:
        return KpiInputError(Problem("file is empty (0 bytes)", file=str(path),
                                     expected="an export with its header and rows"))
    first = ", ".join(rows[0][:6]) if rows else "(not readable as text or as an Excel workbook)"
    names = "; ".join(m.TITLE for m in FORMATS)
    return KpiInputError(Problem("not an export kpi import knows", file=str(path), examples=(("line 1", first),),
                                 expected=f"one of: {names} (see `kpi import --help`)"))


def import_exports(paths: list[Path | str] | Path | str, into: Path | str, *, source: str | None = None) -> list[dict]:
    """Import the raw exports ``paths`` (files, or folders of them) into the client folder ``into``.

    Every file is read and checked before anything is written; the folder (created if missing) is
    then rebuilt aside and moved into place, so an error leaves it as it was. ``source`` names the
    source of every file (they must then be of one format); by default each file's source is its
    format's name (``shopify``, ``google_ads``, ``business_suite_instagram``...). Returns one dict
    per file: file, format, language, source, table, rows_read, rows_written, replaced (rows of the
    same source and period replaced), period, dropped.
    """
    folder = Path(into).expanduser().resolve()
    files = _expand([paths] if isinstance(paths, (str, Path)) else list(paths))
    if source is not None and not SOURCE_NAME.fullmatch(source):
        raise KpiInputError(Problem(f"invalid source name {source!r}", column="--source",
                                    expected="lower-case letters, digits, '-' or '_' (e.g. shopify-fr)"))
    if folder.exists() and not folder.is_dir():
        raise KpiInputError(Problem("is a file, not a client folder", file=str(folder), expected="a folder"))
    update = FolderUpdate(folder)
    settings, errors, _ = read_settings(folder)
    if errors:
        raise KpiInputError(errors, header=f"cannot import into {folder}: its client.yml has problems")
    has_settings = folder.is_dir() and any((folder / n).is_file() for n in ("client.yml", "client.yaml"))
    ctx = ImportContext(timezone=settings.timezone, pseudonymise=update.pseudonymise)
    modules = [recognise(f) for f in files]
    for f, module in zip(files, modules):
        if module is None:
            raise _unrecognised(f)
    if source is not None and len({m.NAME for m in modules}) > 1:
        raise KpiInputError(Problem(f"--source {source} names one source, but the files are of several formats "
                                    f"({', '.join(sorted({m.TITLE for m in modules}))})", column="--source",
                                    expected="one kpi import per format when --source is given"))
    entries = []
    for module in dict.fromkeys(modules):  # the files of a multi-file export (BigQuery tables) are read together
        if getattr(module, "MULTI", False):
            group = [f for f, m in zip(files, modules) if m is module]
            digest, size = export_digest(group)
            where = group[0].parent if len(group) > 1 and len({f.parent for f in group}) == 1 else group[0]
            for p in module.read_files(group, ctx):
                entry = Entry(p, where, digest, size, "")
                entry.source = f"{source}_{p.table}" if source else p.source
                entries.append(entry)
    for f, m in zip(files, modules):
        if getattr(m, "MULTI", False):
            continue
        # the source name may say what a file cannot (Matomo's raw Site Search exports)
        parsed = m.read(f, ctx, source=source) if "source" in inspect.signature(m.read).parameters else m.read(f, ctx)
        # one table, or several (a visits log gives sessions, orders, carts, searches)
        many = isinstance(parsed, list)
        for p in parsed if many else [parsed]:
            entry = Entry(p, f, sha256_of(f), f.stat().st_size, "")
            entry.source = (f"{source}_{p.table}" if many else source) if source else p.source
            entries.append(entry)
    currency = settings.currency if has_settings else None
    for e in entries:
        if e.parsed.frame.empty and e.parsed.period is None:
            raise KpiInputError(Problem(f"no {e.parsed.table} row to import: the file holds only "
                                        + ", ".join(e.parsed.dropped or {"rows that are left out": 0}),
                                        file=str(e.path), expected=f"a {e.parsed.title} with at least one row"))
        if e.parsed.currency and currency and e.parsed.currency != currency:
            raise KpiInputError(Problem(
                f"amounts are in {e.parsed.currency} but the client folder's currency is {currency}",
                file=str(e.path), expected="exports in the client's currency (client.yml), one currency per folder"))
        currency = currency or e.parsed.currency
    return update.apply(entries, settings, write_settings=not has_settings, currency=currency)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kpi import",
        description="Import the raw exports of a client's tools into a client folder of the data contract. "
                    "Formats: " + "; ".join(m.TITLE for m in FORMATS) + ". Each export is recognised by its "
                    "content; its source's rows of the same period are replaced. Provenance goes to IMPORTS.md.",
        epilog="The public datasets of shared/realdata have their own form: kpi import SOURCE SRC_DIR OUT_DIR "
               "(kpi import ga4 --help).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="export files, or folders of exports")
    p.add_argument("--into", required=True, metavar="CLIENT_DIR", help="the client folder (created if missing)")
    p.add_argument("--source", default=None, metavar="NAME",
                   help="name of the source these exports come from (default: the format's name); give one per "
                        "shop or ad account when a client has several")
    return p


def main(argv: list[str]) -> int:
    """``kpi import PATH... --into CLIENT_DIR [--source NAME]``; exit 0 (errors raise KpiInputError: exit 2)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    reports = import_exports(args.paths, args.into, source=args.source)
    for r in reports:
        left = "; ".join(f"{n:,} {why}" for why, n in r["dropped"].items())
        print(f"{r['file']}: {r['format']} ({r['language']}) -> {r['table']} [source {r['source']}]: "
              f"{r['rows_read']:,} rows read, {r['rows_written']:,} written, {r['replaced']:,} replaced, "
              f"{r['period'][0]} .. {r['period'][1]}" + (f"; left out: {left}" if left else ""))
    print(f"{Path(args.into)}: provenance in IMPORTS.md; check the folder with: kpi validate {shlex.quote(args.into)}")
    return 0
