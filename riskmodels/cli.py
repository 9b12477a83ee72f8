"""The ``riskmodels`` command line.

Sub-commands::

    riskmodels data                      list the bundled data sets (checksums verified)
    riskmodels compare CONFIG.yaml       fit, calibrate, validate and log every model
    riskmodels runs compare RUN_A RUN_B  what changed between two comparison runs
    riskmodels score BUNDLE INPUT -o OUT batch-score a CSV/Parquet file with a bundle

Errors the toolkit raises on purpose (:class:`~riskmodels.errors.RiskModelsError`)
print as one clear message and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

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
    print(synthetic.make_portfolio(n_firms=500, n_years=3).summary().splitlines()[0])


def _cmd_compare(args) -> int:
    from riskmodels.comparison import compare

    result = compare(args.config, progress=not args.quiet, output_dir=args.output_dir)
    print(result.summary())
    print(f"\nHTML report: {result.report_path}")
    if result.run_id:
        from riskmodels.tracking import tracking_uri

        uri = tracking_uri(result.config.tracking.uri)
        print(f"MLflow parent run: {result.run_id} (experiment {result.config.tracking.experiment!r})")
        print(f"Open it with: mlflow ui --backend-store-uri {uri}")
    if result.failed:
        print(f"\n{len(result.failed)} model(s) failed: {', '.join(result.failed)}", file=sys.stderr)
        for name, error in result.failed.items():
            print(f"--- {name}\n{error.strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    return 0


def _cmd_runs_compare(args) -> int:
    from riskmodels.tracking import diff_runs

    print(diff_runs(args.run_a, args.run_b, tracking_uri=args.tracking_uri).summary())
    return 0


def _cmd_score(args) -> int:
    from riskmodels.export.batch import score_file

    done = score_file(args.bundle, args.input, args.output, chunksize=args.chunksize,
                      on_error=args.on_error, keep_columns=args.keep_columns,
                      progress=not args.no_progress)
    print(f"scored {done['rows']} row(s) into {args.output}"
          + (f"; {done['errors']} row(s) with broken input rules (see the error column)"
             if done["errors"] else ""))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(prog="riskmodels", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("data", help="list the bundled data sets")
    p.set_defaults(func=_cmd_data)

    p = sub.add_parser("compare", help="fit, calibrate, validate and log every model of a config")
    p.add_argument("config", help="experiment YAML, e.g. experiments/synthetic_enterprise.yaml")
    p.add_argument("--output-dir", default=None, help="where the HTML report goes (default: config)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=_cmd_compare)

    runs = sub.add_parser("runs", help="inspect comparison runs in MLflow")
    runs_sub = runs.add_subparsers(dest="runs_command", required=True)
    p = runs_sub.add_parser("compare", help="what changed between two comparison runs")
    p.add_argument("run_a")
    p.add_argument("run_b")
    p.add_argument("--tracking-uri", default=None, help="default: MLFLOW_TRACKING_URI or sqlite:///mlflow.db")
    p.set_defaults(func=_cmd_runs_compare)

    p = sub.add_parser("score", help="batch-score a CSV/Parquet file with a scorer bundle")
    p.add_argument("bundle", help="the scorer bundle (JSON)")
    p.add_argument("input", help="records to score: .csv or .parquet")
    p.add_argument("-o", "--output", required=True, help="where to write the scores: .csv or .parquet")
    p.add_argument("--chunksize", type=int, default=100_000, help="rows per chunk (default 100000)")
    p.add_argument("--on-error", choices=("raise", "report"), default="raise",
                   help="stop at the first bad row (raise) or score the rest and add an error column")
    p.add_argument("--keep-columns", action="store_true", help="write the input columns too")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_score)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``riskmodels`` script; returns the exit status."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # no network at run time
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # our own progress lines say enough
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RiskModelsError as exc:
        print(f"riskmodels: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
