"""The inference table of a maximum-likelihood logit, with the attributes statsmodels' results have.

:class:`LogitResult` wraps a converged :class:`~riskmodels.models.stepwise.LogitFit`
(the numpy IRLS of the selection, run to full precision) with the column names:
``params``, ``bse``, ``tvalues``, ``pvalues`` as Series indexed by ``const``
and the names, ``conf_int()``, ``llf``, ``llnull``, ``aic``, ``bic``,
``prsquared`` and a ``summary()``. On frequency-weighted rows these are the
numbers of statsmodels ``GLM(y, X, family=Binomial(), freq_weights=w)``
(checked to 1e-10 in ``tests/test_logistic.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from riskmodels.results import Summary


@dataclass
class LogitResult:
    """A maximum-likelihood logit: coefficients and their Wald inference, statsmodels-style.

    Examples
    --------
    >>> from riskmodels.models.stepwise import Collapsed, fit_logit
    >>> data = Collapsed(np.array([[0.0], [1.0]]), np.array([1.0, 3.0]), np.array([4.0, 4.0]))
    >>> result = LogitResult.from_fit(fit_logit(data, [0], tol=1e-10), ["x"], data)
    >>> round(float(result.params["x"]), 6), round(float(result.bse["x"]), 6)  # log 9, sqrt(2 / (4 · 3/16))
    (2.197225, 1.632993)
    """

    names: list
    params: pd.Series
    cov: np.ndarray
    llf: float
    llnull: float
    nobs: float
    iterations: int
    mle_retvals: dict = field(default_factory=dict)

    @classmethod
    def from_fit(cls, fit, names, data) -> LogitResult:
        """The result of ``fit`` (a LogitFit on the rows ``data``) on the columns ``names``."""
        events, total = float(data.events.sum()), float(data.counts.sum())
        rate = events / total
        llnull = events * math.log(rate) + (total - events) * math.log(1.0 - rate)
        params = pd.Series(np.asarray(fit.params, dtype=float), index=["const", *names])
        return cls(list(names), params, fit.cov, fit.llf, llnull, total, fit.iterations,
                   {"converged": True, "iterations": fit.iterations})

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
        """−2 log L + k ln N (N: records, or the total weight)."""
        return -2.0 * self.llf + len(self.params) * math.log(self.nobs)

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo R²."""
        return 1.0 - self.llf / self.llnull

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Wald confidence intervals (columns 0 and 1, as statsmodels)."""
        q = norm.ppf(1 - alpha / 2)
        return pd.DataFrame({0: self.params - q * self.bse, 1: self.params + q * self.bse})

    def summary(self) -> Summary:
        """Fit statistics and the coefficient table in the statsmodels layout."""
        ci = self.conf_int()
        table = pd.DataFrame({"coef": self.params, "std err": self.bse, "z": self.tvalues,
                              "P>|z|": self.pvalues, "[0.025": ci[0], "0.975]": ci[1]})
        title = "Logit (maximum likelihood, IRLS on grouped rows)"
        out = Summary(title)
        out.add_rows([("No. Observations", self.nobs), ("Log-Likelihood", self.llf), ("LL-Null", self.llnull),
                      ("Pseudo R-squ.", self.prsquared), ("AIC", self.aic),
                      ("converged", f"{self.mle_retvals.get('converged')} ({self.iterations} iterations)")],
                     title, digits=6)
        return out.add_table(table, "Coefficients (Wald z)", digits=4)
