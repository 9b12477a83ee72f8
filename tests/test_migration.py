"""Migration matrices: cohort, duration, Aalen–Johansen, generators, stability statistics."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import riskmodels as rm
from riskmodels.errors import DataValidationError, RiskModelsError
from riskmodels.migration import (
    MigrationError,
    adjust_generator,
    check_stochastic,
    cohort_matrix,
    complete_matrix,
    cumulative_pd,
    duration_matrix,
    generator_from_matrix,
    generator_violations,
    is_generator,
    matrix_weighted_bandwidth,
    migration_z_test,
    rating_paths,
    stability_table,
    transition_from_generator,
)

GRADES = ["A", "B", "D"]


def lando_skodeberg_panel() -> pd.DataFrame:
    """Lando & Skødeberg (2002), the cohort-vs-duration toy: 10 firms in A, 10 in B, one year.

    a1 moves A→B at 0.25; b1 B→D at 0.5; b2 B→A at 0.75; the others keep their grade.
    """
    rows = []
    for n in range(10):
        rows += [(f"a{n}", 0.0, "A"), (f"a{n}", 1.0, "A")]
        rows += [(f"b{n}", 0.0, "B"), (f"b{n}", 1.0, "B")]
    frame = pd.DataFrame(rows, columns=["entity", "date", "grade"])
    frame = frame[~frame["entity"].isin(["a1", "b1", "b2"])]
    extra = [("a1", 0.0, "A"), ("a1", 0.25, "B"), ("a1", 1.0, "B"),
             ("b1", 0.0, "B"), ("b1", 0.5, "D"),
             ("b2", 0.0, "B"), ("b2", 0.75, "A"), ("b2", 1.0, "A")]
    return pd.concat([frame, pd.DataFrame(extra, columns=frame.columns)], ignore_index=True)


# ---------------------------------------------------------------- known answers
def test_lando_skodeberg_cohort_matrix():
    # Lando & Skødeberg, "Analyzing rating transitions and rating drift with continuous
    # observations", J. Banking & Finance 26 (2002), the toy example: cohort P
    result = cohort_matrix(lando_skodeberg_panel(), GRADES)
    np.testing.assert_allclose(result.matrix, [[0.9, 0.1, 0], [0.1, 0.8, 0.1], [0, 0, 1]], atol=1e-12)
    assert result.counts.sum() == 20 and result.info["cohorts"] == 1


def test_lando_skodeberg_duration_generator_and_exp():
    # Lando & Skødeberg (2002), the toy example: exposures 9.5 / 10.0, Λ and exp(Λ)
    result = duration_matrix(lando_skodeberg_panel(), GRADES)
    np.testing.assert_allclose(result.exposure, [9.5, 10.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.generator, [[-0.105263, 0.105263, 0], [0.1, -0.2, 0.1], [0, 0, 0]],
                               atol=1e-6)
    np.testing.assert_allclose(result.matrix, [[0.904683, 0.090555, 0.004762],
                                               [0.086027, 0.823183, 0.090789], [0, 0, 1]], atol=1e-6)
    # the duration estimator sees a positive one-year PD for A although no A firm defaulted
    assert result.matrix[0, 2] > 0 and cohort_matrix(lando_skodeberg_panel(), GRADES).matrix[0, 2] == 0


def test_aalen_johansen_by_hand_on_the_toy():
    # product limit: jumps at 0.25 (A→B, 10 at risk in A), 0.5 (B→D, 11 in B), 0.75 (B→A, 10 in B)
    result = duration_matrix(lando_skodeberg_panel(), GRADES, method="aalen-johansen")
    step = []
    for src, dst, at_risk in ((0, 1, 10), (1, 2, 11), (1, 0, 10)):
        d = np.zeros((3, 3))
        d[src, dst], d[src, src] = 1 / at_risk, -1 / at_risk
        step.append(np.eye(3) + d)
    np.testing.assert_allclose(result.matrix, step[0] @ step[1] @ step[2], atol=1e-14)
    assert result.horizon == 1.0


def test_sp_matrix_completed_and_cumulative_pds():
    # S&P 2016 study, 1-year matrix (data/rating_transitions/MANIFEST.md): NR removed, D absorbing
    sp = rm.load_sp_transitions(1)
    p = complete_matrix(sp)
    assert list(p.index) == ["AAA", "AA", "A", "BBB", "BB", "B", "CCC/C", "D"]
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-15)
    # BB: 0.72 % / (1 - 9.63 %) = 0.7967 % default after the NR adjustment
    assert p.loc["BB", "D"] == pytest.approx(0.0072 / 0.9999 / (1 - 0.0963 / 0.9999), abs=1e-12)
    pds = cumulative_pd(p.to_numpy(), [1, 2, 5])
    assert np.all(np.diff(pds[:-1], axis=1) > 0)  # cumulative PDs grow with the horizon
    # worse grades have higher 5-year PDs (S&P grades are ordered)
    assert np.all(np.diff(pds[:-1, 2]) > 0)


def test_sp_and_jlt_generators_need_and_get_an_adjustment():
    for frame in (complete_matrix(rm.load_sp_transitions(1)), complete_matrix(rm.load_jlt_transitions(), withdrawn=None)):
        p = frame.to_numpy()
        with pytest.raises(MigrationError, match="negative off-diagonal"):
            generator_from_matrix(p, adjustment=None)
        for method in ("diagonal", "weighted"):
            q = generator_from_matrix(p, adjustment=method)
            assert is_generator(q)
            np.testing.assert_allclose(q.sum(axis=1), 0.0, atol=1e-14)
            # the repair moves exp(Λ) by less than 0.05 percentage points from the published matrix
            assert np.abs(transition_from_generator(q) - p).max() < 5e-4


def test_embeddable_matrix_round_trips_through_the_logarithm():
    q = np.array([[-0.2, 0.15, 0.05], [0.1, -0.3, 0.2], [0.0, 0.0, 0.0]])
    p = transition_from_generator(q)
    np.testing.assert_allclose(generator_from_matrix(p, adjustment=None), q, atol=1e-10)


def test_adjustments_follow_israel_rosenthal_wei():
    # IRW (2001): DA zeroes negatives and resets the diagonal; WA takes the negative mass
    # back from the other entries in proportion to their absolute values
    q = np.array([[-0.10, 0.12, -0.02], [0.05, -0.05, 0.0], [0.0, 0.0, 0.0]])
    da = adjust_generator(q, "diagonal")
    np.testing.assert_allclose(da[0], [-0.12, 0.12, 0.0])
    wa = adjust_generator(q, "weighted")
    share = 0.02 / (0.10 + 0.12)
    np.testing.assert_allclose(wa[0], [-0.10 - share * 0.10, 0.12 - share * 0.12, 0.0])
    np.testing.assert_allclose(wa[1], q[1])  # a valid row is left alone
    with pytest.raises(DataValidationError, match="method"):
        adjust_generator(q, "nearest")


def test_matrix_without_a_real_logarithm_is_refused():
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])
    with pytest.raises(MigrationError, match="no real matrix logarithm"):
        generator_from_matrix(swap)


def test_matrix_weighted_bandwidth_matches_published_example():
    # MathWorks Risk Management Toolbox, risk.validation.matrixWeightedBandwidth example
    # (ECB 2019 §2.5.5.1 formulas): lower 0.3306, upper 0.6066
    counts = np.array([[10, 8, 15, 9, 10], [11, 9, 13, 9, 8], [0, 10, 10, 11, 10],
                       [0, 0, 9, 11, 11], [0, 0, 0, 11, 10]])
    mwb = matrix_weighted_bandwidth(counts)
    assert mwb.lower == pytest.approx(0.3306, abs=5e-5) and mwb.upper == pytest.approx(0.6066, abs=5e-5)


def test_z_test_flags_a_bump_away_from_the_diagonal():
    test = migration_z_test([[80, 5, 15], [10, 80, 10], [0, 0, 100]])
    z, p = test  # it unpacks as the (z, p) pair it was
    assert p is test.p_value and z is test.z
    assert p[0, 2] < 0.05  # 15 % two grades down vs 5 % one grade down: a break
    assert p[0, 1] > 0.5  # 5 % vs 80 % on the diagonal: as expected
    assert np.isnan(z[0, 0]) and np.isnan(z[2, 0])  # diagonal; both rates 0


def test_stability_table_per_grade():
    result = cohort_matrix(lando_skodeberg_panel(), GRADES)
    table = result.stability()
    assert list(table.columns) == ["n", "stay", "upgrade", "downgrade", "move_2plus", "mwb_lower",
                                   "mwb_upper", "z_breaks"]
    assert table.loc["A", "n"] == 10 and table.loc["A", "downgrade"] == pytest.approx(0.1)
    assert table.loc["B", "upgrade"] == pytest.approx(0.1) and table.loc["B", "downgrade"] == pytest.approx(0.1)
    with pytest.raises(MigrationError, match="cohort counts"):
        duration_matrix(lando_skodeberg_panel(), GRADES).stability()
    with pytest.raises(DataValidationError, match="counts"):
        stability_table([[1, -1], [0, 1]])


# ---------------------------------------------------------------- panels
def annual_panel(n_firms=300, years=range(2018, 2024), seed=0):
    """Random annual rating panel from a known one-year matrix (grade D absorbing)."""
    rng = np.random.default_rng(seed)
    true = np.array([[0.85, 0.12, 0.02, 0.01], [0.08, 0.80, 0.08, 0.04],
                     [0.02, 0.10, 0.75, 0.13], [0, 0, 0, 1.0]])
    grades = ["A", "B", "C", "D"]
    rows = []
    for f in range(n_firms):
        s = rng.integers(0, 3)
        for y in years:
            rows.append((f"f{f}", y, grades[s]))
            if s == 3:
                break
            s = rng.choice(4, p=true[s])
    return pd.DataFrame(rows, columns=["firm_id", "year", "grade"]), true, grades


def test_cohort_recovers_the_generating_matrix():
    panel, true, grades = annual_panel(n_firms=2000)
    result = cohort_matrix(panel, grades, entity="firm_id", date="year")
    assert result.info["cohorts"] == 5
    assert np.abs(result.matrix - true).max() < 0.03
    generator_based = duration_matrix(panel, grades, entity="firm_id", date="year")
    # annual data: the duration estimator only sees yearly jumps, so it stays close to the cohort one
    assert np.abs(generator_based.matrix - result.matrix).max() < 0.06


def test_datetime_panels_and_explicit_cohort_starts():
    panel = lando_skodeberg_panel()
    panel["date"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(panel["date"] * 365.25, unit="D")
    result = cohort_matrix(panel, GRADES, starts=[pd.Timestamp("2020-01-01")])
    np.testing.assert_allclose(result.matrix, [[0.9, 0.1, 0], [0.1, 0.8, 0.1], [0, 0, 1]], atol=1e-12)
    dur = duration_matrix(panel, GRADES, window=(pd.Timestamp("2020-01-01"), pd.Timestamp("2021-01-01")))
    np.testing.assert_allclose(dur.exposure[:2], [9.5, 10.0], atol=1e-3)


def test_bad_panels_give_clear_errors():
    ok = pd.DataFrame({"entity": ["a", "a", "b", "b"], "date": [2020, 2021, 2020, 2021],
                       "grade": ["A", "B", "B", "D"]})
    unsorted = ok.iloc[[1, 0, 2, 3]].reset_index(drop=True)
    with pytest.raises(DataValidationError, match=r"'date': dates not increasing .*\[1\]"):
        cohort_matrix(unsorted, GRADES)
    np.testing.assert_allclose(cohort_matrix(unsorted, GRADES, sort=True).matrix,
                               cohort_matrix(ok, GRADES).matrix)
    dup = pd.concat([ok, ok.iloc[[0]]], ignore_index=True)
    with pytest.raises(DataValidationError, match=r"'entity,date': duplicate id .*\[0, 4\]"):
        cohort_matrix(dup, GRADES)
    unknown = ok.assign(grade=["A", "B", "X", "D"])
    with pytest.raises(DataValidationError, match=r"'grade': unknown categories \['X'\] .*\[2\]"):
        duration_matrix(unknown, GRADES)
    missing = ok.assign(grade=["A", None, "B", "D"])
    with pytest.raises(DataValidationError, match=r"'grade': missing values .*\[1\]"):
        cohort_matrix(missing, GRADES)
    with pytest.raises(DataValidationError, match="'rating'"):
        cohort_matrix(ok, GRADES, grade="rating")
    with pytest.raises(DataValidationError, match="'date': has dtype"):
        cohort_matrix(ok.assign(date=["x", "y", "x", "y"]), GRADES)
    single = pd.DataFrame({"entity": ["a", "b"], "date": [2020, 2020], "grade": ["A", "B"]})
    with pytest.raises(DataValidationError, match="every entity has a single observation"):
        cohort_matrix(single, GRADES)
    with pytest.raises(MigrationError, match="less than one horizon"):
        cohort_matrix(ok, GRADES, horizon=2.0)
    assert issubclass(MigrationError, RiskModelsError)


def test_single_observation_entities_and_rows_after_default_are_reported():
    panel = pd.DataFrame({"entity": ["a", "a", "b", "c", "c", "c"], "date": [0, 1, 0, 0, 1, 2],
                          "grade": ["A", "B", "B", "B", "D", "B"]})
    paths = rating_paths(panel, GRADES)
    assert paths.n_single == 1 and paths.n_after_default == 1
    result = cohort_matrix(panel, GRADES, starts=[0])
    assert result.counts.sum() == 2  # b adds nothing; c's cure after default is ignored
    assert result.info["single_observation"] == 1 and result.info["rows_after_default"] == 1
    assert result.summary().tables[0].frame.loc["single_observation", "value"] == 1


def test_stochastic_check_names_rows():
    with pytest.raises(DataValidationError, match=r"rows do not sum to 1 in 1 row\(s\): \[1\]"):
        check_stochastic([[1.0, 0.0], [0.5, 0.6]])
    with pytest.raises(DataValidationError, match="square"):
        check_stochastic([[1.0, 0.0]])
    with pytest.raises(DataValidationError, match="'D': missing column"):
        complete_matrix(rm.load_sp_transitions(1).drop(columns=["D"]))
    all_withdrawn = pd.DataFrame([[0.9, 0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]], index=["A", "B"],
                                 columns=["A", "B", "D", "NR"])
    with pytest.raises(DataValidationError, match=r"besides withdrawals in 1 row\(s\): \['B'\]"):
        complete_matrix(all_withdrawn)  # renormalising the empty row gave NaN


def test_result_outputs_plot_and_html():
    result = cohort_matrix(lando_skodeberg_panel(), GRADES)
    assert "<table" in result._repr_html_() and "cohort" in result._repr_html_()
    assert result.frame().loc["B", "D"] == pytest.approx(0.1)
    ax = result.plot()
    assert [t.get_text() for t in ax.get_xticklabels()] == GRADES
    assert len(ax.texts) == 6  # one label per non-zero cell
    cum = duration_matrix(lando_skodeberg_panel(), GRADES).cumulative_pd([1, 2])
    assert cum.loc["A", 1] == pytest.approx(0.004762, abs=1e-6) and cum.loc["A", 2] > cum.loc["A", 1]
    with pytest.raises(MigrationError, match="no generator"):
        result.generator_frame()
    with pytest.raises(MigrationError, match="multiples"):
        result.cumulative_pd([1.5])
    matplotlib.pyplot.close("all")


# ---------------------------------------------------------------- properties
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_firms=st.integers(2, 40), n_years=st.integers(2, 5))
def test_rows_of_estimated_matrices_sum_to_one_and_generator_rows_to_zero(seed, n_firms, n_years):
    rng = np.random.default_rng(seed)
    grades = ["A", "B", "C", "D"]
    rows = [("anchor", 0.0, "A"), ("anchor", 1.0, "A")]  # the panel spans at least one year
    for f in range(n_firms):
        t = 0.0
        for _ in range(n_years):
            rows.append((f, t, grades[rng.integers(0, 4)]))
            t += float(rng.uniform(0.1, 1.5))
    panel = pd.DataFrame(rows, columns=["entity", "date", "grade"])
    estimates = [cohort_matrix(panel, grades), duration_matrix(panel, grades),
                 duration_matrix(panel, grades, method="aalen-johansen")]
    for result in estimates:
        np.testing.assert_allclose(result.matrix.sum(axis=1), 1.0, atol=1e-10)
        assert (result.matrix >= -1e-12).all()
    q = estimates[1].generator
    np.testing.assert_allclose(q.sum(axis=1), 0.0, atol=1e-12)
    assert not generator_violations(q)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 6), method=st.sampled_from(["diagonal", "weighted"]))
def test_adjusted_generators_are_valid(seed, k, method):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.r_[np.full(k - 1, 0.3), 0.1], size=k)
    p += np.eye(k) * 5
    p /= p.sum(axis=1, keepdims=True)  # diagonally dominant: a real logarithm exists
    q = generator_from_matrix(p, adjustment=method)
    assert is_generator(q)
    np.testing.assert_allclose(q.sum(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(transition_from_generator(q).sum(axis=1), 1.0, atol=1e-12)
