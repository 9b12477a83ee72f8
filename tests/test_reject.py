"""Reject inference (riskmodels.reject): outside answers, bad input, the wrapped model.

Outside answers:
- the fixed point: fuzzy augmentation weighted by the accepts' own model returns the
  accepts-only coefficients when the bins are held fixed (Ehrhardt, Biernacki, Vandewalle,
  Heinrich, Beben, "Reject inference methods in credit scoring", J. Appl. Stat. 48 (2021),
  sec. 4.2, implemented in R scoringTools; rejectkit 0.3.0's benchmark tables show the same:
  fuzzy AUC equal to the accepts-only AUC);
- rejectkit 0.3.0 (PyPI, MIT; test-only dependency): the same augmented rows and weights for
  hard cut-off, fuzzy, parcelling and reweighting on its ``make_accept_reject`` data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rejectkit  # test-only oracle (dev extra)
from rejectkit.datasets import make_accept_reject
from sklearn.linear_model import LogisticRegression

from riskmodels.data.loaders import load_german
from riskmodels.errors import DataValidationError, ParameterError
from riskmodels.models.logistic import LogisticScorecard
from riskmodels.reject import RejectInference, augment


@pytest.fixture(scope="module")
def german():
    g = load_german()
    X, y = g.drop(columns="target"), g["target"]
    accepted = (X["duration_months"] <= 24).to_numpy()
    return X[accepted], y[accepted], X[~accepted].drop(columns=[]), y[~accepted]


@pytest.fixture(scope="module")
def fuzzy_fixed(german):
    Xa, ya, Xr, _ = german
    return RejectInference(LogisticScorecard(), method="fuzzy", rebin=False).fit(Xa, ya, Xr)


@pytest.fixture(scope="module")
def kit_data():
    return make_accept_reject(n_samples=1500, n_features=6, accept_rate=0.6, random_state=3)


def test_fuzzy_with_the_accepts_own_model_is_a_fixed_point(fuzzy_fixed):
    ri = fuzzy_fixed
    assert ri.model_.features_ == ri.accepts_model_.features_
    assert np.abs(ri.model_.intercept_ - ri.accepts_model_.intercept_) < 1e-6
    assert np.abs(ri.model_.coef_ - ri.accepts_model_.coef_).max() < 1e-6
    # the rejects were really in the refit: their weight is in the sample
    assert ri.model_.training_metadata_["n_train"] == len(ri.augmented_)


def test_fixed_point_holds_for_any_reject_weight_and_breaks_for_hard_labels(german):
    Xa, ya, Xr, _ = german
    heavy = RejectInference(LogisticScorecard(), method="fuzzy", reject_rate=0.5, rebin=False).fit(Xa, ya, Xr)
    assert heavy.reject_weight_ == pytest.approx(len(Xa) / len(Xr))
    assert np.abs(heavy.model_.coef_ - heavy.accepts_model_.coef_).max() < 1e-6
    hard = RejectInference(LogisticScorecard(), method="hard_cutoff", cutoff=0.3, rebin=False).fit(Xa, ya, Xr)
    assert np.abs(hard.model_.coef_ - hard.accepts_model_.coef_).max() > 1e-3


@pytest.mark.parametrize("method", ["hard_cutoff", "fuzzy", "parcelling", "reweighting"])
def test_same_augmented_rows_and_weights_as_rejectkit(kit_data, method):
    Xa, ya, Xr, _ = kit_data
    ours, theirs = {
        "hard_cutoff": (lambda p, q, s: augment.hard_cutoff_rows(ya, p, cutoff=0.35),
                        rejectkit.SimpleAugmentation(threshold=0.35)),
        "fuzzy": (lambda p, q, s: augment.fuzzy_rows(ya, p, reject_weight=0.7),
                  rejectkit.FuzzyAugmentation(reject_weight=0.7)),
        "parcelling": (lambda p, q, s: augment.parcelling_rows(ya, q, p, n_bands=8, uplift=1.6),
                       rejectkit.Parcelling(n_bins=8, uplift=1.6)),
        "reweighting": (lambda p, q, s: augment.reweighting_rows(ya, s, clip=0.05),
                        rejectkit.Reweighting(clip=0.05)),
    }[method]
    X_kit, y_kit, w_kit = theirs.fit_resample(Xa, ya, Xr)
    if method == "reweighting":
        p = q = None
        s = theirs.selection_model_.predict_proba(Xa.to_numpy())[:, 1]
    else:
        p = theirs.scorer_.predict_proba(Xr.to_numpy())[:, 1]
        q = theirs.scorer_.predict_proba(Xa.to_numpy())[:, 1]
        s = None
    rows = ours(p, q, s)
    X_ours = np.where((rows.source == 0)[:, None], Xa.to_numpy()[np.minimum(rows.row, len(Xa) - 1)],
                      Xr.to_numpy()[np.minimum(rows.row, len(Xr) - 1)])
    np.testing.assert_array_equal(X_ours, X_kit)
    np.testing.assert_array_equal(rows.target, y_kit)
    np.testing.assert_allclose(rows.weight, w_kit, rtol=1e-12, atol=1e-15)


def test_wrapping_any_weighted_estimator_refits_as_rejectkit_does(kit_data):
    Xa, ya, Xr, _ = kit_data
    ri = RejectInference(LogisticRegression(max_iter=1000), method="fuzzy", reject_weight=0.7).fit(Xa, ya, Xr)
    X_kit, y_kit, w_kit = rejectkit.FuzzyAugmentation(reject_weight=0.7).fit_resample(Xa, ya, Xr)
    refit = LogisticRegression(max_iter=1000).fit(X_kit, y_kit, sample_weight=w_kit)
    np.testing.assert_allclose(ri.augmented_["weight"], w_kit, rtol=1e-12)
    np.testing.assert_allclose(ri.model_.coef_, refit.coef_, rtol=1e-6, atol=1e-8)


def test_behaves_as_the_refitted_card_and_records_the_method(german, tmp_path):
    from riskmodels.scoring import load_scorer

    Xa, ya, Xr, _ = german
    ri = RejectInference(LogisticScorecard(max_features=5), method="parcelling", uplift=2.0).fit(Xa, ya, Xr)
    np.testing.assert_array_equal(ri.predict_proba(Xr), ri.model_.predict_proba(Xr))
    assert not np.allclose(ri.predict_proba(Xr), ri.accepts_model_.predict_proba(Xr))
    assert "Coef" in str(ri.summary()) or "coef" in str(ri.summary())
    bundle = ri.to_bundle()
    record = bundle["metadata"]["reject_inference"]
    assert (record["method"], record["uplift"], record["n_accepted"], record["n_rejected"]) == \
        ("parcelling", 2.0, len(Xa), len(Xr))
    path = ri.export(tmp_path / "ri.json")
    scored = load_scorer(path).score(Xr)["pd"]
    np.testing.assert_allclose(scored, ri.predict_proba(Xr)[:, 1], rtol=0, atol=1e-15)


def test_parcelling_uplift_makes_the_inferred_rejects_worse(german):
    Xa, ya, Xr, _ = german
    rates = [RejectInference(LogisticScorecard(max_features=4), method="parcelling", uplift=u).fit(Xa, ya, Xr)
             .augmented_.query("source == 1 and target == 1")["weight"].sum() for u in (1.0, 2.0)]
    assert rates[1] > 1.5 * rates[0]


# ---- bad input
def test_rejects_with_a_column_the_accepts_lack(german):
    Xa, ya, Xr, _ = german
    with pytest.raises(DataValidationError, match="'bureau_score'.*accepts lack"):
        RejectInference(LogisticScorecard()).fit(Xa, ya, Xr.assign(bureau_score=1.0))


def test_rejects_lacking_a_column_of_the_accepts(german):
    Xa, ya, Xr, _ = german
    with pytest.raises(DataValidationError, match="'age_years'.*rejects lack"):
        RejectInference(LogisticScorecard()).fit(Xa, ya, Xr.drop(columns="age_years"))


def test_a_target_given_for_rejects(german):
    Xa, ya, Xr, yr = german
    with pytest.raises(DataValidationError, match="'target': a target given for rejected applicants in 230 row"):
        RejectInference(LogisticScorecard()).fit(Xa, ya, Xr.assign(target=yr.to_numpy()))
    # an empty target column (no outcome) is not a target
    ri = RejectInference(LogisticScorecard(max_features=2), method="hard_cutoff").fit(
        Xa, ya, Xr.assign(target=np.nan))
    assert "target" not in ri.model_.features_


@pytest.mark.parametrize("bad", [-1.0, np.nan])
def test_negative_or_missing_weights(german, bad):
    Xa, ya, Xr, _ = german
    w = np.ones(len(Xa))
    w[[3, 7]] = bad
    with pytest.raises(DataValidationError, match="sample_weight.*2 row"):
        RejectInference(LogisticScorecard()).fit(Xa, ya, Xr, sample_weight=w)


@pytest.mark.parametrize("params, name", [
    ({"method": "ladder"}, "method"), ({"reject_rate": 1.0}, "reject_rate"), ({"reject_rate": 0}, "reject_rate"),
    ({"uplift": -1}, "uplift"), ({"reject_weight": np.nan}, "reject_weight"), ({"n_bands": 0}, "n_bands"),
    ({"method": "hard_cutoff", "cutoff": 0.2, "reject_bad_rate": 0.3}, "cutoff"),
    ({"estimator": LogisticRegression(), "rebin": False}, "rebin"),
])
def test_bad_parameters(german, params, name):
    Xa, ya, Xr, _ = german
    with pytest.raises(ParameterError) as err:
        RejectInference(**{"estimator": LogisticScorecard(), **params}).fit(Xa, ya, Xr)
    assert err.value.parameters == [name]


def test_probabilities_outside_zero_one_refused():
    with pytest.raises(DataValidationError, match="reject_pd.*outside"):
        augment.fuzzy_rows([0, 1], [0.2, 1.2])


def test_unfitted_use_refused():
    from riskmodels.errors import NotFittedError

    with pytest.raises(NotFittedError):
        RejectInference(LogisticScorecard()).predict_proba(pd.DataFrame({"x": [1]}))


# ---- diagnostics
def test_diagnostics_bands_show_the_parcelling_uplift_and_the_sensitivity(german):
    from riskmodels.reject import reject_diagnostics

    Xa, ya, Xr, _ = german
    ri = RejectInference(LogisticScorecard(max_features=4), method="parcelling", uplift=2.0, n_bands=5).fit(Xa, ya, Xr)
    d = reject_diagnostics(ri, Xa, ya, Xr, n_bands=5)
    b = d.bands[d.bands["n_rejected"] > 0]
    # parcelling's definition: each band's inferred reject bad rate is 2x the accepts' (capped at 1)
    np.testing.assert_allclose(b["reject_inferred_bad_rate"], np.minimum(2 * b["accept_bad_rate"], 1), atol=1e-12)
    # the sensitivity columns rise with the multiple and x1 is the accepts' own rate
    assert (d.bands["x8"] >= d.bands["x4"]).all() and (d.bands["x4"] >= d.bands["x2"]).all()
    np.testing.assert_allclose(d.bands["x1"], d.bands["accept_bad_rate"], atol=1e-12)
    # the selection (duration <= 24 months) shows in the PSI of duration and of the score
    assert d.characteristic_psi.index[0] == "duration_months" and d.characteristic_psi["psi"].iloc[0] > 0.25
    assert d.score_psi > 0.1
    assert d.decisions["approval_rate"] == pytest.approx(len(Xa) / (len(Xa) + len(Xr)))
    assert d.decisions["kick_in"] == d.decisions["kick_out"]  # same approval rate: each kick-in displaces one
    assert "Decisions" in str(d.summary())


def test_sensitivity_bands_hand_computed():
    from riskmodels.reject.diagnostics import sensitivity_bands

    # band 1: 100 accepts with 10 bads, 50 rejects; rejects 2x as bad -> 20 % -> (10 + 10) / 150
    t = sensitivity_bands([100], [10], [50], multiples=(2, 8))
    assert t["x2"].iloc[0] == pytest.approx(20 / 150)
    assert t["x8"].iloc[0] == pytest.approx((10 + 0.8 * 50) / 150)


# ---- masked benchmark
def test_masked_benchmark_selection_hides_the_worse_applicants():
    from riskmodels.reject import masked_benchmark

    g = load_german()
    X, y = g.drop(columns="target"), g["target"]
    t = masked_benchmark(LogisticScorecard(max_features=4), X, y, accept_rate=0.6, selection="mnar",
                         methods=("fuzzy", "hard_cutoff"), mnar_strength=1.0, random_state=1)
    assert t.index.tolist() == ["accepts only", "fuzzy", "hard_cutoff", "all labels"]
    # under selection the accepts-only card under-predicts the hidden rejects' bad rate
    only = t.loc["accepts only"]
    assert only["reject_bad_rate"] > only["reject_mean_pd"]
    assert (t["auc_lower"] < t["auc"]).all() and (t["auc"] < t["auc_upper"]).all()
    assert t["n_test"].iloc[0] == 300 and t["n_accepted"].iloc[0] + t["n_rejected"].iloc[0] == 490


@pytest.mark.parametrize("rate", [0, 1, 1.5, -0.2])
def test_masked_benchmark_accept_rate_outside_zero_one(rate):
    from riskmodels.reject import masked_benchmark

    with pytest.raises(ParameterError, match="accept_rate"):
        masked_benchmark(LogisticScorecard(), pd.DataFrame({"x": [1.0, 2.0]}), [0, 1], accept_rate=rate)
