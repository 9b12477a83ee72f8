"""The production scorer: loads a JSON scorer bundle and scores records.

This module imports **numpy and the standard library only** (a test proves it),
so production code can import it — or copy this one file — without pandas,
scipy, scikit-learn, statsmodels or mlflow. The in-memory models compute their
``predict_proba`` through the same kernels (:func:`evaluate`), so a bundle gives
the training-time numbers exactly.

A bundle is one JSON document::

    {"schema_version": 1, "kind": "logistic" | "expert" | "kmv" | "crosstab",
     "name": str, "inputs": [feature rules], "model": {kind-specific parameters},
     "calibration": [steps], "master_scale": {...}, "credit_limit": {...} | null,
     "metadata": {...}, "sha256": hex digest of the canonical content without it}

Examples
--------
>>> content = {"schema_version": 1, "kind": "identity", "name": "pd-passthrough",
...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
...     "model": {"input": "pd"}, "calibration": [],
...     "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]},
...     "credit_limit": None, "metadata": {}}
>>> scorer = Scorer(seal(content))
>>> out = scorer.score({"pd": 0.02})
>>> out["grade"], out["pd"]
('B', 0.02)
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

try:  # inside the package the shared error classes are used; a copied file defines its own
    from riskmodels.errors import BundleError
except ImportError:  # pragma: no cover - exercised by the stand-alone copy test
    class BundleError(ValueError):
        """A scorer bundle is tampered with, of an unknown version, or cannot score the input."""

SCHEMA_VERSION = 1
SUPPORTED_VERSIONS = (1,)


# --------------------------------------------------------------------------- bundle I/O
def canonical_bytes(content: dict) -> bytes:
    """Canonical JSON of ``content`` without its ``sha256`` key (sorted keys, no spaces).

    Floats are written by ``repr`` and so round-trip exactly; NaN/inf are refused.
    """
    body = {k: v for k, v in content.items() if k != "sha256"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def seal(content: dict) -> dict:
    """Return a copy of ``content`` with its ``sha256`` set."""
    out = dict(content)
    out["sha256"] = hashlib.sha256(canonical_bytes(content)).hexdigest()
    return out


def dumps_bundle(content: dict) -> bytes:
    """The bytes of a sealed bundle file: deterministic for the same content."""
    sealed = seal(content)
    return (json.dumps(sealed, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")


def verify(content: dict) -> dict:
    """Check the schema version and the hash of a bundle dict; return it or raise BundleError."""
    if not isinstance(content, dict):
        raise BundleError("a bundle must be a JSON object")
    version = content.get("schema_version")
    if version not in SUPPORTED_VERSIONS:
        raise BundleError(f"unknown bundle schema_version {version!r}; this scorer reads {SUPPORTED_VERSIONS}")
    stated = content.get("sha256")
    if not isinstance(stated, str):
        raise BundleError("bundle has no sha256")
    actual = hashlib.sha256(canonical_bytes(content)).hexdigest()
    if actual != stated:
        raise BundleError(f"bundle content does not match its sha256 (stated {stated[:12]}..., "
                          f"actual {actual[:12]}...): it was modified")
    for key in ("kind", "inputs", "model", "calibration", "master_scale"):
        if key not in content:
            raise BundleError(f"bundle lacks the {key!r} section")
    if content["kind"] not in KERNELS:
        raise BundleError(f"unknown model kind {content['kind']!r}; known: {sorted(KERNELS)}")
    return content


def load_scorer(path) -> Scorer:
    """Read a bundle file, verify its hash and version, and return a :class:`Scorer`."""
    raw = Path(path).read_bytes()
    try:
        content = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path} is not a JSON bundle: {exc}") from None
    return Scorer(content)


# --------------------------------------------------------------------------- inputs
def as_columns(records) -> tuple[dict, bool]:
    """Turn records into a dict of 1-d arrays; the flag says whether one record was given.

    Accepts one dict of scalars, a list of dicts, a dict of arrays, or a frame-like
    object with ``columns`` (pandas, polars ...).
    """
    if isinstance(records, dict):
        values = list(records.values())
        single = bool(values) and all(np.ndim(v) == 0 for v in values)
        return {k: np.atleast_1d(np.asarray(v)) for k, v in records.items()}, single
    if isinstance(records, (list, tuple)):
        if not all(isinstance(r, dict) for r in records):
            raise BundleError("a list of records must hold dicts")
        names = list(dict.fromkeys(k for r in records for k in r))
        return {k: np.asarray([r.get(k) for r in records]) for k in names}, False
    if hasattr(records, "columns"):
        out = {}
        for name in records.columns:
            col = records[name]
            out[str(name)] = col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)
        return out, False
    raise BundleError(f"cannot score a {type(records).__name__}: give a dict, a list of dicts or a frame")


def _to_float(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind in "fiub":
        return values.astype(float, copy=False)
    out = np.empty(len(values), dtype=float)
    for i, v in enumerate(values):
        if v is None:
            out[i] = np.nan
        elif isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            raise TypeError(i)
        else:
            out[i] = float(v)
    return out


def _is_missing_obj(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind == "O":
        return np.fromiter((v is None or (isinstance(v, float) and math.isnan(v)) for v in values),
                           dtype=bool, count=len(values))
    return np.zeros(len(values), dtype=bool)


def prepare_inputs(rules: list, columns: dict, errors: dict | None = None) -> tuple[dict, int]:
    """Apply the bundle's input rules to the columns; return cleaned columns and n.

    Numbers become float arrays (NaN = missing), categories become object arrays
    of str (None = missing). With ``errors`` (a dict), a broken rule records
    ``{row: message}`` there instead of raising; otherwise BundleError names the
    field and the first record indices.
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise BundleError(f"input columns have different lengths {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    out = {}

    def fail(name, rows, what):
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        if errors is None:
            shown = ", ".join(str(int(r)) for r in rows[:5])
            raise BundleError(f"field {name!r}: {what} at record(s) [{shown}]"
                              + (f" (+{len(rows) - 5} more)" if len(rows) > 5 else ""))
        for r in rows:
            errors.setdefault(int(r), []).append(f"{name}: {what}")

    for rule in rules:
        name = rule["name"]
        if name not in columns:
            if rule.get("required", True):
                if errors is None or n == 0:
                    raise BundleError(f"missing required field {name!r}")
                fail(name, np.ones(n, dtype=bool), "missing field")
            values = np.full(n, np.nan if rule["type"] == "number" else None,
                             dtype=float if rule["type"] == "number" else object)
        else:
            values = np.asarray(columns[name])
        missing_policy = rule.get("missing", "error")
        if rule["type"] == "number":
            try:
                x = _to_float(values)
            except (TypeError, ValueError) as exc:
                row = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                fail(name, [row], f"not a number ({values[row]!r})")
                x = np.array([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                              for v in values], dtype=float)
            inf = np.isinf(x)
            if inf.any():
                fail(name, inf, "infinite value")
                x = np.where(inf, np.nan, x)
            miss = np.isnan(x)
            if miss.any():
                if missing_policy == "impute":
                    x = np.where(miss, float(rule["fill"]), x)
                elif missing_policy == "error":
                    fail(name, miss, "missing value")
            for bound, op, word in (("min", np.less, "below"), ("max", np.greater, "above")):
                if rule.get(bound) is not None:
                    with np.errstate(invalid="ignore"):
                        off = op(x, rule[bound])
                    if off.any():
                        if rule.get("out_of_range", "error") == "clip":
                            x = np.where(off, rule[bound], x)
                        elif rule.get("out_of_range", "error") == "error":
                            fail(name, off, f"{word} the allowed {bound} {rule[bound]}")
            out[name] = x
        else:
            miss = _is_missing_obj(values)
            cats = np.array([None if m else str(v) for v, m in zip(values.tolist(), miss)], dtype=object)
            if miss.any():
                if missing_policy == "impute":
                    cats = np.where(miss, str(rule["fill"]), cats)
                elif missing_policy == "error":
                    fail(name, miss, "missing value")
            allowed = rule.get("categories")
            if allowed is not None and rule.get("unknown", "error") == "error":
                known = set(allowed)
                unknown = np.fromiter((c is not None and c not in known for c in cats), dtype=bool, count=n)
                if unknown.any():
                    first = cats[np.flatnonzero(unknown)[0]]
                    fail(name, unknown, f"unknown category {first!r} (known: {sorted(known)[:10]})")
            out[name] = cats
    return out, n


# --------------------------------------------------------------------------- shared kernels
def bin_index(binning: dict, values: np.ndarray) -> np.ndarray:
    """Index of the bin of each value under a bundle binning.

    Numeric: ``{"type": "numeric", "edges": [...], "missing_bin": int|None,
    "special_bins": {"code": int}}``; bins are (-inf, e1), [e1, e2), ..., [ek, inf).
    Categorical: ``{"type": "categorical", "categories": {"label": int},
    "missing_bin": int|None, "unknown_bin": int|None}``. A value with no bin gets -1.

    >>> bin_index({"type": "numeric", "edges": [1.0, 2.0]}, np.array([0.5, 1.0, 3.0, np.nan])).tolist()
    [0, 1, 2, -1]
    """
    n = len(values)
    missing_bin = binning.get("missing_bin")
    if binning["type"] == "numeric":
        x = np.asarray(values, dtype=float)
        idx = np.searchsorted(np.asarray(binning["edges"], dtype=float), x, side="right")
        miss = np.isnan(x)
        idx = np.where(miss, -1 if missing_bin is None else missing_bin, idx)
        for code, b in (binning.get("special_bins") or {}).items():
            idx = np.where(x == float(code), b, idx)
        return idx.astype(np.int64)
    table = binning["categories"]
    unknown_bin = binning.get("unknown_bin")
    default = -1 if unknown_bin is None else unknown_bin
    miss_value = -1 if missing_bin is None else missing_bin
    return np.fromiter((miss_value if v is None else table.get(v, default) for v in values),
                       dtype=np.int64, count=n)


def expit(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)), without overflow warnings."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def logit(p: np.ndarray) -> np.ndarray:
    """ln(p / (1 - p)); +/-inf at 1 and 0."""
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
            out = expit(step["a"] * out + step["b"])
        elif method == "logit_shift":
            out = expit(logit(out) + step["delta"])
        else:
            raise BundleError(f"unknown calibration method {method!r}")
    return out


