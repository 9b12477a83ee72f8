"""The ``riskmodels`` command line.

Sub-commands::

    riskmodels demo                      the main job: `data`, then `compare synthetic_enterprise`
    riskmodels data                      list the bundled data sets (checksums verified)
    riskmodels init DATA.csv             propose an experiment YAML for your own data
                                         (--target COL, -o experiment.yaml)
    riskmodels experiments               list the shipped experiment configs
    riskmodels experiments show NAME     print one shipped config
    riskmodels compare NAME_OR_PATH      fit, calibrate, validate and log every model
    riskmodels runs compare RUN_A RUN_B  what changed between two comparison runs (B − A)
    riskmodels runs list [EXPERIMENT]    recent comparison runs with each model's AUC
    riskmodels score BUNDLE INPUT -o OUT batch-score a CSV/Parquet file with a bundle
                                         (--overwrite to replace OUT)
    riskmodels export-sql BUNDLE         the bundle as one SQL statement (--dialect, --table, -o)
    riskmodels export-pmml BUNDLE -o F   the bundle as a PMML 4.4 Scorecard (reason codes, PD, grade)
    riskmodels provisions INVOICES.csv   the provision matrix and allowance on --as-of (IFRS 9),
                                         and its movement since --from
    riskmodels export-scorer BUNDLE DIR  scoring.py + the bundle + a usage example, for production
    riskmodels monitor BUNDLE DATA       monitor a period (exit 1 when the verdict is red)
    riskmodels monitor CONFIG.yaml       the same, described in a YAML file

Every error prints as one line (``riskmodels: error: ...``) and exits with status 2 — the
toolkit's own (:class:`~riskmodels.errors.RiskModelsError`) as they read, a command that
needs an optional extra that is not installed naming the extra, anything else with its
type — so a scheduler tells a failed run from ``monitor``'s status 1, which only ever
means a red verdict. A closed output pipe also ends with status 2, quietly. An unexpected
error (a bug, not a RiskModelsError) prints its traceback instead when the environment sets
``RISKMODELS_TRACEBACK=1``, for the bug report; the status stays 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback

from riskmodels._collector import use_batch_thresholds
from riskmodels.errors import RiskModelsError


def _cmd_data(args) -> int:
    from riskmodels.data import loaders

    sets = {
        "taiwan": loaders.load_taiwan,
        "german": loaders.load_german,
        "south_german": loaders.load_south_german,
        "ibm_ar": loaders.load_ibm_ar,
        "polish (year 5)": loaders.load_polish,
    }
    print(f"{'data set':<18}{'rows':>8}{'cols':>6}{'default rate':>14}")
    for name, load in sets.items():
        df = load()
        rate = f"{df['target'].mean():.2%}" if "target" in df.columns else "n/a"
        print(f"{name:<18}{len(df):>8}{df.shape[1]:>6}{rate:>14}")
    print(f"checksums verified against {loaders.data_dir() / 'SHA256SUMS'}")
    _show_payment_history()
    return 0


def _show_payment_history() -> None:
    """Payment-history features and default flags on the bundled ledger, Taiwan and a synthetic book."""
    from riskmodels.data import features, ledger, synthetic

    dates = ["2012-12-31", "2013-06-30"]
    panel = features.build_panel(ledger.ibm_ar_ledger(), dates,
                                 definition=features.DefaultDefinition(dpd_threshold=30))
    print(f"\nIBM receivables ledger -> {len(panel)} customer-periods at {', '.join(dates)}: "
          f"mean on-time share {panel['on_time_share'].mean():.2%}, mean days late "
          f"{panel['avg_days_late'].mean():.1f}, default (30+ DPD in 12 months) "
          f"{panel['default'].mean():.2%}")
    taiwan = features.taiwan_features()
    print(f"Taiwan repayment statuses -> {taiwan.shape[1] - 2} payment features for {len(taiwan)} "
          f"clients (dpd_max_6m > 0 for {(taiwan['dpd_max_6m'] > 0).mean():.2%})")
    print(synthetic.make_portfolio(n_firms=500, n_years=3).summary().title)


def _cmd_experiments(args) -> int:
    from riskmodels.comparison.config import shipped_experiments
    from riskmodels.fileio import load_yaml

    if args.action == "show":
        from riskmodels.errors import ConfigError

        shipped = shipped_experiments()
        name = (args.name or "").removesuffix(".yaml")
        if name not in shipped:
            raise ConfigError(f"no shipped experiment {args.name!r} (shipped: {', '.join(shipped)})")
        print(shipped[name].read_text(encoding="utf-8"), end="")
        return 0
    if args.name is not None:
        from riskmodels.errors import ConfigError

        raise ConfigError(f"unexpected {args.name!r}: use `riskmodels experiments show NAME`")
    for name, path in shipped_experiments().items():
        raw = load_yaml(path.read_text(encoding="utf-8")) or {}
        models = ", ".join(m.get("name", "?") for m in raw.get("models", []))
        print(f"{name:<22} data: {raw.get('data', {}).get('source', '?'):<10} models: {models}")
    print("\nrun one with `riskmodels compare NAME`, read one with `riskmodels experiments show NAME`;"
          "\n`riskmodels init DATA.csv` writes a config for your own data")
    return 0


def _cmd_init(args) -> int:
    from riskmodels.comparison.proposal import write_proposal

    codes = None if args.default_value is None else [int(v) if v.lstrip("-").isdigit() else v
                                                     for v in args.default_value]
    p = write_proposal(args.data, args.output, target=args.target, overwrite=args.overwrite,
                       default_values=codes)
    print(f"{p.path}: {p.n_rows} rows, separator {p.sep!r}; target {p.target!r}"
          f" ({p.default_rate:.2%} defaults)")
    print(f"  id columns: {p.id_columns or 'none'}; date columns: {p.date_columns or 'none'}")
    print(f"  categorical: {p.categorical or 'none'}")
    print(f"  models: {', '.join(m['name'] for m in p.models)}")
    for kind, lacking in p.not_proposed.items():
        print(f"  not proposed: {kind} (the file lacks {', '.join(map(str, lacking))})")
    for note in p.notes:
        print(f"  note: {note}")
    print(f"wrote {args.output}; run it with: riskmodels compare {args.output}")
    return 0


def _parse_set(items: list[str]) -> dict:
    """``--set data.params.n_firms=300`` → ``{"data.params.n_firms": 300}`` (values read as YAML)."""
    import yaml

    from riskmodels.errors import ConfigError
    from riskmodels.fileio import load_yaml

    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key] = load_yaml(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {key}: value is not valid YAML: {exc}") from None
    return out


def _cmd_compare(args) -> int:
    from riskmodels.comparison import compare
    from riskmodels.comparison.config import load_config

    cfg = load_config(args.config, _parse_set(args.set))
    result = compare(cfg, progress=not args.quiet, output_dir=args.output_dir)
    print(result.summary())
    print(f"\nHTML report: {result.report_path}")
    if result.run_id:
        from riskmodels.tracking import tracking_uri

        uri = tracking_uri(result.config.tracking.uri)
        print(f"MLflow parent run: {result.run_id} (experiment {result.config.tracking.experiment!r})")
        print(f"Open it with: {mlflow_command()} ui --backend-store-uri {uri}")
    if result.scorer_paths:
        folder = next(iter(result.scorer_paths.values())).parent
        print(f"Scorer bundles: {folder}/ ({', '.join(p.name for p in result.scorer_paths.values())}); "
              f"e.g. riskmodels monitor {next(iter(result.scorer_paths.values()))} NEW_DATA.csv")
    if result.failed:
        print(f"\n{len(result.failed)} model(s) failed: {', '.join(result.failed)}", file=sys.stderr)
        for name, error in result.failed.items():
            print(f"--- {name}\n{error.strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    return 0


def mlflow_command() -> str:
    """How to call the mlflow script installed beside this Python (``.venv/bin/mlflow`` in a
    checkout's environment), relative to the working folder when it is under it."""
    from pathlib import Path

    script = Path(sys.executable).parent / "mlflow"
    if not script.exists():
        return "mlflow"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def _cmd_demo(args) -> int:
    _cmd_data(args)
    print()
    args.config, args.set = "synthetic_enterprise", args.set or []
    return _cmd_compare(args)


def _cmd_export_scorer(args) -> int:
    from riskmodels.export.standalone import export_scorer

    written = export_scorer(args.bundle, args.folder, overwrite=args.overwrite,
                            verify_signature=not args.no_verify_signature)
    for path in written:
        print(f"wrote {path}")
    return 0


def _cmd_export_sql(args) -> int:
    from riskmodels.export.sql import to_sql
    from riskmodels.fileio import write_atomic

    sql = to_sql(args.bundle, dialect=args.dialect, table=args.table,
                 keep=args.keep.split(",") if args.keep else None,
                 absent=args.absent.split(",") if args.absent else None,
                 verify_signature=not args.no_verify_signature)
    if args.output:
        write_atomic(args.output, sql + "\n")
        print(f"wrote the {args.dialect} SELECT over table {args.table!r} to {args.output}",
              file=sys.stderr)
    else:
        print(sql)
    return 0


def _cmd_provisions(args) -> int:
    from riskmodels.provisions import provision_matrix
    from riskmodels.provisions.config import read_ledger

    ledger = read_ledger(args.invoices, args.payments, args.write_offs)
    buckets = tuple(int(b) for b in args.buckets.split(","))
    options = {"buckets": buckets, "method": args.method, "forward_looking": args.forward_looking,
               "history": tuple(args.history) if args.history else None}
    if args.start:
        from riskmodels.provisions import allowance_movement

        movement = allowance_movement(ledger, args.start, args.as_of, freq=args.freq, **options)
        print(movement.matrices[-1].summary())
        print()
        print(movement.summary())
        return 0
    print(provision_matrix(ledger, args.as_of, **options).summary())
    return 0


def _cmd_export_pmml(args) -> int:
    from riskmodels.export.pmml import to_pmml

    to_pmml(args.bundle, args.output, version=args.pmml_version,
            verify_signature=not args.no_verify_signature)
    print(f"wrote PMML {args.pmml_version} to {args.output}", file=sys.stderr)
    return 0


def _cmd_runs_compare(args) -> int:
    from riskmodels.tracking import diff_runs

    return _print_or_pipe_error(diff_runs(args.run_a, args.run_b, tracking_uri=args.tracking_uri).summary())


def _cmd_runs_list(args) -> int:
    from riskmodels.tracking import list_runs

    runs = list_runs(args.experiment, tracking_uri=args.tracking_uri, limit=args.limit)
    if not len(runs):
        return _print_or_pipe_error(f"no comparison runs in experiment {args.experiment!r}")
    return _print_or_pipe_error(runs.to_string(index=False, float_format=lambda v: f"{v:.4f}", na_rep="–"))


def _print_or_pipe_error(text) -> int:
    """Print; a reader that closed the pipe (``| head``) ends the command with one line and status 2."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        return _pipe_closed()
    return 0


def _pipe_closed() -> int:
    """The reader closed the pipe: say so in one line, status 2, and no second error at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    print("riskmodels: error: the output pipe was closed before everything was written", file=sys.stderr)
    return 2


def _cmd_score(args) -> int:
    release = _watch_sigterm()  # before the imports: the threads they start inherit the mask
    try:
        from riskmodels.export.batch import score_file

        done = score_file(args.bundle, args.input, args.output, chunksize=args.chunksize,
                          on_error=args.on_error, keep_columns=args.keep_columns,
                          progress=not args.no_progress, overwrite=args.overwrite,
                          log=args.log, log_id=args.log_id,
                          verify_signature=not args.no_verify_signature)
    finally:
        release()
    print(f"scored {done['rows']} row(s) into {args.output} (read {done['rows_read']}, "
          f"wrote {done['rows_written']})"
          + (f"; {done['errors']} row(s) with broken input rules (see the error column)"
             if done["errors"] else "")
          + (f"; {done['warnings']} row(s) unlike the development sample, scored (see the warnings column)"
             if done["warnings"] else ""))
    return 0


def _watch_sigterm():
    """On SIGTERM (kill, a stopped container) remove the run's partial and lock files and end.

    SIGTERM is blocked in this thread and in every thread started later (numpy, pyarrow) and
    taken by a watcher thread with ``sigwait``: a Python signal handler would run only when
    the main thread wakes up, and a run blocked reading a pipe may never wake up. Returns the
    function that stops the watcher and restores the signal mask.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "sigwait"):
        return lambda: None
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    finished = threading.Event()

    def watch():
        signal.sigwait({signal.SIGTERM})
        if finished.is_set():
            return
        from riskmodels.export.batch import abandon

        abandon()
        print("riskmodels: error: stopped by SIGTERM; the output was not changed", file=sys.stderr)
        sys.stderr.flush()
        os._exit(128 + signal.SIGTERM)

    watcher = threading.Thread(target=watch, name="riskmodels-sigterm", daemon=True)
    watcher.start()

    def release():
        finished.set()
        signal.pthread_kill(watcher.ident, signal.SIGTERM)
        watcher.join()
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    return release


_MONITOR_OPTIONS = ("outcomes", "previous", "id_column", "final_grade_column", "period", "as_of", "thresholds",
                    "json", "html", "tracking_uri", "ledger", "ledger_payments", "ledger_write_offs",
                    "allowance_from", "allowance_freq")


def _cmd_monitor(args) -> int:
    from pathlib import Path

    from riskmodels.errors import ConfigError, FileError
    from riskmodels.monitoring import monitor
    from riskmodels.monitoring.config import load_monitor_config

    if args.data is None:
        if not args.model.lower().endswith((".yaml", ".yml")):
            raise ConfigError("monitor needs DATA after the model, or a single CONFIG.yaml", source=args.model)
        given = [f"--{k.replace('_', '-')}" for k in _MONITOR_OPTIONS if getattr(args, k) is not None]
        given += ["--mlflow"] * args.mlflow + ["--horizon-months"] * (args.horizon_months != 12)
        if given:
            raise ConfigError(f"{', '.join(given)} given with a config file: set them in the config",
                              source=args.model)
        cfg = load_monitor_config(args.model)
        report = monitor(cfg.model, cfg.data, cfg.outcomes, previous=cfg.previous,
                         period=None if cfg.period is None else str(cfg.period), as_of=cfg.as_of,
                         id_column=cfg.id_column, horizon_months=cfg.horizon_months,
                         final_grade_column=cfg.final_grade_column, thresholds=cfg.thresholds,
                         mlflow=cfg.mlflow.enabled, tracking_uri=cfg.mlflow.tracking_uri,
                         experiment=cfg.mlflow.experiment, verify_signature=not args.no_verify_signature,
                         **cfg.allowance_options())
        outputs = cfg.report_paths(report.period)
        if outputs:
            try:
                Path(cfg.output.folder).mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise FileError(f"cannot create the report folder {cfg.output.folder}: "
                                f"{exc.strerror or exc}") from None
    else:
        thresholds = _thresholds_file(args.thresholds) if args.thresholds else None
        outputs = {kind: path for kind, path in (("json", args.json), ("html", args.html)) if path}
        _check_outputs(outputs.values())
        report = monitor(args.model, args.data, args.outcomes, previous=args.previous, period=args.period,
                         as_of=args.as_of, id_column=args.id_column, horizon_months=args.horizon_months,
                         final_grade_column=args.final_grade_column, thresholds=thresholds,
                         mlflow=args.mlflow, tracking_uri=args.tracking_uri,
                         verify_signature=not args.no_verify_signature, **_monitor_allowance(args))
    print(report.summary())
    if "json" in outputs:
        report.to_json(outputs["json"])
        print(f"\nJSON summary: {outputs['json']}")
    if "html" in outputs:
        report.to_html(outputs["html"])
        print(f"HTML report: {outputs['html']}")
    if report.run_id:
        print(f"MLflow run: {report.run_id}")
    return 1 if report.status == "red" else 0


def _monitor_allowance(args) -> dict:
    """``ledger`` and ``allowance`` for :func:`monitor` from ``--ledger`` and its options."""
    if args.ledger is None:
        extra = [f"--{k.replace('_', '-')}" for k in ("ledger_payments", "ledger_write_offs", "allowance_from",
                                                       "allowance_freq") if getattr(args, k) is not None]
        if extra:
            from riskmodels.errors import ConfigError

            raise ConfigError(f"{', '.join(extra)} given without --ledger")
        return {}
    from riskmodels.provisions.config import read_ledger

    return {"ledger": read_ledger(args.ledger, args.ledger_payments, args.ledger_write_offs),
            "allowance": {"start": args.allowance_from, "freq": args.allowance_freq or "month"}}


def _thresholds_file(path: str) -> dict:
    """The ``--thresholds`` YAML: a mapping of (amber, red) pairs, checked before any work."""
    import yaml

    from riskmodels.errors import ConfigError
    from riskmodels.fileio import check_expanded_size, load_yaml
    from riskmodels.monitoring import Thresholds

    try:
        with open(path, encoding="utf-8") as handle:
            raw = load_yaml(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read the thresholds file: {exc.strerror or exc}", source=path) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid YAML: {' '.join(str(exc).split())}", source=path) from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError("the thresholds file must be a mapping, e.g. 'psi: [0.1, 0.25]'", source=path)
    check_expanded_size(raw, path)
    try:
        Thresholds.from_dict(raw)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise ConfigError(str(exc), source=path) from None
        raise ConfigError(f"thresholds are numbers: {exc}", source=path) from None
    return raw


def _check_outputs(paths) -> None:
    """Refuse, before any work, a report path whose folder is missing or that is a folder."""
    from pathlib import Path

    from riskmodels.errors import FileError

    for path in map(Path, paths):
        if path.is_dir():
            raise FileError(f"cannot write {path}: it is a folder; give a file name")
        if not path.parent.is_dir():
            raise FileError(f"cannot write {path}: the folder {path.parent} does not exist")


class _Parser(argparse.ArgumentParser):
    """argparse with its usage errors in one line and status 2, as every other error (the
    sub-command parsers are of this class too)."""

    def error(self, message):
        self.exit(2, f"riskmodels: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = _Parser(prog="riskmodels", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="the main job: the bundled data, then the synthetic comparison")
    _compare_options(p)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("data", help="list the bundled data sets")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("experiments", help="list the shipped experiment configs, or show one")
    p.add_argument("action", nargs="?", choices=("show",), help="`show NAME` prints a shipped config")
    p.add_argument("name", nargs="?", default=None, help="the shipped experiment to show")
    p.set_defaults(func=_cmd_experiments)

    p = sub.add_parser("init", help="propose an experiment YAML for your own data file (target, "
                                    "ids, dates, categorical columns, the models that fit)")
    p.add_argument("data", help="your data: .csv (separator sniffed; UTF-8, or GBK as Excel saves it "
                   "in Chinese) or .parquet, one row per loan/firm")
    p.add_argument("--target", default=None, help="the 0/1 default column (default: the one 0/1 column)")
    p.add_argument("--default-value", action="append", metavar="VALUE",
                   help="a value of --target meaning default where it is not 1 (repeatable): 0 for a "
                        "flag of good loans, 2 for 1 = good / 2 = bad, a text such as bad")
    p.add_argument("-o", "--output", default="experiment.yaml", help="where to write the YAML "
                                                                    "(default experiment.yaml)")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("compare", help="fit, calibrate, validate and log every model of a config")
    p.add_argument("config", help="a shipped experiment's name (see `riskmodels experiments`) "
                                  "or the path of an experiment YAML")
    _compare_options(p)
    p.set_defaults(func=_cmd_compare)

    runs = sub.add_parser("runs", help="inspect comparison runs in MLflow")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True)
    p = runs_sub.add_parser("compare", help="what changed between two comparison runs")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--tracking-uri", default=None, help="default: MLFLOW_TRACKING_URI or sqlite:///mlflow.db")
    p.set_defaults(func=_cmd_runs_compare)
    p = runs_sub.add_parser("list", help="recent comparison runs: ids, names, dates, each model's AUC")
    p.add_argument("experiment", nargs="?", default="riskmodels", help="MLflow experiment (default riskmodels)")
    p.add_argument("--limit", type=int, default=20, help="how many runs, newest first (default 20)")
    p.add_argument("--tracking-uri", default=None, help="default: MLFLOW_TRACKING_URI or sqlite:///mlflow.db")
    p.set_defaults(func=_cmd_runs_list)

    p = sub.add_parser("score", help="batch-score a CSV/Parquet file with a scorer bundle")
    p.add_argument("bundle", help="the scorer bundle (JSON)")
    p.add_argument("input", help="records to score: .csv or .parquet")
    p.add_argument("-o", "--output", required=True, help="where to write the scores: .csv or .parquet")
    p.add_argument("--chunksize", type=int, default=100_000, help="rows per chunk (default 100000)")
    p.add_argument("--on-error", choices=("raise", "report"), default="raise",
                   help="stop at the first bad row (raise) or score the rest and add an error column")
    p.add_argument("--keep-columns", action="store_true", help="write the input columns too")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--log", default=None, help="append one JSON line per scored row to this decision log")
    p.add_argument("--log-id", default=None, help="input column written as the log's record id")
    p.add_argument("--overwrite", action="store_true", help="replace OUTPUT if it exists")
    _signature_option(p)
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("export-sql", help="the bundle as one SQL SELECT (duckdb, sqlite, "
                                          "postgres, spark) returning what the scorer returns")
    p.add_argument("bundle", help="the scorer bundle (JSON)")
    p.add_argument("--dialect", choices=("duckdb", "sqlite", "postgres", "spark"), default="duckdb")
    p.add_argument("--table", default="t", help="table or view with one row per record (default t)")
    p.add_argument("--keep", default=None, help="comma-separated input columns to return first "
                                                "(default: the bundle's inputs)")
    p.add_argument("-o", "--output", default=None, help="write the SQL here (default: stdout)")
    p.add_argument("--absent", default=None, help="comma-separated optional inputs the table "
                   "has no column for (read as NULL)")
    _signature_option(p)
    p.set_defaults(func=_cmd_export_sql)

    p = sub.add_parser("provisions", help="the provision matrix (loss rates per days-past-due bucket) "
                                          "and the allowance of a receivables ledger on a date")
    p.add_argument("invoices", help="invoices CSV (customer_id, invoice_id, issue_date, due_date, amount)")
    p.add_argument("--payments", default=None, help="payments CSV (invoice_id, payment_date, amount)")
    p.add_argument("--write-offs", default=None, help="write-offs CSV (customer_id, write_off_date, "
                                                      "amount, reason, invoice_id)")
    p.add_argument("--as-of", required=True, help="the reporting date")
    p.add_argument("--method", choices=("cohort", "roll_rate"), default="cohort")
    p.add_argument("--history", nargs=2, metavar=("START", "END"), default=None,
                   help="issue dates of the invoices whose outcomes give the rates "
                        "(default: two years to one year before --as-of)")
    p.add_argument("--buckets", default="0,30,60,90", help="days-past-due edges (default 0,30,60,90)")
    p.add_argument("--forward-looking", type=float, default=1.0, help="multiplier of the historical rates")
    p.add_argument("--from", dest="start", default=None, help="also reconcile the allowance from this "
                   "date to --as-of (opening, new invoices, paid, written off, ageing, loss rates, closing)")
    p.add_argument("--freq", choices=("month", "quarter", "year"), default=None,
                   help="with --from: one reconciliation per month, quarter or year")
    p.set_defaults(func=_cmd_provisions)

    p = sub.add_parser("export-pmml", help="the bundle as a PMML Scorecard (points, reason codes, "
                                           "PD, grade, limit) for Java engines and SAS")
    p.add_argument("bundle", help="the scorer bundle (JSON)")
    p.add_argument("-o", "--output", required=True, help="the PMML file to write")
    p.add_argument("--pmml-version", choices=("4.4", "4.2"), default="4.4",
                   help="PMML version (4.2 for older readers; see the README)")
    p.add_argument("--no-verify-signature", action="store_true",
                   help="accept a signed bundle without RISKMODELS_BUNDLE_KEY set (its sha256 is still checked)")
    p.set_defaults(func=_cmd_export_pmml)

    p = sub.add_parser("export-scorer", help="write scoring.py, the bundle and a usage example "
                                             "into a folder, for production code (numpy only)")
    p.add_argument("bundle", help="the scorer bundle (JSON)")
    p.add_argument("folder", help="the folder to write into (created if missing)")
    p.add_argument("--overwrite", action="store_true", help="replace files already there")
    _signature_option(p)
    p.set_defaults(func=_cmd_export_scorer)

    p = sub.add_parser("monitor", help="monitor a period of an adopted scorer (exit 1 when red)")
    p.add_argument("model", help="scorer bundle (JSON), an MLflow registry URI models:/NAME/VERSION, "
                                 "or a monitor CONFIG.yaml (then no other argument)")
    p.add_argument("data", nargs="?", default=None,
                   help="the period's records: .csv/.parquet, or a decision log (.jsonl)")
    p.add_argument("--outcomes", default=None, help="outcomes .csv/.parquet: id, default_date or default, "
                   "observation_date")
    p.add_argument("--previous", default=None, help="the previous period's records (for migration)")
    p.add_argument("--id-column", default=None, help="record id column (a decision log has its own ids)")
    p.add_argument("--final-grade-column", default=None, help="column with the final (human) grade")
    p.add_argument("--period", default=None, help="label of the period, e.g. 2026-03")
    p.add_argument("--as-of", default=None, help="date the outcomes are known to (default: their latest)")
    p.add_argument("--horizon-months", type=int, default=12, help="outcome horizon (default 12)")
    p.add_argument("--thresholds", default=None, help="YAML of (amber, red) pairs, e.g. 'psi: [0.1, 0.25]'")
    p.add_argument("--json", default=None, help="write the JSON summary here")
    p.add_argument("--html", default=None, help="write the self-contained HTML report here")
    p.add_argument("--mlflow", action="store_true", help="log the period as one MLflow run")
    p.add_argument("--tracking-uri", default=None, help="default: MLFLOW_TRACKING_URI or sqlite:///mlflow.db")
    p.add_argument("--ledger", default=None, help="receivables invoices CSV (or ibm_accounts_receivable): "
                   "the report then shows the allowance per period and its movement")
    p.add_argument("--ledger-payments", default=None, help="the ledger's payments CSV")
    p.add_argument("--ledger-write-offs", default=None, help="the ledger's write-offs CSV")
    p.add_argument("--allowance-from", default=None, help="first opening date of the allowance view "
                   "(default: 12 months before --as-of, else the ledger's last date)")
    p.add_argument("--allowance-freq", choices=("month", "quarter", "year"), default=None,
                   help="periods of the allowance view (default month)")
    _signature_option(p)
    p.set_defaults(func=_cmd_monitor)
    return parser


def _signature_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-verify-signature", action="store_true",
                   help="load a signed bundle unchecked when no key is set (RISKMODELS_BUNDLE_KEY); "
                        "without it such a bundle is refused")


def _compare_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--output-dir", default=None, help="where the HTML report goes (default: config)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key before validation, e.g. "
                        "--set data.params.n_firms=300 (repeatable; values read as YAML)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``riskmodels`` script; returns the exit status."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no network at run time
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # our own progress lines say enough
    use_batch_thresholds()  # a command imports much and keeps it: fewer garbage collections over it
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say to it
        return _pipe_closed()
    except KeyboardInterrupt:
        print("riskmodels: error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line and status 2, never a traceback that reads as "red"
        extra = EXTRAS.get((exc.name or "").split(".")[0]) if isinstance(exc, ModuleNotFoundError) else None
        if extra is not None:
            print(f"riskmodels: error: `riskmodels {args.command}` needs the '{extra}' extra here "
                  f"(module {exc.name} is not installed): pip install 'riskmodels[{extra}]'", file=sys.stderr)
        elif isinstance(exc, RiskModelsError):
            print(f"riskmodels: error: {_one_line(exc)}", file=sys.stderr)
        elif os.environ.get(TRACEBACK_SWITCH):  # a bug: its traceback for the report, on request
            traceback.print_exc()
        else:
            print(f"riskmodels: error: {_one_line(exc)} (unexpected: {TRACEBACK_SWITCH}=1 prints the "
                  "traceback for a bug report)", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    """An error as one line: the toolkit's own as they read, anything else with its type."""
    text = " ".join(str(exc).split())
    return text if isinstance(exc, RiskModelsError) else f"{type(exc).__name__}: {text or 'no message'}"


#: environment variable that makes an unexpected error (not a RiskModelsError) print its traceback
TRACEBACK_SWITCH = "RISKMODELS_TRACEBACK"

#: optional modules -> the extra of pyproject.toml that installs them
EXTRAS = {"sqlglot": "sql", "duckdb": "sql", "pyspark": "spark", "pyarrow": "spark", "dask": "spark",
          "jupytext": "notebooks", "nbclient": "notebooks"}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
