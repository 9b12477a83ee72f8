"""What every riskmodels model shares: input frames, the scorer bundle, predict_proba.

A model describes itself as a bundle content (see :mod:`riskmodels.scoring`):
its input rules, its parameters in the ``model`` section and optional
calibration steps. ``predict_proba`` then evaluates through the very kernel the
production scorer uses, so the exported bundle reproduces the in-memory PDs
exactly (to the last bit, not just to 1e-12).

Subclasses implement ``fit`` and three hooks: ``_bundle_inputs()``,
``_bundle_model()`` and, when the raw output is not yet a PD,
``_bundle_calibration()``.

Every ``fit`` ends by keeping the development reference monitoring needs (bin
counts per characteristic, score deciles, grade counts, mean PD, default rate,
AUC and its standard error on the fitting sample; see
:mod:`riskmodels.monitoring.reference`), so ``export(path)`` alone writes a
bundle that ``riskmodels monitor`` accepts.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import json
import os
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from riskmodels import __version__, scoring
from riskmodels._display import OwnHTMLRepr
from riskmodels.binning.optimal import reset_learned
from riskmodels.data.frames import as_frame, frame_columns, schema_from_inputs
from riskmodels.errors import ChecksParameters, NotFittedError
from riskmodels.models.input_ranges import training_ranges, with_ranges


def created_at() -> str:
    """Bundle timestamp: SOURCE_DATE_EPOCH when set (reproducible builds), else now (UTC).

    Examples
    --------
    >>> import os
    >>> os.environ["SOURCE_DATE_EPOCH"] = "0"
    >>> created_at()
    '1970-01-01T00:00:00Z'
    >>> del os.environ["SOURCE_DATE_EPOCH"]
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (_dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch
              else _dt.datetime.now(_dt.UTC).replace(microsecond=0))
    return moment.isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=1)
def _standard_scale_section() -> dict:
    from riskmodels.calibration import MasterScale

    return MasterScale.standard("enterprise10").to_bundle()


def default_master_scale() -> dict:
    """The enterprise 10-grade AAA..D scale, as a bundle section (its YAML is read once).

    Returns
    -------
    dict
        A fresh copy each call, so a caller may change it.

    Examples
    --------
    >>> scale = default_master_scale()
    >>> scale["grades"][0], scale["grades"][-1], scale is default_master_scale()
    ('AAA', 'D', False)
    """
    return copy.deepcopy(_standard_scale_section())


