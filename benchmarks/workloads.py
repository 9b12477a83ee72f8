"""Workloads several benchmarks share: the synthetic-enterprise portfolio, its fitted models, sampled records.

``bench_scoring``, ``bench_batch`` and ``bench_spark_scoring`` score the same
bundles on the same kind of records; they build them here.
"""

from __future__ import annotations

import numpy as np


def portfolio_split():
    """(config, train, test) of the synthetic-enterprise comparison: 1,000 firms × 4 years, test from 2021."""
    from riskmodels.comparison.config import load_config
    from riskmodels.comparison.dataset import load_dataset, split_frame

    cfg = load_config("synthetic_enterprise")
    cfg.data.params.update({"n_firms": 1000, "n_years": 4})
    frame = load_dataset(cfg.data, random_state=0)
    cfg.split.test_from = 2021
    train, test = split_frame(frame, cfg.split)
    return cfg, train, test


def fitted_models(cfg, train) -> dict:
    """The logistic card of the config, a cross-tab (one numeric, one categorical factor) and the expert card."""
    from riskmodels.models.crosstab import CrossTabModel
    from riskmodels.models.expert import ExpertScorecardModel
    from riskmodels.models.logistic import LogisticScorecard

    spec = next(m for m in cfg.models if m.type == "logistic")
    logistic = LogisticScorecard(**spec.params).fit(train[list(spec.features)], train["target"])
    factors = ["dpd_max_12m", "management_quality"]
    crosstab = CrossTabModel(features=factors).fit(train[factors], train["target"])
    expert = ExpertScorecardModel().fit(train, train["target"])
    return {"logistic": logistic, "crosstab": crosstab, "expert": expert}


def sampled_records(frame, columns: list, n: int, seed: int = 0):
    """``n`` rows of ``frame`` drawn with replacement (seeded), the given ``columns``, a fresh index."""
    rng = np.random.default_rng(seed)
    return frame.iloc[rng.integers(0, len(frame), size=n)][columns].reset_index(drop=True)
