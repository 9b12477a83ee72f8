"""``riskmodels compare synthetic_enterprise`` end to end, as a user runs it (issue 35: <= 5 s warm,
<= 8 s where no byte code can be written), against its floor: the four fits alone.

Each run is the CLI in a subprocess, in a temporary folder holding its report and its MLflow
store, on a copy of the package in a temporary folder (nothing is written into the
repository, not even byte code):

- first: a new ``mlflow.db`` (MLflow creates its tables; the copy's byte code is written);
- warm: the same store and byte code again (best and all of ``WARM`` runs);
- no byte code: ``PYTHONDONTWRITEBYTECODE=1`` on a copy without ``__pycache__`` (a container
  or CI checkout: the environment's byte code was compiled at install, the project's own
  modules are compiled on every call);
- ``riskmodels --help`` (warm).

The floor is the four models' ``fit`` on the same split in this process (best of 3). The
load average is printed with each figure: the machine is shared. Each run's CPU time (the
command's and its tracking worker's, user + system) moves less with the load than its wall
time; on a quiet 2-core machine the wall time is below it when the two processes overlap.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "riskmodels.cli"]
WARM = 3


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(args: list[str], folder: Path, env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and the processes it waited for)."""
    start, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(CLI + args, cwd=folder, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, _cpu() - cpu


def _times(runs: list) -> str:
    return (f"best {min(w for w, _ in runs):.2f} s, all {', '.join(f'{w:.2f}' for w, _ in runs)} s; "
            f"CPU {', '.join(f'{c:.2f}' for _, c in runs)} s")


def _env(store: Path, package: Path, byte_code: bool) -> dict:
    """The run's environment: its MLflow store, the package copy first on the path."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "MLFLOW_DISABLE_TELEMETRY": "true",
           "MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}", "PYTHONPATH": str(package)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if not byte_code:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _copy_package(folder: Path) -> Path:
    """The package copied to ``folder`` without byte code, its data and configs linked beside it."""
    shutil.copytree(ROOT / "riskmodels", folder / "riskmodels", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("data", "experiments"):
        (folder / name).symlink_to(ROOT / name)
    return folder


def floor() -> float:
    """Best of 3: the four models of the config fitted on its training sample, nothing else."""
    from riskmodels.comparison.config import load_config
    from riskmodels.comparison.dataset import load_frames, split_frame
    from riskmodels.comparison.runner import _prepare_models

    cfg = load_config("synthetic_enterprise")
    frame, _ = load_frames(cfg.data, random_state=cfg.random_state)
    train, _ = split_frame(frame, cfg.split)

    def fit_all():
        for _, features, estimator in _prepare_models(cfg, frame):
            estimator.fit(train[features], train["target"])

    return best_of(fit_all, repeats=3)[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = tmp / "store"
        store.mkdir()
        compiled, bare = (_copy_package(tmp / name) for name in ("compiled", "bare"))
        args = ["compare", "synthetic_enterprise", "--quiet"]
        warm_env, bare_env = _env(store, compiled, True), _env(store, bare, False)
        print(f"first run (new mlflow.db): {_times([_run(args, store, warm_env)])} (load {_load()})")
        print(f"riskmodels --help: {_times([_run(['--help'], store, warm_env)])} (load {_load()})")
        warm = [_run(args, store, warm_env) for _ in range(WARM)]
        print(f"warm, {WARM} runs: {_times(warm)} (target 5 s; load {_load()})")
        cold = [_run(args, store, bare_env) for _ in range(2)]
        print(f"no byte code, 2 runs: {_times(cold)} (target 8 s; load {_load()})")
    fits = floor()
    print(f"floor, the four fits alone (best of 3): {fits:.2f} s (load {_load()}); "
          f"warm / floor {min(w for w, _ in warm) / fits:.1f}x")


if __name__ == "__main__":
    main()
