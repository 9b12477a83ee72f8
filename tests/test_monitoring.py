"""Monitoring: reference distributions in the bundle, stability, back-tests, decision log, CLI.

Small bundles come from ``test_scoring``'s ``PointsModel``; the drift scenario uses the
synthetic portfolio and a logistic scorecard.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from test_scoring import fitted_model, make_data, with_rule

import riskmodels as rm
from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import BundleError, ConfigError, MonitoringError
from riskmodels.monitoring import (
    Thresholds,
    add_reference,
    monitor,
    read_decision_log,
)
from riskmodels.monitoring.population import psi_of_counts

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="module")
def dev():
    model, X, y = fitted_model(3000, random_state=0)
    return model, X, y


@pytest.fixture(scope="module")
def bundle(dev):
    model, X, y = dev
    return model.to_bundle(reference=(X, y))


def period(n, seed, shift=0.0):
    X, y = make_data(n, seed)
    X["leverage"] = X["leverage"] + shift
    X.insert(0, "id", [f"r{seed}-{i}" for i in range(n)])
    return X, y


# --------------------------------------------------------------------------- known answers
def test_psi_and_csi_known_answers():
    # Published worked example: the psi-inference package's documented example (PyPI project page,
    # "Example"): seven credit grades, base counts (253, 302, 204, 134, 72, 26, 8) and monitoring
    # counts (177, 262, 285, 158, 88, 25, 6) -> PSI 0.0677
    grades = psi_of_counts([253, 302, 204, 134, 72, 26, 8], [177, 262, 285, 158, 88, 25, 6], list("ABCDEFG"))
    assert round(float(grades["psi"].sum()), 4) == 0.0677
    # ... and its critical value 0.0252 at 5 % and p-value 7.2e-06 from the chi-square law of
    # PSI / (1/n + 1/m) with B - 1 degrees of freedom (Yurdakul & Naranjo 2020, J. Risk Model
    # Validation 14(4)), as the same example reports them
    from riskmodels.monitoring.population import psi_critical_value, psi_p_value

    assert round(psi_critical_value(999, 1001, 7, 0.05), 4) == 0.0252
    assert float(f"{psi_p_value(float(grades['psi'].sum()), 999, 1001, 7):.2g}") == 7.2e-06
    # PSI is the symmetrised Kullback-Leibler divergence sum (a - e) ln(a / e) (Yurdakul & Naranjo
    # 2020, J. Risk Model Validation 14(4), eq. 1): expected (0.10, 0.20, 0.40, 0.20, 0.10) vs actual
    # (0.15, 0.25, 0.30, 0.20, 0.10) gives 0.05 ln 1.5 + 0.05 ln 1.25 - 0.10 ln 0.75 = 0.0601986, and
    # uniform vs (0.05, 0.15, 0.20, 0.25, 0.35) 0.3174278 (zones < 0.1 / 0.1-0.25 / > 0.25 as in
    # Siddiqi, "Credit Risk Scorecards", 2006, ch. 8)
    assert 0.05 * np.log(1.5) + 0.05 * np.log(1.25) - 0.10 * np.log(0.75) == pytest.approx(0.0601986, abs=5e-8)
    t = psi_of_counts([100, 200, 400, 200, 100], [150, 250, 300, 200, 100], list("abcde"))
    assert round(float(t["psi"].sum()), 7) == 0.0601986
    # each bin's contribution is (a - e) ln(a / e)
    assert t.loc["a", "psi"] == pytest.approx(0.05 * np.log(1.5), abs=1e-15)
    assert t.loc["e", "psi"] == 0.0
    assert round(float(psi_of_counts([20] * 5, [5, 15, 20, 25, 35], list("abcde"))["psi"].sum()), 7) == 0.3174278
    # CSI of one characteristic through the bundle reference: same counts in the same bins
    spec = {"type": "number", "edges": [1.0, 2.0, 3.0, 4.0], "counts": [100, 200, 400, 200, 100, 0]}
    reference = {"score": {"field": "pd", "edges": [], "counts": [1000, 0]}, "mean_pd": 0.1,
                 "grades": {"labels": ["A", "D"], "counts": [1000, 0]}, "characteristics": {"x": spec}}
    x = np.repeat([0.5, 1.5, 2.5, 3.5, 4.5], [150, 250, 300, 200, 100])
    from riskmodels.monitoring.population import population_stability

    stab = population_stability(reference, {"pd": np.full(1000, 0.1), "grade": np.full(1000, "A", dtype=object),
                                            "score": None}, {"x": x}, Thresholds())
    row = stab["characteristics"].loc["x"]
    assert round(row["csi"], 7) == 0.0601986 and row["csi_zone"] == "green"
    assert stab["csi_tables"]["x"]["psi"].idxmax() == "[2, 3)"  # the 40 % -> 30 % bin moves most
    assert stab["score_psi"] == 0.0 and stab["grade_psi"] == 0.0


def test_score_psi_equals_optbinning_scorecard_monitoring_on_its_bins():
    """Oracle: optbinning's ScorecardMonitoring (its PSI table) on the same scores and splits."""
    from optbinning import BinningProcess, Scorecard
    from optbinning.scorecard import ScorecardMonitoring
    from sklearn.linear_model import LogisticRegression

    X, y = make_data(4000, 3)
    X = X[["leverage", "util"]]
    card = Scorecard(binning_process=BinningProcess(["leverage", "util"]), estimator=LogisticRegression(),
                     scaling_method="min_max", scaling_method_params={"min": 300, "max": 850}).fit(X[:3000], y[:3000])
    Xa = X[3000:].assign(leverage=X["leverage"][3000:] + 0.3)
    mon = ScorecardMonitoring(scorecard=card, psi_method="cart", psi_n_bins=10).fit(Xa, y[3000:], X[:3000], y[:3000])
    splits = mon._splits
    # optbinning bins right-closed (digitize right=True); with splits between observed scores the
    # bins hold the same records as ours, so counting in [e_i, e_i+1) gives its counts
    from riskmodels.monitoring.reference import number_counts

    ours = psi_of_counts(number_counts(card.score(X[:3000]), splits)[:-1],
                         number_counts(card.score(Xa), splits)[:-1], list(range(len(splits) + 1)))
    theirs = mon.psi_table()["PSI"].to_numpy()[:-1].astype(float)
    np.testing.assert_allclose(ours["psi"].to_numpy(), theirs, rtol=0, atol=1e-12)
    assert abs(float(ours["psi"].sum()) - float(mon.psi_table()["PSI"].iloc[-1])) < 1e-9


