"""The Merton (1974) model: equity as a call on assets, the two-equation solver, distance to default."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import ConvergenceError, ParameterError, Violation
from riskmodels.models.kmv.checks import (
    MAX_ROWS_SHOWN,
    MERTON_STATUS,
    check_arrays,
    check_horizon,
    require,
)
from riskmodels.results import Summary


# --------------------------------------------------------------------------- Merton
@dataclass
class MertonSolution:
    """Asset value and volatility implied by equity, per firm (arrays of one shape).

    Attributes
    ----------
    asset_value, asset_vol : V and σV (NaN where ``status`` says there is no solution).
    d1, d2 : the Merton d1 and d2 = d1 − σV√T; ±inf in the exact limits.
    pd : risk-neutral probability of default N(−d2).
    converged : True where (V, σV) solve both equations (or an exact limit applies).
    iterations : Newton iterations used (bisection steps added for the rare fallback).
    status : one of :data:`MERTON_STATUS` per firm.
    equity, equity_vol, debt, rate, horizon : the inputs.

    Examples
    --------
    >>> sol = solve_merton([3.0, 8.0], [0.8, 0.3], [10.0, 5.0], 0.05)
    >>> sol.status_counts(), sol.to_frame()["asset_value"].round(2).tolist()
    ({'converged': 2}, [12.4, 12.76])
    """

    asset_value: np.ndarray
    asset_vol: np.ndarray
    d1: np.ndarray
    d2: np.ndarray
    pd: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    status: np.ndarray
    equity: np.ndarray = field(repr=False)
    equity_vol: np.ndarray = field(repr=False)
    debt: np.ndarray = field(repr=False)
    rate: np.ndarray = field(repr=False)
    horizon: float = 1.0

    def to_frame(self) -> pd.DataFrame:
        """One row per firm: inputs, solution, flags.

        Returns
        -------
        pandas.DataFrame
            Columns equity, equity_vol, debt, rate, asset_value, asset_vol, d1, d2, pd,
            converged, iterations, status.

        Examples
        --------
        >>> frame = solve_merton([3.0], [0.8], [10.0], 0.05).to_frame()
        >>> frame[["asset_value", "asset_vol"]].round(3).values.tolist(), frame["status"].tolist()
        ([[12.395, 0.212]], ['converged'])
        """
        cols = ("equity", "equity_vol", "debt", "rate", "asset_value", "asset_vol", "d1", "d2",
                "pd", "converged", "iterations", "status")
        return pd.DataFrame({c: np.ravel(getattr(self, c)) for c in cols})

    def status_counts(self) -> dict:
        """How many firms ended in each status.

        Returns
        -------
        dict
            Status (see :data:`MERTON_STATUS`) → number of firms.

        Examples
        --------
        >>> solve_merton([3.0, 8.0, 0.0], [0.8, 0.3, 0.5], [10.0, 5.0, 5.0], 0.05).status_counts()
        {'converged': 2, 'nonpositive_equity': 1}
        """
        values, counts = np.unique(np.ravel(self.status), return_counts=True)
        return {str(v): int(c) for v, c in zip(values, counts, strict=True)}

    def _rows(self) -> list[tuple[str, str]]:
        n = self.status.size
        rows = [("firms", f"{n:,}"), ("horizon (years)", f"{self.horizon:g}"),
                ("converged", f"{int(np.sum(self.converged)):,} ({np.mean(self.converged):.2%})"
                 if n else "0")]
        rows += [(f"status {k}", f"{v:,}") for k, v in self.status_counts().items()]
        for label, values in (("asset value", self.asset_value), ("asset volatility", self.asset_vol),
                              ("risk-neutral PD", self.pd)):
            finite = np.ravel(values)[np.isfinite(np.ravel(values))]
            if finite.size:
                q = np.quantile(finite, [0.0, 0.5, 1.0])
                rows.append((f"{label} min / median / max", f"{q[0]:.6g} / {q[1]:.6g} / {q[2]:.6g}"))
        return rows

    def summary(self) -> Summary:
        """Convergence and the distribution of the solved values (a :class:`~riskmodels.results.Summary`).

        Returns
        -------
        riskmodels.results.Summary

        Examples
        --------
        >>> s = solve_merton([3.0, 8.0], [0.8, 0.3], [10.0, 5.0], 0.05).summary()
        >>> s.tables[0].frame.loc[["firms", "converged"], "value"].tolist()
        ['2', '2 (100.00%)']
        """
        return Summary("Merton solution").add_rows(self._rows())

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def merton_equity(asset_value, asset_vol, debt, rate, horizon: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Equity value and equity volatility implied by assets (the Merton call price).

    Parameters
    ----------
    asset_value, asset_vol : V and σV (σV > 0).
    debt : face value of debt due at the horizon (> 0).
    rate : continuously compounded risk-free rate.
    horizon : years to the debt's maturity (> 0).

    Returns
    -------
    (equity, equity_vol) : E = V·N(d1) − D·e^(−rT)·N(d2) and σE = N(d1)·σV·V / E.

    Examples
    --------
    >>> e, s = merton_equity(12.3954, 0.2123, 10.0, 0.05, 1.0)
    >>> round(float(e), 3), round(float(s), 3)
    (3.0, 0.8)
    """
    horizon = check_horizon(horizon, "merton_equity")
    value, vol, debt, rate = check_arrays("merton_equity", asset_value=asset_value, asset_vol=asset_vol,
                                     debt=debt, rate=rate)
    return scoring.merton_equity_price(value, vol, debt, rate, horizon)


