"""MLflow logging in a second process, started before the data are loaded.

Importing MLflow and its tracking store's modules takes ~2 s and needs nothing but the
config. :func:`start_worker` forks a process that does this while the comparison loads its
data; :meth:`TrackingWorker.begin` hands it the train and test samples, and it opens the
store, makes them MLflow datasets and starts the comparison's parent run while the
comparison fits its models; each model's run is staged as files
(:mod:`riskmodels.tracking.records`) as soon as the model is validated and logged by the
worker while the next model is fitted; at the end the parent run gets the table and the
document and the worker answers the run ids. The runs are the ones
:func:`~riskmodels.tracking.mlflow_log.log_comparison` logs in the same process (both go
through :class:`~riskmodels.tracking.mlflow_log.TrackingSession`). A comparison that stops
before :meth:`~TrackingWorker.begin` (a config or data error) leaves the store untouched; one
that stops half way leaves its parent run FAILED.

The samples reach the worker as a pickle in the worker's private staging folder (made by
``tempfile.mkdtemp``, readable by this user only, deleted at the end), the way
``multiprocessing`` passes objects between its processes; nothing a user loads is pickled.

The worker needs ``os.fork`` (Linux), a process running no other Python thread, and one
that has not imported MLflow yet (a forked process must not reuse the parent's open
database connections); elsewhere
:func:`start_worker` returns None and the comparison logs in its own process at the end.

Examples
--------
>>> start_worker(None, enabled=False) is None
True
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import shutil
import signal
import struct
import sys
import tempfile
import threading
import traceback
from pathlib import Path

from riskmodels._collector import use_batch_thresholds
from riskmodels.errors import RiskModelsError
from riskmodels.tracking.mlflow_log import TrackingSession, stage
from riskmodels.tracking.records import (
    closing_record,
    model_record,
    opening_record,
    registered_name,
)


class TrackingError(RiskModelsError, RuntimeError):
    """The tracking process could not log the comparison; the message holds its traceback."""


def start_worker(config, *, enabled: bool = True, context=contextlib.nullcontext):
    """A :class:`TrackingWorker` importing MLflow now, or None where one cannot be forked
    (see :func:`can_fork`; MLflow already imported) or ``enabled`` is false."""
    if not enabled or not can_fork() or "mlflow" in sys.modules:
        return None
    return TrackingWorker(config, context)


def can_fork() -> bool:
    """Whether this process may fork a helper: Linux, and no other Python thread running (a
    thread holding a lock at the fork would leave it held in the child: a notebook kernel,
    a web server).

    Examples
    --------
    >>> can_fork() == (sys.platform == "linux" and threading.active_count() == 1)
    True
    """
    return sys.platform == "linux" and hasattr(os, "fork") and threading.active_count() == 1


def fork() -> int:
    """``os.fork`` with the parent's objects frozen for the child's garbage collector.

    A collection in the child would write to the header of every object it inherited and
    copy their pages; frozen (``gc.freeze``, as Python's documentation advises before a
    fork), they stay shared: a comparison's forks fault ~16 % fewer pages and take ~6 %
    less CPU. The parent unfreezes at once. The child, a helper that imports much and ends
    soon, collects at the batch thresholds (:mod:`riskmodels._collector`).

    Examples
    --------
    >>> pid = fork()
    >>> if pid == 0:
    ...     os._exit(0 if gc.get_freeze_count() > 0 else 1)
    >>> os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), gc.get_freeze_count()
    (0, 0)
    """
    gc.freeze()
    try:
        pid = os.fork()
    except BaseException:
        gc.unfreeze()
        raise
    if pid:
        gc.unfreeze()
    else:
        use_batch_thresholds()
    return pid


class TrackingWorker:
    """A forked process holding an open :class:`TrackingSession` and the comparison's parent run.

    Parameters
    ----------
    config : the comparison's config.
    context : a context manager factory the worker runs in (``quiet_mlflow``).
    """

    def __init__(self, config, context=contextlib.nullcontext):
        self.config, self.begun = config, False
        self.staging = Path(tempfile.mkdtemp(prefix="riskmodels-runs-"))
        for side in ("worker", "comparison"):  # each numbers its own records
            (self.staging / side).mkdir()
        to_worker, self._requests = os.pipe()
        self._answers, from_worker = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()  # nothing buffered before the fork is written twice
        self.pid = fork()
        if self.pid == 0:  # the worker
            os.close(self._requests)
            os.close(self._answers)
            code = 1
            try:
                @contextlib.contextmanager
                def prepared():
                    with context():
                        TrackingSession.prepare(config)
                        yield

                def open_session(samples: Path):
                    with open(samples, "rb") as file:
                        train, test, fingerprints = pickle.load(file)
                    session = TrackingSession(config, train, test, fingerprints)
                    session.start(stage(opening_record(config, len(train), len(test), fingerprints),
                                        self.staging / "worker"))
                    return session

                code = serve(to_worker, from_worker, prepared, open_session)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(to_worker)
        os.close(from_worker)

    def begin(self, train, test, fingerprints: dict) -> bool:
        """Hand the worker the samples: it opens the store and starts the parent run. False (and
        the worker ended, untouched store) when the samples hold objects pickle cannot write:
        the comparison then logs in its own process at the end."""
        samples = self.staging / "comparison" / "samples.pickle"
        try:
            with open(samples, "wb") as file:
                pickle.dump((train, test, fingerprints), file, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            self.close()
            return False
        self._send({"begin": str(samples)})
        self.begun = True
        return True

    def log_model(self, result) -> None:
        """Stage a model's run and have the worker log it (without waiting for it)."""
        folder = stage(model_record(result, registered_name(self.config, result)), self.staging / "comparison")
        self._send({"model": str(folder)})

    def finish(self, comparison) -> str:
        """Stage the parent run's closing record, have the worker log it and end the run; the
        parent run id (each logged model's ``run_id`` is set). TrackingError if the worker failed."""
        try:
            folder = stage(closing_record(comparison), self.staging / "comparison")
            self._send({"close": str(folder)})
            answer = receive_message(self._answers)
        finally:
            self.close()
        if answer is None or "error" in answer:
            raise TrackingError("logging to MLflow failed in the tracking process:\n"
                                + (answer or {}).get("error", "it ended without an answer"))
        for name, run_id in answer["runs"].items():
            comparison.results[name].run_id = run_id
        return answer["parent"]

    def _send(self, message: dict) -> None:
        try:
            send_message(self._requests, message)
        except BrokenPipeError:
            raise TrackingError("the tracking process ended unexpectedly (see its error above)") from None

    def close(self) -> None:
        """End the worker (it exits when its request pipe closes, leaving an unfinished parent run
        FAILED; before :meth:`begin` it has touched no store and is stopped at once), reap it,
        delete the staged runs; idempotent."""
        if self.pid is None:
            return
        for fd in (self._requests, self._answers):
            os.close(fd)
        if not self.begun:  # still importing: nothing to finish
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pid = None
        shutil.rmtree(self.staging, ignore_errors=True)


