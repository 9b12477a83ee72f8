"""Discrimination, calibration accuracy, stability and ValidationReport (riskmodels.validation).

Known answers: the toy set D1 (ten PDs, three defaults) is worked by hand from the definitions
(Brier 1950; Spiegelhalter 1986; Hanley & McNeil 1982 for the AUC; Kolmogorov–Smirnov); the
PSI from Yurdakul, "Statistical Properties of Population Stability Index" (2018); tests citing
another source say so.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from riskmodels.calibration import MasterScale  # noqa: E402
from riskmodels.errors import DataValidationError, ParameterError  # noqa: E402
from riskmodels.validation import (  # noqa: E402
    ValidationReport,
    accuracy_ratio,
    auc,
    auc_change_test,
    auc_ci,
    brier,
    brier_decomposition,
    calibration_curve,
    cap_curve,
    csi,
    delong_covariance,
    delong_test,
    ece,
    gini,
    herfindahl_test,
    hosmer_lemeshow_test,
    ks,
    log_loss,
    midrank,
    migration_stability,
    psi,
    psi_table,
    psi_zone,
    roc_curve,
    spiegelhalter,
    traffic_light,
)

D1_PD = np.array([0.01, 0.02, 0.03, 0.05, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50])
D1_Y = np.array([0, 0, 0, 0, 1, 0, 0, 1, 0, 1])

# Hanley & McNeil (1982), Radiology 143:29-36, Table 1: CT ratings 1 (definitely normal) to
# 5 (definitely abnormal) of 58 normal and 51 abnormal patients; published area 0.893.
HM_NORMAL = [33, 6, 6, 11, 2]
HM_ABNORMAL = [3, 2, 2, 11, 33]


def hanley_mcneil_data():
    ratings = np.arange(1, 6)
    score = np.r_[np.repeat(ratings, HM_NORMAL), np.repeat(ratings, HM_ABNORMAL)].astype(float)
    y = np.r_[np.zeros(sum(HM_NORMAL)), np.ones(sum(HM_ABNORMAL))].astype(int)
    return y, score


def brute_force_delong(y, scores):
    """DeLong et al. (1988) structural components by the O(n1*n0) definition, for checking."""
    y = np.asarray(y).astype(bool)
    out_v10, out_v01, aucs = [], [], []
    for s in np.atleast_2d(scores):
        pos, neg = s[y], s[~y]
        psi_ = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
        out_v10.append(psi_.mean(axis=1))
        out_v01.append(psi_.mean(axis=0))
        aucs.append(psi_.mean())
    v10, v01 = np.array(out_v10), np.array(out_v01)
    cov = np.atleast_2d(np.cov(v10)) / v10.shape[1] + np.atleast_2d(np.cov(v01)) / v01.shape[1]
    return np.array(aucs), cov


# --------------------------------------------------------------------------- D1 known answers
def test_d1_discrimination_known_answers():
    assert auc(D1_Y, D1_PD) == pytest.approx(0.8095238, abs=1e-7)
    assert gini(D1_Y, D1_PD) == pytest.approx(0.6190476, abs=1e-7)
    assert accuracy_ratio(D1_Y, D1_PD) == pytest.approx(0.6190476, abs=1e-7)
    assert ks(D1_Y, D1_PD) == pytest.approx(0.5714286, abs=1e-7)


def test_d1_calibration_known_answers():
    assert brier(D1_Y, D1_PD) == pytest.approx(0.18628, abs=5e-6)
    assert spiegelhalter(D1_Y, D1_PD).z == pytest.approx(1.4192910, abs=1e-7)
    assert log_loss(D1_Y, D1_PD) == pytest.approx(0.5564874, abs=1e-7)
    assert ece(D1_Y, D1_PD, n_bins=5) == pytest.approx(0.178, abs=5e-4)
    assert hosmer_lemeshow_test(D1_Y, D1_PD, n_bins=5).statistic == pytest.approx(5.765333, abs=1e-6)


# --------------------------------------------------------------------------- AUC and DeLong
def test_auc_matches_sklearn_with_ties():
    rng = np.random.default_rng(0)
    y = (rng.random(5000) < 0.1).astype(int)
    score = np.round(rng.normal(size=5000) + y, 1)
    assert auc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert midrank(np.array([2.0, 2.0, 1.0])).tolist() == [2.5, 2.5, 1.0]


def test_auc_hanley_mcneil_published_example():
    # Hanley & McNeil (1982) Table 1 data: area 0.893; their approximate SE formula gives 0.032
    y, score = hanley_mcneil_data()
    res = auc_ci(y, score)
    assert res.auc == pytest.approx(0.893, abs=5e-4)
    a, m, n = res.auc, 51, 58
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se_hm = np.sqrt((a * (1 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n))
    assert se_hm == pytest.approx(0.032, abs=5e-4)
    # DeLong's nonparametric SE is close to, not equal to, the exponential approximation
    assert abs(res.se - se_hm) < 0.003 and res.se != pytest.approx(se_hm, abs=1e-4)
    assert res.lower < res.auc < res.upper


def test_fast_delong_equals_the_1988_definition():
    rng = np.random.default_rng(1)
    y = (rng.random(300) < 0.3).astype(int)
    s1 = np.round(rng.normal(size=300) + y, 1)
    s2 = np.round(rng.normal(size=300) + 0.5 * y + 0.5 * s1, 1)
    fast_auc, fast_cov = delong_covariance(y, np.vstack([s1, s2]))
    slow_auc, slow_cov = brute_force_delong(y, np.vstack([s1, s2]))
    assert fast_auc == pytest.approx(slow_auc, abs=1e-12)
    assert fast_cov == pytest.approx(slow_cov, abs=1e-14)
    res = delong_test(y, s1, s2)
    var = slow_cov[0, 0] + slow_cov[1, 1] - 2 * slow_cov[0, 1]
    assert res.z == pytest.approx((slow_auc[0] - slow_auc[1]) / np.sqrt(var), rel=1e-10)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(res.z)))


def test_delong_test_detects_a_better_model_and_not_an_equal_one():
    rng = np.random.default_rng(2)
    y = (rng.random(4000) < 0.2).astype(int)
    strong = rng.normal(size=4000) + 1.5 * y
    weak = rng.normal(size=4000) + 0.5 * y
    assert delong_test(y, strong, weak).p_value < 1e-6
    same = delong_test(y, strong, 2 * strong + 1)
    assert same.difference == 0.0 and same.p_value == 1.0
    assert "z" in same.summary()


def test_delong_ci_covers_the_true_auc_about_95_percent():
    # binormal model with separation 1: true AUC = Phi(1 / sqrt(2))
    true_auc = stats.norm.cdf(1 / np.sqrt(2))
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(200):
        y = np.r_[np.zeros(150), np.ones(50)].astype(int)
        res = auc_ci(y, rng.normal(size=200) + y)
        hits += res.lower <= true_auc <= res.upper
    assert 0.90 <= hits / 200 <= 0.99


def test_auc_change_test_ecb():
    y, score = hanley_mcneil_data()
    res = auc_change_test(0.95, y, score)
    cur = auc_ci(y, score)
    assert res.statistic == pytest.approx((0.95 - cur.auc) / cur.se)
    assert res.p_value == pytest.approx(stats.norm.sf(res.statistic))
    assert auc_change_test(cur.auc, y, score).p_value == pytest.approx(0.5)
    perfect = auc_change_test(1.0, [0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])  # SE 0, no drop: not NaN
    assert (perfect.statistic, perfect.p_value) == (0.0, 0.5)
    assert auc_change_test(1.0, [0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]).p_value == 0.0


def test_roc_and_cap_curves():
    roc = roc_curve(D1_Y, D1_PD)
    assert roc.iloc[0][["fpr", "tpr"]].tolist() == [0, 0] and roc.iloc[-1][["fpr", "tpr"]].tolist() == [1, 1]
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(auc(D1_Y, D1_PD))
    cap = cap_curve(D1_Y, D1_PD)
    assert np.all(np.diff(cap["population"]) > 0) and cap["defaults"].iloc[-1] == 1.0


def test_discrimination_edge_cases_and_bad_input():
    # tied scores everywhere -> AUC 0.5, KS 0
    assert auc([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]) == 0.5
    assert ks([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3]) == 0.0
    # perfect separation; all defaults / none is undefined
    assert auc([0, 0, 1], [0.1, 0.2, 0.9]) == 1.0
    with pytest.raises(DataValidationError, match="single class"):
        auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(DataValidationError) as err:
        auc([0, 1, 1], [0.1, np.nan, np.inf])
    assert "'score'" in str(err.value) and "[1, 2]" in str(err.value)
    with pytest.raises(DataValidationError, match="'y'"):
        auc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(DataValidationError, match="one per y"):
        auc([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(DataValidationError, match="at least 2"):
        auc_ci([0, 0, 1], [0.1, 0.2, 0.3])


# --------------------------------------------------------------------------- calibration accuracy
def test_brier_decomposition_adds_up():
    rng = np.random.default_rng(4)
    p = rng.uniform(0.01, 0.3, 2000)
    y = (rng.random(2000) < p).astype(int)
    grades = MasterScale.standard().grade_index(p)
    d = brier_decomposition(y, p, groups=grades)
    assert d["reliability"] - d["resolution"] + d["uncertainty"] + d["within"] == pytest.approx(d["brier"])
    assert d["uncertainty"] == pytest.approx(y.mean() * (1 - y.mean()))
    single = brier_decomposition(D1_Y, D1_PD)  # one PD per group: nothing within groups
    assert single["within"] == pytest.approx(0.0, abs=1e-15)


def test_calibration_measures_with_one_class_and_extreme_pds():
    assert brier([0, 0], [0.0, 0.0]) == 0.0
    assert np.isfinite(log_loss([1, 0], [0.0, 1.0]))  # clipped, not infinite
    assert ece([1, 1, 1], [1.0, 1.0, 1.0], n_bins=1) == 0.0
    with pytest.raises(DataValidationError, match="every PD is 0"):
        spiegelhalter([0, 1], [0.0, 1.0])
    with pytest.raises(DataValidationError) as err:
        brier([0, 1], [0.2, 1.3])
    assert "'pd'" in str(err.value) and "[1]" in str(err.value)
    with pytest.raises(DataValidationError, match="'y'"):
        brier([0, 3], [0.2, 0.3])


def test_calibration_curve_intervals_bracket_the_rate():
    rng = np.random.default_rng(5)
    p = rng.uniform(0.0, 0.4, 3000)
    y = (rng.random(3000) < p).astype(int)
    curve = calibration_curve(y, p, n_bins=10)
    assert len(curve) == 10 and curve["n"].sum() == 3000
    assert np.all(curve["lower"] <= curve["default_rate"]) and np.all(curve["default_rate"] <= curve["upper"])
    assert np.mean((curve["lower"] <= curve["mean_pd"]) & (curve["mean_pd"] <= curve["upper"])) >= 0.8


def test_spiegelhalter_rejects_scaled_pds():
    rng = np.random.default_rng(6)
    p = rng.uniform(0.01, 0.2, 5000)
    y = (rng.random(5000) < p).astype(int)
    assert spiegelhalter(y, p).p_value > 0.01
    assert spiegelhalter(y, np.minimum(3 * p, 0.99)).p_value < 1e-6


def test_traffic_light_basel_1996_example():
    # BCBS (1996) "Supervisory framework for the use of backtesting in conjunction with the
    # internal models approach to market risk capital requirements", Table 2: 250 observations
    # at 99 %: cumulative probabilities 89.22 % (4), 95.88 % (5), 99.97 % (9), 99.99 % (10);
    # green zone 0-4 exceptions, yellow 5-9, red 10 or more (levels 95 % and 99.99 %).
    table = traffic_light(0.01, 250, np.arange(0, 12), levels=(0.95, 0.9999))
    assert table.loc[[4, 5, 9, 10], "cdf"].round(4).tolist() == [0.8922, 0.9588, 0.9997, 0.9999]
    assert table["zone"].tolist() == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 2


def test_traffic_light_asset_correlation_widens_zones_and_edge_cases():
    plain = traffic_light(0.02, 1000, 36)["zone"].iloc[0]
    correlated = traffic_light(0.02, 1000, 36, rho=0.12)["zone"].iloc[0]
    assert plain == "red" and correlated == "green"
    out = traffic_light([0.01, 0.01, 0.0, 1.0], [0, 50, 50, 5], [0, 0, 1, 5])
    assert out["zone"].tolist() == [None, "green", "red", "red"]  # empty grade, PD 0 with a default
    with pytest.raises(DataValidationError, match="defaults <= n"):
        traffic_light(0.01, 10, 11)
    with pytest.raises(ParameterError, match="rho"):
        traffic_light(0.01, 10, 1, rho=1.0)


# --------------------------------------------------------------------------- stability
def test_psi_known_answers_and_zones():
    assert psi([0.10, 0.20, 0.40, 0.20, 0.10], [0.15, 0.25, 0.30, 0.20, 0.10]) == pytest.approx(0.0601986, abs=1e-7)
    assert psi([0.2] * 5, [0.05, 0.15, 0.20, 0.25, 0.35]) == pytest.approx(0.3174278, abs=1e-7)
    assert [psi_zone(v) for v in (0.05, 0.1, 0.2, 0.25, 0.4)] == [
        "stable", "moderate shift", "moderate shift", "significant shift", "significant shift"]
    # counts work like shares; an empty bin stays finite with eps, infinite without
    assert psi([10, 20, 40, 20, 10], [15, 25, 30, 20, 10]) == pytest.approx(0.0601986, abs=1e-7)
    assert np.isfinite(psi([5, 5, 0], [4, 4, 2]))
    assert psi_table([5, 5, 0], [4, 4, 2], eps=0)["psi"].iloc[2] == np.inf
    with pytest.raises(DataValidationError, match="like expected"):
        psi([1, 2], [1, 2, 3])


def test_csi_detects_a_shift_and_keeps_missing_values():
    rng = np.random.default_rng(7)
    base = rng.normal(size=4000)
    same = csi(base, rng.normal(size=4000))
    shifted = csi(base, np.r_[rng.normal(0.5, 1, 3900), np.full(100, np.nan)])
    assert same["psi"].sum() < 0.02 and shifted["psi"].sum() > 0.1
    assert "missing" in shifted.index


def test_ecb_herfindahl_test_known_answer():
    # ECB (2019), Instructions for reporting the validation results of internal models, §2.5.5.3
    r = herfindahl_test([100, 200, 300, 250, 150], [50, 150, 400, 300, 100])
    assert r.cv_initial == pytest.approx(0.3535534, abs=1e-7)
    assert r.cv_current == pytest.approx(0.6519202, abs=1e-7)
    assert r.hi_initial == pytest.approx(0.0731827, abs=1e-7)
    assert r.hi_current == pytest.approx(0.2200593, abs=1e-7)
    assert r.p_value == pytest.approx(0.1706161, abs=1e-7)
    with pytest.raises(DataValidationError, match="like counts_initial"):
        herfindahl_test([1, 2, 3], [1, 2])


def test_migration_stability_by_hand_and_a_violation():
    counts = [[80, 10, 4, 6], [5, 85, 7, 3], [2, 6, 84, 8], [0, 1, 9, 90]]
    t = migration_stability(counts, labels=list("ABCD")).set_index(["from", "to"])
    # row A, cell (A, D): p = 0.06 vs neighbour (A, C) 0.04, N = 100 -- a rise away from the diagonal
    z = (0.06 - 0.04) / np.sqrt((0.06 * 0.94 + 0.04 * 0.96 + 2 * 0.06 * 0.04) / 100)
    assert t.loc[("A", "D"), "z"] == pytest.approx(z)
    assert t.loc[("A", "D"), "p_value"] == pytest.approx(stats.norm.sf(z))
    assert t.loc[("C", "A"), "p_value"] > 0.9  # 2 % < 6 %: as expected
    assert len(t) == 6
    with pytest.raises(DataValidationError, match="square"):
        migration_stability([[1, 2, 3]])
    with pytest.raises(DataValidationError, match="counts >= 0"):
        migration_stability([[1, -2], [3, 4]])
    with pytest.raises(DataValidationError) as err:  # two bad cells in one row: row 0 once
        migration_stability([[-1, -2, 0], [3, 4, 0], [0, 0, 1]])
    assert (err.value.violations[0].rows, err.value.violations[0].n_rows) == ((0,), 1)


# --------------------------------------------------------------------------- report
def sample(n=4000, seed=8, scale=1.0):
    rng = np.random.default_rng(seed)
    p = 1 / (1 + np.exp(-rng.normal(-3.5, 1.0, n)))
    return (rng.random(n) < p).astype(int), np.minimum(p * scale, 1.0)


def test_validation_report_tables_metrics_and_figures():
    y, p = sample()
    _, ref = sample(seed=9)
    report = ValidationReport(y, p, reference_pd=ref, auc_initial=0.75, name="logit")
    tables = report.tables()
    assert set(tables) == {"discrimination", "calibration", "grades", "stability", "psi"}
    m = report.metrics()
    assert m["auc"] == pytest.approx(auc(y, p)) and m["brier"] == pytest.approx(brier(y, p))
    assert m["psi"] < 0.1 and 0 <= m["herfindahl_index"] <= 1
    assert all(isinstance(v, float) for v in m.values())
    grades = tables["grades"]
    assert {"traffic_light", "traffic_light_rho", "dr_lower", "dr_upper", "class"} <= set(grades.columns)
    assert grades.loc["all", "n"] == len(y)
    figs = report.figures()
    assert set(figs) == {"roc", "cap", "calibration", "grades", "psi", "calibration_curve"}
    assert all(isinstance(f, matplotlib.figure.Figure) for f in figs.values())
    html = report._repr_html_()
    assert "logit" in html and "<table" in html and "AUC" in report.summary()
    assert set(report.to_tracking()) == {"metrics", "tables", "figures"}
    plt.close("all")


def test_validation_report_plot_draws_one_figure():
    y, p = sample()
    _, ref = sample(seed=9)
    report = ValidationReport(y, p, reference_pd=ref, name="logit")
    plt.close("all")
    fig = report.plot()
    assert plt.get_fignums() == [fig.number]  # only the calibration figure is drawn
    assert fig.axes[0].get_title() == "Calibration by grade — logit"
    assert report.plot("psi").axes[0].get_title().startswith("PSI ")
    plt.close("all")
    with pytest.raises(DataValidationError, match="kind"):
        ValidationReport(np.zeros(200, dtype=int), p[:200]).plot("roc")  # one class: no ROC


def test_validation_report_flags_a_miscalibrated_model():
    y, p = sample(n=20_000)
    good = ValidationReport(y, p).metrics()
    bad = ValidationReport(y, np.minimum(3 * p, 1.0)).metrics()
    assert bad["grades_rejected"] > good["grades_rejected"]
    assert bad["spiegelhalter_p"] < 1e-6 < good["spiegelhalter_p"]
    assert bad["auc"] == pytest.approx(good["auc"], abs=1e-3)  # ranking barely changes (PD = 1 ties)


def test_validation_report_with_a_single_default():
    y, p = sample(n=200)
    one = np.zeros(200, dtype=int)
    one[int(np.argmax(p))] = 1  # a low-default sample: DeLong needs 2 defaults, the AUC does not
    report = ValidationReport(one, p, auc_initial=0.8)
    m = report.metrics()
    assert m["auc"] == pytest.approx(auc(one, p)) and m["ks"] == pytest.approx(ks(one, p))
    assert np.isnan(m["auc_se"]) and np.isnan(m["auc_change_p"]) and report.notes
    assert "AUC" in report.summary()


def test_validation_report_with_no_defaults_and_bad_input():
    y, p = sample(n=200)
    report = ValidationReport(np.zeros(200, dtype=int), p)
    assert np.isnan(report.metrics()["auc"]) and report.notes
    assert "roc" not in report.figures()
    plt.close("all")
    with pytest.raises(DataValidationError, match="one per obligor"):
        ValidationReport(y, p, score=p[:10])
    with pytest.raises(DataValidationError, match="'pd'"):
        ValidationReport(y, p + 1.0)
