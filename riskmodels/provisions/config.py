"""The ledger and provision options as YAML sections, and the ledger's CSV files.

One model of the options serves both YAML files that read a ledger: the monitor config's
``allowance:`` (the allowance per period, :class:`AllowanceSection`) and the experiment's
``provisions:`` (:class:`riskmodels.comparison.config.ProvisionsConfig`). Paths are relative
to the config file's folder; ``invoices: ibm_accounts_receivable`` names the bundled IBM ledger.

Examples
--------
>>> s = AllowanceSection.model_validate({"invoices": "inv.csv", "start": "2021-01-01", "freq": "quarter"})
>>> s.options()["buckets"], s.freq
((0, 30, 60, 90), 'quarter')
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from riskmodels.data.ledger import Ledger
from riskmodels.errors import FileError
from riskmodels.fileio import TEXT_TABLES, read_table, table_format

BUNDLED_LEDGER = "ibm_accounts_receivable"


def read_ledger(invoices, payments=None, write_offs=None) -> Ledger:
    """A :class:`~riskmodels.data.ledger.Ledger` from delimited text files (separator sniffed as
    for every table a user gives; ids read as text, dates parsed);
    ``invoices="ibm_accounts_receivable"`` gives the bundled IBM ledger. A missing or unreadable
    file is a :class:`~riskmodels.errors.FileError` naming it.

    Examples
    --------
    >>> read_ledger("ibm_accounts_receivable")
    Ledger(2466 invoices, 2466 payments, 100 customers)
    """
    if str(invoices) == BUNDLED_LEDGER:
        from riskmodels.data.ledger import ibm_ar_ledger

        return ibm_ar_ledger()

    def table(path, dates):
        if table_format(path) != "text" or not Path(path).is_file():
            raise FileError(f"ledger file {path} " + ("does not exist" if not Path(path).exists() else
                            f"is not delimited text ({', '.join(TEXT_TABLES)})"))
        try:  # the one reader of a user's table: encoding (UTF-8 or Chinese GB18030), separator
            frame, _ = read_table(path, dtype={"customer_id": str, "invoice_id": str})
        except FileError as exc:
            raise FileError(f"cannot read the ledger file {path}: {exc}") from None
        for column in dates:
            if column in frame:
                frame[column] = pd.to_datetime(frame[column])
        return frame

    pay = table(payments, ("payment_date",)) if payments else Ledger.empty_payments()
    wo = table(write_offs, ("write_off_date",)) if write_offs else None
    return Ledger(table(invoices, ("issue_date", "due_date")), pay, write_offs=wo)


class LedgerOptions(BaseModel):
    """The ledger's files and the provision matrix's options."""

    model_config = ConfigDict(extra="forbid")
    invoices: str | None = Field(default=None, description="invoices CSV (customer_id, invoice_id, issue_date, "
                                 "due_date, amount), or `ibm_accounts_receivable` (the bundled IBM ledger)")
    payments: str | None = Field(default=None, description="payments CSV (invoice_id, payment_date, amount)")
    write_offs: str | None = Field(default=None, description="write-offs CSV (customer_id, write_off_date, "
                                   "amount, reason, invoice_id)")
    buckets: list[int] = Field(default=[0, 30, 60, 90], description="days-past-due edges of the buckets")
    method: Literal["cohort", "roll_rate"] = Field(default="cohort", description="how the loss rates are "
                                                   "read off the history")
    history: tuple[datetime.date, datetime.date] | None = Field(
        default=None, description="issue dates [start, end] of the invoices whose outcomes give the loss "
                                  "rates (default: two years to one year before each date)")
    forward_looking: float | dict[float, float] = Field(
        default=1.0, description="multiplier of the historical loss rates, or {multiplier: probability}")

    @field_validator("buckets")
    @classmethod
    def _increasing(cls, value):
        if not value or value[0] < 0 or any(b <= a for a, b in zip(value[:-1], value[1:], strict=False)):
            raise ValueError(f"buckets must be increasing days-past-due edges >= 0; got {value}")
        return value

    def options(self) -> dict:
        """The keyword arguments of :func:`~riskmodels.provisions.provision_matrix`."""
        return {"buckets": tuple(self.buckets), "method": self.method, "history": self.history,
                "forward_looking": self.forward_looking}

    def resolve_paths(self, base) -> None:
        """Make the relative file paths relative to ``base`` (the config file's folder)."""
        for key in ("invoices", "payments", "write_offs"):
            value = getattr(self, key)
            if value is not None and value != BUNDLED_LEDGER and not Path(value).is_absolute():
                setattr(self, key, str(Path(base) / value))

    def ledger(self) -> Ledger:
        """The ledger the files give."""
        return read_ledger(self.invoices, self.payments, self.write_offs)


class AllowanceSection(LedgerOptions):
    """The allowance per period and its movement (monitoring)."""

    invoices: str = Field(description="invoices CSV, or `ibm_accounts_receivable`")
    start: datetime.date | None = Field(default=None, description="the first opening date (default: "
                                        "twelve months before `end`)")
    end: datetime.date | None = Field(default=None, description="the last closing date (default: the "
                                      "monitor's as_of, else the ledger's last issue or payment date)")
    freq: Literal["month", "quarter", "year"] = Field(default="month", description="one reconciliation "
                                                      "per month, quarter or year")


LIFETIME_SOURCES = ("master_scale", "migrations")


class ExperimentProvisions(LedgerOptions):
    """The experiment's ``provisions:``: the provision matrix of a receivables ledger on ``as_of``
    and the lifetime PD curves per grade, in the report and MLflow."""

    as_of: datetime.date | None = Field(default=None, description="the reporting date of the provision "
                                        "matrix (required with `invoices`)")
    lifetime: str = Field(default="master_scale", description="the lifetime PD curves per grade: "
                          "`master_scale` (its PDs under a constant hazard, stated in the report), "
                          "`migrations` (a one-year cohort matrix of the grades one model gives each "
                          "firm per period in the data) or a CSV file of a one-year migration matrix "
                          "(grades as rows and columns, the default state last)")
    lifetime_model: str | None = Field(default=None, description="`migrations`: the model whose grades "
                                       "migrate (default: the first that fitted)")
    firm_column: str | None = Field(default=None, description="`migrations`: the firm id column "
                                    "(default: the first of `data.id_columns`)")
    time_column: str | None = Field(default=None, description="`migrations`: the period column, in "
                                    "years (default: `split.time_column`)")
    years: int = Field(default=10, ge=1, le=50, description="the curves' horizon in years")

    @model_validator(mode="after")
    def _ledger_needs_a_date(self):
        if self.invoices is not None and self.as_of is None:
            raise ValueError("provisions with a ledger (invoices) need as_of")
        return self

    def resolve_paths(self, base) -> None:
        """Also the migration matrix file of ``lifetime``."""
        super().resolve_paths(base)
        if self.lifetime not in LIFETIME_SOURCES and not Path(self.lifetime).is_absolute():
            self.lifetime = str(Path(base) / self.lifetime)


__all__ = ["AllowanceSection", "ExperimentProvisions", "LedgerOptions", "read_ledger"]
