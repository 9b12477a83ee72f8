"""Payment-history features, default flags, ageing and early warnings from a receivables ledger.

Everything here looks at a :class:`~riskmodels.data.ledger.Ledger` *as of* an
observation date ``t`` and uses only what was known on that day: invoices
issued on or before ``t`` and payments dated on or before ``t`` (features never
change when rows dated after ``t`` are added). Only the default flag looks
forward, over the performance window ``(t, t + horizon]``, because that is
what it is for.

Conventions (days are calendar days):

* an invoice is *settled* on the day its cumulative payments reach its amount
  less the ledger's tolerance; its *days late* are ``settled - due`` when
  positive, and for an invoice still open at ``t`` the running ``t - due``;
* an invoice's days past due (DPD) on day ``s`` is ``s - due`` while it is
  unpaid; the settlement day still counts (paid 90 days after the due date =
  90 DPD);
* windows of ``k`` months are ``(t - k months, t]`` in calendar months.

Feature columns (one row per customer with an invoice issued on or before ``t``):

``dpd_current``
    largest DPD among invoices open at ``t`` (0 if none is overdue).
``dpd_max_3m``, ``dpd_max_6m``, ``dpd_max_12m``, ``dpd_max_24m``
    largest DPD reached on any day of the window (24 months: the documents' "past
    two years", 002 客户资信管理评估制度 A/C rules 过去2年内).
``on_time_share``
    share of invoices falling due in the look-back window (12 months) that
    were settled on or before their due date (NaN if none fell due).
``avg_days_late``, ``weighted_days_late``
    mean days late of those invoices, plain and amount-weighted.
``late_trend``
    mean days late of invoices due in the last ``trend_months`` (6) minus
    that of the earlier part of the look-back window (NaN if either is empty);
    positive = paying later.
``n_invoices``
    invoices issued in the look-back window.
``tenure_months``
    calendar months since the customer's first invoice (:func:`riskmodels.data.periods.months_between`:
    whole months by the calendar, 12.0 on the first anniversary, then the share of the next month).
``volume_share``
    the customer's invoiced amount in the look-back window over the whole ledger's (its share of
    the company's business volume, 002 风控部 C 「业务量占公司总业务量比例」; NaN when nothing was invoiced).
``outstanding``, ``overdue_amount``
    open amount at ``t`` on the books; the part of it past its due date. An invoice written off
    on or before ``t`` (``Ledger.write_offs`` rows with its ``invoice_id``) has left the books
    (004 第十七条 「列销账项」) and counts in neither; its lateness stays in the DPD features.
``limit_utilisation``
    ``outstanding / credit limit`` valid at ``t`` (NaN without a positive limit).
``n_disputes``, ``n_reminders``
    disputed invoices / reminders sent for invoices issued in the look-back
    window (only when the ledger has ``disputed`` / ``reminders``).
``age_0_30`` .. ``age_3y_or_more``
    shares of ``outstanding`` by ageing bucket (0 when nothing is open); the last bucket holds
    debts aged three calendar years or more (004 第十四条 「3年以上」, 以上 includes the day).

Examples
--------
>>> import pandas as pd
>>> from riskmodels.data.ledger import Ledger
>>> inv = pd.DataFrame({"customer_id": ["c1", "c1"], "invoice_id": ["i1", "i2"],
...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
...                     "due_date": pd.to_datetime(["2024-01-31", "2024-03-02"]),
...                     "amount": [100.0, 50.0]})
>>> pay = pd.DataFrame({"invoice_id": ["i1"], "payment_date": pd.to_datetime(["2024-02-10"]),
...                     "amount": [100.0]})
>>> f = payment_features(Ledger(inv, pay), "2024-03-31")
>>> f[["dpd_current", "dpd_max_3m", "on_time_share", "avg_days_late", "outstanding"]].iloc[0].tolist()
[29.0, 29.0, 0.0, 19.5, 50.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.data.ledger import Ledger
from riskmodels.data.periods import add_months, compare, months_between, reached
from riskmodels.data.schema import Column, Schema, violation
from riskmodels.errors import DataValidationError, Violation

DAYS_PER_MONTH = 30.4375  # average month (synthetic rates); spans in the features are calendar months
NEVER = np.iinfo(np.int64).max // 4  # day number of an event that does not happen

PAYMENT_FEATURES = ("dpd_current", "dpd_max_3m", "dpd_max_6m", "dpd_max_12m", "dpd_max_24m", "on_time_share",
                    "avg_days_late", "weighted_days_late", "late_trend", "n_invoices", "tenure_months",
                    "volume_share", "outstanding", "overdue_amount", "limit_utilisation")


@dataclass(frozen=True)
class FeatureConfig:
    """Windows and buckets of :func:`payment_features`.

    Parameters
    ----------
    dpd_windows : tuple of int
        Months of the ``dpd_max_<k>m`` windows.
    lookback_months : int
        Window of the on-time share, days late, invoice and dispute counts.
    trend_months : int
        Recent part of the look-back window compared with the earlier part in ``late_trend``.
    ageing_bounds : tuple of int
        Upper bounds (days, inclusive) of the ageing buckets; one more bucket
        holds the rest. The default gives 0-30, 31-60, 61-90, 91-180, 181-365 days, then
        366 days to under three years.
    ageing_years : int or None
        The last bucket: debts aged this many calendar years or more (default 3: 004
        清欠管理制度 第十四条 「3年以上」, the bad-debt horizon; 以上 includes the day, so an invoice
        issued 2021-03-31 is in it on 2024-03-31). None: no calendar bucket.
    ageing_basis : {"issue", "due"}
        Age counted from the invoice date (the documents' 账龄, default) or from
        the due date (not yet due counts as age 0).

    Examples
    --------
    >>> FeatureConfig().bucket_names()
    ['age_0_30', 'age_31_60', 'age_61_90', 'age_91_180', 'age_181_365', 'age_366_under_3y', 'age_3y_or_more']
    """

    dpd_windows: tuple = (3, 6, 12, 24)
    lookback_months: int = 12
    trend_months: int = 6
    ageing_bounds: tuple = (30, 60, 90, 180, 365)
    ageing_years: int | None = 3
    ageing_basis: str = "issue"

    def __post_init__(self):
        bad = []
        if not self.dpd_windows or any(int(k) < 1 for k in self.dpd_windows):
            bad.append(Violation("dpd_windows", f"is {self.dpd_windows!r}", "month counts >= 1"))
        if self.lookback_months < 1 or not 0 < self.trend_months < self.lookback_months:
            bad.append(Violation("trend_months", f"is {self.trend_months!r} with look-back "
                                 f"{self.lookback_months!r}", "0 < trend_months < lookback_months"))
        bounds = np.asarray(self.ageing_bounds)
        if len(bounds) == 0 or (np.diff(bounds) <= 0).any() or bounds[0] < 0:
            bad.append(Violation("ageing_bounds", f"is {self.ageing_bounds!r}",
                                 "increasing non-negative day counts"))
        elif self.ageing_years is not None and not (isinstance(self.ageing_years, int | np.integer)
                                                    and 365 * self.ageing_years > bounds[-1]):
            bad.append(Violation("ageing_years", f"is {self.ageing_years!r}",
                                 "None or whole years longer than the last day bound"))
        if self.ageing_basis not in ("issue", "due"):
            bad.append(Violation("ageing_basis", f"is {self.ageing_basis!r}", "'issue' or 'due'"))
        if bad:
            raise DataValidationError(bad, context="FeatureConfig")

    def bucket_names(self) -> list[str]:
        """Column names of the ageing buckets, youngest first."""
        lows = [0] + [b + 1 for b in self.ageing_bounds]
        names = [f"age_{lo}_{hi}" for lo, hi in zip(lows, self.ageing_bounds, strict=False)]
        if self.ageing_years is None:
            return names + [f"age_over_{self.ageing_bounds[-1]}"]
        years = self.ageing_years
        return names + [f"age_{lows[-1]}_under_{years}y", f"age_{years}y_or_more"]

    def n_buckets(self) -> int:
        """Number of ageing buckets."""
        return len(self.ageing_bounds) + (1 if self.ageing_years is None else 2)

    def bucket_of(self, start, day: int) -> np.ndarray:
        """Bucket index of debts whose age counts from ``start`` (day numbers) at ``day``.

        Examples
        --------
        >>> from riskmodels.data.periods import date_to_day
        >>> t = date_to_day("2024-03-31")
        >>> FeatureConfig().bucket_of([t - 10, date_to_day("2021-04-01"), date_to_day("2021-03-31")], t).tolist()
        [0, 5, 6]
        """
        start = np.asarray(start, dtype=np.int64)
        bucket = np.searchsorted(np.asarray(self.ageing_bounds), np.maximum(day - start, 0), side="left")
        if self.ageing_years is not None:
            bucket = np.where(reached(start, day, years=self.ageing_years), len(self.ageing_bounds) + 1, bucket)
        return bucket


@dataclass(frozen=True)
class DefaultDefinition:
    """When a customer counts as defaulted (Basel-style, with the documents' bad-debt events).

    A customer defaults in the performance window ``(t, t + horizon_months]``
    if an invoice reaches ``dpd_threshold`` days past due in it with at least a
    material amount unpaid, or (``write_offs=True``) a write-off of the
    customer is dated in it (bad debt: bankruptcy, death, unpaid for years).
    The documents' "unpaid three years or more" rule (004 第十四条 「一般指3年以上」) is
    ``dpd_years=3``: the event is the due date plus three calendar years, reached on that
    day (以上 includes it; 民法典 第一千二百五十九条, 第二百零二条).

    Parameters
    ----------
    dpd_threshold : int
        Days past due that make a default (90 in Basel).
    dpd_years : int or None
        When given, calendar years past due that make a default instead of ``dpd_threshold``.
    materiality_abs : float
        Smallest unpaid amount of the invoice on that day that counts.
    materiality_rel : float
        Smallest unpaid share of the invoice amount that counts.
    horizon_months : int
        Length of the performance window.
    write_offs : bool
        Whether write-offs are default events.

    Examples
    --------
    >>> DefaultDefinition(dpd_threshold=30).horizon_months
    12
    """

    dpd_threshold: int = 90
    dpd_years: int | None = None
    materiality_abs: float = 0.0
    materiality_rel: float = 0.0
    horizon_months: int = 12
    write_offs: bool = True

    def __post_init__(self):
        bad = []
        if not self.dpd_threshold >= 1:  # written so that NaN fails too
            bad.append(Violation("dpd_threshold", f"is {self.dpd_threshold!r}", "days >= 1"))
        if not self.materiality_abs >= 0 or not 0 <= self.materiality_rel <= 1:
            bad.append(Violation("materiality", f"is ({self.materiality_abs!r}, {self.materiality_rel!r})",
                                 "an amount >= 0 and a share in [0, 1]"))
        if not self.horizon_months >= 1:
            bad.append(Violation("horizon_months", f"is {self.horizon_months!r}", "months >= 1"))
        if self.dpd_years is not None and not (isinstance(self.dpd_years, int | np.integer) and self.dpd_years >= 1):
            bad.append(Violation("dpd_years", f"is {self.dpd_years!r}", "None or whole years >= 1"))
        if bad:
            raise DataValidationError(bad, context="DefaultDefinition")


def _day(values) -> np.ndarray:
    """Datetimes as int64 day numbers since 1970-01-01, without a round trip through nanoseconds.

    The day is cut from each value's own resolution (a 9999-12-31 placeholder in
    ``datetime64[us]`` stays in 9999) and, for time-zone-aware values, in their own zone:
    10:00 in Asia/Shanghai on the due date is that date, not the day before in UTC.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values) if not isinstance(
        values, (pd.Index, np.ndarray)) else values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)  # the wall-clock time in the column's own zone
    stamps = series.to_numpy()
    if stamps.dtype.kind != "M":
        stamps = pd.to_datetime(series).to_numpy()
    return stamps.astype("datetime64[D]").astype(np.int64)


