"""Declared schemas for input frames, checked with every violation reported at once.

Every public entry point that takes a frame validates it here first, so bad
input stops with a :class:`~riskmodels.errors.DataValidationError` naming the
column, the first offending row labels and the rule, instead of producing a
silently wrong number.

Examples
--------
>>> import pandas as pd
>>> schema = Schema([Column("id", "string"), Column("amount", "number", min=0)], unique=("id",))
>>> schema.validate(pd.DataFrame({"id": ["a", "b"], "amount": [1.0, 2.0]})).shape
(2, 2)
>>> schema.validate(pd.DataFrame({"id": ["a", "a"], "amount": [1.0, -2.0]}))
Traceback (most recent call last):
...
riskmodels.errors.DataValidationError: frame: 2 data rule(s) broken:
  - column 'amount': below minimum 0 in 1 row(s): [1]; expected >= 0
  - column 'id': duplicate id in 2 row(s): [0, 1]; expected unique values of ('id',)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from riskmodels.errors import DataValidationError, Violation

Kind = Literal["number", "integer", "string", "category", "datetime", "bool", "any"]
MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Column:
    """Rules for one column.

    Parameters
    ----------
    name : column name.
    kind : "number" (int or float, not bool), "integer", "string", "category"
        (string-like or pandas categorical), "datetime", "bool" or "any".
    required : whether the column must be present.
    nullable : whether missing values (NaN/None/NaT) are allowed.
    min, max : inclusive bounds for numbers and datetimes.
    allowed : the allowed values (for categories); anything else is reported.
    finite : numbers must be finite (no +/-inf).
    """

    name: str
    kind: Kind = "number"
    required: bool = True
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    allowed: tuple | None = None
    finite: bool = True


@dataclass(frozen=True)
class Schema:
    """A frame's declared shape: columns, unique keys, extra-column policy, minimum rows.

    Parameters
    ----------
    columns : the column rules.
    unique : columns whose combined values must be unique (an id or a key).
    extra : "allow" keeps columns not declared; "forbid" reports them.
    min_rows : fewest rows accepted (1 rejects an empty frame).
    name : what the frame is called in messages.
    """

    columns: Sequence[Column]
    unique: tuple[str, ...] = ()
    extra: Literal["allow", "forbid"] = "allow"
    min_rows: int = 1
    name: str = "frame"
    _by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> list[str]:
        """Declared column names, in order."""
        return [c.name for c in self.columns]

    def violations(self, frame) -> list[Violation]:
        """Every rule the frame breaks (empty list when it is valid)."""
        if not isinstance(frame, pd.DataFrame):
            return [Violation("<frame>", f"not a pandas DataFrame but {type(frame).__name__}",
                              "a pandas DataFrame")]
        out: list[Violation] = []
        if len(frame) < self.min_rows:
            out.append(Violation("<frame>", f"has {len(frame)} row(s)", f">= {self.min_rows} rows"))
        if frame.columns.duplicated().any():
            dup = frame.columns[frame.columns.duplicated()].tolist()
            out.append(Violation(str(dup[0]), "column name appears more than once", "unique column names"))
            return out
        for col in self.columns:
            if col.name not in frame.columns:
                if col.required:
                    out.append(_missing_column(col))
                continue
            out.extend(_check_column(frame[col.name], col))
        if self.extra == "forbid":
            for name in frame.columns:
                if name not in self._by_name:
                    out.append(Violation(str(name), "unexpected column",
                                         f"only the declared columns {self.names}"))
        keys = [k for k in self.unique if k in frame.columns]
        if keys and len(keys) == len(self.unique) and len(frame):
            rows = frame[keys[0]] if len(keys) == 1 else frame[keys]  # one column: no row hashing (0.6x)
            dup = rows.duplicated(keep=False).to_numpy()
            if dup.any():
                out.append(violation(",".join(self.unique), "duplicate id", frame.index[dup],
                                      f"unique values of {tuple(self.unique)}"))
        return out

    def missing_columns(self, columns) -> list[Violation]:
        """A ``missing column`` violation per required column not in ``columns`` (names: a table
        held elsewhere, e.g. in Spark, checked as :meth:`violations` would check it).

        Examples
        --------
        >>> schema = Schema([Column("id", "string"), Column("note", "string", required=False)])
        >>> [(v.column, v.rule) for v in schema.missing_columns(["note"])]
        [('id', 'missing column')]
        """
        return [_missing_column(col) for col in self.columns if col.required and col.name not in columns]

    def validate(self, frame) -> pd.DataFrame:
        """Return ``frame`` unchanged if it obeys the schema, else raise DataValidationError."""
        found = self.violations(frame)
        if found:
            raise DataValidationError(found, context=self.name)
        return frame


def violation(column: str, rule: str, labels, expected: str, count: int | None = None) -> Violation:
    """A :class:`Violation` of ``rule`` in ``column`` at the row ``labels`` (the first few kept).

    ``count`` is the number of such rows when ``labels`` holds only the first few (default: them all).

    Examples
    --------
    >>> print(violation("amount", "negative values", [3, 7], ">= 0"))
    column 'amount': negative values in 2 row(s): [3, 7]; expected >= 0
    """
    labels = list(labels)
    return Violation(column, rule, expected, tuple(_plain(x) for x in labels[:MAX_ROWS_SHOWN]),
                     len(labels) if count is None else count)


def _plain(label):
    return label.item() if isinstance(label, np.generic) else label


def _missing_column(col: Column) -> Violation:
    return Violation(col.name, "missing column", _expected_column(col.kind))


def _expected_column(kind: Kind) -> str:
    return "a column (of any type)" if kind == "any" else f"a {kind} column"


def _kind_ok(series: pd.Series, kind: Kind) -> bool:
    dtype = series.dtype
    if kind == "any":
        return True
    if kind == "number":
        return pdt.is_numeric_dtype(dtype) and not pdt.is_bool_dtype(dtype)
    if kind == "integer":
        return pdt.is_integer_dtype(dtype)
    if kind == "bool":
        return pdt.is_bool_dtype(dtype)
    if kind == "datetime":
        return pdt.is_datetime64_any_dtype(dtype)
    if kind in ("string", "category"):
        if isinstance(dtype, pd.CategoricalDtype) and kind == "category":
            return True
        if pdt.is_string_dtype(dtype) and not pdt.is_object_dtype(dtype):
            return True
        if pdt.is_object_dtype(dtype):
            values = series.dropna()
            return bool(values.map(lambda v: isinstance(v, str)).all())
    return False


def _check_column(series: pd.Series, col: Column) -> list[Violation]:
    name = col.name
    if not _kind_ok(series, col.kind):
        return [Violation(name, f"has dtype {series.dtype}", _expected_column(col.kind))]
    out = []
    missing = series.isna().to_numpy()
    if missing.any() and not col.nullable:
        out.append(violation(name, "missing values", series.index[missing], "no missing values"))
    present = series[~missing]
    numeric = col.kind in ("number", "integer") and len(present)
    if numeric and col.finite:
        bad = ~np.isfinite(present.to_numpy(dtype=float))
        if bad.any():
            out.append(violation(name, "infinite values", present.index[bad], "finite numbers"))
    if numeric or (col.kind == "datetime" and len(present)):
        if col.min is not None:
            low = (present < col.min).to_numpy()
            if low.any():
                out.append(violation(name, f"below minimum {col.min}", present.index[low], f">= {col.min}"))
        if col.max is not None:
            high = (present > col.max).to_numpy()
            if high.any():
                out.append(violation(name, f"above maximum {col.max}", present.index[high], f"<= {col.max}"))
    if col.allowed is not None and len(present):
        unknown = ~present.isin(col.allowed).to_numpy()
        if unknown.any():
            seen = sorted({str(v) for v in present[unknown].unique()})[:MAX_ROWS_SHOWN]
            out.append(violation(name, f"unknown categories {seen}", present.index[unknown],
                                  f"one of {list(col.allowed)}"))
    return out


def require_binary_target(y, name: str = "target") -> np.ndarray:
    """Return ``y`` as an int8 array of 0/1, or raise naming the bad rows.

    Examples
    --------
    >>> require_binary_target([0, 1, 1]).tolist()
    [0, 1, 1]
    """
    s = pd.Series(np.asarray(y).ravel() if not isinstance(y, pd.Series) else y, name=name)
    values = s.to_numpy()
    if values.dtype.kind in "biuf":  # numbers: two comparisons (NaN is neither), no hashing
        bad = (values != 0) & (values != 1)
    else:
        bad = ~s.isin([0, 1, True, False]).to_numpy()
    if len(s) == 0 or bad.any():
        require_target_totals(name, len(s), 0, 0, s.index[bad], int(bad.sum()))
    arr = s.to_numpy().astype(np.int8)
    events = int(arr.sum())
    require_target_totals(name, len(arr), events, len(arr) - events)
    return arr


def require_target_totals(name: str, n: int, events: float, nonevents: float, bad_rows=(), n_bad: int = 0,
                          weight: str | None = None, bad_weight_rows=(), n_bad_weight: int = 0) -> None:
    """The checks of :func:`require_binary_target` from a target's totals (one held elsewhere: Spark).

    Parameters
    ----------
    name : the target column. n : its rows.
    events, nonevents : the number (summed weight, with ``weight``) of its 1s and of its 0s.
    bad_rows, n_bad : labels of the first rows with a value other than 0/1, and their number.
    weight : the column of sample weights (None: unweighted); both classes must then weigh > 0
        (:func:`require_weight_on_both_classes`).
    bad_weight_rows, n_bad_weight : the first rows with a weight :func:`bad_weights` names, and their number.

    Examples
    --------
    >>> require_target_totals("y", 5, 0, 5)
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: 1 data rule(s) broken:
      - column 'y': has a single class (0); expected both defaults (1) and non-defaults (0)
    """
    if n == 0:
        raise DataValidationError([Violation(name, "is empty", "at least one observation")])
    if n_bad:
        raise DataValidationError([violation(name, "values other than 0/1", bad_rows, "a binary 0/1 target", n_bad)])
    if n_bad_weight:
        raise DataValidationError([bad_weights(weight, bad_weight_rows, n_bad_weight)])
    if weight is not None:
        require_weight_on_both_classes(weight, events, nonevents)
    elif events == 0 or nonevents == 0:
        raise DataValidationError([Violation(name, f"has a single class ({int(events > 0)})",
                                             "both defaults (1) and non-defaults (0)")])


def bad_weights(name: str, labels, count: int | None = None) -> Violation:
    """The violation of weights that are negative, missing, infinite or not numbers, at rows ``labels``.

    Examples
    --------
    >>> print(bad_weights("w", [2]))
    column 'w': negative, missing, infinite or non-numeric weights in 1 row(s): [2]; expected finite weights >= 0
    """
    return violation(name, "negative, missing, infinite or non-numeric weights", labels, "finite weights >= 0", count)


def require_sample_weight(sample_weight, target: np.ndarray, name: str = "sample_weight") -> np.ndarray | None:
    """``sample_weight`` as a float array of finite weights >= 0, one per record of ``target`` (or None).

    Frequency (or design) weights: a record of weight 2 counts as two records. A
    negative, NaN or infinite weight, a length other than the target's, weights
    that are all zero or that leave one class without weight raise naming the rows.

    Examples
    --------
    >>> require_sample_weight([1, 2.5, 0], np.array([0, 1, 1])).tolist()
    [1.0, 2.5, 0.0]
    >>> require_sample_weight(None, np.array([0, 1])) is None
    True
    """
    if sample_weight is None:
        return None
    s = pd.Series(np.asarray(sample_weight).ravel() if not isinstance(sample_weight, pd.Series)
                  else sample_weight, name=name)
    if len(s) != len(target):
        raise DataValidationError([Violation(name, f"has {len(s)} values but the target {len(target)}",
                                             "one weight per record")])
    values = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise DataValidationError([bad_weights(name, s.index[bad])])
    require_weight_on_both_classes(name, float(values[target == 1].sum()), float(values[target == 0].sum()))
    return values


def require_weight_on_both_classes(name: str, events: float, nonevents: float) -> None:
    """Raise unless the summed weights of the defaults and of the non-defaults are both positive.

    Examples
    --------
    >>> require_weight_on_both_classes("w", 3.0, 0.0)
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: 1 data rule(s) broken:
      - column 'w': weighs one class only (zero on every non-default); expected positive weight on both defaults (1) and non-defaults (0)
    """
    if events <= 0 or nonevents <= 0:
        which = "is all zero" if events + nonevents == 0 else \
            f"weighs one class only (zero on every {'default' if events <= 0 else 'non-default'})"
        raise DataValidationError([Violation(name, which, "positive weight on both defaults (1) and non-defaults (0)")])
