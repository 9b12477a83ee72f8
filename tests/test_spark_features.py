"""Payment-history features from a Spark ledger equal the pandas path (riskmodels.data.features).

Reference: :func:`riskmodels.data.features.payment_features` on the same ledger
(the bundled IBM accounts-receivable sample, whose own ``days_late`` column
test_features.py checks the pandas path against).
"""

import numpy as np
import pandas as pd
import pytest

from riskmodels.data.features import FeatureConfig, payment_features
from riskmodels.data.ledger import ibm_ar_ledger
from riskmodels.data.loaders import load_ibm_ar
from riskmodels.spark import features as spark_features
from riskmodels.spark.session import local_session


@pytest.fixture(scope="module")
def spark():
    return local_session(2)


def test_ibm_ledger_features_equal_the_pandas_path(spark):
    ledger = ibm_ar_ledger(load_ibm_ar())
    dates = ["2012-09-30", "2013-06-30", "2013-12-31"]
    config = FeatureConfig(lookback_months=12, trend_months=6)
    local = payment_features(ledger, dates, config)
    remote = spark_features.payment_features(spark.createDataFrame(ledger.invoices),
                                             spark.createDataFrame(ledger.payments), dates, config,
                                             ledger.tolerance)
    assert len(remote) == len(local) and local["dpd_current"].max() > 0
    remote = remote[list(local.columns)]
    pd.testing.assert_frame_equal(remote, local, check_dtype=False, check_exact=False, rtol=1e-12, atol=1e-9)
    assert np.isnan(local["limit_utilisation"]).all()


def test_bad_observation_date_names_as_of(spark):
    ledger = ibm_ar_ledger(load_ibm_ar())
    from riskmodels.errors import DataValidationError

    with pytest.raises(DataValidationError, match="as_of"):
        spark_features.payment_features(spark.createDataFrame(ledger.invoices),
                                        spark.createDataFrame(ledger.payments), "not a date")
