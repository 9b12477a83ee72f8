"""What produced a run: git commit and package versions (for reproducibility tags)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("riskmodels", "numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "mlflow",
            "matplotlib", "pydantic")


def git_commit(where: Path | None = None) -> str:
    """The checked-out commit (with ``-dirty`` when the tree has changes), or ``unknown``."""
    cwd = where or Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the numbers.

    Examples
    --------
    >>> "numpy" in package_versions()
    True
    """
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
