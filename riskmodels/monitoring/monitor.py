"""``rm.monitor``: one monitoring period of an adopted scorer against its development sample.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from riskmodels import scoring
>>> from riskmodels.monitoring import add_reference
>>> bundle = scoring.seal({"schema_version": 1, "kind": "identity", "name": "pd-passthrough",
...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
...     "model": {"input": "pd"}, "calibration": [],
...     "master_scale": {"grades": ["A", "B", "C", "D"], "upper_bounds": [0.01, 0.05, 0.5]}})
>>> rng = np.random.default_rng(0)
>>> bundle = add_reference(bundle, {"pd": rng.uniform(0.001, 0.1, 5000)})
>>> report = monitor(bundle, pd.DataFrame({"pd": rng.uniform(0.001, 0.1, 5000)}), period="2026-01")
>>> report.status
'green'
>>> monitor(bundle, pd.DataFrame({"pd": rng.uniform(0.05, 0.3, 5000)}), period="2026-02").status
'red'
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import BundleError, FileError, MonitoringError, ParameterError, Violation
from riskmodels.fileio import TEXT_TABLES, read_table, table_format
from riskmodels.monitoring.backtest import backtest, months_between, vintage_curves
from riskmodels.monitoring.decision_log import DecisionLog, read_decision_log
from riskmodels.monitoring.population import population_stability
from riskmodels.monitoring.reference import reference_of
from riskmodels.monitoring.report import MonitoringReport
from riskmodels.monitoring.thresholds import Thresholds

LOG_SUFFIXES = (".jsonl", ".ndjson", ".log")


# --------------------------------------------------------------------------- the model
def resolve_model(model, tracking_uri: str | None = None, verify_signature: bool = True) -> tuple[dict, dict]:
    """(verified bundle content, model info) from a bundle path/bytes/dict, a Scorer, a fitted
    model or an MLflow registry URI ``models:/name/version`` (looked up in ``tracking_uri``,
    default: ``MLFLOW_TRACKING_URI`` or ``sqlite:///mlflow.db``).

    Examples
    --------
    >>> resolve_model("models:/x")
    Traceback (most recent call last):
    ...
    riskmodels.errors.BundleError: model URI 'models:/x' must be models:/NAME/VERSION
    """
    version = None
    if isinstance(model, str) and model.startswith("models:/"):
        parts = model[len("models:/"):].split("/")
        if len(parts) != 2 or not all(parts):
            raise BundleError(f"model URI {model!r} must be models:/NAME/VERSION")
        content, version = _from_registry(model, tracking_uri, verify_signature), parts[1]
    elif isinstance(model, scoring.Scorer):
        content = model.content
    elif hasattr(model, "to_bundle"):
        content = model.to_bundle()
    else:
        content = scoring.read_bundle(model, verify_signature=verify_signature)
    info = {"name": content.get("name"), "kind": content.get("kind"), "version": version,
            "bundle_sha256": content["sha256"]}
    return content, info


def _from_registry(uri: str, tracking_uri: str | None = None, verify_signature: bool = True) -> dict:
    import tempfile

    import mlflow

    from riskmodels.tracking.mlflow_log import check_tracking_uri, prepare_store
    from riskmodels.tracking.mlflow_log import tracking_uri as resolve

    store = resolve(tracking_uri)
    check_tracking_uri(store)
    prepare_store(store)
    name, version = uri[len("models:/"):].split("/")
    with tempfile.TemporaryDirectory() as scratch:
        try:  # a client of its own: the process's MLflow URIs are left as they are
            client = mlflow.MlflowClient(tracking_uri=store, registry_uri=store)
            source = client.get_model_version_download_uri(name, version)
            folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=scratch,
                                                              tracking_uri=store))
        except Exception as exc:  # mlflow raises its own types for unknown models/versions
            text = " ".join(str(exc).split())
            raise BundleError(f"cannot resolve {uri} in the MLflow registry at {store}: {text}") from None
        found = sorted(folder.rglob("bundle.json"))
        if not found:
            raise BundleError(f"{uri} holds no bundle.json (was it logged with riskmodels.to_mlflow?)")
        return scoring.read_bundle(found[0], verify_signature=verify_signature)


# --------------------------------------------------------------------------- a period's population
def _read_table(path: Path, text_columns: list, what: str = "data") -> pd.DataFrame:
    """A delimited text (separator sniffed) or Parquet file as a frame; ``text_columns`` of a
    text file are read as text (categories and record ids: "00017" stays "00017")."""
    if not path.is_file():
        raise MonitoringError([Violation(what, f"file {path} does not exist", f"a readable {what} file")])
    form = table_format(path)
    if form is None:
        raise MonitoringError([Violation(what, f"file {path.name} has an unknown format",
                                         f"delimited text ({', '.join(TEXT_TABLES)}), .parquet"
                                         + (f" or a decision log ({', '.join(LOG_SUFFIXES)})"
                                            if what == "data" else ""))])
    try:  # the one reader of a user's table: format, encoding (UTF-8 or Chinese GB18030), separator
        return read_table(path, dtype=dict.fromkeys(text_columns, "string"))[0]
    except (FileError, ValueError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise MonitoringError([Violation(what, f"file {path} cannot be read as a table ({text})",
                                         "a CSV with a header row, or a Parquet file")]) from None


def _dates(values, column: str, keys) -> pd.DatetimeIndex:
    """Dates of an outcomes column as UTC days without a time zone (an ISO time with an offset
    is moved to UTC first); a value that is not a date is refused, naming its records."""
    raw = pd.Series(np.asarray(values, dtype=object))
    parsed = pd.to_datetime(raw, utc=True, format="mixed", errors="coerce")
    wrong = np.asarray(parsed.isna() & raw.notna() & (raw.astype(str).str.strip() != ""))
    if wrong.any():
        raise MonitoringError([Violation(column, "not a date", "ISO dates such as 2024-01-31",
                                         tuple(np.asarray(keys)[wrong][:5].tolist()), int(wrong.sum()))],
                              context="outcomes")
    return pd.DatetimeIndex(parsed).tz_localize(None)


def as_of_date(value) -> pd.Timestamp:
    """The as-of date without a time zone (moved to UTC when it has one).

    Examples
    --------
    >>> as_of_date("2026-06-30"), as_of_date("2026-06-30T23:30:00-02:00")
    (Timestamp('2026-06-30 00:00:00'), Timestamp('2026-07-01 01:30:00'))
    >>> as_of_date("last tuesday")
    Traceback (most recent call last):
    ...
    riskmodels.errors.ParameterError: as_of = 'last tuesday' is not a date (ISO 8601, e.g. 2026-06-30)
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise ParameterError(f"as_of = {value!r} is not a date (ISO 8601, e.g. 2026-06-30)")
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def _population(content: dict, data, id_column: str | None, what: str):
    """(result, raw columns, ids or None, decision times or None, extra frame or None) of a period."""
    if isinstance(data, (str, Path)):
        path = Path(data)
        data = read_decision_log(path, content["sha256"]) if path.suffix.lower() in LOG_SUFFIXES \
            else _read_table(path, [r["name"] for r in content["inputs"] if r["type"] == "category"]
                             + ([id_column] if id_column else []))
    if isinstance(data, DecisionLog):
        if data.bundle_sha256 != content["sha256"]:
            raise MonitoringError([Violation("bundle_sha256", f"the log was written by bundle "
                                             f"{data.bundle_sha256[:12]}...", f"{content['sha256'][:12]}...")],
                                  context=what)
        columns = {c: data.inputs[c].to_numpy() for c in data.inputs.columns}
        return data.result, columns, data.ids, data.times, data
    columns, _ = scoring.as_columns(data)
    n = len(next(iter(columns.values()))) if columns else 0
    if n == 0:
        raise MonitoringError([Violation(what, "has no records", "at least one record in the period")])
    # the scorer's own kernel path, without reason codes and limits (monitoring needs neither)
    scored = scoring.evaluate(content, columns)
    result = {"pd": scored["pd"], "grade": scored["grade"], "score": scored["score"]}
    ids = None
    if id_column is not None:
        if id_column not in columns:
            raise MonitoringError([Violation(id_column, "is not a column of the data", "the record id column")],
                                  context=what)
        ids = np.asarray(columns[id_column])
    return result, columns, ids, None, data


def _same_keys(ids, keys):
    """Ids of the period and of the outcomes in one comparable form: numbers as they are when
    both are numbers, else both as text (a CSV reads "17" as 17, a decision log keeps "17")."""
    ids, keys = np.asarray(ids), np.asarray(keys)
    if ids.dtype.kind in "iu" and keys.dtype.kind in "iu":
        return ids, keys
    return (np.asarray([str(v) for v in ids.tolist()], dtype=object),
            np.asarray([str(v) for v in keys.tolist()], dtype=object))


def _check_ids(ids, what: str):
    index = pd.Index(ids)
    if index.has_duplicates:
        dup = index.duplicated()
        shown = tuple(index[dup][:5].tolist())
        raise MonitoringError([Violation("id", "duplicate record ids", "one row per record", shown,
                                         int(dup.sum()))], context=what)


# --------------------------------------------------------------------------- outcomes
def _outcomes(outcomes, ids, times, id_column: str, horizon_months: int, as_of):
    """Align outcomes with the period's records; returns (positions, y, observation, default dates, info)."""
    if isinstance(outcomes, (str, Path)):
        outcomes = _read_table(Path(outcomes), [id_column], "outcomes")
    frame = pd.DataFrame(outcomes)
    if ids is None:
        raise MonitoringError([Violation(id_column, "the period's records have no ids",
                                         "id_column= naming the record id (or a decision log) to join outcomes")])
    if id_column not in frame.columns:
        raise MonitoringError([Violation(id_column, "missing from the outcomes", "the record id column")],
                              context="outcomes")
    if len(frame) == 0:
        raise MonitoringError([Violation("outcomes", "has no rows", "one row per record with an outcome")])
    ids, keys = _same_keys(ids, frame[id_column].to_numpy())
    _check_ids(keys, "outcomes")
    position = pd.Index(ids).get_indexer(keys)
    unknown = position < 0
    if unknown.any():
        raise MonitoringError([Violation(id_column, "outcome for a record that was never scored in this period",
                                         "ids of scored records", tuple(keys[unknown][:5].tolist()),
                                         int(unknown.sum()))], context="outcomes")
    if "observation_date" in frame.columns:
        obs = _dates(frame["observation_date"], "observation_date", keys)
    elif times is not None:
        obs = pd.DatetimeIndex(times[position]).tz_localize(None).normalize()
    else:
        obs = None
    if "default_date" in frame.columns:
        dflt = _dates(frame["default_date"], "default_date", keys)
        if obs is None:
            raise MonitoringError([Violation("observation_date", "missing", "the date each record was scored, "
                                             "to measure default dates from")], context="outcomes")
        back = np.asarray(dflt < obs)
        if back.any():
            raise MonitoringError([Violation("default_date", "before the observation date",
                                             "default dates on or after the record's observation date",
                                             tuple(keys[back][:5].tolist()), int(back.sum()))], context="outcomes")
    elif "default" in frame.columns:
        dflt = None
    else:
        raise MonitoringError([Violation("default", "missing from the outcomes",
                                         "a 0/1 default column or a default_date column")], context="outcomes")
    if as_of is None:
        dates = [d for d in (obs, dflt) if d is not None]
        as_of = max(d.max() for d in dates) if dates else None
    as_of = as_of_date(as_of) if as_of is not None else None
    if obs is not None and as_of is not None and (obs > as_of).any():
        late = np.asarray(obs > as_of)
        raise MonitoringError([Violation("observation_date", f"after the as-of date {as_of.date()}",
                                         "observations on or before the as-of date", tuple(keys[late][:5].tolist()),
                                         int(late.sum()))], context="outcomes")
    if obs is not None and as_of is not None:
        mature = months_between(obs, [as_of] * len(obs)) >= horizon_months
        if dflt is None:
            mature = np.ones(len(frame), dtype=bool) if "default" in frame.columns else mature
    else:
        mature = np.ones(len(frame), dtype=bool)
    if dflt is not None:
        y = (np.asarray(months_between(obs, dflt) <= horizon_months) & np.asarray(dflt.notna())).astype(float)
    else:
        from riskmodels.validation import check_outcomes

        y, _ = check_outcomes(frame["default"].to_numpy(), np.zeros(len(frame)))
    info = {"as_of": str(as_of.date()) if as_of is not None else None, "horizon_months": int(horizon_months),
            "mature": int(mature.sum()), "pending": int((~mature).sum()), "with_outcome": int(len(frame))}
    return position, y, obs, dflt, mature, info, frame


# --------------------------------------------------------------------------- migration and overrides
def _migration(content, result, ids, previous, id_column, thresholds):
    from riskmodels.validation import migration_stability

    prev_result, _, prev_ids, prev_times, _ = _population(content, previous, id_column, "previous")
    if prev_ids is None or ids is None:
        raise MonitoringError([Violation(id_column or "id", "records have no ids",
                                         "id_column= (or decision logs) to follow obligors across periods")],
                              context="previous")
    grades = list(content["master_scale"]["grades"])
    ids, prev_ids = _same_keys(ids, prev_ids)
    now = pd.Series(result["grade"], index=pd.Index(ids))
    before = pd.Series(prev_result["grade"], index=pd.Index(prev_ids))
    common = now.index.intersection(before.index)
    counts = pd.crosstab(pd.Categorical(before[common], grades), pd.Categorical(now[common], grades),
                         dropna=False).reindex(index=grades, columns=grades, fill_value=0)
    counts.index.name, counts.columns.name = "previous", "current"
    test = migration_stability(counts.to_numpy(), labels=grades)
    min_p = float(test["p_value"].min()) if len(test) and test["p_value"].notna().any() else None
    idx = {g: i for i, g in enumerate(grades)}
    moved = np.array([idx[b] - idx[a] for a, b in zip(before[common], now[common], strict=True)]) \
        if len(common) else np.array([])
    return {"matrix": counts, "test": test, "min_p": min_p, "n": int(len(common)),
            "upgraded": int((moved < 0).sum()), "downgraded": int((moved > 0).sum()),
            "previous_times": prev_times, "previous_period": "previous period"}


def _overrides(model_grades, final, grades):
    idx = {g: i for i, g in enumerate(grades)}
    final = np.asarray([None if v is None or v != v else str(v) for v in final], dtype=object)
    given = np.array([f is not None for f in final])
    bad = given & ~np.isin(final, grades)
    if bad.any():
        raise MonitoringError([Violation("final_grade", "not a grade of the master scale", f"one of {grades}",
                                         tuple(np.flatnonzero(bad)[:5].tolist()), int(bad.sum()))])
    m = np.array([idx[g] for g in np.asarray(model_grades)[given]])
    f = np.array([idx[g] for g in final[given]])
    table = pd.crosstab(pd.Categorical(np.asarray(model_grades)[given], grades),
                        pd.Categorical(final[given], grades), dropna=False)
    table.index.name, table.columns.name = "model", "final"
    n = int(given.sum())
    return {"n": n, "rate": float(np.mean(m != f)) if n else 0.0, "upgrades": int((f < m).sum()),
            "downgrades": int((f > m).sum()), "mean_notches": float(np.mean(f - m)) if n else 0.0,
            "table": table}


# --------------------------------------------------------------------------- measures
GROUPS = {"refused records": "data", "dropped log lines": "data", "records without characteristics": "data",
          "score PSI": "population", "grade PSI": "population", "max CSI": "population",
          "max missing-rate change": "population", "max unknown-category rate": "population",
          "mean PD change": "population", "migration p (ECB, min)": "migration",
          "override rate": "overrides"}  # every other measure is a back-test
_P_VALUE_MEASURES = frozenset({"binomial_p", "hosmer_lemeshow_p", "auc_drop_p", "migration_p"})


def _data_quality(reference: dict, columns: dict, n: int, source) -> dict:
    """Refused records, dropped log lines and records without characteristics of a period."""
    lost = sorted(name for name in reference["characteristics"] if name not in columns)
    log = source if isinstance(source, DecisionLog) else None
    refused, records = (log.refused, log.refused + n) if log else (0, n)
    without = n if lost else (log.without_inputs if log else 0)
    return {"refused": refused, "records": records, "without": without, "lost": lost, "n": n,
            "lines": log.lines if log else None, "dropped": log.dropped if log else 0,
            "dropped_lines": log.dropped_lines if log else ()}


def _measures(quality: dict, stab, bt, mig, ovr, t: Thresholds) -> pd.DataFrame:
    rows = {}
    # the p-values of the verdict: with a Bonferroni correction each is judged at level / m
    p_values = ([bt["binomial_p"], bt["hosmer_lemeshow"]["p_value"], bt.get("auc_drop", {}).get("p_value")]
                if bt else []) + ([mig["min_p"]] if mig else [])
    m = sum(v is not None and v == v for v in p_values)
    judged = f", judged at level / {m} (Bonferroni)" if m > 1 and t.multiple_testing == "bonferroni" else ""

    def add(name, value, measure, detail="", zone=None):
        rows[name] = {"value": value, "zone": zone if zone is not None else t.zone(measure, value, tests=m),
                      "detail": detail + (judged if measure in _P_VALUE_MEASURES else "")}

    q = quality
    add("refused records", q["refused"] / q["records"], "refused_rate",
        f"{q['refused']:,} of {q['records']:,} records refused by the input rules (not scored)")
    if q["lines"] is not None:
        shown = ", ".join(str(n) for n in q["dropped_lines"][:5]) + (" ..." if q["dropped"] > 5 else "")
        add("dropped log lines", q["dropped"] / q["lines"], "dropped_lines",
            f"{q['dropped']:,} of {q['lines']:,} lines not a decision record"
            + (f" (line {shown})" if q["dropped"] else ""))
    add("records without characteristics", q["without"] / q["n"], "missing_inputs",
        (f"not in the data: {', '.join(q['lost'][:5])}" if q["lost"] else
         f"{q['without']:,} of {q['n']:,} logged inputs lack a field"))
    add("score PSI", stab["score_psi"], "psi", f"{stab['score_field']}, top bin "
        f"{stab['score_table']['psi'].idxmax()}; sampling p {stab['score_psi_p']:.3g} (Yurdakul-Naranjo)")
    add("grade PSI", stab["grade_psi"], "grade_psi")
    chars = stab["characteristics"]
    if len(chars):
        top = chars.index[0]
        add("max CSI", float(chars["csi"].iloc[0]), "csi", f"{top}, bin {chars['top_bin'].iloc[0]}")
        ch = chars["missing_change"].abs()
        add("max missing-rate change", float(ch.max()), "missing_change", str(ch.idxmax()))
        add("max unknown-category rate", float(chars["unknown_rate"].max()), "unknown_rate",
            str(chars["unknown_rate"].idxmax()))
    add("mean PD change", abs(stab["mean_pd_change"]), "mean_pd_change",
        f"{stab['mean_pd']:.4%} vs {stab['mean_pd_reference']:.4%} at development")
    if bt:
        g = bt["grades"]
        lights = g["zone"].value_counts()
        w = bt["worst_grade"]
        if w["grade"] is not None:
            r = g.loc[w["grade"]]
            detail = (f"grade {w['grade']}: {int(r['defaults'])} defaults of {int(r['n']):,} at PD {r['mean_pd']:.2%}; "
                      f"amber < {w['level_amber']:.2g}, red < {w['level_red']:.2g} (Bonferroni over {w['k']} grades); "
                      f"traffic lights {int(lights.get('red', 0))} red, {int(lights.get('amber', 0))} amber")
            add("worst grade binomial p", w["p_value"], "grade_binomial_p", detail, zone=w["zone"])
        add("portfolio binomial p", bt["binomial_p"], "binomial_p",
            f"{bt['default_rate']:.2%} observed vs {bt['mean_pd']:.2%} predicted, {bt['n']:,} mature")
        hl = bt["hosmer_lemeshow"]
        add("Hosmer-Lemeshow p", hl["p_value"], "hosmer_lemeshow_p",
            f"chi2 {hl['statistic']:.2f}, df {hl['df']} ({len(hl['groups'])} groups of >= "
            f"{t.hl_min_expected:g} expected defaults)")
        if "auc" in bt:
            a = bt["auc"]
            rows["AUC"] = {"value": a["auc"], "zone": None,
                           "detail": f"DeLong 95% [{a['lower']:.4f}, {a['upper']:.4f}], Gini {a['gini']:.4f}"}
        if "auc_drop" in bt:
            d = bt["auc_drop"]
            add("AUC drop p", d["p_value"], "auc_drop_p",
                f"{d['auc_current']:.4f} (SE {d['se_current']:.4f}) now vs {d['auc_initial']:.4f} "
                f"(SE {d['se_initial']:.4f}) at {d.get('source', 'initial validation')}")
    if mig and mig["min_p"] is not None:
        add("migration p (ECB, min)", mig["min_p"], "migration_p",
            f"{mig['n']:,} obligors, {mig['upgraded']} up, {mig['downgraded']} down")
    if ovr:
        add("override rate", ovr["rate"], "override_rate",
            f"{ovr['upgrades']} upgrades, {ovr['downgrades']} downgrades of {ovr['n']:,}")
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["value", "zone", "detail"]).astype(object)
    frame.insert(0, "group", [GROUPS.get(name, "back-test") for name in frame.index])
    frame["zone"] = [z if isinstance(z, str) else None for z in frame["zone"]]
    return frame


