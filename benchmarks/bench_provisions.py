"""Provision matrix (issue 36): the cohort matrix and allowance of a 1,000,000-invoice ledger, against
the pandas groupby implementation a data engineer would write for the same numbers (merge the
payments onto their invoices, sum what was paid by each bucket's edge, group by bucket), same
run, same answers checked. The ledger is built (validated) once, outside the timing: it is the
object a user holds.

Target: riskmodels <= 0.2x the pandas implementation.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from benchmarks.timing import best_of
from riskmodels.data.ledger import Ledger
from riskmodels.provisions import provision_matrix

N = int(os.environ.get("BENCH_PROVISIONS_INVOICES", 1_000_000))
EDGES = (0, 30, 60, 90)
AS_OF = pd.Timestamp("2024-12-31")
HISTORY = (pd.Timestamp("2022-01-01"), pd.Timestamp("2022-12-31"))


def synthetic_ledger(n: int, seed: int = 0) -> Ledger:
    """Invoices over three years; most paid in one payment at a random lag, some in two, 2 % never."""
    rng = np.random.default_rng(seed)
    issue = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 1080, n), unit="D")
    due = issue + pd.Timedelta(days=30)
    amount = np.round(rng.lognormal(7, 1, n), 2)
    ids = np.char.add("i", np.arange(n).astype(str)).astype(object)
    invoices = pd.DataFrame({"customer_id": np.char.add("c", rng.integers(0, 50_000, n).astype(str)).astype(object),
                             "invoice_id": ids, "issue_date": issue, "due_date": due, "amount": amount})
    lag = np.where(rng.random(n) < 0.6, rng.integers(-10, 1, n), rng.exponential(35, n).astype(int))
    paid = rng.random(n) >= 0.02
    split = paid & (rng.random(n) < 0.2)  # a first half, the rest 20 days later
    first = np.where(split, np.round(amount / 2, 2), amount)
    pay = pd.DataFrame({"invoice_id": ids[paid], "payment_date": (due + pd.to_timedelta(lag, unit="D"))[paid],
                        "amount": first[paid]})
    rest = pd.DataFrame({"invoice_id": ids[split],
                         "payment_date": (due + pd.to_timedelta(lag + 20, unit="D"))[split],
                         "amount": (amount - first)[split]})
    payments = pd.concat([pay, rest], ignore_index=True)
    payments = payments[payments["payment_date"] <= AS_OF].reset_index(drop=True)
    return Ledger(invoices, payments)


def pandas_matrix(invoices: pd.DataFrame, payments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The same cohort loss rates and bucket balances with merges and groupbys."""
    inv = invoices.set_index("invoice_id")
    pay = payments.merge(invoices[["invoice_id", "due_date"]], on="invoice_id")
    late = (pay["payment_date"] - pay["due_date"]).dt.days
    paid_now = pay[pay["payment_date"] <= AS_OF].groupby("invoice_id")["amount"].sum()
    open_now = (inv["amount"] - paid_now.reindex(inv.index, fill_value=0.0)).clip(lower=0.0)
    open_now[open_now <= 0.01] = 0.0
    dpd = (AS_OF - inv["due_date"]).dt.days
    bucket = np.searchsorted(np.asarray(EDGES), dpd.to_numpy(), side="left")
    balance = open_now.groupby(bucket).sum().reindex(range(len(EDGES) + 1), fill_value=0.0).to_numpy()
    window = inv[(inv["issue_date"] >= HISTORY[0]) & (inv["issue_date"] <= HISTORY[1])]
    lost_flag = (dpd > EDGES[-1]) & (open_now > 0.01)
    resolved = window.index[(lost_flag | (open_now <= 0.01)).reindex(window.index)]
    reached = [window.loc[resolved, "amount"]]
    for e in EDGES:
        by_edge = pay[late <= e].groupby("invoice_id")["amount"].sum()
        left = (window.loc[resolved, "amount"] - by_edge.reindex(resolved, fill_value=0.0)).clip(lower=0.0)
        reached.append(left.where(left > 0.01, 0.0))
    lost = open_now.reindex(resolved).where(lost_flag.reindex(resolved), 0.0)
    rates = np.array([(lost * (r > 0)).sum() / r.sum() for r in reached])
    return rates, balance




def main() -> None:
    ledger = synthetic_ledger(N)
    ours_t, ours = best_of(lambda: provision_matrix(ledger, AS_OF, buckets=EDGES, history=HISTORY), repeats=3)
    peer_t, (rates, balance) = best_of(lambda: pandas_matrix(ledger.invoices, ledger.payments), repeats=3)
    same_rates = np.allclose(ours.table["historical_loss_rate"].to_numpy(), rates, rtol=1e-10, atol=1e-14)
    same_balance = np.allclose(ours.table["balance"].to_numpy(), balance, rtol=1e-10)
    print(f"{N:,} invoices, {len(ledger.payments):,} payments; load {os.getloadavg()[0]:.1f}")
    print(f"  riskmodels provision_matrix  {ours_t:.3f} s   allowance {ours.allowance:,.2f}")
    print(f"  pandas merge/groupby         {peer_t:.3f} s   same rates {same_rates}, same balances {same_balance}")
    print(f"  ratio {ours_t / peer_t:.2f} (target <= 0.2)")


if __name__ == "__main__":
    main()
