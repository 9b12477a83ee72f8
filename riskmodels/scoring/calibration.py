"""Calibration steps (raw model output -> PD): for a column (:func:`apply_calibration`)
and for one value (:func:`calibrate_one`), the same operations and bits."""

from __future__ import annotations

import bisect

import numpy as np

from .errors import BundleError


def expit(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)), without overflow warnings.

    >>> expit(np.array([0.0, -1000.0])).tolist()
    [0.5, 0.0]
    """
    return _expit_into(np.negative(np.asarray(z, dtype=float)))


def _expit_into(out: np.ndarray) -> np.ndarray:
    """:func:`expit` of ``-out``, computed in ``out`` (a fresh float array it may overwrite)."""
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.divide(1.0, out, out=out)


def logit(p: np.ndarray) -> np.ndarray:
    """ln(p / (1 - p)); +/-inf at 1 and 0.

    >>> logit(np.array([0.5, 1.0])).tolist()
    [0.0, inf]
    """
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore"):
        return np.log(p) - np.log1p(-p)


def apply_calibration(steps: list, x: np.ndarray) -> np.ndarray:
    """Apply calibration steps in order to a raw output.

    Steps: ``{"method": "interp", "x": [...], "y": [...]}`` (piecewise linear,
    flat beyond the ends — isotonic and binned maps), ``{"method": "logistic",
    "a": a, "b": b}`` (expit(a·x + b), Platt and logistic-on-score), and
    ``{"method": "logit_shift", "delta": d}`` (expit(logit(p) + d), central tendency).

    >>> apply_calibration([{"method": "logit_shift", "delta": 0.0}], np.array([0.2])).tolist()
    [0.2]
    """
    out = np.asarray(x, dtype=float)
    for step in steps:
        method = step["method"]
        if method == "interp":
            out = np.interp(out, np.asarray(step["x"], dtype=float), np.asarray(step["y"], dtype=float))
        elif method == "logistic":
            z = np.multiply(step["a"], out)
            z += step["b"]
            out = _expit_into(np.negative(z, out=z))  # expit(z) in z's array
        elif method == "logit_shift":
            out = expit(logit(out) + step["delta"])
        else:
            raise BundleError(f"unknown calibration method {method!r}")
    return out


def interp_one(x: float, xp: list, fp: list) -> float:
    """``np.interp(x, xp, fp)`` for one value, the same operations as numpy's C loop."""
    if x != x:
        return x
    j = bisect.bisect_right(xp, x) - 1
    if j < 0:
        return fp[0]
    if j >= len(xp) - 1:
        return fp[-1]
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    out = slope * (x - xp[j]) + fp[j]
    if out != out:  # as numpy: from the other end, then the flat value
        out = slope * (x - xp[j + 1]) + fp[j + 1]
        if out != out and fp[j] == fp[j + 1]:
            out = fp[j]
    return out


def expit_one(z: float) -> float:
    """:func:`expit` of one value: the same operations, numpy's exp."""
    if -z <= 709.0:  # exp cannot overflow: no floating-point state to guard
        return 1.0 / (float(np.exp(-z)) + 1.0)
    with np.errstate(over="ignore"):
        return 1.0 / (float(np.exp(-z)) + 1.0)


def calibrate_one(steps: list, raw: float) -> float | None:
    """:func:`apply_calibration` of one value; None for an invalid PD (NaN or outside [0, 1]).

    The arithmetic is Python's (the same IEEE operations); exp, log and log1p are numpy's,
    as in a batch (numpy's own vectorised versions may differ from libm's in the last bit).

    >>> calibrate_one([{"method": "logistic", "a": 1.0, "b": 0.0}], 0.0)
    0.5
    >>> calibrate_one([], 1.5) is None
    True
    """
    out = raw
    for step in steps:
        method = step["method"]
        if method == "interp":
            out = interp_one(out, [float(v) for v in step["x"]], [float(v) for v in step["y"]])
        elif method == "logistic":
            out = expit_one(step["a"] * out + step["b"])
        elif method == "logit_shift":
            with np.errstate(divide="ignore"):
                out = expit_one(float(np.log(out)) - float(np.log1p(-out)) + step["delta"])
        else:
            raise BundleError(f"unknown calibration method {method!r}")
    return out if 0.0 <= out <= 1.0 else None


_interp_one = interp_one  # its name before the package split (tests use it)