def _dates(days: np.ndarray) -> pd.Series:
    """Day numbers as a datetime64[us] Series (years 1 to 9999), NaT where the day is ``NEVER``."""
    happened = days < NEVER
    return pd.Series(np.where(happened, days, 0).astype("datetime64[D]").astype("datetime64[us]")).where(happened)


def observation_dates(as_of, distinct: bool = False) -> list[pd.Timestamp]:
    """``as_of`` (one date or several) as a list of day-normalised timestamps, in the given order.

    Parameters
    ----------
    as_of : date-like or sequence of date-likes
    distinct : refuse a date given twice (a panel has one row per customer and date)

    Returns
    -------
    list of pandas.Timestamp

    Raises
    ------
    DataValidationError
        Naming ``as_of`` when a value is not a date, is missing (NaT) or none is given, or
        (``distinct``) repeats.

    Examples
    --------
    >>> observation_dates(["2020-06-30 13:00", "2019-12-31"])
    [Timestamp('2020-06-30 00:00:00'), Timestamp('2019-12-31 00:00:00')]
    """
    many = not isinstance(as_of, (str, pd.Timestamp, np.datetime64)) and np.ndim(as_of) > 0
    items = list(as_of) if many else [as_of]
    try:
        dates = [pd.Timestamp(x) for x in items]
    except (ValueError, TypeError) as exc:
        raise DataValidationError([Violation("as_of", f"is not a date ({exc})", "dates")]) from exc
    if not dates or any(pd.isna(d) for d in dates):
        raise DataValidationError([Violation("as_of", f"is {as_of!r}", "one or more dates, no NaT")])
    dates = [d.normalize() for d in dates]
    repeated = sorted({str(d.date()) for d in dates if dates.count(d) > 1}) if distinct else []
    if repeated:
        raise DataValidationError([Violation("as_of", f"repeats {repeated}", "distinct observation dates")])
    return dates


