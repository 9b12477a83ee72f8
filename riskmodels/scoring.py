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

import bisect
import hashlib
import hmac
import json
import math
import operator
import os
import re
from itertools import repeat
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
    """Canonical JSON of ``content`` without its ``sha256`` and ``signature`` keys (sorted keys,
    no spaces): the bytes the hash and the signature cover.

    Floats are written by ``repr`` and so round-trip exactly; NaN/inf are refused.

    Examples
    --------
    >>> canonical_bytes({"b": 1, "a": [0.1], "sha256": "ignored"})
    b'{"a":[0.1],"b":1}'
    """
    body = {k: v for k, v in content.items() if k not in ("sha256", "signature")}
    try:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise BundleError(f"bundle content is not plain JSON (numbers must be finite): {exc}") from None


def seal(content: dict) -> dict:
    """Return a copy of ``content`` with its ``sha256`` set.

    Examples
    --------
    >>> seal({"schema_version": 1})["sha256"][:12]
    'a9d5f6d002d9'
    """
    out = dict(content)
    out["sha256"] = hashlib.sha256(canonical_bytes(content)).hexdigest()
    return out


KEY_VARIABLE = "RISKMODELS_BUNDLE_KEY"  # environment variable holding the signing key


def _key_bytes(key) -> bytes | None:
    """The signing key from the argument, else from the environment; never from a bundle."""
    key = key if key is not None else os.environ.get(KEY_VARIABLE) or None
    if key is None:
        return None
    key = key.encode("utf-8") if isinstance(key, str) else bytes(key)
    if not key:
        raise BundleError("the bundle signing key is empty")
    return key


def signature_of(content: dict, key) -> str:
    """HMAC-SHA256 (hex) of the canonical content under ``key`` (str or bytes).

    >>> signature_of({"schema_version": 1}, "secret")[:12]
    '92b95feabc02'
    """
    return hmac.new(_key_bytes(key), canonical_bytes(content), hashlib.sha256).hexdigest()


def sign(content: dict, key) -> dict:
    """A sealed copy of ``content`` signed with ``key``: ``"signature": {"alg": "hmac-sha256",
    "value": hex}``. Only a holder of the key can make a signature that
    :func:`check_signature` accepts.

    >>> signed = sign({"schema_version": 1}, b"secret")
    >>> signed["signature"]["alg"], check_signature(signed, b"secret")["sha256"] == signed["sha256"]
    ('hmac-sha256', True)
    """
    key = _key_bytes(key)
    if key is None:
        raise BundleError(f"no signing key: pass key=... or set {KEY_VARIABLE}")
    out = dict(content)
    out["signature"] = {"alg": "hmac-sha256", "value": signature_of(content, key)}
    return seal(out)


def check_signature(content: dict, key=None) -> dict:
    """Refuse ``content`` unless it carries a valid HMAC-SHA256 under ``key`` (argument, else
    the ``RISKMODELS_BUNDLE_KEY`` environment variable); without any key, return it unchecked.

    >>> check_signature({"schema_version": 1}, "secret")
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: bundle is not signed, and a signing key is set: refused
    """
    key = _key_bytes(key)
    if key is None:
        return content
    stated = content.get("signature") if isinstance(content, dict) else None
    if stated is None:
        raise BundleError("bundle is not signed, and a signing key is set: refused")
    if not isinstance(stated, dict) or stated.get("alg") != "hmac-sha256" or not isinstance(
            stated.get("value"), str):
        raise BundleError("bundle signature must be {'alg': 'hmac-sha256', 'value': hex}")
    if not hmac.compare_digest(stated["value"], signature_of(content, key)):
        raise BundleError("bundle signature does not match under the given key: the bundle was "
                          "changed or signed with another key; refused")
    return content


