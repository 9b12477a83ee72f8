"""The scorer bundle as PMML 4.4: points, reason codes, PD, grade and limit in any PMML engine.

:func:`to_pmml` writes a bundle (logistic and cross-tab kinds) as a PMML ``Scorecard``
that a Java decision engine, SAS or any PMML consumer scores with the numbers of
:class:`riskmodels.scoring.Scorer`:

- **points**: one ``Characteristic`` per feature, one ``Attribute`` per bin, in the order
  the scorer tests them — missing (``isMissing``), special codes (``equal``), then the
  half-open intervals ``[e(i), e(i+1))`` on the bundle's exact edges (``lessThan`` /
  ``greaterOrEqual``, the same side of each edge as the scorer), categories as
  ``SimpleSetPredicate`` (``isIn``), an unseen category as a final ``True`` attribute
  with the unknown bin's points. ``initialScore`` is the base points; the engine adds
  the partial scores in feature order, as the scorer does.
- **reason codes**: ``reasonCodeAlgorithm="pointsBelow"``; the points lost by a
  characteristic are ``baselineScore − partialScore``, and ``baselineScore`` is the best
  attribute's points (as the scorer's reasons) plus a tie-break of ``(F − j)·δ`` for the
  j-th of F characteristics. With it no characteristic loses zero points and no two lose
  the same, so every engine returns the scorer's ranking: ties to the feature listed
  first, zero-loss characteristics ranked too. (Engines differ on zero and negative
  losses: JPMML-Evaluator drops negative ones and keeps zero ones; PMML4S (pypmml) drops
  both and repeats the last code in the ranks it cannot fill.) ``δ`` is chosen below a
  quarter of the smallest gap between distinct losses, so the ranking of unequal losses
  is untouched; :class:`~riskmodels.errors.BundleError` if no such δ is representable.
- **PD**: the linear predictor is a ``DerivedField`` summing, in feature order, the
  intercept and each bin's ``coefficient × WoE`` (a ``Discretize`` / ``MapValues`` on the
  same edges and labels), then ``1 / (1 + exp(−η))`` and the calibration steps
  (``logistic``, ``logit_shift``, piecewise-linear ``interp``) as ``OutputField``
  expressions.
- **grade**: ``Discretize`` of ``max(PD, floor)`` on the master scale's half-open bands.
- **limit**: a grade-keyed credit limit ``coefficient(grade) × min(assets / 2, sales)``.
- **expected credit loss**: the 12-month and lifetime ECL per unit of LGD × EAD of each
  master-scale grade (``if`` on the grade) times LGD and the EAD input; the IFRS 9 stage and
  ``ecl`` of that stage (``riskmodels.scoring.ecl``).
- **input rules**: numbers carry an ``Interval`` (the bundle's ``[min, max]`` under
  ``out_of_range: error``; else ``±1.7976931348623157e308``, so an infinite value is
  invalid, as in the scorer); refused categories are listed as ``Value``s; every input is
  ``invalidValueTreatment="returnInvalid"``, a refused missing value
  ``missingValueTreatment="returnInvalid"`` (PMML 4.4), an imputed one
  ``missingValueReplacement``; ``clip`` becomes ``outliers="asExtremeValues"``. A record
  the scorer refuses is refused by the engine: never scored silently.
- **verification**: ``ModelVerification`` rows (one per bin of the widest feature) with
  the scorer's own outputs, so an engine that checks it at load (JPMML-Evaluator's
  ``verify()``) proves the file against the bundle.

Cross-tab bundles become a one-characteristic ``Scorecard`` whose ``ComplexPartialScore``
is the cell's PD (the deepest level whose factors all have a bin, as the scorer);
identity bundles (a PD or score input and calibration steps) the same with the input.
Expert cards: each indicator's value (the year-weighted mean renormalised over the years
present) and points (``interp``, ``steps``, answer tables, the fee deduction, industry
curves, points for a missing current year) are ``DerivedField``s; the score (their sum in
indicator order, the analyst adjustment, clipped to ``[0, max_total]``), the score bands,
the grade caps, the default definition, the card's grade, the master-scale grade and the
score-keyed limit read at the capped grade's ceiling are ``OutputField``s. Their points are
continuous, so two indicators can lose amounts one double apart: a baseline tie-break would
swap them. Instead each characteristic scores its exact rank among the points lost (ties to
the indicator listed first, computed in the file) and ``pointsBelow`` from a baseline of F
returns the scorer's order in every engine; the card's score is the ``score`` output.
KMV bundles are refused with a
:class:`~riskmodels.errors.BundleError`: KMV needs a per-row Merton root solve.

``version="4.2"`` writes the same model for older consumers (SAS ``PROC PSCORE``'s
PMML 4.2 reader): PMML 4.2 has no ``returnInvalid`` missing-value treatment, so a bundle
that refuses missing values is refused in 4.2.

Examples
--------
>>> from riskmodels import scoring
>>> bundle = scoring.seal({"schema_version": 1, "kind": "logistic", "name": "card",
...     "inputs": [{"name": "dpd", "type": "number", "missing": "allow"}],
...     "model": {"intercept": -2.0, "base_points": 0.0, "features": [{"name": "dpd",
...         "binning": {"type": "numeric", "edges": [30.0], "missing_bin": 2, "special_bins": {}},
...         "coef": -1.0, "woe": [0.5, -1.0, 0.0], "points": [60.0, 20.0, 40.0],
...         "best_points": 60.0}]},
...     "calibration": [], "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.1, 0.9]}})
>>> text = to_pmml(bundle)
>>> text.splitlines()[1]
'<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">'
>>> '<SimplePredicate field="dpd" operator="lessThan" value="30.0" />' in text
True
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from riskmodels.errors import BundleError
from riskmodels.export.bundles import expressible_content
from riskmodels.fileio import write_atomic
from riskmodels.scoring import Scorer, ecl_factors, ecl_inputs

VERSIONS = {"4.4": "http://www.dmg.org/PMML-4_4", "4.2": "http://www.dmg.org/PMML-4_2"}
EXPRESSIBLE = ("logistic", "crosstab", "identity", "expert")
_BIG = "1.7976931348623157E308"  # the largest double: an Interval up to it refuses +/-inf
TARGET = "score"  # the output holding the score (points)
PREDICTED = "__predicted"  # the Scorecard's predicted field (the points; an expert card's ranks)


def _num(x: float) -> str:
    """A double as text that parses back to the same double (Python's shortest repr)."""
    x = float(x)
    if not math.isfinite(x):
        raise BundleError(f"value {x!r} cannot be written to PMML")
    return repr(x)


def _el(parent, tag: str, **attrs) -> ET.Element:
    return ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items() if v is not None})


