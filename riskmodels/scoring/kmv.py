"""Kind "kmv" (riskmodels.models.kmv): the Merton model and the distance to default.

:func:`merton_solve` finds each firm's asset value and volatility from its equity;
:func:`kmv_kernel` maps the distance to default to the raw output of the calibration
steps. The kind has no one-record twin: a record alone is scored as a batch of one
(Newton's iterations are vectorised; a Python loop would not be faster).
"""

from __future__ import annotations

import math

import numpy as np

from .normal import norm_cdf, norm_pdf

# The inputs the kmv kernel reads, by role; a bundle's model.columns may map a role to another column.
KMV_ROLES = ("equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate")

# Status codes of merton_solve (riskmodels.models.kmv.MERTON_STATUS names them).
(MERTON_CONVERGED, MERTON_NO_DEBT, MERTON_ZERO_VOL, MERTON_NO_EQUITY, MERTON_FAILED, MERTON_PROXY,
 MERTON_DEGENERATE) = range(7)
MERTON_STATUS_NAMES = ("converged", "no_debt", "zero_volatility", "nonpositive_equity", "not_converged",
                       "proxy", "degenerate")
# A root of the Merton equations with an asset volatility below this carries no information:
# the equations hold only because the call price is lost in the rounding of
# V·Φ(d1) − K·Φ(d2) (equity 1 against debt 1.4e8 solves with σV = 3e-9 and DD 1.9; debt
# 1e15 gives DD 5.6e11). Such firms get status "degenerate" and no DD.
MERTON_MIN_ASSET_VOL = 1e-6


def _merton_residuals(u, s, equity, equity_vol, strike, sqrt_t):
    """Relative residuals of the two Merton equations at V = e^u, σV = e^s, plus the pieces."""
    value, vol = np.exp(u), np.exp(s)
    vol_t = vol * sqrt_t
    d1 = np.log(value / strike) / vol_t + 0.5 * vol_t
    nd1, nd2 = norm_cdf(d1), norm_cdf(d1 - vol_t)
    call = value * nd1 - strike * nd2
    f1 = call / equity - 1.0
    f2 = value * nd1 * vol / (equity * equity_vol) - 1.0
    # the call price cancels digits when equity << assets: do not ask for more than float gives
    floor = 8.0 * np.finfo(float).eps * (value * nd1 + strike * nd2) / equity
    return f1, f2, d1, nd1, vol_t, floor

_BISECTION_STEPS = 80


def merton_asset_value(equity, vol, strike, sqrt_t, tol, max_iter=200):
    """Asset value V with V·Φ(d1) − K·Φ(d2) = E for a fixed asset volatility.

    Newton from V = E + K, which lies right of the root of this convex increasing
    function, so the iterates fall monotonically onto it.

    Parameters
    ----------
    equity : equity values E (> 0), arrays broadcast.
    vol : asset volatility σV (> 0).
    strike : discounted debt K = D·e^(−rT) (> 0).
    sqrt_t : √T.
    tol : relative error of the call price at which to stop.
    max_iter : most Newton steps.

    Returns
    -------
    (V, Φ(d1)) : arrays.

    >>> v, _ = merton_asset_value(np.array([3.0]), 0.2123047134, 10.0 * math.exp(-0.05), 1.0, 1e-12)
    >>> v.round(4).tolist()
    [12.3954]
    """
    value = equity + strike
    vol_t = vol * sqrt_t
    for _ in range(max_iter):
        d1 = np.log(value / strike) / vol_t + 0.5 * vol_t
        nd1 = norm_cdf(d1)
        nd2 = norm_cdf(d1 - vol_t)
        gap = value * nd1 - strike * nd2 - equity
        if np.all(gap <= tol * equity + 8.0 * np.finfo(float).eps * (value * nd1 + strike * nd2)):
            break
        value = np.maximum(value - np.maximum(gap, 0.0) / nd1, 0.5 * value)
    return value, nd1


