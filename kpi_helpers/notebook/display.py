"""Small display helpers the views share (headings, notes, tables, charts as images) and exercise checks."""


import base64
import contextvars
import html
import re
from typing import Any

import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from .. import plots
from ..labels import (
    label,
)
from .context import Context

# ----------------------------------------------------------------------------------------------
# Small display helpers

#: Where views put what they show: None in a cell (IPython's display), or a list of HTML fragments
#: while :func:`explore` renders views into its HTML widget.
_COLLECT: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("kpi_collect", default=None)


def _emit(obj: HTML | Image | Markdown) -> None:
    """Show one rich object: displayed in the running cell, or collected as HTML by :func:`explore`."""
    sink = _COLLECT.get()
    if sink is None:
        display(obj)
    elif isinstance(obj, Image):
        width = f' width="{obj.width}"' if obj.width else ""
        sink.append(f'<img alt=""{width} src="data:image/png;base64,{base64.b64encode(obj.data).decode()}">')
    elif isinstance(obj, Markdown):
        sink.append(f"<p>{html.escape(obj.data)}</p>")
    else:
        sink.append(obj.data)


def note(text: str) -> None:
    """A short paragraph (escaped: data never becomes markup)."""
    _emit(HTML(f'<p class="kpi-note">{html.escape(text)}</p>'))


def _heading(text: str) -> None:
    _emit(HTML(f'<h3 class="kpi-heading">{html.escape(text)}</h3>'))


def _reading(ctx: Context, kpi_id: str, fallback: str | None = None) -> None:
    try:
        from ..glossary import entry

        text = entry(kpi_id, ctx.language).get("read")
    except Exception:  # the glossary is optional for a view to render
        text = None
    if text or fallback:
        label_text = "Comment lire : " if ctx.language == "fr" else "How to read this: "
        _emit(HTML(f'<p class="kpi-read"><b>{html.escape(label_text)}</b>{html.escape(text or fallback)}</p>'))


def _unavailable(ctx: Context, what: str, reason: str) -> None:
    missing = re.match(r"(\w+) table not provided", reason)
    if missing:
        table = missing.group(1)
        note(label("missing_table", ctx.language, table=table, reason=_reason_text(reason, ctx.language)))
    else:
        note(label("unavailable_kpi", ctx.language, kpi=what, reason=_reason_text(reason, ctx.language)))


_REASONS_FR = {
    "table not provided": "table absente des données du client",
    "column not provided": "colonne absente des données du client",
    "not split by channel or device": "ces données ne sont pas ventilées par canal ni par appareil",
    "ad spend is not split by device": "les dépenses publicitaires ne sont pas ventilées par appareil",
    "margin_rate not set (client.yml or --margin-rate)": "taux de marge non renseigné (client.yml)",
    "segment filters need the sessions table": "les filtres de segment demandent la table des visites",
}


#: Reasons from the aggregated tables (kpi_helpers.aggregated, core.VISITS_REASON): pattern -> French.
_REASON_PATTERNS_FR = (
    (r"sessions table not provided: the traffic table holds totals .*",
     "table des visites absente : la table traffic ne contient que des totaux (rapports GA4 téléchargés), pas de "
     "visites ; les visiteurs et les visites viennent de l'export BigQuery de GA4 (events_*) ou du journal des "
     "visites de Matomo (Live.getLastVisitsDetails)"),
    (r"searches table not provided: the search_terms table holds .*",
     "table des recherches absente : la table search_terms ne contient que les totaux par mot-clé de la recherche "
     "interne de Matomo ; les recherches par visite viennent du journal des visites de Matomo ou de l'export "
     "BigQuery de GA4"),
    (r"the (.+) cover (.+) as one total each; a total is never prorated.*",
     r"les données agrégées couvrent \2 d'un seul bloc ; un total n'est jamais réparti au prorata : choisissez une "
     r"période faite de lignes entières, ou importez le rapport par jour"),
    (r"the (.+) cover (.+) only, not every day of (.+)",
     r"les données agrégées ne couvrent que \2, pas tous les jours \3"),
    (r"the (.+) are not split by (.+) \(import a report with that dimension\)",
     r"les données agrégées ne sont pas ventilées par \2 (importez un rapport avec cette dimension)"),
    (r"traffic\.transactions column not provided .*",
     "colonne transactions absente de la table traffic (les événements clés du rapport comptent toutes les "
     "conversions de la propriété, pas les commandes : ils ne servent pas de commandes)"),
    (r"the (.+) hold two reports (.+) over the same days \((.+)\): import one of them only",
     r"les données agrégées contiennent deux rapports qui se recouvrent (\3) : n'en importez qu'un"),
    (r"no (.+) for this period \((.+)\)", r"aucune donnée agrégée pour cette période (\2)"),
    (r"no (.+) for this period", r"aucune donnée agrégée pour cette période"),
    (r"the Site Search reports \(search_terms\) are .*",
     "les rapports de recherche interne de Matomo sont des totaux par mot-clé : ni par canal, ni par appareil, ni "
     "par jour"),
)


def _reason_text(reason: str, language: str) -> str:
    if language != "fr":
        return reason
    for pattern, fr in _REASON_PATTERNS_FR:
        m = re.fullmatch(pattern, reason)
        if m:
            out = re.sub(r"(\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", r"du \1 au \2", m.expand(fr))
            return re.sub(r"\b(channel|device|landing_page)\b",
                          lambda w: {"channel": "canal", "device": "appareil", "landing_page": "page d'entrée"}[w[1]],
                          out).replace(" and ", " et ")
    for en, fr in _REASONS_FR.items():
        if reason.endswith(en) or reason == en:
            prefix = reason[: -len(en)].strip()
            return f"{fr} ({prefix})" if prefix else fr
    return reason


def _show(fig) -> None:
    """A chart as a PNG image, shown at the size of its figure (rendered at the theme's dpi for a sharp print)."""
    data, width = plots.png(fig)
    _emit(Image(data=data, format="png", width=width))


def _table(df: pd.DataFrame) -> None:
    """A formatted table; every cell escaped (queries and titles may hold markup)."""
    _emit(HTML(df.to_html(index=False, escape=True, classes="kpi-table", border=0, na_rep="–")))


def auto_freq(ctx: Context) -> str:
    """Day for up to two months, week up to about six months, month beyond."""
    days = ctx.period.days or 0
    return "D" if days <= 62 else "W" if days <= 190 else "M"



# ----------------------------------------------------------------------------------------------
# Exercises


def check(exercise_id: str, answer: Any, ctx: Context) -> None:
    """Check a learner's answer to an exercise; says whether it is right (and gives a hint if not).

    Displays the verdict and returns None (so a notebook cell shows only the verdict); use
    ``EXERCISES[exercise_id].is_correct(answer, ctx)`` for a boolean.
    """
    from ..exercises import EXERCISES

    ex = EXERCISES[exercise_id]
    lang = ctx.language
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        note(("Pas encore de réponse. Indice : " if lang == "fr" else "No answer yet. Hint: ") + ex.hint[lang])
    elif ex.is_correct(answer, ctx):
        note("✔ Bonne réponse." if lang == "fr" else "✔ Correct.")
    else:
        note(("✘ Pas tout à fait. Indice : " if lang == "fr" else "✘ Not quite. Hint: ") + ex.hint[lang])
