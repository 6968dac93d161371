"""crmconf.engine.retry: the one retry policy both providers' clients send every request through."""

from __future__ import annotations

import logging
import random

import pytest

from crmconf.engine import retry
from crmconf.engine.pool import Gate


class Flaky:
    """Fails `failures` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures, self.calls = failures, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"attempt {self.calls} dropped")
        return "answer"


def retrying(policy: retry.Policy, everyone: bool = False) -> retry.Decide:
    def decide(exc: Exception, attempt: int) -> retry.Retry | None:
        if not isinstance(exc, ConnectionError) or attempt >= policy.max_attempts:
            return None
        return retry.Retry(policy.wait(attempt, random.Random(attempt)), str(exc), everyone=everyone)

    return decide


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 0.25, 0.5), (2, 0.5, 1.0), (3, 1.0, 2.0), (9, 1.5, 3.0)])
def test_backoff_doubles_with_equal_jitter_under_the_cap(attempt: int, low: float, high: float) -> None:
    policy = retry.Policy(max_attempts=10, base_delay=0.5, max_delay=3.0)
    waits = [policy.backoff(attempt, random.Random(seed)) for seed in range(200)]
    assert low <= min(waits) and max(waits) <= high and max(waits) - min(waits) > (high - low) / 2


def test_a_wait_the_vendor_names_is_kept_within_the_cap() -> None:
    policy = retry.Policy(base_delay=0.01, max_delay=5.0)
    assert policy.wait(1, random.Random(0), told=2.0) == 2.0
    assert policy.wait(1, random.Random(0), told=60.0) == 5.0


@pytest.mark.parametrize(("failures", "attempts", "answered"), [(0, 1, True), (2, 3, True), (3, 3, False)])
def test_attempts_are_bounded_and_each_retry_is_logged(failures: int, attempts: int, answered: bool,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    policy, waits, counted = retry.Policy(max_attempts=3, base_delay=0.2), [], []
    send = Flaky(failures)
    caplog.set_level(logging.INFO, "crmconf.retry")
    run = lambda: retry.run("vendor", "read things", send, retrying(policy), gate=Gate(2), policy=policy,  # noqa: E731
                            sleep=waits.append, count=lambda: counted.append(1))
    if answered:
        assert run() == "answer"
    else:
        with pytest.raises(ConnectionError, match="attempt 3 dropped"):
            run()
    assert send.calls == len(counted) == attempts and len(waits) == min(failures, attempts - 1)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [f"vendor: read things: attempt {n} of 3 failed (attempt {n} dropped); retrying in {w:.3f} s"
                     for n, w in enumerate(waits, 1)]


def test_the_shared_budget_stops_a_retry_storm() -> None:
    policy, gate = retry.Policy(max_attempts=50, base_delay=0.0), Gate(4, retries=2)
    with pytest.raises(RuntimeError, match="budget spent"):
        retry.run("vendor", "read", Flaky(10), retrying(policy), gate=gate, policy=policy, sleep=lambda s: None,
                  spent=lambda exc: RuntimeError(f"budget spent after {exc}"))


def test_a_wait_the_vendor_imposed_holds_every_thread() -> None:
    policy, gate = retry.Policy(max_attempts=3, base_delay=0.2), Gate(4)
    paused: list[float] = []
    gate.pause = paused.append  # type: ignore[method-assign]
    waits: list[float] = []
    retry.run("vendor", "read", Flaky(1), retrying(policy, everyone=True), gate=gate, policy=policy,
              sleep=waits.append)
    assert paused == waits and len(waits) == 1
