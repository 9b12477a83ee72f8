"""Optimal binning from a Spark DataFrame: pre-bin edges and counts in Spark, the optimiser on the driver.

What runs where
---------------
* Spark: the totals and the target check, the exact order statistics that
  are the pre-bin edges, and the events / non-events of every pre-bin, the
  missing bin and every special-code bin (one ``groupBy`` over all columns).
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

import numpy as np
import pandas as pd

from riskmodels.binning import BinningProcess, OptimalBinning
from riskmodels.binning.prebinning import order_categories
from riskmodels.binning.process import SHARED_PARAMS, SPECIAL_OVERLAP
from riskmodels.errors import DataIntegrityError, DataValidationError, Violation
from riskmodels.scoring import category_label

PREBIN_METHODS = ("exact", "approx")
BRACKET_VALUES = 2_000  # about 3·BRACKET_VALUES values collected per edge at most


# --------------------------------------------------------------------------- column helpers
def _functions():
    from pyspark.sql import functions as F

    return F


def numeric_column_names(spark_df) -> set:
    """Columns of a Spark DataFrame binned as numbers by default (numeric, not boolean)."""
    from pyspark.sql import types as T

    return {f.name for f in spark_df.schema.fields
            if isinstance(f.dataType, T.NumericType) and not isinstance(f.dataType, T.BooleanType)}


def _missing(name: str, numeric: bool):
    F = _functions()
    c = F.col(name)
    return (c.isNull() | F.isnan(c.cast("double"))) if numeric else c.isNull()


def _special_hits(name: str, codes, numeric: bool) -> list:
    F = _functions()
    if numeric:
        return [F.col(name).cast("double") == F.lit(float(code)) for code in codes]
    return [F.col(name).cast("string") == F.lit(category_label(code)) for code in codes]


def _clean(name: str, codes, numeric: bool):
    cond = ~_missing(name, numeric)
    for hit in _special_hits(name, codes, numeric):
        cond = cond & ~hit
    return cond


def _count_at_or_above(name: str, points) -> object:
    """Spark expression: how many of ``points`` (sorted) are <= the value (its pre-bin index)."""
    F = _functions()
    x = F.col(name).cast("double")
    expr = F.lit(0)
    for p in points:
        expr = expr + (x >= F.lit(float(p))).cast("int")
    return expr


def spark_target(spark_df, target: str):
    """Check the target column (0/1, no nulls, both classes); return (n, events).

    Raises
    ------
    DataValidationError naming the column and the first bad rows (positions in the DataFrame).
    """
    from pyspark.sql import types as T

    F = _functions()
    if target not in spark_df.columns:
        raise DataValidationError([Violation(target, "missing column", "the 0/1 target column")])
    dtype = spark_df.schema[target].dataType
    if not isinstance(dtype, (T.NumericType, T.BooleanType)):
        raise DataValidationError([Violation(target, f"has type {dtype.simpleString()}", "a binary 0/1 target")])
    y = F.col(target).cast("double")
    bad = y.isNull() | ~y.isin(0.0, 1.0)
    row = spark_df.agg(F.count(F.lit(1)).alias("n"), F.sum(y).alias("events"),
                       F.sum(bad.cast("int")).alias("bad")).first()
    n, events, n_bad = int(row["n"]), row["events"], int(row["bad"] or 0)
    if n == 0:
        raise DataValidationError([Violation(target, "is empty", "at least one observation")])
    if n_bad:
        rows = _first_rows(spark_df, bad)
        raise DataValidationError([Violation(target, "values other than 0/1", "a binary 0/1 target",
                                             tuple(rows), n_bad)])
    events = int(events)
    if events in (0, n):
        raise DataValidationError([Violation(target, f"has a single class ({int(events > 0)})",
                                             "both defaults (1) and non-defaults (0)")])
    return n, events


def _first_rows(spark_df, condition, k: int = 5) -> list[int]:
    """Positions (0-based, in DataFrame order) of the first rows meeting ``condition`` (error path only)."""
    flagged = spark_df.select(condition.alias("hit")).rdd.zipWithIndex()
    return [int(i) for row, i in flagged.filter(lambda t: bool(t[0]["hit"])).take(k)]


# --------------------------------------------------------------------------- exact edges
def _positions(n: int, n_prebins: int) -> np.ndarray:
    """Sorted positions ceil(k·(N-1)/n), k = 1..n-1, as in quantile_splits."""
    k = np.arange(1, n_prebins, dtype=np.int64)
    return -((-k * (n - 1)) // n_prebins)


def _histogram(spark_df, columns: dict, with_target: str | None = None) -> dict:
    """Counts (and events) per code of each column: ``{name: DataFrame[code, n(, events)]}``.

    ``columns`` maps a name to a Spark integer expression (null = not counted).
    One pass over the data, one ``groupBy`` for every column.
    """
    F = _functions()
    if not columns:
        return {}
    names = list(columns)
    cells = F.array(*[F.struct(F.lit(i).alias("f"), expr.cast("long").alias("code"))
                      for i, expr in enumerate(columns.values())])
    frame = spark_df.select(F.explode(cells).alias("cell"),
                            *([F.col(with_target).cast("double").alias("y")] if with_target else []))
    frame = frame.where(F.col("cell.code").isNotNull())
    aggs = [F.count(F.lit(1)).alias("n")] + ([F.sum("y").alias("events")] if with_target else [])
    rows = frame.groupBy(F.col("cell.f").alias("f"), F.col("cell.code").alias("code")).agg(*aggs).collect()
    out = {name: [] for name in names}
    for r in rows:
        out[names[r["f"]]].append(r.asDict())
    return {name: pd.DataFrame(v, columns=["f", "code", "n", *(["events"] if with_target else [])])
            for name, v in out.items()}


def exact_order_statistics(spark_df, specs: dict, relative_error: float | None = None) -> dict:
    """Exact sorted values at given positions of each column's clean values.

    Parameters
    ----------
    spark_df : the data.
    specs : ``{name: (clean_condition, n_clean, positions)}`` (positions 0-based, sorted).
    relative_error : ε of the approxQuantile brackets (default: at most
        ~2000·3 values to sort per position).

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
    quantiles = masked.approxQuantile(cols, probs, eps)  # one pass for every column
    brackets = {}
    for i, (name, (_, n, pos)) in enumerate(specs.items()):
        at = dict(zip(probs, quantiles[i], strict=True))
        brackets[name] = np.array([[at[max(0.0, p / n - 2 * eps)], at[min(1.0, p / n + 2 * eps)]] for p in pos],
                                  dtype=float)
    points = {name: np.unique(b.ravel()) for name, b in brackets.items()}
    # code = #(points <= x) + #(points < x): 2j-1 for x == points[j-1], 2j between points[j-1] and points[j]
    codes = {}
    for name, (cond, _, _) in specs.items():
        x = F.col(name).cast("double")
        expr = F.lit(0)
        for p in points[name]:
            expr = expr + (x >= F.lit(float(p))).cast("int") + (x > F.lit(float(p))).cast("int")
        codes[name] = F.when(cond, expr)
    hist = _histogram(spark_df, codes)
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
                pending.setdefault(name, []).append((k, p - le_lo, lo, hi))
        out[name] = values
    if pending:
        _fill_inside(spark_df, specs, pending, out)
    return out