def test_per_grade_tests_are_the_validation_ones():
    # The worked example of the meliora package's documentation (its binomial, Jeffreys and
    # Hosmer-Lemeshow tests; PyPI "meliora", calibration tests): grades (PD, N, D) = (0.10, 401, 36),
    # (0.15, 489, 73), (0.20, 110, 23) -> binomial P(X >= D) 0.775347, 0.537039, 0.443273; Jeffreys
    # 0.748739, 0.511781, 0.397158; Hosmer-Lemeshow p (df = G) 0.913463. Every grade expects >= 5
    # defaults, so no grades are pooled.
    from riskmodels.monitoring import backtest

    pds = np.repeat([0.10, 0.15, 0.20], [401, 489, 110])
    y = np.concatenate([np.r_[np.ones(d), np.zeros(n - d)] for n, d in ((401, 36), (489, 73), (110, 23))])
    scale = {"name": "t", "grades": ["G1", "G2", "G3", "D"], "upper_bounds": [0.12, 0.17, 0.5],
             "floor": None, "midpoints": [0.1, 0.15, 0.2, 1.0]}
    bt = backtest(pds, y, scale, Thresholds())
    g = bt["grades"]
    assert g["binomial_p"].round(6).tolist() == [0.775347, 0.537039, 0.443273]
    assert g["jeffreys_p"].round(6).tolist() == [0.748739, 0.511781, 0.397158]
    assert round(bt["hosmer_lemeshow"]["p_value"], 6) == 0.913463 and bt["hosmer_lemeshow"]["df"] == 3
    assert g["zone"].tolist() == ["green", "green", "green"]
    assert "auc" in bt and 0.5 < bt["auc"]["auc"] < 0.7


def test_known_answers_of_the_meliora_documentation():
    # meliora's documented examples (github.com/at621/meliora, docs/binomial_test.md,
    # docs/hosmer_test.md, docs/population_stability_index.md): grade A (PD 0.2) and grade B
    # (PD 0.6), four obligors and two defaults each -> binomial P(X >= D) 0.1808 and 0.8208,
    # fixed-PD Hosmer test (df = K = 2) p = exp(-(2.25 + 1/6) / 2); shares (0.75, 0.25) ->
    # (0.25, 0.75) -> PSI = ln 3
    from riskmodels.monitoring import backtest

    scale = {"name": "t", "grades": ["A", "B", "D"], "upper_bounds": [0.3, 0.9], "floor": None,
             "midpoints": [0.2, 0.6, 1.0]}
    pds, y = np.repeat([0.2, 0.6], 4), np.array([0, 0, 1, 1] * 2)
    by_grade = backtest(pds, y, scale, Thresholds(hl_min_expected=0))
    assert by_grade["grades"]["binomial_p"].round(4).tolist() == [0.1808, 0.8208]
    assert by_grade["hosmer_lemeshow"]["p_value"] == pytest.approx(np.exp(-(2.25 + 1 / 6) / 2), rel=1e-12)
    # with the default pooling the two grades (3.2 expected defaults together) are one group
    assert backtest(pds, y, scale, Thresholds())["hosmer_lemeshow"]["df"] == 1
    assert float(psi_of_counts([3, 1], [1, 3], ["A", "B"])["psi"].sum()) == pytest.approx(np.log(3), rel=1e-12)


