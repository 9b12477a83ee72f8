"""Discrimination: AUC by ranks, DeLong variance and tests, Gini, KS, ROC and CAP curves.

Convention: ``score`` is higher for riskier obligors (a PD, a raw log-odds); for
points where higher is safer pass ``-points``. ``y`` is 1 for a default.

AUC is computed from midranks (ties count one half), O(n log n). DeLong's
variance uses the fast midrank algorithm of Sun & Xu (2014, IEEE Signal
Processing Letters 21(11), "Fast implementation of DeLong's algorithm for
comparing the areas under correlated receiver operating characteristic curves"):
the structural components come from midranks instead of an n₁×n₀ comparison, here
all three of them from one sort of the combined scores.

Examples
--------
>>> y = [0, 0, 0, 0, 1, 0, 0, 1, 0, 1]
>>> p = [0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50]
>>> round(auc(y, p), 7), round(gini(y, p), 7), round(ks(y, p), 7)
(0.8095238, 0.6190476, 0.5714286)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from riskmodels.data.schema import require_binary_target
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.results import Summary


def _check(y, score, name="score"):
    t = require_binary_target(y, "y")
    s = np.asarray(score)
    if s.ndim != 1 or s.dtype.kind not in "fiu":
        raise DataValidationError([Violation(name, f"has shape {s.shape} and dtype {s.dtype}",
                                             "a 1-d array of numbers")])
    s = s.astype(float)
    if len(s) != len(t):
        raise DataValidationError([Violation(name, f"has {len(s)} values", f"{len(t)} (one per y)")])
    bad = ~np.isfinite(s)
    if bad.any():
        raise DataValidationError([Violation(name, "missing or infinite values", "finite numbers",
                                             tuple(np.flatnonzero(bad)[:5].tolist()), int(bad.sum()))])
    return t.astype(bool), s


def midrank(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties sharing their average rank (O(n log n)).

    Examples
    --------
    >>> midrank(np.array([3.0, 1.0, 3.0, 2.0])).tolist()
    [3.5, 1.0, 3.5, 2.0]
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    order = np.argsort(x)  # tied values share one rank: their order does not matter
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], n]
    group_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(n, dtype=float)
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def auc(y, score) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count ½).

    Parameters
    ----------
    y : array of 0/1
    score : array, higher = riskier

    Returns
    -------
    float

    Examples
    --------
    >>> auc([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])
    0.875
    """
    t, s = _check(y, score)
    ranks = midrank(s)
    m, n = int(t.sum()), int((~t).sum())
    return float((ranks[t].sum() - m * (m + 1) / 2.0) / (m * n))


def gini(y, score) -> float:
    """Gini coefficient = accuracy ratio of the CAP = 2·AUC − 1.

    Examples
    --------
    >>> gini([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])
    0.75
    """
    return 2.0 * auc(y, score) - 1.0


def roc_curve(y, score) -> pd.DataFrame:
    """ROC points at every distinct score, from (0, 0) to (1, 1).

    Returns
    -------
    DataFrame
        Columns ``threshold`` (score ≥ threshold is flagged), ``fpr``, ``tpr``.

    Examples
    --------
    >>> roc_curve([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])[["fpr", "tpr"]].to_numpy().tolist()
    [[0.0, 0.0], [0.0, 0.5], [0.5, 1.0], [1.0, 1.0]]
    """
    t, s = _check(y, score)
    order = np.argsort(-s, kind="stable")
    ss, tt = s[order], t[order]
    last = np.r_[ss[1:] != ss[:-1], True]
    tp = np.cumsum(tt)[last]
    fp = np.cumsum(~tt)[last]
    return pd.DataFrame({"threshold": np.r_[np.inf, ss[last]],
                         "fpr": np.r_[0.0, fp / fp[-1]], "tpr": np.r_[0.0, tp / tp[-1]]})


