"""Work run in threads by a test, made honest: what a thread raises is raised in the test, and a thread
that does not finish fails the test instead of being forgotten.

A bare threading.Thread swallows its exception (it is printed, the test passes) and `join(timeout)` returns
silently when the time is up, so a test that starts threads and only looks at what they appended to a
list passes when they crash or hang. These helpers wait for every thread, re-raise the first exception any
of them raised, in the order they were raised, and fail the test naming the threads still running.

The threads are daemons: one that hangs must not keep the test run from exiting after the test failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

import pytest

T = TypeVar("T")

DEFAULT_TIMEOUT = 120.0


class Workers(Generic[T]):
    """Callables each run in a thread of its own; `finish` waits for them and returns what they returned."""

    def __init__(
        self, work: Sequence[Callable[[], T]], timeout: float = DEFAULT_TIMEOUT, name: str = "worker"
    ):
        self.timeout = timeout
        self._results: dict[int, T] = {}
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(index, job), name=f"{name}-{index}", daemon=True)
            for index, job in enumerate(work)
        ]

    def _run(self, index: int, job: Callable[[], T]) -> None:
        try:
            result = job()
        except BaseException as error:  # noqa: BLE001 (pytest.fail and KeyboardInterrupt count too)
            with self._lock:
                self._errors.append(error)
        else:
            with self._lock:
                self._results[index] = result

    def start(self) -> Workers[T]:
        for thread in self._threads:
            thread.start()
        return self

    def finish(self) -> list[T]:
        """Wait up to the timeout (counted from now) for every thread; then raise the first exception a
        thread raised (it usually explains any hang), or fail if a thread is still running."""
        deadline = time.monotonic() + self.timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            errors = list(self._errors)
        if errors:
            raise errors[0]
        running = [thread.name for thread in self._threads if thread.is_alive()]
        if running:
            pytest.fail(
                f"{len(running)} thread(s) still running after {self.timeout:g} s: {', '.join(running)}"
            )
        return [self._results[index] for index in range(len(self._threads))]


def run_in_threads(work: Sequence[Callable[[], T]], timeout: float = DEFAULT_TIMEOUT) -> list[T]:
    """Run each callable in its own thread, all at once; their results in order (see Workers.finish)."""
    return Workers(work, timeout).start().finish()


@contextmanager
def in_background(work: Sequence[Callable[[], object]], timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Run the callables in threads while the `with` body runs; at its end, wait for them as
    Workers.finish does. The body must make them stop (set an Event they watch, say). If the body raises,
    its exception is what the test reports; the threads, daemons, are left to end with the run."""
    workers = Workers(work, timeout, name="background").start()
    yield
    workers.finish()
