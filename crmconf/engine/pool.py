"""Concurrent reads within a vendor's limits: a bounded pool, one rate budget, one retry budget.

A provider's `fetch` reads many independent things (four property lists, the pipelines, the flow
pages...). Sent one after another, a plan waits for every request in turn; sent together, it waits
only for the longest chain of requests that depend on each other. Two pieces make that safe:

- `run(calls, workers)` runs independent calls on threads and returns their results **in the order
  given**, whatever finished first, so whatever a provider builds from them is the same on every run.
  When a call fails, calls not yet started are not started, the ones in flight finish, and the
  failure of the earliest call (in the order given) is raised: the same error on every run.
- `Gate`: every HTTP request a provider sends takes a `slot` first. The gate bounds the requests in
  flight (each vendor documents a limit), keeps within the budget the vendor's rate-limit headers
  announce (`observe`), makes every thread wait when one is told to (`pause`, a 429's Retry-After),
  and holds one retry budget for all of them (`take_retry`), so an API that struggles is not met by a
  retry storm from every thread at once. A wait longer than `max_wait` (a daily allowance used up) is
  not waited: the gate raises `LimitExceededError` before sending, and the run stops cleanly.

Only reads run concurrently: apply sends its writes one call at a time, through the same gate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from crmconf.errors import LimitExceededError

T = TypeVar("T")


@dataclass
class _Window:
    """What the vendor last said about one of its rate windows, and what was sent since."""

    remaining: int  # requests the vendor said were left in the window
    spent: int  # requests sent since (or in flight when) it said so
    resets_at: float  # by then the window has surely rolled over: the figure no longer binds
    what: str  # in words, for the error when the wait would be too long


class Gate:
    """The shared budget of one vendor connection (see the module docstring)."""

    def __init__(self, limit: int, *, retries: int = 24, max_wait: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1:
            raise ValueError("a gate lets at least one request through")
        self.limit = limit
        self.max_wait = max_wait
        # The retry budget: a retry spends a token, an answer earns one back (up to the budget). Retries
        # that honour the vendor's waits go on as long as answers keep coming; when failures outrun answers
        # by the whole budget (an API that is down, met by every thread at once), no thread retries.
        self.retry_tokens = self.retry_capacity = float(retries)
        self.in_flight = 0
        self.peak = 0  # the most requests in flight at once (tests and benchmarks read it)
        self._windows: dict[str, _Window] = {}
        self._paused_until = 0.0
        self._pauser: int | None = None  # the thread that was told to wait waits with its own sleep
        self._clock = clock
        self._cond = threading.Condition()

    @contextmanager
    def slot(self, cost: int = 1) -> Iterator[None]:
        """Held while one request is in flight; `cost` is what it spends of the vendor's allowance
        (a Salesforce Composite Batch spends one per subrequest)."""
        self._acquire(cost)
        try:
            yield
        finally:
            with self._cond:
                self.in_flight -= 1
                self._cond.notify_all()

    def _acquire(self, cost: int) -> None:
        with self._cond:
            while True:
                now = self._clock()
                wait, why = self._wait(now, cost)
                if wait <= 0 and self.in_flight < self.limit:
                    break
                if wait > self.max_wait:
                    raise LimitExceededError(f"{why}; nothing more was sent", context="rate limit")
                self._cond.wait(timeout=wait if wait > 0 else None)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            for window in self._windows.values():
                window.spent += cost

    def _wait(self, now: float, cost: int) -> tuple[float, str]:
        """Seconds until a request of this cost may go (0: now), and why it may not."""
        paused = self._pauser != threading.get_ident()
        wait, why = (self._paused_until - now if paused else 0.0), "the vendor asked to wait"
        for name, window in list(self._windows.items()):
            if now >= window.resets_at:
                del self._windows[name]  # rolled over: the old figure says nothing any more
            elif window.remaining - window.spent < cost and window.resets_at - now > wait:
                wait, why = window.resets_at - now, f"{window.what} is used up ({window.remaining} left when last told)"
        return wait, why

    def observe(self, name: str, remaining: int, resets_in: float, what: str) -> None:
        """A vendor's rate-limit header: `remaining` requests left in window `name`, which rolls over
        within `resets_in` seconds. Requests still in flight may not be counted in it yet: they are
        taken as spent."""
        with self._cond:
            self._windows[name] = _Window(remaining, max(0, self.in_flight - 1), self._clock() + resets_in, what)
            self._cond.notify_all()

    def pause(self, seconds: float) -> None:
        """Every request waits this long from now (the vendor said so to one of them)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            self._pauser = threading.get_ident()

    def take_retry(self) -> bool:
        """One retry from the budget all threads share; False when it is spent."""
        with self._cond:
            if self.retry_tokens < 1:
                return False
            self.retry_tokens -= 1
            return True

    def succeeded(self) -> None:
        """A request was answered: the retry budget recovers one retry."""
        with self._cond:
            self.retry_tokens = min(self.retry_capacity, self.retry_tokens + 1)


def run(calls: Sequence[Callable[[], T]], workers: int) -> list[T]:
    """Results of independent calls, in the order given, at most `workers` running at once.

    The calling thread runs calls too, so a call may itself `run` sub-calls (a read and its pages)
    without waiting for a thread that waits for it. `workers` 1, or a single call, runs them in turn
    on the calling thread. See the module docstring for failures; an interrupt (Ctrl-C reaches the
    calling thread) stops the starting of calls too, and wins over any failure.
    """
    if workers <= 1 or len(calls) <= 1:
        return [call() for call in calls]
    results: list[Any] = [None] * len(calls)
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()
    position = iter(range(len(calls)))
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                index = None if errors else next(position, None)
            if index is None:
                return
            try:
                results[index] = calls[index]()
            except BaseException as exc:  # raised in the caller, earliest call first
                with lock:
                    errors[index] = exc

    threads = [threading.Thread(target=worker, name=f"crmconf-read-{i}", daemon=True)
               for i in range(min(workers, len(calls)) - 1)]
    for thread in threads:
        thread.start()
    try:
        worker()
    finally:
        stop.set()  # an interrupt between calls: the others start nothing more either
        for thread in threads:
            thread.join()
    if errors:
        interrupts = [e for e in errors.values() if not isinstance(e, Exception)]
        raise interrupts[0] if interrupts else errors[min(errors)]
    return results


class Pending(Generic[T]):
    """A call started now on its own thread, its result (or its exception) taken later with `result()`;
    with `start=False` (no concurrency wanted) it runs on the spot, in the caller's thread."""

    def __init__(self, call: Callable[[], T], *, start: bool = True) -> None:
        self._call = call
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None
        if start:
            threading.Thread(target=self._run, name="crmconf-read", daemon=True).start()
        else:
            self._run()

    def _run(self) -> None:
        try:
            self._value = self._call()
        except BaseException as exc:  # raised by result(), in the thread that asks
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> T:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def together(*calls: Callable[[], Any], workers: int) -> list[Any]:
    """`run` for a few calls of different types: unpack the list in the order of the calls."""
    return run(list(calls), workers)
