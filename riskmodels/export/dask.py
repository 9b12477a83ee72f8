"""Score a Dask DataFrame with a scorer bundle, partition by partition (``map_partitions``)."""

from __future__ import annotations

import pandas as pd

from riskmodels import scoring
from riskmodels.export.frames import output_columns, refuse_clash, score_frame


def score_dataframe(ddf, bundle, *, on_error: str = "raise", n_reasons: int = 3,
                    keep_columns: bool = True):
    """Append the score columns (pd, score, grade, reasons, limit[, error]) to a Dask DataFrame.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame holding the bundle's input columns.
    bundle : bundle dict, JSON bytes or path (verified once).
    on_error : "raise" or "report" (see :meth:`riskmodels.scoring.Scorer.score`).
    n_reasons : reason codes per record.
    keep_columns : keep the input columns in front of the scores.

    Returns
    -------
    dask.dataframe.DataFrame (lazy, same partitions and index)

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
    ...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> ddf = dd.from_pandas(pd.DataFrame({"p": [0.1, 0.7, 0.3]}), npartitions=2)
    >>> score_dataframe(ddf, bundle).compute()["grade"].tolist()
    ['A', 'D', 'A']
    """
    scorer = scoring.Scorer(scoring.read_bundle(bundle), n_reasons=n_reasons)
    layout = output_columns(scorer, on_error)
    if keep_columns:
        refuse_clash(layout, ddf.columns)
    empty = score_frame(scorer, ddf._meta, on_error=on_error, columns=layout)
    meta = ddf._meta.join(empty) if keep_columns else empty

    def score_partition(frame: pd.DataFrame) -> pd.DataFrame:
        scores = score_frame(scorer, frame, on_error=on_error, columns=layout)
        return frame.join(scores) if keep_columns else scores

    return ddf.map_partitions(score_partition, meta=meta)
