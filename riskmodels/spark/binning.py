"""Optimal binning from a Spark DataFrame: pre-bin edges and counts in Spark, the optimiser on the driver.

What runs where
---------------
* Spark, a few passes over the data whatever the number of columns: one
  aggregate (totals, the target check, minima, maxima, distinct-count
  sketches, special-code overlaps), the exact order statistics that are the
  pre-bin edges (an ``approxQuantile`` pass, one histogram pass, one pass
  collecting the few values inside the brackets), and one ``groupBy`` giving
  the events / non-events of every pre-bin, missing bin, special-code bin and
  category of every column. Values are placed in pre-bins by Spark ML's
  ``Bucketizer`` (a binary search in the JVM, no Python UDF).
* Driver: :class:`riskmodels.binning.OptimalBinning` itself, given those
  counts: the same optimiser (:func:`~riskmodels.binning.optimal_partition`),
  the same WoE/IV table, the same bundle section. Only O(columns × pre-bins)
  numbers reach the driver, whatever the number of rows.

Pre-bin edges ("exact", the default)
------------------------------------
Locally the k-th edge is the sorted clean value at position
``ceil(k·(N-1)/n)`` (:func:`~riskmodels.binning.quantile_splits`). Spark has no
cheap exact order statistic, so it is found in two passes: ``approxQuantile``
(Greenwald–Khanna, relative error ε) gives values ``lo`` and ``hi`` whose
ranks bracket the position for sure (probabilities p ∓ 2ε); one histogram
over the bracket points counts the values below, at and between them; when
the position falls strictly inside (lo, hi) the few values there (about 6εN,
ε chosen so that this is at most ~12 000) are collected and sorted. Every
answer is checked against the exact counts; a bracket that misses (it cannot,
by the GK guarantee) raises instead of guessing. A column with at most ``n``
distinct values gets every value as its own pre-bin, as locally.

``prebin="approx"`` takes the ``approxQuantile`` values as the edges (one pass
fewer); edges then move by up to ε·N ranks, pre-bin counts change, and the
optimiser may pick other bins: ``benchmarks/bench_spark_fit.py`` reports the
IV difference. User splits (``binning_fit_params={col: {"user_splits": ...}}``)
are used as given, as locally.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

from riskmodels.binning import BinningProcess, OptimalBinning
from riskmodels.binning.prebinning import order_categories
from riskmodels.binning.process import SHARED_PARAMS, SPECIAL_OVERLAP
from riskmodels.errors import DataIntegrityError, DataValidationError, Violation
from riskmodels.scoring import category_label

PREBIN_METHODS = ("exact", "approx")
BRACKET_VALUES = 2_000  # about 3·BRACKET_VALUES values collected per edge at most


@contextmanager
def timed(passes: list | None, label: str):
    """Append ``(label, seconds)`` to ``passes`` (when given) around one Spark pass over the data.

    Examples
    --------
    >>> log = []
    >>> with timed(log, "nothing"):
    ...     pass
    >>> log[0][0]
    'nothing'
    """
    start = time.perf_counter()
    yield
    if passes is not None:
        passes.append((label, time.perf_counter() - start))


# --------------------------------------------------------------------------- column helpers
def _functions():
    from pyspark.sql import functions as F

    return F


def numeric_column_names(spark_df) -> set:
    """Columns of a Spark DataFrame binned as numbers by default (numeric, not boolean)."""
    from pyspark.sql import types as T

    return {f.name for f in spark_df.schema.fields
            if isinstance(f.dataType, T.NumericType) and not isinstance(f.dataType, T.BooleanType)}


def missing_condition(name: str, numeric: bool):
    """Spark condition: the value is missing (null, or NaN for a number), as the scorer's missing bin."""
    F = _functions()
    c = F.col(name)
    return (c.isNull() | F.isnan(c.cast("double"))) if numeric else c.isNull()


