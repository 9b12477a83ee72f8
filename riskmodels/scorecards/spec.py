"""Expert-scorecard specs: YAML data validated with pydantic, compiled for the kernel.

A spec is data, never code: it is read with PyYAML's safe loader (:func:`riskmodels.fileio.load_yaml`), checked field by
field (pydantic) and then rule by rule (weights, monotone reference values,
grade bands, caps). Every problem raises :class:`~riskmodels.errors.SpecError`
with the path inside the file, e.g. ``aspects[2].indicators[0].reference``.

:func:`compile_spec` turns a valid spec into the plain dict the numpy-only
``expert`` kernel of :mod:`riskmodels.scoring` evaluates (interpolation tables,
step tables, categorical points, year weights, caps).

Examples
--------
>>> spec = load_spec("environmental")
>>> spec.name, [a.weight for a in spec.aspects]
('environmental', [10.0, 20.0, 20.0, 10.0, 40.0])
>>> compiled = compile_spec(spec)
>>> compiled["grades"], compiled["lower_bounds"]
(['A', 'B', 'C', 'D'], [90.0, 80.0, 60.0, 0.0])
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from riskmodels.errors import SpecError
from riskmodels.fileio import load_yaml

SPECS_DIR = Path(__file__).parent / "specs"
DEFAULT_YEAR_WEIGHTS = (0.2, 0.3, 0.5)
#: the documents' four-level answers and their Chinese labels (002 综合指标)
QUALITATIVE_ALIASES = {"好": "good", "较好": "fairly good", "一般": "average", "差": "poor"}
_TOL = 1e-9


class StrictSpec(BaseModel):
    """Base of every spec section: unknown keys are refused, values are frozen.

    Examples
    --------
    >>> class Demo(StrictSpec):
    ...     weight: float
    >>> Demo(weight=0.5).weight
    0.5
    """

    model_config = ConfigDict(extra="forbid", frozen=True)


class GradeBand(StrictSpec):
    """One grade and its score band [min, max) (the best band includes its max).

    Examples
    --------
    >>> band = load_spec("environmental").grades[0]
    >>> band.grade, band.min
    ('A', 90.0)
    """

    grade: str
    min: float
    max: float
    label: str | None = None


class Indicator(StrictSpec):
    """One scored indicator.

    ``kind`` "numeric" interpolates linearly between per-grade reference values
    (or the (value, score) points of ``curve``);
    "steps" scores by thresholds (``scores[i]`` for value in [t(i-1), t(i)));
    "categorical" gives points per answer;
    "deduction" starts from the points of the answer in ``base_input`` (``scores``)
    and takes ``deduct`` points off per unit of ``input`` below ``full``, down to 0
    (the environmental card's fees, 003: 20 on time, 15 late, −0.5 per point unpaid).
    Scores are percent of the indicator's points.
    ``missing`` "error" refuses a missing current-year value; "worst" scores it the
    indicator's lowest points (e.g. ROE undefined when equity is negative).

    Examples
    --------
    >>> ind = load_spec("environmental").aspects[3].indicators[0]
    >>> ind.name, ind.kind, ind.scores
    ('impact_assessment', 'categorical', {'done_accepted': 100.0, 'done_not_accepted_no_pollution': 50.0, 'done_not_accepted_polluted': 0.0, 'not_done': 0.0})
    """

    name: str
    kind: Literal["numeric", "steps", "categorical", "deduction"]
    weight: float = Field(gt=0)
    input: str | None = None
    inputs: list[str] | None = None
    multi_year: bool = False
    year_weights: list[float] | None = None
    direction: Literal["higher_better", "lower_better"] | None = None
    reference: dict[str, float] | None = None
    curve: list[tuple[float, float]] | None = None
    thresholds: list[float] | None = None
    scores: list[float] | dict[str, float] | None = None
    aliases: dict[str, str] | None = None
    base_input: str | None = None
    full: float | None = None
    deduct: float | None = Field(default=None, ge=0)
    missing: Literal["error", "worst"] = "error"
    label: str | None = None
    default: bool = False
    note: str | None = None


class Aspect(StrictSpec):
    """A group of indicators carrying ``weight`` points of the 100.

    Examples
    --------
    >>> a = load_spec("environmental").aspects[0]
    >>> a.name, a.weight, [i.name for i in a.indicators]
    ('discharge', 10.0, ['discharge_compliance', 'facilities_running'])
    """

    name: str
    weight: float = Field(gt=0)
    indicators: list[Indicator] = Field(min_length=1)
    label: str | None = None


class Cap(StrictSpec):
    """A grade cap: when the condition holds, the grade is at best ``max_grade``.

    A cap on a multi-year indicator tests the firm's latest-year value by default
    (``period: latest``, the document's reading: 003 企业信用评级标准 caps on the firm's
    ratio); ``period: weighted`` tests the 0.2/0.3/0.5 weighted value the indicator scores.
    The score is never changed by a cap, only the grade. ``optional`` caps read a column
    that may be missing (then the cap does not apply).

    Examples
    --------
    >>> c = load_spec("enterprise_five_aspect").caps[0]
    >>> c.indicator, c.op, c.value, c.max_grade
    ('debt_ratio', '>', 0.85, 'BB')
    """

    name: str
    indicator: str | None = None
    input: str | None = None
    period: Literal["latest", "weighted"] = "latest"
    op: Literal["<", "<=", ">", ">=", "==", "!=", "in"]
    value: float | list[str]
    max_grade: str
    label: str | None = None
    optional: bool = False
    default: bool = False
    note: str | None = None


class Adjustment(StrictSpec):
    """The analyst's bounded adjustment (整体评估、微调); a non-zero one needs a reason.

    Examples
    --------
    >>> adj = load_spec("enterprise_five_aspect").adjustment
    >>> adj.input, adj.min, adj.max
    ('analyst_adjustment', -5.0, 5.0)
    """

    input: str = "analyst_adjustment"
    reason_input: str = "adjustment_reason"
    min: float = -5.0
    max: float = 5.0


class CoefficientBand(StrictSpec):
    """Scores of at least ``min`` (up to the next band) get ``coefficient``.

    Examples
    --------
    >>> CoefficientBand(min=90, coefficient=1.0).coefficient
    1.0
    """

    min: float
    coefficient: float = Field(ge=0)


class CreditLimitRule(StrictSpec):
    """The limit of 002 「客户资信评估管理办法」 六, keyed to the **score**.

    ``授信金额 = 月均签约销量 × 对应得分系数 × min(流动资产 / 月均签约销量, ratio_cap) / 2``,
    i.e. ``coefficient(score) × min(current_assets / 2, monthly_sales)`` for ratio_cap 2,
    then bounded as 五.4 says: at most this year's average monthly contracted sales
    (``monthly_sales``) and at most half the quarter-end current assets. Last year's
    average monthly payments (``reference``, 参考) are reported beside the limit, a bound
    only with ``reference_cap``. ``coefficients`` are score bands, highest ``min`` first.
    ``blacklist`` names an optional true/false input (default ``blacklisted``): a blacklisted
    customer's limit is 0 (000 五 5 「对恶意拖欠款物的客户授信额度为0…列入黑名单」) on every path
    (card, model, bundle, scorer, SQL); a record without it is not blacklisted. ``null`` turns it off.

    Examples
    --------
    >>> rule = load_spec("enterprise_five_aspect").credit_limit
    >>> rule.ratio_cap, (rule.coefficients[0].min, rule.coefficients[0].coefficient)
    (2.0, (90.0, 1.0))
    """

    coefficients: list[CoefficientBand] = Field(min_length=1)
    current_assets: str = "current_assets"
    monthly_sales: str = "monthly_sales"
    ratio_cap: float = Field(default=2.0, gt=0)
    reference: str | None = None
    reference_cap: bool = False
    blacklist: str | None = "blacklisted"
    default: bool = False
    note: str | None = None


class DefaultGrade(StrictSpec):
    """The default grade: given to an obligor that meets the default definition
    (``input`` true), whatever its score, with limit 0; no score band leads to it
    (003 村镇银行客户信用评级管理办法 第五条: D 级为违约级别).

    Examples
    --------
    >>> load_spec("enterprise_five_aspect").default_grade.grade
    'D'
    """

    grade: str = "D"
    input: str = "in_default"
    label: str | None = None


class Promotion(StrictSpec):
    """Consecutive years at ``grade`` promote to a better label (environmental AA/AAA rule).

    Examples
    --------
    >>> p = load_spec("environmental").promotion
    >>> p.grade, p.after_years
    ('A', {2: 'AA', 3: 'AAA'})
    """

    grade: str
    after_years: dict[int, str]


class IndustryReferences(StrictSpec):
    """Reference values per industry (003 企业信用评级标准: the indicator standards differ
    by firm type; 企业信用评级方法规则 第十六条): ``tables[industry][indicator]`` replaces
    the indicator's ``reference`` for firms whose ``column`` is that industry; other
    industries use the indicator's own ``reference``.

    Examples
    --------
    >>> refs = IndustryReferences(tables={"debt_ratio": {"manufacturing": {"A": 0.5, "B": 0.7}}})
    >>> refs.column, refs.tables["debt_ratio"]["manufacturing"]["B"]
    ('industry', 0.7)
    """

    column: str = "industry"
    tables: dict[str, dict[str, dict[str, float]]]
    note: str | None = None


class ScorecardSpec(StrictSpec):
    """A whole expert scorecard (see the files in ``riskmodels/scorecards/specs``).

    Examples
    --------
    >>> spec = load_spec("environmental")
    >>> spec.name, [g.grade for g in spec.grades]
    ('environmental', ['A', 'B', 'C', 'D'])
    """

    name: str
    title: str | None = None
    source: str | None = None
    grades: list[GradeBand] = Field(min_length=2)
    default_grade: DefaultGrade | None = None
    master_scale: str | None = None
    min_fiscal_years: int = Field(default=1, ge=1, le=3)
    reference_scores: dict[str, float] | None = None  # grade -> score % earned at its reference value
    extrapolate: bool = False
    year_weights: list[float] = list(DEFAULT_YEAR_WEIGHTS)
    aspects: list[Aspect] = Field(min_length=1)
    caps: list[Cap] = []
    adjustment: Adjustment | None = None
    credit_limit: CreditLimitRule | None = None
    grade_amounts: dict[str, float] | None = None
    grade_classes: dict[str, str] | None = None
    promotion: Promotion | None = None
    rerating_drop: float = 10.0
    rerating_events: list[str] = []
    industry: IndustryReferences | None = None
    notes: list[str] = []

    @property
    def indicators(self) -> list[Indicator]:
        """All indicators, aspect by aspect.

        Examples
        --------
        >>> [ind.name for ind in load_spec("environmental").indicators][:3]
        ['discharge_compliance', 'facilities_running', 'violations']
        """
        return [ind for aspect in self.aspects for ind in aspect.indicators]

    @property
    def grade_names(self) -> list[str]:
        """Grades best to worst (the default grade, when there is one, last).

        Examples
        --------
        >>> load_spec("environmental").grade_names
        ['A', 'B', 'C', 'D']
        """
        names = [g.grade for g in self.grades]
        return names + [self.default_grade.grade] if self.default_grade else names


# --------------------------------------------------------------------------- loading
def _loc_to_path(loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_mapping(path) -> dict:
    """A YAML file's top-level mapping (:func:`~riskmodels.fileio.load_yaml`); SpecError with the line otherwise.

    Examples
    --------
    >>> read_mapping("no/such/file.yaml")
    Traceback (most recent call last):
    riskmodels.errors.SpecError: no/such/file.yaml: file not found
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError("file not found", "", str(path))
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where, str(path)) from None
    if not isinstance(data, dict):
        raise SpecError("a spec must be a YAML mapping", "", str(path))
    return data


