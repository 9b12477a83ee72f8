"""Ledger -> payment features on 1,000,000 invoices: riskmodels vs a plain pandas groupby/apply.

The peer is what an analyst writes first: settle each invoice from its
payments with a groupby, then one ``groupby("customer_id").apply`` computing
the features customer by customer. Both run in this process on the same
ledger, the common features are checked to agree, and the ratio is printed.

Run: ``OPENBLAS_NUM_THREADS=1 python -m benchmarks features``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from riskmodels.data.features import payment_features
from riskmodels.data.ledger import Ledger

N_INVOICES = 1_000_000
N_CUSTOMERS = 20_000
AS_OF = pd.Timestamp("2024-12-31")
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


if __name__ == "__main__":
    main()
