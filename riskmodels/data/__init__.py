"""Data: bundled public data sets, frame schemas, payment-history features, synthetic portfolios."""

from riskmodels.data.features import (
    DefaultDefinition,
    FeatureConfig,
    ageing_report,
    build_panel,
    default_flags,
    early_warning,
    payment_features,
    taiwan_features,
)
from riskmodels.data.ledger import Ledger, ibm_ar_ledger, validate_ledger
from riskmodels.data.loaders import (
    data_dir,
    load_german,
    load_ibm_ar,
    load_jlt_transitions,
    load_polish,
    load_south_german,
    load_sp_transitions,
    load_taiwan,
    sp_long_run_default_rates,
    verified_path,
)
from riskmodels.data.schema import Column, Schema, require_binary_target
from riskmodels.data.synthetic import Portfolio, make_portfolio

__all__ = [
    "Column", "Schema", "require_binary_target", "data_dir", "verified_path", "load_taiwan",
    "load_german", "load_south_german", "load_ibm_ar", "load_polish", "load_sp_transitions",
    "load_jlt_transitions", "sp_long_run_default_rates",
    "Ledger", "validate_ledger", "ibm_ar_ledger", "FeatureConfig", "DefaultDefinition",
    "payment_features", "default_flags", "build_panel", "ageing_report", "early_warning",
    "taiwan_features", "make_portfolio", "Portfolio",
]
