"""Loaders for the public data sets bundled with the package (see each folder's MANIFEST.md).

Each loader checks the file's sha256 against ``SHA256SUMS`` before reading it and
raises :class:`~riskmodels.errors.DataIntegrityError` naming the file if they
differ, or :class:`~riskmodels.errors.DataNotFoundError` if it is not there.
Frames come back typed, with a ``target`` column (1 = default/bad) where the set
has one.

The data lives in the repository's top-level ``data/`` folder; the wheel ships it
inside the package (build configuration, see :mod:`riskmodels.shipped`), so it is
found from a checkout, an editable install and an installed wheel alike; set
``RISKMODELS_DATA_DIR`` to use a copy elsewhere.

Examples
--------
>>> df = load_taiwan()
>>> df.shape, round(df["target"].mean(), 4)
((30000, 25), 0.2212)
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd

from riskmodels.errors import DataIntegrityError, DataNotFoundError, DataValidationError, Violation
from riskmodels.shipped import shipped_dir

GERMAN_COLUMNS = [
    "checking_status", "duration_months", "credit_history", "purpose", "credit_amount",
    "savings_status", "employment_since", "installment_rate_pct_income", "personal_status_sex",
    "other_debtors_guarantors", "residence_since", "property", "age_years",
    "other_installment_plans", "housing", "existing_credits_count", "job", "num_dependents",
    "telephone", "foreign_worker",
]
GERMAN_NUMERIC = {
    "duration_months", "credit_amount", "installment_rate_pct_income", "residence_since",
    "age_years", "existing_credits_count", "num_dependents",
}
SP_STATES_FROM = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC/C"]
SP_STATES_TO = SP_STATES_FROM + ["D", "NR"]
SP_HORIZONS = (1, 2, 3, 5, 7, 10, 15, 20)
JLT_STATES = ["Aaa", "Aa", "A", "Baa", "Ba", "B", "Caa", "D"]


def data_dir() -> Path:
    """The folder holding the bundled data sets: ``RISKMODELS_DATA_DIR`` or the shipped ``data/``.

    Examples
    --------
    >>> (data_dir() / "SHA256SUMS").is_file()
    True
    """
    env = os.environ.get("RISKMODELS_DATA_DIR")
    if env:
        return Path(env)
    return shipped_dir("data")


def _where_from() -> str:
    if os.environ.get("RISKMODELS_DATA_DIR"):
        return "RISKMODELS_DATA_DIR points at a folder without it"
    return "the bundled data is not installed (reinstall riskmodels, or run from a full checkout)"


@lru_cache(maxsize=4)
def _manifest(root: Path) -> dict[str, str]:
    sums = root / "SHA256SUMS"
    if not sums.is_file():
        raise DataNotFoundError(f"checksum manifest {sums} not found: {_where_from()}")
    out = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            out[name.strip()] = digest
    return out


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verified_path(relative: str) -> Path:
    """Path of a bundled file after checking its sha256 against ``SHA256SUMS``.

    Raises
    ------
    DataNotFoundError : the file or the manifest is not there (not installed, wrong folder).
    DataIntegrityError : the file is unlisted in the manifest, or its bytes changed.

    Examples
    --------
    >>> verified_path("german_credit/german.data").name
    'german.data'
    """
    root = data_dir()
    path = root / relative
    expected = _manifest(root).get(relative)
    if expected is None:
        raise DataIntegrityError(f"{relative} is not listed in {root / 'SHA256SUMS'}")
    if not path.is_file():
        raise DataNotFoundError(f"{path} not found (listed in SHA256SUMS): {_where_from()}")
    actual = sha256_file(path)
    if actual != expected:
        raise DataIntegrityError(
            f"{path} has sha256 {actual}, the manifest says {expected}: the file was modified")
    return path


def load_taiwan() -> pd.DataFrame:
    """UCI default of credit card clients (Yeh & Lien 2009): 30,000 rows, 22.12 % default.

    Columns keep the UCI names (``LIMIT_BAL``, ``SEX``, ``EDUCATION``, ``MARRIAGE``,
    ``AGE``, ``PAY_0``, ``PAY_2``..``PAY_6``, ``BILL_AMT1..6``, ``PAY_AMT1..6``) as int64;
    ``ID`` is the row id and ``target`` (int8) is ``default payment next month``.
    """
    path = verified_path("taiwan_credit_default/default_of_credit_card_clients.csv.gz")
    df = pd.read_csv(path, dtype="int64")
    df = df.rename(columns={"default payment next month": "target"})
    df["target"] = df["target"].astype("int8")
    return df


def load_german() -> pd.DataFrame:
    """UCI Statlog German credit (Hofmann 1994): 1,000 rows, 30 % bad.

    Categorical attributes are pandas categoricals of the UCI codes (``A11`` ...);
    numeric ones are int64; ``target`` is 1 for bad (UCI class 2), 0 for good.
    """
    path = verified_path("german_credit/german.data")
    df = pd.read_csv(path, sep=" ", header=None, names=GERMAN_COLUMNS + ["class"])
    for name in GERMAN_COLUMNS:
        df[name] = df[name].astype("int64") if name in GERMAN_NUMERIC else df[name].astype("category")
    df["target"] = (df.pop("class") == 2).astype("int8")
    return df


def load_south_german() -> pd.DataFrame:
    """South German Credit, the corrected German data (Grömping 2019): 1,000 rows, 30 % bad.

    All 20 attributes are int64 codes as in ``codetable.txt``; ``target`` is 1 for bad
    (``credit_risk`` 0), 0 for good.
    """
    path = verified_path("german_credit/SouthGermanCredit.asc")
    df = pd.read_csv(path, sep=" ", dtype="int64")
    df["target"] = (df.pop("credit_risk") == 0).astype("int8")
    return df


def load_ibm_ar() -> pd.DataFrame:
    """IBM accounts-receivable invoices (simulated teaching ledger): 2,466 invoices, 100 customers.

    Columns renamed to snake case: ``country_code``, ``customer_id``, ``paperless_date``,
    ``invoice_id`` (string, zero-padded), ``invoice_date``, ``due_date``, ``amount``,
    ``disputed`` (bool), ``settled_date``, ``paperless_bill``, ``days_to_settle``, ``days_late``.
    There is no default flag (every invoice was settled).
    """
    path = verified_path("ibm_accounts_receivable/WA_Fn-UseC_-Accounts-Receivable.csv")
    df = pd.read_csv(path, dtype={"invoiceNumber": str, "customerID": str})
    df = df.rename(columns={
        "countryCode": "country_code", "customerID": "customer_id", "PaperlessDate": "paperless_date",
        "invoiceNumber": "invoice_id", "InvoiceDate": "invoice_date", "DueDate": "due_date",
        "InvoiceAmount": "amount", "Disputed": "disputed", "SettledDate": "settled_date",
        "PaperlessBill": "paperless_bill", "DaysToSettle": "days_to_settle", "DaysLate": "days_late",
    })
    for name in ("paperless_date", "invoice_date", "due_date", "settled_date"):
        df[name] = pd.to_datetime(df[name], format="%m/%d/%Y")
    df["disputed"] = df["disputed"].eq("Yes")
    df["paperless_bill"] = df["paperless_bill"].astype("category")
    return df


def load_polish(year: int = 5) -> pd.DataFrame:
    """UCI Polish companies bankruptcy (Zięba et al. 2016), forecasting year 1 or 5.

    ``Attr1``..``Attr64`` are float64 ratios (NaN where the source had ``?``);
    ``target`` is 1 for bankrupt. Year 5: 5,910 rows, 6.94 %; year 1: 7,027 rows, 3.86 %.
    """
    if year not in (1, 5):
        raise DataValidationError([Violation("year", f"is {year!r}", "1 or 5 (the bundled files)")])
    path = verified_path(f"polish_bankruptcy/{year}year.csv.gz")
    df = pd.read_csv(path)
    df["target"] = df.pop("class").astype("int8")
    return df.astype({f"Attr{i}": "float64" for i in range(1, 65)})


def load_sp_transitions(horizon: int = 1) -> pd.DataFrame:
    """S&P global corporate average cumulative transition rates 1981–2016, as fractions.

    Rows AAA..CCC/C, columns AAA..CCC/C, D, NR (not NR-adjusted); ``horizon`` in years,
    one of 1, 2, 3, 5, 7, 10, 15, 20.
    """
    if horizon not in SP_HORIZONS:
        raise DataValidationError([Violation("horizon", f"is {horizon!r}", f"one of {SP_HORIZONS} years")])
    path = verified_path("rating_transitions/sp_1981-2016.csv")
    raw = pd.read_csv(path, header=None, skiprows=2).iloc[:, :9].to_numpy(dtype=float)
    block = SP_HORIZONS.index(horizon)
    values = raw[block * 7:(block + 1) * 7] / 100.0
    return pd.DataFrame(values, index=pd.Index(SP_STATES_FROM, name="from"),
                        columns=pd.Index(SP_STATES_TO, name="to"))


def load_jlt_transitions() -> pd.DataFrame:
    """Moody's one-year transition matrix of Jarrow, Lando & Turnbull (1997), 8 states incl. D."""
    path = verified_path("rating_transitions/JLT.csv")
    values = pd.read_csv(path).to_numpy(dtype=float)
    return pd.DataFrame(values, index=pd.Index(JLT_STATES, name="from"),
                        columns=pd.Index(JLT_STATES, name="to"))


def sp_long_run_default_rates() -> pd.Series:
    """One-year default rate per S&P grade 1981–2016 (the D column of the 1-year matrix).

    Examples
    --------
    >>> sp_long_run_default_rates()["BB"]
    0.0072
    """
    return load_sp_transitions(1)["D"].round(6).rename("default_rate")


__all__ = [
    "data_dir", "verified_path", "sha256_file", "load_taiwan", "load_german", "load_south_german",
    "load_ibm_ar", "load_polish", "load_sp_transitions", "load_jlt_transitions",
    "sp_long_run_default_rates",
]
