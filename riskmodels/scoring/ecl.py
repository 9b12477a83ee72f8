"""Expected credit loss in the scorer (IFRS 9 section 5.5): the 12-month and the lifetime ECL
of each record from the bundle's ``ecl`` section, and the IFRS 9 stage.

The section (written by :func:`riskmodels.provisions.with_ecl`)::

    "ecl": {"grades": [the master scale's grades, in its order],
            "marginal": [[m(1), ..., m(T)] per grade],   # marginal PD of default in year t
            "lgd": 0.45 | {"segment": category input, "values": {label: LGD}},
            "discount_rate": 0.05,                      # the effective interest rate
            "ead": input field | null,                  # null: ECL per unit of exposure
            "stage": null | {"origination_pd": input field, "days_past_due": input field | null,
                             "relative": 2.0, "absolute": 0.005, "sicr_dpd": 30, "default_dpd": 90},
            "source": how the term structure was made}

A record's grade on the master scale picks its row of marginal PDs. The lifetime ECL is
:func:`lifetime_ecl` of that row (Σ_t m(t) × LGD × EAD / (1 + r)^t, end-of-year discounting
at the effective interest rate, IFRS 9 5.5.17 and B5.5.44); the 12-month ECL is the same sum
over the first year alone (the part of the lifetime loss from defaults within 12 months,
IFRS 9 Appendix A), so 12-month ≤ lifetime for every record. With a ``stage`` rule the record's
PD against its origination PD and its days past due give the stage (:func:`stage`), and
``ecl`` is the allowance of that stage: the 12-month ECL in stage 1, the lifetime ECL in
stages 2 and 3. These functions are the ones :mod:`riskmodels.provisions` exports.
"""

from __future__ import annotations

import math

import numpy as np

from .inputs import lookup_labels


def expected_loss(pd_, lgd, ead):
    """Expected loss PD × LGD × EAD (arrays broadcast).

    Examples
    --------
    >>> expected_loss(0.01, 0.45, 1_000_000)
    4500.0
    """
    return np.multiply(np.multiply(pd_, lgd), ead)


def lifetime_ecl(marginal, lgd, ead, rate: float = 0.0):
    """Lifetime ECL = Σ_t m(t) × LGD × EAD / (1 + rate)^t (t = 1..T, end-of-year discounting);
    ``marginal`` is T marginal PDs (or n × T), ``lgd`` and ``ead`` scalars (or n).

    Examples
    --------
    >>> round(float(lifetime_ecl([0.02, 0.03], 0.5, 100.0)), 6)
    2.5
    """
    m = np.asarray(marginal, dtype=float)
    discount = (1.0 + rate) ** -np.arange(1.0, m.shape[-1] + 1.0)
    return (m * discount).sum(axis=-1) * np.asarray(lgd, dtype=float) * np.asarray(ead, dtype=float)


def stage(pd_now, pd_origination, days_past_due, *, relative: float = 2.0, absolute: float = 0.005,
          sicr_dpd: int = 30, default_dpd: int = 90, in_default=None) -> np.ndarray:
    """IFRS 9 stage per exposure: 3 credit-impaired, 2 significant increase in credit risk, else 1.

    Stage 3: in default (``in_default``) or more than ``default_dpd`` days past due (B5.5.37's
    rebuttable 90 days). Stage 2: more than ``sicr_dpd`` days past due (5.5.11's rebuttable
    30 days), or the PD at least ``relative`` times its origination PD *and* at least
    ``absolute`` above it (both documented defaults; "more than" is strict, as the standard's
    words). Missing PDs fall back to the days-past-due rules.

    Examples
    --------
    >>> stage([0.010, 0.030, 0.012, 0.004, 0.02], [0.010, 0.010, 0.005, 0.001, 0.02],
    ...       [0, 0, 0, 0, 31]).tolist()   # x1; x3 +2 pp; x2.4 +0.7 pp; x4 but +0.3 pp; 31 days
    [1, 2, 2, 1, 2]
    >>> stage([0.01, 0.01], [0.01, 0.01], [90, 91]).tolist()
    [2, 3]
    """
    now, then = np.asarray(pd_now, dtype=float), np.asarray(pd_origination, dtype=float)
    dpd = np.asarray(days_past_due, dtype=float)
    with np.errstate(invalid="ignore"):
        sicr = (now >= relative * then) & (now - then >= absolute)
    out = np.where(sicr | (dpd > sicr_dpd), 2, 1)
    impaired = dpd > default_dpd
    if in_default is not None:
        impaired |= np.asarray(in_default, dtype=bool)
    return np.where(impaired, 3, out)


#: the stage rule's thresholds and their defaults (the keyword arguments of :func:`stage`)
STAGE_DEFAULTS = {"relative": 2.0, "absolute": 0.005, "sicr_dpd": 30, "default_dpd": 90}


