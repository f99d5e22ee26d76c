"""Social media: posts, impressions and engagement rates.

Shop, March 2024 (p0, February 25: facebook, 10 likes, 0 comments, 500 impressions):
    post  platform   format likes comments impressions reach views shares saves
    p1    facebook   image  30    10       1000        600   -     5      0
    p2    instagram  reel   50    10       2000        1400  3000  10     20
    p3    instagram  reel   40    0        -           1500  2000  0      10
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

import kpi_frames as kf
from kpi_helpers import client_from_frames
from kpi_helpers import social as so

MARCH = kf.MARCH
ALL_SOCIAL = (so.posts, so.impressions, so.engagement_rate, so.engagement_rate_all_interactions,
              so.engagement_rate_by_reach, so.engagement_rate_by_views, so.engagement_rate_impressions_or_views)


@pytest.fixture(scope="module")
def shop():
    return kf.shop_client()


def test_posts_counts_the_posts_published_in_the_period(shop):
    assert kf.value(so.posts(shop, **MARCH)) == 3


def test_impressions_sums_the_impressions_that_are_reported(shop):
    # 1000 + 2000 (p3 has none)
    assert kf.value(so.impressions(shop, **MARCH)) == 3000


def test_engagement_rate_is_a_ratio_of_sums_leaving_out_posts_without_impressions(shop):
    # (30 + 10 + 50 + 10) / (1000 + 2000) = 100 / 3000; p3 left out (with it: 140 / 3000);
    # not the mean of per-post rates (40/1000 + 60/2000) / 2 = 0.035
    df = so.engagement_rate(shop, **MARCH)
    assert (df["numerator"].iloc[0], df["denominator"].iloc[0]) == (100, 3000)
    assert kf.value(df) == pytest.approx(1 / 30)
    assert df["posts_without_impressions"].iloc[0] == 1


def test_engagement_rate_all_interactions_adds_shares_and_saves(shop):
    # p1 30 + 10 + 5 + 0 = 45; p2 50 + 10 + 10 + 20 = 90 -> 135 / 3000
    assert kf.value(so.engagement_rate_all_interactions(shop, **MARCH)) == pytest.approx(0.045)


def test_engagement_rate_by_reach_divides_by_people_reached(shop):
    # (40 + 60 + 40) / (600 + 1400 + 1500) = 140 / 3500
    assert kf.value(so.engagement_rate_by_reach(shop, **MARCH)) == pytest.approx(0.04)


def test_engagement_rate_by_views_keeps_the_posts_that_report_views(shop):
    # p2 60 + p3 40 over 3000 + 2000 views = 100 / 5000
    assert kf.value(so.engagement_rate_by_views(shop, **MARCH)) == pytest.approx(0.02)


def test_engagement_rate_impressions_or_views_uses_views_where_impressions_are_missing(shop):
    # p1 40 / 1000 imp., p2 60 / 2000 imp., p3 40 / 2000 views -> 140 / 5000; 2 posts on impressions, 1 on views
    df = so.engagement_rate_impressions_or_views(shop, **MARCH)
    assert kf.value(df) == pytest.approx(0.028)
    assert (df["posts_on_impressions"].iloc[0], df["posts_on_views"].iloc[0]) == (2, 1)


def test_engagement_rate_by_platform(shop):
    # facebook p1 40 / 1000; instagram p2 60 / 2000 (p3 left out)
    got = kf.by_key(so.engagement_rate(shop, **MARCH, by="platform"), "platform")
    assert got == pytest.approx({"facebook": 0.04, "instagram": 0.03})


def test_posts_by_format(shop):
    assert kf.by_key(so.posts(shop, **MARCH, by="format"), "format") == {"image": 1, "reel": 2}


def test_a_monthly_series_of_posts(shop):
    # February p0; March p1 p2 p3
    assert kf.series(so.posts(shop, start="2024-02-01", end="2024-03-31", freq="M")) == {"2024-02-01": 1, "2024-03-01": 3}


def test_engagement_rate_compared_with_the_previous_period(shop):
    # February: p0 10 / 500 = 0.02; March 1/30 -> change 1/30 - 0.02, relative (1/30 - 0.02) / 0.02 = 2/3
    row = so.engagement_rate(shop, **MARCH, compare="previous_period").iloc[0]
    assert row["comparison_value"] == pytest.approx(0.02)
    assert row["change"] == pytest.approx(1 / 30 - 0.02)
    assert row["relative_change"] == pytest.approx(2 / 3)


# --- unavailable and empty ------------------------------------------------------------------

@pytest.mark.parametrize("segment", [{"channel": "organic_social"}, {"device": "mobile"}])
def test_social_kpis_are_unavailable_under_a_segment_filter(shop, segment):
    for fn in ALL_SOCIAL:
        df = fn(shop, **MARCH, **segment)
        assert math.isnan(kf.value(df)), fn.__name__
        assert df.attrs["unavailable"] == "not split by channel or device"


def test_an_empty_period_has_no_post_and_null_engagement(shop):
    kw = dict(start="2024-06-01", end="2024-06-30")
    assert kf.value(so.posts(shop, **kw)) == 0
    assert kf.value(so.impressions(shop, **kw)) == 0
    for fn in ALL_SOCIAL[2:]:
        assert math.isnan(kf.value(fn(shop, **kw))), fn.__name__


def test_without_the_social_posts_table_social_kpis_are_unavailable():
    client = client_from_frames({"sessions": kf.sessions()})
    for fn in ALL_SOCIAL:
        df = fn(client, **MARCH)
        assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "social_posts table not provided", fn.__name__


def test_instagram_data_without_an_impressions_column_falls_back_to_views():
    # Instagram after April 2025: no impressions column at all
    posts = pd.DataFrame({"post_id": ["i1", "i2"], "platform": "instagram",
                          "published_at": ["2025-05-02 12:00:00", "2025-05-03 12:00:00"],
                          "likes": [20, 30], "comments": [5, 5], "views": [500, 1500]})
    client = client_from_frames({"social_posts": posts})
    df = so.engagement_rate(client)
    assert math.isnan(kf.value(df)) and df.attrs["unavailable"] == "social_posts.impressions column not provided"
    # (25 + 35) / (500 + 1500) = 60 / 2000
    best = so.engagement_rate_impressions_or_views(client)
    assert kf.value(best) == pytest.approx(0.03)
    assert (best["posts_on_impressions"].iloc[0], best["posts_on_views"].iloc[0]) == (0, 2)


def test_posts_without_any_impressions_give_a_null_engagement_rate_not_zero():
    posts = pd.DataFrame({"post_id": ["i1"], "platform": "instagram", "published_at": ["2025-05-02 12:00:00"],
                          "likes": [20], "comments": [5], "impressions": [None], "views": [500]})
    df = so.engagement_rate(client_from_frames({"social_posts": posts}))
    assert math.isnan(kf.value(df))


def test_impressions_of_posts_none_of_which_reports_them_are_unknown_not_zero():
    # Instagram stopped reporting impressions in April 2025: its posts since then have views only
    client = client_from_frames({"social_posts": pd.DataFrame({
        "post_id": ["p1", "p2", "p3"], "platform": ["instagram", "instagram", "facebook"],
        "published_at": ["2025-05-02 10:00", "2025-05-03 10:00", "2025-06-03 11:00"], "likes": [3, 4, 1],
        "comments": [1, 0, 0], "impressions": [None, None, 50], "views": [100, 200, None]})})
    may = so.impressions(client, start="2025-05-01", end="2025-05-31")
    assert math.isnan(kf.value(may)) and may["denominator"].iloc[0] == 0  # two posts, no impressions known
    assert kf.value(so.impressions(client, start="2025-06-01", end="2025-06-30")) == 50
    assert kf.value(so.impressions(client, start="2025-07-01", end="2025-07-31")) == 0  # no post
