"""MLflow "model from code" file: the pyfunc that scores with a riskmodels bundle.

MLflow copies this file into the logged model and runs it on load (no pickle).
"""

import mlflow

from riskmodels.export.pyfunc import BundleModel

mlflow.models.set_model(BundleModel())