def ecl_factors(section: dict) -> tuple:
    """Per grade, the 12-month and the lifetime ECL per unit of LGD × EAD (:func:`lifetime_ecl`
    of the first year and of all years), each followed by NaN for a record without a grade.

    Examples
    --------
    >>> twelve, life = ecl_factors({"marginal": [[0.1, 0.09]], "discount_rate": 0.0})
    >>> twelve.tolist(), life.round(12).tolist()
    ([0.1, nan], [0.19, nan])
    """
    m = np.asarray(section["marginal"], dtype=float)
    rate = float(section["discount_rate"])
    return (np.append(lifetime_ecl(m[:, :1], 1.0, 1.0, rate), np.nan),
            np.append(lifetime_ecl(m, 1.0, 1.0, rate), np.nan))


def ecl_inputs(section: dict) -> list:
    """The input fields an ``ecl`` section reads: the EAD, the LGD's segment, the stage's fields.

    Examples
    --------
    >>> ecl_inputs({"lgd": 0.4, "ead": "balance", "stage": {"origination_pd": "pd0", "days_past_due": None}})
    ['balance', 'pd0']
    """
    rule = section.get("stage") or {}
    lgd = section["lgd"]
    fields = [section.get("ead"), lgd.get("segment") if isinstance(lgd, dict) else None,
              rule.get("origination_pd"), rule.get("days_past_due")]
    return [f for f in fields if f is not None]


class ExpectedCreditLoss:
    """The bundle's ``ecl`` section, its per-grade factors computed once; called on a batch
    (:meth:`batch`) or on one record (:meth:`one`).

    Examples
    --------
    >>> ecl = ExpectedCreditLoss({"grades": ["A", "B"], "marginal": [[0.01, 0.02], [0.1, 0.09]],
    ...                           "lgd": 0.5, "discount_rate": 0.0, "ead": "balance"})
    >>> out = ecl.batch(np.array([0, 1, -1]), np.array([0.01, 0.1, np.nan]),
    ...                 {"balance": np.array([100.0, 100.0, 100.0])})
    >>> out["ecl_12m"].tolist(), out["ecl_lifetime"].round(9).tolist()
    ([0.5, 5.0, nan], [1.5, 9.5, nan])
    >>> ecl.one("B", 0.1, {"balance": 100.0})["ecl_12m"]
    5.0
    """

    def __init__(self, section: dict):
        self.section = section
        lgd = section["lgd"]
        #: the category input whose label picks the LGD (None: one LGD for every record)
        self.segment = lgd["segment"] if isinstance(lgd, dict) else None
        self.lgd = {str(k): float(v) for k, v in lgd["values"].items()} if self.segment else float(lgd)
        self.ead = section.get("ead")
        self.rule = section.get("stage")
        self.twelve, self.lifetime = ecl_factors(section)
        self.code = {g: i for i, g in enumerate(section["grades"])}

    def batch(self, scale_index: np.ndarray, pd_: np.ndarray, cols: dict) -> dict:
        """``ecl_12m``, ``ecl_lifetime`` (and ``stage``, ``ecl``) of records whose master-scale
        grade is ``grades[scale_index]`` (-1: none, NaN out)."""
        ead = 1.0 if self.ead is None else np.asarray(cols[self.ead], dtype=float)
        lgd = self.lgd if self.segment is None else lookup_labels(self.lgd, cols[self.segment], np.nan, float)
        out = {"ecl_12m": expected_loss(self.twelve[scale_index], lgd, ead),
               "ecl_lifetime": expected_loss(self.lifetime[scale_index], lgd, ead)}
        if self.rule:
            out["stage"] = found = self._stage(pd_, cols)
            out["ecl"] = np.where(found == 1, out["ecl_12m"], out["ecl_lifetime"])
        return out

    def one(self, grade: str | None, pd_: float, values: dict) -> dict:
        """The same for one record (its master-scale grade, PD and clean values), plain floats."""
        i = self.code.get(grade, -1)
        ead = 1.0 if self.ead is None else values[self.ead]
        lgd = self.lgd if self.segment is None else self.lgd.get(values[self.segment], math.nan)
        out = {"ecl_12m": float(expected_loss(self.twelve[i], lgd, ead)),
               "ecl_lifetime": float(expected_loss(self.lifetime[i], lgd, ead))}
        if self.rule:
            out["stage"] = found = int(self._stage(pd_, values))
            out["ecl"] = out["ecl_12m"] if found == 1 else out["ecl_lifetime"]
        return out

    def _stage(self, pd_, fields: dict):
        """:func:`stage` by the section's rule; ``fields``: the input columns or one record's values."""
        rule = self.rule
        dpd = np.nan if rule.get("days_past_due") is None else fields[rule["days_past_due"]]
        return stage(pd_, fields[rule["origination_pd"]], dpd,
                     **{k: rule.get(k, v) for k, v in STAGE_DEFAULTS.items()})
