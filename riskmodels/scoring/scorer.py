"""The scorer: :func:`evaluate` (the batch path the in-memory models share),
:class:`Scorer` and :func:`load_scorer`."""

from __future__ import annotations

import numpy as np

from .bins import compile_binnings
from .bundle import read_bundle, verify
from .calibration import apply_calibration, calibrate_one
from .decisions import decision_log_lines, log_ids, write_decision_log
from .ecl import ExpectedCreditLoss
from .errors import BundleError, InvalidPDError
from .grades import grade_index, grade_one, labels_of
from .inputs import (
    as_columns,
    example_record,
    object_array,
    prepare_inputs,
    record_columns,
    record_values,
    rows_text,
    rule_plan,
    take_rows,
)
from .kernels import KERNELS, RECORD_KERNELS
from .kmv import MERTON_STATUS_NAMES
from .limits import RecordLimit, credit_limit
from .reasons import reason_names, reason_order_of, top_k

#: records per block of :meth:`Scorer.score`: each block's arrays (an expert card's 16 indicator
#: columns, the reasons' buffer) stay in the cache from one step to the next (measured, issue 35)
SCORE_BLOCK = 65_536
#: the model kinds scored in blocks: each record's outputs depend on that record alone, so a block
#: gives the same bits as the batch. Not kmv (the inner Newton steps of its bisection fallback
#: run until every firm of the batch converged) nor logistic (a batch sums its WoE once per
#: combination of bins when it holds four records per combination: blocks would repeat that)
BLOCKED_KINDS = frozenset({"identity", "expert", "crosstab"})
# the numbers of Scorer._score_block that are not the ECL's
_BLOCK_KEYS = ("pd", "score", "grade_index", "scale_index", "reasons", "limit")


def pd_problems(pd_: np.ndarray, extra: dict | None = None) -> dict:
    """``{record: message}`` for every PD that is NaN or outside [0, 1] (none: empty dict).

    A KMV record names its Merton status (``degenerate``, ``not_converged`` ...).

    Examples
    --------
    >>> pd_problems(np.array([0.1, np.nan, 1.5]))
    {1: 'pd: nan, expected a probability in [0, 1]', 2: 'pd: 1.5, expected a probability in [0, 1]'}
    """
    if not len(pd_) or (pd_.min() >= 0.0 and pd_.max() <= 1.0):  # NaN fails both
        return {}
    bad = ~((pd_ >= 0.0) & (pd_ <= 1.0))
    status = (extra or {}).get("status")
    found = {}
    for r in np.flatnonzero(bad).tolist():
        why = ""
        if status is not None and 0 <= int(status[r]) < len(MERTON_STATUS_NAMES):
            why = f" (Merton status {MERTON_STATUS_NAMES[int(status[r])]})"
        found[r] = f"pd: {float(pd_[r])!r}{why}, expected a probability in [0, 1]"
    return found


def invalid_pd_error(problems: dict) -> InvalidPDError:
    """The error raised for the records of ``problems`` (``{record: message}``, in record order;
    see :func:`pd_problems`): how many, which, and the first message.

    Examples
    --------
    >>> invalid_pd_error(pd_problems(np.array([0.1, np.nan]))).rows
    [1]
    """
    rows = np.fromiter(problems, dtype=np.int64)
    first = problems[int(rows[0])]
    return InvalidPDError(f"{len(rows)} record(s) {rows_text(rows)} have no valid PD; first: {first}",
                          rows.tolist())


