"""Scores as a pandas frame: the common output of the pyfunc, Spark, Dask and the CLI.

One row per input record, columns ``pd``, ``score`` (when the model gives points),
``grade``, ``reason_1..k`` (when it gives contributions), ``limit`` (when the
bundle has a credit-limit rule), ``ecl_12m``, ``ecl_lifetime`` (and ``stage``, ``ecl``) when
it has an expected-credit-loss section, ``warnings`` (when a rule of the bundle flags
records outside what the development sample held: what is unusual about that
record, else missing) and, in report mode, ``error`` (the broken rules of that
record, else missing).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import BundleError
from riskmodels.fileio import write_atomic


def write_bundle(model_or_bundle, path, master_scale=None, metadata: dict | None = None,
                 key=None) -> Path:
    """Write a scorer bundle file from a fitted model or a bundle dict; return the path.

    Parameters
    ----------
    model_or_bundle : a fitted :class:`~riskmodels.models.base.ScorerModel` or bundle content.
    path : where to write the JSON file (folders are created).
    master_scale, metadata : passed to ``model.to_bundle`` for a model.
    key : sign the bundle with HMAC-SHA256 under this key (see ``scoring.sign``).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, os
    >>> bundle = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...           "model": {"input": "p"}, "calibration": [],
    ...           "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> path = write_bundle(bundle, os.path.join(tempfile.mkdtemp(), "b", "scorer.json"))
    >>> scoring.load_scorer(path).score({"p": 0.1})["grade"]
    'A'
    """
    path = Path(path)
    if hasattr(model_or_bundle, "to_bundle"):
        content = model_or_bundle.to_bundle(master_scale, metadata)
    elif isinstance(model_or_bundle, dict):
        content = model_or_bundle
    else:
        raise BundleError(f"cannot write a bundle from a {type(model_or_bundle).__name__}")
    data = scoring.dumps_bundle(content, key=key)
    scoring.read_bundle(data, key=key)  # refuse to write what could not be loaded
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, data)


def output_columns(scorer: scoring.Scorer, on_error: str = "raise") -> list[tuple[str, str]]:
    """Names and types ("double" | "string") of the score columns for ``scorer``.

    Found by scoring the bundle's example record once, so the layout is known
    before any data is seen (Spark and Dask need it up front).

    Examples
    --------
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> output_columns(scoring.Scorer(bundle))
    [('pd', 'double'), ('grade', 'string')]
    """
    probe = scorer.score([scorer.example()])
    cols = [("pd", "double")]
    if probe["score"] is not None:
        cols.append(("score", "double"))
    cols.append(("grade", "string"))
    if "policy_grade" in probe:  # expert cards: the card's grade beside the PD's master-scale grade
        cols += [("policy_grade", "string"), ("scale_grade", "string")]
    if probe["reasons"] is not None:
        cols += [(f"reason_{i + 1}", "string") for i in range(probe["reasons"].shape[1])]
    if probe["limit"] is not None:
        cols.append(("limit", "double"))
    # expected credit loss (the bundle's ecl section): per unit of EAD or times its EAD input
    cols += [(name, "double") for name in ("ecl_12m", "ecl_lifetime", "stage", "ecl") if name in probe]
    if scorer.flags:
        cols.append(("warnings", "string"))
    if on_error == "report":
        cols.append(("error", "string"))
    return cols


def refuse_clash(layout: list[tuple[str, str]], columns) -> None:
    """Raise when input ``columns`` already hold a score column name (Spark and Dask append
    the scores to the input columns).

    Examples
    --------
    >>> refuse_clash([("pd", "double")], ["p", "pd"])
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: the DataFrame already has column(s) ['pd']; rename them or pass keep_columns=False
    """
    clash = sorted({name for name, _ in layout} & set(columns))
    if clash:
        raise BundleError(f"the DataFrame already has column(s) {clash}; rename them or pass "
                          "keep_columns=False")


_MESSAGES = {"error": "errors", "warnings": "warnings"}  # output column -> Scorer.score key


def messages_column(messages: dict, n: int) -> np.ndarray:
    """``{record: [messages]}`` as one text per record (``"; "``-joined), None where there is none.

    Examples
    --------
    >>> messages_column({1: ["x: missing value", "c: unknown category 'z'"]}, 3).tolist()
    [None, "x: missing value; c: unknown category 'z'", None]
    """
    column = np.full(n, None, dtype=object)
    for i, texts in messages.items():
        column[i] = "; ".join(texts)
    return column


def score_frame(scorer: scoring.Scorer, frame: pd.DataFrame, *, on_error: str = "raise",
                columns: list[tuple[str, str]] | None = None, log=None,
                log_id: str | None = None) -> pd.DataFrame:
    """Score a pandas frame; return the score columns with the frame's index.

    Parameters
    ----------
    scorer : the loaded scorer.
    frame : input records, one per row (extra columns are ignored).
    on_error : "raise" or "report" (bad records get missing scores and an ``error`` text).
    columns : the layout from :func:`output_columns` (computed when not given).
    log, log_id : decision log file and id field, passed to :meth:`~riskmodels.scoring.Scorer.score`.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number", "max": 1.0}], "model": {"input": "p"},
    ...     "calibration": [], "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> scores = score_frame(scoring.Scorer(bundle), pd.DataFrame({"p": [0.2, 3.0]}), on_error="report")
    >>> scores["pd"].tolist(), scores["grade"][0], scores["error"][1]
    ([0.2, nan], 'A', 'p: above the allowed max 1.0')
    """
    layout = columns or output_columns(scorer, on_error)
    n = len(frame)
    if n == 0:
        return pd.DataFrame({name: pd.Series([], dtype=float if kind == "double" else object)
                             for name, kind in layout}, index=frame.index)
    out = scorer.score(frame, on_error=on_error, log=log, log_id=log_id)
    data = {}
    for name, kind in layout:
        if name.startswith("reason_"):
            values = out["reasons"][:, int(name[7:]) - 1]
        elif name in _MESSAGES:
            values = messages_column(out[_MESSAGES[name]], n)
        else:
            values = out[name]
        # texts stay Python objects: pandas would otherwise infer its string dtype for them
        # (a pass over every value) that the object column then undoes
        data[name] = pd.Series(values, index=frame.index, dtype=object if kind == "string" else None)
    return pd.DataFrame(data, index=frame.index)


def score_arrays(scorer: scoring.Scorer, records, *, on_error: str = "raise",
                 columns: list[tuple[str, str]] | None = None) -> dict:
    """The score columns as pyarrow arrays (double, string), one per layout entry.

    ``records`` may be an Arrow record batch or table, a pandas frame or anything
    :meth:`~riskmodels.scoring.Scorer.score` takes: Arrow string and dictionary
    columns reach the scorer by their codes, and no pandas object column is built.

    Examples
    --------
    >>> import pyarrow as pa
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"},
    ...     "calibration": [], "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> arrays = score_arrays(scoring.Scorer(bundle), pa.record_batch({"p": [0.2, 0.7]}))
    >>> arrays["grade"].to_pylist(), arrays["pd"].type
    (['A', 'D'], DataType(double))
    """
    import pyarrow as pa

    layout = columns or output_columns(scorer, on_error)
    n = records.num_rows if hasattr(records, "num_rows") else len(records)
    types = {"double": pa.float64(), "string": pa.string()}
    if n == 0:
        return {name: pa.array([], type=types[kind]) for name, kind in layout}
    out = scorer.score(records, on_error=on_error)
    data = {}
    for name, kind in layout:
        if name.startswith("reason_"):
            values = out["reasons"][:, int(name[7:]) - 1]
        elif name in _MESSAGES:
            values = messages_column(out[_MESSAGES[name]], n)
        else:
            values = out[name]
        data[name] = pa.array(values, type=types[kind], from_pandas=kind == "double")
    return data
