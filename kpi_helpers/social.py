"""Social media: posts, impressions and engagement rates (Instagram, Facebook...).

The kit's headline engagement rate is a ratio of sums, as the agency's reference text defines it:
(likes + comments) / impressions over the posts of the period that report impressions. Instagram stopped reporting impressions in April 2025
(``views`` replaced them): such posts are left out of ``engagement_rate`` and counted in the
``posts_without_impressions`` column, and ``engagement_rate_impressions_or_views`` uses views
where impressions are missing, saying which denominator each platform used.

Social KPIs are not split by channel or device (a post is not a visit): under a segment filter
they are unavailable. Breakdowns: ``by="platform"`` or ``by="format"``.
"""

from __future__ import annotations

import ibis

from .core import Scope, agg, kpi, parts, public

__all__ = ["posts", "impressions", "engagement_rate", "engagement_rate_all_interactions",
           "engagement_rate_by_reach", "engagement_rate_by_views", "engagement_rate_impressions_or_views"]

SOCIAL_BY = ("platform", "format")


def _n(col: ibis.Value) -> ibis.Value:
    return col.fill_null(0)


@kpi("posts", needs=["social_posts"], kind="count", by=SOCIAL_BY, segmentable=False)
def _posts(scope: Scope, keys):
    p = scope.posts()
    return parts(keys, agg(p, keys, numerator=p.count()))


@kpi("impressions", needs=["social_posts.impressions"], kind="count", by=SOCIAL_BY, segmentable=False)
def _impressions(scope: Scope, keys):
    p = scope.posts()
    # no post: 0 impressions; posts none of which reports impressions (Instagram since April 2025): unknown, not 0
    total = ibis.ifelse(p.count() == 0, 0, p.impressions.sum())
    return parts(keys, agg(p, keys, numerator=total, denominator=p.impressions.notnull().cast("int64").sum(), value=total))


def _rate(scope: Scope, keys, numerator, denominator_col: str):
    p = scope.posts()
    with_den = p.filter(p[denominator_col].notnull())
    return parts(keys, agg(with_den, keys, numerator=numerator(with_den), denominator=with_den[denominator_col].sum(),
                           posts=with_den.count()),
                 agg(p, keys, **{f"posts_without_{denominator_col}": p[denominator_col].isnull().cast("int64").sum()}))


@kpi("engagement_rate", needs=["social_posts.impressions"], by=SOCIAL_BY, segmentable=False)
def _engagement_rate(scope: Scope, keys):
    return _rate(scope, keys, lambda p: (_n(p.likes) + _n(p.comments)).sum(), "impressions")


def _all_interactions(p):
    return _n(p.likes) + _n(p.comments) + _n(p.shares) + _n(p.saves)


@kpi("engagement_rate_all_interactions", needs=["social_posts.impressions"], by=SOCIAL_BY, segmentable=False)
def _engagement_all(scope: Scope, keys):
    return _rate(scope, keys, lambda p: _all_interactions(p).sum(), "impressions")


@kpi("engagement_rate_by_reach", needs=["social_posts.reach"], by=SOCIAL_BY, segmentable=False)
def _engagement_reach(scope: Scope, keys):
    return _rate(scope, keys, lambda p: (_n(p.likes) + _n(p.comments)).sum(), "reach")


@kpi("engagement_rate_by_views", needs=["social_posts.views"], by=SOCIAL_BY, segmentable=False)
def _engagement_views(scope: Scope, keys):
    return _rate(scope, keys, lambda p: (_n(p.likes) + _n(p.comments)).sum(), "views")


@kpi("engagement_rate_impressions_or_views", needs=["social_posts"], by=SOCIAL_BY, segmentable=False,
     any_of=[("social_posts.impressions", "social_posts.views")])
def _engagement_best(scope: Scope, keys):
    p = scope.posts()
    den = p.impressions.fill_null(p.views)
    used = ibis.ifelse(p.impressions.notnull(), "impressions", ibis.ifelse(p.views.notnull(), "views", "none"))
    p = p.mutate(_den=den, _used=used)
    known = p.filter(p._den.notnull())
    df = parts(keys, agg(known, keys, numerator=(_n(known.likes) + _n(known.comments)).sum(),
                         denominator=known._den.sum(),
                         posts_on_impressions=(known._used == "impressions").cast("int64").sum(),
                         posts_on_views=(known._used == "views").cast("int64").sum()))
    return df


# the headline engagement rate (a ratio of sums): numerator is a sum of sums
_ENGAGEMENT_DOC = ("social post", "fraction 0-1")
engagement_rate = public(
    "engagement_rate", "Engagement rate of the period's posts: the kit's headline definition, a ratio of sums.",
    "(sum of likes + sum of comments) / sum of impressions, over the posts that report impressions "
    "(a ratio of sums, not an average of per-post rates)", *_ENGAGEMENT_DOC,
    "null when no post reports impressions", "the agency's reference text: (likes + comments) / impressions, a ratio of sums")
engagement_rate_all_interactions = public(
    "engagement_rate_all_interactions", "Engagement rate counting shares and saves too.",
    "(likes + comments + shares + saves) / impressions, over posts that report impressions", *_ENGAGEMENT_DOC,
    "null when no post reports impressions", "Meta Business Suite 'Engagement' / impressions")
engagement_rate_by_reach = public(
    "engagement_rate_by_reach", "Engagement per person reached.",
    "(likes + comments) / reach, over posts that report reach", *_ENGAGEMENT_DOC,
    "null when no post reports reach", "Meta 'Engagement rate by reach'")
engagement_rate_by_views = public(
    "engagement_rate_by_views", "Engagement per view (Instagram reports views, not impressions, since April 2025).",
    "(likes + comments) / views, over posts that report views", *_ENGAGEMENT_DOC,
    "null when no post reports views", "Instagram 'Views' metric (2025)")
engagement_rate_impressions_or_views = public(
    "engagement_rate_impressions_or_views", "Engagement rate on impressions, or on views where impressions are missing.",
    "(likes + comments) / (impressions, else views), summed over posts; posts_on_impressions and posts_on_views "
    "say which denominator was used", *_ENGAGEMENT_DOC, "null when no post reports impressions or views",
    "the agency's definition for mixed Instagram data")
posts = public("posts", "Social posts published in the period.", "count of posts published in the period", "post",
               "posts", "not a ratio", "the platforms' exports")
impressions = public("impressions", "Impressions of the period's posts.",
                     "sum of impressions of the posts that report them (denominator: how many posts do)",
                     "post", "impressions", "0 without posts; null when posts exist and none reports impressions (not 0)",
                     "the platforms' exports")
