"""Synthetic sample clients: a seeded generator of client folders that follow the data contract.

``generate_client(out_dir, profile="fashion")`` writes one client folder (``client.yml`` plus one
file per table) that a demanding analyst should find believable. The committed samples in
``data/sample/`` come from it (their commands are in ``data/sample/README.md``).

The model
---------
Everything is drawn from one ``numpy`` generator seeded by ``seed``, day by day in the client's
local calendar, so a folder is reproducible from (profile, sessions, seed, start, end) and does not
depend on the chunk size used to write it.

*Calendar.* A daily traffic weight is the product of a growth trend, a yearly curve (monthly anchors
interpolated daily), a weekday profile, French public holidays, the French sales (soldes: second
Wednesday of January and last Wednesday of June, four weeks each), Black Friday week, Christmas,
Mother's day, the back-to-school weeks (rentree), random press days and a little noise. Outage
days weigh 0. The requested number of sessions is spread over the days with a multinomial draw.

*Visitors and customers.* Each session is either a new visitor (a new cookie, whose device is drawn
from the profile's device mix) or a returning one, chosen by recency (visitors first seen in the last
week or two months) or among loyal long-term visitors. A share of returning sessions are customers
coming back (through the cookie of one of their devices). When a visitor without an account orders,
they become a new customer, or (with a profile probability) an existing customer on a second
device, so some customers have two visitor ids. Sessions carry ``customer_id`` when the visitor is
logged in. Per-visitor and per-customer state lives in small numpy arrays, so visitors and
customers stay consistent across output chunks.

*Time of day.* Hours follow per-device weekday/weekend curves (evening mobile for fashion, office
hours for B2B). Local wall-clock times are converted to instants with the client's timezone: times
in the spring-forward gap are moved one hour later; times in the repeated autumn hour get a random
fold (so naive local timestamps in that hour are ambiguous, as in real exports).

*Acquisition.* The channel is drawn from the profile's mix, modulated by device, by new vs
returning visitor and by the day (newsletter send days, paid budgets during sales and Black Friday,
press days). Within a channel a traffic row gives the raw ``source``/``medium``/``campaign``
(``google/organic``, ``google/cpc``, ``idealo/comparateur``, ``(direct)/(none)``,
``instagram/social``, ``newsletter/email``...), with campaigns active only in their season.

*Landing page and pageviews.* The landing page type depends on the channel (comparators land on
product pages, direct traffic on the home page...), the product on popularity times a seasonal
curve. A session is single-page with a probability that depends on channel, landing type and device
(paid and social traffic landing on a product page bounces most).

*Carts and orders.* A cart is created with a probability that depends on device, channel, campaign,
returning/customer status and the day. Its value is the sum of its items (catalogue prices, minus
the day's discount); the shipping fee follows the profile's thresholds (free above a value). The
cart becomes an order with probability ``1 - abandonment``, where abandonment rises with the fee
and is higher on mobile. Orders are placed a few minutes after the session starts; revenue is cart
value plus shipping, VAT 20 % included. Status depends on the order's age at export (``paid`` then
``shipped``) with some ``cancelled`` and ``refunded``. Some orders have no session (phone orders,
showroom). The display channel never leads to an order.

*Searches, ad spend, social posts.* Internal searches come from a French vocabulary with
capitalisation, spacing, accent and typo variants, zero-result queries and unknown result counts.
Ad spend is computed per day x channel x campaign from the paid sessions of that campaign (clicks
are sessions divided by a cookie-consent rate, spend is clicks x CPC, impressions x CPM for display,
or a commission on revenue for affiliates). Social posts follow a posting schedule with follower
growth, format-dependent reach and engagement; Instagram stopped reporting impressions (replaced by
views) on 2025-04-01.

Profiles
--------
:data:`PROFILES` maps a profile name to its parameters (a plain dict, documented in
:data:`PROFILE_KEYS`): ``fashion`` (Maison Lune, a French fashion e-shop), ``b2b_office`` (Bureau
Direct, B2B office supplies) and ``social_only`` (Atelier Brume, Instagram and Facebook posts only).

Layout
------
The package is split by role: :mod:`.profiles` (catalogues, traffic sources and every parameter
of the three profiles), :mod:`.calendar` (local days, holidays, sales, traffic weights, time
zones), :mod:`.site` (pages, products, search vocabulary), :mod:`.behaviour` (visitors, sessions,
carts, orders, searches, ad spend and posts, day by day), :mod:`.writers` (Arrow tables and
files) and :mod:`.exports` (the same client written as the raw exports of the agency's tools).

Scale
-----
The generator is vectorised per day and writes Parquet in chunks of ``chunk_sessions`` sessions
with :class:`pyarrow.parquet.ParquetWriter` (CSV is appended chunk by chunk), so 10M sessions fit
in bounded memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

import numpy as np

from .behaviour import _WebGenerator, _social_posts
from .calendar import _Calendar
from .profiles import CHANNELS, PROFILE_KEYS, PROFILES, _TABLE_ORDER
from .site import _Site
from .writers import FORMATS, _Formatter, _Sink, _TableWriter, _client_yml

__all__ = ["PROFILES", "PROFILE_KEYS", "FORMATS", "CHANNELS", "generate_client", "generate_exports", "main"]

# ----------------------------------------------------------------------------------------------
# Public API


def generate_client(out_dir: str | os.PathLike, *, profile: str = "fashion", sessions: int | None = None,
                    seed: int | None = None, fmt: str | None = None, start: str = "2025-01-01",
                    end: str = "2026-10-31", chunk_sessions: int = 1_000_000) -> dict[str, int]:
    """Write a synthetic client folder and return ``{table_name: n_rows}``.

    Parameters
    ----------
    out_dir
        Folder to create; it must be empty or not exist.
    profile
        A key of :data:`PROFILES`: ``"fashion"``, ``"b2b_office"`` or ``"social_only"``.
    sessions
        Number of sessions (web profiles); ``None`` takes the profile's default. Not allowed for
        ``social_only``, whose number of posts follows its posting schedule.
    seed
        Seed of the random generator; ``None`` takes the profile's default (the committed sample).
    fmt
        One of :data:`FORMATS`; ``None`` takes the profile's default.
    start, end
        First and last local dates (ISO ``YYYY-MM-DD``), both included.
    chunk_sessions
        Sessions per written chunk (Parquet row group); the content does not depend on it.

    Returns
    -------
    dict
        Rows written per table (``client.yml`` is not counted).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    p = PROFILES[profile]
    fmt = fmt or p["default_format"]
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    seed = p["default_seed"] if seed is None else int(seed)
    try:
        d0, d1 = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError as exc:
        raise ValueError(f"start and end must be ISO dates (YYYY-MM-DD): {exc}") from None
    if d1 < d0:
        raise ValueError(f"end {end} is before start {start}")
    if p["kind"] == "social" and sessions is not None:
        raise ValueError(f"profile {profile!r} has no sessions table; do not give a number of sessions")
    if p["kind"] == "web":
        sessions = p["default_sessions"] if sessions is None else int(sessions)
        if sessions < 1:
            raise ValueError(f"sessions must be at least 1, got {sessions}")
    if chunk_sessions < 1:
        raise ValueError("chunk_sessions must be at least 1")
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} is not an empty folder; choose a new or empty output folder")
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    cal = _Calendar(p, d0, d1, rng)
    (out / "client.yml").write_text(_client_yml(p), encoding="utf-8")
    counts: dict[str, int] = {}
    if p["kind"] == "web":
        site = _Site(p)
        gen = _WebGenerator(p, cal, site, sessions, rng)
        formatter = _Formatter(p, fmt, site, gen, cal)
        sink = _Sink(out, fmt, formatter, ("sessions", "orders", "carts", "searches", "ad_spend"), chunk_sessions)
        for d in range(cal.n):
            day = gen.day(d)
            if day is not None:
                sink.add(day)
        counts.update(sink.close())
    else:
        formatter = _Formatter(p, fmt, None, None, cal)
    if p.get("social"):
        social_rng = np.random.default_rng([seed, 1])
        w = _TableWriter(out / f"social_posts.{fmt}", fmt)
        w.write(formatter.social_posts(_social_posts(p, cal, social_rng)))
        counts["social_posts"] = w.close()
    return {t: counts[t] for t in _TABLE_ORDER if t in counts}


