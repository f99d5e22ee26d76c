"""pyproject.toml and environment.yml install the same set; the Makefile and CI use them."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name, where they differ
CONDA_NAME = {"ibis-framework[duckdb]": "ibis-duckdb"}
# what conda installs that pip cannot: Java for Spark (pip users get Debian's, see the Makefile)
CONDA_ONLY = {"openjdk"}


def _split(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)\s*(.*)$", requirement)
    assert m, requirement
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    reqs = project["dependencies"] + extras["spark"] + extras["test"]
    out = {}
    for r in reqs:
        name, spec = _split(r)
        out[CONDA_NAME.get(name, name)] = spec
    return out


def _environment() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _split(dep)
            if name not in ("python", "pip", *CONDA_ONLY):
                out[name] = spec
    return out


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert set(_environment()) == set(_pyproject())


def test_environment_yml_uses_the_same_version_bounds_as_pyproject():
    env, py = _environment(), _pyproject()
    assert {k: env[k] for k in py} == py


def test_environment_yml_installs_the_kit_itself_from_conda_forge():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python == "python>=3.11"


def test_the_kpi_console_script_runs_the_same_main_as_python_dash_m():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["kpi"] == "kpi_helpers.__main__:main"
    out = subprocess.run([sys.executable, "-m", "kpi_helpers", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "validate" in out.stdout


def test_make_help_lists_the_readme_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for target in ("report", "test", "notebooks", "clean", "help"):
        assert re.search(rf"^\s+{target}\s", out, re.M), target


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.S)
    assert blocks, "README has no command block"
    first = [line.split("#")[0].strip() for line in blocks[0].splitlines() if line.split("#")[0].strip()]
    assert first[:2] == ["make report", "make test"]
