"""PMML export: the bundle scored by two PMML engines nobody here wrote, against the scorer.

Engines (test-only dependencies, Java 17): JPMML-Evaluator (PyPI ``jpmml-evaluator``, AGPL;
never imported by the package) and PMML4S (PyPI ``pypmml``). Before judging our files the
harness scores the DMG's own sample scorecard (PMML 4.4 specification, "Scorecard" page,
https://dmg.org/pmml/v4-4/Scorecard.html) and gets its published answer: department
"engineering", age 25, income 500 -> final score 29, reason codes RC2 then RC1 (RC3 lost
no points: 10 - 26 < 0). JPMML-Evaluator's own test of the example
(``CharacteristicReasonCodeTest``) reads the same answer.
"""

import json
import math
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from test_sql import CALIBRATED, CALIBRATED_ROWS, CARDS, _edge_rows, expert_card

import riskmodels as rm
from riskmodels import scoring
from riskmodels.errors import BundleError
from riskmodels.export.pmml import tie_break_step, to_pmml

pytestmark = pytest.mark.xdist_group("pmml")  # one JVM per engine per worker

DMG_SAMPLE = """<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="the DMG sample scorecard of the PMML 4.4 Scorecard page"/>
  <DataDictionary>
    <DataField name="department" dataType="string" optype="categorical"/>
    <DataField name="age" dataType="integer" optype="continuous"/>
    <DataField name="income" dataType="double" optype="continuous"/>
    <DataField name="overallScore" dataType="double" optype="continuous"/>
  </DataDictionary>
  <Scorecard modelName="SampleScorecard" functionName="regression" useReasonCodes="true"
             reasonCodeAlgorithm="pointsBelow" initialScore="0" baselineMethod="other">
    <MiningSchema>
      <MiningField name="department" usageType="active" invalidValueTreatment="asMissing"/>
      <MiningField name="age" usageType="active" invalidValueTreatment="asMissing"/>
      <MiningField name="income" usageType="active" invalidValueTreatment="asMissing"/>
      <MiningField name="overallScore" usageType="predicted"/>
    </MiningSchema>
    <Output>
      <OutputField name="Final Score" feature="predictedValue" dataType="double" optype="continuous"/>
      <OutputField name="Reason Code 1" rank="1" feature="reasonCode" dataType="string" optype="categorical"/>
      <OutputField name="Reason Code 2" rank="2" feature="reasonCode" dataType="string" optype="categorical"/>
      <OutputField name="Reason Code 3" rank="3" feature="reasonCode" dataType="string" optype="categorical"/>
    </Output>
    <Characteristics>
      <Characteristic name="departmentScore" reasonCode="RC1" baselineScore="19">
        <Attribute partialScore="-9"><SimplePredicate field="department" operator="isMissing"/></Attribute>
        <Attribute partialScore="19"><SimplePredicate field="department" operator="equal" value="marketing"/></Attribute>
        <Attribute partialScore="3"><SimplePredicate field="department" operator="equal" value="engineering"/></Attribute>
        <Attribute partialScore="6"><SimplePredicate field="department" operator="equal" value="business"/></Attribute>
      </Characteristic>
      <Characteristic name="ageScore" reasonCode="RC2" baselineScore="18">
        <Attribute partialScore="-1"><SimplePredicate field="age" operator="isMissing"/></Attribute>
        <Attribute partialScore="-3"><SimplePredicate field="age" operator="lessOrEqual" value="18"/></Attribute>
        <Attribute partialScore="0"><CompoundPredicate booleanOperator="and">
          <SimplePredicate field="age" operator="greaterThan" value="18"/>
          <SimplePredicate field="age" operator="lessOrEqual" value="29"/></CompoundPredicate></Attribute>
        <Attribute partialScore="12"><CompoundPredicate booleanOperator="and">
          <SimplePredicate field="age" operator="greaterThan" value="29"/>
          <SimplePredicate field="age" operator="lessOrEqual" value="39"/></CompoundPredicate></Attribute>
        <Attribute partialScore="18"><SimplePredicate field="age" operator="greaterThan" value="39"/></Attribute>
      </Characteristic>
      <Characteristic name="incomeScore" reasonCode="RC3" baselineScore="10">
        <Attribute partialScore="3"><SimplePredicate field="income" operator="isMissing"/></Attribute>
        <Attribute partialScore="26"><SimplePredicate field="income" operator="lessOrEqual" value="1000"/></Attribute>
        <Attribute partialScore="5"><CompoundPredicate booleanOperator="and">
          <SimplePredicate field="income" operator="greaterThan" value="1000"/>
          <SimplePredicate field="income" operator="lessOrEqual" value="2500"/></CompoundPredicate></Attribute>
        <Attribute partialScore="-3"><SimplePredicate field="income" operator="greaterThan" value="2500"/></Attribute>
      </Characteristic>
    </Characteristics>
  </Scorecard>
</PMML>
"""


