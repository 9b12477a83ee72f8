"""Exact monotone optimal binning, WoE/IV tables and the many-column transformer.

Examples
--------
>>> from riskmodels.binning import woe_iv
>>> round(woe_iv([100, 200], [30, 25])[1], 4)
0.1857
"""

from riskmodels.binning.optimal import OptimalBinning
from riskmodels.binning.optimizer import Partition, optimal_partition
from riskmodels.binning.prebinning import quantile_splits
from riskmodels.binning.process import BinningProcess
from riskmodels.binning.table import BinningTable
from riskmodels.binning.woe import iv_strength, woe_iv, woe_iv_per_bin

__all__ = ["OptimalBinning", "BinningProcess", "BinningTable", "optimal_partition", "Partition", "quantile_splits",
           "woe_iv", "woe_iv_per_bin", "iv_strength"]