def _const(parent, value, data_type: str = "double") -> ET.Element:
    c = _el(parent, "Constant", dataType=data_type)
    c.text = _num(value) if data_type == "double" else str(int(value)) if data_type == "integer" else str(value)
    return c


class Field(str):
    """A field reference inside an expression tree (a plain str is a string constant)."""


class Typed(tuple):
    """A typed constant ``(value, dataType)``; ``value`` None is a missing constant."""


def _expr(parent, node) -> ET.Element:
    """Write an expression tree into ``parent``.

    A node is a :class:`Field` (``FieldRef``), a float (a double ``Constant``), a str (a
    string ``Constant``), a :class:`Typed` constant, an ``ET.Element`` (as it is) or a tuple
    ``(function, *arguments)`` (``Apply``).

    >>> e = _expr(ET.Element("x"), ("+", Field("a"), 1.0))
    >>> ET.tostring(e, encoding="unicode")
    '<Apply function="+"><FieldRef field="a" /><Constant dataType="double">1.0</Constant></Apply>'
    """
    if isinstance(node, ET.Element):
        parent.append(node)
        return node
    if isinstance(node, Field):
        return _el(parent, "FieldRef", field=str(node))
    if isinstance(node, Typed):
        value, data_type = node
        if value is None:
            return _el(parent, "Constant", dataType=data_type, missing="true")
        return _const(parent, value, data_type)
    if isinstance(node, str):
        return _const(parent, node, "string")
    if isinstance(node, tuple):
        a = _el(parent, "Apply", function=node[0])
        for arg in node[1:]:
            _expr(a, arg)
        return a
    return _const(parent, float(node))


def _array(values: list[str]) -> str:
    """A PMML string Array's content: each label in double quotes (labels holding a double
    quote or a backslash are written as ``equal`` predicates instead, see :func:`_predicate`)."""
    return " ".join(f'"{v}"' for v in values)


# --------------------------------------------------------------------------- inputs
def _refuses_unseen(rule: dict) -> bool:
    """Whether the rule refuses what the development sample did not hold (``outside_training``)."""
    return rule.get("outside_training", "allow") == "error"


def _data_field(dd, rule: dict) -> None:
    if rule["type"] == "category":
        f = _el(dd, "DataField", name=rule["name"], optype="categorical", dataType="string")
        if rule.get("unknown", "error") == "error" or _refuses_unseen(rule):
            for label in rule.get("categories") or []:
                _el(f, "Value", value=str(label))
        return
    f = _el(dd, "DataField", name=rule["name"], optype="continuous", dataType="double")
    error = rule.get("out_of_range", "error") == "error"
    low = rule.get("min") if error else None
    high = rule.get("max") if error else None
    if _refuses_unseen(rule) and rule.get("out_of_range") != "clip":  # the sample's range, refused outside
        seen_lo, seen_hi = rule.get("train_min"), rule.get("train_max")
        low = seen_lo if low is None else low if seen_lo is None else max(low, seen_lo)
        high = seen_hi if high is None else high if seen_hi is None else min(high, seen_hi)
    _el(f, "Interval", closure="closedClosed", leftMargin="-" + _BIG if low is None else _num(low),
        rightMargin=_BIG if high is None else _num(high))


def _mining_field(ms, rule: dict, version: str) -> None:
    attrs = {"name": rule["name"], "usageType": "active", "invalidValueTreatment": "returnInvalid"}
    missing = rule.get("missing", "error")
    if missing == "error" or (missing == "allow" and _refuses_unseen(rule) and rule.get("train_missing") is False):
        if version != "4.4":
            raise BundleError(f"input {rule['name']!r} refuses missing values: PMML {version} cannot "
                              "say so (missingValueTreatment='returnInvalid' is PMML 4.4); export 4.4")
        attrs["missingValueTreatment"] = "returnInvalid"
    elif missing == "impute":
        fill = rule.get("fill")
        attrs["missingValueReplacement"] = _num(fill) if rule["type"] == "number" else str(fill)
        attrs["missingValueTreatment"] = "asValue"
    if rule["type"] == "number" and rule.get("out_of_range") == "clip":
        attrs["outliers"] = "asExtremeValues"
        if rule.get("min") is not None:
            attrs["lowValue"] = _num(rule["min"])
        if rule.get("max") is not None:
            attrs["highValue"] = _num(rule["max"])
    _el(ms, "MiningField", **attrs)


# --------------------------------------------------------------------------- bins
def _numeric_bins(binning: dict) -> list[tuple[int, dict]]:
    """(bin, predicate) in the scorer's order: missing, special codes, intervals."""
    out = []
    if binning.get("missing_bin") is not None:
        out.append((int(binning["missing_bin"]), {"op": "isMissing"}))
    for code, b in sorted((binning.get("special_bins") or {}).items(), key=lambda kv: float(kv[0])):
        out.append((int(b), {"op": "equal", "value": float(code)}))
    edges = [float(e) for e in binning["edges"]]
    bounds = [None, *edges, None]
    for i in range(len(edges) + 1):
        out.append((i, {"op": "interval", "lo": bounds[i], "hi": bounds[i + 1]}))
    return out


def _categorical_bins(binning: dict) -> list[tuple[int, dict]]:
    out = []
    if binning.get("missing_bin") is not None:
        out.append((int(binning["missing_bin"]), {"op": "isMissing"}))
    by_bin: dict[int, list[str]] = {}
    for label, b in binning["categories"].items():
        by_bin.setdefault(int(b), []).append(str(label))
    for b in sorted(by_bin):  # the same text whatever the order of the bundle's mapping
        out.append((b, {"op": "isIn", "labels": sorted(by_bin[b])}))
    if binning.get("unknown_bin") is not None:
        out.append((int(binning["unknown_bin"]), {"op": "true"}))
    return out


