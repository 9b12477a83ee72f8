"""Receivables ledgers: invoices, payments, credit limits and write-offs, validated together.

A :class:`Ledger` is the raw payment history the features module turns into
per-customer features and default flags. Building one checks every table with
:class:`~riskmodels.data.schema.Schema` and then the rules that span tables
(a payment must belong to a known invoice, fall on or after its issue date and
not pay more than the invoice; limits and write-offs must name known
customers). All broken rules are reported in one
:class:`~riskmodels.errors.DataValidationError`, each naming the table and
column (``payments.amount``), the first offending row labels and the rule.

Tables and columns
------------------
invoices
    ``customer_id`` (str), ``invoice_id`` (str, unique), ``issue_date``,
    ``due_date`` (datetimes, due on or after issue), ``amount`` (>= 0);
    optional ``currency`` (one currency per ledger), ``disputed`` (bool),
    ``reminders`` (int >= 0, dunning letters sent).
payments
    ``invoice_id``, ``payment_date``, ``amount`` (>= 0); optional
    ``customer_id`` (must match the invoice's). Partial payments are rows of
    their own; the table may be empty (nothing paid yet).
credit_limits (optional)
    ``customer_id``, ``limit`` (>= 0); optional ``valid_from`` (a limit applies
    from that date on; one row per customer without it), ``safe_age_days``
    (the customer's safe ageing period), ``contract_end``.
write_offs (optional)
    ``customer_id``, ``write_off_date``, ``amount`` (>= 0), ``reason`` (e.g.
    ``bankruptcy``, ``death``, ``unpaid_3y``); optional ``invoice_id``.
collection_events (optional)
    the dunning steps, dated (004 清欠管理制度; 000 商账追讨记录): ``customer_id``,
    ``event_date``, ``step`` (one of :data:`DUNNING_STEPS`: ``written_notice``, ``call``,
    ``agreement``, ``follow_up``, ``confirmation`` — the debtor's written confirmation of the
    claim, 004 第二十六条 书面签认); optional ``invoice_id`` (the claim; none = all the
    customer's claims) and ``note``.

Examples
--------
>>> import pandas as pd
>>> inv = pd.DataFrame({"customer_id": ["c1", "c1"], "invoice_id": ["i1", "i2"],
...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
...                     "due_date": pd.to_datetime(["2024-01-31", "2024-03-02"]),
...                     "amount": [100.0, 50.0]})
>>> pay = pd.DataFrame({"invoice_id": ["i1"], "payment_date": pd.to_datetime(["2024-02-10"]),
...                     "amount": [100.0]})
>>> Ledger(inv, pay).n_customers
1
>>> Ledger(inv, pay.assign(amount=[120.0]))
Traceback (most recent call last):
...
riskmodels.errors.DataValidationError: ledger: 1 data rule(s) broken:
  - column 'payments.amount': payments exceed the invoice amount by more than 0.01 in 1 row(s): [0]; expected total paid per invoice <= invoice amount + 0.01
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from riskmodels.data.schema import Column, Schema, violation
from riskmodels.errors import DataValidationError, Violation

INVOICES = Schema([
    Column("customer_id", "string"),
    Column("invoice_id", "string"),
    Column("issue_date", "datetime"),
    Column("due_date", "datetime"),
    Column("amount", "number", min=0),
    Column("currency", "string", required=False),
    Column("disputed", "bool", required=False),
    Column("reminders", "integer", required=False, min=0),
], unique=("invoice_id",), name="invoices")

PAYMENTS = Schema([
    Column("invoice_id", "string"),
    Column("customer_id", "string", required=False),
    Column("payment_date", "datetime"),
    Column("amount", "number", min=0),
], min_rows=0, name="payments")

CREDIT_LIMITS = Schema([
    Column("customer_id", "string"),
    Column("limit", "number", min=0),
    Column("valid_from", "datetime", required=False),
    Column("safe_age_days", "number", required=False, min=0),
    Column("contract_end", "datetime", required=False, nullable=True),
], name="credit_limits")

WRITE_OFFS = Schema([
    Column("customer_id", "string"),
    Column("write_off_date", "datetime"),
    Column("amount", "number", min=0),
    Column("reason", "string"),
    Column("invoice_id", "string", required=False, nullable=True),
], min_rows=0, name="write_offs")


COLLECTION_EVENTS = Schema([
    Column("customer_id", "string"),
    Column("event_date", "datetime"),
    Column("step", "string"),
    Column("invoice_id", "string", required=False, nullable=True),
    Column("note", "string", required=False, nullable=True),
], min_rows=0, name="collection_events")

DUNNING_STEPS = ("written_notice", "call", "agreement", "follow_up", "confirmation")
"""The dunning steps a ledger records: written notice, call, payment agreement, follow-up visit or
call, and the debtor's written confirmation of the claim (004 第二十六条 书面签认)."""


