"""Export: the scorer bundle as a file, an MLflow pyfunc, and scoring at scale.

- :func:`write_bundle` writes a model's (or a bundle's) JSON scorer bundle.
- :func:`to_mlflow` logs the bundle as an MLflow pyfunc model with a signature
  and an input example; :func:`register_scorer` puts it in the model registry
  with the master scale as tags.
- :mod:`riskmodels.export.spark` and :mod:`riskmodels.export.dask` score
  distributed frames with the same :class:`~riskmodels.scoring.Scorer`.
- :func:`export_scorer` writes ``scoring.py`` + the bundle + a usage example into
  a folder: the single-file route for production code that needs only numpy.
- :func:`to_sql` and :func:`to_pmml` write the bundle as one SQL statement or as a
  PMML Scorecard, for engines that are not Python.
- :func:`score_frame` turns a pandas frame into a frame of scores (pd, score,
  grade, reasons, limit) — what the pyfunc, Spark, Dask and the CLI return.

Heavy dependencies (mlflow, pyspark, dask) are imported only when used.

Examples
--------
>>> from riskmodels import export
>>> export.score_frame.__module__
'riskmodels.export.frames'
"""

from __future__ import annotations

from riskmodels._lazy import lazy_getattr

_LAZY = {
    "to_mlflow": "riskmodels.export.pyfunc",
    "register_scorer": "riskmodels.export.pyfunc",
    "pyfunc_signature": "riskmodels.export.pyfunc",
    "pyfunc_input": "riskmodels.export.pyfunc",
    "BundleModel": "riskmodels.export.pyfunc",
    "score_frame": "riskmodels.export.frames",
    "output_columns": "riskmodels.export.frames",
    "write_bundle": "riskmodels.export.frames",
    "export_scorer": "riskmodels.export.standalone",
    "to_sql": "riskmodels.export.sql",
    "to_pmml": "riskmodels.export.pmml",
}


__getattr__ = lazy_getattr("riskmodels.export", _LAZY, globals())


__all__ = sorted(_LAZY)
