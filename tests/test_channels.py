"""The channel rules: GA4-like default channel group plus price comparators, first match wins."""

import pandas as pd
import pytest

from kpi_helpers import client_from_frames
from kpi_helpers.channels import CHANNELS, ad_channel, ad_platform_rules, channel_rules, derive_channel


@pytest.mark.parametrize(
    "source, medium, campaign, expected",
    [
        ("(direct)", "(none)", None, "direct"),
        (None, None, None, "direct"),
        ("google", "organic", None, "organic_search"),
        ("qwant.com", "referral", None, "organic_search"),
        ("google", "cpc", "FR - Marque", "paid_search"),
        ("bing", "ppc", None, "paid_search"),
        ("google", "cpc", "FR - Shopping - Robes", "price_comparator"),
        ("idealo", "cpc", None, "price_comparator"),
        ("ledenicheur.fr", "referral", None, "price_comparator"),
        ("kelkoo", "comparateur", None, "price_comparator"),
        ("leguide.com", "referral", None, "price_comparator"),
        ("cherchons.com", "referral", None, "price_comparator"),
        ("shopping.google.com", "referral", None, "price_comparator"),
        ("anything", "comparateur", None, "price_comparator"),
        ("facebook", "paid", None, "paid_social"),
        ("instagram", "cpc", None, "paid_social"),
        ("meta", "paid_social", None, "paid_social"),
        ("l.instagram.com", "referral", None, "organic_social"),
        ("m.facebook.com", "referral", None, "organic_social"),
        ("linktree", "social", None, "organic_social"),
        ("newsletter", "email", None, "email"),
        ("brevo", None, None, "email"),
        ("awin", "affiliate", None, "affiliate"),
        ("criteo", "display", None, "display"),
        ("blog.example.fr", "referral", None, "referral"),
        ("partner-site", "unknown-medium", None, "other"),
        ("  GOOGLE ", " CPC ", None, "paid_search"),
    ],
)
def test_derive_channel_follows_the_rules(source, medium, campaign, expected):
    assert derive_channel(source, medium, campaign) == expected


def test_every_rule_names_a_contract_channel_and_the_rules_are_versioned():
    version, rules = channel_rules()
    assert version >= 1
    assert {channel for channel, _ in rules} <= set(CHANNELS)


def test_the_loader_derives_channels_in_duckdb_exactly_as_in_python():
    cases = [("google", "cpc", "x"), ("idealo.fr", "referral", None), ("(direct)", "(none)", None),
             ("l.instagram.com", "referral", None), ("weird", "thing", None), (None, None, None),
             ("google", "cpc", "Shopping FR")]
    sessions = pd.DataFrame({
        "session_id": [f"s{i}" for i in range(len(cases))],
        "visitor_id": "v",
        "started_at": "2024-03-01 10:00:00",
        "source": [c[0] for c in cases],
        "medium": [c[1] for c in cases],
        "campaign": [c[2] for c in cases],
    })
    client = client_from_frames({"sessions": sessions})
    got = client.tables["sessions"].order_by("session_id").channel.to_pandas().tolist()
    assert got == [derive_channel(*c) for c in sorted(cases, key=lambda c: f"s{cases.index(c)}")]
    assert client.has("sessions", "channel")


def test_a_channel_column_given_by_the_client_is_kept_as_is():
    sessions = pd.DataFrame({"session_id": ["1"], "visitor_id": ["v"], "started_at": ["2024-03-01"],
                             "channel": ["price_comparator"], "source": ["google"], "medium": ["cpc"]})
    assert client_from_frames({"sessions": sessions}).tables["sessions"].channel.to_pandas().tolist() == ["price_comparator"]


@pytest.mark.parametrize("platform, campaign_type, expected", [
    ("google_ads", "Search", "paid_search"), ("google_ads", "Réseau de Recherche", "paid_search"),
    ("google_ads", "Shopping", "price_comparator"), ("google_ads", "Performance Max", "paid_search"),
    ("google_ads", "Display", "display"), ("google_ads", "Réseau Display", "display"),
    ("google_ads", "Demand Gen", "display"), ("google_ads", "Discovery", "display"),
    ("google_ads", "Video", "display"), ("google_ads", "Vidéo", "display"), ("google_ads", "  VIDÉO ", "display"),
    ("google_ads", "App", "paid_search"), ("google_ads", None, "paid_search"),
    ("meta_ads", None, "paid_social"), ("meta_ads", "whatever", "paid_social"),
])
def test_ad_spend_gets_its_channel_from_the_same_rules_as_the_sessions_it_paid_for(platform, campaign_type, expected):
    assert ad_channel(platform, campaign_type) == expected


def test_each_ad_platform_entry_names_the_source_and_medium_of_its_clicks():
    assert channel_rules()[0] >= 2  # ad_platforms arrived with version 2
    for platform, entries in ad_platform_rules().items():
        assert entries[-1][0] is None, f"{platform}: the last entry catches every campaign type"
        for _, tags in entries:
            assert {"source", "medium"} <= set(tags)
            assert derive_channel(tags["source"], tags["medium"], tags.get("campaign")) in CHANNELS
    with pytest.raises(ValueError, match="no ad_platforms entry for 'tiktok_ads'"):
        ad_channel("tiktok_ads")
