"""Calibration: master scales (PD → grade), score → PD calibrators, per-grade tests.

Examples
--------
>>> from riskmodels.calibration import MasterScale, binomial_test
>>> MasterScale.standard("enterprise10").grade([0.02]).tolist()
['B']
"""

from riskmodels.calibration.calibrators import (
    CentralTendencyCalibrator,
    IsotonicCalibrator,
    LogisticScoreCalibrator,
    PlattCalibrator,
    check_scores,
    intercept_shift,
)
from riskmodels.calibration.fitting import ScaleFit, fit_master_scale, grade_table, herfindahl
from riskmodels.calibration.grade_tests import (
    HosmerLemeshowResult,
    basel_asset_correlation,
    binomial_test,
    hosmer_lemeshow,
    jeffreys_test,
    vasicek_cdf,
    vasicek_default_sf,
    vasicek_quantile,
)
from riskmodels.calibration.master_scale import STANDARD_SCALES, MasterScale

__all__ = [
    "MasterScale", "STANDARD_SCALES", "IsotonicCalibrator", "PlattCalibrator",
    "LogisticScoreCalibrator", "CentralTendencyCalibrator", "intercept_shift", "check_scores",
    "binomial_test", "jeffreys_test", "hosmer_lemeshow", "basel_asset_correlation", "vasicek_cdf",
    "vasicek_quantile", "vasicek_default_sf", "grade_table", "fit_master_scale", "ScaleFit",
    "herfindahl", "HosmerLemeshowResult",
]
