"""Pictures for reviewers: the distribution of DD by outcome."""

from __future__ import annotations

import numpy as np

from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.kmv.checks import (
    float_array,
)


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

    x = float_array("dd", dd).ravel()
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
