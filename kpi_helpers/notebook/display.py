"""Small display helpers the views share (headings, notes, tables, charts as images) and exercise checks."""


import base64
import contextvars
import html
import re
from typing import Any

import pandas as pd
from IPython.display import HTML, Image, Markdown, display

from .. import plots
from ..labels import label, reason_text, table_word
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
    """One sentence: which data this client lacks, in words (no table ids, no nested parentheses)."""
    m = re.fullmatch(r"(\w+) table not provided", reason)
    if m:
        note(label("missing_table", ctx.language, what=table_word(m.group(1), ctx.language)))
    else:
        note(label("unavailable_kpi", ctx.language, kpi=what, reason=_reason_text(reason, ctx.language)))


def _nothing_to_show(ctx: Context, df: pd.DataFrame, what: str) -> bool:
    """Says, in one sentence, why a view has nothing to show (the data this client lacks for
    ``what``, or no row for this selection) and returns True; False when there are rows."""
    if "unavailable" in df.attrs:
        _unavailable(ctx, what, df.attrs["unavailable"])
        return True
    if df.empty:
        note(label("no_data", ctx.language))
        return True
    return False


def _reason_text(reason: str, language: str) -> str:
    """Why a KPI is unavailable, in words (:func:`kpi_helpers.labels.reason_text`)."""
    return reason_text(reason, language)


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


#: What each form of answer looks like, said to a learner whose answer has another form.
_FORMS = {
    "percent": {"fr": "un pourcentage, comme le tableau l'affiche (2.1 pour 2,1 %), pas une fraction (0.021)",
                "en": "a percentage, as the table shows it (2.1 for 2.1 %), not a fraction (0.021)"},
    "number": {"fr": "un nombre, comme le tableau l'affiche (0.025 par exemple), pas un pourcentage",
               "en": "a number, as the table shows it (e.g. 0.025), not a percentage"},
    "amount": {"fr": "un montant en euros, comme 85 ou 85.4", "en": "an amount in euros, such as 85 or 85.4"},
    "count": {"fr": "un nombre, comme 3", "en": "a number, such as 3"},
    "yes_no": {"fr": "\"oui\" ou \"non\"", "en": "\"yes\" or \"no\""},
    "channel_amount": {"fr": "un canal et un montant, comme (\"E-mail\", 95)",
                       "en": "a channel and an amount, such as (\"Email\", 95)"},
}

_VERDICTS = {
    "right": {"fr": "✔ Bonne réponse.", "en": "✔ Correct."},
    "empty": {"fr": "Pas encore de réponse. Indice : {hint}", "en": "No answer yet. Hint: {hint}"},
    "wrong": {"fr": "✘ Pas tout à fait. Indice : {hint}", "en": "✘ Not quite. Hint: {hint}"},
    "unreadable": {"fr": "✘ Réponse illisible : la question attend {form}.", "en": "✘ Unreadable answer: the question expects {form}."},
    "other_form": {"fr": "✘ Le bon chiffre, mais sous une autre forme : la question demande {form}.",
                   "en": "✘ The right figure, in another form: the question asks for {form}."},
    "too_rounded": {"fr": "✘ Presque : arrondissez moins ({decimals} décimale(s) au moins).",
                    "en": "✘ Almost: round less (at least {decimals} decimal(s))."},
    "wrong_channel": {"fr": "✘ Le montant est juste, pas le canal. Indice : {hint}",
                      "en": "✘ The amount is right, not the channel. Hint: {hint}"},
    "wrong_amount": {"fr": "✘ Le canal est juste, pas le montant. Indice : {hint}",
                     "en": "✘ The channel is right, not the amount. Hint: {hint}"},
    "not_available": {"fr": "Non disponible pour ce client : {reason}. Cet exercice n'a rien à vérifier ici ; "
                            "essayez-le sur un autre client (paramètre client_dir).",
                      "en": "Not available for this client: {reason}. This exercise has nothing to check here; "
                            "try it on another client (the client_dir parameter)."},
}

_NOT_AVAILABLE_FR = {
    "no data for this selection": "pas de données pour cette période ou ce segment",
    "no comparison period (compare=None)": "il n'y a pas de période de comparaison (compare=None)",
    "too few visitors to test the change": "trop peu de visiteurs pour tester l'évolution",
}


def verdict_text(exercise_id: str, answer: Any, ctx: Context) -> str:
    """The sentence :func:`check` shows for ``answer`` (see :meth:`kpi_helpers.exercises.Exercise.verdict`)."""
    from ..exercises import EXERCISES

    ex = EXERCISES[exercise_id]
    lang = ctx.language
    v = ex.verdict(answer, ctx)
    reason = ""
    if v.reason:
        reason = _NOT_AVAILABLE_FR.get(v.reason, "") if lang == "fr" else ""
        reason = reason or _reason_text(v.reason, lang)
    return _VERDICTS[v.status][lang].format(hint=ex.hint[lang], form=_FORMS[ex.form][lang], decimals=ex.decimals,
                                            reason=reason)


def check(exercise_id: str, answer: Any, ctx: Context) -> None:
    """Check a learner's answer to an exercise and say so in one sentence: right; not quite (with a
    hint); the right figure in another form than the question asks (a fraction for a percentage);
    rounded more than the question allows; for a pair, which part is wrong; or, when the client
    lacks the data, that the exercise does not apply to this client.

    Displays the verdict and returns None (so a notebook cell shows only the verdict); use
    ``EXERCISES[exercise_id].verdict(answer, ctx)`` for the outcome.
    """
    note(verdict_text(exercise_id, answer, ctx))