def grade_of(scale: dict, pd: np.ndarray) -> np.ndarray:
    """Grade labels of PDs under a master scale (half-open bands, optional floor).

    ``scale = {"grades": [g1..gk], "upper_bounds": [u1..u(k-1)], "floor": f|None}``:
    PD in [u(i-1), u(i)) gets grade i; PD >= u(k-1) gets the last grade (the default
    grade). NaN PD gets None.

    >>> grade_of({"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]}, np.array([0.0, 0.01, 1.0])).tolist()
    ['A', 'B', 'D']
    """
    p = np.asarray(pd, dtype=float)
    if scale.get("floor") is not None:
        p = np.maximum(p, scale["floor"])
    labels = np.asarray(scale["grades"], dtype=object)
    idx = np.searchsorted(np.asarray(scale["upper_bounds"], dtype=float), p, side="right")
    out = labels[np.minimum(idx, len(labels) - 1)]
    if np.isnan(p).any():
        out = np.where(np.isnan(p), None, out)
    return out


def top_reasons(contributions: np.ndarray, names: list, k: int) -> np.ndarray:
    """Names of the k features that cost the most points, per record (n × k object array).

    ``contributions`` holds points lost per feature (>= 0, larger = worse).
    """
    if contributions is None or contributions.shape[1] == 0 or k <= 0:
        return np.empty((contributions.shape[0] if contributions is not None else 0, 0), dtype=object)
    k = min(k, contributions.shape[1])
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :k]
    return np.asarray(names, dtype=object)[order]