def special_conditions(name: str, codes, numeric: bool) -> list:
    """One Spark condition per special code: the value is that code (as :func:`riskmodels.scoring.bin_index`)."""
    F = _functions()
    if numeric:
        return [F.col(name).cast("double") == F.lit(float(code)) for code in codes]
    return [F.col(name).cast("string") == F.lit(category_label(code)) for code in codes]


def _clean(name: str, codes, numeric: bool):
    cond = ~missing_condition(name, numeric)
    for hit in special_conditions(name, codes, numeric):
        cond = cond & ~hit
    return cond


def bucketed(spark_df, edges: dict):
    """Add, for each named column, its bucket: the number of ``edges`` <= the value.

    Bucket ``j`` is ``[e_j, e_{j+1})`` with ``e_0 = -inf``, as
    :func:`riskmodels.scoring.bin_index` places numbers (Spark ML's
    ``Bucketizer``: a binary search in the JVM). Missing values get a bucket
    too; callers test them first.

    Parameters
    ----------
    spark_df : the data.
    edges : ``{column: sorted distinct finite edges}``.

    Returns
    -------
    (frame, {column: integer Column of the bucket on that frame}).

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> sdf = local_session(1).createDataFrame([(0.5,), (1.0,), (3.0,)], "x double")
    >>> frame, cols = bucketed(sdf, {"x": [1.0, 2.0]})
    >>> [r[0] for r in frame.select(cols["x"]).collect()]
    [0, 1, 2]
    """
    from pyspark.ml.feature import Bucketizer

    F = _functions()
    out = {name: F.lit(0) for name, e in edges.items() if not len(e)}
    names = [name for name, e in edges.items() if len(e)]
    if names:
        taken = set(spark_df.columns)
        cols = [f"_bucket{i}_{len(taken)}" for i in range(len(names))]
        splits = [[float("-inf"), *(float(v) for v in edges[n]), float("inf")] for n in names]
        spark_df = Bucketizer(inputCols=names, outputCols=cols, splitsArray=splits,
                              handleInvalid="keep").transform(spark_df)
        out.update({n: F.col(c).cast("int") for n, c in zip(names, cols, strict=True)})
    return spark_df, out


def _target_aggs(target: str) -> list:
    F = _functions()
    y = F.col(target).cast("double")
    bad = y.isNull() | ~y.isin(0.0, 1.0)
    return [F.count(F.lit(1)).alias("_n"), F.sum(F.when(~bad, y)).alias("_events"),
            F.sum(bad.cast("int")).alias("_bad")]


def _check_target_type(spark_df, target: str):
    from pyspark.sql import types as T

    if target not in spark_df.columns:
        raise DataValidationError([Violation(target, "missing column", "the 0/1 target column")])
    dtype = spark_df.schema[target].dataType
    if not isinstance(dtype, (T.NumericType, T.BooleanType)):
        raise DataValidationError([Violation(target, f"has type {dtype.simpleString()}", "a binary 0/1 target")])


def _check_target_counts(spark_df, target: str, row) -> tuple[int, int]:
    F = _functions()
    n, events, n_bad = int(row["_n"]), row["_events"], int(row["_bad"] or 0)
    if n == 0:
        raise DataValidationError([Violation(target, "is empty", "at least one observation")])
    if n_bad:
        y = F.col(target).cast("double")
        rows = first_rows(spark_df, y.isNull() | ~y.isin(0.0, 1.0))
        raise DataValidationError([Violation(target, "values other than 0/1", "a binary 0/1 target",
                                             tuple(rows), n_bad)])
    events = int(events)
    if events in (0, n):
        raise DataValidationError([Violation(target, f"has a single class ({int(events > 0)})",
                                             "both defaults (1) and non-defaults (0)")])
    return n, events