def _one_date(as_of) -> pd.Timestamp:
    dates = observation_dates(as_of)
    if len(dates) != 1:
        raise DataValidationError([Violation("as_of", f"has {len(dates)} dates", "a single date")])
    return dates[0]


def _months_before(t: pd.Timestamp, months: int) -> int:
    return int(_day([t - pd.DateOffset(months=months)])[0])


class _Prepared:
    """The ledger as integer-coded numpy arrays, with each invoice's settlement day."""

    def __init__(self, ledger: Ledger):
        inv, pay = ledger.invoices, ledger.payments
        self.ledger = ledger
        self.cust, self.customers = pd.factorize(inv["customer_id"], sort=True)
        self.n_cust = len(self.customers)
        self.issue = _day(inv["issue_date"])
        self.due = _day(inv["due_date"])
        self.amount = inv["amount"].to_numpy(dtype=float)
        self.pay_inv = ledger.payment_invoice_rows
        self.pay_day = _day(pay["payment_date"])
        self.pay_amount = pay["amount"].to_numpy(dtype=float)
        self.settle = self._settlement_days(ledger.tolerance)
        self.first_issue = np.full(self.n_cust, NEVER)
        np.minimum.at(self.first_issue, self.cust, self.issue)
        self.limit_order = _limit_order(ledger.credit_limits, self.customers)

    def _settlement_days(self, tolerance: float) -> np.ndarray:
        settle = np.full(len(self.amount), NEVER)
        zero = self.amount <= tolerance
        settle[zero] = self.issue[zero]            # nothing to pay: settled when issued
        first = np.full(len(self.amount), NEVER)
        count = np.bincount(self.pay_inv, minlength=len(self.amount))
        alone = count[self.pay_inv] == 1           # an invoice's only payment: settles it if it is enough
        inv, day = self.pay_inv[alone], self.pay_day[alone]
        done = self.pay_amount[alone] >= self.amount[inv] - tolerance
        first[inv[done]] = day[done]
        several = np.flatnonzero(~alone)           # the others in date order, each invoice's running total
        order = several[np.lexsort((self.pay_day[several], self.pay_inv[several]))]
        inv, day = self.pay_inv[order], self.pay_day[order]
        paid = np.cumsum(self.pay_amount[order])
        starts = np.r_[0, np.flatnonzero(inv[1:] != inv[:-1]) + 1]
        before = np.zeros(len(self.amount))
        before[inv[starts[1:]]] = paid[starts[1:] - 1]
        done = np.flatnonzero(paid - before[inv] >= self.amount[inv] - tolerance)
        earliest = done[np.diff(inv[done], prepend=-1) != 0]   # sorted: the first row per invoice
        first[inv[earliest]] = day[earliest]
        return np.minimum(settle, first)

    def paid_by(self, day: int, strict: bool = False) -> np.ndarray:
        """Amount paid per invoice on or before ``day`` (before it when ``strict``)."""
        keep = self.pay_day < day if strict else self.pay_day <= day
        return np.bincount(self.pay_inv[keep], weights=self.pay_amount[keep], minlength=len(self.amount))

    def outstanding(self, day: int) -> np.ndarray:
        """Open amount per invoice at ``day`` (0 if not yet issued or settled)."""
        open_ = (self.issue <= day) & (self.settle > day)
        return np.where(open_, np.maximum(self.amount - self.paid_by(day), 0.0), 0.0)

    def on_books(self, t: pd.Timestamp) -> np.ndarray:
        """Open amount per invoice at ``t`` still on the books: 0 for an invoice written off on or
        before ``t`` (004 第十七条 「列销账项」; it is still pursued off the books, 第十八条)."""
        return np.where(_written_off(self, t), 0.0, self.outstanding(int(_day([t])[0])))


def _prepare(ledger) -> _Prepared:
    if isinstance(ledger, _Prepared):
        return ledger
    if not isinstance(ledger, Ledger):
        raise DataValidationError([Violation("ledger", f"is a {type(ledger).__name__}",
                                             "a riskmodels.data.ledger.Ledger")])
    return _Prepared(ledger)


def _dpd_maxima(c, peak, settle, day: int, starts: list, n: int) -> np.ndarray:
    """Largest ``peak`` per customer (row) among invoices unpaid on some day of each window
    ``(start, day]`` (settled after its start; one column per start), then among those open
    at ``day`` (last column); 0 where there is none.

    One pass: each invoice falls in the class of the windows it was unpaid in (the windows
    are nested), the maxima per customer and class are cumulated from the longest window.

    Examples
    --------
    >>> _dpd_maxima(np.array([0, 0, 1]), np.array([5, 9, 4]), np.array([20, 40, 12]), 30, [25, 10], 2).tolist()
    [[9.0, 9.0, 9.0], [0.0, 4.0, 0.0]]
    """
    edges = np.unique(starts)
    k = len(edges) + 2
    cls = np.searchsorted(edges, settle, side="left") + (settle > day)  # windows it counts in; +1 when open
    table = np.zeros(n * k, dtype=peak.dtype)
    np.maximum.at(table, c * k + cls, peak)
    inside = np.maximum.accumulate(table.reshape(n, k)[:, ::-1], axis=1)[:, ::-1]  # class j and later
    columns = np.searchsorted(edges, starts, side="left") + 1
    return inside[:, [*columns, k - 1]].astype(float)


