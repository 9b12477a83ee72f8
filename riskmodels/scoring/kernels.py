"""The kernels of the model kinds, batch and one record.

A kernel takes the bundle's "model" section and the prepared input columns and returns a
dict with "raw" (fed to the calibration steps), and optionally "points" (the score shown
to users), "contributions" (n × f points lost per feature) with "reason_names",
"policy_grade" (the model's own grade) and "extra". Each model kind owns its kernel, in its
module. Other code may register a kind in :data:`KERNELS`.

A one-record kernel factory takes the bundle and returns ``(score, reason names)`` or None
(see :func:`~riskmodels.scoring.scorer.one_record_scorer`); a kind without one (identity, kmv, or a
bundle it declines) scores a record alone as a batch of one.
"""

from __future__ import annotations

from .crosstab import crosstab_kernel, crosstab_record
from .expert import expert_kernel, expert_record
from .identity import identity_kernel
from .kmv import kmv_kernel
from .logistic import logistic_kernel, logistic_record

KERNELS = {"identity": identity_kernel, "expert": expert_kernel, "logistic": logistic_kernel,
           "kmv": kmv_kernel, "crosstab": crosstab_kernel}
RECORD_KERNELS = {"expert": expert_record, "logistic": logistic_record, "crosstab": crosstab_record}