def solve_merton(equity, equity_vol, debt, rate, horizon: float = 1.0, *, tol: float = 1e-10,
                 max_iter: int = 50, on_failure: str = "flag") -> MertonSolution:
    """Solve the two Merton equations for asset value and asset volatility, all firms at once.

    E = V·N(d1) − D·e^(−rT)·N(d2) and σE·E = N(d1)·σV·V, with
    d1 = (ln(V/D) + (r + σV²/2)T) / (σV√T), d2 = d1 − σV√T. A damped Newton
    iteration in (ln V, ln σV) starts from V = E + D·e^(−rT), σV = σE·E/V and
    stops when both relative residuals are below ``tol``; firms where it stalls
    are finished by bisection on σV (a root always lies in (0, σE]).

    Parameters
    ----------
    equity : market value of equity E (arrays broadcast). E <= 0 has no
        solution: status "nonpositive_equity", V = σV = NaN, d1 = d2 = −inf, pd = 1.
    equity_vol : annualised equity volatility σE >= 0. σE = 0: status
        "zero_volatility", σV = 0, V = E + D·e^(−rT), d1 = d2 = +inf, pd = 0.
    debt : debt D due at the horizon (>= 0; KMV uses the default point). D = 0:
        status "no_debt", V = E, σV = σE, d1 = d2 = +inf, pd = 0.
    rate : continuously compounded risk-free rate.
    horizon : years (> 0; 0 is refused: the model then has no volatility term).
    tol : relative residual at which a firm counts as solved (floored at the float
        precision of the call price for extremely levered firms).
    max_iter : Newton iterations before the bisection fallback.
    on_failure : "flag" (status "not_converged", or "degenerate" for a root with
        σV < 1e-6 that only rounding makes a solution; NaN values) or "raise"
        (ConvergenceError naming the first firms).

    Returns
    -------
    MertonSolution

    Raises
    ------
    DataValidationError : NaN or infinite inputs, negative debt or volatility, horizon <= 0.

    Examples
    --------
    Hull, *Options, Futures, and Other Derivatives* (8th ed., ch. 24 "Credit risk", the
    Merton example: V = 12.40, σV = 21.23 %, risk-neutral PD 12.7 %):

    >>> sol = solve_merton([3.0, 3.0], [0.80, 0.0], 10.0, 0.05, 1.0)
    >>> sol.asset_value.round(4).tolist(), sol.asset_vol.round(4).tolist()
    ([12.3954, 12.5123], [0.2123, 0.0])
    >>> sol.status.tolist(), sol.pd.round(4).tolist()
    (['converged', 'zero_volatility'], [0.127, 0.0])
    """
    if on_failure not in ("flag", "raise"):
        raise ParameterError("on_failure must be 'flag' or 'raise'")
    horizon = check_horizon(horizon, "solve_merton")
    equity, equity_vol, debt, rate = check_arrays("solve_merton", equity=equity, equity_vol=equity_vol,
                                             debt=debt, rate=rate)
    require("solve_merton", [("equity_vol", equity_vol < 0, "negative values", ">= 0"),
                              ("debt", debt < 0, "negative values", ">= 0")])
    shape = equity.shape
    out = scoring.merton_solve(equity.ravel(), equity_vol.ravel(), debt.ravel(), rate.ravel(), horizon,
                               tol=tol, max_iter=max_iter)
    code = out["status"]
    value, vol = out["asset_value"], out["asset_vol"]
    vol_t = vol * math.sqrt(horizon)
    with np.errstate(divide="ignore", invalid="ignore"):
        d1 = (np.log(value / debt.ravel()) + (rate.ravel() + 0.5 * vol * vol) * horizon) / vol_t
    exact_safe = (code == scoring.MERTON_NO_DEBT) | (code == scoring.MERTON_ZERO_VOL)
    d1 = np.where(exact_safe, np.inf, np.where(code == scoring.MERTON_NO_EQUITY, -np.inf, d1))
    d2 = np.where(np.isfinite(d1), d1 - vol_t, d1)
    pd_ = scoring.norm_cdf(-d2)
    failed = (code == scoring.MERTON_FAILED) | (code == scoring.MERTON_DEGENERATE)
    if on_failure == "raise" and failed.any():
        rows = np.flatnonzero(failed)
        raise ConvergenceError(f"solve_merton: no solution within tol {tol:g}, or only a degenerate root, "
                               f"for {rows.size} firm(s), first rows {rows[:MAX_ROWS_SHOWN].tolist()}")
    converged = (code == scoring.MERTON_CONVERGED) | exact_safe
    labels = np.asarray(MERTON_STATUS, dtype=object)[code]
    return MertonSolution(
        asset_value=value.reshape(shape), asset_vol=vol.reshape(shape), d1=d1.reshape(shape),
        d2=d2.reshape(shape), pd=pd_.reshape(shape), converged=converged.reshape(shape),
        iterations=out["iterations"].reshape(shape), status=labels.reshape(shape),
        equity=equity, equity_vol=equity_vol, debt=debt, rate=rate, horizon=horizon)