def spark_target(spark_df, target: str):
    """Check the target column (0/1, no nulls, both classes); return (n, events).

    Raises
    ------
    DataValidationError naming the column and the first bad rows (positions in the DataFrame).
    """
    _check_target_type(spark_df, target)
    return _check_target_counts(spark_df, target, spark_df.agg(*_target_aggs(target)).first())


def first_rows(spark_df, condition, k: int = 5) -> list[int]:
    """Positions (0-based, in DataFrame order) of the first rows meeting ``condition`` (error path only)."""
    flagged = spark_df.select(condition.alias("hit")).rdd.zipWithIndex()
    return [int(i) for row, i in flagged.filter(lambda t: bool(t[0]["hit"])).take(k)]


# --------------------------------------------------------------------------- exact edges
def _positions(n: int, n_prebins: int) -> np.ndarray:
    """Sorted positions ceil(k·(N-1)/n), k = 1..n-1, as in quantile_splits."""
    k = np.arange(1, n_prebins, dtype=np.int64)
    return -((-k * (n - 1)) // n_prebins)


def _histogram(spark_df, columns: dict, with_target: str | None = None) -> dict:
    """Counts (and events) per code (and label) of each column, one ``groupBy`` for every column.

    ``columns`` maps a name to a Spark integer expression (null = not counted)
    or to a pair (code, label) where the label is a string expression
    (categories). Returns ``{name: DataFrame[code, label, n(, events)]}``.
    """
    F = _functions()
    if not columns:
        return {}
    names = list(columns)
    cells = []
    for i, spec in enumerate(columns.values()):
        code, label = spec if isinstance(spec, tuple) else (spec, F.lit(None))
        cells.append(F.struct(F.lit(i).alias("f"), code.cast("long").alias("code"),
                              label.cast("string").alias("label")))
    frame = spark_df.select(F.explode(F.array(*cells)).alias("cell"),
                            *([F.col(with_target).cast("double").alias("y")] if with_target else []))
    frame = frame.where(F.col("cell.code").isNotNull())
    aggs = [F.count(F.lit(1)).alias("n")] + ([F.sum("y").alias("events")] if with_target else [])
    rows = frame.groupBy(F.col("cell.f").alias("f"), F.col("cell.code").alias("code"),
                         F.col("cell.label").alias("label")).agg(*aggs).collect()
    out = {name: [] for name in names}
    for r in rows:
        out[names[r["f"]]].append(r.asDict())
    return {name: pd.DataFrame(v, columns=["f", "code", "label", "n", *(["events"] if with_target else [])])
            for name, v in out.items()}


def exact_order_statistics(spark_df, specs: dict, relative_error: float | None = None,
                           passes: list | None = None) -> dict:
    """Exact sorted values at given positions of each column's clean values.

    Parameters
    ----------
    spark_df : the data.
    specs : ``{name: (clean_condition, n_clean, positions)}`` (positions 0-based, sorted).
    relative_error : ε of the approxQuantile brackets (default: at most
        ~2000·3 values to sort per position).
    passes : list to which ``(label, seconds)`` of each Spark pass is appended.

    Returns
    -------
    ``{name: array of the values at the positions}``.
    """
    F = _functions()
    specs = {k: v for k, v in specs.items() if len(v[2])}
    if not specs:
        return {}
    n_max = max(s[1] for s in specs.values())
    eps = relative_error or min(1e-3, BRACKET_VALUES / n_max)
    masked = spark_df.select(*[F.when(cond, F.col(name).cast("double")).alias(f"_q{i}")
                               for i, (name, (cond, _, _)) in enumerate(specs.items())])
    probs = sorted({q for _, n, pos in specs.values() for p in pos
                    for q in (max(0.0, p / n - 2 * eps), min(1.0, p / n + 2 * eps))})
    cols = [f"_q{i}" for i in range(len(specs))]
    with timed(passes, "approxQuantile brackets"):
        quantiles = masked.approxQuantile(cols, probs, eps)  # one pass for every column
    brackets = {}
    for i, (name, (_, n, pos)) in enumerate(specs.items()):
        at = dict(zip(probs, quantiles[i], strict=True))
        brackets[name] = np.array([[at[max(0.0, p / n - 2 * eps)], at[min(1.0, p / n + 2 * eps)]] for p in pos],
                                  dtype=float)
    points = {name: np.unique(b.ravel()) for name, b in brackets.items()}
    # code = #(points <= x) + #(points < x): 2j-1 for x == points[j-1], 2j between points[j-1] and points[j]
    frame, buckets = bucketed(spark_df, points)
    codes = {}
    for name, (cond, _, _) in specs.items():
        x, j = F.col(name).cast("double"), buckets[name]
        at_point = F.get(F.array(*[F.lit(float(p)) for p in points[name]]), j - 1) == x
        codes[name] = F.when(cond, 2 * j - F.coalesce(at_point.cast("int"), F.lit(0)))
    with timed(passes, "bracket histogram"):
        hist = _histogram(frame, codes)
    out, pending = {}, {}
    for name, (_, _n, pos) in specs.items():
        m = len(points[name])
        counts = np.zeros(2 * m + 1, dtype=np.int64)
        h = hist[name]
        counts[h["code"].to_numpy(dtype=np.int64)] = h["n"].to_numpy(dtype=np.int64)
        below = np.concatenate([[0], np.cumsum(counts)])  # below[c] = values with code < c
        values = np.full(len(pos), np.nan)
        for k, p in enumerate(pos):
            lo, hi = brackets[name][k]
            jl = int(np.searchsorted(points[name], lo)) + 1  # lo is points[jl-1], code 2jl-1
            jh = int(np.searchsorted(points[name], hi)) + 1
            lt_lo, le_lo = below[2 * jl - 1], below[2 * jl]
            lt_hi, le_hi = below[2 * jh - 1], below[2 * jh]
            if not lt_lo <= p < le_hi:
                raise DataIntegrityError(f"column {name!r}: the approxQuantile bracket [{lo}, {hi}] misses "
                                         f"position {p} (counts {lt_lo}..{le_hi}); rerun with "
                                         "a smaller relative_error")
            if p < le_lo:
                values[k] = lo
            elif p >= lt_hi:
                values[k] = hi
            else:  # strictly inside (lo, hi): sort the values there
                pending.setdefault(name, []).append((k, p - le_lo, lo, hi, 2 * jl - 1, 2 * jh - 1))
        out[name] = values
    if pending:
        with timed(passes, "values inside the brackets"):
            _fill_inside(frame, codes, points, pending, out)
    return out


def _fill_inside(frame, codes, points, pending, out):
    """Collect the values strictly inside the unresolved brackets and pick the exact ones.

    A value is wanted when its histogram code lies strictly between the codes
    of a bracket's ends: one array look-up per value and column.
    """
    F = _functions()
    parts = []
    for i, (name, items) in enumerate(pending.items()):
        wanted = np.zeros(2 * len(points[name]) + 1, dtype=bool)
        for *_, code_lo, code_hi in items:
            wanted[code_lo + 1: code_hi] = True
        flag = F.get(F.array(*[F.lit(bool(w)) for w in wanted]), codes[name].cast("int"))
        parts.append(F.when(F.coalesce(flag, F.lit(False)),
                            F.struct(F.lit(i).alias("f"), F.col(name).cast("double").alias("v"))))
    found = (frame.select(F.explode(F.array(*parts)).alias("c")).where(F.col("c").isNotNull())
             .select("c.f", "c.v").toPandas())
    for i, (name, items) in enumerate(pending.items()):
        v = np.sort(found["v"].to_numpy(dtype=float)[found["f"].to_numpy() == i])
        for k, offset, lo, hi, *_ in items:
            out[name][k] = v[(v > lo) & (v < hi)][offset]


def _distinct_values(spark_df, conditions: dict) -> dict:
    """Sorted distinct clean values of each named column (columns expected to hold few)."""
    F = _functions()
    if not conditions:
        return {}
    names = list(conditions)
    cells = F.array(*[F.when(cond, F.struct(F.lit(i).alias("f"), F.col(n).cast("double").alias("v")))
                      for i, (n, cond) in enumerate(conditions.items())])
    rows = (spark_df.select(F.explode(cells).alias("c")).where(F.col("c").isNotNull())
            .select("c.f", "c.v").distinct().collect())
    out = {n: [] for n in names}
    for r in rows:
        out[names[r["f"]]].append(r["v"])
    return {n: np.sort(np.asarray(v, dtype=float)) for n, v in out.items()}


# --------------------------------------------------------------------------- binning
def _optimal_binning(name: str, params: dict) -> OptimalBinning:
    ob = OptimalBinning(name=name, **params)
    ob._check_params()
    return ob


def _set_numeric(ob: OptimalBinning, splits, events, nonevents):
    ob.prebin_splits_ = np.asarray(splits, dtype=float)
    ob.n_prebins_ = len(splits) + 1
    ob.prebin_events_ = np.asarray(events, dtype=np.int64)
    ob.prebin_nonevents_ = np.asarray(nonevents, dtype=np.int64)


def _set_categorical(ob: OptimalBinning, labels, events, totals):
    """Categorical pre-bins from per-label counts, as ``OptimalBinning`` builds them locally."""
    labels = np.asarray(labels, dtype=object)
    order = np.argsort(labels.astype(str), kind="stable")
    labels, events, totals = labels[order].astype(str), np.asarray(events)[order], np.asarray(totals)[order]
    if ob.user_splits is not None:
        groups = ob._user_groups([str(c) for c in labels])
    else:
        groups = [[str(labels[i])] for i in order_categories(list(labels), events, totals - events)]
    ob.prebin_groups_ = groups
    ob.n_prebins_ = len(groups)
    ob.categories_ = sorted({c for g in groups for c in g})
    group_of = {c: i for i, g in enumerate(groups) for c in g}
    index = np.array([group_of[str(c)] for c in labels], dtype=np.int64)
    tot = np.bincount(index, weights=np.asarray(totals, dtype=float), minlength=len(groups)).astype(np.int64)
    ob.prebin_events_ = np.bincount(index, weights=np.asarray(events, dtype=float),
                                    minlength=len(groups)).astype(np.int64)
    ob.prebin_nonevents_ = tot - ob.prebin_events_


def fit_binning(binning: BinningProcess, spark_df, target: str = "default", prebin: str = "exact",
                relative_error: float | None = None, passes: list | None = None) -> BinningProcess:
    """Fit a :class:`~riskmodels.binning.BinningProcess` on a Spark DataFrame; returns it, fitted.

    Equal to ``binning.fit(X, y)`` with ``X = spark_df.drop(target)`` on the
    same rows (``prebin="exact"``): same pre-bins, counts, bins, WoE and IV.

    Parameters
    ----------
    binning : an unfitted (or to be refitted) BinningProcess.
    spark_df : pyspark DataFrame with the columns and the target.
    target : the 0/1 target column (1 = default).
    prebin : "exact" (edges as locally) or "approx" (approxQuantile values as edges).
    relative_error : ε of approxQuantile (default: chosen from the row count).
    passes : list to which ``(label, seconds)`` of each Spark pass is appended.

    Returns
    -------
    the same BinningProcess, fitted.

    Examples
    --------
    >>> import os, sys
    >>> _ = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    >>> from pyspark.sql import SparkSession
    >>> spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    >>> spark.sparkContext.setLogLevel("ERROR")
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"x": rng.normal(size=400)})
    >>> frame["default"] = (rng.random(400) < 1 / (1 + np.exp(2 - frame["x"]))).astype(int)
    >>> bp = fit_binning(BinningProcess(), spark.createDataFrame(frame))
    >>> local = BinningProcess().fit(frame[["x"]], frame["default"])
    >>> bp.binnings_["x"].splits_.tolist() == local.binnings_["x"].splits_.tolist(), bp.iv_["x"] == local.iv_["x"]
    (True, True)
    """
    F = _functions()
    if prebin not in PREBIN_METHODS:
        raise DataValidationError([Violation("prebin", f"is {prebin!r}", f"one of {PREBIN_METHODS}")])
    _check_target_type(spark_df, target)
    columns = [c for c in spark_df.columns if c != target]
    names = list(columns) if binning.features is None else list(binning.features)
    absent = [n for n in names if n not in spark_df.columns or n == target]
    if absent:
        raise DataValidationError([Violation(n, "missing column", "a column to bin") for n in absent])
    if binning.metric not in ("woe", "event_rate", "index", "bin"):
        raise DataValidationError([Violation("metric", f"is {binning.metric!r}", "one of woe, event_rate, index, bin")])
    overrides = dict(binning.binning_fit_params or {})
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise DataValidationError([Violation(n, "has binning_fit_params but is not binned",
                                             f"one of {names}") for n in unknown])
    numeric_types = numeric_column_names(spark_df)
    shared = {p: getattr(binning, p) for p in SHARED_PARAMS}
    bins = {}
    for name in names:
        categorical = (name in binning.categorical_variables if binning.categorical_variables is not None
                       else name not in numeric_types)
        params = {**shared, "dtype": "categorical" if categorical else "numerical", **overrides.get(name, {})}
        ob = _optimal_binning(name, params)
        if ob.dtype == "numerical" and ob.prebinning_method != "quantile" and ob.user_splits is None:
            raise DataValidationError([Violation(f"{name}.prebinning_method", f"is {ob.prebinning_method!r}",
                                                 "'quantile' (or user_splits) on Spark")])
        ob.special_codes_ = list(ob.special_codes or [])
        bins[name] = ob
    numeric = [n for n in names if bins[n].dtype == "numerical"]
    for name in numeric:
        if name not in numeric_types:
            dtype = spark_df.schema[name].dataType.simpleString()
            raise DataValidationError([Violation(name, f"is not numeric (dtype {dtype})",
                                                 "numbers, or dtype='categorical'")])
    # pass 1: the target, clean counts, infinities, minimum, maximum and distinct-count sketch of every
    # numeric column, and the special-code overlaps of every pair of columns
    clean = {n: _clean(n, bins[n].special_codes_, bins[n].dtype == "numerical") for n in names}
    aggs = _target_aggs(target)
    for i, name in enumerate(names):
        aggs.append(F.sum(clean[name].cast("int")).alias(f"n{i}"))
        if name in numeric:
            x = F.col(name).cast("double")
            aggs += [F.sum(F.when(x.isin(float("inf"), float("-inf")), 1).otherwise(0)).alias(f"inf{i}"),
                     F.min(F.when(clean[name], x)).alias(f"min{i}"), F.max(F.when(clean[name], x)).alias(f"max{i}"),
                     F.approx_count_distinct(F.when(clean[name], x)).alias(f"nd{i}")]
    pairs = _special_pairs(bins)
    aggs += _overlap_aggs(bins, pairs)
    with timed(passes, "totals, target check, ranges"):
        stats = spark_df.agg(*aggs).first().asDict()
    n_rows, _ = _check_target_counts(spark_df, target, stats)
    for i, name in enumerate(names):
        if name in numeric and stats[f"inf{i}"]:
            x = F.col(name).cast("double")
            rows = first_rows(spark_df, x.isin(float("inf"), float("-inf")))
            raise DataValidationError([Violation(name, "infinite values", "finite numbers (NaN for missing)",
                                                 tuple(rows), int(stats[f"inf{i}"]))])
        if not stats[f"n{i}"]:
            raise DataValidationError([Violation(name, "has no value outside missing and special codes",
                                                 "at least one ordinary value to bin")])
    splits = _numeric_splits(spark_df, bins, numeric, clean, stats, names, prebin, relative_error, passes)
    # last pass: events and records of every pre-bin, missing bin, special bin and category, every column at once
    frame, buckets = bucketed(spark_df, {n: splits[n] for n in numeric})
    codes = {}
    for name in names:
        ob = bins[name]
        is_num = ob.dtype == "numerical"
        expr = F.when(missing_condition(name, is_num), F.lit(-1))
        for s, hit in enumerate(special_conditions(name, ob.special_codes_, is_num)):
            expr = expr.when(hit, F.lit(-2 - s))
        if is_num:
            codes[name] = expr.otherwise(buckets[name])
        else:
            codes[name] = (expr.otherwise(F.lit(0)), F.when(clean[name], F.col(name).cast("string")))
    with timed(passes, "pre-bin events and records"):
        counts = _histogram(frame, codes, with_target=target)
    for name in names:
        ob, h = bins[name], counts[name]
        n_extra = 1 + len(ob.special_codes_)
        ev_extra, tot_extra = np.zeros(n_extra, dtype=np.int64), np.zeros(n_extra, dtype=np.int64)
        extra = h[h["code"] < 0]
        slot = (-extra["code"].to_numpy(dtype=np.int64)) - 1  # -1 -> 0 (missing), -2-s -> 1+s
        ev_extra[slot] = extra["events"].to_numpy(dtype=float).astype(np.int64)
        tot_extra[slot] = extra["n"].to_numpy(dtype=np.int64)
        ob.extra_events_, ob.extra_nonevents_ = ev_extra, tot_extra - ev_extra
        if ob.dtype == "numerical":
            regular = h[h["code"] >= 0]
            m = len(splits[name]) + 1
            ev, tot = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=np.int64)
            idx = regular["code"].to_numpy(dtype=np.int64)
            ev[idx] = regular["events"].to_numpy(dtype=float).astype(np.int64)
            tot[idx] = regular["n"].to_numpy(dtype=np.int64)
            _set_numeric(ob, splits[name], ev, tot - ev)
        else:
            lc = h[h["code"] >= 0]
            _set_categorical(ob, lc["label"].tolist(), lc["events"].to_numpy(dtype=float).astype(np.int64),
                             lc["n"].to_numpy(dtype=np.int64))
        ob.n_total_ = n_rows
        ob._solve()
        ob._warn_special_collapse()
        ob.n_features_in_ = 1
    binning.binnings_ = bins
    binning.features_ = names
    binning.special_overlaps_ = _special_overlaps(bins, pairs, stats)
    binning.feature_names_in_ = np.asarray(columns, dtype=object)
    binning.n_features_in_ = len(columns)
    binning.iv_ = pd.Series({n: b.iv_ for n, b in bins.items()}, name="iv")
    return binning


