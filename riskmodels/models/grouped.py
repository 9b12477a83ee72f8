"""Records grouped by their tuple of bin indices: the sufficient statistics of a WoE scorecard fit.

After binning, a record enters the scorecard's likelihood only through its
tuple of bin indices, its target and its weight. :class:`GroupedRows` holds
one row per distinct tuple with the summed event and non-event weights; the
binomial likelihood of these rows is the (weighted) Bernoulli likelihood of
the records, so the WoE design, the weighted moments behind the correlation
and VIF filters, the stepwise search and every logit are computed from them
alone (:meth:`riskmodels.models.logistic.LogisticScorecard.fit_grouped`).
The local fit groups the records in numpy (:meth:`GroupedRows.from_records`);
:mod:`riskmodels.spark` groups them with one ``groupBy``.

A column whose binning may still change (the sign rescue tries other
trends) can be grouped by its pre-bin codes instead (``prebins``:
``j >= 0`` the j-th pre-bin, -1 missing, -2-s the s-th special code, see
:meth:`~riskmodels.binning.OptimalBinning.prebin_index`); every binning over
the same pre-bins maps them to its bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from riskmodels.models.stepwise import Collapsed, group_codes


@dataclass(frozen=True)
class GroupedRows:
    """Distinct tuples of bin indices (one column per name) with their event and non-event weights.

    Examples
    --------
    >>> rows = GroupedRows.from_records(["a", "b"], np.array([[0, 1], [0, 1], [1, 0]]), np.array([1, 0, 1]))
    >>> rows.codes.tolist(), rows.events.tolist(), rows.nonevents.tolist()
    ([[0, 1], [1, 0]], [1.0, 1.0], [1.0, 0.0])
    >>> rows.select(["a"]).codes.ravel().tolist(), rows.n_records
    ([0, 1], 3.0)
    """

    names: list
    codes: np.ndarray
    events: np.ndarray
    nonevents: np.ndarray
    prebins: str | None = None

    @classmethod
    def from_records(cls, names, codes, target, weight=None, prebins: str | None = None) -> GroupedRows:
        """Group records: ``codes`` (n, k) bin indices, 0/1 ``target``, optional sample ``weight``."""
        y = np.asarray(target, dtype=float)
        w = np.ones(len(y)) if weight is None else np.asarray(weight, dtype=float)
        return cls.grouped(names, codes, y * w, (1.0 - y) * w, prebins)

    @classmethod
    def grouped(cls, names, codes, events, nonevents, prebins: str | None = None) -> GroupedRows:
        """Rows of ``codes`` with their event and non-event weights, identical tuples merged."""
        codes = np.asarray(codes, dtype=np.int64).reshape(len(events), len(names))
        first, (ev, ne) = group_codes(codes, np.asarray(events, dtype=float), np.asarray(nonevents, dtype=float))
        return cls(list(names), codes[first] if len(names) else np.empty((1, 0), dtype=np.int64), ev, ne, prebins)

    @property
    def n_records(self) -> float:
        """Records represented (their total weight)."""
        return float(self.events.sum() + self.nonevents.sum())

    def select(self, names) -> GroupedRows:
        """The same records grouped by the columns ``names`` only."""
        names = list(names)
        if names == self.names:
            return self
        index = [self.names.index(n) for n in names]
        return GroupedRows.grouped(names, self.codes[:, index], self.events, self.nonevents,
                                   self.prebins if self.prebins in names else None)

    def bin_codes(self, binnings: dict, name: str) -> np.ndarray:
        """Bin index of column ``name`` in each row under ``binnings[name]`` (pre-bin codes mapped)."""
        codes = self.codes[:, self.names.index(name)]
        return binnings[name].bins_of_prebins(codes) if name == self.prebins else codes

    def as_bins(self, binnings: dict) -> GroupedRows:
        """The same records with the pre-bin column (if any) replaced by its bins under ``binnings``."""
        if self.prebins is None:
            return self
        codes = np.column_stack([self.bin_codes(binnings, n) for n in self.names])
        return GroupedRows.grouped(self.names, codes, self.events, self.nonevents)

    def design(self, binnings: dict, names) -> Collapsed:
        """The WoE rows of ``names`` (from ``binnings[name].table_``) with events and total weights."""
        rows = self.select(names)
        X = np.column_stack([np.asarray(binnings[n].table_.woe, dtype=float)[rows.bin_codes(binnings, n)]
                             for n in rows.names]) if rows.names else np.empty((len(rows.events), 0))
        return Collapsed(X, rows.events, rows.events + rows.nonevents)


def weighted_moments(data: Collapsed) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (ddof 1 over the records) of the columns of weighted rows.

    Examples
    --------
    >>> c = Collapsed(np.array([[0.0], [2.0]]), np.zeros(2), np.array([1.0, 1.0]))
    >>> [m.tolist() for m in weighted_moments(c)]
    [[1.0], [[2.0]]]
    """
    n = data.counts
    total = n.sum()
    mean = n @ data.X / total
    centred = data.X - mean
    return mean, (centred * n[:, None]).T @ centred / (total - 1.0)


def weighted_correlation(data: Collapsed) -> np.ndarray:
    """Pearson correlation matrix of the columns of weighted rows (NaN for a constant column).

    Equal to ``np.corrcoef`` of the records the rows stand for.

    Examples
    --------
    >>> c = Collapsed(np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0]]), np.zeros(3), np.array([2.0, 1.0, 1.0]))
    >>> X = np.repeat(c.X, [2, 1, 1], axis=0)
    >>> bool(np.allclose(weighted_correlation(c), np.corrcoef(X, rowvar=False)))
    True
    """
    _, cov = weighted_moments(data)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.diag(cov))
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, np.where(sd > 0, 1.0, np.nan))
    return np.clip(corr, -1.0, 1.0)
