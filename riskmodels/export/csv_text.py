"""CSV text of a frame, byte for byte what ``DataFrame.to_csv(index=False)`` writes, made by Arrow.

pandas formats every float with ``repr`` one value at a time and writes the rows
through Python's ``csv`` module; Arrow casts a whole column to text and writes the
table in C++, about three times faster on the scores of ``riskmodels score``. The
two agree on the shortest round-trip digits but not on their layout, so a value's
Arrow text is used only where the layouts are the same (``1e-4 <= |x| < 1e10``, with
``.0`` added to whole numbers, and zero); the rest (tiny, huge, infinite values) is
formatted by ``repr``. Text holding a comma, quote or line break is quoted as Python's
``csv`` module quotes it (in double quotes, each quote doubled), and each row's fields are
joined in Arrow. A frame Arrow cannot write the same way (a column of another type, a
column name that needs quoting, a single column) gives ``None``: the caller writes it with
pandas.

Examples
--------
>>> import numpy as np, pandas as pd
>>> frame = pd.DataFrame({"pd": [0.25, 3e-05, np.nan, 2.0], "grade": ["A", "B", None, "D"]})
>>> csv_bytes(frame) == frame.to_csv(index=False).encode()
True
>>> print(csv_bytes(frame).decode(), end="")
pd,grade
0.25,A
3e-05,B
,
2.0,D
>>> quoted = pd.DataFrame({"id": [1, 2], "note": ['x: 5.0 outside [0.1, 3.2]', 'say "no"']})
>>> csv_bytes(quoted) == quoted.to_csv(index=False).encode()
True
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_SPECIAL = '[,"\r\n]'  # characters that make Python's csv writer quote a field
ROWS_PER_PART = 65_536  # rows joined into text at once (Arrow's text offsets are 32-bit)


def float_text(values: np.ndarray):
    """``repr`` of each float64 as an Arrow string array, null where the value is NaN.

    Examples
    --------
    >>> float_text(np.array([0.1, 1.0, 1e-05, 1e16, -0.0, np.nan])).to_pylist()
    ['0.1', '1.0', '1e-05', '1e+16', '-0.0', None]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    x = np.asarray(values, dtype=np.float64)
    text = pc.cast(pa.array(x, from_pandas=True), pa.string())
    size = np.abs(x)
    same = ((size >= 1e-4) & (size < 1e10)) | (x == 0)  # where Arrow's layout is repr's
    whole = same & (x == np.trunc(x))  # Arrow writes 2.0 as "2", repr as "2.0"
    if whole.any():
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
    other = ~same & ~np.isnan(x)
    if other.any():
        text = pc.replace_with_mask(text, pa.array(other),
                                    pa.array([repr(v) for v in x[other].tolist()], type=pa.string()))
    return text


def csv_bytes(frame: pd.DataFrame, header: bool = True) -> bytes | None:
    """The frame as ``frame.to_csv(index=False, header=header)`` writes it, or ``None`` when
    Arrow would not write the same bytes (then write it with pandas).

    Float64, integer and text columns are written here; any other column type, a column
    name holding a comma, quote or line break, or a frame of one column gives ``None``.

    Examples
    --------
    >>> csv_bytes(pd.DataFrame({"id": [7, 8], "pd": [0.5, 1e-300]}), header=False)
    b'7,0.5\\n8,1e-300\\n'
    >>> csv_bytes(pd.DataFrame({"id": [7], "note": ["a, b"]}))
    b'id,note\\n7,"a, b"\\n'
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names = [str(name) for name in frame.columns]
    if len(names) < 2 or any(re.search(_SPECIAL, name) for name in names):
        return None  # csv quotes a lone empty field; a name to quote is left to pandas
    columns = []
    for _, values in frame.items():
        dtype = values.dtype
        if dtype == np.float64:
            text = float_text(values.to_numpy())
        elif dtype.kind in "iu":
            text = pc.cast(pa.array(values.to_numpy()), pa.string())
        elif dtype.kind == "O" or isinstance(dtype, pd.StringDtype):
            try:
                text = pa.array(values, type=pa.string(), from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return None  # not all text (numbers, bytes...): pandas formats each value
            text = _quoted(text)
        else:
            return None
        columns.append(text)
    parts = [(",".join(names) + "\n").encode() if header else b""]
    for start in range(0, len(frame), ROWS_PER_PART):  # a part's text stays far below 2 GB
        part = [column.slice(start, ROWS_PER_PART) for column in columns]
        # each row's fields joined by commas (a missing value empty), the last one ending the line
        part[-1] = pc.binary_join_element_wise(pc.fill_null(part[-1], ""), "", "\n")
        lines = pc.binary_join_element_wise(*part, ",", null_handling="replace", null_replacement="")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        ends = np.frombuffer(lines.buffers()[1], dtype=np.int32)[[lines.offset, lines.offset + len(lines)]]
        parts.append(memoryview(lines.buffers()[2])[ends[0]:ends[1]].tobytes())
    return b"".join(parts)


def _quoted(text):
    """Text fields as Python's ``csv`` module writes them (``QUOTE_MINIMAL``): in double quotes,
    each quote doubled, where a field holds a comma, quote or line break; as they are elsewhere."""
    import pyarrow.compute as pc

    special = pc.match_substring_regex(text, _SPECIAL)
    if not pc.any(special).as_py():
        return text
    if pc.any(pc.match_substring(text, '"')).as_py():
        text = pc.replace_substring(text, '"', '""')
    return pc.if_else(special, pc.binary_join_element_wise('"', text, '"', ""), text)
