"""Traffic channels: derive ``sessions.channel`` from source/medium/campaign with versioned rules.

The rules live in ``channel_rules.yml`` (beside this module): modelled on GA4's default channel
group, first match wins, plus ``price_comparator`` for the comparison sites French shops use.
The same rules run in DuckDB (the loader calls :func:`channel_case_sql`), as an Ibis expression on
any backend (:func:`channel_expr`, for tables already in a warehouse) and in Python
(:func:`derive_channel`, for tests and one-off checks).

A session with neither source nor medium is ``direct`` (as GA4 does for ``(direct) / (none)``);
one whose source/medium match no rule is ``other``.

Imported ad spend gets its channel from the same rules (:func:`ad_channel`): the file's
``ad_platforms`` section says which source / medium / campaign the clicks of each platform and
campaign type carry, and the session rules turn that into the channel.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

__all__ = ["CHANNELS", "RULES_PATH", "channel_rules", "derive_channel", "channel_case_sql", "channel_expr",
           "ad_platform_rules", "ad_channel", "referrer_source_medium", "channel_group_channel"]

RULES_PATH = Path(__file__).with_name("channel_rules.yml")

#: The channel values the data contract recommends, in reporting order.
CHANNELS: tuple[str, ...] = (
    "organic_search", "paid_search", "direct", "referral", "price_comparator", "organic_social",
    "paid_social", "email", "affiliate", "display", "other",
)


@lru_cache(maxsize=1)
def _rules_file() -> dict:
    return yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def channel_rules() -> tuple[int, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]]:
    """(version, rules) with each rule as (channel, ((field, pattern), ...)), lists expanded."""
    doc = _rules_file()
    lists = doc.get("lists", {})
    rules = []
    for rule in doc["rules"]:
        conds = []
        for field in ("source", "medium", "campaign"):
            if field in rule:
                pattern = str(rule[field])
                for name, alternation in lists.items():
                    pattern = pattern.replace("{" + name + "}", f"(?:{alternation})")
                re.compile(pattern)
                conds.append((field, pattern))
        if rule["channel"] not in CHANNELS:
            raise ValueError(f"{RULES_PATH.name}: unknown channel {rule['channel']!r}")
        rules.append((rule["channel"], tuple(conds)))
    return int(doc["version"]), tuple(rules)


def _clean(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip().lower()


def derive_channel(source: object = None, medium: object = None, campaign: object = None) -> str:
    """The channel of one session from its raw source, medium and campaign (first rule that matches).

    >>> derive_channel("google", "cpc")
    'paid_search'
    >>> derive_channel("idealo.fr", "referral")
    'price_comparator'
    """
    values = {"source": _clean(source), "medium": _clean(medium), "campaign": _clean(campaign)}
    for channel, conds in channel_rules()[1]:
        if all(re.search(pattern, values[field]) for field, pattern in conds):
            return channel
    return "other"


def channel_case_sql(source_sql: str, medium_sql: str, campaign_sql: str) -> str:
    """A DuckDB ``CASE`` expression applying the rules to three SQL expressions."""
    cleaned = {
        "source": f"lower(trim(coalesce(CAST({source_sql} AS VARCHAR), '')))",
        "medium": f"lower(trim(coalesce(CAST({medium_sql} AS VARCHAR), '')))",
        "campaign": f"lower(trim(coalesce(CAST({campaign_sql} AS VARCHAR), '')))",
    }
    whens = []
    for channel, conds in channel_rules()[1]:
        test = " AND ".join(
            f"regexp_matches({cleaned[field]}, '{pattern.replace(chr(39), chr(39) * 2)}')" for field, pattern in conds
        )
        whens.append(f"WHEN {test} THEN '{channel}'")
    return "(CASE " + " ".join(whens) + " ELSE 'other' END)"


def channel_expr(source, medium, campaign):
    """The rules as an Ibis expression on three columns (or None for a missing one): the same
    channel as :func:`channel_case_sql` on any backend (the loader's warehouse tables use it)."""
    import ibis

    def cleaned(col):
        return ibis.literal("") if col is None else col.cast("string").fill_null("").strip().lower()

    fields = {"source": cleaned(source), "medium": cleaned(medium), "campaign": cleaned(campaign)}
    cases = []
    for channel, conds in channel_rules()[1]:
        test = ibis.and_(*[fields[field].re_search(pattern) for field, pattern in conds])
        cases.append((test, channel))
    return ibis.cases(*cases, else_="other")


@lru_cache(maxsize=1)
def ad_platform_rules() -> dict[str, tuple[tuple[str | None, dict[str, str]], ...]]:
    """platform -> ((campaign type pattern or None, {source, medium[, campaign]}), ...), in file order."""
    out = {}
    for platform, entries in _rules_file().get("ad_platforms", {}).items():
        rules = []
        for entry in entries:
            pattern = entry.get("campaign_type")
            if pattern is not None:
                re.compile(str(pattern))
            tags = {k: str(entry[k]) for k in ("source", "medium", "campaign") if k in entry}
            rules.append((None if pattern is None else str(pattern), tags))
        out[platform] = tuple(rules)
    return out


def ad_channel(platform: str, campaign_type: object = None) -> str:
    """The channel of one ad platform's spend, for a campaign type as the report labels it.

    The first ``ad_platforms`` entry of the rules file whose ``campaign_type`` pattern is found in
    the lower-cased, trimmed label (or that has no pattern) gives the source / medium / campaign
    the clicks carry; :func:`derive_channel` turns them into the channel.

    >>> ad_channel("google_ads", "Réseau de Recherche")
    'paid_search'
    >>> ad_channel("google_ads", "Shopping")
    'price_comparator'
    >>> ad_channel("meta_ads")
    'paid_social'
    """
    rules = ad_platform_rules()
    if platform not in rules:
        raise ValueError(f"{RULES_PATH.name}: no ad_platforms entry for {platform!r}; known: {', '.join(rules)}")
    label = _clean(campaign_type)
    for pattern, tags in rules[platform]:
        if pattern is None or (label and re.search(pattern, label)):
            return derive_channel(tags.get("source"), tags.get("medium"), tags.get("campaign"))
    return "other"


def referrer_source_medium(tool: str, referrer_type: object, name: object = None) -> tuple[str, str]:
    """(source, medium) of a visit whose analytics tool gives a referrer kind and name (Matomo's
    ``referrerType`` / ``referrerName``), from the ``referrers`` section of the rules file; an
    unknown kind gives (name, kind), which the rules count as ``other``.

    >>> derive_channel(*referrer_source_medium("matomo", "search", "Google"))
    'organic_search'
    >>> derive_channel(*referrer_source_medium("matomo", "website", "idealo.fr"))
    'price_comparator'
    """
    kinds = _rules_file().get("referrers", {}).get(tool)
    if kinds is None:
        raise ValueError(f"{RULES_PATH.name}: no referrers entry for {tool!r}")
    kind, label = _clean(referrer_type), _clean(name)
    entry = kinds.get(kind)
    if entry is None:
        return label, kind
    return (label if entry["source"] == "name" else str(entry["source"])), str(entry["medium"])


def channel_group_channel(tool: str, group: object) -> str:
    """The kit's channel of a tool's own channel group label (GA4's default channel groups, in
    English or French), through the ``channel_groups`` section of the rules file and the session
    rules; an unknown label is ``other``.

    >>> channel_group_channel("ga4", "Organic Search")
    'organic_search'
    >>> channel_group_channel("ga4", "Paid Shopping")
    'price_comparator'
    """
    groups = _rules_file().get("channel_groups", {}).get(tool)
    if groups is None:
        raise ValueError(f"{RULES_PATH.name}: no channel_groups entry for {tool!r}")
    entry = {_clean(k): v for k, v in groups.items()}.get(_clean(group))
    if entry is None:
        return "other"
    return derive_channel(entry["source"], entry["medium"])
