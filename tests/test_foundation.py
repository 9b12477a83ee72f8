"""Foundation: bundled data loaders, checksums, the schema helper, the error hierarchy."""

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskmodels as rm
from riskmodels.data import loaders
from riskmodels.data.schema import Column, Schema, require_binary_target
from riskmodels.errors import (
    BundleError,
    DataIntegrityError,
    DataNotFoundError,
    DataValidationError,
    NotFittedError,
    RiskModelsError,
    SpecError,
)


# ---------------------------------------------------------------- loaders
# Shapes and rates from each set's MANIFEST.md (UCI documentation).
def test_taiwan_shape_dtypes_and_default_rate():
    df = rm.load_taiwan()
    assert df.shape == (30000, 25)
    assert int(df["target"].sum()) == 6636  # 22.12 % (Yeh & Lien 2009; UCI id 350)
    assert round(df["target"].mean(), 4) == 0.2212
    assert df["target"].dtype == np.int8
    assert all(df[c].dtype == np.int64 for c in df.columns if c != "target")
    assert {"LIMIT_BAL", "PAY_0", "PAY_6", "BILL_AMT1", "PAY_AMT6"} <= set(df.columns)


def test_german_statlog_and_corrected():
    statlog = rm.load_german()
    assert statlog.shape == (1000, 21) and statlog["target"].sum() == 300
    assert isinstance(statlog["checking_status"].dtype, pd.CategoricalDtype)
    assert set(statlog["checking_status"].cat.categories) == {"A11", "A12", "A13", "A14"}
    assert statlog["credit_amount"].dtype == np.int64
    south = rm.load_south_german()
    assert south.shape == (1000, 21) and south["target"].sum() == 300
    assert "credit_risk" not in south.columns


def test_ibm_ar_ledger():
    df = rm.load_ibm_ar()
    assert df.shape == (2466, 12)
    assert df["customer_id"].nunique() == 100 and df["invoice_id"].is_unique
    assert df["invoice_id"].str.len().eq(10).all()  # zero-padded ids kept as strings
    assert (df["due_date"] - df["invoice_date"]).dt.days.eq(30).all()
    late = (df["settled_date"] - df["due_date"]).dt.days.clip(lower=0)
    assert (late == df["days_late"]).all()
    assert round((df["days_late"] > 0).mean(), 4) == 0.3556


@pytest.mark.parametrize("year,rows,bankrupt", [(1, 7027, 271), (5, 5910, 410)])
def test_polish(year, rows, bankrupt):
    df = rm.load_polish(year)
    assert df.shape == (rows, 65) and int(df["target"].sum()) == bankrupt
    assert df["Attr1"].dtype == np.float64 and df.isna().any(axis=1).sum() > 0


def test_polish_rejects_missing_year():
    with pytest.raises(DataValidationError, match="column 'year': is 3; expected 1 or 5"):
        rm.load_polish(3)


def test_transition_matrices():
    sp = rm.load_sp_transitions(1)
    assert sp.shape == (7, 9)
    np.testing.assert_allclose(sp.sum(axis=1), 1.0, atol=2e-4)
    assert sp.loc["B", "D"] == pytest.approx(0.0376)  # S&P 2016 default study, 1-year
    assert rm.load_sp_transitions(5).loc["BBB", "D"] == pytest.approx(0.0193)
    jlt = rm.load_jlt_transitions()
    assert jlt.shape == (8, 8) and jlt.loc["D", "D"] == 1.0
    np.testing.assert_allclose(jlt.sum(axis=1), 1.0, atol=2e-4)
    assert jlt.loc["Caa", "D"] == pytest.approx(0.2319)  # Jarrow, Lando & Turnbull (1997)
    with pytest.raises(DataValidationError, match="column 'horizon': is 4"):
        rm.load_sp_transitions(4)


def test_modified_copy_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(loaders.data_dir(), copy)
    target = copy / "taiwan_credit_default" / "default_of_credit_card_clients.csv.gz"
    raw = bytearray(target.read_bytes())
    raw[-20] ^= 0xFF
    target.write_bytes(bytes(raw))
    monkeypatch.setenv("RISKMODELS_DATA_DIR", str(copy))
    with pytest.raises(DataIntegrityError, match="default_of_credit_card_clients.csv.gz"):
        rm.load_taiwan()
    # the other files are untouched and still load from the copy
    assert rm.load_german().shape == (1000, 21)


def test_missing_file_says_not_found_not_tampered(tmp_path, monkeypatch):
    copy = tmp_path / "data"
    shutil.copytree(loaders.data_dir(), copy)
    (copy / "german_credit" / "german.data").unlink()
    monkeypatch.setenv("RISKMODELS_DATA_DIR", str(copy))
    with pytest.raises(DataNotFoundError, match="german.data not found .*RISKMODELS_DATA_DIR") as info:
        rm.load_german()
    assert not isinstance(info.value, DataIntegrityError) and "modified" not in str(info.value)


