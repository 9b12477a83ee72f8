"""Hostile but realistic use (issue 33): monitoring, the decision log, the CLI, files written,
configs and the tracking store. No broken input may read green, exit 0 or end in a traceback;
every command's error is one line and exit status 2 (monitor's 1 is only ever "red").

Small bundles come from ``test_scoring``'s ``PointsModel`` (as in ``test_monitoring``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from test_scoring import fitted_model, make_data

from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import ConfigError, FileError, MonitoringError, ParameterError
from riskmodels.monitoring import monitor, read_decision_log

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="module")
def bundle():
    model, X, y = fitted_model(3000, random_state=0)
    return model.to_bundle(reference=(X, y))


@pytest.fixture()
def bundle_path(bundle, tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(scoring.dumps_bundle(bundle))
    return path


def period(n, seed):
    X, y = make_data(n, seed)
    X.insert(0, "id", [f"r{seed}-{i}" for i in range(n)])
    return X, y


def logged(bundle, path, n=300, seed=31):
    """A decision log of ``n`` records written by the scorer; returns (lines as dicts, X, y)."""
    X, y = period(n, seed)
    scoring.Scorer(bundle).score(X, log=path, log_id="id", on_error="report")
    return [json.loads(line) for line in path.read_text().splitlines()], X, y


def write_lines(path, entries):
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries))
    return path


def cli(args, capsys) -> tuple[int, str]:
    """Exit status and stderr of one CLI run."""
    status = main([str(a) for a in args])
    return status, capsys.readouterr().err


def one_line_error(status: int, err: str) -> bool:
    lines = [line for line in err.splitlines() if line.strip()]
    return status == 2 and len(lines) == 1 and lines[0].startswith("riskmodels: error: ") \
        and "Traceback" not in err


# --------------------------------------------------------------------------- refused, stripped, bad PDs
def test_refused_records_are_a_measure_that_turns_red(bundle, tmp_path):
    """90 % of the period refused by the input rules: before, the refused lines were counted and
    never reported, and the remaining 10 % read "every measure green"."""
    X, _ = period(1000, 32)
    X.loc[X.index[100:], "sector"] = None  # missing under "error": refused, logged with errors
    log = tmp_path / "d.jsonl"
    scoring.Scorer(bundle).score(X, log=log, log_id="id", on_error="report")
    report = monitor(bundle, log)
    row = report.measures.loc["refused records"]
    assert row["value"] == pytest.approx(0.9) and row["zone"] == "red" and report.status == "red"
    assert "900 of 1,000" in row["detail"]
    assert report.n == 100
    clean = tmp_path / "clean.jsonl"
    scoring.Scorer(bundle).score(X.iloc[:100], log=clean, log_id="id")
    assert monitor(bundle, clean).measures.loc["refused records", "zone"] == "green"


def test_a_log_without_inputs_reads_red_not_green(bundle, tmp_path):
    """Inputs stripped from the log: every characteristic check used to disappear silently."""
    entries, _, _ = logged(bundle, tmp_path / "d.jsonl")
    for e in entries[:150]:
        e["input"] = {}
    report = monitor(bundle, write_lines(tmp_path / "stripped.jsonl", entries))
    row = report.measures.loc["records without characteristics"]
    assert row["value"] == pytest.approx(0.5) and row["zone"] == "red" and report.status == "red"
    for e in entries:
        e["input"] = {}
    report = monitor(bundle, write_lines(tmp_path / "none.jsonl", entries))
    assert report.measures.loc["records without characteristics", "value"] == 1.0
    assert report.status == "red"


def test_log_lines_that_are_not_records_are_dropped_and_counted(bundle, tmp_path, capsys):
    """A PD of 7.5 on every line is refused (nothing left to monitor: exit 2), not "mean PD 750 %";
    a few bad lines are dropped and counted as a measure with thresholds."""
    entries, _, _ = logged(bundle, tmp_path / "d.jsonl")
    bad = [dict(e, pd=7.5) for e in entries]
    path = write_lines(tmp_path / "pd75.jsonl", bad)
    with pytest.raises(MonitoringError, match="no decided record"):
        monitor(bundle, path)
    assert one_line_error(*cli(["monitor", _bundle(bundle, tmp_path), path], capsys))
    junk = ["not json", entries[0] | {"pd": "abc"}, entries[1] | {"time": "yesterday"},
            entries[2] | {"grade": None}, entries[3] | {"input": [1, 2]}, json.dumps(entries[4])[:40]]
    path = write_lines(tmp_path / "junk.jsonl", entries[5:] + junk)
    log = read_decision_log(path)
    assert len(log) == len(entries) - 5 and log.dropped == 6 and log.lines == len(entries) + 1
    report = monitor(bundle, path)
    row = report.measures.loc["dropped log lines"]
    assert row["value"] == pytest.approx(6 / (len(entries) + 1)) and row["zone"] == "red"
    assert row["detail"].startswith("6 of 301 lines") and "line 296" in row["detail"]
    assert monitor(bundle, tmp_path / "d.jsonl").measures.loc["dropped log lines", "zone"] == "green"


def _bundle(bundle, tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(scoring.dumps_bundle(bundle))
    return path


def test_interleaved_writers_and_times_without_milliseconds_are_read_in_time_order(bundle, tmp_path):
    """Two workers appending to one log interleave their times; some writers give ISO times
    without milliseconds. Monitoring orders by time instead of refusing (or crashing)."""
    entries, _, _ = logged(bundle, tmp_path / "d.jsonl")
    for i, e in enumerate(entries):
        e["time"] = f"2026-03-{1 + i % 28:02d}T10:00:00" + ("Z" if i % 2 else ".000+00:00")
    shuffled = [entries[i] for i in np.random.default_rng(0).permutation(len(entries))]
    report = monitor(bundle, write_lines(tmp_path / "two.jsonl", shuffled))
    straight = monitor(bundle, tmp_path / "d.jsonl")
    assert report.n == straight.n == len(entries)
    assert report.stability["score_psi"] == pytest.approx(straight.stability["score_psi"], abs=1e-12)
    assert report.period == "2026-03-01..2026-03-28"
    log = read_decision_log(tmp_path / "two.jsonl")
    assert (np.diff(log.times.asi8) >= 0).all()


# --------------------------------------------------------------------------- outcomes and parameters
def test_horizon_of_zero_or_negative_months_is_refused(bundle, tmp_path, capsys):
    X, y = period(300, 33)
    outcomes = pd.DataFrame({"id": X["id"], "default": y})
    for months in (0, -3):
        with pytest.raises(ParameterError, match="horizon_months"):
            monitor(bundle, X, outcomes, id_column="id", horizon_months=months)
    X.to_csv(tmp_path / "x.csv", index=False)
    outcomes.to_csv(tmp_path / "o.csv", index=False)
    status, err = cli(["monitor", _bundle(bundle, tmp_path), tmp_path / "x.csv", "--outcomes", tmp_path / "o.csv",
                       "--id-column", "id", "--horizon-months", "0"], capsys)
    assert one_line_error(status, err) and "horizon" in err


def test_time_zone_aware_outcome_dates_are_read_in_utc(bundle):
    X, y = period(400, 34)
    obs = pd.Timestamp("2024-01-31")
    dates = np.where(y == 1, "2024-05-01", None)
    naive = pd.DataFrame({"id": X["id"], "observation_date": str(obs.date()), "default_date": dates})
    aware = naive.assign(observation_date="2024-01-31T08:00:00+08:00",
                         default_date=[None if d is None else f"{d}T02:00:00+02:00" for d in dates])
    a = monitor(bundle, X, aware, id_column="id", as_of="2025-06-30")
    b = monitor(bundle, X, naive, id_column="id", as_of="2025-06-30")
    assert a.maturity == b.maturity and a.backtest["defaults"] == b.backtest["defaults"] == int(y.sum())


def test_cli_errors_are_one_line_and_exit_2(bundle, tmp_path, capsys):
    """Each of these ended in a traceback with exit 1 (the "red" status) or exit 0."""
    b = _bundle(bundle, tmp_path)
    X, y = period(300, 35)
    X.to_csv(tmp_path / "x.csv", index=False)
    pd.DataFrame({"id": X["id"], "default": y}).to_csv(tmp_path / "o.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "list.yaml").write_text("- psi\n- 0.1\n")
    (tmp_path / "broken.yaml").write_text("psi: [0.1,\n")
    (tmp_path / "word.yaml").write_text("psi: [low, high]\n")
    (tmp_path / "folder").mkdir()
    sql_bundle = tmp_path / "identity.json"
    sql_bundle.write_bytes(scoring.dumps_bundle(IDENTITY))
    base = ["monitor", b, tmp_path / "x.csv", "--id-column", "id"]
    probes = {
        "bad --as-of": base + ["--outcomes", tmp_path / "o.csv", "--as-of", "last tuesday"],
        "empty outcomes": base + ["--outcomes", tmp_path / "empty.csv"],
        "missing thresholds": base + ["--thresholds", tmp_path / "nope.yaml"],
        "list thresholds": base + ["--thresholds", tmp_path / "list.yaml"],
        "broken thresholds": base + ["--thresholds", tmp_path / "broken.yaml"],
        "text thresholds": base + ["--thresholds", tmp_path / "word.yaml"],
        "json into a missing folder": base + ["--json", tmp_path / "no" / "m.json"],
        "html onto a folder": base + ["--html", tmp_path / "folder"],
        "export-sql into a missing folder": ["export-sql", sql_bundle, "-o", tmp_path / "no" / "s.sql"],
        "export-sql onto a folder": ["export-sql", sql_bundle, "-o", tmp_path / "folder"],
        "runs compare unknown ids": ["runs", "compare", "nope-a", "nope-b", "--tracking-uri",
                                     f"sqlite:///{tmp_path}/runs.db"],
    }
    for what, args in probes.items():
        status, err = cli(args, capsys)
        assert one_line_error(status, err), (what, status, err)
    assert not (tmp_path / "no").exists()


IDENTITY = scoring.seal({"schema_version": 1, "kind": "identity", "name": "pd-passthrough",
                         "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
                         "model": {"input": "pd"}, "calibration": [],
                         "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.01, 0.2]}})


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``riskmodels export-sql B | head -c 0``: no traceback from the closed pipe."""
    b = _bundle(IDENTITY, tmp_path)
    code = "import sys; from riskmodels.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "export-sql", str(b)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    proc.stdout.close()  # the reader has gone before the statement is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 2
    assert "Traceback" not in err and "Exception ignored" not in err, err


