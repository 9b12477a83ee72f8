"""Tables for people: integers as integers, rates as percentages, "–" where there is no data.

The report formats every table through :func:`html_table`; the rule for a cell
comes from its column name (or, in a label/value table, from its row label).

Examples
--------
>>> frame = pd.DataFrame({"n": [120.0, 0.0], "default_rate": [0.0312, float("nan")], "auc": [0.71234, 0.5]})
>>> display_frame(frame).values.tolist()
[['120', '3.12%', '0.7123'], ['0', '–', '0.5']]
"""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pandas as pd

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;padding:1em 2em;max-width:1400px;color:#222;
 box-sizing:border-box}
h1{margin-bottom:0.2em} h2{border-bottom:2px solid #446;padding-bottom:3px;margin-top:2em}
h3{margin-top:1.5em;color:#334} h4{margin:1em 0 0.3em}
table{border-collapse:collapse;margin:0.4em 0 1.2em;max-width:100%}
caption{text-align:left;font-weight:600;padding:2px 0}
td,th{border:1px solid #ccc;padding:3px 7px;font-size:12.5px;overflow-wrap:anywhere;vertical-align:top}
tbody th{white-space:nowrap;overflow-wrap:normal}
td{text-align:right;font-variant-numeric:tabular-nums} td.t{text-align:left} th{background:#f2f2f2;text-align:left}
pre{font-size:11.5px;white-space:pre-wrap;overflow-wrap:anywhere}
.simpletable td{text-align:right} .failed{color:#b00} .meta{color:#555}
.row{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.row>table{margin-top:0}
figure{margin:0} img{display:block;width:540px;max-width:100%;height:auto}
img.wide{width:1080px}
nav.toc{background:#f7f7fa;border:1px solid #dde;padding:0.5em 1.5em;columns:2;column-gap:3em}
nav.toc ul{margin:0.2em 0;padding-left:0;list-style:none} nav.toc a{text-decoration:none}
ul.limits li{margin:0.3em 0}
@media print{
 body{max-width:none;padding:0;font-size:11px} nav.toc{columns:1}
 h2{break-before:page} h3,h4,caption{break-after:avoid}
 tr,img,figure,pre{break-inside:avoid} img{width:48%} img.wide{width:96%}
 a{color:inherit;text-decoration:none}
}
"""

NO_DATA = "–"
WIDEST = 10  # a table with more columns than this (and fewer rows) is shown transposed
COUNT = re.compile(r"^(n|n_\w+|count|defaults|events|non_events|bins|records|firms|grades_\w+|"
                   r"status \w+|observations|rows|train n|test n|\w+ n|\w+ defaults|bound)$")
RATE = re.compile(r"(rate|share|^pd$|_pd$|\bpd\b|^dr_|^expected$|^actual$|agreement|missing)", re.IGNORECASE)


def is_missing(value) -> bool:
    """True for None, NaN and pandas' NA.

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(pd.NA), is_missing(0.0), is_missing("x")
    (True, True, False, False)
    """
    if value is None or value is pd.NA:
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def percent(value: float) -> str:
    """A rate as a percentage with the digits its size needs.

    Examples
    --------
    >>> percent(0.1234), percent(0.0123), percent(0.000123), percent(0.0), percent(1.0)
    ('12.3%', '1.23%', '0.012%', '0%', '100%')
    """
    share = round(100 * float(value), 9)
    if share == 0 or share == 100:
        return f"{share:.0f}%"
    if abs(share) >= 10:
        return f"{share:.1f}%"
    if abs(share) >= 1:
        return f"{share:.2f}%"
    return f"{share:.2g}%"


def format_value(value, name: str = "") -> str:
    """One cell as text, by the rule its column (or row) name calls for.

    Parameters
    ----------
    value : object
        The cell.
    name : str
        Its column name (a row label in a label/value table): counts print as integers,
        rates and shares as percentages.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(3.0, "defaults"), format_value(0.25, "event_rate"), format_value(None, "pd")
    ('3', '25.0%', '–')
    >>> format_value(123456.7, "coef"), format_value(-0.001234, "coef"), format_value(True), format_value(5)
    ('123,457', '-0.001234', 'yes', '5')
    """
    if is_missing(value):
        return NO_DATA
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if np.isinf(value):
            return "∞" if value > 0 else "−∞"
        if COUNT.match(str(name)) and value.is_integer():
            return f"{int(value):,}"
        if RATE.search(str(name)) and -1 <= value <= 1:
            return percent(value)
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell formatted by :func:`format_value` (a label/value table by its row labels).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame of str, same shape and labels.

    Examples
    --------
    >>> display_frame(pd.DataFrame({"value": [3.0, 0.05]}, index=["firms", "default rate"]))["value"].tolist()
    ['3', '5.00%']
    """
    columns = display_columns(frame)
    out = pd.DataFrame(dict(enumerate(columns)), index=frame.index, columns=range(len(columns)), dtype=object)
    out.columns = [str(c) for c in frame.columns]
    return out


def display_columns(frame: pd.DataFrame) -> list[list[str]]:
    """The cells of :func:`display_frame` as one list of texts per column (no frame built).

    Examples
    --------
    >>> display_columns(pd.DataFrame({"n": [3.0, 4.0], "auc": [0.71234, None]}))
    [['3', '4'], ['0.7123', '–']]
    """
    by_row = list(frame.columns) == ["value"]
    out = []
    for j, column in enumerate(frame.columns):
        names = [str(i) for i in frame.index] if by_row else [str(column)] * len(frame)
        out.append([format_value(v, n) for v, n in zip(frame.iloc[:, j].tolist(), names, strict=True)])
    return out


NUMBER = re.compile(r"^[−+-]?[\d,.]+(e[+-]?\d+)?%?$|^[−]?∞$|^–$")


def _td(text: str) -> str:
    """A cell: numbers right-aligned (the stylesheet's default), text left-aligned."""
    return f"<td>{html.escape(text)}</td>" if NUMBER.match(text) else f"<td class='t'>{html.escape(text)}</td>"


def html_table(frame: pd.DataFrame, caption: str | None = None, *, index: bool = True,
               header: bool = True, transpose: bool | None = None) -> str:
    """A formatted ``<table>`` that fits the page: a wide, short table is shown transposed.

    Parameters
    ----------
    frame : pandas.DataFrame
    caption : str, optional
    index, header : bool
        Show the row labels / the column names.
    transpose : bool, optional
        Force (True) or forbid (False) the transposition; default: when the table has
        more than ``WIDEST`` columns and fewer rows than columns.

    Returns
    -------
    str

    Examples
    --------
    >>> html_table(pd.DataFrame({"n": [3.0]}, index=["A"]), "Grades")
    '<table><caption>Grades</caption><thead><tr><th></th><th>n</th></tr></thead><tbody><tr><th>A</th><td>3</td></tr></tbody></table>'
    """
    columns = display_columns(frame)
    labels, names = list(frame.index), [str(c) for c in frame.columns]
    if transpose is None:
        transpose = len(names) > WIDEST and len(labels) < len(names)
    if transpose:
        labels, names = names, [str(i) for i in (labels if index else range(1, len(labels) + 1))]
        rows, index, header = columns, True, True
    else:
        rows = list(zip(*columns, strict=True)) if columns else [()] * len(labels)
    parts = ["<table>"]
    if caption:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    if header:
        names = ([""] if index else []) + names
        parts.append("<thead><tr>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr></thead>")
    parts.append("<tbody>")
    for label, row in zip(labels, rows, strict=True):
        head = f"<th>{html.escape(str(label))}</th>" if index else ""
        parts.append("<tr>" + head + "".join(_td(v) for v in row) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def img_tag(png: bytes, alt: str) -> str:
    """An inline ``<img>`` tag holding PNG bytes as base64 (class "wide" for a figure of several panels).

    Examples
    --------
    >>> import struct
    >>> png = b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR" + struct.pack(">II", 540, 360)
    >>> img_tag(png, "roc")[:50]
    '<img alt="roc" src="data:image/png;base64,iVBORw0K'
    """
    data = base64.b64encode(png).decode("ascii")
    from riskmodels.comparison.figures import DPI, FIGSIZE, png_size

    cls = ' class="wide"' if png_size(png)[0] > DPI * FIGSIZE[0] else ""
    return f'<img alt="{html.escape(alt)}"{cls} src="data:image/png;base64,{data}"/>'
