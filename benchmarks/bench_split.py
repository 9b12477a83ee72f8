"""The split scorer (issue 34) against the single file it was split from.

``riskmodels/standalone/scoring.py`` is generated from the package ``riskmodels/scoring/``;
before the split the scorer was one hand-written file, ``riskmodels/scoring.py`` of commit
``2bc445b`` (numpy only). This benchmark reads that file from the git history into a
temporary folder, imports it, and scores the same 1,000,000 synthetic-enterprise records
with the same bundles through both (``Scorer.score``, best of ``REPEAT``, old and new in
turns, wall and CPU time; then one-record p50 over ``CALLS`` calls of a dict, in turns):

- as exported today: the bundles carry the development sample's ranges, which only the
  new scorer reads (it flags the records outside them: more work, a new output);
- the same bundles with ``outside_training: "allow"`` on every input: both do the same work.

The outputs the old scorer knows (pd, score, grade, reasons, limit) are checked equal.
Issue 34's target: batch throughput and one-record p50 no worse than before the split.
Needs the git history (a clone, not an sdist); writes only into a temporary folder.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from benchmarks.bench_scoring import N
from benchmarks.timing import best_wall_and_cpu_in_turns
from benchmarks.workloads import fitted_models, portfolio_split, sampled_records

BEFORE_SPLIT = "2bc445b"
REPEAT = 5
CALLS = 2000


def _old_scoring(folder: Path):
    """The pre-split ``riskmodels/scoring.py`` imported as a module of its own."""
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{BEFORE_SPLIT}:riskmodels/scoring.py"], cwd=root,
                            capture_output=True, check=True).stdout
    path = folder / "scoring_before_split.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("scoring_before_split", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _without_ranges(scoring, bundle: dict) -> dict:
    content = {k: v for k, v in bundle.items() if k not in ("sha256", "signature")}
    content["inputs"] = [{**r, "outside_training": "allow"} for r in content["inputs"]]
    return scoring.seal(content)


def _same(new: dict, old: dict) -> bool:
    for key in ("pd", "score", "limit"):
        if (new[key] is None) != (old[key] is None):
            return False
        if new[key] is not None and not np.array_equal(new[key], old[key], equal_nan=True):
            return False
    return new["grade"].tolist() == old["grade"].tolist() and (
        (new["reasons"] is None and old["reasons"] is None) or new["reasons"].tolist() == old["reasons"].tolist())


def _p50_in_turns(fns, calls: int = CALLS) -> list[float]:
    for fn in fns:
        for _ in range(50):
            fn()
    times = np.empty((len(fns), calls))
    for i in range(calls):
        for j, fn in enumerate(fns):
            start = time.perf_counter_ns()
            fn()
            times[j, i] = time.perf_counter_ns() - start
    return [float(np.percentile(t, 50)) / 1e3 for t in times]


def main() -> None:
    from riskmodels import scoring

    warnings.filterwarnings("ignore")
    cfg, train, test = portfolio_split()
    models = fitted_models(cfg, train)
    records = sampled_records(test, list(test.columns), N)
    one = records.iloc[0].to_dict()
    print(f"machine shared with other jobs (load average {os.getloadavg()[0]:.1f}): compare the "
          f"ratios, measured in the same run; {N:,} records, best of {REPEAT}, old and new in turns")
    with tempfile.TemporaryDirectory() as folder:
        old = _old_scoring(Path(folder))
        for kind, model in models.items():
            exported = model.to_bundle()
            for label, bundle in (("as exported", exported), ("no ranges", _without_ranges(scoring, exported))):
                new_scorer, old_scorer = scoring.Scorer(bundle), old.Scorer(bundle)
                same = _same(new_scorer.score(records), old_scorer.score(records))
                (t_new, t_old), (c_new, c_old) = best_wall_and_cpu_in_turns(
                    lambda s=new_scorer: s.score(records), lambda s=old_scorer: s.score(records), repeats=REPEAT)
                p_new, p_old = _p50_in_turns([lambda s=new_scorer: s.score(one),
                                              lambda s=old_scorer: s.score(one)])
                print(f"[{kind:8s} {label:11s}] batch new {N / t_new:11,.0f} rec/s  before the split "
                      f"{N / t_old:11,.0f} rec/s  time new/old {t_new / t_old:5.2f} (CPU {c_new / c_old:5.2f})   one record p50 "
                      f"{p_new:6.1f} / {p_old:6.1f} µs  new/old {p_new / p_old:5.2f}   same outputs {same}",
                      flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.exit(main())