def _special_pairs(bins) -> list:
    with_codes = [n for n, b in bins.items() if b.special_codes_]
    return [(a, b) for i, a in enumerate(with_codes) for b in with_codes[i + 1:]]


def _overlap_aggs(bins, pairs) -> list:
    """Rows flagged by both / either column's special codes, for every pair (in the first pass)."""
    F = _functions()
    hit = {}
    for n in {n for pair in pairs for n in pair}:
        cond = F.lit(False)
        for h in special_conditions(n, bins[n].special_codes_, bins[n].dtype == "numerical"):
            cond = cond | F.coalesce(h, F.lit(False))
        hit[n] = cond
    aggs = []
    for i, (a, b) in enumerate(pairs):
        aggs += [F.sum((hit[a] & hit[b]).cast("long")).alias(f"both{i}"),
                 F.sum((hit[a] | hit[b]).cast("long")).alias(f"either{i}")]
    return aggs


def _special_overlaps(bins, pairs, stats) -> list:
    """Pairs of columns whose special-code rows are (nearly) the same rows, as BinningProcess finds them."""
    import warnings

    found = []
    for i, (a, b) in enumerate(pairs):
        both, either = int(stats[f"both{i}"]), int(stats[f"either{i}"])
        if either and both / either >= SPECIAL_OVERLAP:
            found.append((a, b, both, both / either))
            warnings.warn(f"BinningProcess: the special-code bins of {a!r} and {b!r} flag the same "
                          f"{both} rows (Jaccard {both / either:.2f}): their special WoE columns are "
                          "collinear", UserWarning, stacklevel=3)
    return found


