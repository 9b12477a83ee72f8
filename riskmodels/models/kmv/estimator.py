"""KMVModel: the KMV-style estimator whose predictions run through the ``kmv`` kernel."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.data.frames import as_frame, frame_columns, schema_from_inputs
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import ConvergenceError, DataValidationError, Violation
from riskmodels.models.base import ScorerModel
from riskmodels.models.kmv.checks import (
    DD_CLIP,
    MERTON_STATUS,
    PROXY_OFFSET,
)
from riskmodels.models.kmv.iterative import iterative_kmv
from riskmodels.models.kmv.merton import (
    default_point,
    merton_equity,
    pd_sensitivities,
    solve_merton,
)
from riskmodels.models.kmv.pd_map import fit_empirical_pd_map
from riskmodels.models.kmv.peers import peer_asset_volatility
from riskmodels.models.kmv.plots import plot_dd_by_outcome
from riskmodels.results import Summary


def no_listed_firm(column: str) -> DataValidationError:
    """The error of a fit whose firms are all unlisted (no peer volatility can be estimated).

    Examples
    --------
    >>> print(no_listed_firm("equity_value"))  # doctest: +ELLIPSIS
    KMVModel.fit: ...equity_value...
    """
    return DataValidationError([Violation(column, "has no listed firm (all missing)",
                                          "some firms with equity_value and equity_vol to "
                                          "estimate peer asset volatilities")], "KMVModel.fit")


# The columns a KMVModel reads, by role: the kernel's inputs and the proxy's asset values.
COLUMN_ROLES = (*scoring.KMV_ROLES, "total_assets", "ebit")


# --------------------------------------------------------------------------- estimator
def median_multiple(asset_value, ebit) -> float:
    """Median V/EBIT of listed firms with positive EBIT (the private firms' earnings multiple).

    Examples
    --------
    >>> median_multiple([12.0, 20.0, 9.0], [2.0, 2.5, -1.0])
    7.0
    """
    value, earnings = np.asarray(asset_value, dtype=float), np.asarray(ebit, dtype=float)
    usable = (earnings > 0) & np.isfinite(value)
    if not usable.any():
        raise DataValidationError([Violation("ebit", "is <= 0 for every listed firm",
                                             "listed firms with positive EBIT to learn a multiple")],
                                  "KMVModel.fit")
    return float(np.median(value[usable] / earnings[usable]))


class KMVModel(ScorerModel):
    """KMV-style PD model: Merton DD for listed firms, accounting-proxy DD for private ones.

    Listed firms (``equity_value`` and ``equity_vol`` present) get (V, σV) from
    :func:`solve_merton` with debt = the default point; firms without market data
    get the proxy: V = ``total_assets`` (book value) or ``ebit`` × an earnings
    multiple, and σV = the median solved asset volatility of listed firms in the
    same ``peer_group`` (overall median for small or unseen groups).
    :meth:`dd_frame` marks every firm's ``source`` as "market" or "proxy". ``fit``
    learns the peer volatilities, the multiple (if not given) and the DD→PD map.

    Parameters
    ----------
    long_term_weight : share of long-term debt in the default point (KMV: 0.5).
    horizon : PD horizon in years.
    drift : asset drift in the DD; None uses each firm's ``rate`` column.
    pd_map : "empirical" (monotone map fitted on defaults, separately for market
        and proxy DDs) or "normal" (N(−DD), nothing fitted but the peer volatilities).
    n_bins, min_pd : of :func:`fit_empirical_pd_map`.
    proxy : "peer" (private firms via a proxy asset value and peer σV) or None
        (listed only: equity data are then required for every firm).
    proxy_value : "book" (V = total_assets) or "ebit" (V = ebit × ebit_multiple;
        firms with EBIT <= 0 sit at the default barrier, DD = −inf).
    ebit_multiple : asset value / EBIT for ``proxy_value="ebit"``; None learns the
        median V/EBIT of listed firms with positive EBIT.
    peer_group : column holding the peer group (e.g. industry).
    min_peers : listed firms a group needs for its own volatility.
    master_scale : master-scale bundle dict or MasterScale; None uses the default scale.
    name : model name in bundles and reports.
    method : "merton" (listed firms' equity_value and equity_vol columns, one date) or
        "iterative" (the time-series estimator of Vassalou & Xing 2004, :func:`iterative_kmv`:
        each listed firm's column ``history`` holds its daily equity values, oldest first;
        σV is the fixed point on that history and V the asset value at its last date).
        :meth:`market_inputs` turns the history into the equity_value (last value) and the
        equity_vol that Merton's equations pair with that (V, σV), so the bundle and the
        kernel stay the one-date Merton ones: ``Scorer.score(model.market_inputs(X))``
        equals ``predict_proba(X)``. Firms whose history is missing (None/NaN) keep their
        equity columns, or get the proxy.
    history : column of the daily equity histories for ``method="iterative"``.
    trading_days : observations per year of the histories (annualises σV).
    features : the columns of ``X`` by role, ``{role: column}`` for any of
        :data:`COLUMN_ROLES` (equity_value, equity_vol, short_term_debt, long_term_debt,
        rate, total_assets, ebit); a role left out is read from the column of its own name.
        The bundle's inputs carry the columns' names, so the scorer reads the same records.

    Examples
    --------
    >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
    ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
    ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
    >>> scale = {"name": "t", "grades": ["A", "B", "D"], "upper_bounds": [0.05, 1.0], "floor": None,
    ...     "midpoints": [0.01, 0.2, 1.0]}
    >>> m = KMVModel(pd_map="normal", min_peers=1, master_scale=scale).fit(X, [0, 0, 1, 0])
    >>> m.dd_frame(X)["source"].tolist()
    ['market', 'market', 'market', 'proxy']
    >>> m.predict_proba(X)[:, 1].round(3).tolist()
    [0.127, 0.0, 0.218, 0.003]
    """

    kind = "kmv"

    def __init__(self, long_term_weight: float = 0.5, horizon: float = 1.0, drift: float | None = None,
                 pd_map: str = "empirical", n_bins: int = 20, min_pd: float = 1e-4, proxy: str | None = "peer",
                 proxy_value: str = "book", ebit_multiple: float | None = None, peer_group: str = "industry",
                 min_peers: int = 5, master_scale=None, name: str | None = None, method: str = "merton",
                 history: str = "equity_history", trading_days: int = 252, features: dict | None = None):
        self.long_term_weight = long_term_weight
        self.horizon = horizon
        self.drift = drift
        self.pd_map = pd_map
        self.n_bins = n_bins
        self.min_pd = min_pd
        self.proxy = proxy
        self.proxy_value = proxy_value
        self.ebit_multiple = ebit_multiple
        self.peer_group = peer_group
        self.min_peers = min_peers
        self.master_scale = master_scale
        self.name = name
        self.method = method
        self.history = history
        self.trading_days = trading_days
        self.features = features

    def column(self, role: str) -> str:
        """The column of ``X`` that holds ``role`` (an entry of :data:`COLUMN_ROLES`).

        Examples
        --------
        >>> m = KMVModel(features={"equity_value": "mktcap"})
        >>> m.column("equity_value"), m.column("rate")
        ('mktcap', 'rate')
        """
        return (self.features or {}).get(role, role)

    # ---- bundle hooks
    def _input_rules(self, categories=None) -> list:
        market_missing = "allow" if self.proxy else "error"

        def number(name, required=True, missing="error", low=0.0, high=None):
            return {"name": name, "type": "number", "required": required, "min": low, "max": high,
                    "out_of_range": "error", "missing": missing}

        rules = [number(self.column("equity_value"), not self.proxy, market_missing),
                 number(self.column("equity_vol"), not self.proxy, market_missing),
                 number(self.column("short_term_debt")), number(self.column("long_term_debt")),
                 number(self.column("rate"), low=-1.0, high=1.0)]
        if self.proxy:
            rules += [number(self.column("total_assets")) if self.proxy_value == "book"
                      else number(self.column("ebit"), low=None),
                      {"name": self.peer_group, "type": "category", "required": True,
                       "categories": categories, "unknown": "allow", "missing": "allow"}]
        return rules

    def _bundle_inputs(self) -> list:
        return self._input_rules(getattr(self, "peer_categories_", None))

    def _bundle_model(self) -> dict:
        proxy = None
        if self.proxy:
            proxy = {"asset_value": self.column("total_assets" if self.proxy_value == "book" else "ebit"),
                     "multiple": self.proxy_multiple_, "group": self.peer_group,
                     "asset_vol": dict(self.peer_asset_vol_), "default_asset_vol": self.default_asset_vol_}
        model = {"long_term_weight": float(self.long_term_weight), "horizon": float(self.horizon),
                 "drift": None if self.drift is None else float(self.drift), "tol": 1e-10, "max_iter": 50,
                 "pd_map": self.pd_map, "dd_clip": DD_CLIP, "proxy_offset": PROXY_OFFSET, "proxy": proxy}
        columns = {role: self.column(role) for role in scoring.KMV_ROLES if self.column(role) != role}
        if columns:  # the default names keep the bundle as it always was
            model["columns"] = columns
        return model

    def _bundle_calibration(self) -> list:
        if self.pd_map == "normal":
            return []
        xs, ys = [], []
        # without private firms in the training data, proxy DDs use the market map
        for offset, pd_map in ((0.0, self.market_map_), (PROXY_OFFSET, self.proxy_map_ or self.market_map_)):
            x, y = pd_map.dd.tolist(), pd_map.pd.tolist()
            # pin both ends of each range so each map stays flat up to its own clip bound
            if x[0] > -DD_CLIP:
                x, y = [-DD_CLIP] + x, [y[0]] + y
            if x[-1] < DD_CLIP:
                x, y = x + [DD_CLIP], y + [y[-1]]
            xs += [v + offset for v in x]
            ys += y
        return [{"method": "interp", "x": xs, "y": ys}]

    # ---- fitting
    def _parameter_problems(self) -> list:
        problems = []
        if self.pd_map not in ("empirical", "normal"):
            problems.append(Violation("pd_map", f"is {self.pd_map!r}", "'empirical' or 'normal'"))
        if self.proxy not in ("peer", None):
            problems.append(Violation("proxy", f"is {self.proxy!r}", "'peer' or None"))
        if self.proxy_value not in ("book", "ebit"):
            problems.append(Violation("proxy_value", f"is {self.proxy_value!r}", "'book' or 'ebit'"))
        if self.ebit_multiple is not None and not (np.isfinite(self.ebit_multiple) and self.ebit_multiple > 0):
            problems.append(Violation("ebit_multiple", f"is {self.ebit_multiple!r}", "a number > 0 or None"))
        if not (np.isfinite(self.horizon) and self.horizon > 0):
            problems.append(Violation("horizon", f"is {self.horizon!r}", "> 0 years"))
        if self.method not in ("merton", "iterative"):
            problems.append(Violation("method", f"is {self.method!r}", "'merton' or 'iterative'"))
        if not (isinstance(self.trading_days, (int, np.integer)) and self.trading_days > 0):
            problems.append(Violation("trading_days", f"is {self.trading_days!r}", "an integer > 0"))
        features = self.features or {}
        if not isinstance(features, dict) or not all(isinstance(v, str) for v in features.values()):
            problems.append(Violation("features", f"is {self.features!r}", "a dict {role: column name} or None"))
        elif unknown := sorted(set(features) - set(COLUMN_ROLES)):
            problems.append(Violation("features", f"has unknown role(s) {unknown}", f"roles of {list(COLUMN_ROLES)}"))
        elif len(set(map(self.column, COLUMN_ROLES))) < len(COLUMN_ROLES):
            problems.append(Violation("features", f"maps two roles to one column: {features!r}",
                                      "one column per role"))
        if not 0.0 <= self.long_term_weight <= 1.0:
            problems.append(Violation("long_term_weight", f"is {self.long_term_weight!r}", "in [0, 1]"))
        return problems

    def fit(self, X, y):
        """Learn the peer-group asset volatilities and the DD→PD map.

        Parameters
        ----------
        X : DataFrame with equity_value, equity_vol (NaN for private firms),
            short_term_debt, long_term_debt, rate and, with the proxy,
            total_assets and the peer-group column.
        y : 0/1 default within the horizon.

        Returns
        -------
        self

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
        ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
        ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
        >>> KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1, 0]).training_metadata_["status_counts"]
        {'converged': 3, 'proxy': 1}
        """
        self._check_params()
        frame = self.market_inputs(X)
        target = require_binary_target(y, "y")
        if len(target) != len(frame):
            raise DataValidationError([Violation("y", f"has {len(target)} values", f"{len(frame)} (one per row of X)")])
        self.validate_firms(frame)
        self.fit_columns(frame.columns)
        if self.proxy:
            self.fit_peers(self.peer_inputs(frame))
        return self.fit_pd_map(*self.distances(frame), target)

    # ---- the steps of fit, public for fits that read the firms elsewhere (riskmodels.spark: per partition)
    def fit_columns(self, columns) -> KMVModel:
        """Check the parameters and record which of ``columns`` the model reads; the first step of :meth:`fit`.

        Examples
        --------
        >>> KMVModel(proxy=None).fit_columns(["equity_value", "equity_vol", "rate", "x"]).feature_names_in_.tolist()
        ['equity_value', 'equity_vol', 'rate']
        """
        self._check_params()
        names = [r["name"] for r in self._input_rules() if r["name"] in columns]
        self.feature_names_in_ = np.asarray(names + ([self.history] if self.method == "iterative" else []),
                                            dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.classes_ = np.array([0, 1])
        self.master_scale_ = self.master_scale
        return self

    def validate_firms(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` unchanged when its firms obey the model's input rules, else a DataValidationError.

        Examples
        --------
        >>> KMVModel(proxy=None).validate_firms(pd.DataFrame({"equity_value": [1.0], "equity_vol": [0.2],
        ...     "short_term_debt": [-1.0], "long_term_debt": [0.0], "rate": [0.0]}))
        Traceback (most recent call last):
        ...
        riskmodels.errors.DataValidationError: KMVModel.fit: 1 data rule(s) broken:
          - column 'short_term_debt': below minimum 0.0 in 1 row(s): [0]; expected >= 0.0
        """
        return schema_from_inputs(self._input_rules(), "KMVModel.fit").validate(frame)

    def distances(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Every firm's distance to default and solver status (the ``kmv`` kernel with the learned peers).

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0], "equity_vol": [0.8], "short_term_debt": [6.0],
        ...     "long_term_debt": [8.0], "rate": [0.05]})
        >>> dd, status = KMVModel(proxy=None).distances(X)
        >>> round(float(dd[0]), 3), status.tolist()
        (1.141, [0])
        """
        rules = self._bundle_inputs()
        cols, n = scoring.prepare_inputs(rules, frame_columns(frame, [r["name"] for r in rules]))
        out = scoring.KERNELS["kmv"](self._bundle_model(), cols, n)["extra"]
        return np.asarray(out["dd"], dtype=float), np.asarray(out["status"], dtype=np.int64)

    def fit_pd_map(self, dd, status, target):
        """Fit the DD→PD map from every firm's DD, solver status and outcome; the last step of :meth:`fit`.

        Public for fits that solve the firms elsewhere (:mod:`riskmodels.spark` solves
        them per partition). Returns self.

        Parameters
        ----------
        dd, status : the kmv kernel's ``extra["dd"]`` and ``extra["status"]`` per firm.
        target : 0/1 default per firm.

        Examples
        --------
        Four solved firms (status 0 = converged), two bins of two; the safe bin's PD is the floor:

        >>> model = KMVModel(n_bins=2).fit_pd_map([0.5, 1.0, 3.0, 4.0], [0, 0, 0, 0], [1, 0, 0, 0])
        >>> model.market_map_.dd.tolist(), model.market_map_.pd.tolist(), model.training_metadata_["n_defaults"]
        ([0.75, 3.5], [0.5, 0.0001], 1)
        """
        dd, status, target = np.asarray(dd, dtype=float), np.asarray(status, dtype=np.int64), np.asarray(target)
        self.market_map_ = self.proxy_map_ = None
        if self.pd_map == "empirical":
            usable = ~np.isnan(dd)
            clipped = np.clip(dd, -DD_CLIP, DD_CLIP)
            is_proxy = status == scoring.MERTON_PROXY
            for attr, rows in (("market_map_", usable & ~is_proxy), ("proxy_map_", usable & is_proxy)):
                if rows.any():
                    setattr(self, attr, fit_empirical_pd_map(clipped[rows], target[rows], self.n_bins,
                                                             self.min_pd))
            if self.market_map_ is None and self.proxy_map_ is None:
                raise ConvergenceError("KMVModel.fit: no firm has a finite distance to default")
            if self.market_map_ is None:
                self.market_map_ = self.proxy_map_
        counts = np.bincount(status, minlength=len(MERTON_STATUS))
        self.training_metadata_ = {"n_obs": int(len(dd)), "n_defaults": int(target.sum()),
                                   "status_counts": {s: int(c) for s, c in zip(MERTON_STATUS, counts, strict=True) if c}}
        return self

    def solve_listed(self, frame: pd.DataFrame):
        """The listed firms of ``frame`` (equity value and volatility both known), Merton-solved.

        Parameters
        ----------
        frame : DataFrame
            Firms with the model's input columns.

        Returns
        -------
        (numpy.ndarray of bool, MertonSolution or None)
            Which rows are listed, and their solution (None when there is none).

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, np.nan], "equity_vol": [0.8, np.nan],
        ...     "short_term_debt": [6.0, 5.0], "long_term_debt": [8.0, 4.0], "rate": 0.05})
        >>> listed, sol = KMVModel().solve_listed(X)
        >>> listed.tolist(), round(float(sol.asset_value[0]), 3)
        ([True, False], 12.395)
        """
        equity, equity_vol = self.column("equity_value"), self.column("equity_vol")
        listed = (frame[equity].notna() & frame[equity_vol].notna()).to_numpy() \
            if equity in frame and equity_vol in frame else np.zeros(len(frame), dtype=bool)
        if not listed.any():
            return listed, None
        part = frame[listed]
        return listed, solve_merton(part[equity], part[equity_vol], self._default_point(part),
                                    part[self.column("rate")], self.horizon)

    def peer_inputs(self, frame: pd.DataFrame) -> pd.DataFrame:
        """What :meth:`fit_peers` reads of ``frame``: its listed firms solved, and the peer groups of the others.

        Parameters
        ----------
        frame : DataFrame
            Firms with the model's input columns (all of them, or one part: the tables of
            the parts, concatenated, give :meth:`fit_peers` what the whole would).

        Returns
        -------
        DataFrame
            ``group`` (a string, None when missing), ``listed``, ``asset_vol``, ``asset_value``
            and ``ebit``: one row per listed firm (its solved σV and V, its EBIT), then one row
            (``listed`` False, no numbers) per distinct peer group of the unlisted firms.

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, np.nan], "equity_vol": [0.8, np.nan],
        ...     "short_term_debt": [6.0, 5.0], "long_term_debt": [8.0, 4.0], "rate": 0.05, "industry": ["a", "b"]})
        >>> KMVModel().peer_inputs(X)[["group", "listed"]].values.tolist()
        [['a', True], ['b', False]]
        """
        listed, sol = self.solve_listed(frame)
        groups = (np.array([None if pd.isna(g) else str(g) for g in frame[self.peer_group]], dtype=object)
                  if self.peer_group in frame else np.full(len(frame), None, dtype=object))
        others = list(dict.fromkeys(groups[~listed]))
        n = int(listed.sum())
        numbers = np.full((3, n + len(others)), np.nan)
        if n:
            numbers[0, :n], numbers[1, :n] = sol.asset_vol, sol.asset_value
            if self.column("ebit") in frame:
                numbers[2, :n] = frame.loc[listed, self.column("ebit")].to_numpy(dtype=float)
        return pd.DataFrame({"group": pd.Series([*groups[listed], *others], dtype=object),
                             "listed": np.arange(n + len(others)) < n, "asset_vol": numbers[0],
                             "asset_value": numbers[1], "ebit": numbers[2]})

    def fit_peers(self, peers: pd.DataFrame) -> KMVModel:
        """Learn the peer asset volatilities, the proxy multiple and the peer categories.

        Parameters
        ----------
        peers : DataFrame
            :meth:`peer_inputs` of the training firms (or of their parts, concatenated).

        Returns
        -------
        self

        Raises
        ------
        DataValidationError
            when no firm is listed.

        Examples
        --------
        >>> peers = pd.DataFrame({"group": ["a", "a", "b"], "listed": [True, True, False],
        ...     "asset_vol": [0.2, 0.4, np.nan], "asset_value": [10.0, 12.0, np.nan], "ebit": [1.0, 1.0, np.nan]})
        >>> m = KMVModel(min_peers=1).fit_peers(peers)
        >>> m.peer_asset_vol_, m.peer_categories_
        ({'a': 0.30000000000000004}, ['a', 'b'])
        """
        listed = peers[peers["listed"].to_numpy(dtype=bool)]
        if listed.empty:
            raise no_listed_firm(self.column("equity_value"))
        self.peer_asset_vol_, self.default_asset_vol_ = peer_asset_volatility(
            listed["asset_vol"].to_numpy(dtype=float), listed["group"].to_numpy(dtype=object), self.min_peers)
        self.proxy_multiple_ = 1.0
        if self.proxy_value == "ebit":
            self.proxy_multiple_ = self.ebit_multiple or median_multiple(listed["asset_value"].to_numpy(dtype=float),
                                                                         listed["ebit"].to_numpy(dtype=float))
        self.peer_categories_ = sorted({str(g) for g in peers["group"] if not pd.isna(g)})
        return self

    def _default_point(self, frame: pd.DataFrame):
        return default_point(frame[self.column("short_term_debt")], frame[self.column("long_term_debt")],
                             self.long_term_weight)

    def market_inputs(self, X) -> pd.DataFrame:
        """``X`` with equity_value and equity_vol from each firm's equity history (``method="iterative"``).

        With ``method="merton"`` this is ``X`` as a frame. With "iterative", every firm
        whose ``history`` cell holds daily equity values gets (V, σV) from
        :func:`iterative_kmv` with the firm's default point and rate, then
        ``equity_value`` = its last equity value and ``equity_vol`` = N(d1)·σV·V / E, the
        equity volatility the Merton equations pair with that (V, σV). Firms are solved
        together per history length.

        Parameters
        ----------
        X : DataFrame
            The firms, with the history column for ``method="iterative"``.

        Returns
        -------
        DataFrame
            What the ``kmv`` kernel (and an exported bundle) reads.

        Examples
        --------
        >>> from riskmodels.models.kmv.merton import merton_equity
        >>> v = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.25 / np.sqrt(252), 253)))
        >>> X = pd.DataFrame({"equity_history": [merton_equity(v, 0.25, 70.0, 0.03)[0]],
        ...                   "short_term_debt": [70.0], "long_term_debt": [0.0], "rate": [0.03]})
        >>> out = KMVModel(method="iterative", proxy=None).market_inputs(X)
        >>> bool(out.loc[0, "equity_vol"] > 0.25), round(float(out.loc[0, "equity_value"]), 2)
        (True, 32.23)
        """
        frame = as_frame(X)
        if self.method != "iterative":
            return frame
        if self.history not in frame.columns:
            raise DataValidationError([Violation(self.history, "missing column",
                                                 "daily equity values per firm (method='iterative')")], "KMVModel")
        cells = frame[self.history].to_numpy(dtype=object)
        has = np.array([not (c is None or (np.ndim(c) == 0 and pd.isna(c))) for c in cells])
        out = frame.drop(columns=[self.history]).copy()
        equity_column, vol_column = self.column("equity_value"), self.column("equity_vol")
        for column in (equity_column, vol_column):
            out[column] = out[column].astype(float) if column in out else np.nan
        lengths = np.array([len(c) if ok else 0 for c, ok in zip(cells, has, strict=True)])
        for length in np.unique(lengths[has]):
            rows = np.flatnonzero(has & (lengths == length))
            equity = np.column_stack([np.asarray(cells[i], dtype=float) for i in rows])
            part = frame.iloc[rows]
            dpt = self._default_point(part)
            rate = part[self.column("rate")].to_numpy(dtype=float)
            res = iterative_kmv(equity, dpt, rate, self.horizon, int(self.trading_days))
            if not res.converged.all():
                raise ConvergenceError(f"KMVModel: the iterative estimator did not converge for rows "
                                       f"{frame.index[rows[~res.converged]].tolist()[:5]}")
            _, equity_vol = merton_equity(res.asset_values[-1], res.asset_vol, dpt, rate, self.horizon)
            out.iloc[rows, out.columns.get_loc(equity_column)] = equity[-1]
            out.iloc[rows, out.columns.get_loc(vol_column)] = equity_vol
        return out

    def score_frame(self, X, master_scale=None) -> dict:
        """Kernel outputs (see :meth:`ScorerModel.score_frame`) of :meth:`market_inputs` of ``X``.

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
        ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
        ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
        >>> out = KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1, 0]).score_frame(X)
        >>> {"pd", "grade", "contributions"} <= set(out), len(out["pd"])
        (True, 4)
        """
        return super().score_frame(self.market_inputs(X), master_scale)

    # ---- outputs
    def dd_frame(self, X) -> pd.DataFrame:
        """Per firm: dd, pd, grade, asset_value, asset_vol, default_point, source, status.

        ``source`` is "market" (Merton-solved) or "proxy" (book assets and peer
        volatility); ``status`` is one of :data:`MERTON_STATUS`.

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
        ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
        ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
        >>> KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1, 0]).dd_frame(X)[["dd", "source"]].round(3).values.tolist()
        [[1.141, 'market'], [5.467, 'market'], [0.781, 'market'], [2.795, 'proxy']]
        """
        out = self.score_frame(X)
        extra = out["extra"]
        status = np.asarray(MERTON_STATUS, dtype=object)[extra["status"]]
        return pd.DataFrame({
            "dd": extra["dd"], "pd": out["pd"], "grade": out["grade"], "asset_value": extra["asset_value"],
            "asset_vol": extra["asset_vol"], "default_point": extra["default_point"],
            "source": np.where(extra["status"] == scoring.MERTON_PROXY, "proxy", "market"),
            "status": status}, index=as_frame(X).index)

    def sensitivities(self, X) -> pd.DataFrame:
        """Structural PD N(−DD) sensitivities to leverage and asset volatility, per firm.

        Firms without a finite positive (V, σV, DPT) get NaN rows.

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
        ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
        ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
        >>> KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1, 0]).sensitivities(X).columns.tolist()[:4]
        ['dd', 'pd', 'leverage', 'dpd_dleverage']
        """
        table = self.dd_frame(X)
        frame = as_frame(X)
        drift = frame[self.column("rate")].to_numpy(dtype=float) if self.drift is None else np.full(len(frame), self.drift)
        ok = (table["asset_value"] > 0) & (table["asset_vol"] > 0) & (table["default_point"] > 0)
        result = pd.DataFrame(np.nan, index=table.index, columns=["dd", "pd", "leverage", "dpd_dleverage",
                                                                  "dpd_dasset_vol", "elasticity_leverage",
                                                                  "elasticity_asset_vol"])
        if ok.any():
            rows = ok.to_numpy()
            sens = pd_sensitivities(table["asset_value"].to_numpy()[rows], table["asset_vol"].to_numpy()[rows],
                                    table["default_point"].to_numpy()[rows], drift[rows], self.horizon)
            result.loc[ok, :] = sens.to_numpy()
        result["source"] = table["source"]
        return result

    def summary(self) -> Summary:
        """Settings, training counts per status, peer volatilities and the DD→PD maps.

        Returns
        -------
        Summary
            See :class:`riskmodels.results.Summary` (text, HTML, LaTeX).

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
        ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
        ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
        >>> s = KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1, 0]).summary()
        >>> s.tables[0].frame.loc["firms", "value"], s.tables[0].frame.loc["status proxy", "value"]
        (4, 1)
        """
        self._check_fitted()
        meta = self.training_metadata_
        out = Summary(f"KMVModel {self.name or ''}".rstrip() + f" ({self.pd_map} DD -> PD map)")
        out.add_rows([("firms", meta["n_obs"]), ("defaults", meta["n_defaults"]),
                      *[(f"status {k}", v) for k, v in meta["status_counts"].items()],
                      ("horizon (years)", float(self.horizon)), ("long-term debt weight", float(self.long_term_weight)),
                      ("drift", "rate column" if self.drift is None else float(self.drift)),
                      ("proxy", f"{self.proxy_value} value, peer volatility by {self.peer_group!r}"
                       if self.proxy else "none (listed firms only)")], "Fit")
        if self.proxy:
            vols = pd.Series(self.peer_asset_vol_, name="asset_vol", dtype=float).rename_axis(self.peer_group)
            out.add_table(vols, "Peer asset volatility")
            out.add_note(f"Groups with fewer than {self.min_peers} listed firms use the overall median "
                         f"{self.default_asset_vol_:.6g}.")
        if self.pd_map == "empirical":
            out.add_table(self.market_map_.to_frame(), "DD -> PD map, market DDs", index=False)
            if self.proxy_map_ is not None:
                out.add_table(self.proxy_map_.to_frame(), "DD -> PD map, proxy DDs", index=False)
        return out

    def _repr_html_(self) -> str:
        if not hasattr(self, "training_metadata_"):
            return f"<pre>{self!r}</pre>"
        return self.summary().as_html()

    def plot(self, X, y, ax=None):
        """DD distribution by outcome (see :func:`plot_dd_by_outcome`); returns the Axes.

        Parameters
        ----------
        X : DataFrame
            Firms, with the columns ``fit`` used.
        y : array-like
            0/1 default outcome per firm.
        ax : matplotlib Axes, optional
            Where to draw (a new figure when None).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0, np.nan], "equity_vol": [0.8, 0.3, 0.9, np.nan],
        ...     "short_term_debt": [6.0, 2.0, 6.0, 5.0], "long_term_debt": [8.0, 4.0, 6.0, 4.0],
        ...     "rate": 0.05, "total_assets": [14.0, 14.0, 9.0, 12.0], "industry": ["a", "a", "a", "a"]})
        >>> KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1, 0]).plot(X, [0, 0, 1, 0]).get_xlabel()
        'distance to default'
        """
        return plot_dd_by_outcome(self.dd_frame(X)["dd"].to_numpy(), require_binary_target(y, "y"), ax=ax)

    def plot_dd(self, X, y, ax=None):
        """Deprecated name of :meth:`plot` (kept for one release; DeprecationWarning).

        Parameters
        ----------
        X, y, ax
            As for :meth:`plot`.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> X = pd.DataFrame({"equity_value": [3.0, 8.0, 1.0], "equity_vol": [0.8, 0.3, 0.9], "rate": 0.05,
        ...     "short_term_debt": [6.0, 2.0, 6.0], "long_term_debt": [8.0, 4.0, 6.0], "total_assets": 14.0,
        ...     "industry": "a"})
        >>> model = KMVModel(pd_map="normal", min_peers=1).fit(X, [0, 0, 1])
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     model.plot_dd(X, [0, 0, 1]).get_xlabel(), caught[0].category.__name__
        ('distance to default', 'DeprecationWarning')
        """
        warnings.warn("KMVModel.plot_dd is renamed KMVModel.plot", DeprecationWarning, stacklevel=2)
        return self.plot(X, y, ax=ax)