def test_traffic_light_zones_by_grade():
    # Tasche (2003) traffic lights as in riskmodels.validation.traffic_light's doctest: PD 1 %, N 250:
    # 4 defaults green, 5 yellow (amber here), 9 red
    from riskmodels.monitoring import backtest

    scale = {"name": "t", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.005, 0.02, 0.5],
             "floor": None, "midpoints": [0.002, 0.01, 0.1, 1.0]}
    zones = []
    for defaults in (4, 5, 9):
        y = np.r_[np.ones(defaults), np.zeros(250 - defaults)]
        zones.append(backtest(np.full(250, 0.01), y, scale, Thresholds())["grades"].loc["B", "zone"])
    assert zones == ["green", "amber", "red"]


# --------------------------------------------------------------------------- reference in the bundle
def test_export_stores_the_reference_and_the_bundle_alone_is_enough(dev, bundle, tmp_path):
    model, X, y = dev
    ref = bundle["reference"]
    assert ref["n"] == 3000 and ref["default_rate"] == pytest.approx(y.mean())
    assert sum(ref["grades"]["counts"]) == 3000 and sum(ref["score"]["counts"]) == 3000
    assert set(ref["characteristics"]) == {r["name"] for r in bundle["inputs"]}
    sector = ref["characteristics"]["sector"]
    assert sector["type"] == "category" and sum(sector["counts"]) == 3000 and sector["counts"][-2:] == [0, 0]
    path = model.export(tmp_path / "b.json", reference=(X, y))
    assert scoring.read_bundle(path)["reference"] == ref  # deterministic, survives the file
    # the development sample itself is stable against its own reference
    r = monitor(path, X, period="dev")
    assert r.stability["score_psi"] < 1e-12 and r.stability["grade_psi"] < 1e-12
    assert r.stability["characteristics"]["csi"].max() < 1e-12


def test_bundle_without_reference_is_refused(dev):
    with pytest.raises(BundleError, match="no reference distributions"):
        monitor(dev[0].to_bundle(reference=False), dev[1])
    # add_reference re-seals an old bundle
    again = add_reference(dev[0].to_bundle(), dev[1], dev[2])
    assert scoring.verify(again) and again["reference"]["n"] == 3000


def test_fit_carries_the_reference_of_its_own_sample(dev, bundle):
    # what fit keeps is what an explicit reference=(X_train, y_train) builds, number for number
    model, X, y = dev
    assert model.to_bundle()["reference"] == bundle["reference"]
    # a recalibration or another scale after fit changes every PD-based count: left out, not wrong
    scale = rm.MasterScale.from_bounds(["L", "H"], [0.05])
    assert "reference" not in model.to_bundle(master_scale=scale)
    assert model.to_bundle(master_scale=scale, reference=(X, y))["reference"]["grades"]["labels"] == ["L", "H"]


def test_export_alone_then_monitor_exits_0(tmp_path):
    # issue 30: LogisticScorecard().fit(X, y).export(p), then `riskmodels monitor p sample.csv`
    german = rm.load_german()
    X, y = german.drop(columns="target"), german["target"]
    path = rm.LogisticScorecard().fit(X, y).export(tmp_path / "b.json")
    ref = scoring.read_bundle(path)["reference"]
    assert ref["n"] == 1000 and ref["default_rate"] == pytest.approx(0.30)  # UCI: 300 bad of 1,000
    german.sample(300, random_state=1).drop(columns="target").to_csv(tmp_path / "sample.csv", index=False)
    assert main(["monitor", str(path), str(tmp_path / "sample.csv")]) == 0
    # a refit forgets the previous sample's reference and keeps the new one
    model = rm.LogisticScorecard().fit(X.iloc[:500], y.iloc[:500])
    assert model.to_bundle()["reference"]["n"] == 500
    assert "reference" not in model.recalibrate(X, 0.2).to_bundle()


# --------------------------------------------------------------------------- a period
def test_shifted_period_is_flagged_and_a_stable_one_is_not(bundle):
    X, y = period(3000, 11)
    stable = monitor(bundle, X, pd.DataFrame({"id": X["id"], "default": y}), id_column="id", period="p1")
    population = ["score PSI", "grade PSI", "max CSI", "max missing-rate change", "mean PD change"]
    assert (stable.measures.loc[population, "zone"] == "green").all(), stable.summary()
    Xs, ys = period(3000, 12, shift=0.8)
    shifted = monitor(bundle, Xs, pd.DataFrame({"id": Xs["id"], "default": ys}), id_column="id", period="p2")
    assert shifted.status == "red" and shifted.measures.loc["max CSI", "zone"] == "red"
    assert shifted.stability["characteristics"].index[0] == "leverage"
    assert shifted.verdict.startswith("RED: ") and "p2" in shifted.verdict
    # thresholds are configurable: with a lax PSI rule the same period reads differently
    lax = Thresholds(psi=(0.5, 0.9), grade_psi=(0.5, 0.9), csi=(0.5, 0.9), mean_pd_change=(2, 3),
                     binomial_p=(1e-6, 1e-9), hosmer_lemeshow_p=(1e-6, 1e-9), auc_drop_p=(1e-6, 1e-9))
    assert shifted.measures.loc["score PSI", "zone"] == "red"
    relaxed = monitor(bundle, Xs, thresholds=lax)
    assert relaxed.measures.loc["score PSI", "zone"] == "green"


