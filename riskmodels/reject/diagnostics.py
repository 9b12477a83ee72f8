"""What a reviewer needs to judge a reject inference: shift, inferred rates, decisions, sensitivity.

- **PSI accepts vs rejects** per characteristic (on the accepts' card's bins,
  or deciles / categories without one) and of the score (deciles of the
  accepts' PDs), by :func:`riskmodels.validation.psi`;
- **bands**: per score band of the accepts' model, the accepts' observed bad
  rate and the rejects' inferred bad rate under the method (weighted bad share
  of their augmented rows; none for reweighting, which labels no reject);
- **kick-in / kick-out**: at the historical approval rate, how many applicants
  the refitted model approves that the accepts-only model (and the historical
  decision) declined, and the reverse;
- **sensitivity**: the through-the-door bad rate per band if the rejects were
  1×, 2×, 4×, 8× as bad as the accepts of their band (capped at 1) — what the
  data cannot tell, shown as a range instead of imputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.data.frames import as_frame
from riskmodels.reject.augment import band_edges, band_of
from riskmodels.results import Summary
from riskmodels.validation.stability import psi, psi_zone

MULTIPLES = (1, 2, 4, 8)


def _codes(accepted: pd.Series, rejected: pd.Series, binning=None) -> tuple[np.ndarray, np.ndarray]:
    if binning is not None:
        return binning.bin_index(accepted), binning.bin_index(rejected)
    if pd.api.types.is_numeric_dtype(accepted) and accepted.nunique() > 10:
        edges = band_edges(accepted.dropna(), 10)
        return (np.where(accepted.isna(), -1, band_of(accepted.fillna(0), edges)),
                np.where(rejected.isna(), -1, band_of(rejected.fillna(0), edges)))
    labels = pd.Index(pd.concat([accepted, rejected]).astype(str).unique())
    return labels.get_indexer(accepted.astype(str)), labels.get_indexer(rejected.astype(str))


def _psi_of_codes(a, r) -> float:
    levels = np.union1d(a, r)
    return psi([(a == v).sum() for v in levels], [(r == v).sum() for v in levels])


def characteristic_psi(X_accepted, X_rejected, binnings: dict | None = None) -> pd.DataFrame:
    """PSI of each characteristic, accepts (expected) vs rejects (actual), with its zone.

    ``binnings`` (``{column: fitted OptimalBinning}``, e.g. a card's
    ``binning_.binnings_``) gives the bins; other columns use deciles of the
    accepts (numbers with more than 10 values) or their categories.

    Examples
    --------
    >>> a = pd.DataFrame({"x": np.arange(100.0), "c": ["u", "v"] * 50})
    >>> r = pd.DataFrame({"x": np.arange(50.0, 150.0), "c": ["u", "v"] * 50})
    >>> t = characteristic_psi(a, r)
    >>> t.loc["c", "psi"], t.loc["x", "zone"]
    (0.0, 'significant shift')
    """
    accepted, rejected = as_frame(X_accepted), as_frame(X_rejected)
    rows = {}
    for name in accepted.columns:
        a, r = _codes(accepted[name], rejected[name], (binnings or {}).get(name))
        value = _psi_of_codes(a, r)
        rows[str(name)] = {"psi": value, "zone": psi_zone(value)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("characteristic").sort_values(
        "psi", ascending=False)


def sensitivity_bands(band_accepts, band_bads, band_rejects, multiples=MULTIPLES) -> pd.DataFrame:
    """Through-the-door bad rate per band if rejects were ``k`` × as bad as the band's accepts (capped at 1).

    Examples
    --------
    >>> sensitivity_bands([100, 100], [2, 10], [0, 100])["x4"].tolist()
    [0.02, 0.25]
    """
    n_a = np.asarray(band_accepts, dtype=float)
    bads = np.asarray(band_bads, dtype=float)
    n_r = np.asarray(band_rejects, dtype=float)
    rate = np.divide(bads, n_a, out=np.zeros_like(bads), where=n_a > 0)
    out = {"accept_bad_rate": rate}
    for k in multiples:
        out[f"x{k}"] = (bads + np.minimum(k * rate, 1.0) * n_r) / np.maximum(n_a + n_r, 1)
    return pd.DataFrame(out)


def kick_in_out(pd_before, pd_after, accepted_before) -> dict:
    """Applicants whose decision changes at the historical approval rate (the lowest PDs approved).

    ``accepted_before`` (the historical decisions) sets the approval rate; the
    counts compare the approvals under ``pd_after`` with those under
    ``pd_before`` (kick_in / kick_out) and with the history (``*_vs_history``).

    Examples
    --------
    >>> kick_in_out([0.1, 0.2, 0.3, 0.4], [0.1, 0.3, 0.2, 0.4], [True, True, False, False])
    {'approval_rate': 0.5, 'kick_in': 1, 'kick_out': 1, 'kick_in_vs_history': 1, 'kick_out_vs_history': 1}
    """
    before, after = np.asarray(pd_before, dtype=float), np.asarray(pd_after, dtype=float)
    history = np.asarray(accepted_before, dtype=bool)
    n_approve = int(history.sum())

    def approved(p):
        flag = np.zeros(len(p), dtype=bool)
        flag[np.argsort(p, kind="stable")[:n_approve]] = True
        return flag

    old, new = approved(before), approved(after)
    return {"approval_rate": n_approve / len(before),
            "kick_in": int((new & ~old).sum()), "kick_out": int((old & ~new).sum()),
            "kick_in_vs_history": int((new & ~history).sum()), "kick_out_vs_history": int((history & ~new).sum())}


@dataclass
class RejectDiagnostics:
    """The diagnostics of one fitted :class:`~riskmodels.reject.RejectInference` (see the module doc)."""

    method: str
    characteristic_psi: pd.DataFrame
    score_psi: float
    bands: pd.DataFrame
    decisions: dict

    def summary(self) -> Summary:
        """Score PSI, decisions, the bands with their sensitivity columns and the characteristics' PSI."""
        s = Summary(f"Reject inference ({self.method}): score PSI accepts vs rejects {self.score_psi:.4f} "
                    f"({psi_zone(self.score_psi)})")
        s.add_rows(list(self.decisions.items()), "Decisions at the same approval rate")
        s.add_table(self.bands, "Bad rates by score band (accepts' model)", digits=4)
        s.add_table(self.characteristic_psi, "PSI accepts vs rejects", digits=4)
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None):
        """Bad rate by score band: the accepts', the rejects' inferred, and the 2x/4x/8x sensitivity range."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 4))[1]
        bands = self.bands
        x = np.arange(len(bands))
        multiples = [c for c in bands.columns if c.startswith("x") and c != "x1"]
        if multiples:
            ax.fill_between(x, bands[multiples].min(axis=1), bands[multiples].max(axis=1), alpha=0.2,
                            label=f"through the door, rejects {multiples[0][1:]}x-{multiples[-1][1:]}x as bad")
        ax.plot(x, bands["accept_bad_rate"], "o-", label="accepts (observed)")
        ax.plot(x, bands["reject_inferred_bad_rate"], "s--", label=f"rejects (inferred, {self.method})")
        ax.set_xticks(x, [f"{v:.3f}" for v in bands["pd_from"]])
        ax.set_xlabel("score band (accepts' PD from)")
        ax.set_ylabel("bad rate")
        ax.legend(fontsize=8)
        return ax


def reject_diagnostics(inference, X_accepted, y_accepted, X_rejected, n_bands: int = 10,
                       multiples=MULTIPLES) -> RejectDiagnostics:
    """The diagnostics of a fitted :class:`~riskmodels.reject.RejectInference` on its own data.

    Examples
    --------
    >>> from riskmodels.data.loaders import load_german
    >>> from riskmodels.models.logistic import LogisticScorecard
    >>> from riskmodels.reject import RejectInference
    >>> g = load_german()
    >>> X, y = g.drop(columns="target"), g["target"]
    >>> ok = (X["duration_months"] <= 24).to_numpy()
    >>> ri = RejectInference(LogisticScorecard(max_features=4)).fit(X[ok], y[ok], X[~ok])
    >>> d = reject_diagnostics(ri, X[ok], y[ok], X[~ok])
    >>> d.characteristic_psi.index[0], d.score_psi > 0.1
    ('duration_months', True)
    """
    accepts, rejects = as_frame(X_accepted), as_frame(X_rejected)
    y = np.asarray(y_accepted, dtype=float)
    base = inference.accepts_model_
    accept_pd, reject_pd = base.predict_proba(accepts)[:, 1], base.predict_proba(rejects)[:, 1]
    edges = band_edges(accept_pd, n_bands)
    a_band, r_band = band_of(accept_pd, edges), band_of(reject_pd, edges)
    k = len(edges) + 1
    n_a = np.bincount(a_band, minlength=k)
    bads = np.bincount(a_band, weights=y, minlength=k)
    n_r = np.bincount(r_band, minlength=k)
    aug = inference.augmented_
    on_rejects = aug[aug["source"] == 1]
    if len(on_rejects):
        band = r_band[on_rejects["row"].to_numpy()]
        w = on_rejects["weight"].to_numpy()
        bad_w = np.bincount(band, weights=w * on_rejects["target"].to_numpy(), minlength=k)
        all_w = np.bincount(band, weights=w, minlength=k)
        inferred = np.divide(bad_w, all_w, out=np.full(k, np.nan), where=all_w > 0)
    else:
        inferred = np.full(k, np.nan)
    lower = np.r_[0.0, edges]
    bands = pd.DataFrame({"pd_from": lower, "n_accepted": n_a, "n_rejected": n_r,
                          "reject_inferred_bad_rate": inferred})
    bands = pd.concat([bands, sensitivity_bands(n_a, bads, n_r, multiples)], axis=1)
    bands.insert(3, "accept_bad_rate", bands.pop("accept_bad_rate"))
    binnings = getattr(getattr(base, "binning_", None), "binnings_", None)
    refit_pd = inference.predict_proba(pd.concat([accepts, rejects], ignore_index=True))[:, 1]
    decisions = kick_in_out(np.r_[accept_pd, reject_pd], refit_pd,
                            np.r_[np.ones(len(accepts), bool), np.zeros(len(rejects), bool)])
    return RejectDiagnostics(inference.method, characteristic_psi(accepts, rejects, binnings),
                             _psi_of_codes(a_band, r_band), bands.rename_axis("band"), decisions)
