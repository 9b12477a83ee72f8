"""The masked-label benchmark: does reject inference help on data whose rejects' outcomes are known?

On a fully labelled data set the benchmark plays the history of a lender:

1. a random ``test_size`` share is the **through-the-door test set** (every
   applicant, every outcome, never used to fit);
2. of the rest, a random ``history_size`` share is the previous scorecard's
   development sample (``selection="score"`` and ``"mnar"`` fit the previous
   card on it); the remainder are this period's applicants;
3. the applicants are accepted (``accept_rate`` of them) — at random
   (``"random"``), by the previous card's PD (``"score"``: missing at random
   given the characteristics), or by the previous card's PD plus an
   underwriter's private information about the outcome that no model sees
   (``"mnar"``: ``z = std. logit(PD) + mnar_strength · y + N(0, 1)``,
   the lowest ``z`` accepted: not at random);
4. the rejects' labels are hidden; the accepts-only card, each reject-inference
   method and (as the ceiling) the card fitted with every applicant's label
   are fitted and scored on the test set.

The table reports, per model, the through-the-door AUC with its DeLong
interval and the DeLong p-value of the difference to accepts-only, the bad
rate among the approved at the same approval rate, the mean PD against the
observed bad rate on the test set, and the mean PD of this period's rejects
against their hidden bad rate.

Examples
--------
>>> from riskmodels.data.loaders import load_german
>>> from riskmodels.models.logistic import LogisticScorecard
>>> g = load_german()
>>> table = masked_benchmark(LogisticScorecard(max_features=4), g.drop(columns="target"), g["target"],
...                          selection="random", methods=("fuzzy",))
>>> table.index.tolist()
['accepts only', 'fuzzy', 'all labels']
>>> bool((table["auc_lower"] < table["auc"]).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone

from riskmodels.data.frames import as_frame
from riskmodels.data.schema import require_binary_target
from riskmodels.errors import DataValidationError, ParameterError, Violation
from riskmodels.reject.inference import METHODS, RejectInference
from riskmodels.validation.discrimination import auc_ci, delong_test

SELECTIONS = ("score", "random", "mnar")


def _check(accept_rate, selection, test_size, history_size, methods):
    bad = []
    if not (isinstance(accept_rate, (int, float)) and 0 < accept_rate < 1):
        bad.append(Violation("accept_rate", f"is {accept_rate!r}", "a number in (0, 1)"))
    if selection not in SELECTIONS:
        bad.append(Violation("selection", f"is {selection!r}", f"one of {SELECTIONS}"))
    for name, value in (("test_size", test_size), ("history_size", history_size)):
        if not (isinstance(value, (int, float)) and 0 < value < 1):
            bad.append(Violation(name, f"is {value!r}", "a number in (0, 1)"))
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        bad.append(Violation("methods", f"has {unknown}", f"methods from {METHODS}"))
    if bad:
        raise ParameterError(bad, "masked_benchmark")


def select_accepts(pd_previous, y, accept_rate: float, selection: str, mnar_strength: float = 1.0,
                   rng=None) -> np.ndarray:
    """The accept flags of the applicants under a selection mechanism (see the module doc).

    Examples
    --------
    >>> select_accepts(np.array([0.1, 0.9, 0.2, 0.5]), np.array([0, 1, 0, 1]), 0.5, "score").tolist()
    [True, False, True, False]
    """
    rng = np.random.default_rng(0) if rng is None else rng
    n = len(y)
    if selection == "random":
        z = rng.random(n)
    else:
        p = np.clip(np.asarray(pd_previous, dtype=float), 1e-12, 1 - 1e-12)
        z = np.log(p / (1 - p))
        if selection == "mnar":
            z = (z - z.mean()) / (z.std() or 1.0) + mnar_strength * np.asarray(y, dtype=float) \
                + rng.standard_normal(n)
    accepted = np.zeros(n, dtype=bool)
    accepted[np.argsort(z, kind="stable")[: int(round(accept_rate * n))]] = True
    return accepted


def bad_rate_at_approval(y, pd_, approval_rate: float) -> float:
    """The bad rate among the ``approval_rate`` share of applicants with the lowest PDs.

    Examples
    --------
    >>> bad_rate_at_approval([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.9], 0.5)
    0.5
    """
    order = np.argsort(np.asarray(pd_, dtype=float), kind="stable")[: max(1, int(round(approval_rate * len(pd_))))]
    return float(np.asarray(y, dtype=float)[order].mean())


def masked_benchmark(estimator, X, y, accept_rate: float = 0.7, selection: str = "score",
                     methods=METHODS, method_params: dict | None = None, test_size: float = 0.3,
                     history_size: float = 0.3, mnar_strength: float = 1.0, random_state: int = 0) -> pd.DataFrame:
    """Fit accepts-only and each reject-inference method on a masked sample; score them on the hidden truth.

    Parameters
    ----------
    estimator : an unfitted estimator whose ``fit`` takes ``sample_weight``.
    X, y : a fully labelled data set (1 = bad).
    accept_rate : share of this period's applicants accepted, in (0, 1); also the
        approval rate at which the test set's bad rate is measured.
    selection : "score", "random" or "mnar" (see the module doc).
    methods : the methods of :class:`RejectInference` to run.
    method_params : ``{method: {parameter: value}}`` for :class:`RejectInference`.
    test_size, history_size : the test share, and the previous card's share of the rest.
    mnar_strength : weight of the outcome in the "mnar" selection.
    random_state : seed of the split and the selection.

    Returns
    -------
    DataFrame indexed by model ("accepts only", the methods, "all labels"): ``auc``,
    ``auc_lower``, ``auc_upper`` (95 % DeLong), ``p_vs_accepts_only`` (DeLong test),
    ``bad_rate_at_approval``, ``mean_pd``, ``observed_bad_rate``, ``reject_mean_pd``,
    ``reject_bad_rate`` (hidden truth), ``n_accepted``, ``n_rejected``, ``n_test``.
    """
    methods = tuple(methods)
    _check(accept_rate, selection, test_size, history_size, methods)
    frame = as_frame(X).reset_index(drop=True)
    target = require_binary_target(y, getattr(y, "name", None) or "target")
    if len(frame) != len(target):
        raise DataValidationError([Violation("<X>", f"has {len(frame)} rows but y {len(target)}", "one target per row")])
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(frame))
    n_test = int(round(test_size * len(frame)))
    test, rest = order[:n_test], order[n_test:]
    n_history = int(round(history_size * len(rest))) if selection != "random" else 0
    history, period = rest[:n_history], rest[n_history:]
    previous = None
    if selection != "random":
        previous = clone(estimator).fit(frame.iloc[history], target[history]).predict_proba(frame.iloc[period])[:, 1]
    accepted = select_accepts(previous, target[period], accept_rate, selection, mnar_strength, rng)
    Xa, ya = frame.iloc[period[accepted]], target[period[accepted]]
    Xr, yr = frame.iloc[period[~accepted]], target[period[~accepted]]
    models = {"accepts only": clone(estimator).fit(Xa, ya)}
    for method in methods:
        params = (method_params or {}).get(method, {})
        models[method] = RejectInference(estimator, method=method, **params).fit(Xa, ya, Xr)
    models["all labels"] = clone(estimator).fit(frame.iloc[period], target[period])
    X_test, y_test = frame.iloc[test], target[test]
    base = models["accepts only"].predict_proba(X_test)[:, 1]
    rows = {}
    for name, model in models.items():
        pd_ = model.predict_proba(X_test)[:, 1]
        ci = auc_ci(y_test, pd_)
        rows[name] = {
            "auc": ci.auc, "auc_lower": ci.lower, "auc_upper": ci.upper,
            "p_vs_accepts_only": np.nan if name == "accepts only" else delong_test(y_test, pd_, base).p_value,
            "bad_rate_at_approval": bad_rate_at_approval(y_test, pd_, accept_rate),
            "mean_pd": float(pd_.mean()), "observed_bad_rate": float(y_test.mean()),
            "reject_mean_pd": float(model.predict_proba(Xr)[:, 1].mean()), "reject_bad_rate": float(yr.mean()),
            "n_accepted": len(ya), "n_rejected": len(yr), "n_test": len(y_test),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
