"""The augmented samples of reject inference, as plain numpy functions.

Each method turns the accepts (outcome known) and the rejects (outcome unknown)
into one weighted sample on which the scorecard is refitted. A sample is an
:class:`Augmented`: for each of its rows, where it comes from (``source`` 0 =
an accept, 1 = a reject), which record (``row``, the position in the accepts or
in the rejects), its target and its weight. The definitions follow SAS
Enterprise Miner's Reject Inference node and rejectkit 0.3.0 (MIT), which the
tests check row for row:

- hard cut-off: each reject once, labelled bad when its PD under the accepts'
  model is at or above a cut-off (or: the given share of the riskiest rejects
  labelled bad), weight ``reject_weight``;
- fuzzy: each reject twice, as a bad of weight ``reject_weight * p`` and a
  good of weight ``reject_weight * (1 - p)``;
- parcelling: as fuzzy, with ``p`` the accepts' observed bad rate in the
  reject's score band times an uplift factor (capped at 1);
- reweighting: the accepts only, each weighted by the inverse of its
  probability of acceptance (clipped, mean weight 1); no reject is labelled.

Examples
--------
>>> rows = fuzzy_rows(np.array([0, 1, 0]), np.array([0.2, 0.5]))
>>> rows.source.tolist(), rows.row.tolist(), rows.target.tolist()
([0, 0, 0, 1, 1, 1, 1], [0, 1, 2, 0, 1, 0, 1], [0, 1, 0, 1, 1, 0, 0])
>>> rows.weight.tolist()
[1.0, 1.0, 1.0, 0.2, 0.5, 0.8, 0.5]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from riskmodels.errors import DataValidationError, ParameterError, Violation


class Augmented(NamedTuple):
    """Rows of an augmented sample: origin (0 accept, 1 reject), record position, target, weight."""

    source: np.ndarray
    row: np.ndarray
    target: np.ndarray
    weight: np.ndarray


def _accepts(y_accepted, accept_weight=None) -> Augmented:
    y = np.asarray(y_accepted, dtype=np.int8)
    w = np.ones(len(y)) if accept_weight is None else np.asarray(accept_weight, dtype=float)
    return Augmented(np.zeros(len(y), dtype=np.int8), np.arange(len(y)), y, w)


def _join(*parts: Augmented) -> Augmented:
    return Augmented(*(np.concatenate([getattr(p, f) for p in parts]) for f in Augmented._fields))


def _probabilities(p, name) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    bad = ~np.isfinite(p) | (p < 0) | (p > 1)
    if bad.any():
        raise DataValidationError([Violation(name, "values outside [0, 1]", "probabilities",
                                             tuple(np.flatnonzero(bad)[:5].tolist()), int(bad.sum()))])
    return p


def hard_cutoff_rows(y_accepted, reject_pd, cutoff: float | None = 0.5, reject_bad_rate: float | None = None,
                     reject_weight: float = 1.0, accept_weight=None) -> Augmented:
    """Accepts, then each reject once with a hard label: bad if its PD >= ``cutoff``.

    With ``reject_bad_rate`` instead of a cut-off, that share of the rejects
    (the highest PDs, ties in record order) is labelled bad.

    Examples
    --------
    >>> hard_cutoff_rows([0, 1], [0.7, 0.2, 0.5]).target.tolist()
    [0, 1, 1, 0, 1]
    >>> hard_cutoff_rows([0, 1], [0.7, 0.2, 0.5], cutoff=None, reject_bad_rate=1 / 3).target.tolist()
    [0, 1, 1, 0, 0]
    """
    p = _probabilities(reject_pd, "reject_pd")
    if (cutoff is None) == (reject_bad_rate is None):
        raise ParameterError("hard cut-off: give either cutoff or reject_bad_rate")
    if cutoff is not None:
        labels = (p >= cutoff).astype(np.int8)
    else:
        labels = np.zeros(len(p), dtype=np.int8)
        labels[np.argsort(-p, kind="stable")[: int(round(reject_bad_rate * len(p)))]] = 1
    rejects = Augmented(np.ones(len(p), dtype=np.int8), np.arange(len(p)), labels, np.full(len(p), float(reject_weight)))
    return _join(_accepts(y_accepted, accept_weight), rejects)


def fuzzy_rows(y_accepted, reject_pd, reject_weight: float = 1.0, accept_weight=None) -> Augmented:
    """Accepts, then every reject as a bad (weight ``reject_weight * p``), then every reject as a good.

    Examples
    --------
    >>> fuzzy_rows([1, 0], [0.25], reject_weight=2.0).weight.tolist()
    [1.0, 1.0, 0.5, 1.5]
    """
    p = _probabilities(reject_pd, "reject_pd")
    n = len(p)
    bads = Augmented(np.ones(n, dtype=np.int8), np.arange(n), np.ones(n, dtype=np.int8), reject_weight * p)
    goods = Augmented(np.ones(n, dtype=np.int8), np.arange(n), np.zeros(n, dtype=np.int8), reject_weight * (1 - p))
    return _join(_accepts(y_accepted, accept_weight), bads, goods)


def band_edges(accept_pd, n_bands: int) -> np.ndarray:
    """Inner edges of ``n_bands`` quantile bands of the accepts' PDs (repeated edges merged).

    Examples
    --------
    >>> band_edges(np.arange(10) / 10, 2).tolist()
    [0.45]
    """
    edges = np.unique(np.quantile(np.asarray(accept_pd, dtype=float), np.linspace(0, 1, n_bands + 1)))
    return edges[1:-1]


def band_of(pd_, edges) -> np.ndarray:
    """The band (0 = lowest PDs) of each PD under the inner ``edges`` (a PD on an edge goes up).

    Examples
    --------
    >>> band_of([0.1, 0.45, 0.9], [0.45]).tolist()
    [0, 1, 1]
    """
    return np.digitize(np.asarray(pd_, dtype=float), np.asarray(edges, dtype=float))


def parcel_bad_rates(y_accepted, accept_pd, reject_pd, n_bands: int = 10, uplift: float = 1.0) -> np.ndarray:
    """Each reject's inferred bad rate: its band's accept bad rate times ``uplift``, capped at 1.

    Bands are quantiles of the accepts' PDs; a band without accepts takes the
    accepts' overall bad rate.

    Examples
    --------
    >>> parcel_bad_rates([0, 0, 1, 1], [0.1, 0.2, 0.6, 0.7], [0.15, 0.9], n_bands=2, uplift=1.5).tolist()
    [0.0, 1.0]
    """
    y = np.asarray(y_accepted, dtype=float)
    edges = band_edges(accept_pd, n_bands)
    accept_band, reject_band = band_of(accept_pd, edges), band_of(_probabilities(reject_pd, "reject_pd"), edges)
    counts = np.bincount(accept_band, minlength=len(edges) + 1)
    bads = np.bincount(accept_band, weights=y, minlength=len(edges) + 1)
    rate = np.where(counts > 0, bads / np.maximum(counts, 1), y.mean())
    return np.minimum(rate[reject_band] * uplift, 1.0)


def parcelling_rows(y_accepted, accept_pd, reject_pd, n_bands: int = 10, uplift: float = 1.0,
                    reject_weight: float = 1.0, accept_weight=None) -> Augmented:
    """Fuzzy rows with each reject's bad rate from its score band (:func:`parcel_bad_rates`).

    Examples
    --------
    >>> parcelling_rows([0, 0, 1, 1], [0.1, 0.2, 0.6, 0.7], [0.9], n_bands=2).weight.tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]
    """
    rate = parcel_bad_rates(y_accepted, accept_pd, reject_pd, n_bands, uplift)
    return fuzzy_rows(y_accepted, rate, reject_weight, accept_weight)


def acceptance_weights(accept_probability, clip: float = 0.01) -> np.ndarray:
    """Inverse-probability-of-acceptance weights ``1 / max(P(accept), clip)``, scaled to mean 1.

    Examples
    --------
    >>> acceptance_weights([0.5, 1.0, 0.001]).round(4).tolist()
    [0.0583, 0.0291, 2.9126]
    """
    p = np.clip(_probabilities(accept_probability, "accept_probability"), clip, 1.0)
    w = 1.0 / p
    return w * (len(w) / w.sum())


def reweighting_rows(y_accepted, accept_probability, clip: float = 0.01, accept_weight=None) -> Augmented:
    """The accepts only, each weighted by :func:`acceptance_weights` (times its own weight).

    Examples
    --------
    >>> reweighting_rows([0, 1], [0.5, 0.25]).weight.round(4).tolist()
    [0.6667, 1.3333]
    """
    w = acceptance_weights(accept_probability, clip)
    if accept_weight is not None:
        w = w * np.asarray(accept_weight, dtype=float)
    return _accepts(y_accepted, w)
