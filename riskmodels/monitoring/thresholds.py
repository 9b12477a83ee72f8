"""Green / amber / red thresholds of the monitoring measures, and the one-line verdict.

Defaults (every one can be changed, ``Thresholds(psi=(0.05, 0.2), ...)``):

=====================  ==========  =========  ==============================================
measure                amber from  red from   source of the default
=====================  ==========  =========  ==============================================
refused records        0.05        0.20       share of the period's records the input rules
                                              refused (not scored, so in no other measure)
dropped log lines      0.001       0.01       share of a decision log's lines that are not a
                                              record (not JSON, a field missing, PD not in [0, 1])
records without chars  0.01        0.05       share of records lacking a characteristic (a
                                              logged input without the field, a missing column)
score / grade PSI      0.10        0.25       the industry rule of thumb (Siddiqi 2006, ch. 8;
                                              Yurdakul 2018): < 0.1 stable, > 0.25 shifted
CSI per characteristic 0.10        0.25       the same zones, per characteristic
missing rate change    0.05        0.10       absolute change of the share of missing values
unknown categories     0.01        0.05       share of values outside the development categories
mean PD change         0.20        0.50       |mean PD / development mean PD − 1|
per-grade traffic lt.  yellow      red        Tasche (2003): 95 % / 99.9 % quantiles of the
                                              default count (shown per grade, see below)
worst grade binomial   p < 0.05/k  p < 0.001/k  the scale's zone: smallest one-sided binomial
                                              p of its k grades, Bonferroni (see below)
AUC drop               p < 0.05    p < 0.01   ECB 2019 instructions §2.5.4.1, one-sided, with
                                              the variance of both AUCs (see below)
Hosmer–Lemeshow        p < 0.05    p < 0.01   χ² with G degrees of freedom (fixed model) over
                                              grades pooled to >= 5 expected defaults
portfolio binomial     p < 0.05    p < 0.01   all obligors against their mean PD
override rate          0.10        0.20       share of final grades differing from the model's
migration (ECB test)   p < 0.05    p < 0.01   smallest p of the off-diagonal monotonicity test
=====================  ==========  =========  ==============================================

A stable model must not read red by chance, so the tests are corrected for their number:

- **Several p-values in one verdict** (portfolio binomial, Hosmer–Lemeshow, AUC drop,
  migration): with ``multiple_testing="bonferroni"`` (the default) each is compared with its
  bounds divided by the number m of such p-values in the period's verdict, so a correct,
  stable model reads amber from them with probability <= 5 % and red <= 1 % (Bonferroni's
  inequality). ``multiple_testing="none"`` compares each p-value with its own bounds.
- **Many grades**: each grade keeps its traffic light (Tasche 2003, in the grade table), but
  the scale's zone in the verdict comes from the grades' one-sided binomial p-values
  P(X >= D), the smallest compared with ``grade_binomial_p`` = (0.05, 0.001) divided by the
  number k of tested grades (Bonferroni): a scale whose PDs are all right reads red with
  probability <= 0.1 % however many grades it has. The uncorrected traffic light is not
  used for the verdict: by the Basel convention (zone of P(X <= D)) a single default in a
  small grade of tiny PD is red, which happens by chance a few percent of the time, and
  with eight or more grades one of them often does.
- **The AUC drop**: ECB's statistic (AUC_initial − AUC_current) / s_current treats the initial
  AUC as exact, but it is itself an estimate on a finite validation sample. The two samples
  are independent, so the variance of the difference is the sum of both DeLong variances
  (Hanley & McNeil 1983): s = sqrt(s_initial² + s_current²). ``s_initial`` is stored with the
  AUC (``metadata.metrics.auc_se`` as ``rm.compare`` writes it, or the development sample's
  ``reference.auc_se``); without it the ECB statistic is used as published.
- **Hosmer–Lemeshow** is a χ² approximation that needs expected counts of about 5 or more
  (Hosmer, Lemeshow & Sturdivant 2013, §5.2.2): adjacent grades (in scale order) are pooled
  until each group expects at least ``hl_min_expected`` defaults.

Examples
--------
>>> t = Thresholds()
>>> t.zone("psi", 0.06), t.zone("psi", 0.12), t.zone("psi", 0.3)
('green', 'amber', 'red')
>>> t.zone("auc_drop_p", 0.003)
'red'
>>> t.zone("auc_drop_p", 0.003, tests=4)  # one of four p-values: red below 0.01 / 4
'amber'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from riskmodels.errors import ConfigError

ORDER = {"green": 0, "amber": 1, "red": 2}
# measures where a SMALL value is bad (p-values): red when value < red bound
_P_VALUES = frozenset({"auc_drop_p", "hosmer_lemeshow_p", "binomial_p", "migration_p", "grade_binomial_p"})
_SETTINGS = frozenset({"multiple_testing", "hl_min_expected"})  # not (amber, red) pairs
CORRECTIONS = ("bonferroni", "none")


@dataclass(frozen=True)
class Thresholds:
    """(amber, red) bounds per measure; see the module docstring for the defaults and sources."""

    refused_rate: tuple = (0.05, 0.20)
    dropped_lines: tuple = (0.001, 0.01)
    missing_inputs: tuple = (0.01, 0.05)
    psi: tuple = (0.10, 0.25)
    grade_psi: tuple = (0.10, 0.25)
    csi: tuple = (0.10, 0.25)
    missing_change: tuple = (0.05, 0.10)
    unknown_rate: tuple = (0.01, 0.05)
    mean_pd_change: tuple = (0.20, 0.50)
    auc_drop_p: tuple = (0.05, 0.01)
    hosmer_lemeshow_p: tuple = (0.05, 0.01)
    binomial_p: tuple = (0.05, 0.01)
    override_rate: tuple = (0.10, 0.20)
    migration_p: tuple = (0.05, 0.01)
    traffic_light_levels: tuple = (0.95, 0.999)
    grade_binomial_p: tuple = (0.05, 0.001)
    multiple_testing: str = "bonferroni"
    hl_min_expected: float = 5.0

    def __post_init__(self):
        if self.multiple_testing not in CORRECTIONS:
            raise ConfigError(f"thresholds multiple_testing = {self.multiple_testing!r}: one of {CORRECTIONS}",
                              path="multiple_testing")
        if not self.hl_min_expected >= 0:
            raise ConfigError(f"thresholds hl_min_expected = {self.hl_min_expected}: a number >= 0",
                              path="hl_min_expected")
        for name, value in asdict(self).items():
            if name in _SETTINGS:
                continue
            amber, red = value
            if name == "traffic_light_levels":
                ok = 0 < amber < red < 1
            elif name in _P_VALUES:
                ok = 0 < red <= amber < 1
            else:
                ok = 0 <= amber <= red
            if not ok:
                raise ConfigError(f"thresholds {name} = ({amber}, {red}) are not ordered "
                                  + ("(p-values: amber >= red)" if name in _P_VALUES else "(amber <= red)"),
                                  path=name)

    @classmethod
    def from_dict(cls, values: dict | None) -> Thresholds:
        """Thresholds from a mapping (e.g. a YAML section); unknown keys are refused.

        Examples
        --------
        >>> Thresholds.from_dict({"psi": [0.05, 0.2]}).psi
        (0.05, 0.2)
        """
        values = dict(values or {})
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown threshold(s) {unknown}; known: {sorted(known)}", path=unknown[0])
        pairs = {}
        for k, v in values.items():
            if k in _SETTINGS:
                pairs[k] = v if k == "multiple_testing" else float(v)
            elif not isinstance(v, (list, tuple)) or len(v) != 2:
                raise ConfigError(f"threshold {k} = {v!r}: an (amber, red) pair", path=k)
            else:
                pairs[k] = tuple(float(x) for x in v)
        return cls(**pairs)

    def zone(self, measure: str, value, tests: int = 1) -> str | None:
        """"green", "amber" or "red" for a value of a measure (None for a missing value).

        ``tests`` is the number of p-values in the verdict: with ``multiple_testing="bonferroni"``
        a p-value's bounds are divided by it.
        """
        if value is None or value != value:
            return None
        amber, red = getattr(self, measure)
        if measure in _P_VALUES:
            m = max(int(tests), 1) if self.multiple_testing == "bonferroni" else 1
            return "red" if value < red / m else "amber" if value < amber / m else "green"
        return "red" if value >= red else "amber" if value >= amber else "green"


def worst(zones) -> str:
    """The worst of some zones (None ignored; green when there are none).

    Examples
    --------
    >>> worst(["green", None, "amber"])
    'amber'
    """
    found = [z for z in zones if isinstance(z, str)]
    return max(found, key=ORDER.__getitem__) if found else "green"