def test_thresholds_are_validated():
    with pytest.raises(ConfigError, match="psi"):
        Thresholds(psi=(0.3, 0.1))
    with pytest.raises(ConfigError, match="unknown threshold"):
        Thresholds.from_dict({"psy": [0.1, 0.2]})


def test_missing_and_unknown_rates_against_development(bundle):
    X, _ = period(2000, 13)
    X.loc[:199, "leverage"] = np.nan  # the bundle allows missing leverage (its own bin)
    X.loc[:99, "sector"] = "mining"
    with pytest.raises(BundleError, match="unknown category 'mining'"):
        monitor(bundle, X)  # this bundle refuses unknown sectors: nothing is silently dropped
    allowing = with_rule(bundle, "sector", unknown="allow")
    r = monitor(allowing, X)
    chars = r.stability["characteristics"]
    assert chars.loc["leverage", "missing_reference"] == 0.0
    assert chars.loc["leverage", "missing_current"] == pytest.approx(0.1)
    assert chars.loc["leverage", "missing_zone"] == "red"  # +10 points of missing values
    assert chars.loc["sector", "unknown_rate"] == pytest.approx(0.05) and chars.loc["sector", "unknown_zone"] == "red"
    assert r.stability["csi_tables"]["sector"].loc["unknown", "actual_n"] == 100


def test_back_test_only_mature_outcomes_and_vintages(bundle):
    X, y = period(1200, 14)
    obs = pd.to_datetime(np.where(np.arange(1200) < 600, "2024-01-31", "2024-12-31"))
    dflt = pd.Series(pd.NaT, index=range(1200))
    dflt[y == 1] = obs[y == 1] + pd.Timedelta(days=100)
    outcomes = pd.DataFrame({"id": X["id"], "observation_date": obs, "default_date": dflt})
    r = monitor(bundle, X, outcomes, id_column="id", as_of="2025-03-31")
    assert r.maturity == {"as_of": "2025-03-31", "horizon_months": 12, "mature": 600, "pending": 600,
                          "with_outcome": 1200}
    assert r.backtest["n"] == 600 and r.backtest["defaults"] == int(y[:600].sum())
    v = r.vintages
    assert list(v.index) == ["2024-01", "2024-12"]
    assert v.loc["2024-01", 12] == pytest.approx(y[:600].mean())
    assert np.isnan(v.loc["2024-12", 4]) and v.loc["2024-12", 3] == 0.0  # 3 months old: defaults at day 100 come later


# --------------------------------------------------------------------------- bad inputs
def test_bad_inputs_give_clear_errors(bundle):
    X, y = period(500, 15)
    with pytest.raises(MonitoringError, match="has no records"):
        monitor(bundle, X.iloc[:0])
    unknown = pd.DataFrame({"id": ["r15-1", "ghost-7"], "default": [0, 1]})
    with pytest.raises(MonitoringError, match="never scored") as info:
        monitor(bundle, X, unknown, id_column="id")
    assert "ghost-7" in str(info.value)
    backwards = pd.DataFrame({"id": ["r15-1", "r15-2"], "observation_date": ["2024-03-31", "2024-03-31"],
                              "default_date": ["2024-02-01", None]})
    with pytest.raises(MonitoringError, match="before the observation date") as info:
        monitor(bundle, X, backwards, id_column="id")
    assert "r15-1" in str(info.value)
    with pytest.raises(MonitoringError, match="duplicate"):
        monitor(bundle, pd.concat([X.head(3), X.head(3)]), id_column="id")
    with pytest.raises(MonitoringError, match="id_column"):
        monitor(bundle, X, pd.DataFrame({"id": ["r15-1"], "default": [0]}))
    late = pd.DataFrame({"id": ["r15-1", "r15-2", "r15-3"], "default": [0, 1, 0],
                         "observation_date": ["2024-01-31", "2025-02-28", "2025-03-31"]})
    with pytest.raises(MonitoringError, match="after the as-of date 2025-01-31") as info:
        monitor(bundle, X, late, id_column="id", as_of="2025-01-31")
    assert "r15-2" in str(info.value) and "r15-3" in str(info.value) and "observation_date" in str(info.value)
    with pytest.raises(MonitoringError, match="column 'outcomes': has no rows"):
        monitor(bundle, X, late.iloc[:0], id_column="id")


