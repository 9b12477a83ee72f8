"""The bundle an export writes: read, verified and checked to be of a kind the target expresses.

SQL and PMML state a model's arithmetic row by row; KMV's PD needs a per-row Merton root solve,
which neither can state, so both refuse it with the same words.

Examples
--------
>>> from riskmodels import scoring
>>> kmv = {"kind": "kmv"}
>>> expressible_content(scoring.seal({"schema_version": 1, "kind": "identity", "name": "p",
...     "inputs": [{"name": "p", "type": "number"}], "model": {"input": "p"}, "calibration": [],
...     "master_scale": {"grades": ["A"], "upper_bounds": []}}), "SQL", ("identity",))["kind"]
'identity'
"""

from __future__ import annotations

from riskmodels.errors import BundleError
from riskmodels.scoring import read_bundle


def expressible_content(bundle, target: str, expressible: tuple, *, verify_signature: bool = True) -> dict:
    """The verified bundle content, or a :class:`BundleError` naming why ``target`` cannot state it.

    Parameters
    ----------
    bundle : a bundle path, JSON bytes or dict.
    target : what the export writes ("SQL", "PMML"), for the message.
    expressible : the model kinds the target states.
    verify_signature : with no signing key set, a signed bundle is refused unless False.
    """
    content = read_bundle(bundle, verify_signature=verify_signature)
    kind = content["kind"]
    if kind == "kmv":
        raise BundleError(f"a KMV bundle cannot be written as {target}: its PD needs a per-row Merton root "
                          "solve; score it with riskmodels.scoring or Spark (export.spark)")
    if kind not in expressible:
        raise BundleError(f"a {kind!r} bundle is not expressed in {target} (expressible: {list(expressible)})")
    return content
