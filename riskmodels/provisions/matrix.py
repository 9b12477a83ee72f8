"""Provision matrix for trade receivables: loss rates per ageing bucket, from the ledger.

IFRS 9's simplified approach (5.5.15, B5.5.35) measures the allowance for trade receivables at
lifetime expected credit loss, and allows a provision matrix: a loss rate per days-past-due
bucket, from the entity's own history, applied to today's ageing. China's CAS 22 follows the
same model; the documents call the result the bad-debt reserve (004 「坏账准备金」).

Two ways to read the loss rates off the history (invoices issued in ``history``):

``cohort``
    per bucket, the amount finally lost over the amount that *reached* the bucket: an invoice
    reaches "1–30" if it is still unpaid after its due date, "31–60" if still unpaid 30 days
    after it, and so on; the bucket "not yet due" is reached by every invoice. An amount is
    lost when it is written off, or unpaid more than ``loss_after`` days past due at ``as_of``.
    Invoices of the window still open but not yet lost at ``as_of`` have no outcome yet and are
    left out (their count is reported).
``roll_rate``
    at each month end of the window, the share of each bucket's open amount that is one bucket
    later (not paid) at the next month end; a bucket's loss rate is the product of the roll
    rates from it to the last bucket, whose amounts count as lost (``last_bucket_loss``).

The allowance is Σ balance(bucket) × min(1, loss rate × ``forward_looking``): a documented
multiplier for forward-looking information (or a probability-weighted average of scenario
multipliers, ``forward_looking={multiplier: weight}``). Written-off invoices are not part of
the balance.

Examples
--------
>>> import pandas as pd
>>> from riskmodels.data.ledger import Ledger
>>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
...     "issue_date": pd.to_datetime(["2024-01-01", "2024-11-20"]),
...     "due_date": pd.to_datetime(["2024-01-31", "2024-12-20"]), "amount": [100.0, 50.0]})
>>> pay = pd.DataFrame({"invoice_id": ["1"], "payment_date": pd.to_datetime(["2024-01-31"]),
...     "amount": [90.0]})
>>> m = provision_matrix(Ledger(inv, pay), "2024-12-31", history=("2024-01-01", "2024-01-31"))
>>> m.table["loss_rate"].round(3).tolist()
[0.1, 1.0, 1.0, 1.0, 1.0]
>>> round(m.allowance, 2)   # 50 open 11 days past due at 100 %, 10 lost long ago at 100 %
60.0
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels.data.features import written_off_invoices
from riskmodels.data.ledger import Ledger
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.results import Summary

METHODS = ("cohort", "roll_rate")


def bucket_names(edges) -> list[str]:
    """Labels of the days-past-due buckets that ``edges`` delimit.

    >>> bucket_names((0, 30, 60, 90))
    ['not yet due', '1-30', '31-60', '61-90', 'over 90']
    """
    names = ["not yet due" if edges[0] == 0 else f"up to {edges[0]}"]
    names += [f"{a + 1}-{b}" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return names + [f"over {edges[-1]}"]


def bucket_of(dpd, edges) -> np.ndarray:
    """Bucket index of each days-past-due value: ``dpd <= e0`` → 0, ``e0 < dpd <= e1`` → 1, ...

    >>> bucket_of(np.array([-5, 0, 1, 30, 31, 91]), (0, 30, 60, 90)).tolist()
    [0, 0, 1, 1, 2, 4]
    """
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(dpd, dtype=float), side="left")


def cohort_loss_rates(reached: np.ndarray, lost: np.ndarray) -> np.ndarray:
    """Loss rate per bucket: Σ lost over Σ amount that reached the bucket (NaN if none did).

    ``reached`` is n invoices × k buckets (the open amount when the invoice entered each
    bucket, 0 if it never did); ``lost`` the amount each invoice finally lost.

    >>> reached = np.array([[100000.0, 50000.0, 23000.0, 8000.0, 2000.0]])
    >>> cohort_loss_rates(reached, np.array([2000.0])).round(4).tolist()
    [0.02, 0.04, 0.087, 0.25, 1.0]
    """
    total = reached.sum(axis=0)
    lost_in = (lost[:, None] * (reached > 0)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, lost_in / total, np.nan)


def roll_rate_loss_rates(flows: np.ndarray, stocks: np.ndarray, last_bucket_loss: float = 1.0) -> np.ndarray:
    """Loss rates from roll rates: ``flows[b]`` is the amount that rolled from bucket b to b + 1
    over a month, ``stocks[b]`` the amount in b at the start; loss(b) = Π roll(b..k−2) × the
    last bucket's loss. Where nothing rolled on (roll 0) the product is 0 whatever lies beyond,
    even a bucket no amount ever reached (its roll rate unknown): nothing gets there to be lost.

    >>> roll_rate_loss_rates(np.array([50.0, 20.0, 0.0]), np.array([100.0, 40.0, 10.0])).tolist()
    [0.25, 0.5, 1.0]
    >>> roll_rate_loss_rates(np.array([50.0, 0.0, 0.0, 0.0]), np.array([100.0, 40.0, 0.0, 0.0])).tolist()
    [0.0, 0.0, nan, 1.0]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        roll = np.where(stocks[:-1] > 0, flows[:-1] / stocks[:-1], np.nan)
    rates = np.empty(len(stocks))
    rates[-1] = last_bucket_loss
    for b in range(len(stocks) - 2, -1, -1):
        rates[b] = 0.0 if roll[b] == 0 else roll[b] * rates[b + 1]
    return rates


