"""AUC + DeLong confidence interval on 1,000,000 scores vs scikit-learn's roc_auc_score.

Target: AUC + DeLong CI under 2 s. scikit-learn gives the AUC only (no variance);
the ratio compares our AUC + DeLong against its AUC alone, both timed in this run.
The floor is one argsort of the scores and their midranks (what any rank AUC needs;
Sun & Xu 2014's DeLong needs no more): target ``auc_ci`` <= 1.5x it (issue 35).
Run: ``OPENBLAS_NUM_THREADS=1 python -m benchmarks validation``.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks.timing import best_in_turns, best_of
from riskmodels.validation import auc, auc_ci, delong_test

N = 1_000_000


def _one_sort_midranks(score):
    """The floor: one (unstable) argsort and the midranks of the scores."""
    order = np.argsort(score)
    ordered = score[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sizes = np.diff(np.r_[starts, len(score)])
    ranks = np.empty(len(score))
    ranks[order] = np.repeat(starts + (sizes + 1) / 2.0, sizes)
    return ranks


def main():
    rng = np.random.default_rng(0)
    y = (rng.random(N) < 0.05).astype(np.int8)
    score = rng.normal(size=N) + 1.2 * y
    score2 = score + rng.normal(scale=0.5, size=N)
    score_tied = np.round(score, 1)  # heavy ties, as with points or grades

    t_sk, a_sk = best_of(lambda: roc_auc_score(y, score), repeats=3)
    t_auc, a_ours = best_of(lambda: auc(y, score), repeats=3)
    t_ci, res = best_of(lambda: auc_ci(y, score), repeats=3)
    t_test, cmp_ = best_of(lambda: delong_test(y, score, score2), repeats=3)
    t_sk_tied, a_sk_tied = best_of(lambda: roc_auc_score(y, score_tied), repeats=3)
    t_ci_tied, res_tied = best_of(lambda: auc_ci(y, score_tied), repeats=3)
    t_ci5, t_floor = best_in_turns(lambda: auc_ci(y, score), lambda: _one_sort_midranks(score), repeats=7)
    t_ci5_tied, t_floor_tied = best_in_turns(lambda: auc_ci(y, score_tied), lambda: _one_sort_midranks(score_tied),
                                             repeats=7)

    print(f"n = {N:,}, defaults = {int(y.sum()):,}")
    print(f"AUC agrees with sklearn: {abs(a_ours - a_sk):.2e} (continuous), "
          f"{abs(res_tied.auc - a_sk_tied):.2e} (tied)")
    print(f"sklearn roc_auc_score          {t_sk:7.3f} s")
    print(f"riskmodels auc                 {t_auc:7.3f} s   ratio ours/sklearn {t_auc / t_sk:5.2f}")
    print(f"riskmodels auc_ci (DeLong)     {t_ci:7.3f} s   ratio ours/sklearn {t_ci / t_sk:5.2f}"
          f"   target < 2 s: {'PASS' if t_ci < 2 else 'FAIL'}   SE {res.se:.6f}")
    print(f"riskmodels delong_test (2 AUC) {t_test:7.3f} s   ratio ours/sklearn {t_test / t_sk:5.2f}"
          f"   z {cmp_.z:.2f}")
    print(f"tied scores: sklearn {t_sk_tied:.3f} s, auc_ci {t_ci_tied:.3f} s, "
          f"ratio {t_ci_tied / t_sk_tied:.2f}")
    print(f"floor, one argsort + midranks  {t_floor:7.3f} s   auc_ci {t_ci5:.3f} s   ratio {t_ci5 / t_floor:5.2f}"
          f" (target 1.5); tied: floor {t_floor_tied:.3f} s, auc_ci {t_ci5_tied:.3f} s, "
          f"ratio {t_ci5_tied / t_floor_tied:.2f} (in turns, best of 7)")


if __name__ == "__main__":
    main()
