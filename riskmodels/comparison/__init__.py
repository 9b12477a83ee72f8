"""The comparison of every model on one data set, one split and one master scale."""

from riskmodels.comparison.config import (
    ExperimentConfig,
    load_config,
    parse_config,
    shipped_experiments,
)
from riskmodels.comparison.runner import Comparison, ModelResult, compare

__all__ = ["compare", "Comparison", "ModelResult", "ExperimentConfig", "load_config", "parse_config",
           "shipped_experiments"]