def scenario_multiplier(forward_looking) -> float:
    """The forward-looking multiplier: a number, or ``{multiplier: probability}`` (Σ = 1).

    >>> scenario_multiplier({0.9: 0.5, 1.3: 0.5})
    1.1
    """
    if isinstance(forward_looking, dict):
        weights = np.asarray(list(forward_looking.values()), dtype=float)
        values = np.asarray(list(forward_looking), dtype=float)
        if (weights < 0).any() or abs(weights.sum() - 1.0) > 1e-9 or (values < 0).any():
            raise ParameterError(f"forward_looking scenarios need multipliers >= 0 and weights >= 0 "
                                 f"summing to 1; got {forward_looking!r}")
        return round(float(values @ weights), 12)
    value = float(forward_looking)
    if not np.isfinite(value) or value < 0:
        raise ParameterError(f"forward_looking must be a multiplier >= 0; got {forward_looking!r}")
    return value


@dataclass
class ProvisionMatrix:
    """A provision matrix and the allowance it gives on one date.

    Attributes
    ----------
    table : DataFrame indexed by bucket: ``balance``, ``historical_loss_rate``, ``loss_rate``
        (after the forward-looking multiplier, at most 1), ``allowance``.
    allowance : the total allowance.
    method, as_of, history, forward_looking : how it was computed.
    info : counts behind the rates (invoices used, unresolved, written off).
    """

    table: pd.DataFrame
    allowance: float
    method: str
    as_of: pd.Timestamp
    history: tuple
    forward_looking: float
    info: dict = field(default_factory=dict)

    def summary(self) -> Summary:
        """The matrix as a :class:`~riskmodels.results.Summary` (text, HTML, LaTeX)."""
        s = Summary(f"Provision matrix ({self.method}) as of {self.as_of.date()}")
        s.add_rows([("history (issue dates)", f"{self.history[0].date()} – {self.history[1].date()}"),
                    ("forward-looking multiplier", self.forward_looking),
                    *[(k.replace("_", " "), v) for k, v in self.info.items()],
                    ("allowance", f"{self.allowance:,.2f}")], title="Basis")
        s.add_table(self.table.reset_index(), title="Loss rates and allowance by bucket", index=False)
        s.add_note("allowance = balance × min(1, historical loss rate × forward-looking multiplier); "
                   "written-off invoices are not part of the balance (IFRS 9 B5.5.35, CAS 22).")
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return str(self.summary())

    def plot(self, ax=None):
        """Balance per bucket (bars) and the loss rate (line, right axis)."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 3.5))[1]
        names = list(self.table.index)
        ax.bar(names, self.table["balance"], color="#9ecae1", label="balance")
        ax.set_ylabel("balance")
        right = ax.twinx()
        right.plot(names, 100 * self.table["loss_rate"], "o-", color="#d62728", label="loss rate")
        right.set_ylabel("loss rate (%)")
        ax.set_title(f"Provision matrix as of {self.as_of.date()}: allowance {self.allowance:,.0f}")
        return ax


def _check(ledger, edges, method) -> tuple:
    if not isinstance(ledger, Ledger):
        raise DataValidationError([Violation("ledger", f"is a {type(ledger).__name__}",
                                             "a riskmodels.data.ledger.Ledger")])
    edges = tuple(int(e) for e in edges)
    if len(edges) == 0 or edges[0] < 0 or any(b <= a for a, b in zip(edges[:-1], edges[1:], strict=True)):
        raise ParameterError(f"buckets must be increasing days-past-due edges >= 0; got {edges!r}")
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}; got {method!r}")
    wo = ledger.write_offs
    if wo is not None and len(wo) and "invoice_id" in wo.columns:
        issued = ledger.invoices.set_index("invoice_id")["issue_date"]
        known = wo["invoice_id"].notna() & wo["invoice_id"].isin(issued.index)
        early = wo.loc[known, "write_off_date"].to_numpy() < issued.loc[wo.loc[known, "invoice_id"]].to_numpy()
        if early.any():
            rows = wo.index[known][early]
            raise DataValidationError([Violation("write_offs.write_off_date",
                                                 f"before the invoice's issue date in row(s) {list(rows[:5])}",
                                                 "a write-off on or after the invoice it writes off")])
    return edges


def paid_by(ledger: Ledger, days: np.ndarray) -> np.ndarray:
    """Per invoice i, the amount paid on or before day number ``days[..., i]`` (any leading
    shape): one sort of the payments by (invoice, day) and one search of the (invoice, day) queries.

    >>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"], "amount": [100.0],
    ...     "issue_date": pd.to_datetime(["2024-01-01"]), "due_date": pd.to_datetime(["2024-01-31"])})
    >>> pay = pd.DataFrame({"invoice_id": ["1", "1"], "amount": [30.0, 50.0],
    ...     "payment_date": pd.to_datetime(["2024-01-10", "2024-02-10"])})
    >>> paid_by(Ledger(inv, pay), day_numbers(["2024-01-09", "2024-01-10", "2024-03-01"])[:, None]).tolist()
    [[0.0], [30.0], [80.0]]
    """
    inv_ids, pay = ledger.invoices["invoice_id"], ledger.payments
    n = len(inv_ids)
    codes, _ = pd.factorize(pd.concat([inv_ids, pay["invoice_id"]], ignore_index=True))
    row = codes[n:].astype(np.int64)
    pay_day = day_numbers(pay["payment_date"])
    days = np.asarray(days, dtype=np.int64)
    lo = min(int(pay_day.min(initial=0)), int(days.min(initial=0))) - 1
    span = max(int(pay_day.max(initial=0)), int(days.max(initial=0))) - lo + 1
    keys = row * span + (pay_day - lo)  # (invoice, day) as one sortable integer
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    cum = np.concatenate([[0.0], np.cumsum(pay["amount"].to_numpy(dtype=float)[order])])
    first = np.searchsorted(keys, np.arange(n, dtype=np.int64) * span, side="left")
    query = np.arange(n, dtype=np.int64) * span + (days - lo)
    return cum[np.searchsorted(keys, query, side="right")] - cum[first]


def day_numbers(values) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of dates.

    >>> day_numbers(["1970-01-02", "2024-01-01"]).tolist()
    [1, 19723]
    """
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]").astype(np.int64)


