"""Test-session settings shared by the unit tests and the doctests."""

import os

import numpy as np

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
# riskmodels.scoring is this generated file: its doctests run as those of riskmodels/scoring/
collect_ignore = ["riskmodels/standalone/scoring.py"]
# doctests show numbers as users see them printed, not as np.float64(...)
np.set_printoptions(legacy="1.25")
