"""The report's figures: one size for all, each drawn once, and the plots that overlay the models.

Every figure is saved at one size with fixed margins, so saving draws it once
(``bbox_inches="tight"`` draws it twice: once to measure, once to save; a layout
engine measures every text first). A figure that comes with its own layout
engine (the cross-tab grid, with its colour bar) keeps it.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> rng = np.random.default_rng(0)
>>> y = (rng.uniform(size=400) < 0.2).astype(int)
>>> curves = {"a": (y, rng.uniform(size=400) + y / 2), "b": (y, rng.uniform(size=400))}
>>> png = png_bytes(overlaid_roc(curves))
>>> png[:4], png_size(png)
(b'\\x89PNG', (540, 360))
"""

from __future__ import annotations

import io
import struct

import numpy as np

FIGSIZE = (6.0, 4.0)  # inches: 540 x 360 px at DPI, two side by side on a 1400 px page
WIDE = (12.0, 4.0)  # a figure of several panels
DPI = 90


def png_bytes(fig, size: tuple[float, float] = FIGSIZE) -> bytes:
    """A matplotlib figure as PNG bytes at the report's size; the figure is closed.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    size : (width, height) in inches; every figure of the report has ``FIGSIZE`` or ``WIDE``.

    Returns
    -------
    bytes
        PNG without a software stamp: the same figure gives the same bytes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(3, 3))
    >>> png_size(png_bytes(fig)), png_size(png_bytes(plt.subplots()[0], WIDE))
    ((540, 360), (1080, 360))
    """
    import matplotlib.pyplot as plt

    fig.set_size_inches(*size)
    if fig.get_layout_engine() is None and len(fig.axes) <= 2:  # one plot, perhaps with a twin axis
        twin = len(fig.axes) == 2
        fig.subplots_adjust(left=0.85 / size[0], right=1 - (0.75 if twin else 0.2) / size[0],
                            bottom=0.95 / size[1], top=1 - 0.35 / size[1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of PNG bytes (from the IHDR chunk).

    Examples
    --------
    >>> png_size(b"\\x89PNG\\r\\n\\x1a\\n" + b"\\x00\\x00\\x00\\rIHDR" + struct.pack(">II", 3, 2))
    (3, 2)
    """
    return struct.unpack(">II", png[16:24])


def figures_png(figures: dict) -> dict:
    """Name -> PNG bytes of a dict of matplotlib figures (each saved once, then closed).

    Parameters
    ----------
    figures : dict of str to matplotlib.figure.Figure

    Returns
    -------
    dict of str to bytes

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> sorted(figures_png({"a": plt.subplots()[0], "b": plt.subplots()[0]}))
    ['a', 'b']
    """
    return {name: png_bytes(fig) for name, fig in figures.items()}


def overlaid_roc(curves: dict):
    """ROC curves of several models on one sample, with their AUCs.

    Parameters
    ----------
    curves : dict of model name -> (y, pd) on the same test sample.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from riskmodels.validation import auc, roc_curve

    fig, ax = plt.subplots()
    for name, (y, score) in curves.items():
        roc = roc_curve(y, score)
        ax.plot(roc["fpr"], roc["tpr"], label=f"{name} (AUC {auc(y, score):.3f})")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, all models (test sample)")
    ax.legend(loc="lower right")
    return fig


def overlaid_cap(curves: dict):
    """CAP (cumulative accuracy profile) curves of several models, with their accuracy ratios.

    Parameters
    ----------
    curves : dict of model name -> (y, pd) on the same test sample.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from riskmodels.validation import cap_curve, gini

    fig, ax = plt.subplots()
    rate = None
    for name, (y, score) in curves.items():
        cap = cap_curve(y, score)
        ax.plot(cap["population"], cap["defaults"], label=f"{name} (AR {gini(y, score):.3f})")
        rate = float(np.mean(y))
    if rate is not None:
        ax.plot([0, rate, 1], [0, 1, 1], ls=":", c="black", lw=1, label="perfect")
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="random")
    ax.set(xlabel="share of obligors (riskiest first)", ylabel="share of defaults",
           title="CAP, all models (test sample)")
    ax.legend(loc="lower right")
    return fig


def woe_figure(table, points=None):
    """A characteristic's bins: WoE bars and the event rate per bin (a binning table's picture).

    Parameters
    ----------
    table : riskmodels.binning.table.BinningTable
    points : array-like, optional
        Scorecard points per bin, written above the bars.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from riskmodels.binning.table import BinningTable
    >>> t = BinningTable("x", ["(-inf, 1)", "[1, inf)"], np.array([30.0, 60.0]), np.array([10.0, 5.0]))
    >>> woe_figure(t, points=[40, 60]).axes[0].get_title()
    'x: WoE and event rate per bin (IV 0.462)'
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    pos = np.arange(len(table.labels))
    woe = np.asarray(table.woe, dtype=float)
    bars = ax.bar(pos, np.nan_to_num(woe), color=["#4a7ab5" if w >= 0 else "#c0504d" for w in woe])
    if points is not None:
        ax.bar_label(bars, labels=[f"{p:g} pts" for p in np.round(np.asarray(points, float), 1)], fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(pos, [str(label) for label in table.labels], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("WoE  ln(%good / %bad)")
    rate_ax = ax.twinx()
    rate_ax.plot(pos, table.event_rate, "o-", color="#222222", label="event rate")
    rate_ax.set_ylabel("event rate")
    rate_ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    # at the top (y=1): nothing is drawn above the axes, and matplotlib's search for a place above
    # both axes' tick labels would measure them again at each draw (8 % of the figure's CPU)
    ax.set_title(f"{table.name}: WoE and event rate per bin (IV {table.iv:.3f})", y=1.0)
    return fig
