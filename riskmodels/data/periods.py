"""The documents' boundary words and calendar spans, read one way everywhere.

Boundary words (民法典 第一千二百五十九条: 「民法所称的"以上"、"以下"、"以内"、"届满"，包括本数；
所称的"不满"、"超过"、"以外"，不包括本数」):

========  ========  ===================
word      operator  the number itself
========  ========  ===================
以上      ``>=``    included
以下      ``<=``    included
以内      ``<=``    included
届满      ``>=``    included
超过      ``>``     excluded
不满      ``<``     excluded
========  ========  ===================

Calendar spans (民法典 第二百零二条: 「按照年、月计算期间的，到期月的对应日为期间的最后一日；
没有对应日的，月末日为期间的最后一日」): a span of ``k`` months from day ``s`` ends on the same
day of the month ``k`` months later, or on that month's last day when it has no such day
(31 January + 1 month = 28 or 29 February; 29 February + 3 years = 28 February). "Three
years" is therefore three years to the day by the calendar, whatever leap days lie between.

Day numbers are int64 days since 1970-01-01, as in :mod:`riskmodels.data.features`.

Examples
--------
>>> import numpy as np
>>> compare(np.array([89.0, 90.0, 91.0]), "以上", 90).tolist()
[False, True, True]
>>> compare(np.array([89.0, 90.0, 91.0]), "超过", 90).tolist()
[False, False, True]
>>> day_to_date(add_months(date_to_day("2020-02-29"), 36)[0]).date()
datetime.date(2023, 2, 28)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.errors import ParameterError

WORDS = {"以上": ">=", "届满": ">=", "以下": "<=", "以内": "<=", "超过": ">", "不满": "<"}
"""Each boundary word of the documents and the comparison it means (民法典 第一千二百五十九条)."""

_OPS = {">=": np.greater_equal, "<=": np.less_equal, ">": np.greater, "<": np.less,
        "==": np.equal, "!=": np.not_equal}


def operator(word: str) -> str:
    """The comparison operator of a boundary word (or of an operator, returned as is).

    Parameters
    ----------
    word : str
        One of :data:`WORDS` or an operator ``>=``, ``<=``, ``>``, ``<``, ``==``, ``!=``.

    Returns
    -------
    str

    Raises
    ------
    ParameterError
        For any other word.

    Examples
    --------
    >>> operator("不满"), operator(">=")
    ('<', '>=')
    """
    op = WORDS.get(word, word)
    if op not in _OPS:
        raise ParameterError(f"unknown boundary word or operator {word!r}; known: {sorted(WORDS)} "
                             f"and {sorted(_OPS)}")
    return op


def compare(values, word: str, bound) -> np.ndarray:
    """``values <word> bound`` as a boolean array; a missing value (NaN) never satisfies it.

    Parameters
    ----------
    values : array-like of numbers
    word : str
        A boundary word (以上, 以下, 超过, 不满, 以内, 届满) or an operator.
    bound : number or array-like

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> compare([5.0, 6.0, float("nan")], "不满", 6).tolist()
    [True, False, False]
    """
    with np.errstate(invalid="ignore"):
        return _OPS[operator(word)](np.asarray(values, dtype=float), bound)


def date_to_day(value) -> int:
    """One date as its day number (days since 1970-01-01).

    Examples
    --------
    >>> date_to_day("1970-01-02")
    1
    """
    return int(np.datetime64(pd.Timestamp(value).date(), "D").astype(np.int64))


def day_to_date(day) -> pd.Timestamp:
    """A day number as a date (the inverse of :func:`date_to_day`).

    Examples
    --------
    >>> day_to_date(1)
    Timestamp('1970-01-02 00:00:00')
    """
    return pd.Timestamp(np.datetime64(int(day), "D"))


_LAST_DAY = 2932896  # 9999-12-31: later day numbers (a "never" sentinel) are kept as they are


def add_months(days, months) -> np.ndarray:
    """The day ``months`` calendar months after each day (民法典 第二百零二条: the month's last day
    when the target month has no corresponding day).

    Parameters
    ----------
    days : int or array-like of int
        Day numbers; values after 9999-12-31 (sentinels for "never") are returned unchanged.
    months : int or array-like of int
        Months to add (negative goes back).

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> [str(day_to_date(d)) for d in add_months([date_to_day("2024-01-31"), date_to_day("2023-01-31")], 1)]
    ['2024-02-29 00:00:00', '2023-02-28 00:00:00']
    """
    days = np.atleast_1d(np.asarray(days, dtype=np.int64))
    months = np.asarray(months, dtype=np.int64)
    real = days <= _LAST_DAY
    d = np.where(real, days, 0).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + months
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    out = target.astype("datetime64[D]").astype(np.int64) + np.minimum(day_of_month, length - 1)
    return np.where(real, out, days)


def months_between(start, end) -> np.ndarray:
    """Calendar months from ``start`` to ``end`` (day numbers): whole months, then the fraction of the next.

    The whole part is the largest ``k`` with ``add_months(start, k) <= end``, so a span
    reaches ``k`` months exactly on its corresponding day (a customer first invoiced on
    2023-06-15 has 12.0 months on 2024-06-15, 「一年或以上」 holds that day); the fraction is
    the share of the next month's days elapsed. Negative spans give negative months.

    Parameters
    ----------
    start, end : array-like of int
        Day numbers.

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> s = date_to_day("2023-06-15")
    >>> months_between([s, s, s], [date_to_day("2024-06-14"), date_to_day("2024-06-15"),
    ...                            date_to_day("2024-07-15")]).round(4).tolist()
    [11.9677, 12.0, 13.0]
    """
    start = np.atleast_1d(np.asarray(start, dtype=np.int64))
    end = np.atleast_1d(np.asarray(end, dtype=np.int64))
    sign = np.where(end >= start, 1, -1)
    lo, hi = np.minimum(start, end), np.maximum(start, end)
    month_of = lambda d: d.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)  # noqa: E731
    k = month_of(hi) - month_of(lo)
    k = k - (add_months(lo, k) > hi)
    a0, a1 = add_months(lo, k), add_months(lo, k + 1)
    return sign * (k + (hi - a0) / (a1 - a0))


def reached(start, end, years: int = 0, months: int = 0) -> np.ndarray:
    """Whether a span from ``start`` has lasted ``years`` years and ``months`` months by ``end``.

    True from the corresponding day on (以上 and 届满 include the number; 民法典 第二百零二条
    and 第一千二百五十九条): a debt due 2020-01-31 is 「3年以上」 unpaid on 2023-01-31.

    Parameters
    ----------
    start, end : int or array-like of int
        Day numbers (``end`` is the observation day).
    years, months : int
        The span.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> due = date_to_day("2020-01-31")
    >>> reached(due, [date_to_day("2023-01-30"), date_to_day("2023-01-31")], years=3).tolist()
    [False, True]
    """
    months = 12 * int(years) + int(months)
    end = np.asarray(end, dtype=np.int64)
    if end.ndim == 0 and end <= _LAST_DAY:  # one end: the starts that reach it are those up to the last one that does
        near = end - round(months * 30.436875) + np.arange(-40, 41)  # the span is within days of its mean
        hits = end >= add_months(near, months)
        if hits[0] and not hits[-1]:  # add_months never decreases: one cut in between
            return np.atleast_1d(np.asarray(start, dtype=np.int64)) <= near[hits].max()
    return end >= add_months(start, months)


__all__ = ["WORDS", "operator", "compare", "add_months", "months_between", "reached", "date_to_day", "day_to_date"]