def _merton_bisect(equity, equity_vol, strike, sqrt_t, tol, n_halvings):
    """Fallback for rows where Newton failed: bisection on ln σV of the volatility equation.

    g(σV) = V(σV)·Φ(d1)·σV/(E·σE) − 1 is negative at σV = E·σE/(2(E + K)) and
    non-negative at σV = σE (equity is at least as volatile as assets), so a root
    lies in between."""
    lo = np.log(0.5 * equity * equity_vol / (equity + strike))
    hi = np.log(equity_vol)
    for _ in range(n_halvings):
        mid = 0.5 * (lo + hi)
        vol = np.exp(mid)
        value, nd1 = merton_asset_value(equity, vol, strike, sqrt_t, tol)
        above = value * nd1 * vol >= equity * equity_vol
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    vol = np.exp(0.5 * (lo + hi))
    value, _ = merton_asset_value(equity, vol, strike, sqrt_t, tol)
    return np.log(value), np.log(vol)


def _merton_newton(equity, equity_vol, strike, sqrt_t, tol, max_iter):
    """Damped Newton in (ln V, ln σV) on all rows at once; rows leave the working set as they
    converge. Returns ln V, ln σV, iterations per row and whether each row converged."""
    m = len(equity)
    u_out, s_out = np.log(equity + strike), np.log(equity_vol * equity / (equity + strike))
    iterations, done = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=bool)
    act, u, s, e, se, k = np.arange(m), u_out.copy(), s_out.copy(), equity, equity_vol, strike
    f1, f2, d1, nd1, vol_t, floor = _merton_residuals(u, s, e, se, k, sqrt_t)
    for it in range(max_iter + 1):
        ok = np.maximum(np.abs(f1), np.abs(f2)) <= tol + floor
        if ok.any():
            u_out[act[ok]], s_out[act[ok]], done[act[ok]] = u[ok], s[ok], True
            keep = ~ok
            act, u, s, e, se, k, f1, f2, d1, nd1, vol_t = (
                a[keep] for a in (act, u, s, e, se, k, f1, f2, d1, nd1, vol_t))
        if act.size == 0 or it == max_iter:
            break
        iterations[act] += 1
        phi = norm_pdf(d1)
        # Jacobian of (f1, f2) in (ln V, ln σV), rows divided by the positive factors a and b
        j11, j12 = nd1, phi * vol_t
        j21, j22 = nd1 + phi / vol_t, nd1 - phi * (d1 - vol_t)
        a = np.exp(u) / e
        b = a * np.exp(s) / se
        det = j11 * j22 - j12 * j21
        with np.errstate(divide="ignore", invalid="ignore"):
            g1, g2 = f1 / a, f2 / b
            du = np.clip(-(j22 * g1 - j12 * g2) / det, -2.0, 2.0)
            ds = np.clip(-(j11 * g2 - j21 * g1) / det, -2.0, 2.0)
        bad = ~(np.isfinite(du) & np.isfinite(ds))
        du[bad], ds[bad] = 0.0, -0.5  # singular Jacobian (deep out of the money): shrink σV
        merit = f1 * f1 + f2 * f2
        trial = [u + du, s + ds, *_merton_residuals(u + du, s + ds, e, se, k, sqrt_t)]
        pending = np.flatnonzero(~((trial[2] ** 2 + trial[3] ** 2 < merit)
                                   | (np.maximum(np.abs(trial[2]), np.abs(trial[3])) <= tol + trial[7])))
        step = 1.0
        while pending.size and step > 1e-12:  # backtracking: halve the step until the residual falls
            step *= 0.5
            nu, ns = u[pending] + step * du[pending], s[pending] + step * ds[pending]
            again = [nu, ns, *_merton_residuals(nu, ns, e[pending], se[pending], k[pending], sqrt_t)]
            for full, part in zip(trial, again, strict=True):
                full[pending] = part
            better = (again[2] ** 2 + again[3] ** 2 < merit[pending]) | (
                np.maximum(np.abs(again[2]), np.abs(again[3])) <= tol + again[7])
            pending = pending[~better]
        u, s, f1, f2, d1, nd1, vol_t, floor = trial
    return u_out, s_out, iterations, done


