"""`riskmodels export-scorer`: the single-file route to production (issue 23)."""

import subprocess
import sys

import pytest

from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import BundleError, ConfigError
from riskmodels.export import export_scorer

BUNDLE = scoring.seal({
    "schema_version": 1, "kind": "identity", "name": "pd",
    "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
    "model": {"input": "pd"}, "calibration": [],
    "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.05, 0.5]}})


@pytest.fixture
def bundle_file(tmp_path):
    path = tmp_path / "scorer.json"
    path.write_bytes(scoring.dumps_bundle(BUNDLE))
    return path


def test_writes_scorer_bundle_and_example_that_run_without_the_package(bundle_file, tmp_path):
    service = tmp_path / "service"
    assert main(["export-scorer", str(bundle_file), str(service)]) == 0
    assert (service / "scorer.json").read_bytes() == bundle_file.read_bytes()
    assert (service / "scoring.py").read_text() == open(scoring.__file__).read()
    # -E: PYTHONPATH is ignored. The copy borrows riskmodels' error classes where riskmodels is
    # installed (as here) and imports no heavy dependency; tests/test_install.py runs it in an
    # environment holding numpy alone.
    code = ("import sys; from scoring import load_scorer; "
            "print(load_scorer('scorer.json').score({'pd': 0.2})['grade']); "
            "print(any(m in sys.modules for m in ('pandas', 'scipy', 'sklearn', 'mlflow')))")
    done = subprocess.run([sys.executable, "-E", "-c", code], cwd=service, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["B", "False"]
    done = subprocess.run([sys.executable, "-E", "score_example.py"], cwd=service,
                          capture_output=True, text=True, check=True)
    assert "'grade'" in done.stdout


def test_refuses_to_replace_files_without_overwrite(bundle_file, tmp_path, capsys):
    service = tmp_path / "service"
    export_scorer(bundle_file, service)
    assert main(["export-scorer", str(bundle_file), str(service)]) == 2
    assert "already exist" in capsys.readouterr().err
    assert len(export_scorer(bundle_file, service, overwrite=True)) == 3
    with pytest.raises(ConfigError, match="not a folder"):
        export_scorer(bundle_file, bundle_file)


def test_refuses_a_tampered_bundle(bundle_file, tmp_path):
    bundle_file.write_bytes(bundle_file.read_bytes().replace(b'"pd"', b'"PD"', 1))
    with pytest.raises(BundleError):
        export_scorer(bundle_file, tmp_path / "service")
    assert not (tmp_path / "service").exists()
