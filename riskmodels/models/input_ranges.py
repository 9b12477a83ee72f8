"""What the development sample held, written into a bundle's input rules: ranges, categories.

Every model records, when it is fitted, each number input's smallest and largest finite
value and whether any value was missing (:func:`training_ranges`); the bundle's rules
then carry them as ``train_min``, ``train_max`` and ``train_missing``, with the policy
``outside_training`` (``"warn"`` by default: the record is scored and flagged in its
``warnings``; ``"error"``: refused; ``"allow"``: neither) that also covers a category
never seen in training and a missing value where the sample had none
(:func:`with_ranges`). A *hard* range — what the domain allows at all, a share in
[0, 1], days past due >= 0 — goes into ``min``/``max`` with ``out_of_range: "error"``:
declared at export (``hard_ranges``), or known for the features this project builds
(:data:`DOMAIN_RANGES`) — unless the development sample itself lies outside a known
range (a special code such as -1 for "no invoice fell due"): a range the data breaks is
not the data's, and only a declared one is enforced then.
"""

from __future__ import annotations

import math
import re

import numpy as np

from riskmodels import scoring
from riskmodels.errors import ParameterError, Violation

POLICIES = ("warn", "error", "allow")

_SHARE = (0.0, 1.0)
_NON_NEGATIVE = (0.0, None)
#: hard ranges of the features built by :mod:`riskmodels.data.features` and the synthetic
#: portfolio (:mod:`riskmodels.data.synthetic`): shares in [0, 1]; days, counts, amounts and
#: ratios of non-negative amounts >= 0. A ``_lagN`` suffix (an earlier fiscal year) has the
#: range of its base name.
DOMAIN_RANGES = {
    **dict.fromkeys(("on_time_share", "volume_share", "age_0_30", "age_31_60", "age_61_90", "age_91_180",
                     "age_181_365", "age_366_under_3y", "age_3y_or_more"), _SHARE),
    **dict.fromkeys(("dpd_current", "dpd_max_3m", "dpd_max_6m", "dpd_max_12m", "dpd_max_24m",
                     "avg_days_late", "weighted_days_late", "n_invoices", "tenure_months",
                     "outstanding", "overdue_amount", "limit_utilisation", "debt_ratio",
                     "current_ratio", "quick_ratio", "asset_turnover", "receivables_turnover",
                     "inventory_turnover", "total_assets", "current_assets", "revenue",
                     "monthly_sales", "short_term_debt", "long_term_debt", "employees"),
                    _NON_NEGATIVE),
}
_LAG = re.compile(r"_lag\d+$")


def domain_range(name: str) -> tuple | None:
    """The hard range (low, high; None = unbounded) of a feature this project builds, else None.

    Examples
    --------
    >>> domain_range("on_time_share"), domain_range("debt_ratio_lag2"), domain_range("roa")
    ((0.0, 1.0), (0.0, None), None)
    """
    return DOMAIN_RANGES.get(_LAG.sub("", name))


def training_ranges(rules: list, columns) -> dict:
    """Per number input found in ``columns``: its finite min and max and whether a value was missing.

    Parameters
    ----------
    rules : list of dict
        The bundle's input rules.
    columns : DataFrame or dict of columns
        The development sample.

    Returns
    -------
    dict
        ``{name: {"min": float | None, "max": float | None, "missing": bool}}`` (min and
        max None when no value is finite); category inputs: ``{"missing": bool}``.

    Examples
    --------
    >>> rules = [{"name": "x", "type": "number"}, {"name": "c", "type": "category"}]
    >>> training_ranges(rules, {"x": [2.0, float("nan"), -1.0], "c": ["a", "b", "a"]})
    {'x': {'min': -1.0, 'max': 2.0, 'missing': True}, 'c': {'missing': False}}
    """
    summaries = {}
    for rule in rules:
        name = rule["name"]
        if name not in columns:
            continue
        values = scoring.column_array(columns[name])
        if rule["type"] == "number":
            x, wrong = scoring.number_column(values)
            finite = x[np.isfinite(x)]
            summaries[name] = (finite.min() if finite.size else None, finite.max() if finite.size else None,
                               (np.isnan(x) & ~wrong).any())
        else:
            summaries[name] = (None, None, np.equal(scoring.category_column(np.asarray(values)), None).any())
    return ranges_of(rules, summaries)


