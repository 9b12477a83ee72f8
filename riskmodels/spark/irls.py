"""Logistic regression by distributed IRLS: XᵀWX and XᵀWz summed in Spark, solved on the driver.

The data are distinct rows with their records ``n`` and events ``d`` (the
binomial likelihood of the distinct rows is the Bernoulli likelihood of the
records, so coefficients, standard errors, p-values and AIC are those of the
row-level fit). The sums, for every model being fitted::

    XᵀWX = Σ n p(1-p) x xᵀ,   XᵀWz = XᵀWX β + Σ x (d - n p),   log L = Σ d η - n log(1 + e^η)

run either in Spark, one job per iteration (:class:`GroupedDesign`,
``mapInPandas`` with numpy per partition: only O(models × k²) numbers reach
the driver), or on the driver over grouped rows already collected
(:func:`fit_collapsed`, what the scorecard fit uses after its one ``groupBy``);
the driver solves ``β ← (XᵀWX)⁻¹ XᵀWz`` (:func:`irls_update`). At convergence the covariance is
(XᵀWX)⁻¹ at β̂, the Wald z, p-values and 95 % intervals are those statsmodels
reports for ``Logit(...).fit(method="newton")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import expit
from scipy.stats import norm

from riskmodels.errors import ConvergenceError

TOL = 1e-10
MAX_ITER = 100


# --------------------------------------------------------------------------- plain maths
def irls_sums(X: np.ndarray, counts: np.ndarray, events: np.ndarray, columns, beta) -> np.ndarray:
    """XᵀWX, Σ x (d - n p) and log L of grouped binomial rows at ``beta``, flattened.

    Parameters
    ----------
    X : (m, K) distinct rows of all candidate columns. counts, events : n and d per row.
    columns : indices of the model's columns (the intercept is added first).
    beta : coefficients, intercept first.

    Returns
    -------
    array of length k² + k + 1 (k = len(columns) + 1).

    Examples
    --------
    >>> s = irls_sums(np.array([[0.0], [1.0]]), np.array([4.0, 4.0]), np.array([1.0, 3.0]), [0], [0.0, 0.0])
    >>> s[:4].tolist(), s[4:6].tolist(), round(float(s[6]), 6)
    ([2.0, 1.0, 1.0, 1.0], [0.0, 1.0], -5.545177)
    """
    design = np.column_stack([np.ones(len(counts)), X[:, list(columns)]])
    eta = design @ np.asarray(beta, dtype=float)
    p = expit(eta)
    xtwx = (design * (counts * p * (1.0 - p))[:, None]).T @ design
    gradient = design.T @ (events - counts * p)
    llf = float(np.sum(events * eta - counts * np.logaddexp(0.0, eta)))
    return np.concatenate([xtwx.ravel(), gradient, [llf]])


def irls_update(xtwx: np.ndarray, gradient: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """One IRLS (Newton) step: β_new = (XᵀWX)⁻¹ XᵀWz with XᵀWz = XᵀWX β + Xᵀ(d - n p).

    Examples
    --------
    >>> irls_update(np.eye(2), np.array([0.5, -1.0]), np.zeros(2)).tolist()
    [0.5, -1.0]
    """
    return np.linalg.solve(xtwx, xtwx @ beta + gradient)


def split_sums(sums: np.ndarray, k: int):
    """(XᵀWX, gradient, log L) from the flat vector of :func:`irls_sums`."""
    return sums[: k * k].reshape(k, k), sums[k * k: k * k + k], float(sums[-1])


# --------------------------------------------------------------------------- results
@dataclass
class SparkLogitResult:
    """A maximum-likelihood logit fitted by distributed IRLS, with statsmodels' result attributes.

    ``params``, ``bse``, ``tvalues``, ``pvalues`` are Series indexed by
    ``const`` and the column names; ``conf_int()`` the 95 % Wald intervals.
    """

    names: list
    params: pd.Series
    cov: np.ndarray
    llf: float
    llnull: float
    nobs: float
    iterations: int
    mle_retvals: dict = field(default_factory=dict)

    @property
    def bse(self) -> pd.Series:
        """Standard errors sqrt(diag((XᵀWX)⁻¹))."""
        return pd.Series(np.sqrt(np.diag(self.cov)), index=self.params.index)

    @property
    def tvalues(self) -> pd.Series:
        """Wald z statistics."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided normal p-values of the z statistics."""
        return pd.Series(2.0 * norm.sf(np.abs(self.tvalues.to_numpy())), index=self.params.index)

    @property
    def df_model(self) -> int:
        """Slopes in the model."""
        return len(self.params) - 1

    @property
    def aic(self) -> float:
        """−2 log L + 2 k."""
        return -2.0 * self.llf + 2.0 * len(self.params)

    @property
    def bic(self) -> float:
        """−2 log L + k ln N."""
        return -2.0 * self.llf + len(self.params) * math.log(self.nobs)

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo R²."""
        return 1.0 - self.llf / self.llnull

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals (columns 0 and 1, as statsmodels)."""
        q = norm.ppf(1 - alpha / 2)
        return pd.DataFrame({0: self.params - q * self.bse, 1: self.params + q * self.bse})

    def summary(self):
        """Fit statistics and the coefficient table in the statsmodels layout (a :class:`~riskmodels.results.Summary`)."""
        from riskmodels.results import Summary

        ci = self.conf_int()
        table = pd.DataFrame({"coef": self.params, "std err": self.bse, "z": self.tvalues,
                              "P>|z|": self.pvalues, "[0.025": ci[0], "0.975]": ci[1]})
        out = Summary("Logit (IRLS on rows grouped in Spark)")
        out.add_rows([("No. Observations", self.nobs), ("Log-Likelihood", self.llf), ("LL-Null", self.llnull),
                      ("Pseudo R-squ.", self.prsquared), ("AIC", self.aic),
                      ("converged", f"{self.mle_retvals.get('converged')} ({self.iterations} iterations)")],
                     digits=6)
        return out.add_table(table, digits=4)


