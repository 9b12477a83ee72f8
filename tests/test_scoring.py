"""The production scorer: bundle sealing, verification, input rules, report mode, parity.

The bundles come from ``PointsModel`` below, a small points model of the tests'
own (kind ``test_points``, not a real model kind): it bins each feature, gives
each bin points from its log-odds and turns the total into a PD with a logistic
calibration step, so it exercises every framework part of
:mod:`riskmodels.scoring` (numeric and categorical bins, missing and unknown
bins, reason codes, the credit limit). The other test files import it.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels import scoring
from riskmodels.data.frames import as_frame
from riskmodels.errors import BundleError, RiskModelsError
from riskmodels.models.base import ScorerModel

# --------------------------------------------------------------------------- test model

TEST_SCALE = {"name": "test", "grades": ["A", "B", "C", "D"], "upper_bounds": [0.05, 0.15, 0.4],
              "floor": 0.0003, "midpoints": [0.02, 0.1, 0.25, 1.0]}
SECTORS = ["manufacturing", "retail", "trade"]


def points_kernel(model: dict, cols: dict, n: int) -> dict:
    total = np.full(n, float(model["base"]))
    lost = np.empty((n, len(model["features"])))
    for j, feat in enumerate(model["features"]):
        pts = np.asarray(feat["points"], dtype=float)
        got = pts[scoring.bin_index(feat["binning"], cols[feat["name"]])]
        total += got
        lost[:, j] = pts.max() - got
    return {"raw": total, "points": total, "contributions": lost,
            "reason_names": [f["name"] for f in model["features"]]}


scoring.KERNELS["test_points"] = points_kernel


def make_data(n: int, random_state: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Synthetic firms: leverage, utilisation, sector, balance-sheet fields, default flag."""
    rng = np.random.default_rng(random_state)
    leverage = rng.normal(size=n)
    util = rng.uniform(0.0, 1.0, size=n)
    sector = rng.choice(SECTORS, size=n)
    effect = pd.Series(sector).map({"manufacturing": 0.0, "retail": 0.5, "trade": -0.5}).to_numpy()
    y = (rng.uniform(size=n) < scoring.expit(-2.0 + leverage + 2.0 * util + effect)).astype(int)
    X = pd.DataFrame({
        "leverage": leverage, "util": util, "sector": sector,
        "current_assets": rng.uniform(100.0, 1000.0, size=n),
        "monthly_sales": rng.uniform(20.0, 400.0, size=n),
    })
    return X, y


class PointsModel(ScorerModel):
    """Points per quantile bin (PDO scaling of the bin log-odds), logistic score -> PD.

    Parameters
    ----------
    n_bins : quantile bins per numeric feature.
    pdo : points that double the odds.
    """

    kind = "test_points"

    def __init__(self, n_bins: int = 4, pdo: float = 20.0):
        self.n_bins = n_bins
        self.pdo = pdo

    def fit(self, X, y):
        X = as_frame(X)
        y = np.asarray(y)
        factor = self.pdo / np.log(2.0)
        smooth = 0.5

        def bin_points(idx, k):
            bad = np.bincount(idx, weights=y, minlength=k) + smooth
            good = np.bincount(idx, weights=1 - y, minlength=k) + smooth
            return [round(float(-factor * np.log(b / g)), 6) for b, g in zip(bad, good, strict=True)]

        qs = np.linspace(0, 1, self.n_bins + 1)[1:-1]
        self.features_ = []
        for name in ("leverage", "util"):
            edges = [float(e) for e in np.unique(np.quantile(X[name], qs))]
            binning = {"type": "numeric", "edges": edges, "missing_bin": len(edges) + 1}
            idx = scoring.bin_index(binning, X[name].to_numpy())
            points = bin_points(idx, len(edges) + 1)
            self.features_.append({"name": name, "binning": binning,
                                   "points": points + [min(points)]})  # missing: worst bin
        table = {s: i for i, s in enumerate(SECTORS)}
        sector_binning = {"type": "categorical", "categories": table, "unknown_bin": len(SECTORS)}
        idx = scoring.bin_index(sector_binning, X["sector"].to_numpy(dtype=object))
        points = bin_points(idx, len(SECTORS))
        self.features_.append({"name": "sector", "binning": sector_binning,
                               "points": points + [min(points)]})
        self.base_ = 600.0
        self.intercept_ = float(np.log(y.mean() / (1 - y.mean())))
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        self.master_scale_ = TEST_SCALE
        return self

    def _bundle_inputs(self) -> list:
        return [
            {"name": "leverage", "type": "number", "required": True, "missing": "allow"},
            {"name": "util", "type": "number", "required": True, "min": 0.0, "max": 1.0,
             "out_of_range": "error", "missing": "impute", "fill": 0.5},
            {"name": "sector", "type": "category", "required": True, "categories": SECTORS,
             "unknown": "error", "missing": "error"},
            {"name": "current_assets", "type": "number", "required": True, "min": 0.0},
            {"name": "monthly_sales", "type": "number", "required": True, "min": 0.0},
        ]

    def _bundle_model(self) -> dict:
        return {"base": self.base_, "features": self.features_}

    def _bundle_calibration(self) -> list:
        mean_points = self.base_ + sum(np.mean(f["points"][:-1]) for f in self.features_)
        return [{"method": "logistic", "a": -np.log(2.0) / self.pdo,
                 "b": float(self.intercept_ + np.log(2.0) / self.pdo * mean_points)}]

    def _credit_limit(self) -> dict:
        return {"coefficients": {"A": 1.0, "B": 0.6, "C": 0.3}, "current_assets": "current_assets",
                "monthly_sales": "monthly_sales"}


def fitted_model(n: int = 2000, random_state: int = 0) -> tuple[PointsModel, pd.DataFrame, np.ndarray]:
    X, y = make_data(n, random_state)
    return PointsModel().fit(X, y), X, y


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def fitted():
    return fitted_model(1500, random_state=0)


@pytest.fixture(scope="module")
def bundle(fitted):
    model, _, _ = fitted
    return model.to_bundle()


@pytest.fixture(scope="module")
def scorer(bundle):
    return scoring.Scorer(bundle)


def reseal(bundle: dict, **changes) -> dict:
    """A copy of ``bundle`` with sections replaced, sealed again (a legitimate new bundle)."""
    content = json.loads(json.dumps(bundle))
    content.update(changes)
    return scoring.seal(content)


def with_rule(bundle: dict, name: str, **rule_changes) -> dict:
    inputs = [dict(r, **rule_changes) if r["name"] == name else r for r in bundle["inputs"]]
    return reseal(bundle, inputs=inputs)


# --------------------------------------------------------------------------- parity
def test_bundle_pds_equal_predict_proba(fitted, scorer):
    model, X, _ = fitted
    out = scorer.score(X)
    np.testing.assert_array_equal(out["pd"], model.predict_proba(X)[:, 1])
    assert out["pd"].min() > 0 and out["pd"].max() < 1
    assert set(out["grade"]) <= set(TEST_SCALE["grades"]) and len(set(out["grade"])) > 1


