"""The package installed from its wheel works outside the checkout (issue 23).

Builds the wheel and the sdist with uv, installs the wheel into a fresh virtual
environment in a temporary folder (the lock's versions, from uv's cache), and
there — never in the repository — runs the commands a new user runs: ``riskmodels
data``, ``experiments``, ``compare synthetic_enterprise`` on small parameters, the
README's Python example, batch scoring, and the single-file scorer in an
environment that has numpy and nothing else.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("install")]


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        pytest.fail("uv is not installed in the test environment (the Makefile installs it)")
    return found


def _run(args, cwd, env=None, timeout=900):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env(venv: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "RISKMODELS_DATA_DIR", "VIRTUAL_ENV", "MLFLOW_TRACKING_URI")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The wheel and the sdist, built from the checkout."""
    dist = tmp_path_factory.mktemp("dist")
    _run([_uv(), "build", "--wheel", "--sdist", "--out-dir", str(dist), str(ROOT)], cwd=ROOT)
    wheel = next(dist.glob("riskmodels-*.whl"))
    sdist = next(dist.glob("riskmodels-*.tar.gz"))
    return wheel, sdist


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """A fresh venv outside the repository with only the wheel (and the lock's versions)."""
    wheel, _ = built
    where = tmp_path_factory.mktemp("outside")
    assert ROOT not in where.parents
    requirements = where / "requirements.txt"
    _run([_uv(), "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-dev",
          "--no-header", "-o", str(requirements)], cwd=ROOT)
    venv = where / "venv"
    _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=where)
    _run([_uv(), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
          "-r", str(requirements), str(wheel)], cwd=where)
    work = where / "work"
    work.mkdir()
    return venv, work


def test_wheel_carries_the_data_and_the_experiments(built):
    wheel, _ = built
    names = set(zipfile.ZipFile(wheel).namelist())
    sums = [n for n in names if n.endswith("bundled/SHA256SUMS")]
    assert sums == ["riskmodels/data/bundled/SHA256SUMS"]
    listed = zipfile.ZipFile(wheel).read(sums[0]).decode().split()[1::2]
    assert listed and all(f"riskmodels/data/bundled/{name}" in names for name in listed)
    assert {f"riskmodels/experiments/{n}.yaml" for n in ("synthetic_enterprise", "taiwan", "german")} <= names
    assert "riskmodels/scorecards/specs/enterprise_five_aspect.yaml" in names
    assert not any(n.startswith(("tests/", "notebooks/", "benchmarks/", "data/", "experiments/"))
                   for n in names)


def test_sdist_holds_what_the_tests_need(built):
    _, sdist = built
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    needed = [p for p in tracked if p.startswith(("tests/", "riskmodels/", "notebooks/", "data/",
                                                  "experiments/", "docs/"))
              or p in ("pyproject.toml", "uv.lock", "conftest.py", "Makefile", "README.md")]
    missing = [p for p in needed if p not in names and (ROOT / p).exists()]
    assert not missing, f"the sdist lacks {missing[:10]}"


def test_commands_run_outside_the_checkout(installed, tmp_path):
    venv, work = installed
    env = _clean_env(venv)
    exe = venv / "bin" / "riskmodels"
    out = _run([str(exe), "data"], cwd=work, env=env)
    assert "checksums verified" in out and str(venv) in out  # the package's own copy
    assert re.search(r"taiwan\s+30000\s+25\s+22\.12%", out)
    out = _run([str(exe), "experiments"], cwd=work, env=env)
    assert {"synthetic_enterprise", "taiwan", "german"} <= set(re.findall(r"^(\w+)\s+data:", out, re.M))
    store = tmp_path / "mlflow.db"
    out = _run([str(exe), "compare", "synthetic_enterprise", "--quiet",
                "--set", "data.params={n_firms: 300, n_years: 4}", "--set", "split.test_from=2022",
                "--set", f"tracking.uri=sqlite:///{store}", "--set", "tracking.register_models=false",
                "--output-dir", str(tmp_path / "reports")], cwd=work, env=env)
    assert "logistic" in out and (tmp_path / "reports" / "synthetic_enterprise.html").is_file()
    assert store.is_file() and not (work / "reports").exists()


def test_readme_example_and_scorer_round_trip(installed, tmp_path):
    """The README's ten-line example verbatim, then the same bundle via the CLI and via the
    single-file scorer in a numpy-only environment."""
    venv, work = installed
    env = _clean_env(venv)
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'mlflow.db'}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## In ten lines\n\n```python\n(.*?)```", readme, re.S).group(1)
    script = block + (
        "\nimport json\n"
        "proba = logit.predict_proba(cmp.test.head(3))[:, 1]\n"
        "cmp.test.head(3).to_csv('head.csv', index=False)\n"
        "cmp.test.head(3).to_json('head.json', orient='records')\n"
        "json.dump({'pd': [float(p) for p in proba],\n"
        "           'scored': [float(p) for p in scorer.score(cmp.test.head(3))['pd']]},\n"
        "          open('expected.json', 'w'))\n")
    _run([str(venv / "bin" / "python"), "-c", script], cwd=work, env=env)
    expected = json.loads((work / "expected.json").read_text())
    assert expected["scored"] == expected["pd"]  # bundle PDs equal the in-memory model's

    exe = str(venv / "bin" / "riskmodels")
    _run([exe, "score", "scorer.json", "head.csv", "-o", str(tmp_path / "scored.csv"), "--no-progress"],
         cwd=work, env=env)
    lines = (tmp_path / "scored.csv").read_text().splitlines()
    assert len(lines) == 4
    _run([exe, "export-scorer", "scorer.json", str(tmp_path / "service")], cwd=work, env=env)
    assert sorted(p.name for p in (tmp_path / "service").iterdir()) == \
        ["score_example.py", "scorer.json", "scoring.py"]

    bare = tmp_path / "numpy-only"
    _run([_uv(), "venv", "--quiet", "--python", sys.executable, str(bare)], cwd=tmp_path)
    numpy_pin = next(line for line in (work.parent / "requirements.txt").read_text().splitlines()
                     if line.startswith("numpy=="))
    _run([_uv(), "pip", "install", "--quiet", "--python", str(bare / "bin" / "python"), numpy_pin],
         cwd=tmp_path)
    check = ("import json, sys\nfrom scoring import load_scorer\n"
             "s = load_scorer('scorer.json')\n"
             "rows = json.load(open(sys.argv[1]))\n"
             "print(json.dumps([float(s.score(r)['pd']) for r in rows]))\n"
             "assert not any(m.split('.')[0] in ('pandas', 'scipy', 'sklearn', 'riskmodels')\n"
             "               for m in sys.modules)\n")
    out = _run([str(bare / "bin" / "python"), "-c", check, str(work / "head.json")],
               cwd=tmp_path / "service", env=_clean_env(bare))
    assert json.loads(out) == pytest.approx(expected["pd"], rel=0, abs=1e-12)
    out = _run([str(bare / "bin" / "python"), "score_example.py"], cwd=tmp_path / "service",
               env=_clean_env(bare))
    assert "'pd'" in out
