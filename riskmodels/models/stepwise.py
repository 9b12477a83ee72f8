"""Fast stepwise selection for a logistic model on WoE columns (plain numpy).

The search never calls statsmodels. Records with identical WoE rows are
collapsed into one row with frequency weights (events and records per row),
which leaves the likelihood unchanged. Each model is fitted by Newton–Raphson
(IRLS, with step halving) started from the previous model's coefficients, so a
step costs one to three iterations. A candidate enters by Rao's score test
computed from the current fit alone (Rao 1948; Hosmer & Lemeshow 2013, §4.3):
for a candidate column z with current fitted probabilities p, weights
w = p(1 − p) and design X,

    U = zᵀ(y − p),   V = zᵀWz − zᵀWX (XᵀWX)⁻¹ XᵀWz,   S = U² / V ~ χ²(1),

which is one matrix product for all candidates together. Removal uses the
Wald p-values of the current fit. With the "pvalue" criterion an entry near
the threshold (best score p-value above ``CLEAR``·``p_enter``) is settled as a
Wald stepwise settles it: the candidates whose score p-value is below
``SCREEN``·``p_enter`` are refitted, warm-started, and the smallest Wald
p-value enters if below ``p_enter``. The final inference table is statsmodels'
(see :class:`riskmodels.models.logistic.LogisticScorecard`).

Criteria: "pvalue" (enter while p < ``p_enter``, remove while a Wald
p > ``p_remove``), "aic" and "bic" (enter the candidate with the largest
score statistic while the refit lowers the information criterion; remove the
column with the smallest Wald χ² while it is below the price of one
coefficient, 2 for AIC or ln N for BIC, and the refit lowers the criterion).
The score and Wald statistics approximate the likelihood-ratio change of the
criterion, so each step costs one refit. Per coefficient, AIC enters a column
whose likelihood-ratio χ² exceeds 2 (p < 0.157, 1 df) and BIC one whose χ²
exceeds ln N (p < 0.0105 at N = 700, p < 0.0007 at N = 100,000). BIC uses
ln N, N the number of records; on large samples every useful-looking
column has p ≈ 0, so p-value entry keeps every candidate while BIC still asks
each column to pay ln N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit
from scipy.stats import chi2, norm

from riskmodels.errors import ConvergenceError, ParameterError, Violation

CRITERIA = ("pvalue", "aic", "bic")
DIRECTIONS = ("forward", "backward", "stepwise")
CLEAR = 1e-3  # score p-value below CLEAR * p_enter: a clear entry, no refits to compare
SCREEN = 10.0  # near the threshold, candidates with score p below SCREEN * p_enter are refitted


@dataclass(frozen=True)
class Collapsed:
    """Distinct rows of a design with their events and record counts (frequency weights)."""

    X: np.ndarray
    events: np.ndarray
    counts: np.ndarray

    @property
    def n_records(self) -> float:
        """Records represented."""
        return float(self.counts.sum())


def group_codes(codes, *values) -> tuple[np.ndarray, list]:
    """Group rows of integer codes: the first row of each distinct code tuple and the sums of ``values``.

    The one row-collapsing step of the fits: records (or already grouped rows)
    become one row per distinct tuple of codes (bin indices), in sorted order,
    with their events and weights summed.

    Parameters
    ----------
    codes : (n, k) integers (any sign).
    *values : arrays of length n summed per distinct row.

    Returns
    -------
    (first, sums) : index of the first row of each distinct tuple, and one
    array of sums per ``values``.

    Examples
    --------
    >>> first, (e, n) = group_codes(np.array([[1, -1], [0, 2], [1, -1]]), np.array([1.0, 0, 1]), np.ones(3))
    >>> first.tolist(), e.tolist(), n.tolist()
    ([1, 0], [0.0, 2.0], [1.0, 2.0])
    """
    codes = np.asarray(codes, dtype=np.int64)
    if codes.shape[1] == 0:
        return np.zeros(1, dtype=np.int64), [np.array([float(np.sum(v))]) for v in values]
    shifted = codes - codes.min(axis=0)
    sizes = shifted.max(axis=0) + 1
    if float(np.prod(sizes.astype(float))) < 2.0 ** 62:
        key = np.zeros(len(codes), dtype=np.int64)
        for column, size in zip(shifted.T, sizes, strict=True):
            key = key * size + column
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:  # too many combinations for one integer key
        _, first, inverse = np.unique(shifted, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    return first, [np.bincount(inverse, weights=v, minlength=len(first)) for v in values]


def collapse_rows(X, y, codes=None, weights=None) -> Collapsed:
    """Collapse identical rows of ``X`` into one, with events and counts per row.

    Parameters
    ----------
    X : (n, k) design (WoE columns).
    y : 0/1 target.
    codes : optional (n, k) integers with the same row pattern as ``X``
        (e.g. the bin index behind each WoE value); when given, rows are
        grouped by them, which skips sorting every float column.
    weights : sample weight of each record (None: 1 each); events and counts
        are then summed weights.

    Examples
    --------
    >>> c = collapse_rows(np.array([[1.0], [1.0], [2.0]]), np.array([1, 0, 1]))
    >>> c.X.ravel().tolist(), c.events.tolist(), c.counts.tolist()
    ([1.0, 2.0], [1.0, 1.0], [2.0, 1.0])
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    if codes is None:  # WoE columns take few values: one small integer code per column
        codes = np.column_stack([np.unique(column, return_inverse=True)[1].ravel() for column in X.T]) \
            if X.shape[1] else np.empty((len(y), 0), dtype=np.int64)
    first, (events, counts) = group_codes(codes, y * w, w)
    return Collapsed(X[first] if X.shape[1] else np.empty((1, 0)), events, counts)