def test_file_round_trip_scores_the_same(fitted, tmp_path):
    model, X, _ = fitted
    path = model.export(tmp_path / "sub" / "scorer.json")
    loaded = scoring.load_scorer(path)
    np.testing.assert_array_equal(loaded.score(X)["pd"], model.predict_proba(X)[:, 1])
    assert loaded.sha256 == json.loads(path.read_text())["sha256"]


def test_every_input_form_gives_the_same_numbers(fitted, scorer):
    _, X, _ = fitted
    head = X.head(25)
    ref = scorer.score(head)
    records = head.to_dict("records")
    as_list = scorer.score(records)
    as_arrays = scorer.score({k: head[k].to_numpy() for k in head.columns})
    as_lists = scorer.score(head.to_dict("list"))
    one_by_one = [scorer.score(r) for r in records]
    for other in (as_list, as_arrays, as_lists):
        np.testing.assert_array_equal(other["pd"], ref["pd"])
        np.testing.assert_array_equal(other["grade"], ref["grade"])
        np.testing.assert_array_equal(other["reasons"], ref["reasons"])
    assert [o["pd"] for o in one_by_one] == ref["pd"].tolist()
    assert [o["reasons"] for o in one_by_one] == ref["reasons"].tolist()
    assert isinstance(one_by_one[0]["pd"], float) and isinstance(one_by_one[0]["grade"], str)


def test_single_record_fast_path_agrees_with_the_checked_path(scorer):
    # the first record passes the fast path; the second (missing leverage, util to impute)
    # goes through the full rules; a batch of both must give the same per-record numbers
    clean = {"leverage": 0.3, "util": 0.2, "sector": "retail", "current_assets": 500.0,
             "monthly_sales": 100.0}
    gappy = {"leverage": None, "util": None, "sector": "trade", "current_assets": 500,
             "monthly_sales": 100}
    batch = scorer.score([clean, gappy])
    for i, rec in enumerate((clean, gappy)):
        single = scorer.score(rec)
        assert single["pd"] == batch["pd"][i]
        assert single["score"] == batch["score"][i]
        assert single["limit"] == batch["limit"][i]
    imputed = scorer.score(dict(gappy, util=0.5))
    assert imputed["pd"] == batch["pd"][1]


def test_pandas_nullable_and_integer_columns(scorer):
    frame = pd.DataFrame({"leverage": pd.array([1, None], dtype="Int64"),
                          "util": [0.5, 0.5], "sector": ["retail", "retail"],
                          "current_assets": np.array([500, 500]), "monthly_sales": [100, 100]})
    out = scorer.score(frame)
    missing_alone = scorer.score({"leverage": None, "util": 0.5, "sector": "retail",
                                  "current_assets": 500.0, "monthly_sales": 100.0})
    assert out["pd"][1] == missing_alone["pd"]
    assert out["pd"][0] == scorer.score(dict(frame.iloc[0], leverage=1.0))["pd"]


def test_empty_batch_gives_empty_arrays(scorer, fitted):
    _, X, _ = fitted
    out = scorer.score(X.iloc[:0])
    assert out["pd"].shape == (0,) and out["grade"].shape == (0,)


# --------------------------------------------------------------------------- bundle integrity
def test_changed_byte_is_refused(fitted, tmp_path):
    model, _, _ = fitted
    path = model.export(tmp_path / "scorer.json")
    raw = path.read_bytes()
    marker = b'"base": 600.0'
    assert marker in raw
    path.write_bytes(raw.replace(marker, b'"base": 601.0'))
    with pytest.raises(BundleError, match="does not match its sha256"):
        scoring.load_scorer(path)


def test_changed_hash_or_removed_hash_is_refused(bundle):
    with pytest.raises(BundleError, match="does not match"):
        scoring.Scorer({**bundle, "sha256": "0" * 64})
    with pytest.raises(BundleError, match="no sha256"):
        scoring.Scorer({k: v for k, v in bundle.items() if k != "sha256"})


@pytest.mark.parametrize("version", [2, 0, "1", None, True])
def test_unknown_schema_version_is_refused_even_when_sealed(bundle, version):
    with pytest.raises(BundleError, match="unknown bundle schema_version"):
        scoring.Scorer(reseal(bundle, schema_version=version))


def test_unknown_kind_missing_section_and_bad_json_are_refused(bundle, tmp_path):
    with pytest.raises(BundleError, match="unknown model kind 'neural'"):
        scoring.Scorer(reseal(bundle, kind="neural"))
    no_model = scoring.seal({k: v for k, v in bundle.items() if k not in ("model", "sha256")})
    with pytest.raises(BundleError, match="lacks the 'model' section"):
        scoring.Scorer(no_model)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(BundleError, match="not a JSON bundle"):
        scoring.load_scorer(bad)
    with pytest.raises(BundleError, match="cannot read the bundle"):
        scoring.load_scorer(tmp_path / "absent.json")
    with pytest.raises(BundleError, match="must be a JSON object"):
        scoring.verify([1, 2])


def test_nan_in_content_cannot_be_sealed(bundle):
    with pytest.raises(BundleError, match="not plain JSON"):
        scoring.seal({**bundle, "model": {"base": float("nan")}})


def test_same_model_and_epoch_give_identical_bytes(monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = fitted_model(800, random_state=3)[0].export(tmp_path / "a.json").read_bytes()
    second = fitted_model(800, random_state=3)[0].export(tmp_path / "b.json").read_bytes()
    assert first == second
    assert json.loads(first)["metadata"]["created_at"] == "2023-11-14T22:13:20Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    third = fitted_model(800, random_state=3)[0].export(tmp_path / "c.json").read_bytes()
    assert third != first  # the timestamp is part of the sealed content
    other_seed = fitted_model(800, random_state=4)[0].export(tmp_path / "d.json").read_bytes()
    assert json.loads(other_seed)["sha256"] != json.loads(third)["sha256"]


def test_bundle_holds_every_section_the_contract_names(bundle):
    for key in ("schema_version", "kind", "name", "inputs", "model", "calibration",
                "master_scale", "credit_limit", "metadata", "sha256"):
        assert key in bundle
    assert bundle["metadata"]["riskmodels_version"]
    assert bundle["master_scale"]["grades"] == TEST_SCALE["grades"]


# --------------------------------------------------------------------------- bad input
GOOD = {"leverage": 0.1, "util": 0.4, "sector": "retail", "current_assets": 300.0,
        "monthly_sales": 50.0}


def batch_with(field: str, value, at: int = 2, n: int = 4) -> list[dict]:
    rows = [dict(GOOD) for _ in range(n)]
    if value is _ABSENT:
        del rows[at][field]
    else:
        rows[at][field] = value
    return rows


_ABSENT = object()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("util", 1.7, r"field 'util': above the allowed max 1.0 at record\(s\) \[2\]"),
    ("current_assets", -5.0, r"field 'current_assets': below the allowed min 0.0 at record\(s\) \[2\]"),
    ("leverage", float("inf"), r"field 'leverage': infinite value at record\(s\) \[2\]"),
    ("leverage", "high", r"field 'leverage': not a number \(str 'high'\) at record\(s\) \[2\]"),
    ("leverage", True, r"field 'leverage': not a number \(bool True\) at record\(s\) \[2\]"),
    ("current_assets", float("nan"), r"field 'current_assets': missing value at record\(s\) \[2\]"),
    ("current_assets", None, r"field 'current_assets': missing value at record\(s\) \[2\]"),
    ("sector", "mining", r"field 'sector': unknown category 'mining' .* at record\(s\) \[2\]"),
    ("sector", None, r"field 'sector': missing value at record\(s\) \[2\]"),
])
def test_each_broken_rule_names_field_and_record(scorer, field, value, message):
    with pytest.raises(BundleError, match=message):
        scorer.score(batch_with(field, value))
    with pytest.raises(BundleError, match=message.split(" at record")[0]):
        scorer.score(dict(GOOD, **{field: value}))  # the single-record path says the same


