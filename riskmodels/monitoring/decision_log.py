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
    ids, times : record ids (str) and decision times (UTC timestamps).
    bundle_sha256 : the bundle every line was scored with.
    refused : records refused by the input rules (logged with ``errors``, not decided).
    """

    inputs: pd.DataFrame
    result: dict
    ids: np.ndarray
    times: pd.DatetimeIndex
    bundle_sha256: str
    refused: int = 0

    def __len__(self) -> int:
        return len(self.ids)


def _lines(source):
    if hasattr(source, "read"):
        yield from source
        return
    try:
        with open(source, encoding="utf-8") as handle:
            yield from handle
    except OSError as exc:
        raise MonitoringError([Violation("log", f"cannot be read ({exc.strerror or exc})",
                                         "a decision log file")], context=str(source)) from None


def read_decision_log(source, bundle_sha256: str | None = None) -> DecisionLog:
    """Read a decision log (path or open text file); check it is one bundle's, in time order.

    Parameters
    ----------
    source : path or text file of JSON lines.
    bundle_sha256 : when given, every line must carry it (the log of that bundle).

    Raises
    ------
    MonitoringError
        a line that is not a log record, lines of another bundle, times out of order
        (an append-only log never goes back in time), or no decided record at all.
    """
    entries, bad = [], []
    for number, line in enumerate(_lines(source), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not {"time", "bundle_sha256", "id", "pd", "grade", "input"} <= set(entry):
                raise ValueError
        except ValueError:
            bad.append(number)
            continue
        entries.append((number, entry))
    if bad:
        raise MonitoringError([Violation("line", "not a decision-log record", "JSON with time, bundle_sha256, "
                                         "id, pd, grade and input", tuple(bad[:5]), len(bad))], context="decision log")
    shas = sorted({e["bundle_sha256"] for _, e in entries})
    expected = bundle_sha256 or (shas[0] if len(shas) == 1 else None)
    other = [n for n, e in entries if e["bundle_sha256"] != expected]
    if other:
        raise MonitoringError([Violation("bundle_sha256", f"lines of {len(shas)} bundles {[s[:12] for s in shas]}",
                                         f"one bundle ({(expected or '?')[:12]}...): split the log per bundle",
                                         tuple(other[:5]), len(other))], context="decision log")
    times = pd.to_datetime([e["time"] for _, e in entries], utc=True)
    back = np.flatnonzero(np.diff(times.asi8) < 0) + 1 if len(times) > 1 else np.array([], dtype=int)
    if len(back):
        rows = tuple(entries[i][0] for i in back[:5])
        raise MonitoringError([Violation("time", "earlier than the line before it", "times in order "
                                         "(the log is append-only)", rows, len(back))], context="decision log")
    decided = [(n, e) for n, e in entries if not e.get("errors")]
    if not decided:
        raise MonitoringError([Violation("log", "holds no decided record", "at least one scored record")],
                              context="decision log")
    refused = len(entries) - len(decided)
    pick = [e for _, e in decided]
    result = {"pd": np.array([e["pd"] for e in pick], dtype=float),
              "grade": np.array([e["grade"] for e in pick], dtype=object),
              "score": np.array([e["score"] for e in pick], dtype=float) if "score" in pick[0] else None}
    inputs = pd.DataFrame.from_records([e["input"] for e in pick])
    keep = np.array([not e.get("errors") for _, e in entries])
    return DecisionLog(inputs, result, np.array([str(e["id"]) for e in pick], dtype=object),
                       times[keep], expected, refused)