def _prefixed(table: str, found: list[Violation]) -> list[Violation]:
    return [replace(v, column=f"{table}.{v.column}") for v in found]


def require_ledger_columns(invoices, payments, credit_limits=None, write_offs=None) -> None:
    """Raise :func:`validate_ledger`'s error for the required columns a table lacks, from column names alone.

    For tables held elsewhere (:mod:`riskmodels.spark.features` checks Spark tables with it).

    Parameters
    ----------
    invoices, payments : the column names of the invoice and payment tables.
    credit_limits, write_offs : the column names of the optional tables, or None.

    Raises
    ------
    DataValidationError
        Context ``ledger``, one ``missing column`` violation per absent column, named ``table.column``.

    Examples
    --------
    >>> require_ledger_columns(["customer_id", "invoice_id"], ["invoice_id", "amount"])
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: ledger: 4 data rule(s) broken:
      - column 'invoices.issue_date': missing column; expected a datetime column
      - column 'invoices.due_date': missing column; expected a datetime column
      - column 'invoices.amount': missing column; expected a number column
      - column 'payments.payment_date': missing column; expected a datetime column
    """
    tables = (("invoices", invoices, INVOICES), ("payments", payments, PAYMENTS),
              ("credit_limits", credit_limits, CREDIT_LIMITS), ("write_offs", write_offs, WRITE_OFFS))
    found = [v for table, columns, schema in tables if columns is not None
             for v in _prefixed(table, schema.missing_columns(columns))]
    if found:
        raise DataValidationError(found, context="ledger")


def validate_ledger(invoices: pd.DataFrame, payments: pd.DataFrame, credit_limits=None,
                    write_offs=None, max_overpayment: float | None = 0.01, collection_events=None) -> None:
    """Check a ledger's tables, alone and against each other; raise on any broken rule.

    Parameters
    ----------
    invoices, payments : pandas.DataFrame
        The invoice and payment tables (columns in the module docstring).
    credit_limits, write_offs : pandas.DataFrame or None
        Optional tables.
    max_overpayment : float or None
        How much the payments of one invoice may exceed its amount (absolute, in
        the ledger's currency); ``None`` accepts any over-payment.
    collection_events : pandas.DataFrame or None
        Optional dated dunning steps.

    Returns
    -------
    None

    Raises
    ------
    DataValidationError
        Every broken rule, with columns named ``table.column`` and the first rows.

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"customer_id": ["c1"], "invoice_id": ["i1"],
    ...                     "issue_date": pd.to_datetime(["2024-03-01"]),
    ...                     "due_date": pd.to_datetime(["2024-02-01"]), "amount": [10.0]})
    >>> pay = pd.DataFrame({"invoice_id": ["i9"], "payment_date": pd.to_datetime(["2024-03-05"]),
    ...                     "amount": [10.0]})
    >>> validate_ledger(inv, pay)
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: ledger: 2 data rule(s) broken:
      - column 'invoices.due_date': due date before issue date in 1 row(s): [0]; expected due_date >= issue_date
      - column 'payments.invoice_id': payment for an unknown invoice in 1 row(s): [0]; expected an invoice_id of the invoices table
    """
    _validate(invoices, payments, credit_limits, write_offs, max_overpayment, collection_events)