def test_periods_out_of_order_and_an_empty_log_are_refused(bundle, tmp_path):
    X, _ = period(40, 26)
    scorer = scoring.Scorer(bundle)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    scorer.score(X.iloc[:20], log=second, log_id="id")  # "second" is written first: earlier times
    scorer.score(X.iloc[20:], log=first, log_id="id")
    with pytest.raises(MonitoringError, match="previous period ends after the current one starts"):
        monitor(bundle, second, previous=first)
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(MonitoringError, match="holds no decided record"):
        monitor(bundle, tmp_path / "empty.jsonl")


# --------------------------------------------------------------------------- decision log
def test_decision_log_round_trip_gives_the_population_of_scoring_directly(bundle, tmp_path):
    X, y = period(1500, 16)
    scorer = scoring.Scorer(bundle)
    log = tmp_path / "decisions.jsonl"
    direct = scorer.score(X)
    scorer.score(X.iloc[:1000], log=log, log_id="id")
    scorer.score(X.iloc[1000:], log=log, log_id="id")  # appended: a second batch
    lines = log.read_text().splitlines()
    assert len(lines) == 1500
    first = json.loads(lines[0])
    assert first["id"] == "r16-0" and first["bundle_sha256"] == bundle["sha256"]
    assert first["pd"] == direct["pd"][0] and first["grade"] == direct["grade"][0]
    assert first["reasons"] == direct["reasons"][0].tolist()
    canon = json.dumps(first["input"], sort_keys=True, separators=(",", ":"))
    assert first["input_sha256"] == __import__("hashlib").sha256(canon.encode()).hexdigest()
    from_log = monitor(bundle, log, pd.DataFrame({"id": X["id"], "default": y}))
    from_frame = monitor(bundle, X, pd.DataFrame({"id": X["id"], "default": y}), id_column="id")
    for key in ("score_psi", "grade_psi", "mean_pd"):
        assert from_log.stability[key] == from_frame.stability[key]
    pd.testing.assert_frame_equal(from_log.stability["characteristics"], from_frame.stability["characteristics"])
    pd.testing.assert_frame_equal(from_log.backtest["grades"], from_frame.backtest["grades"])
    # one record scored alone is logged too
    one = scorer.score(X.iloc[0].to_dict(), log=log, log_id="id")
    assert json.loads(log.read_text().splitlines()[-1])["pd"] == one["pd"]


def test_decision_log_orders_by_time_drops_junk_and_refuses_foreign_lines(bundle, tmp_path):
    """Lines out of time order (several writers) are put in order; a line that is not a record is
    dropped and counted (monitoring reports the share, see test_hostile); another bundle's
    lines are refused."""
    X, _ = period(20, 17)
    scorer = scoring.Scorer(bundle)
    log = tmp_path / "d.jsonl"
    scorer.score(X, log=log, log_id="id")
    lines = log.read_text().splitlines()
    late = json.loads(lines[0])
    late["time"] = "1999-01-01T00:00:00.000Z"
    (tmp_path / "bad.jsonl").write_text("\n".join(lines + [json.dumps(late)]) + "\n")
    ordered = read_decision_log(tmp_path / "bad.jsonl")
    assert len(ordered) == 21 and ordered.ids[0] == late["id"] and ordered.times[0].year == 1999
    (tmp_path / "junk.jsonl").write_text(lines[0] + "\nnot json\n")
    junk = read_decision_log(tmp_path / "junk.jsonl")
    assert (len(junk), junk.lines, junk.dropped, junk.dropped_lines) == (1, 2, 1, (2,))
    other = add_reference(bundle, X.drop(columns="id"))  # a different sha256
    with pytest.raises(MonitoringError, match="bundle"):
        monitor(other, log)


def test_cli_score_log_and_monitor_exit_status(bundle, tmp_path):
    bundle_path = tmp_path / "b.json"
    bundle_path.write_bytes(scoring.dumps_bundle(bundle))
    X, y = period(800, 18)
    X.to_csv(tmp_path / "in.csv", index=False)
    log = tmp_path / "log.jsonl"
    for run in range(2):  # append-only: a second run adds its lines
        assert main(["score", str(bundle_path), str(tmp_path / "in.csv"), "-o", str(tmp_path / f"out{run}.csv"),
                     "--log", str(log), "--log-id", "id", "--no-progress"]) == 0
    assert len(log.read_text().splitlines()) == 1600
    first_run = tmp_path / "first.jsonl"
    first_run.write_text("\n".join(log.read_text().splitlines()[:800]) + "\n")
    pd.DataFrame({"id": X["id"], "default": y}).to_csv(tmp_path / "outcomes.csv", index=False)
    status = main(["monitor", str(bundle_path), str(first_run), "--outcomes", str(tmp_path / "outcomes.csv"),
                   "--json", str(tmp_path / "m.json"), "--html", str(tmp_path / "m.html")])
    assert status == 0
    summary = json.loads((tmp_path / "m.json").read_text())
    assert summary["status"] in ("green", "amber") and summary["measures"]["score PSI"]["zone"] == "green"
    assert (tmp_path / "m.html").read_text().count("data:image/png;base64,") == 1
    Xs, _ = period(800, 19, shift=1.0)
    Xs.to_csv(tmp_path / "shifted.csv", index=False)
    assert main(["monitor", str(bundle_path), str(tmp_path / "shifted.csv")]) == 1
    assert main(["monitor", str(bundle_path), str(tmp_path / "nothing.csv")]) == 2


