"""Records in, clean columns out: the input rules of a bundle.

Column conversion (:func:`as_columns`, :func:`column_array`, :class:`CodedLabels` for
categorical and Arrow columns), the checked batch path (:func:`prepare_inputs`) and its
one-record twin (:func:`rule_plan`, :func:`record_values`), which accepts only what the
batch path would pass unchanged.
"""

from __future__ import annotations

import math
import sys
from itertools import repeat

import numpy as np

from .errors import BundleError

_SCALAR_TYPES = (str, bytes, int, float, type(None), np.generic)
# element types a "number" field accepts (bool is refused: it is a flag, not an amount)
_NUMBER_TYPES = frozenset({int, float, type(None), np.float64, np.float32, np.float16,
                           np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32,
                           np.uint16, np.uint8})
_MISSING_TYPE_NAMES = frozenset({"NAType", "NaTType"})  # pandas.NA, pandas.NaT
_FLOAT_MAX = sys.float_info.max
_EXTREMES_PART = 131_072  # values of a number column read at a time for its min and max (1 MiB)


def is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v) or type(v).__name__ in _MISSING_TYPE_NAMES


def object_array(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


class CodedLabels:
    """A column of category labels held as integer codes into a few categories.

    ``labels[i] == categories[codes[i]]``; the last category is ``None``, which the
    missing code -1 indexes (as numpy indexing counts from the end). Built from a
    categorical input (pandas ``Categorical``, an Arrow dictionary array, Arrow-backed
    strings) without a Python object per record, it lets :func:`prepare_inputs` check
    and :func:`bin_index` look up each category once and index by the codes. The
    object array of the labels is built only when something reads the labels
    themselves (``numpy.asarray``, a ufunc, indexing, ``==``, ``tolist``), once,
    read-only; what is derived from it (a slice, ``np.equal(labels, None)``) is a
    plain array without codes.

    Examples
    --------
    >>> coded = CodedLabels.from_codes(np.array(["a", "b"], dtype=object), np.array([1, -1, 0]))
    >>> coded.tolist(), coded.codes.tolist(), coded.categories.tolist()
    (['b', None, 'a'], [1, -1, 0], ['a', 'b', None])
    >>> (coded == "b").tolist(), type(coded[:2]) is np.ndarray
    ([True, False, False], True)
    """

    __slots__ = ("categories", "codes", "_labels")
    ndim = 1
    dtype = np.dtype(object)
    __hash__ = None

    def __init__(self, categories: np.ndarray, codes: np.ndarray):
        """``categories`` end with None; ``codes`` (integers, -1 = missing) index them."""
        self.categories, self.codes, self._labels = categories, codes, None

    @classmethod
    def from_codes(cls, categories, codes: np.ndarray) -> CodedLabels:
        """Labels ``categories[codes]``; code -1 (or any negative) means missing.

        The codes are kept as given (pandas: int8 for a few categories), not copied.
        """
        cats = np.empty(len(categories) + 1, dtype=object)
        cats[:-1] = list(categories)
        codes = np.asarray(codes)
        if codes.dtype.kind == "i" and len(codes) and codes.min() < -1:
            codes = np.maximum(codes, -1)  # another negative code would index a known category
        return cls(cats, codes)

    @property
    def shape(self) -> tuple:
        return self.codes.shape

    def __len__(self) -> int:
        return len(self.codes)

    def labels(self) -> np.ndarray:
        """The labels as a read-only object array (built on the first call)."""
        if self._labels is None:
            labels = self.categories.take(self.codes)
            labels.flags.writeable = False
            self._labels = labels
        return self._labels

    def __array__(self, dtype=None, copy=None):
        labels = self.labels()
        if dtype is not None and np.dtype(dtype) != labels.dtype:
            return labels.astype(dtype)
        return labels.copy() if copy else labels

    def __getitem__(self, key):
        return self.labels()[key]

    def __iter__(self):
        return iter(self.labels())

    def __eq__(self, other):
        return np.equal(self.labels(), other)

    def __ne__(self, other):
        return np.not_equal(self.labels(), other)

    def tolist(self) -> list:
        return self.labels().tolist()

    def take(self, rows) -> CodedLabels:
        """The records ``rows`` (indices or a boolean mask), still as codes."""
        return CodedLabels(self.categories, self.codes[rows])


def take_rows(values, rows) -> np.ndarray:
    """``values[rows]``, keeping the codes of a :class:`CodedLabels`."""
    return values.take(rows) if isinstance(values, CodedLabels) else values[rows]


def lookup_labels(table: dict, values, default, dtype) -> np.ndarray:
    """``table.get(label, default)`` for each label, as a ``dtype`` array.

    A :class:`CodedLabels` is looked up once per category and indexed by its codes;
    other arrays once per record (``map`` over ``dict.get`` runs in C).

    Examples
    --------
    >>> coded = CodedLabels.from_codes(np.array(["a", "b"], dtype=object), np.array([1, -1, 0]))
    >>> lookup_labels({"a": 1.0, "b": 2.0}, coded, np.nan, float).tolist()
    [2.0, nan, 1.0]
    """
    codes = getattr(values, "codes", None)
    if codes is not None:
        cats = values.categories.tolist()
        return np.fromiter(map(table.get, cats, repeat(default)), dtype=dtype, count=len(cats))[codes]
    labels = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return np.fromiter(map(table.get, labels, repeat(default)), dtype=dtype, count=len(labels))


def _arrow_codes(arr):
    """(codes, categories) of an Arrow dictionary array or chunked array, else None.

    Duck-typed (no pyarrow import): an object with ``indices`` and ``dictionary``, or
    ``chunks`` of such; missing entries get code -1.
    """
    chunks = getattr(arr, "chunks", None)
    parts = chunks if chunks is not None else [arr]
    if not all(hasattr(c, "indices") and hasattr(c, "dictionary") for c in parts):
        return None
    codes, categories = [], []
    for chunk in parts:
        idx = chunk.indices.to_numpy(zero_copy_only=False)
        valid = ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        idx = np.where(valid, np.nan_to_num(idx, nan=-1).astype(np.int64) + len(categories), -1)
        codes.append(idx)
        categories.extend(chunk.dictionary.to_pylist())
    return (np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)), categories