# --------------------------------------------------------------------------- distance to default
def default_point(short_term_debt, long_term_debt, long_term_weight: float = 0.5) -> np.ndarray:
    """KMV default point: short-term debt + ``long_term_weight`` × long-term debt.

    Parameters
    ----------
    short_term_debt, long_term_debt : liabilities (>= 0), arrays broadcast.
    long_term_weight : share of long-term debt counted (KMV: 0.5; Crosbie & Bohn 2003).

    Returns
    -------
    ndarray of default points.

    Examples
    --------
    >>> float(default_point(500.0, 300.0))
    650.0
    """
    std, ltd = check_arrays("default_point", short_term_debt=short_term_debt, long_term_debt=long_term_debt)
    require("default_point", [("short_term_debt", std < 0, "negative values", ">= 0"),
                               ("long_term_debt", ltd < 0, "negative values", ">= 0")])
    if not 0.0 <= long_term_weight <= 1.0:
        raise ParameterError([Violation("long_term_weight", f"is {long_term_weight!r}", "in [0, 1]")])
    return std + long_term_weight * ltd


def distance_to_default(asset_value, asset_vol, default_point, drift: float = 0.0, horizon: float = 1.0,
                        form: str = "log") -> np.ndarray:
    """Distance to default: how many asset standard deviations separate V from the default point.

    Parameters
    ----------
    asset_value : V (> 0).
    asset_vol : σV (>= 0), annualised.
    default_point : DPT (>= 0), e.g. from :func:`default_point`.
    drift : expected asset return μ (log form only; the risk-free rate gives the
        risk-neutral DD, the implied asset drift the physical one).
    horizon : years (> 0).
    form : "log": (ln(V/DPT) + (μ − σV²/2)T) / (σV√T); "simple": KMV's
        (V − DPT) / (V·σV).

    Returns
    -------
    ndarray of DD; +inf where DPT = 0 or σV = 0 with V above the default point.

    Examples
    --------
    KMV-1 (Crosbie & Bohn 2003 style): V 1200, DPT 650, σV 10 %:

    >>> round(float(distance_to_default(1200.0, 0.10, 650.0, form="simple")), 4)
    4.5833
    """
    horizon = check_horizon(horizon, "distance_to_default")
    value, vol, dpt, mu = check_arrays("distance_to_default", asset_value=asset_value, asset_vol=asset_vol,
                                  default_point=default_point, drift=drift)
    require("distance_to_default", [("asset_value", value <= 0, "values <= 0", "> 0"),
                                     ("asset_vol", vol < 0, "negative values", ">= 0"),
                                     ("default_point", dpt < 0, "negative values", ">= 0")])
    if form == "simple":
        with np.errstate(divide="ignore", invalid="ignore"):
            dd = (value - dpt) / (value * vol)
        return np.where(np.isnan(dd), 0.0, dd)
    if form != "log":
        raise ParameterError("form must be 'log' or 'simple'")
    return scoring.kmv_dd(value, vol, dpt, mu, horizon)