# --------------------------------------------------------------------------- files written
def test_reports_are_written_atomically(bundle, tmp_path, monkeypatch):
    """A failed write leaves the previous report whole (and no temporary file): before, the
    report was written in place, so a reader could see half of it."""
    from riskmodels import fileio

    X, _ = period(300, 36)
    report = monitor(bundle, X, id_column="id")
    target = tmp_path / "m.json"
    target.write_text("previous\n")

    def broken(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileio.os, "fsync", broken)
    with pytest.raises(FileError, match="No space left"):
        report.to_json(target)
    with pytest.raises(FileError, match="No space left"):
        report.to_html(tmp_path / "m.html")
    monkeypatch.undo()
    assert target.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
    report.to_json(target)
    assert json.loads(target.read_text())["n"] == 300


# --------------------------------------------------------------------------- MLflow
def test_monitor_with_a_dead_tracking_server_fails_fast(bundle, tmp_path, capsys):
    """Before: ~260 s of retries, then a traceback, and no report."""
    X, _ = period(200, 37)
    X.to_csv(tmp_path / "x.csv", index=False)
    start = time.monotonic()
    status, err = cli(["monitor", _bundle(bundle, tmp_path), tmp_path / "x.csv", "--mlflow",
                       "--tracking-uri", "http://127.0.0.1:9"], capsys)
    assert one_line_error(status, err) and "does not answer" in err
    assert time.monotonic() - start < 60


