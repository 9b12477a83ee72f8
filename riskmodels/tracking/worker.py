"""MLflow logging in a second process, started before the models are fitted.

Importing MLflow, opening its store and making the train and test samples MLflow datasets
take 2-3 s and need only the config and the split. :func:`start_worker` forks a process
that does this while the comparison fits its models and draws its figures; at the end the
comparison's runs are staged as files (:mod:`riskmodels.tracking.records`) and the worker
logs them and answers the run ids. The runs are the ones :func:`log_comparison` logs in
the same process (both call :class:`~riskmodels.tracking.mlflow_log.TrackingSession`).

The worker needs ``os.fork`` (Linux) and a process that has not imported MLflow yet (a
forked process must not reuse the parent's open database connections); elsewhere
:func:`start_worker` returns None and the comparison logs in its own process.

Examples
--------
>>> worker = start_worker(None, None, None, {}, enabled=False)
>>> worker is None
True
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import sys
import tempfile
import traceback
from pathlib import Path

from riskmodels.errors import RiskModelsError
from riskmodels.tracking.mlflow_log import TrackingSession, stage_runs
from riskmodels.tracking.records import comparison_records


class TrackingError(RiskModelsError, RuntimeError):
    """The tracking process could not log the comparison; the message holds its traceback."""


def start_worker(config, train, test, fingerprints: dict, *, enabled: bool = True,
                 context=contextlib.nullcontext):
    """A :class:`TrackingWorker` opening the store now, or None where one cannot be forked
    (no ``os.fork``, not Linux, MLflow already imported) or ``enabled`` is false."""
    if not enabled or sys.platform != "linux" or not hasattr(os, "fork") or "mlflow" in sys.modules:
        return None
    return TrackingWorker(config, train, test, fingerprints, context)


class TrackingWorker:
    """A forked process holding an open :class:`TrackingSession`; it logs one comparison.

    Parameters
    ----------
    config, train, test, fingerprints : what the session needs (the comparison's config,
        its split and their fingerprints).
    context : a context manager factory the worker runs in (``quiet_mlflow``).
    """

    def __init__(self, config, train, test, fingerprints: dict, context=contextlib.nullcontext):
        to_worker, self._requests = os.pipe()
        self._answers, from_worker = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()  # nothing buffered before the fork is written twice
        self.pid = os.fork()
        if self.pid == 0:  # the worker
            os.close(self._requests)
            os.close(self._answers)
            code = 1
            try:
                code = serve(to_worker, from_worker, context,
                              lambda: TrackingSession(config, train, test, fingerprints))
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        os.close(to_worker)
        os.close(from_worker)

    def log_comparison(self, comparison) -> str:
        """Stage the finished comparison's runs, have the worker log them; the parent run id
        (each logged model's ``run_id`` is set). Raises TrackingError when the worker failed."""
        try:
            with tempfile.TemporaryDirectory() as folder:
                stage_runs(*comparison_records(comparison), Path(folder))
                send_message(self._requests, {"folder": folder})
                answer = receive_message(self._answers)
        finally:
            self.close()
        if answer is None or "error" in answer:
            raise TrackingError("logging to MLflow failed in the tracking process:\n"
                                + (answer or {}).get("error", "it ended without an answer"))
        for name, run_id in answer["runs"].items():
            comparison.results[name].run_id = run_id
        return answer["parent"]

    def close(self) -> None:
        """End the worker (it exits when its request pipe closes) and reap it; idempotent."""
        if self.pid is None:
            return
        for fd in (self._requests, self._answers):
            os.close(fd)
        os.waitpid(self.pid, 0)
        self.pid = None


def serve(requests: int, answers: int, context, open_session) -> int:
    """The worker's life: open the session, wait for the staged folder, log it, answer."""
    request = None
    try:
        with context():
            session = open_session()
            request = receive_message(requests)
            if request is None:  # the comparison stopped before logging
                return 0
            parent_id, run_ids = session.log_staged(Path(request["folder"]))
    except BaseException:  # noqa: BLE001 - every failure goes back to the comparison, which raises it
        error = traceback.format_exc()
        if request is None and receive_message(requests) is None:
            return 1
        send_message(answers, {"error": error})
        return 1
    send_message(answers, {"parent": parent_id, "runs": run_ids})
    return 0


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