def _coded_column(col):
    """A :class:`CodedLabels` for a categorical or Arrow string column, else None."""
    cat = getattr(col, "cat", None)  # pandas Series of dtype category
    source = cat if cat is not None and hasattr(cat, "codes") else col
    if hasattr(source, "codes") and hasattr(source, "categories"):
        codes = np.asarray(source.codes)
        if codes.ndim == 1 and codes.dtype.kind in "iu":
            return CodedLabels.from_codes(np.asarray(source.categories, dtype=object), codes)
    arrow = col
    if not hasattr(arrow, "dictionary_encode"):  # a pandas Arrow-backed array or Series
        dtype = getattr(col, "dtype", None)
        array = getattr(col, "array", col)
        if not hasattr(array, "__arrow_array__") or not (
                getattr(dtype, "storage", None) == "pyarrow" or hasattr(dtype, "pyarrow_dtype")):
            return None
        arrow = array.__arrow_array__()
    found = _arrow_codes(arrow)
    if found is None:
        kind = str(getattr(arrow, "type", ""))
        if kind not in ("string", "large_string", "string_view") or not hasattr(arrow, "dictionary_encode"):
            return None
        found = _arrow_codes(arrow.dictionary_encode())
        if found is None:
            return None
    return CodedLabels.from_codes(*reversed(found))


def column_array(col) -> np.ndarray:
    """A 1-d numpy array from a column; nullable numeric columns become float with NaN.

    Python lists stay objects, so ``[1.5, "high", True]`` is not turned into strings
    or numbers behind the caller's back. Categorical and Arrow string columns become
    :class:`CodedLabels` (labels plus codes, no Python object built per record).

    Examples
    --------
    >>> column_array([1.5, "high"]).dtype
    dtype('O')
    """
    if isinstance(col, (list, tuple)):
        return object_array(list(col))
    if isinstance(col, (np.ndarray, CodedLabels)):
        return col
    dtype = getattr(col, "dtype", None)
    if isinstance(dtype, np.dtype) and hasattr(col, "to_numpy"):  # a numpy-backed pandas column
        return col.to_numpy()
    coded = _coded_column(col)
    if coded is not None:
        return coded
    if hasattr(col, "to_numpy") and not isinstance(dtype, np.dtype) and getattr(dtype, "kind", "O") in "iuf":
        return col.to_numpy(dtype=float, na_value=np.nan)  # pandas Int64/Float64 with <NA>
    if hasattr(col, "to_numpy") and hasattr(col, "null_count") and hasattr(col, "type"):
        return col.to_numpy(zero_copy_only=False)  # an Arrow array: nulls -> NaN / None
    return col.to_numpy() if hasattr(col, "to_numpy") else np.asarray(col)


