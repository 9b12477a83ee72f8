"""Per-grade calibration tables and fitting a master scale to a calibrated PD sample.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> pd_ = 1 / (1 + np.exp(-rng.normal(-4.0, 1.0, 5000)))
>>> y = (rng.random(5000) < pd_).astype(int)
>>> fit = fit_master_scale(pd_, y, n_grades=6, min_count=200)
>>> fit.scale.grades[-1], bool(fit.table["n"].iloc[:-2].min() >= 200)
('D', True)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.calibration.calibrators import check_scores
from riskmodels.calibration.grade_tests import binomial_test, jeffreys_test
from riskmodels.calibration.master_scale import MasterScale
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.results import Summary

DEFAULT_LABELS = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")


def herfindahl(counts) -> tuple[float, float]:
    """ECB coefficient of variation and Herfindahl index of a grade distribution.

    CV = sqrt(K · Σ (R_i − 1/K)²) with R_i the share of grade i among K grades;
    HI = 1 + ln((CV² + 1)/K) / ln K, 0 for equal shares and 1 for all in one grade
    (ECB, Instructions for reporting the validation results of internal models, 2019, §2.5.5.3).

    Parameters
    ----------
    counts : array of int
        Obligors per grade (K >= 2).

    Returns
    -------
    (cv, hi) : tuple of float

    Examples
    --------
    >>> [round(v, 7) for v in herfindahl([100, 200, 300, 250, 150])]
    [0.3535534, 0.0731827]
    """
    c = check_scores(counts, "counts", low=0)
    k = len(c)
    if k < 2 or c.sum() <= 0:
        raise DataValidationError([Violation("counts", f"has {k} grade(s), total {c.sum()}",
                                             ">= 2 grades and a positive total")])
    shares = c / c.sum()
    cv = float(np.sqrt(k * np.sum((shares - 1.0 / k) ** 2)))
    return cv, float(1 + np.log((cv ** 2 + 1) / k) / np.log(k))


def _check_pd_y(pd_, y):
    p = check_scores(pd_, "pd", 0.0, 1.0)
    t = require_binary_target(y, "y") if len(np.unique(np.asarray(y))) > 1 else _one_class(y)
    if len(t) != len(p):
        raise DataValidationError([Violation("y", f"has {len(t)} values", f"{len(p)} (one per PD)")])
    return p, t


def _one_class(y):
    """All defaults or none is a valid sample for calibration tests (not for fitting)."""
    t = np.asarray(y).ravel()
    if t.size == 0 or not np.isin(t, [0, 1]).all():
        return require_binary_target(y, "y")  # raises with the rows named
    return t.astype(np.int8)


def grade_table(pd_, y, scale: MasterScale, reference: str = "mean", alternative: str = "two-sided",
                level: float = 0.05) -> pd.DataFrame:
    """Per-grade calibration tests of PDs against observed defaults, plus a portfolio row "all".

    Parameters
    ----------
    pd_ : array
        PDs in [0, 1].
    y : array
        Default flags 0/1 (all 0 or all 1 is allowed).
    scale : MasterScale
        Grades the PDs.
    reference : {"mean", "midpoint"}
        PD tested per grade: the mean PD of its obligors or the grade's midpoint PD.
    alternative : {"two-sided", "greater", "less"}
        Alternative of the binomial and Jeffreys tests ("greater": PD too low).
    level : float
        Significance level of the ``reject`` flags.

    Returns
    -------
    DataFrame
        Index: every grade (empty grades get n = 0 and NaN tests) then "all";
        columns n, defaults, default_rate, mean_pd, midpoint, tested_pd,
        binomial_p, jeffreys_p, reject.

    Examples
    --------
    >>> t = grade_table([0.001, 0.002, 0.05, 0.05], [0, 0, 1, 0], MasterScale.standard("agency7"))
    >>> t.loc[["BBB", "B"], ["n", "defaults"]].to_numpy().tolist()
    [[1, 0], [2, 1]]
    """
    if reference not in ("mean", "midpoint"):
        raise ParameterError(f"reference must be 'mean' or 'midpoint', got {reference!r}")
    p, t = _check_pd_y(pd_, y)
    idx = scale.grade_index(p)
    k = scale.n_grades
    n = np.bincount(idx, minlength=k)
    d = np.bincount(idx, weights=t, minlength=k).astype(int)
    sum_pd = np.bincount(idx, weights=p, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pd = np.where(n > 0, sum_pd / np.maximum(n, 1), np.nan)
        rate = np.where(n > 0, d / np.maximum(n, 1), np.nan)
    mids = np.asarray(scale.midpoints, dtype=float)
    tested = mean_pd if reference == "mean" else mids
    tested_safe = np.where(np.isnan(tested), mids, tested)
    total_tested = float(p.mean()) if reference == "mean" else float(np.sum(n * mids) / n.sum())
    rows = pd.DataFrame({
        "n": np.append(n, n.sum()), "defaults": np.append(d, d.sum()),
        "default_rate": np.append(rate, t.mean()), "mean_pd": np.append(mean_pd, p.mean()),
        "midpoint": np.append(mids, np.nan), "tested_pd": np.append(tested, total_tested),
    }, index=pd.Index(list(scale.grades) + ["all"], name="grade"))
    all_pd = np.append(tested_safe, total_tested)
    rows["binomial_p"] = binomial_test(all_pd, rows["n"].to_numpy(), rows["defaults"].to_numpy(),
                                       alternative=alternative)
    rows["jeffreys_p"] = jeffreys_test(all_pd, rows["n"].to_numpy(), rows["defaults"].to_numpy(),
                                       alternative=alternative)
    rows["reject"] = (rows["binomial_p"] < level) | (rows["jeffreys_p"] < level)
    return rows


class ScaleFit:
    """A master scale fitted to data, with its per-grade table and the trade-offs made.

    Attributes
    ----------
    scale : MasterScale
    table : DataFrame
        :func:`grade_table` of the fitting sample (tested PD = grade mean PD).
    log : list of str
        Every merge/split in order, with the reason.
    trade_offs : list of str
        Constraints the final scale does not meet (empty when all are met).
    cv, hi : float
        ECB coefficient of variation and Herfindahl index of the grade distribution.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pd_ = rng.beta(0.5, 20, 20000)
    >>> fit = fit_master_scale(pd_, (rng.uniform(size=20000) < pd_).astype(int), n_grades=5, min_count=200)
    >>> fit.table.index.name, bool(fit.hi < 0.2), fit.passed
    ('grade', True, True)
    """

    def __init__(self, scale, table, log, trade_offs, cv, hi, settings):
        self.scale, self.table, self.log, self.trade_offs = scale, table, log, trade_offs
        self.cv, self.hi, self.settings = cv, hi, settings

    @property
    def passed(self) -> bool:
        """True when the final grades meet every constraint (fewer grades than asked is allowed).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> pd_ = rng.beta(0.5, 20, 5000)
        >>> y = (rng.uniform(size=5000) < pd_).astype(int)
        >>> fit_master_scale(pd_, y, n_grades=4, min_count=200).passed
        True
        >>> strict = fit_master_scale(pd_, y, n_grades=4, min_count=200, max_hi=0.05)
        >>> strict.passed, strict.trade_offs[0].split(":")[0]
        (False, 'Herfindahl index 0.0813 above the limit 0.05')
        """
        return not [t for t in self.trade_offs if "instead of" not in t]

    def summary(self) -> Summary:
        """The table, the Herfindahl index, the steps and the trade-offs (a :class:`~riskmodels.results.Summary`).

        Returns
        -------
        riskmodels.results.Summary

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> pd_ = rng.beta(0.5, 20, 5000)
        >>> s = fit_master_scale(pd_, (rng.uniform(size=5000) < pd_).astype(int), n_grades=4, min_count=200).summary()
        >>> s.tables[0].frame["value"].round(4).tolist(), s.tables[-1].title
        ([5, 0.0813, 0.2, 0.3453], 'Trade-offs')
        """
        out = Summary(f"Fitted master scale {self.scale.name!r}")
        out.add_rows([("grades", self.scale.n_grades), ("Herfindahl index", self.hi),
                      ("HI limit", self.settings["max_hi"]), ("coefficient of variation", self.cv)])
        out.add_table(self.table, "Grades on the fitting sample")
        out.add_table(pd.DataFrame({"step": self.log or ["(none)"]}), "Steps", index=False)
        out.add_table(pd.DataFrame({"trade-off": self.trade_offs or ["none: every constraint is met"]}),
                      "Trade-offs", index=False)
        return out

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return f"ScaleFit(grades={self.scale.grades!r}, hi={self.hi:.4f}, passed={self.passed})"


def _stats(p, t, bounds):
    idx = np.searchsorted(bounds, p, side="right")
    k = len(bounds) + 1
    n = np.bincount(idx, minlength=k)
    d = np.bincount(idx, weights=t, minlength=k)
    s = np.bincount(idx, weights=p, minlength=k)
    return idx, n, d, s


def fit_master_scale(pd_, y, n_grades: int = 9, labels=None, default_grade: str = "D",
                     min_count: int = 100, max_hi: float = 0.2, level: float = 0.05,
                     floor: float | None = None, name: str = "fitted", max_steps: int = 200) -> ScaleFit:
    """Choose PD bands for a calibrated PD sample: ordered, consistent, spread, populated.

    Start from ``n_grades`` bands geometric in PD between the 0.5 % and 99.5 %
    quantiles of the PDs, then repeat, one change at a time, until nothing changes:

    1. merge a grade with fewer than ``min_count`` obligors into its smaller neighbour;
    2. merge two neighbours whose observed default rates are not increasing;
    3. merge a grade whose observed default rate rejects its mean PD (two-sided
       binomial or Jeffreys test at ``level``) into the neighbour with the closer rate;
    4. while the ECB Herfindahl index exceeds ``max_hi`` and fewer than ``n_grades``
       grades exist, split the most populated grade at its median PD if both halves
       keep ``min_count`` obligors.

    Each step is logged; what could not be met at the end is listed in
    ``trade_offs`` (e.g. concentration kept above the limit because a split would
    leave a grade too small). Obligors with PD = 1 form the default grade.

    Parameters
    ----------
    pd_ : array
        Calibrated PDs in [0, 1].
    y : array
        Default flags 0/1.
    n_grades : int
        Most non-default grades (the start).
    labels : sequence of str, optional
        Labels of the non-default grades, best first (default AAA..C); the first
        ones are used when merges leave fewer grades.
    default_grade : str
        Label of the default grade.
    min_count : int
        Fewest obligors per grade.
    max_hi : float
        Highest acceptable ECB Herfindahl index.
    level : float
        Significance level of the per-grade tests.
    floor : float, optional
        PD floor of the fitted scale.
    name : str
        Name of the fitted scale.
    max_steps : int
        Safety limit on the number of merge/split steps.

    Returns
    -------
    ScaleFit

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pd_ = rng.beta(0.5, 20, 20000)
    >>> y = (rng.uniform(size=20000) < pd_).astype(int)
    >>> fit = fit_master_scale(pd_, y, n_grades=5, min_count=200)
    >>> fit.scale.n_grades, fit.passed
    (6, True)
    """
    p, t = _check_pd_y(pd_, y)
    if len(np.unique(t)) < 2:
        require_binary_target(t, "y")
    labels = list(labels) if labels is not None else list(DEFAULT_LABELS)
    if n_grades < 1 or n_grades > len(labels):
        raise ParameterError([Violation("n_grades", f"is {n_grades}",
                                        f"between 1 and the {len(labels)} labels given")])
    live = p < 1.0
    pl, tl = p[live], t[live].astype(float)
    if pl.size == 0:
        raise DataValidationError([Violation("pd", "every PD is 1", "some PDs below 1 to grade")])
    lo, hi = np.quantile(pl, [0.005, 0.995])
    lo = max(lo, floor or 0.0, 1e-6)
    hi = max(hi, lo * 1.0001)
    bounds = list(lo * (hi / lo) ** (np.arange(1, n_grades) / n_grades))
    log: list[str] = []
    seen = {tuple(bounds)}
    for _ in range(max_steps):
        change = _next_change(pl, tl, bounds, n_grades, min_count, max_hi, level, seen)
        if change is None:
            break
        bounds, message = change
        seen.add(tuple(bounds))
        log.append(message)
    bounds_arr = np.asarray(bounds, dtype=float)
    _, n, d, s = _stats(pl, tl, bounds_arr)
    k = len(bounds) + 1
    upper = list(bounds) + [1.0]
    lower = [floor or 0.0] + list(bounds)
    mids = [float(min(max(s[i] / n[i] if n[i] else np.sqrt(max(lower[i], 1e-9) * upper[i]), lower[i]),
                      np.nextafter(upper[i], 0))) for i in range(k)]
    scale = MasterScale(labels[:k] + [default_grade], upper, mids + [1.0], floor=floor, name=name)
    table = grade_table(p, t, scale, reference="mean", level=level)
    counts = table["n"].to_numpy()[:k]
    cv, hi_value = herfindahl(counts) if k >= 2 else (0.0, 1.0)
    trade_offs = _trade_offs(table.iloc[:k], hi_value, max_hi, min_count, level, k, n_grades)
    settings = {"n_grades": n_grades, "min_count": min_count, "max_hi": max_hi, "level": level}
    return ScaleFit(scale, table, log, trade_offs, cv, hi_value, settings)


def _tests(n, d, s, level):
    mean_pd = s / np.maximum(n, 1)
    pb = binomial_test(mean_pd, n, d, alternative="two-sided")
    pj = jeffreys_test(mean_pd, n, d, alternative="two-sided")
    return np.atleast_1d((pb < level) | (pj < level))


def _next_change(p, t, bounds, n_grades, min_count, max_hi, level, seen):
    """The first repair the current bands need, as (new bounds, log message), or None.

    A split that leads back to bands already tried (``seen``) is not repeated,
    so merge/split cycles cannot occur.
    """
    b = np.asarray(bounds, dtype=float)
    idx, n, d, s = _stats(p, t, b)
    k = len(n)
    if k == 1:
        return None
    rate = d / np.maximum(n, 1)
    small = np.flatnonzero(n < min_count)
    if small.size:
        i = int(small[0])
        j = i + 1 if i == 0 or (i < k - 1 and n[i + 1] < n[i - 1]) else i - 1
        return _merge(bounds, i, j), f"merged grades {min(i, j) + 1}-{max(i, j) + 1}: grade {i + 1} " \
                                    f"has {n[i]} obligors < {min_count}"
    inverted = np.flatnonzero(np.diff(rate) <= 0)
    if inverted.size:
        i = int(inverted[0])
        return _merge(bounds, i, i + 1), (f"merged grades {i + 1}-{i + 2}: default rates "
                                          f"{rate[i]:.4%} >= {rate[i + 1]:.4%} are not increasing")
    failing = np.flatnonzero(_tests(n, d, s, level))
    if failing.size:
        i = int(failing[0])
        mean_pd = s / n
        if i == 0:
            j = 1
        elif i == k - 1:
            j = k - 2
        else:
            j = i - 1 if abs(rate[i - 1] - rate[i]) < abs(rate[i + 1] - rate[i]) else i + 1
        return _merge(bounds, i, j), (f"merged grades {min(i, j) + 1}-{max(i, j) + 1}: grade {i + 1} "
                                      f"default rate {rate[i]:.4%} rejects its mean PD {mean_pd[i]:.4%}")
    _, hi = herfindahl(n)
    if hi > max_hi and k < n_grades:
        for i in np.argsort(-n, kind="stable"):
            members = p[idx == i]
            cut = float(np.median(members))
            new = sorted(bounds + [cut])
            if (members < cut).sum() >= min_count and (members >= cut).sum() >= min_count \
                    and tuple(new) not in seen:
                return new, f"split grade {i + 1} at PD {cut:.4%}: Herfindahl index {hi:.4f} > {max_hi}"
    return None


def _merge(bounds, i, j):
    """Remove the bound between neighbouring grades i and j."""
    return [b for m, b in enumerate(bounds) if m != min(i, j)]


def _trade_offs(table, hi, max_hi, min_count, level, k, n_grades):
    out = []
    if k < n_grades:
        out.append(f"{k} grades instead of {n_grades}: merges were needed (see the log)")
    if hi > max_hi:
        out.append(f"Herfindahl index {hi:.4f} above the limit {max_hi}: no further split keeps "
                   f"{min_count} obligors on both sides, passes the tests and stays within "
                   f"{n_grades} grades")
    small = table.index[table["n"] < min_count].tolist()
    if small:
        out.append(f"grades {small} have fewer than {min_count} obligors")
    rejected = table.index[table["reject"]].tolist()
    if rejected:
        out.append(f"grades {rejected} reject their mean PD at level {level}")
    return out
