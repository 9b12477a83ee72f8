"""Expected credit loss in a scorer bundle: :func:`with_ecl` adds the ``ecl`` section that
makes :meth:`riskmodels.scoring.Scorer.score` return a 12-month and a lifetime ECL per record
(and the IFRS 9 stage), on every path the bundle goes (CLI, pyfunc/REST, Spark, SQL, PMML).

The section holds the marginal PD of every year 1..T per master-scale grade (from a
:class:`~riskmodels.provisions.TermStructure`: matrix powers of a migration matrix, a
generator, or the master scale's PDs under a constant hazard), one LGD, the effective
interest rate that discounts the losses (IFRS 9 5.5.17(b), B5.5.44), the input field that
holds each record's exposure (the ledger balance; without it the ECL is per unit of EAD) and,
optionally, the staging rule's fields. The EAD and stage fields become bundle inputs that
refuse a missing or negative value, so bad exposure data is refused as any bad input is.

Examples
--------
>>> from riskmodels import scoring
>>> from riskmodels.provisions import term_structure
>>> bundle = scoring.seal({"schema_version": 1, "kind": "identity",
...     "inputs": [{"name": "pd", "type": "number", "min": 0.0, "max": 1.0}],
...     "model": {"input": "pd"}, "calibration": [],
...     "master_scale": {"grades": ["A", "B"], "upper_bounds": [0.05]}})
>>> ts = term_structure([0.01, 0.1], years=2, grades=["A", "B"], kind="pd")
>>> scorer = scoring.Scorer(with_ecl(bundle, ts, lgd=0.5, ead="balance"))
>>> out = scorer.score({"pd": 0.2, "balance": 1000.0})
>>> out["grade"], out["ecl_12m"], round(out["ecl_lifetime"], 6)   # 0.1 × 0.5 × 1000; + 0.09 × ...
('B', 50.0, 95.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels import scoring
from riskmodels.errors import ParameterError
from riskmodels.provisions.lifetime import TermStructure

__all__ = ["ecl_section", "with_ecl"]


def _marginal(term_structure, basis: str) -> pd.DataFrame:
    """Marginal PDs per grade (rows) and year (columns) from a TermStructure, or a frame or
    ``{grade: [PD per year]}`` of cumulative (``basis="cumulative"``) or marginal PDs."""
    if isinstance(term_structure, TermStructure):
        return term_structure.marginal
    if basis not in ("cumulative", "marginal"):
        raise ParameterError(f"basis must be 'cumulative' or 'marginal'; got {basis!r}")
    if isinstance(term_structure, dict):
        term_structure = pd.DataFrame.from_dict(term_structure, orient="index")
    if not isinstance(term_structure, pd.DataFrame):
        raise ParameterError("term_structure must be a TermStructure, a DataFrame (grades x years) or a "
                             f"dict {{grade: [PD per year]}}; got {type(term_structure).__name__}")
    frame = term_structure.astype(float)
    return frame if basis == "marginal" else TermStructure(frame, "given").marginal


def _lgd(lgd, segment: str | None):
    """The section's LGD: a number, or ``{"segment": field, "values": {label: LGD}}``."""
    if isinstance(lgd, (dict, pd.Series)):
        if segment is None:
            raise ParameterError("an LGD per segment needs segment= (the category input naming each "
                                 "record's segment)")
        values = {str(k): float(v) for k, v in dict(lgd).items()}
        bad = {k: v for k, v in values.items() if not 0.0 <= v <= 1.0}
        if bad or not values:
            raise ParameterError(f"lgd per segment must give values in [0, 1]; got {bad or values}")
        return {"segment": segment, "values": dict(sorted(values.items()))}
    if segment is not None:
        raise ParameterError("segment= names the input of an LGD per segment; lgd is one number here")
    if not 0.0 <= float(lgd) <= 1.0:
        raise ParameterError(f"lgd must be in [0, 1]; got {lgd!r}")
    return float(lgd)


