"""Fault switches and request counting shared by the vendor emulators.

An emulator asks `Faults.take(method, path)` before serving each request; a rule that matches
answers with a fault kind the emulator turns into the vendor's own error shape. Rules are
consumed in order, so a test can say "the 3rd POST to /crm/v3/pipelines fails with a 5xx".
`gather(n)` holds the first n matching requests until all have arrived: a race, run for real.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    RATE_LIMIT = "rate_limit"  # HubSpot 429 / Salesforce REQUEST_LIMIT_EXCEEDED
    SERVER_ERROR = "server_error"  # 5xx
    TIMEOUT = "timeout"  # the server stalls past the client's timeout, then answers nothing
    DROP = "drop"  # the connection is closed without a response
    PARTIAL = "partial"  # batch endpoints: some items fail (207 / success=false)


@dataclass
class Rule:
    kind: Fault
    times: int = 1
    skip: int = 0  # let this many matching requests through first
    methods: frozenset[str] = frozenset()
    path: re.Pattern[str] | None = None
    applied_effect: bool = False  # TIMEOUT/DROP: perform the request before failing the answer

    def matches(self, method: str, path: str) -> bool:
        if self.methods and method not in self.methods:
            return False
        return self.path is None or bool(self.path.search(path))


@dataclass
class _Gathering:
    """The first `barrier.parties` requests matching `rule` wait for each other (see Faults.gather)."""

    rule: Rule
    barrier: threading.Barrier
    slots: int


@dataclass
class Faults:
    latency_s: float = 0.0
    timeout_stall_s: float = 2.0
    rules: list[Rule] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gathering: _Gathering | None = field(default=None, repr=False)

    def gather(self, count: int, *, methods: tuple[str, ...] = (), path: str | None = None,
               timeout: float = 30.0) -> None:
        """Hold the first `count` requests matching until all of them have arrived (or `timeout` passed), then
        let them through together: requests from several clients become truly simultaneous, so a race (two
        applies taking one lock) is run, not left to how fast each process happened to start."""
        rule = Rule(Fault.DROP, count, 0, frozenset(m.upper() for m in methods), re.compile(path) if path else None)
        with self._lock:
            self._gathering = _Gathering(rule, threading.Barrier(count, timeout=timeout), count)

    def _wait_for_the_others(self, method: str, path: str) -> None:
        with self._lock:
            gathering = self._gathering
            if gathering is None or gathering.slots <= 0 or not gathering.rule.matches(method, path):
                return
            gathering.slots -= 1
        with contextlib.suppress(threading.BrokenBarrierError):
            gathering.barrier.wait()

    def inject(
        self,
        kind: Fault | str,
        *,
        times: int = 1,
        skip: int = 0,
        methods: tuple[str, ...] = (),
        path: str | None = None,
        applied_effect: bool = False,
    ) -> Rule:
        rule = Rule(
            Fault(kind),
            times,
            skip,
            frozenset(m.upper() for m in methods),
            re.compile(path) if path else None,
            applied_effect,
        )
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self._gathering = None

    def take(self, method: str, path: str) -> Rule | None:
        """The fault to answer this request with, if any; also applies the configured latency (and waits
        at a `gather` point)."""
        self._wait_for_the_others(method, path)
        if self.latency_s:
            time.sleep(self.latency_s)
        with self._lock:
            for rule in self.rules:
                if rule.times <= 0 or not rule.matches(method, path):
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                    continue
                rule.times -= 1
                return rule
        return None

    def pending(self) -> int:
        with self._lock:
            return sum(r.times for r in self.rules)


@dataclass
class RequestLog:
    """Counts requests by method and path (query string excluded), thread-safely."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.counts[(method, path.split("?", 1)[0])] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def reset(self) -> None:
        with self._lock:
            self.counts.clear()

    def matching(self, method: str | None = None, prefix: str = "") -> int:
        with self._lock:
            return sum(
                n
                for (m, p), n in self.counts.items()
                if (method is None or m == method) and p.startswith(prefix)
            )