def _bins(binning: dict) -> list[tuple[int, dict]]:
    return _numeric_bins(binning) if binning["type"] == "numeric" else _categorical_bins(binning)


def _predicate(parent, field: str, p: dict) -> None:
    op = p["op"]
    if op == "isMissing":
        _el(parent, "SimplePredicate", field=field, operator="isMissing")
    elif op == "equal":
        _el(parent, "SimplePredicate", field=field, operator="equal", value=_num(p["value"]))
    elif op == "isIn":
        labels = p["labels"]
        if any('"' in v or "\\" in v for v in labels):  # escapes inside an Array: engines disagree
            into = _el(parent, "CompoundPredicate", booleanOperator="or") if len(labels) > 1 else parent
            for v in labels:
                _el(into, "SimplePredicate", field=field, operator="equal", value=v)
        else:
            s = _el(parent, "SimpleSetPredicate", field=field, booleanOperator="isIn")
            _el(s, "Array", n=len(labels), type="string").text = _array(labels)
    elif op == "true":
        _el(parent, "True")
    else:
        lo, hi = p["lo"], p["hi"]
        if lo is None and hi is None:
            _el(parent, "SimplePredicate", field=field, operator="isNotMissing")
        elif lo is None:
            _el(parent, "SimplePredicate", field=field, operator="lessThan", value=_num(hi))
        elif hi is None:
            _el(parent, "SimplePredicate", field=field, operator="greaterOrEqual", value=_num(lo))
        else:
            c = _el(parent, "CompoundPredicate", booleanOperator="and")
            _el(c, "SimplePredicate", field=field, operator="greaterOrEqual", value=_num(lo))
            _el(c, "SimplePredicate", field=field, operator="lessThan", value=_num(hi))


def _bin_lookup(field: str, binning: dict, values: list, default=None, data_type: str = "double"):
    """An expression giving ``values[bin]`` of ``field``'s bin (tested in the scorer's order);
    ``default`` when the value has no bin (a missing value when ``default`` is None)."""
    tests = _bins(binning)
    if binning.get("missing_bin") is None:  # a missing value has no bin: tested first all the same
        tests = [(None, {"op": "isMissing"}), *tests]
    node = Typed((default, data_type))
    for b, p in reversed(tests):
        value = Typed((default if b is None else values[b], data_type))
        node = value if p["op"] == "true" else ("if", _condition(Field(field), p), value, node)
    return node


def _condition(x: Field, p: dict):
    """The predicate ``p`` on ``x`` as a boolean expression (for ``if``)."""
    op, lo, hi = p["op"], p.get("lo"), p.get("hi")
    if op in ("isMissing", "isIn"):
        return (op, x, *p.get("labels", ()))
    if op == "equal":
        return ("equal", x, p["value"])
    if lo is None and hi is None:
        return ("isNotMissing", x)
    if lo is None:
        return ("lessThan", x, hi)
    if hi is None:
        return ("greaterOrEqual", x, lo)
    return ("and", ("greaterOrEqual", x, lo), ("lessThan", x, hi))


# --------------------------------------------------------------------------- reasons
def tie_break_step(features: list) -> float:
    """The δ added per rank to each characteristic's baseline score (see the module notes).

    Below a quarter of the smallest gap between two distinct points-lost values over every
    attribute of every characteristic (divided by the number of characteristics), and large
    enough that ``best + (F − j)·δ − points`` keeps it in double precision.

    >>> tie_break_step([{"points": [10.0, 4.0], "best_points": 10.0},
    ...                 {"points": [3.0, 1.0], "best_points": 3.0}])
    0.25
    """
    lost = sorted({float(f["best_points"]) - float(p) for f in features for p in f["points"]})
    scale = max([abs(float(p)) for f in features for p in f["points"]] + [1.0])
    gaps = [b - a for a, b in zip(lost, lost[1:], strict=False)]
    gap = min(gaps) if gaps else 1.0
    step = gap / (4.0 * len(features))
    if step < scale * 1e-12:
        raise BundleError(f"two reason-code losses differ by {gap:.3g} points only: too close to "
                          "rank them the scorer's way in a PMML engine")
    return step


# --------------------------------------------------------------------------- outputs
def _output(out, name: str, feature: str = "transformedValue", data_type: str = "double", **attrs):
    optype = "continuous" if data_type == "double" else "categorical"
    return _el(out, "OutputField", name=name, optype=optype, dataType=data_type, feature=feature, **attrs)


def _inputs_output(out, content: dict) -> None:
    """``__missing_inputs``: how many inputs are missing. Engines read a field only when an
    expression needs it; this output reads every input first, so an input the bundle refuses
    (missing, out of range, unknown) refuses the record even where the model would not look
    at it (a grade cap behind another that holds)."""
    count = 0.0
    for rule in content["inputs"]:
        count = ("+", count, ("if", ("isMissing", Field(rule["name"])), 1.0, 0.0))
    _expr(_output(out, "__missing_inputs"), count)


def _unseen_output(out, content: dict) -> None:
    """``outside_training``: how many inputs hold what the development sample did not (a number
    outside ``[train_min, train_max]`` after clipping, an unknown category the rule allows, a
    missing value where the sample had none) under ``outside_training: "warn"`` — the count of
    the scorer's ``warnings`` of the record (0: none), but for a missing value the rule imputes:
    PMML replaces it (``missingValueReplacement``) before any expression can see it. Written
    only when some rule warns."""
    count, any_rule = 0.0, False
    for rule in content["inputs"]:
        if rule.get("outside_training", "allow") != "warn":
            continue
        x = Field(rule["name"])
        if rule["type"] == "number":
            outside = [("lessThan", x, float(rule["train_min"]))] if rule.get("train_min") is not None else []
            outside += [("greaterThan", x, float(rule["train_max"]))] if rule.get("train_max") is not None else []
            off = ("if", ("or", *outside) if len(outside) > 1 else outside[0], 1.0, 0.0) if outside else 0.0
        elif rule.get("categories") is not None and rule.get("unknown", "error") != "error":
            off = ("if", ("isIn", x, *[str(v) for v in rule["categories"]]), 0.0, 1.0)
        else:
            off = 0.0
        unseen_missing = 1.0 if rule.get("train_missing") is False and rule.get("missing") == "allow" else 0.0
        if off == 0.0 and unseen_missing == 0.0:
            continue
        count = ("+", count, _if_missing(x, unseen_missing, off))
        any_rule = True
    if any_rule:
        _expr(_output(out, "outside_training"), count)