def generate_exports(out_dir: str | os.PathLike, **kwargs) -> dict[str, int]:
    """The sample client written as the raw exports of the agency's tools (see :mod:`.exports`)."""
    from .exports import generate_exports as write

    return write(out_dir, **kwargs)


def main(argv: list[str]) -> int:
    """``kpi sample OUT_DIR [--profile P] [--sessions N] [--seed S] [--format F | --as-exports]``."""
    parser = argparse.ArgumentParser(
        prog="kpi sample",
        description="Generate a synthetic client folder (see data/sample/README.md for the committed ones).")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="folder to create (must be empty or not exist)")
    parser.add_argument("--profile", default="fashion", choices=list(PROFILES),
                        help="fashion (Maison Lune), b2b_office (Bureau Direct) or social_only (Atelier Brume)")
    parser.add_argument("--sessions", type=int, default=None, help="number of sessions (default: the profile's)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: the profile's)")
    parser.add_argument("--format", dest="fmt", default=None, choices=list(FORMATS),
                        help="file format of the tables (default: the profile's)")
    parser.add_argument("--as-exports", action="store_true",
                        help="write the client as the raw exports of its tools (Shopify or PrestaShop orders, "
                             "Google Ads and Meta Ads reports, Business Suite posts), to try kpi import")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(f"error: {out} is not an empty folder; choose a new or empty output folder", file=sys.stderr)
        return 2
    if args.as_exports and args.fmt:
        print("error: --format and --as-exports exclude each other (exports have their tools' formats)",
              file=sys.stderr)
        return 2
    try:
        if args.as_exports:
            files = generate_exports(out, profile=args.profile, sessions=args.sessions, seed=args.seed)
            print(f"{out}: profile {args.profile} as raw exports: "
                  + ", ".join(f"{name} ({n:,} rows)" for name, n in files.items()))
            print(f"import them with: kpi import {out} --into CLIENT_DIR")
            return 0
        counts = generate_client(out, profile=args.profile, sessions=args.sessions, seed=args.seed, fmt=args.fmt)
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    summary = ", ".join(f"{t} {n:,}" for t, n in counts.items())
    print(f"{out}: profile {args.profile}, {summary}")
    return 0

