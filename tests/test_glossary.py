"""The glossary covers every KPI in both languages and notebooks/GLOSSARY.md cannot go stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpi_helpers import glossary
from kpi_helpers.core import KPIS
from kpi_helpers.glossary import KPI_FIELDS, TERM_FIELDS, TERMS, entry, load_glossary, render_markdown
from kpi_helpers.labels import KPI_LABELS, LANGUAGES
from kpi_helpers.scorecard import BREAKDOWNS, HEADLINE_KPIS

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec" / "kpis.md"
GLOSSARY_MD = ROOT / "notebooks" / "GLOSSARY.md"

#: KPIs of the notebooks and helpers that are not in the scorecard
EXTRA_KPIS = ("orders_per_session", "search_to_purchase_rate", "engagement_rate_all_interactions",
              "engagement_rate_by_reach", "engagement_rate_by_views", "engagement_rate_impressions_or_views",
              "cohort_retention", "abandonment_by_shipping_fee", "acquisition_by_channel",
              "product_page_bounce_by_page")
GENERAL_TERMS = ("session", "visitor", "segment", "period", "comparison_period", "channel", "device", "bounce",
                 "cohort", "attribution", "revenue_decomposition", "mix_effect", "significance")


def _spec_rows() -> dict[str, str]:
    """{id: second cell} of every row of the spec's tables (formula for KPIs, shape for breakdowns)."""
    rows = {}
    for line in SPEC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2 or cells[0] in ("id", "") or set(cells[0]) <= set("-"):
            continue
        for kpi_id in cells[0].split(","):
            rows[kpi_id.strip().strip("`")] = cells[1]
    return rows


SPEC_ROWS = _spec_rows() if SPEC.is_file() else {}
GLOSSARY_KPIS = [k for k in load_glossary() if k != TERMS]
REQUIRED = sorted(set(HEADLINE_KPIS) | set(BREAKDOWNS) | set(SPEC_ROWS) | set(EXTRA_KPIS) | set(KPI_LABELS) | set(KPIS))


def _texts(fields: dict) -> list[str]:
    """Every text of an entry except its name: the fields, then each pitfall."""
    return [v for k, v in fields.items() if k not in ("name", "pitfalls")] + list(fields["pitfalls"])


# ----------------------------------------------------------------------------------------------
# Coverage


@pytest.mark.parametrize("kpi_id", REQUIRED)
def test_every_kpi_has_a_complete_entry_in_both_languages(kpi_id):
    assert kpi_id in GLOSSARY_KPIS, f"{kpi_id} has no entry in kpi_helpers/glossary.yml"
    assert set(load_glossary()[kpi_id]) == set(LANGUAGES)
    for language in LANGUAGES:
        fields = entry(kpi_id, language)
        assert tuple(fields) == KPI_FIELDS, f"{kpi_id} ({language}): fields {list(fields)}, expected {list(KPI_FIELDS)}"
        for name in KPI_FIELDS:
            if name != "pitfalls":
                assert isinstance(fields[name], str) and fields[name].strip(), f"{kpi_id} ({language}): empty {name}"
        pitfalls = fields["pitfalls"]
        assert isinstance(pitfalls, list) and 2 <= len(pitfalls) <= 4, f"{kpi_id} ({language}): 2 to 4 pitfalls"
        assert all(isinstance(p, str) and p.strip() for p in pitfalls), f"{kpi_id} ({language}): empty pitfall"


def test_the_glossary_has_no_kpi_beyond_the_required_ones():
    assert set(GLOSSARY_KPIS) - set(REQUIRED) == set()


def test_the_spec_tables_are_parsed_into_the_scorecard_ids():
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not present")
    assert set(SPEC_ROWS) == set(HEADLINE_KPIS) | set(BREAKDOWNS)


@pytest.mark.parametrize("kpi_id", HEADLINE_KPIS)
def test_the_english_formula_states_the_spec_formula(kpi_id):
    if not SPEC.is_file():
        pytest.skip(f"{SPEC} not present")
    assert SPEC_ROWS[kpi_id] in entry(kpi_id, "en")["formula"]


@pytest.mark.parametrize("term", GENERAL_TERMS)
def test_every_general_term_has_a_complete_entry_in_both_languages(term):
    assert set(load_glossary()[TERMS][term]) == set(LANGUAGES)
    for language in LANGUAGES:
        fields = entry(term, language)
        assert tuple(fields) == TERM_FIELDS, f"{term} ({language}): fields {list(fields)}"
        assert all(fields[k] for k in TERM_FIELDS)
        assert 2 <= len(fields["pitfalls"]) <= 4 and all(p.strip() for p in fields["pitfalls"])


