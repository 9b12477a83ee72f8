"""The one ``groupBy`` of a scorecard fit: records → distinct tuples of bin indices, with events and records.

After binning, every record of the candidate characteristics is a tuple of
bin indices; Spark groups the records by that tuple (one pass) and the driver
receives one row per distinct tuple with its events and records (frequency
weights). Their number is bounded by the product of the bin counts (and in
practice by the combinations that occur), not by the records, so the
driver's memory does not grow with the data. The WoE design, the moments for
the correlation and VIF filters, the stepwise selection and every logit are
then the local functions on these rows: the binomial likelihood of the
grouped rows is the Bernoulli likelihood of the records.

A characteristic whose shape may change after the grouping (the sign rescue)
is grouped by its pre-bin codes instead (:func:`prebin_to_bin` maps them to
the bins of any shape over the same pre-bins).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskmodels.binning import BinningProcess, OptimalBinning
from riskmodels.errors import DataIntegrityError
from riskmodels.models.stepwise import Collapsed
from riskmodels.spark.binning import bucketed, missing_condition, special_conditions, timed
from riskmodels.spark.woe import bin_values


@dataclass(frozen=True)
class BinRows:
    """Distinct tuples of bin indices (one column per characteristic) with events and records.

    ``prebins`` names the column holding pre-bin codes instead (-1 missing,
    -2-s the s-th special code, j ≥ 0 the j-th pre-bin), or is None.
    """

    names: list
    codes: np.ndarray
    events: np.ndarray
    counts: np.ndarray
    prebins: str | None = None

    @property
    def n_records(self) -> float:
        """Records represented."""
        return float(self.counts.sum())


def prebin_to_bin(binning: OptimalBinning, codes) -> np.ndarray:
    """Bin index (as :meth:`OptimalBinning.to_bundle` numbers them) of each numeric pre-bin code.

    Every bin of an optimal binning is a union of consecutive pre-bins, so the
    bin of pre-bin j is the number of bin edges at or below its lower bound.

    Examples
    --------
    >>> ob = OptimalBinning("x", user_splits=[1.5], user_splits_fixed=True).fit([1, 2, 1, 2], [0, 1, 1, 0])
    >>> prebin_to_bin(ob, np.array([0, 1, -1])).tolist()
    [0, 1, 2]
    """
    codes = np.asarray(codes, dtype=np.int64)
    edges = np.asarray(binning.splits_, dtype=float)
    prebin_edges = np.asarray(binning.prebin_splits_, dtype=float)
    if not np.isin(edges, prebin_edges).all():
        raise DataIntegrityError(f"column {binning.name!r}: bin edges {edges.tolist()} are not pre-bin edges")
    out = np.empty_like(codes)
    regular = codes >= 0
    out[codes == -1] = binning.n_bins_
    special = codes <= -2
    out[special] = binning.n_bins_ + 1 + (-codes[special] - 2)
    lower = np.concatenate([[-np.inf], prebin_edges])[codes[regular]]
    out[regular] = np.searchsorted(edges, lower, side="right")
    return out


def bin_code_columns(binning: BinningProcess, spark_df, names, prebins: str | None = None):
    """(frame, columns): the bin index of each named column as a Spark integer expression on ``frame``.

    Numbers are placed by Spark ML's ``Bucketizer`` (JVM binary search),
    categories by one ``CASE`` (:func:`riskmodels.spark.woe.bin_values`); the
    indices are those of :func:`riskmodels.scoring.bin_index`. The column
    named ``prebins`` gets its pre-bin code instead.
    """
    from pyspark.sql import functions as F

    obs = {n: binning.binnings_[n] for n in names}
    numeric = [n for n in names if obs[n].dtype == "numerical"]
    frame, buckets = bucketed(spark_df, {n: obs[n].prebin_splits_ if n == prebins else obs[n].splits_
                                         for n in numeric})
    columns = []
    for name in names:
        ob = obs[name]
        if ob.dtype != "numerical":
            columns.append(bin_values(ob, np.arange(len(ob.table_.woe))).cast("int"))
            continue
        pre = name == prebins
        expr = F.when(missing_condition(name, True), F.lit(-1 if pre else ob.n_bins_))
        for s, hit in enumerate(special_conditions(name, ob.special_codes_, True)):
            expr = expr.when(hit, F.lit(-2 - s if pre else ob.n_bins_ + 1 + s))
        columns.append(expr.otherwise(buckets[name]))
    return frame, columns


def group_bins(binning: BinningProcess, spark_df, names, target: str, prebins: str | None = None,
               passes: list | None = None) -> BinRows:
    """Group the records of ``spark_df`` by their tuple of bin indices (one Spark pass) and collect it.

    Parameters
    ----------
    binning : fitted BinningProcess. spark_df : the data. names : characteristics.
    target : the 0/1 target. prebins : a column grouped by pre-bin code (or None).
    passes : list to which ``(label, seconds)`` of the pass is appended.

    Returns
    -------
    BinRows (driver memory: one row per distinct tuple).
    """
    from pyspark.sql import functions as F

    names = list(names)
    frame, columns = bin_code_columns(binning, spark_df, names, prebins)
    keys = [f"b{i}" for i in range(len(names))]
    grouped = (frame.select(*[c.alias(k) for c, k in zip(columns, keys, strict=True)],
                            F.col(target).cast("double").alias("_y"))
               .groupBy(*keys).agg(F.count(F.lit(1)).alias("_n"), F.sum("_y").alias("_d")))
    with timed(passes, "group by the tuple of bin indices" + (f" (pre-bins of {prebins})" if prebins else "")):
        local = grouped.toPandas()
    codes = local[keys].to_numpy(dtype=np.int64) if keys else np.empty((len(local), 0), dtype=np.int64)
    return BinRows(names, codes, local["_d"].to_numpy(dtype=float), local["_n"].to_numpy(dtype=float), prebins)


def regroup(X, events, counts) -> Collapsed:
    """Merge identical rows of ``X`` (summing events and records) into a :class:`Collapsed`.

    Examples
    --------
    >>> c = regroup(np.array([[1.0], [2.0], [1.0]]), np.array([1.0, 0.0, 2.0]), np.array([3.0, 1.0, 4.0]))
    >>> c.X.ravel().tolist(), c.events.tolist(), c.counts.tolist()
    ([1.0, 2.0], [3.0, 0.0], [7.0, 1.0])
    """
    X = np.asarray(X, dtype=float)
    if X.shape[1] == 0:
        return Collapsed(np.empty((1, 0)), np.array([float(np.sum(events))]), np.array([float(np.sum(counts))]))
    rows, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return Collapsed(rows, np.bincount(inverse, weights=events, minlength=len(rows)),
                     np.bincount(inverse, weights=counts, minlength=len(rows)))


def bin_indices(rows: BinRows, binning: BinningProcess, name: str) -> np.ndarray:
    """Bin index of column ``name`` in each row (pre-bin codes mapped through the current binning)."""
    codes = rows.codes[:, rows.names.index(name)]
    return prebin_to_bin(binning.binnings_[name], codes) if name == rows.prebins else codes


def woe_rows(rows: BinRows, binning: BinningProcess, names) -> Collapsed:
    """The distinct WoE rows of ``names`` under the binning's current tables, with events and records."""
    X = np.column_stack([np.asarray(binning.binnings_[n].table_.woe, dtype=float)[bin_indices(rows, binning, n)]
                         for n in names]) if len(names) else np.empty((len(rows.counts), 0))
    return regroup(X, rows.events, rows.counts)


def as_bins(rows: BinRows, binning: BinningProcess) -> BinRows:
    """The same records with the pre-bin column (if any) replaced by its bins under the current binning."""
    if rows.prebins is None:
        return rows
    codes = np.column_stack([bin_indices(rows, binning, n) for n in rows.names])
    keys, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    return BinRows(rows.names, keys, np.bincount(inverse, weights=rows.events, minlength=len(keys)),
                   np.bincount(inverse, weights=rows.counts, minlength=len(keys)))


def weighted_moments(data: Collapsed) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample covariance (ddof 1 over the records) of the columns of collapsed rows.

    Examples
    --------
    >>> c = Collapsed(np.array([[0.0], [2.0]]), np.zeros(2), np.array([1.0, 1.0]))
    >>> [m.tolist() for m in weighted_moments(c)]
    [[1.0], [[2.0]]]
    """
    n = data.counts
    total = n.sum()
    mean = n @ data.X / total
    centred = data.X - mean
    return mean, (centred * n[:, None]).T @ centred / (total - 1.0)