def test_cli_monitor_config_yaml(bundle, tmp_path):
    (tmp_path / "b.json").write_bytes(scoring.dumps_bundle(bundle))
    X, y = period(600, 24)
    X.to_csv(tmp_path / "current.csv", index=False)
    pd.DataFrame({"id": X["id"], "default": y}).to_csv(tmp_path / "outcomes.csv", index=False)
    config = tmp_path / "monitor.yaml"
    config.write_text("model: b.json\ndata: current.csv\noutcomes: outcomes.csv\nid_column: id\n"
                      "period: 2026-03\nas_of: 2026-06-30\nthresholds: {psi: [0.1, 0.25], hl_min_expected: 5}\n"
                      "output: {folder: reports, html: false}\n")
    assert main(["monitor", str(config)]) == 0  # paths relative to the config's folder
    summary = json.loads((tmp_path / "reports" / "monitoring-2026-03.json").read_text())
    direct = monitor(bundle, X, pd.DataFrame({"id": X["id"], "default": y}), id_column="id")
    assert summary["period"] == "2026-03"
    assert summary["measures"]["score PSI"]["value"] == pytest.approx(direct.stability["score_psi"], rel=1e-12)
    assert not (tmp_path / "reports" / "monitoring-2026-03.html").exists()
    # a red period exits 1, as the positional form does
    Xs, _ = period(600, 25, shift=1.0)
    Xs.to_csv(tmp_path / "shifted.csv", index=False)
    (tmp_path / "red.yaml").write_text("model: b.json\ndata: shifted.csv\n")
    assert main(["monitor", str(tmp_path / "red.yaml")]) == 1
    # unknown keys, also among the thresholds and in a section, name the key
    from riskmodels.monitoring.config import load_monitor_config

    for text, key in (("model: b.json\ndata: current.csv\nouput: {folder: r}\n", "ouput"),
                      ("model: b.json\ndata: current.csv\nthresholds: {psy: [0.1, 0.2]}\n", "thresholds.psy"),
                      ("model: b.json\ndata: current.csv\nmlflow: {enable: true}\n", "mlflow.enable"),
                      ("data: current.csv\n", "model")):
        config.write_text(text)
        with pytest.raises(ConfigError) as info:
            load_monitor_config(config)
        assert info.value.path == key, str(info.value)
        assert main(["monitor", str(config)]) == 2
    config.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_monitor_config(config)
    config.write_text("model: b.json\ndata: current.csv\n")
    with pytest.raises(ConfigError, match="--json given with a config file"):
        from riskmodels.cli import build_parser

        args = build_parser().parse_args(["monitor", str(config), "--json", "x.json"])
        args.func(args)


# --------------------------------------------------------------------------- migration and overrides
def test_migration_against_the_previous_period_and_overrides(bundle):
    X, _ = period(1000, 20)
    later = X.copy()
    later["util"] = np.clip(later["util"] + 0.15, 0, 1)  # the same obligors, a little worse
    grades = scoring.Scorer(bundle).score(later)["grade"]
    order = list(bundle["master_scale"]["grades"])
    final = [order[min(order.index(g) + 1, len(order) - 1)] if i % 10 == 0 else g for i, g in enumerate(grades)]
    later["final_grade"] = final
    r = monitor(bundle, later, previous=X, id_column="id", final_grade_column="final_grade")
    m = r.migration
    assert m["n"] == 1000 and int(m["matrix"].to_numpy().sum()) == 1000
    assert m["downgraded"] > m["upgraded"]
    assert "migration p (ECB, min)" in r.measures.index
    o = r.overrides
    moved = sum(f != g for f, g in zip(final, grades, strict=True))
    assert o["n"] == 1000 and o["rate"] == pytest.approx(moved / 1000) and o["upgrades"] == 0
    assert o["downgrades"] == moved


# --------------------------------------------------------------------------- MLflow
def test_one_mlflow_run_per_period_and_registry_uri(bundle, tmp_path):
    import mlflow

    from riskmodels.export import register_scorer, to_mlflow

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment(experiment_id=mlflow.create_experiment(
            "monitor-tests-registry", artifact_location=(tmp_path / "artifacts").as_uri()))
        info = to_mlflow(bundle)
        register_scorer(info.model_uri, "monitored-scorer", bundle)
        X, y = period(600, 21)
        reports = [monitor("models:/monitored-scorer/1", X, pd.DataFrame({"id": X["id"], "default": y}),
                           id_column="id", period=p, mlflow=True, tracking_uri=uri,
                           experiment="monitor-tests") for p in ("2026-01", "2026-02")]
        runs = mlflow.search_runs(experiment_names=["monitor-tests"], output_format="list")
        assert len(runs) == 2
        tags = runs[0].data.tags
        assert tags["riskmodels.bundle_sha256"] == bundle["sha256"]
        assert tags["riskmodels.model_version"] == "1" and tags["riskmodels.model_name"] == bundle["name"]
        assert {r.data.tags["riskmodels.period"] for r in runs} == {"2026-01", "2026-02"}
        assert runs[0].data.metrics["score_PSI"] == pytest.approx(reports[0].stability["score_psi"])
        artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(reports[0].run_id)}
        assert {"monitoring.html", "monitoring.json"} <= artifacts
    finally:
        mlflow.set_tracking_uri(None)
    with pytest.raises(BundleError, match="NAME/VERSION"):
        monitor("models:/only-name", X)


