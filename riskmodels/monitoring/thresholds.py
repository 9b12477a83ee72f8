"""Green / amber / red thresholds of the monitoring measures, and the one-line verdict.

Defaults (every one can be changed, ``Thresholds(psi=(0.05, 0.2), ...)``):

=====================  ==========  =========  ==============================================
measure                amber from  red from   source of the default
=====================  ==========  =========  ==============================================
score / grade PSI      0.10        0.25       the industry rule of thumb (Siddiqi 2006, ch. 8;
                                              Yurdakul 2018): < 0.1 stable, > 0.25 shifted
CSI per characteristic 0.10        0.25       the same zones, per characteristic
missing rate change    0.05        0.10       absolute change of the share of missing values
unknown categories     0.01        0.05       share of values outside the development categories
mean PD change         0.20        0.50       |mean PD / development mean PD − 1|
per-grade back-test    yellow      red        traffic light, Tasche (2003): 95 % / 99.9 %
                                              quantiles of the default count
AUC drop (ECB test)    p < 0.05    p < 0.01   ECB 2019 instructions §2.5.4.1, one-sided
Hosmer–Lemeshow        p < 0.05    p < 0.01   χ² with G degrees of freedom (fixed model)
portfolio binomial     p < 0.05    p < 0.01   all obligors against their mean PD
override rate          0.10        0.20       share of final grades differing from the model's
migration (ECB test)   p < 0.05    p < 0.01   smallest p of the off-diagonal monotonicity test
=====================  ==========  =========  ==============================================

Examples
--------
>>> t = Thresholds()
>>> t.zone("psi", 0.06), t.zone("psi", 0.12), t.zone("psi", 0.3)
('green', 'amber', 'red')
>>> t.zone("auc_drop_p", 0.003)
'red'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

ORDER = {"green": 0, "amber": 1, "red": 2}
# measures where a SMALL value is bad (p-values): red when value < red bound
_P_VALUES = frozenset({"auc_drop_p", "hosmer_lemeshow_p", "binomial_p", "migration_p"})


@dataclass(frozen=True)
class Thresholds:
    """(amber, red) bounds per measure; see the module docstring for the defaults and sources."""

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

    def __post_init__(self):
        for name, (amber, red) in asdict(self).items():
            if name == "traffic_light_levels":
                ok = 0 < amber < red < 1
            elif name in _P_VALUES:
                ok = 0 < red <= amber < 1
            else:
                ok = 0 <= amber <= red
            if not ok:
                from riskmodels.errors import ConfigError

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
            from riskmodels.errors import ConfigError

            raise ConfigError(f"unknown threshold(s) {unknown}; known: {sorted(known)}", path=unknown[0])
        return cls(**{k: tuple(float(x) for x in v) for k, v in values.items()})

    def zone(self, measure: str, value) -> str | None:
        """"green", "amber" or "red" for a value of a measure (None for a missing value)."""
        if value is None or value != value:
            return None
        amber, red = getattr(self, measure)
        if measure in _P_VALUES:
            return "red" if value < red else "amber" if value < amber else "green"
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