# --------------------------------------------------------------------------- model kernels
# A kernel takes the bundle's "model" section and the prepared input columns and
# returns a dict with "raw" (fed to the calibration steps), and optionally
# "points" (the score shown to users), "contributions" (n × f points lost per
# feature) with "reason_names". Each model kind owns its kernel below.

def _kernel_identity(model: dict, cols: dict, n: int) -> dict:
    return {"raw": cols[model["input"]]}


KERNELS = {"identity": _kernel_identity}

# ---- kind "expert" (riskmodels.scorecards): compiled spec -> 0..100 score

# ---- kind "logistic" (riskmodels.models.logistic): WoE bins x coefficients -> PD, points

# ---- kind "kmv" (riskmodels.models.kmv): balance-sheet/market inputs -> distance to default

# ---- kind "crosstab" (riskmodels.models.crosstab): factor bins -> cell default rate



def register_kernel(kind: str):
    """Decorator adding a kernel for a model kind to :data:`KERNELS`."""
    def wrap(fn):
        KERNELS[kind] = fn
        return fn
    return wrap


# --------------------------------------------------------------------------- evaluation
def evaluate(content: dict, columns: dict, *, validate: bool = True, errors: dict | None = None) -> dict:
    """Score prepared columns with a bundle's content (no hash check): the shared path.

    Returns ``{"pd", "score", "grade", "raw", "contributions", "reason_names"}`` arrays.
    The in-memory models call this with their own exported content.
    """
    if validate:
        cols, n = prepare_inputs(content["inputs"], columns, errors)
    else:
        cols, n = columns, len(next(iter(columns.values()))) if columns else 0
    out = KERNELS[content["kind"]](content["model"], cols, n)
    pd_ = apply_calibration(content["calibration"], out["raw"])
    return {
        "pd": pd_,
        "score": out.get("points"),
        "grade": grade_of(content["master_scale"], pd_),
        "raw": out["raw"],
        "contributions": out.get("contributions"),
        "reason_names": out.get("reason_names", []),
        "extra": out.get("extra", {}),
    }