def test_missing_manifest_says_not_found(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKMODELS_DATA_DIR", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="SHA256SUMS not found"):
        rm.load_taiwan()


def test_bundled_data_is_the_top_level_data_folder_in_a_checkout():
    # the design card: data/ at the repository's top level (the wheel carries it inside the
    # package by build configuration; tests/test_install.py checks that side)
    root = loaders.data_dir()
    assert root == Path(rm.__file__).resolve().parents[1] / "data"
    assert not (Path(rm.__file__).parent / "data" / "bundled").exists()


# ---------------------------------------------------------------- schema helper
SCHEMA = Schema(
    [
        Column("invoice_id", "string"),
        Column("amount", "number", min=0),
        Column("issued", "datetime"),
        Column("grade", "category", allowed=("A", "B", "C"), nullable=True),
    ],
    unique=("invoice_id",),
    extra="forbid",
    name="invoices",
)


def good_frame():
    return pd.DataFrame({
        "invoice_id": ["i1", "i2", "i3"],
        "amount": [10.0, 0.0, 5.5],
        "issued": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "grade": ["A", None, "C"],
    }, index=[10, 11, 12])


def violation_of(frame):
    with pytest.raises(DataValidationError) as info:
        SCHEMA.validate(frame)
    return info.value


def test_valid_frame_passes_unchanged():
    frame = good_frame()
    assert SCHEMA.validate(frame) is frame


def test_missing_column():
    err = violation_of(good_frame().drop(columns="amount"))
    assert err.columns == ["amount"] and "missing column" in str(err)


def test_extra_column_forbidden():
    err = violation_of(good_frame().assign(surprise=1))
    assert err.columns == ["surprise"] and "unexpected column" in str(err)


def test_wrong_dtype():
    err = violation_of(good_frame().assign(amount=["10", "0", "5"]))
    assert err.columns == ["amount"] and "a number column" in str(err)


def test_nan_where_not_allowed_names_rows():
    err = violation_of(good_frame().assign(amount=[1.0, np.nan, 2.0]))
    (v,) = err.violations
    assert v.column == "amount" and v.rows == (11,) and v.rule == "missing values"


def test_infinite_value():
    err = violation_of(good_frame().assign(amount=[1.0, np.inf, 2.0]))
    assert err.violations[0].rule == "infinite values" and err.violations[0].rows == (11,)


def test_duplicate_id_names_rows():
    err = violation_of(good_frame().assign(invoice_id=["i1", "i1", "i3"]))
    (v,) = err.violations
    assert v.column == "invoice_id" and v.rows == (10, 11)


def test_negative_amount_names_rows():
    err = violation_of(good_frame().assign(amount=[-1.0, 0.0, -3.0]))
    (v,) = err.violations
    assert v.rows == (10, 12) and v.n_rows == 2 and ">= 0" in v.expected


def test_unknown_category():
    err = violation_of(good_frame().assign(grade=["A", "Z", "C"]))
    assert "unknown categories ['Z']" in str(err) and err.violations[0].rows == (11,)


def test_empty_frame():
    err = violation_of(good_frame().iloc[:0])
    assert err.violations[0].column == "<frame>" and "0 row(s)" in str(err)


def test_not_a_frame():
    err = violation_of({"amount": [1]})
    assert "not a pandas DataFrame" in str(err)


def test_every_violation_reported_at_once():
    bad = good_frame().assign(amount=[-1.0, np.nan, 1.0], invoice_id=["x", "x", "y"])
    err = violation_of(bad)
    assert len(err.violations) == 3 and set(err.columns) == {"amount", "invoice_id"}


def test_many_bad_rows_are_counted_not_all_listed():
    frame = pd.DataFrame({"amount": -np.arange(1.0, 21.0)})
    with pytest.raises(DataValidationError) as info:
        Schema([Column("amount", min=0)]).validate(frame)
    v = info.value.violations[0]
    assert v.n_rows == 20 and len(v.rows) == 5 and "(+15 more)" in str(v)


def test_binary_target_rules():
    assert require_binary_target(pd.Series([0, 1, 1])).tolist() == [0, 1, 1]
    with pytest.raises(DataValidationError, match="single class"):
        require_binary_target([1, 1])
    with pytest.raises(DataValidationError, match="values other than 0/1"):
        require_binary_target([0, 2, 1])
    with pytest.raises(DataValidationError, match="empty"):
        require_binary_target([])


def test_error_hierarchy():
    for cls in (DataValidationError, DataIntegrityError, DataNotFoundError, SpecError, BundleError,
                NotFittedError):
        assert issubclass(cls, RiskModelsError)
    # same bases as scikit-learn's NotFittedError, so callers catching either work
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    err = SpecError("weights sum to 90", path="aspects[0].weight", source="five_aspect.yaml")
    assert "five_aspect.yaml at aspects[0].weight" in str(err)


def test_cli_data_lists_sets(capsys):
    from riskmodels.cli import main

    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert "taiwan" in out and "22.12%" in out
    assert "IBM receivables ledger -> 200 customer-periods" in out
    assert "Synthetic portfolio: 500 firms" in out


def test_every_public_name_resolves():
    # the top-level names are lazy: a typo in the table would only show when a user asks
    missing = [name for name in rm.__all__ if getattr(rm, name, None) is None]
    assert not missing
    assert callable(rm.compare)  # the function, not the riskmodels.comparison package
