"""Score a Dask DataFrame with a scorer bundle, partition by partition (``map_partitions``).

Arrow-backed and categorical input columns reach the scorer by their codes; the
string score columns come back Arrow-backed (``string[pyarrow]``), so no pandas
object column is built on the way.
"""

from __future__ import annotations

import pandas as pd

from riskmodels import scoring
from riskmodels.export.frames import output_columns, refuse_clash, score_arrays


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

    def score_partition(frame: pd.DataFrame) -> pd.DataFrame:
        arrays = score_arrays(scorer, frame, on_error=on_error, columns=layout)
        scores = pd.DataFrame({name: array.to_numpy(zero_copy_only=False) if kind == "double"
                               else pd.array(array, dtype="string[pyarrow]")
                               for (name, kind), array in zip(layout, arrays.values(), strict=True)},
                              index=frame.index)
        return frame.join(scores) if keep_columns else scores

    meta = score_partition(ddf._meta)

    return ddf.map_partitions(score_partition, meta=meta)