def _read_yaml(path: Path, seen: tuple = ()) -> dict:
    if path in seen:
        raise SpecError(f"'base' files form a cycle: {[p.name for p in seen]}", "base", str(path))
    data = read_mapping(path)
    base = data.pop("base", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise SpecError("must name a spec file", "base", str(path))
    merged = _read_yaml((path.parent / base).resolve(), seen + (path,))
    merged.update(data)  # top-level keys of the variant replace the base's
    return merged


def spec_path(name_or_path) -> Path:
    """The file of a shipped spec name (``"enterprise_five_aspect"``) or a path as given.

    Examples
    --------
    >>> spec_path("environmental").name, spec_path("cards/my_card.yaml").name
    ('environmental.yaml', 'my_card.yaml')
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml"):
        return path
    shipped = SPECS_DIR / f"{name_or_path}.yaml"
    if not (shipped.exists() and _is_scorecard(shipped)):
        raise SpecError(f"no shipped spec {name_or_path!r}; shipped: {shipped_specs()}")
    return shipped


def load_spec(name_or_path) -> ScorecardSpec:
    """Load and validate a scorecard spec from a shipped name or a YAML path.

    Parameters
    ----------
    name_or_path : a shipped spec name (file stem in ``scorecards/specs``) or a path.

    Returns
    -------
    ScorecardSpec

    Examples
    --------
    >>> load_spec("personal").grade_names
    ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'none']
    """
    path = spec_path(name_or_path)
    return spec_from_dict(_read_yaml(path.resolve()), source=str(path))


def spec_from_dict(data: dict, source: str = "") -> ScorecardSpec:
    """Validate a spec given as a dict (as read from YAML); raise SpecError with the path.

    Examples
    --------
    >>> spec_from_dict({"name": "x", "grades": [{"grade": "A", "min": 50, "max": 100}],
    ...                 "aspects": []})
    Traceback (most recent call last):
    ...
    riskmodels.errors.SpecError: at grades: List should have at least 2 items after validation, not 1
    """
    spec = validated(ScorecardSpec, data, source)
    check_spec(spec, source)
    return spec


def validated(model: type[BaseModel], data: dict, source: str = ""):
    """``model`` validated from a copy of ``data``; the first pydantic error as a SpecError with its path.

    Examples
    --------
    >>> validated(GradeBand, {"grade": "A"}, "demo.yaml")
    Traceback (most recent call last):
    riskmodels.errors.SpecError: ...
    """
    try:
        return model.model_validate(copy.deepcopy(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SpecError(first["msg"], _loc_to_path(first["loc"]), source) from None


# --------------------------------------------------------------------------- rules
def _fail(message: str, path: str, source: str):
    raise SpecError(message, path, source)


def check_spec(spec: ScorecardSpec, source: str = "") -> None:
    """Check the rules pydantic cannot: sums, monotonicity, bands, names. Raise SpecError.

    Examples
    --------
    >>> check_spec(load_spec("environmental")) is None
    True
    """
    total = sum(a.weight for a in spec.aspects)
    if abs(total - 100.0) > _TOL:
        _fail(f"aspect weights sum to {total:g}, not 100", "aspects", source)
    _check_grades(spec, source)
    grades = spec.grade_names
    if spec.reference_scores is not None:
        scores = list(spec.reference_scores.values())
        if len(set(scores)) != len(scores) or any(not 0 <= v <= 100 for v in scores):
            _fail("each grade needs its own score in 0..100", "reference_scores", source)
    if len(spec.year_weights) != 3 or abs(sum(spec.year_weights) - 1.0) > _TOL:
        _fail(f"three year weights summing to 1 expected, got {spec.year_weights}", "year_weights", source)
    names = set()
    for i, aspect in enumerate(spec.aspects):
        inner = sum(ind.weight for ind in aspect.indicators)
        if abs(inner - 100.0) > _TOL:
            _fail(f"indicator weights sum to {inner:g}, not 100", f"aspects[{i}].indicators", source)
        for j, ind in enumerate(aspect.indicators):
            path = f"aspects[{i}].indicators[{j}]"
            if ind.name in names:
                _fail(f"indicator name {ind.name!r} is used twice", f"{path}.name", source)
            names.add(ind.name)
            _check_indicator(spec, ind, path, source)
    for k, cap in enumerate(spec.caps):
        path = f"caps[{k}]"
        if (cap.indicator is None) == (cap.input is None):
            _fail("give exactly one of 'indicator' or 'input'", path, source)
        if cap.indicator is not None and cap.indicator not in names:
            _fail(f"unknown indicator {cap.indicator!r}; known: {sorted(names)}", f"{path}.indicator", source)
        if cap.max_grade not in grades:
            _fail(f"unknown grade {cap.max_grade!r}; grades: {grades}", f"{path}.max_grade", source)
        if (cap.op == "in") != isinstance(cap.value, list):
            _fail("'in' takes a list of answers, the other operators a number", f"{path}.value", source)
        target = next((i for i in spec.indicators if i.name == cap.indicator), None)
        if target is not None and (target.kind == "categorical") != (cap.op == "in"):
            _fail("a categorical indicator is capped with 'in', a numeric one with a comparison",
                  f"{path}.op", source)
        if target is not None and target.kind == "categorical":
            unknown = [v for v in cap.value if v not in categorical_table(target)]
            if unknown:
                _fail(f"unknown answer(s) {unknown} of {target.name}", f"{path}.value", source)
    for key in ("grade_amounts", "grade_classes"):
        for grade in getattr(spec, key) or {}:
            if grade not in grades:
                _fail(f"unknown grade {grade!r}; grades: {grades}", f"{key}.{grade}", source)
    if spec.grade_classes is not None:
        unclassed = [g for g in grades if g not in spec.grade_classes]
        if unclassed:
            _fail(f"every grade needs a class; missing: {unclassed}", "grade_classes", source)
    if spec.default_grade is not None and spec.default_grade.grade in [g.grade for g in spec.grades]:
        _fail(f"the default grade {spec.default_grade.grade!r} has no score band: remove it from grades",
              "default_grade.grade", source)
    if spec.credit_limit is not None:
        _check_limit_bands(spec, source)
    if spec.industry is not None:
        _check_industry(spec, source)
    if spec.promotion is not None and spec.promotion.grade not in grades:
        _fail(f"unknown grade {spec.promotion.grade!r}", "promotion.grade", source)
    if spec.adjustment is not None and not spec.adjustment.min <= 0 <= spec.adjustment.max:
        _fail("the range must contain 0", "adjustment", source)


def _check_limit_bands(spec: ScorecardSpec, source: str) -> None:
    """Coefficient bands fall strictly and cover every graded score: a grade whose scores
    have no coefficient would get a silent zero limit, so the spec is refused."""
    mins = [b.min for b in spec.credit_limit.coefficients]
    if any(b >= a for a, b in itertools.pairwise(mins)):
        _fail("coefficient bands must be listed from the highest min down", "credit_limit.coefficients",
              source)
    uncovered = [g.grade for g in spec.grades if g.min < mins[-1]]
    if uncovered:
        _fail(f"grade(s) {uncovered} have no limit coefficient (scores below {mins[-1]:g}); add a band "
              f"with min {spec.grades[-1].min:g}", "credit_limit.coefficients", source)


def _check_industry(spec: ScorecardSpec, source: str) -> None:
    by_name = {i.name: i for i in spec.indicators}
    for industry, table in spec.industry.tables.items():
        for name, reference in table.items():
            path = f"industry.tables.{industry}.{name}"
            ind = by_name.get(name)
            if ind is None or ind.kind != "numeric" or ind.reference is None:
                _fail(f"{name!r} is not a numeric indicator with reference values", path, source)
            _check_reference(spec, reference, ind.direction, path, source)


def _check_grades(spec: ScorecardSpec, source: str) -> None:
    seen = set()
    for i, band in enumerate(spec.grades):
        if band.grade in seen:
            _fail(f"grade {band.grade!r} appears twice", f"grades[{i}].grade", source)
        seen.add(band.grade)
        if band.min >= band.max:
            _fail(f"min {band.min:g} must be below max {band.max:g}", f"grades[{i}]", source)
        if i == 0:
            continue
        above = spec.grades[i - 1]
        if band.max > above.min:
            _fail(f"band {band.grade} [{band.min:g}, {band.max:g}) overlaps {above.grade} "
                  f"[{above.min:g}, {above.max:g})", f"grades[{i}].max", source)
        if band.max < above.min:
            _fail(f"gap between {band.grade} (max {band.max:g}) and {above.grade} (min {above.min:g})",
                  f"grades[{i}].max", source)


def _check_indicator(spec: ScorecardSpec, ind: Indicator, path: str, source: str) -> None:
    if (ind.input is None) == (ind.inputs is None):
        _fail("give exactly one of 'input' or 'inputs'", path, source)
    if ind.kind in ("categorical", "deduction") and (ind.multi_year or (ind.inputs and len(ind.inputs) > 1)):
        _fail(f"a {ind.kind} indicator reads one column", path, source)
    if ind.inputs is not None and len(ind.inputs) > 1:
        weights = ind.year_weights or (spec.year_weights if len(ind.inputs) == 3 else None)
        if weights is None or len(weights) != len(ind.inputs) or abs(sum(weights) - 1) > _TOL:
            _fail("year weights must match the inputs and sum to 1", f"{path}.year_weights", source)
    if ind.kind == "numeric" and ind.curve is not None:
        if ind.reference is not None or len(ind.curve) < 2:
            _fail("give either reference or a curve of at least two points", f"{path}.curve", source)
        xs = [p[0] for p in ind.curve]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            _fail("curve values must increase strictly", f"{path}.curve", source)
        _check_scores([p[1] for p in ind.curve], f"{path}.curve", source)
    elif ind.kind == "numeric":
        if ind.direction is None:
            _fail("a numeric indicator needs a direction", f"{path}.direction", source)
        if not ind.reference or len(ind.reference) < 2:
            _fail("at least two per-grade reference values are needed", f"{path}.reference", source)
        _check_reference(spec, ind.reference, ind.direction, f"{path}.reference", source)
    elif ind.kind == "deduction":
        if ind.base_input is None or not isinstance(ind.scores, dict) or ind.full is None or ind.deduct is None:
            _fail("a deduction needs base_input, scores per answer, full and deduct", path, source)
        _check_scores(list(ind.scores.values()), f"{path}.scores", source)
    elif ind.kind == "steps":
        t, s = ind.thresholds, ind.scores
        if not t or not isinstance(s, list) or len(s) != len(t) + 1:
            _fail("steps need thresholds and one more score than thresholds", f"{path}.scores", source)
        if any(b <= a for a, b in itertools.pairwise(t)):
            _fail("thresholds must increase strictly", f"{path}.thresholds", source)
        _check_scores(s, f"{path}.scores", source)
    else:
        if not isinstance(ind.scores, dict) or not ind.scores:
            _fail("a categorical indicator needs scores per answer", f"{path}.scores", source)
        _check_scores(list(ind.scores.values()), f"{path}.scores", source)
        for alias, target in (ind.aliases or {}).items():
            if target not in ind.scores:
                _fail(f"alias {alias!r} points to unknown answer {target!r}", f"{path}.aliases", source)


def _check_reference(spec: ScorecardSpec, reference: dict, direction, path: str, source: str) -> None:
    """Per-grade reference values: known grades, at least two, strictly monotone best → worst."""
    if len(reference) < 2:
        _fail("at least two per-grade reference values are needed", path, source)
    if spec.reference_scores is None:
        _fail("numeric indicators need the card's reference_scores", "reference_scores", source)
    for grade in reference:
        if grade not in spec.reference_scores:
            _fail(f"unknown grade {grade!r}; reference grades: {list(spec.reference_scores)}",
                  f"{path}.{grade}", source)
    ordered = sorted(reference, key=lambda g: -spec.reference_scores[g])  # best grade (highest score) first
    values = [reference[g] for g in ordered]
    falling = direction == "higher_better"
    for (a, b), g in zip(itertools.pairwise(values), ordered[1:], strict=True):
        if (b >= a) if falling else (b <= a):
            _fail(f"reference values must {'fall' if falling else 'rise'} strictly from the best "
                  f"grade to the worst ({direction}); {g} breaks it", path, source)


def _check_scores(scores, path: str, source: str) -> None:
    if any(not 0 <= s <= 100 for s in scores):
        _fail("scores are percent of the indicator's points: 0..100", path, source)


# --------------------------------------------------------------------------- compiling
def indicator_points(aspect: Aspect, ind: Indicator) -> float:
    """Points an indicator is worth: aspect weight × indicator weight / 100.

    Examples
    --------
    >>> spec = load_spec("environmental")
    >>> indicator_points(spec.aspects[0], spec.aspects[0].indicators[0])
    5.0
    """
    return aspect.weight * ind.weight / 100.0


def indicator_inputs(spec: ScorecardSpec, ind: Indicator) -> tuple[list[str], list[float]]:
    """Columns an indicator reads, oldest first, and their year weights.

    Examples
    --------
    >>> spec = load_spec("enterprise_five_aspect")
    >>> ind = next(i for i in spec.indicators if i.multi_year)
    >>> indicator_inputs(spec, ind)
    (['revenue_growth_lag2', 'revenue_growth_lag1', 'revenue_growth'], [0.2, 0.3, 0.5])
    """
    if ind.inputs is not None:
        cols = list(ind.inputs)
    elif ind.multi_year:
        cols = [f"{ind.input}_lag2", f"{ind.input}_lag1", ind.input]
    else:
        cols = [ind.input]
    if len(cols) == 1:
        return cols, [1.0]
    return cols, list(ind.year_weights or spec.year_weights)


def answer_aliases(ind: Indicator) -> dict[str, str]:
    """Alias → answer: the Chinese four-level labels (好/较好/一般/差) plus the spec's own.

    Examples
    --------
    >>> spec = load_spec("enterprise_five_aspect")
    >>> ind = next(i for i in spec.indicators if i.kind == "categorical")
    >>> sorted(answer_aliases(ind).items())[:2]
    [('一般', 'average'), ('好', 'good')]
    """
    aliases = {k: v for k, v in QUALITATIVE_ALIASES.items() if v in ind.scores}
    aliases.update(ind.aliases or {})
    return aliases


def categorical_table(ind: Indicator) -> dict[str, float]:
    """Answer → score (percent), aliases included.

    Examples
    --------
    >>> ind = load_spec("environmental").aspects[3].indicators[0]
    >>> categorical_table(ind)
    {'done_accepted': 100.0, 'done_not_accepted_no_pollution': 50.0, 'done_not_accepted_polluted': 0.0, 'not_done': 0.0}
    """
    table = dict(ind.scores)
    for alias, target in answer_aliases(ind).items():
        table.setdefault(alias, table[target])
    return table


def reference_curve(spec: ScorecardSpec, ind: Indicator) -> tuple[list[float], list[float]]:
    """The (value, score%) points of a numeric indicator, values increasing.

    With ``spec.extrapolate`` the end segments are extended linearly until the
    score reaches 0 or 100 (the document: other grades' reference values follow
    the linear relation); beyond the ends the score is flat (clipped).

    Examples
    --------
    >>> spec = load_spec("enterprise_five_aspect")
    >>> ind = next(i for i in spec.indicators if i.kind == "numeric" and i.reference)
    >>> x, y = reference_curve(spec, ind)
    >>> len(x) == len(y), x == sorted(x)
    (True, True)
    """
    if ind.curve is not None:
        return [float(p[0]) for p in ind.curve], [float(p[1]) for p in ind.curve]
    pairs = sorted((ind.reference[g], spec.reference_scores[g]) for g in ind.reference)
    xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
    if spec.extrapolate:
        for end in (0, -1):
            (x0, y0), (x1, y1) = ((xs[0], ys[0]), (xs[1], ys[1])) if end == 0 else \
                ((xs[-2], ys[-2]), (xs[-1], ys[-1]))
            slope = (y1 - y0) / (x1 - x0)
            y_end = ys[end]
            target = (0.0 if slope > 0 else 100.0) if end == 0 else (100.0 if slope > 0 else 0.0)
            if target != y_end:
                x_new = xs[end] + (target - y_end) / slope
                if end == 0:
                    xs.insert(0, x_new)
                    ys.insert(0, target)
                else:
                    xs.append(x_new)
                    ys.append(target)
    return xs, ys


def compile_spec(spec: ScorecardSpec) -> dict:
    """The plain-data form the ``expert`` kernel evaluates (JSON-ready, points not percent).

    Parameters
    ----------
    spec : a validated :class:`ScorecardSpec`.

    Returns
    -------
    dict with "indicators", "aspects", "grades", "lower_bounds", "caps",
    "adjustment", "max_total".

    Examples
    --------
    >>> c = compile_spec(load_spec("environmental"))
    >>> c["indicators"][0]["kind"], c["indicators"][0]["max_points"], c["indicators"][0]["values"]
    ('steps', 5.0, [0.0, 1.0, 3.0, 5.0])
    """
    indicators, index = [], {}
    for a, aspect in enumerate(spec.aspects):
        for ind in aspect.indicators:
            pts = indicator_points(aspect, ind)
            cols, weights = indicator_inputs(spec, ind)
            out = {"name": ind.name, "aspect": a, "inputs": cols, "weights": weights,
                   "max_points": pts}
            if ind.kind == "numeric":
                xs, ys = reference_curve(spec, ind)
                out.update(kind="interp", x=[float(x) for x in xs], y=[pts * y / 100.0 for y in ys])
            elif ind.kind == "steps":
                out.update(kind="steps", thresholds=[float(t) for t in ind.thresholds],
                           values=[pts * s / 100.0 for s in ind.scores])
            elif ind.kind == "deduction":
                out.update(kind="deduction", base_input=ind.base_input, full=float(ind.full),
                           deduct=float(ind.deduct),
                           table={k: pts * v / 100.0 for k, v in categorical_table(ind).items()})
            else:
                out.update(kind="categorical",
                           table={k: pts * v / 100.0 for k, v in categorical_table(ind).items()})
            out["missing_points"] = (min(out.get("y") or out.get("values") or list(out["table"].values()))
                                     if ind.missing == "worst" else None)
            curves = _industry_curves(spec, ind, pts)
            if curves:
                out["by_industry"] = {"column": spec.industry.column, "curves": curves}
            index[ind.name] = len(indicators)
            indicators.append(out)
    grades = spec.grade_names
    caps = []
    for cap in spec.caps:
        value = cap.value
        if cap.op == "in" and cap.indicator is not None:  # the aliases of a capped answer cap too
            ind = spec.indicators[index[cap.indicator]]
            value = sorted(set(value) | {a for a, t in answer_aliases(ind).items() if t in value})
        source_ind, source_input = index.get(cap.indicator), cap.input
        if source_ind is not None and cap.period == "latest" and indicators[source_ind]["kind"] != "categorical":
            source_ind, source_input = None, indicators[source_ind]["inputs"][-1]  # the firm's latest year
        caps.append({"name": cap.name, "indicator": source_ind, "input": source_input, "op": cap.op,
                     "value": value if isinstance(value, list) else float(value),
                     "grade": grades.index(cap.max_grade)})
    adj, dg = spec.adjustment, spec.default_grade
    return {
        "indicators": indicators,
        "aspects": [{"name": a.name, "weight": a.weight} for a in spec.aspects],
        "grades": grades,
        "lower_bounds": [float(g.min) for g in spec.grades],
        "caps": caps,
        "adjustment": {"input": adj.input, "min": adj.min, "max": adj.max} if adj else None,
        "default": {"input": dg.input, "grade": len(grades) - 1} if dg else None,
        "max_total": float(sum(a.weight for a in spec.aspects)),
    }


def _industry_curves(spec: ScorecardSpec, ind: Indicator, pts: float) -> dict:
    """Industry → the (x, y points) curve of a numeric indicator from that industry's references."""
    if spec.industry is None or ind.kind != "numeric":
        return {}
    out = {}
    for industry, table in spec.industry.tables.items():
        if ind.name in table:
            xs, ys = reference_curve(spec, ind.model_copy(update={"reference": table[ind.name]}))
            out[industry] = {"x": [float(x) for x in xs], "y": [pts * y / 100.0 for y in ys]}
    return out


