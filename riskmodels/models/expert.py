"""The expert scorecard as a model: the spec scores, ``fit`` only calibrates score → PD.

The in-memory model and its exported bundle evaluate the same compiled spec
with the same ``expert`` kernel of :mod:`riskmodels.scoring`, so bundle PDs equal
``predict_proba`` exactly.

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

import numpy as np

from riskmodels.calibration import IsotonicCalibrator, LogisticScoreCalibrator
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import SpecError
from riskmodels.models.base import ScorerModel, as_frame
from riskmodels.scorecards.engine import ExpertScorecard, ScoreResult
from riskmodels.scorecards.spec import ScorecardSpec, load_spec, spec_from_dict

CALIBRATIONS = ("logistic", "isotonic")


class ExpertScorecardModel(ScorerModel):
    """An expert scorecard in the scikit-learn contract (kind ``"expert"``).

    Parameters
    ----------
    spec : shipped spec name, path to a YAML file, a spec dict or a ScorecardSpec.
    calibration : "logistic" (PD = expit(a·score + b), default) or "isotonic"
        (monotone, PD falling with the score, clipped to ``pd_bounds``).
    pd_bounds : (low, high) PDs the isotonic map is clipped to.
    master_scale : bundle master-scale dict or MasterScale; None = the enterprise 10-grade scale.
    name : bundle name (default: the spec's name).

    Attributes
    ----------
    card_ : ExpertScorecard
    calibrator_ : the fitted calibrator; ``calibration_steps_`` its bundle steps.
    """

    kind = "expert"

    def __init__(self, spec="enterprise_five_aspect", calibration: str = "logistic",
                 pd_bounds=(0.0003, 0.9999), master_scale=None, name=None):
        self.spec = spec
        self.calibration = calibration
        self.pd_bounds = pd_bounds
        self.master_scale = master_scale
        self.name = name

    def _card(self) -> ExpertScorecard:
        spec = self.spec
        if isinstance(spec, ScorecardSpec):
            return ExpertScorecard(spec)
        if isinstance(spec, dict):
            return ExpertScorecard(spec_from_dict(spec))
        return ExpertScorecard(load_spec(spec))

    def fit(self, X, y):
        """Score ``X`` with the spec and fit the score → PD calibration on ``y``.

        Returns
        -------
        self
        """
        if self.calibration not in CALIBRATIONS:
            raise SpecError(f"calibration must be one of {CALIBRATIONS}, not {self.calibration!r}",
                            "calibration")
        card = self._card()
        frame = as_frame(X)
        target = require_binary_target(y, "y")
        if len(target) != len(frame):
            raise SpecError(f"X has {len(frame)} rows but y has {len(target)}", "y")
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
        self.master_scale_ = self.master_scale  # None: the enterprise 10-grade scale (also on a refit)
        self.training_metadata_ = {"spec": card.name, "n_train": int(len(target)),
                                   "train_default_rate": float(target.mean())}
        return self

    # ---- bundle hooks
    def _bundle_inputs(self) -> list:
        return [dict(rule) for rule in self.card_.rules]

    def _bundle_model(self) -> dict:
        return self.card_.compiled

    def _bundle_calibration(self) -> list:
        return [dict(step) for step in self.calibration_steps_]

    def _credit_limit(self) -> dict | None:
        rule = self.card_.spec.credit_limit
        if rule is None:
            return None
        return {"coefficients": dict(rule.coefficients), "current_assets": rule.current_assets,
                "monthly_sales": rule.monthly_sales}

    def _content(self, master_scale=None) -> dict:
        content = super()._content(master_scale)
        content["name"] = self.name or self.card_.name
        return content

    # ---- expert views
    def score_frame(self, X, master_scale=None) -> dict:
        """Kernel outputs for ``X`` (pd, score, grade, raw, contributions, reason names)."""
        self._check_fitted()
        self.card_.check_adjustment_reasons(as_frame(X))
        return super().score_frame(X, master_scale)

    def score_card(self, X) -> ScoreResult:
        """The expert view of ``X``: points per indicator and aspect, grades before/after caps."""
        self._check_fitted()
        return self.card_.score(as_frame(X))

    def _repr_html_(self) -> str:
        if not hasattr(self, "card_"):
            return f"<p>ExpertScorecardModel({self.spec!r}), not fitted</p>"
        return self.card_._repr_html_()