def test_absent_field_is_a_missing_value(scorer):
    # an absent field and an explicit null are one input (REST, Spark, SQL and CSV cannot tell
    # them apart): the rule's missing policy decides, with the same message on every path
    with pytest.raises(BundleError, match=r"field 'sector': missing value at record\(s\) \[0\]"):
        scorer.score({k: v for k, v in GOOD.items() if k != "sector"})
    with pytest.raises(BundleError, match=r"field 'sector': missing value at record\(s\) \[0, 1\]"):
        scorer.score(pd.DataFrame([GOOD, GOOD]).drop(columns="sector"))
    absent = scorer.score(pd.DataFrame([GOOD, GOOD]).drop(columns="util"))  # imputed, as a null is
    assert absent["pd"].tolist() == scorer.score([dict(GOOD, util=None)] * 2)["pd"].tolist()


def test_field_missing_in_one_record_of_a_list(scorer):
    with pytest.raises(BundleError, match=r"field 'sector': missing value at record\(s\) \[2\]"):
        scorer.score(batch_with("sector", _ABSENT))


def test_error_lists_first_rows_and_counts_the_rest(scorer):
    rows = [dict(GOOD, util=2.0) for _ in range(8)]
    with pytest.raises(BundleError, match=r"\[0, 1, 2, 3, 4\] \(\+3 more\)"):
        scorer.score(rows)


def test_bundle_error_is_a_riskmodels_error(scorer):
    with pytest.raises(RiskModelsError):
        scorer.score([1, 2, 3])
    with pytest.raises(BundleError, match="different lengths"):
        scorer.score({"leverage": [1.0, 2.0], "util": [0.5]})
    with pytest.raises(BundleError, match="on_error must be"):
        scorer.score(GOOD, on_error="ignore")
    with pytest.raises(BundleError, match="cannot score a str"):
        scorer.score("leverage=1")


# --------------------------------------------------------------------------- policies
def test_clip_and_allow_policies(bundle):
    clip = scoring.Scorer(with_rule(bundle, "util", out_of_range="clip"))
    assert clip.score(dict(GOOD, util=1.7))["pd"] == clip.score(dict(GOOD, util=1.0))["pd"]
    assert clip.score(dict(GOOD, util=-3.0))["pd"] == clip.score(dict(GOOD, util=0.0))["pd"]
    allow = scoring.Scorer(with_rule(bundle, "util", out_of_range="allow"))
    top_bin = allow.score(dict(GOOD, util=0.999))["pd"]
    assert allow.score(dict(GOOD, util=1.7))["pd"] == top_bin


def test_impute_and_missing_bin_policies(scorer, fitted):
    model, _, _ = fitted
    imputed = scorer.score(dict(GOOD, util=float("nan")))["pd"]
    assert imputed == scorer.score(dict(GOOD, util=0.5))["pd"]
    lev = model.features_[0]
    worst = scorer.score(dict(GOOD, leverage=None))
    assert worst["score"] == pytest.approx(
        scorer.score(dict(GOOD, leverage=-10.0))["score"] - lev["points"][0] + min(lev["points"]))


def test_unknown_category_allowed_goes_to_the_unknown_bin(bundle, fitted):
    model, _, _ = fitted
    lenient = scoring.Scorer(with_rule(bundle, "sector", unknown="allow"))
    sector = model.features_[2]
    got = lenient.score(dict(GOOD, sector="mining"))["score"]
    known = lenient.score(dict(GOOD, sector="retail"))["score"]
    retail_points = sector["points"][sector["binning"]["categories"]["retail"]]
    assert got == pytest.approx(known - retail_points + sector["points"][-1])


def test_category_codes_given_as_numbers_are_labels(bundle):
    content = with_rule(bundle, "sector", categories=["1", "2", "3"])
    model = json.loads(json.dumps(content["model"]))
    model["features"][2]["binning"]["categories"] = {"1": 0, "2": 1, "3": 2}
    coded = scoring.Scorer(reseal(content, model=model))
    two = {k: [v, v] for k, v in GOOD.items()}
    as_int = coded.score({**two, "sector": np.array([2, 3])})
    as_float = coded.score({**two, "sector": np.array([2.0, 3.0])})
    as_text = coded.score({**two, "sector": np.array(["2", "3"])})
    np.testing.assert_array_equal(as_int["pd"], as_text["pd"])
    np.testing.assert_array_equal(as_float["pd"], as_text["pd"])
    assert as_text["pd"][0] != as_text["pd"][1]
    with pytest.raises(BundleError, match="unknown category '2.5'"):
        coded.score({**GOOD, "sector": 2.5})


# --------------------------------------------------------------------------- report mode
def test_report_mode_scores_the_good_and_names_the_bad(scorer, fitted):
    _, X, _ = fitted
    rows = X.head(10).to_dict("records")
    rows[3]["util"] = 5.0
    rows[7]["sector"] = "mining"
    rows[7]["leverage"] = "n/a"
    out = scorer.score(rows, on_error="report")
    assert sorted(out["errors"]) == [3, 7]
    assert out["errors"][3] == ["util: above the allowed max 1.0"]
    assert len(out["errors"][7]) == 2 and any("mining" in m for m in out["errors"][7])
    good = [i for i in range(10) if i not in (3, 7)]
    ref = scorer.score(X.head(10).iloc[good])
    np.testing.assert_array_equal(out["pd"][good], ref["pd"])
    np.testing.assert_array_equal(out["limit"][good], ref["limit"])
    assert list(out["reasons"][good].tolist()) == ref["reasons"].tolist()
    assert np.isnan(out["pd"][[3, 7]]).all() and np.isnan(out["score"][[3, 7]]).all()
    assert out["grade"][3] is None and out["reasons"][7].tolist() == [None, None, None]
    assert len(out["pd"]) == 10  # no record dropped


def test_report_mode_missing_field_and_all_bad(scorer):
    out = scorer.score([{k: v for k, v in GOOD.items() if k != "sector"}] * 2, on_error="report")
    assert out["errors"] == {0: ["sector: missing value"], 1: ["sector: missing value"]}
    assert np.isnan(out["pd"]).all() and list(out["grade"]) == [None, None]