def credit_limit(rule: dict | None, grades: np.ndarray, cols: dict) -> np.ndarray | None:
    """Limit per record: ``coefficient[grade] × min(current_assets / 2, monthly_sales)``.

    ``rule = {"coefficients": {grade: c}, "current_assets": field, "monthly_sales": field}``
    (domain §4); grades without a coefficient get 0.
    """
    if not rule:
        return None
    coef = np.array([rule["coefficients"].get(g, 0.0) if g is not None else np.nan for g in grades],
                    dtype=float)
    base = np.minimum(np.asarray(cols[rule["current_assets"]], dtype=float) / 2.0,
                      np.asarray(cols[rule["monthly_sales"]], dtype=float))
    return coef * base


class Scorer:
    """Scores records with a verified bundle.

    Parameters
    ----------
    content : the bundle as a dict (verified on construction).
    n_reasons : how many reason codes to return per record.
    """

    def __init__(self, content: dict, n_reasons: int = 3):
        self.content = verify(content)
        self.n_reasons = n_reasons
        self.kind = content["kind"]
        self.input_names = [r["name"] for r in content["inputs"]]

    def __repr__(self):
        return (f"Scorer(kind={self.kind!r}, name={self.content.get('name')!r}, "
                f"inputs={len(self.input_names)}, grades={self.content['master_scale']['grades']})")

    def score(self, records, *, on_error: str = "raise") -> dict:
        """Score records: PD, score points, grade, top reason codes and the limit where defined.

        Parameters
        ----------
        records : one dict, a list of dicts, a dict of arrays or a DataFrame.
        on_error : "raise" stops at the first broken input rule with BundleError;
            "report" scores the valid records and returns, under ``"errors"``,
            ``{record_index: [messages]}`` for the others (their PD is NaN).

        Returns
        -------
        dict with "pd", "score", "grade", "reasons", "limit" (and "errors"):
        arrays for a batch, scalars for a single dict record.
        """
        if on_error not in ("raise", "report"):
            raise ValueError("on_error must be 'raise' or 'report'")
        columns, single = as_columns(records)
        errors = {} if on_error == "report" else None
        cols, n = prepare_inputs(self.content["inputs"], columns, errors)
        bad = np.zeros(n, dtype=bool)
        if errors:
            bad[list(errors)] = True
            cols = _neutralise(self.content["inputs"], cols, bad)
        out = evaluate(self.content, cols, validate=False)
        pd_, grade = out["pd"], out["grade"]
        if bad.any():
            pd_ = np.where(bad, np.nan, pd_)
            grade = np.where(bad, None, grade)
        result = {
            "pd": pd_,
            "score": out["score"],
            "grade": grade,
            "reasons": top_reasons(out["contributions"], out["reason_names"], self.n_reasons)
            if out["contributions"] is not None else None,
            "limit": credit_limit(self.content.get("credit_limit"), grade, cols),
        }
        if errors is not None:
            result["errors"] = errors
        if single:
            return {k: (v if k == "errors" or v is None else
                        (list(v[0]) if k == "reasons" else _scalar(v[0])))
                    for k, v in result.items()}
        return result


def _scalar(v):
    return v.item() if isinstance(v, np.generic) else v


def _neutralise(rules: list, cols: dict, bad: np.ndarray) -> dict:
    """Replace the values of bad records by a harmless one so the batch still scores."""
    out = dict(cols)
    for rule in rules:
        x = out[rule["name"]]
        good = ~bad
        if rule["type"] == "number":
            fill = float(np.nanmedian(x[good])) if good.any() and not np.isnan(x[good]).all() else 0.0
            out[rule["name"]] = np.where(bad, fill, x)
        else:
            known = rule.get("categories") or [c for c in x[good] if c is not None][:1] or [None]
            out[rule["name"]] = np.where(bad, known[0], x)
    return out


__all__ = ["Scorer", "load_scorer", "evaluate", "seal", "verify", "dumps_bundle", "canonical_bytes",
           "bin_index", "apply_calibration", "grade_of", "expit", "logit", "KERNELS",
           "register_kernel", "BundleError", "SCHEMA_VERSION"]
