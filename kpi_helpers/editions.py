"""The French and English editions of the notebooks, generated from one source per theme.

One notebook per theme stays the unit; its text lives once, in ``notebooks/source/NN-theme.yml``::

    sample_client: bureau-direct   # the parameters cell's client_dir: data/sample/bureau-direct
    theme_kpis: [carts, cart_abandonment_rate]  # none available for a client: its report leaves the theme out
    cells:
    - tags: [teaching]             # a markdown cell: its text in each language
      fr: |
        ## Le taux d'engagement
      en: |
        ## The engagement rate
    - code: |                      # a code cell: the same code in both editions
        nb.headline(ctx, ["posts", "engagement_rate"])
    - tags: [exercise]             # a code cell whose comments differ: the code itself must not
      code:
        fr: |
          answer = None  # votre réponse
        en: |
          answer = None  # your answer
    - common: glossary             # a cell shared by every notebook (notebooks/source/common.yml)

``python -m kpi_helpers.editions`` (``make notebooks``) writes ``notebooks/fr/NN-theme.ipynb``
(``language = "fr"``) and ``notebooks/en/NN-theme.ipynb`` (``language = "en"``), then executes
both on the sample data, so that they render as training material and nbval can compare later
runs with them. The two editions have the same cells in the same order, with the same tags;
their code differs only in the literal of the ``language`` parameter (and in comments).
:func:`edition` builds what a committed edition's cells must be, which the sync test compares
with the committed files; ``--check`` lists the committed editions that no longer match their
source (exit status 1) without writing anything.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import nbformat

from .errors import KpiInputError, Problem
from .paths import NOTEBOOKS_DIR
from .safeyaml import load_yaml

__all__ = ["LANGUAGES", "SOURCE_DIR", "sources", "edition", "edition_path", "editions_dir", "write_edition",
           "out_of_sync", "main"]

LANGUAGES = ("fr", "en")
SOURCE_DIR = NOTEBOOKS_DIR / "source"
COMMON = "common.yml"
LANGUAGE_LINE = re.compile(r'^language: str = "[a-z]{2}"', re.M)
CLIENT_LINE = re.compile(r'^client_dir: str = "[^"]*"', re.M)
KERNELSPEC = {"display_name": "Python 3 (kpi-kit)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                 "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                 "pygments_lexer": "ipython3"}


def sources(source_dir: Path = SOURCE_DIR) -> list[Path]:
    """The theme sources (``NN-theme.yml``) in course order."""
    return sorted(source_dir.glob("[0-9][0-9]-*.yml"))


def editions_dir(language: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    """``notebooks/fr`` or ``notebooks/en``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
    return notebooks_dir / language