def test_report_mode_names_each_records_own_value(scorer):
    rows = batch_with("sector", "mining", at=1)
    rows[3]["sector"] = "quarry"
    rows[2]["leverage"] = "n/a"
    rows[0]["leverage"] = "high"
    errors = scorer.score(rows, on_error="report")["errors"]
    assert "'mining'" in errors[1][0] and "'quarry'" in errors[3][0]
    assert errors[0] == ["leverage: not a number (str 'high')"]
    assert errors[2] == ["leverage: not a number (str 'n/a')"]


def test_report_mode_all_bad_keeps_the_layout_of_the_kind(scorer):
    out = scorer.score([dict(GOOD, util=3.0)] * 2, on_error="report")
    assert out["reasons"].shape == (2, 3) and out["reasons"].tolist() == [[None] * 3] * 2
    assert np.isnan(out["score"]).all() and np.isnan(out["limit"]).all()
    identity = scoring.Scorer(scoring.seal({
        "schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number", "max": 1.0}],
        "model": {"input": "p"}, "calibration": [], "master_scale": TEST_SCALE}))
    for rows in ([{"p": 2.0}, {"p": 3.0}], [{"p": 2.0}, {"p": 0.5}]):  # no points, reasons, limit
        out = identity.score(rows, on_error="report")
        assert out["score"] is None and out["reasons"] is None and out["limit"] is None
        assert sorted(out["errors"]) == [i for i, r in enumerate(rows) if r["p"] > 1.0]


def test_category_codes_as_numbers_agree_between_predict_proba_and_scorer(fitted):
    model, X, _ = fitted

    class CodedModel(PointsModel):
        def _bundle_inputs(self):
            return [dict(r, categories=["1", "2", "3"]) if r["name"] == "sector" else r
                    for r in super()._bundle_inputs()]

    coded = CodedModel()
    coded.__dict__.update(copy.deepcopy(model.__dict__))
    coded.features_[2]["binning"]["categories"] = {"1": 0, "2": 1, "3": 2}
    codes = X["sector"].map({s: i + 1 for i, s in enumerate(SECTORS)})
    as_text = coded.predict_proba(X.assign(sector=codes.astype(str)))[:, 1]
    scorer = scoring.Scorer(coded.to_bundle())
    for given in (codes, codes.astype(float), codes.astype("Int64")):
        Xc = X.assign(sector=given)
        np.testing.assert_array_equal(coded.predict_proba(Xc)[:, 1], as_text)
        np.testing.assert_array_equal(scorer.score(Xc)["pd"], as_text)
    np.testing.assert_array_equal(as_text, model.predict_proba(X)[:, 1])


def test_report_mode_single_record(scorer):
    ok = scorer.score(GOOD, on_error="report")
    assert ok["errors"] == {} and ok["pd"] == scorer.score(GOOD)["pd"]
    bad = scorer.score(dict(GOOD, util=3.0), on_error="report")
    assert bad["errors"] == {0: ["util: above the allowed max 1.0"]}
    assert np.isnan(bad["pd"]) and bad["grade"] is None


# --------------------------------------------------------------------------- shared pieces
def test_credit_limit_follows_domain_rule(scorer):
    # domain.md §4 (OPPLE rules, doc 002): limit = coefficient × min(current_assets / 2, monthly sales)
    out = scorer.score([dict(GOOD, current_assets=1000.0, monthly_sales=300.0),
                        dict(GOOD, current_assets=400.0, monthly_sales=300.0)])
    coef = {"A": 1.0, "B": 0.6, "C": 0.3, "D": 0.0}
    expected = [coef[out["grade"][0]] * 300.0, coef[out["grade"][1]] * 200.0]
    np.testing.assert_allclose(out["limit"], expected)


def test_grade_of_half_open_bands_and_floor():
    scale = {"grades": ["A", "B", "C"], "upper_bounds": [0.01, 0.1], "floor": 0.02}
    got = scoring.grade_of(scale, np.array([0.0, 0.0099, 0.1, 0.5, np.nan]))
    assert got.tolist() == ["B", "B", "C", "C", None]  # floor lifts PDs below 2 % into B
    no_floor = {"grades": ["A", "B", "C"], "upper_bounds": [0.01, 0.1]}
    assert scoring.grade_of(no_floor, np.array([0.0099, 0.01])).tolist() == ["A", "B"]


def test_calibration_steps_known_answers():
    # the logistic step is Platt's sigmoid 1 / (1 + exp(A f + B)) (J. Platt, "Probabilistic
    # outputs for support vector machines and comparisons to regularized likelihood methods",
    # Advances in Large Margin Classifiers, MIT Press, 1999, eq. 1), with a = -A and b = -B
    x = np.array([-1.0, 0.0, 2.0, 5.0])
    # interp: piecewise linear, flat beyond the ends
    got = scoring.apply_calibration([{"method": "interp", "x": [0.0, 2.0], "y": [0.1, 0.3]}], x)
    np.testing.assert_allclose(got, [0.1, 0.1, 0.3, 0.3])
    # logistic: 1 / (1 + e^-(a x + b)); at a x + b = ln 3 the PD is 3/4
    got = scoring.apply_calibration([{"method": "logistic", "a": 1.0, "b": np.log(3.0)}], np.array([0.0]))
    np.testing.assert_allclose(got, [0.75])
    # logit shift by ln 2 doubles the odds: 0.2 (odds 1/4) -> odds 1/2 -> 1/3
    got = scoring.apply_calibration([{"method": "logit_shift", "delta": np.log(2.0)}], np.array([0.2]))
    np.testing.assert_allclose(got, [1 / 3])
    with pytest.raises(BundleError, match="unknown calibration method 'spline'"):
        scoring.apply_calibration([{"method": "spline"}], x)


@pytest.mark.parametrize("n_edges", [1, 5, 64, 65, 200])
def test_edge_counts_equal_a_binary_search(n_edges):
    # few edges: one comparison pass per edge; many: searchsorted; both the same counts
    rng = np.random.default_rng(n_edges)
    edges = np.unique(rng.normal(size=n_edges).round(2))
    x = np.concatenate([rng.normal(size=500), edges, np.nextafter(edges, -np.inf), [-0.0, 0.0, np.inf, -np.inf]])
    np.testing.assert_array_equal(scoring.count_at_or_below(edges, x), np.searchsorted(edges, x, side="right"))
    binning = {"type": "numeric", "edges": edges.tolist(), "missing_bin": len(edges) + 1}
    idx = scoring.bin_index(binning, np.append(x, np.nan))
    assert idx.dtype == np.int64 and idx[-1] == len(edges) + 1
    np.testing.assert_array_equal(idx[:-1], np.searchsorted(edges, x, side="right"))


def test_grade_index_and_labels_agree():
    pds = np.array([0.0, 0.0299, 0.03, 0.2, 1.0, np.nan])
    assert scoring.grade_index(TEST_SCALE, pds).tolist() == [0, 0, 0, 2, 3, -1]
    assert scoring.grade_of(TEST_SCALE, pds).tolist() == ["A", "A", "A", "C", "D", None]