def _fill_inside(spark_df, specs, pending, out):
    """Collect the values strictly inside the unresolved brackets and pick the exact ones."""
    F = _functions()
    parts = []
    for i, (name, items) in enumerate(pending.items()):
        x = F.col(name).cast("double")
        inside = None
        for _, _, lo, hi in items:
            cond = (x > F.lit(float(lo))) & (x < F.lit(float(hi)))
            inside = cond if inside is None else inside | cond
        parts.append(F.when(specs[name][0] & inside, F.struct(F.lit(i).alias("f"), x.alias("v"))))
    names = list(pending)
    rows = (spark_df.select(F.explode(F.array(*parts)).alias("c")).where(F.col("c").isNotNull())
            .select("c.f", "c.v").collect())
    values = {name: [] for name in names}
    for r in rows:
        values[names[r["f"]]].append(r["v"])
    for name, items in pending.items():
        v = np.sort(np.asarray(values[name], dtype=float))
        for k, offset, lo, hi in items:
            sel = v[(v > lo) & (v < hi)]
            out[name][k] = sel[offset]


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
                relative_error: float | None = None) -> BinningProcess:
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
    n_rows, _ = spark_target(spark_df, target)
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
    # pass 1: clean counts, infinities, minimum and maximum of every numeric column
    clean = {n: _clean(n, bins[n].special_codes_, bins[n].dtype == "numerical") for n in names}
    aggs = []
    for i, name in enumerate(names):
        aggs.append(F.sum(clean[name].cast("int")).alias(f"n{i}"))
        if name in numeric:
            x = F.col(name).cast("double")
            aggs += [F.sum(F.when(x.isin(float("inf"), float("-inf")), 1).otherwise(0)).alias(f"inf{i}"),
                     F.min(F.when(clean[name], x)).alias(f"min{i}"), F.max(F.when(clean[name], x)).alias(f"max{i}"),
                     F.approx_count_distinct(F.when(clean[name], x)).alias(f"nd{i}")]
    stats = spark_df.agg(*aggs).first().asDict()
    for i, name in enumerate(names):
        if name in numeric and stats[f"inf{i}"]:
            x = F.col(name).cast("double")
            rows = _first_rows(spark_df, x.isin(float("inf"), float("-inf")))
            raise DataValidationError([Violation(name, "infinite values", "finite numbers (NaN for missing)",
                                                 tuple(rows), int(stats[f"inf{i}"]))])
        if not stats[f"n{i}"]:
            raise DataValidationError([Violation(name, "has no value outside missing and special codes",
                                                 "at least one ordinary value to bin")])
    splits = _numeric_splits(spark_df, bins, numeric, clean, stats, names, prebin, relative_error)
    # pass 2: events and records of every pre-bin, missing and special bin, every column at once
    codes, labels = {}, {}
    for name in names:
        ob = bins[name]
        is_num = ob.dtype == "numerical"
        expr = F.when(_missing(name, is_num), F.lit(-1))
        for s, hit in enumerate(_special_hits(name, ob.special_codes_, is_num)):
            expr = expr.when(hit, F.lit(-2 - s))
        if is_num:
            codes[name] = expr.otherwise(_count_at_or_above(name, splits[name]))
        else:
            codes[name] = expr.otherwise(F.lit(0))
            labels[name] = F.when(clean[name], F.col(name).cast("string"))
    counts = _histogram(spark_df, codes, with_target=target)
    label_counts = _label_histogram(spark_df, labels, target)
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
            lc = label_counts[name]
            _set_categorical(ob, lc["label"].tolist(), lc["events"].to_numpy(dtype=float).astype(np.int64),
                             lc["n"].to_numpy(dtype=np.int64))
        ob.n_total_ = n_rows
        ob._solve()
        ob._warn_special_collapse()
        ob.n_features_in_ = 1
    binning.binnings_ = bins
    binning.features_ = names
    binning.special_overlaps_ = _special_overlaps(spark_df, bins)
    binning.feature_names_in_ = np.asarray(columns, dtype=object)
    binning.n_features_in_ = len(columns)
    binning.iv_ = pd.Series({n: b.iv_ for n, b in bins.items()}, name="iv")
    return binning


