"""Optimal binning from a Spark DataFrame: pre-bin edges and counts in Spark, the solve on the driver.

Spark makes a few passes whatever the number of columns: one aggregate
(totals, target and weight checks, minima, maxima, distinct-count sketches,
special-code overlaps), the exact pre-bin edges, and one ``groupBy`` giving the
event and non-event weights of every pre-bin, missing bin, special-code bin and
category of every column (values placed by Spark ML's ``Bucketizer``, a JVM
binary search). The driver solves with :meth:`BinningProcess.fit_counts
<riskmodels.binning.BinningProcess.fit_counts>`, the step the local fit runs:
only O(columns × pre-bins) numbers reach it.

Exact edges: the values at the positions of
:func:`~riskmodels.binning.prebinning.quantile_positions`, as locally, found from
``approxQuantile`` brackets and one histogram (:func:`exact_order_statistics`); a
column with at most ``n`` distinct values gets each as its own pre-bin, as locally.
``prebin="approx"`` takes the ``approxQuantile`` values as the edges (one pass fewer;
edges move by up to ε·N ranks, ``benchmarks/bench_spark_fit.py`` reports the IV difference).
"""

from __future__ import annotations

import functools
import operator
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd
from pyspark.ml.feature import Bucketizer
from pyspark.sql import functions as F
from pyspark.sql import types as T

from riskmodels.binning import BinningProcess
from riskmodels.binning.prebinning import quantile_positions
from riskmodels.data.schema import require_target_totals
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.scoring import category_label

PREBIN_METHODS = ("exact", "approx")
BRACKET_VALUES = 2_000  # about 4·BRACKET_VALUES values collected per edge at most


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
def numeric_column_names(spark_df) -> set:
    """Columns of a Spark DataFrame binned as numbers by default (numeric, not boolean)."""
    return {f.name for f in spark_df.schema.fields
            if isinstance(f.dataType, T.NumericType) and not isinstance(f.dataType, T.BooleanType)}


def missing_condition(name: str, numeric: bool):
    """Spark condition: the value is missing (null, or NaN for a number), as the scorer's missing bin."""
    c = F.col(name)
    return (c.isNull() | F.isnan(c.cast("double"))) if numeric else c.isNull()


def special_conditions(name: str, codes, numeric: bool) -> list:
    """One Spark condition per special code: the value is that code (as :func:`riskmodels.scoring.bin_index`)."""
    if numeric:
        return [F.col(name).cast("double") == F.lit(float(code)) for code in codes]
    return [F.col(name).cast("string") == F.lit(category_label(code)) for code in codes]


def _clean(name: str, codes, numeric: bool):
    """Spark condition: the value is neither missing nor a special code (an ordinary value to pre-bin)."""
    return ~missing_condition(name, numeric) & ~_any_special(name, codes, numeric)


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


def weight_column(weight: str | None):
    """The weight of each row as a Spark expression (1 without a weight column)."""
    return F.lit(1.0) if weight is None else F.col(weight).cast("double")


def _target_aggs(target: str, weight: str | None = None) -> list:
    y, w = F.col(target).cast("double"), weight_column(weight)
    bad = y.isNull() | ~y.isin(0.0, 1.0)
    aggs = [F.count(F.lit(1)).alias("_n"), F.sum(F.when(~bad, y * w)).alias("_events"),
            F.sum(F.when(~bad, (1.0 - y) * w)).alias("_nonevents"), F.sum(bad.cast("int")).alias("_bad")]
    if weight is not None:
        aggs.append(F.sum(_bad_weight(weight).cast("int")).alias("_bad_weight"))
    return aggs


def _bad_weight(weight: str):
    w = F.col(weight).cast("double")
    return w.isNull() | F.isnan(w) | w.isin(float("inf"), float("-inf")) | (w < 0)


def _check_types(spark_df, target: str, weight: str | None = None):
    for name, what in ((target, "the 0/1 target column"), (weight, "the column of sample weights")):
        if name is None:
            continue
        if name not in spark_df.columns:
            raise DataValidationError([Violation(name, "missing column", what)])
        dtype = spark_df.schema[name].dataType
        if not isinstance(dtype, (T.NumericType, T.BooleanType)):
            raise DataValidationError([Violation(name, f"has type {dtype.simpleString()}",
                                                 "a binary 0/1 target" if name == target else "numbers >= 0")])