@pytest.mark.parametrize("rule", [
    {"coefficients": {"A": 1.0, "B": 0.6}, "current_assets": "ca", "monthly_sales": "ms"},
    {"basis": "score", "bands": [[90.0, 1.0], [50.0, 0.5], [0.0, 0.0]], "current_assets": "ca",
     "monthly_sales": "ms", "ratio_cap": 2.0, "reference": None, "reference_cap": False, "default_grade": "D"}])
def test_credit_limit_by_grade_codes_equals_by_labels(rule):
    rng = np.random.default_rng(2)
    labels = ["A", "B", "C", "D"]
    index = rng.integers(-1, 4, size=200)
    grades = np.asarray(labels + [None], dtype=object)[index]
    cols = {"ca": rng.uniform(0, 500, size=200), "ms": np.where(index == 2, 0.0, rng.uniform(0, 300, size=200))}
    score = rng.uniform(-10, 110, size=200)
    score[::17] = np.nan
    by_labels = scoring.credit_limit(rule, grades, cols, score)
    by_codes = scoring.credit_limit(rule, grades, cols, score, grade_codes=(index, labels))
    assert by_codes.tobytes() == by_labels.tobytes()
    assert np.isnan(by_labels[index < 0]).all() and (by_labels[(index == 3) & ~np.isnan(score)] == 0).all()
    assert (by_labels[(index >= 0) & (index < 2) & ~np.isnan(score) & (score >= 50)] > 0).any()


def test_credit_limit_caps_an_overflowing_ratio_without_a_warning():
    # 002 五.4: coefficient x monthly sales x min(current assets / monthly sales, cap) / 2,
    # bounded by the monthly sales and half the current assets
    rule = {"basis": "score", "bands": [[0.0, 1.0]], "ratio_cap": 2.0, "current_assets": "ca", "monthly_sales": "ms"}
    cols = {"ca": np.array([1e300, 100.0]), "ms": np.array([1e-300, 80.0])}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        limit = scoring.credit_limit(rule, np.array(["A", "A"], dtype=object), cols, basis=np.array([50.0, 50.0]))
    assert limit.tolist() == [1e-300, 50.0]  # 1e-300 x 1 x 2 / 2; 80 x 1 x min(1.25, 2) / 2


def test_bin_index_missing_special_and_unknown_bins():
    numeric = {"type": "numeric", "edges": [0.0, 10.0], "missing_bin": 3, "special_bins": {"-99": 4}}
    got = scoring.bin_index(numeric, np.array([-1.0, 0.0, 9.99, 10.0, np.nan, -99.0]))
    assert got.tolist() == [0, 1, 1, 2, 3, 4]
    compiled = scoring.compile_binnings({"b": numeric})["b"]
    assert scoring.bin_index(compiled, np.array([-1.0, np.nan, -99.0])).tolist() == [0, 3, 4]
    cat = {"type": "categorical", "categories": {"a": 0, "b": 1}, "missing_bin": 2}
    labels = np.array(["a", "b", None, "z"], dtype=object)
    assert scoring.bin_index(cat, labels).tolist() == [0, 1, 2, -1]
    assert scoring.bin_index(scoring.compile_binnings(cat), labels).tolist() == [0, 1, 2, -1]


def test_top_reasons_match_a_stable_sort():
    rng = np.random.default_rng(5)
    contributions = rng.integers(0, 4, size=(500, 6)).astype(float)
    contributions[rng.uniform(size=contributions.shape) < 0.05] = np.nan
    names = ["a", "b", "c", "d", "e", "f"]
    for k in (1, 3, 6, 9):
        order = np.argsort(-np.nan_to_num(contributions, nan=-1.0), axis=1, kind="stable")
        expected = np.asarray(names)[order[:, :min(k, 6)]]
        np.testing.assert_array_equal(scoring.top_reasons(contributions, names, k), expected)


