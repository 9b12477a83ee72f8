"""The empirical DD→PD map (KMV maps DD to EDF on its default database), made monotone by PAV."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.kmv.checks import (
    check_rule,
    float_array,
)
from riskmodels.results import Summary
from riskmodels.validation.isotonic import weighted_pav


# --------------------------------------------------------------------------- empirical DD -> PD
@dataclass
class EmpiricalPDMap:
    """Monotone map from DD to observed default frequency, linear between knots, flat beyond.

    Attributes
    ----------
    dd : knot DDs (increasing): the mean DD of each pooled block of bins.
    pd : default frequency at each knot (non-increasing in DD, floored at ``min_pd``).
    n, defaults : observations and defaults pooled into each knot.

    Examples
    --------
    >>> m = EmpiricalPDMap(dd=np.array([0.0, 2.0]), pd=np.array([0.2, 0.01]), n=np.array([50, 50]),
    ...                    defaults=np.array([10, 1]))
    >>> m([-1.0, 1.0, 3.0]).round(3).tolist()
    [0.2, 0.105, 0.01]
    """

    dd: np.ndarray
    pd: np.ndarray
    n: np.ndarray
    defaults: np.ndarray

    def __call__(self, dd) -> np.ndarray:
        """PD of each DD (NaN stays NaN)."""
        return np.interp(np.asarray(dd, dtype=float), self.dd, self.pd)

    def to_step(self) -> dict:
        """The map as a scorer-bundle calibration step ``{"method": "interp", ...}``.

        Returns
        -------
        dict

        Examples
        --------
        >>> EmpiricalPDMap(np.array([0.0, 2.0]), np.array([0.2, 0.01]), np.array([50, 50]), np.array([10, 1])).to_step()
        {'method': 'interp', 'x': [0.0, 2.0], 'y': [0.2, 0.01]}
        """
        return {"method": "interp", "x": self.dd.tolist(), "y": self.pd.tolist()}

    def to_frame(self) -> pd.DataFrame:
        """The knots as a table.

        Returns
        -------
        pandas.DataFrame
            Columns dd, n, defaults, pd; one row per knot.

        Examples
        --------
        >>> m = EmpiricalPDMap(np.array([0.0, 2.0]), np.array([0.2, 0.01]), np.array([50, 50]), np.array([10, 1]))
        >>> m.to_frame().to_dict("list")
        {'dd': [0.0, 2.0], 'n': [50, 50], 'defaults': [10, 1], 'pd': [0.2, 0.01]}
        """
        return pd.DataFrame({"dd": self.dd, "n": self.n, "defaults": self.defaults, "pd": self.pd})

    def summary(self) -> Summary:
        """The knot table (a :class:`~riskmodels.results.Summary`).

        Returns
        -------
        riskmodels.results.Summary

        Examples
        --------
        >>> m = EmpiricalPDMap(np.array([0.0, 2.0]), np.array([0.2, 0.01]), np.array([50, 50]), np.array([10, 1]))
        >>> print(m.summary().tables[0].as_text())
        Knots
         dd  n defaults   pd
          0 50       10  0.2
          2 50        1 0.01
        """
        return Summary("Empirical DD -> PD map").add_table(self.to_frame(), "Knots", index=False)

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None):
        """Plot the knots and the interpolated map (log PD axis).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (a new figure when None).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> m = EmpiricalPDMap(np.array([0.0, 2.0]), np.array([0.2, 0.01]), np.array([50, 50]), np.array([10, 1]))
        >>> ax = m.plot()
        >>> ax.get_xlabel(), ax.get_yscale()
        ('distance to default', 'log')
        """
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
    x = float_array("dd", dd).ravel()
    y = np.asarray(default).ravel()
    violations: list = []
    check_rule("dd", ~np.isfinite(x), "missing or infinite values", "finite numbers", violations)
    if len(y) != len(x):
        violations.append(Violation("default", f"has {len(y)} values", f"{len(x)} values, one per DD"))
    else:
        check_rule("default", ~np.isin(y, [0, 1]), "values other than 0/1", "a 0/1 outcome", violations)
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
    fitted = weighted_pav(d / n, n, increasing=False)
    starts = np.flatnonzero(np.r_[True, fitted[1:] != fitted[:-1]])
    blocks = np.split(np.arange(len(fitted)), starts[1:])
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
