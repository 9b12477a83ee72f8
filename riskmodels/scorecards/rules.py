"""Rule-based customer classes, value tiers, terms and credit limits (documents 000, 002).

The rules are data (``specs/customer_rules.yaml``): ordered classes whose
conditions compare a column with a value (first match wins), value tiers by
annual sales, terms (limit share, credit period, discount) per class, the
downgrade of late payers by severity and limit 0 plus blacklist for malicious
defaulters. A missing value never satisfies a condition.

A condition's ``op`` may be the document's own boundary word — 以上, 以下 (the number
included), 超过, 不满 (excluded) — read by :mod:`riskmodels.data.periods` (民法典
第一千二百五十九条), the one reading every rule shares. A term the document uses in two
rules (不良欠款 in 002 4.4.1.4: A 「没有发生不良欠款」, C 「曾发生过不良欠款」) is defined once
under ``definitions`` and named by both: ``{term: bad_debt}`` / ``{term: bad_debt, negate: true}``.

Examples
--------
>>> import pandas as pd
>>> rules = CustomerRules.from_spec()
>>> rules.value_tier(pd.DataFrame({"revenue": [25e6, 6e6, 2e6, 5e5],
...                                "tenure_months": [40, 40, 3, 40]}))["tier"].tolist()
['VIP', 'A', 'C', 'C']
"""

from __future__ import annotations

import itertools
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from riskmodels import scoring
from riskmodels.data.periods import WORDS, compare
from riskmodels.data.schema import violation
from riskmodels.errors import DataValidationError, SpecError, Violation
from riskmodels.scorecards.spec import SPECS_DIR, StrictSpec, read_mapping, validated

_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==",
            **{w: {">=": "<", "<=": ">", ">": "<=", "<": ">="}[op] for w, op in WORDS.items()}}


class Condition(StrictSpec):
    """``column op value``; ``in`` takes a list of answers; ``op`` may be a boundary word (以上 …).

    Examples
    --------
    >>> Condition(column="overdue_days", op="超过", value=90).op
    '超过'
    """

    column: str
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in", "以上", "以下", "超过", "不满", "以内", "届满"]
    value: float | list[str]
    label: str | None = None
    default: bool = False