def cap_curve(y, score) -> pd.DataFrame:
    """Cumulative accuracy profile: share of obligors (riskiest first) vs share of defaults caught.

    Returns
    -------
    DataFrame
        Columns ``threshold``, ``population`` and ``defaults`` (cumulative shares).

    Examples
    --------
    >>> cap_curve([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])[["population", "defaults"]].to_numpy().tolist()
    [[0.0, 0.0], [0.25, 0.5], [0.75, 1.0], [1.0, 1.0]]
    """
    roc = roc_curve(y, score)
    t, _ = _check(y, score)
    rate = t.mean()
    return pd.DataFrame({"threshold": roc["threshold"],
                         "population": rate * roc["tpr"] + (1 - rate) * roc["fpr"],
                         "defaults": roc["tpr"]})


def accuracy_ratio(y, score) -> float:
    """Accuracy ratio from the CAP: (area under CAP − ½) / (area of the perfect model − ½).

    Equal to the Gini coefficient (Engelmann, Hayden & Tasche 2003).

    Examples
    --------
    >>> round(accuracy_ratio([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8]), 12)
    0.75
    """
    cap = cap_curve(y, score)
    t, _ = _check(y, score)
    area = np.trapezoid(cap["defaults"], cap["population"])
    rate = t.mean()
    return float((area - 0.5) / ((1 - rate / 2) - 0.5))


def ks(y, score) -> float:
    """Kolmogorov–Smirnov statistic: largest gap between the score CDFs of defaults and non-defaults.

    Examples
    --------
    >>> ks([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])
    0.5
    """
    roc = roc_curve(y, score)
    return float(np.max(np.abs(roc["tpr"] - roc["fpr"])))


def delong_components(y, scores) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUCs and DeLong structural components of one or more scores (Sun & Xu 2014).

    Parameters
    ----------
    y : array of 0/1
    scores : array (n,) or (k, n)
        One score per row.

    Returns
    -------
    (aucs, v10, v01)
        aucs (k,), v10 (k, n_defaults), v01 (k, n_non_defaults).

    Examples
    --------
    >>> a, v10, v01 = delong_components([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])
    >>> a.tolist(), v10.tolist(), v01.tolist()
    ([0.875], [[0.75, 1.0]], [[1.0, 0.75]])
    """
    checked = [_check(y, row) for row in np.atleast_2d(np.asarray(scores))]
    t = checked[0][0]
    m = int(t.sum())
    parts = [_delong_one(s, t, m, len(t) - m) for _, s in checked]
    aucs = np.array([a for a, _, _ in parts])
    if len(parts) == 1:  # one score: its rows as they are, no copy into a stacked array
        return aucs, parts[0][1][None, :], parts[0][2][None, :]
    return aucs, np.stack([v for _, v, _ in parts]), np.stack([v for _, _, v in parts])


def _delong_one(s: np.ndarray, t: np.ndarray, m: int, n: int) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC, V10 (defaults, in their order) and V01 (non-defaults) of one score from one sort.

    Sun & Xu's three midrank vectors differ only inside tie groups of the combined sort:
    a default's V10 is (non-defaults below it + half those tied with it) / n, a
    non-default's V01 is 1 - (defaults below it + half those tied with it) / m. The counts
    are whole or half numbers, exact in float64, so the results are those of three sorts.
    """
    size = len(s)
    order = np.argsort(s)  # no stable sort needed: a tie group is counted as a whole
    sorted_s, sorted_t = s[order], t[order]
    new = np.empty(size, dtype=bool)
    new[0] = True
    np.not_equal(sorted_s[1:], sorted_s[:-1], out=new[1:])
    defaults_to = np.cumsum(sorted_t, dtype=np.int64)  # defaults at or before each position
    if new.all():  # no ties: a default's count is the non-defaults before it
        count = np.where(sorted_t, np.arange(1, size + 1) - defaults_to, defaults_to).astype(float)
    else:  # counts below the tie group plus half the group's other class
        starts = np.flatnonzero(new)
        width = np.diff(np.append(starts, size))
        pos = np.diff(np.append(defaults_to[starts] - sorted_t[starts], defaults_to[-1]))
        neg = width - pos
        count = np.where(sorted_t, np.repeat(np.cumsum(neg) - neg / 2.0, width),
                         np.repeat(np.cumsum(pos) - pos / 2.0, width))
    back = np.empty(size)
    back[order] = count
    v10 = back[t]
    a = float(v10.sum()) / (m * n)  # Mann-Whitney U / mn; exact sums of halves
    v10 /= n
    v01 = 1.0 - back[~t] / m
    return a, v10, v01


