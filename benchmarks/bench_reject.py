"""Reject inference under masked labels: does any method beat the accepts-only card?

Every bundled data set with a binary target (German, South German, Taiwan,
Polish year 5) and three selection mechanisms (``score``: the previous card's
PD, missing at random given the characteristics; ``random``; ``mnar``: the
previous card's PD plus an underwriter's private information about the outcome,
``mnar_strength=1``), accept rate 0.7, seed 0, default
:class:`~riskmodels.models.logistic.LogisticScorecard`. Methods: hard cut-off at
PD 0.5, fuzzy (reject weight 1), parcelling (10 bands, uplift 2), reweighting
(clip 0.01). Each is scored on a 30 % through-the-door test set whose labels
no fit saw (:func:`riskmodels.reject.masked_benchmark`): AUC with its 95 %
DeLong interval, the DeLong p-value against accepts-only, the bad rate of the
70 % approved, the mean PD against the observed rate, and the mean PD of this
period's rejects against their hidden bad rate. The "all labels" row (every
applicant's outcome known) is the ceiling.

A method "beats" (or "loses to") accepts-only here when its AUC is higher (lower)
with DeLong p < 0.05; the last lines list both, and the settings where none beat it.

Run: ``OPENBLAS_NUM_THREADS=1 python -m benchmarks reject``.
"""

from __future__ import annotations

import time

from riskmodels.data.loaders import load_german, load_polish, load_south_german, load_taiwan
from riskmodels.models.logistic import LogisticScorecard
from riskmodels.reject import masked_benchmark

PARAMS = {"hard_cutoff": {"cutoff": 0.5}, "parcelling": {"n_bands": 10, "uplift": 2.0}}
SETS = {
    "German": lambda: load_german(),
    "South German": lambda: load_south_german(),
    "Taiwan": lambda: load_taiwan().drop(columns="ID"),
    "Polish y5": lambda: load_polish(5),
}


def _row(name, r) -> str:
    p = "" if name == "accepts only" else f"{r.p_vs_accepts_only:.3f}"
    return (f"| {name} | {r.auc:.4f} [{r.auc_lower:.4f}, {r.auc_upper:.4f}] | {p} | {r.bad_rate_at_approval:.4f} | "
            f"{r.mean_pd:.4f} / {r.observed_bad_rate:.4f} | {r.reject_mean_pd:.4f} / {r.reject_bad_rate:.4f} |")


def main(selections=("score", "random", "mnar")):
    wins = []
    for set_name, load in SETS.items():
        frame = load()
        X, y = frame.drop(columns="target"), frame["target"]
        for selection in selections:
            start = time.perf_counter()
            t = masked_benchmark(LogisticScorecard(), X, y, accept_rate=0.7, selection=selection,
                                 method_params=PARAMS, random_state=0)
            first = t.iloc[0]
            print(f"\n{set_name}, selection={selection}: {int(first.n_accepted)} accepted / "
                  f"{int(first.n_rejected)} rejected, {int(first.n_test)} test ({time.perf_counter() - start:.1f} s)")
            print("| model | AUC [95 % DeLong] | p vs accepts-only | bad rate of approved | mean PD / observed |"
                  " rejects: mean PD / hidden bad rate |")
            print("|---|---|---|---|---|---|")
            for name, r in t.iterrows():
                print(_row(name, r))
            base = t.loc["accepts only"]
            better = []
            for name, r in t.drop(index=["accepts only", "all labels"]).iterrows():
                if r.p_vs_accepts_only < 0.05:
                    verdict = "beats" if r.auc > base.auc else "loses to"
                    better += [name] if verdict == "beats" else []
                    wins.append(f"{set_name}/{selection}: {name} {verdict} accepts-only, AUC {r.auc - base.auc:+.4f} "
                                f"(p {r.p_vs_accepts_only:.3f}), approved bad rate "
                                f"{r.bad_rate_at_approval - base.bad_rate_at_approval:+.4f}")
            if not better:
                wins.append(f"{set_name}/{selection}: no method beats accepts-only")
    print("\nAgainst accepts-only (DeLong p < 0.05):")
    print("\n".join(wins))

if __name__ == "__main__":
    main()
