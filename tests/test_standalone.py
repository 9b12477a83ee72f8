"""`riskmodels export-scorer`: the single-file route to production (issue 23), and the build
of that file from the modules of riskmodels/scoring/ (issue 34)."""

import ast
import inspect
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.comparison.config import load_config
from riskmodels.comparison.dataset import load_dataset, split_frame
from riskmodels.comparison.runner import _prepare_models
from riskmodels.errors import BundleError, ConfigError
from riskmodels.export import export_scorer
from riskmodels.scoring import build

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


# --------------------------------------------------------------------------- the generated file
# riskmodels/standalone/scoring.py is built from the modules of riskmodels/scoring/
# (riskmodels.scoring.build); ``import riskmodels.scoring`` loads it and export-scorer copies it.
GUARD = textwrap.dedent("""
    import json, sys
    sys.modules["riskmodels"] = None  # as if riskmodels were not installed
    before = set(sys.modules)
    sys.path.insert(0, ".")
    import scoring
    new = {m.split(".")[0] for m in set(sys.modules) - before}
    foreign = sorted(m for m in new if m not in sys.stdlib_module_names and m not in ("numpy", "scoring"))
""")


def test_the_generated_file_is_a_fresh_build_of_the_package():
    assert Path(scoring.__file__) == build.TARGET
    assert build.TARGET.read_text(encoding="utf-8") == build.build_source(), \
        "riskmodels/standalone/scoring.py is stale: run python -m riskmodels.scoring.build"


def test_the_build_refuses_a_module_that_imports_a_heavy_library(tmp_path):
    package = tmp_path / "scoring"
    shutil.copytree(build.PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    inputs = package / "inputs.py"
    inputs.write_text(inputs.read_text(encoding="utf-8").replace(
        "import numpy as np\n", "import numpy as np\nimport pandas as pd\n", 1), encoding="utf-8")
    with pytest.raises(build.BuildError, match="inputs.py line .*imports pandas"):
        build.build_source(package)
    inputs.write_text(inputs.read_text(encoding="utf-8").replace(
        "import pandas as pd\n", "from .scorer import Scorer\n", 1), encoding="utf-8")
    with pytest.raises(build.BuildError, match="listed before it"):
        build.build_source(package)


def test_the_generated_file_imports_numpy_and_the_standard_library_only(tmp_path):
    tree = ast.parse(build.TARGET.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"line {node.lineno}: a relative import is left"
            imported.add(node.module)
    others = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names}
    assert others == {"numpy", "riskmodels.errors"}  # the latter in a try block, with a fallback
    shutil.copy(build.TARGET, tmp_path / "scoring.py")
    done = subprocess.run([sys.executable, "-I", "-c", GUARD + "print(foreign)"], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def every_kind():
    """A bundle of each kind, fitted as the shipped synthetic_enterprise experiment configures it,
    and test records (with missing values and categorical answers)."""
    cfg = load_config("synthetic_enterprise")
    cfg.data.params.update({"n_firms": 200, "n_years": 4})
    frame = load_dataset(cfg.data, random_state=1)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    out = {}
    for m, features, est in _prepare_models(cfg, frame):
        bundle = est.fit(train[features], train["target"]).to_bundle()
        records = test[[r["name"] for r in bundle["inputs"] if r["name"] in test]].head(60)
        out[m.type] = (bundle, json.loads(records.to_json(orient="records")))
    assert sorted(out) == ["crosstab", "expert", "kmv", "logistic"]
    return out


def _bits(result: dict) -> dict:
    """A score result as JSON-able text, floats by their exact hex form."""
    def plain(v):
        if isinstance(v, float):
            return v.hex()
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v
    return {k: plain(v.tolist() if hasattr(v, "tolist") else v) for k, v in sorted(result.items())}


def test_the_generated_file_scores_every_kind_as_the_package_modules_bit_for_bit(every_kind, tmp_path):
    # the package's modules themselves (not the generated file that riskmodels.scoring is)
    from riskmodels.scoring.scorer import Scorer as ModuleScorer

    assert ModuleScorer is not scoring.Scorer
    expected = {}
    for kind, (bundle, records) in every_kind.items():
        s = ModuleScorer(bundle)
        expected[kind] = {"batch": _bits(s.score(records)), "one": _bits(s.score(records[0])),
                          "report": _bits(s.score(records[:5] + [{}], on_error="report"))}
    (tmp_path / "bundles.json").write_text(json.dumps({k: v[0] for k, v in every_kind.items()}))
    (tmp_path / "records.json").write_text(json.dumps({k: v[1] for k, v in every_kind.items()}))
    shutil.copy(build.TARGET, tmp_path / "scoring.py")
    code = GUARD + textwrap.dedent(f"""
        assert not foreign, foreign
        exec({textwrap.dedent(inspect.getsource(_bits))!r})
        bundles, records = json.load(open("bundles.json")), json.load(open("records.json"))
        out = {{}}
        for kind, bundle in bundles.items():
            s = scoring.Scorer(bundle)
            rs = records[kind]
            out[kind] = {{"batch": _bits(s.score(rs)), "one": _bits(s.score(rs[0])),
                          "report": _bits(s.score(rs[:5] + [{{}}], on_error="report"))}}
        print(json.dumps(out))
    """)
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    got = json.loads(done.stdout)
    for kind in expected:
        assert got[kind] == json.loads(json.dumps(expected[kind])), kind
