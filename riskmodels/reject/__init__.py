"""Reject inference: augment the accepts with the rejects, refit, and measure whether it helped.

- :class:`RejectInference` — hard cut-off, fuzzy, parcelling and reweighting
  around a scorecard (:mod:`riskmodels.reject.inference`, the augmented samples
  in :mod:`riskmodels.reject.augment`);
- :func:`reject_diagnostics` — accept-vs-reject PSI, inferred bad rates by score
  band, kick-in/kick-out, sensitivity bands (:mod:`riskmodels.reject.diagnostics`);
- :func:`masked_benchmark` — hide the labels of a simulated reject set on fully
  labelled data and score each method against the hidden truth
  (:mod:`riskmodels.reject.benchmark`).
"""

from riskmodels.reject.benchmark import SELECTIONS, masked_benchmark
from riskmodels.reject.diagnostics import RejectDiagnostics, characteristic_psi, reject_diagnostics
from riskmodels.reject.inference import METHODS, RejectInference, check_rejects

__all__ = ["METHODS", "SELECTIONS", "RejectDiagnostics", "RejectInference", "characteristic_psi", "check_rejects",
           "masked_benchmark", "reject_diagnostics"]
