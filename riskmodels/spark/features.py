"""Payment-history features from a Spark ledger: :func:`riskmodels.data.features.payment_features` in Spark.

The same definitions and no-look-ahead rules, as Spark window and aggregate
expressions over an invoices and a payments DataFrame (the columns of
:class:`riskmodels.data.ledger.Ledger`): each invoice's settlement day is the
first payment day on which its cumulative payments (a window per invoice,
ordered by day) reach the amount less the ledger's tolerance; at each
observation date only invoices issued and payments made on or before it count;
then one ``groupBy`` per date gives every customer's features. Equal to the
pandas path on the same ledger (``tests/test_spark_features.py``, on the IBM
accounts-receivable sample). Credit limits are not read here: ``limit_utilisation``
is NaN (as locally for a ledger without a limits table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.data.features import DAYS_PER_MONTH, FeatureConfig
from riskmodels.errors import DataValidationError, Violation

_EPOCH = "1970-01-01"
NEVER_DAY = 2 ** 40  # a day that never comes (settlement of an unpaid invoice)


def _day(column: str):
    from pyspark.sql import functions as F

    return F.datediff(F.col(column).cast("date"), F.lit(_EPOCH).cast("date"))


def settled_invoices(invoices, payments, tolerance: float = 0.01):
    """Invoices with day numbers and their settlement day (``NEVER_DAY`` when unpaid), as a Spark DataFrame.

    Parameters
    ----------
    invoices, payments : Spark DataFrames with the Ledger's invoice and payment columns.
    tolerance : an invoice is settled when its payments reach amount − tolerance.

    Returns
    -------
    (invoices with ``_issue``, ``_due``, ``_settle`` day numbers, payments with ``_pid``,
    ``_pday``, ``_pamt``): lazy Spark DataFrames (see :func:`payment_features` for an example).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    inv = invoices.select("*", _day("issue_date").alias("_issue"), _day("due_date").alias("_due"))
    pay = payments.select(F.col("invoice_id").alias("_pid"), _day("payment_date").alias("_pday"),
                          F.col("amount").cast("double").alias("_pamt"))
    running = Window.partitionBy("_pid").orderBy("_pday").rangeBetween(Window.unboundedPreceding, 0)
    joined = pay.join(inv.select(F.col("invoice_id").alias("_pid"), F.col("amount").cast("double").alias("_amt")),
                      "_pid").withColumn("_paid", F.sum("_pamt").over(running))
    first = (joined.where(F.col("_paid") >= F.col("_amt") - F.lit(tolerance))
             .groupBy("_pid").agg(F.min("_pday").alias("_first")))
    zero = F.col("amount") <= F.lit(tolerance)
    out = inv.join(first, inv["invoice_id"] == first["_pid"], "left").drop("_pid")
    settle = F.least(F.when(zero, F.col("_issue")).otherwise(F.lit(NEVER_DAY)),
                     F.coalesce(F.col("_first"), F.lit(NEVER_DAY)))
    return out.withColumn("_settle", settle).drop("_first"), pay


def _observation_dates(as_of) -> list:
    many = not isinstance(as_of, (str, pd.Timestamp, np.datetime64)) and np.ndim(as_of) > 0
    try:
        dates = [pd.Timestamp(x) for x in (list(as_of) if many else [as_of])]
    except (ValueError, TypeError) as exc:
        raise DataValidationError([Violation("as_of", f"is not a date ({exc})", "dates")]) from exc
    if not dates or any(pd.isna(d) for d in dates):
        raise DataValidationError([Violation("as_of", f"is {as_of!r}", "one or more dates, no NaT")])
    return [d.normalize() for d in dates]


def _months_before(t: pd.Timestamp, months: int) -> int:
    return int((t - pd.DateOffset(months=months)).to_datetime64().astype("datetime64[D]").astype(np.int64))