def _check_target_counts(spark_df, target: str, row, weight: str | None = None) -> int:
    """Check the target (and weight) aggregates of the first pass (:func:`require_target_totals`); return the rows."""
    y = F.col(target).cast("double")
    n_bad, n_bad_weight = int(row["_bad"] or 0), int(row.get("_bad_weight") or 0)
    require_target_totals(target, int(row["_n"]), float(row["_events"] or 0), float(row["_nonevents"] or 0),
                          first_rows(spark_df, y.isNull() | ~y.isin(0.0, 1.0)) if n_bad else (), n_bad, weight,
                          first_rows(spark_df, _bad_weight(weight)) if n_bad_weight else (), n_bad_weight)
    return int(row["_n"])


def spark_target(spark_df, target: str, weight: str | None = None) -> int:
    """Check the target column (0/1, no nulls, both classes) and the weights; return the rows.

    Raises
    ------
    DataValidationError naming the column and the first bad rows (positions in the DataFrame).
    """
    _check_types(spark_df, target, weight)
    return _check_target_counts(spark_df, target, spark_df.agg(*_target_aggs(target, weight)).first().asDict(), weight)


def first_rows(spark_df, condition, k: int = 5) -> list[int]:
    """Positions (0-based, in DataFrame order) of the first rows meeting ``condition`` (error path only)."""
    flagged = spark_df.select(condition.alias("hit")).rdd.zipWithIndex()
    return [int(i) for row, i in flagged.filter(lambda t: bool(t[0]["hit"])).take(k)]


# --------------------------------------------------------------------------- exact edges
def _histogram(spark_df, columns: dict, sums: dict) -> dict:
    """Sums per code (and label) of each column, one ``groupBy`` for every column.

    ``columns`` maps a name to a Spark integer expression (null = not counted)
    or to a pair (code, label) where the label is a string expression
    (categories); ``sums`` maps an output name to the expression summed.
    Returns ``{name: DataFrame[code, label, *sums]}``.
    """
    if not columns:
        return {}
    names = list(columns)
    cells = []
    for i, spec in enumerate(columns.values()):
        code, label = spec if isinstance(spec, tuple) else (spec, F.lit(None))
        cells.append(F.struct(F.lit(i).alias("f"), code.cast("long").alias("code"),
                              label.cast("string").alias("label")))
    frame = spark_df.select(F.explode(F.array(*cells)).alias("cell"), *[e.alias(k) for k, e in sums.items()])
    frame = frame.where(F.col("cell.code").isNotNull())
    rows = frame.groupBy(F.col("cell.f").alias("f"), F.col("cell.code").alias("code"),
                         F.col("cell.label").alias("label")).agg(*[F.sum(k).alias(k) for k in sums]).collect()
    out = {name: [] for name in names}
    for r in rows:
        out[names[r["f"]]].append(r.asDict())
    return {name: pd.DataFrame(v, columns=["f", "code", "label", *sums]) for name, v in out.items()}