def ranges_of(rules: list, summaries: dict) -> dict:
    """The training ranges of :func:`training_ranges` from per-input summaries computed elsewhere (Spark).

    Parameters
    ----------
    rules : list of dict
        The bundle's input rules.
    summaries : dict
        ``{name: (low, high, missing)}``: the smallest and largest finite value (None when
        there is none; not read for a category input) and whether a value was missing.

    Returns
    -------
    dict
        As :func:`training_ranges`, for the inputs in ``summaries``.

    Examples
    --------
    >>> rules = [{"name": "x", "type": "number"}, {"name": "c", "type": "category"}]
    >>> ranges_of(rules, {"x": (-1, 2, 1), "c": (None, None, False)})
    {'x': {'min': -1.0, 'max': 2.0, 'missing': True}, 'c': {'missing': False}}
    """
    found = {}
    for rule in rules:
        if rule["name"] not in summaries:
            continue
        low, high, missing = summaries[rule["name"]]
        found[rule["name"]] = {"missing": bool(missing)} if rule["type"] != "number" else {
            "min": None if low is None else float(low), "max": None if high is None else float(high),
            "missing": bool(missing)}
    return found


def _hard(name: str, hard_ranges: dict | None, domain: bool):
    if hard_ranges is not None and name in hard_ranges:
        return hard_ranges[name]
    return domain_range(name) if domain else None


def _holds(hard: tuple, seen: dict | None) -> bool:
    """Whether the development sample lies within a domain range (True without a sample).

    >>> _holds((0.0, 1.0), {"min": -1.0, "max": 0.9}), _holds((0.0, None), {"min": 0.0, "max": 7.0})
    (False, True)
    """
    if not seen:
        return True
    low, high = hard
    below = low is not None and seen.get("min") is not None and seen["min"] < low
    above = high is not None and seen.get("max") is not None and seen["max"] > high
    return not (below or above)


def with_ranges(rules: list, ranges: dict | None, outside_training: str = "warn",
                hard_ranges: dict | None = None, domain: bool = True) -> list:
    """The input rules with the development sample's ranges, the policy and the hard ranges.

    Parameters
    ----------
    rules : list of dict
        The model's input rules (not changed; copies are returned).
    ranges : dict or None
        :func:`training_ranges` of the development sample (None: a model fitted without it,
        e.g. on Spark; the rules then get no ``train_*`` fields).
    outside_training : {"warn", "error", "allow"}
        What a value outside ``[train_min, train_max]``, an unknown category the rule
        allows and a missing value where the sample had none do: flagged in the record's
        ``warnings``, refused, or neither.
    hard_ranges : dict, optional
        ``{name: (low, high)}`` (None for an open end; ``None`` instead of the pair: no hard
        range) overriding :data:`DOMAIN_RANGES`; a value outside is refused
        (``out_of_range: "error"``). A rule that declares ``min``/``max`` itself keeps them
        unless named here.
    domain : bool
        Apply :data:`DOMAIN_RANGES` to the rules without ``min``/``max`` (an expert card's
        spec declares its own hard ranges: False there).

    Returns
    -------
    list of dict

    Raises
    ------
    ParameterError
        an unknown policy, or a hard range whose low end is above its high end.

    Examples
    --------
    >>> rules = [{"name": "on_time_share", "type": "number", "missing": "allow"}]
    >>> with_ranges(rules, {"on_time_share": {"min": 0.2, "max": 0.9, "missing": False}})[0]
    ... # doctest: +NORMALIZE_WHITESPACE
    {'name': 'on_time_share', 'type': 'number', 'missing': 'allow', 'train_min': 0.2,
     'train_max': 0.9, 'train_missing': False, 'outside_training': 'warn', 'min': 0.0,
     'max': 1.0, 'out_of_range': 'error'}
    """
    if outside_training not in POLICIES:
        raise ParameterError([Violation("outside_training", f"is {outside_training!r}",
                                        f"one of {list(POLICIES)}")], "export")
    out = []
    for rule in rules:
        rule = dict(rule)
        seen = (ranges or {}).get(rule["name"])
        if seen is not None:
            if rule["type"] == "number":
                for key in ("min", "max"):
                    if seen[key] is not None and math.isfinite(seen[key]):
                        rule[f"train_{key}"] = float(seen[key])
            rule["train_missing"] = bool(seen["missing"])
        if seen is not None or rule.get("categories") is not None:
            rule["outside_training"] = outside_training
        if rule["type"] == "number":
            declared = hard_ranges is not None and rule["name"] in hard_ranges
            if declared or (rule.get("min") is None and rule.get("max") is None):
                hard = _hard(rule["name"], hard_ranges, domain)
                if hard is not None and not declared and not _holds(hard, seen):
                    hard = None  # the sample breaks the name's usual range (a special code such as -1)
                if hard is not None:
                    low, high = hard
                    if low is not None and high is not None and low > high:
                        raise ParameterError([Violation(f"hard_ranges[{rule['name']!r}]",
                                                        f"is ({low}, {high})", "low <= high")], "export")
                    rule.update({"min": None if low is None else float(low),
                                 "max": None if high is None else float(high), "out_of_range": "error"})
                elif declared:
                    rule.update({"min": None, "max": None})
        out.append(rule)
    return out