class Engines:
    """Both engines, loaded once per test worker."""

    def __init__(self):
        from jpmml_evaluator import make_evaluator
        from pypmml import Model

        self._make_jpmml, self._pypmml = make_evaluator, Model

    def jpmml(self, path, verify: bool = True):
        evaluator = self._make_jpmml(str(path))
        return evaluator.verify() if verify else evaluator

    def raw(self, engine: str, path, records: list[dict]) -> list[dict | None]:
        """One result dict per record; None where the engine refused it."""
        records = [{k: _plain(v) for k, v in r.items()} for r in records]
        out = []
        if engine == "jpmml":
            evaluator = self.jpmml(path)
            for record in records:
                try:
                    out.append(dict(evaluator.evaluate(record)))
                except Exception as exc:  # the engine's refusal: a value-check error
                    assert "cannot accept" in str(exc), exc
                    out.append(None)
            return out
        model = self._pypmml.load(str(path))
        for record in records:
            # a JSON string with every double's shortest repr: pypmml's own DataFrame path
            # goes through pandas.to_json, which keeps 10 significant digits only
            payload = json.dumps({"columns": list(record), "data": [list(record.values())]})
            try:
                res = json.loads(model.call("predict", payload))
            except Exception as exc:  # PMML4S raises for an infinite value (not valid JSON)
                assert "predict" in str(exc), exc
                out.append(None)
                continue
            out.append(dict(zip(res["columns"], res["data"][0], strict=True)))
        return out

    def score(self, engine: str, path, frame: pd.DataFrame) -> list[dict | None]:
        """As :meth:`raw`; a record scored without a PD (PMML4S's invalid value) is refused too."""
        out = self.raw(engine, path, frame.to_dict("records"))
        return [None if r is None or r.get("pd") is None else r for r in out]


def _plain(v):
    if isinstance(v, float | np.floating) and np.isnan(v):
        return None
    return v.item() if hasattr(v, "item") else v


@pytest.fixture(scope="module")
def engines():
    return Engines()


def test_the_dmg_sample_scorecard_gives_its_published_answer(engines, tmp_path):
    path = tmp_path / "dmg.pmml"
    path.write_text(DMG_SAMPLE)
    record = {"department": "engineering", "age": 25, "income": 500.0}
    jpmml, pmml4s = (engines.raw(engine, path, [record])[0] for engine in ("jpmml", "pypmml"))
    for out in (jpmml, pmml4s):
        assert float(out["Final Score"]) == 29.0
        assert [out["Reason Code 1"], out["Reason Code 2"]] == ["RC2", "RC1"]
    # rank 3 (a negative loss): JPMML-Evaluator returns nothing, PMML4S repeats RC1 -- the
    # engines disagree where losses are not positive, hence the export's tie-break
    assert jpmml["Reason Code 3"] is None and pmml4s["Reason Code 3"] == "RC1"


