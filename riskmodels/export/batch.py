"""Batch-score a CSV or Parquet file in chunks, so a file larger than memory can be scored.

Behind ``riskmodels score BUNDLE INPUT -o OUTPUT``. Only one chunk is in memory
at a time. The output is safe against lost or mixed files:

* each run writes a temporary file of its own (``.OUTPUT.riskmodels-partial-XXXX``)
  in the output's folder and renames it onto ``OUTPUT`` atomically once every row
  is scored and the rows written are counted equal to the rows read, so a failed
  or killed run leaves the previous output intact;
* a run holds an exclusive lock (``fcntl.flock`` on ``.OUTPUT.lock``, released by the
  kernel even when the process is killed) while it writes; a second run on the same
  output is refused, and the partial files of killed runs are removed by the next run;
* the input is never the output, and an existing output is replaced only with
  ``overwrite=True`` (``--overwrite``).

Every problem with the files is a one-line :class:`~riskmodels.errors.FileError`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import BundleError, FileError
from riskmodels.export.csv_text import csv_bytes
from riskmodels.export.frames import output_columns, refuse_clash, score_frame
from riskmodels.fileio import TEXT_TABLES, publish, sniff_text, table_format

FORMATS = (".csv", ".parquet")
PARTIAL = ".riskmodels-partial-"  # infix of a run's temporary output file
_OPEN: set[Path] = set()  # partial and lock files of the runs of this process, for abandon()


def _format(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise BundleError(f"{what} {path} must end in .csv or .parquet, not {suffix or '(none)'}")
    return suffix


def _input_format(path: Path) -> str:
    """``"parquet"`` or ``"text"`` (a delimited file, its separator sniffed as ``init`` does)."""
    found = table_format(path)
    if found is None:
        raise BundleError(f"the input {path} must be delimited text ({', '.join(TEXT_TABLES)}, "
                          f"gzipped too) or .parquet, not {path.suffix or '(no suffix)'}")
    return found


def _reading_errors():
    """Exceptions of pandas/pyarrow that mean the input file cannot be read as a table."""
    import pyarrow as pa

    return (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, pa.ArrowException,
            OSError)


def _chunks(path: Path, rules: list, chunksize: int, wanted: set | None = None, text_columns=()):
    """(frame, total rows or None) per chunk; categories (and ``text_columns``, e.g. the log's
    record id: "00017" stays "00017") are read as text, never as numbers.

    ``wanted``: the only columns to read (the file's other columns are skipped, and a
    wanted column the file lacks is absent, as it would be otherwise); ``None`` reads all.
    """
    try:
        if _input_format(path) == "text":
            text = {r["name"]: "string" for r in rules if r["type"] == "category"}
            text.update(dict.fromkeys(text_columns, "string"))
            numbers = [r["name"] for r in rules if r["type"] == "number"]
            encoding, sep = sniff_text(path)  # as every reader of a user's table: UTF-8 or Chinese GB18030
            reader = pd.read_csv(path, sep=sep, chunksize=chunksize, dtype=text,
                                 usecols=None if wanted is None else wanted.__contains__, encoding=encoding)
            return _guarded(path, (_parse_numbers(c, numbers) for c in reader)), None
        import pyarrow.parquet as pq

        source = pq.ParquetFile(path)
        columns = None if wanted is None else [n for n in source.schema_arrow.names if n in wanted]
    except FileError:
        raise  # says what is wrong with the file already (its encoding, emptiness)
    except _reading_errors() as exc:
        raise FileError(f"cannot read the input {path}: {_one_line(exc)}") from None
    batches = source.iter_batches(batch_size=chunksize, columns=columns)
    return _guarded(path, (b.to_pandas() for b in batches)), source.metadata.num_rows


def _guarded(path: Path, chunks):
    """The chunks, with a file that breaks part-way through refused as one FileError."""
    try:
        yield from chunks
    except _reading_errors() as exc:
        raise FileError(f"cannot read the input {path}: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


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


# --------------------------------------------------------------------------- file safety
def check_paths(input_path, output_path, overwrite: bool = False) -> tuple[Path, Path]:
    """Refuse, before any work, an input or output a batch run must not use.

    The output's folder is resolved (symbolic links followed), so two spellings of one
    output share one lock.

    Parameters
    ----------
    input_path, output_path : the files of the run.
    overwrite : whether an existing output may be replaced.

    Returns
    -------
    (input path, output path) as :class:`pathlib.Path`.

    Raises
    ------
    FileError
        missing, empty (0 bytes) or unreadable input, an input that is a folder; an
        output that is a folder, is the input, exists without ``overwrite`` or is
        read-only; a missing or unwritable output folder.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> check_paths(os.path.join(folder, "in.csv"), os.path.join(folder, "out.csv"))
    Traceback (most recent call last):
    ...
    riskmodels.errors.FileError: the input .../in.csv does not exist
    """
    source, target = Path(input_path), Path(output_path)
    if not source.exists():
        raise FileError(f"the input {source} does not exist")
    if source.is_dir():
        raise FileError(f"the input {source} is a folder, not a file")
    if not os.access(source, os.R_OK):
        raise FileError(f"cannot read the input {source}: permission denied")
    if source.is_file() and source.stat().st_size == 0:  # a pipe has no size: it is read
        raise FileError(f"the input {source} is empty (0 bytes)")
    folder = target.parent
    if target.is_dir():
        raise FileError(f"the output {target} is a folder; give a file name ending in .csv or .parquet")
    if not folder.exists():
        raise FileError(f"the output folder {folder} does not exist")
    if not folder.is_dir():
        raise FileError(f"the output folder {folder} is not a folder")
    if not _writable(folder, os.W_OK | os.X_OK):
        raise FileError(f"the output folder {folder} is not writable")
    target = folder.resolve() / target.name
    if target.exists():
        if os.path.samefile(source, target):
            raise FileError(f"the output {target} is the input; write the scores to another file")
        if not overwrite:
            raise FileError(f"the output {target} exists; pass --overwrite (overwrite=True) to replace it")
        if not _writable(target, os.W_OK):
            raise FileError(f"the output {target} is read-only; not replaced")
    return source, target


def _writable(path: Path, mode: int) -> bool:
    """Writable for this process, and not marked read-only (root passes ``os.access``)."""
    return os.access(path, mode) and bool(path.stat().st_mode & 0o222)


@contextlib.contextmanager
def output_lock(target: Path):
    """Hold the exclusive lock of ``target`` for the duration of a ``with`` block.

    The lock is ``fcntl.flock`` on ``.NAME.lock`` beside the output: the kernel drops it
    when its holder exits, even on SIGKILL, so a killed run never blocks later ones.
    Partial files of killed runs on the same output are removed once the lock is held.

    Raises
    ------
    FileError
        when another run holds the lock.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.csv"
    >>> with output_lock(target):
    ...     with output_lock(target):
    ...         pass
    Traceback (most recent call last):
    ...
    riskmodels.errors.FileError: another run is writing .../out.csv (it holds .../.out.csv.lock); try again when it has finished
    """
    lock = target.with_name(f".{target.name}.lock")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise FileError(f"cannot create the lock file {lock}: {_one_line(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FileError(f"another run is writing {target} (it holds {lock}); "
                            "try again when it has finished") from None
        # the run that held the lock before removes the file while holding it: a lock taken
        # on a removed file is no lock, so check that the path still names the locked file
        try:
            held, named = os.fstat(fd), os.stat(lock)
            if (held.st_dev, held.st_ino) == (named.st_dev, named.st_ino):
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    _OPEN.add(lock)
    try:
        for stale in target.parent.glob(f".{target.name}{PARTIAL}*"):
            stale.unlink(missing_ok=True)  # a run killed before its rename (we hold the lock)
        yield
    finally:
        lock.unlink(missing_ok=True)
        _OPEN.discard(lock)
        os.close(fd)


def abandon() -> None:
    """Remove the partial and lock files of this process's runs (for a signal handler that
    then ends the process: the outputs keep their previous content).

    Examples
    --------
    >>> abandon()  # nothing running: nothing to remove
    """
    for path in list(_OPEN):
        path.unlink(missing_ok=True)
        _OPEN.discard(path)


def score_file(bundle, input_path, output_path, *, chunksize: int = 100_000,
               on_error: str = "raise", keep_columns: bool = False, progress: bool = True,
               overwrite: bool = False, log=None, log_id: str | None = None,
               verify_signature: bool = True) -> dict:
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
    overwrite : replace an existing output (refused otherwise).
    log : path of a decision log (JSON lines, see :func:`riskmodels.scoring.write_decision_log`):
        one line per row is appended once every row is scored (a failed run adds none), under
        the log's lock (:func:`riskmodels.scoring.append_to_log`: several runs may share a log).
        The log is opened before any work: one that cannot be written publishes nothing.
    log_id : input column written as each log line's ``id`` (default: the input hash), read as
        text; a row without an id is refused.
    verify_signature : with no signing key set, a signed bundle is refused unless False.

    Returns
    -------
    dict with ``rows`` scored, ``errors`` (rows with a broken rule), ``warnings`` (rows scored
    but flagged: outside what the development sample held), ``rows_read`` and
    ``rows_written`` (counted as they are written, from the Parquet file's footer for
    Parquet; equal, or the run fails).

    Raises
    ------
    FileError
        bad paths (see :func:`check_paths`), another run on the same output, an
        unreadable input, a failed write or a row count that does not match. The
        previous output, if any, is then left as it was.
    BundleError
        a bad bundle or, with ``on_error="raise"``, a bad record.

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
    {'rows': 3, 'errors': 0, 'warnings': 0, 'rows_read': 3, 'rows_written': 3}
    >>> pd.read_csv(os.path.join(folder, "out.csv"))["grade"].tolist()
    ['A', 'D', 'A']
    """
    if on_error not in ("raise", "report"):
        raise BundleError(f"on_error must be 'raise' or 'report', not {on_error!r}")
    if chunksize < 1:
        raise BundleError(f"chunksize must be at least 1, got {chunksize}")
    input_path, output_path = check_paths(input_path, output_path, overwrite)
    out_format = _format(output_path, "the output")
    _input_format(input_path)
    scorer = scoring.load_scorer(bundle, verify_signature=verify_signature)
    if log is not None:
        _check_log(Path(log))
    with output_lock(output_path):
        check_paths(input_path, output_path, overwrite)  # again: another run may have finished meanwhile
        fd, name = tempfile.mkstemp(dir=output_path.parent, prefix=f".{output_path.name}{PARTIAL}",
                                    suffix=output_path.suffix)
        os.close(fd)
        partial = Path(name)
        log_part = None if log is None else partial.with_name(partial.name + ".log")
        _OPEN.update(p for p in (partial, log_part) if p is not None)
        try:
            counts = _score_into(scorer, input_path, partial, out_format, chunksize=chunksize,
                                 on_error=on_error, keep_columns=keep_columns, progress=progress,
                                 log=log_part, log_id=log_id)
            written = counts["rows_written"]
            if written != counts["rows_read"] or counts["rows"] != counts["rows_read"]:
                raise FileError(f"read {counts['rows_read']} row(s) from {input_path} but wrote {written}; "
                                f"{output_path} not replaced")
            if log_part is not None:  # the decisions are logged before their output is published
                _append_log(log_part, Path(log))
            publish(partial, output_path)
        except OSError as exc:
            if isinstance(exc, FileError):
                raise
            raise FileError(f"cannot write {output_path}: {_one_line(exc)}") from None
        finally:
            for path in (partial, log_part):
                if path is not None:
                    path.unlink(missing_ok=True)
                    _OPEN.discard(path)
    return counts


