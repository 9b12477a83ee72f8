"""Lifetime PD by grade (cumulative, marginal, hazard), scenario PDs and expected loss.

A one-year migration matrix P with an absorbing default state gives, per starting grade g,
the cumulative PD ``c(t) = (P^t)[g, D]`` (:func:`riskmodels.migration.cumulative_pd`); from it
the marginal PD ``m(t) = c(t) − c(t−1)`` (the share defaulting in year t) and the hazard
``h(t) = m(t) / (1 − c(t−1))`` (defaulting in year t given survival to its start) — the
definitions of transitionMatrix's ``default_curves``. A generator Λ gives ``c(t)`` from
``exp(Λt)``; without a matrix, a master scale's one-year PDs with the stated assumption of a
constant hazard give ``c(t) = 1 − (1 − PD)^t``.

Scenarios shift the one-year PDs through the Vasicek one-factor model: under a systematic
factor at its q-quantile the conditional PD is ``Φ((Φ⁻¹(PD) + √ρ·Φ⁻¹(q)) / √(1−ρ))``
(:func:`riskmodels.calibration.grade_tests.vasicek_quantile`); a scenario-weighted term
structure averages the scenarios' structures with weights summing to 1.

Expected loss, lifetime ECL and the IFRS 9 stage are the production scorer's functions
(:mod:`riskmodels.scoring.ecl`), so a bundle's ECL and the library's are one computation.

Examples
--------
>>> import numpy as np
>>> p = np.array([[0.9, 0.08, 0.02], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]])
>>> ts = term_structure(p, years=3, grades=["A", "B"])
>>> ts.cumulative.round(5).loc["A"].tolist()   # 0.02; .9(.02) + .08(.1) + .02; ...
[0.02, 0.046, 0.07596]
>>> ts.marginal.round(5).loc["A"].tolist()
[0.02, 0.026, 0.02996]
>>> round(expected_loss(0.01, 0.45, 1_000_000), 2)
4500.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.calibration.grade_tests import vasicek_quantile
from riskmodels.errors import ParameterError
from riskmodels.migration.generator import cumulative_pd, cumulative_pd_from_generator
from riskmodels.results import Summary
from riskmodels.scoring import expected_loss, lifetime_ecl, stage  # the scorer's own functions

__all__ = ["TermStructure", "expected_loss", "lifetime_ecl", "scenario_term_structure", "stage",
           "term_structure", "vasicek_conditional_pd"]


@dataclass
class TermStructure:
    """Cumulative, marginal and hazard PD per grade (rows) and year (columns 1..T)."""

    cumulative: pd.DataFrame
    basis: str

    @property
    def marginal(self) -> pd.DataFrame:
        """PD of defaulting in year t: c(t) − c(t−1)."""
        c = self.cumulative.to_numpy()
        return self._frame(np.diff(c, axis=1, prepend=0.0))

    @property
    def hazard(self) -> pd.DataFrame:
        """PD of defaulting in year t given survival to its start: m(t) / (1 − c(t−1))."""
        c = self.cumulative.to_numpy()
        before = np.hstack([np.zeros((c.shape[0], 1)), c[:, :-1]])
        with np.errstate(invalid="ignore", divide="ignore"):
            return self._frame(np.diff(c, axis=1, prepend=0.0) / (1.0 - before))

    @property
    def survival(self) -> pd.DataFrame:
        """1 − c(t)."""
        return self._frame(1.0 - self.cumulative.to_numpy())

    def _frame(self, values) -> pd.DataFrame:
        return pd.DataFrame(values, index=self.cumulative.index, columns=self.cumulative.columns)

    def summary(self) -> Summary:
        """The three term structures as one :class:`~riskmodels.results.Summary`."""
        s = Summary(f"Lifetime PD by grade ({self.basis})")
        for name in ("cumulative", "marginal", "hazard"):
            s.add_table(getattr(self, name).reset_index(), title=f"{name} PD", index=False)
        return s

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def plot(self, ax=None):
        """Cumulative PD curves, one per grade."""
        import matplotlib.pyplot as plt

        ax = ax or plt.subplots(figsize=(7, 4))[1]
        for grade, row in self.cumulative.iterrows():
            ax.plot(row.index, 100 * row.to_numpy(), marker="o", ms=3, label=str(grade))
        ax.set_xlabel("years")
        ax.set_ylabel("cumulative PD (%)")
        ax.set_yscale("log")
        ax.legend(ncol=2, fontsize=8)
        ax.set_title(f"Lifetime PD by grade ({self.basis})")
        return ax


def term_structure(source, years: int = 10, grades=None, *, kind: str = "matrix",
                   default_state: int = -1) -> TermStructure:
    """Lifetime PD term structure per grade.

    Parameters
    ----------
    source : a one-year row-stochastic matrix (``kind="matrix"``), a generator
        (``kind="generator"``), or one-year PDs per grade (``kind="pd"``: constant hazard).
    years : horizon in whole years (columns 1..years).
    grades : row labels; default the matrix's non-default states (0..k−2) or the PDs' order.
    kind : "matrix", "generator" or "pd".
    default_state : the default state's index in a matrix or generator.

    Returns
    -------
    TermStructure

    Examples
    --------
    >>> term_structure([0.01, 0.1], years=2, kind="pd").cumulative.round(4).to_numpy().tolist()
    [[0.01, 0.0199], [0.1, 0.19]]
    """
    steps = list(range(1, int(years) + 1))
    if not steps:
        raise ParameterError(f"years must be >= 1; got {years!r}")
    if kind == "pd":
        pd_ = np.asarray(source, dtype=float)
        if pd_.ndim != 1 or ((pd_ < 0) | (pd_ > 1) | np.isnan(pd_)).any():
            raise ParameterError("one-year PDs must be a vector of numbers in [0, 1]")
        c = 1.0 - (1.0 - pd_[:, None]) ** np.asarray(steps)[None, :]
        basis = "one-year PDs, constant hazard"
    elif kind in ("matrix", "generator"):
        m = np.asarray(source.to_numpy() if hasattr(source, "to_numpy") else source, dtype=float)
        c = (cumulative_pd if kind == "matrix" else cumulative_pd_from_generator)(m, steps, default_state)
        keep = [i for i in range(m.shape[0]) if i != (default_state % m.shape[0])]
        c = c[keep]
        if grades is None and hasattr(source, "index"):
            grades = [source.index[i] for i in keep]
        basis = "matrix powers" if kind == "matrix" else "generator, exp(Λt)"
    else:
        raise ParameterError(f"kind must be 'matrix', 'generator' or 'pd'; got {kind!r}")
    grades = list(range(c.shape[0])) if grades is None else list(grades)
    if len(grades) != c.shape[0]:
        raise ParameterError(f"{len(grades)} grade labels for {c.shape[0]} grades")
    frame = pd.DataFrame(c, index=pd.Index(grades, name="grade"), columns=pd.Index(steps, name="year"))
    return TermStructure(frame, basis)


def vasicek_conditional_pd(pd_, rho, quantile):
    """One-year PD under a systematic factor at its ``quantile`` (Vasicek one-factor model).

    ``quantile`` 0.5 gives back (about) the unconditional PD's median scenario, above 0.5 a
    downturn. The same formula as the IRB capital function's conditional PD.

    Examples
    --------
    >>> round(float(vasicek_conditional_pd(0.02, 0.15, 0.999)), 7)   # the IRB formula at 99.9 %
    0.1763289
    """
    pd_ = np.asarray(pd_, dtype=float)
    if not 0.0 < float(rho) < 1.0:
        raise ParameterError(f"rho must be in (0, 1); got {rho!r}")
    return vasicek_quantile(np.full(pd_.shape, float(quantile)), pd_, float(rho))


def scenario_term_structure(pds, rho: float, scenarios: dict, years: int = 10, grades=None) -> TermStructure:
    """Probability-weighted cumulative PDs over Vasicek scenarios ``{quantile: weight}`` (Σ = 1),
    each a constant-hazard structure of the conditional one-year PDs.

    Examples
    --------
    >>> ts = scenario_term_structure([0.02], 0.15, {0.5: 0.6, 0.9: 0.4}, years=1)
    >>> round(float(ts.cumulative.iloc[0, 0]), 5)   # 0.6 × 1.295 % + 0.4 × 4.559 %
    0.02601
    """
    weights = np.asarray(list(scenarios.values()), dtype=float)
    if (weights < 0).any() or abs(weights.sum() - 1.0) > 1e-9:
        raise ParameterError(f"scenario weights must be >= 0 and sum to 1; got {scenarios!r}")
    total = None
    for q, w in scenarios.items():
        c = term_structure(vasicek_conditional_pd(pds, rho, q), years, grades, kind="pd").cumulative * w
        total = c if total is None else total + c
    return TermStructure(total, f"Vasicek scenarios ρ={rho:g}, {len(scenarios)} weighted")