def _keep(keys, names) -> list:
    """The keys to convert: those in ``names`` (all when None). When none is, the first key
    is kept, so the number of records is still known."""
    keys = list(keys)
    if names is None:
        return keys
    wanted = set(names)
    kept = [k for k in keys if str(k) in wanted]
    return kept or keys[:1]


def _at_least_1d(values):
    return values if isinstance(values, CodedLabels) else np.atleast_1d(values)


def as_columns(records, names=None) -> tuple[dict, bool]:
    """Turn records into a dict of 1-d arrays; the flag says whether one record was given.

    Accepts one dict of scalars, a list of dicts, a dict of arrays, a frame-like
    object with ``columns`` (pandas, polars ...) or an Arrow table / record batch
    (``column_names``). Categorical and Arrow string columns arrive as
    :class:`CodedLabels`.

    Parameters
    ----------
    records : the records.
    names : convert only these fields (the bundle's inputs); None converts every field.

    Examples
    --------
    >>> cols, single = as_columns([{"a": 1.0, "b": "x"}, {"a": 2.0}])
    >>> cols["a"].tolist(), cols["b"].tolist(), single
    ([1.0, 2.0], ['x', None], False)
    >>> as_columns({"a": 1.5})[1]
    True
    >>> list(as_columns({"a": [1.0], "b": [2.0]}, names=["b"])[0])
    ['b']
    """
    if isinstance(records, dict):
        if all(isinstance(v, _SCALAR_TYPES) or np.ndim(v) == 0 for v in records.values()) and records:
            return {k: object_array([records[k]]) for k in _keep(records, names)}, True
        return {k: _at_least_1d(column_array(records[k])) for k in _keep(records, names)}, False
    if isinstance(records, (list, tuple)):
        if not all(isinstance(r, dict) for r in records):
            raise BundleError("a list of records must hold dicts")
        keys = _keep(dict.fromkeys(k for r in records for k in r), names)
        return {k: object_array([r.get(k) for r in records]) for k in keys}, False
    if hasattr(records, "column_names") and hasattr(records, "column"):  # Arrow table or batch
        return {str(k): column_array(records.column(k))
                for k in _keep(records.column_names, names)}, False
    if hasattr(records, "columns"):
        return {str(k): column_array(records[k]) for k in _keep(records.columns, names)}, False
    raise BundleError(f"cannot score a {type(records).__name__}: give a dict, a list of dicts or a frame")


