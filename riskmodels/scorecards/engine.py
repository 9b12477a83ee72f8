"""The expert-scorecard engine: score a frame with a spec, explain every point.

Scores are computed by the numpy-only ``expert`` kernel of
:mod:`riskmodels.scoring` on the compiled spec, so an exported bundle gives the
same numbers as :meth:`CardEngine.score`.

Examples
--------
>>> card = CardEngine.from_spec("environmental")
>>> result = card.score({"discharge_compliance": 96.0, "facilities_running": 100.0,
...                      "violations": 0, "fee_paid_share": 100.0, "fee_on_time": "on_time",
...                      "impact_assessment": "done_accepted", "other_points": 35.0})
>>> float(result.score[0]), result.grade[0]
(95.0, 'A')
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.data.frames import frame_columns, schema_from_inputs
from riskmodels.data.schema import violation
from riskmodels.errors import DataValidationError, Violation
from riskmodels.results import Summary
from riskmodels.scorecards.spec import (
    ScorecardSpec,
    categorical_table,
    compile_spec,
    indicator_inputs,
    indicator_points,
    input_rules,
    limit_rule,
    load_spec,
    spec_from_dict,
)


def _as_frame(records) -> pd.DataFrame:
    if isinstance(records, pd.DataFrame):
        return records
    if isinstance(records, dict):
        if all(np.ndim(v) == 0 for v in records.values()):
            return pd.DataFrame([records])
        return pd.DataFrame(records)
    if isinstance(records, (list, tuple)):
        return pd.DataFrame(list(records))
    raise DataValidationError([Violation("<records>", f"is a {type(records).__name__}",
                                         "a DataFrame, a dict or a list of dicts")])


class CardEngine:
    """The card engine: runs an expert (judgmental) scorecard spec — scores, points, the
    card's grade (bands, caps, default definition), class and limit. No fitting: the
    estimator around it is :class:`riskmodels.models.expert.ExpertScorecardModel`.
    (Formerly ``ExpertScorecard``; that name still works and warns.)

    Parameters
    ----------
    spec : a validated :class:`~riskmodels.scorecards.spec.ScorecardSpec`
        (use :meth:`from_spec` to load one from a file or a shipped name).

    Examples
    --------
    >>> card = CardEngine.from_spec("enterprise_five_aspect")
    >>> card.grades[:3], len(card.input_names) > 20
    (['AAA', 'AA', 'A'], True)
    """

    def __init__(self, spec: ScorecardSpec):
        self.spec = spec
        self.compiled = compile_spec(spec)
        self.rules = input_rules(spec)

    @classmethod
    def from_spec(cls, name_or_path) -> CardEngine:
        """Load a shipped spec by name or a YAML file by path (raises SpecError).

        Examples
        --------
        >>> CardEngine.from_spec("environmental").name
        'environmental'
        """
        return cls(load_spec(name_or_path))

    @classmethod
    def from_dict(cls, data: dict) -> CardEngine:
        """Build from a spec given as a dict (as YAML would give it); raises SpecError when invalid.

        Parameters
        ----------
        data : dict
            The spec's mapping.

        Returns
        -------
        CardEngine

        Examples
        --------
        >>> from riskmodels.scorecards.spec import SPECS_DIR, read_mapping
        >>> data = read_mapping(SPECS_DIR / "environmental.yaml")
        >>> CardEngine.from_dict({**data, "name": "environmental (copy)"}).name
        'environmental (copy)'
        """
        return cls(spec_from_dict(data))

    @property
    def name(self) -> str:
        """The spec's name.

        Examples
        --------
        >>> CardEngine.from_spec("environmental").name
        'environmental'
        """
        return self.spec.name

    @property
    def grades(self) -> list[str]:
        """Grades best to worst.

        Examples
        --------
        >>> CardEngine.from_spec("environmental").grades
        ['A', 'B', 'C', 'D']
        """
        return self.spec.grade_names

    @property
    def input_names(self) -> list[str]:
        """Every column the card reads.

        Examples
        --------
        >>> CardEngine.from_spec("environmental").input_names[:3]
        ['discharge_compliance', 'facilities_running', 'violations']
        """
        return [r["name"] for r in self.rules]

    def __repr__(self) -> str:
        return (f"CardEngine({self.name!r}, aspects={len(self.spec.aspects)}, "
                f"indicators={len(self.compiled['indicators'])}, grades={self.grades[0]}..{self.grades[-1]})")

    # ------------------------------------------------------------------ scoring
    def columns(self, records) -> tuple[pd.DataFrame, dict, int]:
        """Validate ``records`` and return the frame and the kernel's input columns.

        Parameters
        ----------
        records : DataFrame, dict or list of dict
            The records to score.

        Returns
        -------
        frame : DataFrame
            The records as a frame.
        columns : dict
            Input name → the array the scoring kernel reads.
        n : int
            Number of records.

        Examples
        --------
        >>> rec = dict(discharge_compliance=96.0, facilities_running=100.0, violations=0, fee_paid_share=100.0,
        ...            fee_on_time="on_time", impact_assessment="done_accepted", other_points=35.0)
        >>> frame, columns, n = CardEngine.from_spec("environmental").columns([rec, rec])
        >>> n, sorted(columns)[:2]
        (2, ['discharge_compliance', 'facilities_running'])
        """
        frame = _as_frame(records)
        self.check_history(frame)
        schema_from_inputs(self.rules, f"{self.name} inputs").validate(frame)
        self.check_adjustment_reasons(frame)
        cols, n = scoring.prepare_inputs(self.rules, frame_columns(frame, self.input_names))
        return frame, cols, n

    def check_history(self, frame: pd.DataFrame) -> None:
        """Refuse firms with fewer than ``spec.min_fiscal_years`` years of statements.

        003 企业信用评级标准 (1): a firm is rated once it has at least two fiscal years of
        statements; a firm with one year is refused ("insufficient history"), never scored
        on its one year alone. A year counts when every required multi-year ratio has it.

        Examples
        --------
        >>> card = CardEngine.from_spec("enterprise_five_aspect")
        >>> card.check_history(pd.DataFrame({"debt_ratio": [0.5], "debt_ratio_lag1": [None]}))
        Traceback (most recent call last):
        ...
        riskmodels.errors.DataValidationError: 1 data rule(s) broken:
          - column 'debt_ratio_lag1': insufficient history: fewer than 2 fiscal years of statements in 1 row(s): [0]; ...
        """
        years = self.spec.min_fiscal_years
        if years < 2:
            return
        bad = []
        for ind in self.spec.indicators:
            cols, _ = indicator_inputs(self.spec, ind)
            if len(cols) < 2 or ind.missing != "error":
                continue
            for col in cols[-years:-1]:
                if col in frame.columns:
                    gone = frame[col].isna().to_numpy()
                    if gone.any():
                        bad.append(violation(col, f"insufficient history: fewer than {years} fiscal years "
                                              "of statements", frame.index[gone],
                                              f"at least {years} fiscal years of statements (003 企业信用评级标准)"))
        if bad:
            raise DataValidationError(bad)

    def check_adjustment_reasons(self, frame: pd.DataFrame) -> None:
        """Raise DataValidationError where an analyst adjustment has no reason (003: 微调 is argued).

        Parameters
        ----------
        frame : DataFrame
            The records, with the spec's adjustment and reason columns.

        Examples
        --------
        >>> card = CardEngine.from_spec("enterprise_five_aspect")
        >>> card.check_adjustment_reasons(pd.DataFrame({"analyst_adjustment": [2.0], "adjustment_reason": ["audit"]}))
        >>> card.check_adjustment_reasons(pd.DataFrame({"analyst_adjustment": [0.0, 3.0]}))
        Traceback (most recent call last):
        ...
        riskmodels.errors.DataValidationError: 1 data rule(s) broken:
          - column 'adjustment_reason': analyst adjustment without a reason in 1 row(s): [1]; ...
        """
        adj = self.spec.adjustment
        if adj is None or adj.input not in frame.columns:
            return
        moved = frame[adj.input].fillna(0).to_numpy(dtype=float) != 0
        if adj.reason_input in frame.columns:
            reason = frame[adj.reason_input]
            blank = reason.isna().to_numpy() | (reason.astype(str).str.strip() == "").to_numpy()
        else:
            blank = np.ones(len(frame), dtype=bool)
        bad = moved & blank
        if bad.any():
            raise DataValidationError([violation(adj.reason_input, "analyst adjustment without a reason",
                                                  frame.index[bad], f"a non-empty reason wherever {adj.input} is not 0")])

    def score(self, records) -> ScoreResult:
        """Score records: total, aspect sub-scores, points per indicator, grades, reasons.

        Parameters
        ----------
        records : DataFrame, one dict (one record) or a list of dicts.

        Returns
        -------
        ScoreResult

        Examples
        --------
        >>> card = CardEngine.from_spec("environmental")
        >>> r = card.score([{"discharge_compliance": 90.0, "facilities_running": 95.0, "violations": 1,
        ...                  "fee_paid_share": 100.0, "fee_on_time": "late",
        ...                  "impact_assessment": "not_done", "other_points": 30.0}])
        >>> r.aspect_points.iloc[0].tolist(), r.grade[0]
        ([6.0, 15.0, 15.0, 0.0, 30.0], 'C')
        """
        frame, cols, n = self.columns(records)
        out = scoring.KERNELS["expert"](self.compiled, cols, n)
        return ScoreResult(self, frame.index, out, cols)

    def needs_rerating(self, previous_score, current_score, events=None) -> np.ndarray:
        """True where the firm must be re-rated (003 企业信用评级标准 (5)).

        The score fell by ``spec.rerating_drop`` (10) points or more, or one of the
        spec's ``rerating_events`` happened: managers involved in fraud or bribery, a
        major breach of contract, falsified rating materials, major litigation or
        arbitration. ``events`` is a frame (or dict of arrays) with one true/false column
        per event of the spec; a missing value counts as no event.

        Examples
        --------
        >>> CardEngine.from_spec("environmental").needs_rerating([80, 80], [70, 70.5]).tolist()
        [True, False]
        >>> card = CardEngine.from_spec("enterprise_five_aspect")
        >>> card.needs_rerating([80, 80], [79, 79], events={"false_materials": [False, True],
        ...     "fraud_or_bribery": [False, False], "major_breach": [False, False],
        ...     "major_litigation": [False, False]}).tolist()
        [False, True]
        """
        drop = np.asarray(previous_score, dtype=float) - np.asarray(current_score, dtype=float)
        out = drop >= self.spec.rerating_drop
        if events is None:
            return out
        frame = _as_frame(events)
        missing = [e for e in self.spec.rerating_events if e not in frame.columns]
        if missing:
            raise DataValidationError([Violation(e, "missing column", "one true/false column per re-rating "
                                                 "event of the spec") for e in missing])
        for name in self.spec.rerating_events:
            out = out | frame[name].fillna(False).to_numpy(dtype=bool)
        return out

    def promote(self, grades_by_year) -> str:
        """Label after the spec's promotion rule, from grades oldest → newest.

        The environmental card: A two years running → AA, three → AAA (003).

        Examples
        --------
        >>> card = CardEngine.from_spec("environmental")
        >>> card.promote(["B", "A", "A"]), card.promote(["A", "A", "A"]), card.promote(["A", "B"])
        ('AA', 'AAA', 'B')
        """
        grades = list(grades_by_year)
        rule = self.spec.promotion
        if rule is None or not grades:
            return grades[-1] if grades else None
        run = 0
        for g in reversed(grades):
            if g != rule.grade:
                break
            run += 1
        best = None
        for years, label in sorted(rule.after_years.items()):
            if run >= years:
                best = label
        return best or grades[-1]

    # ------------------------------------------------------------------ views
    def table(self) -> pd.DataFrame:
        """One row per indicator: aspect, weight, points, inputs and how it scores.

        Examples
        --------
        >>> t = CardEngine.from_spec("enterprise_five_aspect").table()
        >>> t.loc[t["indicator"] == "debt_ratio", ["points", "year_weights"]].values.tolist()
        [[10.5, '0.2/0.3/0.5']]
        """
        rows = []
        for aspect in self.spec.aspects:
            for ind in aspect.indicators:
                cols, weights = indicator_inputs(self.spec, ind)
                if ind.kind == "numeric":
                    how = (f"{ind.direction}: " + ", ".join(f"{g} {v:g}" for g, v in ind.reference.items())
                           if ind.reference else "curve " + ", ".join(f"{x:g}→{y:g}%" for x, y in ind.curve))
                elif ind.kind == "steps":
                    how = f"thresholds {ind.thresholds} → {ind.scores}%"
                else:
                    how = ", ".join(f"{k} {v:g}%" for k, v in ind.scores.items())
                rows.append({"aspect": aspect.label or aspect.name, "aspect_weight": aspect.weight,
                             "indicator": ind.name, "label": ind.label or "", "weight": ind.weight,
                             "points": indicator_points(aspect, ind), "inputs": ", ".join(cols),
                             "year_weights": "" if len(weights) == 1 else "/".join(f"{w:g}" for w in weights),
                             "scoring": how, "default": ind.default})
        return pd.DataFrame(rows)

    def summary(self) -> Summary:
        """The card: grade bands, aspects with their indicators, caps (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> s = CardEngine.from_spec("environmental").summary()
        >>> s.tables[0].frame.loc["A", "min score"]
        90.0
        """
        out = Summary(f"{self.spec.title or self.name} ({self.spec.source or 'no source given'})")
        out.add_table(pd.DataFrame({"min score": [float(g.min) for g in self.spec.grades]},
                                   index=pd.Index([g.grade for g in self.spec.grades], name="grade")), "Grades")
        out.add_table(pd.DataFrame([{"aspect": a.name, "label": a.label or "", "points": a.weight,
                                     "indicators": ", ".join(i.name for i in a.indicators)}
                                    for a in self.spec.aspects]), "Aspects", index=False)
        if self.spec.caps:
            out.add_table(pd.DataFrame([{"cap": c.name, "on": c.indicator or c.input, "rule": f"{c.op} {c.value}",
                                         "at best": c.max_grade} for c in self.spec.caps]), "Grade caps",
                          index=False)
        return out

    def _repr_html_(self) -> str:
        return self.summary().add_table(self.table(), "Indicators", index=False).as_html()


@dataclass
class RecordBreakdown:
    """The points of one scored record, indicator by indicator.

    Examples
    --------
    >>> rec = {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
    ...        "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
    ...        "other_points": 35.0}
    >>> b = CardEngine.from_spec("environmental").score([rec, {**rec, "violations": 3, "other_points": 5.0}]).breakdown(1)
    >>> b.grade, b.table.columns.tolist()[:4]
    ('D', ['aspect', 'indicator', 'value', 'points'])
    """

    table: pd.DataFrame
    score: float
    total: float
    grade_before: str
    grade: str
    caps_bound: list = field(default_factory=list)

    def _head(self) -> str:
        return (f"score {self.score:.2f}, grade {self.grade}"
                + (f" (capped from {self.grade_before} by {', '.join(self.caps_bound)})"
                   if self.caps_bound else ""))

    def summary(self) -> Summary:
        """The breakdown (a :class:`~riskmodels.results.Summary`).

        Returns
        -------
        riskmodels.results.Summary

        Examples
        --------
        >>> table = pd.DataFrame({"aspect": ["fees"], "indicator": ["fee_on_time"], "value": ["late"],
        ...                       "points": [15.0], "max_points": [20.0], "lost": [5.0]})
        >>> s = RecordBreakdown(table, score=75.0, total=75.0, grade_before="B", grade="C", caps_bound=["violations"])
        >>> s.summary().title
        'score 75.00, grade C (capped from B by violations)'
        """
        return Summary(self._head()).add_table(self.table, "Points per indicator", index=False, digits=4)

    def __repr__(self) -> str:
        return f"RecordBreakdown({self._head()}, {len(self.table)} indicators)"

    def plot(self, ax=None):
        """Horizontal bars: points earned (filled) against the indicator's maximum (outline).

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw (a new figure when None).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> table = pd.DataFrame({"indicator": ["violations", "fee_on_time"], "points": [10.0, 15.0],
        ...                       "max_points": [20.0, 20.0]})
        >>> ax = RecordBreakdown(table, score=25.0, total=25.0, grade_before="D", grade="D").plot()
        >>> ax.get_xlabel(), ax.get_title(), len(ax.patches)
        ('points', 'score 25.0, grade D', 4)
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 0.3 * len(self.table) + 1))
        names = self.table["indicator"][::-1]
        ax.barh(names, self.table["max_points"][::-1], color="none", edgecolor="grey", label="maximum")
        ax.barh(names, self.table["points"][::-1], color="tab:blue", label="earned")
        ax.set_xlabel("points")
        ax.set_title(f"score {self.score:.1f}, grade {self.grade}")
        ax.legend(loc="lower right")
        return ax

    def _repr_html_(self) -> str:
        return self.summary().as_html()


