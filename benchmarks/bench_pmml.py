"""PMML export (issue 37): how long the export of the Taiwan card takes, and how an engine's
scoring of 100,000 rows compares with ``Scorer.score`` on the same rows (JPMML-Evaluator's
``evaluateAll`` on a pandas frame, the JVM already started). No target: the point of the PMML
path is exactness, so the agreement (max |ΔPD|, grade and reason mismatches) is printed too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

import riskmodels as rm
from benchmarks.timing import best_of
from riskmodels import scoring
from riskmodels.export.pmml import to_pmml

N = int(os.environ.get("BENCH_PMML_ROWS", 100_000))




def main() -> None:
    from jpmml_evaluator import make_evaluator

    df = rm.load_taiwan()
    features = [c for c in df.columns if c not in ("ID", "target")]
    X, y = df[features].astype(float), df["target"]
    bundle = rm.LogisticScorecard(special_codes=[-2.0]).fit(X, y).to_bundle()
    t_export, text = best_of(lambda: to_pmml(bundle))
    print(f"Taiwan card ({len(bundle['model']['features'])} characteristics): to_pmml best of 5 "
          f"{t_export * 1000:.1f} ms, {len(text) / 1024:.0f} KiB")
    rows = X.sample(N, replace=True, random_state=0).reset_index(drop=True)
    scorer = scoring.Scorer(bundle)
    t_py, local = best_of(lambda: scorer.score(rows))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "taiwan.pmml"
        path.write_text(text)
        evaluator = make_evaluator(str(path)).verify()
        t_jvm, out = best_of(lambda: evaluator.evaluateAll(rows), repeats=2)
    max_pd = float(np.max(np.abs(out["pd"].to_numpy(dtype=float) - local["pd"])))
    grades = int((out["grade"].to_numpy(dtype=object) != local["grade"]).sum())
    reasons = int((out[["reason_1", "reason_2", "reason_3"]].to_numpy(dtype=object) != local["reasons"])
                  .any(axis=1).sum())
    print(f"{N:,} rows: Scorer.score {t_py:.3f} s; JPMML-Evaluator evaluateAll {t_jvm:.3f} s "
          f"({t_jvm / t_py:.1f}x); max |dPD| {max_pd:.1e}, grade mismatches {grades}, "
          f"reason mismatches {reasons}")


if __name__ == "__main__":
    main()