def number_column(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Float array (NaN = missing) and a mask of elements that are not numbers at all.

    Examples
    --------
    >>> x, wrong = number_column(np.array([1, "a", None], dtype=object))
    >>> x.tolist(), wrong.tolist()
    ([1.0, nan, nan], [False, True, False])
    """
    n = len(values)
    kind = values.dtype.kind
    none_wrong = np.broadcast_to(False, (n,))  # read-only, no array of n flags to fill
    if kind == "f":
        return values.astype(float, copy=False), none_wrong
    if kind in "iu":
        return values.astype(float), none_wrong
    if kind != "O":  # bool, str, bytes, datetime: the whole column has the wrong type
        return np.full(n, np.nan), np.ones(n, dtype=bool)
    items = values.tolist()
    if set(map(type, items)) <= _NUMBER_TYPES:
        return np.array(items, dtype=float), none_wrong
    wrong = np.fromiter((type(v) not in _NUMBER_TYPES and not is_missing(v) for v in items),
                        dtype=bool, count=n)
    clean = [None if bad or is_missing(v) else v for v, bad in zip(items, wrong.tolist(), strict=True)]
    return np.array(clean, dtype=float), wrong


def category_label(v):
    """The one label of a category value, used by fitting, transforming, bundles and the scorer.

    Missing values (None, NaN, pandas NA) give None; strings stay as they are;
    a whole float is the integer code it stands for (``3.0`` and ``3`` are one
    category, as when a gap turns an integer column into floats); any other
    value is ``str(v)``.

    Examples
    --------
    >>> [category_label(v) for v in (3, 3.0, np.int64(3), np.float32(3), "3.0", 2.5, True, None, np.nan)]
    ['3', '3', '3', '3', '3.0', '2.5', 'True', None, None]
    """
    if is_missing(v) or (isinstance(v, np.floating) and v != v):
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))  # a code read as float because of a gap elsewhere: 3.0 -> "3"
    return str(v)


def category_column(values: np.ndarray) -> np.ndarray:
    """Object array of str labels (None = missing); float codes read as 3.0 become "3".

    Examples
    --------
    >>> category_column(np.array([3.0, np.nan])).tolist()
    ['3', None]
    """
    if values.dtype.kind == "U":
        return values.astype(object)
    if values.dtype.kind == "O":
        items = values.tolist()
        if set(map(type, items)) <= {str}:
            return values
        return np.array([category_label(v) for v in items] + [None], dtype=object)[:-1]
    return np.array([category_label(v) for v in values.tolist()] + [None], dtype=object)[:-1]


def rows_text(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:5])
    return f"[{shown}]" + (f" (+{len(rows) - 5} more)" if len(rows) > 5 else "")


def prepare_inputs(rules: list, columns: dict, errors: dict | None = None,
                   warnings: dict | None = None) -> tuple[dict, int]:
    """Apply the bundle's input rules to the columns; return cleaned columns and n.

    Numbers become float arrays (NaN = missing), categories become object arrays
    of str (None = missing). Per rule: a value of the wrong type, a missing value
    — NaN/None, or a field the records do not have at all: both are "no value"
    (``missing``: error | allow | impute with ``fill``), +/-inf, a value outside
    [``min``, ``max``] (``out_of_range``: error | clip | allow) and a category not
    in ``categories`` (``unknown``: error | allow). Then what the development
    sample did not hold (``outside_training``: warn | error | allow): a number
    outside [``train_min``, ``train_max``], an allowed unknown category, an
    allowed missing value where ``train_missing`` is false. Fields not in the
    rules are ignored.

    Parameters
    ----------
    rules : the bundle's ``inputs`` section.
    columns : dict of 1-d arrays (see :func:`as_columns`).
    errors : when a dict, broken rules are recorded there as
        ``{record_index: [messages]}`` instead of raising.
    warnings : when a dict, the records scored but flagged (``outside_training: warn``)
        are recorded there as ``{record_index: [messages]}``.

    Returns
    -------
    (dict of prepared arrays, number of records)

    Raises
    ------
    BundleError
        naming the field, the rule and the first record indices.

    Examples
    --------
    >>> rules = [{"name": "x", "type": "number", "min": 0, "max": 1}]
    >>> prepare_inputs(rules, {"x": np.array([0.5, 2.0, 3.0])})
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: field 'x': above the allowed max 1 at record(s) [1, 2]
    >>> found = {}
    >>> cols, n = prepare_inputs(rules, {"x": np.array([0.5, 2.0])}, found)
    >>> found
    {1: ['x: above the allowed max 1']}
    >>> seen = [{"name": "x", "type": "number", "train_min": 0.0, "train_max": 0.8,
    ...          "outside_training": "warn"}]
    >>> flagged = {}
    >>> cols, n = prepare_inputs(seen, {"x": np.array([0.5, 0.9])}, warnings=flagged)
    >>> flagged
    {1: ["x: 0.9 above the development sample's max 0.8"]}
    """
    n = _record_count(columns)
    fail = _failure_reporter(errors)
    unseen = _unseen_reporter(fail, warnings)
    out = {}
    for rule in rules:
        name = rule["name"]
        if name in columns:
            values = _given_column(name, columns[name])
        else:
            values, final = _absent_column(rule, n)
            if final:
                out[name] = values
                continue
        if rule["type"] == "number":
            out[name] = _prepare_numbers(rule, name, values, fail, unseen)
        elif getattr(values, "codes", None) is not None:
            out[name] = _prepare_coded(rule, name, values, fail, unseen)
        else:
            out[name] = _prepare_labels(rule, name, values, fail, unseen)
    return out, n


def _record_count(columns: dict) -> int:
    """The number of records: the one length of every column."""
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1:
        raise BundleError(f"input columns have different lengths {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _record_messages(name: str, rows: np.ndarray, what, values) -> list:
    """``"name: what"`` for each of ``rows`` (indices): ``what`` is a text, or a function of the
    record's value in ``values`` (a number column passes Python floats), so each record names
    its own value."""
    if not callable(what):
        return [f"{name}: {what}"] * len(rows)
    picked = values[rows]
    if isinstance(picked, np.ndarray) and picked.dtype.kind == "f":
        picked = picked.tolist()  # one conversion, not a numpy scalar per record
    head = f"{name}: "
    if isinstance(what, NumberText):
        return what.texts(head, picked)
    return [head + what(v) for v in picked]


class NumberText:
    """A message naming a record's number: ``repr(float(value)) + after``.

    >>> NumberText(" above 1.0")(np.float64(1.5)), NumberText(" x").texts("f: ", [0.5])
    ('1.5 above 1.0', ['f: 0.5 x'])
    """

    __slots__ = ("after",)

    def __init__(self, after: str):
        self.after = after

    def __call__(self, value) -> str:
        return f"{float(value)!r}{self.after}"

    def texts(self, head: str, values: list) -> list:
        """``head + self(value)`` for each of ``values`` (Python floats), one f-string each."""
        after = self.after
        return [f"{head}{value!r}{after}" for value in values]


def _add_messages(found: dict, rows: np.ndarray, messages: list) -> None:
    """Append each record's message to its list in ``found`` (``{record: [messages]}``)."""
    get = found.get
    for r, message in zip(rows.tolist(), messages, strict=True):
        listed = get(r)
        if listed is None:
            found[r] = [message]
        else:
            listed.append(message)


def _failure_reporter(errors: dict | None):
    """``fail(name, rows, what, values=None)``: raise a broken rule (``errors`` None) or record
    it for each row (mask or indices); ``what`` may be a function of the record's value (with
    ``values``), so each reported record names its own value."""
    def fail(name, rows, what, values=None):
        rows = np.flatnonzero(rows) if rows.dtype == bool else rows
        if errors is None:
            text = what(values[rows[0]]) if callable(what) else what
            raise BundleError(f"field {name!r}: {text} at record(s) {rows_text(rows)}")
        _add_messages(errors, rows, _record_messages(name, rows, what, values))
    return fail


def _unseen_reporter(fail, warnings: dict | None):
    """``unseen(rule, name, rows, what, values=None)``: what the development sample did not
    hold, by the rule's ``outside_training``: refused (``fail``), flagged in ``warnings`` (when
    a dict is given) or let be."""
    def unseen(rule, name, rows, what, values=None):
        policy = rule.get("outside_training", "allow")
        if policy == "error":
            fail(name, rows, what, values)
        elif policy == "warn" and warnings is not None:
            rows = np.flatnonzero(rows) if rows.dtype == bool else rows
            _add_messages(warnings, rows, _record_messages(name, rows, what, values))
    return unseen


def _unseen_missing(rule: dict) -> bool:
    """Whether a missing value the rule lets through is flagged: the development sample had none."""
    return rule.get("outside_training", "allow") != "allow" and rule.get("train_missing") is False


def _unseen_category(v) -> str:
    """The warning of a category the development sample did not hold."""
    return f"unknown category {v!r}, not in the development sample"


def _given_column(name: str, values):
    """A given column as a 1-d array (a :class:`CodedLabels` stays as it is)."""
    if not isinstance(values, CodedLabels):
        values = np.asanyarray(values)
    if values.ndim != 1:
        raise BundleError(f"field {name!r}: expected one value per record, got shape {values.shape}")
    return values


def _absent_column(rule: dict, n: int) -> tuple[np.ndarray, bool]:
    """The column of a field not given at all, and whether it is final (else it goes through
    the checks as all missing values). An absent field is no value, as an explicit null is:
    a pandas frame, a REST request, Spark, SQL and CSV cannot tell the two apart."""
    numeric = rule["type"] == "number"
    constant = _absent_number(rule) if numeric and not _unseen_missing(rule) else None
    if constant is not None:  # every record gets the same allowed value: no pass over it, and
        # one value in memory (a read-only view repeating it n times: the kernels only read it)
        return np.broadcast_to(np.float64(constant), (n,)), True
    return (np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)), False


