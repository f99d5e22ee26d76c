"""kpi_helpers.notebook_tools: committed notebooks executed in place keep their Explore widgets'
state (as JupyterLab saves it) and a static preview, so that they read well before running and on a
git host."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from kpi_helpers.notebook_tools import WIDGET_STATE, WIDGET_VIEW, committed_notebooks, execute_in_place


def _explore_outputs(nb):
    return [out for cell in nb.cells if cell.cell_type == "code" and "nb.explore(" in cell.source
            for out in cell.outputs if out.get("output_type") in ("display_data", "execute_result")]


@pytest.mark.slow
def test_a_committed_notebook_executed_in_place_keeps_its_explore_widgets_state_and_a_static_preview(tmp_path):
    source = next(p for p in committed_notebooks() if p.stem.startswith("02-"))
    path = tmp_path / source.name
    shutil.copy(source, path)
    execute_in_place(path)
    nb = nbformat.read(path, as_version=4)
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    [out] = _explore_outputs(nb)
    view = out["data"][WIDGET_VIEW]
    box = state[view["model_id"]]
    assert box["model_name"] == "VBoxModel"
    # every model the box refers to is kept, and nothing else
    refs = set(json.dumps(state).split("IPY_MODEL_")[1:])
    assert {r[:32] for r in refs} <= set(state)
    kinds = sorted(m["model_name"] for m in state.values() if m["model_name"].endswith(("PickerModel", "DropdownModel")))
    assert kinds == ["DatePickerModel", "DatePickerModel", "DropdownModel", "DropdownModel"]
    html = next(m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel")
    assert 'src="data:image/png;base64,' in html
    # where widgets cannot run: a sentence instead of VBox(children=(HBox(..., and a still preview
    assert "VBox(" not in out["data"]["text/plain"]
    assert "Aperçu figé" in out["data"]["text/html"] and 'src="data:image/png;base64,' in out["data"]["text/html"]
    # ids renumbered by rank: a re-run without changes writes the same file
    again = nbformat.read(path, as_version=4)
    from kpi_helpers.notebook_tools import clean_metadata

    assert nbformat.writes(clean_metadata(again)).strip() == path.read_text().strip()


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.stem)
def test_every_committed_notebooks_explore_cell_reads_well_before_running(path):
    nb = nbformat.read(path, as_version=4)
    outputs = _explore_outputs(nb)
    assert outputs and all("Aperçu figé" in o["data"].get("text/html", "") or "A still preview" in o["data"].get("text/html", "")
                           for o in outputs)
    state = nb.metadata["widgets"][WIDGET_STATE]["state"]
    assert all(o["data"][WIDGET_VIEW]["model_id"] in state for o in outputs)