def ecl_section(master_scale: dict, term_structure, *, lgd, discount_rate: float = 0.0,
                ead: str | None = None, origination_pd: str | None = None,
                days_past_due: str | None = None, staging: dict | None = None,
                basis: str = "cumulative", segment: str | None = None) -> dict:
    """The bundle's ``ecl`` section (see :mod:`riskmodels.scoring.ecl`) for ``master_scale``.

    Parameters
    ----------
    master_scale : the bundle's master-scale section (its grades pick the term structure's rows).
    term_structure : :class:`~riskmodels.provisions.TermStructure` (its marginal PDs), or a
        DataFrame / ``{grade: [PD of year 1..T]}`` of cumulative (``basis``) or marginal PDs.
        Every grade of the scale needs a row (a defaulted grade: cumulative PD 1 every year).
    lgd : loss given default in [0, 1]; or, with ``segment``, ``{segment label: LGD}`` (a dict or
        Series, e.g. ``workout_lgd(...).by_segment(industry)["ead_weighted_lgd"]``).
    discount_rate : the effective interest rate (annual, end-of-year discounting).
    ead : input field holding the exposure at default (e.g. the ledger balance); None: per unit.
    origination_pd : input field with the PD at origination: adds the IFRS 9 stage and ``ecl``.
    days_past_due : input field with the days past due (stage 2 above 30, stage 3 above 90).
    staging : thresholds of :func:`~riskmodels.provisions.stage` (relative, absolute, sicr_dpd,
        default_dpd); default its documented defaults.
    basis : "cumulative" or "marginal", for a frame or dict ``term_structure``.
    segment : the category input whose label picks the LGD (with an ``lgd`` per segment).

    Returns
    -------
    dict

    Examples
    --------
    >>> section = ecl_section({"grades": ["A", "D"]}, {"A": [0.01, 0.03], "D": [1.0, 1.0]}, lgd=0.4)
    >>> section["marginal"], section["lgd"], section["ead"]
    ([[0.01, 0.02], [1.0, 0.0]], 0.4, None)
    """
    grades = list(master_scale["grades"])
    marginal = _marginal(term_structure, basis)
    index = [str(g) for g in marginal.index]
    missing = [g for g in grades if g not in index]
    if missing:
        raise ParameterError(f"the term structure has no row for the master-scale grade(s) {missing} "
                             f"(its rows: {index}); give one per grade (a defaulted grade: cumulative PD 1 "
                             "every year)")
    values = marginal.to_numpy(dtype=float)[[index.index(g) for g in grades]]
    bad = ~((values >= 0.0) & (values <= 1.0))
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise ParameterError(f"grade {grades[row]!r} year {col + 1}: marginal PD "
                             f"{values[row, col]!r} is not in [0, 1] (cumulative PDs must not decrease)")
    lgd = _lgd(lgd, segment)
    if not 0.0 <= float(discount_rate) <= 10.0:
        raise ParameterError(f"discount_rate must be an annual rate in [0, 10]; got {discount_rate!r}")
    rule = None
    if origination_pd is not None:
        unknown = set(staging or {}) - set(scoring.STAGE_DEFAULTS)
        if unknown:
            raise ParameterError(f"staging takes {sorted(scoring.STAGE_DEFAULTS)}; got {sorted(unknown)}")
        rule = {"origination_pd": origination_pd, "days_past_due": days_past_due,
                **{k: float((staging or {}).get(k, v)) for k, v in scoring.STAGE_DEFAULTS.items()}}
    elif days_past_due is not None or staging:
        raise ParameterError("days_past_due and staging need origination_pd (the stage compares the PD "
                             "with the PD at origination)")
    return {"grades": grades, "marginal": values.tolist(), "lgd": lgd,
            "discount_rate": float(discount_rate), "ead": ead, "stage": rule,
            "source": getattr(term_structure, "basis", basis)}


def with_ecl(bundle, term_structure, *, lgd, discount_rate: float = 0.0, ead: str | None = None,
             origination_pd: str | None = None, days_past_due: str | None = None,
             staging: dict | None = None, basis: str = "cumulative", segment: str | None = None) -> dict:
    """A sealed copy of ``bundle`` with the ``ecl`` section (:func:`ecl_section`; same
    parameters) and an input rule for each field it reads that the bundle lacks (EAD and days
    past due: a number >= 0; origination PD: in [0, 1]; the LGD's segment: a category among
    the segments given; a missing value or an unknown segment refused).

    ``bundle`` is a bundle dict (sealed or not), path or bytes; a signed bundle is refused
    (add the section first, then sign: ``model.export(path, ecl={...}, key=...)``).

    Examples
    --------
    >>> from riskmodels import scoring
    >>> bundle = {"schema_version": 1, "kind": "identity", "inputs": [{"name": "pd", "type": "number"}],
    ...           "model": {"input": "pd"}, "calibration": [],
    ...           "master_scale": {"grades": ["A"], "upper_bounds": []}}
    >>> sealed = with_ecl(bundle, {"A": [0.02]}, lgd=0.5, ead="balance", origination_pd="pd0")
    >>> [r["name"] for r in sealed["inputs"]], scoring.verify(sealed)["ecl"]["stage"]["relative"]
    (['pd', 'balance', 'pd0'], 2.0)
    """
    content = dict(bundle) if isinstance(bundle, dict) else scoring.read_bundle(bundle)
    if content.get("signature"):
        raise ParameterError("the bundle is signed: add the ECL section before signing "
                             "(model.export(path, ecl={...}, key=...))")
    section = ecl_section(content["master_scale"], term_structure, lgd=lgd, discount_rate=discount_rate,
                          ead=ead, origination_pd=origination_pd, days_past_due=days_past_due,
                          staging=staging, basis=basis, segment=segment)
    inputs = list(content["inputs"])
    names = {r["name"] for r in inputs}
    for field, bounds in ((ead, {"min": 0.0}), (origination_pd, {"min": 0.0, "max": 1.0}),
                          (days_past_due, {"min": 0.0})):
        if field is not None and field not in names:
            inputs.append({"name": field, "type": "number", **bounds, "missing": "error",
                           "out_of_range": "error"})
            names.add(field)
    if segment is not None and segment not in names:
        inputs.append({"name": segment, "type": "category", "categories": list(section["lgd"]["values"]),
                       "missing": "error", "unknown": "error"})
    content.pop("sha256", None)
    sealed = scoring.seal({**content, "inputs": inputs, "ecl": section})
    return scoring.verify(sealed)
