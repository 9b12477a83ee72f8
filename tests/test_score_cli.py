"""`riskmodels score` output safety (issue 17): bad paths refused in one line, no lost or mixed
output, a killed run leaves the previous output intact, two runs on one output cannot mix.

The bundle is the identity kind (PD = the input column ``p``), which every scorer knows, so the
same bundle scores in this process and in the ``riskmodels`` child processes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodels import scoring
from riskmodels.cli import main
from riskmodels.errors import FileError
from riskmodels.export.batch import PARTIAL, score_file

BUNDLE = {"schema_version": 1, "kind": "identity", "name": "pd-passthrough",
          "inputs": [{"name": "p", "type": "number", "min": 0.0, "max": 1.0}],
          "model": {"input": "p"}, "calibration": [],
          "master_scale": {"grades": ["A", "B", "D"], "upper_bounds": [0.1, 0.5]}}
HEADER = "pd,grade\n"


@pytest.fixture()
def files(tmp_path):
    bundle = tmp_path / "scorer.json"
    bundle.write_bytes(scoring.dumps_bundle(BUNDLE))
    pd.DataFrame({"p": np.linspace(0.0, 0.9, 10)}).to_csv(tmp_path / "in.csv", index=False)
    return bundle, tmp_path / "in.csv", tmp_path / "out.csv"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if PARTIAL in p.name or p.name.endswith(".lock"))


def _run(capsys, *argv) -> tuple[int, str, str]:
    status = main(["score", *map(str, argv), "--no-progress"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_counts_rows_and_refuses_to_replace_an_output_without_overwrite(files, capsys):
    bundle, source, target = files
    status, out, _ = _run(capsys, bundle, source, "-o", target)
    assert status == 0 and f"scored 10 row(s) into {target} (read 10, wrote 10)" in out
    first = target.read_bytes()
    status, _, err = _run(capsys, bundle, source, "-o", target)
    assert status == 2 and err.count("\n") == 1 and "exists; pass --overwrite" in err
    assert target.read_bytes() == first
    pd.DataFrame({"p": [0.7]}).to_csv(source, index=False)
    status, out, _ = _run(capsys, bundle, source, "-o", target, "--overwrite")
    assert status == 0 and "(read 1, wrote 1)" in out
    assert pd.read_csv(target)["grade"].tolist() == ["D"] and _leftovers(target.parent) == []


def test_the_input_is_never_the_output(files, capsys):
    bundle, source, _ = files
    before = source.read_bytes()
    for argv in ([], ["--overwrite"]):
        status, _, err = _run(capsys, bundle, source, "-o", source, *argv)
        assert status == 2 and "is the input" in err and source.read_bytes() == before
    link = source.with_name("alias.csv")
    link.symlink_to(source)
    status, _, err = _run(capsys, bundle, source, "-o", link, "--overwrite")
    assert status == 2 and "is the input" in err and source.read_bytes() == before


def test_a_read_only_output_is_not_replaced(files, capsys):
    bundle, source, target = files
    target.write_text("keep me\n")
    target.chmod(0o444)
    status, _, err = _run(capsys, bundle, source, "-o", target, "--overwrite")
    assert status == 2 and "is read-only" in err and target.read_text() == "keep me\n"


@pytest.mark.parametrize("case, message", [
    ("missing input", "does not exist"),
    ("empty input", "is empty (0 bytes)"),
    ("input is a folder", "is a folder, not a file"),
    ("not a CSV", "cannot read the input"),
    ("not a Parquet file", "cannot read the input"),
    ("missing output folder", "the output folder"),
    ("read-only output folder", "is not writable"),
    ("output is a folder", "is a folder; give a file name"),
])
def test_bad_paths_are_one_line_errors_with_status_2(files, capsys, case, message):
    bundle, source, target = files
    if case == "missing input":
        source = source.with_name("nope.csv")
    elif case == "empty input":
        source.write_bytes(b"")
    elif case == "input is a folder":
        source = source.parent / "folder.csv"
        source.mkdir()
    elif case == "not a CSV":
        source.write_bytes(b'p\n"0.1\n0.2\n')  # an unclosed quote
    elif case == "not a Parquet file":
        source = source.with_name("in.parquet")
        source.write_bytes(b"PAR1 this is not parquet")
    elif case == "missing output folder":
        target = target.parent / "no" / "such" / "out.csv"
    elif case == "read-only output folder":
        ro = target.parent / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = ro / "out.csv"
    elif case == "output is a folder":
        target.mkdir()
    status, out, err = _run(capsys, bundle, source, "-o", target)
    assert status == 2 and out == ""
    assert err.startswith("riskmodels: error: ") and err.count("\n") == 1 and message in err
    assert "Traceback" not in err
    if target.parent.exists():
        assert _leftovers(target.parent) == [] and not target.is_file()


def test_header_only_input_gives_a_header_only_output(files):
    bundle, source, target = files
    source.write_text("p\n")
    assert score_file(bundle, source, target, progress=False)["rows_written"] == 0
    assert target.read_text() == HEADER


def test_another_runs_lock_is_a_clear_refusal(files):
    from riskmodels.export.batch import output_lock

    bundle, source, target = files
    with output_lock(target), pytest.raises(FileError, match="another run is writing"):
        score_file(bundle, source, target, progress=False)
    assert not target.exists()
    score_file(bundle, source, target, progress=False)  # the lock is gone with its holder
    assert len(pd.read_csv(target)) == 10 and _leftovers(target.parent) == []


# --------------------------------------------------------------------------- child processes
def _child(bundle, source, target, *extra) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = "import sys; from riskmodels.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", command, "score", str(bundle), str(source),
                             "-o", str(target), "--no-progress", "--chunksize", "5000", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _feed_half(fifo: Path, rows: int):
    """Open the named pipe for writing and send a header and ``rows`` records; the reader then
    blocks in the middle of the file until the pipe is written to again or closed (pandas reads
    a pipe in blocks of 256 KiB, so ``rows`` must fill more than one)."""
    handle = open(fifo, "w")  # noqa: SIM115 - kept open across the test on purpose
    handle.write("p\n" + "".join(f"{(i % 90) / 100}\n" for i in range(rows)))
    handle.flush()
    return handle


def _wait_for_partial(folder: Path, child: subprocess.Popen, min_bytes: int = 1) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = [p for p in folder.iterdir() if PARTIAL in p.name and p.stat().st_size >= min_bytes]
        if found:
            return found[0]
        assert child.poll() is None, child.communicate()
        time.sleep(0.05)
    raise AssertionError("the run wrote no partial file")


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_a_run_killed_mid_file_leaves_the_previous_output_and_no_trap(files, how):
    """Fault injection: the input is a named pipe, so the run is stopped after its first chunks
    are written and before the file ends, then killed."""
    bundle, source, target = files
    score_file(bundle, source, target, progress=False)
    previous = target.read_bytes()
    fifo = target.parent / "feed.csv"
    os.mkfifo(fifo)
    child = _child(bundle, fifo, target, "--overwrite")
    feed = _feed_half(fifo, 200_000)
    partial = _wait_for_partial(target.parent, child, min_bytes=500)
    child.send_signal(getattr(signal, how))
    status = child.wait(60)
    feed.close()
    assert target.read_bytes() == previous  # the old output is untouched
    if how == "SIGTERM":  # unwinds: exit 143, its partial file removed
        assert status == 128 + signal.SIGTERM and not partial.exists()
    else:  # nothing runs after SIGKILL: the partial file stays, under a name no later run uses
        assert status == -signal.SIGKILL and partial.exists()
    pd.DataFrame({"p": [0.05, 0.3]}).to_csv(source, index=False)
    done = score_file(bundle, source, target, progress=False, overwrite=True)
    assert done["rows_written"] == 2 and pd.read_csv(target)["grade"].tolist() == ["A", "B"]
    assert _leftovers(target.parent) == []  # the killed run's partial file is cleared


def test_two_scorers_on_one_output_give_one_complete_file_or_a_refusal(files):
    bundle, source, target = files
    # a run held in the middle of its file: a second run on the same output is refused
    fifo = target.parent / "feed.csv"
    os.mkfifo(fifo)
    slow = _child(bundle, fifo, target)
    feed = _feed_half(fifo, 200_000)
    _wait_for_partial(target.parent, slow)
    second = _child(bundle, source, target, "--overwrite")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 2 and "another run is writing" in err and err.count("\n") == 1
    feed.write("".join("0.2\n" for _ in range(500)))
    feed.close()
    out, err = slow.communicate(timeout=120)
    assert slow.returncode == 0, err
    assert "(read 200500, wrote 200500)" in out
    frame = pd.read_csv(target)
    assert len(frame) == 200_500 and list(frame.columns) == ["pd", "grade"]
    # two runs started together on the same output: each ends complete or refused, and the
    # file is exactly one run's output (one header, every row)
    big = target.parent / "big.csv"
    pd.DataFrame({"p": np.tile([0.05, 0.3, 0.7], 20_000)}).to_csv(big, index=False)
    runs = [_child(bundle, big, target, "--overwrite") for _ in range(2)]
    results = [(r.wait(180), r.communicate()[1]) for r in runs]
    assert all(s == 0 or (s == 2 and "another run is writing" in e) for s, e in results), results
    assert any(s == 0 for s, _ in results)
    text = target.read_text()
    assert text.count("pd,grade") == 1 and text.count("\n") == 60_001
    assert _leftovers(target.parent) == []


def test_output_bytes_are_those_pandas_to_csv_writes(tmp_path):
    """The fast writer (Arrow casts, repr where the layouts differ) against pandas' own
    ``to_csv`` of the same scores: tiny, whole, zero, missing and refused values, kept
    integer and text columns, and text with a comma (written by pandas)."""
    from riskmodels.export.frames import output_columns, score_frame

    bundle = tmp_path / "scorer.json"
    bundle.write_bytes(scoring.dumps_bundle(BUNDLE))
    scorer = scoring.load_scorer(bundle)
    p = [3e-05, 1e-4, 0.0, 1.0, 0.25, np.nan, 1.5, 1e-300, 0.1 + 0.2]
    cases = {"plain": pd.DataFrame({"p": p}),
             "kept": pd.DataFrame({"id": range(len(p)), "p": p, "note": ["x"] * len(p)}),
             "comma": pd.DataFrame({"p": p, "note": ["a, b"] * len(p)})}
    for name, frame in cases.items():
        source, target = tmp_path / f"{name}.csv", tmp_path / f"{name}_out.csv"
        frame.to_csv(source, index=False)
        keep = name != "plain"
        score_file(bundle, source, target, on_error="report", keep_columns=keep, progress=False,
                   chunksize=4)
        read = pd.read_csv(source)
        scores = score_frame(scorer, read, on_error="report", columns=output_columns(scorer, "report"))
        expected = (read.join(scores) if keep else scores).to_csv(index=False)
        assert target.read_text() == expected, name


def test_float_text_is_repr_at_every_magnitude():
    """Python's ``repr`` (what pandas writes) is the answer, for 20,000 values from 1e-320 to 1e308
    of both signs, their whole-number roundings, and the special values."""
    from riskmodels.export.csv_text import float_text

    rng = np.random.default_rng(7)
    x = rng.choice([-1.0, 1.0], 10_000) * 10.0 ** rng.uniform(-320, 308, 10_000)
    x = np.concatenate([x, np.round(x), [0.0, -0.0, np.inf, -np.inf, 1e-4, 1e10, 9999999999.5]])
    assert float_text(x).to_pylist() == [repr(v) for v in x.tolist()]
    assert float_text(np.array([np.nan])).to_pylist() == [None]


def test_csv_bytes_are_what_pandas_writes_for_text_that_needs_quoting(monkeypatch):
    """pandas' ``to_csv`` (Python's csv module, QUOTE_MINIMAL) is the answer: text with commas,
    quotes, line breaks, empty and missing values, beside floats and integers, in any order,
    joined in one part or in many."""
    from riskmodels.export import csv_text
    from riskmodels.export.csv_text import csv_bytes

    rng = np.random.default_rng(11)
    pieces = ["a", "b c", ",", '"', "\n", "\r\n", "", "x: 5.0 outside [0.1, 3.2]", "é", "; "]
    texts = ["".join(rng.choice(pieces, rng.integers(0, 4))) for _ in range(3_000)]
    frame = pd.DataFrame({
        "id": np.arange(3_000),
        "note": pd.Series(texts, dtype=object).where(rng.uniform(size=3_000) > 0.1, None),
        "pd": np.where(rng.uniform(size=3_000) > 0.05, rng.uniform(size=3_000), np.nan),
        "warnings": pd.array(texts[::-1], dtype="string"),
    })
    for rows_per_part in (csv_text.ROWS_PER_PART, 7):
        monkeypatch.setattr(csv_text, "ROWS_PER_PART", rows_per_part)
        for header in (True, False):
            assert csv_bytes(frame, header=header) == frame.to_csv(index=False, header=header).encode()
        assert csv_bytes(frame.iloc[:0]) == frame.iloc[:0].to_csv(index=False).encode()
