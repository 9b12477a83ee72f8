"""A model's figures drawn in forked processes while the comparison fits the next models.

Drawing a model's figures (the roc, cap, calibration, grades, psi and calibration-curve
figures of its validation; the WoE, grid or DD plots of its specification) takes longer
than fitting and validating it. :class:`Painter` forks a process for each part that
draws it (:func:`~riskmodels.comparison.figures.figures_png`,
:meth:`~riskmodels.comparison.specification.Specification.draw`: the same bytes as
drawing them here) into a temporary folder, a few processes at a time, and hands each
model back with its figures, in order, as soon as they are drawn (or at
:meth:`Painter.flush`). Where the process
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
>>> ready = painter.submit(first) + painter.submit(second)  # those drawn by now
>>> ready + painter.flush() == [first, second]  # all, in order
True
>>> first.figures == figures_png(report.figures()), list(first.figures)  # the bytes drawn here
(True, ['roc', 'cap', 'calibration', 'grades', 'calibration_curve'])
>>> folder = painter.folder
>>> painter.close()
>>> folder is None or not folder.exists()
True
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from riskmodels.comparison.figures import figures_png
from riskmodels.tracking.worker import can_fork, fork

PARTS = ("validation", "specification")  # a model's figures: result.figures, result.specification.figures


@dataclass
class Job:
    """One drawing process: the part of a result's figures it draws, into ``folder``."""

    part: str
    pid: int
    folder: Path
    code: int | None = None  # its exit code, once it has ended


class Painter:
    """Draws each submitted model's figures in forked processes, ``processes`` of them at a time.

    :meth:`submit` takes a model's result (with ``report``, a ValidationReport, or None for
    a failed model, and ``specification``, whose figures may be left to draw), starts a
    process for each part of its figures (:data:`PARTS`) and returns the results whose
    figures are all drawn by now (``figures``: name -> PNG bytes, and their specification's
    figures), in the order they were submitted; :meth:`flush` waits for the rest and
    returns them; :meth:`close` ends what is still drawing.

    Parameters
    ----------
    processes : drawing processes running at once (default: one per CPU); another waits
        for the oldest to end.
    """

    def __init__(self, processes: int = os.cpu_count() or 2):
        self.processes = processes
        self.forks = can_fork()
        self.folder = Path(tempfile.mkdtemp(prefix="riskmodels-figures-")) if self.forks else None
        self.pending = []  # (result, [Job]): submitted, not yet handed back
        self.running = []  # the jobs whose process has not ended
        if self.forks:  # imported once here, not again in every drawing process
            import matplotlib.pyplot  # noqa: F401

    def submit(self, result) -> list:
        """Start drawing ``result``'s figures; the results submitted so far whose figures are drawn."""
        jobs = [self._start(result, part) for part in parts_to_draw(result)]
        self.pending.append((result, [job for job in jobs if job is not None]))
        return self._collect(wait=False)

    def flush(self) -> list:
        """Wait for every drawing process; the results not handed back yet, with their figures."""
        return self._collect(wait=True)

    def _start(self, result, part: str) -> Job | None:
        """A process drawing ``part`` of ``result``'s figures; None when drawn here instead."""
        if self.forks:
            while len(self.running) >= self.processes:
                self._reap(self.running[0], wait=True)
            folder = self.folder / str(len(os.listdir(self.folder)))
            folder.mkdir()
            sys.stdout.flush()
            sys.stderr.flush()  # nothing buffered before the fork is written twice
            try:
                pid = fork()
            except OSError:  # no process to spare: draw here
                pid = None
            if pid == 0:  # the drawing process
                gc.disable()  # it ends when drawn: nothing to collect (4-7 % of its CPU otherwise)
                code = 1
                try:
                    for i, (name, png) in enumerate(draw_part(result, part).items()):
                        (folder / f"{i:03d}_{name}.png").write_bytes(png)
                    code = 0
                finally:
                    os._exit(code)
            if pid is not None:
                self.running.append(Job(part, pid, folder))
                return self.running[-1]
        draw_here(result, part)
        return None

    def _reap(self, job: Job, wait: bool) -> bool:
        """Whether ``job``'s process has ended (waiting for it if ``wait``)."""
        if job.code is None:
            pid, status = os.waitpid(job.pid, 0 if wait else os.WNOHANG)
            if pid == 0:
                return False
            job.code = os.waitstatus_to_exitcode(status)
            self.running.remove(job)
        return True

    def _collect(self, wait: bool) -> list:
        """The results at the head of the queue whose processes have all ended, with their figures."""
        done = []
        while self.pending and all([self._reap(job, wait) for job in self.pending[0][1]]):
            result, jobs = self.pending.pop(0)
            for job in jobs:
                if job.code == 0:
                    keep(result, job.part, {path.stem[4:]: path.read_bytes() for path in sorted(job.folder.iterdir())})
                else:  # the drawing process failed: draw here (the same figures)
                    draw_here(result, job.part)
            done.append(result)
        return done

    def close(self) -> None:
        """Reap the drawing processes still running and delete the folder; idempotent."""
        for job in list(self.running):
            self._reap(job, wait=True)
        self.pending = []
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def parts_to_draw(result) -> list:
    """The parts of a result's figures (:data:`PARTS`) left to draw: a validation report's,
    a specification's makers."""
    spec = result.specification
    return [part for part, left in zip(PARTS, (result.report is not None, spec is not None and bool(spec.makers)),
                                       strict=True) if left]


def draw_part(result, part: str) -> dict:
    """The PNG bytes of one part of a result's figures, by name."""
    if part == "validation":
        return figures_png(result.report.figures())
    return result.specification.draw()


def keep(result, part: str, pngs: dict) -> None:
    """Give a result one part of its figures, drawn."""
    if part == "validation":
        result.figures = pngs
    else:
        result.specification.figures.update(pngs)
        result.specification.makers = {}


def draw_here(result, part: str) -> None:
    """Draw one part of a result's figures in this process; a figure that cannot be drawn fails the model."""
    try:
        keep(result, part, draw_part(result, part))
    except Exception:  # noqa: BLE001 - like a failed fit: recorded, the other models go on
        result.status, result.error = "failed", traceback.format_exc()