def test_general_terms_and_kpi_ids_do_not_share_a_name():
    assert set(load_glossary()[TERMS]) & set(GLOSSARY_KPIS) == set()


# ----------------------------------------------------------------------------------------------
# Names and text


@pytest.mark.parametrize("kpi_id", sorted(KPI_LABELS))
def test_the_name_is_the_kpi_label_verbatim(kpi_id):
    for language in LANGUAGES:
        assert entry(kpi_id, language)["name"] == KPI_LABELS[kpi_id][language]


@pytest.mark.parametrize("kpi_id", [k for k in BREAKDOWNS if k.split("_by_")[0] in KPI_LABELS])
def test_a_breakdown_is_named_after_its_kpi(kpi_id):
    for language in LANGUAGES:
        assert entry(kpi_id, language)["name"].startswith(KPI_LABELS[kpi_id.split("_by_")[0]][language])


@pytest.mark.parametrize("item", [*GLOSSARY_KPIS, *GENERAL_TERMS])
def test_french_text_is_translated_not_copied_from_english(item):
    fr, en = entry(item, "fr"), entry(item, "en")
    for field in fr:
        if field not in ("name", "pitfalls"):
            assert fr[field] != en[field], f"{item}: French {field} left in English"
    assert set(fr["pitfalls"]) & set(en["pitfalls"]) == set(), f"{item}: French pitfall left in English"
    for text in _texts(fr):
        assert not re.search(r"\b(the|with|which)\b", text), f"{item}: English words in French text: {text!r}"


@pytest.mark.parametrize("item", [*GLOSSARY_KPIS, *GENERAL_TERMS])
def test_how_to_read_is_plain_text_for_client_reports(item):
    # kpi_helpers.notebook shows `read` (escaped) under the charts of client reports
    for language in LANGUAGES:
        text = entry(item, language)["read"]
        assert "`" not in text and not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"{item} ({language}): {text!r}"


# ----------------------------------------------------------------------------------------------
# API


def test_entry_returns_a_copy_that_callers_can_change():
    entry("roas", "fr")["pitfalls"].append("changed")
    assert "changed" not in entry("roas", "fr")["pitfalls"]


def test_entry_finds_general_terms_too():
    assert entry("bounce", "en")["name"] == "Bounce"


def test_entry_of_an_unknown_id_names_the_closest_ones():
    with pytest.raises(KeyError, match="conversion_rate"):
        entry("convertion_rate")


def test_entry_in_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language"):
        entry("roas", "de")


def test_a_key_given_twice_in_the_yaml_is_refused(tmp_path):
    path = tmp_path / "glossary.yml"
    path.write_text("_terms: {}\nroas: {fr: {}}\nroas: {en: {}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'roas' is given twice"):
        glossary._read(path)


# ----------------------------------------------------------------------------------------------
# Markdown


def test_the_committed_glossary_md_is_up_to_date():
    assert GLOSSARY_MD.is_file() and GLOSSARY_MD.read_text(encoding="utf-8") == render_markdown(), (
        "notebooks/GLOSSARY.md differs from kpi_helpers/glossary.yml: run `python -m kpi_helpers.glossary`")


def test_the_markdown_has_french_then_english_with_kpis_in_scorecard_order_then_extras():
    text = render_markdown()
    order = [*HEADLINE_KPIS, *BREAKDOWNS, *[k for k in GLOSSARY_KPIS if k not in HEADLINE_KPIS + BREAKDOWNS]]
    positions = [text.index(f'<a id="{lang}-{k}"></a>') for lang in LANGUAGES for k in order]
    assert LANGUAGES == ("fr", "en") and positions == sorted(positions)
    assert text.index("## Français") < text.index("## English")


def test_each_kpi_shows_its_name_id_and_every_field():
    text = render_markdown("en")
    for kpi_id in GLOSSARY_KPIS:
        fields = entry(kpi_id, "en")
        block = text.split(f'<a id="en-{kpi_id}"></a>')[1].split("<a id=")[0]
        assert f"#### {fields['name']} · `{kpi_id}`" in block
        for value in _texts(fields):
            assert value in block


def test_one_language_renders_only_that_language():
    fr = render_markdown("fr")
    assert fr.startswith("# Glossaire des indicateurs\n") and "## Termes généraux" in fr
    assert 'id="en-' not in fr and "Pitfalls" not in fr


def test_main_writes_the_markdown(tmp_path, capsys):
    out = tmp_path / "GLOSSARY.md"
    assert glossary.main(["--output", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == render_markdown()
    assert str(out) in capsys.readouterr().out