def _calibration_outputs(out, steps: list, raw: str) -> None:
    """OutputFields applying the calibration steps to ``raw``, the last one named ``pd``."""
    if not steps:
        _expr(_output(out, "pd"), Field(raw))
        return
    x = Field(raw)
    for i, step in enumerate(steps):
        name = "pd" if i == len(steps) - 1 else f"__cal_{i}"
        method = step["method"]
        if method == "logistic":
            node = _expit(("+", ("*", float(step["a"]), x), float(step["b"])))
        elif method == "logit_shift":
            node = _expit(("+", ("-", ("ln", x), ("ln", ("-", 1.0, x))), float(step["delta"])))
        elif method == "interp":
            node = _interp(x, [float(v) for v in step["x"]], [float(v) for v in step["y"]])
        else:
            raise BundleError(f"calibration step {method!r} is not expressed in PMML")
        _expr(_output(out, name), node)
        x = Field(name)


def _expit(z):
    """1 / (1 + exp(−z)), the scorer's order of operations."""
    return ("/", 1.0, ("+", ("exp", ("*", -1.0, z)), 1.0))


def _interp(x: Field, xs: list, ys: list):
    """numpy.interp(x, xs, ys): flat beyond the ends, ``slope·(x − x(j)) + y(j)`` on the
    segment ``x(j) <= x < x(j+1)`` (a repeated knot is a step)."""
    node = ys[-1]
    for j in reversed(range(len(xs) - 1)):
        if xs[j + 1] > xs[j]:
            slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j])
            node = ("if", ("lessThan", x, xs[j + 1]), ("+", ("*", slope, ("-", x, xs[j])), ys[j]), node)
    return _if_missing(x, Typed((None, "double")), ("if", ("lessThan", x, xs[0]), ys[0], node))


def _grade_output(out, scale: dict, pd_field: str, name: str = "grade") -> None:
    floored = pd_field
    if scale.get("floor") is not None:
        floored = "__pd_floored"
        _expr(_output(out, floored), ("max", Field(pd_field), float(scale["floor"])))
    o = _output(out, name, data_type="string")
    d = _el(o, "Discretize", field=floored, dataType="string")
    bounds = [None, *[float(u) for u in scale["upper_bounds"]], None]
    grades = list(scale["grades"])
    for i in range(len(bounds) - 1):
        lo, hi = bounds[i], bounds[i + 1]
        b = _el(d, "DiscretizeBin", binValue=grades[min(i, len(grades) - 1)])
        _el(b, "Interval", closure="closedOpen", leftMargin=None if lo is None else _num(lo),
            rightMargin=None if hi is None else _num(hi))


def _limit_output(out, rule: dict | None, basis: str | None = None, inputs=()) -> None:
    """The credit limit (:func:`riskmodels.scoring.credit_limit`): by grade, or by score
    (document 002 五.4) read at ``basis``; missing where the record has no grade; 0 for a
    record whose ``blacklist`` input (one of ``inputs``) is true (000 五 5)."""
    if not rule:
        return
    black = Field(rule["blacklist"]) if rule.get("blacklist") in set(inputs) else None
    assets, sales, grade = Field(rule["current_assets"]), Field(rule["monthly_sales"]), Field("grade")
    if rule.get("basis") != "score":
        coef = _labels(grade, {str(g): c for g, c in sorted(rule["coefficients"].items())}, default=0.0)
        if black is not None:
            coef = ("if", ("isMissing", black), coef, ("if", ("notEqual", black, 0.0), 0.0, coef))
        limit = ("*", coef, ("min", ("/", assets, 2.0), sales))
        _expr(_output(out, "credit_limit"), ("if", ("or", *[("isMissing", f) for f in (grade, assets, sales)]),
                                             Typed((None, "double")), limit))
        return
    if basis is None:
        raise BundleError("a score-keyed credit limit needs the score of each record")
    score = Field(basis)
    coef = 0.0
    for band_min, c in reversed(rule["bands"]):  # the first band (highest first) whose min <= score
        coef = ("if", ("greaterOrEqual", score, float(band_min)), float(c), coef)
    ratio = ("min", ("/", assets, sales), float(rule["ratio_cap"]))
    limit = ("if", ("equal", sales, 0.0), 0.0, ("/", ("*", ("*", sales, coef), ratio), 2.0))
    limit = ("min", limit, ("min", sales, ("/", assets, 2.0)))
    needed = [grade, score, assets, sales]
    if rule.get("reference_cap") and rule.get("reference"):
        limit = ("min", limit, Field(rule["reference"]))
        needed.append(Field(rule["reference"]))
    if rule.get("default_grade") is not None:
        limit = ("if", ("equal", grade, str(rule["default_grade"])), 0.0, limit)
    if black is not None:
        limit = ("if", ("isMissing", black), limit, ("if", ("notEqual", black, 0.0), 0.0, limit))
    # a missing operand makes the limit missing (NaN in the scorer; JPMML refuses to compare it)
    _expr(_output(out, "credit_limit"),
          ("if", ("or", *[("isMissing", f) for f in needed]), Typed((None, "double")), limit))