def _special_overlaps(spark_df, bins) -> list:
    """Pairs of columns whose special-code rows are (nearly) the same rows, as BinningProcess finds them."""
    import warnings

    F = _functions()
    flagged = [n for n, b in bins.items()
               if b.special_codes_ and (b.extra_events_[1:].sum() + b.extra_nonevents_[1:].sum()) > 0]
    pairs = [(a, b) for i, a in enumerate(flagged) for b in flagged[i + 1:]]
    if not pairs:
        return []
    hit = {}
    for n in flagged:
        cond = F.lit(False)
        for h in _special_hits(n, bins[n].special_codes_, bins[n].dtype == "numerical"):
            cond = cond | F.coalesce(h, F.lit(False))
        hit[n] = cond
    aggs = []
    for i, (a, b) in enumerate(pairs):
        aggs += [F.sum((hit[a] & hit[b]).cast("long")).alias(f"b{i}"), F.sum((hit[a] | hit[b]).cast("long")).alias(f"e{i}")]
    row = spark_df.agg(*aggs).first()
    found = []
    for i, (a, b) in enumerate(pairs):
        both, either = int(row[f"b{i}"]), int(row[f"e{i}"])
        if either and both / either >= SPECIAL_OVERLAP:
            found.append((a, b, both, both / either))
            warnings.warn(f"BinningProcess: the special-code bins of {a!r} and {b!r} flag the same "
                          f"{both} rows (Jaccard {both / either:.2f}): their special WoE columns are "
                          "collinear", UserWarning, stacklevel=3)
    return found


def _label_histogram(spark_df, labels: dict, target: str) -> dict:
    F = _functions()
    out = {}
    if not labels:
        return out
    names = list(labels)
    cells = F.array(*[F.struct(F.lit(i).alias("f"), expr.alias("label")) for i, expr in enumerate(labels.values())])
    rows = (spark_df.select(F.explode(cells).alias("c"), F.col(target).cast("double").alias("y"))
            .where(F.col("c.label").isNotNull())
            .groupBy(F.col("c.f").alias("f"), F.col("c.label").alias("label"))
            .agg(F.count(F.lit(1)).alias("n"), F.sum("y").alias("events")).collect())
    for name in names:
        out[name] = pd.DataFrame([r.asDict() for r in rows if names[r["f"]] == name],
                                 columns=["f", "label", "n", "events"])
    return out


def _numeric_splits(spark_df, bins, numeric, clean, stats, names, prebin, relative_error) -> dict:
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
    for name, distinct in _distinct_values(spark_df, {n: clean[n] for n in few}).items():
        if len(distinct) <= bins[name].max_n_prebins:  # few values (counts, codes): each its own pre-bin
            splits[name] = distinct[1:]
        else:
            n = int(stats[f"n{names.index(name)}"])
            specs[name] = (clean[name], n, _positions(n, bins[name].max_n_prebins))
    if prebin == "exact":
        found = exact_order_statistics(spark_df, specs, relative_error)
    else:
        found = {}
        for name, (cond, n, pos) in specs.items():
            masked = spark_df.select(F.when(cond, F.col(name).cast("double")).alias("_q"))
            found[name] = np.asarray(masked.approxQuantile("_q", [p / n for p in pos], relative_error or 1e-3),
                                     dtype=float)
    recheck = {}
    for name, (cond, _n, _) in specs.items():
        i = names.index(name)
        lo, hi = stats[f"min{i}"], stats[f"max{i}"]
        if len(np.unique(np.concatenate([[lo, hi], found[name]]))) <= bins[name].max_n_prebins:
            recheck[name] = cond  # few distinct order statistics: count the distinct values exactly
        cut = np.unique(found[name])
        splits[name] = cut[cut > lo]
    for name, distinct in _distinct_values(spark_df, recheck).items():
        if len(distinct) <= bins[name].max_n_prebins:
            splits[name] = distinct[1:]
    return splits
