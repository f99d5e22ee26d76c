"""Importers: turn exports into a client folder (``spec/data-contract.md``).

Two kinds. The raw exports of the agency's tools (Shopify, WooCommerce and PrestaShop orders,
Google Ads and Meta Ads spend, Meta Business Suite posts, the GA4 and Universal Analytics BigQuery
exports as Parquet, Avro or JSON lines) go into a client folder with
``kpi import PATH... --into CLIENT_DIR [--source NAME]`` or :func:`import_exports`: see
:mod:`.exports`. The published datasets of ``shared/realdata`` each have an importer below.

One module per source; each exposes ``import_<source>(src_dir, out_dir, **options)``, which
reads the dataset folder, writes the contract tables plus ``client.yml`` and ``PROVENANCE.md``
into ``out_dir`` (missing or empty) and returns the rows written per table. Each module's
docstring documents every mapping choice and caveat.

| source | dataset folder | tables |
|---|---|---|
| ``ga360`` | ``ga360_gstore_sessions_20170801`` | sessions, orders, carts |
| ``ga4`` | ``ga4_gstore_events_sampled`` | sessions, orders, searches |
| ``online_retail`` | ``online_retail_uci`` | orders |
| ``rees46`` | ``rees46_multicategory_events_2019-10-01_sample`` | sessions, orders, carts |
| ``online_shoppers`` | ``online_shoppers_intention_uci`` | sessions |
| ``facebook_posts`` | ``facebook_metrics_uci`` | social_posts |
| ``facebook_ads`` | ``facebook_ads_kag_conversion`` | ad_spend (needs ``date``) |

Command line (``main``)::

    python -m kpi_helpers import SOURCE SRC_DIR OUT_DIR [--date YYYY-MM-DD]
    python -m kpi_helpers import PATH... --into CLIENT_DIR [--source NAME]    (raw exports)

Exit status 0 on success, 2 on bad input (unknown source, missing source folder or file, non-empty
OUT_DIR, bad or missing ``--date``) with a one-line message on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence

from . import exports
from ._common import OutputDirError, SourceDataError
from .exports import import_exports
from .facebook_ads import import_facebook_ads
from .facebook_posts import import_facebook_posts
from .ga4 import import_ga4
from .ga360 import import_ga360
from .online_retail import import_online_retail
from .online_shoppers import import_online_shoppers
from .rees46 import import_rees46

__all__ = [
    "IMPORTERS",
    "DATASET_FOLDERS",
    "NEEDS_DATE",
    "SourceDataError",
    "OutputDirError",
    "main",
    "import_exports",
    "import_ga360",
    "import_ga4",
    "import_online_retail",
    "import_rees46",
    "import_online_shoppers",
    "import_facebook_posts",
    "import_facebook_ads",
]

#: source name -> importer function ``(src_dir, out_dir, **options) -> {table: rows}``.
IMPORTERS: dict[str, Callable[..., dict[str, int]]] = {
    "ga360": import_ga360,
    "ga4": import_ga4,
    "online_retail": import_online_retail,
    "rees46": import_rees46,
    "online_shoppers": import_online_shoppers,
    "facebook_posts": import_facebook_posts,
    "facebook_ads": import_facebook_ads,
}

#: source name -> folder name of the dataset under ``realdata/``.
DATASET_FOLDERS: dict[str, str] = {
    "ga360": "ga360_gstore_sessions_20170801",
    "ga4": "ga4_gstore_events_sampled",
    "online_retail": "online_retail_uci",
    "rees46": "rees46_multicategory_events_2019-10-01_sample",
    "online_shoppers": "online_shoppers_intention_uci",
    "facebook_posts": "facebook_metrics_uci",
    "facebook_ads": "facebook_ads_kag_conversion",
}

#: sources whose data has no dates, so the importer needs ``date=``.
NEEDS_DATE = frozenset({"facebook_ads"})


def _iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kpi import",
        description="Convert a published dataset folder into a client folder of the kit's data "
                    "contract (tables + client.yml + PROVENANCE.md).",
        epilog="Raw exports of a client's tools (Shopify, WooCommerce, PrestaShop, Google Ads, Meta Ads, "
               "Business Suite, GA4 and GA360 BigQuery exports) have their own form: kpi import PATH... --into CLIENT_DIR [--source NAME] "
               "(kpi import --help).",
    )
    p.add_argument("source", metavar="SOURCE", choices=sorted(IMPORTERS),
                   help=f"which dataset SRC_DIR holds: {', '.join(IMPORTERS)}")
    p.add_argument("src_dir", metavar="SRC_DIR", help="the dataset folder (read only)")
    p.add_argument("out_dir", metavar="OUT_DIR", help="client folder to create (missing or empty)")
    p.add_argument("--date", type=_iso_date, default=None,
                   help="day to write every row on, for sources without dates (facebook_ads; "
                        "required there)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kpi import``; return the exit status (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if any(a == "--into" or a.startswith("--into=") for a in argv) or set(argv) <= {"-h", "--help"}:
        return exports.main(argv)
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage and the error
        return int(exc.code or 0)
    options = {}
    if args.source in NEEDS_DATE:
        if args.date is None:
            print(f"kpi import: error: {args.source} has no dates in its data; give the day to "
                  "write every row on with --date YYYY-MM-DD", file=sys.stderr)
            return 2
        options["date"] = args.date
    elif args.date is not None:
        print(f"kpi import: error: --date only applies to {', '.join(sorted(NEEDS_DATE))}; "
              f"{args.source} has its own dates", file=sys.stderr)
        return 2
    try:
        rows = IMPORTERS[args.source](args.src_dir, args.out_dir, **options)
    except (FileNotFoundError, SourceDataError, OutputDirError) as exc:
        print(f"kpi import: error: {exc}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{table} {n:,} rows" for table, n in rows.items())
    print(f"{args.source}: wrote {summary} to {args.out_dir}")
    return 0
