"""The decision log: one JSON line per scored record (:func:`write_decision_log`)."""

from __future__ import annotations

import hashlib
import json
import math
import os

import numpy as np

from .errors import BundleError
from .inputs import category_label, is_missing

try:  # POSIX: writers of one log take turns (flock); elsewhere O_APPEND alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def _canonical_value(rule: dict, value):
    """A record's raw input value as JSON: numbers as float (missing -> null), labels as str."""
    if is_missing(value):
        return None
    if rule["type"] == "category":
        return category_label(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    return str(value)  # a non-number the scorer refused: kept as text, so the log says what came in


def decision_log_lines(scorer, columns: dict, result: dict, log_id: str | None = None,
                       when: str | None = None) -> list[str]:
    """One JSON line per record of a scored batch (see :func:`write_decision_log`).

    ``scorer`` is the :class:`~riskmodels.scoring.Scorer` that scored ``columns`` into ``result``.

    Examples
    --------
    >>> from riskmodels.scoring import Scorer, seal
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "inputs": [{"name": "pd", "type": "number"}],
    ...                "model": {"input": "pd"}, "calibration": [],
    ...                "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}})
    >>> scorer = Scorer(bundle)
    >>> cols = {"pd": np.array([0.1])}
    >>> line = json.loads(decision_log_lines(scorer, cols, scorer.score(cols), when="2026-01-01T00:00:00Z")[0])
    >>> line["grade"], line["input"], line["bundle_sha256"] == bundle["sha256"]
    ('A', {'pd': 0.1}, True)
    """
    import datetime as _dt

    rules = scorer.content["inputs"]
    n = len(result["pd"])
    when = when or _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    raw = {r["name"]: columns[r["name"]].tolist() if r["name"] in columns else [None] * n for r in rules}
    ids = log_ids(columns[log_id], log_id) if log_id is not None else None
    errors = result.get("errors") or {}
    warnings = result.get("warnings") or {}

    def plain(v):
        if v is None or (isinstance(v, float) and v != v):
            return None
        return v.item() if isinstance(v, np.generic) else v

    pds, grades = result["pd"].tolist(), result["grade"].tolist()
    scores = result["score"].tolist() if result["score"] is not None else None
    limits = result["limit"].tolist() if result["limit"] is not None else None
    reasons = result["reasons"].tolist() if result["reasons"] is not None else None
    # expected credit loss (a bundle with an ecl section)
    ecl = {k: result[k].tolist() for k in ("ecl_12m", "ecl_lifetime", "stage", "ecl") if k in result}
    lines = []
    for i in range(n):
        record = {r["name"]: _canonical_value(r, raw[r["name"]][i]) for r in rules}
        body = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        entry = {"time": when, "bundle_sha256": scorer.sha256, "input_sha256": digest,
                 "id": ids[i] if ids is not None else digest,
                 "pd": plain(pds[i]), "grade": grades[i]}
        if scores is not None:
            entry["score"] = plain(scores[i])
        if limits is not None:
            entry["limit"] = plain(limits[i])
        for key, values in ecl.items():
            entry[key] = plain(values[i])
        if reasons is not None:
            entry["reasons"] = None if reasons[i][0] is None else [str(x) for x in reasons[i]]
        if i in errors:
            entry["errors"] = errors[i]
        if i in warnings:
            entry["warnings"] = warnings[i]
        entry["input"] = record
        lines.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                allow_nan=False))
    return lines


def log_ids(values, log_id: str, first_row: int = 0) -> list[str]:
    """Record ids as the log's text: a label, as :func:`category_label` reads a category (text
    as given — "00017" stays "00017" —, integers as digits, a whole float as its integer);
    a record without an id is refused (its outcome could never be joined), naming the records
    counted from ``first_row`` (a file's row number when the values are a chunk of it).

    Examples
    --------
    >>> log_ids(np.array(["00017", 17, 17.0, 18.5], dtype=object), "firm_id")
    ['00017', '17', '17', '18.5']
    >>> log_ids(np.array(["A1", None], dtype=object), "firm_id")
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: log_id field 'firm_id': missing id at record(s) [1]
    """
    labels = [category_label(v) for v in np.asarray(values, dtype=object).tolist()]
    blank = [first_row + i for i, v in enumerate(labels) if v is None or not v.strip()]
    if blank:
        shown = ", ".join(str(i) for i in blank[:5]) + (f" (+{len(blank) - 5} more)" if len(blank) > 5 else "")
        raise BundleError(f"log_id field {log_id!r}: missing id at record(s) [{shown}]")
    return labels


def append_to_log(path, blocks) -> int:
    """Append blocks of bytes to the log at ``path``; returns the bytes written.

    Safe for many writers: the file is opened with ``O_APPEND`` and held under an exclusive
    ``fcntl.flock`` for the whole append, so one writer's lines are never split or interleaved
    with another's (another process that appends to the log takes the same lock).
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    written = 0
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        for block in blocks:
            view = memoryview(block)
            while view:
                done = os.write(fd, view)
                written += done
                view = view[done:]
    finally:
        os.close(fd)  # releases the lock
    return written


def write_decision_log(log, lines: list[str]) -> int:
    """Append lines to a decision log (a path or an open text file), then flush once.

    Each line is one scored record: ``time`` (UTC, ISO 8601), ``bundle_sha256``,
    ``input_sha256`` (sha256 of the canonical JSON of the record's raw input:
    sorted keys, numbers as floats, missing as null), ``id`` (the ``log_id``
    field or the input hash), ``pd``, ``grade``, ``score``/``limit``/``reasons``
    where the model has them, ``ecl_12m``/``ecl_lifetime``/``stage``/``ecl`` where the
    bundle has an expected-credit-loss section, ``errors`` for records refused in report mode, and
    the canonical ``input`` itself (so monitoring can rebuild the population).
    The file is opened for appending only; nothing written is ever rewritten. A path is
    appended to by :func:`append_to_log` (``O_APPEND`` under an exclusive lock, one batch at
    a time: safe for several workers writing one log).

    Returns
    -------
    int : the number of lines written.

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> write_decision_log(buffer, ['{"pd":0.1}', '{"pd":0.2}']), buffer.getvalue().count("\\n")
    (2, 2)
    """
    text = "".join(line + "\n" for line in lines)
    if hasattr(log, "write"):
        log.write(text)
        log.flush()
    else:
        append_to_log(log, [text.encode("utf-8")])
    return len(lines)
