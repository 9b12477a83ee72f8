"""Kind "identity": the input already is the raw output (a PD, or a value that the
calibration steps map to one). A record alone is scored as a batch of one."""

from __future__ import annotations


def identity_kernel(model: dict, cols: dict, n: int) -> dict:
    """The column ``model["input"]`` as the raw output.

    >>> identity_kernel({"input": "p"}, {"p": [0.1]}, 1)
    {'raw': [0.1]}
    """
    return {"raw": cols[model["input"]]}
