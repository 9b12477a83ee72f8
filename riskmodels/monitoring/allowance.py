"""The receivables allowance per period in a monitoring report: the provision matrix's allowance
on each month (or quarter, year) end and its movement (:func:`riskmodels.provisions.allowance_movement`).

Examples
--------
>>> import pandas as pd
>>> from riskmodels.data.ledger import Ledger
>>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"], "amount": [100.0],
...     "issue_date": pd.to_datetime(["2024-01-10"]), "due_date": pd.to_datetime(["2024-02-09"])})
>>> mv = period_allowance(Ledger(inv, Ledger.empty_payments()), end="2024-03-31", freq="quarter",
...                       loss_rates=[0.01, 0.1, 0.2, 0.5, 1.0])
>>> mv.table.index.tolist(), mv.closing   # 51 days past due on 31 March: 20 %
(['2023-03-31..2023-06-30', '2023-06-30..2023-09-30', '2023-09-30..2023-12-31', '2023-12-31..2024-03-31'], 20.0)
"""

from __future__ import annotations

import pandas as pd

from riskmodels.data.ledger import Ledger
from riskmodels.errors import ParameterError
from riskmodels.provisions.movement import AllowanceMovement, allowance_movement

MATRIX_OPTIONS = {"buckets", "method", "history", "forward_looking", "loss_after", "last_bucket_loss", "loss_rates"}


def period_allowance(ledger: Ledger, start=None, end=None, freq: str = "month", as_of=None,
                     **options) -> AllowanceMovement:
    """The allowance per ``freq`` period from ``start`` to ``end`` and its movement.

    ``end`` defaults to ``as_of``, else the ledger's last issue or payment date; ``start`` to
    twelve months before ``end``. ``options`` go to :func:`~riskmodels.provisions.provision_matrix`.
    """
    unknown = sorted(set(options) - MATRIX_OPTIONS)
    if unknown:
        raise ParameterError(f"unknown allowance option(s) {unknown}; known: start, end, freq, as_of, "
                             f"{', '.join(sorted(MATRIX_OPTIONS))}")
    if end is None:
        end = as_of if as_of is not None else _last_date(ledger)
    end = pd.Timestamp(end)
    start = end - pd.DateOffset(months=12) if start is None else pd.Timestamp(start)
    return allowance_movement(ledger, start, end, freq=freq, **options)


def _last_date(ledger: Ledger) -> pd.Timestamp:
    dates = [ledger.invoices["issue_date"].max()]
    if len(ledger.payments):
        dates.append(ledger.payments["payment_date"].max())
    return pd.Timestamp(max(dates))