def _ecl_output(out, ecl: dict | None, grade: str = "grade") -> None:
    """Expected credit loss (:class:`riskmodels.scoring.ExpectedCreditLoss`): ``ecl_12m`` and
    ``ecl_lifetime``, the per-grade factors of :func:`riskmodels.scoring.ecl_factors` looked up
    by the master-scale ``grade``, times LGD and EAD; with a stage rule ``stage`` (the rule of
    :func:`riskmodels.scoring.stage`) and ``ecl`` of that stage."""
    if not ecl:
        return
    ead = Field(ecl["ead"]) if ecl.get("ead") is not None else 1.0
    lgd = ecl["lgd"]
    lgd = _labels(Field(lgd["segment"]), lgd["values"]) if isinstance(lgd, dict) else float(lgd)
    for name, factors in zip(("ecl_12m", "ecl_lifetime"), ecl_factors(ecl), strict=True):
        lookup = _labels(Field(grade), dict(zip(ecl["grades"], factors.tolist(), strict=False)))
        _expr(_output(out, name), ("*", ("*", lookup, lgd), ead))
    rule = ecl.get("stage")
    if not rule:
        return
    now, then = Field("pd"), Field(rule["origination_pd"])
    found = ("and", ("greaterOrEqual", now, ("*", float(rule["relative"]), then)),
             ("greaterOrEqual", ("-", now, then), float(rule["absolute"])))
    if rule.get("days_past_due") is not None:
        dpd = Field(rule["days_past_due"])
        found = ("if", ("greaterThan", dpd, float(rule["default_dpd"])), 3.0,
                 ("if", ("or", found, ("greaterThan", dpd, float(rule["sicr_dpd"]))), 2.0, 1.0))
    else:
        found = ("if", found, 2.0, 1.0)
    _expr(_output(out, "stage"), found)
    _expr(_output(out, "ecl"), ("if", ("equal", Field("stage"), 1.0), Field("ecl_12m"), Field("ecl_lifetime")))


# --------------------------------------------------------------------------- models
def _logistic(root, content: dict, version: str, n_reasons: int) -> ET.Element:
    model = content["model"]
    features = model["features"]
    card = _el(root, "Scorecard", modelName=content.get("name") or "riskmodels", functionName="regression",
               useReasonCodes="true", reasonCodeAlgorithm="pointsBelow",
               initialScore=_num(model.get("base_points", 0.0)), baselineMethod="other")
    _mining_schema(card, content, version)
    out = _el(card, "Output")
    _inputs_output(out, content)
    _unseen_output(out, content)
    _output(out, TARGET, feature="predictedValue")
    for r in range(min(n_reasons, len(features))):
        _output(out, f"reason_{r + 1}", feature="reasonCode", data_type="string", rank=r + 1)
    _output(out, "__eta").append(_eta(model))
    _expr(_output(out, "__raw"), _expit(Field("__eta")))
    _calibration_outputs(out, content["calibration"], "__raw")
    _grade_output(out, content["master_scale"], "pd")
    _limit_output(out, content.get("credit_limit"), inputs=[r["name"] for r in content["inputs"]])
    _ecl_output(out, content.get("ecl"))
    chars = _el(card, "Characteristics")
    step = tie_break_step(features)
    for j, f in enumerate(features):
        baseline = float(f["best_points"]) + (len(features) - j) * step
        ch = _el(chars, "Characteristic", name=f"{f['name']}__points", reasonCode=f["name"],
                 baselineScore=_num(baseline))
        for b, p in _bins(f["binning"]):
            attr = _el(ch, "Attribute", partialScore=_num(f["points"][b]))
            _predicate(attr, f["name"], p)
    return card


def _eta(model: dict) -> ET.Element:
    """intercept + Σ coef·WoE(bin), added in feature order (the scorer's order)."""
    expr = ET.Element("Constant", {"dataType": "double"})
    expr.text = _num(model["intercept"])
    for f in model["features"]:
        table = [float(f["coef"]) * float(w) for w in f["woe"]]
        total = ET.Element("Apply", {"function": "+"})
        total.append(expr)
        _expr(total, _bin_lookup(f["name"], f["binning"], table))
        expr = total
    return expr


def _raw_scorecard(root, content: dict, version: str, raw_field: str) -> ET.Element:
    """A one-characteristic Scorecard whose score is ``raw_field`` (a ``ComplexPartialScore``),
    then the calibration steps, the grade and the limit as outputs."""
    card = _el(root, "Scorecard", modelName=content.get("name") or "riskmodels", functionName="regression",
               useReasonCodes="false", initialScore="0.0")
    _mining_schema(card, content, version)
    out = _el(card, "Output")
    _inputs_output(out, content)
    _unseen_output(out, content)
    _output(out, TARGET, feature="predictedValue")
    _calibration_outputs(out, content["calibration"], TARGET)
    _grade_output(out, content["master_scale"], "pd")
    _limit_output(out, content.get("credit_limit"), inputs=[r["name"] for r in content["inputs"]])
    _ecl_output(out, content.get("ecl"))
    local = _el(card, "LocalTransformations")
    chars = _el(card, "Characteristics")
    attr = _el(_el(chars, "Characteristic", name="raw"), "Attribute")
    _el(attr, "True")
    _el(_el(attr, "ComplexPartialScore"), "FieldRef", field=raw_field)
    return card, local


def _identity(root, content: dict, version: str) -> ET.Element:
    card, local = _raw_scorecard(root, content, version, content["model"]["input"])
    card.remove(local)
    return card


def _crosstab(root, content: dict, version: str) -> ET.Element:
    model = content["model"]
    card, local = _raw_scorecard(root, content, version, "__cell_pd")
    names = []
    for k, (factor, binning, size) in enumerate(zip(model["factors"], model["bins"], model["shape"], strict=True)):
        name = f"__cell_{k}"
        names.append(name)
        d = _el(local, "DerivedField", name=name, optype="continuous", dataType="integer")
        # a bin the level tables do not hold (>= size) is "no bin" (-1), as in the scorer
        nbins = max(b for b, _ in _bins(binning)) + 1
        _expr(d, _bin_lookup(factor, binning, [i if i < size else -1 for i in range(nbins)], default=-1,
                             data_type="integer"))
    _expr(_el(local, "DerivedField", name="__cell_pd", optype="continuous", dataType="double"),
          _cell_pd(model, names))
    return card


