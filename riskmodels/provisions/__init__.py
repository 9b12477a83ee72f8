"""Provisions: expected credit loss for receivables from the ledger.

- :func:`provision_matrix` — loss rates per days-past-due bucket (cohort or roll rates) and the
  allowance on a date (IFRS 9's simplified approach, CAS 22; the documents' bad-debt reserve).
- :mod:`riskmodels.provisions.lifetime` — lifetime PD term structures by grade and the Vasicek
  conditional PD for scenarios; IFRS 9 stages; expected loss PD × LGD × EAD.
- :func:`with_ecl` — a scorer bundle that returns the 12-month and lifetime ECL (and the
  IFRS 9 stage) per record beside PD, grade and limit (:mod:`riskmodels.provisions.bundle`).
- :func:`allowance_movement` — the allowance's reconciliation between dates (new invoices, paid,
  written off, ageing, change in loss rates), per month or quarter if asked.
- :func:`workout_lgd` — workout LGD and EAD per defaulted customer from the ledger
  (:mod:`riskmodels.provisions.lgd`).

Examples
--------
>>> from riskmodels import provisions
>>> provisions.bucket_names((0, 30))
['not yet due', '1-30', 'over 30']
"""

from riskmodels._lazy import lazy_getattr

# public name -> module that defines it (imported on first use: a comparison config's
# ``provisions:`` section needs only riskmodels.provisions.config)
_EXPORTS = {
    "ecl_section": "riskmodels.provisions.bundle",
    "with_ecl": "riskmodels.provisions.bundle",
    "WorkoutLGD": "riskmodels.provisions.lgd",
    "discount_factor": "riskmodels.provisions.lgd",
    "workout_lgd": "riskmodels.provisions.lgd",
    "TermStructure": "riskmodels.provisions.lifetime",
    "expected_loss": "riskmodels.provisions.lifetime",
    "lifetime_ecl": "riskmodels.provisions.lifetime",
    "scenario_term_structure": "riskmodels.provisions.lifetime",
    "stage": "riskmodels.provisions.lifetime",
    "term_structure": "riskmodels.provisions.lifetime",
    "vasicek_conditional_pd": "riskmodels.provisions.lifetime",
    "ProvisionMatrix": "riskmodels.provisions.matrix",
    "bucket_names": "riskmodels.provisions.matrix",
    "provision_matrix": "riskmodels.provisions.matrix",
    "AllowanceMovement": "riskmodels.provisions.movement",
    "allowance_movement": "riskmodels.provisions.movement",
}

__getattr__ = lazy_getattr("riskmodels.provisions", _EXPORTS, globals())


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


__all__ = sorted(_EXPORTS)
