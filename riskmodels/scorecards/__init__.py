"""Expert scorecards from the documents: specs as data, one engine, caps, classes, limits.

Examples
--------
>>> from riskmodels.scorecards import ExpertScorecard, shipped_specs
>>> shipped_specs()
['bank_15_grade', 'enterprise_five_aspect', 'environmental', 'personal']
"""

from riskmodels.scorecards.engine import ExpertScorecard, RecordBreakdown, ScoreResult
from riskmodels.scorecards.rules import CustomerRules, credit_limit
from riskmodels.scorecards.spec import ScorecardSpec, compile_spec, load_spec, shipped_specs

__all__ = ["ExpertScorecard", "RecordBreakdown", "ScoreResult", "ScorecardSpec", "compile_spec",
           "load_spec", "shipped_specs", "CustomerRules", "credit_limit"]
