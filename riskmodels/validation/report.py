"""ValidationReport: every validation measure of one model on one sample, as tables and figures.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> pd_ = 1 / (1 + np.exp(-rng.normal(-3.5, 1.0, 3000)))
>>> y = (rng.random(3000) < pd_).astype(int)
>>> report = ValidationReport(y, pd_, name="demo")
>>> sorted(report.tables())
['calibration', 'discrimination', 'grades', 'stability']
>>> bool(0.5 < report.metrics()["auc"] < 1)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.calibration.calibrators import check_scores
from riskmodels.calibration.fitting import grade_table, herfindahl
from riskmodels.calibration.grade_tests import basel_asset_correlation
from riskmodels.calibration.master_scale import MasterScale
from riskmodels.errors import DataValidationError, Violation
from riskmodels.results import Summary
from riskmodels.validation.accuracy import (
    SpiegelhalterResult,
    brier_decomposition,
    calibration_curve,
    check_outcomes,
    ece,
    hosmer_lemeshow_test,
    jeffreys_interval,
    log_loss,
    spiegelhalter,
    traffic_light,
)
from riskmodels.validation.discrimination import (
    AUCChangeResult,
    AUCResult,
    auc,
    auc_change_test,
    auc_ci,
    cap_curve,
    ks,
    roc_curve,
)
from riskmodels.validation.stability import herfindahl_test, psi_table, psi_zone


class ValidationReport:
    """Discrimination, calibration and stability of one model's PDs on one sample.

    Parameters
    ----------
    y : array of 0/1
        Observed defaults.
    pd : array
        The model's PDs in [0, 1].
    scale : MasterScale, optional
        Grades the PDs (default: the enterprise 10-grade scale).
    score : array, optional
        Ranking score for discrimination (higher = riskier); default the PD.
    reference_pd : array, optional
        PDs of the development (reference) sample: gives the grade PSI and the
        Herfindahl test of an increase in concentration.
    auc_initial : float, optional
        AUC at initial validation: gives the ECB test of a drop in AUC.
    name : str
        Model name used in titles.
    n_bins : int
        Bins of the ECE, Hosmer–Lemeshow and calibration curve (equal counts).
    level : float
        Significance level of the per-grade tests.
    traffic_levels : (float, float)
        Yellow and red levels of the traffic light.

    Notes
    -----
    A sample with a single class (no defaults or only defaults) still gets the
    calibration tables; the discrimination measures are then NaN and ``notes``
    says why. With a single default (or non-default) the AUC, Gini and KS are
    given, but the DeLong standard error, interval and AUC change test are NaN.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pd_ = rng.beta(1, 30, 5000)
    >>> y = (rng.uniform(size=5000) < pd_).astype(int)
    >>> report = ValidationReport(y, pd_, name="demo")
    >>> sorted(report.tables()), bool(0.5 < report.metrics()["auc"] < 1)
    (['calibration', 'discrimination', 'grades', 'stability'], True)
    """

    def __init__(self, y, pd, scale: MasterScale | None = None, score=None, reference_pd=None,
                 auc_initial: float | None = None, name: str = "model", n_bins: int = 10,
                 level: float = 0.05, traffic_levels=(0.95, 0.999)):
        self.y, self.pd = check_outcomes(y, pd)
        self.scale = scale or MasterScale.standard("enterprise10")
        self.score = self.pd if score is None else check_scores(score, "score")
        if len(self.score) != len(self.y):
            raise DataValidationError([Violation("score", f"has {len(self.score)} values",
                                                 f"{len(self.y)} (one per obligor)")])
        self.reference_pd = None if reference_pd is None else check_outcomes(
            np.zeros(len(reference_pd)), reference_pd)[1]
        self.name, self.n_bins, self.level, self.traffic_levels = name, n_bins, level, traffic_levels
        self.auc_initial = auc_initial
        self.notes: list[str] = []
        self._compute()

    # ------------------------------------------------------------------ computation
    def _compute(self):
        y, p = self.y, self.pd
        n_defaults = int(y.sum())
        fewest = min(n_defaults, len(y) - n_defaults)
        if fewest >= 1:
            if fewest >= 2:
                res = auc_ci(y, self.score)
                change = None if self.auc_initial is None else auc_change_test(self.auc_initial, y, self.score)
            else:  # a low-default sample: the AUC exists, its DeLong variance needs 2 of each class
                res = AUCResult(auc(y, self.score), np.nan, np.nan, np.nan, 0.95, n_defaults,
                                len(y) - n_defaults)
                change = AUCChangeResult(np.nan, res.auc, np.nan, np.nan, np.nan)
                self.notes.append("a single default or non-default: the AUC's standard error, "
                                  "interval and change test are undefined (NaN)")
            self.auc_result = res
            disc = {"auc": res.auc, "auc_se": res.se, "auc_lower": res.lower, "auc_upper": res.upper,
                    "gini": res.gini, "ks": ks(y, self.score)}
            if self.auc_initial is not None:
                disc.update(auc_initial=self.auc_initial, auc_change_statistic=change.statistic,
                            auc_change_p=change.p_value)
        else:
            self.auc_result = None
            disc = dict.fromkeys(("auc", "auc_se", "auc_lower", "auc_upper", "gini", "ks"), np.nan)
            self.notes.append("one class only: discrimination measures are undefined (NaN)")
        self._discrimination = disc

        grades = grade_table(p, y, self.scale, reference="mean", level=self.level)
        body = grades.iloc[:-1]
        tested = np.where(np.isnan(body["tested_pd"]), body["midpoint"], body["tested_pd"])
        light = traffic_light(tested, body["n"].to_numpy(), body["defaults"].to_numpy(),
                              levels=self.traffic_levels)
        rho = basel_asset_correlation(np.asarray(tested, dtype=float))
        light_rho = traffic_light(tested, body["n"].to_numpy(), body["defaults"].to_numpy(), rho=rho,
                                  levels=self.traffic_levels)
        grades["traffic_light"] = list(light["zone"]) + [None]
        grades["traffic_light_rho"] = list(light_rho["zone"]) + [None]
        lower, upper = jeffreys_interval(grades["defaults"].to_numpy(), grades["n"].to_numpy())
        grades["dr_lower"], grades["dr_upper"] = lower, upper
        if self.scale.classes:
            grades["class"] = self.scale.class_of(self.scale.grades) + [None]
        self._grades = grades

        idx = self.scale.grade_index(p)
        dec = brier_decomposition(y, p, groups=idx)
        sp = spiegelhalter(y, p) if np.any((p > 0) & (p < 1) & (p != 0.5)) else SpiegelhalterResult(
            np.nan, np.nan)
        n_bins = min(self.n_bins, len(y))
        hl = hosmer_lemeshow_test(y, p, n_bins=n_bins, df="G")
        self._calibration = {**dec, "log_loss": log_loss(y, p), "ece": ece(y, p, n_bins=n_bins),
                             "spiegelhalter_z": sp.z, "spiegelhalter_p": sp.p_value,
                             "hosmer_lemeshow": hl.statistic, "hosmer_lemeshow_p": hl.p_value,
                             "mean_pd": float(p.mean()), "default_rate": float(y.mean()),
                             "grades_rejected": int(body["reject"].sum()),
                             "grades_red": int((grades["traffic_light"] == "red").sum())}

        counts = body["n"].to_numpy()  # one per grade; a scale has >= 2 grades and y >= 1 obligor
        cv, hi = herfindahl(counts)
        stab = {"herfindahl_cv": cv, "herfindahl_index": hi}
        self._psi = None
        if self.reference_pd is not None:
            ref_counts = np.bincount(self.scale.grade_index(self.reference_pd), minlength=self.scale.n_grades)
            self._psi = psi_table(ref_counts, counts, labels=self.scale.grades)
            value = float(self._psi["psi"].sum())
            test = herfindahl_test(ref_counts, counts)
            stab.update(psi=value, psi_zone=psi_zone(value), herfindahl_initial=test.hi_initial,
                        herfindahl_test_p=test.p_value)
        self._stability = stab

    # ------------------------------------------------------------------ outputs
    def tables(self) -> dict[str, pd.DataFrame]:
        """Tables: discrimination, calibration, grades (per-grade tests), stability (PSI if any).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> pd_ = rng.beta(1, 30, 5000)
        >>> y = (rng.uniform(size=5000) < pd_).astype(int)
        >>> sorted(ValidationReport(y, pd_, name="demo").tables())
        ['calibration', 'discrimination', 'grades', 'stability']
        """
        out = {
            "discrimination": pd.Series(self._discrimination, name=self.name).to_frame(),
            "calibration": pd.Series(self._calibration, name=self.name).to_frame(),
            "grades": self._grades,
            "stability": pd.Series(self._stability, name=self.name, dtype=object).to_frame(),
        }
        if self._psi is not None:
            out["psi"] = self._psi
        return out

    def metrics(self) -> dict[str, float]:
        """Flat numeric metrics (for MLflow ``log_metrics``); NaN where undefined.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> pd_ = rng.beta(1, 30, 5000)
        >>> y = (rng.uniform(size=5000) < pd_).astype(int)
        >>> m = ValidationReport(y, pd_, name="demo").metrics()
        >>> bool(0.5 < m["auc"] < 1), "brier" in m
        (True, True)
        """
        out = {}
        for part in (self._discrimination, self._calibration, self._stability):
            for key, value in part.items():
                if isinstance(value, (int, float, np.integer, np.floating)):
                    out[key] = float(value)
        return out

    def figures(self) -> dict:
        """Matplotlib figures: roc, cap, calibration (by grade, Jeffreys error bars), grades, psi.

        Returns
        -------
        dict of str to matplotlib.figure.Figure
            "psi" only when the report has a ``reference_pd``; "roc" and "cap" only when
            the sample has both classes.

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> pd_ = rng.beta(1, 30, 2000)
        >>> report = ValidationReport((rng.uniform(size=2000) < pd_).astype(int), pd_, name="demo")
        >>> sorted(report.figures())
        ['calibration', 'calibration_curve', 'cap', 'grades', 'roc']
        """
        return {kind: draw() for kind, draw in self._figure_makers().items()}

    def plot(self, kind: str = "calibration"):
        """One figure of :meth:`figures`, drawn alone; default the calibration by grade.

        Parameters
        ----------
        kind : str
            "calibration" (by grade, the one reviewers look at first), "calibration_curve",
            "grades", "roc" and "cap" (samples with both classes), "psi" (with ``reference_pd``).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> rng = np.random.default_rng(2)
        >>> pd_ = rng.beta(1, 30, 2000)
        >>> report = ValidationReport((rng.uniform(size=2000) < pd_).astype(int), pd_, name="demo")
        >>> [ax.get_title() for ax in report.plot().axes], [ax.get_title() for ax in report.plot("roc").axes]
        (['Calibration by grade — demo'], ['ROC'])
        """
        makers = self._figure_makers()
        if kind not in makers:
            raise DataValidationError([Violation("kind", f"is {kind!r}", f"one of {sorted(makers)}")])
        return makers[kind]()

    def _figure_makers(self) -> dict:
        """Figure name -> function drawing it, in the order of :meth:`figures`."""
        makers = {}
        if self.auc_result is not None:
            makers.update(roc=self._roc_figure, cap=self._cap_figure)
        makers.update(calibration=self._calibration_figure, grades=self._grades_figure)
        if self._psi is not None:
            makers["psi"] = self._psi_figure
        makers["calibration_curve"] = self._calibration_curve_figure
        return makers

    def _roc_figure(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 5))
        roc = roc_curve(self.y, self.score)
        ax.plot(roc["fpr"], roc["tpr"], label=f"{self.name} (AUC {self.auc_result.auc:.3f})")
        ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
        ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        ax.legend(loc="lower right")
        return fig

    def _cap_figure(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 5))
        cap = cap_curve(self.y, self.score)
        rate = self.y.mean()
        ax.plot(cap["population"], cap["defaults"], label=f"{self.name} (AR {self.auc_result.gini:.3f})")
        ax.plot([0, rate, 1], [0, 1, 1], ls=":", c="black", lw=1, label="perfect")
        ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="random")
        ax.set(xlabel="share of obligors (riskiest first)", ylabel="share of defaults", title="CAP")
        ax.legend(loc="lower right")
        return fig

    def _calibration_figure(self):
        import matplotlib.pyplot as plt

        body = self._grades.iloc[:-1]
        filled = body[body["n"] > 0]
        fig, ax = plt.subplots(figsize=(7, 4))
        x = np.arange(len(filled))
        err = np.vstack([filled["default_rate"] - filled["dr_lower"], filled["dr_upper"] - filled["default_rate"]])
        ax.errorbar(x, filled["default_rate"], yerr=err, fmt="o", capsize=3, label="observed (95 % Jeffreys)")
        ax.plot(x, filled["mean_pd"], "s-", label="mean PD")
        ax.set_yscale("symlog", linthresh=1e-4)
        ax.set_xticks(x, filled.index)
        ax.set(xlabel="grade", ylabel="default rate", title=f"Calibration by grade — {self.name}")
        ax.legend()
        return fig

    def _grades_figure(self):
        import matplotlib.pyplot as plt

        body = self._grades.iloc[:-1]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.bar(body.index, body["n"] / max(body["n"].sum(), 1))
        ax.set(xlabel="grade", ylabel="share of obligors",
               title=f"Grade distribution (HI {self._stability['herfindahl_index']:.3f})")
        return fig

    def _psi_figure(self):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 3.5))
        ax.bar(self._psi.index.astype(str), self._psi["psi"])
        ax.set(xlabel="grade", ylabel="PSI contribution",
               title=f"PSI {self._stability['psi']:.4f} ({self._stability['psi_zone']})")
        return fig

    def _calibration_curve_figure(self):
        import matplotlib.pyplot as plt

        curve = calibration_curve(self.y, self.pd, n_bins=min(self.n_bins, len(self.y)))
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.errorbar(curve["mean_pd"], curve["default_rate"],
                    yerr=np.vstack([curve["default_rate"] - curve["lower"], curve["upper"] - curve["default_rate"]]),
                    fmt="o", capsize=3)
        top = float(max(curve["upper"].max(), curve["mean_pd"].max()))
        ax.plot([0, top], [0, top], ls="--", c="grey", lw=1)
        ax.set(xlabel="mean PD", ylabel="default rate", title="Calibration curve (equal-count bins)")
        return fig

    def to_tracking(self) -> dict:
        """What tracking logs: ``{"metrics": {...}, "tables": {...}, "figures": {...}}``.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> pd_ = rng.beta(1, 30, 5000)
        >>> y = (rng.uniform(size=5000) < pd_).astype(int)
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> sorted(ValidationReport(y, pd_, name="demo").to_tracking())
        ['figures', 'metrics', 'tables']
        """
        return {"metrics": self.metrics(), "tables": self.tables(), "figures": self.figures()}

    def summary(self) -> Summary:
        """Key figures and the per-grade tests (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> pd_ = rng.beta(1, 30, 5000)
        >>> y = (rng.uniform(size=5000) < pd_).astype(int)
        >>> ValidationReport(y, pd_, name="demo").summary().title
        'Validation report — demo (5000 obligors, 169 defaults)'
        """
        out = Summary(f"Validation report — {self.name} ({len(self.y)} obligors, {int(self.y.sum())} defaults)")
        rows = []
        if self.auc_result is not None:
            r = self.auc_result
            rows += [("AUC", r.auc), ("AUC DeLong SE", r.se), (f"AUC {r.level:.0%} CI", f"[{r.lower:.4f}, {r.upper:.4f}]"),
                     ("Gini", r.gini), ("KS", self._discrimination["ks"])]
        c, s = self._calibration, self._stability
        rows += [(k, c[k]) for k in ("brier", "reliability", "resolution", "uncertainty", "log_loss", "ece")]
        rows += [("Spiegelhalter z", c["spiegelhalter_z"]), ("Spiegelhalter p", c["spiegelhalter_p"]),
                 ("Hosmer-Lemeshow", c["hosmer_lemeshow"]), ("Hosmer-Lemeshow p", c["hosmer_lemeshow_p"]),
                 ("Herfindahl index", s["herfindahl_index"])]
        if "psi" in s:
            rows += [("PSI", s["psi"]), ("PSI zone", s["psi_zone"])]
        out.add_rows(rows, "Discrimination, calibration, stability", digits=5)
        cols = ["n", "defaults", "default_rate", "mean_pd", "binomial_p", "jeffreys_p", "traffic_light"]
        out.add_table(self._grades[cols], "Grades", digits=4)
        for note in self.notes:
            out.add_note(note)
        return out

    def _repr_html_(self) -> str:
        out = self.summary()
        for key, table in self.tables().items():
            if key != "grades":
                out.add_table(table, key, digits=4)
        return out.as_html()

    def __repr__(self) -> str:
        auc = self._discrimination["auc"]
        return f"ValidationReport(name={self.name!r}, n={len(self.y)}, auc={auc:.4f})"
