"""The credit file register: rating history, reviews, collection events, write-offs, and who read them.

Examples
--------
>>> from riskmodels.register import CreditRegister
>>> CreditRegister.sqlite(":memory:").verify_access_log() is None
True
"""

from riskmodels.register.chain import first_broken, link
from riskmodels.register.credit_file import APPROVAL_BODIES, EVIDENCE_KINDS, CreditRegister
from riskmodels.register.reviews import REVIEWS, reviews_due
from riskmodels.register.store import Store

__all__ = ["CreditRegister", "Store", "EVIDENCE_KINDS", "APPROVAL_BODIES", "link", "first_broken", "reviews_due",
           "REVIEWS"]
