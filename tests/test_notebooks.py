"""The notebooks run top to bottom and their ``.ipynb`` files match the reviewed ``.py`` sources.

Each notebook is a jupytext pair: ``notebooks/NN_name.py`` (``py:percent``) is the
source under review, ``notebooks/NN_name.ipynb`` the paired notebook with its
outputs stripped. The execution test reads the ``.py`` (so a stale ``.ipynb``
cannot hide a broken source), runs it in a fresh kernel of this interpreter
with the working directory set to ``notebooks/``, and fails on the first cell
that raises. Re-pair after editing a source with ``make notebooks``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = [
    "01_payment_history",
    "02_expert_scorecards",
    "03_logistic_scorecard",
    "04_kmv",
    "05_crosstab_and_migration",
    "06_calibration_and_comparison",
    "07_deploy_scorer",
    "08_monitoring",
    "09_spark",
    "10_credit_file",
    "11_reject_inference",
    "12_provisions",
]
# a hang guard, not a speed test: a busy 2-core CI machine ran notebook 07 in 161 s
CELL_TIMEOUT_S = 900


def _source(name: str) -> nbformat.NotebookNode:
    return jupytext.read(NOTEBOOK_DIR / f"{name}.py")


def _cells(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source.strip()) for cell in nb.cells]


def _kernel_env(scratch: Path) -> dict[str, str]:
    """The notebook kernel's environment: offline, never pointed at the project's MLflow store,
    and with ``tempfile`` folders (the notebooks' outputs) under ``scratch``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws headless and keeps the figures
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true",
                "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
                "OPENBLAS_NUM_THREADS": "1", "TMPDIR": str(scratch)})
    return env


def test_exactly_the_expected_notebooks_exist_as_pairs():
    sources = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.py"))
    notebooks = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    assert sources == EXPECTED
    assert notebooks == EXPECTED


def test_readme_lists_every_notebook_once():
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED:
        assert readme.count(f"{name}.ipynb") == 1, name


@pytest.mark.parametrize("name", EXPECTED)
def test_source_is_py_percent_paired_with_ipynb(name):
    header = (NOTEBOOK_DIR / f"{name}.py").read_text(encoding="utf-8")
    assert "format_name: percent" in header
    paired = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    assert paired.metadata["jupytext"]["formats"] == "ipynb,py:percent"


@pytest.mark.parametrize("name", EXPECTED)
def test_ipynb_is_in_sync_and_stripped(name):
    paired = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    assert _cells(paired) == _cells(_source(name)), f"run `jupytext --sync notebooks/{name}.py`"
    code = [cell for cell in paired.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_tells_a_story(name):
    cells = _source(name).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    assert cells[-1].cell_type == "markdown" and "next" in cells[-1].source.lower()
    code = "\n".join(cell.source for cell in cells if cell.cell_type == "code")
    assert "import riskmodels as rm" in code
    assert "sqlite:///mlflow.db" not in code, "a notebook must not log to the project's MLflow store"


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_executes_top_to_bottom(name, tmp_path):
    nb = _source(name)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=NATIVE_KERNEL_NAME,
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    before = set(p.name for p in NOTEBOOK_DIR.iterdir())
    client.execute(env=_kernel_env(tmp_path))
    errors = [out for cell in nb.cells if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert not errors
    # no cell shows a warning block (e.g. tqdm's "IProgress not found" without ipywidgets)
    warned = [out.text for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if out.output_type == "stream" and out.name == "stderr" and "Warning" in out.text]
    assert not warned, warned
    assert set(p.name for p in NOTEBOOK_DIR.iterdir()) == before, "the notebook wrote into notebooks/"
    rich = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
            if out.output_type in ("display_data", "execute_result")]
    assert any("text/html" in out.data for out in rich), "no rich HTML table shown"
    assert any("image/png" in out.data for out in rich), "no plot shown"
