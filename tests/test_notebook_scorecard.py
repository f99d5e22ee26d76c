"""The overview's scorecard for a client without some tables: one sentence, not tables of « Indisponible »."""

from __future__ import annotations

import re

import kpi_helpers.notebook as nb
from kpi_helpers.notebook import views
from kpi_helpers.notebook.display import _COLLECT
from kpi_helpers.paths import SAMPLE_DIR


def _shown(client: str, language: str = "fr") -> list[str]:
    ctx = nb.setup(str(SAMPLE_DIR / client), language=language)
    sink: list[str] = []
    token = _COLLECT.set(sink)
    try:
        views.scorecard(ctx)
    finally:
        _COLLECT.reset(token)
    return sink


def test_a_social_only_client_sees_its_social_kpis_and_one_sentence_for_the_rest():
    shown = _shown("atelier-brume")
    headings = [re.sub(r"<[^>]+>", "", h) for h in shown if h.startswith("<h3")]
    assert headings == ["Réseaux sociaux"]
    assert not any("Indisponible" in h for h in shown)
    line = next(h for h in shown if "Sans données pour ce client" in h)
    assert "Trafic et ventes, Parcours d&#x27;achat et pages produit (ce client ne fournit pas de données de visites)" in line
    assert "Paniers (ce client ne fournit pas de données de paniers)" in line


def test_a_client_with_every_table_sees_every_group():
    shown = _shown("maison-lune", "en")
    assert len([h for h in shown if h.startswith("<h3")]) == 7
    assert not any("No data for this client" in h for h in shown)