def payment_features(invoices, payments, as_of, config: FeatureConfig | None = None,
                     tolerance: float = 0.01) -> pd.DataFrame:
    """Payment-history features per customer at one or more dates, computed in Spark.

    Parameters
    ----------
    invoices, payments : Spark DataFrames with the columns of ``Ledger.invoices`` /
        ``Ledger.payments`` (optional ``disputed`` / ``reminders`` invoice columns).
    as_of : a date or dates. config : FeatureConfig (defaults when None).
    tolerance : the ledger's settlement tolerance (``Ledger.tolerance``).

    Returns
    -------
    pandas DataFrame: one row per customer with an invoice issued by the date, per date, as
    :func:`riskmodels.data.features.payment_features` returns it.

    Examples
    --------
    >>> from riskmodels.data.ledger import Ledger
    >>> from riskmodels.spark.session import local_session
    >>> spark = local_session(1)
    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-05-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31", "2024-05-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> pay = pd.DataFrame({"invoice_id": ["1"], "customer_id": ["a"],
    ...                     "payment_date": pd.to_datetime(["2024-02-10"]), "amount": [10.0]})
    >>> f = payment_features(spark.createDataFrame(inv), spark.createDataFrame(pay), "2024-06-30")
    >>> f[["customer_id", "dpd_max_6m", "outstanding"]].values.tolist()
    [['a', 10.0, 0.0], ['b', 30.0, 20.0]]
    """
    from pyspark.sql import functions as F

    config = FeatureConfig() if config is None else config
    inv, pay = settled_invoices(invoices, payments, tolerance)
    first_issue = inv.groupBy("customer_id").agg(F.min("_issue").alias("_first_issue"))
    frames = []
    for t in _observation_dates(as_of):
        day = int(t.to_datetime64().astype("datetime64[D]").astype(np.int64))
        paid = (pay.where(F.col("_pday") <= day).groupBy("_pid").agg(F.sum("_pamt").alias("_paid_by")))
        known = inv.where(F.col("_issue") <= day).join(paid, inv["invoice_id"] == paid["_pid"], "left")
        issue, due, settle, amount = F.col("_issue"), F.col("_due"), F.col("_settle"), F.col("amount").cast("double")
        open_ = settle > day
        outstanding = F.when(open_, F.greatest(amount - F.coalesce(F.col("_paid_by"), F.lit(0.0)), F.lit(0.0))) \
            .otherwise(0.0)
        peak = F.greatest(F.least(settle, F.lit(day)) - due, F.lit(0)).cast("double")
        lookback = _months_before(t, config.lookback_months)
        fell_due = (due <= day) & (due > lookback)
        recent = fell_due & (due > _months_before(t, config.trend_months))
        early = fell_due & ~(due > _months_before(t, config.trend_months))
        issued_recently = issue > lookback

        def total(cond, value):
            return F.sum(F.when(cond, value).otherwise(0.0))

        def ratio(num, den):
            return F.when(den > 0, num / den)

        age = F.lit(day) - (issue if config.ageing_basis == "issue" else due)
        bucket = F.lit(0)
        for bound in config.ageing_bounds:
            bucket = bucket + (F.greatest(age, F.lit(0)) > F.lit(bound)).cast("int")
        n_due = total(fell_due, F.lit(1.0))
        n_recent, n_early = total(recent, F.lit(1.0)), total(early, F.lit(1.0))
        aggs = [F.max(F.when(open_, peak).otherwise(0.0)).alias("dpd_current")]
        aggs += [F.coalesce(F.max(F.when(settle > _months_before(t, m), peak)), F.lit(0.0)).alias(f"dpd_max_{m}m")
                 for m in config.dpd_windows]
        aggs += [ratio(total(fell_due & (settle <= due), F.lit(1.0)), n_due).alias("on_time_share"),
                 ratio(total(fell_due, peak), n_due).alias("avg_days_late"),
                 ratio(total(fell_due, peak * amount), total(fell_due, amount)).alias("weighted_days_late"),
                 (ratio(total(recent, peak), n_recent) - ratio(total(early, peak), n_early)).alias("late_trend"),
                 total(issued_recently, F.lit(1.0)).alias("n_invoices"),
                 F.sum(outstanding).alias("outstanding"),
                 total(due < day, outstanding).alias("overdue_amount")]
        for column, name in (("disputed", "n_disputes"), ("reminders", "n_reminders")):
            if column in invoices.columns:
                aggs.append(total(issued_recently, F.col(column).cast("double")).alias(name))
        aggs += [total(bucket == j, outstanding).alias(f"_bucket{j}") for j in range(len(config.ageing_bounds) + 1)]
        grouped = known.groupBy("customer_id").agg(*aggs).join(first_issue, "customer_id").toPandas()
        grouped = grouped.sort_values("customer_id", kind="stable").reset_index(drop=True)
        grouped["tenure_months"] = (day - grouped.pop("_first_issue").to_numpy(dtype=float)) / DAYS_PER_MONTH
        grouped["limit_utilisation"] = np.nan
        totals = grouped["outstanding"].to_numpy(dtype=float)
        for j, name in enumerate(config.bucket_names()):
            share = grouped.pop(f"_bucket{j}").to_numpy(dtype=float)
            grouped[name] = np.divide(share, totals, out=np.zeros(len(totals)), where=totals > 0)
        grouped.insert(1, "as_of", t)
        frames.append(grouped)
    return pd.concat(frames, ignore_index=True)