# --------------------------------------------------------------------------- the iterations
def irls_fit(sums, models: list, events: float, nobs: float) -> list:
    """Fit several logits by IRLS, the sums of all of them computed together at each iteration.

    Parameters
    ----------
    sums : callable taking ``[(column indices, beta), ...]`` and returning the
        flat :func:`irls_sums` of each (one Spark pass, or numpy on the driver).
    models : one tuple of (name, column index) pairs per logit.
    events, nobs : total events and records (the start and the null model).

    Returns
    -------
    list of :class:`SparkLogitResult`, in the order of ``models``.

    Examples
    --------
    >>> X, n, d = np.array([[0.0], [1.0]]), np.array([4.0, 4.0]), np.array([1.0, 3.0])
    >>> fit = irls_fit(lambda jobs: [irls_sums(X, n, d, c, b) for c, b in jobs], [(("x", 0),)], 4.0, 8.0)[0]
    >>> round(float(fit.params["x"]), 6)  # log(3) - log(1/3)
    2.197225
    """
    rate = events / nobs
    start = math.log(rate / (1.0 - rate))
    llnull = events * math.log(rate) + (nobs - events) * math.log(1.0 - rate)
    state = {key: {"beta": np.array([start, *np.zeros(len(key))]), "final": False, "it": 0}
             for key in dict.fromkeys(models)}
    done = {}
    while state:
        active = list(state)
        results = sums([([i for _, i in key], state[key]["beta"]) for key in active])
        for key, flat in zip(active, results, strict=True):
            st = state[key]
            xtwx, gradient, llf = split_sums(flat, len(key) + 1)
            names = [n for n, _ in key]
            if st["final"]:
                try:
                    cov = np.linalg.inv(xtwx)
                except np.linalg.LinAlgError:
                    raise ConvergenceError(f"logistic fit on {names} failed: singular information matrix") from None
                params = pd.Series(st["beta"], index=["const", *names])
                done[key] = SparkLogitResult(names, params, cov, llf, llnull, nobs, st["it"],
                                             {"converged": True, "iterations": st["it"]})
                del state[key]
                continue
            st["it"] += 1
            try:
                new = irls_update(xtwx, gradient, st["beta"])
            except np.linalg.LinAlgError:
                raise ConvergenceError(f"logistic fit on {names} failed: singular matrix") from None
            step = np.max(np.abs(new - st["beta"]))
            st["beta"] = new
            if not np.all(np.isfinite(new)) or st["it"] > MAX_ITER:
                raise ConvergenceError(f"logistic fit on {names} did not converge (separation or collinearity)")
            st["final"] = step < TOL
    return [done[key] for key in models]


def fit_collapsed(data, names) -> SparkLogitResult:
    """Logit on every column of collapsed rows (named ``names``), by IRLS on the driver.

    ``data`` is a :class:`riskmodels.models.stepwise.Collapsed` (e.g. the
    grouped rows of :func:`riskmodels.spark.grouped.woe_rows`); the result is
    that of the row-level fit, with statsmodels' attributes.

    Examples
    --------
    >>> from riskmodels.models.stepwise import Collapsed
    >>> data = Collapsed(np.array([[0.0], [1.0]]), np.array([1.0, 3.0]), np.array([4.0, 4.0]))
    >>> round(float(fit_collapsed(data, ["x"]).bse["x"]), 6)  # sqrt(2 / (4 · 1/4 · 3/4))
    1.632993
    """
    key = tuple((n, i) for i, n in enumerate(names))

    def sums(jobs):
        return [irls_sums(data.X, data.counts, data.events, cols, beta) for cols, beta in jobs]

    return irls_fit(sums, [key], float(data.events.sum()), float(data.counts.sum()))[0]


