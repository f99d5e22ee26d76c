"""Product pages: bounce rate of sessions that land on a product page.

A session lands on a product page when its ``landing_page`` matches the client's
``product_page_pattern`` or its ``landing_page_title`` matches ``product_title_pattern``
(regular expressions searched anywhere in the text, RE2 syntax). Without any pattern in
``client.yml`` the URL pattern is ``/(produit|produits|product|products|p)/``.

A session bounced when its ``bounced`` column says so, else when it saw one page
(``pageviews == 1``): Matomo's and Universal Analytics' bounce. GA4's "bounce rate" is something
else (the share of sessions that were not *engaged*: under 10 seconds, one page, no conversion);
do not compare the two.
"""

from __future__ import annotations

import ibis
import pandas as pd

from .core import Scope, make_scope, agg, kpi, parts, public
from .loading import as_client
from .results import run

__all__ = ["product_page_bounce_rate", "product_page_bounce_by_page", "DEFAULT_PRODUCT_PAGE_PATTERN",
           "product_page_patterns"]

DEFAULT_PRODUCT_PAGE_PATTERN = "/(produit|produits|product|products|p)/"


def product_page_patterns(settings) -> tuple[str | None, str | None]:
    """(URL pattern, title pattern) in force for a client's settings."""
    url, title = settings.product_page_pattern, settings.product_title_pattern
    if url is None and title is None:
        url = DEFAULT_PRODUCT_PAGE_PATTERN
    return url, title


def _product_sessions(scope: Scope) -> ibis.Table:
    s = scope.sessions()
    url, title = product_page_patterns(scope.client.settings)
    conds = []
    if url is not None and scope.client.has("sessions", "landing_page"):
        conds.append(s.landing_page.re_search(url).fill_null(False))
    if title is not None and scope.client.has("sessions", "landing_page_title"):
        conds.append(s.landing_page_title.re_search(title).fill_null(False))
    is_product = ibis.or_(*conds) if conds else ibis.literal(False)
    bounced = s.bounced.fill_null(s.pageviews == 1).fill_null(False)
    return s.filter(is_product).mutate(_bounced=bounced.cast("int64"))


@kpi("product_page_bounce_rate", needs=["sessions"],
     any_of=[("sessions.landing_page", "sessions.landing_page_title"), ("sessions.bounced", "sessions.pageviews")])
def _product_page_bounce_rate(scope: Scope, keys):
    p = _product_sessions(scope)
    return parts(keys, agg(p, keys, numerator=p._bounced.sum(), denominator=p.count()))


product_page_bounce_rate = public(
    "product_page_bounce_rate", "Bounce rate of the visits that land on a product page.",
    "bounced sessions landing on a product page / sessions landing on a product page "
    "(bounced = `bounced` column if given, else pageviews == 1)",
    "session", "fraction 0-1", "null when no session lands on a product page",
    "Matomo / Universal Analytics bounce rate (not GA4's non-engaged rate)")


def product_page_bounce_by_page(data, *, start=None, end=None, channel=None, device=None, top: int = 20,
                                min_sessions: int = 1) -> pd.DataFrame:
    """Bounce rate per product landing page, the pages with most landing sessions first.

    Columns ``landing_page``, ``numerator`` (bounced sessions), ``denominator`` (sessions landing
    there) and ``value``; at most ``top`` pages with at least ``min_sessions`` sessions.
    Grain: session. Unit: fraction 0-1.
    """
    client = as_client(data)
    scope = make_scope(client, start=start, end=end, channel=channel, device=device)
    if not client.has("sessions", "landing_page"):
        out = pd.DataFrame(columns=["landing_page", "numerator", "denominator", "value"])
        out.attrs["unavailable"] = "sessions.landing_page column not provided"
        return out
    p = _product_sessions(scope)
    g = p.group_by("landing_page").aggregate(numerator=p._bounced.sum(), denominator=p.count())
    g = g.filter(g.denominator >= min_sessions).order_by([ibis.desc("denominator"), "landing_page"]).limit(top)
    out = run(g)
    out["numerator"] = out["numerator"].astype("float64")
    out["denominator"] = out["denominator"].astype("float64")
    out["value"] = out["numerator"] / out["denominator"]
    return out.reset_index(drop=True)
