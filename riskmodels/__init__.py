"""riskmodels: expert and statistical credit-risk models on one AAA–D master scale.

The top-level names are imported lazily, so that ``import riskmodels.scoring``
(the numpy-only production scorer) does not pull in pandas, scipy or mlflow.

Examples
--------
>>> import riskmodels as rm
>>> rm.load_taiwan().shape
(30000, 25)
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "RiskModelsError": "riskmodels.errors",
    "DataValidationError": "riskmodels.errors",
    "DataIntegrityError": "riskmodels.errors",
    "SpecError": "riskmodels.errors",
    "ConfigError": "riskmodels.errors",
    "BundleError": "riskmodels.errors",
    "NotFittedError": "riskmodels.errors",
    "Column": "riskmodels.data.schema",
    "Schema": "riskmodels.data.schema",
    "load_taiwan": "riskmodels.data.loaders",
    "load_german": "riskmodels.data.loaders",
    "load_south_german": "riskmodels.data.loaders",
    "load_ibm_ar": "riskmodels.data.loaders",
    "load_polish": "riskmodels.data.loaders",
    "load_sp_transitions": "riskmodels.data.loaders",
    "load_jlt_transitions": "riskmodels.data.loaders",
    "load_scorer": "riskmodels.scoring",
    "Scorer": "riskmodels.scoring",
    # payment history and synthetic portfolio (riskmodels.data)
    # expert scorecards (riskmodels.scorecards, riskmodels.models.expert)
    # binning and logistic scorecard (riskmodels.binning, riskmodels.models.logistic)
    # structural models (riskmodels.models.kmv)
    # cross-tabulation and migration (riskmodels.models.crosstab, riskmodels.migration)
    # calibration and validation (riskmodels.calibration, riskmodels.validation)
    # comparison, tracking and export (riskmodels.compare, riskmodels.tracking, riskmodels.export)
}


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'riskmodels' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = sorted(_EXPORTS)