@pytest.fixture(scope="module")
def german_logistic():
    df = rm.load_german()
    X, y = df.drop(columns="target"), df["target"]
    bundle = rm.LogisticScorecard().fit(X, y).to_bundle()
    return bundle, pd.concat([X.iloc[:200], _edge_rows(bundle, X)], ignore_index=True)


@pytest.fixture(scope="module")
def taiwan_logistic():
    df = rm.load_taiwan().sample(6000, random_state=1)
    features = ["LIMIT_BAL", "AGE", "PAY_0", "PAY_2", "BILL_AMT1", "PAY_AMT1", "EDUCATION"]
    X, y = df[features].astype(float), df["target"]
    bundle = rm.LogisticScorecard(special_codes=[-2.0]).fit(X, y).to_bundle()
    rows = pd.concat([X.iloc[:200], _edge_rows(bundle, X)], ignore_index=True)
    rows.loc[len(rows)] = [np.inf] + list(rows.iloc[0, 1:])  # an infinite amount: refused
    rows.loc[len(rows)] = [np.nan] + list(rows.iloc[0, 1:])  # a missing amount: the missing bin
    return bundle, rows


@pytest.fixture(scope="module")
def synthetic_crosstab():
    book = rm.make_portfolio(n_firms=600, n_years=4, random_state=3).firm_years
    X, y = book[["dpd_max_12m", "debt_ratio"]], book["default"]
    bundle = rm.CrossTabModel(features=["dpd_max_12m", "debt_ratio"]).fit(X, y).to_bundle()
    rows = pd.concat([X.iloc[:200], _edge_rows(bundle, X)], ignore_index=True)
    rows.loc[len(rows)] = [-np.inf, rows.iloc[0, 1]]  # refused
    rows.loc[len(rows)] = [np.nan, rows.iloc[0, 1]]  # no bin for the first factor: the portfolio PD
    return bundle, rows


# every input rule the scorer knows: refused range and missing value, clip, impute, refused
# and allowed unknown labels (one holding a double quote), a special code, a missing bin, the
# three calibration steps with a repeated interp knot, a floor, a grade-keyed limit
RULES = scoring.seal({
    "schema_version": 1, "kind": "logistic", "name": "every-rule",
    "inputs": [
        {"name": "x", "type": "number", "min": 0.0, "max": 100.0, "out_of_range": "error", "missing": "error"},
        {"name": "c", "type": "number", "min": 0.0, "max": 10.0, "out_of_range": "clip", "missing": "impute",
         "fill": 5.0},
        {"name": "k", "type": "category", "categories": ["a", "b", "c d", 'q"t'], "unknown": "error",
         "missing": "allow"},
        {"name": "u", "type": "category", "categories": ["a", "b"], "unknown": "allow", "missing": "allow"}],
    "model": {"intercept": -1.5, "base_points": 100.0, "features": [
        {"name": "x", "binning": {"type": "numeric", "edges": [10.0, 50.0], "missing_bin": None,
                                  "special_bins": {"99.0": 3}},
         "coef": -0.9, "woe": [0.4, 0.1, -0.6, 0.2], "points": [30.0, 20.0, 5.0, 20.0], "best_points": 30.0},
        {"name": "c", "binning": {"type": "numeric", "edges": [3.0, 7.0], "missing_bin": None, "special_bins": {}},
         "coef": -0.5, "woe": [0.3, 0.0, -0.3], "points": [25.0, 20.0, 15.0], "best_points": 25.0},
        {"name": "k", "binning": {"type": "categorical", "categories": {"a": 0, "b": 1, "c d": 1, 'q"t': 2},
                                  "missing_bin": 3, "unknown_bin": None},
         "coef": -1.0, "woe": [0.5, -0.2, -0.4, 0.0], "points": [30.0, 20.0, 20.0, 22.0], "best_points": 30.0},
        {"name": "u", "binning": {"type": "categorical", "categories": {"a": 0, "b": 1}, "missing_bin": 2,
                                  "unknown_bin": 1},
         "coef": -0.7, "woe": [0.2, -0.3, 0.0], "points": [26.0, 18.0, 22.0], "best_points": 26.0}]},
    "calibration": [{"method": "interp", "x": [0.0, 0.2, 0.2, 0.6, 1.0], "y": [0.001, 0.01, 0.02, 0.3, 0.9]},
                    {"method": "logistic", "a": 3.0, "b": -2.5}, {"method": "logit_shift", "delta": -0.4}],
    "master_scale": {"grades": ["A", "B", "C", "D"], "upper_bounds": [0.05, 0.12, 0.5], "floor": 0.0003},
    "credit_limit": {"coefficients": {"A": 1.0, "B": 0.6, "C": 0.2}, "current_assets": "x", "monthly_sales": "c"}})
