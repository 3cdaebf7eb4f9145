"""The exploration notebooks run top to bottom and are stored without outputs.

Each notebook under ``notebooks/`` is executed with nbclient in a fresh
kernel (``python3``, which jupyter_client starts with this interpreter, so the
kernel sees the same installed ``stress``), in a temporary working directory,
with ``STRESS_NOTEBOOK_PATHS`` set to a small path count and ``TMPDIR`` pointing
there too (notebooks 02 and 03 write files to a temporary directory). Any cell that raises
fails the test and the message names the notebook and the cell.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbclient  # the `test` extra installs nbclient, nbformat and ipykernel
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TEST_PATHS = 4  # Monte Carlo paths per run under test (one per chunk): seconds, not minutes
CELL_TIMEOUT_S = 300


def _ids(paths):
    return [p.stem for p in paths]


def test_notebooks_exist():
    names = {p.name for p in NOTEBOOKS}
    assert {"01_quickstart.ipynb", "02_scenario_exploration.ipynb", "03_your_own_deal.ipynb"} <= names


@pytest.mark.timeout(CELL_TIMEOUT_S * 3)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_without_error(path, tmp_path, monkeypatch):
    monkeypatch.setenv("STRESS_NOTEBOOK_PATHS", str(TEST_PATHS))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the notebooks' tempfile.mkdtemp() files land here
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute(cwd=str(tmp_path))
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell raised:\n{exc}", pytrace=False)
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors, f"{path.name}: error outputs: {errors}"


def test_notebook_kernel_is_this_interpreter(tmp_path, monkeypatch):
    """``kernel_name="python3"`` starts this Python (the venv's), not another one on PATH, and the
    kernel sees the path-count variable the test sets."""
    monkeypatch.setenv("STRESS_NOTEBOOK_PATHS", str(TEST_PATHS))
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(
        "import os, sys, stress\n"
        "print(sys.executable); print(stress.__file__); print(os.environ['STRESS_NOTEBOOK_PATHS'])"))
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=120).execute(cwd=str(tmp_path))
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    executable, package, paths = text.split()[:3]
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    import stress

    assert Path(package).resolve() == Path(stress.__file__).resolve()
    assert paths == str(TEST_PATHS)


def _tracked_notebooks() -> list[Path]:
    try:
        out = subprocess.run(["git", "ls-files", "--", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return NOTEBOOKS
    tracked = [ROOT / line for line in out.splitlines() if line.strip()]
    # notebooks not committed yet are checked too: they are what will be committed
    return sorted(set(tracked) | set(NOTEBOOKS))


@pytest.mark.parametrize("path", _tracked_notebooks(), ids=_ids(_tracked_notebooks()))
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts; clear them "
                       "(jupyter nbconvert --clear-output --inplace) before committing")


def test_notebooks_use_the_path_count_variable():
    """Every notebook that runs a Monte Carlo reads STRESS_NOTEBOOK_PATHS, so the test stays fast."""
    for path in NOTEBOOKS:
        text = path.read_text()
        if "run_monte_carlo(" in text:
            assert "STRESS_NOTEBOOK_PATHS" in text, path.name
            assert "n_paths=N_PATHS" in text, path.name