def merton_solve(equity, equity_vol, debt, rate, horizon: float, tol: float = 1e-10,
                 max_iter: int = 50) -> dict:
    """Solve E = V·Φ(d1) − D·e^(−rT)·Φ(d2) and σE·E = Φ(d1)·σV·V for (V, σV), vectorised.

    Damped Newton in (ln V, ln σV) from V0 = E + D·e^(−rT), σV0 = σE·E/V0, stopping when
    both relative residuals are below ``tol`` (or the float precision of the call price);
    rows where Newton stalls are finished by a bracketed bisection on σV. Inputs are 1-d float arrays of one length
    (no NaN; the caller validates) and ``horizon > 0``. Exact cases skip the iteration:
    D = 0 gives V = E, σV = σE; σE = 0 gives σV = 0, V = E + D·e^(−rT); E <= 0 has no
    solution. Returns ``{"asset_value", "asset_vol", "iterations", "status"}`` with
    status codes MERTON_CONVERGED, MERTON_NO_DEBT, MERTON_ZERO_VOL, MERTON_NO_EQUITY,
    MERTON_FAILED, MERTON_DEGENERATE (the last three leave NaN values, flagged by the code;
    a degenerate root has σV < MERTON_MIN_ASSET_VOL).

    Parameters
    ----------
    equity, equity_vol, debt, rate : 1-d float arrays of one length.
    horizon : years (> 0).
    tol : relative residual at which a row counts as solved.
    max_iter : Newton iterations before the bisection fallback.

    Returns
    -------
    dict of arrays: asset_value, asset_vol, iterations, status.

    >>> out = merton_solve(np.array([3.0]), np.array([0.8]), np.array([10.0]), np.array([0.05]), 1.0)
    >>> out["asset_value"].round(4).tolist(), out["asset_vol"].round(4).tolist(), out["status"].tolist()
    ([12.3954], [0.2123], [0])
    """
    equity, equity_vol, debt, rate = (np.asarray(a, dtype=float) for a in (equity, equity_vol, debt, rate))
    n = len(equity)
    value, vol = np.full(n, np.nan), np.full(n, np.nan)
    iterations = np.zeros(n, dtype=np.int64)
    status = np.full(n, MERTON_FAILED, dtype=np.int64)
    strike_all = debt * np.exp(-rate * horizon)
    no_equity = ~(equity > 0.0)
    no_debt = ~no_equity & (debt == 0.0)
    zero_vol = ~no_equity & ~no_debt & (equity_vol == 0.0)
    status[no_equity], status[no_debt], status[zero_vol] = MERTON_NO_EQUITY, MERTON_NO_DEBT, MERTON_ZERO_VOL
    value[no_debt], vol[no_debt] = equity[no_debt], equity_vol[no_debt]
    value[zero_vol], vol[zero_vol] = equity[zero_vol] + strike_all[zero_vol], 0.0

    idx = np.flatnonzero(~(no_equity | no_debt | zero_vol))
    e, se, k = equity[idx], equity_vol[idx], strike_all[idx]
    sqrt_t = math.sqrt(horizon)
    u, s, iterations[idx], done = _merton_newton(e, se, k, sqrt_t, tol, max_iter)
    stalled = np.flatnonzero(~done)
    if stalled.size:
        u[stalled], s[stalled] = _merton_bisect(e[stalled], se[stalled], k[stalled], sqrt_t, tol,
                                                 _BISECTION_STEPS)
        r1, r2, *_rest, rfl = _merton_residuals(u[stalled], s[stalled], e[stalled], se[stalled],
                                               k[stalled], sqrt_t)
        done[stalled] = np.maximum(np.abs(r1), np.abs(r2)) <= tol + rfl
        iterations[idx[stalled]] += _BISECTION_STEPS
    root_value, root_vol = np.exp(u), np.exp(s)
    degenerate = done & (root_vol < MERTON_MIN_ASSET_VOL)
    solved = idx[done & ~degenerate]
    value[solved], vol[solved] = root_value[done & ~degenerate], root_vol[done & ~degenerate]
    status[solved] = MERTON_CONVERGED
    status[idx[degenerate]] = MERTON_DEGENERATE
    return {"asset_value": value, "asset_vol": vol, "iterations": iterations, "status": status}


def merton_equity_price(value, vol, debt, rate, horizon: float):
    """Merton equity (a call on the assets) and its volatility: E = V·N(d1) − D·e^(−rT)·N(d2),
    σE = N(d1)·σV·V / E. No input checks (see ``riskmodels.models.kmv.merton_equity``).

    >>> e, s = merton_equity_price(np.array([100.0]), 0.2, 80.0, 0.05, 1.0)
    >>> round(float(e[0]), 4), round(float(s[0]), 4)
    (24.5888, 0.7553)
    """
    vol_t = vol * math.sqrt(horizon)
    d1 = (np.log(value / debt) + (rate + 0.5 * vol * vol) * horizon) / vol_t
    nd1 = norm_cdf(d1)
    equity = value * nd1 - debt * np.exp(-rate * horizon) * norm_cdf(d1 - vol_t)
    return equity, nd1 * vol * value / equity


