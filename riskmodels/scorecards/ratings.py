"""Rank- and label-based ratings of document 003 that are not 100-point cards.

* :func:`contractor_grades` — 建设工程施工企业信用评价办法 第四条: per evaluation period (half a
  year, 第八条) the ten best-ranked contractors are A, the last three and any with a major
  violation (重大不良行为) are C, the others B.
* :func:`development_bank_rating` — 信用评级管理暂行办法 第九条: the development bank rates a
  customer on seven grades (AAA, AA, A, BBB, BB, B, C), its industry by a warning signal
  (green / yellow / red) and its region by five risk levels. The document says the three
  "can be used alone or combined" without a combination rule, so they are checked and
  reported side by side, never merged into one number.

Examples
--------
>>> contractor_grades([90, 80, 70, 60], top=1, bottom=1).tolist()
['A', 'B', 'B', 'C']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskmodels.data.schema import violation
from riskmodels.errors import DataValidationError, Violation

DEVELOPMENT_BANK_GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "C")
INDUSTRY_SIGNALS = ("green", "yellow", "red")                       # 绿 / 黄 / 红信号
REGION_RISKS = ("low", "fairly low", "medium", "fairly high", "high")  # 低 / 较低 / 中等 / 较高 / 高风险
_ALIASES = {"绿": "green", "绿信号": "green", "黄": "yellow", "黄信号": "yellow", "红": "red", "红信号": "red",
            "低风险": "low", "较低风险": "fairly low", "中等风险": "medium", "较高风险": "fairly high",
            "高风险": "high"}


def contractor_grades(scores, major_violation=None, period=None, top: int = 10, bottom: int = 3) -> np.ndarray:
    """A/B/C of contractors by rank within each evaluation period (003 建设工程施工企业信用评价办法).

    Parameters
    ----------
    scores : evaluation total per contractor (higher is better, 第七条 评价总分).
    major_violation : true where the contractor has a major violation (→ C whatever its rank).
    period : evaluation period per contractor (half years, 第八条); None = one period.
    top, bottom : the document's 10 and 3.

    Returns
    -------
    numpy array of "A" / "B" / "C".

    Notes
    -----
    Documented defaults where the document is silent: ties share the better rank (two
    contractors tied at 10th are both A); in a period with fewer than ``top + bottom``
    contractors the bottom-three rule wins over the top-ten rule.

    Examples
    --------
    >>> contractor_grades([5, 9, 7, 9], major_violation=[False, False, False, True], top=2, bottom=1).tolist()
    ['C', 'A', 'B', 'C']
    """
    s = np.asarray(scores, dtype=float)
    if np.isnan(s).any():
        raise DataValidationError([violation("scores", "missing scores", pd.Index(np.flatnonzero(np.isnan(s))),
                                              "an evaluation total for every contractor")])
    bad = np.zeros(len(s), dtype=bool) if major_violation is None else np.asarray(major_violation, dtype=bool)
    groups = np.zeros(len(s), dtype=int) if period is None else pd.factorize(np.asarray(period))[0]
    if len(bad) != len(s) or len(groups) != len(s):
        raise DataValidationError([Violation("major_violation/period", "lengths differ from scores",
                                             f"{len(s)} values each")])
    out = np.full(len(s), "B", dtype=object)
    for g in np.unique(groups):
        rows = np.flatnonzero(groups == g)
        ranked = pd.Series(s[rows])
        best = ranked.rank(ascending=False, method="min").to_numpy()   # 1 = best; ties share it
        worst = ranked.rank(ascending=True, method="min").to_numpy()   # 1 = last
        out[rows[best <= top]] = "A"
        out[rows[worst <= bottom]] = "C"
    out[bad] = "C"
    return out


def development_bank_rating(frame: pd.DataFrame, grade: str = "grade", industry_signal: str = "industry_signal",
                            region_risk: str = "region_risk") -> pd.DataFrame:
    """Check and tabulate the development bank's three ratings (003 信用评级管理暂行办法 第九条).

    Returns the three labels (Chinese names mapped to English) with their ranks
    (0 = best): ``grade_rank`` 0..6, ``signal_rank`` 0..2, ``region_rank`` 0..4.
    A label outside the scale raises DataValidationError naming the column and rows.

    Examples
    --------
    >>> development_bank_rating(pd.DataFrame({"grade": ["AA", "C"], "industry_signal": ["绿", "red"],
    ...                                       "region_risk": ["中等风险", "low"]})).values.tolist()
    [['AA', 'green', 'medium', 1, 0, 2], ['C', 'red', 'low', 6, 2, 0]]
    """
    out = {}
    problems = []
    for col, labels, name in ((grade, DEVELOPMENT_BANK_GRADES, "grade"),
                              (industry_signal, INDUSTRY_SIGNALS, "industry_signal"),
                              (region_risk, REGION_RISKS, "region_risk")):
        if col not in frame.columns:
            problems.append(Violation(col, "missing column", f"one of {list(labels)}"))
            continue
        values = frame[col].astype(object).map(lambda v: _ALIASES.get(v, v))
        wrong = ~values.isin(list(labels))
        if wrong.any():
            problems.append(violation(col, "labels outside the scale", frame.index[wrong.to_numpy()],
                                       f"one of {list(labels)}"))
        out[name] = values
    if problems:
        raise DataValidationError(problems)
    table = pd.DataFrame(out, index=frame.index)
    table["grade_rank"] = table["grade"].map({g: i for i, g in enumerate(DEVELOPMENT_BANK_GRADES)})
    table["signal_rank"] = table["industry_signal"].map({g: i for i, g in enumerate(INDUSTRY_SIGNALS)})
    table["region_rank"] = table["region_risk"].map({g: i for i, g in enumerate(REGION_RISKS)})
    return table


__all__ = ["contractor_grades", "development_bank_rating", "DEVELOPMENT_BANK_GRADES", "INDUSTRY_SIGNALS",
           "REGION_RISKS"]
