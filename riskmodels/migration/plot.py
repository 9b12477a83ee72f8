"""Heat map of a migration matrix."""

from __future__ import annotations

import numpy as np


def plot_matrix(matrix, grades, ax=None, annotate: bool = True, title: str = "", cmap: str = "Blues"):
    """Heat map of a transition (or count) matrix, rows = from, columns = to.

    Parameters
    ----------
    matrix : k × k array.
    grades : labels of the rows and columns.
    ax : matplotlib Axes to draw on (a new figure when None).
    annotate : write each cell's value in percent.
    title : the Axes title.
    cmap : matplotlib colour map.

    Returns
    -------
    matplotlib Axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = plot_matrix(np.array([[0.9, 0.1], [0.0, 1.0]]), ["A", "D"])
    >>> ax.get_xlabel()
    'to'
    """
    import matplotlib.pyplot as plt

    m = np.asarray(matrix, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.6 * len(m), 0.8 + 0.5 * len(m)))
    # a square-root colour scale keeps small off-diagonal rates visible next to the diagonal
    image = ax.imshow(np.sqrt(np.clip(m, 0, None)), cmap=cmap, vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(grades)), labels=[str(g) for g in grades])
    ax.set_yticks(range(len(grades)), labels=[str(g) for g in grades])
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    if title:
        ax.set_title(title)
    if annotate:
        for (r, c), v in np.ndenumerate(m):
            if v > 0:
                ax.text(c, r, f"{100 * v:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if np.sqrt(v) > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, label="sqrt(rate)")
    return ax