class ClassRule(StrictSpec):
    """A class and its conditions: ``all`` must hold, or ``any`` may; neither = fallback.

    Examples
    --------
    >>> rule = ClassRule.model_validate({"class": "C", "any": [{"column": "overdue_days", "op": ">", "value": 90}]})
    >>> rule.name, rule.any[0].column
    ('C', 'overdue_days')
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    name: str = Field(alias="class")
    all: list[Condition] | None = None
    any: list[Condition] | None = None


class RuleSet(StrictSpec):
    """Ordered class rules; the last one must be the fallback.

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> [c.name for c in spec.rulesets["abc"].classes]
    ['C', 'A', 'B']
    """

    label: str | None = None
    note: str | None = None
    classes: list[ClassRule] = Field(min_length=2)


class Tier(StrictSpec):
    """A value tier: the tier name and the smallest annual sales that reach it.

    Examples
    --------
    >>> Tier(tier="VIP", min=2e7).tier
    'VIP'
    """

    tier: str
    min: float


class ValueTiers(StrictSpec):
    """Tiers by annual sales, highest ``min`` first.

    ``boundary: above`` (default) puts a customer in a tier when its sales are strictly
    above the tier's ``min``, so a boundary value belongs to the lower tier (002: VIP
    "超过2000万", 超过 = more than; C "100万以下", 以下 includes the number); ``at_or_above``
    puts it in the upper tier.

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> spec.value_tiers.column, [t.tier for t in spec.value_tiers.tiers]
    ('revenue', ['VIP', 'A', 'B', 'C'])
    """

    column: str
    boundary: Literal["above", "at_or_above"] = "above"
    tiers: list[Tier] = Field(min_length=1)
    note: str | None = None
    default: bool = False


class Composite(StrictSpec):
    """The eight composite indicators behind the value tiers (002 客户评估分类管理办法 3.2 综合指标),
    each answered 好/较好/一般/差 (good / fairly good / average / poor).

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> len(spec.composite.indicators), spec.composite.indicators[:2]
    (8, ['sales_achievement', 'overall_strength'])
    """

    indicators: list[str] = Field(min_length=1)
    levels: dict[str, float]
    note: str | None = None


class NewCustomers(StrictSpec):
    """Customers younger than ``months`` (tenure column) get ``tier`` whatever their sales.

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> spec.new_customers.tenure_column, spec.new_customers.months, spec.new_customers.tier
    ('tenure_months', 6.0, 'C')
    """

    tenure_column: str
    months: float = 6
    tier: str
    note: str | None = None


class Terms(StrictSpec):
    """The terms of one customer class: limit share, credit days, cash discount, payment method.

    Examples
    --------
    >>> Terms(limit_share=0.5, credit_days=30, discount=0.02, payment="transfer").credit_days
    30
    """

    limit_share: float = Field(ge=0)
    credit_days: int = Field(ge=0)
    discount: float = Field(ge=0, lt=1)
    payment: str


class TermsTable(StrictSpec):
    """Terms per customer class.

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> sorted(spec.terms.classes)
    ['A', 'B', 'C', 'D']
    """

    classes: dict[str, Terms]
    note: str | None = None
    default: bool = False


class Notch(StrictSpec):
    """Late payers at least ``min_days`` late are downgraded by ``notches`` classes.

    Examples
    --------
    >>> Notch(min_days=30, notches=1).notches
    1
    """

    min_days: float
    notches: int = Field(ge=1)


class LatePayers(StrictSpec):
    """Downgrade of late payers by severity (000 5: 视情节轻重给予信用等级的降级处理).

    The text downgrades every late payer (「对延迟付清款物的客户」), so by default
    (``grace_days: 0``) a customer late more than ``grace_days`` days loses at least one
    notch; the ``notches`` table gives more for longer lateness. A grace period is a
    policy choice the text does not make: set ``grace_days`` to allow one.

    ``covered_by`` lists columns that are never below ``column`` (a longer window of the
    same maximum days past due): a class condition on them bounds ``column`` too.

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> spec.late_payers.column, [n.notches for n in spec.late_payers.notches]
    ('dpd_max_12m', [1, 2, 3])
    """

    column: str
    notches: list[Notch]
    grace_days: float = Field(default=0.0, ge=0)
    malicious_column: str
    covered_by: list[str] = []
    note: str | None = None
    default: bool = False


class CustomerRulesSpec(StrictSpec):
    """The whole rules file.

    Examples
    --------
    >>> spec = CustomerRules.from_spec().spec
    >>> spec.name, sorted(spec.rulesets)
    ('customer_rules', ['abc', 'risk'])
    """

    name: str
    source: str | None = None
    definitions: dict[str, Condition] = {}
    rulesets: dict[str, RuleSet]
    value_tiers: ValueTiers
    value_tier_versions: dict[str, ValueTiers] = {}
    composite: Composite | None = None
    new_customers: NewCustomers
    terms: TermsTable
    late_payers: LatePayers


def _check(spec: CustomerRulesSpec, source: str) -> None:
    for key, ruleset in spec.rulesets.items():
        for i, rule in enumerate(ruleset.classes):
            last = i == len(ruleset.classes) - 1
            if (rule.all is None and rule.any is None) != last:
                raise SpecError("only the last class is the fallback (no conditions)",
                                f"rulesets.{key}.classes[{i}]", source)
            if (rule.all is not None and rule.any is not None) or rule.all == [] or rule.any == []:
                raise SpecError("give one non-empty list of conditions, 'all' or 'any'",
                                f"rulesets.{key}.classes[{i}]", source)
            for j, cond in enumerate((rule.all or []) + (rule.any or [])):
                if (cond.op == "in") != isinstance(cond.value, list):
                    raise SpecError("'in' takes a list, the other operators a number",
                                    f"rulesets.{key}.classes[{i}].{'all' if rule.all else 'any'}[{j}].value",
                                    source)
    for key, vt in [("value_tiers", spec.value_tiers)] + [(f"value_tier_versions.{k}", v)
                                                           for k, v in spec.value_tier_versions.items()]:
        mins = [t.min for t in vt.tiers]
        if any(b >= a for a, b in itertools.pairwise(mins)):
            raise SpecError("tiers must be listed from the highest minimum down", f"{key}.tiers", source)
        tiers = [t.tier for t in vt.tiers]
        if spec.new_customers.tier not in tiers:
            raise SpecError(f"unknown tier {spec.new_customers.tier!r}; tiers: {tiers}", "new_customers.tier",
                            source)
    days = [n.min_days for n in spec.late_payers.notches]
    if any(b <= a for a, b in itertools.pairwise(days)):
        raise SpecError("min_days must increase", "late_payers.notches", source)


def _expand_terms(data: dict, source: str) -> dict:
    """Replace each ``{term: name, negate: bool, label: ...}`` of the rule sets by its definition."""
    definitions = data.get("definitions") or {}
    if not isinstance(definitions, dict):
        return data
    rulesets = {}
    for key, ruleset in (data.get("rulesets") or {}).items():
        classes = []
        for i, rule in enumerate((ruleset or {}).get("classes") or []):
            rule = dict(rule)
            for kind in ("all", "any"):
                if not isinstance(rule.get(kind), list):
                    continue
                conds = []
                for j, cond in enumerate(rule[kind]):
                    if isinstance(cond, dict) and "term" in cond:
                        where = f"rulesets.{key}.classes[{i}].{kind}[{j}]"
                        extra = sorted(set(cond) - {"term", "negate", "label"})
                        if extra or cond["term"] not in definitions:
                            raise SpecError(f"a term reference takes term (one of {sorted(definitions)}), "
                                            f"negate and label; got {sorted(cond)}", where, source)
                        negate = bool(cond.get("negate"))
                        cond = {**definitions[cond["term"]], **({"label": cond["label"]} if "label" in cond else {})}
                        if negate and cond.get("op") not in _NEGATED:
                            raise SpecError(f"cannot negate the operator {cond.get('op')!r}", where, source)
                        if negate:
                            cond["op"] = _NEGATED[cond["op"]]
                    conds.append(cond)
                rule[kind] = conds
            classes.append(rule)
        rulesets[key] = {**ruleset, "classes": classes}
    return {**data, "rulesets": rulesets}


def _condition(frame: pd.DataFrame, cond: Condition) -> np.ndarray:
    values = frame[cond.column]
    if cond.op == "in":
        return values.isin(cond.value).to_numpy()
    numbers = pd.to_numeric(values, errors="coerce")
    wrong = (numbers.isna() & values.notna()).to_numpy()
    if wrong.any():  # a text value never silently fails a numeric condition
        raise DataValidationError([violation(cond.column, "values that are not numbers", values.index[wrong],
                                              f"numbers for the condition {cond.op} {cond.value:g}")])
    return compare(numbers.to_numpy(dtype=float), cond.op, cond.value)


class CustomerRules:
    """The documents' customer rules (classes, tiers, terms, late payers, limits).

    Parameters
    ----------
    spec : a validated :class:`CustomerRulesSpec`; use :meth:`from_spec`.

    Examples
    --------
    >>> CustomerRules.from_spec().order("abc")
    ['A', 'B', 'C']
    """

    def __init__(self, spec: CustomerRulesSpec):
        self.spec = spec

    @classmethod
    def from_spec(cls, path=None) -> CustomerRules:
        """Load ``customer_rules.yaml`` (shipped) or another file; raise SpecError when invalid.

        Parameters
        ----------
        path : str or Path, optional
            A rules YAML file (default: the shipped ``customer_rules.yaml``).

        Returns
        -------
        CustomerRules

        Examples
        --------
        >>> sorted(CustomerRules.from_spec().spec.rulesets)
        ['abc', 'risk']
        """
        path = SPECS_DIR / "customer_rules.yaml" if path is None else path
        return cls.from_dict(read_mapping(path), str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = "") -> CustomerRules:
        """Validate rules given as a dict; raise SpecError when invalid.

        Parameters
        ----------
        data : dict
            The rules' mapping (as YAML would give it).
        source : str
            Where the rules came from, for the error messages.

        Returns
        -------
        CustomerRules

        Examples
        --------
        >>> data = read_mapping(SPECS_DIR / "customer_rules.yaml")
        >>> CustomerRules.from_dict(data).order("risk")
        ['A', 'B', 'C', 'D']
        """
        spec = validated(CustomerRulesSpec, _expand_terms(data, source), source)
        _check(spec, source)
        return cls(spec)

    def _require(self, frame: pd.DataFrame, columns) -> None:
        missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
        if missing:
            raise DataValidationError([Violation(c, "missing column", "a column the customer rules read")
                                       for c in missing], context=self.spec.name)

    def classify(self, frame: pd.DataFrame, ruleset: str = "abc") -> np.ndarray:
        """Class of each customer under a rule set ("abc" or "risk"): first match wins.

        Examples
        --------
        >>> import pandas as pd
        >>> rules = CustomerRules.from_spec()
        >>> rows = pd.DataFrame({"dpd_current": [0, 120, 0], "dpd_max_12m": [0, 150, 40],
        ...                      "volume_share": [0.1, 0.1, 0.1], "on_time_share": [0.99, 0.4, 0.8]})
        >>> rules.classify(rows, "risk").tolist()
        ['A', 'D', 'B']
        """
        if ruleset not in self.spec.rulesets:
            raise SpecError(f"unknown rule set {ruleset!r}; known: {sorted(self.spec.rulesets)}", "rulesets")
        rules = self.spec.rulesets[ruleset].classes
        self._require(frame, [c.column for r in rules for c in (r.all or []) + (r.any or [])])
        out = np.full(len(frame), rules[-1].name, dtype=object)
        decided = np.zeros(len(frame), dtype=bool)
        for rule in rules[:-1]:
            if rule.all is not None:
                hit = np.logical_and.reduce([_condition(frame, c) for c in rule.all])
            else:
                hit = np.logical_or.reduce([_condition(frame, c) for c in rule.any])
            take = hit & ~decided
            out[take] = rule.name
            decided |= take
        return out

    def order(self, ruleset: str = "abc") -> list[str]:
        """Classes of a rule set from best to worst (alphabetical: A, B, C, D).

        Parameters
        ----------
        ruleset : str
            "abc" or "risk".

        Returns
        -------
        list of str

        Examples
        --------
        >>> CustomerRules.from_spec().order("risk")
        ['A', 'B', 'C', 'D']
        """
        return sorted(r.name for r in self.spec.rulesets[ruleset].classes)

    def value_tier(self, frame: pd.DataFrame, version: str | None = None) -> pd.DataFrame:
        """Tier by annual sales; customers younger than six months get the new-customer tier.

        Parameters
        ----------
        frame : customers with the sales and tenure columns (and the composite answers, if any).
        version : None for the main tiers, or a key of ``value_tier_versions`` (the other
            version of 002).

        Returns a frame with "tier" and "review_due" (True in the review month:
        tenure in [months, months + 1), so fractional tenures count too), and, when the
        frame holds the eight composite answers, "composite_score" and "composite_rating"
        (see :meth:`composite`; reported beside the tier, which the document does not say
        how to combine with it).

        Examples
        --------
        >>> import pandas as pd
        >>> rules = CustomerRules.from_spec()
        >>> f = pd.DataFrame({"revenue": [2e7, 20000001.0, 1e6], "tenure_months": [40, 40, 40]})
        >>> rules.value_tier(f)["tier"].tolist(), rules.value_tier(f, "tiers_2m")["tier"].tolist()
        (['A', 'VIP', 'C'], ['A', 'VIP', 'C'])
        """
        if version is not None and version not in self.spec.value_tier_versions:
            raise SpecError(f"unknown value-tier version {version!r}; known: "
                            f"{sorted(self.spec.value_tier_versions)}", "value_tier_versions")
        vt = self.spec.value_tiers if version is None else self.spec.value_tier_versions[version]
        new = self.spec.new_customers
        self._require(frame, [vt.column, new.tenure_column])
        sales = frame[vt.column].to_numpy(dtype=float)
        mins = np.array([t.min for t in vt.tiers])
        side = "right" if vt.boundary == "above" else "left"  # "above": a boundary value goes to the lower tier
        idx = np.minimum(np.searchsorted(-mins, -sales, side=side), len(mins) - 1)
        tier = np.asarray([t.tier for t in vt.tiers], dtype=object)[idx]
        tenure = frame[new.tenure_column].to_numpy(dtype=float)
        young = compare(tenure, "不满", new.months)   # 合作满六个月: reached on the corresponding day
        tier = np.where(young, new.tier, tier)
        review = (tenure >= new.months) & (tenure < new.months + 1)  # in the review month
        out = pd.DataFrame({"tier": tier, "review_due": review}, index=frame.index)
        comp = self.spec.composite
        if comp is not None and all(c in frame.columns for c in comp.indicators):
            out = out.join(self.composite(frame))
        return out

    def composite(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The eight composite indicators (002 综合指标, each 好/较好/一般/差): mean level and rating.

        ``composite_score`` is the mean of the answers' level values (good 4 … poor 1 by
        default); ``composite_rating`` the level nearest to it (ties to the worse level).

        Examples
        --------
        >>> import pandas as pd
        >>> rules = CustomerRules.from_spec()
        >>> answers = dict.fromkeys(rules.spec.composite.indicators, "好")
        >>> answers.update(loyalty="一般", cooperation="差")
        >>> rules.composite(pd.DataFrame([answers])).iloc[0].tolist()
        [3.375, 'fairly good']
        """
        comp = self.spec.composite
        if comp is None:
            raise SpecError("the rules define no composite indicators", "composite")
        self._require(frame, comp.indicators)
        aliases = {"好": "good", "较好": "fairly good", "一般": "average", "差": "poor"}
        values = []
        for col in comp.indicators:
            answers = frame[col].astype(object).map(lambda v: aliases.get(v, v))
            bad = ~answers.isin(list(comp.levels))
            if bad.any():
                raise DataValidationError([violation(col, "answers that are not a level", frame.index[bad.to_numpy()],
                                                      f"one of {list(comp.levels)} or 好/较好/一般/差")])
            values.append(answers.map(comp.levels).to_numpy(dtype=float))
        score = np.mean(values, axis=0)
        names = sorted(comp.levels, key=lambda k: comp.levels[k])      # worst first: ties go to the worse
        levels = np.array([comp.levels[k] for k in names])
        nearest = np.abs(score[:, None] - levels[None, :]).argmin(axis=1)
        return pd.DataFrame({"composite_score": score,
                             "composite_rating": np.asarray(names, dtype=object)[nearest]}, index=frame.index)

    def priced_in(self, ruleset: str = "risk") -> dict[str, float]:
        """Per class, the lateness (days of ``late_payers.column``) its own rule already priced in.

        A class assigned by :meth:`classify` has already paid for the lateness its rule
        set tests: customers of a class were not caught by an earlier class whose ``any``
        condition is ``late >= v`` (so their lateness is below ``v``), and an ``all``
        condition ``late < v`` of the class bounds it the same way. Up to that bound the
        lateness is priced in; a class whose own ``any`` condition tests lateness has all
        of it priced in (inf); a class whose path never tests lateness has none (0).

        Examples
        --------
        >>> CustomerRules.from_spec().priced_in("risk")
        {'D': inf, 'C': 180.0, 'A': 15.0, 'B': 180.0}
        """
        lp = self.spec.late_payers
        columns = {lp.column, *lp.covered_by}
        out, earlier_bound = {}, np.inf
        for rule in self.spec.rulesets[ruleset].classes:
            own_any = [c for c in (rule.any or []) if c.column in columns and _op(c) in (">=", ">")]
            own_all = [c.value for c in (rule.all or []) if c.column in columns and _op(c) in ("<", "<=")]
            if own_any:
                out[rule.name] = np.inf
            else:
                bound = min([earlier_bound, *own_all])
                out[rule.name] = float(bound) if np.isfinite(bound) else 0.0
            for c in rule.any or []:
                if c.column in columns and _op(c) in (">=", ">"):
                    earlier_bound = min(earlier_bound, c.value)
        return out

    def downgrade(self, classes, frame: pd.DataFrame, ruleset: str = "risk",
                  priced_in: bool = True) -> pd.DataFrame:
        """Late payers lose notches by severity; malicious defaulters go to the worst class and the blacklist.

        With ``priced_in`` (the classes came from :meth:`classify` on the same frame)
        lateness the class rule already tested is not counted twice: a class loses
        ``notches(days) − notches(just below its priced-in bound)`` notches (see
        :meth:`priced_in`). Pass ``priced_in=False`` for classes from an earlier review.

        Examples
        --------
        >>> import pandas as pd
        >>> rows = pd.DataFrame({"dpd_max_12m": [10, 65, 0], "malicious_default": [False, False, True]})
        >>> CustomerRules.from_spec().downgrade(["A", "A", "A"], rows, priced_in=False)["class"].tolist()
        ['B', 'C', 'D']
        >>> CustomerRules.from_spec().downgrade(["A", "B", "A"], rows)["class"].tolist()
        ['A', 'B', 'D']
        """
        lp = self.spec.late_payers
        self._require(frame, [lp.column])
        order = self.order(ruleset)
        classes = list(classes)
        unknown = sorted({str(c) for c in classes if c not in order})
        if unknown:
            raise DataValidationError([Violation("class", f"unknown classes {unknown}",
                                                 f"one of {order} (rule set {ruleset!r})")])
        pos = np.array([order.index(c) for c in classes], dtype=int)
        if len(pos) != len(frame):
            raise DataValidationError([Violation("class", f"has {len(pos)} values for {len(frame)} rows",
                                                 "one class per row of the frame")])
        days = frame[lp.column].to_numpy(dtype=float)
        notches = self._notches(days)
        if priced_in:
            bound = self.priced_in(ruleset)
            limit = np.array([np.nextafter(bound.get(c, 0.0), -np.inf) if bound.get(c, 0.0) > 0 else -np.inf
                              for c in classes])
            notches = np.maximum(notches - self._notches(np.minimum(days, limit)), 0)
        blacklist = (frame[lp.malicious_column].fillna(False).to_numpy(dtype=bool)
                     if lp.malicious_column in frame.columns else np.zeros(len(frame), dtype=bool))
        pos = np.minimum(pos + notches, len(order) - 1)
        pos = np.where(blacklist, len(order) - 1, pos)
        return pd.DataFrame({"class": np.asarray(order, dtype=object)[pos], "notches": notches,
                             "blacklist": blacklist}, index=frame.index)

    def _notches(self, days: np.ndarray) -> np.ndarray:
        lp = self.spec.late_payers
        notches = compare(days, "超过", lp.grace_days).astype(int)   # late beyond the grace: one notch at least
        for step in lp.notches:
            notches = np.where(compare(days, "以上", step.min_days), np.maximum(step.notches, notches), notches)
        return notches

    def terms(self, classes, base_limit, blacklist=None) -> pd.DataFrame:
        """Limit, credit period, discount and payment terms per class (000); blacklist → limit 0.

        Examples
        --------
        >>> CustomerRules.from_spec().terms(["A", "C"], [1000.0, 1000.0])["limit"].tolist()
        [1000.0, 0.0]
        """
        table = self.spec.terms.classes
        unknown = sorted({c for c in classes if c not in table})
        if unknown:
            raise DataValidationError([Violation("class", f"no terms for {unknown}", f"one of {sorted(table)}")])
        rows = [table[c] for c in classes]
        limit = np.asarray(base_limit, dtype=float) * np.array([t.limit_share for t in rows])
        out = pd.DataFrame({"class": list(classes), "limit": limit,
                            "credit_days": [t.credit_days for t in rows],
                            "discount": [t.discount for t in rows],
                            "payment": [t.payment for t in rows]})
        if blacklist is not None:
            bl = np.asarray(blacklist, dtype=bool)
            out.loc[bl, "limit"] = 0.0
            out.loc[bl, "credit_days"] = 0
            out.loc[bl, "discount"] = 0.0
            out.loc[bl, "payment"] = "blacklist"
        return out


