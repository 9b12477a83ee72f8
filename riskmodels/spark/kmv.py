"""Fit a :class:`~riskmodels.models.kmv.KMVModel` on a Spark DataFrame of firms: each partition solved in numpy.

Two ``mapInPandas`` passes run the vectorised Merton solver
(:func:`~riskmodels.models.kmv.merton.solve_merton`, Newton on all of a
batch's firms at once) where the firms are:

1. each batch is checked against the model's input rules and its listed firms
   are solved; only their peer group, asset volatility, asset value and EBIT
   reach the driver, which takes the peer medians
   (:func:`~riskmodels.models.kmv.peers.peer_asset_volatility`) and the EBIT
   multiple as :meth:`KMVModel.fit` does;
2. each batch goes through the ``kmv`` kernel with those peers; every firm's
   distance to default, solver status and outcome reach the driver, which fits
   the DD→PD map (:meth:`KMVModel.fit_pd_map`, a quantile binning of the DDs).

Driver memory is a few numbers per firm (a KMV portfolio holds firms, not
records); the solving, the heavy part, is distributed. Only ``method="merton"``
(one date per firm) runs on Spark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.data.frames import schema_from_inputs
from riskmodels.errors import DataValidationError, ParameterError, RiskModelsError, Violation
from riskmodels.models.kmv import KMVModel
from riskmodels.models.kmv.estimator import no_listed_firm
from riskmodels.spark.binning import spark_target

_LISTED = "group string, listed boolean, asset_vol double, asset_value double, ebit double, error string"


def _rows(groups, listed: bool, asset_vol, asset_value, ebit) -> pd.DataFrame:
    n = len(groups)
    return pd.DataFrame({"group": pd.Series(groups, dtype=object), "listed": np.full(n, listed),
                         "asset_vol": np.asarray(asset_vol, dtype=float), "asset_value": np.asarray(asset_value, dtype=float),
                         "ebit": np.asarray(ebit, dtype=float), "error": pd.Series([None] * n, dtype=object)})


def _listed_firms(model: KMVModel, rules: list):
    """The function of pass 1: check each batch, solve its listed firms (numpy, one batch at a time)."""
    peer = model.peer_group

    def solve(batches):
        for frame in batches:
            frame = frame.drop(columns="_y")
            try:
                schema_from_inputs(rules, "KMVModel.fit").validate(frame)
            except RiskModelsError as exc:
                yield _rows(np.array([None], dtype=object), False, [np.nan], [np.nan], [np.nan]).assign(
                    error=pd.Series([str(exc)], dtype=object))
                return
            market, sol = model.solve_listed(frame)
            groups = (np.array([None if pd.isna(g) else str(g) for g in frame[peer]], dtype=object)
                      if peer in frame else np.full(len(frame), None, dtype=object))
            others = np.array(list(dict.fromkeys(groups[~market])), dtype=object)
            parts = [_rows(others, False, np.full(len(others), np.nan), np.full(len(others), np.nan),
                           np.full(len(others), np.nan))]
            if sol is not None:
                ebit = model.column("ebit")
                ebit = frame.loc[market, ebit].to_numpy(dtype=float) if ebit in frame else np.full(len(sol.asset_vol), np.nan)
                parts.append(_rows(groups[market], True, sol.asset_vol, sol.asset_value, ebit))
            out = pd.concat(parts, ignore_index=True)
            yield out

    return solve


def _distances(model: KMVModel):
    """The function of pass 2: every firm's DD and solver status through the kmv kernel."""

    def kernel(batches):
        for frame in batches:
            out = model._kernel_output(frame.drop(columns="_y"))["extra"]
            yield pd.DataFrame({"dd": np.asarray(out["dd"], dtype=float),
                                "status": np.asarray(out["status"], dtype=np.int64), "y": frame["_y"].to_numpy()})

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
    from pyspark.sql import functions as F

    model._check_params()
    if model.method != "merton":
        raise ParameterError([Violation("method", f"is {model.method!r}", "'merton' on Spark")], "KMVModel")
    spark_target(spark_df, target)
    rules = model._input_rules()
    names = [r["name"] for r in rules if r["name"] in spark_df.columns]
    firms = spark_df.select(*names, F.col(target).cast("int").alias("_y"))
    model.feature_names_in_ = np.asarray(names, dtype=object)
    model.n_features_in_ = len(names)
    model.classes_ = np.array([0, 1])
    model.master_scale_ = model.master_scale
    solved = firms.mapInPandas(_listed_firms(model, rules), _LISTED).toPandas()
    errors = solved["error"].dropna()
    if len(errors):
        raise DataValidationError([Violation("<firms>", f"{errors.iloc[0]} (row positions within a Spark batch)",
                                             "the KMVModel input rules")], "KMVModel.fit on Spark")
    if model.proxy:
        listed = solved[solved["listed"].to_numpy(dtype=bool)]
        if listed.empty:
            raise no_listed_firm(model.column("equity_value"))
        model.fit_peers(listed["group"].to_numpy(dtype=object), listed["asset_vol"], listed["asset_value"],
                        listed["ebit"], solved["group"].dropna())
    found = firms.mapInPandas(_distances(model), "dd double, status long, y int").toPandas()
    return model.fit_pd_map(found["dd"].to_numpy(), found["status"].to_numpy(), found["y"].to_numpy())
