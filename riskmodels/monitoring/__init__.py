"""Monitoring an adopted scorer: stability, back-testing by grade as outcomes mature, migration,
overrides, thresholds and a verdict, against reference distributions stored in the bundle.

Examples
--------
>>> from riskmodels.monitoring import Thresholds
>>> Thresholds().psi
(0.1, 0.25)
"""

from riskmodels.monitoring.backtest import backtest, vintage_curves
from riskmodels.monitoring.decision_log import DecisionLog, read_decision_log
from riskmodels.monitoring.monitor import monitor, resolve_model
from riskmodels.monitoring.population import population_stability, psi_of_counts
from riskmodels.monitoring.reference import add_reference, build_reference, reference_of
from riskmodels.monitoring.report import MonitoringReport
from riskmodels.monitoring.thresholds import Thresholds

__all__ = ["monitor", "MonitoringReport", "Thresholds", "read_decision_log", "DecisionLog", "add_reference",
           "build_reference", "reference_of", "population_stability", "psi_of_counts", "backtest",
           "vintage_curves", "resolve_model"]
