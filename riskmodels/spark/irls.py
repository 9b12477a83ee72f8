"""Logistic regression by distributed IRLS: XᵀWX and XᵀWz summed in Spark, solved on the driver.

The data are the distinct WoE rows with their records ``n`` and events ``d``
(a ``groupBy`` in Spark; the binomial likelihood of the distinct rows is the
Bernoulli likelihood of the records, so coefficients, standard errors,
p-values and AIC are those of the row-level fit). Each iteration one Spark job
sums, per partition (``mapInPandas``, numpy), for every model being fitted::

    XᵀWX = Σ n p(1-p) x xᵀ,   XᵀWz = XᵀWX β + Σ x (d - n p),   log L = Σ d η - n log(1 + e^η)

and the driver solves ``β ← (XᵀWX)⁻¹ XᵀWz`` (:func:`irls_update`). Several
models (the candidates of one stepwise step) share each pass. Only
O(models × k²) numbers reach the driver. At convergence the covariance is
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

    def summary(self) -> str:
        """Coefficient table in the statsmodels layout (text)."""
        ci = self.conf_int()
        table = pd.DataFrame({"coef": self.params, "std err": self.bse, "z": self.tvalues,
                              "P>|z|": self.pvalues, "[0.025": ci[0], "0.975]": ci[1]})
        head = (f"Logit (distributed IRLS on Spark)   No. Observations: {self.nobs:.0f}\n"
                f"Log-Likelihood: {self.llf:.4f}   LL-Null: {self.llnull:.4f}   "
                f"Pseudo R-squ.: {self.prsquared:.4f}   AIC: {self.aic:.4f}   "
                f"converged: {self.mle_retvals.get('converged')} ({self.iterations} iterations)")
        return head + "\n" + table.to_string(float_format=lambda v: f"{v:.4f}")


# --------------------------------------------------------------------------- Spark side
class GroupedDesign:
    """Distinct rows of the candidate WoE columns in Spark, with records and events per row.

    Parameters
    ----------
    spark_df : DataFrame holding the columns (WoE values) and the target.
    columns : candidate column names (their order fixes the indices used in fits).
    target : the 0/1 target column.
    collect_below : when there are at most this many distinct rows, they are
        collected once and the IRLS sums run on the driver with the same
        :func:`irls_sums` (no Spark job per iteration; driver memory bounded by
        this number of rows, not by the records). 0: every pass in Spark.

    The grouped frame is cached; :meth:`release` drops it.
    """

    def __init__(self, spark_df, columns, target: str, collect_below: int = 50_000):
        from pyspark.sql import functions as F

        self.columns = list(columns)
        aliases = [F.col(c).alias(f"w{i}") for i, c in enumerate(self.columns)]
        grouped = (spark_df.select(*aliases, F.col(target).cast("double").alias("_y"))
                   .groupBy(*[f"w{i}" for i in range(len(self.columns))])
                   .agg(F.count(F.lit(1)).cast("double").alias("_n"), F.sum("_y").alias("_d")))
        self.frame = grouped.cache()
        totals = self.frame.agg(F.sum("_n"), F.sum("_d"), F.count(F.lit(1))).first()
        self.nobs, self.events, self.n_patterns = float(totals[0]), float(totals[1]), int(totals[2])
        self._fits: dict = {}
        self._rows = None
        if self.n_patterns <= collect_below:
            local = self.frame.toPandas()
            self._rows = (local[[f"w{i}" for i in range(len(self.columns))]].to_numpy(dtype=float),
                          local["_n"].to_numpy(dtype=float), local["_d"].to_numpy(dtype=float))
        self.passes = 0

    @property
    def irls_in_spark(self) -> bool:
        """True when every IRLS pass runs as a Spark job (the rows were not collected)."""
        return self._rows is None

    def to_collapsed(self, names=None):
        """The distinct rows of ``names`` (default: all columns) as a local ``Collapsed``.

        Driver memory: one row per distinct WoE combination, not per record.
        """
        from pyspark.sql import functions as F

        from riskmodels.models.stepwise import Collapsed

        names = self.columns if names is None else list(names)
        cols = [f"w{self.columns.index(n)}" for n in names]
        sums = [F.sum("_n").alias("_n"), F.sum("_d").alias("_d")]
        local = (self.frame.groupBy(*cols).agg(*sums) if cols else self.frame.agg(*sums)).toPandas()
        X = local[cols].to_numpy(dtype=float) if cols else np.empty((len(local), 0))
        return Collapsed(X, local["_d"].to_numpy(dtype=float), local["_n"].to_numpy(dtype=float))

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
        if self._rows is not None:
            X, counts, events = self._rows
            return [irls_sums(X, counts, events, cols, beta) for cols, beta in plan]

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

    def moments(self):
        """(mean, covariance) of the candidate columns over the records (weights n)."""
        k = len(self.columns)
        sums = self._sums([(list(range(k)), np.zeros(k + 1))])[0]
        # at beta = 0, XᵀWX = Σ n/4 x xᵀ with x = (1, w): rescale to the plain moments
        xtx = split_sums(sums, k + 1)[0] * 4.0
        mean = xtx[0, 1:] / xtx[0, 0]
        cov = (xtx[1:, 1:] - xtx[0, 0] * np.outer(mean, mean)) / (xtx[0, 0] - 1.0)
        return mean, cov

    def fit_many(self, models: list) -> list:
        """Fit several logits (lists of column names) together; a pass per iteration for all."""
        keys = [tuple(m) for m in models]
        todo = [k for k in dict.fromkeys(keys) if k not in self._fits]
        if todo:
            rate = self.events / self.nobs
            start = math.log(rate / (1.0 - rate))
            state = {k: {"beta": np.array([start, *np.zeros(len(k))]), "final": False, "it": 0} for k in todo}
            index = {c: i for i, c in enumerate(self.columns)}
            while state:
                active = list(state)
                sums = self._sums([([index[c] for c in key], state[key]["beta"]) for key in active])
                for key, s in zip(active, sums, strict=True):
                    st = state[key]
                    xtwx, gradient, llf = split_sums(s, len(key) + 1)
                    if st["final"]:
                        self._fits[key] = self._result(key, st, xtwx, llf)
                        del state[key]
                        continue
                    st["it"] += 1
                    try:
                        new = irls_update(xtwx, gradient, st["beta"])
                    except np.linalg.LinAlgError:
                        raise ConvergenceError(f"logistic fit on {list(key)} failed: singular matrix") from None
                    step = np.max(np.abs(new - st["beta"]))
                    st["beta"] = new
                    if not np.all(np.isfinite(new)) or st["it"] > MAX_ITER:
                        raise ConvergenceError(f"logistic fit on {list(key)} did not converge "
                                               "(separation or collinearity)")
                    st["final"] = step < TOL
        return [self._fits[k] for k in keys]

    def fit(self, names) -> SparkLogitResult:
        """Fit one logit on the named columns (plus an intercept)."""
        return self.fit_many([list(names)])[0]

    def _result(self, key, st, xtwx, llf) -> SparkLogitResult:
        try:
            cov = np.linalg.inv(xtwx)
        except np.linalg.LinAlgError:
            raise ConvergenceError(f"logistic fit on {list(key)} failed: singular information matrix") from None
        rate = self.events / self.nobs
        llnull = self.events * math.log(rate) + (self.nobs - self.events) * math.log(1.0 - rate)
        params = pd.Series(st["beta"], index=["const", *key])
        return SparkLogitResult(list(key), params, cov, llf, llnull, self.nobs, st["it"],
                                {"converged": True, "iterations": st["it"]})


def fit_logit(spark_df, columns, target: str = "default", collect_below: int = 0) -> SparkLogitResult:
    """Maximum-likelihood logit of ``target`` on numeric ``columns`` of a Spark DataFrame.

    Equal to ``statsmodels.api.Logit(y, add_constant(X)).fit()`` on the same rows.

    Examples
    --------
    >>> import os, sys
    >>> _ = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    >>> from pyspark.sql import SparkSession
    >>> spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    >>> spark.sparkContext.setLogLevel("ERROR")
    >>> frame = pd.DataFrame({"x": [0.0, 0, 0, 1, 1, 1, 2, 2], "default": [0, 0, 1, 0, 1, 0, 1, 1]})
    >>> fit = fit_logit(spark.createDataFrame(frame), ["x"])
    >>> import statsmodels.api as sm
    >>> ref = sm.Logit(frame["default"], sm.add_constant(frame[["x"]])).fit(disp=0)
    >>> bool(np.allclose(fit.params, ref.params, atol=1e-8) and np.allclose(fit.pvalues, ref.pvalues, atol=1e-8))
    True
    """
    design = GroupedDesign(spark_df, columns, target, collect_below)
    try:
        return design.fit(columns)
    finally:
        design.release()
