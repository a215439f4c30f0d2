"""Background jobs: long computations run in a worker process so the page never freezes.

A job is a folder holding ``spec.pkl`` (what to do: a dataclass of :mod:`job_specs`) and, as the worker goes,
``progress.json`` (``done``, ``total``, ``stage``), then either ``result.pkl`` or
``error.json`` (a message in words, and the located problems of a bad input). The
worker is ``app/worker.py`` started with this interpreter in its own session (process
group), so Cancel ends it and every replication process it started, and nothing else.

A click should not wait for imports: :func:`warm_up` keeps one spare worker that has imported the
package and waits (``worker.py --wait``) for a job folder on its standard input; :func:`start` hands
the job to it and starts the next spare. Without a spare (the first job, a changed environment,
``HOSPITAL_TWIN_APP_WARM_WORKER=0``) the job starts a fresh worker as before.

Finished results are kept in a private cache folder under a key made of what was
computed (scenario YAML, seed, replications, ...); :func:`cached` finds them again.
This module knows nothing about the model: it moves pickles between processes.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from job_specs import JobSpec

APP_DIR = Path(__file__).resolve().parent
WORKER = APP_DIR / "worker.py"

_CACHE_ROOT: Path | None = None


def cache_root() -> Path:
    """A private (0700) folder for this server process's jobs and cached results."""
    global _CACHE_ROOT
    if _CACHE_ROOT is None or not _CACHE_ROOT.is_dir():
        _CACHE_ROOT = Path(tempfile.mkdtemp(prefix="hospital_twin_app-"))
        os.chmod(_CACHE_ROOT, 0o700)
        atexit.register(shutil.rmtree, _CACHE_ROOT, True)
    return _CACHE_ROOT


def forget_results() -> None:
    """Drop every cached result and job folder of this server process: the next job starts as on a fresh server."""
    global _CACHE_ROOT
    if _CACHE_ROOT is not None:
        shutil.rmtree(_CACHE_ROOT, ignore_errors=True)
    _CACHE_ROOT = None


def job_key(kind: str, *parts: Any) -> str:
    """A stable key for a computation: its kind and every input that changes the answer."""
    h = hashlib.sha256(kind.encode())
    for p in parts:
        h.update(b"\x00")
        h.update(p if isinstance(p, bytes) else str(p).encode())
    return f"{kind}-{h.hexdigest()[:24]}"


def cached_path(key: str) -> Path:
    return cache_root() / "cache" / key / "result.pkl"


def cached(key: str) -> bool:
    """True when the result for ``key`` has been computed in this server process."""
    return cached_path(key).is_file()


def load_cached(key: str) -> Any:
    with open(cached_path(key), "rb") as f:  # written by this server's own worker into its private 0700 folder
        return pickle.load(f)


@dataclass
class Job:
    """One background computation."""

    key: str
    kind: str
    folder: Path
    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    label: str = ""

    # ------------------------------------------------------------------ state
    def progress(self) -> dict:
        """``{"done", "total", "stage"}`` as last reported by the worker."""
        try:
            return json.loads((self.folder / "progress.json").read_text())
        except (OSError, ValueError):
            return {"done": 0, "total": 0, "stage": "starting the worker"}

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def state(self) -> str:
        """``running``, ``done``, ``failed`` or ``cancelled``; asking is what keeps a running worker alive."""
        beat(self.folder)
        if (self.folder / "cancelled").exists():
            return "cancelled"
        if cached(self.key):
            return "done"
        if (self.folder / "error.json").exists():
            return "failed"
        if (self.folder / "result.pkl").exists():
            self._store()
            return "done"
        if self.proc.poll() is not None:
            # the worker may have written its result between the two checks above
            if (self.folder / "result.pkl").exists():
                self._store()
                return "done"
            if not (self.folder / "error.json").exists():
                _write_json(
                    self.folder / "error.json",
                    {
                        "message": f"The worker process stopped unexpectedly (exit status {self.proc.returncode}). "
                        "Try again with fewer replications or a shorter horizon.",
                        "issues": [],
                    },
                )
            return "failed"
        return "running"

    def error(self) -> dict:
        try:
            return json.loads((self.folder / "error.json").read_text())
        except (OSError, ValueError):
            return {"message": "unknown error", "issues": []}

    def _store(self) -> None:
        dest = cached_path(self.key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.folder / "result.pkl", dest)
        for extra in self.folder.iterdir():
            if extra.name.endswith(".zip"):
                os.replace(extra, dest.parent / extra.name)

    def result(self) -> Any:
        return load_cached(self.key)

    def cancel(self) -> None:
        """Stop the worker and everything it started (its own process group)."""
        (self.folder / "cancelled").touch()
        stop(self.proc)

    def wait(self, timeout_s: float = 120.0, poll_s: float = 0.1) -> str:
        """Block until the job is no longer running (tests and scripts; pages poll instead)."""
        end = time.monotonic() + timeout_s
        while self.state() == "running" and time.monotonic() < end:
            time.sleep(poll_s)
        return self.state()


