"""The scorer bundle as one SQL ``SELECT``: score inside the database, same numbers.

:func:`to_sql` turns a bundle (logistic, cross-tab or expert-free kinds; see
below) into a single statement that returns, per row of a table, what
:meth:`riskmodels.scoring.Scorer.score` returns with ``on_error="report"``:
``pd``, ``score``, ``grade``, ``reason_1..k``, ``credit_limit`` and ``error``.

How each part of the bundle becomes SQL:

- input rules: ``missing`` (error | allow | impute → ``COALESCE``), ``out_of_range``
  (error | clip | allow), infinite values, and unknown categories under ``"error"``
  are checked per row; the broken rules of a row are listed in ``error``
  (``"x: missing value; y: above the allowed max 5.0"``) and its ``pd``, ``score``,
  ``grade``, reasons and limit are NULL — never a guess, as in the scorer's report mode.
  On SQLite, whose columns take any type, a value that is not a number in a number
  field is an error too; the typed engines refuse such a column when the query runs.
- binning: ``CASE`` on half-open bins ``[e(i), e(i+1))``, special codes first, then the
  missing bin; categories compared as text (integer codes are cast to text: ``3`` is
  the label ``"3"``); a value with no bin is an error;
- WoE × coefficient and points as ``CASE`` on the bin index; the logistic link;
- the calibration steps (``interp`` as piecewise-linear ``CASE``, ``logistic``,
  ``logit_shift``), the master-scale floor and grades (``pd < u(i)``);
- the top reason codes: each feature's rank among the points lost (ties to the
  feature listed first, as the scorer does) — no window function needed;
- the credit-limit rule by grade (``coefficient × LEAST(assets / 2, sales)``) or by score.

KMV is refused (:class:`~riskmodels.errors.BundleError`): its PD needs a per-row Merton
root solve, which the Python scorer or Spark do instead. Expert cards are refused for
now as well (their compiled spec has interpolation curves, caps and industry tables
that this generator does not express yet).

One dialect-neutral statement is written (DuckDB's dialect) and transpiled with sqlglot to
``sqlite``, ``postgres`` or ``spark``.

Examples
--------
>>> import duckdb, numpy as np
>>> from riskmodels import scoring
>>> bundle = scoring.seal({"schema_version": 1, "kind": "crosstab", "name": "ct",
...     "inputs": [{"name": "dpd", "type": "number", "min": 0.0, "missing": "error"}],
...     "model": {"factors": ["dpd"], "shape": [2], "levels": [[0.05], [0.02, 0.2]],
...               "bins": [{"type": "numeric", "edges": [30.0]}]},
...     "calibration": [], "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.05, 0.5]}})
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (1, 10.0), (2, 45.0), (3, NULL)) v(id, dpd)")
>>> for row in con.execute(to_sql(bundle, table="t", keep=["id"]) + " ORDER BY id").fetchall():
...     print(row)
(1, 0.02, None, 'A', None, None)
(2, 0.2, None, 'B', None, None)
(3, None, None, None, None, 'dpd: missing value')
"""

from __future__ import annotations

import math

from riskmodels.errors import BundleError
from riskmodels.scoring import read_bundle

DIALECTS = ("duckdb", "sqlite", "postgres", "spark")
EXPRESSIBLE = ("logistic", "crosstab", "identity")
_MAX_FLOAT = "1.7976931348623157E308"


def quote(name: str) -> str:
    """A double-quoted SQL identifier.

    >>> quote("debt ratio")
    '"debt ratio"'
    """
    return '"' + str(name).replace('"', '""') + '"'


def literal(value) -> str:
    """A SQL literal for a number (a double, full precision), a string or NULL.

    Numbers are cast to DOUBLE: engines read ``0.1`` as an exact DECIMAL, whose
    arithmetic is not the scorer's floating point.

    >>> literal(0.1), literal("it's"), literal(None)
    ('CAST(0.1 AS DOUBLE)', "'it''s'", 'NULL')
    """
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    number = float(value)
    if not math.isfinite(number):
        raise BundleError(f"a bundle number is not finite: {value!r}")
    return f"CAST({number!r} AS DOUBLE)"


def _case(pairs, default="NULL") -> str:
    """``CASE WHEN c1 THEN v1 ... ELSE default END`` (just ``default`` without pairs)."""
    if not pairs:
        return default
    return "CASE " + " ".join(f"WHEN {c} THEN {v}" for c, v in pairs) + f" ELSE {default} END"


