"""One results object for every ``summary()``: a title, tables and notes, as text, HTML or LaTeX.

The pattern is statsmodels' ``Summary``: a model builds the content once (tables as
pandas frames, pre-formatted blocks such as a statsmodels regression summary, and
notes) and the :class:`Summary` renders it three ways, so the text, the notebook
HTML and the LaTeX of a report always show the same figures.

Examples
--------
>>> import pandas as pd
>>> s = (Summary("Toy model")
...      .add_rows([("observations", 1000), ("defaults", 31)], title="Data")
...      .add_table(pd.DataFrame({"grade": ["A", "B"], "pd": [0.001, 0.0321]}), title="Grades", index=False)
...      .add_note("PDs are one-year."))
>>> print(s)
Toy model
=========
Data
------------------
observations  1000
defaults        31
<BLANKLINE>
Grades
grade     pd
    A  0.001
    B 0.0321
<BLANKLINE>
Notes: PDs are one-year.
>>> "<th>grade</th>" in s.as_html(), "\\\\begin{tabular}" in s.as_latex()
(True, True)
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def format_cell(value, digits: int = 6) -> str:
    """One table cell as text: floats to ``digits`` significant digits, NaN/None/NA as empty.

    Parameters
    ----------
    value : object
        The cell.
    digits : int
        Significant digits of a float.

    Returns
    -------
    str

    Examples
    --------
    >>> format_cell(0.123456789), format_cell(float("nan")), format_cell(pd.NA), format_cell(12), format_cell("AA")
    ('0.123457', '', '', '12', 'AA')
    """
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    return str(value)


def latex_escape(text: str) -> str:
    """Escape the LaTeX special characters of ``text``.

    Parameters
    ----------
    text : str
        Plain text.

    Returns
    -------
    str
        The text, safe inside a LaTeX document.

    Examples
    --------
    >>> latex_escape("n_defaults & 5%")
    'n\\\\_defaults \\\\& 5\\\\%'
    """
    return "".join(LATEX_SPECIAL.get(ch, ch) for ch in str(text))


@dataclass
class SummaryTable:
    """One table of a :class:`Summary`: a frame of formatted cells and how to show it.

    Attributes
    ----------
    frame : pandas.DataFrame
        The table as given (numbers kept as numbers).
    title : str or None
        Caption.
    index : bool
        Whether the row labels are shown.
    header : bool
        Whether the column names are shown.
    digits : int
        Significant digits of float cells.

    Examples
    --------
    >>> SummaryTable(pd.DataFrame({"x": [1.0]}), "t").cells().iloc[0, 0]
    '1'
    """

    frame: pd.DataFrame
    title: str | None = None
    index: bool = True
    header: bool = True
    digits: int = 6

    def cells(self) -> pd.DataFrame:
        """The frame with every cell formatted by :func:`format_cell` (the one formatting of all three renderings).

        Returns
        -------
        pandas.DataFrame
            Strings, with the row labels and column names as strings too.

        Examples
        --------
        >>> SummaryTable(pd.DataFrame({"pd": [0.0123456789, None]}), digits=3).cells()["pd"].tolist()
        ['0.0123', '']
        """
        out = self.frame.map(lambda v: format_cell(v, self.digits))
        out.index = [format_cell(v, self.digits) for v in self.frame.index]
        out.columns = [str(c) for c in self.frame.columns]
        return out

    def as_text(self) -> str:
        """Plain-text rendering.

        Returns
        -------
        str

        Examples
        --------
        >>> print(SummaryTable(pd.DataFrame({"pd": [0.0123456789]}, index=["A"]), "Grades").as_text())
        Grades
                  pd
        A  0.0123457
        """
        body = self.cells().to_string(index=self.index, header=self.header)
        if not self.title:
            return body
        rule = "-" * max(len(line) for line in body.splitlines()) if not self.header else ""
        return "\n".join([self.title] + ([rule] if rule else []) + [body])

    def as_html(self) -> str:
        """HTML ``<table>`` rendering (cells escaped).

        Returns
        -------
        str

        Examples
        --------
        >>> SummaryTable(pd.DataFrame({"a<b": [1]}), index=False).as_html()
        '<table><thead><tr><th>a&lt;b</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>'
        """
        cells = self.cells()
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        head = ""
        if self.header:
            names = ([""] if self.index else []) + list(cells.columns)
            head = "<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in names) + "</tr></thead>"
        rows = []
        for label, row in zip(cells.index, cells.itertuples(index=False), strict=True):
            th = f"<th>{html.escape(label)}</th>" if self.index else ""
            rows.append("<tr>" + th + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>")
        return f"<table>{caption}{head}<tbody>{''.join(rows)}</tbody></table>"

    def as_latex(self) -> str:
        """LaTeX ``tabular`` rendering (booktabs rules, cells escaped); a titled table is a
        ``table`` float with its caption.

        Returns
        -------
        str

        Examples
        --------
        >>> print(SummaryTable(pd.DataFrame({"n_obs": [5]}), index=False).as_latex())
        \\begin{tabular}{l}
        \\toprule
        n\\_obs \\\\
        \\midrule
        5 \\\\
        \\bottomrule
        \\end{tabular}
        """
        cells = self.cells()
        n_cols = len(cells.columns) + (1 if self.index else 0)
        lines = [r"\begin{tabular}{" + "l" * n_cols + "}", r"\toprule"]
        if self.header:
            names = ([""] if self.index else []) + list(cells.columns)
            lines += [" & ".join(latex_escape(c) for c in names) + r" \\", r"\midrule"]
        for label, row in zip(cells.index, cells.itertuples(index=False), strict=True):
            values = ([label] if self.index else []) + list(row)
            lines.append(" & ".join(latex_escape(v) for v in values) + r" \\")
        lines += [r"\bottomrule", r"\end{tabular}"]
        body = "\n".join(lines)
        if not self.title:
            return body
        return "\n".join([r"\begin{table}[htbp]", r"\centering", r"\caption{" + latex_escape(self.title) + "}",
                          body, r"\end{table}"])


@dataclass
class SummaryText:
    """A pre-formatted block of a :class:`Summary` (e.g. a statsmodels regression summary).

    Attributes
    ----------
    text : str
        The block as plain text.
    html : str or None
        Its own HTML rendering; None shows ``text`` in a ``<pre>``.
    latex : str or None
        Its own LaTeX rendering; None shows ``text`` in a ``verbatim`` environment.

    Examples
    --------
    >>> SummaryText("a < b").as_html()
    '<pre>a &lt; b</pre>'
    """

    text: str
    html: str | None = None
    latex: str | None = None

    def as_text(self) -> str:
        """Plain-text rendering.

        Returns
        -------
        str

        Examples
        --------
        >>> SummaryText("x = 1", html="<b>x = 1</b>").as_text()
        'x = 1'
        """
        return self.text

    def as_html(self) -> str:
        """HTML rendering: the block's own, else the text in a ``<pre>``.

        Returns
        -------
        str

        Examples
        --------
        >>> SummaryText("x = 1", html="<b>x = 1</b>").as_html(), SummaryText("x = 1").as_html()
        ('<b>x = 1</b>', '<pre>x = 1</pre>')
        """
        return self.html if self.html is not None else f"<pre>{html.escape(self.text)}</pre>"

    def as_latex(self) -> str:
        """LaTeX rendering: the block's own, else the text in a ``verbatim`` environment.

        Returns
        -------
        str

        Examples
        --------
        >>> SummaryText("x = 1").as_latex().splitlines()
        ['\\\\begin{verbatim}', 'x = 1', '\\\\end{verbatim}']
        """
        return self.latex if self.latex is not None else "\\begin{verbatim}\n" + self.text + "\n\\end{verbatim}"


class Summary:
    """The results summary every ``summary()`` returns: a title, tables and notes.

    Render it with ``str(summary)`` / :meth:`as_text`, :meth:`as_html` (also what
    Jupyter shows) or :meth:`as_latex`. ``"word" in summary`` searches the text.

    Parameters
    ----------
    title : str
        First line / heading.

    Attributes
    ----------
    title : str
    tables : list of SummaryTable or SummaryText
        The blocks, in order.
    notes : list of str

    Examples
    --------
    >>> s = Summary("Merton solution").add_rows([("firms", 3)])
    >>> s.tables[0].frame.iloc[0, 0]
    3
    >>> "firms" in s, s.as_latex().splitlines()[0]
    (True, '\\\\section*{Merton solution}')
    """

    def __init__(self, title: str):
        self.title = title
        self.tables: list[SummaryTable | SummaryText] = []
        self.notes: list[str] = []

    def add_table(self, table, title: str | None = None, *, index: bool = True, digits: int = 6) -> Summary:
        """Append a table (a DataFrame, a Series or a list of row dicts); returns self.

        Parameters
        ----------
        table : DataFrame, Series or list of dict
            The content; numbers stay numbers in :attr:`tables`.
        title : str, optional
            Caption.
        index : bool
            Show the row labels.
        digits : int
            Significant digits of float cells.

        Returns
        -------
        Summary

        Examples
        --------
        >>> Summary("t").add_table([{"a": 1}], index=False).as_text().splitlines()[-1]
        '1'
        """
        frame = table.to_frame() if isinstance(table, pd.Series) else pd.DataFrame(table)
        self.tables.append(SummaryTable(frame, title, index=index, digits=digits))
        return self

    def add_rows(self, rows, title: str | None = None, *, digits: int = 6) -> Summary:
        """Append a two-column (label, value) table without a header; returns self.

        Parameters
        ----------
        rows : list of (label, value) or dict
            The figures.
        title : str, optional
            Caption.
        digits : int
            Significant digits of float values.

        Returns
        -------
        Summary

        Examples
        --------
        >>> print(Summary("t").add_rows({"n": 5, "rate": 0.25}).tables[0].as_text())
           n     5
        rate  0.25
        """
        items = list(rows.items()) if isinstance(rows, dict) else [tuple(r) for r in rows]
        frame = pd.DataFrame({"value": [v for _, v in items]}, index=[str(k) for k, _ in items], dtype=object)
        self.tables.append(SummaryTable(frame, title, index=True, header=False, digits=digits))
        return self

    def add_text(self, text: str, *, html: str | None = None, latex: str | None = None) -> Summary:
        """Append a pre-formatted block (with its own HTML/LaTeX if it has them); returns self.

        Parameters
        ----------
        text : str
            The block as plain text.
        html, latex : str, optional
            Its own renderings (e.g. a statsmodels summary's ``as_html()``).

        Returns
        -------
        Summary

        Examples
        --------
        >>> Summary("t").add_text("x = 1").as_html()
        '<div><h3>t</h3><pre>x = 1</pre></div>'
        """
        self.tables.append(SummaryText(text, html, latex))
        return self

    def add_note(self, note: str) -> Summary:
        """Append a note shown after the tables; returns self.

        Parameters
        ----------
        note : str
            One sentence.

        Returns
        -------
        Summary

        Examples
        --------
        >>> Summary("t").add_note("proxy firms flagged").notes
        ['proxy firms flagged']
        """
        self.notes.append(str(note))
        return self

    def as_text(self) -> str:
        """Plain text: the title underlined, the blocks, then the notes.

        Returns
        -------
        str

        Examples
        --------
        >>> Summary("ab").as_text()
        'ab\\n=='
        """
        parts = [f"{self.title}\n{'=' * len(self.title)}"] + [t.as_text() for t in self.tables]
        if self.notes:
            parts.append("Notes: " + "\n       ".join(self.notes))
        return "\n\n".join(parts).replace("=\n\n", "=\n", 1)

    def as_html(self) -> str:
        """HTML: a heading, one element per block, the notes as a list.

        Returns
        -------
        str

        Examples
        --------
        >>> Summary("a & b").as_html()
        '<div><h3>a &amp; b</h3></div>'
        """
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return ("<div>" + f"<h3>{html.escape(self.title)}</h3>" + "".join(t.as_html() for t in self.tables)
                + (f"<ul>{notes}</ul>" if notes else "") + "</div>")

    def as_latex(self) -> str:
        """LaTeX: a ``section*`` heading, one ``tabular`` per table, the notes as an itemize.

        Returns
        -------
        str

        Examples
        --------
        >>> Summary("t").add_note("50% pooled").as_latex().splitlines()[-2]
        '\\\\item 50\\\\% pooled'
        """
        parts = [r"\section*{" + latex_escape(self.title) + "}"] + [t.as_latex() for t in self.tables]
        if self.notes:
            parts.append("\n".join([r"\begin{itemize}"] + [r"\item " + latex_escape(n) for n in self.notes]
                                   + [r"\end{itemize}"]))
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()

    def __contains__(self, text: str) -> bool:
        return text in self.as_text()
