"""KMV-style structural models: Merton solver, distance to default, DD→PD maps.

Listed firms: equity value E and volatility σE give the firm's asset value V and
asset volatility σV through the two Merton (1974) equations, solved for a whole
portfolio in one vectorised call (:func:`solve_merton`), or from a history of daily
equity values by the iterative estimator of Vassalou & Xing (2004)
(:func:`iterative_kmv`). The distance to default (DD) measures how many standard
deviations the assets stand above the KMV default point, short-term debt plus half
the long-term debt (Crosbie & Bohn 2003). Private firms get an accounting proxy:
book assets and the asset volatility of their listed peers, flagged as a proxy
wherever it appears. DD becomes a PD either as N(−DD) or through an empirical,
monotone map fitted on observed defaults (:func:`fit_empirical_pd_map`), as KMV maps
DD to EDF with its default database. :class:`KMVModel` wraps it all as an estimator
whose predictions run through the numpy-only ``kmv`` kernel of
:mod:`riskmodels.scoring`.

The package: :mod:`~riskmodels.models.kmv.checks` (input rules, status codes),
:mod:`~riskmodels.models.kmv.merton` (Merton equations, solver, DD),
:mod:`~riskmodels.models.kmv.iterative` (Vassalou–Xing iterative estimator),
:mod:`~riskmodels.models.kmv.peers` (history and peer asset volatility),
:mod:`~riskmodels.models.kmv.pd_map` (empirical DD→PD map),
:mod:`~riskmodels.models.kmv.plots` (pictures) and
:mod:`~riskmodels.models.kmv.estimator` (:class:`KMVModel`).

Examples
--------
>>> sol = solve_merton(equity=3.0, equity_vol=0.80, debt=10.0, rate=0.05, horizon=1.0)
>>> round(float(sol.asset_value), 2), round(float(sol.asset_vol), 4), round(float(sol.pd), 3)
(12.4, 0.2123, 0.127)
"""

from riskmodels.models.kmv.checks import MERTON_STATUS
from riskmodels.models.kmv.estimator import KMVModel
from riskmodels.models.kmv.iterative import IterativeKMVResult, iterative_kmv, iterative_kmv_frame
from riskmodels.models.kmv.merton import (
    MertonSolution,
    default_point,
    distance_to_default,
    merton_equity,
    naive_distance_to_default,
    pd_sensitivities,
    solve_merton,
)
from riskmodels.models.kmv.pd_map import EmpiricalPDMap, fit_empirical_pd_map
from riskmodels.models.kmv.peers import history_asset_volatility, peer_asset_volatility
from riskmodels.models.kmv.plots import plot_dd_by_outcome

__all__ = ["MERTON_STATUS", "MertonSolution", "solve_merton", "merton_equity", "default_point",
           "distance_to_default", "naive_distance_to_default", "pd_sensitivities", "IterativeKMVResult",
           "iterative_kmv", "iterative_kmv_frame", "history_asset_volatility", "peer_asset_volatility",
           "EmpiricalPDMap", "fit_empirical_pd_map", "plot_dd_by_outcome", "KMVModel"]