# --------------------------------------------------------------------------- Spark side
class GroupedDesign:
    """Distinct rows of numeric columns in Spark, with records and events per row (cached).

    Every IRLS iteration is one Spark pass over the grouped rows
    (``mapInPandas``, numpy per partition), for all the models fitted together.

    Parameters
    ----------
    spark_df : DataFrame holding the columns and the target.
    columns : column names (their order fixes the indices used in fits).
    target : the 0/1 target column.

    :meth:`release` drops the cached frame.
    """

    def __init__(self, spark_df, columns, target: str):
        from pyspark.sql import functions as F

        self.columns = list(columns)
        aliases = [F.col(c).alias(f"w{i}") for i, c in enumerate(self.columns)]
        grouped = (spark_df.select(*aliases, F.col(target).cast("double").alias("_y"))
                   .groupBy(*[f"w{i}" for i in range(len(self.columns))])
                   .agg(F.count(F.lit(1)).cast("double").alias("_n"), F.sum("_y").alias("_d")))
        self.frame = grouped.cache()
        totals = self.frame.agg(F.sum("_n"), F.sum("_d"), F.count(F.lit(1))).first()
        self.nobs, self.events, self.n_patterns = float(totals[0]), float(totals[1]), int(totals[2])
        self.passes = 0

    def release(self):
        """Uncache the grouped frame."""
        self.frame.unpersist()

    def _sums(self, jobs: list) -> list:
        """One Spark pass: the flat IRLS sums of every (columns, beta) in ``jobs``."""
        from pyspark.sql import types as T

        n_cols = len(self.columns)
        sizes = [(len(cols) + 1) ** 2 + len(cols) + 2 for cols, _ in jobs]
        plan = [(list(cols), np.asarray(beta, dtype=float)) for cols, beta in jobs]
        self.passes += 1

        def partial(batches):
            total = np.zeros(sum(sizes))
            for frame in batches:
                X = frame[[f"w{i}" for i in range(n_cols)]].to_numpy(dtype=float)
                counts, events = frame["_n"].to_numpy(dtype=float), frame["_d"].to_numpy(dtype=float)
                total += np.concatenate([irls_sums(X, counts, events, cols, beta) for cols, beta in plan])
            yield pd.DataFrame({"v": [total.tobytes()]})

        schema = T.StructType([T.StructField("v", T.BinaryType(), False)])
        parts = self.frame.mapInPandas(partial, schema).collect()
        total = np.sum([np.frombuffer(r["v"], dtype=float) for r in parts], axis=0)
        return np.split(total, np.cumsum(sizes)[:-1])

    def fit_many(self, models: list) -> list:
        """Fit several logits (lists of column names) together; a pass per iteration for all."""
        index = {c: i for i, c in enumerate(self.columns)}
        keys = [tuple((c, index[c]) for c in m) for m in models]
        return irls_fit(self._sums, keys, self.events, self.nobs)

    def fit(self, names) -> SparkLogitResult:
        """Fit one logit on the named columns (plus an intercept)."""
        return self.fit_many([list(names)])[0]


def fit_logit(spark_df, columns, target: str = "default") -> SparkLogitResult:
    """Maximum-likelihood logit of ``target`` on numeric ``columns`` of a Spark DataFrame (IRLS in Spark).

    Equal to ``statsmodels.api.Logit(y, add_constant(X)).fit()`` on the same rows.

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> frame = pd.DataFrame({"x": [0.0, 0, 0, 1, 1, 1, 2, 2], "default": [0, 0, 1, 0, 1, 0, 1, 1]})
    >>> fit = fit_logit(local_session(1).createDataFrame(frame), ["x"])
    >>> import statsmodels.api as sm
    >>> ref = sm.Logit(frame["default"], sm.add_constant(frame[["x"]])).fit(disp=0)
    >>> bool(np.allclose(fit.params, ref.params, atol=1e-8) and np.allclose(fit.pvalues, ref.pvalues, atol=1e-8))
    True
    """
    design = GroupedDesign(spark_df, columns, target)
    try:
        return design.fit(columns)
    finally:
        design.release()