def exact_order_statistics(spark_df, specs: dict, relative_error: float | None = None,
                           passes: list | None = None, weight: str | None = None) -> dict:
    """Exact sorted values at given positions of each column's clean values (weighted positions too).

    The value at position p is the first sorted value whose cumulative count
    (or weight) exceeds p. ``approxQuantile`` gives bracket points (around
    each position, or a uniform grid with weights); one histogram of the
    values at and between the points gives the exact cumulative count (weight)
    at each; a position at a point is that point, a position between two
    points is found among the few values there, collected and sorted.

    Parameters
    ----------
    spark_df : the data.
    specs : ``{name: (clean_condition, n_clean, positions)}`` (positions sorted,
        in records, or in weight units with ``weight``).
    relative_error : ε of the approxQuantile brackets (default: at most
        ~4·2000 values to sort per position).
    passes : list to which ``(label, seconds)`` of each Spark pass is appended.
    weight : column of sample weights (None: every row counts 1).

    Returns
    -------
    ``{name: array of the values at the positions}``.
    """
    specs = {k: v for k, v in specs.items() if len(v[2])}
    if not specs:
        return {}
    eps = relative_error or min(1e-3, BRACKET_VALUES / max(s[1] for s in specs.values()))
    masked = spark_df.select(*[F.when(cond, F.col(name).cast("double")).alias(f"_q{i}")
                               for i, (name, (cond, _, _)) in enumerate(specs.items())])
    if weight is None:
        probs = sorted({q for _, n, pos in specs.values() for p in pos
                        for q in (max(0.0, p / n - 2 * eps), min(1.0, p / n + 2 * eps))})
    else:
        probs = np.linspace(0.0, 1.0, int(np.ceil(1.0 / (2 * eps))) + 1).tolist()
    with timed(passes, "approxQuantile brackets"):
        quantiles = masked.approxQuantile([f"_q{i}" for i in range(len(specs))], probs, eps)
    points = {name: np.unique(np.asarray(quantiles[i], dtype=float)) for i, name in enumerate(specs)}
    # code = #(points <= x) + #(points < x): 2j-1 for x == points[j-1], 2j between points[j-1] and points[j]
    frame, buckets = bucketed(spark_df, points)
    codes = {}
    for name, (cond, _, _) in specs.items():
        x, j = F.col(name).cast("double"), buckets[name]
        at_point = F.get(F.array(*[F.lit(float(p)) for p in points[name]]), j - 1) == x
        codes[name] = F.when(cond, 2 * j - F.coalesce(at_point.cast("int"), F.lit(0)))
    with timed(passes, "bracket histogram"):
        hist = _histogram(frame, codes, {"w": weight_column(weight)})
    out, pending = {}, {}
    for name, (_, _, pos) in specs.items():
        mass = np.zeros(2 * len(points[name]) + 1)
        mass[hist[name]["code"].to_numpy(dtype=np.int64)] = hist[name]["w"].to_numpy(dtype=float)
        below = np.concatenate([[0.0], np.cumsum(mass)])  # below[c]: count (weight) of codes < c
        out[name] = np.full(len(pos), np.nan)
        for k, p in enumerate(pos):
            c = min(int(np.searchsorted(below[1:], p, side="right")), len(mass) - 1)
            if c % 2:
                out[name][k] = points[name][(c - 1) // 2]
            else:
                pending.setdefault(name, []).append((k, c, p - below[c]))
    if pending:
        with timed(passes, "values inside the brackets"):
            _fill_inside(frame, codes, pending, out, weight)
    return out


def _fill_inside(frame, codes, pending, out, weight):
    """Collect the values (and weights) with the histogram codes of the unresolved positions; pick each."""
    parts = []
    for i, (name, items) in enumerate(pending.items()):
        wanted = sorted({c for _, c, _ in items})
        parts.append(F.when(codes[name].isin(*wanted), F.struct(
            F.lit(i).alias("f"), codes[name].cast("long").alias("code"), F.col(name).cast("double").alias("v"),
            weight_column(weight).alias("w"))))
    found = (frame.select(F.explode(F.array(*parts)).alias("c")).where(F.col("c").isNotNull())
             .select("c.f", "c.code", "c.v", "c.w").toPandas())
    for i, (name, items) in enumerate(pending.items()):
        mine = found[found["f"].to_numpy() == i]
        for k, c, offset in items:
            inside = mine[mine["code"].to_numpy() == c]
            values, index = np.unique(inside["v"].to_numpy(dtype=float), return_inverse=True)
            cumulative = np.cumsum(np.bincount(index.ravel(), weights=inside["w"].to_numpy(dtype=float)))
            out[name][k] = values[min(int(np.searchsorted(cumulative, offset, side="right")), len(values) - 1)]


def _distinct_values(spark_df, conditions: dict) -> dict:
    """Sorted distinct clean values of each named column (columns expected to hold few)."""
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
def fit_binning(binning: BinningProcess, spark_df, target: str = "default", prebin: str = "exact",
                relative_error: float | None = None, passes: list | None = None,
                weight: str | None = None) -> BinningProcess:
    """Fit a :class:`~riskmodels.binning.BinningProcess` on a Spark DataFrame; returns it, fitted.

    Equal to ``binning.fit(X, y, sample_weight=w)`` with ``X = spark_df.drop(target)`` on the
    same rows (``prebin="exact"``): same pre-bins, counts, bins, WoE and IV. Spark
    counts; :meth:`BinningProcess.fit_counts` solves, as locally.

    Parameters
    ----------
    binning : an unfitted (or to be refitted) BinningProcess.
    spark_df : pyspark DataFrame with the columns and the target.
    target : the 0/1 target column (1 = default).
    prebin : "exact" (edges as locally) or "approx" (approxQuantile values as edges, no weights).
    relative_error : ε of approxQuantile (default: chosen from the row count).
    passes : list to which ``(label, seconds)`` of each Spark pass is appended.
    weight : a column of sample weights (None: 1 each); rows of weight 0 are left out.

    Returns
    -------
    the same BinningProcess, fitted.

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> spark = local_session(1)
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"x": rng.normal(size=400)})
    >>> frame["default"] = (rng.random(400) < 1 / (1 + np.exp(2 - frame["x"]))).astype(int)
    >>> bp = fit_binning(BinningProcess(), spark.createDataFrame(frame))
    >>> local = BinningProcess().fit(frame[["x"]], frame["default"])
    >>> bp.binnings_["x"].splits_.tolist() == local.binnings_["x"].splits_.tolist(), bp.iv_["x"] == local.iv_["x"]
    (True, True)
    """
    return fit_binning_counting_rows(binning, spark_df, target, prebin, relative_error, passes, weight)[0]


def fit_binning_counting_rows(binning: BinningProcess, spark_df, target: str = "default", prebin: str = "exact",
                              relative_error: float | None = None, passes: list | None = None,
                              weight: str | None = None) -> tuple[BinningProcess, int]:
    """:func:`fit_binning`, also returning the rows fitted on (those of positive weight)."""
    if prebin not in PREBIN_METHODS or (weight is not None and prebin != "exact"):
        raise ParameterError([Violation("prebin", f"is {prebin!r}" + (" with weights" if weight else ""),
                                        "'exact', or 'approx' without weights")], context="riskmodels.spark")
    _check_types(spark_df, target, weight)
    columns = [c for c in spark_df.columns if c not in (target, weight)]
    numeric_types = numeric_column_names(spark_df)
    bins = binning.unfitted_binnings(columns, [c for c in columns if c in numeric_types])
    names = list(bins)
    numeric = [n for n in names if bins[n].dtype == "numerical"]
    for name in numeric:
        if bins[name].prebinning_method != "quantile" and bins[name].user_splits is None:
            raise ParameterError([Violation(f"{name}.prebinning_method", f"is {bins[name].prebinning_method!r}",
                                            "'quantile' (or user_splits) on Spark")], context="riskmodels.spark")
        if name not in numeric_types:
            dtype = spark_df.schema[name].dataType.simpleString()
            raise DataValidationError([Violation(name, f"is not numeric (dtype {dtype})",
                                                 "numbers, or dtype='categorical'")])
    # pass 1: the target and weights, clean counts, infinities, minimum, maximum and distinct-count sketch of
    # every numeric column, and the special-code overlaps of every pair of columns
    w = weight_column(weight)
    live = F.lit(True) if weight is None else F.coalesce(w > 0, F.lit(False))
    specials = {n: list(bins[n].special_codes or []) for n in names}
    clean = {n: live & _clean(n, specials[n], n in numeric) for n in names}
    aggs = [*_target_aggs(target, weight), F.sum(live.cast("long")).alias("_live")]
    for i, name in enumerate(names):
        aggs += [F.sum(clean[name].cast("int")).alias(f"n{i}"), F.sum(F.when(clean[name], w)).alias(f"w{i}")]
        if name in numeric:
            x = F.col(name).cast("double")
            aggs += [F.sum(F.when(x.isin(float("inf"), float("-inf")), 1).otherwise(0)).alias(f"inf{i}"),
                     F.min(F.when(clean[name], x)).alias(f"min{i}"), F.max(F.when(clean[name], x)).alias(f"max{i}"),
                     F.approx_count_distinct(F.when(clean[name], x)).alias(f"nd{i}")]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if specials[a] and specials[b]]
    hit = {n: _any_special(n, specials[n], n in numeric) for n in {n for pair in pairs for n in pair}}
    for i, (a, b) in enumerate(pairs):
        aggs += [F.sum(F.when(hit[a] & hit[b], w).otherwise(0.0)).alias(f"both{i}"),
                 F.sum(F.when(hit[a] | hit[b], w).otherwise(0.0)).alias(f"either{i}")]
    with timed(passes, "totals, target check, ranges"):
        stats = spark_df.agg(*aggs).first().asDict()
    _check_target_counts(spark_df, target, stats, weight)
    for i, name in enumerate(names):
        if name in numeric and stats[f"inf{i}"]:
            x = F.col(name).cast("double")
            rows = first_rows(spark_df, x.isin(float("inf"), float("-inf")))
            raise DataValidationError([Violation(name, "infinite values", "finite numbers (NaN for missing)",
                                                 tuple(rows), int(stats[f"inf{i}"]))])
        if not stats[f"n{i}"]:
            raise DataValidationError([Violation(name, "has no value outside missing and special codes",
                                                 "at least one ordinary value to bin")])
    data = spark_df if weight is None else spark_df.where(live)
    splits = _numeric_splits(data, bins, numeric, clean, stats, names, prebin, relative_error, passes, weight)
    # last pass: events and non-events of every pre-bin, missing bin, special bin and category, every column at once
    frame, buckets = bucketed(data, {n: splits[n] for n in numeric})
    codes = {}
    for name in names:
        is_num = name in numeric
        expr = F.when(missing_condition(name, is_num), F.lit(-1))
        for s, condition in enumerate(special_conditions(name, specials[name], is_num)):
            expr = expr.when(condition, F.lit(-2 - s))
        codes[name] = expr.otherwise(buckets[name]) if is_num else \
            (expr.otherwise(F.lit(0)), F.when(clean[name], F.col(name).cast("string")))
    y = F.col(target).cast("double")
    with timed(passes, "pre-bin events and records"):
        hist = _histogram(frame, codes, {"events": y * w, "nonevents": (1.0 - y) * w})
    counts = {name: _prebin_counts(hist[name], len(specials[name]), splits.get(name)) for name in names}
    overlaps = {pair: (stats[f"both{i}"], stats[f"either{i}"]) for i, pair in enumerate(pairs)}
    binning.fit_counts(counts, columns, [c for c in columns if c in numeric_types], overlaps)
    return binning, int(stats["_live"])