def _ratio(num, den) -> np.ndarray:
    out = np.full(len(num), np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _features_at(p: _Prepared, t: pd.Timestamp, config: FeatureConfig) -> pd.DataFrame:
    day = int(_day([t])[0])
    n = p.n_cust
    known = p.issue <= day
    c = p.cust[known]
    issue, due, amount, settle = p.issue[known], p.due[known], p.amount[known], p.settle[known]
    outstanding = p.on_books(t)[known]
    end = np.minimum(settle, day)
    peak = np.maximum(end - due, 0)                     # largest DPD each invoice reached by t
    out = _dpd_maxima(c, peak, settle, day, [_months_before(t, months) for months in config.dpd_windows], n)
    out = {"dpd_current": out[:, -1], **{f"dpd_max_{m}m": out[:, i] for i, m in enumerate(config.dpd_windows)}}

    lookback = _months_before(t, config.lookback_months)
    fell_due = (due <= day) & (due > lookback)
    cd, late, amt = c[fell_due], peak[fell_due].astype(float), amount[fell_due]
    count = np.bincount(cd, minlength=n).astype(float)
    on_time = np.bincount(cd, weights=(settle[fell_due] <= due[fell_due]), minlength=n)
    out["on_time_share"] = _ratio(on_time, count)
    out["avg_days_late"] = _ratio(np.bincount(cd, weights=late, minlength=n), count)
    out["weighted_days_late"] = _ratio(np.bincount(cd, weights=late * amt, minlength=n),
                                       np.bincount(cd, weights=amt, minlength=n))
    recent = due[fell_due] > _months_before(t, config.trend_months)
    mean_recent = _ratio(np.bincount(cd[recent], weights=late[recent], minlength=n),
                         np.bincount(cd[recent], minlength=n).astype(float))
    mean_early = _ratio(np.bincount(cd[~recent], weights=late[~recent], minlength=n),
                        np.bincount(cd[~recent], minlength=n).astype(float))
    out["late_trend"] = mean_recent - mean_early
    issued_recently = issue > lookback
    out["n_invoices"] = np.bincount(c[issued_recently], minlength=n).astype(float)
    out["tenure_months"] = np.where(p.first_issue <= day, months_between(np.minimum(p.first_issue, day), day), np.nan)
    volume = np.bincount(c[issued_recently], weights=amount[issued_recently], minlength=n)
    out["volume_share"] = volume / volume.sum() if volume.sum() > 0 else np.full(n, np.nan)
    total = np.bincount(c, weights=outstanding, minlength=n)
    out["outstanding"] = total
    out["overdue_amount"] = np.bincount(c, weights=np.where(due < day, outstanding, 0.0), minlength=n)
    out["limit_utilisation"] = _ratio(total, _limits_at(p, day))
    invoices = p.ledger.invoices
    for column, name in (("disputed", "n_disputes"), ("reminders", "n_reminders")):
        if column in invoices.columns:
            values = invoices[column].to_numpy()[known][issued_recently].astype(float)
            out[name] = np.bincount(c[issued_recently], weights=values, minlength=n)
    buckets = _bucket_amounts(c, outstanding, issue if config.ageing_basis == "issue" else due, day, config, n)
    for j, name in enumerate(config.bucket_names()):
        out[name] = np.divide(buckets[:, j], total, out=np.zeros(n), where=total > 0)
    frame = pd.DataFrame(out)
    frame.insert(0, "as_of", t)
    frame.insert(0, "customer_id", np.asarray(p.customers, dtype=object))
    return frame[p.first_issue <= day].reset_index(drop=True)


def _bucket_amounts(c, outstanding, start, day, config, n) -> np.ndarray:
    bucket = config.bucket_of(start, day)
    k = config.n_buckets()
    return np.bincount(c * k + bucket, weights=outstanding, minlength=n * k).reshape(n, k)


def _limit_order(table: pd.DataFrame | None, customers: pd.Index) -> tuple | None:
    """The credit-limit rows by customer, then valid-from day, then table order: their positions,
    customer codes and days (None without a limits table)."""
    if table is None or not len(table):
        return None
    codes = customers.get_indexer(table["customer_id"])
    days = (_day(table["valid_from"]) if "valid_from" in table.columns
            else np.full(len(table), np.iinfo(np.int64).min))  # no dates: every row valid
    order = np.lexsort((np.arange(len(table)), days, codes))
    return order, codes[order], days[order]


def _latest_limit_rows(p: _Prepared, day: int) -> tuple | None:
    """Per customer with a credit limit valid at ``day`` (its latest ``valid_from`` on or before
    it; without dates, its last row): the row's position in the limits table and the customer's
    code. None without a limits table."""
    if p.limit_order is None:
        return None
    order, codes, days = p.limit_order
    kept = np.flatnonzero(days <= day)  # a prefix of each customer's rows
    last = kept[np.r_[codes[kept][1:] != codes[kept][:-1], True]] if len(kept) else kept
    return order[last], codes[last]


def _latest_limits(p: _Prepared, day: int) -> pd.DataFrame | None:
    """The credit-limit row valid at ``day`` per customer (None without a limits table)."""
    latest = _latest_limit_rows(p, day)
    return None if latest is None else p.ledger.credit_limits.iloc[latest[0]]


def _limits_at(p: _Prepared, day: int) -> np.ndarray:
    """Credit limit per customer valid at ``day`` (NaN when there is none)."""
    limits = np.full(p.n_cust, np.nan)
    latest = _latest_limit_rows(p, day)
    if latest is not None:
        rows, codes = latest
        limits[codes] = p.ledger.credit_limits["limit"].to_numpy(dtype=float)[rows]
    return limits


def payment_features(ledger, as_of, config: FeatureConfig | None = None) -> pd.DataFrame:
    """Payment-history features per customer at one or more observation dates.

    Parameters
    ----------
    ledger : Ledger
        The validated receivables ledger.
    as_of : date-like or sequence of date-likes
        Observation dates; only invoices issued and payments made on or before
        each date are used.
    config : FeatureConfig or None
        Windows and ageing buckets (defaults when ``None``).

    Returns
    -------
    pandas.DataFrame
        One row per customer (with an invoice issued by then) and date:
        ``customer_id``, ``as_of`` and the feature columns of the module docstring.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-05-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31", "2024-05-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> f = payment_features(Ledger(inv, Ledger.empty_payments()), ["2024-03-01", "2024-06-30"])
    >>> f[["customer_id", "dpd_current", "age_31_60"]].values.tolist()
    [['a', 30.0, 1.0], ['a', 151.0, 0.0], ['b', 30.0, 1.0]]
    """
    config = FeatureConfig() if config is None else config
    p = _prepare(ledger)
    return pd.concat([_features_at(p, t, config) for t in observation_dates(as_of)], ignore_index=True)


def ageing_report(ledger, as_of, config: FeatureConfig | None = None) -> pd.DataFrame:
    """Open amounts per customer and ageing bucket at one date (the 账龄分析 table).

    Parameters
    ----------
    ledger : Ledger
    as_of : date-like
    config : FeatureConfig or None
        Bucket bounds and the basis of the age (issue or due date).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (customers with an open amount), one column
        per bucket plus ``total``; a last row ``all`` sums the columns. Invoices written
        off on or before ``as_of`` (``Ledger.write_offs`` rows with their ``invoice_id``) are
        not open debt: they are tracked in the write-off file (004 第十八条), not aged. With the
        ledger's dunning steps, ``last_step`` and ``last_step_date`` say what was last done
        about each customer's debt ("" / NaT on the ``all`` row).

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a", "a"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-05-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31", "2024-05-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> ageing_report(Ledger(inv, Ledger.empty_payments()), "2024-06-15")[["age_31_60", "age_91_180", "total"]]
                 age_31_60  age_91_180  total
    customer_id
    a                 20.0        10.0   30.0
    all               20.0        10.0   30.0
    """
    config = FeatureConfig() if config is None else config
    t = _one_date(as_of)
    p = _prepare(ledger)
    day = int(_day([t])[0])
    outstanding = p.on_books(t)
    amounts = _bucket_amounts(p.cust, outstanding, p.issue if config.ageing_basis == "issue" else p.due, day,
                              config, p.n_cust)
    table = pd.DataFrame(amounts, columns=config.bucket_names(),
                         index=pd.Index(np.asarray(p.customers, dtype=object), name="customer_id"))
    table["total"] = table.sum(axis=1)
    keep = table["total"].to_numpy() > 0
    table = table[keep]
    table.loc["all"] = table.sum(axis=0)
    if p.ledger.collection_events is not None:  # what was done about the debt (004 第二十九条)
        steps = _last_steps(p, t)
        table["last_step"] = [*steps["last_step"][keep], ""]
        table["last_step_date"] = pd.to_datetime([*steps["last_step_date"][keep], pd.NaT])
    return table


def default_flags(ledger, as_of, definition: DefaultDefinition | None = None) -> pd.DataFrame:
    """Default flag per customer over the performance window after each observation date.

    Parameters
    ----------
    ledger : Ledger
    as_of : date-like or sequence of date-likes
        Observation dates ``t``; the window is ``(t, t + horizon_months]``.
    definition : DefaultDefinition or None
        The default definition (90 DPD on any amount, or a write-off, over 12 months).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``as_of``, ``default`` (int8), ``default_date`` (first
        event in the window, NaT if none), ``defaulted_at_obs`` (already in
        default at ``t``: an invoice at or past the threshold still unpaid, or
        a write-off in the 12 months up to ``t``; such rows are usually
        excluded from a development sample) and ``window_complete`` (the
        ledger's last dated event is at or after the window's end).

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31", "2024-01-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> pay = pd.DataFrame({"invoice_id": ["2"], "payment_date": pd.to_datetime(["2024-02-20"]),
    ...                     "amount": [20.0]})
    >>> default_flags(Ledger(inv, pay), "2024-01-15")[["customer_id", "default", "default_date"]]
      customer_id  default default_date
    0           a        1   2024-04-30
    1           b        0          NaT
    """
    definition = DefaultDefinition() if definition is None else definition
    p = _prepare(ledger)
    event = (p.due + definition.dpd_threshold if definition.dpd_years is None
             else add_months(p.due, 12 * definition.dpd_years))
    unpaid = p.amount - _paid_before(p, event)
    material = (unpaid >= np.maximum(definition.materiality_abs, definition.materiality_rel * p.amount)) & (
        unpaid > p.ledger.tolerance)
    hits = (p.settle >= event) & material
    ev_cust, ev_day, ev_settle = p.cust[hits], event[hits], p.settle[hits]
    wo = p.ledger.write_offs
    if definition.write_offs and wo is not None and len(wo):
        wo_cust = p.customers.get_indexer(wo["customer_id"])
        wo_day = _day(wo["write_off_date"])
    else:
        wo_cust, wo_day = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    last_event = max(int(p.issue.max()), int(p.pay_day.max()) if len(p.pay_day) else 0,
                     int(wo_day.max()) if len(wo_day) else 0)
    frames = []
    for t in observation_dates(as_of):
        day = int(_day([t])[0])
        horizon = int(_day([t + pd.DateOffset(months=definition.horizon_months)])[0])
        first = np.full(p.n_cust, NEVER)
        in_window = (ev_day > day) & (ev_day <= horizon)
        np.minimum.at(first, ev_cust[in_window], ev_day[in_window])
        w_in = (wo_day > day) & (wo_day <= horizon)
        np.minimum.at(first, wo_cust[w_in], wo_day[w_in])
        now = np.zeros(p.n_cust, dtype=bool)
        now[ev_cust[(ev_day <= day) & (ev_settle > day)]] = True
        now[wo_cust[(wo_day <= day) & (wo_day > _months_before(t, 12))]] = True
        keep = p.first_issue <= day
        frame = pd.DataFrame({
            "customer_id": np.asarray(p.customers, dtype=object), "as_of": t,
            "default": (first < NEVER).astype(np.int8), "default_date": _dates(first),
            "defaulted_at_obs": now, "window_complete": last_event >= horizon})
        frames.append(frame[keep])
    return pd.concat(frames, ignore_index=True)


def _paid_before(p: _Prepared, day_per_invoice: np.ndarray) -> np.ndarray:
    """Amount paid per invoice strictly before that invoice's own day."""
    keep = p.pay_day < day_per_invoice[p.pay_inv]
    return np.bincount(p.pay_inv[keep], weights=p.pay_amount[keep], minlength=len(p.amount))


def build_panel(ledger, as_of, config: FeatureConfig | None = None,
                definition: DefaultDefinition | None = None) -> pd.DataFrame:
    """Features at each observation date joined with the default flag of the window after it.

    Parameters
    ----------
    ledger : Ledger
    as_of : date-like or sequence of date-likes
    config : FeatureConfig or None
    definition : DefaultDefinition or None

    Returns
    -------
    pandas.DataFrame
        One row per customer-period: the columns of :func:`payment_features`
        plus ``default``, ``default_date``, ``defaulted_at_obs`` and ``window_complete``.

    Examples
    --------
    >>> from riskmodels.data.ledger import ibm_ar_ledger
    >>> panel = build_panel(ibm_ar_ledger(), ["2012-12-31", "2013-06-30"],
    ...                     definition=DefaultDefinition(dpd_threshold=30))
    >>> len(panel), int(panel["default"].sum())
    (200, 5)
    """
    dates = observation_dates(as_of, distinct=True)  # one row per customer and date: the join below
    p = _prepare(ledger)
    feats = payment_features(p, dates, config)
    flags = default_flags(p, dates, definition)
    return feats.merge(flags, on=["customer_id", "as_of"], how="left", validate="one_to_one")


WARNING_SIGNALS = ("office_moved_down", "staff_turnover", "lawsuits")


def early_warning(ledger, as_of, margin_days: int = 15, limit_warning: float = 0.9,
                  safe_age_days: float = 90.0, signals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The documents' early-warning table: receivables nearing the safe age, the limit or the contract end.

    Each customer has a safe ageing period (保险账龄期; ``safe_age_days`` in the
    credit-limits table, else the default given here), a credit limit and
    possibly a contract end. Debts about to reach one of them raise a warning (004 第二十八条
    「即将到达」); debts *over* them are collected at once (第二十九条 「超过保险帐龄期、授信额度以及
    合同期限…立即…追讨」). 超过 excludes the number (民法典 第一千二百五十九条), read the same way
    for all three: an invoice aged exactly the safe period, a limit used exactly 100 % and the
    contract's last day are "warning", the next day / any amount more is "collect now".
    Invoices written off on or before ``as_of`` are not open debt. The ledger's dunning
    steps (``Ledger.collection_events``) show in ``last_step`` / ``last_step_date``.

    Parameters
    ----------
    ledger : Ledger
    as_of : date-like
    margin_days : int
        How close (days) to the safe age or the contract end counts as approaching.
    limit_warning : float
        Utilisation of the credit limit from which a warning is raised.
    safe_age_days : float
        Safe ageing period for customers without their own.
    signals : pandas.DataFrame or None
        The danger signals of 002 客户资信调查管理办法 第五条, one row per customer:
        ``customer_id`` and any of the true/false columns ``office_moved_down`` (办公地点由高档
        向低档搬迁), ``staff_turnover`` (频繁转换管理层、业务人员), ``lawsuits`` (受到法律诉讼、
        仲裁). A customer with a signal gets ``warning_signals`` (their names), at least a
        "warning" and ``rerate`` True (第四条: 重新评估客户资信等级), and keeps its row even
        with nothing open (a lawsuit matters before the next delivery).

    Returns
    -------
    pandas.DataFrame
        One row per customer with an open amount (or a signal) at ``as_of``: ``outstanding``,
        ``oldest_age_days``, ``safe_age_days``, ``limit_utilisation``,
        ``contract_end``, the flags ``near_safe_age``, ``past_safe_age``,
        ``near_limit``, ``over_limit``, ``near_contract_end``,
        ``past_contract_end``, with dunning events ``last_step`` and ``last_step_date``,
        and ``action`` ("collect now", "warning" or "ok"), most urgent first.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-03-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31", "2024-03-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> ew = early_warning(Ledger(inv, Ledger.empty_payments()), "2024-04-20")
    >>> ew[["customer_id", "oldest_age_days", "near_safe_age", "past_safe_age", "action"]]
      customer_id  oldest_age_days  near_safe_age  past_safe_age        action
    0           a            110.0          False           True  collect now
    1           b             50.0          False          False            ok
    """
    t = _one_date(as_of)
    p = _prepare(ledger)
    day = int(_day([t])[0])
    gone = _written_off(p, t)
    open_ = (p.issue <= day) & (p.settle > day) & ~gone
    total = np.bincount(p.cust, weights=p.on_books(t), minlength=p.n_cust)
    oldest = np.full(p.n_cust, -1.0)
    np.maximum.at(oldest, p.cust[open_], (day - p.issue[open_]).astype(float))
    safe = np.full(p.n_cust, float(safe_age_days))
    contract_end = np.full(p.n_cust, NEVER)
    latest = _latest_limits(p, day)
    if latest is not None:
        where = p.customers.get_indexer(latest["customer_id"])
        if "safe_age_days" in latest.columns:
            safe[where] = latest["safe_age_days"].to_numpy(dtype=float)
        if "contract_end" in latest.columns:
            ends = latest["contract_end"]
            contract_end[where[ends.notna().to_numpy()]] = _day(ends.dropna())
    utilisation = _ratio(total, _limits_at(p, day))
    to_end = contract_end - day
    past_safe = compare(oldest, "超过", safe)
    over_limit = compare(utilisation, "超过", 1.0)
    flags = {
        "near_safe_age": (oldest >= 0) & compare(oldest, "以上", safe - margin_days) & ~past_safe,
        "past_safe_age": past_safe,
        "near_limit": compare(utilisation, "以上", limit_warning) & ~over_limit,
        "over_limit": over_limit,
        "near_contract_end": (contract_end < NEVER) & (to_end >= 0) & (to_end <= margin_days),
        "past_contract_end": (contract_end < NEVER) & (to_end < 0),
    }
    collect = flags["past_safe_age"] | flags["over_limit"] | flags["past_contract_end"]
    warn = flags["near_safe_age"] | flags["near_limit"] | flags["near_contract_end"]
    named = _warning_signals(signals, p.customers)
    extra = {}
    keep = total > 0
    if named is not None:
        extra = {"warning_signals": named, "rerate": named != ""}
        warn = warn | (named != "")
        keep = keep | (named != "")
    if p.ledger.collection_events is not None:
        extra.update(_last_steps(p, t))
    frame = pd.DataFrame({
        "customer_id": np.asarray(p.customers, dtype=object), "as_of": t, "outstanding": total,
        "oldest_age_days": oldest, "safe_age_days": safe, "limit_utilisation": utilisation,
        "contract_end": _dates(contract_end),
        **flags, **extra, "action": np.where(collect, "collect now", np.where(warn, "warning", "ok"))})
    frame = frame[keep]
    urgency = frame["action"].map({"collect now": 0, "warning": 1, "ok": 2})
    return (frame.assign(_u=urgency).sort_values(["_u", "oldest_age_days"], ascending=[True, False],
                                                 kind="stable").drop(columns="_u").reset_index(drop=True))


def _written_off(p: _Prepared, t: pd.Timestamp) -> np.ndarray:
    """Per invoice, whether a write-off of it is dated on or before ``t``."""
    return written_off_invoices(p.ledger, t)


def _last_steps(p: _Prepared, t: pd.Timestamp) -> dict:
    """Per customer, the latest dunning step on or before ``t`` and its date ("" / NaT if none)."""
    events = p.ledger.collection_events
    days = _day(events["event_date"])
    seen = days <= int(_day([t])[0])
    order = np.lexsort((days[seen], p.customers.get_indexer(events["customer_id"][seen])))
    rows = events[seen].iloc[order].assign(_d=days[seen][order]).drop_duplicates("customer_id", keep="last")
    where = p.customers.get_indexer(rows["customer_id"])
    step = np.full(p.n_cust, "", dtype=object)
    when = np.full(p.n_cust, NEVER)
    step[where] = rows["step"].to_numpy(dtype=object)
    when[where] = rows["_d"].to_numpy()
    return {"last_step": step, "last_step_date": _dates(when)}


def _warning_signals(signals, customers) -> np.ndarray | None:
    """Per customer of the ledger, the names of its danger signals joined by ", " ("" = none)."""
    if signals is None:
        return None
    present = [c for c in WARNING_SIGNALS if c in signals.columns]
    if "customer_id" not in signals.columns or not present:
        raise DataValidationError([Violation("signals", f"has columns {list(signals.columns)}",
                                             f"customer_id and at least one of {list(WARNING_SIGNALS)}")])
    out = np.full(len(customers), "", dtype=object)
    where = pd.Index(customers).get_indexer(signals["customer_id"].astype(str))
    for name in present:
        hit = signals[name].fillna(False).to_numpy(dtype=bool) & (where >= 0)
        rows = where[hit]
        out[rows] = np.where(out[rows] == "", name, out[rows] + ", " + name)
    return out


def bad_debt_candidates(ledger, as_of, years: int = 3, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open invoices that meet a bad-debt condition of 004 清欠管理制度 第十四条 (write-off candidates).

    1. the debtor died / 2. went bankrupt (``events``: ``customer_id`` and ``event`` in
    {"death", "bankruptcy"}) and the estate does not cover the debt; 3. unpaid for a long
    time, generally three years or more (一般指3年以上): from the due date plus ``years``
    calendar years on, that day included (以上 includes the number, 民法典 第一千二百五十九条;
    the corresponding day or the month's last day, 第二百零二条). Invoices
    already written off on or before ``as_of`` are left out: they are tracked in the
    ledger's ``write_offs`` (第十八条: 建立坏账核销档案 … 不要放弃追索). Candidates still need
    the evidence and approval of 第十五、十六条 before they are written off.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``invoice_id``, ``due_date``, ``open_amount``, ``days_past_due``,
        ``reason`` ("unpaid 3 years or more", "death", "bankruptcy"), oldest first.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2020-01-01", "2023-01-01"]),
    ...                     "due_date": pd.to_datetime(["2020-01-31", "2023-01-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> bad_debt_candidates(Ledger(inv, Ledger.empty_payments()), "2024-01-31")[["invoice_id", "reason"]]
      invoice_id                reason
    0          1  unpaid 3 years or more
    """
    t = _one_date(as_of)
    p = _prepare(ledger)
    day = int(_day([t])[0])
    open_amount = p.outstanding(day)
    dpd = (day - p.due).astype(float)
    if not (isinstance(years, int | np.integer) and years >= 1):
        raise DataValidationError([Violation("years", f"is {years!r}", "whole calendar years >= 1")])
    reason = np.where((open_amount > 0) & reached(p.due, day, years=years), f"unpaid {years} years or more", "")
    if events is not None:
        if not {"customer_id", "event"} <= set(events.columns):
            raise DataValidationError([Violation("events", f"has columns {list(events.columns)}",
                                                 "customer_id and event (death | bankruptcy)")])
        bad = ~events["event"].isin(["death", "bankruptcy"])
        if bad.any():
            raise DataValidationError([violation("events.event", "unknown events", events.index[bad.to_numpy()],
                                                  "death or bankruptcy")])
        for event in ("bankruptcy", "death"):
            who = pd.Index(p.customers).get_indexer(events.loc[events["event"] == event, "customer_id"].astype(str))
            hit = np.isin(p.cust, who[who >= 0]) & (open_amount > 0)
            reason = np.where(hit, event, reason)
    inv = p.ledger.invoices
    keep = (reason != "") & ~_written_off(p, t)
    out = pd.DataFrame({"customer_id": inv["customer_id"].to_numpy()[keep],
                        "invoice_id": inv["invoice_id"].to_numpy()[keep],
                        "due_date": inv["due_date"].to_numpy()[keep], "open_amount": open_amount[keep],
                        "days_past_due": dpd[keep], "reason": reason[keep]})
    return out.sort_values("days_past_due", ascending=False, kind="stable").reset_index(drop=True)


INTERRUPTING_STEPS = ("written_notice", "agreement", "confirmation")
"""Dunning steps that start a claim's limitation period again (民法典 第一百九十五条)."""


def limitation_watch(ledger, as_of, years: int = 3, warn_days: int = 90) -> pd.DataFrame:
    """Open claims with their last written confirmation and the day their limitation period ends.

    004 第二十六条 「…加强对债权的账龄分析以及时效性控制,定期组织对债权进行书面签认,以确保债权追索上的
    法律时效性」. A claim's limitation period runs from its due date and starts again from each
    written demand or confirmation on file: three years (民法典 第一百八十八条), restarted by the
    creditor's demand or the debtor's consent to pay (第一百九十五条) — the ledger's dunning steps
    ``written_notice``, ``agreement`` and ``confirmation`` (书面签认); a call leaves no written
    proof and does not count. The period ends on the corresponding day (第二百零二条).

    Parameters
    ----------
    ledger : Ledger
        With ``collection_events`` (an event without ``invoice_id`` covers all the customer's claims).
    as_of : date-like
    years : int
        The limitation period (3).
    warn_days : int
        Days before the end from which a claim is flagged for a written confirmation.

    Returns
    -------
    pandas.DataFrame
        One row per invoice open at ``as_of`` (written-off ones too: 004 第十八条 不要放弃追索):
        ``customer_id``, ``invoice_id``, ``open_amount``, ``due_date``, ``last_confirmation``
        (NaT if none), ``limitation_ends``, ``days_left`` and ``action`` ("lapsed" once the end
        has passed, "confirm in writing" within ``warn_days``, else "ok"), nearest end first.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"], "issue_date": pd.to_datetime(["2021-01-01"]),
    ...                     "due_date": pd.to_datetime(["2021-01-31"]), "amount": [100.0]})
    >>> limitation_watch(Ledger(inv, Ledger.empty_payments()), "2023-12-01")[["limitation_ends", "action"]]
      limitation_ends              action
    0      2024-01-31  confirm in writing
    """
    if not (isinstance(years, int | np.integer) and years >= 1) or not warn_days >= 0:
        raise DataValidationError([Violation("years", f"is {years!r} (warn_days {warn_days!r})",
                                             "whole years >= 1 and warn_days >= 0")])
    t = _one_date(as_of)
    p = _prepare(ledger)
    day = int(_day([t])[0])
    open_amount = p.outstanding(day)
    last = np.full(len(p.amount), -NEVER)
    events = p.ledger.collection_events
    if events is not None and len(events):
        ev = events[events["step"].isin(INTERRUPTING_STEPS).to_numpy() & (_day(events["event_date"]) <= day)]
        ev_day = _day(ev["event_date"])
        own = ev["invoice_id"].notna().to_numpy() if "invoice_id" in ev.columns else np.zeros(len(ev), bool)
        invoice_ids = pd.Index(p.ledger.invoices["invoice_id"])
        np.maximum.at(last, invoice_ids.get_indexer(ev["invoice_id"][own]) if own.any() else np.empty(0, int),
                      ev_day[own])
        by_customer = np.full(p.n_cust, -NEVER)
        np.maximum.at(by_customer, p.customers.get_indexer(ev["customer_id"][~own]), ev_day[~own])
        last = np.maximum(last, by_customer[p.cust])
    ends = add_months(np.maximum(p.due, last), 12 * int(years))
    left = ends - day
    keep = open_amount > 0
    inv = p.ledger.invoices
    out = pd.DataFrame({"customer_id": inv["customer_id"].to_numpy(dtype=object)[keep],
                        "invoice_id": inv["invoice_id"].to_numpy(dtype=object)[keep],
                        "open_amount": open_amount[keep], "due_date": _dates(p.due[keep]),
                        "last_confirmation": _dates(np.where(last[keep] > -NEVER, last[keep], NEVER)),
                        "limitation_ends": _dates(ends[keep]), "days_left": left[keep],
                        "action": np.where(left < 0, "lapsed", np.where(left <= warn_days, "confirm in writing",
                                                                          "ok"))[keep]})
    return out.sort_values(["days_left", "invoice_id"], kind="stable").reset_index(drop=True)


TAIWAN_STATUS = ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")  # September back to April 2005
TAIWAN_BILLS = tuple(f"BILL_AMT{i}" for i in range(1, 7))
TAIWAN_PAID = tuple(f"PAY_AMT{i}" for i in range(1, 7))


def taiwan_features(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Taiwan card data (Yeh & Lien 2009) mapped to the ledger feature names.

    PAY_0, PAY_2..PAY_6 are the repayment status of September back to April
    2005: -2 no consumption, -1 paid in full, 0 revolving credit (minimum paid,
    not late), k >= 1 payment delayed k months. A status k >= 1 is taken as
    ``30 * k`` days past due at the month's statement. Mapping (same meaning,
    monthly resolution):

    * ``dpd_current`` = 30 * max(PAY_0, 0); ``dpd_max_3m`` / ``dpd_max_6m`` =
      30 * the largest status of the last 3 / 6 months; ``dpd_max_12m`` and
      ``dpd_max_24m`` are NaN (only six months are observed);
    * ``on_time_share`` = share of months with a bill (status != -2) whose
      status is <= 0; ``avg_days_late`` = mean 30 * max(status, 0) over those
      months; ``weighted_days_late`` weights them by the bill amount (positive part);
    * ``late_trend`` = mean days late of the last 3 months minus the earlier 3;
    * ``n_invoices`` = months with a bill; ``tenure_months`` NaN (not in the data);
    * ``outstanding`` = BILL_AMT1 (positive part); ``limit_utilisation`` =
      BILL_AMT1 / LIMIT_BAL; ``payment_ratio`` = PAY_AMT1 / BILL_AMT2 (the
      September payment over the August bill; NaN without a positive bill);
    * ``default`` = ``target`` (default payment next month).

    Parameters
    ----------
    frame : pandas.DataFrame or None
        Output of :func:`riskmodels.data.load_taiwan` (loaded when ``None``).

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` (the UCI ``ID`` as str), the features above, ``default``.

    Examples
    --------
    >>> t = taiwan_features()
    >>> t.shape, round(float(t["on_time_share"].mean()), 4)
    ((30000, 16), 0.8238)
    """
    if frame is None:
        from riskmodels.data.loaders import load_taiwan

        frame = load_taiwan()
    Schema([Column("ID", "integer"), Column("LIMIT_BAL", "number", min=0)]
           + [Column(c, "integer", min=-2, max=9) for c in TAIWAN_STATUS]
           + [Column(c, "number") for c in TAIWAN_BILLS]
           + [Column(c, "number", min=0) for c in TAIWAN_PAID]
           + [Column("target", "integer", min=0, max=1)], name="taiwan").validate(frame)
    status = frame[list(TAIWAN_STATUS)].to_numpy(dtype=float)
    bills = frame[list(TAIWAN_BILLS)].to_numpy(dtype=float)
    billed = status != -2
    late_days = 30.0 * np.clip(status, 0, None)
    n_billed = billed.sum(axis=1).astype(float)
    out = pd.DataFrame({"customer_id": frame["ID"].astype(str).to_numpy(dtype=object)})
    out["dpd_current"] = late_days[:, 0]
    out["dpd_max_3m"] = late_days[:, :3].max(axis=1)
    out["dpd_max_6m"] = late_days.max(axis=1)
    out["dpd_max_12m"] = np.nan
    out["dpd_max_24m"] = np.nan
    out["on_time_share"] = _ratio(((status <= 0) & billed).sum(axis=1).astype(float), n_billed)
    out["avg_days_late"] = _ratio(np.where(billed, late_days, 0.0).sum(axis=1), n_billed)
    weights = np.where(billed, np.clip(bills, 0, None), 0.0)
    out["weighted_days_late"] = _ratio((weights * late_days).sum(axis=1), weights.sum(axis=1))
    recent = _ratio(np.where(billed[:, :3], late_days[:, :3], 0.0).sum(axis=1),
                    billed[:, :3].sum(axis=1).astype(float))
    earlier = _ratio(np.where(billed[:, 3:], late_days[:, 3:], 0.0).sum(axis=1),
                     billed[:, 3:].sum(axis=1).astype(float))
    out["late_trend"] = recent - earlier
    out["n_invoices"] = n_billed
    out["tenure_months"] = np.nan
    out["outstanding"] = np.clip(bills[:, 0], 0, None)
    out["limit_utilisation"] = _ratio(bills[:, 0], frame["LIMIT_BAL"].to_numpy(dtype=float))
    out["payment_ratio"] = _ratio(frame["PAY_AMT1"].to_numpy(dtype=float), bills[:, 1])
    out["default"] = frame["target"].to_numpy().astype(np.int8)
    return out


__all__ = ["FeatureConfig", "DefaultDefinition", "payment_features", "default_flags", "build_panel",
           "ageing_report", "early_warning", "bad_debt_candidates", "limitation_watch", "taiwan_features",
           "PAYMENT_FEATURES", "WARNING_SIGNALS", "INTERRUPTING_STEPS", "observation_dates",
           "written_off_invoices"]


def written_off_invoices(ledger, as_of) -> np.ndarray:
    """Per invoice (in the ledger's order), whether a write-off of it is dated on or before ``as_of``.

    Examples
    --------
    >>> import pandas as pd
    >>> from riskmodels.data.ledger import Ledger
    >>> inv = pd.DataFrame({"customer_id": ["a", "a"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2020-01-01", "2020-02-01"]),
    ...                     "due_date": pd.to_datetime(["2020-01-31", "2020-03-02"]), "amount": [5.0, 7.0]})
    >>> wo = pd.DataFrame({"customer_id": ["a"], "write_off_date": pd.to_datetime(["2023-06-30"]),
    ...                    "amount": [5.0], "reason": ["unpaid_3y"], "invoice_id": ["1"]})
    >>> written_off_invoices(Ledger(inv, Ledger.empty_payments(), write_offs=wo), "2023-12-31").tolist()
    [True, False]
    """
    wo = ledger.write_offs
    if wo is None or "invoice_id" not in wo.columns or not len(wo):
        return np.zeros(len(ledger.invoices), dtype=bool)
    day = int(_day([_one_date(as_of)])[0])
    done = wo.loc[(_day(wo["write_off_date"]) <= day) & wo["invoice_id"].notna().to_numpy(), "invoice_id"]
    return ledger.invoices["invoice_id"].isin(done).to_numpy()