RULES_ROWS = pd.DataFrame({
    "x": [5.0, 10.0, np.nextafter(10.0, 0), 50.0, 99.0, 100.0, 100.1, -1.0, np.inf, np.nan, 20.0, 20.0, 20.0, 20.0],
    "c": [1.0, 3.0, 7.0, -4.0, 12.0, np.nan, 2.0, 2.0, 2.0, 2.0, 6.0, 6.0, 6.0, np.inf],
    "k": ["a", "b", "c d", 'q"t', None, "a", "a", "a", "a", "a", "zz", "b", "a", "a"],
    "u": ["a", "b", None, "zzz", "a", "b", "a", "a", "a", "a", "a", None, "b", "a"]})

@pytest.fixture(scope="module")
def german_refuses_unseen(german_logistic):
    """The German card with ``outside_training: "error"``: what the sample did not hold is refused."""
    bundle, frame = german_logistic
    content = json.loads(json.dumps({k: v for k, v in bundle.items() if k != "sha256"}))
    for rule in content["inputs"]:
        rule["outside_training"] = "error"
    wide = frame.copy()
    wide.loc[len(wide)] = wide.iloc[0]
    wide.loc[len(wide) - 1, "age_years"] = 150.0  # above the sample's max: refused, not flagged
    return scoring.seal(content), wide


CASES = ["german_logistic", "german_refuses_unseen", "taiwan_logistic", "synthetic_crosstab", "rules", "calibrated"] + [
    f"expert:{card}" for card in CARDS]


def _case(request, case):
    if case.startswith("expert:"):
        return expert_card(case.split(":", 1)[1])
    if case == "rules":
        return RULES, RULES_ROWS
    if case == "calibrated":
        return CALIBRATED, CALIBRATED_ROWS
    return request.getfixturevalue(case)


def _parity(bundle: dict, frame: pd.DataFrame, results: list) -> dict:
    """The engine's results against Scorer.score(on_error="report"), record by record."""
    frame = frame.astype({c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)})
    local = scoring.Scorer(bundle).score(frame, on_error="report")
    refused = [i for i, r in enumerate(results) if r is None]
    assert refused == sorted(local["errors"])  # refused exactly where the scorer refuses
    good = [i for i, r in enumerate(results) if r is not None]
    pd_pmml = np.array([float(results[i]["pd"]) for i in good])
    np.testing.assert_allclose(pd_pmml, local["pd"][good], rtol=0, atol=1e-9)
    assert [results[i]["grade"] for i in good] == local["grade"][good].tolist()
    flagged = local.get("warnings") or {}
    if any("outside_training" in results[i] for i in good):  # the scorer's warnings, counted
        imputed = {r["name"] for r in bundle["inputs"] if r.get("missing") == "impute"}
        # but an imputed missing value: PMML fills it in before any expression can see it
        seen = {i: [w for w in flagged.get(i, []) if not (w.split(":")[0] in imputed and "missing value" in w)]
                for i in good}
        assert [int(float(results[i]["outside_training"])) for i in good] == [len(seen[i]) for i in good]
    if "scale_grade" in local:  # an expert card: its own grade above, the PD's master-scale grade here
        assert [results[i]["scale_grade"] for i in good] == local["scale_grade"][good].tolist()
    if local["score"] is not None:
        np.testing.assert_allclose([float(results[i]["score"]) for i in good], local["score"][good],
                                   rtol=0, atol=1e-9)
    if local["reasons"] is not None:
        k = local["reasons"].shape[1]
        assert [[results[i][f"reason_{r + 1}"] for r in range(k)] for i in good] == \
            local["reasons"][good].tolist()
    if local["limit"] is not None:  # a missing limit (NaN in the scorer) is no value in PMML
        limit = [results[i]["credit_limit"] for i in good]
        np.testing.assert_allclose([math.nan if v is None else float(v) for v in limit], local["limit"][good],
                                   rtol=1e-12, atol=1e-9)
    return {"rows": len(frame), "refused": len(refused), "flagged": len(flagged),
            "max_abs_pd": float(np.max(np.abs(pd_pmml - local["pd"][good]), initial=0.0))}