def delong_covariance(y, scores) -> tuple[np.ndarray, np.ndarray]:
    """AUCs and their DeLong covariance matrix S10/m + S01/n.

    Examples
    --------
    >>> a, cov = delong_covariance([0, 1, 0, 1], [0.1, 0.4, 0.4, 0.8])
    >>> a.tolist(), cov.round(6).tolist()
    ([0.875], [[0.03125]])
    """
    aucs, v10, v01 = delong_components(y, scores)
    m, n = v10.shape[1], v01.shape[1]
    if m < 2 or n < 2:
        raise DataValidationError([Violation("y", f"has {m} default(s) and {n} non-default(s)",
                                             "at least 2 of each for a DeLong variance")])
    s10 = np.atleast_2d(np.cov(v10))
    s01 = np.atleast_2d(np.cov(v01))
    return aucs, s10 / m + s01 / n


@dataclass(frozen=True)
class AUCResult:
    """AUC with its DeLong standard error and confidence interval.

    Examples
    --------
    >>> r = auc_ci([0, 0, 1, 0, 1, 1, 0, 1], [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.9])
    >>> r.gini, r.n_defaults, r.summary().title
    (0.5, 4, 'AUC 0.7500 (DeLong SE 0.2041, 95% CI [0.3499, 1.0000]), Gini 0.5000, 4 defaults / 4 non-defaults')
    """

    auc: float
    se: float
    lower: float
    upper: float
    level: float
    n_defaults: int
    n_non_defaults: int

    @property
    def gini(self) -> float:
        """2·AUC − 1.

        Examples
        --------
        >>> round(auc_ci([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]).gini, 4)
        0.5
        """
        return 2 * self.auc - 1

    def summary(self) -> Summary:
        """AUC, SE and interval: the title is the one-line form (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> auc_ci([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9]).summary().tables[0].frame.loc["AUC", "value"]
        0.75
        """
        title = (f"AUC {self.auc:.4f} (DeLong SE {self.se:.4f}, {self.level:.0%} CI "
                 f"[{self.lower:.4f}, {self.upper:.4f}]), Gini {self.gini:.4f}, "
                 f"{self.n_defaults} defaults / {self.n_non_defaults} non-defaults")
        return Summary(title).add_rows([("AUC", self.auc), ("DeLong SE", self.se), ("lower", self.lower),
                                        ("upper", self.upper), ("level", self.level), ("Gini", self.gini),
                                        ("defaults", self.n_defaults), ("non-defaults", self.n_non_defaults)])


def auc_ci(y, score, level: float = 0.95, method: str = "delong") -> AUCResult:
    """AUC with a DeLong confidence interval (normal approximation, clipped to [0, 1]).

    Parameters
    ----------
    y : array of 0/1
    score : array, higher = riskier
    level : float
        Confidence level.
    method : "delong"
        The only method (named for clarity in reports).

    Returns
    -------
    AUCResult

    Examples
    --------
    >>> r = auc_ci([0, 0, 1, 0, 1, 1, 0, 1], [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.9])
    >>> round(r.auc, 4), round(r.se, 4)
    (0.75, 0.2041)
    """
    if method != "delong":
        raise ParameterError(f"method must be 'delong', got {method!r}")
    aucs, cov = delong_covariance(y, score)
    a, se = float(aucs[0]), float(np.sqrt(cov[0, 0]))
    z = stats.norm.ppf(0.5 + level / 2)
    t = require_binary_target(y, "y")
    return AUCResult(a, se, max(0.0, a - z * se), min(1.0, a + z * se), level,
                     int(t.sum()), int(len(t) - t.sum()))


