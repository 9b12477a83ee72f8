"""Expected credit loss in the production scorer (issue 36, "In the scorer").

A bundle carries a term structure of marginal PDs per master-scale grade, an LGD, the
effective interest rate and the EAD input (:func:`riskmodels.provisions.with_ecl`);
``Scorer.score`` returns ``ecl_12m``, ``ecl_lifetime`` and, with an origination PD, the IFRS 9
``stage`` and its ``ecl``. Checked here:

- the scorer's numbers are the library's (:func:`riskmodels.provisions.lifetime_ecl`,
  :func:`~riskmodels.provisions.expected_loss`, :func:`~riskmodels.provisions.stage`) and,
  for the S&P 1981–2016 one-year matrix, the sum of transitionMatrix's own incremental
  default curves (its ``default_curves``, the test-only dependency of tests/test_provisions.py);
- a case worked by hand with discounting at the effective interest rate (IFRS 9 5.5.17(b)
  and B5.5.44: expected cash shortfalls discounted at the EIR, to the reporting date);
- the same numbers, bit for bit, on every path: batch, one record, one-row frame, frame,
  CLI ``riskmodels score``, the pyfunc (what MLflow's REST server runs), Dask, Spark, the
  decision log, SQL (DuckDB, SQLite, Spark SQL) and PMML (JPMML-Evaluator and PMML4S);
- an LGD per segment (a category input) on the same paths;
- a negative or missing EAD is refused on every path as any bad input is;
- hand-edited sections are refused naming their path; the bundle bytes are deterministic.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_sql import spark  # noqa: F401  (the module-scoped Spark session fixture)

import riskmodels as rm
from riskmodels import scoring
from riskmodels.cli import main as cli_main
from riskmodels.errors import BundleError, ParameterError
from riskmodels.export.frames import output_columns, score_frame
from riskmodels.models.base import default_master_scale
from riskmodels.provisions import expected_loss, lifetime_ecl, stage, term_structure, with_ecl

ECL_COLUMNS = ["ecl_12m", "ecl_lifetime", "stage", "ecl"]


def _identity(scale: dict) -> dict:
    return scoring.seal({"schema_version": 1, "kind": "identity", "name": "pd-in",
                         "inputs": [{"name": "p", "type": "number", "min": 0.0, "max": 1.0}],
                         "model": {"input": "p"}, "calibration": [], "master_scale": scale})


@pytest.fixture(scope="module")
def sp():
    """The S&P 1981–2016 one-year matrix (NR removed pro rata, D absorbing), its 10-year term
    structure, and an identity bundle on the S&P grades carrying it."""
    from riskmodels.migration.generator import complete_matrix

    p = complete_matrix(rm.load_sp_transitions(1))
    ts = term_structure(p, years=10)
    grades = list(ts.cumulative.index)
    # bounds between the grades' one-year PDs: each record's PD falls in its own grade
    one_year = ts.cumulative[1].to_numpy()
    scale = {"grades": grades, "upper_bounds": [float(b) for b in (one_year[:-1] + one_year[1:]) / 2]}
    bundle = with_ecl(_identity(scale), ts, lgd=0.45, discount_rate=0.05, ead="balance")
    return p, ts, bundle


@pytest.fixture(scope="module")
def staged():
    """The enterprise AAA..D scale, its PDs under a constant hazard, a staging rule, and records."""
    scale = default_master_scale()
    ts = term_structure(scale["midpoints"], years=10, grades=scale["grades"], kind="pd")
    bundle = with_ecl(_identity(scale), ts, lgd=0.4, discount_rate=0.07, ead="balance",
                      origination_pd="pd_at_origination", days_past_due="dpd")
    rng = np.random.default_rng(36)
    n = 400
    frame = pd.DataFrame({"p": rng.uniform(0.0, 0.6, n) ** 2, "balance": rng.uniform(0.0, 2e6, n).round(2),
                          "pd_at_origination": rng.uniform(0.0, 0.2, n) ** 2,
                          "dpd": rng.integers(0, 120, n).astype(float)})
    frame.loc[:9, "dpd"] = [0, 30, 31, 90, 91, 0, 0, 0, 0, 0]  # the boundaries of the rule
    frame.loc[:4, "pd_at_origination"] = frame.loc[:4, "p"]
    frame.loc[5:9, "p"] = [0.0, 0.02, 0.0199, 0.008, 1.0]
    frame.loc[5:9, "pd_at_origination"] = [0.0, 0.01, 0.01, 0.004, 0.5]
    return ts, bundle, frame


def test_scorer_ecl_equals_the_library_and_transition_matrix_on_the_sp_matrix(sp):
    from transitionMatrix import TransitionMatrix, TransitionMatrixSet  # the dev extra installs it

    p, ts, bundle = sp
    grades = list(ts.cumulative.index)
    records = pd.DataFrame({"p": ts.cumulative[1].to_numpy(), "balance": np.linspace(1e3, 7e6, len(grades))})
    out = scoring.Scorer(bundle).score(records)
    assert out["grade"].tolist() == grades
    theirs = TransitionMatrixSet(values=TransitionMatrix(values=p.to_numpy()), periods=10, method="Power",
                                 temporal_type="Cumulative")
    discount = 1.05 ** -np.arange(1.0, 11.0)
    for g, grade in enumerate(grades):
        ead = records["balance"][g]
        marginal = ts.marginal.loc[grade].to_numpy()
        # the library's functions on the same inputs: equal to the last bit
        assert out["ecl_lifetime"][g] == lifetime_ecl(marginal, 0.45, ead, rate=0.05)
        assert out["ecl_12m"][g] == lifetime_ecl(marginal[:1], 0.45, ead, rate=0.05)
        assert out["ecl_12m"][g] == expected_loss(marginal[0] / 1.05, 0.45, ead)
        # transitionMatrix's incremental PDs, discounted and summed here
        incremental = np.asarray(theirs.default_curves(g)[0], dtype=float)
        assert out["ecl_lifetime"][g] == pytest.approx(float((incremental * discount).sum() * 0.45 * ead),
                                                       rel=1e-12)
        assert out["ecl_12m"][g] <= out["ecl_lifetime"][g]
    # per unit of EAD without an EAD field
    unit = scoring.Scorer(with_ecl(_identity(bundle["master_scale"]), ts, lgd=0.45, discount_rate=0.05))
    assert unit.score({"p": float(records["p"][3])})["ecl_lifetime"] == pytest.approx(
        out["ecl_lifetime"][3] / records["balance"][3], rel=1e-15)


def test_a_case_worked_by_hand_discounted_at_the_effective_interest_rate():
    """IFRS 9 5.5.17(b) and B5.5.44: the shortfalls discounted at the effective interest rate.

    One grade, one-year PD 10 % under a constant hazard: marginal PDs 0.1, 0.09, 0.081;
    LGD 50 %, EAD 1 000, EIR 10 %, end-of-year defaults:
    12-month 0.1 × 500 / 1.1 = 45.45455; lifetime 500 × (0.1/1.1 + 0.09/1.21 + 0.081/1.331)
    = 500 × (0.0909091 + 0.0743802 + 0.0608565) = 113.07288.
    """
    scale = {"grades": ["X"], "upper_bounds": []}
    ts = term_structure([0.1], years=3, grades=["X"], kind="pd")
    scorer = scoring.Scorer(with_ecl(_identity(scale), ts, lgd=0.5, discount_rate=0.10, ead="ead"))
    out = scorer.score({"p": 0.1, "ead": 1000.0})
    assert out["ecl_12m"] == pytest.approx(45.45455, abs=1e-5)
    assert out["ecl_lifetime"] == pytest.approx(113.07288, abs=1e-5)
    # undiscounted it is the cumulative PD 0.271 × LGD × EAD
    plain = scoring.Scorer(with_ecl(_identity(scale), ts, lgd=0.5, ead="ead")).score({"p": 0.1, "ead": 1000.0})
    assert plain["ecl_lifetime"] == pytest.approx(135.5, abs=1e-9) and plain["ecl_12m"] == pytest.approx(50.0)


def test_stage_and_its_allowance_follow_the_library_rule(staged):
    ts, bundle, frame = staged
    out = scoring.Scorer(bundle).score(frame)
    want = stage(out["pd"], frame["pd_at_origination"], frame["dpd"])
    assert out["stage"].tolist() == want.tolist()
    # the boundaries: 30 days is not "more than 30", 91 is more than 90; 2x and +0.5 pp both
    assert out["stage"][:10].tolist() == [1, 1, 2, 2, 3, 1, 2, 1, 1, 2]
    assert set(want.tolist()) == {1, 2, 3}
    np.testing.assert_array_equal(out["ecl"], np.where(want == 1, out["ecl_12m"], out["ecl_lifetime"]))
    index = [bundle["master_scale"]["grades"].index(g) for g in out["grade"]]
    marginal = ts.marginal.to_numpy()[index]
    np.testing.assert_array_equal(out["ecl_lifetime"], lifetime_ecl(marginal, 0.4, frame["balance"], rate=0.07))
    # grade D (PD 1): the whole loss in year 1, discounted one year
    d = out["grade"] == "D"
    assert d.any() and np.allclose(out["ecl_lifetime"][d], 0.4 * frame["balance"][d] / 1.07, rtol=1e-15)


def _python_paths(bundle, frame) -> dict:
    scorer = scoring.Scorer(bundle)
    records = frame.to_dict("records")
    paths = {"batch": pd.DataFrame({k: scorer.score(frame)[k] for k in ECL_COLUMNS if k in scorer.score(frame)})}
    paths["list of dicts"] = pd.DataFrame({k: v for k, v in scorer.score(records).items() if k in ECL_COLUMNS})
    paths["one record"] = pd.DataFrame([{k: v for k, v in scorer.score(r).items() if k in ECL_COLUMNS}
                                        for r in records])
    paths["one-row frames"] = pd.concat([score_frame(scorer, frame.iloc[[i]]) for i in range(len(frame))])
    paths["frame"] = score_frame(scorer, frame)
    return paths


def test_every_path_gives_the_same_ecl_bit_for_bit(staged, tmp_path):
    import sqlite3

    import duckdb

    from riskmodels.export.sql import to_sql

    _, bundle, frame = staged
    expected = score_frame(scoring.Scorer(bundle), frame)
    assert [c for c, _ in output_columns(scoring.Scorer(bundle))][-4:] == ECL_COLUMNS
    got = _python_paths(bundle, frame)
    (tmp_path / "b.json").write_bytes(scoring.dumps_bundle(bundle))
    frame.to_csv(tmp_path / "in.csv", index=False)
    assert cli_main(["score", str(tmp_path / "b.json"), str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
                     "--no-progress"]) == 0
    got["CLI"] = pd.read_csv(tmp_path / "out.csv")
    con = duckdb.connect()
    con.register("apps", frame)
    got["SQL duckdb"] = con.execute(to_sql(bundle, table="apps")).fetchdf()
    lite = sqlite3.connect(":memory:")
    frame.to_sql("apps", lite, index=False)
    got["SQL sqlite"] = pd.read_sql(to_sql(bundle, "sqlite", table="apps"), lite)
    import dask.dataframe as dd

    from riskmodels.export.dask import score_dataframe

    got["Dask"] = score_dataframe(dd.from_pandas(frame, npartitions=3), bundle, keep_columns=False).compute()
    # the decision log holds the same numbers (JSON keeps every double's shortest repr)
    scoring.Scorer(bundle).score(frame, log=tmp_path / "decisions.jsonl")
    lines = (tmp_path / "decisions.jsonl").read_text().splitlines()
    got["decision log"] = pd.DataFrame([json.loads(line) for line in lines]).fillna(np.nan)
    for path, scores in got.items():
        for column in ECL_COLUMNS:
            # the CSV keeps every double's shortest repr, so it reads back the same bits
            np.testing.assert_array_equal(scores[column].to_numpy(dtype=float),
                                          expected[column].to_numpy(dtype=float), err_msg=f"{path} {column}")


def test_pyfunc_gives_the_same_ecl(staged, tmp_path):
    import mlflow

    from riskmodels.export.pyfunc import pyfunc_signature, to_mlflow

    _, bundle, frame = staged
    assert {c.name for c in pyfunc_signature(bundle).outputs.inputs} >= set(ECL_COLUMNS)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    try:
        mlflow.set_experiment(experiment_id=mlflow.create_experiment(
            "ecl", artifact_location=(tmp_path / "artifacts").as_uri()))
        loaded = mlflow.pyfunc.load_model(to_mlflow(bundle).model_uri)
        got = loaded.predict(frame.iloc[:50])
        bad = loaded.predict(frame.iloc[:2].assign(balance=[1.0, -1.0]), params={"on_error": "report"})
    finally:
        mlflow.set_tracking_uri(None)
    expected = score_frame(scoring.Scorer(bundle), frame.iloc[:50])
    for column in ECL_COLUMNS:
        np.testing.assert_array_equal(got[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float))
    assert bad["error"].isna().tolist() == [True, False] and np.isnan(bad["ecl"][1])
    assert bad["error"][1] == "balance: below the allowed min 0.0"


@pytest.mark.parametrize("engine", ["jpmml", "pypmml"])
def test_pmml_gives_the_same_ecl(staged, engine, tmp_path):
    from test_pmml import Engines

    from riskmodels.export.pmml import to_pmml

    _, bundle, frame = staged
    rows = frame.iloc[:60].copy()
    rows.loc[rows.index[-1], "balance"] = -5.0
    text = to_pmml(bundle, tmp_path / "ecl.pmml")
    # the embedded verification rows carry the ECL too (JPMML-Evaluator checks them at load)
    assert 'field="ecl_lifetime" column="out_ecl_lifetime"' in text
    got = Engines().score(engine, tmp_path / "ecl.pmml", rows)
    expected = score_frame(scoring.Scorer(bundle), rows, on_error="report")
    assert got[-1] is None and expected["error"].iloc[-1] == "balance: below the allowed min 0.0"
    for column in ECL_COLUMNS:
        values = np.array([np.nan if r is None else r[column] for r in got], dtype=float)
        np.testing.assert_array_equal(values, expected[column].to_numpy(dtype=float), err_msg=column)


def test_an_expert_card_reads_its_master_scale_grade_in_sql_and_pmml(tmp_path):
    import duckdb
    from test_pmml import Engines
    from test_sql import expert_card

    from riskmodels.export.pmml import to_pmml
    from riskmodels.export.sql import to_sql

    card, rows = expert_card("enterprise_five_aspect")
    scale = card["master_scale"]
    ts = term_structure(scale["midpoints"], years=5, grades=scale["grades"], kind="pd")
    bundle = with_ecl(card, ts, lgd=0.6, discount_rate=0.04, ead="balance")
    rows = rows.assign(balance=np.arange(len(rows)) * 1000.0)
    expected = score_frame(scoring.Scorer(bundle), rows, on_error="report")
    scored = expected["error"].isna().to_numpy()
    assert scored.sum() > 10
    # the lookup is by the PD's master-scale grade, not the card's own grade
    assert (expected["scale_grade"] != expected["grade"])[scored].any()
    con = duckdb.connect()
    con.register("apps", rows)
    sql = con.execute(to_sql(bundle, table="apps")).fetchdf()
    to_pmml(bundle, tmp_path / "card.pmml")
    pmml = Engines().score("jpmml", tmp_path / "card.pmml", rows[scored].reset_index(drop=True))
    scorer = scoring.Scorer(bundle)
    for i in np.flatnonzero(scored)[:40]:  # the card's one-record kernel, then the ECL of one record
        one = scorer.score(rows.iloc[i].to_dict())
        assert (one["ecl_12m"], one["ecl_lifetime"]) == (expected["ecl_12m"][i], expected["ecl_lifetime"][i])
    for column in ("ecl_12m", "ecl_lifetime"):
        want = expected[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(sql[column].to_numpy(dtype=float), want)
        np.testing.assert_array_equal(np.array([r[column] for r in pmml], dtype=float), want[scored])


def test_bad_exposure_is_refused_on_every_path_as_other_bad_input(staged, tmp_path):
    import duckdb

    from riskmodels.export.sql import to_sql

    _, bundle, frame = staged
    scorer = scoring.Scorer(bundle)
    good = {k: float(v) for k, v in frame.iloc[0].items()}
    negative = "balance: below the allowed min 0.0"
    absent = "balance: missing value"
    for records in ({**good, "balance": -1.0}, [good, {**good, "balance": -1.0}]):
        with pytest.raises(BundleError, match="balance"):
            scorer.score(records)
    out = scorer.score([good, {**good, "balance": -1.0}, {k: v for k, v in good.items() if k != "balance"}],
                       on_error="report")
    assert out["errors"] == {1: [negative], 2: [absent]}
    assert np.isnan(out["ecl"][1:]).all() and not np.isnan(out["ecl"][0])
    assert scorer.score({**good, "balance": None}, on_error="report")["errors"] == {0: [absent]}
    # a frame without the EAD column at all: every record refused, naming it
    with pytest.raises(BundleError, match="field 'balance': missing value at record"):
        score_frame(scorer, frame.drop(columns="balance"))
    report = score_frame(scorer, frame.iloc[:3].drop(columns="balance"), on_error="report")
    assert report["error"].tolist() == [absent] * 3 and report["ecl_lifetime"].isna().all()
    # the CLI, in both modes
    rows = frame.iloc[:3].assign(balance=[1.0, -1.0, np.nan])
    rows.to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "b.json").write_bytes(scoring.dumps_bundle(bundle))
    argv = ["score", str(tmp_path / "b.json"), str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"),
            "--no-progress"]
    assert cli_main(argv + ["--on-error", "report"]) == 0
    assert pd.read_csv(tmp_path / "out.csv")["error"].fillna("").tolist() == ["", negative, absent]
    assert cli_main(argv + ["--overwrite"]) != 0
    # SQL: the same records flagged with the same rule
    con = duckdb.connect()
    con.register("apps", rows)
    sql = con.execute(to_sql(bundle, table="apps")).fetchdf()
    assert sql["error"].fillna("").tolist() == ["", negative, absent]
    assert sql["ecl"].isna().tolist() == [False, True, True]


def test_export_carries_the_ecl_and_the_bytes_are_deterministic(tmp_path):
    from riskmodels.models.crosstab import CrossTabModel

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"dpd": rng.integers(0, 90, 600).astype(float)})
    y = (rng.uniform(size=600) < 0.02 + X["dpd"] / 200).astype(int)
    model = CrossTabModel(["dpd"]).fit(X, y)
    scale = default_master_scale()
    ts = term_structure(scale["midpoints"], years=8, grades=scale["grades"], kind="pd")
    spec = {"term_structure": ts, "lgd": 0.45, "discount_rate": 0.06, "ead": "balance"}
    path = model.export(tmp_path / "m.json", ecl=spec)
    scorer = scoring.load_scorer(path)
    out = scorer.score(X.assign(balance=100.0))
    np.testing.assert_allclose(out["pd"], model.predict_proba(X)[:, 1], rtol=0, atol=0)
    index = [scale["grades"].index(g) for g in out["grade"]]
    np.testing.assert_array_equal(out["ecl_lifetime"], lifetime_ecl(ts.marginal.to_numpy()[index], 0.45, 100.0,
                                                                     rate=0.06))
    assert "stage" not in out
    base = model.to_bundle()
    once, again = (scoring.dumps_bundle(with_ecl(base, ts, lgd=0.45, discount_rate=0.06, ead="balance"))
                   for _ in range(2))
    assert once == again
    # a cumulative frame and a dict of cumulative PDs give the same section as the TermStructure
    as_frame = with_ecl(base, ts.cumulative, lgd=0.45, discount_rate=0.06, ead="balance")
    as_dict = with_ecl(base, {g: row.tolist() for g, row in ts.cumulative.iterrows()}, lgd=0.45,
                       discount_rate=0.06, ead="balance")
    assert as_frame["ecl"]["marginal"] == as_dict["ecl"]["marginal"] == scoring.read_bundle(path)["ecl"]["marginal"]


def test_bad_sections_and_parameters_are_refused_naming_them(sp):
    _, ts, bundle = sp
    scale = bundle["master_scale"]
    content = {k: v for k, v in bundle.items() if k != "sha256"}

    def edited(**changes):
        return scoring.seal({**content, "ecl": {**content["ecl"], **changes}})

    cases = [(edited(lgd=1.5), r"ecl.lgd: is 1.5"),
             (edited(grades=scale["grades"][::-1]), r"ecl.grades: must be the master scale's grades"),
             (edited(marginal=content["ecl"]["marginal"][:-1]), r"ecl.marginal: has 6 row"),
             (edited(marginal=[[-0.1, 0.2]] * 7), r"ecl.marginal\[0\]\[0\]: is -0.1"),
             (edited(marginal=[[0.7, 0.6]] * 7), r"ecl.marginal\[0\]: must hold .* summing to at most 1"),
             (edited(ead="nowhere"), r"ecl.ead: names 'nowhere', which is not a bundle input"),
             (scoring.seal({**content, "inputs": content["inputs"] + [{"name": "loose", "type": "number"}],
                            "ecl": {**content["ecl"], "ead": "loose"}}),
              r"ecl.ead: names 'loose', whose rule must refuse values outside \[0.0, None\]"),
             (edited(stage={"origination_pd": "balance"}), r"ecl.stage.origination_pd: names 'balance'")]
    for bad, message in cases:
        with pytest.raises(BundleError, match=message):
            scoring.Scorer(bad)
    with pytest.raises(ParameterError, match=r"no row for the master-scale grade\(s\) \['D'\]"):
        with_ecl(_identity({"grades": [*scale["grades"], "D"], "upper_bounds": [*scale["upper_bounds"], 0.5]}),
                 ts, lgd=0.45)
    with pytest.raises(ParameterError, match="lgd must be in"):
        with_ecl(_identity(scale), ts, lgd=45)
    with pytest.raises(ParameterError, match="grade 'A' year 2: marginal PD -0.01"):
        with_ecl(_identity({"grades": ["A"], "upper_bounds": []}), {"A": [0.02, 0.01]}, lgd=0.4)
    with pytest.raises(ParameterError, match="need origination_pd"):
        with_ecl(_identity(scale), ts, lgd=0.4, days_past_due="dpd")
    with pytest.raises(ParameterError, match="signed"):
        with_ecl(scoring.sign(bundle, b"k"), ts, lgd=0.4)


def test_lgd_per_segment_on_every_path(staged, tmp_path):
    """An LGD per segment (e.g. the workout LGD by industry) picked by a category input."""
    import duckdb
    from test_pmml import Engines

    from riskmodels.export.pmml import to_pmml
    from riskmodels.export.sql import to_sql

    ts, _, frame = staged
    by_industry = pd.Series({"retail": 0.55, "manufacturing": 0.35, "services": 0.45})
    bundle = with_ecl(_identity(default_master_scale()), ts, lgd=by_industry, segment="industry",
                      discount_rate=0.07, ead="balance")
    rule = next(r for r in bundle["inputs"] if r["name"] == "industry")
    assert (rule["type"], rule["categories"], rule["unknown"]) == ("category", sorted(by_industry.index), "error")
    frame = frame.assign(industry=np.resize(by_industry.index.to_numpy(), len(frame)))
    expected = score_frame(scoring.Scorer(bundle), frame)
    index = [bundle["master_scale"]["grades"].index(g) for g in expected["grade"]]
    lgd = frame["industry"].map(by_industry).to_numpy()
    np.testing.assert_array_equal(expected["ecl_lifetime"], lifetime_ecl(ts.marginal.to_numpy()[index], lgd,
                                                                         frame["balance"], rate=0.07))
    got = _python_paths(bundle, frame)
    got["categorical frame"] = score_frame(scoring.Scorer(bundle), frame.astype({"industry": "category"}))
    con = duckdb.connect()
    con.register("apps", frame)
    got["SQL duckdb"] = con.execute(to_sql(bundle, table="apps")).fetchdf()
    to_pmml(bundle, tmp_path / "seg.pmml")
    pmml = Engines().score("jpmml", tmp_path / "seg.pmml", frame.iloc[:80])
    got["PMML"] = pd.DataFrame([{k: r[k] for k in ("ecl_12m", "ecl_lifetime")} for r in pmml])
    for path, scores in got.items():
        for column in ("ecl_12m", "ecl_lifetime"):
            want = expected[column].to_numpy(dtype=float)[:len(scores)]
            np.testing.assert_array_equal(scores[column].to_numpy(dtype=float), want, err_msg=f"{path} {column}")
    # an unknown segment is refused as any unknown category
    odd = frame.iloc[:2].assign(industry=["retail", "mining"])
    out = scoring.Scorer(bundle).score(odd, on_error="report")
    assert list(out["errors"]) == [1] and np.isnan(out["ecl_lifetime"][1])
    assert out["errors"][1] == ["industry: unknown category 'mining' (known: ['manufacturing', 'retail', 'services'])"]
    con.register("odd", odd)
    assert con.execute(to_sql(bundle, table="odd")).fetchdf()["error"].fillna("").tolist() == [
        "", "industry: unknown category"]
    with pytest.raises(ParameterError, match="needs segment="):
        with_ecl(_identity(default_master_scale()), ts, lgd=by_industry)
    loose = scoring.seal({**{k: v for k, v in bundle.items() if k != "sha256"},
                          "inputs": [{**r, "unknown": "allow"} if r["name"] == "industry" else r
                                     for r in bundle["inputs"]]})
    with pytest.raises(BundleError, match="ecl.lgd.segment: names 'industry', which must be a category input"):
        scoring.Scorer(loose)


def test_spark_and_spark_sql_give_the_same_ecl(staged, spark):  # noqa: F811
    from riskmodels.export.spark import score_dataframe
    from riskmodels.export.sql import to_sql

    _, bundle, frame = staged
    rows = frame.iloc[:120].assign(row_id=np.arange(120))
    expected = score_frame(scoring.Scorer(bundle), rows)
    sdf = spark.createDataFrame(rows)
    by_udf = score_dataframe(sdf, bundle).toPandas().sort_values("row_id").reset_index(drop=True)
    sdf.createOrReplaceTempView("apps")
    by_sql = spark.sql(to_sql(bundle, "spark", table="apps", keep=["row_id"])).toPandas()
    by_sql = by_sql.sort_values("row_id").reset_index(drop=True)
    for column in ECL_COLUMNS:
        want = expected[column].to_numpy(dtype=float)
        np.testing.assert_array_equal(by_udf[column].to_numpy(dtype=float), want, err_msg=f"udf {column}")
        np.testing.assert_array_equal(by_sql[column].to_numpy(dtype=float), want, err_msg=f"sql {column}")