def naive_distance_to_default(equity, debt, equity_vol, prior_return, horizon: float = 1.0):
    """Bharath & Shumway (2008) naive DD: no solver, debt volatility 0.05 + 0.25·σE.

    σV = E/(E+F)·σE + F/(E+F)·(0.05 + 0.25·σE) and
    DD = (ln((E+F)/F) + (r − σV²/2)T) / (σV√T) with r the firm's prior-year stock return.

    Parameters
    ----------
    equity : market value of equity E (> 0).
    debt : face value of debt F (> 0).
    equity_vol : annualised equity volatility σE (>= 0).
    prior_return : the firm's stock return over the previous year (the drift).
    horizon : years (> 0).

    Returns
    -------
    (dd, pd, asset_vol) : arrays; pd = N(−DD).

    Examples
    --------
    >>> dd, pd_, vol = naive_distance_to_default(3.0, 10.0, 0.80, 0.05)
    >>> round(float(dd), 6), round(float(pd_), 6), round(float(vol), 6)
    (0.64026, 0.261002, 0.376923)
    """
    horizon = check_horizon(horizon, "naive_distance_to_default")
    e, f, se, r = check_arrays("naive_distance_to_default", equity=equity, debt=debt, equity_vol=equity_vol,
                          prior_return=prior_return)
    require("naive_distance_to_default", [("equity", e <= 0, "values <= 0", "> 0"),
                                           ("debt", f <= 0, "values <= 0", "> 0"),
                                           ("equity_vol", se < 0, "negative values", ">= 0")])
    total = e + f
    vol = e / total * se + f / total * (0.05 + 0.25 * se)
    dd = (np.log(total / f) + (r - 0.5 * vol * vol) * horizon) / (vol * math.sqrt(horizon))
    return dd, scoring.norm_cdf(-dd), vol


def pd_sensitivities(asset_value, asset_vol, default_point, drift: float = 0.0,
                     horizon: float = 1.0) -> pd.DataFrame:
    """How the structural PD N(−DD) reacts to leverage and to asset volatility.

    With leverage L = DPT/V and the log-form DD,
    ∂PD/∂L = φ(DD)/(L·σV√T) and ∂PD/∂σV = φ(DD)·(√T + DD/σV).

    Parameters
    ----------
    asset_value, asset_vol, default_point, drift, horizon : as in :func:`distance_to_default`
        (σV > 0 and DPT > 0 here).

    Returns
    -------
    DataFrame with dd, pd, leverage, dpd_dleverage, dpd_dasset_vol and the
    elasticities (% change of PD per % change of leverage / volatility).

    Examples
    --------
    >>> s = pd_sensitivities(100.0, 0.25, 70.0)
    >>> bool(s.loc[0, "dpd_dleverage"] > 0), bool(s.loc[0, "dpd_dasset_vol"] > 0)
    (True, True)
    """
    horizon = check_horizon(horizon, "pd_sensitivities")
    value, vol, dpt, mu = check_arrays("pd_sensitivities", asset_value=asset_value, asset_vol=asset_vol,
                                  default_point=default_point, drift=drift)
    require("pd_sensitivities", [("asset_value", value <= 0, "values <= 0", "> 0"),
                                  ("asset_vol", vol <= 0, "values <= 0", "> 0"),
                                  ("default_point", dpt <= 0, "values <= 0", "> 0")])
    dd = scoring.kmv_dd(value, vol, dpt, mu, horizon)
    pd_ = scoring.norm_cdf(-dd)
    phi = scoring.norm_pdf(dd)
    leverage = dpt / value
    d_lev = phi / (leverage * vol * math.sqrt(horizon))
    d_vol = phi * (math.sqrt(horizon) + dd / vol)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pd.DataFrame({"dd": dd.ravel(), "pd": pd_.ravel(), "leverage": leverage.ravel(),
                              "dpd_dleverage": d_lev.ravel(), "dpd_dasset_vol": d_vol.ravel(),
                              "elasticity_leverage": (d_lev * leverage / pd_).ravel(),
                              "elasticity_asset_vol": (d_vol * vol / pd_).ravel()})
    return frame