@dataclass(frozen=True)
class AUCComparison:
    """DeLong test of two correlated AUCs on the same sample.

    Examples
    --------
    >>> y = [0, 0, 1, 0, 1, 1, 0, 1]
    >>> r = delong_test(y, [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.9], [0.9, 0.2, 0.3, 0.1, 0.5, 0.6, 0.4, 0.8])
    >>> round(r.auc1, 4), round(r.auc2, 4), round(r.p_value, 3)
    (0.75, 0.6875, 0.852)
    """

    auc1: float
    auc2: float
    difference: float
    se: float
    z: float
    p_value: float

    def summary(self) -> Summary:
        """Both AUCs, z and the two-sided p-value; the title is the one-line form.

        Examples
        --------
        >>> delong_test([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9], [0.1, 0.2, 0.4, 0.9]).summary().tables[0].frame.loc["AUC 2", "value"]
        1.0
        """
        title = (f"AUC {self.auc1:.4f} vs {self.auc2:.4f}: difference {self.difference:+.4f} "
                 f"(SE {self.se:.4f}), z {self.z:.3f}, p {self.p_value:.4g}")
        return Summary(title).add_rows([("AUC 1", self.auc1), ("AUC 2", self.auc2),
                                        ("difference", self.difference), ("SE", self.se), ("z", self.z),
                                        ("p-value", self.p_value)])


def delong_test(y, score1, score2) -> AUCComparison:
    """DeLong, DeLong & Clarke-Pearson (1988) test of AUC(score1) = AUC(score2), two-sided.

    Examples
    --------
    >>> y = [0, 0, 1, 0, 1, 1, 0, 1]
    >>> r = delong_test(y, [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.9], [1, 2, 3, 4, 5, 6, 7, 8])
    >>> round(r.difference, 4)
    0.0
    """
    aucs, cov = delong_covariance(y, np.vstack([np.asarray(score1, float), np.asarray(score2, float)]))
    diff = float(aucs[0] - aucs[1])
    var = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    if se == 0:
        z = 0.0 if diff == 0 else float(np.sign(diff) * np.inf)
    else:
        z = diff / se
    return AUCComparison(float(aucs[0]), float(aucs[1]), diff, se, z, float(2 * stats.norm.sf(abs(z))))


@dataclass(frozen=True)
class AUCChangeResult:
    """The ECB test of a drop in AUC: the AUCs, the current standard error, the statistic
    and its one-sided p-value (small when the AUC fell)."""

    auc_initial: float
    auc_current: float
    se: float
    statistic: float
    p_value: float


def auc_change_test(auc_initial: float, y, score) -> AUCChangeResult:
    """ECB test of a drop in AUC since initial validation: S = (AUC_init − AUC_curr) / s_curr.

    ``s_curr`` is the DeLong standard error of the current AUC; p = 1 − Φ(S) is
    small when the AUC fell significantly (ECB, Instructions for reporting the
    validation results of internal models, 2019, §2.5.4.1).

    Returns
    -------
    AUCChangeResult
        ``auc_initial``, ``auc_current``, ``se``, ``statistic``, ``p_value``.

    Examples
    --------
    >>> r = auc_change_test(0.95, [0, 0, 1, 0, 1, 1, 0, 1], [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.7, 0.9])
    >>> round(r.statistic, 4), round(r.p_value, 4)
    (0.9798, 0.1636)
    """
    current = auc_ci(y, score)
    drop = auc_initial - current.auc
    if current.se > 0:
        stat = drop / current.se
    else:  # a perfect (or perfectly inverted) ranking: no sampling error
        stat = 0.0 if drop == 0 else np.inf * np.sign(drop)
    return AUCChangeResult(float(auc_initial), current.auc, current.se, float(stat),
                           float(stats.norm.sf(stat)))
