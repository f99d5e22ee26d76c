"""What changed and why (kpi_helpers.explain): the opening paragraph and the teaching views."""


import html
from typing import Sequence

import pandas as pd
from IPython.display import HTML

from ..labels import (
    kpi_label,
)
from .context import Context
from .display import _emit, _heading, _table, _unavailable, note

# ----------------------------------------------------------------------------------------------
# What changed and why (kpi_helpers.explain): the opening paragraph and the teaching views


def _no_comparison(ctx: Context) -> bool:
    if ctx.compare:
        return False
    note("Sans période de comparaison (compare = None), il n'y a pas d'évolution à expliquer." if ctx.language == "fr"
         else "Without a comparison period (compare = None) there is no change to explain.")
    return True


def what_changed(ctx: Context) -> None:
    """The opening paragraph: what changed from the comparison period, why, and what is noise."""
    from ..explain import explain

    _heading("L'essentiel" if ctx.language == "fr" else "In short")
    if not _no_comparison(ctx):
        card = explain(ctx.client, start=ctx.start, end=ctx.end, compare=ctx.compare, channel=ctx.channel,
                       device=ctx.device)
        _emit(HTML(f'<p class="kpi-summary">{html.escape(card["summary"][ctx.language])}</p>'))


def revenue_effects(ctx: Context, *, by: str = "channel") -> None:
    """The change of revenue split into its traffic, conversion and basket effects, then by channel."""
    from ..commentary import contributions_table, effects_table, why_not_decomposed
    from ..explain import change_contributions, revenue_decomposition

    lang = ctx.language
    _heading("D'où vient l'évolution du chiffre d'affaires ?" if lang == "fr" else "Where does the change of revenue come from?")
    if _no_comparison(ctx):
        return
    dec = revenue_decomposition(ctx.client, compare=ctx.compare, **ctx.kw)
    if pd.isna(dec.attrs["revenue"]):
        _unavailable(ctx, kpi_label("revenue", lang), dec.attrs["unavailable"])
        return
    _table(effects_table(dec, language=lang, currency=ctx.currency))
    if "unavailable" in dec.attrs:
        note(why_not_decomposed(dec, language=lang))
    _table(contributions_table(change_contributions(ctx.client, by=by, compare=ctx.compare, **ctx.kw),
                               language=lang, currency=ctx.currency))


def conversion_mix(ctx: Context, *, by: str = "channel") -> None:
    """The change of the visitor conversion rate split into a mix effect and a rate effect."""
    from ..commentary import mix_sentence, mix_table
    from ..explain import conversion_mix as mix_effects

    lang = ctx.language
    _heading("Taux de conversion : effet mix et effet taux" if lang == "fr" else "Conversion rate: mix and rate effects")
    if _no_comparison(ctx):
        return
    mix = mix_effects(ctx.client, by=by, compare=ctx.compare, **ctx.kw)
    if pd.isna(mix.attrs["value"]) and pd.isna(mix.attrs["comparison_value"]):
        _unavailable(ctx, kpi_label("conversion_rate", lang), mix.attrs["unavailable"])
        return
    if len(mix):
        _table(mix_table(mix, language=lang))
    note(mix_sentence(mix, language=lang))


def significance(ctx: Context) -> None:
    """Each tested KPI: its 95 % interval in both periods, the p-value of its change and the verdict."""
    from ..commentary import MARK_LEGEND, tests_table
    from ..explain import change_tests

    _heading("Significatif ou bruit ?" if ctx.language == "fr" else "Significant or noise?")
    if _no_comparison(ctx):
        return
    tests = change_tests(ctx.client, compare=ctx.compare, **ctx.kw)
    if tests["test"].notna().any():
        _table(tests_table(tests, language=ctx.language, currency=ctx.currency))
    note(MARK_LEGEND[ctx.language])


def noise_example(ctx: Context, *, visitors: Sequence[int] = (2000, 50_000), rate: float = 0.02,
                  rise: float = 0.004) -> None:
    """The same rise of a conversion rate judged on few and on many visitors (a teaching example)."""
    from ..commentary import noise_table
    from ..labels import format_points

    rise_text = format_points(rise, ctx.language)
    _heading(f"Le même {rise_text}, sur peu et sur beaucoup de visiteurs" if ctx.language == "fr"
             else f"The same {rise_text} on few and on many visitors")
    _table(noise_table(visitors=visitors, rate=rate, rise=rise, language=ctx.language))
