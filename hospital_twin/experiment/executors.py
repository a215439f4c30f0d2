"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor maps a picklable function over task arguments and yields
``(index, result)`` pairs as they finish. A replication's result depends only on
``(scenario, seed, rep)``, so the choice of executor never changes the numbers.

A worker that dies does not lose the run: the local-process executor rebuilds its pool
and resubmits the unfinished tasks (up to ``retries`` times per task); Dask retries
tasks on other workers (``retries``). A task that keeps failing raises
:class:`ReplicationFailed`, naming it.

No printing and no files here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

__all__ = [
    "Executor",
    "SerialExecutor",
    "ProcessExecutor",
    "DaskExecutor",
    "ReplicationFailed",
    "make_executor",
]


class ReplicationFailed(RuntimeError):
    """A task failed on every attempt."""


class Executor(Protocol):
    """Runs ``fn(*args)`` for each args tuple, yielding ``(index, result)`` as tasks finish."""

    def map_unordered(self, fn: Callable[..., Any], tasks: Sequence[tuple]) -> Iterator[tuple[int, Any]]: ...

    @property
    def description(self) -> str: ...

    def close(self) -> None:
        """Release workers (a no-op where there is nothing to release); safe to call twice."""


class _Closable:
    """``close()`` and use as a context manager; executors without resources keep the no-op."""

    def close(self) -> None:
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(_Closable):
    """Runs tasks one after another in this process."""

    description = "serial"

    def map_unordered(self, fn, tasks):
        for i, args in enumerate(tasks):
            yield i, fn(*args)


class ProcessExecutor(_Closable):
    """Local worker processes (``concurrent.futures``), rebuilding the pool if a worker dies.

    Each ``map_unordered`` call starts and shuts down its own pool, so ``close`` has nothing to do.
    """

    def __init__(self, workers: int | None = None, retries: int = 2):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.retries = retries

    @property
    def description(self) -> str:
        return f"local processes ({self.workers})"

    def map_unordered(self, fn, tasks):
        pending = dict(enumerate(tasks))
        attempts = dict.fromkeys(pending, 0)
        while pending:
            pool = ProcessPoolExecutor(max_workers=min(self.workers, len(pending)))
            futures: dict[Future, int] = {pool.submit(fn, *args): i for i, args in pending.items()}
            broken = False
            try:
                while futures:
                    done, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for fut in done:
                        i = futures.pop(fut)
                        try:
                            result = fut.result()
                        except BrokenProcessPool:
                            broken = True
                            continue
                        del pending[i]
                        yield i, result
                    if broken:
                        break
            finally:
                pool.shutdown(wait=not broken, cancel_futures=True)
            if broken:
                for i in pending:
                    attempts[i] += 1
                    if attempts[i] > self.retries:
                        raise ReplicationFailed(
                            f"task {i} was lost with a dead worker process {attempts[i]} times; giving up"
                        )


class DaskExecutor(_Closable):
    """A Dask cluster: a new local cluster, or an existing scheduler at ``address``.

    Needs ``dask[distributed]`` (``pip install 'hospital-twin[cluster]'``).
    """

    def __init__(self, address: str | None = None, workers: int | None = None, retries: int = 2):
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                "running on a Dask cluster needs dask.distributed: pip install 'hospital-twin[cluster]'"
            ) from exc
        self.address = address
        self.retries = retries
        if address:
            self._cluster = None
            self._client = Client(address, timeout="20s")
        else:
            n = max(1, workers or os.cpu_count() or 1)
            self._cluster = LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
            )
            self._client = Client(self._cluster)

    @property
    def description(self) -> str:
        if self.address:
            return f"dask scheduler {self.address}"
        return f"dask local cluster ({len(self._cluster.workers)} workers)"

    def map_unordered(self, fn, tasks):
        from dask.distributed import as_completed

        futures = {
            self._client.submit(fn, *args, pure=False, retries=self.retries, key=f"task-{i}-{os.urandom(4).hex()}"): i
            for i, args in enumerate(tasks)
        }
        for fut in as_completed(futures):
            i = futures[fut]
            if fut.status == "error":
                exc = fut.exception()
                raise ReplicationFailed(f"task {i} failed after {self.retries} retries: {exc!r}") from exc
            yield i, fut.result()

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(
    workers: int | None = 1, cluster: str | None = None
) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """``cluster`` 'local' or a scheduler address picks Dask; otherwise processes if workers > 1."""
    if cluster:
        return DaskExecutor(None if cluster == "local" else cluster, workers=workers)
    if workers is not None and workers <= 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
