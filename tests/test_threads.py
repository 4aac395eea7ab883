"""tests/threads.py: a thread's exception reaches the test, a thread that hangs fails it, and work that
goes well gives back its results."""

from __future__ import annotations

import threading

import pytest
from threads import in_background, run_in_threads


def test_the_results_come_back_in_the_order_of_the_work():
    assert run_in_threads([lambda number=number: number * number for number in range(5)]) == [0, 1, 4, 9, 16]


def test_an_exception_in_a_thread_is_raised_in_the_test_after_the_others_finish():
    finished = threading.Event()

    def fails() -> None:
        raise ValueError("broken in a thread")

    with pytest.raises(ValueError, match="broken in a thread"):
        run_in_threads([fails, finished.set])
    assert finished.is_set()


def test_the_first_exception_raised_is_the_one_reported():
    first_thread: list[threading.Thread] = []
    started = threading.Event()

    def first() -> None:
        first_thread.append(threading.current_thread())
        started.set()
        raise KeyError("first")

    def second() -> None:
        started.wait()
        first_thread[0].join()  # the first thread's exception is recorded before this one is raised
        raise ValueError("second")

    with pytest.raises(KeyError, match="first"):
        run_in_threads([second, first])


def test_a_pytest_failure_inside_a_thread_fails_the_test():
    with pytest.raises(pytest.fail.Exception, match="asserted in a thread"):
        run_in_threads([lambda: pytest.fail("asserted in a thread")])


def test_a_thread_that_does_not_finish_in_time_fails_the_test_and_is_named():
    release = threading.Event()
    try:
        with pytest.raises(pytest.fail.Exception, match=r"1 thread\(s\) still running after 0.2 s: worker-1"):
            run_in_threads([lambda: None, release.wait], timeout=0.2)
    finally:
        release.set()


def test_background_work_is_waited_for_and_its_exception_raised_at_the_end_of_the_block():
    stop = threading.Event()
    seen: list[str] = []

    def stream() -> None:
        stop.wait()
        seen.append("stopped")
        raise RuntimeError("the stream broke")

    with pytest.raises(RuntimeError, match="the stream broke"), in_background([stream]):
        stop.set()
    assert seen == ["stopped"]


def test_background_work_that_is_never_stopped_fails_the_test():
    stop = threading.Event()
    try:
        failed = pytest.raises(pytest.fail.Exception, match="still running after 0.2 s: background-0")
        with failed, in_background([stop.wait], timeout=0.2):
            pass  # forgets to set `stop`
    finally:
        stop.set()