def _extremes(x: np.ndarray, bounded: bool) -> tuple[float, float]:
    """Two numbers that are finite exactly when every value is: the smallest and the largest
    value (read again by the range check) when the rule has bounds, else x . x twice."""
    if not len(x):
        return 0.0, 0.0
    if bounded:
        # the smallest and the largest value tell whether the column is all finite numbers
        # (NaN and +/-inf show there; the usual case): then there is nothing wrong, infinite
        # or missing to look for, and the range check reads the same two numbers. Both read a
        # part of the column at a time: the maximum finds it in the cache the minimum filled
        if len(x) <= _EXTREMES_PART:
            return x.min(), x.max()
        parts = [x[a:a + _EXTREMES_PART] for a in range(0, len(x), _EXTREMES_PART)]
        lows, highs = zip(*[(part.min(), part.max()) for part in parts], strict=True)
        return np.min(lows), np.max(highs)  # NaN anywhere: NaN, as x.min() and x.max()
    # x . x is finite exactly when every value is (NaN and inf propagate, squares do not
    # cancel; an overflow only sends the column to the full checks): one pass, not two
    with np.errstate(over="ignore"):
        square = float(np.dot(x, x))
    return square, square


def _unclean_numbers(rule: dict, name: str, values, x: np.ndarray, wrong: np.ndarray, fail,
                     unseen) -> np.ndarray:
    """Report values that are not numbers or are infinite, and missing values the rule does
    not allow (or flag those the development sample never had); impute the missing values
    the rule fills."""
    if wrong.any():
        fail(name, wrong, lambda v: f"not a number ({type(v).__name__} {v!r})", values)
    inf = np.isinf(x)
    if inf.any():
        fail(name, inf, "infinite value")
        x = np.where(inf, np.nan, x)
    policy = rule.get("missing", "error")
    flagged = _unseen_missing(rule)
    if policy != "allow" or flagged:  # an allowed missing value needs no flags
        miss = np.isnan(x)
        if wrong.any():  # wrong-typed values are NaN here, not missing
            miss &= ~wrong
        if inf.any():  # and so are the infinite values, reported as such
            miss &= ~inf
        if miss.any():
            if policy == "error":
                fail(name, miss, "missing value")
            else:
                if flagged:
                    unseen(rule, name, miss, "missing value, none in the development sample")
                if policy == "impute":
                    x = np.where(miss, float(rule["fill"]), x)
    return x


