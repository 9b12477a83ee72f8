"""SQL export (issue 21): 1,000,000 rows scored inside DuckDB by the generated statement vs the
Python scorer on the same rows, same run; agreement (max |ΔPD|, grade, reason and limit
mismatches). Two bundles: a 10-feature Taiwan logistic scorecard and the enterprise expert card
on synthetic firm-years.

Target: the SQL path within 2× of ``Scorer.score``'s time.
"""

from __future__ import annotations

import os

import duckdb
import numpy as np

import riskmodels as rm
from benchmarks.timing import best_of
from riskmodels import scoring
from riskmodels.export.sql import to_sql

N = int(os.environ.get("BENCH_SQL_ROWS", 1_000_000))




def _mismatches(a, b) -> int:
    return int(sum(x != y and not (x is None and y is None) for x, y in zip(a, b, strict=True)))


def _compare(label: str, bundle: dict, rows) -> None:
    absent = [r["name"] for r in bundle["inputs"] if r["name"] not in rows.columns]
    scorer = scoring.Scorer(bundle)
    t_py, local = best_of(lambda: scorer.score(rows))
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("frame", rows.assign(row_id=np.arange(len(rows))))
    con.execute("CREATE TABLE t AS SELECT * FROM frame")
    sql = to_sql(bundle, table="t", keep=["row_id"], absent=absent)
    # the query inside the database; fetching the rows into pandas is not timed
    t_sql, _ = best_of(lambda: con.execute(f"CREATE OR REPLACE TABLE scored AS {sql}"))
    out = con.execute("SELECT * FROM scored ORDER BY row_id").fetchdf()
    reason_cols = [c for c in out.columns if c.startswith("reason_")]
    reasons = int((out[reason_cols].to_numpy() != local["reasons"]).any(axis=1).sum())
    limits = "" if local["limit"] is None else (
        f"; max |dlimit| {np.nanmax(np.abs(out['credit_limit'].to_numpy(dtype=float) - local['limit'])):.1e}")
    print(f"{label}: {len(rows):,} rows, SQL {len(sql):,} characters")
    print(f"  Scorer.score (numpy)        {t_py:7.3f} s")
    print(f"  DuckDB, generated SQL       {t_sql:7.3f} s   ratio {t_sql / t_py:.2f} (target <= 2)")
    print(f"  max |dPD| {np.max(np.abs(out['pd'].to_numpy() - local['pd'])):.1e}; grade mismatches "
          f"{_mismatches(out['grade'], local['grade'])}; reason mismatches {reasons}{limits}; "
          f"error rows {int(out['error'].notna().sum())}")


def main() -> None:
    df = rm.load_taiwan()
    features = ["LIMIT_BAL", "AGE", "PAY_0", "PAY_2", "PAY_3", "BILL_AMT1", "PAY_AMT1", "PAY_AMT2",
                "EDUCATION", "MARRIAGE"]
    X, y = df[features].astype(float), df["target"]
    bundle = rm.LogisticScorecard().fit(X, y).to_bundle()
    n_used = len(bundle["model"]["features"])
    _compare(f"logistic scorecard ({n_used} of {len(features)} features kept)", bundle,
             X.sample(N, replace=True, random_state=0).reset_index(drop=True))
    firms = rm.make_portfolio(n_firms=2000, n_years=5, random_state=0).firm_years
    card = rm.ExpertScorecardModel("enterprise_five_aspect").fit(firms, firms["default"])
    _compare("expert card enterprise_five_aspect (16 indicators)", card.to_bundle(),
             firms.sample(N, replace=True, random_state=0).reset_index(drop=True))


if __name__ == "__main__":
    main()
