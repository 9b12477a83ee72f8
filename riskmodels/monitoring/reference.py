"""Reference distributions of the development sample, stored in the scorer bundle.

Monitoring compares a period's population with the population the model was
developed on. What it needs of the development sample is small: every model keeps
it at ``fit`` (:meth:`riskmodels.models.base.ScorerModel.keep_development_reference`)
and writes it in the bundle's ``reference`` section at export (or builds it from an
explicit ``reference=`` sample), so a bundle alone is enough::

    {"n": 5000, "mean_pd": 0.031, "default_rate": 0.030 | null, "auc": 0.78 | null, "auc_se": 0.012 | null,
     "score": {"field": "score" | "pd", "edges": [...], "counts": [..., missing]},
     "grades": {"labels": [...], "counts": [...]},
     "characteristics": {name: {"type": "number", "edges": [...], "counts": [..., missing]}
                         | {"type": "category", "categories": [...], "counts": [..., unknown, missing]}}}

Bins of a number are (-inf, e1), [e1, e2), ..., [ek, inf) then "missing"; the
edges are the model's own bins where it has them (a logistic scorecard's
characteristics) and the development deciles otherwise. The score is binned at
its development deciles (or at edges given).

Examples
--------
>>> from riskmodels import scoring
>>> content = {"schema_version": 1, "kind": "identity", "name": "p",
...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
...     "model": {"input": "pd"}, "calibration": [],
...     "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.05, 1.0]}}
>>> ref = build_reference(content, {"pd": [0.01, 0.02, 0.1, 0.2]}, [0, 0, 0, 1], score_bins=2)
>>> ref["grades"], ref["score"]["counts"]
({'labels': ['A', 'B', 'D'], 'counts': [2, 2, 0]}, [2, 2, 0])
"""

from __future__ import annotations

import numpy as np

from riskmodels import scoring
from riskmodels.errors import BundleError, DataValidationError, Violation


# --------------------------------------------------------------------------- bin counts
def number_bins(values, edges) -> np.ndarray:
    """Bin index of numbers: (-inf, e1) -> 0, ..., [ek, inf) -> k, missing (NaN) -> k + 1.

    Examples
    --------
    >>> number_bins([0.5, 1.0, 3.0, float("nan")], [1.0, 2.0]).tolist()
    [0, 1, 2, 3]
    """
    e = np.asarray(edges, dtype=float)
    x = np.asarray(values, dtype=float)
    idx = e.searchsorted(x, side="right")
    return np.where(np.isnan(x), len(e) + 1, idx)


def number_counts(values, edges) -> np.ndarray:
    """Counts per number bin (see :func:`number_bins`): k + 1 intervals, then missing.

    Examples
    --------
    >>> number_counts([0.5, 1.0, 3.0, float("nan")], [1.0, 2.0]).tolist()
    [1, 1, 1, 1]
    """
    return np.bincount(number_bins(values, edges), minlength=len(edges) + 2)


def category_counts(labels, categories) -> np.ndarray:
    """Counts per category (in the order given), then unknown categories, then missing (None).

    Examples
    --------
    >>> category_counts(["a", "b", "z", None, "a"], ["a", "b"]).tolist()
    [2, 1, 1, 1]
    """
    import pandas as pd

    values = pd.Series(np.asarray(labels, dtype=object))
    codes = pd.Index(list(categories), dtype=object).get_indexer(values).astype(np.int64)
    missing = values.isna().to_numpy()
    codes[codes < 0] = len(categories)  # unknown ...
    codes[missing] = len(categories) + 1  # ... unless missing
    return np.bincount(codes, minlength=len(categories) + 2)


def bin_labels(spec: dict) -> list[str]:
    """Labels of a characteristic's (or the score's) bins, in count order.

    Examples
    --------
    >>> bin_labels({"type": "number", "edges": [1.0, 2.5]})
    ['< 1', '[1, 2.5)', '>= 2.5', 'missing']
    >>> bin_labels({"type": "category", "categories": ["a"]})
    ['a', 'unknown', 'missing']
    """
    if spec.get("type") == "category":
        return [str(c) for c in spec["categories"]] + ["unknown", "missing"]
    e = spec["edges"]
    if not e:
        return ["all", "missing"]
    return ([f"< {e[0]:.6g}"] + [f"[{lo:.6g}, {hi:.6g})" for lo, hi in zip(e[:-1], e[1:], strict=True)]
            + [f">= {e[-1]:.6g}", "missing"])


def characteristic_counts(spec: dict, raw) -> np.ndarray:
    """Counts of raw input values in a characteristic's reference bins.

    Numbers are read as the scorer reads them (a value that is not a number
    counts as missing here: the scorer refuses it anyway); categories as labels.

    Examples
    --------
    >>> characteristic_counts({"type": "number", "edges": [1.0]}, [0.0, 2.0, None]).tolist()
    [1, 1, 1]
    """
    values = scoring.column_array(raw) if not isinstance(raw, np.ndarray) else raw
    if spec["type"] == "number":
        x, _ = scoring.number_column(values)
        x = np.where(np.isinf(x), np.nan, x)
        return number_counts(x, spec["edges"])
    return category_counts(scoring.category_column(values), spec["categories"])


