"""Export: the scorer bundle as a file, an MLflow pyfunc, and scoring at scale.

- :func:`write_bundle` writes a model's (or a bundle's) JSON scorer bundle.
- :func:`to_mlflow` logs the bundle as an MLflow pyfunc model with a signature
  and an input example; :func:`register_scorer` puts it in the model registry
  with the master scale as tags.
- :mod:`riskmodels.export.spark` and :mod:`riskmodels.export.dask` score
  distributed frames with the same :class:`~riskmodels.scoring.Scorer`.
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

import importlib

_LAZY = {
    "to_mlflow": "riskmodels.export.pyfunc",
    "register_scorer": "riskmodels.export.pyfunc",
    "pyfunc_signature": "riskmodels.export.pyfunc",
    "pyfunc_input": "riskmodels.export.pyfunc",
    "BundleModel": "riskmodels.export.pyfunc",
    "score_frame": "riskmodels.export.frames",
    "output_columns": "riskmodels.export.frames",
    "write_bundle": "riskmodels.export.frames",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'riskmodels.export' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = sorted(_LAZY)