def stop(proc: subprocess.Popen) -> None:
    """End a worker started by :func:`start` and its children, by its process group id."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=3)


WARM_ENV = "HOSPITAL_TWIN_APP_WARM_WORKER"
"""``0`` turns the spare worker off: every job then starts a fresh interpreter and imports the package first."""


@dataclass
class _Spare:
    proc: subprocess.Popen
    env: dict[str, str]


_SPARE: _Spare | None = None
"""The worker waiting for the next job, with the environment it was started in."""


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def warm_up() -> None:
    """Start a spare worker (imports done, waiting for a job folder on stdin) unless one is waiting already."""
    global _SPARE
    if os.environ.get(WARM_ENV, "1").strip() == "0":
        return
    if _SPARE is not None and _SPARE.proc.poll() is None:
        return
    env = _worker_env()
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "--wait"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
        cwd=str(APP_DIR),
    )
    _SPARE = _Spare(proc, env)


def _hand_to_spare(folder: Path, env: dict[str, str]) -> subprocess.Popen | None:
    """Give ``folder`` to the spare worker; None when there is none alive for this environment."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is None:
        return None
    if spare.proc.poll() is not None or spare.env != env:
        stop(spare.proc)
        return None
    try:
        assert spare.proc.stdin is not None
        spare.proc.stdin.write(f"{folder}\n".encode())
        spare.proc.stdin.close()
    except OSError:  # it ended between the check and the write
        stop(spare.proc)
        return None
    return spare.proc


def start(spec: JobSpec, key: str, label: str = "") -> Job:
    """Start the worker on ``spec``, a job of :mod:`job_specs` (its type says what to do): the spare worker when
    one waits (see :func:`warm_up`), else a fresh one; then a new spare for the next job."""
    kind = spec.kind
    folder = Path(tempfile.mkdtemp(prefix=f"job-{kind}-", dir=cache_root()))
    beat(folder)
    with open(folder / "spec.pkl", "wb") as f:
        pickle.dump(spec, f)
    env = _worker_env()
    proc = _hand_to_spare(folder, env)
    if proc is None:
        with open(folder / "worker.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, str(WORKER), str(folder)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
                cwd=str(APP_DIR),
            )
    _LIVE[str(folder)] = proc
    warm_up()
    return Job(key=key, kind=kind, folder=folder, proc=proc, label=label)


def discard(job: Job) -> None:
    """Stop the job if it still runs and remove its folder (the cached result stays)."""
    stop(job.proc)
    shutil.rmtree(job.folder, ignore_errors=True)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, default=str))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- after a browser refresh
ABANDON_ENV = "HOSPITAL_TWIN_APP_ABANDON_S"
"""Seconds a worker runs on with no page asking about it (default 600); then it stops itself (``worker.py``)."""
HEARTBEAT = "heartbeat"
"""File in the job folder whose time of change says when a page last asked about the job."""

_LIVE: dict[str, subprocess.Popen] = {}
"""Worker processes this server started, by job folder: a new browser session finds its jobs here."""


def beat(folder: Path) -> None:
    """Say that a page still wants the job of ``folder`` (its worker stops after a long silence)."""
    try:
        (folder / HEARTBEAT).touch()
    except OSError:
        pass


def record(job: Job) -> dict:
    """What a session store keeps of a job to find it again after a refresh: its key, folder, worker pid, label."""
    return {"key": job.key, "kind": job.kind, "folder": str(job.folder), "pid": job.proc.pid, "label": job.label}


class _Pid:
    """A worker known only by its process id (its ``Popen`` is not in this server process)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                stat = Path(f"/proc/{self.pid}/stat").read_text()
                alive = stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
            except (OSError, IndexError):
                alive = False
            if not alive:
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = time.monotonic() + (timeout or 0.0)
        while self.poll() is None:
            if timeout is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return int(self.returncode or 0)


def reattach(rec: dict) -> Job | None:
    """The job of a stored ``record`` when this server still has its folder (after a server restart it has not)."""
    try:
        folder = Path(rec["folder"])
        root = cache_root().resolve()
        if folder.resolve().parent != root or not (folder / "spec.pkl").is_file():
            return None  # another server's folder, or one already discarded
        proc = _LIVE.get(str(folder)) or _Pid(int(rec["pid"]))
        return Job(key=str(rec["key"]), kind=str(rec["kind"]), folder=folder, proc=proc, label=str(rec["label"]))
    except (KeyError, TypeError, ValueError, OSError):
        return None