class ScorerModel(ChecksParameters, OwnHTMLRepr, ClassifierMixin, BaseEstimator):
    """Base class: sklearn classifier whose predictions run through the bundle kernel.

    Subclasses set ``kind`` and implement ``fit``, ``_bundle_inputs``,
    ``_bundle_model`` (and ``_bundle_calibration`` when needed). ``fit`` must set
    ``classes_ = np.array([0, 1])`` and ``n_features_in_``.

    Examples
    --------
    >>> from riskmodels.models.crosstab import CrossTabModel
    >>> issubclass(CrossTabModel, ScorerModel), CrossTabModel.kind
    (True, 'crosstab')
    """

    kind: str = ""
    _fitted_attr = "classes_"
    #: whether the inputs named in ``input_ranges.DOMAIN_RANGES`` get those hard ranges
    domain_ranges = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "fit" in cls.__dict__:  # every model's fit starts from a blank state
            fit = cls.__dict__["fit"]

            @functools.wraps(fit)
            def fresh_fit(self, *args, **kw):
                self.reset_learned_state()
                fitted = fit(self, *args, **kw)
                X = args[0] if args else kw.get("X")
                y = args[1] if len(args) > 1 else kw.get("y")
                if X is not None:  # what the development sample held goes into the bundle's rules
                    self.record_training_ranges(training_ranges(
                        self._bundle_inputs(), as_frame(X, getattr(self, "feature_names_in_", None))))
                if kw.get("sample_weight") is None:  # weighted (grouped) rows: pass reference= at export
                    self.keep_development_reference(X, y)
                return fitted

            cls.fit = fresh_fit

    def __sklearn_tags__(self):
        """Binary PD models: two classes only (0 = no default, 1 = default), dense tables."""
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True  # missing values are an input rule (a missing bin, impute, error)
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

    def record_training_ranges(self, ranges: dict):
        """Set ``training_ranges_`` (what the development sample held, for the bundle's input rules).

        ``fit`` records them itself; a fit that reads the rows elsewhere (:func:`riskmodels.spark.fit`)
        passes the :func:`~riskmodels.models.input_ranges.ranges_of` of its own summaries. Returns self.

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> CrossTabModel().record_training_ranges({"x": {"missing": False}}).training_ranges_
        {'x': {'missing': False}}
        """
        self.training_ranges_ = ranges
        return self

    def reset_learned_state(self):
        """Delete every learned attribute (``name_``), the recalibration included; ``fit`` calls it.

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> m = CrossTabModel()
        >>> m.recalibration_ = ["stale"]
        >>> m.reset_learned_state()
        >>> hasattr(m, "recalibration_")
        False
        """
        reset_learned(self)

    def keep_development_reference(self, X, y=None):
        """Keep the distributions of the development sample ``X`` (and ``y``) for monitoring.

        ``fit`` calls it on its own sample; :meth:`to_bundle` stores the result when no other
        ``reference`` is given and the bundle's calibration and master scale are still those it
        was built with (a later :meth:`recalibrate` or another ``master_scale`` at export
        changes every PD-based count, so the reference is then left out rather than wrong).

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> ref = model.development_reference_
        >>> ref["n"], ref["default_rate"], sum(ref["grades"]["counts"])
        (100, 0.25, 100)
        """
        from riskmodels.monitoring.reference import build_reference

        content = self._content()
        # the flags as numbers: fit accepted them (0/1 as objects, booleans, "0"/"1")
        flags = None if y is None else np.asarray(y).astype(float)
        self.development_reference_ = build_reference(
            content, as_frame(X, getattr(self, "feature_names_in_", None)), flags)
        self.development_basis_ = _reference_basis(content)
        return self

    def carried_reference(self, content: dict) -> dict | None:
        """The reference kept at fit, when ``content`` still scores the way it did then.

        Examples
        --------
        >>> from riskmodels.calibration import MasterScale
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> model.carried_reference(model._content())["n"]
        100
        >>> model.carried_reference(model._content(MasterScale.from_bounds("LH", [0.3]))) is None
        True
        """
        if getattr(self, "development_basis_", None) != _reference_basis(content):
            return None
        return copy.deepcopy(self.development_reference_)

    def recalibrate(self, X, target_pd: float, method: str = "intercept"):
        """Shift the fitted PDs so that their mean on ``X`` is ``target_pd`` (central tendency).

        The shift is a calibration step the model owns: it goes into the bundle after the
        model's own steps, ``predict_proba`` applies it, and the next ``fit`` removes it.
        Recalibrating again replaces the previous shift (it is solved on the PDs without it).

        Parameters
        ----------
        X : DataFrame
            Records whose mean PD should be ``target_pd`` (usually the training sample).
        target_pd : float
            The central tendency, in (0, 1).
        method : str
            ``"intercept"`` (a logit shift) or another method of
            :class:`~riskmodels.calibration.CentralTendencyCalibrator`.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame({"dpd": rng.integers(0, 90, 400)})
        >>> y = (rng.uniform(size=400) < 0.05 + X["dpd"] / 300).astype(int)
        >>> m = CrossTabModel(["dpd"]).fit(X, y).recalibrate(X, 0.10)
        >>> round(float(m.predict_proba(X)[:, 1].mean()), 6)
        0.1
        """
        from riskmodels.calibration import CentralTendencyCalibrator

        self._check_fitted()
        self.recalibration_ = []
        base = self.predict_proba(X)[:, 1]
        self.recalibration_ = CentralTendencyCalibrator(target_pd=target_pd, method=method).fit(base).to_bundle_steps()
        return self

    # ---- hooks
    def _bundle_inputs(self) -> list:
        raise NotImplementedError

    def input_rules(self) -> list:
        """The fitted model's input rules, before the development sample's ranges are added.

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> [(r["name"], r["type"]) for r in model.input_rules()]
        [('x', 'number')]
        """
        return self._bundle_inputs()

    def _bundle_model(self) -> dict:
        raise NotImplementedError

    def _bundle_calibration(self) -> list:
        return []

    def _credit_limit(self) -> dict | None:
        return None

    # ---- shared behaviour
    def _check_fitted(self):
        if not hasattr(self, self._fitted_attr):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(X, y) first")

    def _content(self, master_scale: dict | None = None, outside_training: str = "warn",
                 hard_ranges: dict | None = None) -> dict:
        scale = master_scale or getattr(self, "master_scale_", None) or default_master_scale()
        if hasattr(scale, "to_bundle"):
            scale = scale.to_bundle()
        return {
            "schema_version": scoring.SCHEMA_VERSION,
            "kind": self.kind,
            "name": getattr(self, "name", None) or type(self).__name__,
            "inputs": with_ranges(self._bundle_inputs(), getattr(self, "training_ranges_", None),
                                  outside_training, hard_ranges, self.domain_ranges),
            "model": self._bundle_model(),
            "calibration": self._bundle_calibration() + list(getattr(self, "recalibration_", [])),
            "master_scale": scale,
            "credit_limit": self._credit_limit(),
        }

    def to_bundle(self, master_scale=None, metadata: dict | None = None, reference=None, *,
                  outside_training: str = "warn", hard_ranges: dict | None = None,
                  ecl: dict | None = None) -> dict:
        """The sealed bundle content (a JSON-ready dict with its sha256).

        ``reference`` — an explicit development sample ``X`` or ``(X, y)`` — stores its
        distributions in the bundle for monitoring
        (:func:`riskmodels.monitoring.build_reference`). By default (``None``) the bundle
        carries the fitting sample's, kept by ``fit`` (see :meth:`keep_development_reference`);
        ``False`` leaves the reference out. Each number input carries the development
        sample's range (``train_min``/``train_max``) and ``outside_training`` says what a
        value outside it, an unseen category or an unseen missing value does (``"warn"``,
        ``"error"`` or ``"allow"``); ``hard_ranges`` (``{name: (low, high)}``) declares what
        the domain allows at all (see :mod:`riskmodels.models.input_ranges`). ``ecl`` — the
        keyword arguments of :func:`riskmodels.provisions.with_ecl` (``term_structure``,
        ``lgd``, ``discount_rate``, ``ead`` ...) — adds the expected credit loss to the scores.

        Examples
        --------
        >>> import pandas as pd
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel(binning={"x": {"type": "numeric", "edges": [0.5], "missing_bin": 2}}, min_cell_size=0)
        >>> bundle = model.fit(pd.DataFrame({"x": [0.0, 1.0] * 50}), np.tile([1, 0, 0, 0], 25)).to_bundle()
        >>> bundle["kind"], bundle["model"]["shape"], bundle["sha256"] == scoring.seal(bundle)["sha256"]
        ('crosstab', [3], True)
        """
        self._check_fitted()
        content = self._content(master_scale, outside_training, hard_ranges)
        if reference is None:
            carried = self.carried_reference(content)
            if carried is not None:
                content["reference"] = carried
        elif reference is not False:
            from riskmodels.monitoring.reference import build_reference

            X_ref, y_ref = reference if isinstance(reference, tuple) else (reference, None)
            content["reference"] = build_reference(content, as_frame(X_ref, getattr(
                self, "feature_names_in_", None)), y_ref)
        if ecl:
            from riskmodels.provisions.bundle import with_ecl

            content = with_ecl(content, **ecl)
        content["metadata"] = {
            "riskmodels_version": __version__,
            "created_at": created_at(),
            "params": {k: _jsonable(v) for k, v in self.get_params(deep=False).items()},
            **getattr(self, "training_metadata_", {}),
            **(metadata or {}),
        }
        return scoring.seal(content)

    def export(self, path, master_scale=None, metadata: dict | None = None, reference=None,
               key=None, *, outside_training: str = "warn", hard_ranges: dict | None = None,
               ecl: dict | None = None) -> Path:
        """Write the scorer bundle (JSON) to ``path`` and return the path.

        Parameters
        ----------
        path : str or Path
            Where to write; missing folders are created.
        master_scale : MasterScale or dict, optional
            The scale stored in the bundle (default: the model's, else the default scale).
        metadata : dict, optional
            Extra metadata stored with the bundle.
        reference : DataFrame or (DataFrame, array) or False, optional
            An explicit development sample for monitoring (default: the fitting sample's
            reference kept by ``fit``; ``False``: none; see :meth:`to_bundle`).
        key : bytes or str, optional
            Sign the bundle with HMAC-SHA256 (see ``scoring.sign``).
        outside_training : {"warn", "error", "allow"}
            A value outside the development sample's range, an unseen category or an unseen
            missing value: scored and flagged in ``warnings``, refused, or neither.
        hard_ranges : dict, optional
            ``{name: (low, high)}``: values the domain cannot take, refused.
        ecl : dict, optional
            Expected credit loss in the scores: the keyword arguments of
            :func:`riskmodels.provisions.with_ecl`, e.g. ``{"term_structure": ts, "lgd": 0.45,
            "discount_rate": 0.05, "ead": "balance"}``; ``Scorer.score`` then returns
            ``ecl_12m`` and ``ecl_lifetime`` (and ``stage``, ``ecl`` with ``origination_pd``).

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = model.export(Path(folder) / "scorers" / "crosstab.json")
        ...     scoring.read_bundle(path)["kind"]
        'crosstab'
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        from riskmodels.fileio import write_atomic

        bundle = self.to_bundle(master_scale, metadata, reference, outside_training=outside_training,
                                hard_ranges=hard_ranges, ecl=ecl)
        return write_atomic(path, scoring.dumps_bundle(bundle, key=key))

    def to_sql(self, dialect: str = "duckdb", table: str = "t", master_scale=None, **kwargs) -> str:
        """The model's bundle as one SQL ``SELECT`` (see :func:`riskmodels.export.sql.to_sql`).

        Parameters
        ----------
        dialect : str
            A sqlglot dialect name ("duckdb", "postgres", ...).
        table : str
            The table of applications the query reads.
        master_scale : MasterScale or dict, optional
            The scale of the grades (default: the model's).
        **kwargs
            Passed to :func:`riskmodels.export.sql.to_sql`.

        Returns
        -------
        str

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> model.to_sql(table="apps").startswith("WITH ") and 'FROM "apps"' in model.to_sql(table="apps")
        True
        """
        from riskmodels.export.sql import to_sql

        return to_sql(self.to_bundle(master_scale), dialect, table, **kwargs)

    def to_pmml(self, path=None, master_scale=None, **kwargs) -> str:
        """The model's bundle as a PMML document (see :func:`riskmodels.export.pmml.to_pmml`).

        Parameters
        ----------
        path : str or Path, optional
            Where to write the file; the text is returned either way.
        master_scale : MasterScale or dict, optional
            The scale of the grades (default: the model's).
        **kwargs
            Passed to :func:`riskmodels.export.pmml.to_pmml` (``version``, ``n_reasons``).

        Returns
        -------
        str

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> model = CrossTabModel().fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> "<Scorecard " in model.to_pmml()
        True
        """
        from riskmodels.export.pmml import to_pmml

        return to_pmml(self.to_bundle(master_scale), path, **kwargs)

    def score_frame(self, X, master_scale=None) -> dict:
        """Every output of the shared kernel for ``X``: pd, score, grade, raw, contributions.

        Parameters
        ----------
        X : DataFrame
            The records, with the model's input columns.
        master_scale : MasterScale or dict, optional
            The scale of the grades (default: the model's).

        Returns
        -------
        dict of numpy arrays
            ``pd``, ``score``, ``grade``, ``scale_grade``, ``policy_grade``, ``raw``,
            ``contributions`` and the reason names, one entry per record.

        Examples
        --------
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> fixed = {"x": {"type": "numeric", "edges": [0.5], "missing_bin": 2}}
        >>> model = CrossTabModel(binning=fixed, smoothing="none", min_cell_size=0)
        >>> model = model.fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> out = model.score_frame({"x": [0.0, 1.0]})
        >>> out["pd"].tolist(), out["grade"].tolist()
        ([0.5, 0.0], ['C', 'AAA'])
        """
        self._check_fitted()
        content = self._content(master_scale)
        frame = as_frame(X, getattr(self, "feature_names_in_", None))
        columns = frame_columns(frame, [r["name"] for r in content["inputs"]])
        # categories are checked as the scorer reads them: codes given as numbers are labels (3.0 -> "3")
        labels = {r["name"]: scoring.category_column(columns[r["name"]]) for r in content["inputs"]
                  if r["type"] == "category" and r["name"] in columns}
        schema_from_inputs(content["inputs"], type(self).__name__).validate(
            frame.assign(**labels) if labels else frame)
        return scoring.evaluate(content, columns)

    def predict_proba(self, X) -> np.ndarray:
        """Column 0: P(no default), column 1: the PD.

        Examples
        --------
        >>> import pandas as pd
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> X = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0] * 25})
        >>> y = np.tile([0, 1, 0, 0], 25)
        >>> model = CrossTabModel(["x"], binning={"x": {"type": "numeric", "edges": [0.5], "missing_bin": 2}},
        ...                       smoothing="none", min_cell_size=0).fit(X, y)
        >>> model.predict_proba(pd.DataFrame({"x": [0.0, 1.0]}))[:, 1].tolist()
        [0.5, 0.0]
        """
        pd_ = self.score_frame(X)["pd"]
        return np.column_stack([1.0 - pd_, pd_])

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """1 where the PD is at least ``threshold``.

        Examples
        --------
        >>> import pandas as pd
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> X, y = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0] * 25}), np.tile([0, 1, 0, 0], 25)
        >>> fixed = {"x": {"type": "numeric", "edges": [0.5], "missing_bin": 2}}
        >>> CrossTabModel(binning=fixed, smoothing="none", min_cell_size=0).fit(X, y).predict(X.iloc[[0, 2]], threshold=0.25).tolist()
        [1, 0]
        """
        return (self.predict_proba(X)[:, 1] >= threshold).astype(int)

    def grade(self, X, master_scale=None) -> np.ndarray:
        """The model's grade of each record: its own policy grade where it has one (an
        expert card's grade), else the master-scale grade of the PD (``scale_grade``).

        Parameters
        ----------
        X : DataFrame
            The records.
        master_scale : MasterScale or dict, optional
            The scale of the grades (default: the model's).

        Returns
        -------
        numpy.ndarray of str

        Examples
        --------
        >>> from riskmodels.calibration import MasterScale
        >>> from riskmodels.models.crosstab import CrossTabModel
        >>> fixed = {"x": {"type": "numeric", "edges": [0.5], "missing_bin": 2}}
        >>> model = CrossTabModel(binning=fixed, smoothing="none", min_cell_size=0)
        >>> model = model.fit({"x": np.tile([0.0, 1.0], 50)}, np.tile([0, 0, 1, 0], 25))
        >>> model.grade({"x": [0.0, 1.0]}).tolist(), model.grade({"x": [0.0, 1.0]}, MasterScale.from_bounds("LH", [0.3])).tolist()
        (['C', 'AAA'], ['H', 'L'])
        """
        return self.score_frame(X, master_scale)["grade"]


def _reference_basis(content: dict) -> str:
    """Digest of what a reference's counts depend on: inputs, model, calibration and scale."""
    parts = [content[k] for k in ("inputs", "model", "calibration", "master_scale")]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    text = repr(value)
    return type(value).__name__ if " at 0x" in text else text  # no memory addresses in bundles
