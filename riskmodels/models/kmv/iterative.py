"""The iterative KMV estimator of Vassalou & Xing (2004): (V, σV) from a history of equity values."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.kmv.checks import (
    MAX_ROWS_SHOWN,
    check_arrays,
    check_horizon,
    float_array,
    require,
)
from riskmodels.results import Summary


# --------------------------------------------------------------------------- time series (Vassalou-Xing)
@dataclass
class IterativeKMVResult:
    """Result of :func:`iterative_kmv` (one column per firm).

    Attributes
    ----------
    asset_values : implied daily asset values, shape (days, firms).
    asset_vol : annualised asset volatility at the fixed point, per firm.
    drift : annualised asset drift μ = mean log return + σV²/2, per firm.
    dd, pd : physical DD at the last date and N(−DD), per firm.
    iterations : iterations used; converged : whether |Δσ| <= tol·σ was reached.

    Examples
    --------
    >>> from riskmodels.models.kmv.merton import merton_equity
    >>> v = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0.0, 0.25 / np.sqrt(252), 253)))
    >>> res = iterative_kmv(merton_equity(v, 0.25, 70.0, 0.03)[0], 70.0, 0.03)
    >>> res.asset_values.shape, bool(res.converged.all())
    ((253, 1), True)
    """

    asset_values: np.ndarray
    asset_vol: np.ndarray
    drift: np.ndarray
    dd: np.ndarray
    pd: np.ndarray
    iterations: int
    converged: np.ndarray

    def summary(self) -> Summary:
        """Per firm: asset volatility, drift, DD, PD, convergence (a :class:`~riskmodels.results.Summary`).

        Returns
        -------
        riskmodels.results.Summary

        Examples
        --------
        >>> equity = 30 * np.exp(np.cumsum(np.random.default_rng(1).normal(0.0, 0.02, (253, 2)), axis=0))
        >>> s = iterative_kmv(equity, [70.0, 60.0], 0.03).summary()
        >>> s.tables[0].frame["value"].tolist(), s.tables[1].frame.index.tolist()
        ([2, ..., True], [0, 1])
        """
        frame = pd.DataFrame({"asset_vol": self.asset_vol, "drift": self.drift, "dd": self.dd,
                              "pd": self.pd, "converged": self.converged}, index=pd.RangeIndex(self.dd.size, name="firm"))
        return (Summary("Iterative KMV (Vassalou-Xing)")
                .add_rows([("firms", self.asset_vol.size), ("iterations", self.iterations),
                           ("all converged", bool(np.all(self.converged)))])
                .add_table(frame, "Per firm"))

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def iterative_kmv(equity, debt, rate, horizon: float = 1.0, trading_days: int = 252, tol: float = 1e-10,
                  max_iter: int = 200) -> IterativeKMVResult:
    """KMV iterative estimator (Vassalou & Xing 2004; Bharath & Shumway 2008, §2).

    Start with σV = σE from the equity's daily log returns; invert the Merton call
    price day by day for V_t given σV; re-estimate σV from the log returns of V_t;
    repeat until σV changes by at most ``tol`` (relative). The drift is the mean
    implied asset log return (annualised) plus σV²/2.

    Parameters
    ----------
    equity : daily equity values, shape (days,) for one firm or (days, firms); > 0.
    debt : default point per firm (> 0), scalar or (firms,).
    rate : risk-free rate, scalar or (firms,).
    horizon : years to the default point's maturity (> 0).
    trading_days : observations per year used to annualise.
    tol, max_iter : convergence of σV.

    Returns
    -------
    IterativeKMVResult

    Examples
    --------
    >>> from riskmodels.models.kmv.merton import merton_equity
    >>> rng = np.random.default_rng(0)
    >>> v = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.25 / np.sqrt(252), 253)))
    >>> e, _ = merton_equity(v, 0.25, 70.0, 0.03)
    >>> res = iterative_kmv(e, 70.0, 0.03)
    >>> bool(abs(res.asset_vol[0] - 0.25) < 0.03), bool(res.converged[0])
    (True, True)
    """
    horizon = check_horizon(horizon, "iterative_kmv")
    equity = float_array("equity", equity)
    if equity.ndim == 1:
        equity = equity[:, None]
    if equity.ndim != 2 or equity.shape[0] < 3:
        raise DataValidationError([Violation("equity", f"has shape {equity.shape}",
                                             "(days >= 3,) or (days >= 3, firms)")], "iterative_kmv")
    n_firms = equity.shape[1]
    equity, debt, rate = check_arrays("iterative_kmv", equity=equity, debt=np.broadcast_to(debt, (n_firms,)),
                                 rate=np.broadcast_to(rate, (n_firms,)))
    require("iterative_kmv", [("equity", equity <= 0, "values <= 0", "> 0"),
                               ("debt", debt[0] <= 0, "values <= 0", "> 0")])
    vol = np.diff(np.log(equity), axis=0).std(axis=0, ddof=1) * math.sqrt(trading_days)
    require("iterative_kmv", [("equity", vol == 0, "a constant path (firm columns shown)",
                                "a path that moves")])
    strike = debt * np.exp(-rate * horizon)
    converged = np.zeros(n_firms, dtype=bool)
    iterations = 0
    while iterations < max_iter and not converged.all():
        iterations += 1
        values, _ = scoring.merton_asset_value(equity, vol, strike, math.sqrt(horizon), 1e-13)
        new_vol = np.diff(np.log(values), axis=0).std(axis=0, ddof=1) * math.sqrt(trading_days)
        converged = np.abs(new_vol - vol) <= tol * vol
        vol = new_vol
    values, _ = scoring.merton_asset_value(equity, vol, strike, math.sqrt(horizon), 1e-13)
    log_returns = np.diff(np.log(values), axis=0)
    drift = log_returns.mean(axis=0) * trading_days + 0.5 * vol * vol
    dd = scoring.kmv_dd(values[-1], vol, debt[0], drift, horizon)
    return IterativeKMVResult(values, vol, drift, dd, scoring.norm_cdf(-dd), iterations, converged)


def iterative_kmv_frame(prices: pd.DataFrame, default_points, rate, horizon: float = 1.0,
                        trading_days: int = 252, tol: float = 1e-10, max_iter: int = 200) -> pd.DataFrame:
    """:func:`iterative_kmv` for a long table of daily equity values (one estimation window).

    Parameters
    ----------
    prices : DataFrame with firm_id, date, equity_value (e.g. ``Portfolio.equity_prices``
        restricted to one year); every firm needs a value on every date of the window.
    default_points : default point per firm, a Series indexed by firm_id (or a dict).
    rate : risk-free rate, a number or a Series indexed by firm_id.
    horizon, trading_days, tol, max_iter : as in :func:`iterative_kmv`.

    Returns
    -------
    DataFrame indexed by firm_id: asset_value (last date), asset_vol, drift, dd, pd, converged.

    Examples
    --------
    >>> from riskmodels.models.kmv.merton import merton_equity
    >>> days = pd.bdate_range("2024-01-01", periods=60)
    >>> v = 100 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.02, 60)))
    >>> e, _ = merton_equity(v, 0.3, 60.0, 0.02)
    >>> prices = pd.DataFrame({"firm_id": "F1", "date": days, "equity_value": e})
    >>> out = iterative_kmv_frame(prices, {"F1": 60.0}, 0.02)
    >>> out.columns.tolist(), bool(out.loc["F1", "converged"])
    (['asset_value', 'asset_vol', 'drift', 'dd', 'pd', 'converged'], True)
    """
    from riskmodels.data.schema import Column, Schema

    Schema([Column("firm_id", "any"), Column("date", "any"), Column("equity_value", "number")],
           unique=("firm_id", "date"), name="prices").validate(prices)
    wide = prices.pivot(index="date", columns="firm_id", values="equity_value").sort_index()
    gaps = wide.columns[wide.isna().any()].tolist()
    points = pd.Series(default_points, dtype=float).reindex(wide.columns)
    rates = (pd.Series(rate, dtype=float).reindex(wide.columns) if isinstance(rate, (pd.Series, dict))
             else pd.Series(float(rate), index=wide.columns))
    problems = []
    if gaps:
        problems.append(Violation("equity_value", "dates missing for some firms", "one value per firm and date",
                                  tuple(gaps[:MAX_ROWS_SHOWN]), len(gaps)))
    for name, series in (("default_points", points), ("rate", rates)):
        absent = series.index[series.isna()].tolist()
        if absent:
            problems.append(Violation(name, "no value for some firms", "a value per firm_id in prices",
                                      tuple(absent[:MAX_ROWS_SHOWN]), len(absent)))
    if problems:
        raise DataValidationError(problems, "iterative_kmv_frame")
    res = iterative_kmv(wide.to_numpy(), points.to_numpy(), rates.to_numpy(), horizon, trading_days, tol, max_iter)
    return pd.DataFrame({"asset_value": res.asset_values[-1], "asset_vol": res.asset_vol, "drift": res.drift,
                         "dd": res.dd, "pd": res.pd, "converged": res.converged},
                        index=pd.Index(wide.columns, name="firm_id"))
