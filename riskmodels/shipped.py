"""Where the data sets and experiment configs that ship with riskmodels are found.

Their source of truth is the repository's top level, ``data/`` and ``experiments/``.
The wheel carries them inside the package, at ``riskmodels/data/bundled`` and
``riskmodels/experiments``, by its build configuration (``force-include`` in
``pyproject.toml``), so nothing is checked in twice. :func:`shipped_dir` looks in
the installed package first and then beside it, which finds them in an installed
wheel, an editable install and a plain checkout alike.

Examples
--------
>>> (shipped_dir("data") / "SHA256SUMS").is_file()
True
>>> (shipped_dir("experiments") / "taiwan.yaml").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

from riskmodels.errors import ParameterError

#: the folder's place inside an installed wheel, by top-level name
IN_WHEEL = {"data": "data/bundled", "experiments": "experiments"}


def shipped_dir(name: str) -> Path:
    """The folder of the shipped ``"data"`` or ``"experiments"``.

    Inside the installed package when the wheel put it there, else the checkout's
    top-level folder (editable install, or running from the repository).
    """
    if name not in IN_WHEEL:
        raise ParameterError(f"name must be one of {sorted(IN_WHEEL)}, got {name!r}")
    package = Path(__file__).resolve().parent
    inside = package / IN_WHEEL[name]
    if inside.is_dir():
        return inside
    return package.parent / name