def _cell_pd(model: dict, names: list):
    """PD of the deepest level whose factors all have a bin (the scorer's fallback)."""
    levels, shape = model["levels"], model["shape"]
    node = float(levels[0][0])
    for depth in range(1, len(names) + 1):
        has_bins = [("greaterOrEqual", Field(n), Typed((0, "integer"))) for n in names[:depth]]
        lookup = ET.Element("MapValues", {"outputColumn": "pd", "dataType": "double"})
        for k in range(depth):
            _el(lookup, "FieldColumnPair", field=names[k], column=f"c{k}")
        table = _el(lookup, "InlineTable")
        for flat, p in enumerate(levels[depth]):
            row = _el(table, "row")
            for k, i in enumerate(np.unravel_index(flat, shape[:depth])):
                _el(row, f"c{k}").text = str(int(i))
            _el(row, "pd").text = _num(p)
        node = ("if", ("and", *has_bins) if depth > 1 else has_bins[0], lookup, node)
    return node


# --------------------------------------------------------------------------- expert cards
_CAP_OPS = {"<": "lessThan", "<=": "lessOrEqual", ">": "greaterThan", ">=": "greaterOrEqual",
            "==": "equal", "!=": "notEqual"}


def _if_missing(x, then, otherwise):
    return ("if", ("isMissing", x), then, otherwise)


def _max0(a):
    """max(a, 0) with a missing ``a`` kept missing (numpy's maximum keeps NaN)."""
    return ("if", ("lessThan", a, 0.0), 0.0, a)


def _labels(x, table: dict, default=None):
    """``table[label of x]``; ``default`` (missing when None) for a missing or unknown label."""
    node = Typed((default, "double"))
    for label, value in reversed(list(table.items())):
        node = ("if", ("equal", x, str(label)), float(value), node)
    return _if_missing(x, Typed((default, "double")), node)


def _steps(x, thresholds: list, values: list):
    """values[searchsorted(thresholds, x, side="right")]; missing stays missing."""
    node = float(values[-1])
    for t, v in reversed(list(zip(thresholds, values, strict=False))):
        node = ("if", ("lessThan", x, float(t)), float(v), node)
    return _if_missing(x, Typed((None, "double")), node)


def _indicator_value(ind: dict):
    """One input, or the year-weighted mean renormalised over the years present (the kernel's
    order of operations: the full sum first, the renormalised mean only where a year is missing)."""
    xs = [Field(name) for name in ind["inputs"]]
    if len(xs) == 1:
        return xs[0]
    weights = [float(w) for w in ind["weights"]]
    full = ("*", weights[0], xs[0])
    for w, x in zip(weights[1:], xs[1:], strict=True):
        full = ("+", full, ("*", w, x))
    acc, wsum = 0.0, 0.0
    for w, x in zip(weights, xs, strict=True):
        acc = ("+", acc, _if_missing(x, 0.0, ("*", x, w)))
        wsum = ("+", wsum, _if_missing(x, 0.0, w))
    present = ("and", *[("isNotMissing", x) for x in xs])
    return ("if", present, full, ("if", ("equal", wsum, 0.0), Typed((None, "double")), ("/", acc, wsum)))


def _indicator_points(ind: dict, value: Field):
    kind = ind["kind"]
    if kind == "categorical":
        points = _labels(Field(ind["inputs"][0]), ind["table"])
    elif kind == "deduction":
        if "by_industry" in ind:
            raise BundleError(f"indicator {ind['name']!r}: industry curves on a deduction are not "
                              "expressed in PMML")
        base = _labels(Field(ind["base_input"]), ind["table"])
        points = _max0(("-", base, ("*", float(ind["deduct"]), _max0(("-", float(ind["full"]), value)))))
    elif kind == "interp":
        points = _interp(value, [float(v) for v in ind["x"]], [float(v) for v in ind["y"]])
    elif kind == "steps":
        points = _steps(value, ind["thresholds"], ind["values"])
    else:
        raise BundleError(f"indicator {ind['name']!r}: kind {kind!r} is not expressed in PMML")
    if "by_industry" in ind:
        industry = Field(ind["by_industry"]["column"])
        by_industry = points
        for label, curve in reversed(list(ind["by_industry"]["curves"].items())):
            curve_points = _interp(value, [float(v) for v in curve["x"]], [float(v) for v in curve["y"]])
            by_industry = ("if", ("equal", industry, str(label)), curve_points, by_industry)
        points = _if_missing(industry, points, by_industry)
    if ind.get("missing_points") is not None:
        points = _if_missing(Field(ind["inputs"][-1]), float(ind["missing_points"]), points)
    return points


def _cap_hit(cap: dict, model: dict, rules: dict):
    """1 where the cap's condition holds, else 0 (a missing source: as numpy compares NaN)."""
    if cap["indicator"] is not None:
        ind = model["indicators"][cap["indicator"]]
        is_text = ind["kind"] == "categorical"
        source = Field(ind["inputs"][0]) if is_text else Field(f"__value_{cap['indicator']}")
    else:
        is_text = rules[cap["input"]]["type"] == "category"
        source = Field(cap["input"])
    one, zero = 1.0, 0.0  # doubles: PMML4S turns integer arithmetic into doubles, then compares types
    if cap["op"] == "in":
        if not is_text:
            raise BundleError(f"cap {cap['name']!r}: an 'in' cap on a number is not expressed in PMML")
        return _if_missing(source, zero, ("if", ("isIn", source, *[str(v) for v in cap["value"]]), one, zero))
    if cap["op"] not in _CAP_OPS or is_text:
        raise BundleError(f"cap {cap['name']!r}: op {cap['op']!r} on this input is not expressed in PMML")
    missing = one if cap["op"] == "!=" else zero  # NaN != v is true in numpy, every other test false
    return _if_missing(source, missing, ("if", (_CAP_OPS[cap["op"]], source, float(cap["value"])), one, zero))


