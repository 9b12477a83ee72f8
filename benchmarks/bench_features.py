"""Ledger -> payment features on 1,000,000 invoices: riskmodels vs DuckDB and pandas groupby/apply.

Two peers, both run in this process on the same ledger, their features checked to agree:

- DuckDB (the engine's default threads): one SQL query with window functions computing
  the same 20 features (settlement day from a running sum of payments, DPD maxima per
  window, on-time share, days late, trend, volumes, outstanding and the ageing shares);
  ours and the query timed in turns, best of ``REPEAT``. Target (issue 35): <= 0.6x;
- what an analyst writes first: settle each invoice from its payments with a groupby,
  then one ``groupby("customer_id").apply`` computing 7 common features customer by
  customer (timed once: it takes half a minute).

Run: ``OPENBLAS_NUM_THREADS=1 python -m benchmarks features``.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from benchmarks.timing import best_in_turns
from riskmodels.data.features import payment_features
from riskmodels.data.ledger import Ledger

N_INVOICES = 1_000_000
N_CUSTOMERS = 20_000
AS_OF = pd.Timestamp("2024-12-31")
REPEAT = 5
SQL_FEATURES = ["dpd_current", "dpd_max_3m", "dpd_max_6m", "dpd_max_12m", "dpd_max_24m", "on_time_share",
                "avg_days_late", "weighted_days_late", "late_trend", "n_invoices", "volume_share",
                "outstanding", "overdue_amount", "age_0_30", "age_31_60", "age_61_90", "age_91_180",
                "age_181_365", "age_366_under_3y", "age_3y_or_more"]
COMMON = ["dpd_current", "dpd_max_12m", "on_time_share", "avg_days_late", "weighted_days_late",
          "n_invoices", "outstanding"]


def make_ledger(n_invoices: int = N_INVOICES, n_customers: int = N_CUSTOMERS, random_state: int = 0):
    """A random ledger: three years of invoices, 20 % paid in two parts, 5 % never paid."""
    rng = np.random.default_rng(random_state)
    start = np.datetime64("2022-01-01", "D").astype(np.int64)
    cust = rng.integers(0, n_customers, n_invoices)
    issue = start + rng.integers(0, 3 * 365 + 60, n_invoices)
    due = issue + rng.choice([30, 45, 60], n_invoices)
    habit = rng.gamma(1.5, 6.0, n_customers)
    pay = due + np.round(rng.exponential(habit[cust]) - 5).astype(np.int64)
    pay = np.maximum(pay, issue)
    amount = np.round(rng.lognormal(7, 1, n_invoices), 2)
    never = rng.random(n_invoices) < 0.05
    split = (rng.random(n_invoices) < 0.2) & ~never
    first_amount = np.round(amount * 0.5, 2)
    ids = np.array([f"I{i:07d}" for i in range(n_invoices)], dtype=object)
    customers = np.array([f"C{i:05d}" for i in range(n_customers)], dtype=object)
    invoices = pd.DataFrame({"customer_id": customers[cust], "invoice_id": ids,
                             "issue_date": issue.astype("datetime64[D]").astype("datetime64[ns]"),
                             "due_date": due.astype("datetime64[D]").astype("datetime64[ns]"), "amount": amount})
    rows = np.concatenate([np.flatnonzero(split), np.flatnonzero(~never)])
    days = np.concatenate([issue[split] + (pay[split] - issue[split]) // 2, pay[~never]])
    paid = np.concatenate([first_amount[split], np.where(split, amount - first_amount, amount)[~never]])
    payments = pd.DataFrame({"invoice_id": ids[rows],
                             "payment_date": days.astype("datetime64[D]").astype("datetime64[ns]"),
                             "amount": paid})
    return invoices, payments


def naive_features(invoices: pd.DataFrame, payments: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    """The straightforward pandas version of the common features (the peer)."""
    known_pay = payments[payments["payment_date"] <= t]
    per_invoice = known_pay.groupby("invoice_id").agg(paid=("amount", "sum"), last=("payment_date", "max"))
    inv = invoices[invoices["issue_date"] <= t].merge(per_invoice, left_on="invoice_id", right_index=True,
                                                      how="left")
    inv["paid"] = inv["paid"].fillna(0.0)
    start = t - pd.DateOffset(months=12)

    def one_customer(g: pd.DataFrame) -> pd.Series:
        settled = g["paid"] >= g["amount"] - 0.01
        end = g["last"].where(settled, t)
        late = (end - g["due_date"]).dt.days.clip(lower=0)
        open_ = ~settled
        due_in = (g["due_date"] <= t) & (g["due_date"] > start)
        active = end > start
        return pd.Series({
            "dpd_current": float(late[open_].max()) if open_.any() else 0.0,
            "dpd_max_12m": float(late[active].max()) if active.any() else 0.0,
            "on_time_share": (settled & (g["last"] <= g["due_date"]))[due_in].mean() if due_in.any() else np.nan,
            "avg_days_late": late[due_in].mean() if due_in.any() else np.nan,
            "weighted_days_late": np.average(late[due_in], weights=g["amount"][due_in]) if due_in.any() else np.nan,
            "n_invoices": float((g["issue_date"] > start).sum()),
            "outstanding": float((g["amount"] - g["paid"])[open_].sum()),
        })

    return inv.groupby("customer_id")[list(inv.columns)].apply(one_customer)


def duckdb_query(t: pd.Timestamp, tolerance: float = 0.01) -> str:
    """The 20 features of :data:`SQL_FEATURES` at ``t`` over tables ``inv`` and ``pay``, in SQL
    (default :class:`~riskmodels.data.features.FeatureConfig`: DPD windows 3/6/12/24 months,
    12-month lookback, 6-month trend, ageing from the issue date, 3 years and more apart)."""
    day = f"DATE '{t.date()}'"
    before = {k: f"DATE '{(t - pd.DateOffset(months=k)).date()}'" for k in (3, 6, 12, 24)}
    windows = ",\n".join(f"coalesce(max(peak) FILTER (WHERE coalesce(settle > {before[k]}, true)), 0) AS dpd_max_{k}m"
                         for k in (3, 6, 12, 24))
    return f"""
    WITH running AS (
        SELECT invoice_id, payment_date,
               sum(amount) OVER (PARTITION BY invoice_id ORDER BY payment_date
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS paid
        FROM pay),
    settled AS (
        SELECT r.invoice_id, min(r.payment_date) AS day
        FROM running r JOIN inv i USING (invoice_id)
        WHERE r.paid >= i.amount - {tolerance} GROUP BY r.invoice_id),
    paid_by AS (
        SELECT invoice_id, sum(amount) AS paid FROM pay WHERE payment_date <= {day} GROUP BY invoice_id),
    known AS (
        SELECT i.customer_id, i.issue_date, i.due_date, i.amount,
               CASE WHEN i.amount <= {tolerance} THEN least(i.issue_date, coalesce(s.day, i.issue_date))
                    ELSE s.day END AS settle,
               coalesce(p.paid, 0) AS paid
        FROM inv i LEFT JOIN settled s USING (invoice_id) LEFT JOIN paid_by p USING (invoice_id)
        WHERE i.issue_date <= {day}),
    marked AS (
        SELECT *, greatest(date_diff('day', due_date, least(coalesce(settle, {day}), {day})), 0)::DOUBLE AS peak,
               coalesce(settle > {day}, true) AS open,
               CASE WHEN coalesce(settle > {day}, true) THEN greatest(amount - paid, 0) ELSE 0 END AS owed,
               due_date <= {day} AND due_date > {before[12]} AS fell_due,
               CASE WHEN issue_date + INTERVAL 3 YEAR <= {day} THEN 6
                    ELSE CASE WHEN date_diff('day', issue_date, {day}) <= 30 THEN 0
                              WHEN date_diff('day', issue_date, {day}) <= 60 THEN 1
                              WHEN date_diff('day', issue_date, {day}) <= 90 THEN 2
                              WHEN date_diff('day', issue_date, {day}) <= 180 THEN 3
                              WHEN date_diff('day', issue_date, {day}) <= 365 THEN 4 ELSE 5 END END AS bucket
        FROM known),
    per_customer AS (
        SELECT customer_id,
               coalesce(max(peak) FILTER (WHERE open), 0) AS dpd_current,
               {windows},
               avg(CASE WHEN coalesce(settle <= due_date, false) THEN 1.0 ELSE 0.0 END) FILTER (WHERE fell_due)
                   AS on_time_share,
               avg(peak) FILTER (WHERE fell_due) AS avg_days_late,
               sum(peak * amount) FILTER (WHERE fell_due) / nullif(sum(amount) FILTER (WHERE fell_due), 0)
                   AS weighted_days_late,
               avg(peak) FILTER (WHERE fell_due AND due_date > {before[6]})
                   - avg(peak) FILTER (WHERE fell_due AND due_date <= {before[6]}) AS late_trend,
               count(*) FILTER (WHERE issue_date > {before[12]})::DOUBLE AS n_invoices,
               coalesce(sum(amount) FILTER (WHERE issue_date > {before[12]}), 0) AS volume,
               sum(owed) AS outstanding,
               sum(owed) FILTER (WHERE due_date < {day}) AS overdue,
               {", ".join(f"sum(owed) FILTER (WHERE bucket = {b}) AS b{b}" for b in range(7))}
        FROM marked GROUP BY customer_id)
    SELECT customer_id, dpd_current, {", ".join(f"dpd_max_{k}m" for k in (3, 6, 12, 24))},
           on_time_share, avg_days_late, weighted_days_late, late_trend, n_invoices,
           volume / sum(volume) OVER () AS volume_share, outstanding, coalesce(overdue, 0) AS overdue_amount,
           {", ".join(f"CASE WHEN outstanding > 0 THEN coalesce(b{b}, 0) / outstanding ELSE 0 END AS {name}"
                      for b, name in enumerate(SQL_FEATURES[-7:]))}
    FROM per_customer ORDER BY customer_id
    """


def _duckdb_features(invoices: pd.DataFrame, payments: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("inv", invoices)
    con.register("pay", payments)
    return con.execute(duckdb_query(t)).df()


def _duckdb_row(ledger, invoices, payments) -> None:
    """Ours against the DuckDB query, in turns, best of REPEAT; the 20 features must agree.

    Ours twice: on the validated ledger (the payments already matched to their invoices when
    it was validated) and from the raw tables (validation included), as the query starts."""
    best = best_in_turns(lambda: payment_features(ledger, AS_OF),
                         lambda: payment_features(Ledger(invoices, payments), AS_OF),
                         lambda: _duckdb_features(invoices, payments, AS_OF), repeats=REPEAT)
    ours = payment_features(ledger, AS_OF).set_index("customer_id")
    sql = _duckdb_features(invoices, payments, AS_OF).set_index("customer_id")
    ours = ours.loc[sql.index, SQL_FEATURES].to_numpy(dtype=float)
    worst = np.nanmax(np.abs(ours - sql[SQL_FEATURES].to_numpy(dtype=float)))
    assert np.allclose(ours, sql[SQL_FEATURES].to_numpy(dtype=float), equal_nan=True, rtol=1e-9, atol=1e-9), \
        "DuckDB features differ"
    print(f"features, riskmodels:              {best[0]:8.2f} s   DuckDB query {best[2]:.2f} s   ratio "
          f"{best[0] / best[2]:.2f} (target 0.6; {len(SQL_FEATURES)} features of {len(sql):,} customers agree, "
          f"max |diff| {worst:.1e}; best of {REPEAT}, in turns; load {os.getloadavg()[0]:.1f})")
    print(f"  with the ledger's validation:    {best[1]:8.2f} s   ratio {best[1] / best[2]:.2f}")


def main() -> None:
    invoices, payments = make_ledger()
    print(f"ledger: {len(invoices):,} invoices, {len(payments):,} payments, "
          f"{invoices['customer_id'].nunique():,} customers")
    t0 = time.perf_counter()
    ledger = Ledger(invoices, payments)
    t1 = time.perf_counter()
    ours = payment_features(ledger, AS_OF)
    t2 = time.perf_counter()
    peer = naive_features(invoices, payments, AS_OF)
    t3 = time.perf_counter()
    ours = ours.set_index("customer_id").loc[peer.index, COMMON]
    assert np.allclose(ours.to_numpy(), peer[COMMON].to_numpy(dtype=float), equal_nan=True), "results differ"
    ours_s, peer_s = t2 - t1, t3 - t2
    print(f"validate ledger (riskmodels):      {t1 - t0:8.2f} s")
    print(f"features, riskmodels (vectorised): {ours_s:8.2f} s   ({len(ours.columns) and ours.shape[0]:,} customers)")
    print(f"features, pandas groupby/apply:    {peer_s:8.2f} s")
    print(f"ratio peer / riskmodels:           {peer_s / ours_s:8.1f} x  (common features agree)")
    t4 = time.perf_counter()
    payment_features(ledger, pd.date_range("2022-12-31", periods=5, freq="6ME"))
    print(f"riskmodels, 5 observation dates:   {time.perf_counter() - t4:8.2f} s")
    _duckdb_row(ledger, invoices, payments)


if __name__ == "__main__":
    main()
