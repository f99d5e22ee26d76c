"""Meta Business Suite content export (Insights > Content > Export, Instagram or Facebook posts) -> social_posts.

Written from ``shared/spec/exports.md``: the Instagram header ``Post ID, Account ID, Account
username, Account name, Description, Duration (sec), Publish time, Permalink, Post type, Data
comment, Date, Views, Reach, Likes, Shares, Follows, Comments, Saves`` (found identically in public
projects parsing real exports); the Facebook export has ``Page ID, Page name, Title`` for the
account and ``Reactions`` where Instagram has ``Likes`` (``Reactions, Comments and Shares,
Reactions, Comments, Shares, Total clicks...``, seen in public parsers of real Facebook exports).
French headers (``Identifiant de la publication, Heure de publication, Permalien, Type de
publication, Vues, Couverture, J’aime, Partages, Commentaires, Enregistrements``) are those of the
spec and are NOT verified against a real French export; ``Réactions`` for Facebook likewise.

Input shape: one row per post, lifetime metrics (``Date`` = ``Lifetime`` / ``Total``).
``Publish time`` is ``MM/DD/YYYY HH:MM`` in English, ``DD/MM/YYYY HH:MM`` in French, in the time
zone of the person who exported (read in the client's timezone); counts carry thousands
separators (``18,807``, ``12 153``). Exports made before April 2025 have ``Impressions`` where
later ones have ``Views`` (Instagram replaced impressions by views).

Output table and mapping
------------------------
social_posts (one row per post)
    * ``post_id`` = ``Post ID`` as text (Instagram ids have 17-18 digits: never a number).
    * ``platform`` from the permalink (instagram.com -> ``instagram``, facebook.com / fb.com ->
      ``facebook``), else from the header (``Account username`` -> instagram, ``Page ID`` ->
      facebook).
    * ``published_at`` = ``Publish time``; the order of day and month is the language's, checked
      against the values (a first number above 12 can only be a day).
    * ``likes`` = ``Likes`` (Instagram) or ``Reactions`` (Facebook: every reaction, not only likes);
      ``comments``, ``shares``, ``saves``, ``reach``, ``views``, ``impressions`` as named; a
      column the export does not have stays unknown (never 0).
    * ``format`` from ``Post type``: ``IG reel`` -> reel, ``IG image`` -> image, ``IG carousel``
      -> carousel, ``IG story`` -> story; Facebook ``Photo(s)`` -> image, ``Video(s)`` -> video,
      ``Reel(s)`` -> reel, ``Link(s)`` -> link, ``Text`` / ``Status`` -> status; any other type is
      written lower-cased and listed in the provenance.
    * NOT written: ``Follows`` / ``Suivis`` counts the follows a post brought, not the account's
      followers (the contract's ``followers``); descriptions, titles, durations, clicks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ._raw import Col, ImportContext, Parsed, fail, header_first, norm_label, read_export

__all__ = ["NAME", "TITLE", "TABLE", "COLUMNS", "FORMATS", "detect", "read"]

NAME = "business_suite"
TITLE = "Meta Business Suite posts export"
TABLE = "social_posts"

COLUMNS = {
    "post_id": Col(("Post ID",), ("Identifiant de la publication", "ID de la publication")),
    "username": Col(("Account username",), ("Nom d'utilisateur du compte",)),
    "page_id": Col(("Page ID",), ("Identifiant de la Page", "ID de la Page")),
    "publish_time": Col(("Publish time",), ("Heure de publication",)),
    "permalink": Col(("Permalink",), ("Permalien", "Lien permanent")),
    "post_type": Col(("Post type",), ("Type de publication",)),
    "date": Col(("Date",), ("Date",)),
    "views": Col(("Views",), ("Vues",)),
    "impressions": Col(("Impressions",), ("Impressions",)),
    "reach": Col(("Reach",), ("Couverture",)),
    "likes": Col(("Likes",), ("J'aime", "Mentions J'aime")),
    "reactions": Col(("Reactions",), ("Réactions",)),
    "comments": Col(("Comments",), ("Commentaires",)),
    "shares": Col(("Shares",), ("Partages",)),
    "saves": Col(("Saves",), ("Enregistrements",)),
}
REQUIRED = ("post_id", "publish_time", "permalink", "post_type")
LIFETIME = {"lifetime", "total", "à vie", ""}
#: Post type (lower-cased, without the ``IG`` prefix) -> contract format.
FORMATS = {
    "reel": "reel", "reels": "reel", "image": "image", "photo": "image", "photos": "image",
    "carousel": "carousel", "carrousel": "carousel", "album": "carousel", "albums": "carousel", "story": "story", "stories": "story",
    "video": "video", "videos": "video", "vidéo": "video", "vidéos": "video", "live": "video",
    "link": "link", "links": "link", "lien": "link", "liens": "link", "text": "status", "texte": "status",
    "status": "status", "statut": "status",
}


def detect(path: Path | str) -> bool:
    """Whether ``path`` is a Business Suite posts export (Post ID, Publish time, Permalink, Post type)."""
    return header_first(path, COLUMNS, REQUIRED)


def _day_first(text: pd.Series, language: str, x) -> bool:
    """Whether ``DD/MM`` (else ``MM/DD``): the values decide when one number exceeds 12."""
    parts = text.str.extract(r"^\s*(\d{1,2})/(\d{1,2})/", expand=True).astype(float)
    first_big, second_big = bool((parts[0] > 12).any()), bool((parts[1] > 12).any())
    if first_big and second_big:
        x.bad("publish_time", (parts[0] > 12) | (parts[1] > 12), "mix day-first and month-first dates",
              "one date order in the whole file")
    return first_big or (not second_big and language == "fr")


def read(path: Path | str, ctx: ImportContext) -> Parsed:
    """Read the export at ``path`` into the social_posts table (see the module docstring)."""
    x = read_export(path, COLUMNS, required=REQUIRED, what=TITLE)
    post_id = x.text("post_id").astype("object")
    x.bad("post_id", post_id == "", "are empty", "the post id on every row")
    x.bad("post_id", post_id.duplicated(), "appear twice", "one row per post")
    scope = x.text("date").str.lower().astype("object")
    x.bad("date", ~scope.map(norm_label).isin(LIFETIME), "are days, not lifetime totals",
          "one row per post with its lifetime metrics (Date = Lifetime)")
    link = x.text("permalink").str.lower().astype("object")
    header_platform = "instagram" if "username" in x.columns else "facebook" if "page_id" in x.columns else None
    platform = np.select([link.str.contains(r"instagram\.com|instagr\.am", regex=True),
                          link.str.contains(r"facebook\.com|fb\.com|fb\.watch", regex=True)],
                         ["instagram", "facebook"], header_platform or "")
    platform = pd.Series(platform, dtype="object")
    x.bad("permalink", platform == "", "are neither Instagram nor Facebook links",
          "an instagram.com or facebook.com permalink")
    raw_time = x.text("publish_time").astype("object")
    fmt = "%d/%m/%Y %H:%M" if _day_first(raw_time, x.language, x) else "%m/%d/%Y %H:%M"
    at = x.datetimes("publish_time", [fmt, fmt + ":%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
                     timezone=ctx.timezone, expected=f"a time such as {'31/03/2025' if 'd/%m' in fmt else '03/31/2025'} 20:31")
    decimal = "," if x.language == "fr" else "."

    def count(key: str, *, required: bool = False) -> pd.Series:
        values = x.numbers(key, decimal=decimal, min=0, required=required and key in x.columns)
        return pd.Series(pd.array(values.round(), dtype="Int64"))

    if "comments" not in x.columns:
        fail(x.path, "no Comments column", line=x.header_index + 1, expected=f"{TITLE} with its Comments column")
    likes = count("likes")
    if "reactions" in x.columns:
        likes = likes.where(platform != "facebook", count("reactions"))
    missing_likes = likes.isna()
    if missing_likes.any():
        key = "likes" if "likes" in x.columns else "reactions" if "reactions" in x.columns else None
        if key is None:
            fail(x.path, "no Likes (Instagram) or Reactions (Facebook) column", line=x.header_index + 1,
                 expected=f"{TITLE} with its Likes or Reactions column")
        x.bad(key, missing_likes, "are empty", "a count of likes on every post")
    kind = x.text("post_type").str.lower().str.replace(r"^ig\s+", "", regex=True).astype("object")
    fmt_out = kind.map(lambda k: FORMATS.get(norm_label(k), norm_label(k)))
    posts = pd.DataFrame({
        "post_id": post_id.to_numpy(), "platform": platform.to_numpy(), "published_at": at,
        "likes": likes, "comments": count("comments", required=True),
        "impressions": count("impressions"), "reach": count("reach"), "views": count("views"),
        "shares": count("shares"), "saves": count("saves"), "format": fmt_out.to_numpy(),
    })
    posts = posts[[c for c in posts.columns if not (posts[c].isna().all() and c in
                                                     ("impressions", "reach", "views", "shares", "saves"))]]
    platforms = sorted(set(platform))
    unknown = sorted(set(kind) - set(FORMATS) - {""})
    notes = [
        "likes = Likes (Instagram), Reactions (Facebook: every reaction). Follows (follows gained by a post) "
        "is not the account's followers and is not written.",
        f"published_at read as {'DD/MM/YYYY' if 'd/%m' in fmt else 'MM/DD/YYYY'} HH:MM in the client's timezone.",
        "metrics written: " + ", ".join(c for c in ("impressions", "reach", "views", "shares", "saves")
                                        if c in posts.columns) + " (a column the export lacks stays unknown).",
    ]
    if unknown:
        notes.append("post types without a rule, written lower-cased as format: " + ", ".join(unknown) + ".")
    source = f"{NAME}_{platforms[0]}" if len(platforms) == 1 else NAME
    return Parsed(NAME, TITLE, source, TABLE, posts, rows_read=len(x.data), language=x.language, notes=notes)