def open_balances(ledger: Ledger, as_of) -> np.ndarray:
    """Per invoice (in the ledger's order), the amount open on ``as_of``: issued by then, not
    written off by then, less the payments up to then; 0 within the settlement tolerance.

    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"], "amount": [100.0, 50.0],
    ...     "issue_date": pd.to_datetime(["2024-01-01", "2024-03-01"]),
    ...     "due_date": pd.to_datetime(["2024-01-31", "2024-03-31"])})
    >>> pay = pd.DataFrame({"invoice_id": ["1"], "amount": [30.0], "payment_date": pd.to_datetime(["2024-01-10"])})
    >>> open_balances(Ledger(inv, pay), "2024-02-01").tolist()
    [70.0, 0.0]
    """
    return _open_and_paid(ledger, pd.Timestamp(as_of))[0]


def _open_and_paid(ledger: Ledger, t: pd.Timestamp) -> tuple:
    """Open amount per invoice on ``t`` (see :func:`open_balances`) and the amount paid by then."""
    day = int(day_numbers([t])[0])
    amount = ledger.invoices["amount"].to_numpy(dtype=float)
    issued = day_numbers(ledger.invoices["issue_date"]) <= day
    paid = paid_by(ledger, np.full(len(amount), day))
    open_now = np.where(written_off_invoices(ledger, t) | ~issued, 0.0, np.maximum(amount - paid, 0.0))
    open_now[open_now <= ledger.tolerance] = 0.0
    return open_now, paid


