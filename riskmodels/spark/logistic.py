"""Fit a :class:`~riskmodels.models.logistic.LogisticScorecard` on a Spark DataFrame.

Spark produces the two aggregates the card is fitted from, and the card's own
public steps do the rest, exactly as in ``LogisticScorecard.fit``:

1. pre-bin counts: :func:`riskmodels.spark.binning.fit_binning` (a few passes:
   totals, exact pre-bin edges, pre-bin counts), solved by
   :meth:`BinningProcess.fit_counts <riskmodels.binning.BinningProcess.fit_counts>`;
2. the records grouped by their tuple of bin indices, with event and
   non-event weights (:func:`riskmodels.spark.grouped.group_bins`, one
   ``groupBy``), given to :meth:`LogisticScorecard.fit_grouped
   <riskmodels.models.logistic.LogisticScorecard.fit_grouped>`: filters,
   selection, sign check, the logit, points. Only a sign rescue asks for one
   more ``groupBy`` (by the pre-bins of the characteristic being re-shaped).
"""

from __future__ import annotations

from riskmodels.errors import ParameterError, Violation
from riskmodels.models.logistic import LogisticScorecard
from riskmodels.spark.binning import fit_binning_counting_rows
from riskmodels.spark.grouped import group_bins


def fit_scorecard(card: LogisticScorecard, spark_df, target: str = "default", prebin: str = "exact",
                  relative_error: float | None = None, weight: str | None = None) -> LogisticScorecard:
    """Bin, select and fit ``card`` on a Spark DataFrame; returns the same estimator, fitted.

    Equal to ``card.fit(X, y, sample_weight=w)`` with ``X`` the other columns of
    ``spark_df``, ``y = spark_df[target]`` and ``w = spark_df[weight]``.

    Parameters
    ----------
    card : a LogisticScorecard (its parameters are used as given).
    spark_df : pyspark DataFrame with the characteristics and the target.
    target : the 0/1 default flag.
    prebin, relative_error : see :func:`riskmodels.spark.binning.fit_binning`.
    weight : a column of sample weights (None: 1 each).

    Returns
    -------
    card, fitted (``grouping_["passes"]`` lists the Spark passes with their seconds).
    """
    if card.prebinning_method != "quantile":
        raise ParameterError([Violation("prebinning_method", f"is {card.prebinning_method!r}",
                                        "'quantile' on Spark (CART pre-binning needs the records)")],
                             context="riskmodels.spark")
    passes: list = []
    columns = [c for c in spark_df.columns if c not in (target, weight)]
    names = list(columns) if card.features is None else list(card.features)
    binning, n_rows = fit_binning_counting_rows(card.binning_process(names), spark_df, target, prebin,
                                                relative_error, passes, weight)
    data = spark_df if weight is None else spark_df.where(spark_df[weight] > 0)

    def group(columns, prebins=None):
        return group_bins(binning, data, columns, target, prebins=prebins, passes=passes, weight=weight)

    return card.fit_grouped(binning, group, columns, n_rows=n_rows, passes=passes)
