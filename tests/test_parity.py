"""Parity of every model kind: bundle scorer == predict_proba == MLflow pyfunc == Spark.

Each kind is fitted as the synthetic-enterprise experiment configures it
(the shipped synthetic_enterprise experiment), on a small synthetic portfolio.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest

from riskmodels import scoring
from riskmodels.comparison.config import load_config
from riskmodels.comparison.dataset import load_dataset, split_frame
from riskmodels.comparison.runner import _model_class

CONFIG = "synthetic_enterprise"  # the shipped experiment, by name
KINDS = ("expert", "logistic", "kmv", "crosstab")


@pytest.fixture(scope="module")
def fitted():
    cfg = load_config(CONFIG)
    cfg.data.params.update({"n_firms": 400, "n_years": 4})
    frame = load_dataset(cfg.data, random_state=0)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    excluded = {"target", *cfg.data.id_columns, cfg.data.truth_column}
    out = {}
    for m in cfg.models:
        features = list(m.features) if m.features else [c for c in frame.columns if c not in excluded]
        est = _model_class(m.type)(**m.params).fit(train[features], train["target"])
        out[m.type] = (est, test[features].reset_index(drop=True))
    return out


@pytest.mark.parametrize("kind", KINDS)
def test_bundle_scorer_equals_predict_proba(fitted, kind, tmp_path):
    est, X = fitted[kind]
    path = est.export(tmp_path / f"{kind}.json")
    scorer = scoring.load_scorer(path)
    assert scorer.kind == kind
    got = scorer.score(X)["pd"]
    expected = est.predict_proba(X)[:, 1]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert np.isfinite(got).all() and len(np.unique(got)) > 1
    one = scorer.score(X.iloc[0].to_dict())
    assert abs(one["pd"] - expected[0]) <= 1e-12


def test_pyfunc_equals_predict_proba_for_every_kind(fitted, tmp_path):
    import mlflow

    from riskmodels.export import pyfunc_input, to_mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    mlflow.set_experiment(experiment_id=mlflow.create_experiment(
        "parity", artifact_location=(tmp_path / "artifacts").as_uri()))
    try:
        with mlflow.start_run():
            for kind in KINDS:
                est, X = fitted[kind]
                bundle = est.to_bundle()
                info = to_mlflow(bundle, name=f"scorer-{kind}", input_example=X.head(2))
                got = mlflow.pyfunc.load_model(info.model_uri).predict(pyfunc_input(X, bundle))
                np.testing.assert_allclose(got["pd"].to_numpy(), est.predict_proba(X)[:, 1],
                                           rtol=0, atol=1e-12, err_msg=kind)
    finally:
        mlflow.set_tracking_uri(None)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_spark_equals_local_scorer_for_every_kind(fitted):
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    from pyspark.sql import SparkSession

    from riskmodels.export.spark import score_dataframe

    spark = (SparkSession.builder.master("local[2]").appName("riskmodels-parity")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for kind in KINDS:
            est, X = fitted[kind]
            bundle = est.to_bundle()
            frame = X.assign(row_id=np.arange(len(X)))
            out = score_dataframe(spark.createDataFrame(frame), bundle).toPandas()
            out = out.sort_values("row_id").reset_index(drop=True)
            local = scoring.Scorer(bundle).score(X)
            np.testing.assert_allclose(out["pd"].to_numpy(), local["pd"], rtol=0, atol=1e-12,
                                       err_msg=kind)
            assert out["grade"].tolist() == pd.Series(local["grade"]).tolist()
    finally:
        spark.stop()


# --------------------------------------------------------------------------- one record
def _same_bits(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return type(a) is type(b) and a == b


def _outcome(call):
    try:
        return "scored", call()
    except scoring.BundleError as exc:
        return type(exc).__name__, str(exc)


def _odd_records(bundle: dict, X: pd.DataFrame, n: int, seed: int) -> list[dict]:
    """Records of X with values moved onto bin edges, just below them, to missing, to an unknown
    category, to the wrong type, to infinity, out of range or away: both paths must agree."""
    rng = np.random.default_rng(seed)
    edges = {}
    model = bundle["model"]
    for name, binning in ([(f["name"], f["binning"]) for f in model.get("features", [])]
                          + list(zip(model.get("factors", []), model.get("bins", []), strict=True))):
        edges[name] = binning.get("edges") or []
    for ind in model.get("indicators", []):  # an expert card's curve and step points
        for name in ind["inputs"]:
            edges[name] = ind.get("x") or ind.get("thresholds") or []
    for cap in model.get("caps", []):
        if cap["input"] is not None and cap["op"] != "in":
            edges[cap["input"]] = [cap["value"]]
    records = []
    share = min(0.5, 2.0 / len(bundle["inputs"]))  # about two odd values per record at most
    for i in rng.integers(0, len(X), size=n):
        record = X.iloc[int(i)].to_dict()
        for rule in bundle["inputs"]:
            name, roll = rule["name"], rng.uniform()
            if roll > share:
                continue
            roll = roll / share
            if rule["type"] == "number":
                cut = edges.get(name) or [0.0]
                edge = float(cut[rng.integers(len(cut))])
                record[name] = [edge, float(np.nextafter(edge, -np.inf)), float(np.nextafter(edge, np.inf)),
                                float("nan"), None, int(round(edge)), float("inf"), "1.5", True,
                                -1e300, 1e300][int(rng.integers(11))]
            else:
                known = rule.get("categories") or ["x"]
                record[name] = [known[int(rng.integers(len(known)))], "no such answer", None, 3,
                                float("nan")][int(rng.integers(5))]
            if roll > 0.97:
                record.pop(name)
        records.append(record)
    return records


@pytest.mark.parametrize("kind", ["logistic", "crosstab", "expert"])
def test_one_record_fast_path_equals_the_batch_path_bit_for_bit(fitted, kind):
    est, X = fitted[kind]
    bundle = est.to_bundle()
    lenient = [dict(r, missing="allow", unknown="allow", outside_training="allow") for r in bundle["inputs"]]
    for content in (bundle, scoring.seal({**bundle, "inputs": lenient})):
        scorer = scoring.Scorer(content)
        fast = 0
        for record in _odd_records(content, X, 400, seed=len(content["inputs"])):
            values = scoring._record_values(scorer._rules, record)
            fast += values is not None and scorer._one(values, scorer.n_reasons) is not None
            for mode in ("raise", "report"):
                single = _outcome(lambda s=scorer, r=record, m=mode: s.score(r, on_error=m))
                batch = _outcome(lambda s=scorer, r=record, m=mode: scoring._single(s.score([r], on_error=m)))
                assert single[0] == batch[0], (record, single, batch)
                if single[0] != "scored":
                    assert single[1] == batch[1]  # the same error, word for word
                    continue
                assert single[1].keys() == batch[1].keys()
                for key, value in single[1].items():
                    expected = batch[1][key]
                    same = (value == expected if key in ("reasons", "errors", "warnings") or value is None
                            else _same_bits(value, expected))
                    assert same, (kind, key, record, value, expected)
        # the pure-Python path is the one under test (with the training ranges flagged, the odd
        # values outside them take the checked path)
        assert fast > (20 if content is bundle else 50)


def _same_arrays(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    return a.tobytes() == b.tobytes() if a.dtype.kind == "f" else a.tolist() == b.tolist()


@pytest.mark.parametrize("policy", ["warn", "allow"])
@pytest.mark.parametrize("kind", KINDS)
def test_one_row_frame_fast_path_equals_the_columnar_path(fitted, kind, policy, monkeypatch):
    # a one-row DataFrame (what MLflow serving passes) skips the array checks when its row is
    # clean: the same keys, dtypes, shapes, bits, errors and warnings as the checked columnar path
    est, X = fitted[kind]
    bundle = est.to_bundle(outside_training=policy)
    scorer = scoring.Scorer(bundle)
    categories = [r["name"] for r in bundle["inputs"] if r["type"] == "category" and r["name"] in X]
    frames = []
    for i, record in enumerate(_odd_records(bundle, X, 150, seed=7)):
        one = pd.DataFrame([record])
        if categories and i % 2:  # categorical answers as pandas categoricals
            one = one.astype({c: "category" for c in categories if c in one})
        frames.append(one)
    fast = sum(scoring._record_values(scorer._rules, scoring._frame_row(one)) is not None for one in frames)
    modes = ("raise", "report")
    got = [_outcome(lambda o=one, m=mode: scorer.score(o, on_error=m)) for one in frames for mode in modes]
    monkeypatch.setattr(scoring, "_frame_row", lambda records: None)  # the columnar path only
    ref = [_outcome(lambda o=one, m=mode: scorer.score(o, on_error=m)) for one in frames for mode in modes]
    for (status, out), (ref_status, expected) in zip(got, ref, strict=True):
        assert status == ref_status, (out, expected)
        if status != "scored":
            assert out == expected  # the same error, word for word
            continue
        assert out.keys() == expected.keys()
        for key, value in out.items():
            assert (value == expected[key] if key in ("errors", "warnings")
                    else _same_arrays(value, expected[key])), key
    if policy == "allow":  # the row path is the one under test (the rest is odd); with "warn" the
        assert fast > len(frames) // 4  # out-of-time rows outside the training ranges take the other
    monkeypatch.undo()
    duplicated = pd.concat([X.head(1), X.head(1)[X.columns[:1]]], axis=1)
    assert scoring._frame_row(duplicated) is None  # a duplicate column name is not collapsed


@pytest.fixture(scope="module")
def with_categories(fitted):
    """Logistic and cross-tab models that keep categorical inputs (the qualitative answers)."""
    from riskmodels.models.crosstab import CrossTabModel
    from riskmodels.models.logistic import LogisticScorecard

    cfg = load_config(CONFIG)
    cfg.data.params.update({"n_firms": 400, "n_years": 4})
    frame = load_dataset(cfg.data, random_state=0)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    answers = ["management_quality", "industry_outlook"]
    logistic = LogisticScorecard(categorical=answers, min_iv=0.0)
    logistic.fit(train[answers + ["avg_days_late"]], train["target"])
    factors = ["dpd_max_12m", "management_quality"]
    crosstab = CrossTabModel(features=factors).fit(train[factors], train["target"])
    return {"logistic": (logistic, test.reset_index(drop=True)),
            "crosstab": (crosstab, test.reset_index(drop=True)), "expert": fitted["expert"]}


@pytest.mark.parametrize("kind", ["logistic", "crosstab", "expert"])
def test_categorical_codes_equal_plain_labels_with_unknown_and_missing_answers(with_categories, kind):
    # pandas categoricals take the by-codes path; the same labels as objects the plain one
    est, X = with_categories[kind]
    bundle = est.to_bundle()
    names = [r["name"] for r in bundle["inputs"] if r["type"] == "category" and r["name"] in X]
    assert names
    frame = X.head(300).copy()
    rng = np.random.default_rng(11)
    for name in names:
        labels = frame[name].astype(object).to_numpy().copy()
        labels[rng.uniform(size=len(labels)) < 0.05] = None
        labels[rng.uniform(size=len(labels)) < 0.05] = "no such answer"
        frame[name] = labels
    def ruled(**rule) -> dict:
        return scoring.seal({**bundle, "inputs": [dict(r, **rule) if r["name"] in names else r
                                                  for r in bundle["inputs"]]})

    strict = ruled(missing="error", unknown="error")
    coded_frame = frame.astype({n: "category" for n in names})
    reported = []
    for content in (bundle, ruled(missing="allow", unknown="allow"), strict):
        scorer = scoring.Scorer(content)
        plain = scorer.score(frame, on_error="report")
        coded = scorer.score(coded_frame, on_error="report")
        assert coded["errors"] == plain["errors"] and coded["warnings"] == plain["warnings"]
        reported.append(len(plain["errors"]))
        assert coded.keys() == plain.keys()
        for key, value in plain.items():
            if key not in ("errors", "warnings"):  # compared above
                assert _same_arrays(coded[key], value), key
        assert len(np.unique(plain["pd"][~np.isnan(plain["pd"])])) > 1
    assert reported[2] > 0  # the strict rules refuse the odd answers
    with pytest.raises(scoring.BundleError) as plain_error:
        scoring.Scorer(strict).score(frame)
    with pytest.raises(scoring.BundleError) as coded_error:
        scoring.Scorer(strict).score(coded_frame)
    assert str(coded_error.value) == str(plain_error.value)


# --------------------------------------------------------------------------- blocks of records
def _broken(bundle: dict, record: dict) -> dict:
    """The record with its first number input of the wrong type: an error under every rule."""
    name = next(r["name"] for r in bundle["inputs"] if r["type"] == "number")
    return {**record, name: "not a number"}


def _record_of(batch: dict, i: int) -> dict:
    """Record ``i`` of a batch result as the one-record result holds it (errors, warnings aside)."""
    return scoring._single({k: None if v is None else v[i:i + 1] for k, v in batch.items()
                            if k not in ("errors", "warnings")})


IDENTITY = {"schema_version": 1, "kind": "identity", "name": "blocks",
            "inputs": [{"name": "p", "type": "number", "train_min": 0.0, "train_max": 0.5,
                        "outside_training": "warn"}],
            "model": {"input": "p"}, "calibration": [],
            "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.05, 1.0]}}


@pytest.mark.parametrize("kind", [*KINDS, "identity"])
def test_blocks_give_each_record_alone_with_bad_records_on_block_boundaries(fitted, kind, monkeypatch):
    # Scorer.score scores a batch in blocks of SCORE_BLOCK records (here 8): across six blocks the
    # outputs, errors and warnings are those of each record scored alone (the one-record path,
    # an implementation of its own for the expert, logistic and cross-tab cards), and bit for bit
    # those of the batch scored at once, with broken records first and last in their blocks
    if kind == "identity":
        bundle = scoring.seal(IDENTITY)
        values = np.random.default_rng(5).uniform(0.0, 0.9, size=45).tolist()
        records = [{"p": v} for v in values]
        broken = {0: {"p": None}, 7: {"p": 1.5}, 8: {"p": "x"}, 15: {"p": -0.5}, 40: {"p": 2.0}}
    else:
        est, X = fitted[kind]
        bundle = est.to_bundle()
        records = [X.iloc[i].to_dict() for i in range(45)]
        for i, record in zip(range(1, 45, 3), _odd_records(bundle, X, 15, seed=21), strict=False):
            records[i] = record
        broken = {i: _broken(bundle, records[i]) for i in (0, 7, 8, 15, 16, 31, 40, 44)}
    for i, record in broken.items():
        records[i] = record
    scorer = scoring.Scorer(bundle)
    monkeypatch.setattr(scoring, "SCORE_BLOCK", 8)
    batch = scorer.score(records, on_error="report")
    assert set(broken) <= set(batch["errors"])  # each broken record is refused, under its own index
    for i, record in enumerate(records):
        alone = scorer.score(record, on_error="report")
        assert batch["errors"].get(i) == alone["errors"].get(0), (i, record)
        assert batch["warnings"].get(i) == alone["warnings"].get(0), (i, record)
        got = _record_of(batch, i)
        assert got.keys() == {k for k in alone if k not in ("errors", "warnings")}
        for key, value in got.items():
            expected = alone[key]
            same = value == expected if key == "reasons" or value is None else _same_bits(value, expected)
            assert same or (value != value and expected != expected), (kind, i, key, value, expected)
    clean = [r for i, r in enumerate(records) if i not in batch["errors"]]
    assert len(clean) > 3 * 8  # the records without errors span several blocks too
    runs = [(records, "report"), (clean, "raise")]
    blocked = [scorer.score(rs, on_error=mode) for rs, mode in runs]
    raised = _outcome(lambda: scorer.score(records))
    monkeypatch.setattr(scoring, "SCORE_BLOCK", 10**9)  # the batch at once
    for got, (rs, mode) in zip(blocked, runs, strict=True):
        whole = scorer.score(rs, on_error=mode)
        assert got.keys() == whole.keys() and got.get("errors") == whole.get("errors")
        assert got["warnings"] == whole["warnings"]
        for key in got.keys() - {"errors", "warnings"}:
            assert _same_arrays(got[key], whole[key]), key
    assert raised == _outcome(lambda: scorer.score(records))  # the same error, word for word


def test_blocks_raise_invalid_pds_and_kernel_errors_under_the_batch_indices(monkeypatch):
    # PDs outside [0, 1] in several blocks raise one InvalidPDError naming every such record by
    # its place in the batch; a kernel error in a later block is raised as the whole batch raises it
    scorer = scoring.Scorer(scoring.seal(IDENTITY))
    p = np.full(40, 0.01)
    p[[7, 8, 23, 39]] = [1.5, -0.1, 3.0, 1.01]
    monkeypatch.setattr(scoring, "SCORE_BLOCK", 8)
    with pytest.raises(scoring.InvalidPDError) as raised:
        scorer.score({"p": p})
    assert raised.value.rows == [7, 8, 23, 39]
    assert str(raised.value).startswith("4 record(s) [7, 8, 23, 39] have no valid PD; first: pd: 1.5")
    report = scorer.score({"p": p}, on_error="report")
    assert sorted(report["errors"]) == [7, 8, 23, 39] and np.isnan(report["pd"][[7, 8, 23, 39]]).all()
    assert report["grade"][[6, 9, 38]].tolist() == ["A", "A", "A"]

    def strict(model, cols, n):  # a kernel that refuses the value 0.25, naming its records
        rows = np.flatnonzero(cols["p"] == 0.25)
        if rows.size:
            raise scoring.BundleError(f"value 0.25 at record(s) {rows.tolist()}")
        return {"raw": cols["p"]}

    monkeypatch.setitem(scoring.KERNELS, "identity", strict)
    p[[7, 8, 23, 39]] = 0.01
    p[[17, 30]] = 0.25
    with pytest.raises(scoring.BundleError, match=r"^value 0\.25 at record\(s\) \[17, 30\]$"):
        scorer.score({"p": p})