def _validate(invoices, payments, credit_limits, write_offs, max_overpayment, collection_events) -> np.ndarray:
    """:func:`validate_ledger`, returning :func:`invoice_rows` of the payments it matched."""
    rows = np.empty(0, dtype=np.intp)
    found: list[Violation] = []
    if max_overpayment is not None and not 0 <= max_overpayment < np.inf:  # NaN fails too
        found.append(Violation("max_overpayment", f"is {max_overpayment!r}", "a finite amount >= 0 or None"))
    inv_found = INVOICES.violations(invoices)
    found += _prefixed("invoices", inv_found)
    pay_found = PAYMENTS.violations(payments)
    found += _prefixed("payments", pay_found)
    extra = {"credit_limits": (credit_limits, CREDIT_LIMITS), "write_offs": (write_offs, WRITE_OFFS),
             "collection_events": (collection_events, COLLECTION_EVENTS)}
    extra_ok = {}
    for table, (frame, schema) in extra.items():
        if frame is None:
            continue
        if table == "credit_limits" and isinstance(frame, pd.DataFrame):
            keys = ("customer_id", "valid_from") if "valid_from" in frame.columns else ("customer_id",)
            schema = Schema(schema.columns, unique=keys, name=schema.name)
        own = schema.violations(frame)
        found += _prefixed(table, own)
        extra_ok[table] = not own
    zones = _zone_rules({"invoices": invoices, "payments": payments, **{t: f for t, (f, _) in extra.items()}})
    found += zones
    if not inv_found and not zones:
        found += _invoice_rules(invoices)
        if not pay_found:
            rows = invoice_rows(invoices["invoice_id"], payments["invoice_id"])
            found += _payment_rules(invoices, payments, max_overpayment, rows)
        known = pd.Index(invoices["customer_id"].unique())
        for table, ok in extra_ok.items():
            frame = extra[table][0]
            if ok:  # a lookup in the unique index (isin on Arrow strings boxes each known id)
                unknown = known.get_indexer(frame["customer_id"]) < 0
                if unknown.any():
                    found.append(violation(f"{table}.customer_id", "unknown customer",
                                            frame.index[unknown], "a customer_id of the invoices table"))
        if extra_ok.get("collection_events"):
            found += _event_rules(invoices, collection_events)
    if found:
        raise DataValidationError(found, context="ledger")
    return rows


def invoice_rows(ids: pd.Series, keys: pd.Series) -> np.ndarray:
    """Row of each key in the unique invoice ``ids`` (-1 where absent), e.g. of each payment's invoice.

    One ``factorize`` of both columns: the ids come first and are unique, so id row i gets
    code i (a hash index lookup, ``Index.get_indexer``, takes 2-6 times as long on a million
    string ids).

    Examples
    --------
    >>> invoice_rows(pd.Series(["a", "b", "c"]), pd.Series(["c", "x", "a", "c"])).tolist()
    [2, -1, 0, 2]
    """
    codes, _ = pd.factorize(pd.concat([ids, keys], ignore_index=True))
    rows = codes[len(ids):]
    return np.where(rows < len(ids), rows, -1)


def _zone_rules(tables: dict) -> list[Violation]:
    """Dates are all time-zone aware or all naive: a naive date has no zone to compare in.

    Aware dates are cut into days in their own zone (``features``), naive ones as written.
    """
    aware, naive = [], []
    for table, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            continue
        for column in frame.columns:
            dtype = frame[column].dtype
            if isinstance(dtype, pd.DatetimeTZDtype):
                aware.append(f"{table}.{column} ({dtype.tz})")
            elif pd.api.types.is_datetime64_dtype(dtype):
                naive.append(f"{table}.{column}")
    if aware and naive:
        return [Violation(naive[0], f"time-zone-naive dates mixed with aware ones: naive {naive}, "
                          f"aware {aware}", "every date column aware (a zone each) or every one naive")]
    return []


