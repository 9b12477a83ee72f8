"""One results object for every summary(): text, HTML and LaTeX show the same key figures."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import pytest

from riskmodels.binning import BinningProcess
from riskmodels.calibration import LogisticScoreCalibrator, MasterScale
from riskmodels.migration import cohort_matrix
from riskmodels.models.crosstab import CrossTabModel
from riskmodels.models.expert import ExpertScorecardModel
from riskmodels.models.kmv import (
    KMVModel,
    fit_empirical_pd_map,
    iterative_kmv,
    merton_equity,
    solve_merton,
)
from riskmodels.models.logistic import LogisticScorecard
from riskmodels.results import Summary, format_cell, latex_escape
from riskmodels.validation import auc_ci
from tests.test_expert_model import labelled

SCALE = {"name": "t", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.05, 0.2, 0.6], "floor": None,
         "midpoints": [0.02, 0.1, 0.4, 1.0]}


def renders(summary: Summary) -> tuple[str, str, str]:
    assert isinstance(summary, Summary)
    text, html, latex = summary.as_text(), summary.as_html(), summary.as_latex()
    assert text == str(summary) and html == summary._repr_html_()
    assert html.startswith("<div><h3>") and "<table>" in html
    assert latex.startswith(r"\section*{") and r"\begin{tabular}" in latex
    return text, html, latex


def in_all(figure: str, forms) -> bool:
    text, html, latex = forms
    return figure in text and escape(figure) in html and latex_escape(figure) in latex


def test_summary_renders_tables_rows_text_and_notes():
    s = (Summary("Toy & model")
         .add_rows([("n_obs", 1000), ("rate", 0.0312345678)], title="Data")
         .add_table(pd.DataFrame({"grade": ["A", "B"], "pd": [0.001, np.nan]}), "Grades", index=False)
         .add_text("x < y", latex=r"\verb|x < y|")
         .add_note("50% pooled"))
    text, html, latex = renders(s)
    assert text.splitlines()[:2] == ["Toy & model", "==========="]
    assert "n_obs       1000" in text and "0.0312346" in text and "Notes: 50% pooled" in text
    assert "<h3>Toy &amp; model</h3>" in html and "<pre>x &lt; y</pre>" in html and "<td></td>" in html
    assert r"\section*{Toy \& model}" in latex and r"n\_obs & 1000 \\" in latex and r"\item 50\% pooled" in latex
    assert r"\verb|x < y|" in latex
    assert "n_obs" in s and "absent" not in s


def test_format_cell_and_latex_escape():
    assert [format_cell(v) for v in (1 / 3, np.float32(2.5), None, np.nan, 7, "a")] == \
        ["0.333333", "2.5", "", "", "7", "a"]
    assert latex_escape(r"a_b & c% $d #e {f} ~ ^ \ ") == \
        r"a\_b \& c\% \$d \#e \{f\} \textasciitilde{} \textasciicircum{} \textbackslash{} "


@pytest.fixture(scope="module")
def firms():
    rng = np.random.default_rng(3)
    n = 300
    equity = rng.lognormal(1.5, 0.6, n)
    vol = rng.uniform(0.2, 0.9, n)
    listed = rng.uniform(size=n) < 0.8
    X = pd.DataFrame({"equity_value": np.where(listed, equity, np.nan), "equity_vol": np.where(listed, vol, np.nan),
                      "short_term_debt": rng.uniform(1, 6, n), "long_term_debt": rng.uniform(1, 8, n),
                      "rate": 0.03, "total_assets": equity + rng.uniform(5, 15, n),
                      "industry": rng.choice(["a", "b"], n)})
    y = (rng.uniform(size=n) < 0.1 + 0.3 * (vol > 0.7)).astype(int)
    return X, y


def test_kmv_model_summary(firms):
    X, y = firms
    model = KMVModel(min_peers=5, master_scale=SCALE).fit(X, y)
    forms = renders(model.summary())
    assert in_all(f"{model.peer_asset_vol_['a']:.6g}", forms)
    assert in_all(str(int(y.sum())), forms) and in_all("Peer asset volatility", forms)
    assert in_all(f"{model.market_map_.pd[0]:.6g}", forms) and in_all("DD -> PD map, proxy DDs", forms)
    assert model._repr_html_() == forms[1]


def test_kmv_result_summaries():
    sol = solve_merton([3.0, 8.0], [0.8, 0.3], [10.0, 5.0], 0.05)
    forms = renders(sol.summary())
    assert in_all("firms", forms) and in_all(f"{np.min(sol.asset_value):.6g}", forms)
    v = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0.0, 0.25 / np.sqrt(252), 253)))
    res = iterative_kmv(merton_equity(v, 0.25, 70.0, 0.03)[0], 70.0, 0.03)
    forms = renders(res.summary())
    assert in_all(f"{res.asset_vol[0]:.6g}", forms) and in_all(str(res.iterations), forms)
    pd_map = fit_empirical_pd_map(np.linspace(-1, 4, 200), (np.arange(200) % 7 == 0).astype(int), n_bins=5)
    assert in_all(f"{pd_map.pd[0]:.6g}", renders(pd_map.summary()))


def test_crosstab_model_summary():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"dpd": rng.integers(0, 4, 2000), "lev": rng.uniform(0, 1, 2000)})
    y = (rng.uniform(size=2000) < 0.03 + 0.05 * X["dpd"]).astype(int)
    model = CrossTabModel(["dpd", "lev"], max_bins=3, master_scale=SCALE).fit(X, y)
    forms = renders(model.summary())
    assert in_all(f"{model.level_rates_[0][0]:.6g}", forms)  # the portfolio rate
    assert in_all(f"{model.tests_['chi2'].iloc[0]:.6g}", forms) and in_all("Cells with records", forms)
    assert in_all(" x ".join(map(str, model.grid_shape_)), forms)


def test_expert_model_summary():
    X, y, _ = labelled(n=400, seed=3)
    model = ExpertScorecardModel().fit(X, y)
    forms = renders(model.summary())
    assert in_all(f"{model.calibration_steps_[0]['a']:.6g}", forms) and in_all("Grades", forms)
    assert in_all("debt_ratio_cap", forms) and in_all("400", forms)
    iso = ExpertScorecardModel(calibration="isotonic").fit(X, y)
    assert in_all("Calibration knots", renders(iso.summary()))


def test_logistic_scorecard_summary():
    rng = np.random.default_rng(1)
    n = 3000
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.uniform(size=n)})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-2.0 + 1.0 * X["a"] - 0.8 * X["b"])))).astype(int)
    card = LogisticScorecard(master_scale=SCALE).fit(X, y)
    forms = renders(card.summary())
    assert in_all("Logit (maximum likelihood", forms) and in_all("Coefficients (Wald z)", forms)
    assert in_all(f"{card.coef_table_.iloc[1, 0]:.4g}", forms) and in_all("PDO", forms)
    assert in_all(f"{card.factor_:.6g}", forms)


def test_calibration_migration_validation_summaries():
    rng = np.random.default_rng(2)
    s = rng.normal(size=3000)
    y = (rng.uniform(size=3000) < 1 / (1 + np.exp(-(1.5 * s - 2)))).astype(int)
    cal = LogisticScoreCalibrator().fit(s, y)
    forms = renders(cal.summary())
    assert in_all(f"{cal.a_:.6g}", forms) and in_all(f"{cal.bse_[1]:.6g}", forms)
    scale = MasterScale.standard("agency7")
    forms = renders(scale.summary())
    assert in_all("0.72", forms) and in_all("BB", forms)  # BB midpoint 0.72 %
    auc = auc_ci(y, s)
    forms = renders(auc.summary())
    assert in_all(f"{auc.auc:.6g}", forms) and auc.summary().title.startswith(f"AUC {auc.auc:.4f}")
    panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0, 1] * 3, "grade": list("ABAABD")})
    result = cohort_matrix(panel, ["A", "B", "D"])
    forms = renders(result.summary())
    assert in_all("50", forms) and in_all("transitions", forms)  # A -> B: one of two obligors, 50 %


def test_monitoring_report_summary():
    from riskmodels.monitoring.report import MonitoringReport

    measures = pd.DataFrame({"group": ["population", "back-test"], "value": [0.2734, 0.0123],
                             "zone": ["red", "green"], "detail": ["score PSI above 0.25", ""]},
                            index=["score PSI", "binomial p (worst grade)"])
    chars = pd.DataFrame({"csi": [0.31], "csi_zone": ["red"], "missing_change": [0.0], "unknown_rate": [0.0],
                          "top_bin": ["[0.5, inf)"]}, index=["debt_ratio"])
    grades = pd.DataFrame({"n": [400], "defaults": [9], "default_rate": [0.0225], "mean_pd": [0.0201],
                           "binomial_p": [0.3712], "jeffreys_p": [0.3655], "zone": ["green"]}, index=["BB"])
    report = MonitoringReport({"name": "logit", "kind": "logistic", "version": 3, "bundle_sha256": "ab" * 32},
                              "2026-03", 1234, measures, {"characteristics": chars}, backtest={"grades": grades},
                              overrides={"rate": 0.05, "n": 1234, "upgrades": 40, "downgrades": 22})
    forms = renders(report.summary())
    assert report.summary().title == report.verdict and report.verdict.startswith("RED: logit v3, period 2026-03")
    for figure in ("0.2734", "RED", "score PSI above 0.25", "debt_ratio", "0.31", "0.0225", "abababababab...",
                   "overrides: 5.00% of 1,234 (40 up, 22 down)"):
        assert in_all(figure, forms), figure


def test_comparison_summary():
    from types import SimpleNamespace

    from riskmodels.comparison.runner import Comparison

    table = pd.DataFrame({"type": ["logistic", "kmv"], "status": ["ok", "ok"], "auc": [0.8123, 0.7411],
                          "grades_rejected": [0.0, np.nan], "brier": [0.02871, 0.03012]}, index=["logit", "kmv"])
    train = pd.DataFrame({"target": [0, 0, 0, 1]})
    test = pd.DataFrame({"target": [0, 1]})
    config = SimpleNamespace(name="toy", master_scale="default")
    result = Comparison(config, train, test, {}, {}, None, table=table)
    forms = renders(result.summary())
    assert forms[0].splitlines()[0] == ("comparison 'toy': train 4 rows (25.00% defaults), test 2 rows (50.00%); "
                                        "master scale default")
    for figure in ("0.8123", "0.7411", "0.02871", "logistic"):
        assert in_all(figure, forms), figure
    # TABLE_COLUMNS order; the count column holds integers and a missing count is empty
    assert "<td>0.02871</td><td>0</td></tr>" in forms[1] and "<td>0.03012</td><td></td></tr>" in forms[1]
    assert result._repr_html_() == forms[1]


def test_run_diff_summary():
    from riskmodels.tracking.diff import RunDiff

    params = pd.DataFrame([("logit", "params.C", "1.0", "0.5")], columns=["model", "param", "A", "B"]
                          ).set_index(["model", "param"])
    metrics = pd.DataFrame({"model": ["logit", "logit"], "metric": ["auc", "ks"], "A": [0.7012, 0.31],
                            "B": [0.7345, 0.31], "B - A": [0.0333, 0.0], "DeLong p": [0.0421, np.nan]}
                           ).set_index(["model", "metric"])
    diff = RunDiff("a" * 32, "b" * 32, params, metrics, same_data=False, same_test_sample=True,
                   notes=["logit: DeLong z = 2.03, p = 0.0421 (A vs B, paired DeLong)"])
    forms = renders(diff.summary())
    for figure in ("DIFFERENT", "params.C", "0.5", "0.7012", "0.7345", "0.0333", "DeLong p", "0.0421",
                   "(A vs B, paired DeLong)", "B − A (run B minus run A)"):
        assert in_all(figure, forms), figure
    assert "Parameters that changed" in diff.summary()
    assert "1 metric(s) identical" in diff.summary()  # ks did not move: left out of the table
    unchanged = RunDiff("a", "b", params.iloc[:0], metrics, True, True).summary()
    assert "no parameter changed" in unchanged and "Parameters that changed" not in unchanged


def test_portfolio_summary():
    from riskmodels.data.synthetic import make_portfolio

    portfolio = make_portfolio(n_firms=150, n_years=2, random_state=4)
    forms = renders(portfolio.summary())
    rates = portfolio.default_rates()
    n_defaults = int(portfolio.firm_years["default"].sum())
    assert repr(portfolio) == forms[0].splitlines()[0]
    assert in_all(f"150 firms, {len(portfolio.firm_years)} firm-years, {n_defaults} defaults", forms)
    for year, row in rates.iterrows():
        assert in_all(str(year), forms) and in_all(f"{row['default_rate']:.4g}", forms)


def test_binning_summaries():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    y = (rng.random(3000) < 1 / (1 + np.exp(2 + 1.5 * X["a"]))).astype(int)
    process = BinningProcess().fit(X, y)
    best = process.binnings_["a"]
    iv = f"{best.iv_:.4f}"
    forms = renders(best.table_.summary())
    assert in_all(f"IV = {iv}", forms) and str(best.table_) == forms[0]
    forms = renders(best.summary())
    assert in_all(best.trend_, forms) and in_all(f"IV = {iv}", forms)
    frame = process.summary_frame()
    assert frame["variable"].tolist() == ["a", "b"] and frame.loc[0, "iv"] == pytest.approx(best.iv_)
    forms = renders(process.summary())
    assert in_all(f"{best.iv_:.4g}", forms)