def kmv_dd(value, vol, default_point, drift, horizon):
    """Log-form distance to default (ln(V/DPT) + (μ − σV²/2)T) / (σV√T), numpy only.

    Parameters
    ----------
    value, vol, default_point, drift : arrays broadcast (V, σV, DPT, μ).
    horizon : years.

    Returns
    -------
    ndarray of DD; +inf for DPT = 0, ±inf for σV = 0 (0 when V sits exactly on the barrier).

    >>> kmv_dd(np.array([100.0]), np.array([0.25]), np.array([70.0]), 0.0, 1.0).round(4).tolist()
    [1.3017]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(value / default_point) + (drift - 0.5 * vol * vol) * horizon
        dd = centre / (vol * math.sqrt(horizon))
    return np.where(np.isnan(dd) & (vol == 0.0) & (centre == 0.0), 0.0, dd)


def kmv_kernel(model: dict, cols: dict, n: int) -> dict:
    """Distance to default per firm, mapped to a raw value for the calibration step.

    ``model = {"long_term_weight", "horizon", "drift" (null: the rate column), "tol",
    "max_iter", "pd_map": "empirical" | "normal", "dd_clip", "proxy_offset",
    "proxy": null | {"asset_value": column, "multiple": m, "group": column,
    "asset_vol": {group: σV}, "default_asset_vol": σV}, "columns"?: {role: column}}``.
    ``columns`` names the input read for a role of :data:`KMV_ROLES` (default: the role's
    own name). Firms with equity_value and
    equity_vol get (V, σV) from :func:`merton_solve` with debt = the default point; the
    others, when a proxy is set, take V = m × a book value or earnings column (DD = −inf
    where that is <= 0) and σV from their peer group. ``raw`` is Φ(−DD)
    for "normal"; for "empirical" it is DD clipped to ±dd_clip, shifted by
    proxy_offset for proxy firms, so that one ``interp`` step holds both the market
    and the proxy DD→PD maps on disjoint ranges.
    """
    horizon = float(model["horizon"])
    names = model.get("columns", {})
    absent = np.full(n, np.nan)
    rate = cols[names.get("rate", "rate")]
    dpt = cols[names.get("short_term_debt", "short_term_debt")] + \
        model["long_term_weight"] * cols[names.get("long_term_debt", "long_term_debt")]
    drift = rate if model["drift"] is None else np.full(n, float(model["drift"]))
    equity = cols.get(names.get("equity_value", "equity_value"), absent)
    equity_vol = cols.get(names.get("equity_vol", "equity_vol"), absent)
    market = ~(np.isnan(equity) | np.isnan(equity_vol))
    value, vol = np.full(n, np.nan), np.full(n, np.nan)
    status = np.full(n, MERTON_FAILED, dtype=np.int64)
    if market.any():
        sol = merton_solve(equity[market], equity_vol[market], dpt[market], rate[market], horizon,
                           tol=model["tol"], max_iter=model["max_iter"])
        value[market], vol[market], status[market] = sol["asset_value"], sol["asset_vol"], sol["status"]
    proxy = model.get("proxy")
    is_proxy = ~market if proxy else np.zeros(n, dtype=bool)
    if is_proxy.any():
        table, fallback = proxy["asset_vol"], float(proxy["default_asset_vol"])
        groups = cols[proxy["group"]][is_proxy]
        vol[is_proxy] = np.fromiter((table.get(g, fallback) for g in groups), dtype=float,
                                    count=len(groups))
        value[is_proxy] = cols[proxy["asset_value"]][is_proxy] * float(proxy.get("multiple", 1.0))
        status[is_proxy] = MERTON_PROXY
    dd = kmv_dd(value, vol, dpt, drift, horizon)
    # no equity, or a proxy asset value <= 0 (losses under an earnings multiple): at the barrier
    dd = np.where((status == MERTON_NO_EQUITY) | (is_proxy & ~(value > 0)), -np.inf, dd)
    clipped = np.clip(dd, -model["dd_clip"], model["dd_clip"])
    if model["pd_map"] == "normal":
        raw = norm_cdf(-dd)
    else:
        raw = clipped + np.where(is_proxy, model["proxy_offset"], 0.0)
    return {"raw": raw, "points": clipped,
            "extra": {"dd": dd, "asset_value": value, "asset_vol": vol, "default_point": dpt,
                      "status": status}}