def _score_into(scorer, input_path: Path, partial: Path, out_format: str, *, chunksize: int,
                on_error: str, keep_columns: bool, progress: bool, log, log_id) -> dict:
    """Score the input chunk by chunk into the run's own temporary file."""
    from tqdm import tqdm

    layout = output_columns(scorer, "report")
    rules = scorer.content["inputs"]
    wanted = None if keep_columns else {r["name"] for r in rules} | ({log_id} if log_id else set())
    chunks, total = _chunks(input_path, rules, chunksize, wanted,
                            [log_id] if log_id is not None and log is not None else [])
    rows = bad = written = flagged = 0
    writer = None
    try:
        with tqdm(total=total, unit="rows", disable=not progress, file=sys.stderr,
                  desc=f"scoring {input_path.name}") as bar:
            for chunk in chunks:
                chunk = chunk.reset_index(drop=True)
                if log is not None and log_id is not None and log_id in chunk.columns:
                    scoring.log_ids(chunk[log_id].to_numpy(dtype=object), log_id, first_row=rows)
                scores = score_frame(scorer, chunk, on_error="report", columns=layout,
                                     log=log, log_id=log_id)
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
                written += len(scores)
                rows += len(scores)
                bad += int(failed.sum())
                if "warnings" in scores.columns:
                    flagged += int(scores["warnings"].notna().sum())
                bar.update(len(scores))
        if writer is None:  # an input with a header and no rows still gives a file with the header
            columns = layout if on_error == "report" else layout[:-1]
            writer = _write(score_frame(scorer, pd.DataFrame(), columns=columns),
                            partial, out_format, None, layout)
    finally:
        if writer is not None and out_format == ".parquet":
            writer.close()
    if out_format == ".parquet":
        import pyarrow.parquet as pq

        written = pq.ParquetFile(partial).metadata.num_rows
    if total is not None and rows != total:
        raise FileError(f"the input {input_path} states {total} row(s) but {rows} were read")
    return {"rows": rows, "errors": bad, "warnings": flagged, "rows_read": rows if total is None else total,
            "rows_written": written}