@pytest.mark.parametrize("engine", ["jpmml", "pypmml"])
@pytest.mark.parametrize("case", CASES)
def test_pmml_scores_as_the_scorer_in_both_engines(engines, request, tmp_path, case, engine):
    bundle, frame = _case(request, case)
    path = tmp_path / f"{case}.pmml"
    to_pmml(bundle, path)
    found = _parity(bundle, frame, engines.score(engine, path, frame))
    assert found["rows"] > (10 if case in ("rules", "calibrated") else 200)
    if case == "german_refuses_unseen":
        assert found["refused"] >= 3 and found["flagged"] == 0
    assert found["max_abs_pd"] <= 1e-15
    if case in ("german_logistic", "taiwan_logistic", "synthetic_crosstab"):
        assert found["flagged"] > 0  # unseen labels and missing values: counted in outside_training
    assert found["refused"] >= (0 if case in ("german_logistic",) else 1)


@pytest.mark.parametrize("engine", ["jpmml", "pypmml"])
def test_pmml_4_2_scores_the_same(engines, german_logistic, tmp_path, engine):
    bundle, frame = german_logistic
    path = tmp_path / "german42.pmml"
    to_pmml(bundle, path, version="4.2")
    _parity(bundle, frame, engines.score(engine, path, frame))


def test_reason_ties_and_zero_losses_come_out_as_the_scorers(engines, tmp_path):
    """Two characteristics losing the same points, and records losing nothing at all: the
    scorer ranks ties by feature order and reports zero losses; both engines must too."""
    content = {key: value for key, value in RULES.items() if key != "sha256"}
    content = json.loads(json.dumps(content))
    for f in content["model"]["features"]:
        f["points"] = [10.0 if p == f["best_points"] else 4.0 for p in f["points"]]
        f["best_points"] = 10.0
    bundle = scoring.seal(content)
    rows = RULES_ROWS.iloc[[0, 1, 2, 11, 12]]  # all best, ties at 6 points lost, mixes
    path = tmp_path / "ties.pmml"
    to_pmml(bundle, path)
    for engine in ("jpmml", "pypmml"):
        _parity(bundle, rows, engines.score(engine, path, rows))
    first = scoring.Scorer(bundle).score(rows.iloc[[0]], on_error="report")["reasons"][0].tolist()
    assert first == ["x", "c", "k"]  # nothing lost anywhere: the features in their order


def test_model_verification_is_checked_by_the_engine(engines, tmp_path, german_logistic):
    bundle, _ = german_logistic
    text = to_pmml(bundle)
    path = tmp_path / "ok.pmml"
    path.write_text(text)
    engines.jpmml(path)  # verify() scores the embedded rows: passes
    root = ET.fromstring(text)
    ns = {"p": "http://www.dmg.org/PMML-4_4"}
    rows = root.findall(".//p:ModelVerification/p:InlineTable/p:row", ns)
    assert len(rows) >= 4
    cell = rows[1].find("p:out_pd", ns)
    cell.text = repr(float(cell.text) + 1e-6)  # one expected PD off by 1e-6
    bad = tmp_path / "bad.pmml"
    bad.write_text(ET.tostring(root, encoding="unicode"))
    with pytest.raises(Exception, match="do not match"):
        engines.jpmml(bad)


