"""KMV-style structural models: Merton solver, distance to default, DD→PD maps.

Listed firms: equity value E and volatility σE give the firm's asset value V and
asset volatility σV through the two Merton (1974) equations, solved for a whole
portfolio in one vectorised call (:func:`solve_merton`), or from a history of daily
equity values by the iterative estimator of Vassalou & Xing (2004)
(:func:`iterative_kmv`). The distance to default (DD) measures how many standard
deviations the assets stand above the KMV default point, short-term debt plus half
the long-term debt (Crosbie & Bohn 2003). Private firms get an accounting proxy:
book assets and the asset volatility of their listed peers, flagged as a proxy
wherever it appears. DD becomes a PD either as N(−DD) or through an empirical,
monotone map fitted on observed defaults (:func:`fit_empirical_pd_map`), as KMV maps
DD to EDF with its default database. :class:`KMVModel` wraps it all as an estimator
whose predictions run through the numpy-only ``kmv`` kernel of
:mod:`riskmodels.scoring`.

Examples
--------
>>> sol = solve_merton(equity=3.0, equity_vol=0.80, debt=10.0, rate=0.05, horizon=1.0)
>>> round(float(sol.asset_value), 2), round(float(sol.asset_vol), 4), round(float(sol.pd), 3)
(12.4, 0.2123, 0.127)
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import ConvergenceError, DataValidationError, Violation
from riskmodels.models.base import ScorerModel, as_frame, frame_columns, schema_from_inputs

#: Names of the per-firm status codes of the Merton solver and the KMV kernel.
MERTON_STATUS = ("converged", "no_debt", "zero_volatility", "nonpositive_equity", "not_converged",
                 "proxy")
DD_CLIP = 50.0          # |DD| beyond this carries no extra information for a one-year PD
PROXY_OFFSET = 1000.0   # proxy DDs live on [PROXY_OFFSET ± DD_CLIP] in the kernel's raw output
MAX_ROWS_SHOWN = 5


# --------------------------------------------------------------------------- input checks
def _float_array(name: str, values) -> np.ndarray:
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataValidationError([Violation(name, "values that are not numbers", "numbers")]) from None


def _check(name: str, bad: np.ndarray, rule: str, expected: str, violations: list) -> None:
    bad = np.asarray(bad)
    if bad.any():
        rows = np.flatnonzero(bad.ravel())
        violations.append(Violation(name, rule, expected, tuple(int(r) for r in rows[:MAX_ROWS_SHOWN]),
                                    len(rows)))


def _arrays(context: str, **named) -> list[np.ndarray]:
    """Broadcast named inputs to floats, refusing NaN and infinities (naming field and rows)."""
    arrays = [_float_array(k, v) for k, v in named.items()]
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = {k: np.shape(a) for k, a in zip(named, arrays, strict=True)}
        raise DataValidationError([Violation("<inputs>", f"shapes {shapes} do not broadcast",
                                             "arrays of one shape or scalars")], context) from None
    violations: list = []
    for name, arr in zip(named, arrays, strict=True):
        _check(name, np.isnan(arr), "missing (NaN) values", "numbers", violations)
        _check(name, np.isinf(arr), "infinite values", "finite numbers", violations)
    if violations:
        raise DataValidationError(violations, context)
    return [np.array(a, dtype=float) for a in arrays]


def _require(context: str, checks: list) -> None:
    violations: list = []
    for name, bad, rule, expected in checks:
        _check(name, bad, rule, expected, violations)
    if violations:
        raise DataValidationError(violations, context)


def _check_horizon(horizon, context: str) -> float:
    if not (np.ndim(horizon) == 0 and np.isfinite(horizon) and horizon > 0):
        raise DataValidationError([Violation("horizon", f"is {horizon!r}",
                                             "a finite number of years > 0")], context)
    return float(horizon)


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
        """One row per firm: inputs, solution, flags."""
        cols = ("equity", "equity_vol", "debt", "rate", "asset_value", "asset_vol", "d1", "d2",
                "pd", "converged", "iterations", "status")
        return pd.DataFrame({c: np.ravel(getattr(self, c)) for c in cols})

    def status_counts(self) -> dict:
        """How many firms ended in each status."""
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

    def summary(self) -> str:
        """Text summary: convergence and the distribution of the solved values."""
        width = max(len(k) for k, _ in self._rows())
        return "\n".join(["Merton solution"] + [f"  {k:<{width}}  {v}" for k, v in self._rows()])

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in self._rows())
        return f"<table><caption>Merton solution</caption>{body}</table>"


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
    horizon = _check_horizon(horizon, "merton_equity")
    value, vol, debt, rate = _arrays("merton_equity", asset_value=asset_value, asset_vol=asset_vol,
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
    on_failure : "flag" (status "not_converged", NaN values) or "raise"
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
        raise ValueError("on_failure must be 'flag' or 'raise'")
    horizon = _check_horizon(horizon, "solve_merton")
    equity, equity_vol, debt, rate = _arrays("solve_merton", equity=equity, equity_vol=equity_vol,
                                             debt=debt, rate=rate)
    _require("solve_merton", [("equity_vol", equity_vol < 0, "negative values", ">= 0"),
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
    failed = code == scoring.MERTON_FAILED
    if on_failure == "raise" and failed.any():
        rows = np.flatnonzero(failed)
        raise ConvergenceError(f"solve_merton: no solution within tol {tol:g} for {rows.size} firm(s), "
                               f"first rows {rows[:MAX_ROWS_SHOWN].tolist()}")
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
    std, ltd = _arrays("default_point", short_term_debt=short_term_debt, long_term_debt=long_term_debt)
    _require("default_point", [("short_term_debt", std < 0, "negative values", ">= 0"),
                               ("long_term_debt", ltd < 0, "negative values", ">= 0")])
    if not 0.0 <= long_term_weight <= 1.0:
        raise DataValidationError([Violation("long_term_weight", f"is {long_term_weight!r}", "in [0, 1]")])
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
    horizon = _check_horizon(horizon, "distance_to_default")
    value, vol, dpt, mu = _arrays("distance_to_default", asset_value=asset_value, asset_vol=asset_vol,
                                  default_point=default_point, drift=drift)
    _require("distance_to_default", [("asset_value", value <= 0, "values <= 0", "> 0"),
                                     ("asset_vol", vol < 0, "negative values", ">= 0"),
                                     ("default_point", dpt < 0, "negative values", ">= 0")])
    if form == "simple":
        with np.errstate(divide="ignore", invalid="ignore"):
            dd = (value - dpt) / (value * vol)
        return np.where(np.isnan(dd), 0.0, dd)
    if form != "log":
        raise ValueError("form must be 'log' or 'simple'")
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
    horizon = _check_horizon(horizon, "naive_distance_to_default")
    e, f, se, r = _arrays("naive_distance_to_default", equity=equity, debt=debt, equity_vol=equity_vol,
                          prior_return=prior_return)
    _require("naive_distance_to_default", [("equity", e <= 0, "values <= 0", "> 0"),
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
    horizon = _check_horizon(horizon, "pd_sensitivities")
    value, vol, dpt, mu = _arrays("pd_sensitivities", asset_value=asset_value, asset_vol=asset_vol,
                                  default_point=default_point, drift=drift)
    _require("pd_sensitivities", [("asset_value", value <= 0, "values <= 0", "> 0"),
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
    """

    asset_values: np.ndarray
    asset_vol: np.ndarray
    drift: np.ndarray
    dd: np.ndarray
    pd: np.ndarray
    iterations: int
    converged: np.ndarray

    def summary(self) -> str:
        """Text summary per firm."""
        lines = [f"Iterative KMV (Vassalou-Xing): {self.asset_vol.size} firm(s), "
                 f"{self.iterations} iteration(s), all converged: {bool(np.all(self.converged))}",
                 "  firm  asset_vol     drift        dd        pd"]
        lines += [f"  {i:>4}  {v:9.6f} {m:9.6f} {d:9.4f} {p:9.6f}"
                  for i, (v, m, d, p) in enumerate(zip(self.asset_vol, self.drift, self.dd, self.pd, strict=True))]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        frame = pd.DataFrame({"asset_vol": self.asset_vol, "drift": self.drift, "dd": self.dd,
                              "pd": self.pd, "converged": self.converged})
        return "<p><b>Iterative KMV (Vassalou-Xing)</b></p>" + frame.to_html()


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
    >>> rng = np.random.default_rng(0)
    >>> v = 100 * np.exp(np.cumsum(rng.normal(0.0, 0.25 / np.sqrt(252), 253)))
    >>> e, _ = merton_equity(v, 0.25, 70.0, 0.03)
    >>> res = iterative_kmv(e, 70.0, 0.03)
    >>> bool(abs(res.asset_vol[0] - 0.25) < 0.03), bool(res.converged[0])
    (True, True)
    """
    horizon = _check_horizon(horizon, "iterative_kmv")
    equity = _float_array("equity", equity)
    if equity.ndim == 1:
        equity = equity[:, None]
    if equity.ndim != 2 or equity.shape[0] < 3:
        raise DataValidationError([Violation("equity", f"has shape {equity.shape}",
                                             "(days >= 3,) or (days >= 3, firms)")], "iterative_kmv")
    n_firms = equity.shape[1]
    equity, debt, rate = _arrays("iterative_kmv", equity=equity, debt=np.broadcast_to(debt, (n_firms,)),
                                 rate=np.broadcast_to(rate, (n_firms,)))
    _require("iterative_kmv", [("equity", equity <= 0, "values <= 0", "> 0"),
                               ("debt", debt[0] <= 0, "values <= 0", "> 0")])
    vol = np.diff(np.log(equity), axis=0).std(axis=0, ddof=1) * math.sqrt(trading_days)
    _require("iterative_kmv", [("equity", vol == 0, "a constant path (firm columns shown)",
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


# --------------------------------------------------------------------------- private firms
def history_asset_volatility(history, periods_per_year: float = 1.0) -> np.ndarray:
    """Asset volatility of a private firm from its own history of (book) asset values.

    Parameters
    ----------
    history : asset values, shape (periods,) or (periods, firms), oldest first, > 0.
    periods_per_year : 1 for annual statements, 4 for quarterly.

    Returns
    -------
    ndarray : standard deviation of the log changes, annualised (a proxy: book
        values are smoothed, so this understates the market asset volatility).

    Examples
    --------
    >>> round(float(history_asset_volatility([100.0, 110.0, 99.0, 104.0])[0]), 4)
    0.1051
    """
    values = _float_array("history", history)
    values = values[:, None] if values.ndim == 1 else values
    if values.shape[0] < 3:
        raise DataValidationError([Violation("history", f"has {values.shape[0]} period(s)",
                                             ">= 3 periods (two changes)")], "history_asset_volatility")
    (values,) = _arrays("history_asset_volatility", history=values)
    _require("history_asset_volatility", [("history", values <= 0, "values <= 0", "> 0")])
    return np.diff(np.log(values), axis=0).std(axis=0, ddof=1) * math.sqrt(periods_per_year)


def peer_asset_volatility(asset_vol, groups, min_peers: int = 5) -> tuple[dict, float]:
    """Median asset volatility of listed firms per peer group (e.g. industry).

    Parameters
    ----------
    asset_vol : solved σV of listed firms (NaN entries are ignored).
    groups : group label of each firm.
    min_peers : groups with fewer firms fall back to the overall median.

    Returns
    -------
    (table, overall) : {group: median σV} for groups with enough peers, and the
        overall median used for every other group.

    Examples
    --------
    >>> peer_asset_volatility([0.2, 0.3, 0.4, 0.1], ["a", "a", "a", "b"], min_peers=2)
    ({'a': 0.3}, 0.25)
    """
    frame = pd.DataFrame({"vol": _float_array("asset_vol", asset_vol), "group": np.asarray(groups, dtype=object)})
    frame = frame[np.isfinite(frame["vol"])]
    if frame.empty:
        raise DataValidationError([Violation("asset_vol", "has no finite values",
                                             "at least one listed firm with a solved asset volatility")])
    stats = frame.groupby("group", observed=True, sort=True)["vol"].agg(["median", "size"])
    table = {str(g): float(m) for g, m, s in zip(stats.index, stats["median"], stats["size"], strict=True) if s >= min_peers}
    return table, float(frame["vol"].median())


# --------------------------------------------------------------------------- empirical DD -> PD
@dataclass
class EmpiricalPDMap:
    """Monotone map from DD to observed default frequency, linear between knots, flat beyond.

    Attributes
    ----------
    dd : knot DDs (increasing): the mean DD of each pooled block of bins.
    pd : default frequency at each knot (non-increasing in DD, floored at ``min_pd``).
    n, defaults : observations and defaults pooled into each knot.
    """

    dd: np.ndarray
    pd: np.ndarray
    n: np.ndarray
    defaults: np.ndarray

    def __call__(self, dd) -> np.ndarray:
        """PD of each DD (NaN stays NaN)."""
        return np.interp(np.asarray(dd, dtype=float), self.dd, self.pd)

    def to_step(self) -> dict:
        """The map as a scorer-bundle calibration step ``{"method": "interp", ...}``."""
        return {"method": "interp", "x": self.dd.tolist(), "y": self.pd.tolist()}

    def to_frame(self) -> pd.DataFrame:
        """The knots as a table."""
        return pd.DataFrame({"dd": self.dd, "n": self.n, "defaults": self.defaults, "pd": self.pd})

    def summary(self) -> str:
        """Knot table as text."""
        return "Empirical DD -> PD map\n" + self.to_frame().to_string(index=False)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    def plot(self, ax=None):
        """Plot the knots and the interpolated map (log PD axis)."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(6, 4))[1]
        grid = np.linspace(self.dd[0] - 1.0, self.dd[-1] + 1.0, 200)
        ax.plot(grid, self(grid), label="map")
        ax.scatter(self.dd, self.pd, s=12 + 60 * self.n / self.n.max(), label="pooled bins")
        ax.set_yscale("log")
        ax.set_xlabel("distance to default")
        ax.set_ylabel("PD")
        ax.legend()
        return ax