def _prepare_numbers(rule: dict, name: str, values, fail, unseen) -> np.ndarray:
    """The number rules of :func:`prepare_inputs`: types, infinities, missing values, range,
    then the development sample's range."""
    x, wrong = number_column(values)
    range_policy = rule.get("out_of_range", "error")
    flagging = rule.get("outside_training", "allow") != "allow"
    seen_lo, seen_hi = (rule.get("train_min"), rule.get("train_max")) if flagging else (None, None)
    bounded = ((range_policy != "allow" and (rule.get("min") is not None or rule.get("max") is not None))
               or seen_lo is not None or seen_hi is not None)
    smallest, largest = _extremes(x, bounded)
    clean = bool(math.isfinite(smallest) and math.isfinite(largest))
    if not clean:
        x = _unclean_numbers(rule, name, values, x, wrong, fail, unseen)
    hard = None  # records refused by the hard range: not flagged again by the training range
    for bound, op, word in (("min", np.less, "below"), ("max", np.greater, "above")):
        limit = rule.get(bound)
        if limit is None or range_policy == "allow":
            continue
        if clean and not op(smallest if bound == "min" else largest, limit):
            continue  # the extreme value is within the bound: so is every value
        off = op(x, limit)  # NaN compares False
        if off.any():
            if range_policy == "clip":
                x = np.where(off, float(limit), x)
            else:
                fail(name, off, f"{word} the allowed {bound} {limit}")
                hard = off if hard is None else hard | off
    for limit, op, word in ((seen_lo, np.less, "below"), (seen_hi, np.greater, "above")):
        if limit is None or (clean and not op(smallest if word == "below" else largest, limit)):
            continue
        off = op(x, limit)
        if hard is not None:
            off &= ~hard  # refused by the hard range already
        if off.any():
            side = "min" if word == "below" else "max"
            unseen(rule, name, off, NumberText(f" {word} the development sample's {side} {limit!r}"), x)
    return x


