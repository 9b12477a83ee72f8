"""Payment-history features and default flags from a Spark ledger: :mod:`riskmodels.data.features` in Spark.

The same definitions and no-look-ahead rules, as Spark window and aggregate
expressions over the tables of a :class:`riskmodels.data.ledger.Ledger` held
as Spark DataFrames: each invoice's settlement day is the first payment day on
which its cumulative payments (a window per invoice, ordered by day) reach the
amount less the ledger's tolerance. The observation dates are a small table
cross-joined to the ledger, so that all dates are one ``groupBy`` per table:

* features at ``t`` use only invoices issued and payments made on or before
  ``t``, and the credit limit valid at ``t`` (its latest ``valid_from``);
* the default flag looks forward over ``(t, t + horizon]`` only: the day an
  invoice reaches the DPD threshold with a material amount unpaid (payments
  made before that day), or a write-off dated in the window.

Equal to the pandas path on the same ledger (``tests/test_spark_features.py``:
the IBM accounts-receivable sample and a synthetic ledger).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import Window
from pyspark.sql import functions as F

from riskmodels.data.features import (
    PAYMENT_FEATURES,
    DefaultDefinition,
    FeatureConfig,
    observation_dates,
)
from riskmodels.data.ledger import require_ledger_columns

_EPOCH = "1970-01-01"
NEVER_DAY = 2 ** 40  # a day that never comes (settlement of an unpaid invoice)


def _day(column: str):
    return F.datediff(F.col(column).cast("date"), F.lit(_EPOCH).cast("date"))


def _plus_months(day, months):
    """Day number ``months`` calendar months after ``day`` (Spark's add_months: the month's last day when
    there is no corresponding day, as :func:`riskmodels.data.periods.add_months`)."""
    base = F.lit(_EPOCH).cast("date")
    return F.datediff(F.add_months(F.date_add(base, day.cast("int")), months), base)


def _calendar_months(start, end):
    """:func:`riskmodels.data.periods.months_between` for ``start <= end`` (day-number columns)."""
    base = F.lit(_EPOCH).cast("date")

    def month(day):
        date = F.date_add(base, day.cast("int"))
        return F.year(date) * 12 + F.month(date)

    k = month(end) - month(start)
    k = k - (_plus_months(start, k) > end).cast("int")
    first, second = _plus_months(start, k), _plus_months(start, k + 1)
    return k.cast("double") + (end - first).cast("double") / (second - first).cast("double")


def check_ledger_columns(invoices, payments, credit_limits=None, write_offs=None) -> None:
    """:func:`riskmodels.data.ledger.require_ledger_columns` of Spark tables (None: an optional table left out)."""
    require_ledger_columns(*[None if t is None else t.columns for t in (invoices, payments, credit_limits, write_offs)])


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


def _day_number(t: pd.Timestamp) -> int:
    return int(t.to_datetime64().astype("datetime64[D]").astype(np.int64))


def _dates_table(spark, dates: list, offsets: dict):
    """One row per observation date: ``_k`` (its position), ``_t`` (day) and a day per named month offset.

    ``offsets`` maps a column name to months (negative = before ``t``, as ``t - k months``).
    """
    rows = [(k, _day_number(t), *[_day_number(t + pd.DateOffset(months=m)) for m in offsets.values()])
            for k, t in enumerate(dates)]
    return spark.createDataFrame(rows, ["_k", "_t", *offsets])


def _limits_at_dates(credit_limits, dates_df):
    """The credit limit valid at each date per customer (``_k``, ``customer_id``, ``_limit``)."""
    limits = credit_limits.select("customer_id", F.col("limit").cast("double").alias("_limit"),
                                  *([_day("valid_from").alias("_from")] if "valid_from" in credit_limits.columns
                                    else []))
    if "valid_from" not in credit_limits.columns:  # one row per customer, valid at every date
        return limits.crossJoin(F.broadcast(dates_df.select("_k")))
    valid = limits.crossJoin(F.broadcast(dates_df.select("_k", "_t"))).where(F.col("_from") <= F.col("_t"))
    return valid.groupBy("_k", "customer_id").agg(F.max_by("_limit", "_from").alias("_limit"))


def payment_features(invoices, payments, as_of, config: FeatureConfig | None = None,
                     tolerance: float = 0.01, credit_limits=None, write_offs=None) -> pd.DataFrame:
    """Payment-history features per customer at one or more dates, computed in Spark.

    Parameters
    ----------
    invoices, payments : Spark DataFrames with the columns of ``Ledger.invoices`` /
        ``Ledger.payments`` (optional ``disputed`` / ``reminders`` invoice columns).
    as_of : a date or dates. config : FeatureConfig (defaults when None).
    tolerance : the ledger's settlement tolerance (``Ledger.tolerance``).
    credit_limits : Spark DataFrame with the columns of ``Ledger.credit_limits`` or None
        (then ``limit_utilisation`` is NaN, as for a ledger without a limits table).
    write_offs : Spark DataFrame with the columns of ``Ledger.write_offs`` or None (invoices
        written off by the date leave ``outstanding``, as in the pandas path).

    Returns
    -------
    pandas DataFrame: one row per customer with an invoice issued by the date, per date, as
    :func:`riskmodels.data.features.payment_features` returns it.

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> spark = local_session(1)
    >>> inv = pd.DataFrame({"customer_id": ["a", "b"], "invoice_id": ["1", "2"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01", "2024-05-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31", "2024-05-31"]),
    ...                     "amount": [10.0, 20.0]})
    >>> pay = pd.DataFrame({"invoice_id": ["1"], "customer_id": ["a"],
    ...                     "payment_date": pd.to_datetime(["2024-02-10"]), "amount": [10.0]})
    >>> limits = pd.DataFrame({"customer_id": ["a", "b"], "limit": [50.0, 40.0]})
    >>> f = payment_features(spark.createDataFrame(inv), spark.createDataFrame(pay), "2024-06-30",
    ...                      credit_limits=spark.createDataFrame(limits))
    >>> f[["customer_id", "dpd_max_6m", "outstanding", "limit_utilisation"]].values.tolist()
    [['a', 10.0, 0.0, 0.0], ['b', 30.0, 20.0, 0.5]]
    """
    config = FeatureConfig() if config is None else config
    check_ledger_columns(invoices, payments, credit_limits, write_offs)
    dates = observation_dates(as_of)
    return _collect(_feature_rows(invoices, payments, dates, config, tolerance, credit_limits, write_offs), dates)


def _feature_rows(invoices, payments, dates, config, tolerance, credit_limits, write_offs=None):
    """Lazy Spark DataFrame: ``_k`` (date position), ``customer_id`` and the features in the pandas order."""
    offsets = {"_lookback": -config.lookback_months, "_trend": -config.trend_months,
               **{f"_w{m}": -m for m in config.dpd_windows}}
    dates_df = F.broadcast(_dates_table(invoices.sparkSession, dates, offsets))
    inv, pay = settled_invoices(invoices, payments, tolerance)
    first_issue = inv.groupBy("customer_id").agg(F.min("_issue").alias("_first_issue"))
    paid = (pay.crossJoin(dates_df.select("_k", "_t")).where(F.col("_pday") <= F.col("_t"))
            .groupBy("_pid", F.col("_k").alias("_pk")).agg(F.sum("_pamt").alias("_paid_by")))
    known = inv.crossJoin(dates_df).where(F.col("_issue") <= F.col("_t"))
    known = known.join(paid, (F.col("invoice_id") == F.col("_pid")) & (F.col("_k") == F.col("_pk")), "left")
    day = F.col("_t")
    issue, due, settle, amount = F.col("_issue"), F.col("_due"), F.col("_settle"), F.col("amount").cast("double")
    open_ = settle > day
    on_books = open_
    if write_offs is not None and "invoice_id" in write_offs.columns:  # written off: off the books
        gone = (write_offs.where(F.col("invoice_id").isNotNull()).groupBy(F.col("invoice_id").alias("_wid"))
                .agg(F.min(_day("write_off_date")).alias("_written_off")))
        known = known.join(gone, F.col("invoice_id") == F.col("_wid"), "left")
        on_books = open_ & ~F.coalesce(F.col("_written_off") <= day, F.lit(False))
    outstanding = F.when(on_books, F.greatest(amount - F.coalesce(F.col("_paid_by"), F.lit(0.0)), F.lit(0.0))) \
        .otherwise(0.0)
    peak = F.greatest(F.least(settle, day) - due, F.lit(0)).cast("double")
    fell_due = (due <= day) & (due > F.col("_lookback"))
    recent = fell_due & (due > F.col("_trend"))
    early = fell_due & ~(due > F.col("_trend"))
    issued_recently = issue > F.col("_lookback")

    def total(cond, value):
        return F.sum(F.when(cond, value).otherwise(0.0))

    def ratio(num, den):
        return F.when(den > 0, num / den)

    age = day - (issue if config.ageing_basis == "issue" else due)
    bucket = F.lit(0)
    for bound in config.ageing_bounds:
        bucket = bucket + (F.greatest(age, F.lit(0)) > F.lit(bound)).cast("int")
    if config.ageing_years is not None:  # the calendar bucket (FeatureConfig.bucket_of)
        start = issue if config.ageing_basis == "issue" else due
        bucket = bucket + (day >= _plus_months(start, F.lit(12 * config.ageing_years))).cast("int")
    n_due = total(fell_due, F.lit(1.0))
    n_recent, n_early = total(recent, F.lit(1.0)), total(early, F.lit(1.0))
    aggs = [F.first("_t").alias("_t"), F.max(F.when(open_, peak).otherwise(0.0)).alias("dpd_current")]
    aggs += [F.coalesce(F.max(F.when(settle > F.col(f"_w{m}"), peak)), F.lit(0.0)).alias(f"dpd_max_{m}m")
             for m in config.dpd_windows]
    aggs += [ratio(total(fell_due & (settle <= due), F.lit(1.0)), n_due).alias("on_time_share"),
             ratio(total(fell_due, peak), n_due).alias("avg_days_late"),
             ratio(total(fell_due, peak * amount), total(fell_due, amount)).alias("weighted_days_late"),
             (ratio(total(recent, peak), n_recent) - ratio(total(early, peak), n_early)).alias("late_trend"),
             total(issued_recently, F.lit(1.0)).alias("n_invoices"),
             total(issued_recently, amount).alias("_volume"),
             F.sum(outstanding).alias("outstanding"),
             total(due < day, outstanding).alias("overdue_amount")]
    for column, name in (("disputed", "n_disputes"), ("reminders", "n_reminders")):
        if column in invoices.columns:
            aggs.append(total(issued_recently, F.col(column).cast("double")).alias(name))
    aggs += [total(bucket == j, outstanding).alias(f"_bucket{j}") for j in range(config.n_buckets())]
    grouped = known.groupBy("_k", "customer_id").agg(*aggs).join(first_issue, "customer_id")
    limit = F.lit(None).cast("double")
    if credit_limits is not None:
        grouped = grouped.join(_limits_at_dates(credit_limits, dates_df), ["_k", "customer_id"], "left")
        limit = F.col("_limit")
    utilisation = F.when(limit > 0, F.col("outstanding") / limit).alias("limit_utilisation")
    tenure = _calendar_months(F.col("_first_issue"), F.col("_t")).alias("tenure_months")
    company = F.sum("_volume").over(Window.partitionBy("_k"))
    volume_share = F.when(company > 0, F.col("_volume") / company).alias("volume_share")
    total_open = F.col("outstanding")
    shares = [F.when(total_open > 0, F.col(f"_bucket{j}") / total_open).otherwise(0.0).alias(name)
              for j, name in enumerate(config.bucket_names())]
    columns = {"limit_utilisation": utilisation, "tenure_months": tenure, "volume_share": volume_share}
    extras = [name for name in ("n_disputes", "n_reminders") if name in grouped.columns]
    return grouped.select("_k", "customer_id", *[columns.get(c, F.col(c)) for c in PAYMENT_FEATURES], *extras,
                          *shares)


def _collect(rows, dates) -> pd.DataFrame:
    """The rows of :func:`_feature_rows` / :func:`_flag_rows` (or both joined) as the pandas path's frame."""
    out = rows.toPandas().sort_values(["_k", "customer_id"], kind="stable").reset_index(drop=True)
    out["customer_id"] = out["customer_id"].to_numpy(dtype=object)
    out.insert(1, "as_of", pd.DatetimeIndex(dates).take(out.pop("_k").to_numpy()).to_numpy())
    if "_first" in out.columns:
        first = out.pop("_first")
        happened = first.notna().to_numpy()
        days = np.where(happened, first.fillna(0).to_numpy(dtype=np.int64), 0)
        out["default"] = happened.astype(np.int8)
        out["default_date"] = pd.Series(days.astype("datetime64[D]").astype("datetime64[us]")).where(happened)
        out["defaulted_at_obs"] = out.pop("_now").to_numpy(dtype=bool)
        out["window_complete"] = out.pop("window_complete").to_numpy(dtype=bool)
    return out


def default_flags(invoices, payments, as_of, definition: DefaultDefinition | None = None,
                  tolerance: float = 0.01, write_offs=None) -> pd.DataFrame:
    """Default flag per customer over the window after each date, computed in Spark.

    Parameters
    ----------
    invoices, payments : Spark DataFrames with the columns of ``Ledger.invoices`` /
        ``Ledger.payments``.
    as_of : a date or dates ``t``; the window is ``(t, t + horizon_months]``.
    definition : DefaultDefinition (90 DPD on any amount, or a write-off, over 12 months when None).
    tolerance : the ledger's settlement tolerance (``Ledger.tolerance``).
    write_offs : Spark DataFrame with the columns of ``Ledger.write_offs`` or None.

    Returns
    -------
    pandas DataFrame: ``customer_id``, ``as_of``, ``default`` (int8), ``default_date``,
    ``defaulted_at_obs``, ``window_complete``, as :func:`riskmodels.data.features.default_flags`
    returns them.

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> spark = local_session(1)
    >>> inv = spark.createDataFrame([("a", "1", "2024-01-01", "2024-01-31", 10.0), ("b", "2", "2024-01-01",
    ...     "2024-01-31", 20.0)], "customer_id string, invoice_id string, issue_date string, due_date string, amount double")
    >>> pay = spark.createDataFrame([("2", "2024-02-20", 20.0)], "invoice_id string, payment_date string, amount double")
    >>> flags = default_flags(inv, pay, "2024-01-15")
    >>> flags[["customer_id", "default", "default_date"]]
      customer_id  default default_date
    0           a        1   2024-04-30
    1           b        0          NaT
    """
    definition = DefaultDefinition() if definition is None else definition
    check_ledger_columns(invoices, payments, write_offs=write_offs)
    dates = observation_dates(as_of)
    return _collect(_flag_rows(invoices, payments, dates, definition, tolerance, write_offs), dates)


def _flag_rows(invoices, payments, dates, definition, tolerance, write_offs):
    """Lazy Spark DataFrame: ``_k``, ``customer_id``, ``_first`` (first default day), ``_now``, ``window_complete``."""
    dates_df = F.broadcast(_dates_table(invoices.sparkSession, dates, {"_horizon": definition.horizon_months, "_year_ago": -12}))
    inv, pay = settled_invoices(invoices, payments, tolerance)
    inv = inv.withColumn("_event", F.col("_due") + F.lit(definition.dpd_threshold) if definition.dpd_years is None
                         else _plus_months(F.col("_due"), F.lit(12 * definition.dpd_years)))
    before = (pay.join(inv.select(F.col("invoice_id").alias("_pid"), "_event"), "_pid")
              .where(F.col("_pday") < F.col("_event")).groupBy("_pid").agg(F.sum("_pamt").alias("_before")))
    amount = F.col("amount").cast("double")
    unpaid = amount - F.coalesce(F.col("_before"), F.lit(0.0))
    material = (unpaid >= F.greatest(F.lit(float(definition.materiality_abs)),
                                     F.lit(float(definition.materiality_rel)) * amount)) & (unpaid > F.lit(tolerance))
    hits = (inv.join(before, inv["invoice_id"] == before["_pid"], "left")
            .where((F.col("_settle") >= F.col("_event")) & material)
            .select("customer_id", F.col("_event"), F.col("_settle").alias("_until")))
    if definition.write_offs and write_offs is not None:
        gone = write_offs.select("customer_id", _day("write_off_date").alias("_event"))
    else:
        gone = hits.limit(0).select("customer_id", "_event")
    ends = (invoices.agg(F.max(_day("issue_date")).alias("_a"))
            .crossJoin(payments.agg(F.max(_day("payment_date")).alias("_b")))
            .crossJoin(gone.agg(F.max("_event").alias("_c"))))
    last_event = ends.select(F.greatest(*[F.coalesce(F.col(c), F.lit(0)) for c in ("_a", "_b", "_c")])
                             .alias("_last"))  # the ledger's last dated event
    day, event = F.col("_t"), F.col("_event")
    in_window = (event > day) & (event <= F.col("_horizon"))
    hit_rows = hits.crossJoin(dates_df).select(
        "_k", "customer_id", F.when(in_window, event).alias("_first"),
        ((event <= day) & (F.col("_until") > day)).alias("_now"))
    gone_rows = gone.crossJoin(dates_df).select(
        "_k", "customer_id", F.when(in_window, event).alias("_first"),
        ((event <= day) & (event > F.col("_year_ago"))).alias("_now"))
    found = hit_rows.unionByName(gone_rows).groupBy("_k", "customer_id").agg(
        F.min("_first").alias("_first"), F.max(F.col("_now").cast("int")).alias("_now"))
    customers = (inv.groupBy("customer_id").agg(F.min("_issue").alias("_first_issue")).crossJoin(dates_df)
                 .where(F.col("_first_issue") <= day).select("_k", "customer_id", "_horizon"))
    return (customers.join(found, ["_k", "customer_id"], "left").crossJoin(F.broadcast(last_event))
            .select("_k", "customer_id", "_first", F.coalesce(F.col("_now"), F.lit(0)).cast("boolean").alias("_now"),
                    (F.col("_last") >= F.col("_horizon")).alias("window_complete")))


def build_panel(invoices, payments, as_of, config: FeatureConfig | None = None,
                definition: DefaultDefinition | None = None, tolerance: float = 0.01,
                credit_limits=None, write_offs=None) -> pd.DataFrame:
    """Features at each date joined with the default flag of the window after it, computed in Spark.

    Parameters
    ----------
    invoices, payments, credit_limits, write_offs : Spark DataFrames (the Ledger's tables;
        the last two optional).
    as_of : distinct dates. config, definition : as in :func:`riskmodels.data.features.build_panel`.
    tolerance : the ledger's settlement tolerance (``Ledger.tolerance``).

    Returns
    -------
    pandas DataFrame: :func:`payment_features` plus ``default``, ``default_date``,
    ``defaulted_at_obs`` and ``window_complete``, one row per customer and date.

    Examples
    --------
    >>> from riskmodels.spark.session import local_session
    >>> spark = local_session(1)
    >>> inv = pd.DataFrame({"customer_id": ["a"], "invoice_id": ["1"],
    ...                     "issue_date": pd.to_datetime(["2024-01-01"]),
    ...                     "due_date": pd.to_datetime(["2024-01-31"]), "amount": [10.0]})
    >>> pay = pd.DataFrame({"invoice_id": ["1"], "payment_date": pd.to_datetime(["2024-06-20"]),
    ...                     "amount": [10.0]})
    >>> panel = build_panel(spark.createDataFrame(inv), spark.createDataFrame(pay), ["2024-01-15", "2024-03-31"])
    >>> panel["dpd_current"].tolist(), panel["default"].tolist()
    ([0.0, 60.0], [1, 1])
    """
    dates = observation_dates(as_of, distinct=True)
    config = FeatureConfig() if config is None else config
    definition = DefaultDefinition() if definition is None else definition
    check_ledger_columns(invoices, payments, credit_limits, write_offs)
    feats = _feature_rows(invoices, payments, dates, config, tolerance, credit_limits, write_offs)
    flags = _flag_rows(invoices, payments, dates, definition, tolerance, write_offs)
    return _collect(feats.join(flags, ["_k", "customer_id"], "left"), dates)  # one Spark job for the panel


__all__ = ["payment_features", "default_flags", "build_panel", "settled_invoices", "check_ledger_columns",
           "NEVER_DAY"]
