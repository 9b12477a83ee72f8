"""Which reviews are due per customer on a date, and why; whether a limit still holds.

The documents' review rules:

============== ==================================================================================
review         rule (source)
============== ==================================================================================
year_end       every year in the last month's 25th–30th (002 客户分级管理制度 5.1.1 「每年末月的25—30日」;
               000 五 4 「每年末…形成书面的年审评价报告…调整客户信用等级与授信额度」); another
               version holds it in March (「每年初3月份的25—30日」): ``year_end_month=3``. Due from
               the window's first day until a year-end review is recorded on or after it.
vip_quarterly  VIP customers each quarter (「VIP客户不采用终身制,依季度评定」): due from the quarter's
               first day until a review of the quarter.
over_limit     customers over their limit, half-yearly (002 4.2 「半年召开会议…对已交易且超信贷情况的
               客户信贷额度及放帐数期进行评估」): due when over the limit and no such review in the
               last six calendar months.
new_customer   after six months of business (「在合作满六个月后,进行评估」): due from the day six
               calendar months after the first invoice (满 includes it) until a review on or after it.
new_statements re-rating on new statements (003 「定期评估:每年根据客户最新年度财务报表…进行评级更新」):
               due when statements dated after the last rating are on file.
============== ==================================================================================

Limits: a one-time limit holds once (002 五.5 「客户本次所申请的信用额度若被批准,只适用本次,若有需要,
再行申请」): it lapses when used; a blacklisted customer's limit is 0 (000 五 5); a standing limit
holds until the review that adjusts it.

Examples
--------
>>> import pandas as pd
>>> customers = pd.DataFrame({"customer_id": ["a"], "tier": ["VIP"], "first_invoice": ["2023-01-10"]})
>>> held = pd.DataFrame({"customer_id": ["a"], "review_date": ["2023-12-28"], "kind": ["year_end"]})
>>> reviews_due(customers, held, "2024-12-26")[["customer_id", "due", "year_end", "vip_quarterly"]]
  customer_id                     due  year_end  vip_quarterly
0           a  year_end, vip_quarterly      True           True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.data.periods import add_months, date_to_day, reached
from riskmodels.errors import DataValidationError, Violation

REVIEWS = ("year_end", "vip_quarterly", "over_limit", "new_customer", "new_statements")
"""The review kinds, in the order of the output columns."""

_WHY = {
    "year_end": "year-end review (002 每年末月的25—30日; 000 年审评价报告)",
    "vip_quarterly": "VIP quarterly review (依季度评定)",
    "over_limit": "over the limit, half-yearly review (002 4.2)",
    "new_customer": "six months of business (合作满六个月后,进行评估)",
    "new_statements": "new statements since the last rating (003 根据客户最新年度财务报表…评级更新)",
}


def _days(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as day numbers; missing (or absent) → a day before any other (never)."""
    never = np.full(len(frame), np.iinfo(np.int64).min // 4)
    if column not in frame.columns:
        return never
    try:
        stamps = pd.to_datetime(frame[column])
    except (TypeError, ValueError) as exc:
        raise DataValidationError([Violation(column, f"holds values that are not dates ({exc})", "dates")]) from exc
    values = stamps.to_numpy().astype("datetime64[D]").astype(np.int64)
    return np.where(stamps.isna().to_numpy(), never, values)


def _last_review(customers: pd.DataFrame, reviews: pd.DataFrame | None, kinds: tuple) -> np.ndarray:
    """Per customer, the day of the latest review of one of ``kinds`` (never when none)."""
    out = np.full(len(customers), np.iinfo(np.int64).min // 4)
    if reviews is None or not len(reviews):
        return out
    missing = [c for c in ("customer_id", "review_date", "kind") if c not in reviews.columns]
    if missing:
        raise DataValidationError([Violation(f"reviews.{c}", "missing column", "customer_id, review_date, kind")
                                   for c in missing])
    own = reviews[reviews["kind"].isin(kinds)]
    where = pd.Index(customers["customer_id"].astype(str)).get_indexer(own["customer_id"].astype(str))
    days = _days(own, "review_date")
    np.maximum.at(out, where[where >= 0], days[where >= 0])
    return out


def reviews_due(customers: pd.DataFrame, reviews: pd.DataFrame | None, as_of, *, year_end_month: int = 12,
                year_end_days: tuple = (25, 30), vip_tier: str = "VIP", over_limit_months: int = 6,
                new_customer_months: int = 6) -> pd.DataFrame:
    """Per customer on ``as_of``: the reviews due and why, and whether its limit still holds.

    Parameters
    ----------
    customers : pandas.DataFrame
        ``customer_id`` and any of: ``tier`` (value tier; VIP reviewed quarterly),
        ``first_invoice`` (date), ``over_limit`` (bool, e.g. from ``early_warning``),
        ``statement_date`` (latest financial statements on file), ``last_rated`` (date),
        ``limit_kind`` ("standing" or "one_time"), ``limit_used`` (date the one-time limit
        was drawn, empty if not), ``blacklisted`` (bool). A column that is absent rules
        nothing out and nothing in.
    reviews : pandas.DataFrame or None
        Reviews held: ``customer_id``, ``review_date``, ``kind`` (one of :data:`REVIEWS`),
        e.g. ``CreditRegister.read_file(...)["reviews"]``.
    as_of : date-like
    year_end_month, year_end_days : the year-end window (December 25–30 by default).
    vip_tier : the tier reviewed quarterly.
    over_limit_months, new_customer_months : calendar months of the two spans.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``due`` (the review kinds due, joined), one boolean column per
        kind of :data:`REVIEWS`, ``why`` (the rules, joined by "; "), ``limit_valid`` and
        ``limit_note``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": ["n", "o"], "first_invoice": ["2024-01-31", "2024-02-01"],
    ...                   "limit_kind": ["one_time", "one_time"], "limit_used": ["2024-05-02", None]})
    >>> out = reviews_due(c, None, "2024-07-31")
    >>> out[["customer_id", "new_customer", "limit_valid"]].values.tolist()
    [['n', True, False], ['o', False, True]]
    """
    if "customer_id" not in customers.columns:
        raise DataValidationError([Violation("customer_id", "missing column", "one row per customer")])
    if not 1 <= int(year_end_month) <= 12 or not 1 <= year_end_days[0] <= year_end_days[1] <= 31:
        raise DataValidationError([Violation("year_end", f"is month {year_end_month!r}, days {year_end_days!r}",
                                             "a month 1–12 and days first <= last")])
    t = pd.Timestamp(as_of).normalize()
    day = date_to_day(t)
    n = len(customers)
    start_this = date_to_day(pd.Timestamp(t.year, year_end_month, year_end_days[0]))
    window = start_this if day >= start_this else date_to_day(pd.Timestamp(t.year - 1, year_end_month,
                                                                           year_end_days[0]))
    first = _days(customers, "first_invoice")
    known = first > np.iinfo(np.int64).min // 4
    due = {}
    due["year_end"] = (~known | (first < window)) & (_last_review(customers, reviews, ("year_end",)) < window)
    quarter = date_to_day(t.to_period("Q").start_time)
    vip = (customers["tier"].astype(str) == vip_tier).to_numpy() if "tier" in customers.columns else np.zeros(n, bool)
    due["vip_quarterly"] = vip & (_last_review(customers, reviews, ("vip_quarterly", "year_end")) < quarter)
    over = (customers["over_limit"].fillna(False).to_numpy(dtype=bool) if "over_limit" in customers.columns
            else np.zeros(n, bool))
    last_over = _last_review(customers, reviews, ("over_limit",))
    never = last_over <= np.iinfo(np.int64).min // 4
    due["over_limit"] = over & (never | reached(np.where(never, 0, last_over), day, months=over_limit_months))
    six = add_months(np.where(known, first, 0), new_customer_months)
    due["new_customer"] = known & (day >= six) & (_last_review(customers, reviews, REVIEWS) < six)
    statements, rated = _days(customers, "statement_date"), _days(customers, "last_rated")
    due["new_statements"] = (statements > np.iinfo(np.int64).min // 4) & (statements <= day) & (statements > rated)
    flags = np.column_stack([due[k] for k in REVIEWS]) if n else np.zeros((0, len(REVIEWS)), bool)
    names = [", ".join(k for k, f in zip(REVIEWS, row, strict=True) if f) for row in flags]
    why = ["; ".join(_WHY[k] for k, f in zip(REVIEWS, row, strict=True) if f) for row in flags]
    valid, note = _limit_validity(customers, day)
    return pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(dtype=object), "due": names,
                         **due, "why": why, "limit_valid": valid, "limit_note": note})


def _limit_validity(customers: pd.DataFrame, day: int) -> tuple[np.ndarray, list]:
    n = len(customers)
    kind = (customers["limit_kind"].fillna("standing").astype(str).to_numpy() if "limit_kind" in customers.columns
            else np.full(n, "standing", dtype=object))
    bad = ~np.isin(kind, ["standing", "one_time"])
    if bad.any():
        raise DataValidationError([Violation("limit_kind", f"unknown kinds {sorted(set(kind[bad]))}",
                                             "standing or one_time")])
    used = _days(customers, "limit_used")
    used = (used > np.iinfo(np.int64).min // 4) & (used <= day)
    black = (customers["blacklisted"].fillna(False).to_numpy(dtype=bool) if "blacklisted" in customers.columns
             else np.zeros(n, bool))
    lapsed = (kind == "one_time") & used
    note = np.where(black, "blacklisted: limit 0 (000 五 5)",
                    np.where(lapsed, "one-time limit used: apply again (002 五.5 只适用本次)", ""))
    return ~(black | lapsed), note.tolist()


__all__ = ["reviews_due", "REVIEWS"]