def _pav_decreasing(rates: np.ndarray, weights: np.ndarray) -> list[list[int]]:
    """Pool adjacent violators for a non-increasing fit; returns the bins of each block."""
    blocks: list[list] = []  # [rate, weight, bins]
    for i, (r, w) in enumerate(zip(rates, weights, strict=True)):
        blocks.append([r, w, [i]])
        while len(blocks) > 1 and blocks[-2][0] <= blocks[-1][0]:
            r2, w2, b2 = blocks.pop()
            r1, w1, b1 = blocks.pop()
            blocks.append([(r1 * w1 + r2 * w2) / (w1 + w2), w1 + w2, b1 + b2])
    return [b for _, _, b in blocks]


def fit_empirical_pd_map(dd, default, n_bins: int = 20, min_pd: float = 1e-4) -> EmpiricalPDMap:
    """Fit KMV's empirical DD→PD map: binned default frequencies, made monotone, interpolated.

    DDs are grouped into ``n_bins`` equal-count bins (each distinct value its own bin
    when there are at most ``n_bins`` of them); adjacent bins whose default rate rises
    with DD are pooled (PAV), rates are floored at ``min_pd`` and equal neighbours
    merged. Each block becomes a knot at its mean DD; between knots the map is linear,
    so it is continuous and non-increasing; beyond the end knots it is flat.

    Parameters
    ----------
    dd : distances to default (finite).
    default : 0/1 outcome per DD (1 = default).
    n_bins : number of DD bins before pooling.
    min_pd : smallest PD the map returns (no zero PDs).

    Returns
    -------
    EmpiricalPDMap

    Examples
    --------
    KMV-3: 5,000 firms at each DD 1..5 with EDF 5 %, 2.5 %, 1 %, 0.4 %, 0.2 %:

    >>> dd = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0], 5000)
    >>> y = np.concatenate([np.r_[np.ones(k), np.zeros(5000 - k)] for k in (250, 125, 50, 20, 10)])
    >>> m = fit_empirical_pd_map(dd, y)
    >>> m(4.0).tolist(), m(3.5).round(4).tolist()
    (0.004, 0.007)
    """
    x = _float_array("dd", dd).ravel()
    y = np.asarray(default).ravel()
    violations: list = []
    _check("dd", ~np.isfinite(x), "missing or infinite values", "finite numbers", violations)
    if len(y) != len(x):
        violations.append(Violation("default", f"has {len(y)} values", f"{len(x)} values, one per DD"))
    else:
        _check("default", ~np.isin(y, [0, 1]), "values other than 0/1", "a 0/1 outcome", violations)
    if len(x) == 0:
        violations.append(Violation("dd", "is empty", "at least one observation"))
    if violations:
        raise DataValidationError(violations, "fit_empirical_pd_map")
    y = y.astype(float)
    distinct = np.unique(x)
    if len(distinct) <= n_bins:
        bins = np.searchsorted(distinct, x)
    else:
        edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
        bins = np.unique(np.searchsorted(edges, x, side="right"), return_inverse=True)[1]
    n = np.bincount(bins).astype(float)
    d = np.bincount(bins, weights=y)
    sum_dd = np.bincount(bins, weights=x)
    blocks = _pav_decreasing(d / n, n)
    knots: list[list[float]] = []  # [sum_dd, n, defaults, pd]
    for members in blocks:
        bn, bd, bx = n[members].sum(), d[members].sum(), sum_dd[members].sum()
        rate = max(bd / bn, min_pd)
        if knots and knots[-1][3] == rate:
            knots[-1][0] += bx
            knots[-1][1] += bn
            knots[-1][2] += bd
        else:
            knots.append([bx, bn, bd, rate])
    k = np.asarray(knots)
    return EmpiricalPDMap(dd=k[:, 0] / k[:, 1], pd=k[:, 3], n=k[:, 1].astype(np.int64),
                          defaults=k[:, 2].astype(np.int64))