def _prepare_labels(rule: dict, name: str, values, fail, unseen) -> np.ndarray:
    """The category rules of :func:`prepare_inputs` for labels given one per record."""
    n = len(values)
    policy = rule.get("missing", "error")
    cats = category_column(values)
    # cats is values only when every value already is a str label
    miss = np.zeros(n, dtype=bool) if cats is values else np.equal(cats, None)
    if miss.any():
        if policy == "error":
            fail(name, miss, "missing value")
        else:
            if _unseen_missing(rule):
                unseen(rule, name, miss, "missing value, none in the development sample")
            if policy == "impute":
                cats = np.where(miss, str(rule["fill"]), cats)
    allowed = rule.get("categories")
    unknown_policy = rule.get("unknown", "error")
    if allowed is not None and (unknown_policy == "error" or rule.get("outside_training", "allow") != "allow"):
        known = frozenset(allowed)
        unknown = np.fromiter(map(known.__contains__, cats.tolist()), dtype=bool, count=n)
        unknown = ~unknown & ~np.equal(cats, None)
        if unknown.any():
            if unknown_policy == "error":
                shown = sorted(known)[:10]
                fail(name, unknown, lambda v, shown=shown: f"unknown category {v!r} (known: {shown})",
                     cats)
            else:
                unseen(rule, name, unknown, _unseen_category, cats)
    return cats


def _absent_number(rule: dict) -> float | None:
    """The value every record takes when an optional number field is not given at all:
    NaN (missing allowed) or the fill (imputed; clipped into range when the rule clips), or
    None when that value breaks a rule (the full checks then report each record)."""
    policy = rule.get("missing", "error")
    if policy == "allow":
        return math.nan
    if policy != "impute":
        return None
    value = float(rule["fill"])
    range_policy = rule.get("out_of_range", "error")
    lo, hi = rule.get("min"), rule.get("max")
    if range_policy == "allow":
        return value
    if lo is not None and value < lo:
        return float(lo) if range_policy == "clip" else None
    if hi is not None and value > hi:
        return float(hi) if range_policy == "clip" else None
    return value


def _prepare_coded(rule: dict, name: str, values: CodedLabels, fail, unseen) -> CodedLabels:
    """The category rules of :func:`prepare_inputs` applied to each category once.

    The labels, the missing and the unknown flags are found per category and
    spread to the records by their codes, so the result equals the per-record path.
    """
    codes = values.codes
    labels = category_column(values.categories).copy()  # the one label rule, per category
    missing = np.equal(labels, None)
    policy = rule.get("missing", "error")
    if policy == "impute":
        labels[missing] = str(rule["fill"])
    same = labels.tolist() == values.categories.tolist()
    cats = values if same else CodedLabels(labels, codes)  # labels as given: no second copy
    if (policy == "error" or _unseen_missing(rule)) and missing.any():
        # usually only the last category (None, for a missing code) is missing: one comparison
        # of the codes, not a lookup per record
        miss = missing[codes] if missing[:-1].any() else np.equal(codes, -1)
        if miss.any():
            if policy == "error":
                fail(name, miss, "missing value")
            else:
                unseen(rule, name, miss, "missing value, none in the development sample")
    allowed = rule.get("categories")
    unknown_policy = rule.get("unknown", "error")
    if allowed is not None and (unknown_policy == "error" or rule.get("outside_training", "allow") != "allow"):
        known = frozenset(allowed)
        strange = np.array([v is not None and v not in known for v in labels.tolist()], dtype=bool)
        if strange.any():
            unknown = strange[codes]
            if unknown.any():
                if unknown_policy == "error":
                    shown = sorted(known)[:10]
                    fail(name, unknown, lambda v: f"unknown category {v!r} (known: {shown})", cats)
                else:
                    unseen(rule, name, unknown, _unseen_category, cats)
    return cats