def _check_log(log: Path) -> None:
    """Refuse, before any work, a decision log that cannot be appended to (nothing is created)."""
    if log.is_dir():
        problem = "it is a folder"
    elif log.exists():
        problem = None if _writable(log, os.W_OK) else "it is read-only"
    elif not log.parent.is_dir():
        problem = f"the folder {log.parent} does not exist"
    else:
        problem = None if _writable(log.parent, os.W_OK | os.X_OK) else f"the folder {log.parent} is not writable"
    if problem:
        raise FileError(f"cannot append to the decision log {log}: {problem}; nothing was scored")


def _append_log(part: Path, log: Path) -> None:
    """Append the run's decision-log lines to the log (append-only, under the log's lock) and
    remove the part file."""
    if part.exists():
        try:
            with open(part, "rb") as src:
                scoring.append_to_log(log, iter(lambda: src.read(1 << 20), b""))
        except OSError as exc:
            raise FileError(f"cannot append to the decision log {log}: {_one_line(exc)}; "
                            "the output was not published") from None
        part.unlink()


def _write(frame: pd.DataFrame, path: Path, out_format: str, writer, layout):
    """Append one chunk; returns the writer state (True for CSV, the ParquetWriter otherwise)."""
    if out_format == ".csv":
        text = csv_bytes(frame, header=not writer)
        if text is None:  # a column Arrow would write differently: pandas writes the chunk
            frame.to_csv(path, mode="a" if writer else "w", header=not writer, index=False)
        else:
            with open(path, "ab" if writer else "wb") as handle:
                handle.write(text)
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