def initial_auc(content: dict) -> dict | None:
    """The AUC the drop test compares with, and its standard error: the one "at initial
    validation" (ECB 2019 instructions §2.5.4.1) — the out-of-sample AUC in the bundle's
    metadata when the model was validated before export (``metadata.metrics.auc`` and
    ``auc_se``, as ``rm.compare`` writes them), else the development sample's own AUC and
    DeLong SE from the reference (in-sample: optimistic). A validated AUC without its SE is
    taken as exact (the ECB statistic); None when the bundle has no AUC.

    Examples
    --------
    >>> initial_auc({"metadata": {"metrics": {"auc": 0.75, "auc_se": 0.03}}, "reference": {"auc": 0.8}})
    {'auc': 0.75, 'se': 0.03, 'source': 'initial validation'}
    >>> initial_auc({"metadata": {}, "reference": {"auc": 0.8, "auc_se": 0.02}})
    {'auc': 0.8, 'se': 0.02, 'source': 'development sample'}
    """
    def number(v):
        return float(v) if isinstance(v, (int, float)) and np.isfinite(v) and v >= 0 else None

    metrics = (content.get("metadata") or {}).get("metrics") or {}
    reference = content.get("reference") or {}
    for found, source in ((metrics, "initial validation"), (reference, "development sample")):
        value = number(found.get("auc"))
        if value is not None and value <= 1:
            return {"auc": value, "se": number(found.get("auc_se")) or 0.0, "source": source}
    return None