def plot_dd_by_outcome(dd, default, ax=None, bins: int = 40, clip: float = 15.0):
    """Histogram of DD for defaulted and surviving firms (densities), for reviewers.

    Parameters
    ----------
    dd : distances to default (non-finite values are dropped from the picture only).
    default : 0/1 outcome per DD.
    ax : matplotlib axes to draw on (a new figure when None).
    bins : histogram bins; clip : DDs shown are clipped to ±clip.

    Returns
    -------
    matplotlib Axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_dd_by_outcome([1.0, 2.0, 3.0, 0.5], [0, 0, 0, 1])
    >>> ax.get_xlabel()
    'distance to default'
    """
    import matplotlib.pyplot as plt

    x = _float_array("dd", dd).ravel()
    y = np.asarray(default).ravel()
    if len(y) != len(x) or not np.isin(y, [0, 1]).all():
        raise DataValidationError([Violation("default", "is not a 0/1 outcome per DD", "0/1 values, one per DD")])
    keep = ~np.isnan(x)
    x = np.clip(x[keep], -clip, clip)
    y = y[keep]
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    edges = np.histogram_bin_edges(x, bins=bins)
    for label, mask, colour in (("no default", y == 0, "tab:blue"), ("default", y == 1, "tab:red")):
        if mask.any():
            ax.hist(x[mask], bins=edges, density=True, alpha=0.5, color=colour,
                    label=f"{label} (n={int(mask.sum()):,}, median DD {np.median(x[mask]):.2f})")
    ax.set_xlabel("distance to default")
    ax.set_ylabel("density")
    ax.set_title("Distance to default by outcome")
    ax.legend()
    return ax


