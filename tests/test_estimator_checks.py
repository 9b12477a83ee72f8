"""scikit-learn's estimator checks on every riskmodels estimator and transformer.

``parametrize_with_checks`` runs each of sklearn's checks as one test. The models are
binary PD models (``__sklearn_tags__``: no multi-class) and the calibrators map one
score column to PDs (1-d input), so sklearn adapts or skips the checks that do not
apply. What remains and fails is listed below per class with the reason; a listed
check that starts passing shows as XPASS, a new failure fails the suite.

Results when this file was written (sklearn 1.9): KMVModel 18 of 55 checks pass,
CrossTabModel 38/55, LogisticScorecard 26/55, ExpertScorecardModel 18/55,
BinningProcess 24/47; after the AIC stepwise of issue 15 LogisticScorecard 25/54 (three
singular fits, two checks that now pass), and 28/54 since the stepwise search skips a candidate
that separates the sample (those three fits); each calibrator runs the 1 check that applies to
1-d input.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskmodels.binning import BinningProcess
from riskmodels.calibration import (
    CentralTendencyCalibrator,
    IsotonicCalibrator,
    LogisticScoreCalibrator,
    PlattCalibrator,
)
from riskmodels.errors import NotFittedError, ParameterError, RiskModelsError
from riskmodels.models.crosstab import CrossTabModel
from riskmodels.models.expert import ExpertScorecardModel
from riskmodels.models.kmv import KMVModel
from riskmodels.models.logistic import LogisticScorecard

# reasons a check fails, shared by the classes
COLUMNS = ("the model reads named columns (balance-sheet fields for KMV, the spec's indicators for "
           "the expert card); sklearn's checks pass anonymous x0, x1, ... and are refused with "
           "DataValidationError naming the missing columns")
BINARY = ("binary 0/1 default target only: a 3-class, continuous or complex y is refused with "
          "DataValidationError naming the rows, not sklearn's 'Unknown label type' wording")
SPARSE = "sparse input is not supported; the refusal names the column rule, not the word 'sparse'"
MESSAGES = ("empty, one-sample, one-feature or 1-d input is refused with DataValidationError naming "
            "the rule ('<X>': has 1 dimension(s) ...), not sklearn's wording")
SELECTION = ("stepwise selection on sklearn's random features keeps no characteristic (IV < 0.02 or "
             "insignificant): fit refuses to return a model without features")
OBJECT = "object columns of numbers-as-strings are refused (no silent type change, issue 17)"
BY_NAME = ("columns are matched by name (feature_names_in_), so a frame with extra or fewer columns "
           "is read by name, not refused by count")
Y_2D = "a 2-d y is accepted as the flat 0/1 target without sklearn's DataConversionWarning"
GRID = ("sklearn's sample-weight equivalence data has many distinct values per column: the cross-tab grid "
        "exceeds 200,000 cells and fit refuses it (DataValidationError naming the grid size)")
NAN = "missing values are binned (a missing bin); infinities are refused at transform"

EXPECTED_FAILURES = {
    "KMVModel": {
        "check_classifier_data_not_an_array": COLUMNS,
        "check_classifier_not_supporting_multiclass": COLUMNS,
        "check_classifiers_classes": COLUMNS,
        "check_classifiers_regression_target": COLUMNS,
        "check_classifiers_train": COLUMNS,
        "check_complex_data": COLUMNS,
        "check_dict_unchanged": COLUMNS,
        "check_dont_overwrite_parameters": COLUMNS,
        "check_dtype_object": COLUMNS,
        "check_estimator_sparse_array": SPARSE,
        "check_estimator_sparse_matrix": SPARSE,
        "check_estimator_sparse_tag": SPARSE,
        "check_estimators_dtypes": COLUMNS,
        "check_estimators_empty_data_messages": COLUMNS,
        "check_estimators_fit_returns_self": COLUMNS,
        "check_estimators_overwrite_params": COLUMNS,
        "check_estimators_pickle": COLUMNS,
        "check_f_contiguous_array_estimator": COLUMNS,
        "check_fit2d_1feature": COLUMNS,
        "check_fit2d_1sample": COLUMNS,
        "check_fit2d_predict1d": COLUMNS,
        "check_fit_check_is_fitted": COLUMNS,
        "check_fit_idempotent": COLUMNS,
        "check_fit_score_takes_y": COLUMNS,
        "check_methods_sample_order_invariance": COLUMNS,
        "check_methods_subset_invariance": COLUMNS,
        "check_n_features_in": COLUMNS,
        "check_n_features_in_after_fitting": COLUMNS,
        "check_pipeline_consistency": COLUMNS,
        "check_positive_only_tag_during_fit": COLUMNS,
        "check_readonly_memmap_input": COLUMNS,
        "check_requires_y_none": COLUMNS,
        "check_supervised_y_2d": COLUMNS,
    },
    "CrossTabModel": {
        "check_sample_weights_not_an_array": BINARY,
        "check_sample_weights_not_overwritten": BINARY,
        "check_sample_weights_pandas_series": BINARY,
        "check_sample_weights_shape": BINARY,
        "check_sample_weight_equivalence_on_dense_data": GRID,
        "check_classifier_data_not_an_array": BINARY,
        "check_classifier_not_supporting_multiclass": BINARY,
        "check_classifiers_classes": BINARY,
        "check_classifiers_regression_target": BINARY,
        "check_complex_data": BINARY,
        "check_dtype_object": OBJECT,
        "check_estimator_sparse_array": SPARSE,
        "check_estimator_sparse_matrix": SPARSE,
        "check_estimator_sparse_tag": SPARSE,
        "check_estimators_dtypes": BINARY,
        "check_estimators_empty_data_messages": MESSAGES,
        "check_fit2d_1sample": MESSAGES,
        "check_fit2d_predict1d": MESSAGES,
        "check_n_features_in_after_fitting": BY_NAME,
        "check_requires_y_none": BINARY,
        "check_supervised_y_2d": Y_2D,
    },
    "LogisticScorecard": {
        "check_sample_weights_not_an_array": BINARY,
        "check_sample_weights_not_overwritten": BINARY,
        "check_sample_weights_pandas_series": BINARY,
        "check_sample_weights_shape": BINARY,
        "check_sample_weight_equivalence_on_dense_data": SELECTION,
        "check_classifier_data_not_an_array": BINARY,
        "check_classifier_not_supporting_multiclass": BINARY,
        "check_classifiers_classes": BINARY,
        "check_classifiers_regression_target": BINARY,
        "check_complex_data": BINARY,
        "check_dict_unchanged": SELECTION,
        "check_dont_overwrite_parameters": SELECTION,
        "check_estimator_sparse_array": SPARSE,
        "check_estimator_sparse_matrix": SPARSE,
        "check_estimator_sparse_tag": SPARSE,
        "check_estimators_dtypes": BINARY,
        "check_estimators_empty_data_messages": MESSAGES,
        "check_estimators_pickle": SELECTION,
        "check_f_contiguous_array_estimator": SELECTION,
        "check_fit2d_1feature": MESSAGES,
        "check_fit2d_1sample": MESSAGES,
        "check_fit2d_predict1d": SELECTION,
        "check_fit_idempotent": SELECTION,
        "check_fit_score_takes_y": SELECTION,
        "check_methods_sample_order_invariance": SELECTION,
        "check_methods_subset_invariance": SELECTION,
        "check_n_features_in_after_fitting": SELECTION,
        "check_pipeline_consistency": SELECTION,
        "check_requires_y_none": BINARY,
        "check_supervised_y_2d": SELECTION,
    },
    "ExpertScorecardModel": {
        "check_classifier_data_not_an_array": COLUMNS,
        "check_classifier_not_supporting_multiclass": COLUMNS,
        "check_classifiers_classes": COLUMNS,
        "check_classifiers_regression_target": COLUMNS,
        "check_classifiers_train": COLUMNS,
        "check_complex_data": COLUMNS,
        "check_dict_unchanged": COLUMNS,
        "check_dont_overwrite_parameters": COLUMNS,
        "check_dtype_object": COLUMNS,
        "check_estimator_sparse_array": SPARSE,
        "check_estimator_sparse_matrix": SPARSE,
        "check_estimator_sparse_tag": SPARSE,
        "check_estimators_dtypes": COLUMNS,
        "check_estimators_empty_data_messages": COLUMNS,
        "check_estimators_fit_returns_self": COLUMNS,
        "check_estimators_overwrite_params": COLUMNS,
        "check_estimators_pickle": COLUMNS,
        "check_f_contiguous_array_estimator": COLUMNS,
        "check_fit2d_1feature": COLUMNS,
        "check_fit2d_1sample": COLUMNS,
        "check_fit2d_predict1d": COLUMNS,
        "check_fit_check_is_fitted": COLUMNS,
        "check_fit_idempotent": COLUMNS,
        "check_fit_score_takes_y": COLUMNS,
        "check_methods_sample_order_invariance": COLUMNS,
        "check_methods_subset_invariance": COLUMNS,
        "check_n_features_in": COLUMNS,
        "check_n_features_in_after_fitting": COLUMNS,
        "check_pipeline_consistency": COLUMNS,
        "check_positive_only_tag_during_fit": COLUMNS,
        "check_readonly_memmap_input": COLUMNS,
        "check_requires_y_none": COLUMNS,
        "check_supervised_y_2d": COLUMNS,
    },
    "BinningProcess": {
        "check_sample_weights_not_an_array": BINARY,
        "check_sample_weights_not_overwritten": BINARY,
        "check_sample_weights_pandas_series": BINARY,
        "check_sample_weights_shape": BINARY,
        "check_sample_weights_list": BINARY,
        "check_sample_weight_equivalence_on_dense_data": BINARY,
        "check_complex_data": BINARY,
        "check_dict_unchanged": BINARY,
        "check_dont_overwrite_parameters": BINARY,
        "check_dtype_object": OBJECT,
        "check_estimator_sparse_array": SPARSE,
        "check_estimator_sparse_matrix": SPARSE,
        "check_estimator_sparse_tag": SPARSE,
        "check_estimators_dtypes": BINARY,
        "check_estimators_empty_data_messages": MESSAGES,
        "check_estimators_fit_returns_self": BINARY,
        "check_estimators_nan_inf": NAN,
        "check_estimators_overwrite_params": BINARY,
        "check_f_contiguous_array_estimator": BINARY,
        "check_fit2d_1feature": MESSAGES,
        "check_fit2d_1sample": MESSAGES,
        "check_fit2d_predict1d": MESSAGES,
        "check_fit_score_takes_y": BINARY,
        "check_methods_sample_order_invariance": BINARY,
        "check_methods_subset_invariance": BINARY,
        "check_n_features_in_after_fitting": BY_NAME,
        "check_positive_only_tag_during_fit": BINARY,
        "check_readonly_memmap_input": BINARY,
    },}

ESTIMATORS = [KMVModel(), CrossTabModel(), LogisticScorecard(), ExpertScorecardModel(), BinningProcess(),
              IsotonicCalibrator(), PlattCalibrator(), LogisticScoreCalibrator(), CentralTendencyCalibrator()]


def expected_failures(estimator) -> dict:
    return EXPECTED_FAILURES.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_check(estimator, check):
    check(estimator)


def test_every_expected_failure_has_a_reason():
    for name, checks in EXPECTED_FAILURES.items():
        assert checks, name
        assert all(isinstance(reason, str) and len(reason) > 20 for reason in checks.values()), name


def test_not_fitted_error_is_also_sklearns():
    with pytest.raises(SklearnNotFittedError):
        CrossTabModel().predict_proba(pd.DataFrame({"x": [1.0]}))
    assert issubclass(NotFittedError, RiskModelsError) and issubclass(NotFittedError, SklearnNotFittedError)


def test_parameter_errors_are_value_and_type_errors_naming_the_parameter():
    X = pd.DataFrame({"dpd": np.arange(100) % 60})
    y = (np.arange(100) % 7 == 0).astype(int)
    with pytest.raises(ParameterError, match="ci: is 'exact'") as info:
        CrossTabModel(["dpd"], ci="exact").fit(X, y)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert info.value.parameters == ["ci"]
    with pytest.raises(ParameterError, match="pd_map"):
        KMVModel(pd_map="logit").fit(X, y)


def _dpd_sample(n: int, rate: float, seed: int):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"dpd": rng.integers(0, 90, n)})
    y = (rng.uniform(size=n) < rate * (0.5 + X["dpd"].to_numpy() / 90)).astype(int)
    return X, y


def test_recalibration_is_the_models_and_a_refit_removes_it():
    # issue 18: the runner set extra_calibration_ from outside and a refit kept it (mean PD 0.05, not 0.30)
    X, y = _dpd_sample(3000, 0.05, 1)
    model = CrossTabModel(["dpd"]).fit(X, y).recalibrate(X, 0.30)
    assert model.predict_proba(X)[:, 1].mean() == pytest.approx(0.30, abs=1e-9)
    assert model.to_bundle()["calibration"][-1]["method"] == "logit_shift"
    assert model.recalibrate(X, 0.10).predict_proba(X)[:, 1].mean() == pytest.approx(0.10, abs=1e-9)
    X2, y2 = _dpd_sample(3000, 0.30, 2)
    refit = model.fit(X2, y2)
    assert not hasattr(refit, "recalibration_")
    # without a recalibration a cell-rate model's mean PD is near the sample's default rate
    assert refit.predict_proba(X2)[:, 1].mean() == pytest.approx(y2.mean(), abs=0.02)


def test_score_keeps_sklearns_meaning_for_cross_validation():
    X, y = _dpd_sample(600, 0.2, 3)
    folds = cross_val_score(CrossTabModel(["dpd"]), X, y, cv=2)
    assert np.isfinite(folds).all() and ((folds > 0) & (folds <= 1)).all()
