"""Workout loss given default and exposure at default from the ledger.

A customer's default date is the first default event of riskmodels' own definition
(:func:`riskmodels.data.features.default_flags` with a
:class:`~riskmodels.data.features.DefaultDefinition`) in the performance window after an
observation date. On that day:

- **EAD** is the balance at default: the amounts of the customer's invoices issued on or before
  the default date less what was paid on them before that day (a payment on the default day
  itself is a recovery, as the definition counts an invoice unpaid up to its event day);
- **recoveries** are the payments on those invoices on or after the default date, each
  discounted to the default date at the stated annual ``rate`` over ``days / 365`` years;
  collection ``costs`` (optional, dated per customer) are discounted the same way and deducted;
- **workout LGD** = 1 − PV(recoveries − costs) / EAD. It is not clipped: costs above the
  recoveries give an LGD above 1. A customer with nothing outstanding at default (a write-off
  event only) has no LGD (NaN) and is counted apart in the summary.

Invoices issued after the default date are new exposure and not part of the workout. A workout
is ``resolved`` when the exposure was repaid (within the ledger's tolerance) or written off by the
ledger's end; unresolved workouts may recover more later.

Examples
--------
>>> import pandas as pd
>>> from riskmodels.data.features import DefaultDefinition
>>> from riskmodels.data.ledger import Ledger
>>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"],
...                     "issue_date": pd.to_datetime(["2024-01-01"]),
...                     "due_date": pd.to_datetime(["2024-01-31"]), "amount": [100.0]})
>>> pay = pd.DataFrame({"invoice_id": ["1"], "payment_date": pd.to_datetime(["2025-04-30"]),
...                     "amount": [60.0]})
>>> w = workout_lgd(Ledger(inv, pay), "2024-01-15", rate=0.0)
>>> w.table[["customer_id", "default_date", "ead", "pv_recoveries", "lgd"]]
  customer_id default_date    ead  pv_recoveries  lgd
0           a   2024-04-30  100.0           60.0  0.4
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.data.features import DefaultDefinition, default_flags
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.provisions.lifetime import expected_loss
from riskmodels.results import Summary

DAYS_PER_YEAR = 365.0


def discount_factor(days, rate: float) -> np.ndarray:
    """``(1 + rate) ** (-days / 365)``: the value on the default date of one unit ``days`` later.

    Examples
    --------
    >>> round(float(discount_factor(365, 0.10)), 6)
    0.909091
    """
    if not np.isfinite(rate) or rate <= -1.0:
        raise ParameterError(f"rate must be a finite annual rate above -1; got {rate!r}")
    return (1.0 + rate) ** (-np.asarray(days, dtype=float) / DAYS_PER_YEAR)


@dataclass
class WorkoutLGD:
    """Per defaulted customer: default date, EAD, recoveries, costs, LGD (``.table``)."""

    table: pd.DataFrame
    rate: float

    def by_segment(self, segments) -> pd.DataFrame:
        """Per segment: defaulted customers, with an LGD, total EAD, mean and EAD-weighted LGD.

        ``segments`` maps customer id → segment (a dict or a Series indexed by customer id);
        a defaulted customer without a segment is an error naming it.
        """
        seg = pd.Series(segments)
        t = self.table.assign(segment=self.table["customer_id"].map(seg))
        missing = t["segment"].isna()
        if missing.any():
            raise DataValidationError([_violation("segments", "defaulted customer without a segment", "a segment",
                                                  t.loc[missing, "customer_id"])], context="workout LGD")
        return _summarise(t, "segment")

    def expected_loss(self, pd_) -> pd.Series:
        """EL per defaulted-customer row = PD × LGD × EAD; ``pd_`` maps customer id → PD."""
        p = self.table["customer_id"].map(pd.Series(pd_))
        if p.isna().any():
            raise DataValidationError([_violation("pd", "defaulted customer without a PD", "a PD",
                                                  self.table.loc[p.isna(), "customer_id"])], context="expected loss")
        return pd.Series(expected_loss(p.to_numpy(float), self.table["lgd"].to_numpy(float),
                                       self.table["ead"].to_numpy(float)),
                         index=self.table["customer_id"].to_numpy(), name="expected_loss")

    def summary(self) -> Summary:
        s = Summary(f"Workout LGD (recoveries discounted at {self.rate:.2%} a year)")
        s.add_table(_summarise(self.table.assign(all="all"), "all").reset_index(), title="all defaults", index=False)
        s.add_table(self.table, title="per defaulted customer", index=False)
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _summarise(t: pd.DataFrame, key: str) -> pd.DataFrame:
    has = t["lgd"].notna()
    g = t.groupby(key, sort=True)
    out = pd.DataFrame({"defaults": g.size(), "with_lgd": has.groupby(t[key]).sum(),
                        "ead": g["ead"].sum(), "pv_recoveries": g["pv_recoveries"].sum(),
                        "pv_costs": g["pv_costs"].sum(), "mean_lgd": g["lgd"].mean()})
    out["ead_weighted_lgd"] = 1.0 - (out["pv_recoveries"] - out["pv_costs"]) / out["ead"].where(out["ead"] > 0)
    return out


def workout_lgd(ledger, as_of, *, definition: DefaultDefinition | None = None, rate: float = 0.0,
                costs: pd.DataFrame | None = None) -> WorkoutLGD:
    """Workout LGD and EAD of each customer defaulting in the window after ``as_of``.

    Parameters
    ----------
    ledger : Ledger
    as_of : date-like or sequence of date-likes
        Observation dates as in :func:`~riskmodels.data.features.default_flags`; a customer
        defaulting after several takes its earliest default date.
    definition : DefaultDefinition or None
        The default definition (90 days past due or a write-off, 12 months).
    rate : float
        Annual discount rate of recoveries and costs to the default date (``days / 365`` years).
    costs : pandas.DataFrame or None
        Collection costs: ``customer_id``, ``cost_date``, ``amount`` (>= 0); those dated before
        the customer's default date, or of customers that did not default, are refused.

    Returns
    -------
    WorkoutLGD
        ``.table``: ``customer_id``, ``default_date``, ``ead``, ``recoveries``, ``pv_recoveries``,
        ``costs``, ``pv_costs``, ``lgd``, ``resolved``.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31"]), "amount": [100.0]})
    >>> pay = pd.DataFrame({"invoice_id": ["1"], "payment_date": pd.to_datetime(["2025-04-30"]),
    ...                     "amount": [110.0]})   # 365 days after default, at 10 %: PV 100
    >>> float(workout_lgd(Ledger(inv, pay, max_overpayment=None), "2024-01-15", rate=0.10).table["lgd"][0])
    0.0
    """
    discount_factor(0, rate)   # validates the rate
    flags = default_flags(ledger, as_of, definition)
    hit = flags[flags["default"] == 1]
    first = hit.groupby("customer_id", sort=True)["default_date"].min()
    inv = ledger.invoices
    cust_of = pd.Series(inv["customer_id"].to_numpy(), index=inv["invoice_id"].to_numpy())
    day = first.reindex(inv["customer_id"]).to_numpy()
    in_scope = pd.notna(day) & (inv["issue_date"].to_numpy() <= day)
    scope = pd.Series(day[in_scope], index=inv["invoice_id"].to_numpy()[in_scope])

    pay = ledger.payments
    p_day = scope.reindex(pay["invoice_id"]).to_numpy()
    p_in = pd.notna(p_day)
    p_date = pay["payment_date"].to_numpy()
    p_amt = pay["amount"].to_numpy(float)
    p_cust = cust_of.reindex(pay["invoice_id"]).to_numpy()
    before = p_in & (p_date < p_day)
    after = p_in & ~before
    issued = inv.loc[in_scope].groupby("customer_id")["amount"].sum()
    paid_before = pd.Series(p_amt[before]).groupby(p_cust[before]).sum()
    days_after = (p_date[after] - p_day[after]) / np.timedelta64(1, "D")
    rec = pd.Series(p_amt[after]).groupby(p_cust[after]).sum()
    pv_rec = pd.Series(p_amt[after] * discount_factor(days_after, rate)).groupby(p_cust[after]).sum()
    cost, pv_cost = _costs(costs, first, rate)

    ids = first.index
    t = pd.DataFrame({"customer_id": ids.to_numpy(dtype=object), "default_date": first.to_numpy()})
    for name, s in (("ead", issued.sub(paid_before, fill_value=0.0)), ("recoveries", rec),
                    ("pv_recoveries", pv_rec), ("costs", cost), ("pv_costs", pv_cost)):
        t[name] = s.reindex(ids).fillna(0.0).to_numpy(float)
    t["ead"] = t["ead"].where(t["ead"] > ledger.tolerance, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["lgd"] = np.where(t["ead"] > 0, 1.0 - (t["pv_recoveries"] - t["pv_costs"]) / t["ead"], np.nan)
    written = _written_off(ledger, first)
    t["resolved"] = (t["ead"] - t["recoveries"] <= ledger.tolerance) | written.reindex(ids).fillna(False).to_numpy(bool)
    return WorkoutLGD(t, float(rate))


def _violation(column: str, rule: str, expected: str, labels) -> Violation:
    labels = list(labels)
    return Violation(column, rule, expected, tuple(labels[:5]), len(labels))


def _written_off(ledger, first: pd.Series) -> pd.Series:
    wo = ledger.write_offs
    if wo is None or not len(wo):
        return pd.Series(dtype=bool)
    return wo.groupby("customer_id")["write_off_date"].max().reindex(first.index) >= first


def _costs(costs, first: pd.Series, rate: float) -> tuple[pd.Series, pd.Series]:
    if costs is None or not len(costs):
        return pd.Series(dtype=float), pd.Series(dtype=float)
    missing = [c for c in ("customer_id", "cost_date", "amount") if c not in costs.columns]
    if missing:
        raise DataValidationError([_violation(f"costs.{c}", "required column missing", "the column", [])
                                  for c in missing], context="workout LGD")
    day = first.reindex(costs["customer_id"]).to_numpy()
    date = pd.to_datetime(costs["cost_date"]).to_numpy()
    amount = costs["amount"].to_numpy(float)
    found = []
    for column, bad, rule, expected in (
            ("customer_id", pd.isna(day), "customer did not default", "a defaulted customer"),
            ("cost_date", pd.notna(day) & (date < day), "dated before the default date", "on or after it"),
            ("amount", ~(amount >= 0), "negative or missing", ">= 0")):
        if bad.any():
            found.append(_violation(f"costs.{column}", rule, expected, costs.index[bad]))
    if found:
        raise DataValidationError(found, context="workout LGD")
    days = (date - day) / np.timedelta64(1, "D")
    cust = costs["customer_id"].to_numpy()
    return (pd.Series(amount).groupby(cust).sum(),
            pd.Series(amount * discount_factor(days, rate)).groupby(cust).sum())


__all__ = ["WorkoutLGD", "discount_factor", "workout_lgd"]
