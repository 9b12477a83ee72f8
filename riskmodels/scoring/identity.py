"""Kind "identity": the input already is the raw output (a PD, or a value that the
calibration steps map to one). A record alone is scored as a batch of one."""

from __future__ import annotations


def identity_kernel(model: dict, cols: dict, n: int) -> dict:
    """The column ``model["input"]`` as the raw output; a read-only column (an absent input's
    one value, see :func:`~riskmodels.scoring.inputs.prepare_inputs`) is copied, as the raw
    output may be returned as the PD.

    >>> identity_kernel({"input": "p"}, {"p": [0.1]}, 1)
    {'raw': [0.1]}
    """
    raw = cols[model["input"]]
    flags = getattr(raw, "flags", None)
    return {"raw": raw.copy() if flags is not None and not flags.writeable else raw}