# --------------------------------------------------------------------------- entry point
def monitor(model, current, outcomes=None, *, previous=None, period: str | None = None, as_of=None,
            id_column: str | None = None, final_grade_column: str | None = None, horizon_months: int = 12,
            thresholds: Thresholds | dict | None = None, mlflow: bool = False,
            tracking_uri: str | None = None, experiment: str = "riskmodels-monitoring",
            verify_signature: bool = True, ledger=None, allowance: dict | None = None) -> MonitoringReport:
    """Monitor one period of an adopted scorer against the development sample in its bundle.

    Parameters
    ----------
    model : bundle path/bytes/dict, :class:`~riskmodels.scoring.Scorer`, fitted model, or an
        MLflow registry URI ``models:/NAME/VERSION``. Its bundle must carry reference distributions
        (``model.export(path, reference=(X_dev, y_dev))``).
    current : the period's records — a frame (scored here), a CSV/Parquet path, or a decision
        log (path ending .jsonl/.ndjson/.log, or a :class:`DecisionLog`: its logged PDs and grades are used).
    outcomes : frame or CSV/Parquet path, optional: one row per record with ``id_column`` and
        either ``default_date`` (missing = no default yet) with ``observation_date`` (or the
        log's decision time), or a 0/1 ``default`` column.
    previous : the previous period's records (same forms as ``current``) for the migration matrix.
    period : label of the period (default: the decision log's month range, else "current").
    as_of : date the outcomes are known to (default: their latest date).
    id_column : record id column of frames and outcomes (a decision log has ids; default "id" there).
    final_grade_column : column of ``current`` (or of the outcomes) with the final, human grade.
    horizon_months : outcome horizon; only records at least this old on ``as_of`` are back-tested.
    thresholds : :class:`Thresholds` or a dict of (amber, red) pairs.
    mlflow : log the period as one MLflow run (tags: model name, version, bundle sha256).
    tracking_uri, experiment : where the run goes (default: MLFLOW_TRACKING_URI or sqlite:///mlflow.db).
    verify_signature : with no signing key set, a signed bundle is refused unless False.
    ledger : a receivables :class:`~riskmodels.data.ledger.Ledger`, optional: the report then shows
        the provision-matrix allowance per period and its movement
        (:func:`~riskmodels.monitoring.allowance.period_allowance`).
    allowance : options of that view: ``start``, ``end`` (default ``as_of``), ``freq`` ("month",
        "quarter", "year") and the provision matrix's (``buckets``, ``method``, ``history``, ...).

    Returns
    -------
    MonitoringReport
    """
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) or horizon_months < 1:
        raise ParameterError(f"horizon_months = {horizon_months!r}: a whole number of months >= 1")
    if as_of is not None:
        as_of = as_of_date(as_of)
    t = thresholds if isinstance(thresholds, Thresholds) else Thresholds.from_dict(thresholds)
    movement = None
    if ledger is not None:  # first: a bad ledger or option shows before the scoring
        from riskmodels.monitoring.allowance import period_allowance

        movement = period_allowance(ledger, as_of=as_of, **(allowance or {}))
    if mlflow:  # a dead tracking server shows now, not after minutes of retries at the end
        from riskmodels.tracking.mlflow_log import check_tracking_uri
        from riskmodels.tracking.mlflow_log import tracking_uri as resolve

        check_tracking_uri(resolve(tracking_uri))
    content, info = resolve_model(model, tracking_uri, verify_signature)
    reference = reference_of(content)
    result, columns, ids, times, source = _population(content, current, id_column, "current")
    frame = source if isinstance(source, pd.DataFrame) else None
    n = len(result["pd"])
    if n == 0:
        raise MonitoringError([Violation("current", "has no records", "at least one record in the period")])
    if ids is not None:
        _check_ids(ids, "current")
    if period is None:
        period = (f"{times.min():%Y-%m-%d}..{times.max():%Y-%m-%d}" if times is not None else "current")
    stab = population_stability(reference, result, columns, t)
    bt = maturity = vintages = out_frame = None
    key = id_column or "id"
    if outcomes is not None:
        position, y, obs, dflt, mature, maturity, out_frame = _outcomes(outcomes, ids, times, key,
                                                                        horizon_months, as_of)
        if mature.any():
            initial = initial_auc(content) or {"auc": None, "se": 0.0}
            bt = backtest(result["pd"][position[mature]], y[mature], content["master_scale"], t,
                          reference_auc=initial["auc"], reference_auc_se=initial["se"])
            if "auc_drop" in bt:
                bt["auc_drop"]["source"] = initial["source"]
        if dflt is not None:
            vintages = vintage_curves(obs, dflt, pd.Timestamp(maturity["as_of"]), horizon_months)
    mig = None
    if previous is not None:
        mig = _migration(content, result, ids, previous, id_column or ("id" if times is not None else None), t)
        if times is not None and mig["previous_times"] is not None and mig["previous_times"].max() > times.min():
            raise MonitoringError([Violation("time", "the previous period ends after the current one starts",
                                             "periods in time order (previous before current)")])
        pt = mig.pop("previous_times")
        if pt is not None:
            mig["previous_period"] = f"{pt.min():%Y-%m-%d}..{pt.max():%Y-%m-%d}"
    else:
        mig = None
    ovr = None
    if final_grade_column is not None:
        grades = list(content["master_scale"]["grades"])
        if frame is not None and final_grade_column in frame.columns:
            ovr = _overrides(result["grade"], frame[final_grade_column].tolist(), grades)
        elif out_frame is not None and final_grade_column in out_frame.columns:
            ovr = _overrides(result["grade"][position], out_frame[final_grade_column].tolist(), grades)
        else:
            raise MonitoringError([Violation(final_grade_column, "is not a column of the data or the outcomes",
                                             "the final (human) grade column")])
    quality = _data_quality(reference, columns, n, source)
    report = MonitoringReport(info, period, n, _measures(quality, stab, bt, mig, ovr, t), stab, bt, maturity,
                              vintages, mig, ovr, t, allowance=movement)
    if mlflow:
        from riskmodels.monitoring.tracking import log_period

        report.run_id = log_period(report, tracking_uri=tracking_uri, experiment=experiment)
    return report
