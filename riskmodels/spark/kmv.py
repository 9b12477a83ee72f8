"""Fit a :class:`~riskmodels.models.kmv.KMVModel` on a Spark DataFrame of firms: each partition solved in numpy.

Two ``mapInPandas`` passes run the model's own fit steps where the firms are
(the vectorised Merton solver, one batch at a time):

1. each batch is checked (:meth:`KMVModel.validate_firms`) and its listed firms
   solved (:meth:`KMVModel.peer_inputs`); their peer groups, asset volatilities,
   asset values and EBIT reach the driver, which runs :meth:`KMVModel.fit_peers`;
2. each batch's distances to default (:meth:`KMVModel.distances`) and outcomes
   reach the driver, which fits the DD→PD map (:meth:`KMVModel.fit_pd_map`).

Driver memory is a few numbers per firm (a KMV portfolio holds firms, not
records); the solving, the heavy part, is distributed. Only ``method="merton"``
(one date per firm) runs on Spark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import functions as F

from riskmodels.errors import DataValidationError, ParameterError, RiskModelsError, Violation
from riskmodels.models.kmv import KMVModel
from riskmodels.spark.binning import spark_target

_PEERS = "group string, listed boolean, asset_vol double, asset_value double, ebit double, error string"


def _peer_inputs(model: KMVModel):
    """The function of pass 1: check each batch against the input rules, then its :meth:`KMVModel.peer_inputs`."""

    def solve(batches):
        for frame in batches:
            frame = frame.drop(columns="_y")
            try:
                model.validate_firms(frame)
            except RiskModelsError as exc:
                yield pd.DataFrame({"group": [None], "listed": [False], "asset_vol": [np.nan], "asset_value": [np.nan],
                                    "ebit": [np.nan], "error": [str(exc)]})
                return
            yield model.peer_inputs(frame).assign(error=None)

    return solve


def _distances(model: KMVModel):
    """The function of pass 2: every firm's DD and solver status (:meth:`KMVModel.distances`)."""

    def kernel(batches):
        for frame in batches:
            dd, status = model.distances(frame.drop(columns="_y"))
            yield pd.DataFrame({"dd": dd, "status": status, "y": frame["_y"].to_numpy()})

    return kernel


def fit_kmv(model: KMVModel, spark_df, target: str = "default") -> KMVModel:
    """Learn the peer volatilities and the DD→PD map of ``model`` from a Spark DataFrame of firms.

    Equal to ``model.fit(X, y)`` with ``X = spark_df.drop(target)``, ``y = spark_df[target]``.

    Parameters
    ----------
    model : a KMVModel with ``method="merton"``.
    spark_df : pyspark DataFrame of firms (the model's input columns and the target).
    target : the 0/1 default flag.

    Returns
    -------
    the model, fitted.
    """
    model.fit_columns(spark_df.columns)
    if model.method != "merton":
        raise ParameterError([Violation("method", f"is {model.method!r}", "'merton' on Spark")], "KMVModel")
    spark_target(spark_df, target)
    firms = spark_df.select(*model.feature_names_in_, F.col(target).cast("int").alias("_y"))
    peers = firms.mapInPandas(_peer_inputs(model), _PEERS).toPandas()
    errors = peers["error"].dropna()
    if len(errors):
        raise DataValidationError([Violation("<firms>", f"{errors.iloc[0]} (row positions within a Spark batch)",
                                             "the KMVModel input rules")], "KMVModel.fit on Spark")
    if model.proxy:
        model.fit_peers(peers)
    found = firms.mapInPandas(_distances(model), "dd double, status long, y int").toPandas()
    return model.fit_pd_map(found["dd"].to_numpy(), found["status"].to_numpy(), found["y"].to_numpy())
