"""Numbers with their context: values computed on too few observations, and periods whose first
or last week (or month) is cut by the period's bounds.

A rate, an average or a median per segment computed on fewer than
:data:`kpi_helpers.significance.MIN_DENOMINATOR` (30) visitors, sessions, orders or carts is
*too few to judge*, the word the significance tests use: it is shown (never hidden), marked with
an asterisk, drawn lighter and hatched, and a rate gets its 95 % Wilson interval (the range the
true rate probably lies in); a note under the table says what that means.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..labels import KPI_UNITS
from ..significance import MIN_DENOMINATOR, wilson_interval
from .context import Context, _fmt_date
from .display import note

__all__ = ["flag_small", "interval_text", "small_note", "partial_buckets_note", "change_from_or_to_zero", "PROPORTIONS"]

#: Rates whose numerator counts some of the denominator's units (a buying visitor is a visitor):
#: a proportion, with a Wilson interval. Engagement rates are not (a post's impression can bring
#: several interactions), nor ROI.
PROPORTIONS = frozenset(k for k, u in KPI_UNITS.items() if u == "percent"
                        and not k.startswith("engagement_rate") and k != "roi")


#: KPIs whose denominator is an amount of money (spend), not a number of units: never "too few"
MONEY_DENOMINATORS = frozenset({"roas", "roi"})


def flag_small(kpi_id: str, df: pd.DataFrame, *, numerator: str = "numerator",
               denominator: str = "denominator") -> pd.DataFrame:
    """``df`` with ``small`` (a value computed on 1 to 29 units), and ``low``/``high`` (the 95 %
    Wilson interval of a proportion, for the small ones)."""
    out = df.copy()
    den = pd.to_numeric(out[denominator], errors="coerce") if denominator in out else pd.Series(np.nan, index=out.index)
    out["small"] = (den > 0) & (den < MIN_DENOMINATOR) & out["value"].notna() & (kpi_id not in MONEY_DENOMINATORS)
    low, high = [], []
    for num, d, small in zip(out.get(numerator, pd.Series(np.nan, index=out.index)), den, out["small"]):
        ci = (wilson_interval(float(num), float(d)) if small and kpi_id in PROPORTIONS and not pd.isna(num)
              and 0 <= num <= d else None)
        low.append(ci[0] if ci else np.nan)
        high.append(ci[1] if ci else np.nan)
    out["low"], out["high"] = low, high
    return out


def interval_text(kpi_id: str, low: Any, high: Any, ctx: Context) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{ctx.fmt(kpi_id, low)} – {ctx.fmt(kpi_id, high)}"


def small_note(ctx: Context, kpi_id: str, df: pd.DataFrame, units: str) -> None:
    """The footnote under a table or chart with values on too few ``units`` (a plural noun)."""
    if not df["small"].any():
        return
    fr = ctx.language == "fr"
    text = (f"* Calculé sur moins de {MIN_DENOMINATOR} {units} : trop peu pour juger, un seul cas de plus ou de "
            f"moins change nettement la valeur (barre hachurée). " if fr else
            f"* Computed on fewer than {MIN_DENOMINATOR} {units}: too few to judge, one case more or less moves the "
            f"value a lot (hatched bar). ")
    if df["low"].notna().any():
        text += ("L'intervalle à 95 % (le trait, la colonne « Intervalle à 95 % ») est la fourchette où se trouve "
                 "probablement le vrai taux (intervalle de Wilson) : deux segments dont les fourchettes se "
                 "recouvrent ne se distinguent pas." if fr else
                 "The 95 % interval (the whisker, the column \"95 % interval\") is the range the true rate probably "
                 "lies in (Wilson interval): two segments whose ranges overlap cannot be told apart.")
    note(text.strip())


def partial_buckets_note(ctx: Context, starts: Sequence[Any], freq: str | None) -> None:
    """A note when the first week (month) starts before the period or the last one ends after it:
    those points count only the period's days."""
    if freq not in ("W", "M") or not len(starts):
        return
    stamps = pd.to_datetime(pd.Series(list(starts))).dropna()
    if stamps.empty:
        return
    first, last = stamps.min(), stamps.max()
    last_end = (last + pd.Timedelta(days=6)) if freq == "W" else (last + pd.offsets.MonthEnd(0))
    lang = ctx.language
    fr = lang == "fr"
    unit = ("semaine" if fr else "week") if freq == "W" else ("mois" if fr else "month")
    parts = []
    if first.date() < ctx.start:
        parts.append(f"le premier point ({unit} du {_fmt_date(first.date(), lang)}) ne compte que les jours à partir du "
                     f"{_fmt_date(ctx.start, lang)}, début de la période" if fr else
                     f"the first point (the {unit} of {_fmt_date(first.date(), lang)}) counts only the days from "
                     f"{_fmt_date(ctx.start, lang)}, when the period starts")
    if last_end.date() > ctx.end:
        parts.append(f"le dernier ({unit} du {_fmt_date(last.date(), lang)}) ne compte que les jours jusqu'au "
                     f"{_fmt_date(ctx.end, lang)}" if fr else
                     f"the last one (the {unit} of {_fmt_date(last.date(), lang)}) counts only the days up to "
                     f"{_fmt_date(ctx.end, lang)}")
    if parts:
        head = ("Semaines du lundi au dimanche, datées de leur lundi : " if freq == "W" else "Mois calendaires : ") if fr else \
            ("Weeks from Monday to Sunday, dated by their Monday: " if freq == "W" else "Calendar months: ")
        note(head + (" ; " if fr else "; ").join(parts) + ".")


def change_from_or_to_zero(kpi_id: str, row: pd.Series, language: str) -> str | None:
    """A count's or a median's change from or to zero as a difference (−2 jours), not −100 %."""
    unit = KPI_UNITS.get(kpi_id, "number")
    if unit not in ("count", "days", "visits", "number"):
        return None
    value, before = row.get("value"), row.get("comparison_value")
    if pd.isna(value) or pd.isna(before) or (value != 0 and before != 0):
        return None
    change = value - before
    from ..labels import format_signed_number

    decimals = 0 if float(change).is_integer() else 1
    word = {"days": ("jours", "days"), "visits": ("visites", "visits")}.get(unit)
    text = format_signed_number(change, language, decimals)
    return f"{text} {word[0 if language == 'fr' else 1]}" if word else text