def _event_rules(invoices: pd.DataFrame, events: pd.DataFrame) -> list[Violation]:
    out = []
    bad = ~events["step"].isin(DUNNING_STEPS).to_numpy()
    if bad.any():
        out.append(violation("collection_events.step", "unknown dunning step", events.index[bad],
                              f"one of {list(DUNNING_STEPS)}"))
    if "invoice_id" in events.columns:
        named = events["invoice_id"].notna().to_numpy()
        where = pd.Index(invoices["invoice_id"]).get_indexer(events["invoice_id"].where(named, ""))
        owner = np.where(where >= 0, invoices["customer_id"].to_numpy()[np.maximum(where, 0)], None)
        wrong = named & ((where < 0) | (owner != events["customer_id"].to_numpy()))
        if wrong.any():
            out.append(violation("collection_events.invoice_id", "not an invoice of the event's customer",
                                  events.index[wrong], "an invoice_id of the same customer, or empty"))
    return out


def _invoice_rules(invoices: pd.DataFrame) -> list[Violation]:
    out = []
    early = (invoices["due_date"] < invoices["issue_date"]).to_numpy()
    if early.any():
        out.append(violation("invoices.due_date", "due date before issue date", invoices.index[early],
                              "due_date >= issue_date"))
    if "currency" in invoices.columns:
        currencies = invoices["currency"].unique()
        if len(currencies) > 1:
            first = invoices["currency"].iloc[0]
            other = (invoices["currency"] != first).to_numpy()
            out.append(violation("invoices.currency", f"mixed currencies {sorted(map(str, currencies))[:5]}",
                                  invoices.index[other], "one currency per ledger (convert first)"))
    return out


def _payment_rules(invoices, payments, max_overpayment, where) -> list[Violation]:
    out = []
    if not len(payments):
        return out
    unknown = where < 0
    if unknown.any():
        out.append(violation("payments.invoice_id", "payment for an unknown invoice", payments.index[unknown],
                              "an invoice_id of the invoices table"))
    known = ~unknown
    pos = where[known]
    rows = payments.index[known]
    if "customer_id" in payments.columns:
        mismatch = values_differ(payments["customer_id"][known], invoices["customer_id"].take(pos))
        if mismatch.any():
            out.append(violation("payments.customer_id", "customer differs from the invoice's customer",
                                  rows[mismatch], "the customer_id of the paid invoice"))
    before = payments["payment_date"].to_numpy()[known] < invoices["issue_date"].to_numpy()[pos]
    if before.any():
        out.append(violation("payments.payment_date", "payment before the invoice's issue date",
                              rows[before], "payment_date >= the invoice's issue_date"))
    if max_overpayment is not None:
        paid = np.bincount(pos, weights=payments["amount"].to_numpy(dtype=float)[known],
                           minlength=len(invoices))
        over = paid > invoices["amount"].to_numpy(dtype=float) + max_overpayment
        if over.any():
            out.append(violation("payments.amount",
                                  f"payments exceed the invoice amount by more than {max_overpayment}",
                                  rows[over[pos]],
                                  f"total paid per invoice <= invoice amount + {max_overpayment}"))
    return out


def values_differ(left: pd.Series, right: pd.Series) -> np.ndarray:
    """``left != right`` position by position as a bool array (missing differs from everything);
    text columns compared in their own storage, not as Python objects (10x on Arrow strings).

    Examples
    --------
    >>> values_differ(pd.Series(["a", "b", None], dtype="str"), pd.Series(["a", "c", "x"], dtype="str")).tolist()
    [False, True, True]
    >>> values_differ(pd.Series([1, 2], dtype=object), pd.Series([1, "2"], dtype=object)).tolist()
    [False, True]
    """
    if isinstance(left.dtype, pd.StringDtype) and left.dtype == right.dtype:
        out = left.array != right.array
        return out.to_numpy(dtype=bool, na_value=True) if hasattr(out, "to_numpy") else np.asarray(out, dtype=bool)
    return left.to_numpy() != right.to_numpy()