# --------------------------------------------------------------------------- false alarms
def test_auc_drop_test_carries_the_variance_of_both_aucs(bundle):
    from riskmodels.monitoring.backtest import auc_drop_test
    from riskmodels.validation import auc_change_test, auc_ci

    X, y = period(1500, 22)
    p = scoring.Scorer(bundle).score(X)["pd"]
    now = auc_ci(y, p)
    ecb = auc_change_test(0.9, y, p)
    both = auc_drop_test(0.9, 0.03, y, p)
    # se_initial = 0 is the ECB statistic as published; with it, the variances add
    assert auc_drop_test(0.9, 0.0, y, p)["p_value"] == pytest.approx(ecb.p_value, rel=1e-12)
    assert both["se"] == pytest.approx(np.sqrt(0.03**2 + now.se**2), rel=1e-12)
    assert both["statistic"] == pytest.approx((0.9 - now.auc) / both["se"], rel=1e-12)
    assert both["p_value"] > ecb.p_value
    # monitor takes the validated AUC and its SE from the bundle metadata (as rm.compare writes them)
    validated = add_reference(bundle, *make_data(3000, 0))
    validated = dict(validated, metadata={**validated.get("metadata", {}), "metrics": {"auc": 0.9, "auc_se": 0.03}})
    validated.pop("sha256")
    validated = scoring.seal(validated)
    r = monitor(validated, X, pd.DataFrame({"id": X["id"], "default": y}), id_column="id")
    assert r.backtest["auc_drop"]["p_value"] == pytest.approx(both["p_value"], rel=1e-12)
    assert "(SE 0.0300) at initial validation" in r.measures.loc["AUC drop p", "detail"]
    # without metadata: the development AUC and its DeLong SE stored in the reference at export
    assert bundle["reference"]["auc_se"] > 0
    r = monitor(bundle, X, pd.DataFrame({"id": X["id"], "default": y}), id_column="id")
    assert r.backtest["auc_drop"]["se_initial"] == bundle["reference"]["auc_se"]
    assert r.backtest["auc_drop"]["source"] == "development sample"


def test_hosmer_lemeshow_pools_grades_with_few_expected_defaults():
    from riskmodels.calibration import hosmer_lemeshow
    from riskmodels.monitoring import backtest

    # a top grade expecting 0.07 defaults that has one: unpooled, that one default alone gives
    # chi2 ~ 13; pooled into groups of >= 5 expected defaults it weighs what it should
    pds = np.repeat([0.0007, 0.01, 0.05, 0.2], [100, 300, 200, 50])
    defaults = {0.0007: 1, 0.01: 3, 0.05: 10, 0.2: 10}
    y = np.concatenate([np.r_[np.ones(defaults[v]), np.zeros(n - defaults[v])]
                        for v, n in ((0.0007, 100), (0.01, 300), (0.05, 200), (0.2, 50))])
    scale = {"name": "t", "grades": ["A", "B", "C", "D", "X"], "upper_bounds": [0.001, 0.02, 0.1, 0.5],
             "floor": None, "midpoints": [0.0007, 0.01, 0.05, 0.2, 1.0]}
    bt = backtest(pds, y, scale, Thresholds())
    groups = bt["hosmer_lemeshow"]["groups"]
    assert groups["grades"].tolist() == ["A+B+C", "D"]  # 0.07 + 3 + 10 expected, then 10
    assert groups["n"].tolist() == [600, 50] and groups["defaults"].tolist() == [14, 10]
    stat, p, dof = hosmer_lemeshow(groups["pd"], groups["n"], groups["defaults"], df="G")
    assert bt["hosmer_lemeshow"]["p_value"] == p and dof == 2
    unpooled = hosmer_lemeshow([0.0007, 0.01, 0.05, 0.2], [100, 300, 200, 50], [1, 3, 10, 10], df="G")
    assert unpooled[0] > 10 > stat
    # min 0 expected defaults: no pooling, the grade-by-grade statistic
    assert backtest(pds, y, scale, Thresholds(hl_min_expected=0))["hosmer_lemeshow"]["statistic"] == pytest.approx(
        unpooled[0], rel=1e-12)