def _expit(z: str) -> str:
    # exp(745) overflows a double: numpy gives 1/(1+inf) = 0 there, and so does this
    return f"(CASE WHEN ({z}) < -745.0 THEN 0.0 ELSE 1.0 / (1.0 + EXP(-({z}))) END)"


def _input_sql(rule: dict, dialect: str) -> tuple[str, list[tuple[str, str]]]:
    """The cleaned input expression and the (condition, message) pairs of broken rules."""
    name = rule["name"]
    col = quote(name)
    problems = []
    missing = rule.get("missing", "error")
    if rule["type"] == "number":
        if dialect == "sqlite":
            problems.append((f"typeof({col}) NOT IN ('integer', 'real', 'null')",
                             f"{name}: not a number"))
        value = f"CAST({col} AS DOUBLE)"
        problems.append((f"ABS({value}) > {_MAX_FLOAT}", f"{name}: infinite value"))
        if missing == "impute":
            value = f"COALESCE({value}, {literal(rule['fill'])})"
        elif missing == "error":
            problems.append((f"{col} IS NULL", f"{name}: missing value"))
        policy = rule.get("out_of_range", "error")
        lo, hi = rule.get("min"), rule.get("max")
        if policy == "clip":
            if lo is not None:
                value = f"(CASE WHEN {value} < {literal(lo)} THEN {literal(lo)} ELSE {value} END)"
            if hi is not None:
                value = f"(CASE WHEN {value} > {literal(hi)} THEN {literal(hi)} ELSE {value} END)"
        elif policy == "error":
            if lo is not None:
                problems.append((f"{value} < {literal(lo)}", f"{name}: below the allowed min {lo}"))
            if hi is not None:
                problems.append((f"{value} > {literal(hi)}", f"{name}: above the allowed max {hi}"))
        return value, problems
    value = f"CAST({col} AS VARCHAR)"
    if missing == "impute":
        value = f"COALESCE({value}, {literal(str(rule['fill']))})"
    elif missing == "error":
        problems.append((f"{col} IS NULL", f"{name}: missing value"))
    allowed = rule.get("categories")
    if allowed is not None and rule.get("unknown", "error") == "error":
        listed = ", ".join(literal(str(c)) for c in allowed)
        problems.append((f"{value} IS NOT NULL AND {value} NOT IN ({listed})",
                         f"{name}: unknown category"))
    return value, problems


def _bin_sql(binning: dict, x: str) -> str:
    """Bin index of ``x`` (-1: no bin), the rule of :func:`riskmodels.scoring.bin_index`."""
    missing_bin = binning.get("missing_bin")
    miss = "-1" if missing_bin is None else str(int(missing_bin))
    if binning["type"] == "numeric":
        pairs = [(f"{x} = {literal(float(code))}", str(int(b)))
                 for code, b in (binning.get("special_bins") or {}).items()]
        pairs.append((f"{x} IS NULL", miss))
        edges = [float(e) for e in binning["edges"]]
        pairs += [(f"{x} < {literal(e)}", str(i)) for i, e in enumerate(edges)]
        return _case(pairs, str(len(edges)))
    unknown = binning.get("unknown_bin")
    pairs = [(f"{x} IS NULL", miss)]
    pairs += [(f"{x} = {literal(str(label))}", str(int(b)))
              for label, b in binning["categories"].items()]
    return _case(pairs, "-1" if unknown is None else str(int(unknown)))


def _messages(problems: list[tuple[str, str]]) -> str:
    """The broken rules of a row as text, each ``"; message"`` ('' when none)."""
    parts = [f"COALESCE(CASE WHEN {c} THEN {literal('; ' + m)} END, '')" for c, m in problems]
    return "(" + (" || ".join(parts) or "''") + ")"


def _lookup(index: str, values) -> str:
    return _case([(f"{index} = {i}", literal(v)) for i, v in enumerate(values)])


def _interp_sql(x: str, xs, ys) -> str:
    """numpy.interp as SQL: flat beyond the ends, linear between the points."""
    xs, ys = [float(v) for v in xs], [float(v) for v in ys]
    pairs = [(f"{x} <= {literal(xs[0])}", literal(ys[0]))]
    for i in range(len(xs) - 1):
        x0, x1, y0, y1 = xs[i], xs[i + 1], ys[i], ys[i + 1]
        if x1 == x0:
            continue
        slope = (y1 - y0) / (x1 - x0)
        pairs.append((f"{x} < {literal(x1)}", f"({literal(slope)} * ({x} - {literal(x0)}) + {literal(y0)})"))
    return _case(pairs, literal(ys[-1]))