def provision_matrix(ledger: Ledger, as_of, buckets=(0, 30, 60, 90), method: str = "cohort",
                     history=None, forward_looking=1.0, loss_after: int | None = None,
                     last_bucket_loss: float = 1.0, loss_rates=None) -> ProvisionMatrix:
    """Loss rates per days-past-due bucket from the ledger's history, applied to ``as_of``.

    Parameters
    ----------
    ledger : Ledger
    as_of : date-like — the reporting date: the ageing of the open invoices on it.
    buckets : days-past-due edges; (0, 30, 60, 90) gives not yet due, 1–30, 31–60, 61–90, over 90.
    method : "cohort" or "roll_rate" (see the module notes).
    history : (start, end) issue dates of the invoices whose outcomes give the rates; default:
        the invoices issued from two years to one year before ``as_of``.
    forward_looking : multiplier of the historical rates, or ``{multiplier: probability}``.
    loss_after : (cohort) days past due after which an unpaid amount counts as lost; default the
        last edge.
    last_bucket_loss : (roll_rate) the share of the last bucket that is lost.
    loss_rates : given historical loss rates per bucket (e.g. a policy's), used instead of the
        history's; each in [0, 1].

    Returns
    -------
    ProvisionMatrix

    Raises
    ------
    ParameterError : buckets out of order, an unknown method, a bad multiplier, a given loss
        rate outside [0, 1].
    DataValidationError : a write-off dated before its invoice; a bucket holding a balance that
        no invoice of the history reached (no rate to apply: give ``loss_rates`` or a longer
        history).
    """
    edges = _check(ledger, buckets, method)
    t = pd.Timestamp(as_of)
    start, end = (t - pd.DateOffset(years=2), t - pd.DateOffset(years=1)) if history is None else \
        (pd.Timestamp(history[0]), pd.Timestamp(history[1]))
    if end < start or end > t:
        raise ParameterError(f"history must be (start, end) with start <= end <= as_of; got {history!r}")
    multiplier = scenario_multiplier(forward_looking)
    inv = ledger.invoices
    amount = inv["amount"].to_numpy(dtype=float)
    issue, due = day_numbers(inv["issue_date"]), day_numbers(inv["due_date"])
    day = int(np.datetime64(t.date(), "D").astype(np.int64))
    gone = written_off_invoices(ledger, t)
    open_now, paid_now = _open_and_paid(ledger, t)
    balance = np.bincount(bucket_of(day - due, edges)[open_now > 0], weights=open_now[open_now > 0],
                          minlength=len(edges) + 1)
    in_window = (issue >= day_numbers([start])[0]) & (issue <= day_numbers([end])[0])
    names = bucket_names(edges)
    if loss_rates is not None:
        rates = _given_rates(loss_rates, names)
        info = {"loss_rates": "given"}
    elif method == "cohort":
        rates, info = _cohort(ledger, edges, amount, due, day, gone, paid_now, in_window, loss_after)
    else:
        rates, info = _roll_rate(ledger, edges, amount, due, issue, gone, in_window, start, end,
                                 last_bucket_loss)
    unknown = [names[b] for b in np.flatnonzero(np.isnan(rates) & (balance > 0))]
    if unknown:
        raise DataValidationError([Violation("loss_rate", f"unknown for bucket(s) {unknown}, which hold a "
                                             "balance: no invoice of the history reached them",
                                             "a longer history, or loss_rates=")])
    applied = np.minimum(1.0, np.nan_to_num(rates) * multiplier)
    table = pd.DataFrame({"balance": balance, "historical_loss_rate": rates, "loss_rate": applied,
                          "allowance": balance * applied}, index=pd.Index(names, name="days past due"))
    return ProvisionMatrix(table, float(table["allowance"].sum()), method, t, (start, end), multiplier, info)


