"""The KPI glossary, in French and English: what each KPI means, its formula, how to read it.

The text lives in ``kpi_helpers/glossary.yml``: one entry per KPI id (every id of the scorecard,
then the extra KPIs of the notebooks), each with ``fr`` and ``en`` fields ``name``,
``definition``, ``formula``, ``unit``, ``read``, ``pitfalls`` (a list) and ``reference``, plus a
``_terms`` section of general terms (session, visitor, segment...) without formula and unit.
``name`` is the label of :data:`kpi_helpers.labels.KPI_LABELS` where there is one, and ``read``
is plain text (no markup, no ids) because the notebooks show it in client reports.

``python -m kpi_helpers.glossary`` writes ``notebooks/GLOSSARY.md`` from the YAML; the tests
fail while the committed file differs from :func:`render_markdown`. Each entry of the Markdown
has a stable anchor, ``<language>-<id>`` (``GLOSSARY.md#fr-conversion_rate``), for links from
the notebooks.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import functools
import sys
from pathlib import Path
from typing import Any

import yaml

from .labels import LANGUAGES, check_language
from .paths import NOTEBOOKS_DIR
from .scorecard import BREAKDOWNS, HEADLINE_KPIS

__all__ = ["GLOSSARY_PATH", "TERMS", "KPI_FIELDS", "TERM_FIELDS", "load_glossary", "entry", "render_markdown",
           "main"]

#: The glossary's source text.
GLOSSARY_PATH: Path = Path(__file__).with_name("glossary.yml")

#: The top-level key of the general terms.
TERMS = "_terms"

#: The fields of a KPI entry in each language, in the order the Markdown shows them.
KPI_FIELDS: tuple[str, ...] = ("name", "definition", "formula", "unit", "read", "pitfalls", "reference")

#: The fields of a general term in each language.
TERM_FIELDS: tuple[str, ...] = ("name", "definition", "read", "pitfalls", "reference")

_TEXT = {
    "fr": {"language": "Français", "title": "Glossaire des indicateurs", "terms": "Termes généraux",
           "index": "Index des indicateurs", "headline": "Indicateurs du tableau de bord",
           "breakdowns": "Ventilations du tableau de bord", "extras": "Autres indicateurs",
           "kpi": "Indicateur", "id": "Identifiant", "formula": "Formule", "unit": "Unité",
           "read": "Comment le lire", "pitfalls": "Pièges", "reference": "Référence", "colon": " :",
           "intro": "Chaque indicateur a un identifiant, une formule et une seule réponse quand son dénominateur "
                    "est vide : une valeur vide, jamais 0. Les taux sont des fractions de 0 à 1, affichées en %."},
    "en": {"language": "English", "title": "KPI glossary", "terms": "General terms",
           "index": "KPI index", "headline": "Scorecard KPIs", "breakdowns": "Scorecard breakdowns",
           "extras": "Other KPIs", "kpi": "KPI", "id": "Id", "formula": "Formula", "unit": "Unit",
           "read": "How to read it", "pitfalls": "Pitfalls", "reference": "Reference", "colon": ":",
           "intro": "Every KPI has one id, one formula and one answer when its denominator is empty: an empty "
                    "value (null), never 0. Rates are fractions from 0 to 1, shown as %."},
}


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ValueError(f"{Path(self.name).name}: {key!r} is given twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        data = yaml.load(f, Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    if not isinstance(data, dict) or not isinstance(data.get(TERMS), dict):
        raise ValueError(f"{path}: expected a mapping of KPI ids with a {TERMS!r} section")
    return data


@functools.cache
def load_glossary() -> dict[str, Any]:
    """The parsed ``glossary.yml``: KPI ids (in file order) and ``_terms``, each ``{"fr": ..., "en": ...}``.

    Read once and cached: the same dict on every call, to treat as read-only (:func:`entry`
    returns copies).
    """
    return _read(GLOSSARY_PATH)


def entry(kpi_id: str, language: str = "fr") -> dict[str, Any]:
    """The glossary entry of a KPI id (or of a general term of ``_terms``) in ``language``.

    A new dict with the fields of :data:`KPI_FIELDS` (:data:`TERM_FIELDS` for a term), for
    example ``entry("conversion_rate")["read"]``. An unknown id raises KeyError naming the
    closest ids; an unknown language raises ValueError.
    """
    check_language(language)
    glossary = load_glossary()
    item = glossary.get(kpi_id) if kpi_id != TERMS else None
    if item is None:
        item = glossary[TERMS].get(kpi_id)
    if item is None:
        known = [k for k in glossary if k != TERMS] + list(glossary[TERMS])
        close = difflib.get_close_matches(kpi_id, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no glossary entry for {kpi_id!r} in {GLOSSARY_PATH.name}{hint}")
    return copy.deepcopy(item[language])


def _groups() -> list[tuple[str, list[str]]]:
    """KPI ids in the order of the Markdown: scorecard KPIs, scorecard breakdowns, then the
    other entries of the YAML in file order."""
    listed = set(HEADLINE_KPIS) | set(BREAKDOWNS)
    extras = [k for k in load_glossary() if k != TERMS and k not in listed]
    return [("headline", list(HEADLINE_KPIS)), ("breakdowns", list(BREAKDOWNS)), ("extras", extras)]


def _item(lines: list[str], anchor: str, heading: str, fields: dict[str, Any], shown: tuple[str, ...],
          text: dict[str, str]) -> None:
    lines += [f'<a id="{anchor}"></a>', "", f"#### {heading}", "", fields["definition"], ""]
    for field in shown:
        if field == "pitfalls":
            lines.append(f"- **{text[field]}**{text['colon']}")
            lines += [f"  - {p}" for p in fields[field]]
        else:
            lines.append(f"- **{text[field]}**{text['colon']} {fields[field]}")
    lines.append("")


def _body(language: str, h: str) -> list[str]:
    """One language's part: intro, index, general terms, then the KPIs; ``h`` is the heading
    prefix of its sections (``##`` or ``###``)."""
    text = _TEXT[language]
    groups = _groups()
    lines = [text["intro"], "", f"{h} {text['index']}", "", f"| {text['kpi']} | {text['id']} |", "|---|---|"]
    for _, ids in groups:
        lines += [f"| [{entry(k, language)['name']}](#{language}-{k}) | `{k}` |" for k in ids]
    lines += ["", f"{h} {text['terms']}", ""]
    for term in load_glossary()[TERMS]:
        fields = entry(term, language)
        _item(lines, f"{language}-{term}", fields["name"], fields, ("read", "pitfalls", "reference"), text)
    for group, ids in groups:
        lines += [f"{h} {text[group]}", ""]
        for k in ids:
            fields = entry(k, language)
            _item(lines, f"{language}-{k}", f"{fields['name']} · `{k}`", fields, KPI_FIELDS[2:], text)
    return lines


def render_markdown(language: str | None = None) -> str:
    """The glossary as Markdown: one language, or both (French, then English) when None.

    Each language has an index of the KPIs, the general terms, then the KPIs in the
    scorecard's order (headline KPIs, breakdowns) followed by the other KPIs, each with its name,
    id, definition, formula, unit, how to read it, pitfalls and reference.
    """
    languages = LANGUAGES if language is None else (check_language(language),)
    title = " · ".join(_TEXT[lang]["title"] for lang in languages)
    lines = [f"# {title}", "", "<!-- Generated from kpi_helpers/glossary.yml by `python -m kpi_helpers.glossary`: "
                                "edit the YAML, then run that command. -->", ""]
    if len(languages) == 1:
        lines += _body(languages[0], "##")
    else:
        lines += [" · ".join(f"[{_TEXT[lang]['language']}](#{lang})" for lang in languages), ""]
        for lang in languages:
            lines += [f'<a id="{lang}"></a>', "", f"## {_TEXT[lang]['language']}", ""] + _body(lang, "###")
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the glossary (both languages) to ``notebooks/GLOSSARY.md``, or to ``--output``."""
    parser = argparse.ArgumentParser(prog="python -m kpi_helpers.glossary",
                                     description="Write notebooks/GLOSSARY.md from kpi_helpers/glossary.yml.")
    parser.add_argument("--output", type=Path, default=NOTEBOOKS_DIR / "GLOSSARY.md", help="file to write")
    args = parser.parse_args(argv)
    text = render_markdown()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {args.output} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
