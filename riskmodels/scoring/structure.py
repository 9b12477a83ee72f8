"""Structure checks of a bundle (:func:`check_structure`), standard library only.

A bundle that passes its sha256 may still have been edited and resealed, or written by a
broken exporter. Every section the kernels read is checked here before any record is
scored; each failure names its path inside the bundle.
"""

from __future__ import annotations

import math

from .errors import BundleError
from .kmv import KMV_ROLES

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




#: what a rule's ``outside_training`` does with a value outside ``[train_min, train_max]``, a
#: category not in ``categories`` that ``unknown: allow`` lets through, and a missing value
#: the rule allows where the development sample had none (``train_missing: false``): score it
#: and flag it in the record's warnings, refuse it, or neither (the default)
TRAINING_POLICIES = ("warn", "error", "allow")


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
        if "outside_training" in rule and rule["outside_training"] not in TRAINING_POLICIES:
            _bad(f"{where}.outside_training",
                 f"is {rule['outside_training']!r}; expected one of {list(TRAINING_POLICIES)}")
        for key in ("required", "train_missing"):
            if key in rule and not isinstance(rule[key], bool):
                _bad(f"{where}.{key}", "must be true or false")
        for key in ("min", "max", "train_min", "train_max"):
            if rule.get(key) is not None:
                _number(rule[key], f"{where}.{key}")
        for lo, hi in (("min", "max"), ("train_min", "train_max")):
            if rule.get(lo) is not None and rule.get(hi) is not None and rule[lo] > rule[hi]:
                _bad(f"{where}.{lo}", f"{rule[lo]!r} is above {hi} {rule[hi]!r}")
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


def _number_input(name, rules: dict, path: str, lo: float | None = None, hi: float | None = None) -> None:
    """``name`` is a number input that refuses a missing value and values outside [lo, hi]."""
    _needs(name, rules, path)
    rule = rules[name]
    if rule["type"] != "number" or rule.get("missing", "error") != "error":
        _bad(path, f"names {name!r}, which must be a number input that refuses a missing value")
    if rule.get("out_of_range", "error") != "error" or (
            lo is not None and (rule.get("min") is None or rule["min"] < lo)) or (
            hi is not None and (rule.get("max") is None or rule["max"] > hi)):
        _bad(path, f"names {name!r}, whose rule must refuse values outside [{lo}, {hi}] "
             "(min, max and out_of_range: error)")


def _check_ecl(ecl: dict, rules: dict, scale: dict) -> None:
    """The expected-credit-loss section (:mod:`riskmodels.scoring.ecl`)."""
    _section(ecl, "ecl", dict, ("grades", "marginal", "lgd", "discount_rate"))
    if ecl["grades"] != scale["grades"]:
        _bad("ecl.grades", "must be the master scale's grades, in its order")
    rows = _section(ecl["marginal"], "ecl.marginal", list)
    if len(rows) != len(scale["grades"]):
        _bad("ecl.marginal", f"has {len(rows)} row(s); expected one per grade ({len(scale['grades'])})")
    years = None
    for i, row in enumerate(rows):
        _numbers(row, f"ecl.marginal[{i}]", n=years, lo=0.0, hi=1.0)
        years = len(row)
        if not row or sum(row) > 1.0 + 1e-9:
            _bad(f"ecl.marginal[{i}]", "must hold 1 or more marginal PDs summing to at most 1")
    if isinstance(ecl["lgd"], dict):  # by segment: every category of a category input has its LGD
        lgd = _section(ecl["lgd"], "ecl.lgd", dict, ("segment", "values"))
        _needs(lgd["segment"], rules, "ecl.lgd.segment")
        rule = rules[lgd["segment"]]
        values = _section(lgd["values"], "ecl.lgd.values", dict)
        for label, v in values.items():
            _number(v, f"ecl.lgd.values.{label}", 0.0, 1.0)
        if rule["type"] != "category" or rule.get("missing", "error") != "error" or \
                rule.get("unknown", "error") != "error" or not rule.get("categories") or \
                not set(rule["categories"]) <= set(values):
            _bad("ecl.lgd.segment", f"names {lgd['segment']!r}, which must be a category input that "
                 "refuses a missing value and unknown categories, each of its categories with an LGD")
    else:
        _number(ecl["lgd"], "ecl.lgd", 0.0, 1.0)
    _number(ecl["discount_rate"], "ecl.discount_rate", 0.0, 10.0)
    if ecl.get("ead") is not None:
        _number_input(ecl["ead"], rules, "ecl.ead", lo=0.0)
    rule = ecl.get("stage")
    if rule is not None:
        _section(rule, "ecl.stage", dict, ("origination_pd",))
        _number_input(rule["origination_pd"], rules, "ecl.stage.origination_pd", lo=0.0, hi=1.0)
        if rule.get("days_past_due") is not None:
            _number_input(rule["days_past_due"], rules, "ecl.stage.days_past_due", lo=0.0)
        for key in ("relative", "absolute", "sicr_dpd", "default_dpd"):
            if key in rule:
                _number(rule[key], f"ecl.stage.{key}", 0.0)


_MODEL_CHECKS = {"identity": _check_identity, "logistic": _check_logistic, "crosstab": _check_crosstab,
                 "kmv": _check_kmv, "expert": _check_expert}


def check_structure(content: dict) -> dict:
    """Refuse a bundle whose sections do not have the types, shapes and ranges the kernels need.

    Checked: nesting depth and string sizes everywhere; every number finite; input rules
    (names unique, known policies, numeric bounds with min <= max); the model section of
    the built-in kinds (the fields a kernel reads, names that are bundle inputs, increasing
    bin edges, bin indices inside the tables, probabilities in [0, 1], cell counts);
    calibration steps (increasing x, a final PD in [0, 1]); the master scale (k unique
    grades, k - 1 increasing bounds in [0, 1]); the ``ecl`` section (one row of marginal PDs
    in [0, 1] per master-scale grade, LGD in [0, 1] or one per category of a category input,
    the EAD and stage fields number inputs that refuse a missing or negative value). Kinds registered by other code get the
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
    if content.get("ecl") is not None:
        _check_ecl(content["ecl"], rules, content["master_scale"])
    for key in ("credit_limit", "metadata"):
        if content.get(key) is not None:
            _section(content[key], key, dict)
    return content