def evaluate(content: dict, columns: dict, *, validate: bool = True, errors: dict | None = None) -> dict:
    """Score prepared columns with a bundle's content (no hash check): the shared path.

    The in-memory models call this with their own exported content, so their
    ``predict_proba`` and the exported scorer run the same arithmetic.

    Parameters
    ----------
    content : bundle content (sealed or not).
    columns : dict of 1-d arrays, one per input field.
    validate : apply the input rules first (:func:`prepare_inputs`).
    errors : passed to :func:`prepare_inputs` (report instead of raise); records whose PD
        comes out NaN or outside [0, 1] are added to it too (see :func:`pd_problems`).
        Without it such records raise :class:`InvalidPDError`.

    Returns
    -------
    dict of arrays ``{"pd", "score", "grade", "grade_index", "grade_labels", "policy_grade",
    "scale_grade", "scale_index", "raw", "contributions", "contribution_rows", "reason_names",
    "extra"}``.
    ``scale_grade`` is the master-scale grade of the PD (``scale_index`` its position, -1: none); ``policy_grade`` the grade the model itself assigns (an
    expert card's grade; None for the statistical models); ``grade`` is the policy grade
    where there is one, else the master-scale grade; ``grade == grade_labels[grade_index]``
    (index -1: no grade). ``contribution_rows`` is the kernel's ``(table, key)`` with
    ``contributions == table[key]``, or None (see
    :func:`~riskmodels.scoring.reasons.reason_order_of`).

    Examples
    --------
    >>> content = {"kind": "identity", "inputs": [{"name": "p", "type": "number"}],
    ...            "model": {"input": "p"}, "calibration": [{"method": "logit_shift", "delta": 0.0}],
    ...            "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> evaluate(content, {"p": np.array([0.1, 0.9])})["grade"].tolist()
    ['A', 'D']
    """
    if validate:
        cols, n = prepare_inputs(content["inputs"], columns, errors)
    else:
        cols, n = columns, len(next(iter(columns.values()))) if columns else 0
    out = model_outputs(content, cols, n, errors)
    scale_grade = labels_of(content["master_scale"]["grades"], out["scale_index"])
    policy = out["policy_grade"]
    return {"pd": out["pd"], "score": out["score"], "grade": scale_grade if policy is None else policy,
            "grade_index": out["grade_index"], "grade_labels": out["grade_labels"], "policy_grade": policy,
            "scale_grade": scale_grade, **{k: v for k, v in out.items() if k not in _EVALUATED}}


# the keys of evaluate's result set before the rest of model_outputs' (in evaluate's order)
_EVALUATED = ("pd", "score", "grade_index", "grade_labels", "policy_grade")


def model_outputs(content: dict, cols: dict, n: int, errors: dict | None = None) -> dict:
    """:func:`evaluate` of prepared columns without its object arrays of grade labels
    (``grade``, ``scale_grade``): the numbers of each record, as :class:`Scorer` needs them.

    Examples
    --------
    >>> content = {"kind": "identity", "model": {"input": "p"}, "calibration": [],
    ...            "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> model_outputs(content, {"p": np.array([0.1, 0.9])}, 2)["grade_index"].tolist()
    [0, 1]
    """
    out = KERNELS[content["kind"]](content["model"], cols, n)
    pd_ = apply_calibration(content["calibration"], out["raw"])
    problems = pd_problems(pd_, out.get("extra", {}))
    if problems:
        if errors is None:
            raise invalid_pd_error(problems)
        for r, message in problems.items():
            errors.setdefault(r, []).append(message)
    scale = content["master_scale"]
    scale_index = grade_index(scale, pd_)
    policy = out.get("policy_grade")
    if policy is None:
        index, labels = scale_index, list(scale["grades"])
    else:
        index, labels = out["extra"]["grade_after"], list(content["model"]["grades"])
    return {
        "pd": pd_,
        "score": out.get("points"),
        "grade_index": index,
        "grade_labels": labels,
        "policy_grade": policy,
        "scale_index": scale_index,
        "raw": out["raw"],
        "contributions": out.get("contributions"),
        "contribution_rows": out.get("contribution_rows"),
        "reason_names": out.get("reason_names", []),
        "extra": out.get("extra", {}),
    }


def _frame_row(records) -> dict | None:
    """The row of a one-row frame (pandas: ``iloc``) as ``{column: value}``, else None.

    Duplicate column names would collapse into one key: such a frame gives None (the
    columnar path refuses it, naming the column).
    """
    iloc = getattr(records, "iloc", None)
    if iloc is None or not hasattr(records, "columns") or len(records) != 1:
        return None
    row = iloc[0].to_dict()
    return row if len(row) == len(records.columns) else None