def test_reason_order_equals_numpy_stable_sort_with_nan_infinities_and_work_space():
    """The k passes of ``reason_order`` against numpy's stable argsort of each row (NaN and
    -inf count as the smallest float; ties to the feature listed first), on records spanning
    several blocks, with the points lost as the kernels give them (Fortran order) and not, and
    used as work space (``overwrite``) or left unchanged."""
    rng = np.random.default_rng(11)
    smallest = np.finfo(float).min
    values = np.array([0.0, 1.0, 2.0, 2.0, 7.5, np.nan, -np.inf, np.inf, smallest, -3.0])
    for n, f, k in ((200_000, 3, 2), (40_000, 16, 3), (5, 300, 4), (1000, 1, 3), (7, 5, 5)):
        lost = rng.choice(values, size=(n, f), p=[0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.03, 0.02, 0.05])
        lost[: n // 10] = rng.choice([np.nan, -np.inf, smallest], size=(n // 10, f))  # nothing lost above
        order = np.argsort(-np.fmax(lost, smallest), axis=1, kind="stable")[:, :min(k, f)].T
        for layout in ("C", "F"):
            given = np.array(lost, order=layout)
            kept = given.copy()
            np.testing.assert_array_equal(scoring.reason_order(given, k), order)
            np.testing.assert_array_equal(given, kept)  # not overwritten unless allowed
            np.testing.assert_array_equal(scoring.reason_order(given, k, overwrite=True), order)


def test_reasons_picked_per_combination_of_bins_equal_a_stable_sort_per_record():
    """A logistic bundle scored on more records than 4x its combinations of bins picks the
    reasons once per combination (``contribution_rows``); each record's reasons must still be
    a stable descending sort of its own points lost (ties: the feature listed first)."""
    features = [
        {"name": "x", "binning": {"type": "numeric", "edges": [0.0, 1.0], "missing_bin": 3},
         "woe": [0.5, 0.0, -0.5, 0.1], "coef": 1.0, "points": [10.0, 20.0, 30.0, 20.0], "best_points": 30.0},
        {"name": "c", "binning": {"type": "categorical", "categories": {"a": 0, "b": 1}, "unknown_bin": 2},
         "woe": [0.2, -0.2, 0.0], "coef": 1.0, "points": [5.0, 15.0, 25.0], "best_points": 25.0},
        {"name": "y", "binning": {"type": "numeric", "edges": [2.0]},
         "woe": [0.3, -0.3], "coef": 1.0, "points": [0.0, 20.0], "best_points": 20.0},
    ]
    bundle = scoring.seal({
        "schema_version": 1, "kind": "logistic", "name": "keyed",
        "inputs": [{"name": "x", "type": "number", "missing": "allow"},
                   {"name": "c", "type": "category", "categories": ["a", "b"], "unknown": "allow"},
                   {"name": "y", "type": "number"}],
        "model": {"intercept": -2.0, "base_points": 100.0, "features": features},
        "calibration": [], "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.1, 1.0]}})
    rng = np.random.default_rng(3)
    n = 500  # 4 x 3 x 2 = 24 combinations: keyed from 96 records on
    records = {"x": rng.choice([-1.0, 0.5, 2.0, np.nan], n), "c": rng.choice(["a", "b", "z"], n).astype(object),
               "y": rng.choice([1.0, 3.0], n)}
    scorer = scoring.Scorer(bundle, n_reasons=3)
    cols, _ = scoring.prepare_inputs(bundle["inputs"], records)
    out = scoring.evaluate(bundle, cols, validate=False)
    table, key = out["contribution_rows"]
    np.testing.assert_array_equal(table[key], out["contributions"])
    lost = out["contributions"]
    assert len({tuple(r) for r in lost}) > 10 and (lost[:, :, None] == lost[:, None, :]).sum() > 3 * n  # ties
    expected = np.asarray(["x", "c", "y"])[np.argsort(-lost, axis=1, kind="stable")]
    np.testing.assert_array_equal(scorer.score(records)["reasons"], expected)
    few = {k: v[:20] for k, v in records.items()}  # fewer records than 4x the combinations: per record
    assert scoring.evaluate(bundle, scoring.prepare_inputs(bundle["inputs"], few)[0],
                            validate=False)["contribution_rows"] is None
    np.testing.assert_array_equal(scorer.score(few)["reasons"], expected[:20])
    # the sums taken once per combination give the bits of the per-record sums
    keyed = scorer.score(records)
    chunks = [scorer.score({k: v[a:a + 20] for k, v in records.items()}) for a in range(0, n, 20)]
    for field in ("pd", "score"):
        np.testing.assert_array_equal(keyed[field], np.concatenate([c[field] for c in chunks]))
    np.testing.assert_array_equal(out["contributions"], np.concatenate(
        [scoring.evaluate(bundle, scoring.prepare_inputs(bundle["inputs"], {k: v[a:a + 20] for k, v in
                                                                           records.items()})[0],
                          validate=False)["contributions"] for a in range(0, n, 20)]))


def test_reasons_name_the_costliest_features(fitted, bundle):
    _, X, _ = fitted
    scorer = scoring.Scorer(bundle, n_reasons=2)
    out = scorer.score(X.head(50))
    assert out["reasons"].shape == (50, 2)
    lost = {r[0] for r in out["reasons"]}
    assert lost <= {"leverage", "util", "sector"} and len(lost) > 1


def test_example_record_is_valid(scorer):
    example = scorer.example()
    assert set(example) == set(scorer.input_names)
    assert 0.0 <= scorer.score(example)["pd"] <= 1.0


# --------------------------------------------------------------------------- numpy only
def test_scoring_imports_numpy_and_the_standard_library_only():
    code = textwrap.dedent("""
        import sys
        import riskmodels.scoring
        heavy = [m for m in ("pandas", "scipy", "sklearn", "statsmodels", "mlflow", "pyspark",
                             "dask", "matplotlib", "pydantic", "yaml") if m in sys.modules]
        print(",".join(heavy))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parent.parent)
    assert done.stdout.strip() == ""


def test_copied_scoring_file_scores_alone(tmp_path, fitted):
    shutil.copy(Path(scoring.__file__), tmp_path / "scoring.py")
    model, X, _ = fitted
    content = {"schema_version": 1, "kind": "identity", "name": "copy",
               "inputs": [{"name": "p", "type": "number", "min": 0.0, "max": 1.0},
                          {"name": "current_assets", "type": "number"},
                          {"name": "monthly_sales", "type": "number"}],
               "model": {"input": "p"}, "calibration": [{"method": "logit_shift", "delta": 0.4}],
               "master_scale": TEST_SCALE,
               "credit_limit": model._credit_limit(), "metadata": {}}
    (tmp_path / "bundle.json").write_bytes(scoring.dumps_bundle(content))
    records = {"p": [0.01, 0.2], "current_assets": [100.0, 800.0], "monthly_sales": [90.0, 30.0]}
    (tmp_path / "records.json").write_text(json.dumps(records))
    code = textwrap.dedent("""
        import json, sys
        sys.modules["riskmodels"] = None  # as if the package were not installed
        sys.path.insert(0, ".")
        import scoring
        assert scoring.__file__.endswith("scoring.py") and "pandas" not in sys.modules
        assert not any(m.startswith("riskmodels.") for m in sys.modules)
        out = scoring.load_scorer("bundle.json").score(json.load(open("records.json")))
        try:
            scoring.load_scorer("bundle.json").score({"p": 2.0, "current_assets": 1.0,
                                                       "monthly_sales": 1.0})
        except scoring.BundleError as exc:
            err = str(exc)
        print(json.dumps({"pd": out["pd"].tolist(), "grade": out["grade"].tolist(),
                          "limit": out["limit"].tolist(), "error": err}))
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    ref = scoring.Scorer(scoring.seal(content)).score(records)
    assert got["pd"] == ref["pd"].tolist()
    assert got["grade"] == ref["grade"].tolist() and got["limit"] == ref["limit"].tolist()
    assert "above the allowed max 1.0" in got["error"]


# --------------------------------------------------------------------------- categorical codes
def _coded_forms(values: list) -> dict:
    """The same category column as plain objects and in every coded form the scorer reads."""
    import pyarrow as pa

    arrow = pa.array(values, type=pa.string())
    return {
        "pandas categorical": pd.Series(pd.Categorical(values)),
        "pandas Categorical array": pd.Categorical(values),
        "Arrow dictionary": arrow.dictionary_encode(),
        "Arrow chunked dictionary": pa.chunked_array([arrow[:3].dictionary_encode(),
                                                      arrow[3:].dictionary_encode()]),
        "Arrow strings": arrow,
        "pandas Arrow strings": pd.Series(values, dtype=pd.ArrowDtype(pa.string())),
        "pandas string[pyarrow]": pd.Series(values, dtype="string[pyarrow]"),
    }


@pytest.mark.parametrize("missing, unknown", [("error", "error"), ("allow", "allow"),
                                              ("impute", "allow"), ("allow", "error")])
def test_coded_categories_score_exactly_as_plain_labels(bundle, missing, unknown):
    # unknown ("mining"), missing (None) and known categories, in raise and report mode
    content = with_rule(bundle, "sector", missing=missing, unknown=unknown, fill="retail")
    scorer = scoring.Scorer(content)
    sectors = ["retail", None, "mining", "trade", "retail", "manufacturing", None, "mining"]
    n = len(sectors)
    rng = np.random.default_rng(3)
    base = {"leverage": rng.normal(size=n), "util": rng.uniform(size=n),
            "current_assets": np.full(n, 500.0), "monthly_sales": np.full(n, 100.0)}
    plain = {**base, "sector": np.array(sectors, dtype=object)}
    ref = scorer.score(plain, on_error="report")
    for form, column in _coded_forms(sectors).items():
        coded = scoring.as_columns({"sector": column})[0]["sector"]
        assert coded.codes is not None, form  # the fast path is the one under test
        out = scorer.score({**base, "sector": column}, on_error="report")
        assert out["errors"] == ref["errors"], form
        for key in ("pd", "score", "limit"):
            np.testing.assert_array_equal(out[key], ref[key], err_msg=form)
        assert out["grade"].tolist() == ref["grade"].tolist(), form
        assert out["reasons"].tolist() == ref["reasons"].tolist(), form
        if ref["errors"]:
            with pytest.raises(BundleError) as plain_error:
                scorer.score(plain)
            with pytest.raises(BundleError) as coded_error:
                scorer.score({**base, "sector": column})
            assert str(coded_error.value) == str(plain_error.value), form
    # the policies really differ: errors exactly where the rules say so
    expected = {i for i, s in enumerate(sectors) if (s is None and missing == "error")
                or (s == "mining" and unknown == "error")}
    assert set(ref["errors"]) == expected


def test_coded_categories_with_number_codes_use_the_label_rule(bundle):
    # a categorical of float codes (3.0) reads as the labels "1", "2", "3" like plain numbers
    content = with_rule(bundle, "sector", categories=["1", "2", "3"])
    model = json.loads(json.dumps(content["model"]))
    model["features"][2]["binning"]["categories"] = {"1": 0, "2": 1, "3": 2}
    coded = scoring.Scorer(reseal(content, model=model))
    codes = [2.0, 3.0, 1.0, 3.0]
    n = len(codes)
    base = {k: np.full(n, v) for k, v in GOOD.items() if k != "sector"}
    plain = coded.score({**base, "sector": np.array(codes)})
    as_cat = coded.score({**base, "sector": pd.Series(pd.Categorical(codes))})
    np.testing.assert_array_equal(as_cat["pd"], plain["pd"])
    assert as_cat["reasons"].tolist() == plain["reasons"].tolist()


def test_coded_labels_subsets_keep_codes_and_derived_arrays_drop_them():
    coded = scoring.CodedLabels.from_codes(np.array(["a", "b"], dtype=object), np.array([1, -1, 0, 1]))
    kept = scoring._take(coded, np.array([True, False, True, True]))
    assert kept.tolist() == ["b", "a", "b"] and kept.codes.tolist() == [1, 0, 1]
    assert scoring.CodedLabels.from_codes(np.array(["a"], dtype=object), np.array([-3, 0])).tolist() == [None, "a"]
    assert type(coded[1:]) is np.ndarray and type(np.equal(coded, None)) is np.ndarray
    assert (coded != "b").tolist() == [False, True, True, False] and len(coded) == 4
    assert not np.asarray(coded).flags.writeable  # the one copy of the labels is shared
    binning = {"type": "categorical", "categories": {"a": 0, "b": 1}, "missing_bin": 2}
    assert scoring.bin_index(binning, coded).tolist() == scoring.bin_index(
        binning, np.asarray(coded).copy()).tolist() == [1, 2, 0, 1]


def test_scorer_converts_only_the_bundle_inputs(scorer, fitted):
    _, X, _ = fitted
    head = X.head(5)
    extra = head.assign(notes=pd.Series(["x"] * 5, dtype=object))
    cols, _ = scoring.as_columns(extra, scorer.input_names)
    assert "notes" not in cols and set(cols) == set(scorer.input_names)
    np.testing.assert_array_equal(scorer.score(extra)["pd"], scorer.score(head)["pd"])


def test_expert_categorical_answers_by_codes_equal_plain_labels():
    from riskmodels.scorecards import CardEngine

    card = CardEngine.from_spec("enterprise_five_aspect")
    record = scoring.example_record(card.rules)
    names = [r["name"] for r in card.rules if r["type"] == "category"]
    allowed = {r["name"]: r.get("categories") or [record[r["name"]]] for r in card.rules}
    rng = np.random.default_rng(5)
    n = 60
    frame = pd.DataFrame({k: np.full(n, v) for k, v in record.items() if k not in names})
    for name in names:  # every answer of each categorical indicator, in random order
        frame[name] = rng.choice(allowed[name], size=n)
    plain = scoring.prepare_inputs(card.rules, {k: frame[k].to_numpy(dtype=object) if k in names
                                                else frame[k].to_numpy() for k in frame})[0]
    coded = scoring.prepare_inputs(card.rules, scoring.as_columns(frame.astype({k: "category" for k in names}))[0])[0]
    assert all(coded[k].codes is not None for k in names)
    ours = scoring.KERNELS["expert"](card.compiled, coded, n)
    ref = scoring.KERNELS["expert"](card.compiled, plain, n)
    np.testing.assert_array_equal(ours["points"], ref["points"])
    np.testing.assert_array_equal(ours["extra"]["grade_after"], ref["extra"]["grade_after"])
    assert len(set(ref["points"].tolist())) > 1


def test_a_pd_that_is_nan_or_outside_0_1_is_raised_or_reported_for_any_kind():
    # an identity bundle passes its input through: the PD check sits after every kernel
    content = {"kind": "identity", "inputs": [{"name": "p", "type": "number", "missing": "allow"}],
               "model": {"input": "p"}, "calibration": [],
               "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    p = np.array([0.1, 1.5, np.nan, -0.2, 1.0])
    with pytest.raises(scoring.InvalidPDError, match=r"3 record\(s\) \[1, 2, 3\]"):
        scoring.evaluate(content, {"p": p}, validate=False)
    found: dict = {}
    out = scoring.evaluate(content, {"p": p}, validate=False, errors=found)
    assert sorted(found) == [1, 2, 3] and "1.5" in found[1][0]
    assert out["pd"][0] == 0.1 and out["pd"][4] == 1.0


def test_an_absent_input_of_one_value_is_read_not_copied_and_outputs_stay_writable():
    # an absent field that every record takes one value of (imputed, or NaN where missing is
    # allowed) is one value in memory; what comes out is a fresh array all the same
    rules = [{"name": "p", "type": "number", "missing": "impute", "fill": 0.02},
             {"name": "q", "type": "number", "missing": "allow"}, {"name": "x", "type": "number"}]
    cols, n = scoring.prepare_inputs(rules, {"x": np.arange(4.0)})
    assert n == 4 and cols["p"].tolist() == [0.02] * 4 and np.isnan(cols["q"]).all()
    assert cols["p"].strides == (0,) and not cols["p"].flags.writeable
    scorer = scoring.Scorer(scoring.seal({
        "schema_version": 1, "kind": "identity", "name": "absent", "inputs": rules, "model": {"input": "p"},
        "calibration": [], "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}))
    for mode in ("raise", "report"):
        out = scorer.score({"x": [1.0, 2.0, 3.0]}, on_error=mode)
        assert out["pd"].tolist() == [0.02] * 3 and out["grade"].tolist() == ["A"] * 3
        assert out["pd"].flags.writeable and out["pd"].strides == (8,)


def test_single_record_fast_path_takes_allowed_missing_values_like_the_batch_path(bundle):
    # leverage allows missing (its missing bin); an absent optional field reads as missing too
    rules = [dict(r, required=False, outside_training="allow") if r["name"] in ("leverage", "util") else r
             for r in bundle["inputs"]]
    lenient = scoring.Scorer(reseal(bundle, inputs=rules))
    for record in (dict(GOOD, leverage=None), dict(GOOD, leverage=float("nan")),
                   {k: v for k, v in GOOD.items() if k != "leverage"}):
        assert scoring._record_values(lenient._rules, record) is not None
        single = lenient.score(record)
        batch = lenient.score([record, GOOD])
        assert single["pd"] == batch["pd"][0] and single["reasons"] == batch["reasons"][0].tolist()
    # util imputes its fill (0.5): the same numbers as the checked path, and as util=0.5
    for record in (dict(GOOD, util=None), dict(GOOD, util=float("nan"))):
        assert scoring._record_values(lenient._rules, record) is not None
        assert lenient.score(record)["pd"] == lenient.score([record, GOOD])["pd"][0] == \
            lenient.score(dict(GOOD, util=0.5))["pd"]
    # missing where the rule says error still goes to the checked path and raises
    assert scoring._record_values(lenient._rules, dict(GOOD, sector=None)) is None
    with pytest.raises(BundleError, match="sector"):
        lenient.score(dict(GOOD, sector=None))


def test_one_value_interpolation_equals_numpy_bit_for_bit():
    # the one-record expert path interpolates in Python: the same bits as np.interp, at and
    # around the points, beyond both ends, on flat and steep pieces and for NaN
    rng = np.random.default_rng(8)
    for _ in range(20):
        xp = np.unique(rng.normal(size=int(rng.integers(2, 9))) * 10.0 ** rng.integers(-3, 9))
        fp = rng.choice([0.0, 1.0, 2.5], size=len(xp)) if rng.uniform() < 0.3 else rng.uniform(-5, 5, size=len(xp))
        span = xp[-1] - xp[0] + 1.0
        x = np.concatenate([rng.uniform(xp[0] - span, xp[-1] + span, 2000), xp,
                            np.nextafter(xp, np.inf), np.nextafter(xp, -np.inf), [np.nan]])
        ref = np.interp(x, xp, fp)
        got = np.array([scoring._interp_one(v, xp.tolist(), fp.tolist()) for v in x.tolist()])
        assert got.tobytes() == ref.tobytes()


@pytest.mark.parametrize("rule, fill_ok", [
    ({"missing": "allow", "min": 0.0}, True),
    ({"missing": "impute", "fill": 0.5, "min": 0.0, "max": 1.0}, True),
    ({"missing": "impute", "fill": -2.0, "min": 0.0, "out_of_range": "clip"}, True),
    ({"missing": "impute", "fill": 3.0, "max": 1.0, "out_of_range": "allow"}, True),
    ({"missing": "impute", "fill": -2.0, "min": 0.0}, False),
    ({"missing": "error"}, False),
])
def test_absent_optional_number_equals_a_column_of_missing_values(rule, fill_ok):
    """An optional number field not given at all takes the one value its rules give a missing
    value (prepared without a pass per record); the same rules hold as for a column of NaN."""
    rules = [{"name": "x", "type": "number", "required": False, **rule},
             {"name": "y", "type": "number"}]
    given = {"y": np.array([1.0, 2.0, 3.0])}
    if not fill_ok:
        with pytest.raises(BundleError, match="field 'x'"):
            scoring.prepare_inputs(rules, given)
        absent, full = {}, {}
        scoring.prepare_inputs(rules, given, absent)
        scoring.prepare_inputs(rules, {**given, "x": np.full(3, np.nan)}, full)
        assert absent == full and sorted(absent) == [0, 1, 2]
        return
    absent, n = scoring.prepare_inputs(rules, given)
    full, _ = scoring.prepare_inputs(rules, {**given, "x": np.full(3, np.nan)})
    assert n == 3 and absent["x"].dtype == np.float64
    np.testing.assert_array_equal(absent["x"], full["x"])


def test_unbounded_number_column_with_huge_values_is_not_taken_for_infinite():
    """Finite values whose squares overflow still pass; a real inf or NaN is still caught."""
    rules = [{"name": "x", "type": "number"}]
    huge = np.array([1e200, -1e200, 5.0])
    np.testing.assert_array_equal(scoring.prepare_inputs(rules, {"x": huge})[0]["x"], huge)
    with pytest.raises(BundleError, match="field 'x': infinite value at record\\(s\\) \\[1\\]"):
        scoring.prepare_inputs(rules, {"x": np.array([1e200, np.inf, 1.0])})
    with pytest.raises(BundleError, match="field 'x': missing value at record\\(s\\) \\[2\\]"):
        scoring.prepare_inputs(rules, {"x": np.array([1e200, 1.0, np.nan])})


@pytest.mark.parametrize("missing", ["error", "impute"])
def test_an_infinite_value_is_reported_once_not_also_as_missing(missing):
    """An infinite input is refused as "infinite value" alone, as the SQL export's error column
    gives it; before, report mode listed it as a missing value too (or flagged it as a missing
    value the development sample never had)."""
    bundle = scoring.seal({
        "schema_version": 1, "kind": "identity", "name": "inf",
        "inputs": [{"name": "x", "type": "number", "min": 0.0, "max": 1.0, "missing": missing, "fill": 0.5,
                    "train_missing": False, "outside_training": "warn"}],
        "model": {"input": "x"}, "calibration": [],
        "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    out = scoring.Scorer(bundle).score({"x": [0.2, np.inf, np.nan, -np.inf]}, on_error="report")
    assert out["errors"][1] == ["x: infinite value"] and out["errors"][3] == ["x: infinite value"]
    if missing == "error":
        assert out["errors"][2] == ["x: missing value"] and out["warnings"] == {}
    else:
        assert sorted(out["errors"]) == [1, 3]
        assert out["warnings"] == {2: ["x: missing value, none in the development sample"]}
    single = scoring.Scorer(bundle).score({"x": np.inf}, on_error="report")
    assert single["errors"] == {0: ["x: infinite value"]}


@pytest.mark.parametrize("where", [0, 131_071, 131_072, 299_999])
def test_long_number_column_finds_a_value_in_any_part(where):
    """A column longer than the part its min and max are read in (131,072 values): a value
    outside the bounds or a missing value anywhere is reported at its record, as the rules
    say; a clean column passes unchanged."""
    rules = [{"name": "x", "type": "number", "min": 0.0, "max": 10.0, "train_min": 1.0, "train_max": 9.0,
              "train_missing": False, "outside_training": "warn"}]
    clean = np.linspace(1.0, 9.0, 300_000)
    np.testing.assert_array_equal(scoring.prepare_inputs(rules, {"x": clean})[0]["x"], clean)
    for value, error, warning in [(11.0, "x: above the allowed max 10.0", None),
                                  (np.nan, "x: missing value", None),
                                  (9.5, None, "x: 9.5 above the development sample's max 9.0"),
                                  (0.5, None, "x: 0.5 below the development sample's min 1.0")]:
        x = clean.copy()
        x[where] = value
        errors, flagged = {}, {}
        scoring.prepare_inputs(rules, {"x": x}, errors, flagged)
        assert errors == ({where: [error]} if error else {})
        assert flagged == ({where: [warning]} if warning else {})
