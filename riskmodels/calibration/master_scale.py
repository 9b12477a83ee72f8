"""Master scales: PD bands that turn a probability of default into a grade.

A master scale lists grades from best to worst; the last one is the default
grade. Bands are half-open, ``PD in [u(i-1), u(i))`` → grade ``i``, PDs below the
optional floor are raised to it first, and every grade carries a midpoint
(representative) PD. Grading runs through :func:`riskmodels.scoring.grade_of`,
the very function the production scorer uses.

Examples
--------
>>> scale = MasterScale.standard("enterprise10")
>>> scale.grade([0.0001, 0.002, 0.05, 1.0]).tolist()
['AAA', 'BBB', 'B', 'D']
>>> scale.midpoint_pd("BB")
0.0072
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from riskmodels import scoring
from riskmodels.data.schema import violation
from riskmodels.errors import DataValidationError, SpecError
from riskmodels.fileio import load_yaml
from riskmodels.results import Summary

STANDARD_SCALES = ("enterprise10", "bank15", "agency7")


class _ScaleFile(BaseModel):
    """The YAML layout of a master scale (validated before the scale's own rules)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    grades: list[str]
    upper_bounds: list[float]
    midpoints: list[float] | None = None
    floor: float | None = None
    classes: dict[str, list[str]] | None = None


class MasterScale:
    """Grades with half-open PD bands, midpoint PDs, an optional floor and a default grade.

    Parameters
    ----------
    grades : sequence of str
        Labels from best to worst; the last is the default grade.
    upper_bounds : sequence of float
        ``len(grades) - 1`` strictly increasing PDs in (0, 1]: the upper bound of
        every grade but the last. ``upper_bounds[-1] == 1`` makes the default
        grade the region PD = 1.
    midpoints : sequence of float, optional
        Representative PD per grade, each inside its band. By default the
        geometric mean of the band ends (the first band starts at the floor, or
        at half its upper bound; the default grade's midpoint is 1).
    floor : float, optional
        PD floor (e.g. 0.0003, Basel II para. 285): lower PDs are graded as the floor.
    name : str
        Name stored in bundles.
    classes : dict, optional
        Grouping of grades into classes (e.g. the documents' A/B/C/D).
    description : str
        Free text (where the bands come from).

    Examples
    --------
    >>> scale = MasterScale(["A", "B", "D"], [0.01, 1.0], name="toy")
    >>> scale.grade([0.005, 0.01, 1.0]).tolist()
    ['A', 'B', 'D']
    >>> [round(m, 4) for m in scale.midpoints]
    [0.0071, 0.1, 1.0]
    """

    def __init__(self, grades, upper_bounds, midpoints=None, floor=None, name="custom",
                 classes=None, description=""):
        self.name = str(name)
        self.grades = [str(g) for g in grades]
        self.upper_bounds = [float(u) for u in upper_bounds]
        self.floor = None if floor is None else float(floor)
        self.description = description
        self._check_bands()
        self.midpoints = ([float(m) for m in midpoints] if midpoints is not None
                          else self._default_midpoints())
        self.classes = {str(k): [str(g) for g in v] for k, v in (classes or {}).items()}
        self._check_midpoints_and_classes()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_bounds(cls, grades, upper_pd_bounds, **kwargs) -> MasterScale:
        """A scale from labels and upper PD bounds (midpoints by default geometric).

        Examples
        --------
        >>> MasterScale.from_bounds(["A", "B", "D"], [0.02, 1.0], floor=0.005).midpoints
        [0.01, 0.1414213562373095, 1.0]
        """
        return cls(grades, upper_pd_bounds, **kwargs)

    @classmethod
    def geometric(cls, n_grades: int, low: float, high: float, default_grade: str | None = "D",
                  floor=None, name=None, labels=None) -> MasterScale:
        """``n_grades`` grades whose midpoints grow geometrically from ``low`` to ``high``.

        Midpoints ``m_k = low · (high/low)^((k-1)/(n-1))``; the bound between two
        grades is the geometric mean of their midpoints. With ``default_grade``
        a default grade (PD = 1) is appended after them.

        Parameters
        ----------
        n_grades : int
            Number of non-default grades (>= 2).
        low, high : float
            Midpoint PDs of the best and the worst non-default grade, 0 < low < high < 1.
        default_grade : str or None
            Label of the appended default grade; None appends none (the worst grade
            then covers PDs up to 1).
        floor : float, optional
            PD floor.
        name : str, optional
            Scale name (default ``geometric<n>``).
        labels : sequence of str, optional
            Labels of the non-default grades (default "1".."n").

        Returns
        -------
        MasterScale

        Examples
        --------
        >>> s = MasterScale.geometric(20, 0.0003, 0.30)
        >>> round(s.upper_bounds[0], 6), round(s.upper_bounds[9], 6), s.grades[-1]
        (0.00036, 0.009487, 'D')
        """
        if int(n_grades) != n_grades or n_grades < 2:
            raise SpecError(f"n_grades must be an integer >= 2, got {n_grades!r}", "n_grades")
        if not 0 < low < high < 1:
            raise SpecError(f"need 0 < low < high < 1, got low={low!r}, high={high!r}", "low/high")
        n = int(n_grades)
        mids = low * (high / low) ** (np.arange(n) / (n - 1))
        bounds = list(np.sqrt(mids[:-1] * mids[1:]))
        names = [str(g) for g in labels] if labels is not None else [str(k) for k in range(1, n + 1)]
        if len(names) != n:
            raise SpecError(f"{len(names)} labels for {n} grades", "labels")
        mids = [float(m) for m in mids]
        if default_grade is not None:
            names.append(str(default_grade))
            bounds.append(1.0)
            mids.append(1.0)
        return cls(names, [float(b) for b in bounds], mids, floor=floor,
                   name=name or f"geometric{n}")

    @classmethod
    def standard(cls, name: str = "enterprise10", floor: float | None | str = "shipped") -> MasterScale:
        """One of the shipped scales: "enterprise10", "bank15" or "agency7".

        The YAML files in ``riskmodels/calibration/scales/`` document how their
        bands were chosen.

        Parameters
        ----------
        name : str
            The scale.
        floor : float, None or "shipped"
            PD floor: "shipped" keeps the file's (0.03 %, Basel II para. 285, for
            enterprise10 and bank15; none for agency7), a number replaces it (e.g.
            0.0005, Basel III CRE32.4 for corporates), None removes it.

        Returns
        -------
        MasterScale

        Examples
        --------
        >>> MasterScale.standard("bank15").grades[:4]
        ['AAA', 'AA', 'A', 'BBB+']
        >>> MasterScale.standard("enterprise10", floor=0.0005).grade([0.0001]).tolist()
        ['AA']
        """
        if name not in STANDARD_SCALES:
            raise SpecError(f"unknown standard scale {name!r}; shipped: {list(STANDARD_SCALES)}", "name")
        text = resources.files("riskmodels.calibration").joinpath("scales", f"{name}.yaml").read_text(
            encoding="utf-8")
        scale = cls._from_text(text, source=f"{name}.yaml")
        if floor == "shipped":
            return scale
        return cls(scale.grades, scale.upper_bounds, scale.midpoints, floor, scale.name, scale.classes,
                   scale.description)

    @classmethod
    def from_yaml(cls, path) -> MasterScale:
        """Load a scale from a YAML file (safe loader, :func:`~riskmodels.fileio.load_yaml`, + validation).

        Examples
        --------
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "s.yaml")
        >>> MasterScale.standard("agency7").to_yaml(path) == path
        True
        >>> MasterScale.from_yaml(path).grades[-2:]
        ['CCC/C', 'D']
        """
        return cls._from_text(Path(path).read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def _from_text(cls, text: str, source: str) -> MasterScale:
        try:
            raw = load_yaml(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"not valid YAML: {exc}", source=source) from None
        if not isinstance(raw, dict):
            raise SpecError("a master scale file must be a mapping", source=source)
        try:
            spec = _ScaleFile.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            path = ".".join(str(p) for p in first["loc"])
            raise SpecError(first["msg"], path=path, source=source) from None
        try:
            return cls(spec.grades, spec.upper_bounds, spec.midpoints, spec.floor, spec.name,
                       spec.classes, spec.description)
        except SpecError as exc:
            raise SpecError(str(exc), source=source) from None

    def to_dict(self) -> dict:
        """Plain dict of the scale (the YAML layout).

        Examples
        --------
        >>> MasterScale.standard("agency7").to_dict()["grades"]
        ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC/C', 'D']
        """
        return {"name": self.name, "description": self.description, "grades": list(self.grades),
                "upper_bounds": list(self.upper_bounds), "midpoints": list(self.midpoints),
                "floor": self.floor, "classes": {k: list(v) for k, v in self.classes.items()}}

    def to_yaml(self, path) -> str:
        """Write the scale as YAML to ``path``; return the path as given.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> path = MasterScale(["A", "B", "D"], [0.01, 1.0], name="toy").to_yaml(folder / "toy.yaml")
        >>> MasterScale.from_yaml(path).grades
        ['A', 'B', 'D']
        """
        from riskmodels.fileio import write_atomic

        write_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))
        return path

    def to_bundle(self) -> dict:
        """The bundle's ``master_scale`` section.

        Examples
        --------
        >>> sorted(MasterScale.standard().to_bundle())
        ['floor', 'grades', 'midpoints', 'name', 'upper_bounds']
        """
        return {"name": self.name, "grades": list(self.grades), "upper_bounds": list(self.upper_bounds),
                "floor": self.floor, "midpoints": list(self.midpoints)}

    @classmethod
    def from_bundle(cls, section: dict) -> MasterScale:
        """Rebuild a scale from a bundle's ``master_scale`` section.

        Examples
        --------
        >>> scale = MasterScale.standard("agency7")
        >>> MasterScale.from_bundle(scale.to_bundle()).grades == scale.grades
        True
        """
        return cls(section["grades"], section["upper_bounds"], section.get("midpoints"),
                   section.get("floor"), section.get("name", "bundle"))

    # ------------------------------------------------------------------ use
    @property
    def n_grades(self) -> int:
        """Number of grades including the default grade.

        Examples
        --------
        >>> MasterScale.standard("agency7").n_grades
        8
        """
        return len(self.grades)

    @property
    def default_grade(self) -> str:
        """Label of the default grade (the last one).

        Examples
        --------
        >>> MasterScale.standard("agency7").default_grade
        'D'
        """
        return self.grades[-1]

    @property
    def lower_bounds(self) -> list[float]:
        """Lower PD bound of each grade (the first starts at the floor, or 0).

        With a floor above a bound, the grades below the floor are unreachable.

        Examples
        --------
        >>> MasterScale(["A", "B", "D"], [0.01, 1.0]).lower_bounds
        [0.0, 0.01, 1.0]
        """
        return [self.floor or 0.0] + list(self.upper_bounds)

    def grade(self, pd) -> np.ndarray:
        """Grade label of each PD (object array; NaN PD → None), via ``scoring.grade_of``.

        Examples
        --------
        >>> MasterScale.standard("agency7").grade([0.0, 0.0072, float("nan")]).tolist()
        ['AAA', 'BB', None]
        """
        p = np.atleast_1d(np.asarray(pd, dtype=float))
        bad = (p < 0) | (p > 1)
        if bad.any():
            raise DataValidationError([violation("pd", f"PDs outside [0, 1] ({p[bad][:5].tolist()})",
                                                  np.flatnonzero(bad), "PDs in [0, 1]")])
        return scoring.grade_of(self.to_bundle(), p)

    def grade_index(self, pd) -> np.ndarray:
        """Position (0 = best) of each PD's grade; -1 for NaN.

        Examples
        --------
        >>> MasterScale(["A", "B", "D"], [0.01, 1.0]).grade_index([0.001, 0.5, 1.0, np.nan]).tolist()
        [0, 1, 2, -1]
        """
        labels = self.grade(pd)
        lookup = {g: i for i, g in enumerate(self.grades)}
        return np.fromiter((-1 if g is None else lookup[g] for g in labels), dtype=np.int64,
                           count=len(labels))

    def midpoint_pd(self, grade):
        """Representative PD of a grade label (or of each label in a sequence).

        Examples
        --------
        >>> MasterScale.standard().midpoint_pd(["AAA", "D"]).tolist()
        [0.0003, 1.0]
        """
        lookup = dict(zip(self.grades, self.midpoints, strict=True))
        if isinstance(grade, str):
            return lookup[self._known(grade)]
        return np.array([lookup[self._known(g)] for g in grade], dtype=float)

    def class_of(self, grade):
        """The class (e.g. "A".."D") of a grade label, or of each label in a sequence.

        Examples
        --------
        >>> MasterScale.standard("bank15").class_of(["BBB-", "B+", "CCC", "D"])
        ['B', 'B', 'C', 'D']
        """
        if not self.classes:
            raise SpecError(f"scale {self.name!r} defines no classes", "classes")
        lookup = {g: c for c, members in self.classes.items() for g in members}
        if isinstance(grade, str):
            return lookup[self._known(grade)]
        return [lookup[self._known(g)] for g in grade]

    def map_to(self, other: MasterScale) -> dict:
        """Grade correspondence: each grade here → the grade of ``other`` holding its midpoint.

        Examples
        --------
        >>> ent, bank = MasterScale.standard("enterprise10"), MasterScale.standard("bank15")
        >>> m = ent.map_to(bank)
        >>> m["BBB"], m["B"], m["D"]
        ('BBB', 'B-', 'D')
        >>> bank.map_to(ent)["BBB-"]
        'BBB'
        """
        return dict(zip(self.grades, other.grade(self.midpoints).tolist(), strict=True))

    def bands(self) -> pd.DataFrame:
        """Table of grades with lower/upper bound, midpoint and class.

        Examples
        --------
        >>> MasterScale.standard("agency7").bands().loc["BB", "midpoint"]
        0.0072
        """
        lookup = {g: c for c, members in self.classes.items() for g in members}
        upper = list(self.upper_bounds) + [1.0]
        return pd.DataFrame({"lower": self.lower_bounds, "upper": upper, "midpoint": self.midpoints,
                             "class": [lookup.get(g) for g in self.grades]},
                            index=pd.Index(self.grades, name="grade"))

    def summary(self) -> Summary:
        """The bands with PDs in percent (a :class:`~riskmodels.results.Summary`).

        Examples
        --------
        >>> MasterScale.standard("agency7").summary().tables[1].frame.loc["BB", "midpoint %"]
        0.72
        """
        bands = self.bands()
        percent = bands[["lower", "upper", "midpoint"]].mul(100).round(6).add_suffix(" %")
        return (Summary(f"Master scale {self.name!r}")
                .add_rows([("grades", self.n_grades),
                           ("floor", "none" if self.floor is None else f"{self.floor:.4%}")])
                .add_table(percent.assign(**{"class": bands["class"]}), "Bands"))

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        return f"MasterScale(name={self.name!r}, grades={self.grades!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, MasterScale) and self.to_dict() == other.to_dict()

    __hash__ = None

    # ------------------------------------------------------------------ checks
    def _known(self, grade: str) -> str:
        if grade not in self.grades:
            raise SpecError(f"unknown grade {grade!r}; scale {self.name!r} has {self.grades}", "grade")
        return grade

    def _default_midpoints(self) -> list[float]:
        first = self.floor if self.floor and self.floor < self.upper_bounds[0] else self.upper_bounds[0] / 2
        lows = [first] + self.upper_bounds[:-1]
        mids = [float(np.sqrt(lo * hi)) for lo, hi in zip(lows, self.upper_bounds, strict=True)]
        return mids + [1.0]

    def _check_bands(self):
        k = len(self.grades)
        if k < 2:
            raise SpecError(f"a scale needs at least 2 grades, got {k}", "grades")
        if len(set(self.grades)) != k:
            dup = sorted({g for g in self.grades if self.grades.count(g) > 1})
            raise SpecError(f"grade labels repeat: {dup}", "grades")
        u = np.asarray(self.upper_bounds, dtype=float)
        if len(u) != k - 1:
            raise SpecError(f"{k} grades need {k - 1} upper bounds, got {len(u)}", "upper_bounds")
        bad = np.flatnonzero(~((u > 0) & (u <= 1)))
        if bad.size:
            raise SpecError(f"bounds must lie in (0, 1]; positions {bad[:5].tolist()} are "
                            f"{u[bad][:5].tolist()}", "upper_bounds")
        bad = np.flatnonzero(np.diff(u) <= 0)
        if bad.size:
            raise SpecError(f"bounds must increase strictly; position {int(bad[0]) + 1} "
                            f"({u[bad[0] + 1]}) does not exceed {u[bad[0]]}", "upper_bounds")
        if self.floor is not None and not 0 <= self.floor < u[-1]:
            raise SpecError(f"floor {self.floor} must be in [0, {u[-1]}) (below the default grade)", "floor")

    def _check_midpoints_and_classes(self):
        if len(self.midpoints) != self.n_grades:
            raise SpecError(f"{self.n_grades} grades need {self.n_grades} midpoints, got "
                            f"{len(self.midpoints)}", "midpoints")
        upper = self.upper_bounds + [1.0]
        lower = [0.0] + self.upper_bounds  # the band itself; a floor may make low grades unreachable
        for i, (g, m, lo, hi) in enumerate(zip(self.grades, self.midpoints, lower, upper, strict=True)):
            last = i == self.n_grades - 1
            inside = lo <= m <= hi if last else lo <= m < hi
            if not inside:
                raise SpecError(f"midpoint {m} of grade {g!r} lies outside its band [{lo}, {hi})",
                                f"midpoints[{i}]")
        if self.classes:
            members = [g for v in self.classes.values() for g in v]
            unknown = sorted(set(members) - set(self.grades))
            missing = [g for g in self.grades if g not in members]
            twice = sorted({g for g in members if members.count(g) > 1})
            for what, items in (("unknown grades", unknown), ("grades without a class", missing),
                                ("grades in two classes", twice)):
                if items:
                    raise SpecError(f"{what}: {items}", "classes")