def one_record_scorer(content: dict):
    """The function that scores one record's clean values (see
    :func:`~riskmodels.scoring.inputs.record_values`) like a batch of one, or None when the
    bundle's records go the batch path.

    For the kinds with a one-record kernel in :data:`~riskmodels.scoring.kernels.RECORD_KERNELS`
    (which may decline a bundle). A record kernel maps the values to ``(raw, points, points
    lost per feature, policy grade, limit basis)`` (None where the kind has none), or to None
    when the record needs the checked path; then come the one-record twins of the steps. The
    function returns the single-record result of :meth:`Scorer.score`, or None (a value without
    a bin, a missing score, an invalid PD). Its tables are closure variables: a record alone
    spends its time in such look-ups.
    """
    make = RECORD_KERNELS.get(content["kind"])
    made = None if make is None else make(content)
    if made is None:
        return None
    kernel, names = made
    scale = content["master_scale"]
    steps = content["calibration"]
    bounds = [float(u) for u in scale["upper_bounds"]]
    floor = scale.get("floor")
    grades = list(scale["grades"])
    limit = RecordLimit(content.get("credit_limit"))

    def score(values: dict, n_reasons: int) -> dict | None:
        out = kernel(values)
        if out is None:
            return None
        raw, points, lost, policy, basis = out
        pd_ = calibrate_one(steps, raw)
        if pd_ is None:
            return None
        scale_grade = grade_one(bounds, floor, grades, pd_)
        reasons = None if lost is None else top_k(lost, names, n_reasons)
        if policy is None:
            return {"pd": pd_, "score": points, "grade": scale_grade, "reasons": reasons, "limit": None}
        return {"pd": pd_, "score": points, "grade": policy, "reasons": reasons,
                "limit": limit(values, policy, basis), "policy_grade": policy,
                "scale_grade": scale_grade}

    return score


