"""``riskmodels score`` (:func:`riskmodels.export.batch.score_file`) against plain pandas.

A 1,000,000-row, 41-column CSV of synthetic-enterprise firm-years (the logistic
scorecard of the shipped config needs 7 of the columns, the expert card 33 of them),
scored into a CSV, measured in the same run (best of ``REPEAT``, ours and the peer in
turns; the machine is shared, so the ratios are what counts):

- ours: ``score_file(bundle, input, output)`` -- chunked read, input rules, scores, a
  locked temporary file renamed onto the output once its rows are counted;
- the peer: plain pandas giving the same bytes, ``read_csv(usecols=the bundle's inputs)``
  of the whole file, :func:`~riskmodels.export.frames.score_frame`, ``to_csv``;
- peak memory of ours (a child process's maximum resident set) against the CSV's size.

Targets (issue 35): time <= 0.8x the peer, memory <= 0.5x the CSV.
Written into a temporary folder only.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

N = 1_000_000
WIDTH = 41
REPEAT = 5


def _inputs(bundle) -> list[str]:
    from riskmodels import scoring

    return [r["name"] for r in scoring.load_scorer(bundle).content["inputs"]]


def _files(folder: Path) -> tuple[Path, dict]:
    """The input CSV and the bundles (logistic and expert) written into ``folder``."""
    from benchmarks.workloads import fitted_models, portfolio_split, sampled_records
    from riskmodels.export import write_bundle

    cfg, train, test = portfolio_split()
    models = fitted_models(cfg, train)
    bundles = {kind: write_bundle(models[kind], folder / f"{kind}.json") for kind in ("logistic", "expert")}
    wanted = ["firm_id", "year"] + _inputs(bundles["logistic"])
    wanted += [c for c in _inputs(bundles["expert"]) if c in test.columns and c not in wanted]
    wanted += [c for c in test.columns if c not in wanted and c != "target"]
    records = sampled_records(test, wanted[:WIDTH], N)
    path = folder / "records.csv"
    records.to_csv(path, index=False)
    return path, bundles


def _pandas_peer(bundle, source: Path, target: Path) -> None:
    """Plain pandas: read the bundle's columns at once, score, write."""
    import pandas as pd

    from riskmodels import scoring
    from riskmodels.export.frames import output_columns, score_frame

    scorer = scoring.load_scorer(bundle)
    rules = scorer.content["inputs"]
    header = pd.read_csv(source, nrows=0).columns
    names = [r["name"] for r in rules if r["name"] in header]
    text = {r["name"]: "string" for r in rules if r["type"] == "category" and r["name"] in header}
    frame = pd.read_csv(source, usecols=names, dtype=text)
    layout = output_columns(scorer, "raise")
    score_frame(scorer, frame, columns=layout).to_csv(target, index=False)


def _ours(bundle, source: Path, target: Path) -> None:
    from riskmodels.export.batch import score_file

    score_file(bundle, source, target, progress=False, overwrite=True)


def _peak_mb(bundle, source: Path, target: Path) -> float:
    """Peak resident set (``VmHWM``) of a fresh process running ``score_file``, in MB.

    Read from ``/proc/self/status``: ``getrusage``'s maximum would carry over this large
    process's own peak through the fork.
    """
    code = ("import sys\n"
            "from riskmodels.export.batch import score_file\n"
            "score_file(sys.argv[1], sys.argv[2], sys.argv[3], progress=False, overwrite=True)\n"
            "print(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])\n")
    done = subprocess.run([sys.executable, "-c", code, str(bundle), str(source), str(target)],
                          check=True, capture_output=True, text=True)
    return int(done.stdout.split()[-1]) / 1024


def main() -> None:
    warnings.filterwarnings("ignore")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source, bundles = _files(folder)
        size_mb = source.stat().st_size / 2**20
        print(f"{N:,} rows x {WIDTH} columns, CSV {size_mb:.0f} MB; load average {load:.1f} at the start")
        print("machine shared with other jobs: compare the ratios, measured in the same run")
        for kind, bundle in bundles.items():
            ours_out, peer_out = folder / f"ours_{kind}.csv", folder / f"peer_{kind}.csv"
            best = [np.inf, np.inf]
            for _ in range(REPEAT):
                for i, (run, target) in enumerate(((_ours, ours_out), (_pandas_peer, peer_out))):
                    start = time.perf_counter()
                    run(bundle, source, target)
                    best[i] = min(best[i], time.perf_counter() - start)
            same = filecmp.cmp(ours_out, peer_out, shallow=False)
            peak = _peak_mb(bundle, source, folder / f"peak_{kind}.csv")
            print(f"{kind:8s} ({len(_inputs(bundle))} inputs) score_file {best[0]:6.2f} s   "
                  f"pandas usecols/score/to_csv {best[1]:6.2f} s   ratio {best[0] / best[1]:5.2f} "
                  f"(target 0.8)   same bytes: {same}   peak memory {peak:6.0f} MB = "
                  f"{peak / size_mb:4.2f}x the CSV (target 0.5)", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
