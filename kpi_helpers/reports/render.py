"""The client report (one HTML document) and the index of every report, from executed notebooks.

A report holds, for each notebook in course order, the outputs of its code cells: headings,
tables, notes and charts. Left out: every input (no code, no prompt), markdown cells (teaching
notes, in the edition's language), the cells tagged ``parameters``, ``injected-parameters``, ``setup``,
``explore``, ``exercise`` or ``teaching``, streams, errors and widgets. HTML outputs go through
:func:`~kpi_helpers.reports.sanitize.sanitize_html`; charts are embedded as ``data:`` URIs. The
page carries a Content-Security-Policy that allows no script and no request at all (images from
``data:`` only), so even a mistake upstream cannot execute or fetch anything.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import quote

import nbformat

from ..labels import MONTH_NAMES, REPORT_TEXT, THEME_TITLES, reason_text
from .sanitize import sanitize_html

__all__ = ["ReportPage", "build_report", "split_themes", "left_out_line", "build_index", "period_label", "theme_title", "EXCLUDED_TAGS", "CSP", "TEXT"]

EXCLUDED_TAGS = frozenset({"parameters", "injected-parameters", "setup", "explore", "exercise", "teaching",
                           "remove-cell", "report-exclude"})
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

# Report titles and words live with every other French/English label, in kpi_helpers.labels.
THEMES = THEME_TITLES
TEXT = REPORT_TEXT

MONTHS = MONTH_NAMES

BASE_CSS = """
:root { --ink: #1d2433; --muted: #5b6472; --line: #d9dde3; --accent: #2b5d8a; --soft: #f3f5f8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 60rem; padding: 2rem 1.5rem 4rem; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif, "Noto Color Emoji", "Apple Color Emoji", "Segoe UI Emoji"; }
h1, h2, h3 { line-height: 1.25; overflow-wrap: anywhere; }
h1 { font-size: 1.9rem; margin: 0 0 .4rem; }
h2 { font-size: 1.45rem; margin: 2.5rem 0 1rem; padding-bottom: .3rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.1rem; margin: 1.8rem 0 .6rem; color: var(--accent); }
p { margin: .5rem 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0 1rem; font-size: .88rem;
  font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: .32rem .5rem; text-align: left; vertical-align: top;
  max-width: 26rem; overflow-wrap: break-word; word-break: normal; unicode-bidi: isolate; }
th { background: var(--soft); font-weight: 600; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
.muted, .kpi-note { color: var(--muted); }
a { color: var(--accent); }
"""

REPORT_CSS = BASE_CSS + """
header.cover { border-bottom: 1px solid var(--line); padding-bottom: 1rem; margin-bottom: 1.5rem; }
header.cover .kicker { text-transform: uppercase; letter-spacing: .06em; font-size: .78rem; color: var(--muted); margin: 0; }
header.cover h1 { unicode-bidi: isolate; }
header.cover dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .6rem 0 0; }
header.cover dt { color: var(--muted); }
header.cover dd { margin: 0; }
header.cover p.kpi-left-out { color: var(--muted); margin: .6rem 0 0; }
nav.toc ol { padding-left: 1.4rem; margin: .3rem 0; }
nav.toc > ol > li { margin: .35rem 0; font-weight: 600; }
nav.toc ol ol { font-weight: 400; font-size: .9rem; }
nav.toc a { text-decoration: none; }
section.theme > h2 { unicode-bidi: isolate; }
figure.kpi-chart { margin: .6rem 0 1rem; break-inside: avoid; page-break-inside: avoid; }
figure.kpi-chart img { display: block; max-width: 100%; height: auto; }
p.kpi-read { background: var(--soft); border-left: 3px solid var(--accent); padding: .45rem .7rem; font-size: .9rem; }
p.kpi-summary { border-left: 3px solid var(--accent); padding: .45rem .7rem; font-size: 1.02rem; }
pre.kpi-text { white-space: pre-wrap; overflow-wrap: anywhere; font-size: .85rem; }
h3.kpi-heading { break-after: avoid; page-break-after: avoid; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; border-top: 1px solid var(--line); padding-top: .6rem; }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  section.theme { break-before: page; page-break-before: always; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  footer { display: none; }
}
"""

INDEX_CSS = BASE_CSS + """
body { max-width: 90rem; }
th, td { max-width: none; }
td.name { font-weight: 600; unicode-bidi: isolate; min-width: 10rem; max-width: 20rem; overflow-wrap: anywhere; }
td.failed { min-width: 16rem; max-width: 32rem; overflow-wrap: anywhere; }
td.num { text-align: right; white-space: nowrap; }
th.num { text-align: right; }
td.failed, span.failed { color: #a12a2a; }
td.links { white-space: nowrap; }
"""

#: The headline KPIs of the index, in this order.
INDEX_KPIS = ("sessions", "orders", "revenue", "conversion_rate", "average_order_value", "roas", "cart_abandonment_rate",
              "engagement_rate")


def t(key: str, language: str) -> str:
    return TEXT[key][language]


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def fmt_date(d: dt.date, language: str) -> str:
    return d.strftime("%d/%m/%Y") if language == "fr" else d.isoformat()


def fmt_datetime(moment: dt.datetime, language: str) -> str:
    return moment.strftime("%d/%m/%Y %H:%M" if language == "fr" else "%Y-%m-%d %H:%M")


def _html_head(lang: str, title: str, css: str) -> str:
    """The opening of every page the runner writes: language, the Content-Security-Policy that
    keeps a report self-contained, no referrer, the (already escaped) title and the page's CSS."""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{css}</style>
</head>"""


def period_label(start: dt.date, end: dt.date, language: str) -> str:
    """``octobre 2026`` for a calendar month, else ``01/10/2026 → 15/10/2026``."""
    month_end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if start.day == 1 and end == month_end:
        return f"{MONTHS[language][start.month - 1]} {start.year}"
    return f"{fmt_date(start, language)} → {fmt_date(end, language)}"


def theme_title(nb_path: Path, nb: nbformat.NotebookNode | None, language: str) -> str:
    if nb_path.stem in THEMES:
        return THEMES[nb_path.stem][language]
    for cell in (nb.cells if nb is not None else []):
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return re.sub(r"^\d+\s*·\s*", "", m.group(1)).strip()
    return nb_path.stem


def _included(cell: nbformat.NotebookNode) -> bool:
    if cell.cell_type != "code":
        return False
    tags = set(cell.get("metadata", {}).get("tags", []))
    return not (tags & EXCLUDED_TAGS)


_REPR = re.compile(r"^<.*>$", re.S)


def _png(data: Any) -> str | None:
    text = "".join(data) if isinstance(data, list) else str(data)
    text = re.sub(r"\s+", "", text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return text


def _markdown(text: str) -> str:
    try:
        from nbconvert.filters.markdown_mistune import markdown2html_mistune

        return markdown2html_mistune(text)
    except Exception:  # rendering markdown is a nicety; escaped text is always right
        return f"<p>{html.escape(text)}</p>"


def split_themes(notebooks: Sequence[tuple[Path, nbformat.NotebookNode]], card: dict | None, language: str
                 ) -> tuple[list[tuple[Path, nbformat.NotebookNode]], list[tuple[str, str | None]]]:
    """The themes a report shows, and those it leaves out for lack of data, with why.

    A notebook names its theme's KPIs in its metadata (``kpi_kit.theme_kpis``, written by
    :mod:`kpi_helpers.editions`); when the client's scorecard has none of them (every one null),
    the theme has nothing to show but « Indisponible »: it is left out, with the title and the
    reason (in words) of its first missing KPI. A notebook without that metadata is always shown.
    """
    kept: list[tuple[Path, nbformat.NotebookNode]] = []
    left_out: list[tuple[str, str | None]] = []
    values = (card or {}).get("kpis") or {}
    reasons = (card or {}).get("unavailable") or {}
    for path, nb in notebooks:
        kpis = (nb.metadata.get("kpi_kit") or {}).get("theme_kpis") or []
        if kpis and all(k in values and values[k] is None for k in kpis):
            reason = next((reasons[k] for k in kpis if reasons.get(k)), None)
            left_out.append((theme_title(path, nb, language), reason_text(reason, language) if reason else None))
        else:
            kept.append((path, nb))
    return kept, left_out


def left_out_line(left_out: Sequence[tuple[str, str | None]], language: str) -> str:
    """One sentence naming the themes left out and why, themes with the same reason together:
    « Absents de ce rapport, faute de données : Abandon de panier, Recherche interne (ce client ne
    fournit pas de données de paniers) ; … »."""
    groups: dict[str, list[str]] = {}
    for title, reason in left_out:
        groups.setdefault(reason or t("no_data_period", language), []).append(title)
    parts = [f"{', '.join(titles)} ({reason})" for reason, titles in groups.items()]
    return t("left_out", language) + (" ; " if language == "fr" else "; ").join(parts) + "."


@dataclass
class ReportPage:
    html: str
    charts: int = 0
    themes: list[str] = field(default_factory=list)


def _cell_html(cell: nbformat.NotebookNode, new_id, chart_alt: str) -> tuple[list[str], list[tuple[str, str]], int]:
    parts: list[str] = []
    headings: list[tuple[str, str]] = []
    charts = 0
    for out in cell.get("outputs", []):
        if out.get("output_type") not in ("display_data", "execute_result"):
            continue  # streams (warnings, prints) and errors are not the report
        data = out.get("data", {})
        if "image/png" in data:
            b64 = _png(data["image/png"])
            if b64:
                charts += 1
                label = headings[-1][1] if headings else chart_alt
                parts.append(f'<figure class="kpi-chart"><img alt="{_esc(label)}" '
                             f'src="data:image/png;base64,{b64}"></figure>')
            continue
        fragment = None
        if "text/html" in data:
            fragment = "".join(data["text/html"]) if isinstance(data["text/html"], list) else data["text/html"]
        elif "text/markdown" in data:
            fragment = _markdown("".join(data["text/markdown"]) if isinstance(data["text/markdown"], list)
                                 else data["text/markdown"])
        elif "text/plain" in data and out.get("output_type") == "execute_result":
            text = "".join(data["text/plain"]) if isinstance(data["text/plain"], list) else data["text/plain"]
            if not _REPR.match(text.strip()):
                parts.append(f'<pre class="kpi-text">{html.escape(text)}</pre>')
            continue
        if fragment:
            clean = sanitize_html(fragment, heading_id=new_id)
            headings += clean.headings
            parts.append(clean.html)
    return parts, headings, charts


def build_report(*, client_name: str, language: str, start: dt.date, end: dt.date, compare: str | None,
                 comparison: tuple[dt.date, dt.date] | None, notebooks: Sequence[tuple[Path, nbformat.NotebookNode]],
                 generated_at: dt.datetime, left_out: Sequence[tuple[str, str | None]] = ()) -> ReportPage:
    """The client's report: cover, table of contents, then one section per notebook. ``left_out``
    (from :func:`split_themes`) is said in one line of the cover: the themes without data and why."""
    lang = language
    sections: list[str] = []
    toc: list[str] = []
    total_charts = 0
    themes = []
    for n, (path, nb) in enumerate(notebooks, start=1):
        anchor = f"theme-{n}"
        counter = iter(range(1, 100_000))
        new_id = (lambda a=anchor, c=counter: f"{a}-{next(c)}")
        title = theme_title(path, nb, lang)
        themes.append(title)
        body: list[str] = []
        subs: list[tuple[str, str]] = []
        for cell in nb.cells:
            if _included(cell):
                parts, heads, charts = _cell_html(cell, new_id, f"{t('chart', lang)} — {title}")
                body += parts
                subs += heads
                total_charts += charts
        sections.append(f'<section class="theme" id="{anchor}">\n<h2>{n}. {_esc(title)}</h2>\n' + "\n".join(body)
                        + "\n</section>")
        sub_items = "".join(f'<li><a href="#{_esc(hid)}">{_esc(text)}</a></li>' for hid, text in subs if text)
        toc.append(f'<li><a href="#{anchor}">{_esc(title)}</a>' + (f"<ol>{sub_items}</ol>" if sub_items else "") + "</li>")
    period = period_label(start, end, lang)
    dates = f"{fmt_date(start, lang)} → {fmt_date(end, lang)}"
    meta = [f"<dt>{t('period', lang)}</dt><dd>{_esc(period)}" + (f" ({_esc(dates)})" if period != dates else "") + "</dd>"]
    if compare and comparison:
        meta.append(f"<dt>{t('compared', lang)}</dt><dd>{t(compare, lang)} "
                    f"({_esc(fmt_date(comparison[0], lang))} → {_esc(fmt_date(comparison[1], lang))})</dd>")
    stamp = f"{fmt_date(generated_at, lang)} {t('at', lang)} {generated_at:%H:%M}" if lang == "fr" \
        else fmt_datetime(generated_at, lang)
    meta.append(f"<dt>{t('generated', lang)}</dt><dd>{_esc(stamp)}</dd>")
    doc = f"""{_html_head(lang, f"{_esc(client_name)} — {_esc(period)}", REPORT_CSS)}
<body>
<header class="cover">
<p class="kicker">{t('report', lang)}</p>
<h1>{_esc(client_name)}</h1>
<dl>{''.join(meta)}</dl>
{f'<p class="kpi-left-out">{_esc(left_out_line(left_out, lang))}</p>' if left_out else ''}
</header>
<nav class="toc" aria-label="{t('contents', lang)}">
<h2>{t('contents', lang)}</h2>
<ol>{''.join(toc)}</ol>
</nav>
<main>
{chr(10).join(sections)}
</main>
<footer>{_esc(client_name)} · {_esc(period)} · {t('generated', lang)} {_esc(stamp)}</footer>
</body>
</html>
"""
    return ReportPage(doc, total_charts, themes)


# ----------------------------------------------------------------------------------------------
# Index


@dataclass
class IndexRow:
    """One client and period on the index page."""

    client_id: str
    name: str
    period: str
    start: str | None = None
    end: str | None = None
    language: str = "fr"
    currency: str = "EUR"
    kpis: dict[str, Any] = field(default_factory=dict)
    html_href: str | None = None
    pdf_href: str | None = None
    status: str = "ok"  # ok (from an earlier batch), built, skipped, failed
    message: str | None = None
    generated_at: str | None = None


def href(*parts: str) -> str:
    return "/".join(quote(p, safe="") for p in parts)


def build_index(rows: Iterable[IndexRow], *, language: str, generated_at: dt.datetime, run: dict | None = None) -> str:
    from ..labels import format_kpi, kpi_label

    lang = language
    head = "".join(f'<th class="num">{_esc(kpi_label(k, lang))}</th>' for k in INDEX_KPIS)
    body = []
    for r in rows:
        cells = [f'<td class="name">{_esc(r.name)}<br><small class="muted">{_esc(r.client_id)}</small></td>']
        period_text = r.period
        if r.start and r.end:
            try:
                period_text = period_label(dt.date.fromisoformat(r.start), dt.date.fromisoformat(r.end), lang)
            except ValueError:
                pass
        cells.append(f"<td>{_esc(period_text)}</td>")
        status = {"built": t("built", lang), "skipped": t("skipped", lang), "ok": t("ok", lang)}.get(r.status)
        if r.status == "failed":
            msg = " ".join((r.message or "").split())
            msg = msg[:300] + ("…" if len(msg) > 300 else "")
            extra = t("previous_kept", lang) if r.html_href else t("no_report", lang)
            cells.append(f'<td class="failed">{t("failed", lang)}: {_esc(msg)} ({extra}; {t("details", lang)})</td>')
        else:
            cells.append(f"<td>{_esc(status or r.status)}</td>")
        for k in INDEX_KPIS:
            v = r.kpis.get(k) if r.kpis else None
            cells.append(f'<td class="num">{_esc(format_kpi(k, v, language=r.language, currency=r.currency))}</td>')
        links = []
        if r.html_href:
            links.append(f'<a href="{_esc(r.html_href)}">HTML</a>')
        if r.pdf_href:
            links.append(f'<a href="{_esc(r.pdf_href)}">PDF</a>')
        cells.append(f'<td class="links">{" · ".join(links) or "–"}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    run_line = ""
    if run:
        run_line = (f'<p class="muted">{t("last_run", lang)} : ' if lang == "fr" else f'<p class="muted">{t("last_run", lang)}: ')
        try:
            started = fmt_datetime(dt.datetime.fromisoformat(run["started_at"]), lang)
        except (KeyError, TypeError, ValueError):
            started = ""
        counts = run.get("counts", {})
        run_line += _esc(f"{started} · {run.get('duration_seconds', 0):.0f} s · {counts.get('ok', 0)} {t('n_built', lang)}, "
                         f"{counts.get('skipped', 0)} {t('unchanged', lang)}, {counts.get('failed', 0)} {t('n_failed', lang)}")
        run_line += ' · <a href="run.json">run.json</a></p>'
    stamp = fmt_datetime(generated_at, lang)
    return f"""{_html_head(lang, t('index_title', lang), INDEX_CSS)}
<body>
<h1>{t('index_title', lang)}</h1>
<p class="muted">{t('generated', lang)} {_esc(stamp)}</p>
{run_line}
<table class="kpi-table">
<thead><tr><th>{t('client', lang)}</th><th>{t('period', lang)}</th><th>{t('status', lang)}</th>{head}<th>{t('report_links', lang)}</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
</body>
</html>
"""
