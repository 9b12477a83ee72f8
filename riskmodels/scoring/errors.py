"""The scorer's errors: :class:`BundleError` (riskmodels' own when it is installed) and
:class:`InvalidPDError`."""

from __future__ import annotations

try:  # inside the package the shared error classes are used; a copied file defines its own
    from riskmodels.errors import BundleError
except ImportError:  # pragma: no cover - exercised by the stand-alone copy test
    class BundleError(ValueError):
        """A scorer bundle is tampered with, of an unknown version, or cannot score the input."""


class InvalidPDError(BundleError):
    """A model produced a PD that is NaN or outside [0, 1]; ``rows`` lists the records."""

    def __init__(self, message: str, rows: list):
        super().__init__(message)
        self.rows = rows
