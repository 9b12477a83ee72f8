"""Cohort and duration (continuous-time) estimators of rating-migration matrices.

- Cohort: for each cohort start ``c``, the grade in force at ``c`` and at
  ``c + horizon``; P_ij = N_ij / N_i. Entities whose observation ends before
  ``c + horizon`` without defaulting are left out of that cohort (the
  "withdrawn-adjusted" convention: withdrawals are treated as uninformative).
- Duration (Lando & Skødeberg 2002): the time-homogeneous generator
  λ_ij = N_ij / R_i, with N_ij the i→j jumps and R_i the time spent in grade i
  inside the window; P(t) = exp(Λt).
- Aalen–Johansen: the nonparametric product limit P(s, t) = Π (I + ΔA(τ)) over
  the jump times τ in (s, t], with ΔA_ij(τ) = dN_ij(τ) / Y_i(τ−).

Examples
--------
>>> import pandas as pd
>>> panel = pd.DataFrame({"entity": ["a", "a", "b", "b", "c", "c"], "date": [0, 1, 0, 1, 0, 1],
...                       "grade": ["A", "A", "A", "B", "B", "D"]})
>>> cohort_matrix(panel, ["A", "B", "D"]).matrix.round(2).tolist()
[[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.linalg

from riskmodels.errors import DataValidationError, MigrationError, Violation
from riskmodels.migration.panel import RatingPaths, rating_paths
from riskmodels.results import Summary


# --------------------------------------------------------------------------- numpy maths
def row_normalise(counts: np.ndarray, absorbing: int | None = None) -> np.ndarray:
    """Transition probabilities N_ij / N_i; a row without observations becomes the identity row.

    Parameters
    ----------
    counts : k × k non-negative counts.
    absorbing : index of a state whose row is set to the unit row whatever its counts.

    Returns
    -------
    k × k row-stochastic matrix.

    Examples
    --------
    >>> row_normalise(np.array([[3.0, 1.0], [0.0, 0.0]])).tolist()
    [[0.75, 0.25], [0.0, 1.0]]
    """
    counts = np.asarray(counts, dtype=float)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), np.eye(len(counts)))
    if absorbing is not None:
        p[absorbing] = np.eye(len(counts))[absorbing]
    return p


def state_at(paths: RatingPaths, when: float) -> tuple[np.ndarray, np.ndarray]:
    """Grade in force at time ``when`` for each entity (``-1`` = not observed then).

    Returns ``(state, observed)`` arrays indexed by entity code. An entity is
    observed at ``when`` if ``first <= when <= last`` or it defaulted by ``when``.

    Examples
    --------
    >>> from riskmodels.migration.panel import rating_paths
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> paths = rating_paths(panel, ["A", "B", "D"])
    >>> state, observed = state_at(paths, 1.0)
    >>> state.tolist(), observed.tolist()
    ([1, 0, 2], [True, True, True])
    """
    n_entities = int(paths.entity.max()) + 1
    starts = np.searchsorted(paths.entity, np.arange(n_entities), side="left")
    ends = np.searchsorted(paths.entity, np.arange(n_entities), side="right")
    # rows of an entity are sorted by time, so (entity, time > when) is sorted too
    key = paths.entity * 2 + (paths.time > when)
    last_le = np.searchsorted(key, np.arange(n_entities) * 2 + 1, side="left") - 1
    has_le = last_le >= starts
    state = np.where(has_le, paths.state[np.clip(last_le, 0, None)], -1)
    last_time = paths.time[ends - 1]
    observed = has_le & ((when <= last_time) | (state == paths.default_state))
    return np.where(observed, state, -1), observed


def cohort_counts(paths: RatingPaths, starts, horizon: float = 1.0) -> np.ndarray:
    """Summed cohort transition counts over the given cohort start times.

    Parameters
    ----------
    paths : a validated panel (:func:`rating_paths`).
    starts : cohort start times (years on the panel's axis).
    horizon : years between the start and the end grade.

    Returns
    -------
    k × k array of counts N_ij (grade at start → grade at start + horizon).

    Examples
    --------
    >>> from riskmodels.migration.panel import rating_paths
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> paths = rating_paths(panel, ["A", "B", "D"])
    >>> cohort_counts(paths, [0.0]).tolist()
    [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    k = paths.n_states
    counts = np.zeros((k, k))
    for c in np.atleast_1d(np.asarray(starts, dtype=float)):
        s0, ok0 = state_at(paths, c)
        s1, ok1 = state_at(paths, c + horizon)
        both = ok0 & ok1
        np.add.at(counts, (s0[both], s1[both]), 1.0)
    return counts


def segments(paths: RatingPaths, window: tuple[float, float]) -> dict:
    """Sojourns of the step paths clipped to ``window``: start, end, state, next state.

    ``next`` is the state entered at ``end`` (-1 when the sojourn is censored:
    the entity's last row or the window's end). The absorbing state has no sojourns.

    Examples
    --------
    >>> from riskmodels.migration.panel import rating_paths
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> paths = rating_paths(panel, ["A", "B", "D"])
    >>> seg = segments(paths, (0.0, 1.0))
    >>> seg["state"].tolist(), seg["next"].tolist()
    ([0, 0, 1], [1, 0, 2])
    """
    lo, hi = window
    same_next = np.r_[paths.entity[1:] == paths.entity[:-1], False]
    nxt_time = np.r_[paths.time[1:], np.nan]
    nxt_state = np.r_[paths.state[1:], -1]
    start = paths.time
    end = np.where(same_next, nxt_time, paths.time)
    nxt = np.where(same_next, nxt_state, -1)
    live = (paths.state != paths.default_state) & (end > lo) & (start < hi)
    start, end, state, nxt = start[live], end[live], paths.state[live], nxt[live]
    nxt = np.where(end > hi, -1, nxt)
    return {"start": np.maximum(start, lo), "end": np.minimum(end, hi), "state": state, "next": nxt}


def duration_generator(paths: RatingPaths, window: tuple[float, float] | None = None):
    """Lando–Skødeberg (2002) maximum-likelihood generator λ_ij = N_ij / R_i.

    Parameters
    ----------
    paths : a validated panel.
    window : (start, end) in years; the whole panel when None.

    Returns
    -------
    (generator, jumps, exposure): k × k generator (rows sum to 0; a grade never
    occupied gets a zero row), k × k jump counts N_ij, exposure R_i in years.

    Examples
    --------
    >>> from riskmodels.migration.panel import rating_paths
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> paths = rating_paths(panel, ["A", "B", "D"])
    >>> q, jumps, exposure = duration_generator(paths)
    >>> q.round(3).tolist(), exposure.tolist()
    ([[-0.5, 0.5, 0.0], [0.0, -1.0, 1.0], [0.0, 0.0, -0.0]], [2.0, 1.0, 0.0])
    """
    if window is None:
        window = (float(paths.time.min()), float(paths.time.max()))
    k = paths.n_states
    seg = segments(paths, window)
    exposure = np.bincount(seg["state"], weights=seg["end"] - seg["start"], minlength=k)
    jumps = np.zeros((k, k))
    moved = (seg["next"] >= 0) & (seg["next"] != seg["state"])
    np.add.at(jumps, (seg["state"][moved], seg["next"][moved]), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(exposure[:, None] > 0, jumps / np.where(exposure > 0, exposure, 1.0)[:, None], 0.0)
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(q, -q.sum(axis=1))
    return q, jumps, exposure


def aalen_johansen(paths: RatingPaths, window: tuple[float, float] | None = None) -> np.ndarray:
    """Aalen–Johansen product-limit transition matrix over ``window``.

    Returns
    -------
    k × k row-stochastic matrix P(start, end) = Π_τ (I + ΔA(τ)).

    Examples
    --------
    >>> from riskmodels.migration.panel import rating_paths
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> paths = rating_paths(panel, ["A", "B", "D"])
    >>> aalen_johansen(paths).round(3).tolist()
    [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    """
    if window is None:
        window = (float(paths.time.min()), float(paths.time.max()))
    k = paths.n_states
    seg = segments(paths, window)
    moved = (seg["next"] >= 0) & (seg["next"] != seg["state"])
    p = np.eye(k)
    if not moved.any():
        return p
    starts = [np.sort(seg["start"][seg["state"] == i]) for i in range(k)]
    ends = [np.sort(seg["end"][seg["state"] == i]) for i in range(k)]
    times, inverse = np.unique(seg["end"][moved], return_inverse=True)
    src, dst = seg["state"][moved], seg["next"][moved]
    for n, tau in enumerate(times):
        at_risk = np.array([np.searchsorted(starts[i], tau, side="left")
                            - np.searchsorted(ends[i], tau, side="left") for i in range(k)], dtype=float)
        here = inverse == n
        delta = np.zeros((k, k))
        np.add.at(delta, (src[here], dst[here]), 1.0)
        delta = delta / np.where(at_risk > 0, at_risk, 1.0)[:, None]
        np.fill_diagonal(delta, -delta.sum(axis=1))
        p = p @ (np.eye(k) + delta)
    return p


# --------------------------------------------------------------------------- results
@dataclass
class MigrationResult:
    """An estimated migration matrix with its counts.

    Attributes
    ----------
    method : "cohort", "duration" or "aalen-johansen".
    grades : grade labels (rows and columns).
    matrix : k × k row-stochastic matrix over ``horizon`` years.
    counts : cohort counts N_ij (cohort) or jump counts (duration, Aalen–Johansen).
    horizon : years the matrix covers.
    generator : k × k generator (duration only).
    exposure : years spent per grade (duration, Aalen–Johansen).
    info : panel facts (entities, single-observation entities, dropped rows, cohorts).

    Examples
    --------
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> result = cohort_matrix(panel, ["A", "B", "D"])
    >>> result.method, result.frame().round(2).loc["A"].tolist()
    ('cohort', [0.5, 0.5, 0.0])
    """

    method: str
    grades: tuple
    matrix: np.ndarray
    counts: np.ndarray
    horizon: float = 1.0
    generator: np.ndarray | None = None
    exposure: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame (rows: from, columns: to).

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
        >>> cohort_matrix(panel, ["A", "B", "D"]).frame().loc["A"].tolist()
        [0.5, 0.5, 0.0]
        """
        return pd.DataFrame(self.matrix, index=pd.Index(self.grades, name="from"),
                            columns=pd.Index(self.grades, name="to"))

    def generator_frame(self) -> pd.DataFrame:
        """The generator as a DataFrame (duration estimator only).

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
        >>> duration_matrix(panel, ["A", "B", "D"]).generator_frame().round(3).loc["A"].tolist()
        [-0.5, 0.5, 0.0]
        """
        if self.generator is None:
            raise MigrationError(f"the {self.method} estimator has no generator; "
                                 "use generator_from_matrix(result.matrix)")
        return pd.DataFrame(self.generator, index=pd.Index(self.grades, name="from"),
                            columns=pd.Index(self.grades, name="to"))

    def cumulative_pd(self, years) -> pd.DataFrame:
        """Cumulative PD per grade over ``years`` (multiples of the horizon): from P^t or exp(Λt).

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
        >>> cohort_matrix(panel, ["A", "B", "D"]).cumulative_pd([1, 2]).round(3).values.tolist()
        [[0.0, 0.5], [1.0, 1.0], [1.0, 1.0]]
        """
        from riskmodels.migration.generator import cumulative_pd, cumulative_pd_from_generator

        d = self.info["default_state"]
        if self.generator is not None:
            values = cumulative_pd_from_generator(self.generator, years, d)
        else:
            steps = np.asarray(years, dtype=float) / self.horizon
            if not np.allclose(steps, np.round(steps)):
                raise MigrationError(f"years {list(years)} are not multiples of the horizon {self.horizon}")
            values = cumulative_pd(self.matrix, np.round(steps).astype(int), d)
        return pd.DataFrame(values, index=pd.Index(self.grades, name="grade"),
                            columns=pd.Index(list(years), name="years"))

    def stability(self) -> pd.DataFrame:
        """ECB-style stability statistics per grade (cohort counts only).

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
        >>> cohort_matrix(panel, ["A", "B", "D"]).stability().index.tolist()
        ['A', 'B', 'D']
        """
        from riskmodels.migration.stability import stability_table

        if self.method != "cohort":
            raise MigrationError("stability statistics need cohort counts (obligors per start grade); "
                                 f"this is a {self.method} estimate")
        return stability_table(self.counts, self.grades)

    def summary(self) -> Summary:
        """Method, panel facts and the matrix in percent (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
        >>> cohort_matrix(panel, ["A", "B", "D"]).summary().tables[0].frame.loc["transitions", "value"]
        3
        """
        facts = [(k, v) for k, v in self.info.items() if k != "default_state"]
        return (Summary(f"Migration matrix ({self.method}, {self.horizon:g} year(s))")
                .add_rows(facts, title="Panel")
                .add_table((self.frame() * 100).round(2), "Transition probabilities, %"))

    def __repr__(self) -> str:
        return f"MigrationResult(method={self.method!r}, grades={list(self.grades)}, horizon={self.horizon:g})"

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None, annotate: bool = True):
        """Heat map of the matrix; returns the matplotlib Axes.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (a new figure when None).
        annotate : bool
            Write each probability in its cell.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
        >>> cohort_matrix(panel, ["A", "B", "D"]).plot().get_title()
        'cohort migration matrix (1 y)'
        """
        from riskmodels.migration.plot import plot_matrix

        return plot_matrix(self.matrix, self.grades, ax=ax, annotate=annotate,
                           title=f"{self.method} migration matrix ({self.horizon:g} y)")


def _paths(panel, grades, columns: dict, default_grade, sort) -> RatingPaths:
    if isinstance(panel, RatingPaths):
        return panel
    return rating_paths(panel, grades, default_grade=default_grade, sort=sort, **columns)


def _info(paths: RatingPaths, **extra) -> dict:
    return {"entities": int(paths.entity.max()) + 1, "single_observation": paths.n_single,
            "rows_after_default": paths.n_after_default, "default_state": paths.default_state, **extra}


def cohort_matrix(panel, grades, *, horizon: float = 1.0, starts=None, entity: str = "entity",
                  date: str = "date", grade: str = "grade", default_grade=None,
                  sort: bool = False) -> MigrationResult:
    """Cohort estimator over cohorts ``horizon`` years apart.

    Parameters
    ----------
    panel : DataFrame of (entity, date, grade) rows (see :mod:`riskmodels.migration.panel`).
    grades : grade labels best → worst (last = absorbing default unless ``default_grade``).
    horizon : years from cohort start to cohort end (1 = annual cohorts).
    starts : cohort start dates or years; by default the first date, then every
        ``horizon`` years while the cohort end is inside the panel.
    entity, date, grade, default_grade, sort : see :func:`rating_paths`.

    Returns
    -------
    MigrationResult with ``counts`` summed over the cohorts.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"entity": list("aabb"), "date": [0, 1, 0, 1], "grade": list("ABBB")})
    >>> cohort_matrix(panel, ["A", "B", "D"]).counts.tolist()
    [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
    """
    if not horizon > 0:
        raise DataValidationError([Violation("horizon", f"is {horizon}", "a positive number of years")])
    paths = _paths(panel, grades, {"entity": entity, "date": date, "grade": grade}, default_grade, sort)
    if starts is None:
        first, last = float(paths.time.min()), float(paths.time.max())
        n = int(np.floor((last - first) / horizon + 1e-9))
        starts_y = first + horizon * np.arange(n)
    else:
        starts_y = np.array([paths.to_years(s) for s in np.atleast_1d(starts)], dtype=float)
    if len(starts_y) == 0:
        raise MigrationError(f"the panel spans less than one horizon ({horizon} years): no cohort fits")
    counts = cohort_counts(paths, starts_y, horizon)
    matrix = row_normalise(counts, absorbing=paths.default_state)
    return MigrationResult("cohort", paths.grades, matrix, counts, horizon,
                           info=_info(paths, cohorts=len(starts_y), transitions=int(counts.sum())))


def duration_matrix(panel, grades, *, horizon: float = 1.0, window=None, method: str = "generator",
                    entity: str = "entity", date: str = "date", grade: str = "grade",
                    default_grade=None, sort: bool = False) -> MigrationResult:
    """Duration (continuous-time) estimator: the generator Λ and P = exp(Λ·horizon).

    Parameters
    ----------
    panel, grades : as for :func:`cohort_matrix`.
    horizon : years the returned matrix covers.
    window : (start, end) dates or years; the whole panel when None.
    method : "generator" (time-homogeneous MLE, Lando & Skødeberg 2002) or
        "aalen-johansen" (nonparametric product limit over the window; then
        ``horizon`` is the window length).

    Returns
    -------
    MigrationResult with ``generator`` (method "generator"), jump ``counts`` and ``exposure``.

    Examples
    --------
    >>> import pandas as pd
    >>> panel = pd.DataFrame({"entity": list("aabb"), "date": [0, 1, 0, 0.5], "grade": list("AAAD")})
    >>> duration_matrix(panel, ["A", "D"]).generator.tolist()
    [[-0.6666666666666666, 0.6666666666666666], [0.0, 0.0]]
    """
    paths = _paths(panel, grades, {"entity": entity, "date": date, "grade": grade}, default_grade, sort)
    if window is None:
        win = (float(paths.time.min()), float(paths.time.max()))
    else:
        win = (paths.to_years(window[0]), paths.to_years(window[1]))
    if not win[1] > win[0]:
        raise DataValidationError([Violation("window", f"is {window}", "start before end")])
    q, jumps, exposure = duration_generator(paths, win)
    info = _info(paths, window=tuple(round(w, 6) for w in win), transitions=int(jumps.sum()))
    if method == "generator":
        p = scipy.linalg.expm(q * horizon)
        return MigrationResult("duration", paths.grades, p, jumps, horizon, q, exposure, info)
    if method == "aalen-johansen":
        p = aalen_johansen(paths, win)
        return MigrationResult("aalen-johansen", paths.grades, p, jumps, win[1] - win[0], None, exposure, info)
    raise DataValidationError([Violation("method", f"is {method!r}", "'generator' or 'aalen-johansen'")])
