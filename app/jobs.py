"""Background jobs: long computations run in a worker process so the page never freezes.

A job is a folder holding ``spec.pkl`` (what to do: a dataclass of :mod:`job_specs`) and, as the worker goes,
``progress.json`` (``done``, ``total``, ``stage``), then either ``result.pkl`` or
``error.json`` (a message in words, and the located problems of a bad input). The
worker is ``app/worker.py`` started with this interpreter in its own session (process
group), so Cancel ends it and every replication process it started, and nothing else.

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
        """``running``, ``done``, ``failed`` or ``cancelled``."""
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


def start(spec: JobSpec, key: str, label: str = "") -> Job:
    """Start the worker on ``spec``, a job of :mod:`job_specs` (its type says what to do)."""
    kind = spec.kind
    folder = Path(tempfile.mkdtemp(prefix=f"job-{kind}-", dir=cache_root()))
    with open(folder / "spec.pkl", "wb") as f:
        pickle.dump(spec, f)
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
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
    return Job(key=key, kind=kind, folder=folder, proc=proc, label=label)


def discard(job: Job) -> None:
    """Stop the job if it still runs and remove its folder (the cached result stays)."""
    stop(job.proc)
    shutil.rmtree(job.folder, ignore_errors=True)


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, default=str))
    os.replace(tmp, path)
