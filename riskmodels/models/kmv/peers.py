"""Asset volatility from a history, and the peer-group asset volatility used for private firms."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskmodels.errors import DataValidationError, Violation
from riskmodels.models.kmv.checks import (
    check_arrays,
    float_array,
    require,
)


# --------------------------------------------------------------------------- private firms
def history_asset_volatility(history, periods_per_year: float = 1.0) -> np.ndarray:
    """Asset volatility of a private firm from its own history of (book) asset values.

    Parameters
    ----------
    history : asset values, shape (periods,) or (periods, firms), oldest first, > 0.
    periods_per_year : 1 for annual statements, 4 for quarterly.

    Returns
    -------
    ndarray : standard deviation of the log changes, annualised (a proxy: book
        values are smoothed, so this understates the market asset volatility).

    Examples
    --------
    >>> round(float(history_asset_volatility([100.0, 110.0, 99.0, 104.0])[0]), 4)
    0.1051
    """
    values = float_array("history", history)
    values = values[:, None] if values.ndim == 1 else values
    if values.shape[0] < 3:
        raise DataValidationError([Violation("history", f"has {values.shape[0]} period(s)",
                                             ">= 3 periods (two changes)")], "history_asset_volatility")
    (values,) = check_arrays("history_asset_volatility", history=values)
    require("history_asset_volatility", [("history", values <= 0, "values <= 0", "> 0")])
    return np.diff(np.log(values), axis=0).std(axis=0, ddof=1) * math.sqrt(periods_per_year)


def peer_asset_volatility(asset_vol, groups, min_peers: int = 5) -> tuple[dict, float]:
    """Median asset volatility of listed firms per peer group (e.g. industry).

    Parameters
    ----------
    asset_vol : solved σV of listed firms (NaN entries are ignored).
    groups : group label of each firm.
    min_peers : groups with fewer firms fall back to the overall median.

    Returns
    -------
    (table, overall) : {group: median σV} for groups with enough peers, and the
        overall median used for every other group.

    Examples
    --------
    >>> peer_asset_volatility([0.2, 0.3, 0.4, 0.1], ["a", "a", "a", "b"], min_peers=2)
    ({'a': 0.3}, 0.25)
    """
    frame = pd.DataFrame({"vol": float_array("asset_vol", asset_vol), "group": np.asarray(groups, dtype=object)})
    frame = frame[np.isfinite(frame["vol"])]
    if frame.empty:
        raise DataValidationError([Violation("asset_vol", "has no finite values",
                                             "at least one listed firm with a solved asset volatility")])
    stats = frame.groupby("group", observed=True, sort=True)["vol"].agg(["median", "size"])
    table = {str(g): float(m) for g, m, s in zip(stats.index, stats["median"], stats["size"], strict=True) if s >= min_peers}
    return table, float(frame["vol"].median())
