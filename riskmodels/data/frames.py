"""Input frames as every model and scorecard reads them: a DataFrame view, bundle rules as a schema.

These helpers sit below the models, the binning and the expert scorecards (they
used to live in ``riskmodels.models.base``), so those packages do not import
each other.

Examples
--------
>>> as_frame([[1.0, 2.0]]).columns.tolist()
['x0', 'x1']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.data.schema import Column, Schema, require_binary_target, require_sample_weight
from riskmodels.errors import DataValidationError, Violation


def fit_inputs(X, y, sample_weight=None) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
    """What a weighted fit reads: ``X`` as a frame, the 0/1 target, the checked weights.

    Raises a :class:`~riskmodels.errors.DataValidationError` when the target is not 0/1, its
    length is not the number of rows, or a weight is negative, missing or infinite (see
    :func:`~riskmodels.data.schema.require_sample_weight`).

    Examples
    --------
    >>> frame, target, weight = fit_inputs({"x": [1.0, 2.0]}, [0, 1])
    >>> frame.columns.tolist(), target.tolist(), weight
    (['x'], [0, 1], None)
    """
    frame = as_frame(X)
    target = require_binary_target(y, "target")
    if len(frame) != len(target):
        raise DataValidationError([Violation("<X>", f"has {len(frame)} rows but the target {len(target)}",
                                             "one target per row")])
    return frame, target, require_sample_weight(sample_weight, target)


def as_frame(X, feature_names=None) -> pd.DataFrame:
    """A DataFrame view of ``X``; a 2-d array gets ``feature_names`` or x0, x1, ...

    Parameters
    ----------
    X : DataFrame, dict of columns or 2-d array-like
        The records.
    feature_names : list of str, optional
        Column names for a 2-d array (one per column).

    Returns
    -------
    pandas.DataFrame
        ``X`` itself when it is a DataFrame.

    Raises
    ------
    DataValidationError
        ``X`` is not 2-d, or the names do not match its columns.

    Examples
    --------
    >>> as_frame(np.zeros((2, 2)), ["a", "b"]).columns.tolist()
    ['a', 'b']
    """
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, dict):
        return pd.DataFrame(X)
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise DataValidationError([Violation("<X>", f"has {arr.ndim} dimension(s)", "a 2-d table")])
    names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(arr.shape[1])]
    if len(names) != arr.shape[1]:
        raise DataValidationError([Violation("<X>", f"has {arr.shape[1]} columns",
                                             f"{len(names)} columns {names}")])
    return pd.DataFrame(arr, columns=names)


def schema_from_inputs(inputs: list, name: str) -> Schema:
    """The frame schema equivalent to a bundle's input rules (for DataValidationError messages).

    Parameters
    ----------
    inputs : list of dict
        The bundle's ``inputs`` section (one rule per feature).
    name : str
        Name of the schema (the model), used in error messages.

    Returns
    -------
    Schema

    Examples
    --------
    >>> s = schema_from_inputs([{"name": "age", "type": "number", "min": 0}], "demo")
    >>> [c.name for c in s.columns]
    ['age']
    """
    cols = []
    for rule in inputs:
        numeric = rule["type"] == "number"
        cols.append(Column(
            rule["name"],
            "number" if numeric else "any",
            required=rule.get("required", True),
            nullable=rule.get("missing", "error") != "error",
            min=rule.get("min") if numeric and rule.get("out_of_range", "error") == "error" else None,
            max=rule.get("max") if numeric and rule.get("out_of_range", "error") == "error" else None,
            allowed=tuple(rule["categories"]) if rule.get("categories") is not None
            and rule.get("unknown", "error") == "error" else None,
        ))
    return Schema(cols, name=name)


def frame_columns(frame: pd.DataFrame, names: list[str]) -> dict:
    """Dict of numpy arrays for the named columns, converted as ``Scorer.score`` converts a frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        The records.
    names : list of str
        Columns wanted; names missing from ``frame`` are left out (the scorer reports them).

    Returns
    -------
    dict of str to numpy.ndarray

    Examples
    --------
    >>> sorted(frame_columns(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), ["a", "c"]))
    ['a']
    """
    return {n: scoring.column_array(frame[n]) for n in names if n in frame.columns}


def column_kind(series: pd.Series, name: str | None = None) -> str:
    """"number" or "category": how a model reads a column, refusing a silent change of type.

    Numeric (non-boolean) dtypes are numbers; categorical, string and boolean dtypes are
    categories. An ``object`` column is numbers when every non-missing value is a number,
    categories when every one is a string; a column mixing both (one stray ``"250000"`` among
    amounts) raises instead of quietly turning the whole factor into labels.

    Parameters
    ----------
    series : pandas.Series
        The column.
    name : str, optional
        Column name for the error message (default: ``series.name``).

    Returns
    -------
    str
        ``"number"`` or ``"category"``.

    Raises
    ------
    DataValidationError
        Numbers and strings (or other non-number values) in one ``object`` column; the
        rows of the minority kind are named.

    Examples
    --------
    >>> column_kind(pd.Series([1.5, 2.0])), column_kind(pd.Series(["a", None]))
    ('number', 'category')
    >>> column_kind(pd.Series([1.0, "250000", 3.0], name="amount"))
    Traceback (most recent call last):
    riskmodels.errors.DataValidationError: 1 data rule(s) broken:
      - column 'amount': non-numbers among numbers in 1 row(s): [1]; expected one type per column: numbers (fix the stray values) or labels as dtype='category'
    """
    name = str(series.name if name is None else name)
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "category"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if not pd.api.types.is_object_dtype(dtype):
        return "category"
    present = ~series.isna().to_numpy()
    is_number = np.fromiter((isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))
                             for v in series.to_numpy()), dtype=bool, count=len(series))
    numbers, others = present & is_number, present & ~is_number
    if not others.any():
        return "number" if numbers.any() else "category"
    if not numbers.any():
        return "category"
    odd, rule = (others, "non-numbers among numbers") if numbers.sum() >= others.sum() \
        else (numbers, "numbers among labels")
    raise DataValidationError([Violation(name, rule, "one type per column: numbers (fix the stray values) "
                                         "or labels as dtype='category'",
                                         tuple(series.index[odd][:5].tolist()), int(odd.sum()))])
