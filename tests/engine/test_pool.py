"""The read pool and its gate: ordered results, bounded concurrency, rate windows, pauses, retry budget."""

from __future__ import annotations

import threading
import time

import pytest

from crmconf.engine.pool import Gate, run
from crmconf.errors import LimitExceededError


def test_results_come_in_the_order_given_whatever_finishes_first() -> None:
    delays = [0.03, 0.0, 0.02, 0.01, 0.0, 0.025]

    def call(i: int) -> int:
        time.sleep(delays[i])
        return i

    assert run([lambda i=i: call(i) for i in range(len(delays))], workers=4) == list(range(len(delays)))  # type: ignore[misc]


def test_calls_overlap_up_to_the_workers_and_no_more() -> None:
    lock, running, peak = threading.Lock(), [0], [0]

    def call() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    started = time.perf_counter()
    run([call] * 9, workers=3)
    assert peak[0] == 3
    assert time.perf_counter() - started < 9 * 0.02  # three rounds, not nine calls in turn


def test_one_worker_runs_every_call_in_turn_on_the_calling_thread() -> None:
    seen: list[str] = []
    run([lambda: seen.append(threading.current_thread().name)] * 3, workers=1)
    assert seen == [threading.current_thread().name] * 3


def test_the_earliest_failure_is_raised_and_nothing_new_starts_after_one() -> None:
    started: list[int] = []

    def call(i: int) -> int:
        started.append(i)
        if i in (1, 2):
            time.sleep(0.01 * (3 - i))  # 2 fails first, 1 later: 1 is still the one raised
            raise ValueError(f"call {i}")
        time.sleep(0.005)
        return i

    with pytest.raises(ValueError, match="call 1"):
        run([lambda i=i: call(i) for i in range(40)], workers=3)  # type: ignore[misc]
    assert len(started) < 40


def test_calls_may_run_calls_of_their_own() -> None:
    def outer(i: int) -> list[int]:
        return run([lambda j=j: i * 10 + j for j in range(3)], workers=3)  # type: ignore[misc]

    assert run([lambda i=i: outer(i) for i in range(4)], workers=2) == [  # type: ignore[misc]
        [0, 1, 2], [10, 11, 12], [20, 21, 22], [30, 31, 32]]


def test_the_gate_bounds_requests_in_flight_across_threads() -> None:
    gate = Gate(2)

    def request() -> None:
        with gate.slot():
            time.sleep(0.01)

    run([request] * 8, workers=6)
    assert gate.peak == 2 and gate.in_flight == 0


def test_a_used_up_window_holds_requests_until_it_rolls_over() -> None:
    gate = Gate(4)
    with gate.slot():
        gate.observe("burst", remaining=1, resets_in=0.15, what="the burst window")
    started = time.perf_counter()
    with gate.slot():  # the one left
        pass
    with gate.slot():  # none left: waits for the window
        pass
    assert time.perf_counter() - started >= 0.14


def test_requests_in_flight_when_the_vendor_counted_are_taken_as_spent() -> None:
    gate = Gate(4)
    release = threading.Event()

    def other() -> None:
        with gate.slot():
            release.wait(1)

    thread = threading.Thread(target=other)
    thread.start()
    while gate.in_flight < 1:
        time.sleep(0.001)
    with gate.slot():
        gate.observe("burst", remaining=1, resets_in=0.1, what="the burst window")  # the other may not be counted
    started = time.perf_counter()
    with gate.slot():
        pass
    release.set()
    thread.join()
    assert time.perf_counter() - started >= 0.09


def test_a_window_that_would_take_too_long_stops_the_run_before_sending() -> None:
    gate = Gate(4, max_wait=5)
    with gate.slot():
        gate.observe("daily", remaining=0, resets_in=86_400, what="the daily allowance")
    with pytest.raises(LimitExceededError, match="the daily allowance is used up"), gate.slot():
        pytest.fail("sent anyway")


def test_a_pause_holds_the_other_threads_but_not_the_one_told_to_wait() -> None:
    gate = Gate(4)
    gate.pause(0.15)
    started = time.perf_counter()
    with gate.slot():  # this thread sleeps the wait itself (its retry loop does)
        pass
    assert time.perf_counter() - started < 0.1
    waited: list[float] = []

    def other() -> None:
        begun = time.perf_counter()
        with gate.slot():
            waited.append(time.perf_counter() - begun)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert waited[0] >= 0.1


def test_the_retry_budget_is_shared_and_answers_earn_it_back() -> None:
    gate = Gate(2, retries=3)
    assert [gate.take_retry() for _ in range(4)] == [True, True, True, False]
    gate.succeeded()
    assert gate.take_retry() and not gate.take_retry()
    for _ in range(10):
        gate.succeeded()
    assert gate.retry_tokens == 3  # never more than the budget
