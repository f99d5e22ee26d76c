"""The notebooks: skeleton, papermill runs on every sample client and on real data, no warnings.

nbval (``pytest --nbval notebooks/``, part of ``make test``) checks that the committed notebooks
still produce their stored outputs; here each notebook runs through papermill with other
parameters, as the batch reports do.
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

from kpi_helpers.notebook_tools import run_notebook
from kpi_helpers.paths import NOTEBOOKS_DIR, SAMPLE_DIR, sample_clients

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.name for p in NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))
EXPECTED_PARAMETERS = ["client_dir", "start", "end", "compare", "channel", "device", "language", "margin_rate"]

# A segment filter and a short period (with a year-on-year comparison), for every client
PARAMETER_SETS = {
    "segment": {"channel": "organic_search", "device": "mobile", "language": "en"},
    "short-period": {"start": "2026-06-01", "end": "2026-06-07", "compare": "previous_year"},
}


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS_DIR / name, as_version=4)


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

def test_there_is_an_overview_and_one_notebook_per_theme_in_course_order():
    assert NOTEBOOKS == [
        "00-overview.ipynb", "01-social-engagement.ipynb", "02-conversion-and-basket.ipynb",
        "03-path-to-purchase.ipynb", "04-product-pages.ipynb", "05-acquisition-cost.ipynb",
        "06-cart-abandonment.ipynb", "07-customer-loyalty.ipynb", "08-site-search.ipynb",
    ]


@pytest.mark.parametrize("name", NOTEBOOKS)
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


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_hold_no_def_or_class_and_small_cells(name):
    for cell in _read(name).cells:
        if cell.cell_type == "code":
            tree = ast.parse(cell.source)
            assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Lambda))]
            assert len(cell.source.splitlines()) <= 10


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_follows_the_teaching_skeleton(name):
    nb = _read(name)
    text = [c.source for c in nb.cells]
    assert text[0].startswith("# ") and "business question" in text[0].lower()
    assert any(t.startswith("## How to use") for t in text)
    assert any("explore" in _tags(c) and c.cell_type == "code" and "nb.explore(" in c.source for c in nb.cells)
    exercises = [c for c in nb.cells if c.cell_type == "code" and "exercise" in _tags(c)]
    assert exercises and all("nb.check(" in c.source for c in exercises)
    assert "GLOSSARY.md" in text[-1]
    # explore and exercise cells come after the sections, the glossary link last
    first_explore = next(i for i, c in enumerate(nb.cells) if "explore" in _tags(c))
    assert all("explore" in _tags(c) or "exercise" in _tags(c) for c in nb.cells[first_explore:-1])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebooks_are_executed_without_errors_or_warnings(name):
    nb = _read(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run `make notebooks`"
    assert problems_in_outputs(nb) == []


def test_exercises_named_in_notebooks_exist():
    from kpi_helpers.exercises import EXERCISES

    for name in NOTEBOOKS:
        for cell in _read(name).cells:
            for ex_id in re.findall(r'nb\.check\("([^"]+)"', cell.source):
                assert ex_id in EXERCISES


# --- papermill runs ----------------------------------------------------------------------------

def _run(name: str, out: Path, **parameters) -> nbformat.NotebookNode:
    run_notebook(NOTEBOOKS_DIR / name, out, parameters=parameters, cwd=NOTEBOOKS_DIR)
    return nbformat.read(out, as_version=4)


@pytest.mark.slow
@pytest.mark.parametrize("params", list(PARAMETER_SETS), ids=list(PARAMETER_SETS))
@pytest.mark.parametrize("client", sample_clients())
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_runs_through_papermill_on_every_sample_client(tmp_path, name, client, params):
    nb = _run(name, tmp_path / name, client_dir=str(SAMPLE_DIR / client), **PARAMETER_SETS[params])
    assert problems_in_outputs(nb) == []
    injected = [c for c in nb.cells if "injected-parameters" in _tags(c)]
    assert len(injected) == 1


@pytest.mark.slow
def test_a_client_without_the_needed_table_runs_to_the_end_and_says_so_in_one_sentence(tmp_path):
    nb = _run("06-cart-abandonment.ipynb", tmp_path / "out.ipynb", client_dir=str(SAMPLE_DIR / "atelier-brume"))
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
    assert "ne fournit pas la table « carts »" in html
    assert problems_in_outputs(nb) == []


@pytest.mark.slow
def test_bad_parameters_stop_at_the_validation_cell_with_a_clear_message(tmp_path):
    with pytest.raises(pm.PapermillExecutionError) as err:
        _run("02-conversion-and-basket.ipynb", tmp_path / "out.ipynb", client_dir=str(SAMPLE_DIR / "maison-lune"),
             start="2026-13-01", channel="seo")
    assert "invalid start '2026-13-01'" in str(err.value)
    assert "channel 'seo' is not in this client's sessions" in str(err.value)


REALDATA_SOURCES = ["ga360", "ga4", "online_retail", "rees46", "online_shoppers", "facebook_posts", "facebook_ads"]


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.parametrize("source", REALDATA_SOURCES)
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_runs_through_papermill_on_the_real_data_clients(tmp_path, name, source, realdata_clients):
    nb = _run(name, tmp_path / name, client_dir=str(realdata_clients[source]))
    assert problems_in_outputs(nb) == []


@pytest.mark.slow
@pytest.mark.realdata
def test_the_papermill_command_line_runs_a_notebook_on_a_real_data_client(tmp_path, realdata_clients):
    out = tmp_path / "out.ipynb"
    run = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / "02-conversion-and-basket.ipynb"), str(out),
         "-p", "client_dir", str(realdata_clients["ga360"]), "-p", "language", "en", "-k", "python3",
         "--cwd", str(NOTEBOOKS_DIR), "--no-progress-bar", "--execution-timeout", "60"],
        capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    assert problems_in_outputs(nbformat.read(out, as_version=4)) == []


def test_papermill_help_lists_every_parameter_with_its_comment():
    run = subprocess.run([sys.executable, "-m", "papermill", "--help-notebook", str(NOTEBOOKS_DIR / NOTEBOOKS[0])],
                         capture_output=True, text=True, check=True)
    for name in EXPECTED_PARAMETERS:
        assert re.search(rf"^\s+{name}: .*\S", run.stdout, re.M), name
    assert "the last full calendar month" in run.stdout


def test_test_runs_start_their_kernels_on_ipc_sockets(tmp_path):
    # TCP ports picked by jupyter_client can be taken by a kernel of the other test worker before
    # this kernel binds them ("Address already in use"); IPC sockets in a folder of their own cannot
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from ipykernel.connect import get_connection_info\nprint(get_connection_info(unpack=True)['transport'])")])
    nbformat.write(nb, tmp_path / "transport.ipynb")
    out = run_notebook(tmp_path / "transport.ipynb", tmp_path / "out.ipynb")
    assert out.cells[0].outputs[0]["text"].strip() == "ipc"
