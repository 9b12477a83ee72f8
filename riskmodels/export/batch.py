"""Batch-score a CSV or Parquet file in chunks, so a file larger than memory can be scored.

Behind ``riskmodels score BUNDLE INPUT -o OUTPUT``. Only one chunk is in memory
at a time; the output is written to ``OUTPUT.part`` and renamed when every row
is scored, so a failed run leaves no half-written file behind.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import BundleError
from riskmodels.export.frames import output_columns, refuse_clash, score_frame

FORMATS = (".csv", ".parquet")


def _format(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BundleError(f"{what} {path} must end in .csv or .parquet, not {suffix or '(none)'}")
    return suffix


def _chunks(path: Path, rules: list, chunksize: int):
    """(frame, total rows or None) per chunk; categories are read as text, never as numbers."""
    if _format(path, "the input") == ".csv":
        text = {r["name"]: "string" for r in rules if r["type"] == "category"}
        numbers = [r["name"] for r in rules if r["type"] == "number"]
        return (_parse_numbers(c, numbers) for c in pd.read_csv(path, chunksize=chunksize, dtype=text)), None
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    return (b.to_pandas() for b in source.iter_batches(batch_size=chunksize)), source.metadata.num_rows


def _parse_numbers(chunk: pd.DataFrame, names: list) -> pd.DataFrame:
    """Number columns pandas left as text (one value in the chunk is not a number) are parsed
    value by value, so only the records with a bad value are refused, not the whole chunk."""
    for name in names:
        if name in chunk.columns and pd.api.types.is_string_dtype(chunk[name].dtype):
            chunk[name] = np.array([_number_or_text(v) for v in chunk[name].tolist()], dtype=object)
    return chunk


def _number_or_text(v):
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v  # reported by the scorer: "not a number (str ...)"
    return v


def score_file(bundle, input_path, output_path, *, chunksize: int = 100_000,
               on_error: str = "raise", keep_columns: bool = False, progress: bool = True,
               log=None, log_id: str | None = None) -> dict:
    """Score every row of a CSV/Parquet file into a CSV/Parquet file, chunk by chunk.

    Parameters
    ----------
    bundle : bundle path, bytes or dict (verified).
    input_path, output_path : ``.csv`` or ``.parquet`` files (formats may differ).
    chunksize : rows per chunk.
    on_error : "raise" stops at the first chunk with a bad record, naming the field
        and the file row numbers (0 = first data row); "report" writes every row
        with an ``error`` column.
    keep_columns : write the input columns before the scores.
    progress : show a tqdm progress bar on stderr.
    log : path of a decision log (JSON lines, see :func:`riskmodels.scoring.write_decision_log`):
        one line per row is appended once every row is scored (a failed run adds none).
    log_id : input column written as each log line's ``id`` (default: the input hash).

    Returns
    -------
    dict with ``rows`` scored and ``errors`` (rows with a broken rule).

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> bundle = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...           "model": {"input": "p"}, "calibration": [],
    ...           "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> pd.DataFrame({"p": [0.1, 0.9, 0.2]}).to_csv(os.path.join(folder, "in.csv"), index=False)
    >>> score_file(scoring.seal(bundle), os.path.join(folder, "in.csv"),
    ...            os.path.join(folder, "out.csv"), chunksize=2, progress=False)
    {'rows': 3, 'errors': 0}
    >>> pd.read_csv(os.path.join(folder, "out.csv"))["grade"].tolist()
    ['A', 'D', 'A']
    """
    from tqdm import tqdm

    if on_error not in ("raise", "report"):
        raise BundleError(f"on_error must be 'raise' or 'report', not {on_error!r}")
    if chunksize < 1:
        raise BundleError(f"chunksize must be at least 1, got {chunksize}")
    scorer = scoring.load_scorer(bundle)
    input_path, output_path = Path(input_path), Path(output_path)
    out_format = _format(output_path, "the output")
    layout = output_columns(scorer, "report")
    chunks, total = _chunks(input_path, scorer.content["inputs"], chunksize)
    partial = output_path.with_name(output_path.name + ".part")
    log_part = None if log is None else Path(log).with_name(Path(log).name + f".{os.getpid()}.part")
    rows = bad = 0
    writer = None
    try:
        with tqdm(total=total, unit="rows", disable=not progress, file=sys.stderr,
                  desc=f"scoring {input_path.name}") as bar:
            for chunk in chunks:
                chunk = chunk.reset_index(drop=True)
                scores = score_frame(scorer, chunk, on_error="report", columns=layout,
                                     log=log_part, log_id=log_id)
                failed = scores["error"].notna().to_numpy()
                if on_error == "raise" and failed.any():
                    first = int(failed.argmax())
                    raise BundleError(f"row {rows + first} of {input_path.name}: "
                                      f"{scores['error'].iloc[first]} "
                                      f"({int(failed.sum())} bad row(s) in this chunk)")
                if on_error == "raise":
                    scores = scores.drop(columns="error")
                scores.index = scores.index + rows
                if keep_columns:
                    refuse_clash(layout, chunk.columns)
                    chunk.index = scores.index
                    scores = chunk.join(scores)
                writer = _write(scores, partial, out_format, writer, layout)
                rows += len(scores)
                bad += int(failed.sum())
                bar.update(len(scores))
        if writer is None:  # an empty input still gives a file with the header
            columns = layout if on_error == "report" else layout[:-1]
            writer = _write(score_frame(scorer, pd.DataFrame(), columns=columns),
                            partial, out_format, None, layout)
    except BaseException:
        if writer is not None and out_format == ".parquet":
            writer.close()
        partial.unlink(missing_ok=True)
        if log_part is not None:
            log_part.unlink(missing_ok=True)
        raise
    if out_format == ".parquet":
        writer.close()
    partial.replace(output_path)
    if log_part is not None:
        _append_log(log_part, Path(log))
    return {"rows": rows, "errors": bad}


def _append_log(part: Path, log: Path) -> None:
    """Append the run's decision-log lines to the log (append-only) and remove the part file."""
    if part.exists():
        with open(part, "rb") as src, open(log, "ab") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
        part.unlink()


def _write(frame: pd.DataFrame, path: Path, out_format: str, writer, layout):
    """Append one chunk; returns the writer state (True for CSV, the ParquetWriter otherwise)."""
    if out_format == ".csv":
        frame.to_csv(path, mode="a" if writer else "w", header=not writer, index=False)
        return True
    import pyarrow as pa
    import pyarrow.parquet as pq

    kinds = dict(layout)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if writer is None:
        fields = [pa.field(f.name, pa.string() if kinds.get(f.name) == "string" else
                           pa.float64() if kinds.get(f.name) == "double" else f.type)
                  for f in table.schema]
        writer = pq.ParquetWriter(path, pa.schema(fields))
    writer.write_table(table.cast(writer.schema))
    return writer