# --------------------------------------------------------------------------- estimator
def _median_multiple(asset_value, ebit) -> float:
    """Median V/EBIT of listed firms with positive EBIT (the private firms' earnings multiple)."""
    value, earnings = np.asarray(asset_value, dtype=float), np.asarray(ebit, dtype=float)
    usable = (earnings > 0) & np.isfinite(value)
    if not usable.any():
        raise DataValidationError([Violation("ebit", "is <= 0 for every listed firm",
                                             "listed firms with positive EBIT to learn a multiple")],
                                  "KMVModel.fit")
    return float(np.median(value[usable] / earnings[usable]))


class KMVModel(ScorerModel):
    """KMV-style PD model: Merton DD for listed firms, accounting-proxy DD for private ones.

    Listed firms (``equity_value`` and ``equity_vol`` present) get (V, σV) from
    :func:`solve_merton` with debt = the default point; firms without market data
    get the proxy: V = ``total_assets`` (book value) or ``ebit`` × an earnings
    multiple, and σV = the median solved asset volatility of listed firms in the
    same ``peer_group`` (overall median for small or unseen groups).
    :meth:`dd_frame` marks every firm's ``source`` as "market" or "proxy". ``fit``
    learns the peer volatilities, the multiple (if not given) and the DD→PD map.

    Parameters
    ----------
    long_term_weight : share of long-term debt in the default point (KMV: 0.5).
    horizon : PD horizon in years.
    drift : asset drift in the DD; None uses each firm's ``rate`` column.
    pd_map : "empirical" (monotone map fitted on defaults, separately for market
        and proxy DDs) or "normal" (N(−DD), nothing fitted but the peer volatilities).
    n_bins, min_pd : of :func:`fit_empirical_pd_map`.
    proxy : "peer" (private firms via a proxy asset value and peer σV) or None
        (listed only: equity data are then required for every firm).
    proxy_value : "book" (V = total_assets) or "ebit" (V = ebit × ebit_multiple;
        firms with EBIT <= 0 sit at the default barrier, DD = −inf).
    ebit_multiple : asset value / EBIT for ``proxy_value="ebit"``; None learns the
        median V/EBIT of listed firms with positive EBIT.
    peer_group : column holding the peer group (e.g. industry).
    min_peers : listed firms a group needs for its own volatility.
    master_scale : master-scale bundle dict or MasterScale; None uses the default scale.
    name : model name in bundles and reports.

    Examples
    --------
    >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
    ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
    ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
    >>> scale = {"name": "t", "grades": ["A", "B", "D"], "upper_bounds": [0.05, 1.0], "floor": None,
    ...     "midpoints": [0.01, 0.2, 1.0]}
    >>> m = KMVModel(pd_map="normal", min_peers=1, master_scale=scale).fit(X, [0, 0, 1, 0])
    >>> m.dd_frame(X)["source"].tolist()
    ['market', 'market', 'market', 'proxy']
    >>> m.predict_proba(X)[:, 1].round(3).tolist()
    [0.127, 0.0, 0.218, 0.003]
    """

    kind = "kmv"

    def __init__(self, long_term_weight: float = 0.5, horizon: float = 1.0, drift: float | None = None,
                 pd_map: str = "empirical", n_bins: int = 20, min_pd: float = 1e-4, proxy: str | None = "peer",
                 proxy_value: str = "book", ebit_multiple: float | None = None, peer_group: str = "industry",
                 min_peers: int = 5, master_scale=None, name: str | None = None):
        self.long_term_weight = long_term_weight
        self.horizon = horizon
        self.drift = drift
        self.pd_map = pd_map
        self.n_bins = n_bins
        self.min_pd = min_pd
        self.proxy = proxy
        self.proxy_value = proxy_value
        self.ebit_multiple = ebit_multiple
        self.peer_group = peer_group
        self.min_peers = min_peers
        self.master_scale = master_scale
        self.name = name

    # ---- bundle hooks
    def _input_rules(self, categories=None) -> list:
        market_missing = "allow" if self.proxy else "error"

        def number(name, required=True, missing="error", low=0.0, high=None):
            return {"name": name, "type": "number", "required": required, "min": low, "max": high,
                    "out_of_range": "error", "missing": missing}

        rules = [number("equity_value", not self.proxy, market_missing),
                 number("equity_vol", not self.proxy, market_missing),
                 number("short_term_debt"), number("long_term_debt"),
                 number("rate", low=-1.0, high=1.0)]
        if self.proxy:
            rules += [number("total_assets") if self.proxy_value == "book" else number("ebit", low=None),
                      {"name": self.peer_group, "type": "category", "required": True,
                       "categories": categories, "unknown": "allow", "missing": "allow"}]
        return rules

    def _bundle_inputs(self) -> list:
        return self._input_rules(getattr(self, "peer_categories_", None))

    def _bundle_model(self) -> dict:
        proxy = None
        if self.proxy:
            proxy = {"asset_value": "total_assets" if self.proxy_value == "book" else "ebit",
                     "multiple": self.proxy_multiple_, "group": self.peer_group,
                     "asset_vol": dict(self.peer_asset_vol_), "default_asset_vol": self.default_asset_vol_}
        return {"long_term_weight": float(self.long_term_weight), "horizon": float(self.horizon),
                "drift": None if self.drift is None else float(self.drift), "tol": 1e-10, "max_iter": 50,
                "pd_map": self.pd_map, "dd_clip": DD_CLIP, "proxy_offset": PROXY_OFFSET, "proxy": proxy}

    def _bundle_calibration(self) -> list:
        if self.pd_map == "normal":
            return []
        xs, ys = [], []
        # without private firms in the training data, proxy DDs use the market map
        for offset, pd_map in ((0.0, self.market_map_), (PROXY_OFFSET, self.proxy_map_ or self.market_map_)):
            x, y = pd_map.dd.tolist(), pd_map.pd.tolist()
            # pin both ends of each range so each map stays flat up to its own clip bound
            if x[0] > -DD_CLIP:
                x, y = [-DD_CLIP] + x, [y[0]] + y
            if x[-1] < DD_CLIP:
                x, y = x + [DD_CLIP], y + [y[-1]]
            xs += [v + offset for v in x]
            ys += y
        return [{"method": "interp", "x": xs, "y": ys}]

    # ---- fitting
    def _check_params(self):
        problems = []
        if self.pd_map not in ("empirical", "normal"):
            problems.append(Violation("pd_map", f"is {self.pd_map!r}", "'empirical' or 'normal'"))
        if self.proxy not in ("peer", None):
            problems.append(Violation("proxy", f"is {self.proxy!r}", "'peer' or None"))
        if self.proxy_value not in ("book", "ebit"):
            problems.append(Violation("proxy_value", f"is {self.proxy_value!r}", "'book' or 'ebit'"))
        if self.ebit_multiple is not None and not (np.isfinite(self.ebit_multiple) and self.ebit_multiple > 0):
            problems.append(Violation("ebit_multiple", f"is {self.ebit_multiple!r}", "a number > 0 or None"))
        if not (np.isfinite(self.horizon) and self.horizon > 0):
            problems.append(Violation("horizon", f"is {self.horizon!r}", "> 0 years"))
        if not 0.0 <= self.long_term_weight <= 1.0:
            problems.append(Violation("long_term_weight", f"is {self.long_term_weight!r}", "in [0, 1]"))
        if problems:
            raise DataValidationError(problems, "KMVModel parameters")

    def _kernel_output(self, frame: pd.DataFrame) -> dict:
        rules = self._bundle_inputs()
        cols, n = scoring.prepare_inputs(rules, frame_columns(frame, [r["name"] for r in rules]))
        return scoring.KERNELS["kmv"](self._bundle_model(), cols, n)

    def fit(self, X, y):
        """Learn the peer-group asset volatilities and the DD→PD map.

        Parameters
        ----------
        X : DataFrame with equity_value, equity_vol (NaN for private firms),
            short_term_debt, long_term_debt, rate and, with the proxy,
            total_assets and the peer-group column.
        y : 0/1 default within the horizon.

        Returns
        -------
        self
        """
        self._check_params()
        frame = as_frame(X)
        target = require_binary_target(y, "y")
        if len(target) != len(frame):
            raise DataValidationError([Violation("y", f"has {len(target)} values", f"{len(frame)} (one per row of X)")])
        schema_from_inputs(self._input_rules(), "KMVModel.fit").validate(frame)
        self.feature_names_in_ = np.asarray([r["name"] for r in self._input_rules() if r["name"] in frame.columns],
                                            dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.classes_ = np.array([0, 1])
        self.master_scale_ = self.master_scale
        if self.proxy:
            self._fit_peers(frame)
        out = self._kernel_output(frame)
        dd, status = out["extra"]["dd"], out["extra"]["status"]
        self.market_map_ = self.proxy_map_ = None
        if self.pd_map == "empirical":
            usable = ~np.isnan(dd)
            clipped = np.clip(dd, -DD_CLIP, DD_CLIP)
            is_proxy = status == scoring.MERTON_PROXY
            for attr, rows in (("market_map_", usable & ~is_proxy), ("proxy_map_", usable & is_proxy)):
                if rows.any():
                    setattr(self, attr, fit_empirical_pd_map(clipped[rows], target[rows], self.n_bins,
                                                             self.min_pd))
            if self.market_map_ is None and self.proxy_map_ is None:
                raise ConvergenceError("KMVModel.fit: no firm has a finite distance to default")
            if self.market_map_ is None:
                self.market_map_ = self.proxy_map_
        counts = np.bincount(status, minlength=len(MERTON_STATUS))
        self.training_metadata_ = {"n_obs": int(len(frame)), "n_defaults": int(target.sum()),
                                   "status_counts": {s: int(c) for s, c in zip(MERTON_STATUS, counts, strict=True) if c}}
        return self

    def _fit_peers(self, frame: pd.DataFrame):
        market = frame["equity_value"].notna() & frame["equity_vol"].notna() if "equity_value" in frame \
            and "equity_vol" in frame else pd.Series(False, index=frame.index)
        if not market.any():
            raise DataValidationError([Violation("equity_value", "has no listed firm (all missing)",
                                                 "some firms with equity_value and equity_vol to "
                                                 "estimate peer asset volatilities")], "KMVModel.fit")
        listed = frame[market.to_numpy()]
        dpt = default_point(listed["short_term_debt"], listed["long_term_debt"], self.long_term_weight)
        sol = solve_merton(listed["equity_value"], listed["equity_vol"], dpt, listed["rate"], self.horizon)
        self.peer_asset_vol_, self.default_asset_vol_ = peer_asset_volatility(
            sol.asset_vol, listed[self.peer_group].astype(object).to_numpy(), self.min_peers)
        self.proxy_multiple_ = 1.0
        if self.proxy_value == "ebit":
            self.proxy_multiple_ = self.ebit_multiple or _median_multiple(sol.asset_value, listed["ebit"])
        seen = frame[self.peer_group].dropna().astype(str).unique().tolist()
        self.peer_categories_ = sorted(seen)

    # ---- outputs
    def dd_frame(self, X) -> pd.DataFrame:
        """Per firm: dd, pd, grade, asset_value, asset_vol, default_point, source, status.

        ``source`` is "market" (Merton-solved) or "proxy" (book assets and peer
        volatility); ``status`` is one of :data:`MERTON_STATUS`.
        """
        out = self.score_frame(X)
        extra = out["extra"]
        status = np.asarray(MERTON_STATUS, dtype=object)[extra["status"]]
        return pd.DataFrame({
            "dd": extra["dd"], "pd": out["pd"], "grade": out["grade"], "asset_value": extra["asset_value"],
            "asset_vol": extra["asset_vol"], "default_point": extra["default_point"],
            "source": np.where(extra["status"] == scoring.MERTON_PROXY, "proxy", "market"),
            "status": status}, index=as_frame(X).index)

    def sensitivities(self, X) -> pd.DataFrame:
        """Structural PD N(−DD) sensitivities to leverage and asset volatility, per firm.

        Firms without a finite positive (V, σV, DPT) get NaN rows.
        """
        table = self.dd_frame(X)
        frame = as_frame(X)
        drift = frame["rate"].to_numpy(dtype=float) if self.drift is None else np.full(len(frame), self.drift)
        ok = (table["asset_value"] > 0) & (table["asset_vol"] > 0) & (table["default_point"] > 0)
        result = pd.DataFrame(np.nan, index=table.index, columns=["dd", "pd", "leverage", "dpd_dleverage",
                                                                  "dpd_dasset_vol", "elasticity_leverage",
                                                                  "elasticity_asset_vol"])
        if ok.any():
            rows = ok.to_numpy()
            sens = pd_sensitivities(table["asset_value"].to_numpy()[rows], table["asset_vol"].to_numpy()[rows],
                                    table["default_point"].to_numpy()[rows], drift[rows], self.horizon)
            result.loc[ok, :] = sens.to_numpy()
        result["source"] = table["source"]
        return result

    def plot_dd(self, X, y, ax=None):
        """DD distribution by outcome (see :func:`plot_dd_by_outcome`)."""
        return plot_dd_by_outcome(self.dd_frame(X)["dd"].to_numpy(), require_binary_target(y, "y"), ax=ax)


__all__ = ["MERTON_STATUS", "MertonSolution", "solve_merton", "merton_equity", "default_point",
           "distance_to_default", "naive_distance_to_default", "pd_sensitivities", "IterativeKMVResult",
           "iterative_kmv", "iterative_kmv_frame", "history_asset_volatility", "peer_asset_volatility",
           "EmpiricalPDMap", "fit_empirical_pd_map", "plot_dd_by_outcome", "KMVModel"]
