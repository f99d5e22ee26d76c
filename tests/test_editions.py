"""The generator of the French and English editions: one source, two notebooks, nothing else differs."""

from __future__ import annotations

import nbformat
import pytest

from kpi_helpers.editions import edition, out_of_sync
from kpi_helpers.errors import KpiInputError

SOURCE = """\
sample_client: bureau-direct
theme_kpis: [carts]
cells:
- tags: [teaching]
  fr: |
    # 99 · Un thème
  en: |
    # 99 · A theme
- tags: [parameters]
  code: |
    client_dir: str = "data/sample/maison-lune"  # client folder
    language: str = "fr"  # fr or en
- tags: [exercise]
  code:
    fr: |
      answer = None  # votre réponse
    en: |
      answer = None  # your answer
- common: glossary
"""
COMMON = """\
glossary:
  tags: [teaching]
  fr: |
    [le glossaire](../GLOSSARY.md#fr)
  en: |
    [the glossary](../GLOSSARY.md#en)
"""


@pytest.fixture
def notebooks(tmp_path):
    (tmp_path / "source").mkdir()
    (tmp_path / "source" / "99-theme.yml").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "source" / "common.yml").write_text(COMMON, encoding="utf-8")
    return tmp_path


def test_an_edition_has_its_languages_text_the_same_code_and_its_language_parameter(notebooks):
    fr, en = (edition(notebooks / "source" / "99-theme.yml", lang) for lang in ("fr", "en"))
    assert [c.source for c in fr.cells] == [
        "# 99 · Un thème",
        'client_dir: str = "data/sample/bureau-direct"  # client folder\nlanguage: str = "fr"  # fr or en',
        "answer = None  # votre réponse", "[le glossaire](../GLOSSARY.md#fr)"]
    assert en.cells[1].source.endswith('language: str = "en"  # fr or en') and en.cells[3].source.endswith("#en)")
    assert [c.metadata.get("tags") for c in fr.cells] == [["teaching"], ["parameters"], ["exercise"], ["teaching"]]
    assert fr.metadata["kpi_kit"] == {"theme_kpis": ["carts"]} and fr.metadata["kernelspec"]["name"] == "python3"
    assert [c.id for c in fr.cells] == [c.id for c in en.cells]


def test_a_committed_edition_that_differs_from_its_source_is_out_of_sync(notebooks):
    src = notebooks / "source" / "99-theme.yml"
    assert out_of_sync("fr", notebooks_dir=notebooks) == ["99-theme"]  # not written yet
    (notebooks / "fr").mkdir()
    nbformat.write(edition(src, "fr"), notebooks / "fr" / "99-theme.ipynb")
    assert out_of_sync("fr", notebooks_dir=notebooks) == []
    nb = nbformat.read(notebooks / "fr" / "99-theme.ipynb", as_version=4)
    nb.cells[0].source = "# 99 · A theme edited by hand"
    nbformat.write(nb, notebooks / "fr" / "99-theme.ipynb")
    assert out_of_sync("fr", notebooks_dir=notebooks) == ["99-theme"]
    nbformat.write(nb, notebooks / "fr" / "98-orphan.ipynb")  # an edition without a source
    assert out_of_sync("fr", notebooks_dir=notebooks) == ["98-orphan", "99-theme"]


@pytest.mark.parametrize("broken, message", [
    (SOURCE.replace("  en: |\n    # 99 · A theme\n", ""), "no 'en' text"),
    (SOURCE.replace("- common: glossary", "- common: nope"), "unknown common cell 'nope'"),
    (SOURCE.replace('    language: str = "fr"  # fr or en\n', ""), "needs one `language"),
])
def test_a_broken_source_is_one_clear_error(notebooks, broken, message):
    (notebooks / "source" / "99-theme.yml").write_text(broken, encoding="utf-8")
    with pytest.raises(KpiInputError) as err:
        edition(notebooks / "source" / "99-theme.yml", "en")
    assert message in str(err.value)
