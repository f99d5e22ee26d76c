"""The notebooks: two editions from one source, skeleton, prose in each edition's language,
papermill runs on every sample client and on real data, no warnings.

Each theme is written once, in ``notebooks/source/NN-theme.yml``; ``make notebooks`` writes the
French edition (``notebooks/fr/``) and the English one (``notebooks/en/``) and executes both.
nbval (``pytest --nbval notebooks/fr notebooks/en``, part of ``make test``) checks that the
committed editions still produce their stored outputs; here each notebook runs through papermill
with other parameters, as the batch reports do: the French edition on every sample client, the
English one on one client (the code of the two is the same, which the sync tests prove).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill as pm
import pytest

from kpi_helpers.editions import edition, out_of_sync, sources
from kpi_helpers.notebook_tools import committed_notebooks, run_notebook
from kpi_helpers.paths import NOTEBOOKS_DIR, SAMPLE_DIR, sample_clients

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "en")
NOTEBOOKS = sorted(p.name for p in (NOTEBOOKS_DIR / "fr").glob("[0-9][0-9]-*.ipynb"))
EDITIONS = [f"{lang}/{name}" for lang in LANGUAGES for name in NOTEBOOKS]
EXPECTED_PARAMETERS = ["client_dir", "start", "end", "compare", "channel", "device", "language", "margin_rate"]

# A segment filter and a short period (with a year-on-year comparison)
PARAMETER_SETS = {
    "segment": {"channel": "organic_search", "device": "mobile"},
    "short-period": {"start": "2026-06-01", "end": "2026-06-07", "compare": "previous_year"},
}
# (edition, client, parameter set): the French edition with both sets on every client but one,
# which runs the English edition instead: as many runs as one edition on every client.
EN_CLIENT = "maison-lune"
PAPERMILL_RUNS = ([("fr", c, "segment") for c in sample_clients()]
                  + [("fr", c, "short-period") for c in sample_clients() if c != EN_CLIENT]
                  + [("en", EN_CLIENT, "short-period")])

#: What each edition's skeleton says in its language
SKELETON = {"fr": {"question": "la question métier", "how_to": "## Comment utiliser"},
            "en": {"question": "the business question", "how_to": "## How to use"}}


def _read(name: str) -> nbformat.NotebookNode:
    """``name`` is ``fr/NN-theme.ipynb``, ``en/...``, or a bare name (the French edition)."""
    return nbformat.read(NOTEBOOKS_DIR / (name if "/" in name else f"fr/{name}"), as_version=4)
def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def problems_in_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """Errors, stderr output and warnings anywhere in an executed notebook's outputs."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {i}: stderr: {out.text[:300]}")
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items() if k.startswith("text/")]
            for text in texts:
                if re.search(r"\bWarning\b|Traceback", str(text)):
                    found.append(f"cell {i}: {str(text)[:300]}")
    return found


# --- skeleton --------------------------------------------------------------------------------

