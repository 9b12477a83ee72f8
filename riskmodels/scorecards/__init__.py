"""Expert scorecards from the documents: specs as data, one engine, caps, classes, limits.

Two names, two jobs: :class:`CardEngine` runs a card spec (scores, points, the card's
grade and limit, no fitting); :class:`riskmodels.models.expert.ExpertScorecardModel` is
the scikit-learn estimator around it (``fit`` calibrates score → PD, exports the
bundle). ``ExpertScorecard`` is the engine's old name: it still works and warns.

Examples
--------
>>> from riskmodels.scorecards import CardEngine, shipped_specs
>>> shipped_specs()
['bank_15_grade', 'enterprise_five_aspect', 'environmental', 'personal']
"""

import warnings

from riskmodels.scorecards.engine import CardEngine, RecordBreakdown, ScoreResult
from riskmodels.scorecards.rules import CustomerRules, credit_limit
from riskmodels.scorecards.spec import ScorecardSpec, compile_spec, load_spec, shipped_specs

__all__ = ["CardEngine", "RecordBreakdown", "ScoreResult", "ScorecardSpec", "compile_spec",
           "load_spec", "shipped_specs", "CustomerRules", "credit_limit"]


def __getattr__(name: str):
    if name == "ExpertScorecard":
        warnings.warn("riskmodels.scorecards.ExpertScorecard is renamed CardEngine (the card engine); "
                      "the estimator is riskmodels.ExpertScorecardModel", DeprecationWarning, stacklevel=2)
        return CardEngine
    raise AttributeError(f"module 'riskmodels.scorecards' has no attribute {name!r}")