def _calibration_sql(steps: list, raw: str) -> str:
    out = raw
    for step in steps:
        method = step["method"]
        if method == "interp":
            out = _interp_sql(out, step["x"], step["y"])
        elif method == "logistic":
            out = _expit(f"{literal(step['a'])} * {out} + {literal(step['b'])}")
        elif method == "logit_shift":
            inner = _expit(f"LN({out}) - LN(1.0 - {out}) + {literal(step['delta'])}")
            out = f"(CASE WHEN {out} <= 0.0 THEN 0.0 WHEN {out} >= 1.0 THEN 1.0 ELSE {inner} END)"
        else:
            raise BundleError(f"calibration[]: unknown method {method!r}")
    return out


def _grade_sql(scale: dict, pd_: str) -> str:
    p = pd_
    if scale.get("floor") is not None:
        floor = literal(scale["floor"])
        p = f"(CASE WHEN {pd_} < {floor} THEN {floor} ELSE {pd_} END)"
    grades = [str(g) for g in scale["grades"]]
    pairs = [(f"{pd_} IS NULL", "NULL")]
    pairs += [(f"{p} < {literal(u)}", literal(g)) for u, g in zip(scale["upper_bounds"], grades, strict=False)]
    return _case(pairs, literal(grades[-1]))


def _limit_sql(rule: dict | None, grade: str) -> str:
    if not rule:
        return "NULL"
    assets = f"CAST({quote(rule['current_assets'])} AS DOUBLE)"
    sales = f"CAST({quote(rule['monthly_sales'])} AS DOUBLE)"
    if rule.get("basis") != "score":
        coef = _case([(f"{grade} = {literal(str(g))}", literal(c))
                      for g, c in rule["coefficients"].items()], "0.0")
        base = f"(CASE WHEN {assets} / 2.0 < {sales} THEN {assets} / 2.0 ELSE {sales} END)"
        return f"(CASE WHEN {grade} IS NULL THEN NULL ELSE {coef} * {base} END)"
    raise BundleError("credit_limit: a score-keyed limit (expert cards) is not expressed in SQL yet")


def _reasons_sql(lost: list[str], names: list[str], k: int) -> list[str]:
    """reason_1..k: the feature whose rank among the points lost is r (ties: listed first)."""
    ranks = []
    for j, lj in enumerate(lost):
        beats = [f"(CASE WHEN {lm} > {lj} THEN 1 ELSE 0 END)" if m > j
                 else f"(CASE WHEN {lm} >= {lj} THEN 1 ELSE 0 END)"
                 for m, lm in enumerate(lost) if m != j]
        ranks.append(" + ".join(beats) if beats else "0")
    return [_case([(f"({rank}) = {r}", literal(name)) for rank, name in zip(ranks, names, strict=True)])
            for r in range(min(k, len(lost)))]