def _expert(root, content: dict, version: str, n_reasons: int) -> ET.Element:
    model, rules = content["model"], {r["name"]: r for r in content["inputs"]}
    indicators = model["indicators"]
    card = _el(root, "Scorecard", modelName=content.get("name") or "riskmodels", functionName="regression",
               useReasonCodes="true", reasonCodeAlgorithm="pointsBelow", initialScore="0.0",
               baselineMethod="other")
    _mining_schema(card, content, version)
    out = _el(card, "Output")
    _inputs_output(out, content)
    _unseen_output(out, content)
    for r in range(min(n_reasons, len(indicators))):
        _output(out, f"reason_{r + 1}", feature="reasonCode", data_type="string", rank=r + 1)
    total = 0.0
    for j in range(len(indicators)):  # added in indicator order, as the scorer adds them
        total = ("+", total, Field(f"__points_{j}"))
    adj = model.get("adjustment")
    if adj:
        total = ("+", total, _if_missing(Field(adj["input"]), 0.0, Field(adj["input"])))
    top = float(model["max_total"])
    _expr(_output(out, TARGET), ("if", ("lessThan", total, 0.0), 0.0,
                                 ("if", ("greaterThan", total, top), top, total)))
    score = Field(TARGET)
    lower = [float(b) for b in model["lower_bounds"]]
    # grade indices are doubles (0.0 = the best grade): PMML4S computes integer expressions as
    # doubles and then finds no integer equal to them
    before = float(len(lower) - 1)
    for i in reversed(range(len(lower) - 1)):
        before = ("if", ("greaterOrEqual", score, lower[i]), float(i), before)
    _expr(_output(out, "__before"), before)
    cap_max = -1.0  # the highest grade among the caps that hold
    for c, cap in sorted(enumerate(model["caps"]), key=lambda item: int(item[1]["grade"])):
        cap_max = ("if", ("equal", Field(f"__cap_{c}"), 1.0), float(cap["grade"]), cap_max)
    _expr(_output(out, "__after"), ("max", Field("__before"), cap_max))
    after = Field("__after")
    ceiling = score
    for k in range(1, len(lower)):  # a capped firm's limit reads its score just below its band
        below = math.nextafter(lower[k - 1], -math.inf)
        ceiling = ("if", ("equal", after, float(k)), ("min", score, below), ceiling)
    _expr(_output(out, "__basis"), ceiling)
    index = after
    default = model.get("default")
    if default:
        flag = Field(default["input"])
        index = ("if", ("and", ("isNotMissing", flag), ("notEqual", flag, 0.0)), float(default["grade"]), after)
    _expr(_output(out, "__grade_index"), index)
    grade = Typed((None, "string"))
    for i, label in reversed(list(enumerate(model["grades"]))):
        grade = ("if", ("equal", Field("__grade_index"), float(i)), str(label), grade)
    _expr(_output(out, "grade", data_type="string"), grade)
    _calibration_outputs(out, content["calibration"], TARGET)
    _grade_output(out, content["master_scale"], "pd", name="scale_grade")
    _limit_output(out, content.get("credit_limit"), basis="__basis", inputs=[r["name"] for r in content["inputs"]])
    _ecl_output(out, content.get("ecl"), grade="scale_grade")
    local = _el(card, "LocalTransformations")
    for j, ind in enumerate(indicators):
        value = Field(f"__value_{j}")
        if ind["kind"] != "categorical":
            _expr(_el(local, "DerivedField", name=str(value), optype="continuous", dataType="double"),
                  _indicator_value(ind))
        _expr(_el(local, "DerivedField", name=f"__points_{j}", optype="continuous", dataType="double"),
              _indicator_points(ind, value))
    for c, cap in enumerate(model["caps"]):
        _expr(_el(local, "DerivedField", name=f"__cap_{c}", optype="continuous", dataType="double"),
              _cap_hit(cap, model, rules))
    # reason codes: each indicator's rank among the points lost (max points − points), ties to
    # the indicator listed first -- the scorer's order, computed exactly; the characteristics
    # score the rank, so "pointsBelow" from a baseline of F ranks them so in every engine
    # (the card's score is the output "score" above, not the Scorecard's sum of ranks)
    n = len(indicators)
    for j, ind in enumerate(indicators):
        _expr(_el(local, "DerivedField", name=f"__lost_{j}", optype="continuous", dataType="double"),
              ("-", float(ind["max_points"]), Field(f"__points_{j}")))
    chars = _el(card, "Characteristics")
    for j, ind in enumerate(indicators):
        rank = 0.0
        for i in range(n):
            if i != j:
                ahead = ("greaterOrEqual" if i < j else "greaterThan", Field(f"__lost_{i}"), Field(f"__lost_{j}"))
                rank = ("+", rank, ("if", ahead, 1.0, 0.0))
        _expr(_el(local, "DerivedField", name=f"__rank_{j}", optype="continuous", dataType="double"), rank)
        attr = _el(_el(chars, "Characteristic", name=f"__indicator_{j}", reasonCode=ind["name"],
                       baselineScore=_num(n)), "Attribute")
        _el(attr, "True")
        _el(_el(attr, "ComplexPartialScore"), "FieldRef", field=f"__rank_{j}")
    return card


def _mining_schema(card, content: dict, version: str) -> None:
    ms = _el(card, "MiningSchema")
    for rule in content["inputs"]:
        _mining_field(ms, rule, version)
    _el(ms, "MiningField", name=PREDICTED, usageType="predicted")


# --------------------------------------------------------------------------- verification
def verification_records(content: dict) -> list[dict]:
    """Records that visit each bin of each feature (one per bin of the widest feature).

    >>> content = {"inputs": [{"name": "x", "type": "number"}], "model": {"features": [{"name": "x",
    ...     "binning": {"type": "numeric", "edges": [1.0, 2.0]}}]}}
    >>> verification_records(content)
    [{'x': 0.0}, {'x': 1.0}, {'x': 2.0}]
    """
    model = content["model"]
    pairs = [(f["name"], f["binning"]) for f in model.get("features", [])] or list(
        zip(model.get("factors", []), model.get("bins", []), strict=True))
    values = {}
    for name, binning in pairs:
        if binning["type"] == "numeric":
            edges = [float(e) for e in binning["edges"]]
            values[name] = [edges[0] - 1.0, *edges] if edges else [0.0]
        else:
            by_bin: dict[int, str] = {}
            for label, b in sorted(binning["categories"].items()):
                by_bin.setdefault(int(b), str(label))
            values[name] = [by_bin[b] for b in sorted(by_bin)]
    n = max((len(v) for v in values.values()), default=0)
    return [{name: v[i % len(v)] for name, v in values.items()} for i in range(n)]


