"""Generators from annual matrices, their repair, and multi-year PDs.

A generator Λ has non-negative off-diagonal entries and rows summing to 0;
P(t) = exp(Λt). The matrix logarithm of an empirical annual matrix often has
small negative off-diagonal entries (Israel, Rosenthal & Wei 2001, "Finding
generators for Markov chains via empirical transition matrices", Math.
Finance 11(2)); two repairs from that paper are offered:

- ``"diagonal"`` (DA): set negative off-diagonal entries to 0 and reset each
  diagonal entry to minus the sum of its row's off-diagonal entries;
- ``"weighted"`` (WA): set negative off-diagonal entries to 0 and take their
  total ``B_i`` back from the row's diagonal and positive entries in proportion
  to their size: q_ij ← q_ij − B_i |q_ij| / Σ_{q_ij ≥ 0 or j=i} |q_ij|.

Both keep rows summing to 0. Published matrices that do not sum to one (a
withdrawn "NR" column, rounding) are completed first with :func:`complete_matrix`.

Examples
--------
>>> import numpy as np
>>> p = np.array([[0.9, 0.1], [0.0, 1.0]])
>>> q = generator_from_matrix(p)
>>> bool(is_generator(q)), round(float(q[0, 1]), 6)
(True, 0.105361)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.linalg

from riskmodels.errors import DataValidationError, MigrationError, Violation


def check_stochastic(matrix, name: str = "matrix", atol: float = 1e-8) -> np.ndarray:
    """Return ``matrix`` as a float array if it is square, in [0, 1] with rows summing to 1.

    Examples
    --------
    >>> check_stochastic([[0.5, 0.6], [0.0, 1.0]])
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: 1 data rule(s) broken:
      - column 'matrix': rows do not sum to 1 in 1 row(s): [0]; expected rows of a transition matrix summing to 1
    """
    p = np.asarray(matrix, dtype=float)
    if p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise DataValidationError([Violation(name, f"has shape {p.shape}", "a square matrix")])
    problems = []
    bad = ~np.isfinite(p).all(axis=1) | (p < -atol).any(axis=1) | (p > 1 + atol).any(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        problems.append(Violation(name, "entries outside [0, 1]", "probabilities",
                                  tuple(rows[:5].tolist()), len(rows)))
    off = np.abs(p.sum(axis=1) - 1.0) > atol
    if off.any():
        rows = np.flatnonzero(off)
        problems.append(Violation(name, "rows do not sum to 1", "rows of a transition matrix summing to 1",
                                  tuple(rows[:5].tolist()), len(rows)))
    if problems:
        raise DataValidationError(problems)
    return p


def complete_matrix(frame: pd.DataFrame, default: str = "D", withdrawn: str | None = "NR") -> pd.DataFrame:
    """A square transition matrix from a published table: withdrawals spread, default row added.

    The ``withdrawn`` column (rating withdrawn, "NR") is removed and each row is
    rescaled by 1 / (1 − p_NR): withdrawals are treated as uninformative, the
    usual NR adjustment. Rows are then renormalised to sum to exactly 1
    (published tables are rounded) and, if ``default`` has no row, the
    absorbing row (0, …, 0, 1) is appended.

    Parameters
    ----------
    frame : rows "from" grades, columns "to" grades (may include ``default`` and ``withdrawn``).
    default : label of the default column.
    withdrawn : label of the withdrawn column, or None.

    Returns
    -------
    Square DataFrame over the row grades plus ``default``.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame([[0.8, 0.1, 0.0, 0.1], [0.1, 0.6, 0.1, 0.2]], index=["A", "B"],
    ...                  columns=["A", "B", "D", "NR"])
    >>> complete_matrix(f).round(4).values.tolist()
    [[0.8889, 0.1111, 0.0], [0.125, 0.75, 0.125], [0.0, 0.0, 1.0]]
    """
    if default not in frame.columns:
        raise DataValidationError([Violation(default, "missing column", "a default column")])
    body = frame.drop(columns=[withdrawn]) if withdrawn is not None and withdrawn in frame.columns else frame
    states = list(body.index) + ([default] if default not in body.index else [])
    missing = [s for s in states if s not in body.columns]
    if missing:
        raise DataValidationError([Violation(str(missing[0]), "missing column",
                                             "a column for every row grade")])
    square = body.reindex(index=states, columns=states).to_numpy(dtype=float, copy=True)
    square[states.index(default)] = np.eye(len(states))[states.index(default)]
    if (square < 0).any() or not np.isfinite(square).all():
        raise DataValidationError([Violation("matrix", "negative or missing entries", "probabilities")])
    empty = square.sum(axis=1) == 0
    if empty.any():  # e.g. a row that is all withdrawals: nothing to renormalise
        rows = [states[i] for i in np.flatnonzero(empty)]
        raise DataValidationError([Violation("matrix", "rows with no transitions besides withdrawals",
                                             "some probability outside the withdrawn column",
                                             tuple(rows[:5]), len(rows))])
    square = square / square.sum(axis=1, keepdims=True)
    return pd.DataFrame(square, index=pd.Index(states, name="from"), columns=pd.Index(states, name="to"))


def generator_violations(q, atol: float = 1e-12) -> list[tuple[int, int, float]]:
    """Entries that stop ``q`` being a generator: (row, column, value) of negative off-diagonals.

    Examples
    --------
    >>> generator_violations(np.array([[-0.1, 0.12, -0.02], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]))
    [(0, 2, -0.02)]
    """
    q = np.asarray(q, dtype=float)
    off = ~np.eye(len(q), dtype=bool)
    rows, cols = np.nonzero(off & (q < -atol))
    return [(int(i), int(j), float(q[i, j])) for i, j in zip(rows, cols, strict=True)]


def is_generator(q, atol: float = 1e-10) -> bool:
    """Whether ``q`` is a valid generator: off-diagonals >= 0, rows summing to 0.

    Examples
    --------
    >>> is_generator(np.array([[-0.2, 0.2], [0.0, 0.0]]))
    True
    """
    q = np.asarray(q, dtype=float)
    return (not generator_violations(q, atol)) and bool(np.allclose(q.sum(axis=1), 0.0, atol=atol * 100))


def adjust_generator(q, method: str = "weighted") -> np.ndarray:
    """Repair a matrix logarithm into a valid generator (Israel, Rosenthal & Wei 2001).

    Parameters
    ----------
    q : k × k matrix with rows summing to 0 (possibly negative off-diagonals).
    method : "diagonal" (DA) or "weighted" (WA); see the module docstring.

    Returns
    -------
    k × k generator.

    Examples
    --------
    >>> q = np.array([[-0.10, 0.12, -0.02], [0.05, -0.05, 0.0], [0.0, 0.0, 0.0]])
    >>> adjust_generator(q, "diagonal")[0].round(4).tolist()
    [-0.12, 0.12, 0.0]
    >>> adjust_generator(q, "weighted")[0].round(4).tolist()
    [-0.1091, 0.1091, 0.0]
    """
    q = np.array(q, dtype=float)
    k = len(q)
    off = ~np.eye(k, dtype=bool)
    negative = off & (q < 0)
    if method == "diagonal":
        q[negative] = 0.0
        np.fill_diagonal(q, 0.0)
        np.fill_diagonal(q, -q.sum(axis=1))
        return q
    if method == "weighted":
        borrowed = np.where(negative, -q, 0.0).sum(axis=1)
        donors = ~negative
        gross = np.where(donors, np.abs(q), 0.0).sum(axis=1)
        share = np.divide(borrowed, gross, out=np.zeros(k), where=gross > 0)
        q = np.where(negative, 0.0, q - share[:, None] * np.abs(q))
        np.fill_diagonal(q, 0.0)  # re-derive the diagonal: rows sum to 0 to rounding
        np.fill_diagonal(q, -q.sum(axis=1))
        return q
    raise DataValidationError([Violation("method", f"is {method!r}", "'diagonal' or 'weighted'")])


def generator_from_matrix(matrix, adjustment: str | None = "weighted") -> np.ndarray:
    """Generator Λ with exp(Λ) ≈ P from the principal matrix logarithm of an annual matrix.

    Parameters
    ----------
    matrix : k × k row-stochastic matrix (complete it first with :func:`complete_matrix`).
    adjustment : "weighted" or "diagonal" repair when the logarithm is not a
        valid generator; None raises :class:`MigrationError` listing the bad entries.

    Returns
    -------
    k × k generator.

    Raises
    ------
    MigrationError : the logarithm does not exist as a real matrix, or it is not
        a generator and ``adjustment`` is None.

    Examples
    --------
    >>> p = np.array([[0.8, 0.2, 0.0], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]])
    >>> generator_from_matrix(p, adjustment=None)
    Traceback (most recent call last):
    ...
    riskmodels.errors.MigrationError: the matrix logarithm is not a valid generator: negative off-diagonal entries [(0, 2, -0.013636)]; pass adjustment='weighted' or 'diagonal'
    """
    p = check_stochastic(matrix)
    if np.linalg.det(p) <= 0:
        raise MigrationError(f"det(P) = {np.linalg.det(p):.3g} <= 0: P has no real matrix logarithm "
                             "(no generator embeds it)")
    log = scipy.linalg.logm(p)
    if np.iscomplexobj(log):
        if np.abs(log.imag).max() > 1e-10:
            raise MigrationError("the principal logarithm of P is complex: no real generator embeds P")
        log = log.real
    np.fill_diagonal(log, 0.0)
    np.fill_diagonal(log, -log.sum(axis=1))  # rows sum to 0 exactly, not to rounding
    bad = generator_violations(log)
    if not bad:
        return log
    if adjustment is None:
        shown = [(i, j, round(v, 6)) for i, j, v in bad[:5]]
        raise MigrationError(f"the matrix logarithm is not a valid generator: negative off-diagonal "
                             f"entries {shown}; pass adjustment='weighted' or 'diagonal'")
    return adjust_generator(log, adjustment)


def transition_from_generator(q, t: float = 1.0) -> np.ndarray:
    """P(t) = exp(Λt).

    Examples
    --------
    >>> transition_from_generator(np.array([[-0.1, 0.1], [0.0, 0.0]]), 2.0).round(6).tolist()
    [[0.818731, 0.181269], [0.0, 1.0]]
    """
    return scipy.linalg.expm(np.asarray(q, dtype=float) * float(t))


def cumulative_pd(matrix, years, default_state: int = -1) -> np.ndarray:
    """Cumulative PD per starting grade after each number of periods: the default column of P^t.

    Parameters
    ----------
    matrix : one-period row-stochastic matrix with an absorbing default state.
    years : whole numbers of periods.
    default_state : column of the default state.

    Returns
    -------
    k × len(years) array.

    Examples
    --------
    >>> cumulative_pd(np.array([[0.9, 0.1], [0.0, 1.0]]), [1, 2]).round(4).tolist()
    [[0.1, 0.19], [1.0, 1.0]]
    """
    p = check_stochastic(matrix)
    steps = [int(y) for y in years]
    if any(s < 0 or s != y for s, y in zip(steps, years, strict=True)):
        raise DataValidationError([Violation("years", f"{list(years)}", "whole non-negative numbers")])
    return np.column_stack([np.linalg.matrix_power(p, s)[:, default_state] for s in steps])


def cumulative_pd_from_generator(q, years, default_state: int = -1) -> np.ndarray:
    """Cumulative PD per grade at each time: the default column of exp(Λt).

    Examples
    --------
    >>> cumulative_pd_from_generator(np.array([[-0.1, 0.1], [0.0, 0.0]]), [1, 0.5]).round(6).tolist()
    [[0.095163, 0.048771], [1.0, 1.0]]
    """
    return np.column_stack([transition_from_generator(q, t)[:, default_state] for t in years])