def dumps_bundle(content: dict, key=None) -> bytes:
    """The bytes of a sealed bundle file: deterministic for the same content (and key).

    ``key`` (str or bytes): sign the bundle with HMAC-SHA256 (:func:`sign`).

    Examples
    --------
    >>> dumps_bundle({"schema_version": 1}) == dumps_bundle({"schema_version": 1})
    True
    """
    sealed = seal(content) if key is None else sign(content, key)
    return (json.dumps(sealed, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
            + "\n").encode("utf-8")


def verify(content: dict) -> dict:
    """Check the schema version, the hash and the sections of a bundle; return it.

    Raises
    ------
    BundleError
        unknown ``schema_version``, a ``sha256`` that does not match the content
        (a changed byte), a missing section, an unknown model kind, or a section
        that breaks the structure the kernels need (see :func:`check_structure`).

    Examples
    --------
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...                "model": {"input": "p"}, "calibration": [],
    ...                "master_scale": {"grades": ["A"], "upper_bounds": []}})
    >>> verify(bundle)["kind"]
    'identity'
    >>> verify({**bundle, "schema_version": 99})
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: unknown bundle schema_version 99; this scorer reads (1,)
    """
    if not isinstance(content, dict):
        raise BundleError("a bundle must be a JSON object")
    version = content.get("schema_version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
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
    return check_structure(content)


def read_bundle(source, key=None) -> dict:
    """The verified bundle dict from a path, JSON bytes or a bundle dict (``key``: see
    :func:`load_scorer`).

    Examples
    --------
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...                "model": {"input": "p"}, "calibration": [],
    ...                "master_scale": {"grades": ["A"], "upper_bounds": []}})
    >>> read_bundle(dumps_bundle(bundle)) == bundle
    True
    """
    if isinstance(source, dict):
        return check_signature(verify(source), key)
    if isinstance(source, (bytes, bytearray)):
        raw, where = bytes(source), "the bundle bytes"
    else:
        try:
            size = Path(source).stat().st_size
            if size > MAX_BUNDLE_BYTES:
                raise BundleError(f"{source} has {size} bytes; a bundle has at most {MAX_BUNDLE_BYTES}")
            raw, where = Path(source).read_bytes(), str(source)
        except OSError as exc:
            raise BundleError(f"cannot read the bundle {source}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{where} has {len(raw)} bytes; a bundle has at most {MAX_BUNDLE_BYTES}")
    if json_depth(raw) > MAX_DEPTH:
        raise BundleError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    try:
        content = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BundleError(f"{where} is not a JSON bundle: {exc}") from None
    return check_signature(verify(content), key)


def _refuse_constant(name: str):
    raise BundleError(f"bundle holds {name}; numbers must be finite")


def load_scorer(path, n_reasons: int = 3, key=None) -> Scorer:
    """Read a bundle (file path, JSON bytes or dict), verify hash and version, return a Scorer.

    Parameters
    ----------
    path : path of the bundle file (or its bytes, or the bundle dict).
    n_reasons : reason codes returned per record.
    key : str or bytes, optional
        Signing key (default: the ``RISKMODELS_BUNDLE_KEY`` environment variable). When a
        key is set, an unsigned bundle or one whose HMAC-SHA256 does not match is refused.

    Returns
    -------
    Scorer

    Examples
    --------
    >>> import tempfile, os
    >>> bundle = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "pd", "type": "number"}],
    ...           "model": {"input": "pd"}, "calibration": [],
    ...           "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> path = os.path.join(tempfile.mkdtemp(), "scorer.json")
    >>> _ = open(path, "wb").write(dumps_bundle(bundle))
    >>> load_scorer(path).score({"pd": 0.7})["grade"]
    'D'
    """
    return Scorer(read_bundle(path, key=key), n_reasons=n_reasons)


# --------------------------------------------------------------------------- bundle structure
# A bundle that passes its sha256 may still have been edited and resealed, or written by a
# broken exporter. Every section the kernels read is checked here, with the standard library
# only, before any record is scored; each failure names its path inside the bundle.
MAX_BUNDLE_BYTES = 64 * 2**20  # refused before reading or parsing
MAX_DEPTH = 32                 # nesting of lists and objects, checked before parsing
MAX_STRING = 65_536            # characters in one string (names, labels, metadata text)
_CALIBRATIONS = ("interp", "logistic", "logit_shift")
_NOT_A_PD = ("expert",)        # kinds whose raw output must go through calibration steps


def _bad(path: str, what: str):
    raise BundleError(f"bundle {path}: {what}")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _number(v, path: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if not _is_number(v):
        _bad(path, f"must be a number, not {type(v).__name__} {v!r:.40}")
    if not lo <= v <= hi:
        _bad(path, f"is {v!r}; expected a value in [{lo}, {hi}]")
    return v


def _integer(v, path: str, lo: int = 0, hi: float = math.inf) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        _bad(path, f"must be an integer in [{lo}, {hi}], not {v!r:.40}")
    return v


def _text(v, path: str) -> str:
    if not isinstance(v, str) or not v:
        _bad(path, f"must be a non-empty string, not {v!r:.40}")
    return v


def _section(v, path: str, kind: type, required=()):
    if not isinstance(v, (list, tuple) if kind is list else kind):
        _bad(path, f"must be a JSON {'object' if kind is dict else 'array'}, not {type(v).__name__}")
    for key in required:
        if key not in v:
            _bad(f"{path}.{key}", "is missing")
    return v


def _numbers(v, path: str, n: int | None = None, lo: float = -math.inf, hi: float = math.inf,
             order: str = "") -> list:
    """A list of finite numbers; ``order`` "<" strictly increasing, "<=" non-decreasing, ">" decreasing."""
    _section(v, path, list)
    if n is not None and len(v) != n:
        _bad(path, f"has {len(v)} value(s); expected {n}")
    for i, x in enumerate(v):
        _number(x, f"{path}[{i}]", lo, hi)
    steps = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b}.get(order)
    if steps:
        for i in range(1, len(v)):
            if not steps(v[i - 1], v[i]):
                _bad(f"{path}[{i}]", f"is {v[i]!r} after {v[i - 1]!r}; the values must be "
                     f"{'increasing' if order != '>' else 'decreasing'}")
    return v


def _walk(content, path: str = "") -> None:
    """Depth, string sizes, key types and finiteness everywhere (also in unchecked sections)."""
    stack = [(content, path or "$", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            _bad(where, f"is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str) or len(key) > MAX_STRING:
                    _bad(where, f"has a key that is not a string of at most {MAX_STRING} characters")
                stack.append((value, f"{where}.{key}", depth + 1))
        elif isinstance(node, (list, tuple)):
            stack.extend((value, f"{where}[{i}]", depth + 1) for i, value in enumerate(node))
        elif isinstance(node, str):
            if len(node) > MAX_STRING:
                _bad(where, f"is a string of {len(node)} characters; at most {MAX_STRING}")
        elif isinstance(node, float):
            if not math.isfinite(node):
                _bad(where, f"is {node!r}; numbers must be finite")
        elif node is not None and not isinstance(node, int):
            _bad(where, f"is a {type(node).__name__}; bundles hold JSON values only")


def json_depth(raw: bytes) -> int:
    """Deepest nesting of ``[`` and ``{`` in JSON text (outside strings), without parsing it.

    >>> json_depth(b'{"a": [[1], "[[["]}')
    3
    """
    flat = re.sub(rb'"(?:[^"\\]|\\.)*"', b'""', raw)
    codes = np.frombuffer(flat, dtype=np.uint8)
    step = np.isin(codes, (91, 123)).astype(np.int64) - np.isin(codes, (93, 125))
    return int(np.cumsum(step).max(initial=0))


def _check_inputs(inputs) -> dict:
    _section(inputs, "inputs", list)
    rules = {}
    for i, rule in enumerate(inputs):
        where = f"inputs[{i}]"
        _section(rule, where, dict, ("name", "type"))
        name = _text(rule["name"], f"{where}.name")
        if name in rules:
            _bad(f"{where}.name", f"{name!r} is listed twice")
        if rule["type"] not in ("number", "category"):
            _bad(f"{where}.type", f"is {rule['type']!r}; expected 'number' or 'category'")
        for key, allowed in (("out_of_range", ("error", "clip", "allow")), ("unknown", ("error", "allow")),
                             ("missing", ("error", "allow", "impute"))):
            if key in rule and rule[key] not in allowed:
                _bad(f"{where}.{key}", f"is {rule[key]!r}; expected one of {list(allowed)}")
        if "required" in rule and not isinstance(rule["required"], bool):
            _bad(f"{where}.required", "must be true or false")
        for key in ("min", "max"):
            if rule.get(key) is not None:
                _number(rule[key], f"{where}.{key}")
        if rule.get("min") is not None and rule.get("max") is not None and rule["min"] > rule["max"]:
            _bad(f"{where}.min", f"{rule['min']!r} is above max {rule['max']!r}")
        if rule.get("categories") is not None:
            labels = _section(rule["categories"], f"{where}.categories", list)
            for j, label in enumerate(labels):
                if not isinstance(label, str):
                    _bad(f"{where}.categories[{j}]", f"must be a string, not {label!r:.40}")
            if len(set(labels)) != len(labels):
                _bad(f"{where}.categories", "lists a category twice")
        fill = rule.get("fill")
        if fill is not None and (rule["type"] == "number") != _is_number(fill):
            _bad(f"{where}.fill", f"{fill!r:.40} does not fit a {rule['type']} field")
        rules[name] = rule
    return rules


def _check_binning(binning, path: str, n_bins: int) -> None:
    """Every bin index a value can get lies in [0, n_bins)."""
    _section(binning, path, dict, ("type",))
    indices = []
    if binning["type"] == "numeric":
        edges = _numbers(binning.get("edges"), f"{path}.edges", order="<")
        if len(edges) + 1 > n_bins:
            _bad(f"{path}.edges", f"give {len(edges) + 1} bins but the model has {n_bins}")
        for code, b in _section(binning.get("special_bins") or {}, f"{path}.special_bins", dict).items():
            try:
                float(code)
            except ValueError:
                _bad(f"{path}.special_bins", f"code {code!r:.40} is not a number")
            indices.append((b, f"{path}.special_bins.{code}"))
    elif binning["type"] == "categorical":
        for label, b in _section(binning.get("categories"), f"{path}.categories", dict).items():
            indices.append((b, f"{path}.categories.{label}"))
        if binning.get("unknown_bin") is not None:
            indices.append((binning["unknown_bin"], f"{path}.unknown_bin"))
    else:
        _bad(f"{path}.type", f"is {binning['type']!r}; expected 'numeric' or 'categorical'")
    if binning.get("missing_bin") is not None:
        indices.append((binning["missing_bin"], f"{path}.missing_bin"))
    for b, where in indices:
        _integer(b, where, 0, n_bins - 1)


def _needs(name, rules: dict, path: str) -> None:
    if _text(name, path) not in rules:
        _bad(path, f"names {name!r}, which is not a bundle input")


def _check_identity(model: dict, rules: dict) -> None:
    _needs(model.get("input"), rules, "model.input")


def _check_logistic(model: dict, rules: dict) -> None:
    _section(model, "model", dict, ("intercept", "features"))
    _number(model["intercept"], "model.intercept")
    _number(model.get("base_points", 0.0), "model.base_points")
    for j, feature in enumerate(_section(model["features"], "model.features", list)):
        where = f"model.features[{j}]"
        _section(feature, where, dict, ("name", "binning", "woe", "coef", "points", "best_points"))
        _needs(feature["name"], rules, f"{where}.name")
        woe = _numbers(feature["woe"], f"{where}.woe")
        if not woe:
            _bad(f"{where}.woe", "is empty")
        _numbers(feature["points"], f"{where}.points", n=len(woe))
        _number(feature["coef"], f"{where}.coef")
        _number(feature["best_points"], f"{where}.best_points")
        _check_binning(feature["binning"], f"{where}.binning", len(woe))


def _check_crosstab(model: dict, rules: dict) -> None:
    _section(model, "model", dict, ("factors", "bins", "shape", "levels"))
    factors = _section(model["factors"], "model.factors", list)
    for j, name in enumerate(factors):
        _needs(name, rules, f"model.factors[{j}]")
    shape = _section(model["shape"], "model.shape", list)
    bins = _section(model["bins"], "model.bins", list)
    if not len(factors) == len(shape) == len(bins):
        _bad("model", f"has {len(factors)} factor(s), {len(shape)} shape entries and {len(bins)} binnings")
    levels = _section(model["levels"], "model.levels", list)
    if len(levels) != len(factors) + 1:
        _bad("model.levels", f"has {len(levels)} level(s); expected {len(factors) + 1}")
    cells = 1
    for level, values in enumerate(levels):
        _numbers(values, f"model.levels[{level}]", n=cells, lo=0.0, hi=1.0)
        if level < len(factors):
            size = _integer(shape[level], f"model.shape[{level}]", 1, 10**7)
            _check_binning(bins[level], f"model.bins[{level}]", size)
            cells *= size
            if cells > 10**7:
                _bad("model.shape", "has more than 10 million cells")


def _check_kmv(model: dict, rules: dict) -> None:
    _section(model, "model", dict, ("horizon", "long_term_weight", "drift", "tol", "max_iter",
                                    "pd_map", "dd_clip", "proxy_offset"))
    columns = _section(model.get("columns", {}), "model.columns", dict)
    for role, name in columns.items():
        if role not in KMV_ROLES:
            _bad(f"model.columns.{role}", f"is not one of {list(KMV_ROLES)}")
        _text(name, f"model.columns.{role}")
    for role in ("rate", "short_term_debt", "long_term_debt"):
        _needs(columns.get(role, role), rules, f"inputs (field {role!r} of a kmv bundle)")
    _number(model["horizon"], "model.horizon", 1e-6, 100.0)
    _number(model["long_term_weight"], "model.long_term_weight", 0.0, 1.0)
    if model["drift"] is not None:
        _number(model["drift"], "model.drift", -1.0, 1.0)
    _number(model["tol"], "model.tol", 1e-300, 1.0)
    _integer(model["max_iter"], "model.max_iter", 1, 100_000)
    if model["pd_map"] not in ("empirical", "normal"):
        _bad("model.pd_map", f"is {model['pd_map']!r}; expected 'empirical' or 'normal'")
    _number(model["dd_clip"], "model.dd_clip", 1e-6)
    _number(model["proxy_offset"], "model.proxy_offset")
    proxy = model.get("proxy")
    if proxy is not None:
        _section(proxy, "model.proxy", dict, ("asset_value", "group", "asset_vol", "default_asset_vol"))
        _needs(proxy["asset_value"], rules, "model.proxy.asset_value")
        _needs(proxy["group"], rules, "model.proxy.group")
        _number(proxy.get("multiple", 1.0), "model.proxy.multiple", 0.0)
        for group, vol in _section(proxy["asset_vol"], "model.proxy.asset_vol", dict).items():
            _number(vol, f"model.proxy.asset_vol.{group}", 1e-12)
        _number(proxy["default_asset_vol"], "model.proxy.default_asset_vol", 1e-12)


def _check_expert(model: dict, rules: dict) -> None:
    _section(model, "model", dict, ("indicators", "aspects", "lower_bounds", "max_total"))
    aspects = _section(model["aspects"], "model.aspects", list)
    for j, ind in enumerate(_section(model["indicators"], "model.indicators", list)):
        where = f"model.indicators[{j}]"
        _section(ind, where, dict, ("name", "kind", "inputs", "aspect"))
        for k, name in enumerate(_section(ind["inputs"], f"{where}.inputs", list)):
            _needs(name, rules, f"{where}.inputs[{k}]")
        _integer(ind["aspect"], f"{where}.aspect", 0, len(aspects) - 1)
        if ind["kind"] == "interp":
            xs = _numbers(ind.get("x"), f"{where}.x", order="<")
            _numbers(ind.get("y"), f"{where}.y", n=len(xs))
        elif ind["kind"] == "steps":
            cuts = _numbers(ind.get("thresholds"), f"{where}.thresholds", order="<")
            _numbers(ind.get("values"), f"{where}.values", n=len(cuts) + 1)
    _numbers(model["lower_bounds"], "model.lower_bounds", order=">")
    _number(model["max_total"], "model.max_total", 0.0)


def _check_calibration(steps, kind: str) -> None:
    _section(steps, "calibration", list)
    if kind in _NOT_A_PD and not steps:
        _bad("calibration", f"is empty; a {kind} model's raw output is not a PD")
    for i, step in enumerate(steps):
        where = f"calibration[{i}]"
        _section(step, where, dict, ("method",))
        method = step["method"]
        if method == "interp":
            xs = _numbers(step.get("x"), f"{where}.x", order="<=")
            if not xs:
                _bad(f"{where}.x", "is empty")
            last = i == len(steps) - 1  # the last step gives the PD
            _numbers(step.get("y"), f"{where}.y", n=len(xs), lo=0.0 if last else -math.inf,
                     hi=1.0 if last else math.inf)
        elif method == "logistic":
            _number(step.get("a"), f"{where}.a")
            _number(step.get("b"), f"{where}.b")
        elif method == "logit_shift":
            _number(step.get("delta"), f"{where}.delta")
        else:
            _bad(f"{where}.method", f"is {method!r}; expected one of {list(_CALIBRATIONS)}")


def _check_master_scale(scale) -> None:
    _section(scale, "master_scale", dict, ("grades", "upper_bounds"))
    grades = _section(scale["grades"], "master_scale.grades", list)
    if not grades:
        _bad("master_scale.grades", "is empty")
    for i, grade in enumerate(grades):
        _text(grade, f"master_scale.grades[{i}]")
    if len(set(grades)) != len(grades):
        _bad("master_scale.grades", "lists a grade twice")
    _numbers(scale["upper_bounds"], "master_scale.upper_bounds", n=len(grades) - 1, lo=0.0, hi=1.0,
             order="<")
    if scale.get("floor") is not None:
        _number(scale["floor"], "master_scale.floor", 0.0, 1.0)
    if scale.get("midpoints") is not None:
        _numbers(scale["midpoints"], "master_scale.midpoints", n=len(grades), lo=0.0, hi=1.0)


_MODEL_CHECKS = {"identity": _check_identity, "logistic": _check_logistic, "crosstab": _check_crosstab,
                 "kmv": _check_kmv, "expert": _check_expert}


def check_structure(content: dict) -> dict:
    """Refuse a bundle whose sections do not have the types, shapes and ranges the kernels need.

    Checked: nesting depth and string sizes everywhere; every number finite; input rules
    (names unique, known policies, numeric bounds with min <= max); the model section of
    the built-in kinds (the fields a kernel reads, names that are bundle inputs, increasing
    bin edges, bin indices inside the tables, probabilities in [0, 1], cell counts);
    calibration steps (increasing x, a final PD in [0, 1]); the master scale (k unique
    grades, k - 1 increasing bounds in [0, 1]). Kinds registered by other code get the
    generic checks only.

    Returns
    -------
    the bundle content, unchanged.

    Raises
    ------
    BundleError
        naming the path inside the bundle, e.g. ``bundle calibration[0].y[1]: is 5.0; ...``.

    Examples
    --------
    >>> bundle = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...           "model": {"input": "p"}, "calibration": [],
    ...           "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> check_structure(bundle)["kind"]
    'identity'
    >>> check_structure({**bundle, "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5, 0.9]}})
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: bundle master_scale.upper_bounds: has 2 value(s); expected 1
    """
    _walk(content)
    rules = _check_inputs(content["inputs"])
    _section(content["model"], "model", dict)
    check = _MODEL_CHECKS.get(content["kind"])
    if check is not None:
        check(content["model"], rules)
    _check_calibration(content["calibration"], content["kind"])
    _check_master_scale(content["master_scale"])
    for key in ("credit_limit", "metadata"):
        if content.get(key) is not None:
            _section(content[key], key, dict)
    return content


# --------------------------------------------------------------------------- inputs
_SCALAR_TYPES = (str, bytes, int, float, type(None), np.generic)
# element types a "number" field accepts (bool is refused: it is a flag, not an amount)
_NUMBER_TYPES = frozenset({int, float, type(None), np.float64, np.float32, np.float16,
                           np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32,
                           np.uint16, np.uint8})
_MISSING_TYPE_NAMES = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or type(v).__name__ in _MISSING_TYPE_NAMES


def _object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


class CodedLabels:
    """A column of category labels held as integer codes into a few categories.

    ``labels[i] == categories[codes[i]]``; the last category is ``None``, which the
    missing code -1 indexes (as numpy indexing counts from the end). Built from a
    categorical input (pandas ``Categorical``, an Arrow dictionary array, Arrow-backed
    strings) without a Python object per record, it lets :func:`prepare_inputs` check
    and :func:`bin_index` look up each category once and index by the codes. The
    object array of the labels is built only when something reads the labels
    themselves (``numpy.asarray``, a ufunc, indexing, ``==``, ``tolist``), once,
    read-only; what is derived from it (a slice, ``np.equal(labels, None)``) is a
    plain array without codes.

    Examples
    --------
    >>> coded = CodedLabels.from_codes(np.array(["a", "b"], dtype=object), np.array([1, -1, 0]))
    >>> coded.tolist(), coded.codes.tolist(), coded.categories.tolist()
    (['b', None, 'a'], [1, -1, 0], ['a', 'b', None])
    >>> (coded == "b").tolist(), type(coded[:2]) is np.ndarray
    ([True, False, False], True)
    """

    __slots__ = ("categories", "codes", "_labels")
    ndim = 1
    dtype = np.dtype(object)
    __hash__ = None

    def __init__(self, categories: np.ndarray, codes: np.ndarray):
        """``categories`` end with None; ``codes`` (integers, -1 = missing) index them."""
        self.categories, self.codes, self._labels = categories, codes, None

    @classmethod
    def from_codes(cls, categories, codes: np.ndarray) -> CodedLabels:
        """Labels ``categories[codes]``; code -1 (or any negative) means missing.

        The codes are kept as given (pandas: int8 for a few categories), not copied.
        """
        cats = np.empty(len(categories) + 1, dtype=object)
        cats[:-1] = list(categories)
        codes = np.asarray(codes)
        if codes.dtype.kind == "i" and len(codes) and codes.min() < -1:
            codes = np.maximum(codes, -1)  # another negative code would index a known category
        return cls(cats, codes)

    @property
    def shape(self) -> tuple:
        return self.codes.shape

    def __len__(self) -> int:
        return len(self.codes)

    def labels(self) -> np.ndarray:
        """The labels as a read-only object array (built on the first call)."""
        if self._labels is None:
            labels = self.categories.take(self.codes)
            labels.flags.writeable = False
            self._labels = labels
        return self._labels

    def __array__(self, dtype=None, copy=None):
        labels = self.labels()
        if dtype is not None and np.dtype(dtype) != labels.dtype:
            return labels.astype(dtype)
        return labels.copy() if copy else labels

    def __getitem__(self, key):
        return self.labels()[key]

    def __iter__(self):
        return iter(self.labels())

    def __eq__(self, other):
        return np.equal(self.labels(), other)

    def __ne__(self, other):
        return np.not_equal(self.labels(), other)

    def tolist(self) -> list:
        return self.labels().tolist()

    def take(self, rows) -> CodedLabels:
        """The records ``rows`` (indices or a boolean mask), still as codes."""
        return CodedLabels(self.categories, self.codes[rows])


def _take(values, rows) -> np.ndarray:
    """``values[rows]``, keeping the codes of a :class:`CodedLabels`."""
    return values.take(rows) if isinstance(values, CodedLabels) else values[rows]


def lookup_labels(table: dict, values, default, dtype) -> np.ndarray:
    """``table.get(label, default)`` for each label, as a ``dtype`` array.

    A :class:`CodedLabels` is looked up once per category and indexed by its codes;
    other arrays once per record (``map`` over ``dict.get`` runs in C).

    Examples
    --------
    >>> coded = CodedLabels.from_codes(np.array(["a", "b"], dtype=object), np.array([1, -1, 0]))
    >>> lookup_labels({"a": 1.0, "b": 2.0}, coded, np.nan, float).tolist()
    [2.0, nan, 1.0]
    """
    codes = getattr(values, "codes", None)
    if codes is not None:
        cats = values.categories.tolist()
        return np.fromiter(map(table.get, cats, repeat(default)), dtype=dtype, count=len(cats))[codes]
    labels = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return np.fromiter(map(table.get, labels, repeat(default)), dtype=dtype, count=len(labels))


def _arrow_codes(arr):
    """(codes, categories) of an Arrow dictionary array or chunked array, else None.

    Duck-typed (no pyarrow import): an object with ``indices`` and ``dictionary``, or
    ``chunks`` of such; missing entries get code -1.
    """
    chunks = getattr(arr, "chunks", None)
    parts = chunks if chunks is not None else [arr]
    if not all(hasattr(c, "indices") and hasattr(c, "dictionary") for c in parts):
        return None
    codes, categories = [], []
    for chunk in parts:
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        idx = np.where(valid, np.nan_to_num(idx, nan=-1).astype(np.int64) + len(categories), -1)
        codes.append(idx)
        categories.extend(chunk.dictionary.to_pylist())
    return (np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)), categories


def _coded_column(col):
    """A :class:`CodedLabels` for a categorical or Arrow string column, else None."""
    cat = getattr(col, "cat", None)  # pandas Series of dtype category
    source = cat if cat is not None and hasattr(cat, "codes") else col
    if hasattr(source, "codes") and hasattr(source, "categories"):
        codes = np.asarray(source.codes)
        if codes.ndim == 1 and codes.dtype.kind in "iu":
            return CodedLabels.from_codes(np.asarray(source.categories, dtype=object), codes)
    arrow = col
    if not hasattr(arrow, "dictionary_encode"):  # a pandas Arrow-backed array or Series
        dtype = getattr(col, "dtype", None)
        array = getattr(col, "array", col)
        if not hasattr(array, "__arrow_array__") or not (
                getattr(dtype, "storage", None) == "pyarrow" or hasattr(dtype, "pyarrow_dtype")):
            return None
        arrow = array.__arrow_array__()
    found = _arrow_codes(arrow)
    if found is None:
        kind = str(getattr(arrow, "type", ""))
        if kind not in ("string", "large_string", "string_view") or not hasattr(arrow, "dictionary_encode"):
            return None
        found = _arrow_codes(arrow.dictionary_encode())
        if found is None:
            return None
    return CodedLabels.from_codes(*reversed(found))


def column_array(col) -> np.ndarray:
    """A 1-d numpy array from a column; nullable numeric columns become float with NaN.

    Python lists stay objects, so ``[1.5, "high", True]`` is not turned into strings
    or numbers behind the caller's back. Categorical and Arrow string columns become
    :class:`CodedLabels` (labels plus codes, no Python object built per record).

    Examples
    --------
    >>> column_array([1.5, "high"]).dtype
    dtype('O')
    """
    if isinstance(col, (list, tuple)):
        return _object_array(list(col))
    if isinstance(col, (np.ndarray, CodedLabels)):
        return col
    dtype = getattr(col, "dtype", None)
    if isinstance(dtype, np.dtype) and hasattr(col, "to_numpy"):  # a numpy-backed pandas column
        return col.to_numpy()
    coded = _coded_column(col)
    if coded is not None:
        return coded
    if hasattr(col, "to_numpy") and not isinstance(dtype, np.dtype) and getattr(dtype, "kind", "O") in "iuf":
        return col.to_numpy(dtype=float, na_value=np.nan)  # pandas Int64/Float64 with <NA>
    if hasattr(col, "to_numpy") and hasattr(col, "null_count") and hasattr(col, "type"):
        return col.to_numpy(zero_copy_only=False)  # an Arrow array: nulls -> NaN / None
    return col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)


def _keep(keys, names) -> list:
    """The keys to convert: those in ``names`` (all when None). When none is, the first key
    is kept, so the number of records is still known."""
    keys = list(keys)
    if names is None:
        return keys
    wanted = set(names)
    kept = [k for k in keys if str(k) in wanted]
    return kept or keys[:1]


def _at_least_1d(values):
    return values if isinstance(values, CodedLabels) else np.atleast_1d(values)


def as_columns(records, names=None) -> tuple[dict, bool]:
    """Turn records into a dict of 1-d arrays; the flag says whether one record was given.

    Accepts one dict of scalars, a list of dicts, a dict of arrays, a frame-like
    object with ``columns`` (pandas, polars ...) or an Arrow table / record batch
    (``column_names``). Categorical and Arrow string columns arrive as
    :class:`CodedLabels`.

    Parameters
    ----------
    records : the records.
    names : convert only these fields (the bundle's inputs); None converts every field.

    Examples
    --------
    >>> cols, single = as_columns([{"a": 1.0, "b": "x"}, {"a": 2.0}])
    >>> cols["a"].tolist(), cols["b"].tolist(), single
    ([1.0, 2.0], ['x', None], False)
    >>> as_columns({"a": 1.5})[1]
    True
    >>> list(as_columns({"a": [1.0], "b": [2.0]}, names=["b"])[0])
    ['b']
    """
    if isinstance(records, dict):
        if all(isinstance(v, _SCALAR_TYPES) or np.ndim(v) == 0 for v in records.values()) and records:
            return {k: _object_array([records[k]]) for k in _keep(records, names)}, True
        return {k: _at_least_1d(column_array(records[k])) for k in _keep(records, names)}, False
    if isinstance(records, (list, tuple)):
        if not all(isinstance(r, dict) for r in records):
            raise BundleError("a list of records must hold dicts")
        keys = _keep(dict.fromkeys(k for r in records for k in r), names)
        return {k: _object_array([r.get(k) for r in records]) for k in keys}, False
    if hasattr(records, "column_names") and hasattr(records, "column"):  # Arrow table or batch
        return {str(k): column_array(records.column(k))
                for k in _keep(records.column_names, names)}, False
    if hasattr(records, "columns"):
        return {str(k): column_array(records[k]) for k in _keep(records.columns, names)}, False
    raise BundleError(f"cannot score a {type(records).__name__}: give a dict, a list of dicts or a frame")


def number_column(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float array (NaN = missing) and a mask of elements that are not numbers at all.

    Examples
    --------
    >>> x, wrong = number_column(np.array([1, "a", None], dtype=object))
    >>> x.tolist(), wrong.tolist()
    ([1.0, nan, nan], [False, True, False])
    """
    n = len(values)
    kind = values.dtype.kind
    none_wrong = np.broadcast_to(False, (n,))  # read-only, no array of n flags to fill
    if kind == "f":
        return values.astype(float, copy=False), none_wrong
    if kind in "iu":
        return values.astype(float), none_wrong
    if kind != "O":  # bool, str, bytes, datetime: the whole column has the wrong type
        return np.full(n, np.nan), np.ones(n, dtype=bool)
    items = values.tolist()
    if set(map(type, items)) <= _NUMBER_TYPES:
        return np.array(items, dtype=float), none_wrong
    wrong = np.fromiter((type(v) not in _NUMBER_TYPES and not _is_missing(v) for v in items),
                        dtype=bool, count=n)
    clean = [None if bad or _is_missing(v) else v for v, bad in zip(items, wrong.tolist(), strict=True)]
    return np.array(clean, dtype=float), wrong


def category_label(v):
    """The one label of a category value, used by fitting, transforming, bundles and the scorer.

    Missing values (None, NaN, pandas NA) give None; strings stay as they are;
    a whole float is the integer code it stands for (``3.0`` and ``3`` are one
    category, as when a gap turns an integer column into floats); any other
    value is ``str(v)``.

    Examples
    --------
    >>> [category_label(v) for v in (3, 3.0, np.int64(3), np.float32(3), "3.0", 2.5, True, None, np.nan)]
    ['3', '3', '3', '3', '3.0', '2.5', 'True', None, None]
    """
    if _is_missing(v) or (isinstance(v, np.floating) and v != v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))  # a code read as float because of a gap elsewhere: 3.0 -> "3"
    return str(v)


def category_column(values: np.ndarray) -> np.ndarray:
    """Object array of str labels (None = missing); float codes read as 3.0 become "3".

    Examples
    --------
    >>> category_column(np.array([3.0, np.nan])).tolist()
    ['3', None]
    """
    if values.dtype.kind == "U":
        return values.astype(object)
    if values.dtype.kind == "O":
        items = values.tolist()
        if set(map(type, items)) <= {str}:
            return values
        return np.array([category_label(v) for v in items] + [None], dtype=object)[:-1]
    return np.array([category_label(v) for v in values.tolist()] + [None], dtype=object)[:-1]


def _rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:5])
    return f"[{shown}]" + (f" (+{len(rows) - 5} more)" if len(rows) > 5 else "")


def prepare_inputs(rules: list, columns: dict, errors: dict | None = None) -> tuple[dict, int]:
    """Apply the bundle's input rules to the columns; return cleaned columns and n.

    Numbers become float arrays (NaN = missing), categories become object arrays
    of str (None = missing). Per rule: a missing field, a value of the wrong type,
    NaN/None (``missing``: error | allow | impute with ``fill``), +/-inf, a value
    outside [``min``, ``max``] (``out_of_range``: error | clip | allow) and a
    category not in ``categories`` (``unknown``: error | allow). Fields not in
    the rules are ignored.

    Parameters
    ----------
    rules : the bundle's ``inputs`` section.
    columns : dict of 1-d arrays (see :func:`as_columns`).
    errors : when a dict, broken rules are recorded there as
        ``{record_index: [messages]}`` instead of raising.

    Returns
    -------
    (dict of prepared arrays, number of records)

    Raises
    ------
    BundleError
        naming the field, the rule and the first record indices.

    Examples
    --------
    >>> rules = [{"name": "x", "type": "number", "min": 0, "max": 1}]
    >>> prepare_inputs(rules, {"x": np.array([0.5, 2.0, 3.0])})
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: field 'x': above the allowed max 1 at record(s) [1, 2]
    >>> found = {}
    >>> cols, n = prepare_inputs(rules, {"x": np.array([0.5, 2.0])}, found)
    >>> found
    {1: ['x: above the allowed max 1']}
    """
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise BundleError(f"input columns have different lengths {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    out = {}

    def fail(name, rows, what, values=None):
        """Raise or record a broken rule; ``what`` may be a function of the record's value
        (with ``values``), so each reported record names its own value."""
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows
        if errors is None:
            text = what(values[rows[0]]) if callable(what) else what
            raise BundleError(f"field {name!r}: {text} at record(s) {_rows_text(rows)}")
        for r in rows.tolist():
            errors.setdefault(r, []).append(f"{name}: {what(values[r]) if callable(what) else what}")

    for rule in rules:
        name = rule["name"]
        numeric = rule["type"] == "number"
        if name in columns:
            values = columns[name]
            if not isinstance(values, CodedLabels):
                values = np.asanyarray(values)
            if values.ndim != 1:
                raise BundleError(f"field {name!r}: expected one value per record, got shape {values.shape}")
        else:
            values = np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)
            if rule.get("required", True):
                if errors is None or n == 0:
                    raise BundleError(f"missing required field {name!r}")
                fail(name, np.ones(n, dtype=bool), "missing required field")
                out[name] = values
                continue
            if numeric:
                constant = _absent_number(rule)
                if constant is not None:  # every record gets the same allowed value: no pass over it
                    out[name] = np.full(n, constant)
                    continue
        policy = rule.get("missing", "error")
        if numeric:
            x, wrong = number_column(values)
            range_policy = rule.get("out_of_range", "error")
            bounded = range_policy != "allow" and (rule.get("min") is not None or rule.get("max") is not None)
            if not n:
                smallest = largest = 0.0
            elif bounded:
                # the smallest and the largest value tell whether the column is all finite numbers
                # (NaN and +/-inf show there; the usual case): then there is nothing wrong, infinite
                # or missing to look for, and the range check reads the same two numbers
                smallest, largest = x.min(), x.max()
            else:
                # x . x is finite exactly when every value is (NaN and inf propagate, squares do not
                # cancel; an overflow only sends the column to the full checks): one pass, not two
                with np.errstate(over="ignore"):
                    smallest = largest = float(np.dot(x, x))
            clean = bool(math.isfinite(smallest) and math.isfinite(largest))
            if not clean:
                if wrong.any():
                    fail(name, wrong, lambda v: f"not a number ({type(v).__name__} {v!r})", values)
                inf = np.isinf(x)
                if inf.any():
                    fail(name, inf, "infinite value")
                    x = np.where(inf, np.nan, x)
                if policy != "allow":  # an allowed missing value needs no flags
                    miss = np.isnan(x)
                    if wrong.any():  # wrong-typed values are NaN here, not missing
                        miss &= ~wrong
                    if miss.any():
                        if policy == "impute":
                            x = np.where(miss, float(rule["fill"]), x)
                        elif policy == "error":
                            fail(name, miss, "missing value")
            for bound, op, word in (("min", np.less, "below"), ("max", np.greater, "above")):
                limit = rule.get(bound)
                if limit is None or range_policy == "allow":
                    continue
                if clean and not op(smallest if bound == "min" else largest, limit):
                    continue  # the extreme value is within the bound: so is every value
                off = op(x, limit)  # NaN compares False
                if off.any():
                    if range_policy == "clip":
                        x = np.where(off, float(limit), x)
                    else:
                        fail(name, off, f"{word} the allowed {bound} {limit}")
            out[name] = x
        elif getattr(values, "codes", None) is not None:
            out[name] = _prepare_coded(rule, name, values, fail)
        else:
            cats = category_column(values)
            # cats is values only when every value already is a str label
            miss = np.zeros(n, dtype=bool) if cats is values else np.equal(cats, None)
            if miss.any():
                if policy == "impute":
                    cats = np.where(miss, str(rule["fill"]), cats)
                elif policy == "error":
                    fail(name, miss, "missing value")
            allowed = rule.get("categories")
            if allowed is not None and rule.get("unknown", "error") == "error":
                known = frozenset(allowed)
                unknown = np.fromiter(map(known.__contains__, cats.tolist()), dtype=bool, count=n)
                unknown = ~unknown & ~np.equal(cats, None)
                if unknown.any():
                    shown = sorted(known)[:10]
                    fail(name, unknown, lambda v, shown=shown: f"unknown category {v!r} (known: {shown})",
                         cats)
            out[name] = cats
    return out, n


def _absent_number(rule: dict) -> float | None:
    """The value every record takes when an optional number field is not given at all:
    NaN (missing allowed) or the fill (imputed; clipped into range when the rule clips), or
    None when that value breaks a rule (the full checks then report each record)."""
    policy = rule.get("missing", "error")
    if policy == "allow":
        return math.nan
    if policy != "impute":
        return None
    value = float(rule["fill"])
    range_policy = rule.get("out_of_range", "error")
    lo, hi = rule.get("min"), rule.get("max")
    if range_policy == "allow":
        return value
    if lo is not None and value < lo:
        return float(lo) if range_policy == "clip" else None
    if hi is not None and value > hi:
        return float(hi) if range_policy == "clip" else None
    return value


def _prepare_coded(rule: dict, name: str, values: CodedLabels, fail) -> CodedLabels:
    """The category rules of :func:`prepare_inputs` applied to each category once.

    The labels, the missing and the unknown flags are found per category and
    spread to the records by their codes, so the result equals the per-record path.
    """
    codes = values.codes
    labels = category_column(values.categories).copy()  # the one label rule, per category
    missing = np.equal(labels, None)
    policy = rule.get("missing", "error")
    if policy == "impute":
        labels[missing] = str(rule["fill"])
    same = labels.tolist() == values.categories.tolist()
    cats = values if same else CodedLabels(labels, codes)  # labels as given: no second copy
    if policy == "error" and missing.any():
        # usually only the last category (None, for a missing code) is missing: one comparison
        # of the codes, not a lookup per record
        miss = missing[codes] if missing[:-1].any() else np.equal(codes, -1)
        if miss.any():
            fail(name, miss, "missing value")
    allowed = rule.get("categories")
    if allowed is not None and rule.get("unknown", "error") == "error":
        known = frozenset(allowed)
        strange = np.array([v is not None and v not in known for v in labels.tolist()], dtype=bool)
        if strange.any():
            unknown = strange[codes]
            if unknown.any():
                shown = sorted(known)[:10]
                fail(name, unknown, lambda v: f"unknown category {v!r} (known: {shown})", cats)
    return cats


def _rule_plan(rules: list) -> list:
    """The input rules as tuples for :func:`_record_values` (read once per Scorer)."""
    plan = []
    for rule in rules:
        numeric = rule["type"] == "number"
        policy = rule.get("missing", "error")
        fill = None
        if policy == "impute":
            fill = float(rule["fill"]) if numeric else str(rule["fill"])
        allowed = rule.get("categories")
        lo, hi = rule.get("min"), rule.get("max")
        plan.append((rule["name"], numeric and lo is None and hi is None,
                     (numeric, policy in ("allow", "impute"), policy == "allow", rule.get("required", True),
                      fill, lo, hi, None if allowed is None else frozenset(allowed))))
    return plan


def _record_values(plan: list, record: dict) -> dict | None:
    """One clean record's values as Python scalars, or None when any rule needs a look.

    ``plan`` is :func:`_rule_plan` of the input rules. Numbers become float (NaN = an
    allowed missing value), categories str (None = an allowed missing value). It
    accepts only values that :func:`prepare_inputs` would pass unchanged (finite
    numbers within bounds, known categories, and a missing value — None, NaN or an
    absent optional field — where the rule allows or imputes it), so both paths
    agree; anything else goes to the checked path, which raises or reports it as for
    a batch.
    """
    out = {}
    for name, unbounded, rule in plan:
        v = record.get(name)
        if unbounded and type(v) is float and v - v == 0.0:  # a finite float: the usual case
            out[name] = v
            continue
        numeric, may_miss, allow, required, fill, lo, hi, allowed = rule
        if v is None or (type(v) is float and v != v):
            if not may_miss or (required and name not in record):
                return None
            if allow:
                out[name] = math.nan if numeric else None
                continue
            v = fill  # imputed: the fill then meets the same checks as a given value
        if numeric:
            if type(v) not in (float, int) or not math.isfinite(v):
                return None
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return None
            out[name] = float(v)
        else:
            if type(v) is not str or (allowed is not None and v not in allowed):
                return None
            out[name] = v
    return out


def _record_columns(rules: list, values: dict) -> dict:
    """One clean record's values (see :func:`_record_values`) as prepared 1-element columns."""
    return {rule["name"]: (np.array([values[rule["name"]]]) if rule["type"] == "number"
                           else _object_array([values[rule["name"]]])) for rule in rules}


def _frame_row(records) -> dict | None:
    """The row of a one-row frame (pandas: ``iloc``) as ``{column: value}``, else None.

    Duplicate column names would collapse into one key: such a frame gives None (the
    columnar path refuses it, naming the column).
    """
    iloc = getattr(records, "iloc", None)
    if iloc is None or not hasattr(records, "columns") or len(records) != 1:
        return None
    row = iloc[0].to_dict()
    return row if len(row) == len(records.columns) else None


def example_record(rules: list) -> dict:
    """One valid record for the input rules (an input example for MLflow and tests).

    Numbers take ``fill``, else the middle of [``min``, ``max``], else the bound
    given, else 0; categories take ``fill`` or the first allowed category.

    Examples
    --------
    >>> example_record([{"name": "x", "type": "number", "min": 0, "max": 4},
    ...                 {"name": "c", "type": "category", "categories": ["a", "b"]}])
    {'x': 2.0, 'c': 'a'}
    """
    record = {}
    for rule in rules:
        lo, hi, fill = rule.get("min"), rule.get("max"), rule.get("fill")
        if rule["type"] == "number":
            if fill is not None:
                value = float(fill)
            elif lo is not None and hi is not None:
                value = (float(lo) + float(hi)) / 2.0
            else:
                value = float(lo if lo is not None else hi if hi is not None else 0.0)
        else:
            value = str(fill) if fill is not None else (rule.get("categories") or ["unknown"])[0]
        record[rule["name"]] = value
    return record


# --------------------------------------------------------------------------- shared kernels
_FEW_EDGES = 64  # up to here one comparison pass per edge beats a binary search per value


def count_at_or_below(edges: np.ndarray, x: np.ndarray) -> np.ndarray:
    """How many of the increasing ``edges`` are <= each value: ``searchsorted(edges, x, "right")``.

    NaN values get an unspecified count (callers treat missing values first).

    Examples
    --------
    >>> count_at_or_below(np.array([1.0, 2.0]), np.array([0.5, 1.0, 3.0])).tolist()
    [0, 1, 2]
    """
    if len(edges) > _FEW_EDGES:
        return np.searchsorted(edges, x, side="right")
    count = np.zeros(x.shape, dtype=np.uint8)
    hit = np.empty(x.shape, dtype=bool)
    for edge in edges.tolist():  # bins: a handful of edges; a pass each, no per-value search
        np.greater_equal(x, edge, out=hit)
        count += hit
    return count


def bin_index(binning: dict, values: np.ndarray) -> np.ndarray:
    """Index of the bin of each value under a bundle binning.

    Numeric: ``{"type": "numeric", "edges": [...], "missing_bin": int|None,
    "special_bins": {"code": int}}``; bins are (-inf, e1), [e1, e2), ..., [ek, inf).
    Categorical: ``{"type": "categorical", "categories": {"label": int},
    "missing_bin": int|None, "unknown_bin": int|None}``. A value with no bin gets -1.

    Examples
    --------
    >>> bin_index({"type": "numeric", "edges": [1.0, 2.0]}, np.array([0.5, 1.0, 3.0, np.nan])).tolist()
    [0, 1, 2, -1]
    >>> bin_index({"type": "categorical", "categories": {"a": 0, "b": 1}, "unknown_bin": 2},
    ...           np.array(["b", "z", None], dtype=object)).tolist()
    [1, 2, -1]
    """
    missing_bin = binning.get("missing_bin")
    miss_value = -1 if missing_bin is None else int(missing_bin)
    if binning["type"] == "numeric":
        edges = binning.get(_COMPILED)  # a Scorer converts the edges once, at load
        if edges is None:
            edges = np.asarray(binning["edges"], dtype=float)
        x = np.asarray(values, dtype=float)
        idx = count_at_or_below(edges, x).astype(np.int64)
        miss = np.isnan(x)
        if miss.any():
            idx[miss] = miss_value
        for code, b in (binning.get("special_bins") or {}).items():
            idx = np.where(x == float(code), b, idx)
        return idx
    lookup = binning.get(_COMPILED)
    if lookup is None:
        lookup = dict(binning["categories"])
        lookup[None] = miss_value
    unknown_bin = binning.get("unknown_bin")
    default = -1 if unknown_bin is None else int(unknown_bin)
    return lookup_labels(lookup, values, default, np.int64)  # by the codes of a CodedLabels


_COMPILED = "__compiled__"  # key a Scorer adds to its private copy of each binning


def compile_binnings(section):
    """A copy of a model section whose binnings carry their lookup arrays, built once.

    Only :func:`bin_index` reads the added key; values and results are unchanged,
    the verified bundle itself is not modified.

    >>> section = {"bins": {"type": "numeric", "edges": [1.0]}}
    >>> compiled = compile_binnings(section)
    >>> bin_index(compiled["bins"], np.array([0.0, 2.0])).tolist(), _COMPILED in section["bins"]
    ([0, 1], False)
    """
    if isinstance(section, list):
        return [compile_binnings(v) for v in section]
    if not isinstance(section, dict):
        return section
    out = {k: compile_binnings(v) for k, v in section.items()}
    if out.get("type") == "numeric" and isinstance(out.get("edges"), list):
        out[_COMPILED] = np.asarray(out["edges"], dtype=float)
    elif out.get("type") == "categorical" and isinstance(out.get("categories"), dict):
        lookup = dict(out["categories"])
        missing_bin = out.get("missing_bin")
        lookup[None] = -1 if missing_bin is None else int(missing_bin)
        out[_COMPILED] = lookup
    return out


def expit(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)), without overflow warnings.

    >>> expit(np.array([0.0, -1000.0])).tolist()
    [0.5, 0.0]
    """
    out = np.negative(np.asarray(z, dtype=float))
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
            out = expit(z)
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
    labels = np.asarray(list(scale["grades"]) + [None], dtype=object)
    return labels[grade_index(scale, pd)]


def grade_index(scale: dict, pd: np.ndarray) -> np.ndarray:
    """Index into the scale's grades of each PD (see :func:`grade_of`); NaN PD gets -1.

    >>> grade_index({"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]}, np.array([0.0, 0.5, np.nan])).tolist()
    [0, 1, -1]
    """
    p = np.asarray(pd, dtype=float)
    if scale.get("floor") is not None:
        p = np.maximum(p, scale["floor"])
    idx = count_at_or_below(np.asarray(scale["upper_bounds"], dtype=float), p).astype(np.intp)
    np.minimum(idx, len(scale["grades"]) - 1, out=idx)
    miss = np.isnan(p)
    if miss.any():
        idx[miss] = -1
    return idx


_REASON_BLOCK = 262_144  # values per block of records in top_reasons (2 MiB of float64)


def top_reasons(contributions: np.ndarray, names: list, k: int) -> np.ndarray:
    """Names of the k features that cost the most points, per record (n × k array of str).

    ``contributions`` holds points lost per feature (>= 0, larger = worse); ties
    go to the feature listed first, NaN counts as the smallest loss.

    Examples
    --------
    >>> top_reasons(np.array([[1.0, 5.0, 5.0], [0.0, np.nan, 2.0]]), ["a", "b", "c"], 2).tolist()
    [['b', 'c'], ['c', 'a']]
    """
    if contributions is None or contributions.shape[1] == 0 or k <= 0:
        return np.empty((contributions.shape[0] if contributions is not None else 0, 0), dtype=object)
    n, f = contributions.shape
    k = min(k, f)
    # k passes, each picking per record the first feature that holds the largest loss left
    # (= a stable descending sort's first k columns, without sorting every row), then
    # setting it to -inf. NaN and -inf count as the smallest loss, yet above the features
    # already picked. Blocks of records go through a small buffer, one row per feature,
    # so every step is one vectorised pass over contiguous values that stay in cache
    # (per-record argmax or argpartition over a few features cost more per record).
    order = np.zeros((k, n), dtype=np.uint8 if f < 256 else np.intp)  # small: fewer bytes to write
    rows = max(1, min(n, _REASON_BLOCK // f))
    work = np.empty((f, rows))
    top = np.empty(rows)
    before = np.empty(rows, dtype=bool)
    other = np.empty(rows, dtype=bool)
    records = np.arange(rows)
    for a in range(0, n, rows):
        m = min(rows, n - a)
        block, best, ahead, differs = work[:, :m], top[:m], before[:m], other[:m]
        step = ahead.view(np.uint8) if order.dtype == np.uint8 else ahead  # 0/1 bytes: no cast per add
        np.fmax(contributions[a:a + m].T, np.finfo(float).min, out=block)
        for j in range(k):
            np.max(block, axis=0, out=best)
            pick = order[j, a:a + m]
            ahead.fill(True)  # still before the first feature that holds the maximum
            for feature in block[:-1]:
                np.not_equal(feature, best, out=differs)
                ahead &= differs
                pick += step
            if j + 1 < k:
                block[pick, records[:m]] = -np.inf
    # an object array of the names: a pointer per reason, not a fixed-width copy of the text
    return np.asarray(names, dtype=object)[order.T]


# --------------------------------------------------------------------------- model kernels
# A kernel takes the bundle's "model" section and the prepared input columns and
# returns a dict with "raw" (fed to the calibration steps), and optionally
# "points" (the score shown to users), "contributions" (n × f points lost per
# feature) with "reason_names". Each model kind owns its kernel below.

def _kernel_identity(model: dict, cols: dict, n: int) -> dict:
    return {"raw": cols[model["input"]]}


KERNELS = {"identity": _kernel_identity}

# ---- kind "expert" (riskmodels.scorecards): compiled spec -> 0..100 score and the card's grade
# The compiled spec (riskmodels.scorecards.spec.compile_spec) is plain data:
# {"indicators": [{"name", "aspect", "kind": "interp"|"steps"|"categorical"|"deduction",
#   "inputs": [cols], "weights": [year weights], "max_points", "missing_points": p|None, "x"/"y" |
#   "thresholds"/"values" | "table" (+ "base_input", "full", "deduct" for a deduction),
#   "by_industry": {"column", "curves": {industry: {"x", "y"}}} (optional)}],
#  "aspects": [{"name", "weight"}],
#  "grades": [best..worst], "lower_bounds": [descending score thresholds, one per score band],
#  "caps": [{"name", "indicator": i|None, "input": col|None, "op", "value", "grade": i}],
#  "adjustment": {"input", "min", "max"} | None,
#  "default": {"input": col, "grade": i} | None (obligors in default get grade i whatever the score),
#  "max_total": 100}
# The kernel's "points" and "raw" are the score (caps never change it); "policy_grade" is the
# card's grade (bands, then caps, then the default definition): the grade the policy acts on.
_CAP_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
            "==": np.equal, "!=": np.not_equal}


def _expert_value(ind: dict, cols: dict, n: int) -> np.ndarray:
    """An indicator's input: one column, or the year-weighted mean of several.

    Missing years are left out and the remaining weights renormalised.
    """
    if ind["kind"] == "categorical":
        return cols[ind["inputs"][0]]
    if len(ind["inputs"]) == 1:
        return np.asarray(cols[ind["inputs"][0]], dtype=float)
    xs = [np.asarray(cols[name], dtype=float) for name in ind["inputs"]]
    full = sum(w * x for w, x in zip(ind["weights"], xs, strict=True))
    gaps = np.isnan(full)
    if not gaps.any():
        return full
    # only records with a missing year take the renormalised mean: a record's value never
    # depends on the other records of the batch
    acc = np.zeros(int(gaps.sum()))
    wsum = np.zeros_like(acc)
    for x, w in zip(xs, ind["weights"], strict=True):
        x = x[gaps]
        seen = ~np.isnan(x)
        acc += np.where(seen, x, 0.0) * w
        wsum += seen * w
    with np.errstate(invalid="ignore", divide="ignore"):
        full[gaps] = acc / wsum
    return full


def _expert_points(ind: dict, value: np.ndarray) -> np.ndarray:
    if ind["kind"] == "interp":
        return np.interp(value, np.asarray(ind["x"], dtype=float), np.asarray(ind["y"], dtype=float))
    if ind["kind"] == "steps":
        idx = np.searchsorted(np.asarray(ind["thresholds"], dtype=float), value, side="right")
        out = np.asarray(ind["values"], dtype=float)[idx]
        return np.where(np.isnan(value), np.nan, out)
    # once per category (codes) or per record; missing (None/NaN) and unknown answers give NaN
    return lookup_labels(ind["table"], value, math.nan, float)


def expert_grade_index(lower_bounds, score: np.ndarray) -> np.ndarray:
    """Index (0 = best) of the grade band of each score; bands are [lower, next lower).

    >>> expert_grade_index([90, 80, 0], np.array([95.0, 90.0, 89.9, -1.0])).tolist()
    [0, 0, 1, 2]
    """
    lb = np.asarray(lower_bounds, dtype=float)
    idx = np.searchsorted(-lb, -np.asarray(score, dtype=float), side="left")
    return np.minimum(idx, len(lb) - 1)


def _industry_points(ind: dict, value: np.ndarray, cols: dict) -> np.ndarray:
    """Points of a numeric indicator whose reference values depend on the firm's industry."""
    out = _expert_points(ind, value)  # industries without their own table: the indicator's curve
    industry = cols[ind["by_industry"]["column"]]
    for label, curve in ind["by_industry"]["curves"].items():
        rows = np.equal(industry, label)
        if rows.any():
            out[rows] = np.interp(value[rows], np.asarray(curve["x"], dtype=float),
                                  np.asarray(curve["y"], dtype=float))
    return out


def _deduction_points(ind: dict, value: np.ndarray, cols: dict) -> np.ndarray:
    """Base points of the answer in ``base_input`` less ``deduct`` per unit below ``full``, >= 0."""
    base = lookup_labels(ind["table"], cols[ind["base_input"]], math.nan, float)
    return np.maximum(base - ind["deduct"] * np.maximum(ind["full"] - value, 0.0), 0.0)


def _kernel_expert(model: dict, cols: dict, n: int) -> dict:
    indicators = model["indicators"]
    values = np.full((n, len(indicators)), np.nan, order="F")  # column-major: filled indicator by indicator
    points = np.empty((n, len(indicators)), order="F")
    for j, ind in enumerate(indicators):
        value = _expert_value(ind, cols, n)
        if ind["kind"] != "categorical":
            values[:, j] = value
        if ind["kind"] == "deduction":
            points[:, j] = _deduction_points(ind, value, cols)
        elif "by_industry" in ind:
            points[:, j] = _industry_points(ind, value, cols)
        else:
            points[:, j] = _expert_points(ind, value)
        if ind.get("missing_points") is not None:  # e.g. ROE undefined (negative equity) scores worst
            current = cols[ind["inputs"][-1]]
            gone = np.isnan(current) if ind["kind"] != "categorical" else np.equal(current, None)
            points[:, j] = np.where(gone, ind["missing_points"], points[:, j])
    n_aspects = len(model["aspects"])
    aspect_points = np.zeros((n, n_aspects), order="F")
    for j, ind in enumerate(indicators):
        aspect_points[:, ind["aspect"]] += points[:, j]
    total = np.zeros(n)
    for j in range(len(indicators)):  # column by column: a record's sum never depends on the batch
        total += points[:, j]
    adj = model.get("adjustment")
    if adj:
        total = total + np.nan_to_num(np.asarray(cols[adj["input"]], dtype=float))
    total = np.clip(total, 0.0, model["max_total"])
    lower = model["lower_bounds"]
    before = expert_grade_index(lower, total)
    after = before.copy()
    caps = model["caps"]
    bound = np.zeros((n, len(caps)), dtype=bool, order="F")
    for c, cap in enumerate(caps):
        if cap["indicator"] is not None:
            j = cap["indicator"]
            source = values[:, j] if indicators[j]["kind"] != "categorical" else _expert_value(
                indicators[j], cols, n)
        else:
            source = cols[cap["input"]]
        if cap["op"] == "in":
            hit = lookup_labels(dict.fromkeys(cap["value"], True), source, False, bool)
        else:
            with np.errstate(invalid="ignore"):
                hit = _CAP_OPS[cap["op"]](np.asarray(source, dtype=float), cap["value"])
        bound[:, c] = hit & (before < cap["grade"])
        after = np.where(hit, np.maximum(after, cap["grade"]), after)
    # the limit reads the score, but a capped firm's score counts at most just below its capped
    # grade's band (a cap limits what the grade gives; the score itself is kept)
    ceiling = np.asarray([math.inf] + [math.nextafter(b, -math.inf) for b in lower[:-1]])
    limit_basis = np.minimum(total, ceiling[np.minimum(after, len(lower) - 1)])
    default = model.get("default")
    in_default = np.zeros(n, dtype=bool)
    if default:
        in_default = np.nan_to_num(np.asarray(cols[default["input"]], dtype=float)) != 0
        after = np.where(in_default, default["grade"], after)
    max_points = np.asarray([ind["max_points"] for ind in indicators], dtype=float)
    return {
        "raw": total,
        "points": total,
        "policy_grade": np.asarray(model["grades"], dtype=object)[after],
        "contributions": max_points - points,
        "reason_names": [ind["name"] for ind in indicators],
        "extra": {"total": total, "indicator_values": values, "indicator_points": points,
                  "aspect_points": aspect_points, "grade_before": before, "grade_after": after,
                  "caps_bound": bound, "limit_basis": limit_basis, "in_default": in_default},
    }


KERNELS["expert"] = _kernel_expert

# ---- kind "logistic" (riskmodels.models.logistic): WoE bins x coefficients -> PD, points
# model = {"intercept": a, "base_points": p0, "features": [{"name", "binning": bin_index dict,
#          "woe": [per bin], "coef": b, "points": [per bin], "best_points": max populated points}]}
# eta = a + sum_j b_j * woe_j[bin_j];  PD = expit(eta);  score = p0 + sum_j points_j[bin_j];
# contributions = best_points_j - points_j[bin_j] (points lost against the feature's best attribute).
def _kernel_logistic(model: dict, cols: dict, n: int) -> dict:
    features = model["features"]
    eta = np.full(n, float(model["intercept"]))
    points = np.full(n, float(model.get("base_points", 0.0)))
    lost = np.empty((n, len(features)), order="F")  # feature by feature: contiguous columns
    for j, feature in enumerate(features):
        idx = bin_index(feature["binning"], cols[feature["name"]])
        if (idx < 0).any():
            rows = np.flatnonzero(idx < 0)
            raise BundleError(f"field {feature['name']!r}: value with no bin at record(s) "
                              f"{[int(r) for r in rows[:5]]}")
        # per-bin tables first (a few numbers), then one gather each: the same products
        table = np.asarray(feature["points"], dtype=float)
        eta += (float(feature["coef"]) * np.asarray(feature["woe"], dtype=float))[idx]
        points += table[idx]
        lost[:, j] = (float(feature["best_points"]) - table)[idx]
    return {"raw": expit(eta), "points": points, "contributions": lost,
            "reason_names": [f["name"] for f in features]}


KERNELS["logistic"] = _kernel_logistic


# ---- kind "kmv" (riskmodels.models.kmv): balance-sheet/market inputs -> distance to default
# The inputs the kmv kernel reads, by role; a bundle's model.columns may map a role to another column.
KMV_ROLES = ("equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate")
# The normal CDF is computed without scipy from W. J. Cody's rational Chebyshev
# approximations of erfc (Cody 1969, Math. Comp. 23, 631-638; coefficients of the
# netlib specfun CALERF routine), accurate to about 1e-16 relative.
_CODY_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
           3.20937758913846947e03, 1.85777706184603153e-1)
_CODY_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
           2.84423683343917062e03)
_CODY_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_CODY_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_CODY_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_CODY_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 0.56418958354775628695
_INV_SQRT_2PI = 0.3989422804014326779


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y²) with y² split as Cody does, so the large exponent loses no digits."""
    head = np.trunc(y * 16.0) / 16.0
    return np.exp(-head * head) * np.exp(-(y - head) * (y + head))


def erfc(x) -> np.ndarray:
    """Complementary error function, vectorised, numpy only (Cody 1969).

    Parameters
    ----------
    x : array of floats (NaN stays NaN).

    Returns
    -------
    ndarray of erfc(x), relative error below 1e-13 for |x| < 26.5 (0 beyond).

    >>> erfc(np.array([0.0, 1.0, -1.0])).round(12).tolist()
    [1.0, 0.157299207050, 1.842700792950]
    """
    x = np.asarray(x, dtype=float)
    y = np.abs(x)
    out = np.full(y.shape, np.nan)
    small = y <= 0.46875
    if small.any():
        ys = y[small]
        ysq = ys * ys
        num, den = _CODY_A[4] * ysq, ysq.copy()
        for a, b in zip(_CODY_A[:3], _CODY_B[:3], strict=True):
            num += a
            num *= ysq
            den += b
            den *= ysq
        out[small] = 1.0 - ys * (num + _CODY_A[3]) / (den + _CODY_B[3])
    mid = (y > 0.46875) & (y <= 4.0)
    if mid.any():
        ym = y[mid]
        num, den = _CODY_C[8] * ym, ym.copy()
        for c, d in zip(_CODY_C[:7], _CODY_D[:7], strict=True):
            num += c
            num *= ym
            den += d
            den *= ym
        num += _CODY_C[7]
        den += _CODY_D[7]
        num /= den
        # for y <= 4 the rounding of y² costs at most ~2e-15 relative, so one exp suffices
        ym *= ym
        np.negative(ym, out=ym)
        out[mid] = np.exp(ym, out=ym) * num
    big = y > 4.0
    if big.any():
        yb = y[big]
        ysq = 1.0 / (yb * yb)
        num, den = _CODY_P[5] * ysq, ysq.copy()
        for p, q in zip(_CODY_P[:4], _CODY_Q[:4], strict=True):
            num += p
            num *= ysq
            den += q
            den *= ysq
        tail = (_INV_SQRT_PI - ysq * (num + _CODY_P[4]) / (den + _CODY_Q[4])) / yb
        out[big] = np.where(yb >= 26.543, 0.0, _exp_minus_square(np.minimum(yb, 26.543)) * tail)
    negative = x < 0.0
    out[negative] = 2.0 - out[negative]
    return out


def norm_cdf(x) -> np.ndarray:
    """Standard normal CDF Φ(x) = erfc(-x/√2)/2, numpy only; accurate in both tails.

    Parameters
    ----------
    x : array of floats.

    Returns
    -------
    ndarray of Φ(x).

    >>> norm_cdf(np.array([-1.959963984540054, 0.0])).round(12).tolist()
    [0.025, 0.5]
    """
    return 0.5 * erfc(-np.asarray(x, dtype=float) * 0.70710678118654752440)


def norm_pdf(x) -> np.ndarray:
    """Standard normal density φ(x) = exp(−x²/2)/√(2π).

    >>> round(float(norm_pdf(0.0)), 12)
    0.398942280401
    """
    x = np.asarray(x, dtype=float)
    return _INV_SQRT_2PI * np.exp(-0.5 * x * x)


# Status codes of merton_solve (riskmodels.models.kmv.MERTON_STATUS names them).
(MERTON_CONVERGED, MERTON_NO_DEBT, MERTON_ZERO_VOL, MERTON_NO_EQUITY, MERTON_FAILED, MERTON_PROXY,
 MERTON_DEGENERATE) = range(7)
MERTON_STATUS_NAMES = ("converged", "no_debt", "zero_volatility", "nonpositive_equity", "not_converged",
                       "proxy", "degenerate")
# A root of the Merton equations with an asset volatility below this carries no information:
# the equations hold only because the call price is lost in the rounding of
# V·Φ(d1) − K·Φ(d2) (equity 1 against debt 1.4e8 solves with σV = 3e-9 and DD 1.9; debt
# 1e15 gives DD 5.6e11). Such firms get status "degenerate" and no DD.
MERTON_MIN_ASSET_VOL = 1e-6


def _merton_residuals(u, s, equity, equity_vol, strike, sqrt_t):
    """Relative residuals of the two Merton equations at V = e^u, σV = e^s, plus the pieces."""
    value, vol = np.exp(u), np.exp(s)
    vol_t = vol * sqrt_t
    d1 = np.log(value / strike) / vol_t + 0.5 * vol_t
    nd1, nd2 = norm_cdf(d1), norm_cdf(d1 - vol_t)
    call = value * nd1 - strike * nd2
    f1 = call / equity - 1.0
    f2 = value * nd1 * vol / (equity * equity_vol) - 1.0
    # the call price cancels digits when equity << assets: do not ask for more than float gives
    floor = 8.0 * np.finfo(float).eps * (value * nd1 + strike * nd2) / equity
    return f1, f2, d1, nd1, vol_t, floor

_BISECTION_STEPS = 80


def merton_asset_value(equity, vol, strike, sqrt_t, tol, max_iter=200):
    """Asset value V with V·Φ(d1) − K·Φ(d2) = E for a fixed asset volatility.

    Newton from V = E + K, which lies right of the root of this convex increasing
    function, so the iterates fall monotonically onto it.

    Parameters
    ----------
    equity : equity values E (> 0), arrays broadcast.
    vol : asset volatility σV (> 0).
    strike : discounted debt K = D·e^(−rT) (> 0).
    sqrt_t : √T.
    tol : relative error of the call price at which to stop.
    max_iter : most Newton steps.

    Returns
    -------
    (V, Φ(d1)) : arrays.

    >>> v, _ = merton_asset_value(np.array([3.0]), 0.2123047134, 10.0 * math.exp(-0.05), 1.0, 1e-12)
    >>> v.round(4).tolist()
    [12.3954]
    """
    value = equity + strike
    vol_t = vol * sqrt_t
    for _ in range(max_iter):
        d1 = np.log(value / strike) / vol_t + 0.5 * vol_t
        nd1 = norm_cdf(d1)
        nd2 = norm_cdf(d1 - vol_t)
        gap = value * nd1 - strike * nd2 - equity
        if np.all(gap <= tol * equity + 8.0 * np.finfo(float).eps * (value * nd1 + strike * nd2)):
            break
        value = np.maximum(value - np.maximum(gap, 0.0) / nd1, 0.5 * value)
    return value, nd1


def _merton_bisect(equity, equity_vol, strike, sqrt_t, tol, n_halvings):
    """Fallback for rows where Newton failed: bisection on ln σV of the volatility equation.

    g(σV) = V(σV)·Φ(d1)·σV/(E·σE) − 1 is negative at σV = E·σE/(2(E + K)) and
    non-negative at σV = σE (equity is at least as volatile as assets), so a root
    lies in between."""
    lo = np.log(0.5 * equity * equity_vol / (equity + strike))
    hi = np.log(equity_vol)
    for _ in range(n_halvings):
        mid = 0.5 * (lo + hi)
        vol = np.exp(mid)
        value, nd1 = merton_asset_value(equity, vol, strike, sqrt_t, tol)
        above = value * nd1 * vol >= equity * equity_vol
        hi, lo = np.where(above, mid, hi), np.where(above, lo, mid)
    vol = np.exp(0.5 * (lo + hi))
    value, _ = merton_asset_value(equity, vol, strike, sqrt_t, tol)
    return np.log(value), np.log(vol)


def _merton_newton(equity, equity_vol, strike, sqrt_t, tol, max_iter):
    """Damped Newton in (ln V, ln σV) on all rows at once; rows leave the working set as they
    converge. Returns ln V, ln σV, iterations per row and whether each row converged."""
    m = len(equity)
    u_out, s_out = np.log(equity + strike), np.log(equity_vol * equity / (equity + strike))
    iterations, done = np.zeros(m, dtype=np.int64), np.zeros(m, dtype=bool)
    act, u, s, e, se, k = np.arange(m), u_out.copy(), s_out.copy(), equity, equity_vol, strike
    f1, f2, d1, nd1, vol_t, floor = _merton_residuals(u, s, e, se, k, sqrt_t)
    for it in range(max_iter + 1):
        ok = np.maximum(np.abs(f1), np.abs(f2)) <= tol + floor
        if ok.any():
            u_out[act[ok]], s_out[act[ok]], done[act[ok]] = u[ok], s[ok], True
            keep = ~ok
            act, u, s, e, se, k, f1, f2, d1, nd1, vol_t = (
                a[keep] for a in (act, u, s, e, se, k, f1, f2, d1, nd1, vol_t))
        if act.size == 0 or it == max_iter:
            break
        iterations[act] += 1
        phi = norm_pdf(d1)
        # Jacobian of (f1, f2) in (ln V, ln σV), rows divided by the positive factors a and b
        j11, j12 = nd1, phi * vol_t
        j21, j22 = nd1 + phi / vol_t, nd1 - phi * (d1 - vol_t)
        a = np.exp(u) / e
        b = a * np.exp(s) / se
        det = j11 * j22 - j12 * j21
        with np.errstate(divide="ignore", invalid="ignore"):
            g1, g2 = f1 / a, f2 / b
            du = np.clip(-(j22 * g1 - j12 * g2) / det, -2.0, 2.0)
            ds = np.clip(-(j11 * g2 - j21 * g1) / det, -2.0, 2.0)
        bad = ~(np.isfinite(du) & np.isfinite(ds))
        du[bad], ds[bad] = 0.0, -0.5  # singular Jacobian (deep out of the money): shrink σV
        merit = f1 * f1 + f2 * f2
        trial = [u + du, s + ds, *_merton_residuals(u + du, s + ds, e, se, k, sqrt_t)]
        pending = np.flatnonzero(~((trial[2] ** 2 + trial[3] ** 2 < merit)
                                   | (np.maximum(np.abs(trial[2]), np.abs(trial[3])) <= tol + trial[7])))
        step = 1.0
        while pending.size and step > 1e-12:  # backtracking: halve the step until the residual falls
            step *= 0.5
            nu, ns = u[pending] + step * du[pending], s[pending] + step * ds[pending]
            again = [nu, ns, *_merton_residuals(nu, ns, e[pending], se[pending], k[pending], sqrt_t)]
            for full, part in zip(trial, again, strict=True):
                full[pending] = part
            better = (again[2] ** 2 + again[3] ** 2 < merit[pending]) | (
                np.maximum(np.abs(again[2]), np.abs(again[3])) <= tol + again[7])
            pending = pending[~better]
        u, s, f1, f2, d1, nd1, vol_t, floor = trial
    return u_out, s_out, iterations, done


def merton_solve(equity, equity_vol, debt, rate, horizon: float, tol: float = 1e-10,
                 max_iter: int = 50) -> dict:
    """Solve E = V·Φ(d1) − D·e^(−rT)·Φ(d2) and σE·E = Φ(d1)·σV·V for (V, σV), vectorised.

    Damped Newton in (ln V, ln σV) from V0 = E + D·e^(−rT), σV0 = σE·E/V0, stopping when
    both relative residuals are below ``tol`` (or the float precision of the call price);
    rows where Newton stalls are finished by a bracketed bisection on σV. Inputs are 1-d float arrays of one length
    (no NaN; the caller validates) and ``horizon > 0``. Exact cases skip the iteration:
    D = 0 gives V = E, σV = σE; σE = 0 gives σV = 0, V = E + D·e^(−rT); E <= 0 has no
    solution. Returns ``{"asset_value", "asset_vol", "iterations", "status"}`` with
    status codes MERTON_CONVERGED, MERTON_NO_DEBT, MERTON_ZERO_VOL, MERTON_NO_EQUITY,
    MERTON_FAILED, MERTON_DEGENERATE (the last three leave NaN values, flagged by the code;
    a degenerate root has σV < MERTON_MIN_ASSET_VOL).

    Parameters
    ----------
    equity, equity_vol, debt, rate : 1-d float arrays of one length.
    horizon : years (> 0).
    tol : relative residual at which a row counts as solved.
    max_iter : Newton iterations before the bisection fallback.

    Returns
    -------
    dict of arrays: asset_value, asset_vol, iterations, status.

    >>> out = merton_solve(np.array([3.0]), np.array([0.8]), np.array([10.0]), np.array([0.05]), 1.0)
    >>> out["asset_value"].round(4).tolist(), out["asset_vol"].round(4).tolist(), out["status"].tolist()
    ([12.3954], [0.2123], [0])
    """
    equity, equity_vol, debt, rate = (np.asarray(a, dtype=float) for a in (equity, equity_vol, debt, rate))
    n = len(equity)
    value, vol = np.full(n, np.nan), np.full(n, np.nan)
    iterations = np.zeros(n, dtype=np.int64)
    status = np.full(n, MERTON_FAILED, dtype=np.int64)
    strike_all = debt * np.exp(-rate * horizon)
    no_equity = ~(equity > 0.0)
    no_debt = ~no_equity & (debt == 0.0)
    zero_vol = ~no_equity & ~no_debt & (equity_vol == 0.0)
    status[no_equity], status[no_debt], status[zero_vol] = MERTON_NO_EQUITY, MERTON_NO_DEBT, MERTON_ZERO_VOL
    value[no_debt], vol[no_debt] = equity[no_debt], equity_vol[no_debt]
    value[zero_vol], vol[zero_vol] = equity[zero_vol] + strike_all[zero_vol], 0.0

    idx = np.flatnonzero(~(no_equity | no_debt | zero_vol))
    e, se, k = equity[idx], equity_vol[idx], strike_all[idx]
    sqrt_t = math.sqrt(horizon)
    u, s, iterations[idx], done = _merton_newton(e, se, k, sqrt_t, tol, max_iter)
    stalled = np.flatnonzero(~done)
    if stalled.size:
        u[stalled], s[stalled] = _merton_bisect(e[stalled], se[stalled], k[stalled], sqrt_t, tol,
                                                 _BISECTION_STEPS)
        r1, r2, *_rest, rfl = _merton_residuals(u[stalled], s[stalled], e[stalled], se[stalled],
                                               k[stalled], sqrt_t)
        done[stalled] = np.maximum(np.abs(r1), np.abs(r2)) <= tol + rfl
        iterations[idx[stalled]] += _BISECTION_STEPS
    root_value, root_vol = np.exp(u), np.exp(s)
    degenerate = done & (root_vol < MERTON_MIN_ASSET_VOL)
    solved = idx[done & ~degenerate]
    value[solved], vol[solved] = root_value[done & ~degenerate], root_vol[done & ~degenerate]
    status[solved] = MERTON_CONVERGED
    status[idx[degenerate]] = MERTON_DEGENERATE
    return {"asset_value": value, "asset_vol": vol, "iterations": iterations, "status": status}


def merton_equity_price(value, vol, debt, rate, horizon: float):
    """Merton equity (a call on the assets) and its volatility: E = V·N(d1) − D·e^(−rT)·N(d2),
    σE = N(d1)·σV·V / E. No input checks (see ``riskmodels.models.kmv.merton_equity``).

    >>> e, s = merton_equity_price(np.array([100.0]), 0.2, 80.0, 0.05, 1.0)
    >>> round(float(e[0]), 4), round(float(s[0]), 4)
    (24.5888, 0.7553)
    """
    vol_t = vol * math.sqrt(horizon)
    d1 = (np.log(value / debt) + (rate + 0.5 * vol * vol) * horizon) / vol_t
    nd1 = norm_cdf(d1)
    equity = value * nd1 - debt * np.exp(-rate * horizon) * norm_cdf(d1 - vol_t)
    return equity, nd1 * vol * value / equity


def kmv_dd(value, vol, default_point, drift, horizon):
    """Log-form distance to default (ln(V/DPT) + (μ − σV²/2)T) / (σV√T), numpy only.

    Parameters
    ----------
    value, vol, default_point, drift : arrays broadcast (V, σV, DPT, μ).
    horizon : years.

    Returns
    -------
    ndarray of DD; +inf for DPT = 0, ±inf for σV = 0 (0 when V sits exactly on the barrier).

    >>> kmv_dd(np.array([100.0]), np.array([0.25]), np.array([70.0]), 0.0, 1.0).round(4).tolist()
    [1.3017]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.log(value / default_point) + (drift - 0.5 * vol * vol) * horizon
        dd = centre / (vol * math.sqrt(horizon))
    return np.where(np.isnan(dd) & (vol == 0.0) & (centre == 0.0), 0.0, dd)


def _kernel_kmv(model: dict, cols: dict, n: int) -> dict:
    """Distance to default per firm, mapped to a raw value for the calibration step.

    ``model = {"long_term_weight", "horizon", "drift" (null: the rate column), "tol",
    "max_iter", "pd_map": "empirical" | "normal", "dd_clip", "proxy_offset",
    "proxy": null | {"asset_value": column, "multiple": m, "group": column,
    "asset_vol": {group: σV}, "default_asset_vol": σV}, "columns"?: {role: column}}``.
    ``columns`` names the input read for a role of :data:`KMV_ROLES` (default: the role's
    own name). Firms with equity_value and
    equity_vol get (V, σV) from :func:`merton_solve` with debt = the default point; the
    others, when a proxy is set, take V = m × a book value or earnings column (DD = −inf
    where that is <= 0) and σV from their peer group. ``raw`` is Φ(−DD)
    for "normal"; for "empirical" it is DD clipped to ±dd_clip, shifted by
    proxy_offset for proxy firms, so that one ``interp`` step holds both the market
    and the proxy DD→PD maps on disjoint ranges.
    """
    horizon = float(model["horizon"])
    names = model.get("columns", {})
    absent = np.full(n, np.nan)
    rate = cols[names.get("rate", "rate")]
    dpt = cols[names.get("short_term_debt", "short_term_debt")] + \
        model["long_term_weight"] * cols[names.get("long_term_debt", "long_term_debt")]
    drift = rate if model["drift"] is None else np.full(n, float(model["drift"]))
    equity = cols.get(names.get("equity_value", "equity_value"), absent)
    equity_vol = cols.get(names.get("equity_vol", "equity_vol"), absent)
    market = ~(np.isnan(equity) | np.isnan(equity_vol))
    value, vol = np.full(n, np.nan), np.full(n, np.nan)
    status = np.full(n, MERTON_FAILED, dtype=np.int64)
    if market.any():
        sol = merton_solve(equity[market], equity_vol[market], dpt[market], rate[market], horizon,
                           tol=model["tol"], max_iter=model["max_iter"])
        value[market], vol[market], status[market] = sol["asset_value"], sol["asset_vol"], sol["status"]
    proxy = model.get("proxy")
    is_proxy = ~market if proxy else np.zeros(n, dtype=bool)
    if is_proxy.any():
        table, fallback = proxy["asset_vol"], float(proxy["default_asset_vol"])
        groups = cols[proxy["group"]][is_proxy]
        vol[is_proxy] = np.fromiter((table.get(g, fallback) for g in groups), dtype=float,
                                    count=len(groups))
        value[is_proxy] = cols[proxy["asset_value"]][is_proxy] * float(proxy.get("multiple", 1.0))
        status[is_proxy] = MERTON_PROXY
    dd = kmv_dd(value, vol, dpt, drift, horizon)
    # no equity, or a proxy asset value <= 0 (losses under an earnings multiple): at the barrier
    dd = np.where((status == MERTON_NO_EQUITY) | (is_proxy & ~(value > 0)), -np.inf, dd)
    clipped = np.clip(dd, -model["dd_clip"], model["dd_clip"])
    if model["pd_map"] == "normal":
        raw = norm_cdf(-dd)
    else:
        raw = clipped + np.where(is_proxy, model["proxy_offset"], 0.0)
    return {"raw": raw, "points": clipped,
            "extra": {"dd": dd, "asset_value": value, "asset_vol": vol, "default_point": dpt,
                      "status": status}}


KERNELS["kmv"] = _kernel_kmv


# ---- kind "crosstab" (riskmodels.models.crosstab): factor bins -> cell default rate
def _kernel_crosstab(model: dict, cols: dict, n: int) -> dict:
    """Cell PD of each record; a factor value without a bin falls back to the parent level.

    ``model = {"factors": [f1..fF], "bins": [binning per factor], "shape": [b1..bF],
    "levels": [[portfolio PD], level-1 PDs (b1), level-2 PDs (b1*b2, C order), ...]}``.
    Level L holds the PDs of the cells of the first L factors; a record uses the
    deepest level whose factors all have a bin. ``extra["cell"]`` is the flat
    cell index in the full grid (-1 when some factor has no bin).

    >>> m = {"factors": ["a", "b"], "shape": [2, 2], "levels": [[0.05], [0.02, 0.1], [0.01, 0.03, 0.08, 0.12]],
    ...      "bins": [{"type": "numeric", "edges": [1.0]},
    ...               {"type": "categorical", "categories": {"x": 0, "y": 1}, "unknown_bin": None}]}
    >>> _kernel_crosstab(m, {"a": np.array([0.0, 2.0, 2.0, np.nan]),
    ...                      "b": np.array(["y", "x", "z", "x"], dtype=object)}, 4)["raw"].tolist()
    [0.03, 0.08, 0.1, 0.05]
    """
    raw = np.full(n, float(model["levels"][0][0]))
    valid = np.ones(n, dtype=bool)
    flat = np.zeros(n, dtype=np.int64)
    for level, (name, binning, size) in enumerate(zip(model["factors"], model["bins"], model["shape"], strict=True), 1):
        idx = bin_index(binning, cols[name])
        valid &= (idx >= 0) & (idx < size)
        flat = flat * size + np.where(valid, idx, 0)
        raw = np.where(valid, np.asarray(model["levels"][level], dtype=float)[flat], raw)
    return {"raw": raw, "extra": {"cell": np.where(valid, flat, -1)}}


KERNELS["crosstab"] = _kernel_crosstab



# --------------------------------------------------------------------------- evaluation
class InvalidPDError(BundleError):
    """A model produced a PD that is NaN or outside [0, 1]; ``rows`` lists the records."""

    def __init__(self, message: str, rows: list):
        super().__init__(message)
        self.rows = rows


def pd_problems(pd_: np.ndarray, extra: dict | None = None) -> dict:
    """``{record: message}`` for every PD that is NaN or outside [0, 1] (none: empty dict).

    A KMV record names its Merton status (``degenerate``, ``not_converged`` ...).

    Examples
    --------
    >>> pd_problems(np.array([0.1, np.nan, 1.5]))
    {1: 'pd: nan, expected a probability in [0, 1]', 2: 'pd: 1.5, expected a probability in [0, 1]'}
    """
    if not len(pd_) or (pd_.min() >= 0.0 and pd_.max() <= 1.0):  # NaN fails both
        return {}
    bad = ~((pd_ >= 0.0) & (pd_ <= 1.0))
    status = (extra or {}).get("status")
    found = {}
    for r in np.flatnonzero(bad).tolist():
        why = ""
        if status is not None and 0 <= int(status[r]) < len(MERTON_STATUS_NAMES):
            why = f" (Merton status {MERTON_STATUS_NAMES[int(status[r])]})"
        found[r] = f"pd: {float(pd_[r])!r}{why}, expected a probability in [0, 1]"
    return found


def evaluate(content: dict, columns: dict, *, validate: bool = True, errors: dict | None = None) -> dict:
    """Score prepared columns with a bundle's content (no hash check): the shared path.

    The in-memory models call this with their own exported content, so their
    ``predict_proba`` and the exported scorer run the same arithmetic.

    Parameters
    ----------
    content : bundle content (sealed or not).
    columns : dict of 1-d arrays, one per input field.
    validate : apply the input rules first (:func:`prepare_inputs`).
    errors : passed to :func:`prepare_inputs` (report instead of raise); records whose PD
        comes out NaN or outside [0, 1] are added to it too (see :func:`pd_problems`).
        Without it such records raise :class:`InvalidPDError`.

    Returns
    -------
    dict of arrays ``{"pd", "score", "grade", "grade_index", "grade_labels", "policy_grade",
    "scale_grade", "raw", "contributions", "reason_names", "extra"}``. ``scale_grade`` is the
    master-scale grade of the PD; ``policy_grade`` the grade the model itself assigns (an
    expert card's grade; None for the statistical models); ``grade`` is the policy grade
    where there is one, else the master-scale grade; ``grade == grade_labels[grade_index]``
    (index -1: no grade).

    Examples
    --------
    >>> content = {"kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...            "model": {"input": "p"}, "calibration": [{"method": "logit_shift", "delta": 0.0}],
    ...            "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> evaluate(content, {"p": np.array([0.1, 0.9])})["grade"].tolist()
    ['A', 'D']
    """
    if validate:
        cols, n = prepare_inputs(content["inputs"], columns, errors)
    else:
        cols, n = columns, len(next(iter(columns.values()))) if columns else 0
    out = KERNELS[content["kind"]](content["model"], cols, n)
    pd_ = apply_calibration(content["calibration"], out["raw"])
    problems = pd_problems(pd_, out.get("extra", {}))
    if problems:
        if errors is None:
            rows = np.fromiter(problems, dtype=np.int64)
            first = problems[int(rows[0])]
            raise InvalidPDError(f"{len(rows)} record(s) {_rows_text(rows)} have no valid PD; first: {first}",
                                 rows.tolist())
        for r, message in problems.items():
            errors.setdefault(r, []).append(message)
    scale = content["master_scale"]
    scale_index = grade_index(scale, pd_)
    scale_grade = np.asarray(list(scale["grades"]) + [None], dtype=object)[scale_index]
    policy = out.get("policy_grade")
    if policy is None:
        index, labels = scale_index, list(scale["grades"])
    else:
        index, labels = out["extra"]["grade_after"], list(content["model"]["grades"])
    return {
        "pd": pd_,
        "score": out.get("points"),
        "grade": scale_grade if policy is None else policy,
        "grade_index": index,
        "grade_labels": labels,
        "policy_grade": policy,
        "scale_grade": scale_grade,
        "raw": out["raw"],
        "contributions": out.get("contributions"),
        "reason_names": out.get("reason_names", []),
        "extra": out.get("extra", {}),
    }


def credit_limit(rule: dict | None, grades: np.ndarray, cols: dict, basis=None, *,
                 grade_codes: tuple | None = None) -> np.ndarray | None:
    """Credit limit per record (002 「客户资信评估管理办法」 五.4 and 六).

    Two forms of ``rule``:

    * by score (expert cards): ``{"basis": "score", "bands": [[min_score, coefficient], ...]
      (highest min first), "current_assets", "monthly_sales", "ratio_cap": 2, "reference":
      field|None, "reference_cap": bool, "default_grade": grade|None}``. The document's
      formula ``monthly_sales × coefficient(score) × min(current_assets / monthly_sales,
      ratio_cap) / 2``, bounded by ``monthly_sales`` (this year's monthly contracted sales)
      and ``current_assets / 2``, and by ``reference`` (last year's monthly payments) when
      ``reference_cap``; the default grade gets 0. ``basis`` is the score per record.
    * by grade: ``{"coefficients": {grade: c}, "current_assets", "monthly_sales"}`` →
      ``coefficient[grade] × min(current_assets / 2, monthly_sales)``; grades without a
      coefficient get 0.

    Records without a grade (or score) get NaN. ``grade_codes``, when given, is
    ``(index, labels)`` with ``grades == labels[index]`` (index -1: no grade): the grade
    rules are then looked up once per grade, not per record.

    Examples
    --------
    >>> rule = {"basis": "score", "bands": [[80.0, 1.0], [60.0, 0.5], [0.0, 0.0]], "ratio_cap": 2.0,
    ...         "current_assets": "ca", "monthly_sales": "ms", "default_grade": "D"}
    >>> credit_limit(rule, np.array(["A", "B", "D"], dtype=object),
    ...              {"ca": np.array([100.0, 100.0, 100.0]), "ms": np.array([80.0, 20.0, 5.0])},
    ...              basis=np.array([85.0, 60.0, 90.0])).tolist()
    [50.0, 10.0, 0.0]
    >>> rule = {"coefficients": {"A": 1.0, "B": 0.5}, "current_assets": "ca", "monthly_sales": "ms"}
    >>> credit_limit(rule, np.array(["A", "B", "D"], dtype=object),
    ...              {"ca": np.array([100.0, 100.0, 100.0]), "ms": np.array([80.0, 20.0, 5.0])}).tolist()
    [50.0, 10.0, 0.0]
    """
    if not rule:
        return None
    needed = [("current_assets", rule["current_assets"]), ("monthly_sales", rule["monthly_sales"])]
    if rule.get("reference_cap") and rule.get("reference"):
        needed.append(("reference", rule["reference"]))
    for key, field in needed:
        if field not in cols:
            raise BundleError(f"credit_limit needs the input field {field!r} ({key}); "
                              "add it to the bundle inputs")
    assets = np.asarray(cols[rule["current_assets"]], dtype=float)
    sales = np.asarray(cols[rule["monthly_sales"]], dtype=float)
    if grade_codes is None:  # one code per distinct label, found in one pass over the records
        found: dict = {}
        labels = grades.tolist() if isinstance(grades, np.ndarray) else list(grades)
        index = np.fromiter(map(found.setdefault, labels, map(len, repeat(found))), dtype=np.intp,
                            count=len(labels))
        names = list(found)
        if None in found:  # no grade: code -1, as in grade_codes
            index[index == found[None]] = -1
    else:
        index, names = grade_codes
    if rule.get("basis") != "score":
        lookup = {str(g): float(c) for g, c in rule["coefficients"].items()}
        lookup[None] = math.nan
        coef = np.asarray([lookup.get(g, 0.0) for g in names] + [math.nan])[index]
        return coef * np.minimum(assets / 2.0, sales)
    if basis is None:
        raise BundleError("a score-keyed credit limit needs the score of each record")
    mins = np.asarray([b[0] for b in rule["bands"]], dtype=float)
    coefs = np.asarray([b[1] for b in rule["bands"]] + [0.0], dtype=float)  # below the last band: 0
    score = np.asarray(basis, dtype=float)
    # first band with min <= score: after the bands whose min is above it, i.e. band
    # len(mins) - (how many mins are <= score); the coefficients are read by that count
    coef = coefs[::-1][count_at_or_below(mins[::-1].copy(), score)]
    # in place: the same operations, fewer arrays; a ratio that overflows to inf is capped next
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ratio = np.divide(assets, sales)
        np.minimum(ratio, rule["ratio_cap"], out=ratio)
        limit = np.multiply(sales, coef)
        limit *= ratio
        limit /= 2.0
    limit[sales == 0] = 0.0  # nothing contracted: nothing to grant
    half = np.divide(assets, 2.0)
    np.minimum(limit, np.minimum(sales, half, out=half), out=limit)
    if rule.get("reference_cap") and rule.get("reference"):
        limit = np.minimum(limit, np.asarray(cols[rule["reference"]], dtype=float))
    if rule.get("default_grade") is not None:
        limit[np.asarray([g == rule["default_grade"] for g in names] + [False])[index]] = 0.0
    limit[(index < 0) | np.isnan(score)] = math.nan
    return limit


# --------------------------------------------------------------------------- one record
# A record scored alone spends its time in numpy's per-call overhead, not in arithmetic.
# For the logistic and cross-tab kinds (no credit-limit rule) a Scorer builds these plain
# Python tables once, at load, and scores one clean record with bisect and list lookups:
# the same operations in the same order as the batch kernels, so the same bits (the
# exponential and the calibration steps still run through numpy, as in a batch).
def _binning_plan(binning: dict) -> tuple:
    """A bundle binning as Python tables for :func:`_bin_of`."""
    missing_bin = binning.get("missing_bin")
    miss = -1 if missing_bin is None else int(missing_bin)
    if binning["type"] == "numeric":
        specials = [(float(code), int(b)) for code, b in (binning.get("special_bins") or {}).items()]
        return ("numeric", [float(e) for e in binning["edges"]], miss, specials)
    lookup = {label: int(b) for label, b in binning["categories"].items()}
    lookup[None] = miss
    unknown_bin = binning.get("unknown_bin")
    return ("categorical", lookup, -1 if unknown_bin is None else int(unknown_bin))


def _bin_of(plan: tuple, v) -> int:
    """:func:`bin_index` of one value (a float or a str/None label)."""
    if plan[0] == "categorical":
        return plan[1].get(v, plan[2])
    if v != v:
        return plan[2]
    b = bisect.bisect_right(plan[1], v)
    for code, special in plan[3]:  # in order: the last matching code wins, as in bin_index
        if v == code:
            b = special
    return b


def _np_min(a: float, b: float) -> float:
    """``np.minimum`` of two floats: NaN wins, and of two equal values the second."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a < b else b


def _interp_one(x: float, xp: list, fp: list) -> float:
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


def _expit_one(z: float) -> float:
    """:func:`expit` of one value: the same operations, numpy's exp."""
    if -z <= 709.0:  # exp cannot overflow: no floating-point state to guard
        return 1.0 / (float(np.exp(-z)) + 1.0)
    with np.errstate(over="ignore"):
        return 1.0 / (float(np.exp(-z)) + 1.0)


def _top_k(lost: list, names: list, k: int) -> list:
    """:func:`top_reasons` of one record: NaN and -inf count as the smallest loss, ties in order."""
    keys = [c if c >= _FLOAT_MIN else _FLOAT_MIN for c in lost]
    order = sorted(range(len(keys)), key=keys.__getitem__, reverse=True)  # stable
    return [names[j] for j in order[:max(k, 0)]]


class _OneRecord:
    """Scores one record's clean values (see :func:`_record_values`) like a batch of one.

    For the logistic, cross-tab and expert kinds (an expert card without deduction or
    per-industry indicators). ``__call__`` returns the single-record result of
    :meth:`Scorer.score`, or None when the record needs the checked path (a value
    without a bin, a missing score, an invalid PD).
    """

    def __init__(self, content: dict):
        model, scale = content["model"], content["master_scale"]
        self.kind = content["kind"]
        self.steps = content["calibration"]
        self.bounds = [float(u) for u in scale["upper_bounds"]]
        self.floor = scale.get("floor")
        self.grades = list(scale["grades"])
        self.limit_rule = content.get("credit_limit")
        self.limit_fields = self.limit_bands = self.limit_coefficients = None
        if self.kind == "logistic":
            self.intercept = float(model["intercept"])
            self.base = float(model.get("base_points", 0.0))
            self.features = []
            for f in model["features"]:
                # the per-bin tables of _kernel_logistic, element by element
                points = [float(p) for p in f["points"]]
                self.features.append((f["name"], _binning_plan(f["binning"]),
                                      [float(f["coef"]) * float(w) for w in f["woe"]], points,
                                      [float(f["best_points"]) - p for p in points]))
            self.names = [f["name"] for f in model["features"]]
        elif self.kind == "crosstab":
            self.factors = [(name, _binning_plan(b), int(size)) for name, b, size
                            in zip(model["factors"], model["bins"], model["shape"], strict=True)]
            self.levels = [[float(p) for p in level] for level in model["levels"]]
        else:
            self.model = model
            self.indicators = [dict(ind, x=[float(v) for v in ind.get("x", [])],
                                    y=[float(v) for v in ind.get("y", [])],
                                    thresholds=[float(v) for v in ind.get("thresholds", [])],
                                    values=[float(v) for v in ind.get("values", [])])
                               for ind in model["indicators"]]
            self.plan = [(ind["kind"], ind["inputs"][0] if len(ind["inputs"]) == 1 or ind["kind"] == "categorical"
                          else None, ind,
                          tuple(zip(ind.get("weights") or [], ind["inputs"], strict=False)),
                          ind["inputs"][-1] if ind.get("missing_points") is not None else None,
                          None if ind.get("missing_points") is None else float(ind["missing_points"]))
                         for ind in self.indicators]
            self.caps = [(cap["indicator"], cap["input"], cap["op"], cap["grade"],
                          dict.fromkeys(cap["value"], True) if cap["op"] == "in" else cap["value"])
                         for cap in model["caps"]]
            self.names = [ind["name"] for ind in model["indicators"]]
            self.max_points = [float(ind["max_points"]) for ind in model["indicators"]]
            lower = [float(b) for b in model["lower_bounds"]]
            self.negated_lower = [-b for b in lower]
            self.ceiling = [math.inf] + [math.nextafter(b, -math.inf) for b in lower[:-1]]
            self.card_grades = list(model["grades"])

    @staticmethod
    def applies(content: dict) -> bool:
        kind, rule = content["kind"], content.get("credit_limit")
        if kind == "expert":
            return all(ind["kind"] in ("interp", "steps", "categorical") and "by_industry" not in ind
                       for ind in content["model"]["indicators"])
        return kind in ("logistic", "crosstab") and not rule

    def __call__(self, values: dict, n_reasons: int) -> dict | None:
        if self.kind == "expert":
            return self._expert(values, n_reasons)
        score = reasons = None
        if self.kind == "logistic":
            eta, points, lost = self.intercept, self.base, []
            for name, plan, eta_table, point_table, lost_table in self.features:
                b = _bin_of(plan, values[name])
                if b < 0:
                    return None
                eta += eta_table[b]
                points += point_table[b]
                lost.append(lost_table[b])
            raw, score, reasons = _expit_one(eta), points, _top_k(lost, self.names, n_reasons)
        else:
            raw, flat = self.levels[0][0], 0
            for level, (name, plan, size) in enumerate(self.factors, 1):
                b = _bin_of(plan, values[name])
                if not 0 <= b < size:
                    break  # a record uses the deepest level whose factors all have a bin
                flat = flat * size + b
                raw = self.levels[level][flat]
        pd_ = self._pd(raw)
        if pd_ is None:
            return None
        return {"pd": pd_, "score": score, "grade": self._scale_grade(pd_), "reasons": reasons,
                "limit": None}

    def _pd(self, raw: float) -> float | None:
        """:func:`apply_calibration` of one value; None for an invalid PD.

        The arithmetic is Python's (the same IEEE operations); exp, log and log1p are
        numpy's, as in a batch (numpy's own vectorised versions may differ from libm's in
        the last bit).
        """
        out = raw
        for step in self.steps:
            method = step["method"]
            if method == "interp":
                out = _interp_one(out, [float(v) for v in step["x"]], [float(v) for v in step["y"]])
            elif method == "logistic":
                out = _expit_one(step["a"] * out + step["b"])
            elif method == "logit_shift":
                with np.errstate(divide="ignore"):
                    out = _expit_one(float(np.log(out)) - float(np.log1p(-out)) + step["delta"])
            else:
                raise BundleError(f"unknown calibration method {method!r}")
        return out if 0.0 <= out <= 1.0 else None

    def _scale_grade(self, pd_: float) -> str:
        p = max(pd_, self.floor) if self.floor is not None else pd_
        return self.grades[min(bisect.bisect_right(self.bounds, p), len(self.grades) - 1)]

    @staticmethod
    def _indicator_value(ind: dict, values: dict):
        """:func:`_expert_value` of one record with several inputs (years)."""
        inputs = ind["inputs"]
        if ind["kind"] == "categorical":
            return values[inputs[0]]
        xs = [values[name] for name in inputs]
        full = 0  # as sum(): an int start, then each weighted year in order
        for w, x in zip(ind["weights"], xs, strict=True):
            full = full + w * x
        if full == full:
            return full
        acc = wsum = 0.0
        for x, w in zip(xs, ind["weights"], strict=True):
            seen = x == x
            acc += (x if seen else 0.0) * w
            wsum += float(seen) * w
        if wsum == 0.0:  # numpy's x / 0
            return math.nan if acc == 0.0 or acc != acc else math.copysign(math.inf, acc) * math.copysign(1.0, wsum)
        return acc / wsum

    def _expert(self, values: dict, n_reasons: int) -> dict | None:
        """:func:`_kernel_expert`, then the steps of :meth:`Scorer._score_prepared`, for one record."""
        model = self.model
        shown, points = [], []
        for kind, single, ind, years, last, missing_points in self.plan:
            if single is not None:
                value = values[single]
            else:  # the year-weighted mean, as sum() adds it up; a missing year: renormalised
                value = 0
                for w, name in years:
                    value = value + w * values[name]
                if value != value:
                    value = self._indicator_value(ind, values)
            shown.append(value)
            if kind == "interp":
                got = _interp_one(value, ind["x"], ind["y"])
            elif kind == "steps":
                got = math.nan if value != value else ind["values"][bisect.bisect_right(ind["thresholds"], value)]
            else:
                got = float(ind["table"].get(value, math.nan))
            if last is not None:
                current = values[last]
                if (current is None) if kind == "categorical" else (current != current):
                    got = missing_points
            points.append(got)
        total = 0.0
        for got in points:
            total += got
        adj = model.get("adjustment")
        if adj:
            shift = values[adj["input"]]
            total = total + (0.0 if shift != shift else shift)
        if total != total:
            return None  # no score: the checked path reports the record
        total = min(max(total, 0.0), float(model["max_total"]))
        grade = min(bisect.bisect_left(self.negated_lower, -total), len(self.negated_lower) - 1)
        for j, field, op, capped, value in self.caps:
            source = shown[j] if j is not None else values[field]
            if op == "in":
                hit = value.get(source, False)
            else:
                hit = _CAP_TESTS[op](float(source), value)
            if hit:
                grade = max(grade, capped)
        limit_basis = _np_min(total, self.ceiling[min(grade, len(self.ceiling) - 1)])
        default = model.get("default")
        if default:
            flag = values[default["input"]]
            if (0.0 if flag != flag else flag) != 0:
                grade = default["grade"]
        pd_ = self._pd(total)
        if pd_ is None:
            return None
        policy = self.card_grades[grade]
        lost = [m - p for m, p in zip(self.max_points, points, strict=True)]
        return {"pd": pd_, "score": total, "grade": policy, "reasons": _top_k(lost, self.names, n_reasons),
                "limit": self._limit(values, policy, limit_basis), "policy_grade": policy,
                "scale_grade": self._scale_grade(pd_)}

    def _limit(self, values: dict, grade: str, basis: float) -> float | None:
        """:func:`credit_limit` of one record."""
        rule = self.limit_rule
        if not rule:
            return None
        if self.limit_fields is None:  # read once: the fields, the bands and the coefficients
            fields = [rule["current_assets"], rule["monthly_sales"]]
            if rule.get("reference_cap") and rule.get("reference"):
                fields.append(rule["reference"])
            self.limit_fields = fields
            self.limit_bands = [(float(b[0]), float(b[1])) for b in rule.get("bands") or []]
            self.limit_coefficients = {str(g): float(c) for g, c in (rule.get("coefficients") or {}).items()}
        if any(f not in values for f in self.limit_fields):
            return credit_limit(rule, np.array([grade], dtype=object), values)  # raises, naming the field
        assets, sales = values[rule["current_assets"]], values[rule["monthly_sales"]]
        if rule.get("basis") != "score":
            return self.limit_coefficients.get(grade, 0.0) * _np_min(assets / 2.0, sales)
        above = 0  # bands whose min is above the score (as the batch counts them); then 0
        for low, _ in self.limit_bands:
            above += low > basis
        coef = self.limit_bands[above][1] if above < len(self.limit_bands) else 0.0
        if sales == 0:
            limit = 0.0  # nothing contracted: nothing to grant
        else:
            limit = sales * coef * _np_min(assets / sales, rule["ratio_cap"]) / 2.0
        limit = _np_min(limit, _np_min(sales, assets / 2.0))
        if rule.get("reference_cap") and rule.get("reference"):
            limit = _np_min(limit, values[rule["reference"]])
        if rule.get("default_grade") is not None and grade == rule["default_grade"]:
            limit = 0.0
        return limit


_FLOAT_MIN = float(np.finfo(float).min)
# the cap comparisons of _CAP_OPS on two floats (NaN: False, except for "!=")
_CAP_TESTS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}


class Scorer:
    """Scores records with a verified bundle.

    Parameters
    ----------
    content : the bundle as a dict (verified on construction: hash, version, kind).
    n_reasons : how many reason codes to return per record.

    Examples
    --------
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "name": "demo",
    ...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
    ...     "model": {"input": "pd"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]}})
    >>> scorer = Scorer(bundle)
    >>> scorer.score({"pd": [0.001, 0.5]})["grade"].tolist()
    ['A', 'B']
    >>> scorer.score({"pd": [0.001, 7.0, None]}, on_error="report")["errors"]
    {1: ['pd: above the allowed max 1.0'], 2: ['pd: missing value']}
    """

    def __init__(self, content: dict, n_reasons: int = 3):
        self.content = verify(content)
        self.n_reasons = n_reasons
        self.kind = content["kind"]
        self.name = content.get("name")
        self.sha256 = content["sha256"]
        self.input_names = [r["name"] for r in content["inputs"]]
        self.grades = list(content["master_scale"]["grades"])
        self._runtime = {**content, "model": compile_binnings(content["model"])}
        self._rules = _rule_plan(content["inputs"])
        self._one = _OneRecord(content) if _OneRecord.applies(content) else None

    def __repr__(self):
        return (f"Scorer(kind={self.kind!r}, name={self.name!r}, "
                f"inputs={len(self.input_names)}, grades={self.grades})")

    def example(self) -> dict:
        """One valid input record (see :func:`example_record`)."""
        return example_record(self.content["inputs"])

    def score(self, records, *, on_error: str = "raise", log=None, log_id: str | None = None) -> dict:
        """Score records: PD, score points, grade, top reason codes and the limit where defined.

        Parameters
        ----------
        records : one dict, a list of dicts, a dict of arrays or a DataFrame.
        on_error : "raise" stops at the first broken input rule with BundleError
            naming the field and the record indices; "report" scores the valid
            records and returns, under ``"errors"``, ``{record_index: [messages]}``
            for the others (their PD, score, grade and limit are NaN/None).

        Returns
        -------
        dict with "pd", "score", "grade", "reasons", "limit" (and "errors"):
        arrays for a batch (reasons: n × n_reasons str array; object with None
        for the bad records in report mode), plain Python values for a single
        dict record. "score" is None for model kinds without points, "reasons"
        None without contributions and "limit" None without a credit-limit rule.
        log : path or writable text file, optional
            Append one JSON line per scored record (see :func:`write_decision_log`),
            flushed once per call.
        log_id : str, optional
            Field of the records written as each log line's ``id`` (the key that
            outcomes are joined on later); default: the hash of the record's input.
        """
        if on_error not in ("raise", "report"):
            raise BundleError(f"on_error must be 'raise' or 'report', not {on_error!r}")
        if log is not None:
            return self._score_logged(records, on_error, log, log_id)
        # one plain record, or a frame of one row: skip the array checks when it is clean
        one = records if type(records) is dict else _frame_row(records)
        result = None if one is None else self._score_clean(one, on_error, batch=one is not records)
        if result is not None:
            return result
        columns, single = as_columns(records, self.input_names)
        errors = {} if on_error == "report" else None
        cols, n = prepare_inputs(self.content["inputs"], columns, errors)
        if errors:
            result = self._score_valid(cols, n, list(errors), errors)
        else:
            found: dict | None = {} if errors is not None else None
            result = self._score_prepared(cols, found)
            if found:  # records without a valid PD: reported, their outputs NaN/None
                errors.update(found)
                result = self._score_valid(cols, n, list(errors), errors)
        if errors is not None:
            errors = dict(sorted(errors.items()))
        if errors is not None:
            result["errors"] = errors
        return _single(result) if single else result

    def _score_clean(self, record: dict, on_error: str, batch: bool) -> dict | None:
        """One record scored without the array checks when every value is clean (see
        :func:`_record_values`), else None (the columnar path then checks it). The result
        holds plain values, or 1-record arrays as from a batch when ``batch``."""
        values = _record_values(self._rules, record)
        if values is None:
            return None
        result = None if self._one is None else self._one(values, self.n_reasons)
        if result is not None:
            if batch:
                result = _as_batch(result)
        else:
            found: dict | None = {} if on_error == "report" else None
            result = self._score_prepared(_record_columns(self.content["inputs"], values), found)
            if found:
                return None
            if not batch:
                result = _single(result)
        if on_error == "report":
            result["errors"] = {}
        return result

    def _score_logged(self, records, on_error: str, log, log_id: str | None) -> dict:
        # the log holds the inputs and the id: the other fields are not converted
        columns, single = as_columns(records, self.input_names + ([log_id] if log_id is not None else []))
        if log_id is not None and log_id not in columns:
            fields = sorted(str(k) for k in as_columns(records)[0])
            raise BundleError(f"log_id field {log_id!r} is not among the record fields {fields[:10]}")
        result = self.score(columns, on_error=on_error)
        write_decision_log(log, decision_log_lines(self, columns, result, log_id))
        return _single(result) if single else result

    def _score_prepared(self, cols: dict, errors: dict | None = None) -> dict:
        out = evaluate(self._runtime, cols, validate=False, errors=errors)
        contributions = out["contributions"]
        return {
            "pd": out["pd"],
            "score": out["score"],
            "grade": out["grade"],
            "reasons": None if contributions is None
            else top_reasons(contributions, out["reason_names"], self.n_reasons),
            "limit": credit_limit(self.content.get("credit_limit"), out["grade"], cols,
                                  out["extra"].get("limit_basis", out["score"]),
                                  grade_codes=(out["grade_index"], out["grade_labels"])),
            **({"policy_grade": out["policy_grade"], "scale_grade": out["scale_grade"]}
               if out["policy_grade"] is not None else {}),
        }

    def _score_valid(self, cols: dict, n: int, bad_rows: list, errors: dict) -> dict:
        """Score the records not in ``bad_rows``; the bad ones get NaN/None, never a guess.

        Records whose PD comes out invalid are added to ``errors`` and blanked too.
        """
        good = np.ones(n, dtype=bool)
        good[bad_rows] = False
        # scored even when no record is good: the kernels take 0 records, and the output keeps
        # the layout of the model kind (no score/reasons/limit -> None, reasons n x n_reasons)
        found: dict = {}
        partial = self._score_prepared({k: _take(v, good) for k, v in cols.items()}, found)
        if found:
            kept = np.flatnonzero(good)
            for r, messages in found.items():
                errors.setdefault(int(kept[r]), []).extend(messages)
            return self._score_valid(cols, n, list(errors), errors)
        result = {}
        for key, part in partial.items():
            if part is None:
                result[key] = None
                continue
            if key in ("grade", "reasons", "policy_grade", "scale_grade"):
                full = np.full((n, *part.shape[1:]), None, dtype=object)
            else:
                full = np.full(n, np.nan)
            full[good] = part
            result[key] = full
        return result


# --------------------------------------------------------------------------- decision log
def _canonical_value(rule: dict, value):
    """A record's raw input value as JSON: numbers as float (missing -> null), labels as str."""
    if _is_missing(value):
        return None
    if rule["type"] == "category":
        return category_label(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    return str(value)  # a non-number the scorer refused: kept as text, so the log says what came in


def decision_log_lines(scorer: Scorer, columns: dict, result: dict, log_id: str | None = None,
                       when: str | None = None) -> list[str]:
    """One JSON line per record of a scored batch (see :func:`write_decision_log`).

    Examples
    --------
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "pd", "type": "number"}],
    ...                "model": {"input": "pd"}, "calibration": [],
    ...                "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> scorer = Scorer(bundle)
    >>> cols = {"pd": np.array([0.1])}
    >>> line = json.loads(decision_log_lines(scorer, cols, scorer.score(cols), when="2026-01-01T00:00:00Z")[0])
    >>> line["grade"], line["input"], line["bundle_sha256"] == bundle["sha256"]
    ('A', {'pd': 0.1}, True)
    """
    import datetime as _dt

    rules = scorer.content["inputs"]
    n = len(result["pd"])
    when = when or _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raw = {r["name"]: columns[r["name"]].tolist() if r["name"] in columns else [None] * n for r in rules}
    ids = columns[log_id].tolist() if log_id is not None else None
    errors = result.get("errors") or {}

    def plain(v):
        if v is None or (isinstance(v, float) and v != v):
            return None
        return v.item() if isinstance(v, np.generic) else v

    pds, grades = result["pd"].tolist(), result["grade"].tolist()
    scores = result["score"].tolist() if result["score"] is not None else None
    limits = result["limit"].tolist() if result["limit"] is not None else None
    reasons = result["reasons"].tolist() if result["reasons"] is not None else None
    lines = []
    for i in range(n):
        record = {r["name"]: _canonical_value(r, raw[r["name"]][i]) for r in rules}
        body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        entry = {"time": when, "bundle_sha256": scorer.sha256, "input_sha256": digest,
                 "id": str(plain(ids[i])) if ids is not None else digest,
                 "pd": plain(pds[i]), "grade": grades[i]}
        if scores is not None:
            entry["score"] = plain(scores[i])
        if limits is not None:
            entry["limit"] = plain(limits[i])
        if reasons is not None:
            entry["reasons"] = None if reasons[i][0] is None else [str(x) for x in reasons[i]]
        if i in errors:
            entry["errors"] = errors[i]
        entry["input"] = record
        lines.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                allow_nan=False))
    return lines