def _verification(card, content: dict, n_reasons: int) -> None:
    scorer = Scorer(content, n_reasons=n_reasons)
    example, ecl = scorer.example(), content.get("ecl")
    if ecl and ecl.get("ead") is not None and example[ecl["ead"]] == 0.0:
        top = next(r.get("max") for r in content["inputs"] if r["name"] == ecl["ead"])
        if top is None or top >= 1.0:
            example[ecl["ead"]] = 1.0  # an exposure of 1: the rows show the ECL per unit, not 0
    records = verification_records(content) or [example]
    if ecl:  # the fields the expected credit loss reads, as in the example record
        records = [{**r, **{f: example[f] for f in ecl_inputs(ecl) if f not in r}} for r in records]
    result = scorer.score(records, on_error="report")
    if result.get("errors"):
        return  # a bundle whose own bins need other inputs: no rows to vouch for
    outputs = ["pd", "grade"] + (["score"] if result.get("score") is not None else [])
    outputs += [name for name in ("ecl_12m", "ecl_lifetime") if name in result]
    mv = _el(card, "ModelVerification", recordCount=len(records), fieldCount=len(records[0]) + len(outputs))
    fields = _el(mv, "VerificationFields")
    names = list(records[0])
    for i, name in enumerate(names):
        _el(fields, "VerificationField", field=name, column=f"in{i}")
    for name in outputs:
        attrs = {"precision": "1E-9", "zeroThreshold": "1E-12"} if name != "grade" else {}
        _el(fields, "VerificationField", field=name, column=f"out_{name}", **attrs)
    table = _el(mv, "InlineTable")
    for r, record in enumerate(records):
        row = _el(table, "row")
        for i, name in enumerate(names):
            v = record[name]
            _el(row, f"in{i}").text = _num(v) if isinstance(v, float) else str(v)
        for name in outputs:
            v = result[name][r]
            _el(row, f"out_{name}").text = str(v) if name == "grade" else _num(v)
    # ModelVerification sits after the Output and before the model's body (PMML schema order)
    kids = list(card)
    card.remove(mv)
    at = next(i for i, k in enumerate(kids) if k.tag in ("LocalTransformations", "Characteristics"))
    card.insert(at, mv)


# --------------------------------------------------------------------------- entry point
def to_pmml(bundle, path=None, *, version: str = "4.4", n_reasons: int = 3,
            verification: bool = True, verify_signature: bool = True) -> str:
    """The bundle as a PMML document (text); also written to ``path`` when given.

    Parameters
    ----------
    bundle : a bundle path, JSON bytes or dict (verified: hash, version).
    path : where to write the file (atomically); ``None`` only returns the text.
    version : "4.4" (default) or "4.2" (see the module notes for what differs).
    n_reasons : reason codes per record (``reason_1`` .. ``reason_k``), as ``load_scorer``'s.
    verification : embed ``ModelVerification`` rows scored by the bundle's own scorer.
    verify_signature : with no signing key set, a signed bundle is refused unless False.

    Returns
    -------
    str : the PMML document. Its outputs: ``score`` (points), ``reason_1..k``, ``pd``,
    ``grade``, ``credit_limit`` where the bundle has a limit, and ``ecl_12m``, ``ecl_lifetime``
    (``stage``, ``ecl``) where it has an expected-credit-loss section.

    Raises
    ------
    BundleError : a kind or rule PMML cannot express (KMV; an expert card's unknown indicator
        kind, an ``in`` cap on a number, industry curves on a deduction), an unknown version.
    """
    if version not in VERSIONS:
        raise BundleError(f"unknown PMML version {version!r}; known: {list(VERSIONS)}")
    content = expressible_content(bundle, "PMML", EXPRESSIBLE, verify_signature=verify_signature)
    kind = content["kind"]
    ET.register_namespace("", VERSIONS[version])
    root = ET.Element("PMML", {"xmlns": VERSIONS[version], "version": version})
    header = _el(root, "Header", description=f"riskmodels {kind} scorer {content.get('name', '')}".strip())
    _el(header, "Application", name="riskmodels")
    meta = content.get("metadata") or {}
    ann = _el(header, "Annotation")
    ann.text = f"bundle sha256 {content.get('sha256', '')}; created {meta.get('created_at', '')}".strip()
    dd = _el(root, "DataDictionary", numberOfFields=len(content["inputs"]) + 1)
    for rule in content["inputs"]:
        _data_field(dd, rule)
    _el(dd, "DataField", name=PREDICTED, optype="continuous", dataType="double")
    if kind == "logistic":
        card = _logistic(root, content, version, n_reasons)
    elif kind == "expert":
        card = _expert(root, content, version, n_reasons)
    else:
        card = _crosstab(root, content, version) if kind == "crosstab" else _identity(root, content, version)
    _refuse_clashes(root, content)
    if verification:
        _verification(card, content, n_reasons)
    ET.indent(root)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
    if path is not None:
        _write_atomically(Path(path), text)
    return text


def _refuse_clashes(root: ET.Element, content: dict) -> None:
    """PMML names every field once: an input named like an output or derived field (an identity
    bundle's input ``pd``) makes a file JPMML refuses ("DuplicateFieldValueException")."""
    made = {el.get("name") for el in root.iter() if el.tag.rsplit("}", 1)[-1] in ("OutputField", "DerivedField")}
    clash = sorted(r["name"] for r in content["inputs"] if r["name"] in made)
    if clash:
        raise BundleError(f"input(s) {clash} share their name with a field the PMML document computes "
                          "(every PMML field name is unique): rename them in the data and refit, or "
                          "for an identity bundle choose another input name")


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
