"""The production scorer: loads a JSON scorer bundle and scores records.

This module imports **numpy and the standard library only** (a test proves it),
so production code can import it — or copy this one file — without pandas,
scipy, scikit-learn, statsmodels or mlflow. The in-memory models compute their
``predict_proba`` through the same kernels (:func:`evaluate`), so a bundle gives
the training-time numbers exactly.

The source is the package ``riskmodels/scoring/`` (bundle I/O, structure checks,
inputs, the shared steps, one module per model kind, the scorer, the decision log);
``python -m riskmodels.scoring.build`` concatenates it into the one file
``riskmodels/standalone/scoring.py``, which is what ``import riskmodels.scoring``
loads and what ``riskmodels export-scorer`` copies.

A bundle is one JSON document::

    {"schema_version": 1, "kind": "logistic" | "expert" | "kmv" | "crosstab",
     "name": str, "inputs": [feature rules], "model": {kind-specific parameters},
     "calibration": [steps], "master_scale": {...}, "credit_limit": {...} | null,
     "ecl": {term structure per grade, LGD, discount rate, EAD field, stage rule} | null,
     "metadata": {...}, "sha256": hex digest of the canonical content without it}

Examples
--------
>>> content = {"schema_version": 1, "kind": "identity", "name": "pd-passthrough",
...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
...     "model": {"input": "pd"}, "calibration": [],
...     "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]},
...     "credit_limit": None, "metadata": {}}
>>> scorer = Scorer(seal(content))
>>> out = scorer.score({"pd": 0.02})
>>> out["grade"], out["pd"]
('B', 0.02)
"""

import importlib.util
import sys
from pathlib import Path

__all__ = ["Scorer", "load_scorer", "read_bundle", "evaluate", "seal", "verify", "dumps_bundle",
           "canonical_bytes", "as_columns", "prepare_inputs", "example_record", "bin_index",
           "compile_binnings", "CodedLabels", "lookup_labels",
           "apply_calibration", "grade_of", "grade_index", "count_at_or_below", "top_reasons",
           "credit_limit", "expit", "logit", "expected_loss", "lifetime_ecl", "stage", "ExpectedCreditLoss", "ecl_factors", "ecl_inputs", "STAGE_DEFAULTS",
           "KERNELS", "BundleError", "SCHEMA_VERSION", "write_decision_log",
           "decision_log_lines", "append_to_log", "log_ids"]

_GENERATED = Path(__file__).resolve().parent.parent / "standalone" / "scoring.py"


def _load_generated_file() -> None:
    """Make ``riskmodels.scoring`` the generated single file (keeping this folder as its
    ``__path__``, so ``riskmodels.scoring.build`` and the source modules stay importable)."""
    spec = importlib.util.spec_from_file_location(__name__, _GENERATED,
                                                  submodule_search_locations=list(__path__))
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module
    spec.loader.exec_module(module)


_load_generated_file()