def test_export_is_deterministic_and_names_the_bundle(german_logistic, tmp_path):
    bundle, _ = german_logistic
    a, b = to_pmml(bundle, tmp_path / "a.pmml"), to_pmml(scoring.dumps_bundle(bundle))  # keys sorted
    assert a == b == (tmp_path / "a.pmml").read_text()
    assert bundle["sha256"] in a
    assert a.count("<Characteristic ") == len(bundle["model"]["features"])


@pytest.fixture(scope="module")
def kmv_bundle():
    book = rm.make_portfolio(n_firms=200, n_years=3, random_state=0).firm_years
    cols = ["equity_value", "equity_vol", "short_term_debt", "long_term_debt", "rate", "total_assets",
            "industry"]
    return rm.KMVModel().fit(book[cols], book["default"]).to_bundle()


def test_refused_kinds_versions_and_rules(kmv_bundle, german_logistic):
    with pytest.raises(BundleError, match="KMV bundle cannot be written as PMML: .*Merton root"):
        to_pmml(kmv_bundle)
    with pytest.raises(BundleError, match="unknown PMML version"):
        to_pmml(RULES, version="3.2")
    with pytest.raises(BundleError, match="missing values: PMML 4.2"):
        to_pmml(RULES, version="4.2")  # input x refuses missing values: 4.2 cannot say so
    text = to_pmml(german_logistic[0], version="4.2")
    assert 'version="4.2"' in text and "PMML-4_2" in text
    changed = bytearray(json.dumps(RULES).encode())
    changed[changed.index(b"-1.5")] = ord("+")  # a changed byte: the bundle is refused
    with pytest.raises(BundleError):
        to_pmml(bytes(changed))


def test_an_input_named_like_an_output_is_refused_at_export(engines, tmp_path):
    """JPMML 1.7 refuses a document whose input and output are both ``pd``
    (DuplicateFieldValueException): the export says so, naming the input, before any engine."""
    from riskmodels import scoring

    content = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "pd", "type": "number"}],
               "model": {"input": "pd"}, "calibration": [],
               "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    with pytest.raises(BundleError, match=r"input\(s\) \['pd'\] share their name"):
        to_pmml(scoring.seal(content))
    content["inputs"][0]["name"] = content["model"]["input"] = "p"
    path = tmp_path / "identity.pmml"
    to_pmml(scoring.seal(content), path)
    assert engines.jpmml(path).evaluate({"p": 0.3})["grade"] == "A"


def test_tie_break_refuses_losses_too_close_to_rank():
    assert tie_break_step([{"points": [3.0, 1.0], "best_points": 3.0}]) == 0.5
    with pytest.raises(BundleError, match="too close"):
        tie_break_step([{"points": [100.0, 100.0 - 1e-13, 50.0], "best_points": 100.0}])


def test_cli_export_pmml(tmp_path, german_logistic, kmv_bundle):
    bundle, _ = german_logistic
    src = tmp_path / "b.json"
    src.write_bytes(scoring.dumps_bundle(bundle))
    out = tmp_path / "card.pmml"
    run = subprocess.run([sys.executable, "-m", "riskmodels.cli", "export-pmml", str(src), "-o", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert out.read_text() == to_pmml(bundle)
    kmv = tmp_path / "kmv.json"
    kmv.write_bytes(scoring.dumps_bundle(kmv_bundle))
    run = subprocess.run([sys.executable, "-m", "riskmodels.cli", "export-pmml", str(kmv), "-o",
                          str(tmp_path / "k.pmml")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Merton" in run.stderr
    assert not (tmp_path / "k.pmml").exists()