def test_registry_uri_honours_the_tracking_uri_and_leaves_no_stray_store(bundle, tmp_path, monkeypatch, capsys):
    import mlflow

    from riskmodels.export import register_scorer, to_mlflow

    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    (tmp_path / "store").mkdir()
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment(experiment_id=mlflow.create_experiment(
            "hostile-registry", artifact_location=(tmp_path / "store" / "artifacts").as_uri()))
        info = to_mlflow(bundle)
        register_scorer(info.model_uri, "hostile-scorer", bundle)
    finally:
        mlflow.set_tracking_uri(None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    X, _ = period(300, 38)
    X.to_csv(work / "x.csv", index=False)
    status, err = cli(["monitor", "models:/hostile-scorer/1", "x.csv", "--tracking-uri", uri], capsys)
    assert status in (0, 1), err
    assert sorted(p.name for p in work.iterdir()) == ["x.csv"]


# --------------------------------------------------------------------------- configs
BOMB = """name: bomb
data: {source: synthetic}
models:
  - name: m
    type: logistic
    params:
      a: &a [x, x, x, x, x, x, x, x, x, x]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
"""


def test_yaml_alias_bombs_are_refused_at_validation(tmp_path):
    """Aliases that expand to 10^8 values passed validation and exploded when the config was
    logged after the fit. A few honest aliases still work."""
    from riskmodels.comparison.config import load_config
    from riskmodels.monitoring.config import load_monitor_config

    (tmp_path / "bomb.yaml").write_text(BOMB)
    with pytest.raises(ConfigError, match="expands to more than"):
        load_config(tmp_path / "bomb.yaml")
    (tmp_path / "monitor.yaml").write_text("model: b.json\ndata: d.csv\nthresholds:\n  psi: &p [0.1, 0.25]\n"
                                           "  csi: *p\n")
    assert load_monitor_config(tmp_path / "monitor.yaml").thresholds["csi"] == [0.1, 0.25]
    bomb = BOMB.split("params:\n")[1].replace("      ", "  ")
    (tmp_path / "monitor.yaml").write_text("model: b.json\ndata: d.csv\nperiod: x\nextra:\n" + bomb)
    with pytest.raises(ConfigError, match="expands to more than"):
        load_monitor_config(tmp_path / "monitor.yaml")


# --------------------------------------------------------------------------- the tracking store
_RACE = """
import sys
from riskmodels.tracking.mlflow_log import prepare_store
import mlflow
uri = sys.argv[1]
prepare_store(uri)
mlflow.set_tracking_uri(uri)
with mlflow.start_run(experiment_id="0"):
    mlflow.log_metric("m", 1.0)
"""


def test_two_processes_on_a_fresh_sqlite_store(tmp_path):
    """Two ``compare`` runs starting together on a fresh sqlite store raced MLflow's schema
    migration (``_alembic_tmp_experiments already exists``) and could leave it unusable. The
    store is initialised under a file lock: both runs log, and the store opens afterwards."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}
    procs = [subprocess.Popen([sys.executable, "-c", _RACE, uri], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=300), p.stderr.read().decode()[-400:]) for p in procs]
    assert [code for code, _ in results] == [0, 0, 0], results
    import mlflow

    runs = mlflow.MlflowClient(uri).search_runs(["0"])
    assert len(runs) == 3


# --------------------------------------------------------------------------- signatures
def test_an_empty_key_in_the_environment_fails_closed(monkeypatch):
    """A secret that failed to mount (RISKMODELS_BUNDLE_KEY set but empty) turned the check off:
    a tampered, resealed, signed bundle scored. It is refused, as an empty key= argument is."""
    signed = scoring.sign(IDENTITY, "secret")
    tampered = scoring.seal({**{k: v for k, v in signed.items() if k != "sha256"},
                             "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.5, 0.9]}})
    for empty in ("", "  "):
        monkeypatch.setenv(scoring.KEY_VARIABLE, empty)
        for bundle in (tampered, signed, IDENTITY):
            with pytest.raises(scoring.BundleError, match="RISKMODELS_BUNDLE_KEY is set but empty"):
                scoring.load_scorer(bundle)
    monkeypatch.setenv(scoring.KEY_VARIABLE, "secret")
    assert scoring.load_scorer(signed).score({"pd": 0.1})["grade"] == "B"
    with pytest.raises(scoring.BundleError, match="does not match"):
        scoring.load_scorer(tampered)


def test_a_signed_bundle_without_a_key_is_refused_unless_asked(monkeypatch, tmp_path, capsys):
    """Decided: a signed bundle says its issuer wants it checked; with no key to check it, it is
    refused unless the caller says verify_signature=False (--no-verify-signature)."""
    monkeypatch.delenv(scoring.KEY_VARIABLE, raising=False)
    signed = scoring.sign(IDENTITY, "secret")
    with pytest.raises(scoring.BundleError, match="signed, and no key is set"):
        scoring.load_scorer(signed)
    assert scoring.load_scorer(signed, verify_signature=False).score({"pd": 0.1})["grade"] == "B"
    assert scoring.load_scorer(IDENTITY).score({"pd": 0.1})["grade"] == "B"  # unsigned: as before
    path = tmp_path / "signed.json"
    path.write_bytes(scoring.dumps_bundle(IDENTITY, key="secret"))
    pd.DataFrame({"pd": [0.005, 0.3]}).to_csv(tmp_path / "in.csv", index=False)
    status, err = cli(["score", path, tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--no-progress"], capsys)
    assert one_line_error(status, err) and "no key is set" in err and not (tmp_path / "out.csv").exists()
    status, _ = cli(["score", path, tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--no-progress",
                     "--no-verify-signature"], capsys)
    assert status == 0 and pd.read_csv(tmp_path / "out.csv")["grade"].tolist() == ["A", "D"]
    status, err = cli(["export-sql", path], capsys)
    assert one_line_error(status, err)
    assert cli(["export-sql", path, "--no-verify-signature"], capsys)[0] == 0


# --------------------------------------------------------------------------- the decision log
def test_log_ids_are_text_as_given(tmp_path, capsys):
    """``score --log --log-id firm_id`` read ids as numbers: "00017", "017" and "0017" all became
    "17.0", a 23-digit id 1.2345678901234568e+22, a blank id "None"."""
    b = _bundle(IDENTITY, tmp_path)
    (tmp_path / "in.csv").write_text("firm_id,pd\n00017,0.1\n017,0.2\n0017,0.3\n12345678901234567890123,0.4\n")
    log = tmp_path / "d.jsonl"
    assert cli(["score", b, tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--no-progress", "--log", log,
                "--log-id", "firm_id"], capsys)[0] == 0
    ids = [json.loads(line)["id"] for line in log.read_text().splitlines()]
    assert ids == ["00017", "017", "0017", "12345678901234567890123"]
    # a float id (a gap made the column float) is the scorer's label: 17.0 -> "17"
    scoring.Scorer(IDENTITY).score({"pd": [0.1, 0.2], "firm_id": [17.0, 18.5]}, log=log, log_id="firm_id")
    assert [json.loads(line)["id"] for line in log.read_text().splitlines()[-2:]] == ["17", "18.5"]
    (tmp_path / "blank.csv").write_text("firm_id,pd\nA1,0.1\n,0.2\n")
    before = log.read_text()
    status, err = cli(["score", b, tmp_path / "blank.csv", "-o", tmp_path / "out2.csv", "--no-progress",
                       "--log", log, "--log-id", "firm_id"], capsys)
    assert one_line_error(status, err) and "firm_id" in err and "[1]" in err
    assert log.read_text() == before and not (tmp_path / "out2.csv").exists()
    status, err = cli(["score", b, tmp_path / "blank.csv", "-o", tmp_path / "out2.csv", "--no-progress",
                       "--log", log, "--log-id", "firm_id", "--chunksize", "1"], capsys)
    assert one_line_error(status, err) and "[1]" in err  # the file's row, not the chunk's


def test_an_unwritable_log_publishes_nothing(tmp_path, capsys):
    """``score --log`` into an unwritable place published the output, then exited 2 naming the
    output; the decisions had no log lines. The log is checked first: nothing is published."""
    b = _bundle(IDENTITY, tmp_path)
    pd.DataFrame({"pd": [0.1, 0.2]}).to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "out.csv").write_text("previous\n")
    for log in (tmp_path / "no" / "d.jsonl", tmp_path):
        status, err = cli(["score", b, tmp_path / "in.csv", "-o", tmp_path / "out.csv", "--no-progress",
                           "--overwrite", "--log", log], capsys)
        assert one_line_error(status, err) and str(log) in err and "out.csv" not in err, err
        assert (tmp_path / "out.csv").read_text() == "previous\n"


_WRITER = """
import sys
from riskmodels.export.batch import score_file
bundle, log, tag, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
for run in range(runs):
    score_file(bundle, sys.argv[5], f"{sys.argv[5]}.{tag}.csv", log=log, log_id="id", progress=False,
               overwrite=True)
"""


def test_many_writers_append_whole_lines(tmp_path):
    """Three batch runs append their logs to one file at once: every line is whole (before, a
    run's lines were copied in 64 KiB blocks that another run's blocks could split)."""
    b = _bundle(IDENTITY, tmp_path)
    log = tmp_path / "d.jsonl"
    n = 20_000
    pd.DataFrame({"id": [f"r{i}" for i in range(n)], "pd": np.linspace(0.0, 1.0, n)}).to_csv(
        tmp_path / "in.csv", index=False)
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(b), str(log), tag, "4", str(tmp_path / "in.csv")],
                              stderr=subprocess.PIPE) for tag in "abc"]
    assert [p.wait(timeout=600) for p in procs] == [0, 0, 0], [p.stderr.read()[-500:] for p in procs]
    lines = log.read_text().splitlines()
    assert len(lines) == 3 * 4 * n
    assert all(line.startswith("{") and line.endswith("}") for line in lines)
    log_read = read_decision_log(log)
    assert (len(log_read), log_read.dropped) == (len(lines), 0)


def test_a_writer_waits_for_the_log_lock(tmp_path):
    """The log's protocol: a writer appends under an exclusive ``flock`` on the log file. While
    another holder has it, a ``score --log`` run appends nothing; once it is let go, its lines
    land whole (before, nothing was locked: blocks of two runs could interleave)."""
    import fcntl

    b = _bundle(IDENTITY, tmp_path)
    log = tmp_path / "d.jsonl"
    log.write_text("")
    pd.DataFrame({"id": [f"r{i}" for i in range(500)], "pd": np.linspace(0, 1, 500)}).to_csv(
        tmp_path / "in.csv", index=False)
    code = ("import sys; from riskmodels.cli import main; print('ready', flush=True); "
            "sys.exit(main(sys.argv[1:]))")
    with open(log, "ab") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        proc = subprocess.Popen([sys.executable, "-c", code, "score", str(b), str(tmp_path / "in.csv"), "-o",
                                 str(tmp_path / "out.csv"), "--no-progress", "--log", str(log), "--log-id", "id"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(4)  # 500 rows score in well under a second: the run is waiting for the lock
        assert log.stat().st_size == 0 and proc.poll() is None
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert len(read_decision_log(log)) == 500


def test_usage_errors_are_one_line_too(capsys):
    """argparse printed its usage and the message on two lines."""
    with pytest.raises(SystemExit) as info:
        main(["monitor", "b.json", "d.csv", "--horizon-months", "twelve"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("riskmodels: error: argument --horizon-months: invalid int value")


def test_an_unexpected_error_is_one_line_or_on_request_its_traceback(monkeypatch, capsys):
    """A bug (not a RiskModelsError) reads as one line naming the switch; with the switch set
    the traceback reaches the bug report. Status 2 either way (1 is only monitor's red)."""
    import riskmodels.cli as cli

    def broken(args):
        raise ZeroDivisionError("division by zero in a helper")

    monkeypatch.setattr(cli, "_cmd_data", broken)
    monkeypatch.delenv(cli.TRACEBACK_SWITCH, raising=False)
    status, err = cli.main(["data"]), capsys.readouterr().err
    assert one_line_error(status, err) and "ZeroDivisionError: division by zero in a helper" in err
    assert f"{cli.TRACEBACK_SWITCH}=1" in err
    monkeypatch.setenv(cli.TRACEBACK_SWITCH, "1")
    status, err = cli.main(["data"]), capsys.readouterr().err
    assert status == 2 and err.startswith("Traceback (most recent call last)") and "in broken" in err
