"""The scorer bundle as an MLflow pyfunc model, and its entry in the model registry.

The logged model is a "model from code" (this package's ``_pyfunc_model.py``, no
pickle) with the bundle JSON as its one artifact; ``predict`` returns the frame
of :func:`riskmodels.export.frames.score_frame`, so its ``pd`` column equals
``Scorer.score(...)["pd"]``. The signature declares the outputs and the ``on_error``
parameter but no input schema, so MLflow lets every record through and the scorer
applies the bundle's rules to each one (an absent field is a missing value, a text
where a number belongs is that record's error): a bad record never makes MLflow refuse
the whole request, and ``params={"on_error": "report"}`` works over REST. The inputs
are listed in the model's metadata (``riskmodels_inputs``) and its input example.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels import __version__, scoring
from riskmodels.errors import BundleError
from riskmodels.export.frames import output_columns, score_frame

try:
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.models import ModelSignature
    from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
    from mlflow.pyfunc import PythonModel
    from mlflow.types import ColSpec, Schema
    from mlflow.types.schema import ParamSchema, ParamSpec
except ImportError as exc:  # pragma: no cover - mlflow is a core dependency
    raise ImportError("riskmodels.export.pyfunc needs mlflow") from exc

_MODEL_CODE = Path(__file__).with_name("_pyfunc_model.py")


def _as_float_inputs(frame: pd.DataFrame, rules: list) -> pd.DataFrame:
    """Integer number columns to float, categorical-dtype category columns to plain objects.

    What the scorer reads: the input example MLflow stores and the frames served
    carry plain floats and texts (signatures before 2026-12 said double and string,
    for which MLflow refuses int64 and pandas ``category`` columns).
    """
    casts = {}
    for r in rules:
        if r["name"] not in frame.columns:
            continue
        dtype = frame[r["name"]].dtype
        if r["type"] == "number" and pd.api.types.is_integer_dtype(dtype):
            casts[r["name"]] = "float64"
        elif r["type"] == "category" and isinstance(dtype, pd.CategoricalDtype):
            casts[r["name"]] = object
    return frame.astype(casts) if casts else frame


def pyfunc_input(frame, bundle) -> pd.DataFrame:
    """The frame to give the pyfunc: the bundle's input columns, integer numbers as float,
    pandas categoricals as objects.

    The current signature (``Any``, optional) takes any column; a model logged with
    an older signature (double and string) refuses int64 and ``category`` columns
    ("can not safely convert"), so cast before ``predict`` of such a model.

    Parameters
    ----------
    frame : records (DataFrame or anything ``pandas.DataFrame`` accepts).
    bundle : bundle dict, bytes or path.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> str(pyfunc_input(pd.DataFrame({"p": [0, 1]}), bundle)["p"].dtype)
    'float64'
    """
    frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(frame)
    rules = scoring.read_bundle(bundle)["inputs"]
    # only the signature's columns: mlflow warns about (and ignores) any others
    frame = frame[[r["name"] for r in rules if r["name"] in frame.columns]]
    return _as_float_inputs(frame, rules)


class ServedBundleError(BundleError, MlflowException):
    """A :class:`~riskmodels.errors.BundleError` that MLflow's scoring server passes on.

    ``mlflow models serve`` answers any other exception with a generic "unexpected error"
    message (ours only inside its stack trace); this one is HTTP 400 with error code
    ``INVALID_PARAMETER_VALUE``, the scorer's text in ``message`` (after MLflow's "Failed to
    predict data ..." preamble) and alone in ``riskmodels_error``. In Python it is still a
    BundleError.

    Examples
    --------
    >>> error = ServedBundleError("field 'x': not a number (str 'a') at record(s) [0]")
    >>> isinstance(error, BundleError), json.loads(error.serialize_as_json())["riskmodels_error"]
    (True, "field 'x': not a number (str 'a') at record(s) [0]")
    """

    def __init__(self, text: str):
        MlflowException.__init__(self, text, error_code=INVALID_PARAMETER_VALUE, riskmodels_error=text)


class BundleModel(PythonModel):
    """Pyfunc model that scores a pandas frame with the bundle in its artifacts.

    ``predict(context, model_input)`` returns one row per record with ``pd``,
    ``score``, ``grade``, ``reason_1..k``, ``limit`` (those the bundle defines) and
    ``warnings`` (a record outside what the development sample held, scored).
    Bad input raises :class:`~riskmodels.errors.BundleError`, or with
    ``params={"on_error": "report"}`` fills an ``error`` column instead.
    """

    def load_context(self, context):
        self.scorer = scoring.load_scorer(context.artifacts["bundle"])
        self.columns = {mode: output_columns(self.scorer, mode) for mode in ("raise", "report")}

    def predict(self, context, model_input: pd.DataFrame, params=None):
        # a DataFrame hint: mlflow infers no schema from it (the signature rules) and stops
        # warning that the method has no type hints
        on_error = (params or {}).get("on_error", "raise")
        if on_error not in self.columns:
            raise ServedBundleError(f"on_error must be 'raise' or 'report', not {on_error!r}")
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        frame = _as_float_inputs(frame, self.scorer.content["inputs"])
        try:
            return score_frame(self.scorer, frame, on_error=on_error, columns=self.columns[on_error])
        except BundleError as exc:  # the record's message reaches a REST client, not only its log
            raise ServedBundleError(str(exc)) from None


def pyfunc_signature(bundle) -> ModelSignature:
    """The MLflow signature of a bundle's pyfunc: inputs from the rules, outputs from the layout.

    Parameters
    ----------
    bundle : bundle dict, bytes or path.

    Returns
    -------
    mlflow.models.ModelSignature

    Examples
    --------
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> [c.name for c in pyfunc_signature(bundle).outputs.inputs]
    ['pd', 'grade', 'error']
    """
    content = scoring.read_bundle(bundle)
    # no input schema: the scorer, not MLflow's schema enforcement, judges each record. A
    # typed column (double) makes MLflow refuse the whole batch for one text in it, and an
    # untyped one (``Any``, optional) makes it check every value in Python: 3.8-4.0 s of a
    # 1,000,000-row predict that scores in 0.1 s (bench_scoring)
    layout = output_columns(scoring.Scorer(content), "report")
    outputs = Schema([ColSpec(kind, name, required=name not in ("warnings", "error")) for name, kind in layout])
    params = ParamSchema([ParamSpec("on_error", "string", "raise")])
    return ModelSignature(inputs=None, outputs=outputs, params=params)


def _example_frame(content: dict, input_example) -> pd.DataFrame:
    if input_example is None:
        return pd.DataFrame([scoring.example_record(content["inputs"])])
    frame = input_example if isinstance(input_example, pd.DataFrame) else pd.DataFrame(input_example)
    return pyfunc_input(frame.head(5).reset_index(drop=True), content)


def to_mlflow(bundle_or_path, name: str = "scorer", *, input_example=None,
              registered_model_name: str | None = None, tags: dict | None = None):
    """Log a scorer bundle as an MLflow pyfunc model (in the active run, or a new one).

    Parameters
    ----------
    bundle_or_path : bundle dict, JSON bytes or the path of a bundle file (verified).
    name : the logged model's name in the run.
    input_example : records to store as the input example (default: the bundle's
        example record); integer number columns are cast to float.
    registered_model_name : also register it (see :func:`register_scorer`).
    tags : extra tags for the logged model.

    Returns
    -------
    mlflow.models.model.ModelInfo
        ``model_uri`` loads with ``mlflow.pyfunc.load_model``.

    Examples
    --------
    >>> import os, tempfile, mlflow
    >>> folder = tempfile.mkdtemp()
    >>> mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    >>> experiment = mlflow.create_experiment("doc", artifact_location=f"file://{folder}/artifacts")
    >>> _ = mlflow.set_experiment(experiment_id=experiment)
    >>> bundle = {"schema_version": 1, "kind": "identity", "name": "passthrough",
    ...     "inputs": [{"name": "p", "type": "number", "min": 0.0, "max": 1.0}],
    ...     "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> with mlflow.start_run():
    ...     info = to_mlflow(scoring.seal(bundle))
    >>> mlflow.pyfunc.load_model(info.model_uri).predict({"p": [0.25]})["grade"].tolist()
    ['A']
    """
    content = scoring.read_bundle(bundle_or_path)
    example = _example_frame(content, input_example)
    model_tags = {"riskmodels.kind": content["kind"], "riskmodels.bundle_sha256": content["sha256"],
                  **_scale_tags(content), **(tags or {})}
    with tempfile.TemporaryDirectory() as folder:
        bundle_file = Path(folder) / "bundle.json"
        bundle_file.write_bytes(scoring.dumps_bundle(content))
        started = mlflow.active_run() is None
        if started:
            mlflow.start_run(run_name=f"export-{content.get('name') or content['kind']}")
        try:
            info = mlflow.pyfunc.log_model(
                name=name,
                python_model=str(_MODEL_CODE),
                artifacts={"bundle": str(bundle_file)},
                signature=pyfunc_signature(content),
                metadata={"riskmodels_inputs": [{"name": r["name"], "type": r["type"]}
                                                 for r in content["inputs"]]},
                input_example=example,
                pip_requirements=[f"numpy=={np.__version__}", f"pandas=={pd.__version__}",
                                  f"mlflow=={mlflow.__version__}", f"riskmodels=={__version__}"],
                tags=model_tags,
            )
        finally:
            if started:
                mlflow.end_run()
    if registered_model_name:
        register_scorer(info.model_uri, registered_model_name, content)
    return info


def _scale_tags(content: dict) -> dict:
    scale = content["master_scale"]
    return {"grade_scale": str(scale.get("name") or "custom"),
            "grades": ",".join(scale["grades"]),
            "grade_upper_bounds": json.dumps(scale["upper_bounds"]),
            "grade_floor": json.dumps(scale.get("floor"))}


def register_scorer(model_uri: str, name: str, bundle):
    """Register a logged scorer in the model registry, tagged with its grade scale.

    The registered model and the new version carry ``grade_scale`` (the scale's
    name), ``grades`` (best to worst, comma separated), ``grade_upper_bounds``
    and ``grade_floor`` (JSON); the version also ``riskmodels.kind`` and
    ``riskmodels.bundle_sha256``.

    Parameters
    ----------
    model_uri : the logged model (``ModelInfo.model_uri``).
    name : registered model name.
    bundle : the bundle (dict, bytes or path) that was logged.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion
    """
    content = scoring.read_bundle(bundle)
    scale_tags = _scale_tags(content)
    version = mlflow.register_model(model_uri, name, tags={
        **scale_tags, "riskmodels.kind": content["kind"],
        "riskmodels.bundle_sha256": content["sha256"]})
    client = mlflow.MlflowClient()
    held = client.get_registered_model(name).tags
    for key, value in scale_tags.items():
        if held.get(key) != value:  # a new model, or a new scale: one write per tag that changed
            client.set_registered_model_tag(name, key, value)
    return version