def _any_special(name: str, codes, numeric: bool):
    """Spark condition: the value is one of the special codes (False when it is missing)."""
    return F.coalesce(functools.reduce(operator.or_, special_conditions(name, codes, numeric), F.lit(False)),
                      F.lit(False))


def _prebin_counts(h: pd.DataFrame, n_specials: int, splits) -> dict:
    """The :meth:`OptimalBinning.fit_counts` arguments of one column from its histogram rows."""
    extra = np.zeros((1 + n_specials, 2))
    rows = h[h["code"] < 0]
    slot = (-rows["code"].to_numpy(dtype=np.int64)) - 1  # -1 -> 0 (missing), -2-s -> 1+s
    extra[slot, 0], extra[slot, 1] = rows["events"].to_numpy(dtype=float), rows["nonevents"].to_numpy(dtype=float)
    regular = h[h["code"] >= 0]
    out = {"missing": tuple(extra[0]), "specials": [tuple(e) for e in extra[1:]]}
    if splits is None:
        return {**out, "events": regular["events"].to_numpy(dtype=float),
                "nonevents": regular["nonevents"].to_numpy(dtype=float), "categories": regular["label"].tolist()}
    events, nonevents = np.zeros(len(splits) + 1), np.zeros(len(splits) + 1)
    index = regular["code"].to_numpy(dtype=np.int64)
    events[index], nonevents[index] = regular["events"].to_numpy(dtype=float), regular["nonevents"].to_numpy(dtype=float)
    return {**out, "events": events, "nonevents": nonevents, "splits": splits}