def _op(cond: Condition) -> str:
    return WORDS.get(cond.op, cond.op)


def credit_limit(scores, current_assets, monthly_sales, bands, ratio_cap: float = 2.0,
                 blacklisted=None) -> np.ndarray:
    """The documents' limit (002 「客户资信评估管理办法」 六), keyed to the score.

    ``授信金额 = 月均签约销量 × 对应得分系数 × min(流动资产 / 月均签约销量, 2) / 2``, bounded by
    this year's monthly contracted sales and half the quarter-end current assets (五.4).
    Computed by :func:`riskmodels.scoring.credit_limit`, as in the exported bundle.

    Parameters
    ----------
    scores : the card score per customer.
    current_assets, monthly_sales : quarter-end current assets and average monthly contracted sales.
    bands : ``[(min_score, coefficient), ...]``, highest min first; scores below the last get 0.
    ratio_cap : the cap on current assets / monthly sales (2 in the document).
    blacklisted : true/false per customer, optional: a blacklisted customer's limit is 0
        (000 五 5 「对恶意拖欠款物的客户授信额度为0…列入黑名单」).

    Returns
    -------
    numpy array of limits.

    Examples
    --------
    >>> credit_limit([95.0, 55.0], [1000.0, 1000.0], [800.0, 300.0], [(90, 1.0), (50, 0.4), (0, 0.0)]).tolist()
    [500.0, 120.0]
    >>> credit_limit([95.0, 55.0], [1000.0, 1000.0], [800.0, 300.0], [(90, 1.0), (50, 0.4), (0, 0.0)],
    ...              blacklisted=[True, False]).tolist()
    [0.0, 120.0]
    """
    rule = {"basis": "score", "bands": [[float(m), float(c)] for m, c in bands],
            "current_assets": "current_assets", "monthly_sales": "monthly_sales",
            "ratio_cap": float(ratio_cap), "default_grade": None, "blacklist": "blacklisted"}
    cols = {"current_assets": np.asarray(current_assets, dtype=float),
            "monthly_sales": np.asarray(monthly_sales, dtype=float)}
    if blacklisted is not None:
        cols["blacklisted"] = np.asarray(blacklisted, dtype=float)
    score = np.asarray(scores, dtype=float)
    return scoring.credit_limit(rule, np.full(len(score), "", dtype=object), cols, score)
