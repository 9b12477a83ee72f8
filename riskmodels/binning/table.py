"""The binning table: counts, event rate, WoE and IV per bin, with totals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.binning.woe import iv_strength, woe_iv_per_bin
from riskmodels.results import Summary

COLUMNS = ["bin", "count", "share", "non_events", "events", "event_rate", "woe", "iv"]


def as_counts(values) -> np.ndarray:
    """Counts (or summed weights) as int64 when every value is a whole number, else float64.

    Unweighted fits (and weights that are whole numbers) keep integer counts,
    so their tables are the same whether the weights were given or not.

    Examples
    --------
    >>> as_counts([2.0, 3.0]).dtype.kind, as_counts([0.5, 3.0]).dtype.kind
    ('i', 'f')
    """
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        return values.astype(np.int64)
    values = values.astype(float)
    whole = np.isfinite(values).all() and np.array_equal(values, np.round(values)) and \
        (np.abs(values) < 2.0 ** 53).all()
    return values.astype(np.int64) if whole else values


@dataclass(frozen=True)
class BinningTable:
    """Per-bin statistics of one binned feature.

    Parameters
    ----------
    name : the feature's name.
    labels : a label per bin, e.g. "[1.00, 2.00)", "Missing", "Special -1".
    non_events, events : counts (or summed sample weights) per bin (goods and bads).
    orientation : WoE orientation, "good/bad" (ln %good/%bad) or "bad/good".

    Examples
    --------
    >>> t = BinningTable("x", ["(-inf, 1)", "[1, inf)", "Missing"], [100, 300, 0], [30, 20, 0])
    >>> round(t.iv, 6), t.woe.round(4).tolist()
    (0.526427, [-0.8755, 0.6286, 0.0])
    """

    name: str
    labels: list
    non_events: np.ndarray
    events: np.ndarray
    orientation: str = "good/bad"

    def __post_init__(self):
        object.__setattr__(self, "non_events", as_counts(self.non_events))
        object.__setattr__(self, "events", as_counts(self.events))

    @property
    def count(self) -> np.ndarray:
        """Records per bin."""
        return self.non_events + self.events

    @property
    def event_rate(self) -> np.ndarray:
        """Events / records per bin (NaN for an empty bin)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.events / self.count

    @property
    def woe(self) -> np.ndarray:
        """Weight of evidence per bin (0 for a bin without goods or bads)."""
        return woe_iv_per_bin(self.non_events, self.events, orientation=self.orientation)[0]

    @property
    def iv_per_bin(self) -> np.ndarray:
        """IV contribution per bin."""
        return woe_iv_per_bin(self.non_events, self.events)[1]

    @property
    def iv(self) -> float:
        """Total information value."""
        return float(self.iv_per_bin.sum())

    def to_frame(self, totals: bool = True) -> pd.DataFrame:
        """The table as a DataFrame (with a "Totals" row by default)."""
        n = self.count.sum()
        frame = pd.DataFrame({
            "bin": [str(label) for label in self.labels], "count": self.count,
            "share": self.count / n, "non_events": self.non_events, "events": self.events,
            "event_rate": self.event_rate, "woe": self.woe, "iv": self.iv_per_bin,
        }, columns=COLUMNS)
        if totals:
            frame.loc[len(frame)] = ["Totals", n, 1.0, self.non_events.sum(), self.events.sum(),
                                     self.events.sum() / n, np.nan, self.iv]
        return frame

    def summary(self) -> Summary:
        """The table with the total IV and its strength (text, HTML or LaTeX).

        Examples
        --------
        >>> t = BinningTable("x", ["(-inf, 1)", "[1, inf)"], np.array([30.0, 60.0]), np.array([10.0, 5.0]))
        >>> s = t.summary()
        >>> s.title, "IV = 0.4621 (strong)" in s
        ('Binning table: x', True)
        """
        return (Summary(f"Binning table: {self.name}").add_table(self.to_frame(), index=False, digits=4)
                .add_note(f"IV = {self.iv:.4f} ({iv_strength(self.iv)})"))

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None):
        """Bar chart of bin shares with the event rate on a second axis; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(max(4.0, 0.8 * len(self.labels)), 3.5))
        pos = np.arange(len(self.labels))
        share = self.count / max(self.count.sum(), 1)
        ax.bar(pos, share, color="#8fb3d9", label="share of records")
        ax.set_xticks(pos, [str(label) for label in self.labels], rotation=45, ha="right")
        ax.set_ylabel("share of records")
        rate_ax = ax.twinx()
        rate_ax.plot(pos, self.event_rate, "o-", color="#b22222", label="event rate")
        rate_ax.set_ylabel("event rate")
        ax.set_title(f"{self.name}: IV {self.iv:.3f}")
        return ax