def quantile_edges(values, n_bins: int) -> list[float]:
    """Interior edges at the quantiles 1/n .. (n-1)/n of the finite values (duplicates dropped).

    Examples
    --------
    >>> quantile_edges(np.arange(10.0), 2)
    [4.5]
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0 or n_bins < 2:
        return []
    return [float(v) for v in np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]))]


# --------------------------------------------------------------------------- the reference section
def _model_edges(content: dict) -> dict:
    """Numeric bin edges the model itself uses per input (a logistic scorecard's binnings)."""
    out = {}
    features = content.get("model", {}).get("features")
    if isinstance(features, list):
        for f in features:
            b = f.get("binning") if isinstance(f, dict) else None
            if isinstance(b, dict) and b.get("type") == "numeric":
                out[f["name"]] = [float(v) for v in b["edges"]]
    return out


def score_field(result: dict) -> str:
    """"score" when the model gives points, else "pd" (the variable whose PSI is the score PSI)."""
    return "score" if result.get("score") is not None else "pd"


def build_reference(content: dict, X, y=None, *, score_bins: int = 10, score_edges=None,
                    characteristic_bins: int = 10) -> dict:
    """The ``reference`` section of a bundle from its development sample.

    Parameters
    ----------
    content : bundle content (sealed or not) of the fitted model.
    X : development records (frame, dict of arrays or list of dicts), scored with ``content``.
    y : development default flags, optional (adds the default rate and the AUC).
    score_bins : development quantile bins of the score (or PD) when ``score_edges`` is not given.
    score_edges : explicit interior edges of the score bins.
    characteristic_bins : quantile bins of a number input the model does not bin itself.

    Returns
    -------
    dict
        See the module docstring.
    """
    columns, _ = scoring.as_columns(X)
    result = scoring.evaluate(content, columns)
    n = len(result["pd"])
    if n == 0:
        raise DataValidationError([Violation("X", "has no records", "the development sample")])
    field = score_field(result)
    values = np.asarray(result[field], dtype=float)
    edges = [float(e) for e in score_edges] if score_edges is not None else quantile_edges(values, score_bins)
    grades = list(content["master_scale"]["grades"])
    grade_counts = category_counts(result["grade"], grades)[:len(grades)]
    model_edges = _model_edges(content)
    chars = {}
    for rule in content["inputs"]:
        name = rule["name"]
        raw = columns.get(name, np.full(n, None, dtype=object))
        if rule["type"] == "number":
            x, _ = scoring.number_column(scoring.column_array(raw))
            spec = {"type": "number", "edges": model_edges.get(name) or quantile_edges(x, characteristic_bins)}
        else:
            labels = scoring.category_column(scoring.column_array(raw))
            seen = sorted({v for v in labels.tolist() if v is not None})
            spec = {"type": "category", "categories": list(rule.get("categories") or seen)}
        spec["counts"] = characteristic_counts(spec, raw).tolist()
        chars[name] = spec
    out = {"n": int(n), "mean_pd": float(np.mean(result["pd"])), "default_rate": None, "auc": None, "auc_se": None,
           "score": {"field": field, "edges": edges, "counts": number_counts(values, edges).tolist()},
           "grades": {"labels": grades, "counts": grade_counts.tolist()},
           "characteristics": chars}
    if y is not None:
        from riskmodels.validation import auc, auc_ci
        from riskmodels.validation.accuracy import check_outcomes

        t, p = check_outcomes(y, result["pd"])
        out["default_rate"] = float(t.mean())
        if 0 < t.sum() < len(t):
            out["auc"] = auc(t, p)
        if 2 <= t.sum() <= len(t) - 2:  # DeLong's variance needs two of each class
            out["auc_se"] = auc_ci(t, p).se
    return out


def add_reference(bundle, X, y=None, **options) -> dict:
    """A copy of a bundle with its ``reference`` section built from ``X`` (and ``y``), re-sealed.

    The sha256 changes (the reference is part of the sealed content).

    Examples
    --------
    >>> from riskmodels import scoring
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...     "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> add_reference(bundle, {"p": [0.1, 0.7]})["reference"]["grades"]["counts"]
    [1, 1]
    """
    content = dict(scoring.read_bundle(bundle))
    content.pop("sha256", None)
    content["reference"] = build_reference(content, X, y, **options)
    return scoring.seal(content)


def reference_of(content: dict) -> dict:
    """The bundle's ``reference`` section; BundleError when the bundle has none.

    Examples
    --------
    >>> reference_of({"name": "old"})
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: bundle 'old' has no reference distributions of its development sample (a model exports its fitting sample's unless it was exported with reference=False, recalibrated or given another master scale after fit): export it with model.export(path, reference=(X_dev, y_dev)) or add them with riskmodels.monitoring.add_reference(bundle, X_dev, y_dev)
    """
    ref = content.get("reference")
    if not isinstance(ref, dict) or not {"score", "grades", "characteristics"} <= set(ref):
        raise BundleError(f"bundle {content.get('name')!r} has no reference distributions of its development "
                          "sample (a model exports its fitting sample's unless it was exported with "
                          "reference=False, recalibrated or given another master scale after fit): export "
                          "it with model.export(path, reference=(X_dev, y_dev)) or add them with "
                          "riskmodels.monitoring.add_reference(bundle, X_dev, y_dev)")
    return ref