class Scorer:
    """Scores records with a verified bundle.

    Parameters
    ----------
    content : the bundle as a dict (verified on construction: hash, version, kind).
    n_reasons : how many reason codes to return per record.

    Examples
    --------
    >>> from riskmodels.scoring import seal
    >>> bundle = seal({"schema_version": 1, "kind": "identity", "name": "demo",
    ...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
    ...     "model": {"input": "pd"}, "calibration": [],
    ...     "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.01, 1.0]}})
    >>> scorer = Scorer(bundle)
    >>> scorer.score({"pd": [0.001, 0.5]})["grade"].tolist()
    ['A', 'B']
    >>> scorer.score({"pd": [0.001, 7.0, None]}, on_error="report")["errors"]
    {1: ['pd: above the allowed max 1.0'], 2: ['pd: missing value']}
    """

    def __init__(self, content: dict, n_reasons: int = 3):
        self.content = verify(content)
        self.n_reasons = n_reasons
        self.kind = content["kind"]
        self.name = content.get("name")
        self.sha256 = content["sha256"]
        self.input_names = [r["name"] for r in content["inputs"]]
        self.grades = list(content["master_scale"]["grades"])
        self._runtime = {**content, "model": compile_binnings(content["model"])}
        self._rules = rule_plan(content["inputs"])
        #: whether a rule flags records outside what the development sample held (``warnings``)
        self.flags = any(r.get("outside_training") == "warn" for r in content["inputs"])
        self._one = one_record_scorer(content)
        #: the expected credit loss of the bundle's ``ecl`` section (None: the bundle has none)
        self._ecl = ExpectedCreditLoss(content["ecl"]) if content.get("ecl") else None

    def __repr__(self):
        return (f"Scorer(kind={self.kind!r}, name={self.name!r}, "
                f"inputs={len(self.input_names)}, grades={self.grades})")

    def example(self) -> dict:
        """One valid input record (see :func:`example_record`)."""
        return example_record(self.content["inputs"])

    def score(self, records, *, on_error: str = "raise", log=None, log_id: str | None = None) -> dict:
        """Score records: PD, score points, grade, top reason codes and the limit where defined.

        Parameters
        ----------
        records : one dict, a list of dicts, a dict of arrays or a DataFrame.
        on_error : "raise" stops at the first broken input rule with BundleError
            naming the field and the record indices; "report" scores the valid
            records and returns, under ``"errors"``, ``{record_index: [messages]}``
            for the others (their PD, score, grade and limit are NaN/None).

        Returns
        -------
        dict with "pd", "score", "grade", "reasons", "limit", "warnings" (and "errors"):
        arrays for a batch (reasons: n × n_reasons str array; object with None
        for the bad records in report mode), plain Python values for a single
        dict record. "score" is None for model kinds without points, "reasons"
        None without contributions and "limit" None without a credit-limit rule.
        With an ``ecl`` section in the bundle (see :mod:`riskmodels.scoring.ecl`) also
        "ecl_12m" and "ecl_lifetime" (per unit of exposure, or times the bundle's EAD
        input), and with its stage rule "stage" (1, 2, 3) and "ecl" (the allowance of
        that stage).
        "warnings" is ``{record_index: [messages]}`` for the records scored although
        they lie outside what the development sample held (``outside_training:
        "warn"``: a number outside its training range, an unseen category, an
        unseen missing value); a refused record has errors, not warnings.
        log : path or writable text file, optional
            Append one JSON line per scored record (see :func:`write_decision_log`),
            flushed once per call.
        log_id : str, optional
            Field of the records written as each log line's ``id`` (the key that
            outcomes are joined on later); default: the hash of the record's input.
        """
        if on_error not in ("raise", "report"):
            raise BundleError(f"on_error must be 'raise' or 'report', not {on_error!r}")
        if log is not None:
            return self._score_logged(records, on_error, log, log_id)
        # one plain record, or a frame of one row: skip the array checks when it is clean
        one = records if type(records) is dict else _frame_row(records)
        result = None if one is None else self._score_clean(one, on_error, batch=one is not records)
        if result is not None:
            return result
        columns, single = as_columns(records, self.input_names)
        errors = {} if on_error == "report" else None
        warnings: dict = {}
        cols, n = prepare_inputs(self.content["inputs"], columns, errors, warnings)
        if errors:
            result = self._score_valid(cols, n, list(errors), errors)
        else:
            found: dict | None = {} if errors is not None else None
            result = self._score_prepared(cols, found)
            if found:  # records without a valid PD: reported, their outputs NaN/None
                errors.update(found)
                result = self._score_valid(cols, n, list(errors), errors)
        result["warnings"] = {r: warnings[r] for r in sorted(warnings) if not errors or r not in errors}
        if errors is not None:
            result["errors"] = dict(sorted(errors.items()))
        return _single(result) if single else result

    def _score_clean(self, record: dict, on_error: str, batch: bool) -> dict | None:
        """One record scored without the array checks when every value is clean (see
        :func:`record_values`), else None (the columnar path then checks it). The result
        holds plain values, or 1-record arrays as from a batch when ``batch``."""
        values = record_values(self._rules, record)
        if values is None:
            return None
        result = None if self._one is None else self._one(values, self.n_reasons)
        if result is not None:
            if self._ecl is not None:
                result.update(self._ecl.one(result.get("scale_grade", result["grade"]), result["pd"], values))
            if batch:
                result = _as_batch(result)
        else:
            found: dict | None = {} if on_error == "report" else None
            result = self._score_prepared(record_columns(self.content["inputs"], values), found)
            if found:
                return None
            if not batch:
                result = _single(result)
        result["warnings"] = {}
        if on_error == "report":
            result["errors"] = {}
        return result

    def _score_logged(self, records, on_error: str, log, log_id: str | None) -> dict:
        # the log holds the inputs and the id: the other fields are not converted
        columns, single = as_columns(records, self.input_names + ([log_id] if log_id is not None else []))
        if log_id is not None and log_id not in columns:
            fields = sorted(str(k) for k in as_columns(records)[0])
            raise BundleError(f"log_id field {log_id!r} is not among the record fields {fields[:10]}")
        if log_id is not None:
            log_ids(columns[log_id], log_id)  # a record without an id is refused before scoring
        result = self.score(columns, on_error=on_error)
        write_decision_log(log, decision_log_lines(self, columns, result, log_id))
        return _single(result) if single else result

    def _score_prepared(self, cols: dict, errors: dict | None = None) -> dict:
        """The outputs of prepared columns: in blocks of :data:`SCORE_BLOCK` records for the
        kinds of :data:`BLOCKED_KINDS` (else at once), each block's numbers written into the
        batch's arrays; the labels (grades, reason names) are read once for the batch.

        Records without a valid PD go to ``errors`` under their index in the batch (without
        it: :class:`InvalidPDError` naming them all, as one block would). A block that raises
        :class:`BundleError` (a value without a bin, a limit without its field) has the batch
        scored at once, so the error names the records as it does.
        """
        n = len(next(iter(cols.values()))) if cols else 0
        size = SCORE_BLOCK if self.kind in BLOCKED_KINDS else n
        if n <= size:
            return self._labelled(*self._score_block(cols, n, errors))
        numbers: dict = {}
        found: dict = {}
        try:
            for start in range(0, n, size):
                rows = slice(start, start + size)
                problems: dict = {}
                part, labels = self._score_block({k: take_rows(v, rows) for k, v in cols.items()},
                                                 min(size, n - start), problems)
                for r, messages in problems.items():
                    found[start + r] = messages
                if part["reasons"] is not None:  # each record's reasons: a row of feature numbers
                    order, spread = part["reasons"]
                    part["reasons"] = order.T if spread is None else order.T[spread]
                if not numbers:  # the batch's arrays, laid out as the first block's
                    numbers = {k: None if v is None else np.empty((n, *v.shape[1:]), dtype=v.dtype)
                               for k, v in part.items()}
                for key, values in part.items():
                    if values is not None:
                        numbers[key][rows] = values
        except BundleError:
            return self._labelled(*self._score_block(cols, n, errors))
        if found and errors is None:
            raise invalid_pd_error({r: messages[0] for r, messages in found.items()})
        for r, messages in found.items():
            errors.setdefault(r, []).extend(messages)
        if numbers["reasons"] is not None:
            numbers["reasons"] = (numbers["reasons"].T, None)
        return self._labelled(numbers, labels)

    def _score_block(self, cols: dict, n: int, errors: dict | None) -> tuple[dict, dict]:
        """``(numbers, labels)`` of prepared columns scored at once: the arrays per record
        (grade and master-scale numbers; the reasons as :func:`reason_order_of` gives them) and
        what names them."""
        out = model_outputs(self._runtime, cols, n, errors)
        numbers = {
            "pd": out["pd"],
            "score": out["score"],
            "grade_index": out["grade_index"],
            "scale_index": out["scale_index"],
            # the kernel's points lost are not read again: the picks may use them as work space
            "reasons": reason_order_of(out, self.n_reasons, overwrite=True),
            "limit": credit_limit(self.content.get("credit_limit"), None, cols,
                                  out["extra"].get("limit_basis", out["score"]),
                                  grade_codes=(out["grade_index"], out["grade_labels"])),
            **({} if self._ecl is None else self._ecl.batch(out["scale_index"], out["pd"], cols)),
        }
        return numbers, {"grades": out["grade_labels"], "reasons": out["reason_names"],
                         "policy": out["policy_grade"] is not None}

    def _labelled(self, numbers: dict, labels: dict) -> dict:
        """The result of :meth:`score` from the numbers and labels of :meth:`_score_block`."""
        grade = labels_of(labels["grades"], numbers["grade_index"])
        reasons = numbers["reasons"]
        if reasons is not None:  # the names of the rows of reasons (few when keyed), then spread
            order, spread = reasons
            reasons = reason_names(labels["reasons"], order)
            reasons = reasons if spread is None else reasons[spread]
        result = {"pd": numbers["pd"], "score": numbers["score"], "grade": grade, "reasons": reasons,
                  "limit": numbers["limit"]}
        if labels["policy"]:
            result["policy_grade"] = grade
            result["scale_grade"] = labels_of(self.grades, numbers["scale_index"])
        result.update((k, v) for k, v in numbers.items() if k not in _BLOCK_KEYS)  # the ECL's
        return result

    def _score_valid(self, cols: dict, n: int, bad_rows: list, errors: dict) -> dict:
        """Score the records not in ``bad_rows``; the bad ones get NaN/None, never a guess.

        Records whose PD comes out invalid are added to ``errors`` and blanked too.
        """
        good = np.ones(n, dtype=bool)
        good[bad_rows] = False
        # scored even when no record is good: the kernels take 0 records, and the output keeps
        # the layout of the model kind (no score/reasons/limit -> None, reasons n x n_reasons)
        found: dict = {}
        partial = self._score_prepared({k: take_rows(v, good) for k, v in cols.items()}, found)
        if found:
            kept = np.flatnonzero(good)
            for r, messages in found.items():
                errors.setdefault(int(kept[r]), []).extend(messages)
            return self._score_valid(cols, n, list(errors), errors)
        result = {}
        for key, part in partial.items():
            if part is None:
                result[key] = None
                continue
            if key in ("grade", "reasons", "policy_grade", "scale_grade"):
                full = np.full((n, *part.shape[1:]), None, dtype=object)
            else:
                full = np.full(n, np.nan)
            full[good] = part
            result[key] = full
        return result