def edition_path(source: Path, language: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    return editions_dir(language, notebooks_dir) / f"{source.stem}.ipynb"


def _text(value: Any, language: str, where: str) -> str:
    if isinstance(value, dict):
        value = value.get(language)
    if not isinstance(value, str) or not value.strip():
        raise KpiInputError(Problem(f"{where}: no {language!r} text", expected="a text in fr and in en"))
    return value.rstrip("\n")


def _common(source_dir: Path) -> dict[str, Any]:
    path = source_dir / COMMON
    data = load_yaml(path) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def edition(source: Path, language: str) -> nbformat.NotebookNode:
    """The unexecuted notebook of ``source`` in ``language``: markdown in that language, the same
    code cells, the ``language`` parameter set to it."""
    data = load_yaml(source)
    cells_raw = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells_raw, list) or not cells_raw:
        raise KpiInputError(Problem("no 'cells' list", file=str(source)))
    common = _common(source.parent)
    sample = data.get("sample_client", "maison-lune")
    cells = []
    for i, raw in enumerate(cells_raw):
        where = f"{source.name}: cell {i}"
        if isinstance(raw, dict) and "common" in raw:
            name = raw["common"]
            if name not in common:
                raise KpiInputError(Problem(f"{where}: unknown common cell {name!r}", file=str(source),
                                            expected="one of " + ", ".join(common)))
            raw = {**common[name], **{k: v for k, v in raw.items() if k != "common"}}
        if not isinstance(raw, dict):
            raise KpiInputError(Problem(f"{where}: expected a mapping", file=str(source)))
        tags = list(raw.get("tags") or [])
        if "code" in raw:
            text = _text(raw["code"], language, where)
            if "parameters" in tags:
                text, n = LANGUAGE_LINE.subn(f'language: str = "{language}"', text)
                text, m = CLIENT_LINE.subn(f'client_dir: str = "data/sample/{sample}"', text)
                if n != 1 or m != 1:
                    raise KpiInputError(Problem(f"{where}: the parameters cell needs one `language: str = \"..\"` "
                                                "and one `client_dir: str = \"..\"` line", file=str(source)))
            cell = nbformat.v4.new_code_cell(text)
        else:
            cell = nbformat.v4.new_markdown_cell(_text(raw, language, where))
        cell.id = f"c{i:02d}"
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    theme_kpis = data.get("theme_kpis")
    if theme_kpis:
        nb.metadata["kpi_kit"] = {"theme_kpis": [str(k) for k in theme_kpis]}
    return nb


def _signature(nb: nbformat.NotebookNode) -> list[Any]:
    return [nb.metadata.get("kpi_kit")] + [(c.cell_type, c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells]


def out_of_sync(language: str, *, notebooks_dir: Path = NOTEBOOKS_DIR) -> list[str]:
    """Names of the committed editions in ``language`` whose cells differ from their source (or
    that are missing, or have no source)."""
    src_dir = notebooks_dir / "source"
    expected = {s.stem: s for s in sources(src_dir)}
    found = {p.stem for p in editions_dir(language, notebooks_dir).glob("[0-9][0-9]-*.ipynb")}
    bad = sorted(found - set(expected))
    for stem, src in expected.items():
        path = edition_path(src, language, notebooks_dir)
        if not path.is_file() or _signature(nbformat.read(path, as_version=4)) != _signature(edition(src, language)):
            bad.append(stem)
    return sorted(bad)


def write_edition(source: Path, language: str, *, execute: bool = True,
                  notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    """Write the edition of ``source`` in ``language`` (executed on the sample data unless
    ``execute=False``); returns its path."""
    from .notebook_tools import clean_metadata, execute_in_place

    path = edition_path(source, language, notebooks_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(clean_metadata(edition(source, language)), path)
    if execute:
        execute_in_place(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kpi_helpers.editions",
                                     description="Write the French and English notebooks from notebooks/source/.")
    parser.add_argument("names", nargs="*", help="themes (e.g. 01-social-engagement or 01); default: all")
    parser.add_argument("--language", choices=LANGUAGES, action="append", help="only this edition (repeatable)")
    parser.add_argument("--no-execute", action="store_true", help="write the cells without executing them")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; list the editions that differ from their source (exit status 1)")
    args = parser.parse_args(argv)
    languages = args.language or list(LANGUAGES)
    try:
        if args.check:
            bad = [f"{lang}/{stem}" for lang in languages for stem in out_of_sync(lang)]
            for name in bad:
                print(f"{name}: out of sync with notebooks/source (run `make notebooks`)")
            return 1 if bad else 0
        chosen = [s for s in sources() if not args.names or s.stem in args.names or s.stem[:2] in args.names]
        if args.names and not chosen:
            print(f"no source named {', '.join(args.names)} in {SOURCE_DIR}", file=sys.stderr)
            return 2
        for src in chosen:
            for lang in languages:
                path = write_edition(src, lang, execute=not args.no_execute)
                print(f"{path.relative_to(NOTEBOOKS_DIR)}: written" + ("" if args.no_execute else " and executed"))
    except KpiInputError as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