def test_the_scale_zone_corrects_for_the_number_of_grades():
    from riskmodels.monitoring import backtest

    scale = {"name": "t", "grades": [f"G{i}" for i in range(8)] + ["D"],
             "upper_bounds": [0.0005, 0.001, 0.003, 0.01, 0.03, 0.06, 0.12, 0.3],
             "floor": None, "midpoints": [0.0004, 0.0008, 0.002, 0.006, 0.02, 0.045, 0.09, 0.2, 1.0]}
    pds = np.repeat([0.0004, 0.0008, 0.002, 0.006, 0.02, 0.045, 0.09, 0.2], 60)

    def run(defaults, **options):
        y = np.concatenate([np.r_[np.ones(d), np.zeros(60 - d)] for d in defaults])
        return backtest(pds, y, scale, Thresholds(**options))

    # one default among 60 obligors of PD 0.04 %: the Basel-convention traffic light reads red
    # (P(X <= 1) > 99.9 %), though a correct PD gives one default or more 2.4 % of the time
    one = run([1, 0, 0, 0, 1, 3, 5, 12])
    assert one["grades"].loc["G0", "zone"] == "red"
    assert one["grades"].loc["G0", "binomial_p"] == pytest.approx(1 - (1 - 0.0004) ** 60, rel=1e-9)
    assert one["worst_grade"]["zone"] == "green" and one["worst_grade"]["grade"] == "G0"
    # four defaults there (P ~ 5e-9) is red even at 0.001 / 8
    four = run([4, 0, 0, 0, 1, 3, 5, 12])
    assert four["worst_grade"]["zone"] == "red" and four["worst_grade"]["level_red"] == pytest.approx(0.001 / 8)
    # between: p of two defaults is ~2.9e-4, red alone (< 0.001) but amber among eight grades (> 0.001 / 8)
    two = run([2, 0, 0, 0, 1, 3, 5, 12])
    assert 0.001 / 8 < two["worst_grade"]["p_value"] < 0.001
    assert two["worst_grade"]["zone"] == "amber"
    assert run([2, 0, 0, 0, 1, 3, 5, 12], multiple_testing="none")["worst_grade"]["zone"] == "red"


def test_p_values_of_the_verdict_are_judged_together(bundle):
    t = Thresholds()
    assert t.zone("binomial_p", 0.004) == "red" and t.zone("binomial_p", 0.004, tests=3) == "amber"
    assert Thresholds(multiple_testing="none").zone("binomial_p", 0.004, tests=3) == "red"
    X, y = period(1500, 23)
    r = monitor(bundle, X, pd.DataFrame({"id": X["id"], "default": y}), id_column="id")
    judged = r.measures.loc[["portfolio binomial p", "Hosmer-Lemeshow p", "AUC drop p"], "detail"]
    assert judged.str.endswith("judged at level / 3 (Bonferroni)").all()
    with pytest.raises(ConfigError, match="multiple_testing"):
        Thresholds(multiple_testing="holm-ish")
    with pytest.raises(ConfigError, match="pair"):
        Thresholds.from_dict({"psi": 0.1})


# --------------------------------------------------------------------------- the drift scenario
def _drift_seeds():
    """benchmarks/bench_monitoring.py's stability_over_seeds: the test runs a few seeds of the
    function whose 30-seed rates the README reports."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_monitoring.py"
    spec = importlib.util.spec_from_file_location("bench_monitoring", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_portfolio_drift_scenario_shifts_only_the_later_years():
    stable = rm.make_portfolio(n_firms=800, n_years=5, random_state=5, payment_features=False).firm_years
    drifted = rm.make_portfolio(n_firms=800, n_years=5, random_state=5, payment_features=False,
                                drift_year=2023, drift_dd=0.6).firm_years
    # the years before the drift have the same defaults, true PDs and ratios (the qualitative
    # ratings are ranks over every year, so they move a little)
    same = ["firm_id", "year", "default", "true_pd", "debt_ratio", "roa"]
    pd.testing.assert_frame_equal(stable.loc[stable["year"] <= 2022, same], drifted.loc[drifted["year"] <= 2022, same])
    assert drifted.loc[drifted["year"] == 2023, "true_pd"].mean() > 2 * stable.loc[stable["year"] == 2023,
                                                                                    "true_pd"].mean()


def test_drift_is_flagged_and_a_stable_year_is_not_over_seeds():
    bench = _drift_seeds()
    zones = bench.stability_over_seeds(range(4))
    stable, drifted = zones[zones["scenario"] == "stable"], zones[zones["scenario"] == "drifted"]
    assert (stable["status"] != "red").all(), stable.to_string()
    assert (stable["population"] == "green").sum() >= 3
    assert (drifted["status"] == "red").all() and (drifted["population"] == "red").all(), drifted.to_string()
    rates = bench.alarm_rates(zones)
    assert rates.loc["stable", "verdict"] == 0.0 and rates.loc["drifted", "verdict"] == 1.0
