"""The channel rules: GA4-like default channel group plus price comparators, first match wins."""

import pandas as pd
import pytest

from kpi_helpers import client_from_frames
from kpi_helpers.channels import CHANNELS, channel_rules, derive_channel


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
