"""Files the toolkit writes, the user tables it reads (format, text encoding, separator), and
the size of what it reads from YAML.

Every file is written atomically: into a temporary file of its own in the target's folder,
flushed to disk, then renamed onto the target with ``os.replace`` (one step on POSIX and
Windows), so a reader sees the previous file or the new one, never half of one, and a
failed write leaves the previous file as it was.

YAML aliases may expand a small file into a huge structure (an "alias bomb": nine levels of
ten aliases are 10^9 values). ``yaml.safe_load`` shares the aliased objects, so nothing
explodes until the structure is serialised — after the work is done. A config is refused
at validation when it expands beyond :data:`MAX_EXPANDED`.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "report.txt"
>>> write_atomic(target, "first\\n") == target, target.read_text()
(True, 'first\\n')
>>> shared = [1, 2, 3]
>>> expanded_size({"a": shared, "b": [shared, shared]})
16
"""

from __future__ import annotations

import codecs
import csv
import gzip
import os
import re
import tempfile
from pathlib import Path

from riskmodels.errors import ConfigError, FileError

MAX_EXPANDED = 100_000  # values a config may expand to (lists, mappings and scalars counted)


def publish(partial: Path, target: Path) -> None:
    """Flush a finished temporary file to disk and rename it onto ``target`` in one step
    (the target keeps its permissions; a new one gets the umask's)."""
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    os.chmod(partial, mode)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, target)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path, data: str | bytes) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` atomically; returns the path.

    Raises
    ------
    FileError
        a missing folder, a target that is a folder, or a failed write — in one line; the
        previous file is then unchanged and no temporary file is left.
    """
    target = Path(path)
    if target.is_dir():
        raise FileError(f"cannot write {target}: it is a folder; give a file name")
    if not target.parent.is_dir():
        raise FileError(f"cannot write {target}: the folder {target.parent} does not exist")
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    partial = None
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        partial = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        publish(partial, target)
        partial = None
    except OSError as exc:
        raise FileError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
    return target


SEPARATORS = ",;\t| "  # what a delimited text file may use, comma first
TEXT_TABLES = (".csv", ".tsv", ".txt", ".asc", ".dat")  # delimited text (also gzipped: .csv.gz)


def table_format(path) -> str | None:
    """``"parquet"``, ``"text"`` (delimited, any of :data:`SEPARATORS`) or None for another file.

    Examples
    --------
    >>> table_format("loans.parquet"), table_format("SouthGermanCredit.asc"), table_format("x.csv.gz")
    ('parquet', 'text', 'text')
    >>> table_format("log.jsonl") is None
    True
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes[-1:] == [".parquet"]:
        return "parquet"
    if suffixes[-1:] == [".gz"]:
        suffixes = suffixes[:-1]
    return "text" if suffixes[-1:] and suffixes[-1] in TEXT_TABLES else None


_SAMPLE = 65536  # the bytes of a text table its encoding and separator are judged by
# Chinese text (CJK punctuation, ideographs, full-width forms): a file that is not UTF-8 is read
# as GB18030 only when that decoding gives such text
_CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _text_sample(path) -> bytes | None:
    """The first :data:`_SAMPLE` bytes of a text file (gzipped too); None for anything but a
    regular file (a named pipe can be read only once)."""
    if not Path(path).is_file():
        return None
    opener = gzip.open if Path(path).suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            sample = handle.read(_SAMPLE)
    except OSError as exc:
        raise FileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not sample.strip():
        raise FileError(f"{path} is empty")
    return sample


def sniff_text(path, sep: str | None = None) -> tuple[str, str]:
    """``(encoding, separator)`` of a delimited text file (gzipped too), both judged by one read
    of its first 64 KiB; ``sep``, when given, is the separator (nothing sniffed).

    The encoding: ``"utf-8"`` (``"utf-8-sig"`` with a byte-order mark), else ``"gb18030"`` —
    GBK and GB2312 too, what Excel saves as CSV on a Chinese Windows — when the sample is not
    UTF-8 and decodes as GB18030 into Chinese text; a later byte the encoding cannot read makes
    the reader fail, never a guess. The separator: comma, semicolon, tab, pipe or space; a
    header holding commas and none of the others is comma-separated; otherwise
    :class:`csv.Sniffer` decides, and comma is the fallback. A named pipe (or anything but a
    regular file) can be read only once: it is taken as UTF-8 and comma-separated, unread.

    One rule for every reader of a user's table (``init``, ``compare``, ``score``, ``monitor``,
    ``provisions``): a file ``init`` accepted is read the same way by the others.

    Raises
    ------
    FileError
        naming the first byte that is not UTF-8, when the file is neither; an empty file.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "gbk.csv").write_bytes("行业,违约\\n制造业,0\\n".encode("gbk"))
    >>> _ = (folder / "x.asc").write_text("a;b\\n1,5;2\\n")
    >>> sniff_text(folder / "gbk.csv"), sniff_text(folder / "x.asc"), sniff_text(folder / "x.asc", " ")
    (('gb18030', ','), ('utf-8', ';'), ('utf-8', ' '))
    """
    sample = _text_sample(path)
    if sample is None:
        return "utf-8", sep or ","
    encoding = _encoding(sample, path)
    return encoding, sep or _separator(sample.decode(encoding, errors="replace"))


def _encoding(sample: bytes, path) -> str:
    """The encoding of a text file by its first bytes (see :func:`sniff_text`)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)  # a cut character may end it
        return "utf-8"
    except UnicodeDecodeError as exc:
        at = exc.start
    try:
        chinese = _CHINESE.search(codecs.getincrementaldecoder("gb18030")().decode(sample, final=False))
    except UnicodeDecodeError:
        chinese = None
    if chinese:
        return "gb18030"
    raise FileError(f"{path} is not UTF-8 text (byte 0x{sample[at]:02x} at offset {at}) nor Chinese "
                    "GB18030/GBK: save it as UTF-8 (Excel: CSV UTF-8)")


def _separator(text: str) -> str:
    """The column separator of a text table's first lines (see :func:`sniff_text`)."""
    header = text.splitlines()[0]
    if "," in header and not any(d in header for d in SEPARATORS[1:4]):
        return ","
    try:
        return csv.Sniffer().sniff(text, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def read_table(path, sep: str | None = None, dtype=None):
    """A user's table as ``(pandas frame, separator)``: delimited text (gzipped too; its
    encoding and, unless given, its separator by :func:`sniff_text`) or Parquet.

    Raises
    ------
    FileError
        a file that does not exist, of another format (an Excel workbook: save it as CSV),
        or that cannot be read as a table, in one line.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "gbk.csv"
    >>> _ = f.write_bytes("行业;违约\\n制造业;0\\n".encode("gbk"))
    >>> frame, sep = read_table(f)
    >>> list(frame.columns), frame.iloc[0, 0], sep
    (['行业', '违约'], '制造业', ';')
    """
    import pandas as pd
    import pyarrow as pa

    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path} does not exist")
    form = table_format(path)
    if form is None:
        workbook = path.suffix.lower() in (".xlsx", ".xls")
        raise FileError(f"{path} is not delimited text ({', '.join(TEXT_TABLES)}, gzipped too) or Parquet"
                        + (" (an Excel workbook: save it as CSV UTF-8)" if workbook else ""))
    try:
        if form == "parquet":
            return pd.read_parquet(path), ","
        encoding, sep = sniff_text(path, sep)
        return pd.read_csv(path, sep=sep, dtype=dtype, encoding=encoding), sep
    except FileError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, pa.ArrowException,
            OSError) as exc:
        text = " ".join(str(getattr(exc, "strerror", None) or exc).split()) or type(exc).__name__
        raise FileError(f"cannot read {path} as a table: {text}") from None


def expanded_size(value, _memo: dict | None = None) -> int:
    """The number of values ``value`` holds once every shared (aliased) object is written out
    in full: 1 per scalar, 1 + the sizes of the items per list or mapping. Linear in the
    distinct objects (each is sized once), however large the expansion."""
    memo = {} if _memo is None else _memo
    key = id(value)
    if key in memo:
        return memo[key]
    if isinstance(value, dict):
        size = 1 + sum(expanded_size(k, memo) + expanded_size(v, memo) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        size = 1 + sum(expanded_size(v, memo) for v in value)
    else:
        return 1
    memo[key] = size
    return size


def load_yaml(stream):
    """YAML text (or an open file) as plain data, by PyYAML's safe loader: mappings, lists,
    strings, numbers, booleans, dates and null only, never a Python object (a config or spec is
    data, not code). libyaml's parser is used where PyYAML was built with it (7x faster on a
    scorecard spec: the same values, errors and shared aliases).

    Examples
    --------
    >>> load_yaml("a: [1, 2.5, x]\\nb: {c: true}")
    {'a': [1, 2.5, 'x'], 'b': {'c': True}}
    >>> import yaml
    >>> try:
    ...     load_yaml("!!python/object/apply:os.system ['echo hacked']")
    ... except yaml.YAMLError as exc:
    ...     type(exc).__name__
    'ConstructorError'
    """
    import yaml

    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def check_expanded_size(raw, source: str) -> None:
    """Refuse a config whose aliases expand beyond :data:`MAX_EXPANDED` values.

    Examples
    --------
    >>> level = ["x"] * 10
    >>> for _ in range(6):
    ...     level = [level] * 10
    >>> check_expanded_size({"params": level}, "<doc>")
    Traceback (most recent call last):
    ...
    riskmodels.errors.ConfigError: <doc>: the config expands to more than 100000 values (YAML aliases?); refused
    """
    if expanded_size(raw) > MAX_EXPANDED:
        raise ConfigError(f"the config expands to more than {MAX_EXPANDED} values (YAML aliases?); refused",
                          source=source)