def rule_plan(rules: list) -> list:
    """The input rules as tuples for :func:`record_values` (read once per Scorer)."""
    plan = []
    for rule in rules:
        numeric = rule["type"] == "number"
        policy = rule.get("missing", "error")
        flagging = rule.get("outside_training", "allow") != "allow"
        fill = None
        if policy == "impute":
            fill = float(rule["fill"]) if numeric else str(rule["fill"])
        allowed = rule.get("categories")
        lo, hi = rule.get("min"), rule.get("max")
        if flagging and numeric:  # a value outside the training range needs the checked path
            seen_lo, seen_hi = rule.get("train_min"), rule.get("train_max")
            lo = seen_lo if lo is None else lo if seen_lo is None else max(lo, seen_lo)
            hi = seen_hi if hi is None else hi if seen_hi is None else min(hi, seen_hi)
        # a missing value passes unchecked where the rule allows or imputes it and it is no news
        may_miss = policy in ("allow", "impute") and not (flagging and rule.get("train_missing") is False)
        # a float in [low, high] needs no other look: the largest finite doubles as the open ends
        # also keep out +/-inf and NaN; a category field gets the empty interval (1, 0)
        low = (-_FLOAT_MAX if lo is None else float(lo)) if numeric else 1.0
        high = (_FLOAT_MAX if hi is None else float(hi)) if numeric else 0.0
        plan.append((rule["name"], low, high,
                     (numeric, may_miss, policy == "allow", fill, lo, hi,
                      None if allowed is None else frozenset(allowed))))
    return plan


def record_values(plan: list, record: dict) -> dict | None:
    """One clean record's values as Python scalars, or None when any rule needs a look.

    ``plan`` is :func:`rule_plan` of the input rules. Numbers become float (NaN = an
    allowed missing value), categories str (None = an allowed missing value). It
    accepts only values that :func:`prepare_inputs` would pass unchanged and unflagged
    (finite numbers within the bounds and the training range where it is flagged,
    known categories, and a missing value — None, NaN or an absent field — where the
    rule allows or imputes it and it is no news), so both paths agree; anything else
    goes to the checked path, which raises, reports or flags it as for a batch.
    """
    out = {}
    for name, low, high, rule in plan:
        v = record.get(name)
        if type(v) is float and low <= v <= high:  # a finite float within the bounds: the usual case
            out[name] = v
            continue
        numeric, may_miss, allow, fill, lo, hi, allowed = rule
        if v is None or (type(v) is float and v != v):
            if not may_miss:
                return None
            if allow:
                out[name] = math.nan if numeric else None
                continue
            v = fill  # imputed: the fill then meets the same checks as a given value
        if numeric:
            if type(v) not in (float, int) or not math.isfinite(v):
                return None
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                return None
            out[name] = float(v)
        else:
            if type(v) is not str or (allowed is not None and v not in allowed):
                return None
            out[name] = v
    return out


def record_columns(rules: list, values: dict) -> dict:
    """One clean record's values (see :func:`record_values`) as prepared 1-element columns."""
    return {rule["name"]: (np.array([values[rule["name"]]]) if rule["type"] == "number"
                           else object_array([values[rule["name"]]])) for rule in rules}




def example_record(rules: list) -> dict:
    """One valid record for the input rules (an input example for MLflow and tests).

    Numbers take ``fill``, else the middle of [``min``, ``max``], else the bound
    given, else 0; categories take ``fill`` or the first allowed category.

    Examples
    --------
    >>> example_record([{"name": "x", "type": "number", "min": 0, "max": 4},
    ...                 {"name": "c", "type": "category", "categories": ["a", "b"]}])
    {'x': 2.0, 'c': 'a'}
    """
    record = {}
    for rule in rules:
        lo, hi, fill = rule.get("min"), rule.get("max"), rule.get("fill")
        if rule["type"] == "number":
            if fill is not None:
                value = float(fill)
            elif lo is not None and hi is not None:
                value = (float(lo) + float(hi)) / 2.0
            else:
                value = float(lo if lo is not None else hi if hi is not None else 0.0)
        else:
            value = str(fill) if fill is not None else (rule.get("categories") or ["unknown"])[0]
        record[rule["name"]] = value
    return record


# their names before the package split (tests use them)
_take = take_rows
_record_values = record_values