def serve(requests: int, answers: int, context, open_session) -> int:
    """The worker's life: in ``context()``, wait for the samples, open the session (and the
    parent run), log each staged model run it is sent, then the closing record, and answer the
    run ids or the first error's traceback.

    Requests are ``{"begin": samples}`` (``open_session(Path(samples))`` opens the session),
    then ``{"model": folder}`` for each model and, last, ``{"close": folder}``; the answer is
    ``{"parent": id, "runs": {name: id}}`` or ``{"error": traceback}``. When the request pipe
    closes first, the open runs end FAILED (none are open before ``begin``).
    """
    session, error, run_ids = None, None, {}
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(context())
        except BaseException:  # noqa: BLE001 - every failure goes back to the comparison, which raises it
            error = traceback.format_exc()
        while True:
            request = receive_message(requests)
            if request is None:  # the comparison stopped before the end
                if session is not None and error is None:
                    session.abandon()
                return 1
            if error is None:
                try:
                    if "begin" in request:
                        session = open_session(Path(request["begin"]))
                    elif "model" in request:
                        name, run_id = session.log_model(Path(request["model"]))
                        if run_id is not None:
                            run_ids[name] = run_id
                    else:
                        parent_id = session.finish(Path(request["close"]))
                except BaseException:  # noqa: BLE001 - as above
                    error = traceback.format_exc()
                    if session is not None:
                        session.abandon()
            if "close" in request:
                send_message(answers, {"error": error} if error else {"parent": parent_id, "runs": run_ids})
                return 1 if error else 0


def send_message(fd: int, message: dict) -> None:
    """Write one JSON message to a pipe, its length first; :func:`receive_message` reads it.

    Examples
    --------
    >>> read, write = os.pipe()
    >>> send_message(write, {"folder": "/tmp/x"})
    >>> os.close(write)
    >>> receive_message(read), receive_message(read)
    ({'folder': '/tmp/x'}, None)
    >>> os.close(read)
    """
    data = json.dumps(message).encode("utf-8")
    data = struct.pack(">Q", len(data)) + data
    while data:
        data = data[os.write(fd, data):]


def receive_message(fd: int) -> dict | None:
    """One message :func:`send_message` wrote, or None when the other end closed first."""
    head = _read(fd, 8)
    if head is None:
        return None
    body = _read(fd, struct.unpack(">Q", head)[0])
    return None if body is None else json.loads(body)


def _read(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
