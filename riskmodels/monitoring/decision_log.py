"""Read a decision log written by ``Scorer.score(..., log=...)`` / ``riskmodels score --log``.

The log is the production population as it was decided: one JSON line per
record with its time, the bundle's sha256, the input hash, the record id, PD,
grade (score, limit, reasons) and the canonical input. Monitoring rebuilds the
period from it: the inputs give the characteristic distributions, the logged
PDs and grades the score and grade distributions (the numbers that were used).

Examples
--------
>>> import io, json
>>> lines = [json.dumps({"time": "2026-01-0%dT00:00:00Z" % d, "bundle_sha256": "ab", "id": str(d),
...                      "input_sha256": "x", "pd": 0.01 * d, "grade": "A", "input": {"p": 0.01 * d}})
...          for d in (1, 2)]
>>> log = read_decision_log(io.StringIO("\\n".join(lines)))
>>> log.inputs["p"].tolist(), log.ids.tolist(), log.bundle_sha256
([0.01, 0.02], ['1', '2'], 'ab')
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.errors import MonitoringError, Violation


@dataclass
class DecisionLog:
    """A decision log read into columns.

    Attributes
    ----------
    inputs : DataFrame of the canonical inputs, one row per decided record.
    result : dict of arrays ``pd``, ``grade``, ``score`` (None when not logged).
    ids, times : record ids (str) and decision times (UTC timestamps), in time order.
    bundle_sha256 : the bundle every line was scored with.
    refused : records refused by the input rules (logged with ``errors``, not decided).
    lines : the log's non-blank lines.
    dropped : lines that are not a decision record (not JSON, a field missing or of the wrong
        kind, a PD outside [0, 1], a time that is not ISO 8601); ``dropped_lines`` their numbers.
    without_inputs : decided records whose logged input lacks a field (or is not logged).
    """

    inputs: pd.DataFrame
    result: dict
    ids: np.ndarray
    times: pd.DatetimeIndex
    bundle_sha256: str
    refused: int = 0
    lines: int = 0
    dropped: int = 0
    dropped_lines: tuple = ()
    without_inputs: int = 0

    def __len__(self) -> int:
        return len(self.ids)


def _lines(source):
    if hasattr(source, "read"):
        yield from source
        return
    try:
        with open(source, encoding="utf-8", errors="replace") as handle:
            yield from handle
    except OSError as exc:
        raise MonitoringError([Violation("log", f"cannot be read ({exc.strerror or exc})",
                                         "a decision log file")], context=str(source)) from None


_FIELDS = ("time", "bundle_sha256", "id", "pd", "grade", "input")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _record(line: str):
    """The entry of one log line, or None when the line is not a decision record."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or not set(_FIELDS) <= set(entry):
        return None
    if not isinstance(entry["time"], str) or not isinstance(entry["bundle_sha256"], str) \
            or not isinstance(entry["id"], str) or not isinstance(entry["input"], dict):
        return None
    if entry.get("errors"):  # refused by the input rules: no PD, no grade
        return entry
    if not (_is_number(entry["pd"]) and 0.0 <= entry["pd"] <= 1.0) or not isinstance(entry["grade"], str):
        return None
    score = entry.get("score")
    if score is not None and not _is_number(score):
        return None
    return entry


def read_decision_log(source, bundle_sha256: str | None = None) -> DecisionLog:
    """Read a decision log (path or open text file): its records of one bundle, in time order.

    Lines that are not decision records are dropped and counted (``dropped``; monitoring
    reports their share as a measure with thresholds). Lines appended by several writers
    interleave their times: the records are put in time order (a stable sort).

    Parameters
    ----------
    source : path or text file of JSON lines.
    bundle_sha256 : when given, every line must carry it (the log of that bundle).

    Raises
    ------
    MonitoringError
        lines of another bundle, or no decided record at all.
    """
    entries, bad, total = [], [], 0
    for number, line in enumerate(_lines(source), start=1):
        if not line.strip():
            continue
        total += 1
        entry = _record(line)
        if entry is None:
            bad.append(number)
        else:
            entries.append((number, entry))
    times = pd.to_datetime([e["time"] for _, e in entries], utc=True, format="ISO8601", errors="coerce")
    if len(times) and times.isna().any():
        late = set(np.flatnonzero(np.asarray(times.isna())).tolist())
        bad = sorted(bad + [entries[i][0] for i in late])
        entries = [item for i, item in enumerate(entries) if i not in late]
        times = times[~times.isna()]
    shas = sorted({e["bundle_sha256"] for _, e in entries})
    expected = bundle_sha256 or (shas[0] if len(shas) == 1 else None)
    other = [n for n, e in entries if e["bundle_sha256"] != expected]
    if other:
        raise MonitoringError([Violation("bundle_sha256", f"lines of {len(shas)} bundles {[s[:12] for s in shas]}",
                                         f"one bundle ({(expected or '?')[:12]}...): split the log per bundle",
                                         tuple(other[:5]), len(other))], context="decision log")
    order = np.argsort(times.asi8, kind="stable") if len(times) else np.array([], dtype=int)
    entries = [entries[i] for i in order]
    times = pd.DatetimeIndex(times[order]) if len(times) else pd.DatetimeIndex([], tz="UTC")
    keep = np.array([not e.get("errors") for _, e in entries], dtype=bool)
    pick = [e for (_, e), k in zip(entries, keep, strict=True) if k]
    if not pick:
        found = f"{total} line(s): {len(bad)} not a decision record, {len(entries)} refused by the input rules"
        raise MonitoringError([Violation("log", f"holds no decided record ({found})",
                                         "at least one scored record with a PD in [0, 1]",
                                         tuple(bad[:5]), len(bad))], context="decision log")
    result = {"pd": np.array([e["pd"] for e in pick], dtype=float),
              "grade": np.array([e["grade"] for e in pick], dtype=object),
              "score": np.array([np.nan if e.get("score") is None else e["score"] for e in pick], dtype=float)
              if "score" in pick[0] else None}
    inputs = pd.DataFrame.from_records([e["input"] for e in pick])
    fields = list(inputs.columns)
    without = sum(1 for e in pick if len(e["input"]) < len(fields) or not e["input"])
    return DecisionLog(inputs, result, np.array([e["id"] for e in pick], dtype=object), times[keep], expected,
                       refused=int((~keep).sum()), lines=total, dropped=len(bad), dropped_lines=tuple(bad),
                       without_inputs=without)