def limit_rule(spec: ScorecardSpec) -> dict | None:
    """The bundle's credit-limit section of a spec (score bands; see :class:`CreditLimitRule`).

    Examples
    --------
    >>> rule = limit_rule(load_spec("enterprise_five_aspect"))
    >>> rule["basis"], rule["bands"][:2], rule["ratio_cap"], rule["default_grade"], rule["blacklist"]
    ('score', [[90.0, 1.0], [80.0, 0.9]], 2.0, 'D', 'blacklisted')
    """
    rule = spec.credit_limit
    if rule is None:
        return None
    return {"basis": "score", "bands": [[float(b.min), float(b.coefficient)] for b in rule.coefficients],
            "current_assets": rule.current_assets, "monthly_sales": rule.monthly_sales,
            "ratio_cap": float(rule.ratio_cap), "reference": rule.reference,
            "reference_cap": bool(rule.reference_cap),
            "default_grade": spec.default_grade.grade if spec.default_grade else None,
            "blacklist": rule.blacklist}


def input_rules(spec: ScorecardSpec) -> list[dict]:
    """Bundle input rules for every column the spec reads.

    Current-year numbers are required; earlier years of a multi-year indicator may
    be missing (their weight is spread over the years present); answers must be
    one of the listed categories (aliases included); the analyst adjustment is
    optional (missing = 0) and bounded.

    Examples
    --------
    >>> rules = input_rules(load_spec("environmental"))
    >>> [(r["name"], r["type"]) for r in rules][:2]
    [('discharge_compliance', 'number'), ('facilities_running', 'number')]
    """
    rules: dict[str, dict] = {}
    for ind in spec.indicators:
        cols, _ = indicator_inputs(spec, ind)
        if ind.kind in ("categorical", "deduction"):
            col = cols[0] if ind.kind == "categorical" else ind.base_input
            rules[col] = {"name": col, "type": "category", "required": True,
                          "categories": sorted(categorical_table(ind)), "unknown": "error",
                          "missing": "allow" if ind.missing == "worst" else "error"}
            if ind.kind == "categorical":
                continue
        # the latest min_fiscal_years years are required (003: at least two fiscal years of statements)
        needed = len(cols) - min(spec.min_fiscal_years, len(cols))
        for k, col in enumerate(cols):
            required_year = k >= needed and ind.missing == "error"
            rules.setdefault(col, {"name": col, "type": "number", "required": True,
                                   "missing": "error" if required_year else "allow"})
            if required_year:
                rules[col]["missing"] = "error"
        if ind.name in _industry_indicators(spec):
            col = spec.industry.column
            rules.setdefault(col, {"name": col, "type": "category", "required": True,
                                   "categories": sorted(spec.industry.tables), "unknown": "allow",
                                   "missing": "allow"})
    for cap in spec.caps:
        if cap.input is not None and cap.input not in rules:
            rules[cap.input] = ({"name": cap.input, "type": "category", "required": not cap.optional,
                                 "missing": "allow" if cap.optional else "error"} if cap.op == "in" else
                                {"name": cap.input, "type": "number", "required": not cap.optional,
                                 "missing": "allow" if cap.optional else "error"})
    if spec.default_grade is not None:
        col = spec.default_grade.input
        rules[col] = {"name": col, "type": "number", "required": False, "missing": "impute", "fill": 0.0,
                      "min": 0.0, "max": 1.0, "out_of_range": "error"}
    if spec.credit_limit is not None:
        rule = spec.credit_limit
        for col in (rule.current_assets, rule.monthly_sales, rule.reference):
            if col is not None:
                rules.setdefault(col, {"name": col, "type": "number", "required": False,
                                       "missing": "allow", "min": 0.0, "out_of_range": "error"})
        if rule.blacklist is not None:  # absent or missing: not blacklisted
            rules[rule.blacklist] = {"name": rule.blacklist, "type": "number", "required": False,
                                     "missing": "impute", "fill": 0.0, "min": 0.0, "max": 1.0,
                                     "out_of_range": "error"}
    if spec.adjustment is not None:
        adj = spec.adjustment
        rules[adj.input] = {"name": adj.input, "type": "number", "required": False,
                            "missing": "impute", "fill": 0.0, "min": adj.min, "max": adj.max,
                            "out_of_range": "error"}
    return list(rules.values())


def _industry_indicators(spec: ScorecardSpec) -> set:
    if spec.industry is None:
        return set()
    return {name for table in spec.industry.tables.values() for name in table}


def shipped_specs() -> list[str]:
    """Names of the scorecard specs shipped in ``riskmodels/scorecards/specs``.

    Examples
    --------
    >>> "enterprise_five_aspect" in shipped_specs()
    True
    """
    return sorted(p.stem for p in SPECS_DIR.glob("*.yaml") if _is_scorecard(p))


def _is_scorecard(path: Path) -> bool:
    data = load_yaml(path.read_text(encoding="utf-8"))
    return isinstance(data, dict) and ("aspects" in data or "base" in data)