def write_decision_log(log, lines: list[str]) -> int:
    """Append lines to a decision log (a path or an open text file), then flush once.

    Each line is one scored record: ``time`` (UTC, ISO 8601), ``bundle_sha256``,
    ``input_sha256`` (sha256 of the canonical JSON of the record's raw input:
    sorted keys, numbers as floats, missing as null), ``id`` (the ``log_id``
    field or the input hash), ``pd``, ``grade``, ``score``/``limit``/``reasons``
    where the model has them, ``errors`` for records refused in report mode, and
    the canonical ``input`` itself (so monitoring can rebuild the population).
    The file is opened for appending only; nothing written is ever rewritten.

    Returns
    -------
    int : the number of lines written.

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> write_decision_log(buffer, ['{"pd":0.1}', '{"pd":0.2}']), buffer.getvalue().count("\\n")
    (2, 2)
    """
    text = "".join(line + "\n" for line in lines)
    if hasattr(log, "write"):
        log.write(text)
        log.flush()
    else:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
    return len(lines)


def _as_batch(result: dict) -> dict:
    """A one-record result of plain values as the 1-record arrays a batch gives (its inverse:
    :func:`_single`)."""
    out = {}
    for key, value in result.items():
        if value is None:
            out[key] = None
        elif key == "reasons":
            out[key] = np.empty((1, len(value)), dtype=object)
            out[key][0] = value
        elif isinstance(value, str):
            out[key] = _object_array([value])
        else:
            out[key] = np.array([value], dtype=float)
    return out


def _single(result: dict) -> dict:
    """The first record of a batch result, as plain Python values."""
    out = {}
    for key, value in result.items():
        if key == "errors" or value is None:
            out[key] = value
        elif key == "reasons":
            out[key] = value[0].tolist()
        else:
            first = value[0]
            out[key] = first.item() if isinstance(first, np.generic) else first
    return out


__all__ = ["Scorer", "load_scorer", "read_bundle", "evaluate", "seal", "verify", "dumps_bundle",
           "canonical_bytes", "as_columns", "prepare_inputs", "example_record", "bin_index",
           "compile_binnings", "CodedLabels", "lookup_labels",
           "apply_calibration", "grade_of", "grade_index", "count_at_or_below", "top_reasons",
           "credit_limit", "expit", "logit",
           "KERNELS", "BundleError", "SCHEMA_VERSION", "write_decision_log",
           "decision_log_lines"]
