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

from riskmodels._lazy import lazy_getattr

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "RiskModelsError": "riskmodels.errors",
    "DataValidationError": "riskmodels.errors",
    "DataIntegrityError": "riskmodels.errors",
    "DataNotFoundError": "riskmodels.errors",
    "SpecError": "riskmodels.errors",
    "ConfigError": "riskmodels.errors",
    "BundleError": "riskmodels.errors",
    "NotFittedError": "riskmodels.errors",
    "MonitoringError": "riskmodels.errors",
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
    "Ledger": "riskmodels.data.ledger",
    "validate_ledger": "riskmodels.data.ledger",
    "ibm_ar_ledger": "riskmodels.data.ledger",
    "FeatureConfig": "riskmodels.data.features",
    "DefaultDefinition": "riskmodels.data.features",
    "payment_features": "riskmodels.data.features",
    "default_flags": "riskmodels.data.features",
    "build_panel": "riskmodels.data.features",
    "ageing_report": "riskmodels.data.features",
    "early_warning": "riskmodels.data.features",
    "bad_debt_candidates": "riskmodels.data.features",
    "limitation_watch": "riskmodels.data.features",
    # the credit file (riskmodels.register)
    "CreditRegister": "riskmodels.register",
    "reviews_due": "riskmodels.register",
    "taiwan_features": "riskmodels.data.features",
    "make_portfolio": "riskmodels.data.synthetic",
    "Portfolio": "riskmodels.data.synthetic",
    # expert scorecards (riskmodels.scorecards, riskmodels.models.expert)
    "CardEngine": "riskmodels.scorecards",
    "ExpertScorecard": "riskmodels.scorecards",  # deprecated name of CardEngine (warns)
    "ScorecardSpec": "riskmodels.scorecards",
    "load_spec": "riskmodels.scorecards",
    "shipped_specs": "riskmodels.scorecards",
    "CustomerRules": "riskmodels.scorecards",
    "credit_limit": "riskmodels.scorecards",
    "ExpertScorecardModel": "riskmodels.models.expert",
    # binning and logistic scorecard (riskmodels.binning, riskmodels.models.logistic)
    "OptimalBinning": "riskmodels.binning",
    "BinningTable": "riskmodels.binning",
    "BinningProcess": "riskmodels.binning",
    "woe_iv": "riskmodels.binning",
    "BinningEditor": "riskmodels.binning.editor",
    "BinningWidget": "riskmodels.binning.widget",
    "LogisticScorecard": "riskmodels.models.logistic",
    # structural models (riskmodels.models.kmv)
    "KMVModel": "riskmodels.models.kmv",
    "MertonSolution": "riskmodels.models.kmv",
    "solve_merton": "riskmodels.models.kmv",
    "merton_equity": "riskmodels.models.kmv",
    "default_point": "riskmodels.models.kmv",
    "distance_to_default": "riskmodels.models.kmv",
    "naive_distance_to_default": "riskmodels.models.kmv",
    "iterative_kmv": "riskmodels.models.kmv",
    "pd_sensitivities": "riskmodels.models.kmv",
    "fit_empirical_pd_map": "riskmodels.models.kmv",
    "plot_dd_by_outcome": "riskmodels.models.kmv",
    # cross-tabulation and migration (riskmodels.models.crosstab, riskmodels.migration)
    "CrossTabModel": "riskmodels.models.crosstab",
    "cohort_matrix": "riskmodels.migration",
    "duration_matrix": "riskmodels.migration",
    "generator_from_matrix": "riskmodels.migration",
    "complete_matrix": "riskmodels.migration",
    "stability_table": "riskmodels.migration",
    # calibration and validation (riskmodels.calibration, riskmodels.validation)
    "MasterScale": "riskmodels.calibration",
    "fit_master_scale": "riskmodels.calibration",
    "grade_table": "riskmodels.calibration",
    "IsotonicCalibrator": "riskmodels.calibration",
    "PlattCalibrator": "riskmodels.calibration",
    "LogisticScoreCalibrator": "riskmodels.calibration",
    "CentralTendencyCalibrator": "riskmodels.calibration",
    "binomial_test": "riskmodels.calibration",
    "jeffreys_test": "riskmodels.calibration",
    "hosmer_lemeshow": "riskmodels.calibration",
    "ValidationReport": "riskmodels.validation",
    "auc": "riskmodels.validation",
    "auc_ci": "riskmodels.validation",
    "delong_test": "riskmodels.validation",
    "gini": "riskmodels.validation",
    "ks": "riskmodels.validation",
    "brier": "riskmodels.validation",
    "psi": "riskmodels.validation",
    "traffic_light": "riskmodels.validation",
    # comparison, tracking and export (riskmodels.comparison, riskmodels.tracking, riskmodels.export)
    "compare": "riskmodels.comparison",
    "Comparison": "riskmodels.comparison",
    "load_config": "riskmodels.comparison",
    "shipped_experiments": "riskmodels.comparison",
    "diff_runs": "riskmodels.tracking",
    "to_mlflow": "riskmodels.export",
    "register_scorer": "riskmodels.export",
    "write_bundle": "riskmodels.export",
    # monitoring of an adopted scorer (riskmodels.monitoring)
    "monitor": "riskmodels.monitoring",
    "MonitoringReport": "riskmodels.monitoring",
    "Thresholds": "riskmodels.monitoring",
    "read_decision_log": "riskmodels.monitoring",
    # provisions: expected credit loss for receivables (riskmodels.provisions)
    "provision_matrix": "riskmodels.provisions",
    "ProvisionMatrix": "riskmodels.provisions",
    "allowance_movement": "riskmodels.provisions",
    "term_structure": "riskmodels.provisions",
    "with_ecl": "riskmodels.provisions",
}


__getattr__ = lazy_getattr("riskmodels", _EXPORTS, globals())


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = sorted(_EXPORTS)