def test_there_is_an_overview_and_one_notebook_per_theme_in_course_order_in_each_language():
    assert NOTEBOOKS == [
        "00-overview.ipynb", "01-social-engagement.ipynb", "02-conversion-and-basket.ipynb",
        "03-path-to-purchase.ipynb", "04-product-pages.ipynb", "05-acquisition-cost.ipynb",
        "06-cart-abandonment.ipynb", "07-customer-loyalty.ipynb", "08-site-search.ipynb",
    ]
    assert [f"{p.parent.name}/{p.name}" for p in committed_notebooks()] == EDITIONS
    assert [s.stem + ".ipynb" for s in sources()] == NOTEBOOKS
    assert not list(NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")), "the editions live in notebooks/fr and notebooks/en"


@pytest.mark.parametrize("name", EDITIONS)
def test_the_parameters_cell_holds_annotated_literals_and_the_next_cell_validates_them(name):
    nb = _read(name)
    idx = [i for i, c in enumerate(nb.cells) if "parameters" in _tags(c)]
    assert len(idx) == 1
    tree = ast.parse(nb.cells[idx[0]].source)
    names = []
    for node in tree.body:
        assert isinstance(node, ast.AnnAssign), "one annotated assignment per line"
        assert isinstance(node.value, ast.Constant), f"{ast.unparse(node)} is not a literal"
        names.append(node.target.id)
    assert names == EXPECTED_PARAMETERS
    for line in nb.cells[idx[0]].source.splitlines():
        assert "  # " in line, f"no help comment: {line}"
    following = next(c for c in nb.cells[idx[0] + 1:] if c.cell_type == "code")
    assert "nb.setup(" in following.source and "setup" in _tags(following)


@pytest.mark.parametrize("name", EDITIONS)
def test_notebooks_hold_no_def_or_class_and_small_cells(name):
    for cell in _read(name).cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
            assert len(cell.source.splitlines()) <= 10


@pytest.mark.parametrize("name", EDITIONS)
def test_every_notebook_follows_the_teaching_skeleton(name):
    nb = _read(name)
    words = SKELETON[name.split("/")[0]]
    text = [c.source for c in nb.cells]
    assert text[0].startswith("# ") and words["question"] in text[0].lower()
    assert any(t.startswith(words["how_to"]) for t in text)
    assert any("explore" in _tags(c) and c.cell_type == "code" and "nb.explore(" in c.source for c in nb.cells)
    exercises = [c for c in nb.cells if c.cell_type == "code" and "exercise" in _tags(c)]
    assert exercises and all("nb.check(" in c.source for c in exercises)
    assert "GLOSSARY.md" in text[-1]
    # explore and exercise cells come after the sections, the glossary link last
    first_explore = next(i for i, c in enumerate(nb.cells) if "explore" in _tags(c))
    assert all("explore" in _tags(c) or "exercise" in _tags(c) for c in nb.cells[first_explore:-1])


@pytest.mark.parametrize("name", EDITIONS)
def test_committed_notebooks_are_executed_without_errors_or_warnings(name):
    nb = _read(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run `make notebooks`"
    assert problems_in_outputs(nb) == []


def test_exercises_named_in_notebooks_exist():
    from kpi_helpers.exercises import EXERCISES

    for name in EDITIONS:
        for cell in _read(name).cells:
            for ex_id in re.findall(r'nb\.check\("([^"]+)"', cell.source):
                assert ex_id in EXERCISES


# --- two editions from one source ----------------------------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_editions_are_what_their_source_generates(language):
    # regenerating gives the committed cells: same sources, same tags, same order (`make notebooks`)
    assert out_of_sync(language) == [], "run `make notebooks`"
    for src in sources():
        committed = _read(f"{language}/{src.stem}.ipynb")
        generated = edition(src, language)
        assert [c.source for c in committed.cells] == [c.source for c in generated.cells]


def _code_without_language(source: str) -> str:
    """A code cell's AST (comments dropped), the literal of the language parameter masked."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "language":
            node.value = ast.Constant("<language>")
    return ast.dump(tree)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_both_editions_have_the_same_cells_and_the_same_code(name):
    fr, en = _read(f"fr/{name}"), _read(f"en/{name}")
    assert [(c.cell_type, c.metadata.get("tags", [])) for c in fr.cells] == \
        [(c.cell_type, c.metadata.get("tags", [])) for c in en.cells]
    for a, b in zip(fr.cells, en.cells):
        if a.cell_type == "code":
            assert _code_without_language(a.source) == _code_without_language(b.source), a.source
        else:
            assert a.source != b.source or not re.search(r"[A-Za-z]{4}", a.source), f"not translated: {a.source[:80]}"
    params = {lang: next(c for c in nb.cells if "parameters" in _tags(c)).source for lang, nb in (("fr", fr), ("en", en))}
    assert 'language: str = "fr"' in params["fr"] and 'language: str = "en"' in params["en"]
    assert fr.metadata.get("kpi_kit") == en.metadata.get("kpi_kit")


# --- prose in the edition's language ----------------------------------------------------------

#: Words that only one of the two languages uses (articles, pronouns, conjunctions): one of them in
#: the other edition's prose is a sentence left untranslated.
STOP_WORDS = {
    "en": {"the", "and", "of", "is", "are", "with", "this", "that", "which", "what", "when", "from", "for", "not",
           "by", "it", "its", "their", "they", "you", "your", "how", "does", "was", "were", "than", "into",
           "have", "has", "should", "would", "can", "will", "be", "to", "at", "each", "every", "why", "who"},
    "fr": {"le", "la", "les", "des", "du", "une", "est", "et", "pour", "avec", "dans", "qui", "que", "pas", "sur",
           "sont", "ce", "cette", "ces", "au", "aux", "ou", "par", "vous", "votre", "mais", "leur", "sans", "chaque",
           "quel", "quelle", "combien", "il", "elle", "ils", "nous", "été"},
}
#: Terms both editions use as they are (KPI acronyms, tools, formats)
ALLOWED = {"roas", "cpa", "roi", "seo", "sea", "lmdi", "ga4", "matomo", "shopify", "reel", "reels", "display",
           "e-mail", "p-value", "universal", "analytics", "baymard", "institute", "welch", "wilson", "divisia"}


def prose(text: str) -> str:
    """Markdown without what is not prose: code spans and blocks, link targets, HTML tags."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "] ", text)
    return re.sub(r"<[^>]+>", " ", text)


def stray_words(text: str, language: str) -> list[str]:
    """The other language's stop-words found in ``text`` (prose of an edition in ``language``)."""
    other = "en" if language == "fr" else "fr"
    words = re.findall(r"[a-zàâäçéèêëîïôöùûüÿœ]+(?:-[a-zàâäçéèêëîïôöùûüÿœ]+)*", prose(text).lower())
    return [w for w in words if w in STOP_WORDS[other] - ALLOWED]


def _comments(source: str) -> str:
    """The comments of a code cell (without the quoted literals they may show)."""
    found = [line.split("#", 1)[1] for line in source.splitlines() if "#" in line]
    return re.sub(r'"[^"]*"', " ", "\n".join(found))


def test_stray_words_finds_a_sentence_left_in_the_other_language():
    assert stray_words("Le taux de conversion **is the share** of visitors.", "fr") == ["is", "the", "of"]
    assert stray_words("The conversion rate is *le taux de conversion* (`le`).", "en") == ["le"]
    assert stray_words("Le ROAS, le CPA et la p-value, voir [the glossary](../GLOSSARY.md#en).", "fr") == ["the"]
    assert stray_words("Un reel, un carrousel : `the_table`.", "fr") == []


@pytest.mark.parametrize("name", EDITIONS)
def test_every_markdown_cell_and_comment_is_in_the_editions_language(name):
    language = name.split("/")[0]
    found = {}
    for i, cell in enumerate(_read(name).cells):
        text = cell.source if cell.cell_type == "markdown" else _comments(cell.source)
        stray = stray_words(text, language)
        if stray:
            found[i] = stray
        if cell.cell_type == "markdown" and len(prose(text).split()) >= 12:
            own = re.findall(r"[a-zàâäçéèêëîïôöùûüÿœ]+", prose(text).lower())
            assert set(own) & STOP_WORDS[language], f"cell {i} has no {language} word: {text[:80]}"
    assert found == {}, f"words of the other language in {name}: {found}"


def test_french_prose_follows_french_typography():
    # a no-break space (U+00A0) before : ; ? ! and inside « », never a plain space that a line break can split
    for name in NOTEBOOKS:
        for i, cell in enumerate(_read(f"fr/{name}").cells):
            if cell.cell_type != "markdown":
                continue
            text = prose(cell.source)
            bad = re.findall(r".{0,12}(?: [:;?!»]|« ).{0,6}", text)
            assert bad == [], f"fr/{name} cell {i}: {bad}"
            assert '"' not in text, f"fr/{name} cell {i}: English quotes, not « »"


@pytest.mark.parametrize("name", EDITIONS)
def test_the_glossary_links_point_to_the_editions_language(name):
    language = name.split("/")[0]
    glossary = (NOTEBOOKS_DIR / "GLOSSARY.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', glossary))
    for cell in _read(name).cells:
        for target in re.findall(r"\]\(\.\./GLOSSARY\.md#([^)]+)\)", cell.source):
            assert target in anchors and target.split("-")[0] == language, target
    assert "](../GLOSSARY.md" in _read(name).cells[-1].source


# --- papermill runs ----------------------------------------------------------------------------

def _run(name: str, out: Path, **parameters) -> nbformat.NotebookNode:
    path = NOTEBOOKS_DIR / (name if "/" in name else f"fr/{name}")
    run_notebook(path, out, parameters=parameters, cwd=path.parent)
    return nbformat.read(out, as_version=4)


@pytest.mark.slow
@pytest.mark.parametrize("run", PAPERMILL_RUNS, ids=["-".join(r) for r in PAPERMILL_RUNS])
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_runs_through_papermill_on_every_sample_client(tmp_path, name, run):
    language, client, params = run
    nb = _run(f"{language}/{name}", tmp_path / name, client_dir=str(SAMPLE_DIR / client), **PARAMETER_SETS[params])
    assert problems_in_outputs(nb) == []
    injected = [c for c in nb.cells if "injected-parameters" in _tags(c)]
    assert len(injected) == 1


@pytest.mark.slow
def test_a_client_without_the_needed_table_runs_to_the_end_and_says_so_in_one_sentence(tmp_path):
    nb = _run("fr/06-cart-abandonment.ipynb", tmp_path / "out.ipynb", client_dir=str(SAMPLE_DIR / "atelier-brume"))
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "Ce client ne fournit pas de données de paniers : cette partie ne peut pas être calculée." in html
    assert "carts" not in html and "((" not in html and ")" + ")" not in html  # no table id, no nested parentheses
    assert "Non disponible pour ce client : ce client ne fournit pas de données de paniers." in html  # the exercises
    assert "Pas tout à fait" not in html
    assert problems_in_outputs(nb) == []


@pytest.mark.slow
def test_bad_parameters_stop_at_the_validation_cell_with_a_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        _run("fr/02-conversion-and-basket.ipynb", tmp_path / "out.ipynb", client_dir=str(SAMPLE_DIR / "maison-lune"),
             start="2026-13-01", channel="seo")
    assert "invalid start '2026-13-01'" in str(err.value)
    assert "channel 'seo' is not in this client's sessions" in str(err.value)


REALDATA_SOURCES = ["ga360", "ga4", "online_retail", "rees46", "online_shoppers", "facebook_posts", "facebook_ads"]


#: real-data clients without sessions (orders or social posts only): the notebooks on visits, product
#: pages, carts and searches only say, in one sentence, that the client lacks the data, which the
#: social-only sample client's runs already check; they run the other notebooks
WITHOUT_SESSIONS = {"online_retail", "facebook_posts", "facebook_ads"}
VISIT_NOTEBOOKS = {"03-path-to-purchase.ipynb", "04-product-pages.ipynb", "06-cart-abandonment.ipynb",
                   "08-site-search.ipynb"}
REALDATA_RUNS = [(name, source) for source in REALDATA_SOURCES for name in NOTEBOOKS
                 if not (source in WITHOUT_SESSIONS and name in VISIT_NOTEBOOKS)]


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize(("name", "source"), REALDATA_RUNS, ids=[f"{n}-{s}" for n, s in REALDATA_RUNS])
def test_every_notebook_runs_through_papermill_on_the_real_data_clients(tmp_path, name, source, realdata_clients):
    nb = _run(f"fr/{name}", tmp_path / name, client_dir=str(realdata_clients[source]))
    assert problems_in_outputs(nb) == []


@pytest.mark.slow
@pytest.mark.realdata
def test_the_papermill_command_line_runs_a_notebook_on_a_real_data_client(tmp_path, realdata_clients):
    out = tmp_path / "out.ipynb"
    run = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / "en" / "02-conversion-and-basket.ipynb"), str(out),
         "-p", "client_dir", str(realdata_clients["ga360"]), "-p", "language", "en", "-k", "python3",
         "--cwd", str(NOTEBOOKS_DIR / "en"), "--no-progress-bar", "--execution-timeout", "60"],
        capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert problems_in_outputs(nbformat.read(out, as_version=4)) == []


@pytest.mark.parametrize("language, phrase", [("en", "the last full calendar month"),
                                              ("fr", "le dernier mois civil complet")])
def test_papermill_help_lists_every_parameter_with_its_comment_in_the_editions_language(language, phrase):
    run = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook",
                          str(NOTEBOOKS_DIR / language / NOTEBOOKS[0])], capture_output=True, text=True, check=True)
    for name in EXPECTED_PARAMETERS:
        assert re.search(rf"^\s+{name}: .*\S", run.stdout, re.M), name
    assert phrase in run.stdout


def test_test_runs_start_their_kernels_on_ipc_sockets(tmp_path):
    # TCP ports picked by jupyter_client can be taken by a kernel of the other test worker before
    # this kernel binds them ("Address already in use"); IPC sockets in a folder of their own cannot
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from ipykernel.connect import get_connection_info\nprint(get_connection_info(unpack=True)['transport'])")])
    nbformat.write(nb, tmp_path / "transport.ipynb")
    out = run_notebook(tmp_path / "transport.ipynb", tmp_path / "out.ipynb")
    assert out.cells[0].outputs[0]["text"].strip() == "ipc"