def _given_rates(loss_rates, names: list) -> np.ndarray:
    rates = np.asarray(loss_rates, dtype=float)
    if rates.shape != (len(names),):
        raise ParameterError(f"loss_rates must be {len(names)} rates, one per bucket {names}; got shape "
                             f"{rates.shape}")
    bad = np.flatnonzero(~((rates >= 0) & (rates <= 1)))
    if len(bad):
        raise ParameterError(f"loss_rates must be in [0, 1]: bucket {names[bad[0]]!r} has {rates[bad[0]]!r}")
    return rates


def _cohort(ledger, edges, amount, due, day, gone, paid_now, in_window, loss_after):
    loss_after = edges[-1] if loss_after is None else int(loss_after)
    open_now = np.maximum(amount - paid_now, 0.0)
    lost_flag = gone | ((day - due > loss_after) & (open_now > ledger.tolerance))
    settled = open_now <= ledger.tolerance
    resolved = in_window & (lost_flag | settled)
    # open amount on entering each bucket: after the payments up to due + the previous edge
    marks = np.array([due + e for e in edges])  # k x n days
    paid = paid_by(ledger, marks)
    reached = np.vstack([amount, np.maximum(amount - paid, 0.0)]).T  # n x (k + 1)
    reached[reached <= ledger.tolerance] = 0.0
    lost = np.where(lost_flag, open_now, 0.0)
    rates = cohort_loss_rates(reached[resolved], lost[resolved])
    info = {"invoices_used": int(resolved.sum()), "unresolved_invoices": int((in_window & ~resolved).sum()),
            "amount_lost": float(lost[resolved].sum())}
    return rates, info


def _roll_rate(ledger, edges, amount, due, issue, gone, in_window, start, end, last_bucket_loss):
    months = pd.date_range(start, end, freq="ME")
    if len(months) < 2:
        raise ParameterError("roll_rate needs a history of at least two month ends")
    k = len(edges) + 1
    flows, stocks = np.zeros(k), np.zeros(k)
    days = day_numbers(months)
    paid = paid_by(ledger, np.repeat(days[:, None], len(amount), axis=1))
    for m in range(len(months) - 1):
        now, nxt = days[m], days[m + 1]
        open_a = np.where(in_window & (issue <= now), np.maximum(amount - paid[m], 0.0), 0.0)
        open_b = np.where(in_window & (issue <= nxt), np.maximum(amount - paid[m + 1], 0.0), 0.0)
        b_now, b_next = bucket_of(now - due, edges), bucket_of(nxt - due, edges)
        live = open_a > ledger.tolerance
        stocks += np.bincount(b_now[live], weights=open_a[live], minlength=k)
        rolled = live & (b_next == b_now + 1) & (open_b > ledger.tolerance)
        flows += np.bincount(b_now[rolled], weights=np.minimum(open_a, open_b)[rolled], minlength=k)
    rates = roll_rate_loss_rates(flows, stocks, float(last_bucket_loss))
    info = {"month_ends": len(months), "invoices_in_window": int(in_window.sum())}
    return rates, info
