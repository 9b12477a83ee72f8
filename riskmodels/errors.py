"""Exceptions raised by riskmodels.

Every error the toolkit raises on bad input is a :class:`RiskModelsError`, so a
caller can catch them all at once. The module imports nothing but the standard
library: the production scorer uses it too.

Examples
--------
>>> from riskmodels.errors import DataValidationError, RiskModelsError
>>> issubclass(DataValidationError, RiskModelsError)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field


class RiskModelsError(Exception):
    """Base class of every error riskmodels raises on purpose.

    Examples
    --------
    >>> issubclass(DataValidationError, RiskModelsError), issubclass(BundleError, RiskModelsError)
    (True, True)
    """


@dataclass(frozen=True)
class Violation:
    """One broken rule: which column, which rows (first few labels), what was expected.

    Examples
    --------
    >>> print(Violation("dpd", "negative values", ">= 0", (4, 9), 3))
    column 'dpd': negative values in 3 row(s): [4, 9] (+1 more); expected >= 0
    """

    column: str
    rule: str
    expected: str
    rows: tuple = field(default_factory=tuple)
    n_rows: int = 0

    def __str__(self) -> str:
        where = ""
        if self.n_rows:
            shown = ", ".join(repr(r) for r in self.rows)
            more = f" (+{self.n_rows - len(self.rows)} more)" if self.n_rows > len(self.rows) else ""
            where = f" in {self.n_rows} row(s): [{shown}]{more}"
        return f"column {self.column!r}: {self.rule}{where}; expected {self.expected}"


class DataValidationError(RiskModelsError, ValueError):
    """Input data breaks a declared rule. ``violations`` lists every broken rule.

    Examples
    --------
    >>> err = DataValidationError([Violation("amount", "negative values", ">= 0", (3,), 1)])
    >>> print(err)
    1 data rule(s) broken:
      - column 'amount': negative values in 1 row(s): [3]; expected >= 0
    """

    def __init__(self, violations, context: str = ""):
        if isinstance(violations, str):
            violations = [Violation("-", violations, "valid input")]
        self.violations = list(violations)
        head = f"{context}: " if context else ""
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"{head}{len(self.violations)} data rule(s) broken:\n{lines}")

    @property
    def columns(self) -> list[str]:
        """Columns named by the violations, in order of first appearance."""
        return list(dict.fromkeys(v.column for v in self.violations))


class DataIntegrityError(RiskModelsError):
    """A bundled data file does not match the checksum in its manifest.

    Examples
    --------
    >>> issubclass(DataIntegrityError, RiskModelsError)
    True
    """


class DataNotFoundError(RiskModelsError, FileNotFoundError):
    """A bundled data file or its checksum manifest is not where it should be.

    Not a sign of tampering: the data is not installed, or ``RISKMODELS_DATA_DIR``
    points at a folder without it.

    Examples
    --------
    >>> isinstance(DataNotFoundError("taiwan.csv is not installed"), FileNotFoundError)
    True
    """


class SpecError(RiskModelsError, ValueError):
    """An expert-scorecard spec, a master scale or a config file is invalid.

    ``path`` locates the problem inside the file, e.g. ``aspects[2].weight``.

    Examples
    --------
    >>> print(SpecError("must be > 0", path="aspects[2].weight", source="bank.yaml"))
    bank.yaml at aspects[2].weight: must be > 0
    """

    def __init__(self, message: str, path: str = "", source: str = ""):
        self.path = path
        self.source = source
        where = " ".join(p for p in (source, f"at {path}" if path else "") if p)
        super().__init__(f"{where}: {message}" if where else message)


class ConfigError(SpecError):
    """An experiment configuration is invalid (the path names the key).

    Examples
    --------
    >>> print(ConfigError("unknown model type 'svm'", path="models[0].type"))
    at models[0].type: unknown model type 'svm'
    """


class BundleError(RiskModelsError, ValueError):
    """A scorer bundle is tampered with, of an unknown version, or cannot score the input.

    Examples
    --------
    >>> isinstance(BundleError("sha256 does not match"), ValueError)
    True
    """


class FileError(RiskModelsError, OSError):
    """An input file is missing, empty or unreadable, or an output cannot be written safely
    (its folder is missing or read-only, it is the input, it exists without ``overwrite``,
    or another run is writing it).

    Examples
    --------
    >>> isinstance(FileError("scores.csv exists; pass overwrite=True"), OSError)
    True
    """


class ParameterError(RiskModelsError, ValueError, TypeError):
    """An estimator or function parameter is invalid (like scikit-learn's InvalidParameterError).

    Raised by ``fit`` before any data is read; ``violations`` names each parameter.
    Not a :class:`DataValidationError`: no data rule is broken, the call is.

    Examples
    --------
    >>> err = ParameterError([Violation("pd_map", "is 'logit'", "'empirical' or 'normal'")], "KMVModel")
    >>> isinstance(err, ValueError) and isinstance(err, TypeError), err.parameters
    (True, ['pd_map'])
    >>> print(err)
    KMVModel: 1 invalid parameter(s):
      - pd_map: is 'logit'; expected 'empirical' or 'normal'
    """

    def __init__(self, violations, context: str = ""):
        head = f"{context}: " if context else ""
        if isinstance(violations, str):  # one message that names the parameter itself
            self.violations = []
            super().__init__(f"{head}{violations}")
            return
        self.violations = list(violations)
        lines = "\n".join(f"  - {v.column}: {v.rule}; expected {v.expected}" for v in self.violations)
        super().__init__(f"{head}{len(self.violations)} invalid parameter(s):\n{lines}")

    @property
    def parameters(self) -> list[str]:
        """Names of the invalid parameters, in order."""
        return list(dict.fromkeys(v.column for v in self.violations))


class ChecksParameters:
    """Mixin of the estimators: one shape of parameter check.

    A class lists what is wrong with its constructor parameters in ``_parameter_problems()``
    (a list of :class:`Violation`, empty when all is well); ``_check_params()``, called by
    ``fit`` before any data is read, raises one :class:`ParameterError` naming every problem.

    Examples
    --------
    >>> class Model(ChecksParameters):
    ...     def __init__(self, alpha=1.0):
    ...         self.alpha = alpha
    ...     def _parameter_problems(self):
    ...         return [] if self.alpha > 0 else [Violation("alpha", f"is {self.alpha!r}", "> 0")]
    >>> Model(-1.0)._check_params()
    Traceback (most recent call last):
    ...
    riskmodels.errors.ParameterError: Model: 1 invalid parameter(s):
      - alpha: is -1.0; expected > 0
    """

    def _parameter_problems(self) -> list:
        """Violations of the constructor parameters (none for a class without parameters)."""
        return []

    def _check_params(self) -> None:
        """Raise ParameterError (also ValueError/TypeError) naming every invalid parameter."""
        problems = self._parameter_problems()
        if problems:
            raise ParameterError(problems, type(self).__name__)


def _not_fitted_error() -> type:
    """NotFittedError, subclassing scikit-learn's when it is installed (the scorer never needs it)."""
    try:
        from sklearn.exceptions import NotFittedError as SklearnNotFittedError
    except ImportError:  # the production scorer runs without scikit-learn
        bases: tuple = (RiskModelsError, ValueError, AttributeError)
    else:
        bases = (RiskModelsError, SklearnNotFittedError)
    doc = ("An estimator was used before ``fit``: both a RiskModelsError and scikit-learn's\n"
           "``sklearn.exceptions.NotFittedError`` (so ``check_is_fitted`` callers catch it).")
    return type("NotFittedError", bases, {"__doc__": doc, "__module__": __name__})


def __getattr__(name: str):
    # NotFittedError is built on first use, so importing this module (as the scorer does)
    # does not import scikit-learn.
    if name == "NotFittedError":
        cls = _not_fitted_error()
        globals()["NotFittedError"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class MigrationError(RiskModelsError, ValueError):
    """A migration computation cannot be done on this input (e.g. no cohort fits the panel).

    Examples
    --------
    >>> isinstance(MigrationError("no cohort fits the panel"), ValueError)
    True
    """


class ConvergenceError(RiskModelsError, ArithmeticError):
    """A numerical solver did not converge and no flagged fallback applies.

    Examples
    --------
    >>> isinstance(ConvergenceError("Newton stalled"), ArithmeticError)
    True
    """


class MonitoringError(DataValidationError):
    """A monitoring period cannot be assessed: it is empty, its outcomes name records that
    were never scored, its dates are out of order, or a reference is missing.

    Examples
    --------
    >>> err = MonitoringError([Violation("id", "outcome for a record never scored", "a scored id", ("x9",), 1)],
    ...                       context="monitor")
    >>> isinstance(err, RiskModelsError), err.columns
    (True, ['id'])
    """


class RegisterError(RiskModelsError, ValueError):
    """The credit-file register refuses an action its rules do not allow (a read without a reader or
    purpose, an export without an approval, a write-off without evidence and approval, ...).

    Examples
    --------
    >>> isinstance(RegisterError("no approval recorded"), RiskModelsError)
    True
    """
