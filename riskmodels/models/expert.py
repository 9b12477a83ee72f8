"""The expert scorecard as a model: the spec scores, ``fit`` only calibrates score → PD.

The in-memory model and its exported bundle evaluate the same compiled spec
with the same ``expert`` kernel of :mod:`riskmodels.scoring`, so bundle PDs equal
``predict_proba`` exactly.

The card's grade, class and limit are policy: :meth:`ExpertScorecardModel.grade`,
the bundle's ``grade``/``policy_grade`` and ``limit`` are exactly the card's
(:class:`~riskmodels.scorecards.CardEngine`). The calibrated PD and the
master-scale grade it implies are reported beside it as ``scale_grade``.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> n = 400
>>> X = pd.DataFrame({"discharge_compliance": rng.uniform(50, 100, n),
...                   "facilities_running": rng.uniform(70, 100, n),
...                   "violations": rng.integers(0, 4, n), "fee_paid_share": rng.uniform(60, 100, n),
...                   "fee_on_time": rng.choice(["on_time", "late"], n),
...                   "impact_assessment": rng.choice(["done_accepted", "not_done"], n),
...                   "other_points": rng.uniform(0, 40, n)})
>>> y = (rng.random(n) < 0.1).astype(int)
>>> model = ExpertScorecardModel("environmental").fit(X, y)
>>> pd_ = model.predict_proba(X)[:, 1]
>>> bool(((pd_ > 0) & (pd_ < 1)).all())
True
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.calibration import IsotonicCalibrator, LogisticScoreCalibrator
from riskmodels.calibration.calibrators import pd_bounds_problems
from riskmodels.data.frames import as_frame
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.base import ScorerModel
from riskmodels.results import Summary
from riskmodels.scorecards.engine import CardEngine, ScoreResult
from riskmodels.scorecards.spec import ScorecardSpec, limit_rule, load_spec, spec_from_dict

CALIBRATIONS = ("logistic", "isotonic")


class ExpertScorecardModel(ScorerModel):
    """An expert scorecard in the scikit-learn contract (kind ``"expert"``).

    Parameters
    ----------
    spec : shipped spec name, path to a YAML file, a spec dict or a ScorecardSpec.
    calibration : "logistic" (PD = expit(a·score + b), default) or "isotonic"
        (monotone, PD falling with the score, clipped to ``pd_bounds``).
    pd_bounds : (low, high) PDs the isotonic map is clipped to.
    master_scale : bundle master-scale dict or MasterScale for the ``scale_grade`` of the PD;
        None = the card's own scale (``master_scale:`` of the spec, e.g. bank15 for the bank
        card), else the enterprise 10-grade scale.
    name : bundle name (default: the spec's name).

    Attributes
    ----------
    card_ : CardEngine
    calibrator_ : the fitted calibrator; ``calibration_steps_`` its bundle steps.

    Examples
    --------
    >>> rec = {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
    ...        "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
    ...        "other_points": 35.0}
    >>> X = pd.DataFrame([rec, {**rec, "violations": 3, "other_points": 5.0}] * 2)
    >>> model = ExpertScorecardModel("environmental").fit(X, [0, 1, 1, 0])
    >>> model.grade(X).tolist()
    ['A', 'D', 'A', 'D']
    """

    domain_ranges = False  # the card's spec declares the hard ranges of its inputs

    kind = "expert"

    def __init__(self, spec="enterprise_five_aspect", calibration: str = "logistic",
                 pd_bounds=(0.0003, 0.9999), master_scale=None, name=None):
        self.spec = spec
        self.calibration = calibration
        self.pd_bounds = pd_bounds
        self.master_scale = master_scale
        self.name = name

    def _card(self) -> CardEngine:
        spec = self.spec
        if isinstance(spec, ScorecardSpec):
            return CardEngine(spec)
        if isinstance(spec, dict):
            return CardEngine(spec_from_dict(spec))
        return CardEngine(load_spec(spec))

    def fit(self, X, y):
        """Score ``X`` with the spec and fit the score → PD calibration on ``y``.

        Returns
        -------
        self

        Examples
        --------
        >>> rec = {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
        ...        "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
        ...        "other_points": 35.0}
        >>> X = pd.DataFrame([rec, {**rec, "violations": 1}, rec, {**rec, "other_points": 9.0}])
        >>> model = ExpertScorecardModel("environmental").fit(X, [0, 1, 0, 1])
        >>> model.calibration_steps_[0]["method"], model.policy_grade(X).tolist(), len(model.scale_grade(X))
        ('logistic', ['A', 'A', 'A', 'C'], 4)
        """
        self._check_params()
        card = self._card()
        frame = as_frame(X)
        target = require_binary_target(y, "y")
        if len(target) != len(frame):
            raise DataValidationError([Violation("y", f"has {len(target)} values for {len(frame)} rows",
                                                 "one target per row of X")], "ExpertScorecardModel.fit")
        scores = card.score(frame).score
        if self.calibration == "logistic":
            calibrator = LogisticScoreCalibrator().fit(scores, target)
        else:
            calibrator = IsotonicCalibrator(increasing=False, pd_bounds=tuple(self.pd_bounds)).fit(scores, target)
        self.card_ = card
        self.calibrator_ = calibrator
        self.calibration_steps_ = calibrator.to_bundle_steps()
        self.feature_names_in_ = np.asarray(card.input_names, dtype=object)
        self.n_features_in_ = len(card.input_names)
        self.classes_ = np.array([0, 1])
        self.master_scale_ = self._scale(card)  # also on a refit
        self.training_metadata_ = {"spec": card.name, "n_train": int(len(target)),
                                   "train_default_rate": float(target.mean())}
        return self

    def _parameter_problems(self) -> list:
        problems = []
        if not isinstance(self.spec, (str, os.PathLike, dict, ScorecardSpec)):
            problems.append(Violation("spec", f"is a {type(self.spec).__name__}",
                                      "a shipped spec name, a YAML path, a spec dict or a ScorecardSpec"))
        if self.calibration not in CALIBRATIONS:
            problems.append(Violation("calibration", f"is {self.calibration!r}", f"one of {CALIBRATIONS}"))
        problems += pd_bounds_problems(self.pd_bounds)
        if not (self.master_scale is None or isinstance(self.master_scale, dict)
                or hasattr(self.master_scale, "to_bundle")):
            problems.append(Violation("master_scale", f"is a {type(self.master_scale).__name__}",
                                      "None, a master-scale bundle dict or a MasterScale"))
        if not (self.name is None or isinstance(self.name, str)):
            problems.append(Violation("name", f"is {self.name!r}", "None or a string"))
        return problems

    def _scale(self, card: CardEngine):
        if self.master_scale is not None or card.spec.master_scale is None:
            return self.master_scale  # None: the enterprise 10-grade scale
        from riskmodels.calibration import MasterScale

        return MasterScale.standard(card.spec.master_scale).to_bundle()

    # ---- bundle hooks
    def _bundle_inputs(self) -> list:
        return [dict(rule) for rule in self.card_.rules]

    def _bundle_model(self) -> dict:
        return self.card_.compiled

    def _bundle_calibration(self) -> list:
        return [dict(step) for step in self.calibration_steps_]

    def _credit_limit(self) -> dict | None:
        return limit_rule(self.card_.spec)

    def _content(self, master_scale=None, outside_training: str = "warn", hard_ranges=None) -> dict:
        content = super()._content(master_scale, outside_training, hard_ranges)
        content["name"] = self.name or self.card_.name
        return content

    # ---- expert views
    def score_frame(self, X, master_scale=None) -> dict:
        """Kernel outputs for ``X``: pd, score, grade (the card's), policy_grade, scale_grade,
        raw, contributions, reason names.

        Parameters
        ----------
        X : DataFrame
            The records, with the card's indicator columns.
        master_scale : MasterScale or dict, optional
            The scale of ``scale_grade`` (default: the model's).

        Returns
        -------
        dict of numpy arrays

        Examples
        --------
        >>> rec = {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
        ...        "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
        ...        "other_points": 35.0}
        >>> X = pd.DataFrame([rec, {**rec, "violations": 3, "other_points": 0.0}])
        >>> out = ExpertScorecardModel("environmental").fit(X, [0, 1]).score_frame(X)
        >>> out["score"].tolist(), out["grade"].tolist()
        ([95.0, 40.0], ['A', 'D'])
        """
        self._check_fitted()
        frame = as_frame(X)
        self.card_.check_history(frame)
        self.card_.check_adjustment_reasons(frame)
        return super().score_frame(frame, master_scale)

    def policy_grade(self, X) -> np.ndarray:
        """The card's grade of each record (the policy grade; same as :meth:`grade`).

        Parameters
        ----------
        X : DataFrame
            The records, with the card's indicator columns.

        Returns
        -------
        numpy.ndarray of str
            The card grade of each record.

        Examples
        --------
        >>> cols = ["discharge_compliance", "facilities_running", "violations", "fee_paid_share", "fee_on_time",
        ...         "impact_assessment", "other_points"]
        >>> X = pd.DataFrame([[96.0, 100.0, 0, 100.0, "on_time", "done_accepted", 35.0],
        ...                   [96.0, 100.0, 3, 100.0, "on_time", "done_accepted", 0.0]], columns=cols)
        >>> ExpertScorecardModel("environmental").fit(X, [0, 1]).policy_grade(X).tolist()
        ['A', 'D']
        """
        return self.score_frame(X)["policy_grade"]

    def scale_grade(self, X, master_scale=None) -> np.ndarray:
        """The master-scale grade of each record's calibrated PD (reported beside the card's).

        Parameters
        ----------
        X : DataFrame
            The records.
        master_scale : MasterScale or dict, optional
            The scale (default: the model's).

        Returns
        -------
        numpy.ndarray of str

        Examples
        --------
        >>> from riskmodels.calibration import MasterScale
        >>> X = pd.DataFrame({"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": [0, 3],
        ...                   "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
        ...                   "other_points": [35.0, 0.0]})
        >>> model = ExpertScorecardModel("environmental", calibration="isotonic").fit(X, [0, 1])
        >>> model.scale_grade(X, MasterScale.from_bounds(["low", "high"], [0.5])).tolist()
        ['low', 'high']
        """
        return self.score_frame(X, master_scale)["scale_grade"]

    def grade_table(self, X, y, master_scale=None):
        """Per card grade: firms, defaults, the PD it realises and the master-scale grade
        that corresponds (card grade → realised PD → master-scale grade).

        Columns: ``n``, ``defaults``, ``realised_pd`` (default rate), ``scale_grade_of_realised``
        (the master-scale grade holding that rate), ``mean_pd`` (mean calibrated PD),
        ``scale_grade_of_mean_pd`` and ``agreement`` (share of the grade's firms whose own
        master-scale grade is the card grade). Grades without firms are left out.

        Examples
        --------
        >>> import pandas as pd
        >>> X = pd.DataFrame({"discharge_compliance": [96.0, 90.0, 50.0, 97.0],
        ...                   "facilities_running": [100.0, 95.0, 70.0, 100.0], "violations": [0, 1, 3, 0],
        ...                   "fee_paid_share": [100.0, 100.0, 60.0, 100.0],
        ...                   "fee_on_time": ["on_time", "late", "late", "on_time"],
        ...                   "impact_assessment": ["done_accepted", "not_done", "not_done", "done_accepted"],
        ...                   "other_points": [35.0, 30.0, 10.0, 38.0]})
        >>> model = ExpertScorecardModel("environmental").fit(X, [0, 0, 1, 0])
        >>> t = model.grade_table(X, [0, 0, 1, 0])
        >>> t.index.tolist(), t["n"].tolist(), t["realised_pd"].tolist()
        (['A', 'C', 'D'], [2, 1, 1], [0.0, 0.0, 1.0])
        """
        from riskmodels.calibration import MasterScale

        out = self.score_frame(X, master_scale)
        target = require_binary_target(y, "y")
        scale = master_scale or self.master_scale_ or MasterScale.standard("enterprise10").to_bundle()
        scale = scale.to_bundle() if hasattr(scale, "to_bundle") else scale
        frame = pd.DataFrame({"grade": out["policy_grade"], "y": target, "pd": out["pd"],
                              "same": out["policy_grade"] == out["scale_grade"]})
        rows = []
        for grade in self.card_.grades:
            part = frame[frame["grade"] == grade]
            if len(part) == 0:
                continue
            rate, mean_pd = float(part["y"].mean()), float(part["pd"].mean())
            rows.append({"card_grade": grade, "n": len(part), "defaults": int(part["y"].sum()),
                         "realised_pd": rate,
                         "scale_grade_of_realised": scoring.grade_of(scale, np.array([rate]))[0],
                         "mean_pd": mean_pd,
                         "scale_grade_of_mean_pd": scoring.grade_of(scale, np.array([mean_pd]))[0],
                         "agreement": float(part["same"].mean())})
        return pd.DataFrame(rows).set_index("card_grade")

    def limit(self, X) -> np.ndarray:
        """The card's credit limit of each record (the bundle's ``limit``).

        Parameters
        ----------
        X : DataFrame
            The firms to limit.

        Returns
        -------
        numpy.ndarray or None
            None for a card without a limit rule.

        Examples
        --------
        >>> good = dict(discharge_compliance=96.0, facilities_running=100.0, violations=0, fee_paid_share=100.0,
        ...             fee_on_time="on_time", impact_assessment="done_accepted", other_points=35.0)
        >>> X = pd.DataFrame([good, good | {"violations": 3, "other_points": 0.0}])
        >>> ExpertScorecardModel("environmental").fit(X, [0, 1]).limit(X) is None  # this card sets no limit
        True
        """
        self._check_fitted()
        return self.card_.score(as_frame(X)).limit

    def score_card(self, X) -> ScoreResult:
        """The expert view of ``X``: points per indicator and aspect, grades before/after caps.

        Parameters
        ----------
        X : DataFrame
            The records.

        Returns
        -------
        riskmodels.scorecards.engine.ScoreResult

        Examples
        --------
        >>> X = pd.DataFrame({"violations": [0, 3], "other_points": [35.0, 0.0]}).assign(
        ...     discharge_compliance=96.0, facilities_running=100.0, fee_paid_share=100.0, fee_on_time="on_time",
        ...     impact_assessment="done_accepted")
        >>> result = ExpertScorecardModel("environmental").fit(X, [0, 1]).score_card(X)
        >>> result.total.tolist(), result.grade.tolist()
        ([95.0, 40.0], ['A', 'D'])
        """
        self._check_fitted()
        return self.card_.score(as_frame(X))

    def summary(self) -> Summary:
        """The card (grades, aspects, caps) and its score → PD calibration (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> rec = {"discharge_compliance": 96.0, "facilities_running": 100.0, "violations": 0,
        ...        "fee_paid_share": 100.0, "fee_on_time": "on_time", "impact_assessment": "done_accepted",
        ...        "other_points": 35.0}
        >>> X = pd.DataFrame([rec, {**rec, "other_points": 5.0}, rec, {**rec, "violations": 2}])
        >>> s = ExpertScorecardModel("environmental", calibration="isotonic").fit(X, [0, 1, 0, 1]).summary()
        >>> s.tables[0].frame.loc["calibration", "value"], s.tables[0].frame.loc["records", "value"]
        ('isotonic', 4)
        """
        self._check_fitted()
        card = self.card_.summary()
        out = Summary(f"ExpertScorecardModel {self.name or self.card_.name!r}: {card.title}")
        out.add_rows([("calibration", self.calibration), ("records", self.training_metadata_["n_train"]),
                      ("default rate", self.training_metadata_["train_default_rate"])], "Fit")
        out.tables += card.tables
        for step in self.calibration_steps_:
            if step["method"] == "interp":
                out.add_table(pd.DataFrame({"score": step["x"], "pd": step["y"]}),
                              "Calibration knots (linear between)", index=False)
            else:
                out.add_rows([(k, v) for k, v in step.items() if k != "method"], f"Calibration: {step['method']}")
        return out

    def _repr_html_(self) -> str:
        if not hasattr(self, "card_"):
            return f"<p>ExpertScorecardModel({self.spec!r}), not fitted</p>"
        return self.summary().as_html()