class ScoreResult:
    """What :meth:`CardEngine.score` returns: scores, grades, points, reasons.

    Attributes
    ----------
    score, total : points after the analyst adjustment (0..100); a cap never changes them.
    grade_before, grade : grade from the score bands, and the card's grade after the caps
        and the default definition (the policy grade: classes, terms and limits follow it).
    in_default : True where the obligor meets the default definition (graded the default grade).
    limit_basis : the score the limit reads (a capped firm's at most just below its capped grade).
    indicator_points, aspect_points, aspect_scores : DataFrames (aspect_scores in %).
    caps_bound : DataFrame of booleans, one column per cap (True = the cap lowered the grade).
    reasons : top-3 indicators that cost the most points, per record.
    limit, amount, grade_class : credit limit, guarantee amount and class where the spec defines them;
        limit_reference : last year's monthly payments where the limit rule names that column.

    Examples
    --------
    >>> rec = {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
    ...        "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
    ...        "other_points": 35.0}
    >>> result = CardEngine.from_spec("environmental").score([rec, {**rec, "violations": 3, "other_points": 5.0}])
    >>> len(result), result.grade.tolist()
    (2, ['A', 'D'])
    """

    def __init__(self, card: CardEngine, index, out: dict, cols: dict):
        spec, extra = card.spec, out["extra"]
        names = out["reason_names"]
        grades = np.asarray(card.grades, dtype=object)  # labels by grade index
        self.card = card
        self.index = index
        self.score = out["points"]
        self.total = extra["total"]
        self.grade_before = grades[extra["grade_before"]]
        self.grade = grades[extra["grade_after"]]
        self.indicator_values = pd.DataFrame(extra["indicator_values"], index=index, columns=names)
        self.indicator_points = pd.DataFrame(extra["indicator_points"], index=index, columns=names)
        self.contributions = pd.DataFrame(out["contributions"], index=index, columns=names)
        aspects = [a.name for a in spec.aspects]
        self.aspect_points = pd.DataFrame(extra["aspect_points"], index=index, columns=aspects)
        self.aspect_scores = self.aspect_points / np.array([a.weight for a in spec.aspects]) * 100.0
        self.caps_bound = pd.DataFrame(extra["caps_bound"], index=index, columns=[c.name for c in spec.caps])
        after = extra["grade_after"]
        self.in_default = extra["in_default"]
        self.limit_basis = extra["limit_basis"]
        rule = limit_rule(spec)
        self.limit = scoring.credit_limit(rule, self.grade, cols, self.limit_basis)  # the bundle's formula
        self.limit_reference = (np.array(cols[rule["reference"]], dtype=float)  # a copy: an absent
                                if rule and rule["reference"] in cols else None)  # input is a read-only view
        self.amount = (np.array([spec.grade_amounts.get(g, 0.0) for g in card.grades])[after]
                       if spec.grade_amounts else None)
        self.grade_class = (np.array([spec.grade_classes[g] for g in card.grades], dtype=object)[after]
                            if spec.grade_classes else None)
        self._cols = cols
        self._reasons = None

    @property
    def reasons(self) -> np.ndarray:
        """Names of the three indicators that cost the most points, per record (n × 3).

        Examples
        --------
        >>> card = CardEngine.from_spec("environmental")
        >>> rec = dict(discharge_compliance=96.0, facilities_running=100.0, violations=0, fee_paid_share=100.0,
        ...            fee_on_time="on_time", impact_assessment="done_accepted", other_points=35.0)
        >>> card.score([{**rec, "violations": 3}]).reasons[0][:2].tolist()
        ['violations', 'other_points']
        """
        if self._reasons is None:
            self._reasons = scoring.top_reasons(self.contributions.to_numpy(), list(self.contributions.columns), 3)
        return self._reasons

    def __len__(self) -> int:
        return len(self.score)

    def frame(self) -> pd.DataFrame:
        """One row per record: score, total, grades, caps that bound, top reasons, limit/amount/class.

        Examples
        --------
        >>> card = CardEngine.from_spec("environmental")
        >>> f = card.score({"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 3,
        ...                 "fee_paid_share": 100.0, "fee_on_time": "on_time",
        ...                 "impact_assessment": "done_accepted", "other_points": 40.0}).frame()
        >>> f[["score", "grade", "reason_1"]].values.tolist()
        [[80.0, 'B', 'violations']]
        """
        out = pd.DataFrame({"score": self.score, "total": self.total, "grade_before": self.grade_before,
                            "grade": self.grade}, index=self.index)
        bound = self.caps_bound.to_numpy(dtype=bool)
        cap_names = np.asarray(self.caps_bound.columns, dtype=object)
        out["caps_bound"] = [", ".join(cap_names[row]) for row in bound]
        for k in range(self.reasons.shape[1]):
            out[f"reason_{k + 1}"] = self.reasons[:, k]
        if self.card.spec.default_grade is not None:
            out["in_default"] = self.in_default
        for name in ("limit", "limit_reference", "amount", "grade_class"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def breakdown(self, i: int = 0) -> RecordBreakdown:
        """Points of record ``i`` (position), indicator by indicator, with what it read.

        Examples
        --------
        >>> card = CardEngine.from_spec("environmental")
        >>> b = card.score({"discharge_compliance": 96.0, "facilities_running": 92.0, "violations": 2,
        ...                 "fee_paid_share": 100.0, "fee_on_time": "on_time",
        ...                 "impact_assessment": "done_accepted", "other_points": 40.0}).breakdown(0)
        >>> b.table[["indicator", "points", "lost"]].head(3).values.tolist()
        [['discharge_compliance', 5.0, 0.0], ['facilities_running', 3.0, 2.0], ['violations', 8.0, 12.0]]
        """
        spec = self.card.spec
        rows = []
        for aspect in spec.aspects:
            for ind in aspect.indicators:
                cols, _ = indicator_inputs(spec, ind)
                value = (self._cols[cols[0]][i] if ind.kind == "categorical"
                         else self.indicator_values[ind.name].iloc[i])
                pts = float(self.indicator_points[ind.name].iloc[i])
                rows.append({"aspect": aspect.name, "indicator": ind.name, "value": value,
                             "points": pts, "max_points": indicator_points(aspect, ind),
                             "lost": float(self.contributions[ind.name].iloc[i])})
        caps = [c for c in self.caps_bound.columns if self.caps_bound[c].iloc[i]]
        return RecordBreakdown(pd.DataFrame(rows), float(self.score[i]), float(self.total[i]),
                               str(self.grade_before[i]), str(self.grade[i]), caps)

    def _head(self) -> str:
        capped = int((self.grade != self.grade_before).sum())
        return f"{self.card.name}: {len(self)} record(s), mean score {np.mean(self.score):.2f}, {capped} capped"

    def summary(self) -> Summary:
        """Records per grade and the mean score (a :class:`~riskmodels.results.Summary`).

        Returns
        -------
        riskmodels.results.Summary

        Examples
        --------
        >>> rec = dict(discharge_compliance=96.0, facilities_running=100.0, violations=0, fee_paid_share=100.0,
        ...            fee_on_time="on_time", impact_assessment="done_accepted", other_points=35.0)
        >>> s = CardEngine.from_spec("environmental").score([rec, {**rec, "violations": 3}]).summary()
        >>> s.title, s.tables[0].frame["records"].tolist()
        ('environmental: 2 record(s), mean score 85.00, 0 capped', [1, 0, 1, 0])
        """
        counts = pd.Series(self.grade).value_counts().reindex(self.card.grades, fill_value=0)
        return Summary(self._head()).add_table(counts.rename_axis("grade").rename("records"), "Records per grade")

    def __repr__(self) -> str:
        return f"ScoreResult({self._head()})"

    def _repr_html_(self) -> str:
        return self.summary().add_table(self.frame().head(20), "First records").as_html()


def categorical_answers(card: CardEngine) -> dict[str, list[str]]:
    """Accepted answers (aliases included) per categorical input column.

    Examples
    --------
    >>> "好" in categorical_answers(CardEngine.from_spec("enterprise_five_aspect"))["management_quality"]
    True
    """
    return {indicator_inputs(card.spec, i)[0][0]: sorted(categorical_table(i))
            for i in card.spec.indicators if i.kind == "categorical"}
