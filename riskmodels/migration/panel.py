"""Rating panels: (entity, date, grade) observations checked and turned into step paths.

A panel row says "from this date the entity's grade is ``grade``". The grade
stays in force until the entity's next row; an entity is observed from its
first to its last row. The default grade (the last grade of the scale unless
given) is absorbing: once an entity reaches it, it stays there and its later
rows are ignored (their number is reported).

Handling of awkward panels (documented rules):

- dates out of order within an entity: :class:`~riskmodels.errors.DataValidationError`
  naming the rows, unless ``sort=True`` (then the rows are sorted by date);
- the same (entity, date) twice: DataValidationError (which grade holds is unknowable);
- a grade that is not in ``grades``, missing values: DataValidationError;
- an entity with a single row: it has no observed period, so it adds no
  transition and no exposure; it is counted in ``RatingPaths.n_single``.
  A panel where *every* entity has one row raises DataValidationError.

Examples
--------
>>> import pandas as pd
>>> panel = pd.DataFrame({"entity": ["a", "a", "b", "b"], "date": [2020, 2021, 2020, 2021],
...                       "grade": ["A", "B", "B", "D"]})
>>> paths = rating_paths(panel, ["A", "B", "D"])
>>> paths.state.tolist(), paths.n_single
([0, 1, 1, 2], 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskmodels.data.schema import Column, Schema
from riskmodels.errors import DataValidationError, Violation

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class RatingPaths:
    """A validated panel as flat arrays sorted by (entity, time).

    Attributes
    ----------
    entity : int codes of the entities (0..n_entities-1).
    time : observation times in years (dates become years since the first date).
    state : grade index of each row (0 = best, ``default_state`` = absorbing).
    grades : the grade labels.
    default_state : index of the absorbing default grade.
    n_single : entities with a single observation (no observed period).
    n_after_default : rows dropped because they follow the entity's default.
    origin : the date that is time 0 when the panel's dates are datetimes, else None.

    Examples
    --------
    >>> panel = pd.DataFrame({"entity": list("aabbcc"), "date": [0.0, 1.0] * 3, "grade": list("ABAABD")})
    >>> paths = rating_paths(panel, ["A", "B", "D"])
    >>> paths.grades, paths.default_state, paths.state.tolist()
    (('A', 'B', 'D'), 2, [0, 1, 0, 0, 1, 2])
    """

    entity: np.ndarray
    time: np.ndarray
    state: np.ndarray
    grades: tuple
    default_state: int
    n_single: int
    n_after_default: int
    origin: object = None

    @property
    def n_states(self) -> int:
        """Number of grades.

        Examples
        --------
        >>> panel = pd.DataFrame({"entity": ["a", "a"], "date": [0.0, 1.0], "grade": ["A", "B"]})
        >>> rating_paths(panel, ["A", "B", "C", "D"]).n_states
        4
        """
        return len(self.grades)

    def to_years(self, when) -> float:
        """A date or a number on the panel's time axis (years since the first date).

        Parameters
        ----------
        when : date-like or float
            A date (panels with datetimes) or a time in years (numeric panels).

        Returns
        -------
        float

        Examples
        --------
        >>> dates = pd.to_datetime(["2020-01-01", "2021-01-01"])
        >>> paths = rating_paths(pd.DataFrame({"entity": ["a", "a"], "date": dates, "grade": ["A", "B"]}), ["A", "B"])
        >>> str(paths.origin.date()), round(paths.to_years("2022-01-01"), 4)  # 731 days / 365.25
        ('2020-01-01', 2.0014)
        """
        if self.origin is None:
            return float(when)
        return (pd.Timestamp(when) - self.origin) / pd.Timedelta(days=DAYS_PER_YEAR)


def rating_paths(panel: pd.DataFrame, grades, *, entity: str = "entity", date: str = "date",
                 grade: str = "grade", default_grade=None, sort: bool = False) -> RatingPaths:
    """Validate a rating panel and return it as :class:`RatingPaths`.

    Parameters
    ----------
    panel : DataFrame with one row per (entity, date).
    grades : grade labels from best to worst; the default grade must be among them.
    entity, date, grade : column names. ``date`` holds datetimes or numbers (years).
    default_grade : the absorbing grade; the last of ``grades`` when None.
    sort : sort each entity's rows by date instead of refusing unsorted rows.

    Returns
    -------
    RatingPaths

    Examples
    --------
    >>> import pandas as pd
    >>> bad = pd.DataFrame({"entity": ["a", "a"], "date": [2021, 2020], "grade": ["A", "A"]})
    >>> rating_paths(bad, ["A", "D"])
    Traceback (most recent call last):
    ...
    riskmodels.errors.DataValidationError: rating panel: 1 data rule(s) broken:
      - column 'date': dates not increasing within an entity in 1 row(s): [1]; expected each entity's rows sorted by date (or sort=True)
    >>> rating_paths(bad, ["A", "D"], sort=True).time.tolist()
    [2020.0, 2021.0]
    """
    grades = tuple(grades)
    if len(set(grades)) != len(grades) or len(grades) < 2:
        raise DataValidationError([Violation("grades", f"{list(grades)}", "at least two distinct grades")])
    default_grade = grades[-1] if default_grade is None else default_grade
    if default_grade not in grades:
        raise DataValidationError([Violation("default_grade", f"{default_grade!r} is not a grade",
                                             f"one of {list(grades)}")])
    schema = Schema([Column(entity, "any"), Column(date, "any"), Column(grade, "any", allowed=grades)],
                    unique=(entity, date), name="rating panel")
    schema.validate(panel)
    when = panel[date]
    if pd.api.types.is_datetime64_any_dtype(when.dtype):
        origin = when.min()
        t = ((when - origin) / pd.Timedelta(days=DAYS_PER_YEAR)).to_numpy(dtype=float)
    elif pd.api.types.is_numeric_dtype(when.dtype) and not pd.api.types.is_bool_dtype(when.dtype):
        origin = None
        t = when.to_numpy(dtype=float)
    else:
        raise DataValidationError([Violation(date, f"has dtype {when.dtype}", "datetimes or numbers (years)")],
                                  context="rating panel")
    codes, _ = pd.factorize(panel[entity], sort=True)
    if not sort:
        frame = pd.DataFrame({"e": codes, "t": t}, index=panel.index)
        previous = frame.groupby("e", sort=False)["t"].shift()
        unsorted = (frame["t"] < previous).to_numpy()
        if unsorted.any():
            raise DataValidationError([Violation(
                date, "dates not increasing within an entity", "each entity's rows sorted by date (or sort=True)",
                tuple(panel.index[unsorted][:5].tolist()), int(unsorted.sum()))], context="rating panel")
    lookup = {g: i for i, g in enumerate(grades)}
    state = pd.Categorical(panel[grade], categories=list(grades)).codes.astype(np.int64)
    order = np.lexsort((t, codes))
    codes, t, state = codes[order], t[order], state[order]
    d = lookup[default_grade]
    # drop rows after the first default row of each entity (default is absorbing)
    is_default = (state == d).astype(np.int64)
    seen = pd.Series(is_default).groupby(codes).cumsum().to_numpy()
    after = (seen - is_default) > 0
    keep = ~after
    codes, t, state = codes[keep], t[keep], state[keep]
    rows_per_entity = np.bincount(codes)
    single = int(np.sum(rows_per_entity == 1))
    if single == len(rows_per_entity):
        raise DataValidationError([Violation(entity, "every entity has a single observation",
                                             "at least one entity observed on two dates")],
                                  context="rating panel")
    return RatingPaths(codes.astype(np.int64), t, state, grades, d, single, int(after.sum()), origin)
