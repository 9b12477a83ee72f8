"""Input checks shared by the KMV functions: numbers, finiteness, horizons; the status codes."""

from __future__ import annotations

import numpy as np

from riskmodels import scoring
from riskmodels.errors import DataValidationError, Violation

#: Names of the per-firm status codes of the Merton solver and the KMV kernel.
#: "degenerate": the equations hold only within rounding, at an asset volatility below
#: ``scoring.MERTON_MIN_ASSET_VOL`` (1e-6).
MERTON_STATUS = scoring.MERTON_STATUS_NAMES
DD_CLIP = 50.0          # |DD| beyond this carries no extra information for a one-year PD
PROXY_OFFSET = 1000.0   # proxy DDs live on [PROXY_OFFSET ± DD_CLIP] in the kernel's raw output
MAX_ROWS_SHOWN = 5


# --------------------------------------------------------------------------- input checks
def float_array(name: str, values) -> np.ndarray:
    """``values`` as a float array; DataValidationError naming ``name`` when they are not numbers.

    Examples
    --------
    >>> float_array("equity", [1, 2]).tolist()
    [1.0, 2.0]
    """
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataValidationError([Violation(name, "values that are not numbers", "numbers")]) from None


def check_rule(name: str, bad: np.ndarray, rule: str, expected: str, violations: list) -> None:
    """Append a :class:`Violation` of ``rule`` to ``violations`` when any of ``bad`` is true.

    Examples
    --------
    >>> found = []
    >>> check_rule("debt", np.array([False, True]), "negative", ">= 0", found)
    >>> str(found[0])
    "column 'debt': negative in 1 row(s): [1]; expected >= 0"
    """
    bad = np.asarray(bad)
    if bad.any():
        rows = np.flatnonzero(bad.ravel())
        violations.append(Violation(name, rule, expected, tuple(int(r) for r in rows[:MAX_ROWS_SHOWN]),
                                    len(rows)))


def check_arrays(context: str, **named) -> list[np.ndarray]:
    """Broadcast named inputs to floats, refusing NaN and infinities (naming field and rows).

    Examples
    --------
    >>> [a.tolist() for a in check_arrays("demo", equity=[1.0, 2.0], rate=0.05)]
    [[1.0, 2.0], [0.05, 0.05]]
    """
    arrays = [float_array(k, v) for k, v in named.items()]
    try:
        arrays = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = {k: np.shape(a) for k, a in zip(named, arrays, strict=True)}
        raise DataValidationError([Violation("<inputs>", f"shapes {shapes} do not broadcast",
                                             "arrays of one shape or scalars")], context) from None
    violations: list = []
    for name, arr in zip(named, arrays, strict=True):
        check_rule(name, np.isnan(arr), "missing (NaN) values", "numbers", violations)
        check_rule(name, np.isinf(arr), "infinite values", "finite numbers", violations)
    if violations:
        raise DataValidationError(violations, context)
    return [np.array(a, dtype=float) for a in arrays]


def require(context: str, checks: list) -> None:
    """Raise one DataValidationError listing every ``(name, bad, rule, expected)`` check that fails.

    Examples
    --------
    >>> require("demo", [("debt", np.array([False]), "negative", ">= 0")])  # nothing broken
    """
    violations: list = []
    for name, bad, rule, expected in checks:
        check_rule(name, bad, rule, expected, violations)
    if violations:
        raise DataValidationError(violations, context)


def check_horizon(horizon, context: str) -> float:
    """The horizon in years as a float; DataValidationError unless finite and > 0.

    Examples
    --------
    >>> check_horizon(1, "demo")
    1.0
    """
    if not (np.ndim(horizon) == 0 and np.isfinite(horizon) and horizon > 0):
        raise DataValidationError([Violation("horizon", f"is {horizon!r}",
                                             "a finite number of years > 0")], context)
    return float(horizon)