@dataclass(frozen=True)
class Ledger:
    """A validated receivables ledger (invoices, payments, optional limits and write-offs).

    Parameters
    ----------
    invoices, payments : pandas.DataFrame
        See the module docstring for the columns.
    credit_limits, write_offs, collection_events : pandas.DataFrame or None
        Optional tables.
    max_overpayment : float or None
        Allowed excess of payments over an invoice's amount; also the residual
        below which an invoice counts as settled. ``None`` accepts any excess
        (the settlement tolerance is then 0.01).

    Attributes
    ----------
    n_customers, n_invoices : int
    payment_invoice_rows : numpy.ndarray
        The row in ``invoices`` of each payment's invoice (:func:`invoice_rows`, matched
        when the ledger is validated).

    Raises
    ------
    DataValidationError
        On any broken rule (see :func:`validate_ledger`).

    Examples
    --------
    >>> import pandas as pd
    >>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31"]), "amount": [5.0]})
    >>> Ledger(inv, Ledger.empty_payments()).n_invoices
    1
    """

    invoices: pd.DataFrame
    payments: pd.DataFrame
    credit_limits: pd.DataFrame | None = None
    write_offs: pd.DataFrame | None = None
    max_overpayment: float | None = 0.01
    collection_events: pd.DataFrame | None = None
    payment_invoice_rows: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        rows = _validate(self.invoices, self.payments, self.credit_limits, self.write_offs,
                         self.max_overpayment, self.collection_events)
        object.__setattr__(self, "payment_invoice_rows", rows)  # matched once, when validated

    @property
    def tolerance(self) -> float:
        """Residual amount below which an invoice counts as fully paid."""
        return 0.01 if self.max_overpayment is None else float(self.max_overpayment)

    @property
    def n_customers(self) -> int:
        """Number of distinct customers with at least one invoice."""
        return int(self.invoices["customer_id"].nunique())

    @property
    def n_invoices(self) -> int:
        """Number of invoices."""
        return len(self.invoices)

    @staticmethod
    def empty_payments() -> pd.DataFrame:
        """A payments table with the required columns and no rows."""
        return pd.DataFrame({"invoice_id": pd.Series([], dtype=object),
                             "payment_date": pd.Series([], dtype="datetime64[ns]"),
                             "amount": pd.Series([], dtype=float)})

    def __repr__(self) -> str:
        extra = [name for name in ("credit_limits", "write_offs", "collection_events")
                 if getattr(self, name) is not None]
        return (f"Ledger({self.n_invoices} invoices, {len(self.payments)} payments, "
                f"{self.n_customers} customers{', with ' + ', '.join(extra) if extra else ''})")


def ibm_ar_ledger(frame: pd.DataFrame | None = None) -> Ledger:
    """The bundled IBM accounts-receivable invoices as a :class:`Ledger`.

    Each invoice was settled in full on ``settled_date``, so every invoice gets
    one payment of its amount on that date; ``disputed`` is kept.

    Parameters
    ----------
    frame : pandas.DataFrame or None
        Output of :func:`riskmodels.data.load_ibm_ar` (loaded when ``None``).

    Returns
    -------
    Ledger

    Examples
    --------
    >>> ibm_ar_ledger()
    Ledger(2466 invoices, 2466 payments, 100 customers)
    """
    if frame is None:
        from riskmodels.data.loaders import load_ibm_ar

        frame = load_ibm_ar()
    invoices = pd.DataFrame({
        "customer_id": frame["customer_id"].astype(str), "invoice_id": frame["invoice_id"].astype(str),
        "issue_date": frame["invoice_date"], "due_date": frame["due_date"],
        "amount": frame["amount"].astype(float), "disputed": frame["disputed"].astype(bool)})
    payments = pd.DataFrame({"invoice_id": invoices["invoice_id"], "customer_id": invoices["customer_id"],
                             "payment_date": frame["settled_date"], "amount": invoices["amount"]})
    return Ledger(invoices, payments)


__all__ = ["Ledger", "validate_ledger", "require_ledger_columns", "invoice_rows", "ibm_ar_ledger", "INVOICES",
           "PAYMENTS", "CREDIT_LIMITS",
           "WRITE_OFFS", "COLLECTION_EVENTS", "DUNNING_STEPS"]