def _numeric_splits(spark_df, bins, numeric, clean, stats, names, prebin, relative_error, passes) -> dict:
    """Pre-bin split points of every numeric column (user splits, distinct values or quantiles).

    A column whose HyperLogLog distinct count is small has its distinct values
    listed exactly (one job for all such columns); with at most
    ``max_n_prebins`` of them each value is its own pre-bin, as locally. The
    HyperLogLog count only saves work: a column whose order statistics, minimum
    and maximum hold at most ``max_n_prebins`` values is counted exactly too
    (a column with that few distinct values always passes this test).
    """
    F = _functions()
    splits, specs, few = {}, {}, []
    for name in numeric:
        ob = bins[name]
        i = names.index(name)
        if ob.user_splits is not None:
            splits[name] = np.unique(np.asarray(ob.user_splits, dtype=float))
        elif stats[f"min{i}"] == stats[f"max{i}"] or ob.max_n_prebins < 2:
            splits[name] = np.empty(0)
        elif stats[f"nd{i}"] <= 1.2 * ob.max_n_prebins + 2:
            few.append(name)
        else:
            n = int(stats[f"n{i}"])
            specs[name] = (clean[name], n, _positions(n, ob.max_n_prebins))
    with timed(passes if few else None, "distinct values of few-valued columns"):
        listed = _distinct_values(spark_df, {n: clean[n] for n in few})
    for name, distinct in listed.items():
        if len(distinct) <= bins[name].max_n_prebins:  # few values (counts, codes): each its own pre-bin
            splits[name] = distinct[1:]
        else:
            n = int(stats[f"n{names.index(name)}"])
            specs[name] = (clean[name], n, _positions(n, bins[name].max_n_prebins))
    if prebin == "exact":
        found = exact_order_statistics(spark_df, specs, relative_error, passes)
    elif specs:
        masked = spark_df.select(*[F.when(cond, F.col(name).cast("double")).alias(f"_q{i}")
                                   for i, (name, (cond, _, _)) in enumerate(specs.items())])
        probs = sorted({p / n for _, n, pos in specs.values() for p in pos})
        with timed(passes, "approxQuantile edges"):
            quantiles = masked.approxQuantile([f"_q{i}" for i in range(len(specs))], probs, relative_error or 1e-3)
        found = {}
        for i, (name, (_, n, pos)) in enumerate(specs.items()):
            at = dict(zip(probs, quantiles[i], strict=True))
            found[name] = np.array([at[p / n] for p in pos], dtype=float)
    else:
        found = {}
    recheck = {}
    for name, (cond, _n, _) in specs.items():
        i = names.index(name)
        lo, hi = stats[f"min{i}"], stats[f"max{i}"]
        if len(np.unique(np.concatenate([[lo, hi], found[name]]))) <= bins[name].max_n_prebins:
            recheck[name] = cond  # few distinct order statistics: count the distinct values exactly
        cut = np.unique(found[name])
        splits[name] = cut[cut > lo]
    with timed(passes if recheck else None, "distinct values (few order statistics)"):
        rechecked = _distinct_values(spark_df, recheck)
    for name, distinct in rechecked.items():
        if len(distinct) <= bins[name].max_n_prebins:
            splits[name] = distinct[1:]
    return splits
