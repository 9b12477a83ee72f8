"""A model's validation figures drawn in a forked process while the comparison fits the next model.

Drawing the roc, cap, calibration, grades, psi and calibration-curve figures of a model
takes as long as fitting and validating it. :class:`Painter` forks a process per model
that draws them (:func:`~riskmodels.comparison.figures.figures_png`: the same bytes as
drawing them here) into a temporary folder, and hands the model back with its figures
once the next model has been validated, or at :meth:`Painter.flush`. Where the process
may not fork (:func:`~riskmodels.tracking.worker.can_fork`: not Linux, other threads
running), or a drawing process fails, the figures are drawn in this process.

Examples
--------
>>> from types import SimpleNamespace
>>> import numpy as np
>>> from riskmodels.validation import ValidationReport
>>> rng = np.random.default_rng(0)
>>> pd_ = rng.beta(1, 30, 2000)
>>> report = ValidationReport((rng.uniform(size=2000) < pd_).astype(int), pd_, name="doc")
>>> painter = Painter()
>>> first, second = SimpleNamespace(report=report, figures={}), SimpleNamespace(report=None, figures={})
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
from pathlib import Path

from riskmodels.comparison.figures import figures_png
from riskmodels.tracking.worker import can_fork, fork


class Painter:
    """Draws each submitted model's validation figures in a forked process, one model at a time.

    :meth:`submit` takes a model's result (with ``report``, a ValidationReport, or None for
    a failed model) and returns the results submitted before it, now with their
    ``figures`` (name -> PNG bytes), in the order they were submitted; :meth:`flush`
    returns the rest; :meth:`close` ends what is still drawing.
    """

    def __init__(self):
        self.forks = can_fork()
        self.folder = Path(tempfile.mkdtemp(prefix="riskmodels-figures-")) if self.forks else None
        self.pending = []  # (result, pid or None, folder)

    def submit(self, result) -> list:
        """Start drawing ``result``'s figures; the earlier results, done."""
        done = self.flush()
        if result.report is None:
            self.pending.append((result, None, None))
        else:
            pid, folder = self._fork() if self.forks else (None, None)
            if pid is None:
                result.figures = figures_png(result.report.figures())
            elif pid == 0:  # the drawing process
                code = 1
                try:
                    for i, (name, png) in enumerate(figures_png(result.report.figures()).items()):
                        (folder / f"{i:03d}_{name}.png").write_bytes(png)
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
                    result.figures = {path.stem[4:]: path.read_bytes() for path in sorted(folder.iterdir())}
                else:  # the drawing process failed: draw here (the same figures)
                    result.figures = figures_png(result.report.figures())
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
