"""Validation: discrimination, calibration accuracy, stability, table tests, isotonic fits, a report.

Examples
--------
>>> from riskmodels.validation import auc, psi
>>> auc([0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8])
1.0
"""

from riskmodels.validation.accuracy import (
    SpiegelhalterResult,
    bins_of,
    brier,
    brier_decomposition,
    calibration_curve,
    check_outcomes,
    ece,
    hosmer_lemeshow_test,
    jeffreys_interval,
    log_loss,
    spiegelhalter,
    traffic_light,
)
from riskmodels.validation.contingency import (
    FisherExactResult,
    IndependenceTestResult,
    chi2_g2_test,
    fisher_exact_2x2,
    wilson_interval,
)
from riskmodels.validation.discrimination import (
    AUCChangeResult,
    AUCComparison,
    AUCResult,
    accuracy_ratio,
    auc,
    auc_change_test,
    auc_ci,
    cap_curve,
    delong_components,
    delong_covariance,
    delong_test,
    gini,
    ks,
    midrank,
    roc_curve,
)
from riskmodels.validation.isotonic import isotonic_grid, weighted_pav
from riskmodels.validation.report import ValidationReport
from riskmodels.validation.stability import (
    HerfindahlTestResult,
    csi,
    herfindahl_test,
    migration_stability,
    psi,
    psi_table,
    psi_zone,
)

__all__ = [
    "auc", "gini", "ks", "roc_curve", "cap_curve", "accuracy_ratio", "auc_ci", "delong_test",
    "delong_components", "delong_covariance", "auc_change_test", "midrank", "AUCResult",
    "AUCComparison", "brier", "brier_decomposition", "log_loss", "ece", "spiegelhalter",
    "hosmer_lemeshow_test", "calibration_curve", "jeffreys_interval", "traffic_light", "bins_of",
    "check_outcomes", "ValidationReport", "psi", "psi_table", "psi_zone", "csi", "herfindahl_test", "migration_stability",
    "chi2_g2_test", "fisher_exact_2x2", "wilson_interval", "weighted_pav", "isotonic_grid",
    "AUCChangeResult", "SpiegelhalterResult", "HerfindahlTestResult", "IndependenceTestResult",
    "FisherExactResult",
]