def load_scorer(path, n_reasons: int = 3, key=None, verify_signature: bool = True) -> Scorer:
    """Read a bundle (file path, JSON bytes or dict), verify hash and version, return a Scorer.

    Parameters
    ----------
    path : path of the bundle file (or its bytes, or the bundle dict).
    n_reasons : reason codes returned per record.
    key : str or bytes, optional
        Signing key (default: the ``RISKMODELS_BUNDLE_KEY`` environment variable). When a
        key is set, an unsigned bundle or one whose HMAC-SHA256 does not match is refused;
        a variable set but empty is refused (fails closed).
    verify_signature : bool
        With no key set, a signed bundle is refused unless this is False (load it unchecked).

    Returns
    -------
    Scorer

    Examples
    --------
    >>> import tempfile, os
    >>> from riskmodels.scoring import dumps_bundle
    >>> bundle = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "pd", "type": "number"}],
    ...           "model": {"input": "pd"}, "calibration": [],
    ...           "master_scale": {"grades": ["A", "D"], "upper_bounds": [0.5]}}
    >>> path = os.path.join(tempfile.mkdtemp(), "scorer.json")
    >>> _ = open(path, "wb").write(dumps_bundle(bundle))
    >>> load_scorer(path).score({"pd": 0.7})["grade"]
    'D'
    """
    return Scorer(read_bundle(path, key=key, verify_signature=verify_signature), n_reasons=n_reasons)


def _as_batch(result: dict) -> dict:
    """A one-record result of plain values as the 1-record arrays a batch gives (its inverse:
    :func:`_single`)."""
    out = {}
    for key, value in result.items():
        if value is None:
            out[key] = None
        elif key == "reasons":
            out[key] = np.empty((1, len(value)), dtype=object)
            out[key][0] = value
        elif isinstance(value, str):
            out[key] = object_array([value])
        else:
            out[key] = np.array([value], dtype=float)
    return out


def _single(result: dict) -> dict:
    """The first record of a batch result, as plain Python values."""
    out = {}
    for key, value in result.items():
        if key in ("errors", "warnings") or value is None:
            out[key] = value
        elif key == "reasons":
            out[key] = value[0].tolist()
        else:
            first = value[0]
            out[key] = first.item() if isinstance(first, np.generic) else first
    return out