def _numeric_splits(spark_df, bins, numeric, clean, stats, names, prebin, relative_error, passes, weight) -> dict:
    """Pre-bin split points of every numeric column (user splits, distinct values or quantiles).

    A column whose HyperLogLog distinct count is small has its distinct values
    listed exactly (one job for all such columns); with at most
    ``max_n_prebins`` of them each value is its own pre-bin, as locally. The
    HyperLogLog count only saves work: a column whose order statistics, minimum
    and maximum hold at most ``max_n_prebins`` values is counted exactly too
    (a column with that few distinct values always passes this test).
    """
    splits, specs, few = {}, {}, []

    def spec(name):
        i = names.index(name)
        total = stats[f"w{i}"] if weight is not None else stats[f"n{i}"]
        return clean[name], int(stats[f"n{i}"]), quantile_positions(total, bins[name].max_n_prebins, weight is not None)

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
            specs[name] = spec(name)
    with timed(passes if few else None, "distinct values of few-valued columns"):
        listed = _distinct_values(spark_df, {n: clean[n] for n in few})
    for name, distinct in listed.items():
        if len(distinct) <= bins[name].max_n_prebins:  # few values (counts, codes): each its own pre-bin
            splits[name] = distinct[1:]
        else:
            specs[name] = spec(name)
    if prebin == "exact":
        found = exact_order_statistics(spark_df, specs, relative_error, passes, weight)
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
