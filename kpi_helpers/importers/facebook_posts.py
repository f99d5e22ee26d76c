"""UCI Facebook metrics (500 posts of a cosmetics brand page) -> client folder: social_posts.

Source: ``facebook_metrics_uci/dataset_Facebook.csv``: lifetime metrics of 500 of the 790 posts
the page published in 2014 (Moro et al., 2016; the other 290 were withheld by the authors).

Input shape: one row per post, newest first (December at the top, ``Page total likes``
decreasing down the file): ``Page total likes``, ``Type``, ``Category``, ``Post Month``,
``Post Weekday``, ``Post Hour``, ``Paid``, ``Lifetime Post Total Reach``,
``Lifetime Post Total Impressions``, engaged users/consumers/consumptions, fan-only reach and
impressions, ``comment``, ``like``, ``share``, ``Total Interactions``.

Output table and mapping
------------------------
social_posts (one row per post, 500)
    * ``post_id`` = 1-based row number in the file, zero-padded (``001``..``500``): the source has
      no id. ``platform`` = ``facebook``.
    * ``published_at``: the source gives month, weekday and hour, but no year or day. Rule: year
      2014 (stated by the publisher), the FIRST day of ``Post Month`` whose weekday is
      ``Post Weekday``, at ``Post Hour``:00. Weekday numbering: 1 = Sunday .. 7 = Saturday
      (spreadsheet ``WEEKDAY()`` numbering). It is not documented; it is the only numbering under
      which the file's newest-first row order fits the 2014 calendar (walking the rows forward in
      time, the minimal number of days each month's sequence of weekdays needs only fits inside
      the month for every month with this numbering; April and July then fill their month
      exactly). Month, weekday and hour are therefore faithful; the day of month is an artefact
      (all posts fall in the first 7 days of their month), so daily/weekly trends are meaningless
      while monthly, weekday and hour breakdowns are real. The hour's time zone is not published:
      it is written as UTC (client timezone UTC) so that the published hour is kept unchanged.
    * ``likes`` = ``like``, ``comments`` = ``comment``, ``shares`` = ``share``. The source misses
      1 like and 4 shares (posts ``112``, ``121``, ``125``, ``165``); ``likes`` is required by the
      data contract, so by default (``derive_missing_from_total=True``) they are filled from the
      source's own identity ``Total Interactions = comment + like + share``, which holds exactly
      on all 496 complete posts: a missing like or share is computed as ``Total Interactions``
      minus the known counts when exactly one of the two is missing, and as 0 for both when
      ``Total Interactions - comment`` is 0 (non-negative counts summing to 0). On this file every
      missing cell comes out as 0; a cell the identity cannot pin down stays missing. With
      ``derive_missing_from_total=False`` missing cells stay missing (never 0), and the kit's
      loader then rejects post ``112`` for its empty ``likes``.
    * ``impressions`` = ``Lifetime Post Total Impressions``; ``reach`` = ``Lifetime Post Total
      Reach``; ``followers`` = ``Page total likes`` (fans of the page when the post was published).
    * ``format`` from ``Type``: Photo -> ``image``, Status -> ``status``, Link -> ``link``,
      Video -> ``video``; any other type raises :class:`SourceDataError`.
    * Not written (no contract column): ``Paid``, ``Category``, engaged users, consumers,
      consumptions and the fan-only metrics. ``views`` and ``saves`` do not exist in the source.
    * Caveat: the kit's engagement rate is (likes + comments) / impressions; the dataset's
      ``Total Interactions`` also counts shares, so figures from the paper differ.

client.yml: timezone ``UTC`` (see above), currency ``EUR`` (the kit's default; no amount is
written).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ._common import (SourceDataError, prepare_out_dir, read_source_csv, require_files, write_client_yml,
                      write_provenance, write_table)

__all__ = ["import_facebook_posts", "FORMATS", "YEAR"]

FILES = ("dataset_Facebook.csv",)
COLUMNS = ["Page total likes", "Type", "Post Month", "Post Weekday", "Post Hour",
           "Lifetime Post Total Reach", "Lifetime Post Total Impressions", "comment", "like",
           "share", "Total Interactions"]

#: Facebook post ``Type`` -> contract ``format``.
FORMATS = {"Photo": "image", "Status": "status", "Link": "link", "Video": "video"}
#: Year of every post, as stated by the publisher.
YEAR = 2014

DATASET = dict(
    dataset="UCI Facebook metrics: 500 posts of a cosmetics brand page (2014)",
    publisher=("UCI Machine Learning Repository, \"Facebook metrics\". Moro, S., Rita, P., & "
               "Vala, B. (2016), \"Predicting social media performance metrics and evaluation of "
               "the impact on brand building: A data mining approach\", *Journal of Business "
               "Research* 69(9)."),
    license="CC BY 4.0 on the UCI page. The GitHub copies carry no license of their own.",
    origin=("GitHub `usfviz/dvantman-hw3`, commit `634dc2f37ba7e15b6530c1709655caeeb5d0300f`, "
            "file `dataset_Facebook.csv` (cross-checked against two other copies)."),
)

NOTES = [
    "published_at is PARTLY NOMINAL: the source has month, weekday and hour only. Rule: 2014, "
    "first day of the month with that weekday (1 = Sunday .. 7 = Saturday, inferred from the "
    "row order), at that hour, written as UTC. Monthly, weekday and hour splits are real; days "
    "and weeks are not.",
    "post_id = row number (001..500). followers = Page total likes.",
    "Paid, Category and engaged-user metrics have no contract column and are not written.",
    "500 of the page's 790 posts of 2014 (the rest withheld by the authors).",
]


def _published_at(month: int, weekday: int, hour: int) -> dt.datetime:
    """First day of ``month`` 2014 with source weekday ``weekday`` (1 = Sunday), at ``hour``."""
    python_weekday = (weekday + 5) % 7  # 1 (Sunday) -> 6, 2 (Monday) -> 0, ..., 7 (Sat) -> 5
    day = dt.date(YEAR, month, 1)
    day += dt.timedelta(days=(python_weekday - day.weekday()) % 7)
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.timezone.utc)


def _derive_from_total(df: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    """like and share with the cells that ``Total Interactions`` determines filled in."""
    like, share = df["like"].copy(), df["share"].copy()
    rest = df["Total Interactions"] - df["comment"]  # = like + share
    complete = like.notna() & share.notna() & rest.notna()
    off = complete & (like + share != rest)
    if off.any():
        raise SourceDataError(
            f"{path}: Total Interactions != comment + like + share on row "
            f"{int(off.idxmax()) + 2}, so missing likes/shares cannot be derived from it")
    only_like = like.isna() & share.notna()
    only_share = share.isna() & like.notna()
    both = like.isna() & share.isna() & (rest == 0)
    like[only_like] = rest[only_like] - share[only_like]
    share[only_share] = rest[only_share] - like[only_share]
    like[both], share[both] = 0, 0
    if (like < 0).any() or (share < 0).any():
        raise SourceDataError(f"{path}: Total Interactions is below comment + like + share")
    return like, share


def import_facebook_posts(src_dir: Path | str, out_dir: Path | str, *,
                          derive_missing_from_total: bool = True) -> dict[str, int]:
    """Convert the UCI Facebook metrics folder ``src_dir`` into a client folder ``out_dir``.

    ``derive_missing_from_total=True`` computes missing ``like``/``share`` cells from
    ``Total Interactions = comment + like + share`` where that identity determines them
    (default: they stay missing). Returns rows written per table: ``{"social_posts": 500}``. See
    the module docstring for the date rule and every mapping.
    """
    (path,) = require_files("facebook_posts", src_dir, FILES)
    df = read_source_csv(path, COLUMNS)
    unknown = sorted(set(df["Type"].dropna()) - set(FORMATS))
    if unknown or df["Type"].isna().any():
        raise SourceDataError(f"{path}: column Type has {unknown or 'empty cells'}; expected "
                              f"{sorted(FORMATS)}")
    ranges = {"Post Month": (1, 12), "Post Weekday": (1, 7), "Post Hour": (0, 23)}
    for col, (lo, hi) in ranges.items():
        bad = df[col].isna() | ~df[col].between(lo, hi)
        if bad.any():
            raise SourceDataError(f"{path}: column {col} has {df.loc[bad, col].iloc[0]!r} "
                                  f"(row {int(bad.idxmax()) + 2}); expected {lo}..{hi}")
    like, share = _derive_from_total(df, path) if derive_missing_from_total else (df["like"],
                                                                            df["share"])
    derived = int((like.notna() & df["like"].isna()).sum()
                  + (share.notna() & df["share"].isna()).sum())
    width = max(3, len(str(len(df))))
    posts = pd.DataFrame({
        "post_id": pd.Series([f"{i:0{width}d}" for i in range(1, len(df) + 1)], dtype="str"),
        "platform": "facebook",
        "published_at": pd.to_datetime(
            [_published_at(m, w, h) for m, w, h in
             zip(df["Post Month"], df["Post Weekday"], df["Post Hour"])], utc=True),
        "likes": like.astype("Int64"),
        "comments": df["comment"].astype("Int64"),
        "impressions": df["Lifetime Post Total Impressions"].astype("Int64"),
        "reach": df["Lifetime Post Total Reach"].astype("Int64"),
        "shares": share.astype("Int64"),
        "followers": df["Page total likes"].astype("Int64"),
        "format": df["Type"].map(FORMATS),
    })

    out = prepare_out_dir(out_dir)
    rows = {"social_posts": write_table(posts, out, "social_posts")}
    write_client_yml(out, name="Cosmetics brand Facebook page (UCI Facebook metrics, 2014)",
                     timezone="UTC", currency="EUR")
    missing = (f"{derived} missing like/share cell(s) computed from Total Interactions = comment "
               "+ like + share (derive_missing_from_total=True); "
               f"{int(posts['likes'].isna().sum() + posts['shares'].isna().sum())} left missing."
               if derive_missing_from_total else
               f"Missing cells kept empty: {int(posts['likes'].isna().sum())} likes (a required "
               f"column), {int(posts['shares'].isna().sum())} shares.")
    write_provenance(out, folder=Path(src_dir).name,
                     importer="kpi_helpers.importers.facebook_posts", notes=[*NOTES, missing],
                     rows=rows, **DATASET)
    return rows
