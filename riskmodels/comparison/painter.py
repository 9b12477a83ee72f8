"""A model's figures drawn in a forked process while the comparison fits the next model.

Drawing a model's figures (the roc, cap, calibration, grades, psi and calibration-curve
figures of its validation; the WoE, grid or DD plots of its specification) takes as long
as fitting and validating it. :class:`Painter` forks a process per model that draws them
(:func:`~riskmodels.comparison.figures.figures_png` and
:meth:`~riskmodels.comparison.specification.Specification.draw`: the same bytes as
drawing them here) into a temporary folder, and hands the model back with its figures
once the next model has been validated, or at :meth:`Painter.flush`. Where the process
may not fork (:func:`~riskmodels.tracking.worker.can_fork`: not Linux, other threads
running), or a drawing process fails, the figures are drawn in this process; a figure
that cannot be drawn fails its model (``status`` "failed", the traceback in ``error``).

Examples
--------
>>> from types import SimpleNamespace
>>> import numpy as np
>>> from riskmodels.validation import ValidationReport
>>> rng = np.random.default_rng(0)
>>> pd_ = rng.beta(1, 30, 2000)
>>> report = ValidationReport((rng.uniform(size=2000) < pd_).astype(int), pd_, name="doc")
>>> painter = Painter()
>>> first = SimpleNamespace(report=report, specification=None, figures={})
>>> second = SimpleNamespace(report=None, specification=None, figures={})
>>> painter.submit(first), painter.submit(second) == [first], painter.flush() == [second]
([], True, True)
>>> first.figures == figures_png(report.figures()), list(first.figures)  # the bytes drawn here
(True, ['roc', 'cap', 'calibration', 'grades', 'calibration_curve'])
>>> folder = painter.folder
>>> painter.close()
>>> folder is None or not folder.exists()
True
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from riskmodels.comparison.figures import figures_png
from riskmodels.tracking.worker import can_fork, fork

PARTS = ("validation", "specification")  # a model's figures: result.figures, result.specification.figures


class Painter:
    """Draws each submitted model's figures in a forked process, one model at a time.

    :meth:`submit` takes a model's result (with ``report``, a ValidationReport, or None for
    a failed model, and ``specification``, whose figures may be left to draw) and returns
    the results submitted before it, now with their ``figures`` (name -> PNG bytes) and
    their specification's figures, in the order they were submitted; :meth:`flush`
    returns the rest; :meth:`close` ends what is still drawing.
    """

    def __init__(self):
        self.forks = can_fork()
        self.folder = Path(tempfile.mkdtemp(prefix="riskmodels-figures-")) if self.forks else None
        self.pending = []  # (result, pid or None, folder)
        if self.forks:  # imported once here, not again in every drawing process
            import matplotlib.pyplot  # noqa: F401

    def submit(self, result) -> list:
        """Start drawing ``result``'s figures; the earlier results, done."""
        done = self.flush()
        if not to_draw(result):
            self.pending.append((result, None, None))
            return done
        pid, folder = self._fork() if self.forks else (None, None)
        if pid is None:
            draw_here(result)
        elif pid == 0:  # the drawing process
            code = 1
            try:
                for part, pngs in drawn(result).items():
                    (folder / part).mkdir()
                    for i, (name, png) in enumerate(pngs.items()):
                        (folder / part / f"{i:03d}_{name}.png").write_bytes(png)
                code = 0
            finally:
                os._exit(code)
        self.pending.append((result, pid, folder))
        return done

    def _fork(self) -> tuple:
        """(pid, folder) of a new drawing process; (None, None) when the system refuses one."""
        folder = self.folder / str(len(os.listdir(self.folder)))
        folder.mkdir()
        sys.stdout.flush()
        sys.stderr.flush()  # nothing buffered before the fork is written twice
        try:
            return fork(), folder
        except OSError:  # no process to spare: draw here
            return None, None

    def flush(self) -> list:
        """Wait for every drawing process; the results submitted so far, with their figures."""
        done = []
        for result, pid, folder in self.pending:
            if pid is not None:
                _, status = os.waitpid(pid, 0)
                if os.waitstatus_to_exitcode(status) == 0:
                    keep(result, {part: {path.stem[4:]: path.read_bytes() for path in sorted((folder / part).iterdir())}
                                  for part in PARTS})
                else:  # the drawing process failed: draw here (the same figures)
                    draw_here(result)
            done.append(result)
        self.pending = []
        return done

    def close(self) -> None:
        """Reap the drawing processes still running and delete the folder; idempotent."""
        for _, pid, _ in self.pending:
            if pid is not None:
                os.waitpid(pid, 0)
        self.pending = []
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def to_draw(result) -> bool:
    """Whether a result has figures to draw: a validation report, or a specification's makers."""
    return result.report is not None or bool(getattr(result.specification, "makers", None))


def drawn(result) -> dict:
    """The PNG bytes of a result's figures to draw, by part (:data:`PARTS`) and name."""
    spec = result.specification
    return {"validation": figures_png(result.report.figures()) if result.report is not None else {},
            "specification": spec.draw() if spec is not None else {}}


def keep(result, pngs: dict) -> None:
    """Give a result the figures drawn for it."""
    if result.report is not None:
        result.figures = pngs["validation"]
    if result.specification is not None:
        result.specification.figures.update(pngs["specification"])
        result.specification.makers = {}


def draw_here(result) -> None:
    """Draw a result's figures in this process; a figure that cannot be drawn fails the model."""
    try:
        keep(result, drawn(result))
    except Exception:  # noqa: BLE001 - like a failed fit: recorded, the other models go on
        result.status, result.error = "failed", traceback.format_exc()