@dataclass(frozen=True)
class LogitFit:
    """A maximum-likelihood logit: coefficients (intercept first), covariance, log-likelihood.

    ``fitted`` holds the fitted probabilities of the rows the model was fitted on
    (the score tests of the next step start from them).
    """

    params: np.ndarray
    cov: np.ndarray
    llf: float
    n_records: float
    iterations: int
    fitted: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def bse(self) -> np.ndarray:
        """Standard errors."""
        return np.sqrt(np.diag(self.cov))

    @property
    def pvalues(self) -> np.ndarray:
        """Two-sided Wald p-values."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 * norm.sf(np.abs(self.params / self.bse))

    def penalty(self, name: str) -> float:
        """What one more coefficient costs: 2 (AIC) or ln N (BIC)."""
        return 2.0 if name == "aic" else math.log(self.n_records)

    def criterion(self, name: str) -> float:
        """AIC (−2·LL + 2k) or BIC (−2·LL + k·ln N), k counting the intercept."""
        return -2.0 * self.llf + len(self.params) * self.penalty(name)


def _loglik(eta: np.ndarray, events: np.ndarray, counts: np.ndarray) -> float:
    """Binomial log-likelihood at linear predictor ``eta`` (stable for large |eta|).

    ln(1 + e^η) is written max(η, 0) + ln(1 + e^−|η|), the form ``np.logaddexp``
    evaluates, without its general-case overhead.
    """
    softplus = np.log1p(np.exp(-np.abs(eta)))
    softplus += np.maximum(eta, 0.0)
    return float(events @ eta - counts @ softplus)


def fit_logit(data: Collapsed, columns, start=None, tol: float = 1e-5, max_iter: int = 100) -> LogitFit:
    """Newton–Raphson (IRLS) logit of the collapsed data on ``columns`` plus an intercept.

    Parameters
    ----------
    data : from :func:`collapse_rows`.
    columns : indices of the columns of ``data.X`` in the model.
    start : starting coefficients (intercept first); None: intercept at the
        overall log-odds, slopes 0.
    tol : convergence after a full (not halved) Newton step whose largest
        coefficient change is below this; Newton converges quadratically near
        the optimum, so the coefficients are then within about tol² of it.
    max_iter : iteration limit (ConvergenceError beyond it).

    Returns
    -------
    LogitFit

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 1))
    >>> y = (rng.random(2000) < expit(-1 + 2 * x[:, 0])).astype(int)
    >>> np.round(fit_logit(collapse_rows(x, y), [0]).params, 2).tolist()
    [-0.95, 2.04]
    """
    cols = list(columns)
    design = np.column_stack([np.ones(len(data.counts)), data.X[:, cols]])
    e, c = data.events, data.counts
    if start is None:
        rate = min(max(e.sum() / c.sum(), 1e-12), 1 - 1e-12)
        beta = np.zeros(design.shape[1])
        beta[0] = math.log(rate / (1 - rate))
    else:
        beta = np.asarray(start, dtype=float).copy()
    eta = design @ beta
    llf = _loglik(eta, e, c)
    converged = False
    weighted = np.empty_like(design)
    for iteration in range(1, max_iter + 2):
        p = expit(eta)
        w = c * p
        w *= 1.0 - p
        info = design.T @ np.multiply(design, w[:, None], out=weighted)
        if converged:  # the information at the optimum gives the covariance
            try:
                cov = np.linalg.inv(info)
            except np.linalg.LinAlgError:
                raise ConvergenceError(f"logistic fit on columns {cols}: singular information matrix") from None
            return LogitFit(beta, cov, llf, data.n_records, iteration - 1, p)
        try:
            step = np.linalg.solve(info, design.T @ (e - c * p))
        except np.linalg.LinAlgError:
            raise ConvergenceError(f"logistic fit on columns {cols} failed: singular information matrix "
                                   "(a constant or collinear column, or separation: fitted "
                                   "probabilities of 0 or 1)") from None
        full_step = True
        for _ in range(40):  # step halving: the log-likelihood must not fall
            trial = beta + step
            trial_eta = design @ trial
            new = _loglik(trial_eta, e, c)
            if np.isfinite(new) and new >= llf - 1e-10 * abs(llf):
                break
            step, full_step = step / 2, False
        beta, eta, llf = trial, trial_eta, new
        converged = full_step and bool(np.max(np.abs(step)) < tol)
        if not np.all(np.isfinite(beta)) or (iteration == max_iter and not converged):
            break
    raise ConvergenceError(f"logistic fit on columns {cols} did not converge (separation or collinearity)")


def score_tests(data: Collapsed, fit: LogitFit, columns, candidates, signed: bool = False) -> np.ndarray:
    """Rao score statistic (χ², 1 df) of adding each candidate column to the fitted model.

    With ``signed``, the signed root U/√V instead: its sign is the sign the
    candidate's coefficient takes on entry (U is the slope of the
    log-likelihood in that coefficient at 0).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> X = rng.normal(size=(3000, 2))
    >>> y = (rng.random(3000) < expit(X[:, 0])).astype(int)
    >>> d = collapse_rows(X, y)
    >>> s = score_tests(d, fit_logit(d, []), [], [0, 1])
    >>> bool(s[0] > 100 and s[1] < 10)
    True
    """
    U, V, _ = score_parts(data, fit, columns, candidates)
    with np.errstate(divide="ignore", invalid="ignore"):
        return U / np.sqrt(V) if signed else U ** 2 / V


def score_parts(data: Collapsed, fit: LogitFit, columns, candidates):
    """Score U, efficient information V and adjustment B of each candidate (see the module docstring).

    U = zᵀ(y − p); V = zᵀWz − zᵀWX (XᵀWX)⁻¹ XᵀWz; B = (XᵀWX)⁻¹ XᵀWz, one column per
    candidate. The one-step (Newton) estimate of the model with candidate j
    added is coefficient U_j / V_j for it and ``fit.params − B[:, j]·U_j / V_j``
    for the others. A candidate that is collinear with the model (V ≈ 0) gets
    U = 0 and V = 1 (statistic 0).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> X = rng.normal(size=(4000, 2))
    >>> y = (rng.random(4000) < expit(-1 + X[:, 0] + 0.5 * X[:, 1])).astype(int)
    >>> d = collapse_rows(X, y)
    >>> U, V, B = score_parts(d, fit_logit(d, [0]), [0], [1])
    >>> one_step = U[0] / V[0]
    >>> bool(abs(one_step - fit_logit(d, [0, 1]).params[2]) < 0.05)
    True
    """
    cols, cand = list(columns), list(candidates)
    design = np.column_stack([np.ones(len(data.counts)), data.X[:, cols]])
    Z = data.X[:, cand]
    # a fit of these rows carries its probabilities, and its covariance is (XᵀWX)⁻¹ at them
    known = fit.fitted is not None and len(fit.fitted) == len(data.counts) and fit.cov.shape[0] == design.shape[1]
    p = fit.fitted if known else expit(design @ fit.params)
    w = data.counts * p * (1 - p)
    U = Z.T @ (data.events - data.counts * p)
    WZ = Z * w[:, None]
    cross = design.T @ WZ  # (k, m)
    own = np.einsum("ij,ij->j", Z, WZ)
    B = fit.cov @ cross if known else np.linalg.solve(design.T @ (design * w[:, None]), cross)
    V = own - np.einsum("ij,ij->j", cross, B)
    ok = V > 1e-12 * np.maximum(own, 1e-300)
    return np.where(ok, U, 0.0), np.where(ok, V, 1.0), B


def _check(direction, criterion, p_enter, p_remove):
    bad = []
    if direction not in DIRECTIONS:
        bad.append(Violation("selection", f"is {direction!r}", "forward, backward or stepwise"))
    if criterion not in CRITERIA:
        bad.append(Violation("criterion", f"is {criterion!r}", f"one of {CRITERIA}"))
    if p_remove < p_enter:
        bad.append(Violation("p_remove", f"{p_remove} is below p_enter {p_enter}",
                             "p_remove >= p_enter (else the steps can cycle)"))
    if bad:
        raise ParameterError(bad, context="stepwise selection")


def _with(fit: LogitFit, chosen: list, keep: list) -> np.ndarray:
    """Start values for the model on ``keep`` from ``fit`` on ``chosen`` (new columns at 0)."""
    old = dict(zip(chosen, fit.params[1:], strict=True))
    return np.array([fit.params[0], *(old.get(c, 0.0) for c in keep)])


def _one_step(fit: LogitFit, U: float, V: float, b: np.ndarray) -> np.ndarray:
    """Start values for the model with one candidate added: its one-step estimate (saves a Newton step)."""
    delta = U / V
    return np.append(fit.params - b * delta, delta)


def _pvalue_entry(data, fit, chosen, pool, stats, p_enter):
    """(column, new fit, its p-value) of the next entry by p-value, or None (see the module docstring)."""
    p_score = chi2.sf(stats, 1)
    best = int(np.argmax(stats))
    if p_score[best] < CLEAR * p_enter:
        keep = chosen + [pool[best]]
        try:
            return pool[best], fit_logit(data, keep, _with(fit, chosen, keep)), float(p_score[best])
        except ConvergenceError:  # separation with it: the Wald screen below decides among the others
            p_score[best] = 1.0
    found = None
    for i in np.flatnonzero(p_score < SCREEN * p_enter):
        keep = chosen + [pool[i]]
        try:
            new = fit_logit(data, keep, _with(fit, chosen, keep))
        except ConvergenceError:
            continue
        p_wald = float(new.pvalues[-1])
        if found is None or p_wald < found[2]:
            found = (pool[i], new, p_wald)
    return found if found is not None and found[2] < p_enter else None


def _backward_step(data, chosen, fit, criterion, p_remove):
    """(column removed, its value for the log, new fit) or None."""
    if not chosen:
        return None
    if criterion == "pvalue":
        p = fit.pvalues[1:]
        worst = int(np.argmax(p))
        if not p[worst] > p_remove:
            return None
        keep = chosen[:worst] + chosen[worst + 1:]
        return chosen[worst], float(p[worst]), fit_logit(data, keep, _with(fit, chosen, keep))
    z2 = (fit.params[1:] / fit.bse[1:]) ** 2  # Wald χ²: the drop in −2·LL a removal would cost
    weakest = int(np.argmin(z2))
    if not z2[weakest] < fit.penalty(criterion):
        return None
    keep = chosen[:weakest] + chosen[weakest + 1:]
    trial = fit_logit(data, keep, _with(fit, chosen, keep))
    if not trial.criterion(criterion) < fit.criterion(criterion):
        return None
    return chosen[weakest], trial.criterion(criterion), trial


def stepwise_select(W, y, candidates: list, direction: str = "stepwise", criterion: str = "pvalue",
                    p_enter: float = 0.05, p_remove: float = 0.10,
                    max_features: int | None = None) -> tuple[list, list]:
    """Stepwise selection of WoE columns for a logistic model (score-test entry, warm-started IRLS).

    Stopping rule. Forward: add the candidate with the largest score statistic
    while its p-value is below ``p_enter`` ("pvalue"; near the threshold the
    smallest Wald p-value of the refitted candidates decides), or while adding
    it lowers the AIC/BIC ("aic", "bic"), and fewer than ``max_features`` are
    in. Backward: start from all candidates and drop the one with the largest
    Wald p-value while it exceeds ``p_remove`` ("pvalue"), or ("aic", "bic")
    the one with the smallest Wald χ² while that is below the criterion's
    price of a coefficient (2, or ln N) and the refit without it lowers the
    criterion. Stepwise: forward steps, each followed by
    backward steps; a variable just removed is not re-entered, so it ends.

    Parameters
    ----------
    W : WoE DataFrame. y : 0/1 target. candidates : columns to choose from, by priority.
    direction : "forward", "backward" or "stepwise".
    criterion : "pvalue", "aic" or "bic".
    p_enter, p_remove : thresholds for the p-value criterion (p_remove >= p_enter).
    max_features : largest model size (None: no limit).

    Returns
    -------
    (selected, log) : chosen columns in order of entry; log rows (action,
    column, value): the p-value of an entry or removal ("pvalue"), or the
    model's criterion after the step ("aic", "bic").

    Examples
    --------
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> W = pd.DataFrame(rng.normal(size=(800, 3)), columns=["a", "b", "noise"])
    >>> y = (rng.random(800) < 1 / (1 + np.exp(W["a"] + 0.7 * W["b"]))).astype(int)
    >>> stepwise_select(W, y, ["a", "b", "noise"])[0]
    ['a', 'b']
    """
    names = list(candidates)
    return select_collapsed(collapse_rows(W[names].to_numpy(dtype=float), y), names, direction, criterion,
                            p_enter, p_remove, max_features)


def select_collapsed(data: Collapsed, names: list, direction: str = "stepwise", criterion: str = "pvalue",
                     p_enter: float = 0.05, p_remove: float = 0.10, max_features: int | None = None,
                     sign: int = 0) -> tuple[list, list]:
    """:func:`stepwise_select` on already collapsed rows (columns of ``data.X`` named ``names``).

    The entry for callers that hold the distinct rows and their counts, not
    the records (e.g. :mod:`riskmodels.spark`, which groups them in Spark).
    ``sign`` as in :func:`select_and_fit`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(800, 2))
    >>> y = (rng.random(800) < 1 / (1 + np.exp(X[:, 0]))).astype(int)
    >>> select_collapsed(collapse_rows(X, y), ["a", "noise"])[0][0]
    'a'
    """
    return select_and_fit(data, names, direction, criterion, p_enter, p_remove, max_features, sign)[:2]


def select_and_fit(data: Collapsed, names: list, direction: str = "stepwise", criterion: str = "pvalue",
                   p_enter: float = 0.05, p_remove: float = 0.10, max_features: int | None = None,
                   sign: int = 0) -> tuple[list, list, LogitFit]:
    """:func:`select_collapsed` that also returns the fit of the selected model.

    ``sign`` (−1 or +1; 0: any) restricts forward entry to candidates whose
    coefficient enters with that sign (the sign of their score statistic): a
    WoE scorecard, whose coefficients must be negative, passes −1 so that the
    search spends its steps on admissible columns.

    The last fit of the search is the maximum-likelihood logit on the selected
    columns (in the order returned), so a caller that needs it (the sign check
    of :class:`~riskmodels.models.logistic.LogisticScorecard`) does not refit.

    Returns
    -------
    (selected, log, fit) : ``fit.params`` are the intercept and the
    coefficients of ``selected`` in that order.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(800, 2))
    >>> y = (rng.random(800) < 1 / (1 + np.exp(X[:, 0]))).astype(int)
    >>> chosen, log, fit = select_and_fit(collapse_rows(X, y), ["a", "noise"])
    >>> chosen[0], len(fit.params) == len(chosen) + 1, bool(fit.params[1] < 0)
    ('a', True, True)
    """
    _check(direction, criterion, p_enter, p_remove)
    names = list(names)
    log = []
    if direction == "backward":
        chosen = list(range(len(names)))
        fit = fit_logit(data, chosen)
        while (step := _backward_step(data, chosen, fit, criterion, p_remove)) is not None:
            removed, value, fit = step
            chosen.remove(removed)
            log.append(("remove", names[removed], value))
        while max_features is not None and len(chosen) > max_features:
            worst = int(np.argmax(fit.pvalues[1:]))
            log.append(("remove (max_features)", names[chosen[worst]], float(fit.pvalues[1:][worst])))
            keep = chosen[:worst] + chosen[worst + 1:]
            fit = fit_logit(data, keep, _with(fit, chosen, keep))
            chosen = keep
        return [names[i] for i in chosen], log, fit
    chosen, removed = [], set()
    fit = fit_logit(data, chosen)
    while max_features is None or len(chosen) < max_features:
        pool = [i for i in range(len(names)) if i not in chosen and i not in removed]
        if not pool:
            break
        U, V, B = score_parts(data, fit, chosen, pool)
        stats = U / np.sqrt(V)  # signed: the sign the coefficient enters with
        # a candidate whose coefficient would enter with the forbidden sign is not eligible
        stats = np.where(stats * sign > 0, stats, 0.0) ** 2 if sign else stats ** 2
        if criterion == "pvalue":
            step = _pvalue_entry(data, fit, chosen, pool, stats, p_enter)
            if step is None:
                break
            entering, fit, value = step
        else:
            if not stats.max() > 0:
                break
            best = int(np.argmax(stats))
            entering = pool[best]
            try:
                trial = fit_logit(data, chosen + [entering], _one_step(fit, U[best], V[best], B[:, best]))
            except ConvergenceError:  # no maximum likelihood with it (separation, collinearity): skip it
                removed.add(entering)
                log.append(("skip (no fit with it: separation or collinearity)", names[entering], np.nan))
                continue
            if not trial.criterion(criterion) < fit.criterion(criterion):
                break
            fit, value = trial, trial.criterion(criterion)
        chosen = chosen + [entering]
        log.append(("add", names[entering], value))
        while direction == "stepwise" and (back := _backward_step(data, chosen, fit, criterion,
                                                                   p_remove)) is not None:
            out, value, fit = back
            chosen.remove(out)
            removed.add(out)
            log.append(("remove", names[out], value))
    return [names[i] for i in chosen], log, fit
