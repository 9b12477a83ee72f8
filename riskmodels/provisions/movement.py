"""Movement of the receivables allowance between dates: the reconciliation from opening to closing.

IFRS 7.35H asks for a reconciliation of the loss allowance from its opening to its closing
balance; under the simplified approach (IFRS 9 5.5.15) the allowance on each date is the
provision matrix's (:func:`~riskmodels.provisions.provision_matrix`). Each invoice carries
allowance ``A0 = g0 × r0[b0]`` at the start (open amount g0 in bucket b0 at the start's loss
rate) and ``A1 = g1 × r1[b1]`` at the end; the lines split the change exactly:

- **new invoices** — A1 of the invoices issued in the period;
- **written off** — −A0 of the invoices written off in the period (the allowance used);
- **paid** — (g1 − g0) × r0[b0] of the other invoices open at the start (a full payment
  releases all of A0, a part payment its share);
- **ageing** — g1 × (r0[b1] − r0[b0]): the move to a later bucket at the start's rates;
- **loss rates** — g1 × (r1[b1] − r0[b1]): the change of the rates themselves.

opening + new + paid + written off + ageing + loss rates = closing, to the cent. The gross
balance moves the same way: opening + new invoices (amount issued) − paid − written off (the
open amount on the write-off date) = closing. With ``freq`` the period is cut into months
(or quarters, years) and each is reconciled, closing of one = opening of the next.

Examples
--------
>>> import pandas as pd
>>> from riskmodels.data.ledger import Ledger
>>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"], "amount": [100.0, 50.0],
...     "issue_date": pd.to_datetime(["2024-01-01", "2024-02-10"]),
...     "due_date": pd.to_datetime(["2024-01-31", "2024-03-10"])})
>>> pay = pd.DataFrame({"invoice_id": ["1"], "payment_date": pd.to_datetime(["2024-02-20"]), "amount": [100.0]})
>>> mv = allowance_movement(Ledger(inv, pay), "2024-01-31", "2024-02-29", buckets=(0, 30),
...                         loss_rates=[0.02, 0.1, 0.5])
>>> mv.table.iloc[0].round(2).tolist()   # opening 100 × 2 %, new 50 × 2 %, paid −2
[2.0, 1.0, -2.0, 0.0, 0.0, 0.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.data.ledger import Ledger
from riskmodels.errors import ParameterError
from riskmodels.provisions.matrix import (
    bucket_of,
    day_numbers,
    open_balances,
    paid_by,
    provision_matrix,
)
from riskmodels.results import Summary

LINES = ["opening", "new_invoices", "paid", "written_off", "ageing", "loss_rates", "closing"]
BALANCE_LINES = ["opening", "new_invoices", "paid", "written_off", "closing"]
FREQUENCIES = {"month": "ME", "quarter": "QE", "year": "YE"}


@dataclass
class AllowanceMovement:
    """The allowance's movement over one or more consecutive periods.

    Attributes
    ----------
    table : DataFrame, one row per period (``"start..end"``), the allowance lines as columns:
        opening, new_invoices, paid, written_off, ageing, loss_rates, closing.
    balances : DataFrame, the same rows; the gross balance lines: opening, new_invoices, paid,
        written_off, closing.
    matrices : the provision matrix on each date (the start, then each period's end).
    """

    table: pd.DataFrame
    balances: pd.DataFrame
    matrices: list

    @property
    def opening(self) -> float:
        """The allowance at the start."""
        return float(self.table["opening"].iloc[0])

    @property
    def closing(self) -> float:
        """The allowance at the end."""
        return float(self.table["closing"].iloc[-1])

    def summary(self) -> Summary:
        """The reconciliation (lines × periods) and the gross balance's, as a Summary."""
        first, last = self.matrices[0], self.matrices[-1]
        s = Summary(f"Allowance movement {first.as_of.date()} – {last.as_of.date()} ({first.method})")
        s.add_rows([("opening allowance", f"{self.opening:,.2f}"), ("closing allowance", f"{self.closing:,.2f}"),
                    ("periods", len(self.table))], title="Allowance")
        for title, frame in (("allowance", self.table), ("balance", self.balances)):
            shown = frame.T.map(lambda v: f"{round(v, 2) + 0.0:,.2f}")  # no "-0.00"
            shown.index = [line.replace("_", " ") for line in shown.index]
            s.add_table(shown.rename_axis(title).reset_index(), title=f"{title.capitalize()} movement", index=False)
        s.add_note("ageing = the move to later buckets at the opening loss rates; loss_rates = the change "
                   "of the rates (IFRS 7.35H reconciliation of the loss allowance)")
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return str(self.summary())

    def plot(self, ax=None):
        """The lines of the movement as bars per period; the closing allowance as a line."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(8, 3.8))[1]
        lines = LINES[1:-1]
        x = np.arange(len(self.table))
        width = 0.8 / len(lines)
        for i, line in enumerate(lines):
            ax.bar(x + (i - (len(lines) - 1) / 2) * width, self.table[line], width, label=line.replace("_", " "))
        ax.plot(x, self.table["closing"], "ko-", label="closing allowance")
        ax.axhline(0, color="#888", lw=0.8)
        ax.set_xticks(x, [label.split("..")[-1] for label in self.table.index], rotation=45, ha="right",
                      fontsize=8)
        ax.set_ylabel("allowance")
        ax.legend(fontsize=7, ncol=3)
        ax.set_title(f"Allowance movement: {self.opening:,.0f} → {self.closing:,.0f}")
        return ax


def period_ends(start, end, freq: str | None = None) -> list:
    """The dates reconciled: ``start``, the ``freq`` period ends strictly between, and ``end``.

    >>> [d.date().isoformat() for d in period_ends("2024-01-15", "2024-03-10", "month")]
    ['2024-01-15', '2024-01-31', '2024-02-29', '2024-03-10']
    """
    t0, t1 = pd.Timestamp(start), pd.Timestamp(end)
    if t1 <= t0:
        raise ParameterError(f"the end {end!r} must be after the start {start!r}")
    if freq is None:
        return [t0, t1]
    if freq not in FREQUENCIES:
        raise ParameterError(f"freq must be one of {sorted(FREQUENCIES)} or None; got {freq!r}")
    inner = [d for d in pd.date_range(t0, t1, freq=FREQUENCIES[freq]) if t0 < d < t1]
    return [t0, *inner, t1]


def allowance_movement(ledger: Ledger, start, end, *, freq: str | None = None, buckets=(0, 30, 60, 90),
                       method: str = "cohort", history=None, forward_looking=1.0, loss_after: int | None = None,
                       last_bucket_loss: float = 1.0, loss_rates=None) -> AllowanceMovement:
    """Reconcile the provision-matrix allowance from ``start`` to ``end`` (see the module notes).

    Parameters
    ----------
    ledger : Ledger
    start, end : the opening and closing dates.
    freq : None (one period), or "month", "quarter", "year": one reconciliation per period.
    buckets, method, forward_looking, loss_after, last_bucket_loss, loss_rates : as
        :func:`~riskmodels.provisions.provision_matrix`, on every date.
    history : None — each date's own default window (two years to one year before it), so the
        rates move as the window rolls; or one (start, end) window for every date (its end on or
        before ``start``), so they move only as that window's outcomes resolve.

    Returns
    -------
    AllowanceMovement

    Raises
    ------
    ParameterError : ``end`` not after ``start``, an unknown ``freq``, and the errors of
        :func:`~riskmodels.provisions.provision_matrix`.
    """
    dates = period_ends(start, end, freq)
    options = {"buckets": buckets, "method": method, "history": history, "forward_looking": forward_looking,
               "loss_after": loss_after, "last_bucket_loss": last_bucket_loss, "loss_rates": loss_rates}
    matrices = [provision_matrix(ledger, d, **options) for d in dates]
    edges = tuple(int(e) for e in buckets)
    inv = ledger.invoices
    amount = inv["amount"].to_numpy(dtype=float)
    issue, due = day_numbers(inv["issue_date"]), day_numbers(inv["due_date"])
    wo_day = _write_off_days(ledger)
    before = paid_by(ledger, np.where(wo_day >= 0, wo_day, 0))
    open_at_write_off = np.where(wo_day >= 0, np.maximum(amount - before, 0.0), 0.0)
    rows, balance_rows = [], []
    state = [(open_balances(ledger, d), int(day_numbers([d])[0])) for d in dates]
    for k in range(len(dates) - 1):
        (g0, day0), (g1, day1) = state[k], state[k + 1]
        r0 = matrices[k].table["loss_rate"].to_numpy()
        r1 = matrices[k + 1].table["loss_rate"].to_numpy()
        b0, b1 = bucket_of(day0 - due, edges), bucket_of(day1 - due, edges)
        new = (issue > day0) & (issue <= day1)
        written = (wo_day > day0) & (wo_day <= day1) & (issue <= day1)
        old_written = written & ~new
        kept = ~new & ~written
        a0, a1 = g0 * r0[b0], g1 * r1[b1]
        lines = [a0.sum(), a1[new].sum(), ((g1 - g0) * r0[b0])[kept].sum(), -a0[old_written].sum(),
                 (g1 * (r0[b1] - r0[b0]))[kept].sum(), (g1 * (r1[b1] - r0[b1]))[kept].sum(), a1.sum()]
        rows.append(lines)
        issued_new = amount[new].sum()
        off = open_at_write_off[written].sum()
        balance_rows.append([g0.sum(), issued_new, -(g0.sum() + issued_new - off - g1.sum()), -off, g1.sum()])
    index = pd.Index([f"{a.date()}..{b.date()}" for a, b in zip(dates[:-1], dates[1:], strict=True)],
                     name="period")
    table = pd.DataFrame(rows, index=index, columns=LINES)
    balances = pd.DataFrame(balance_rows, index=index, columns=BALANCE_LINES)
    return AllowanceMovement(table, balances, matrices)


def _write_off_days(ledger: Ledger) -> np.ndarray:
    """Per invoice, the day number of its first write-off, or −1 if none names it."""
    wo = ledger.write_offs
    out = np.full(len(ledger.invoices), -1, dtype=np.int64)
    if wo is None or not len(wo) or "invoice_id" not in wo.columns:
        return out
    named = wo[wo["invoice_id"].notna()]
    first = pd.Series(day_numbers(named["write_off_date"]), index=named["invoice_id"].to_numpy()).groupby(level=0).min()
    found = ledger.invoices["invoice_id"].map(first)
    return np.where(found.notna(), found.fillna(-1), -1).astype(np.int64)


__all__ = ["AllowanceMovement", "allowance_movement", "period_ends"]
