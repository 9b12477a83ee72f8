"""Score a Spark DataFrame with a scorer bundle (Arrow batches, numpy kernels).

The bundle JSON travels with the task (bundles are small); each Python worker
builds one :class:`~riskmodels.scoring.Scorer` per task and scores the Arrow
record batches as they come (no pandas frame, string columns by their dictionary
codes), returning Arrow batches. The kernel of the bundle's kind is shipped
too, so a kind added to :data:`~riskmodels.scoring.KERNELS` on the driver also
scores on the executors.

Only the bundle's input columns go to Python: with ``keep_columns`` (the default) the
scores come back from a scalar Arrow UDF over a struct of the inputs, and Spark lines
them up with the rows it kept in the JVM (no join, no shuffle); the other columns never
leave the JVM. Without it, ``mapInArrow`` over the inputs returns the scores alone.
"""

from __future__ import annotations

import json

from riskmodels import scoring
from riskmodels.export.frames import output_columns, refuse_clash, score_arrays


def _worker_scorer(text: str, kind: str, kernel, n_reasons: int) -> scoring.Scorer:
    if kind not in scoring.KERNELS:
        scoring.KERNELS[kind] = kernel
    return scoring.Scorer(json.loads(text), n_reasons=n_reasons)


def score_dataframe(spark_df, bundle, *, on_error: str = "raise", n_reasons: int = 3,
                    keep_columns: bool = True):
    """Append the score columns (pd, score, grade, reasons, limit[, error]) to a Spark DataFrame.

    Parameters
    ----------
    spark_df : pyspark.sql.DataFrame holding the bundle's input columns.
    bundle : bundle dict, JSON bytes or path (verified on the driver and on each worker).
    on_error : "raise" fails the job on the first bad record (BundleError naming the
        field); "report" keeps every row and fills ``error`` for bad ones. A column the
        DataFrame does not have is a missing value in every record, as everywhere.
    n_reasons : reason codes per record.
    keep_columns : keep the input columns in front of the scores.

    Returns
    -------
    pyspark.sql.DataFrame (lazy; rows keep their order within each partition)

    Examples
    --------
    >>> import os, sys
    >>> _ = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    >>> from pyspark.sql import SparkSession
    >>> spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    >>> spark.sparkContext.setLogLevel("ERROR")
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> rows = score_dataframe(spark.createDataFrame([(0.2,), (0.7,)], ["p"]), bundle).collect()
    >>> [(r.p, r.pd, r.grade) for r in rows]
    [(0.2, 0.2, 'A'), (0.7, 0.7, 'D')]
    >>> spark.stop()
    """
    from pyspark.sql import types as T

    content = scoring.read_bundle(bundle)
    scorer = scoring.Scorer(content, n_reasons=n_reasons)
    layout = output_columns(scorer, on_error)
    if keep_columns:
        refuse_clash(layout, spark_df.columns)
    spark_type = {"double": T.DoubleType(), "string": T.StringType()}
    fields = [T.StructField(name, spark_type[kind], True) for name, kind in layout]
    text = json.dumps(content, sort_keys=True)
    kind, kernel = content["kind"], scoring.KERNELS[content["kind"]]
    inputs = [r["name"] for r in content["inputs"] if r["name"] in spark_df.columns]
    from pyspark.sql import functions as F

    if not keep_columns or not hasattr(F, "arrow_udf"):  # pyspark 4.0 has no Arrow UDF: all columns go
        kept = list(spark_df.schema.fields) if keep_columns else []

        def score_batches(batches):
            import pyarrow as pa

            worker = _worker_scorer(text, kind, kernel, n_reasons)
            for batch in batches:
                scores = score_arrays(worker, batch, on_error=on_error, columns=layout)
                names = (batch.schema.names if kept else []) + list(scores)
                arrays = (batch.columns if kept else []) + list(scores.values())
                yield pa.RecordBatch.from_arrays(arrays, names=names)

        source = spark_df if kept else spark_df.select(*[F.col(f"`{n}`") for n in inputs])
        return source.mapInArrow(score_batches, T.StructType(kept + fields))

    workers = []  # one scorer per task (the function is unpickled once per task)

    def score_struct(records):
        import pyarrow as pa

        if not workers:
            workers.append(_worker_scorer(text, kind, kernel, n_reasons))
        batch = pa.RecordBatch.from_struct_array(records)
        scores = score_arrays(workers[0], batch, on_error=on_error, columns=layout)
        return pa.StructArray.from_arrays(list(scores.values()), names=list(scores))

    # nondeterministic: Spark must not inline the UDF into each field it reads back
    scorer_udf = F.arrow_udf(score_struct, T.StructType(fields)).asNondeterministic()
    column = "__riskmodels_scores__"
    while column in spark_df.columns:
        column += "_"
    scored = spark_df.withColumn(column, scorer_udf(F.struct(*[F.col(f"`{n}`") for n in inputs])))
    return scored.select(*[F.col(f"`{c}`") for c in spark_df.columns],
                         *[F.col(column)[name].alias(name) for name, _ in layout])