def to_sql(bundle, dialect: str = "duckdb", table: str = "t", *, keep: list[str] | None = None,
           n_reasons: int = 3) -> str:
    """One ``SELECT`` over ``table`` that scores every row as the Python scorer does.

    Parameters
    ----------
    bundle : a bundle path, JSON bytes or dict (verified: hash, version).
    dialect : "duckdb", "sqlite", "postgres" or "spark".
    table : the table or view holding one row per record, with the bundle's input columns.
    keep : input columns to return first (e.g. the record id); default: the bundle's inputs.
    n_reasons : reason codes per row (``reason_1`` .. ``reason_k``), as ``load_scorer``'s.

    Returns
    -------
    str : the statement; its columns are ``keep``, then ``pd``, ``score``, ``grade``,
    ``reason_1..k`` (logistic), ``credit_limit`` and ``error`` (NULL when every input rule holds).

    Raises
    ------
    BundleError : the model kind cannot be expressed (KMV, expert), or the dialect is unknown.
    """
    if dialect not in DIALECTS:
        raise BundleError(f"unknown SQL dialect {dialect!r}; known: {list(DIALECTS)}")
    content = read_bundle(bundle)
    kind = content["kind"]
    if kind == "kmv":
        raise BundleError("a KMV bundle cannot be scored in SQL: its PD needs a per-row Merton root "
                          "solve; score it with riskmodels.scoring or Spark (export.spark)")
    if kind not in EXPRESSIBLE:
        raise BundleError(f"a {kind!r} bundle is not expressed in SQL yet (expressible: "
                          f"{list(EXPRESSIBLE)})")
    inputs = content["inputs"]
    keep = [r["name"] for r in inputs] if keep is None else list(keep)
    name_of = {r["name"]: f"__in_{i}" for i, r in enumerate(inputs)}
    # layer 1: the cleaned inputs and the rules each row breaks ("; msg" each, "" when none)
    layer1, problems = {}, []
    for rule in inputs:
        layer1[name_of[rule["name"]]], rule_problems = _input_sql(rule, dialect)
        problems += rule_problems
    layer1["__err1"] = _messages(problems)
    # layer 2: bin indices; layer 3: the model's raw output and every broken rule (no bin too)
    model = content["model"]
    layer2, layer3, reasons = {}, {}, []
    if kind == "logistic":
        eta, points, lost, names, no_bin = ([literal(model["intercept"])],
                                            [literal(model.get("base_points", 0.0))], [], [], [])
        for j, feature in enumerate(model["features"]):
            b = f"__b_{j}"
            layer2[b] = _bin_sql(feature["binning"], name_of[feature["name"]])
            no_bin.append((f"{b} < 0", f"{feature['name']}: value with no bin"))
            eta.append(_lookup(b, [float(feature["coef"]) * float(w) for w in feature["woe"]]))
            attribute_points = _lookup(b, feature["points"])
            points.append(attribute_points)
            layer3[f"__lost_{j}"] = f"({literal(feature['best_points'])} - {attribute_points})"
            lost.append(f"__lost_{j}")
            names.append(feature["name"])
        layer3["__err"] = f"__err1 || {_messages(no_bin)}"  # a layer after the bins: no lateral alias
        layer3["__raw"] = _expit(" + ".join(eta))
        layer3["__score"] = "(" + " + ".join(points) + ")"
        reasons = _reasons_sql(lost, names, n_reasons)
    elif kind == "crosstab":
        raw, valid, flat = literal(model["levels"][0][0]), "1 = 1", "0"
        for level, (factor, binning, size) in enumerate(
                zip(model["factors"], model["bins"], model["shape"], strict=True), 1):
            b = f"__b_{level}"
            layer2[b] = _bin_sql(binning, name_of[factor])
            # a factor without a bin falls back to the parent level's PD, as the kernel does
            valid = f"{valid} AND {b} >= 0 AND {b} < {int(size)}"
            flat = f"({flat}) * {int(size)} + {b}"
            raw = f"(CASE WHEN {valid} THEN {_lookup(f'({flat})', model['levels'][level])} ELSE {raw} END)"
        layer3["__err"] = "__err1"
        layer3["__raw"] = raw
        layer3["__score"] = "NULL"
    else:  # identity: the input is the PD
        layer3["__err"] = "__err1"
        layer3["__raw"] = name_of[model["input"]]
        layer3["__score"] = "NULL"
    layer4 = {"__pd": _calibration_sql(content["calibration"], "__raw")}
    ok = "__err = ''"
    grade = _grade_sql(content["master_scale"], "__pd")
    outputs = [quote(c) for c in keep]
    outputs.append(f"CASE WHEN {ok} THEN __pd END AS pd")
    outputs.append(f"CASE WHEN {ok} THEN __score END AS score")
    outputs.append(f"CASE WHEN {ok} THEN {grade} END AS grade")
    outputs += [f"CASE WHEN {ok} THEN {r} END AS reason_{i + 1}" for i, r in enumerate(reasons)]
    limit = _limit_sql(content.get("credit_limit"), grade)
    outputs.append(f"CASE WHEN {ok} THEN {limit} END AS credit_limit")
    outputs.append(f"CASE WHEN {ok} THEN NULL ELSE SUBSTR(__err, 3) END AS error")
    source = quote(table)
    for i, columns in enumerate((layer1, layer2, layer3, layer4), 1):
        if not columns:
            continue
        cols = ", ".join(f"{expr} AS {name}" for name, expr in columns.items())
        source = f"(SELECT *, {cols} FROM {source}) AS s{i}"
    sql = "SELECT " + ", ".join(outputs) + f" FROM {source}"
    if dialect == "duckdb":
        return sql
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
