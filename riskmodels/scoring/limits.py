"""Credit limits (002 「客户资信评估管理办法」 五.4 and 六): for a batch
(:func:`credit_limit`) and for one record (:class:`RecordLimit`)."""

from __future__ import annotations

import math
from itertools import repeat

import numpy as np

from .bins import count_at_or_below
from .errors import BundleError


def np_min(a: float, b: float) -> float:
    """``np.minimum`` of two floats: NaN wins, and of two equal values the second."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


def credit_limit(rule: dict | None, grades: np.ndarray, cols: dict, basis=None, *,
                 grade_codes: tuple | None = None) -> np.ndarray | None:
    """Credit limit per record (002 「客户资信评估管理办法」 五.4 and 六).

    Two forms of ``rule``:

    * by score (expert cards): ``{"basis": "score", "bands": [[min_score, coefficient], ...]
      (highest min first), "current_assets", "monthly_sales", "ratio_cap": 2, "reference":
      field|None, "reference_cap": bool, "default_grade": grade|None}``. The document's
      formula ``monthly_sales × coefficient(score) × min(current_assets / monthly_sales,
      ratio_cap) / 2``, bounded by ``monthly_sales`` (this year's monthly contracted sales)
      and ``current_assets / 2``, and by ``reference`` (last year's monthly payments) when
      ``reference_cap``; the default grade gets 0. ``basis`` is the score per record.
    * by grade: ``{"coefficients": {grade: c}, "current_assets", "monthly_sales"}`` →
      ``coefficient[grade] × min(current_assets / 2, monthly_sales)``; grades without a
      coefficient get 0.

    Either form may name ``"blacklist": field``, an optional true/false input: a blacklisted
    record's limit is 0 (000 五 5 「对恶意拖欠款物的客户授信额度为0…列入黑名单」); a record
    without the field is not blacklisted.

    Records without a grade (or score) get NaN. ``grade_codes``, when given, is
    ``(index, labels)`` with ``grades == labels[index]`` (index -1: no grade): the grade
    rules are then looked up once per grade, not per record.

    Examples
    --------
    >>> rule = {"basis": "score", "bands": [[80.0, 1.0], [60.0, 0.5], [0.0, 0.0]], "ratio_cap": 2.0,
    ...         "current_assets": "ca", "monthly_sales": "ms", "default_grade": "D"}
    >>> credit_limit(rule, np.array(["A", "B", "D"], dtype=object),
    ...              {"ca": np.array([100.0, 100.0, 100.0]), "ms": np.array([80.0, 20.0, 5.0])},
    ...              basis=np.array([85.0, 60.0, 90.0])).tolist()
    [50.0, 10.0, 0.0]
    >>> rule = {"coefficients": {"A": 1.0, "B": 0.5}, "current_assets": "ca", "monthly_sales": "ms"}
    >>> credit_limit(rule, np.array(["A", "B", "D"], dtype=object),
    ...              {"ca": np.array([100.0, 100.0, 100.0]), "ms": np.array([80.0, 20.0, 5.0])}).tolist()
    [50.0, 10.0, 0.0]
    """
    if not rule:
        return None
    needed = [("current_assets", rule["current_assets"]), ("monthly_sales", rule["monthly_sales"])]
    if rule.get("reference_cap") and rule.get("reference"):
        needed.append(("reference", rule["reference"]))
    for key, field in needed:
        if field not in cols:
            raise BundleError(f"credit_limit needs the input field {field!r} ({key}); "
                              "add it to the bundle inputs")
    assets = np.asarray(cols[rule["current_assets"]], dtype=float)
    sales = np.asarray(cols[rule["monthly_sales"]], dtype=float)
    if grade_codes is None:  # one code per distinct label, found in one pass over the records
        found: dict = {}
        labels = grades.tolist() if isinstance(grades, np.ndarray) else list(grades)
        index = np.fromiter(map(found.setdefault, labels, map(len, repeat(found))), dtype=np.intp,
                            count=len(labels))
        names = list(found)
        if None in found:  # no grade: code -1, as in grade_codes
            index[index == found[None]] = -1
    else:
        index, names = grade_codes
    if rule.get("basis") != "score":
        lookup = {str(g): float(c) for g, c in rule["coefficients"].items()}
        lookup[None] = math.nan
        coef = np.asarray([lookup.get(g, 0.0) for g in names] + [math.nan])[index]
        black = blacklisted(rule, cols)
        if black is not None:
            coef = np.where(black & (index >= 0), 0.0, coef)
        return coef * np.minimum(assets / 2.0, sales)
    if basis is None:
        raise BundleError("a score-keyed credit limit needs the score of each record")
    mins = np.asarray([b[0] for b in rule["bands"]], dtype=float)
    coefs = np.asarray([b[1] for b in rule["bands"]] + [0.0], dtype=float)  # below the last band: 0
    score = np.asarray(basis, dtype=float)
    # first band with min <= score: after the bands whose min is above it, i.e. band
    # len(mins) - (how many mins are <= score); the coefficients are read by that count
    coef = coefs[::-1][count_at_or_below(mins[::-1].copy(), score)]
    # in place: the same operations, fewer arrays (coef * sales is sales * coef, bit for bit);
    # a ratio that overflows to inf is capped next
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.divide(assets, sales)
        np.minimum(ratio, rule["ratio_cap"], out=ratio)
        limit = coef
        limit *= sales
        limit *= ratio
        limit /= 2.0
    limit[sales == 0] = 0.0  # nothing contracted: nothing to grant
    half = np.divide(assets, 2.0, out=ratio)
    np.minimum(limit, np.minimum(sales, half, out=half), out=limit)
    if rule.get("reference_cap") and rule.get("reference"):
        limit = np.minimum(limit, np.asarray(cols[rule["reference"]], dtype=float))
    if rule.get("default_grade") is not None:
        for code in [c for c, g in enumerate(names) if g == rule["default_grade"]]:
            limit[index == code] = 0.0  # one comparison of the codes, not a look-up per record
    black = blacklisted(rule, cols)
    if black is not None and black.any():
        limit[black] = 0.0
    unscored = np.isnan(score)
    unscored |= index < 0
    if unscored.any():
        limit[unscored] = math.nan
    return limit


def blacklisted(rule: dict, cols: dict) -> np.ndarray | None:
    """Per record, whether the limit rule's ``blacklist`` input is true (None: the rule or the records lack it).

    >>> blacklisted({"blacklist": "bl"}, {"bl": np.array([0.0, 1.0, np.nan])}).tolist()
    [False, True, False]
    """
    field = rule.get("blacklist")
    if not field or field not in cols:
        return None
    flag = np.asarray(cols[field], dtype=float)
    black = np.not_equal(flag, 0.0)  # NaN counts as not blacklisted (as np.nan_to_num(flag) != 0)
    black &= flag == flag
    return black


class RecordLimit:
    """:func:`credit_limit` of one record (``values``: its clean values, see
    :func:`~riskmodels.scoring.inputs.record_values`): the same operations, Python floats.

    The fields, bands and coefficients of the rule are read on the first call.

    >>> rule = {"basis": "score", "bands": [[80.0, 1.0], [60.0, 0.5], [0.0, 0.0]], "ratio_cap": 2.0,
    ...         "current_assets": "ca", "monthly_sales": "ms", "default_grade": "D"}
    >>> RecordLimit(rule)({"ca": 100.0, "ms": 20.0}, "B", 60.0)
    10.0
    """

    def __init__(self, rule: dict | None):
        self.rule = rule
        self.fields = self.bands = self.coefficients = None

    def __call__(self, values: dict, grade: str, basis: float) -> float | None:
        rule = self.rule
        if not rule:
            return None
        if self.fields is None:  # read once: the fields, the bands and the coefficients
            fields = [rule["current_assets"], rule["monthly_sales"]]
            if rule.get("reference_cap") and rule.get("reference"):
                fields.append(rule["reference"])
            self.fields = fields
            self.bands = [(float(b[0]), float(b[1])) for b in rule.get("bands") or []]
            self.coefficients = {str(g): float(c) for g, c in (rule.get("coefficients") or {}).items()}
        if any(f not in values for f in self.fields):
            return credit_limit(rule, np.array([grade], dtype=object), values)  # raises, naming the field
        assets, sales = values[rule["current_assets"]], values[rule["monthly_sales"]]
        field = rule.get("blacklist")
        black = bool(field) and field in values and values[field] == values[field] and values[field] != 0
        if rule.get("basis") != "score":
            return (0.0 if black else self.coefficients.get(grade, 0.0)) * np_min(assets / 2.0, sales)
        above = 0  # bands whose min is above the score (as the batch counts them); then 0
        for low, _ in self.bands:
            above += low > basis
        coef = self.bands[above][1] if above < len(self.bands) else 0.0
        if sales == 0:
            limit = 0.0  # nothing contracted: nothing to grant
        else:
            limit = sales * coef * np_min(assets / sales, rule["ratio_cap"]) / 2.0
        limit = np_min(limit, np_min(sales, assets / 2.0))
        if rule.get("reference_cap") and rule.get("reference"):
            limit = np_min(limit, values[rule["reference"]])
        if (rule.get("default_grade") is not None and grade == rule["default_grade"]) or black:
            limit = 0.0
        return limit
