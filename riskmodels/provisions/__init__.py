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

from riskmodels.provisions.bundle import ecl_section, with_ecl
from riskmodels.provisions.lgd import WorkoutLGD, discount_factor, workout_lgd
from riskmodels.provisions.lifetime import (
    TermStructure,
    expected_loss,
    lifetime_ecl,
    scenario_term_structure,
    stage,
    term_structure,
    vasicek_conditional_pd,
)
from riskmodels.provisions.matrix import ProvisionMatrix, bucket_names, provision_matrix
from riskmodels.provisions.movement import AllowanceMovement, allowance_movement

__all__ = ["AllowanceMovement", "ProvisionMatrix", "TermStructure", "WorkoutLGD", "allowance_movement",
           "bucket_names", "discount_factor", "ecl_section", "expected_loss", "lifetime_ecl", "provision_matrix",
           "scenario_term_structure", "stage", "term_structure", "vasicek_conditional_pd", "with_ecl", "workout_lgd"]
