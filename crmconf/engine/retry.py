"""The one retry policy of every vendor client: when to try a request again, how long to wait, and what
`--verbose` says about it.

Both providers' clients send each request through `run`: one attempt within the connection's `Gate`
(crmconf.engine.pool: requests in flight, rate budget, the retry budget every thread shares); a failure
goes to the provider's `decide`, which knows what the vendor's answer means (a 429 to wait for, a 5xx on a
read, a write whose outcome is unknown) and either raises or returns a `Retry`. What stays the same for
every vendor is decided here: attempts are bounded, waits are exponential with equal jitter (so threads
that failed together do not come back together) and capped, a wait the vendor names is never cut short,
a wait the vendor imposed (429) is taken by every thread of the connection, and each retry is logged with
its figures (attempt, wait, reason) on the `crmconf.retry` logger, which `--verbose` shows.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from crmconf.engine.pool import Gate

T = TypeVar("T")
log = logging.getLogger("crmconf.retry")


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 6  # attempts in all, the first included
    base_delay: float = 0.5  # the first retry waits between half of this and this
    max_delay: float = 30.0  # caps every wait, a vendor's Retry-After included (lower it only against an emulator)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential with equal jitter: half the step is fixed, half random (`attempt` counts from 1)."""
        step = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return step / 2 + rng.uniform(0, step / 2)

    def wait(self, attempt: int, rng: random.Random, told: float | None = None) -> float:
        """The wait before retry `attempt`: the backoff, or longer when the vendor said so, within the cap."""
        return min(self.max_delay, max(told or 0.0, self.backoff(attempt, rng)))


@dataclass(frozen=True)
class Retry:
    """A provider's `decide` answer: try again after `wait` seconds, because of `reason`."""

    wait: float
    reason: str
    everyone: bool = False  # the vendor told this connection to wait (a 429): every thread waits


Decide = Callable[[Exception, int], Retry | None]  # (the failure, the attempt that failed) -> retry, or None


def run(vendor: str, what: str, send: Callable[[], T], decide: Decide, *, gate: Gate, policy: Policy,
        sleep: Callable[[float], None], count: Callable[[], None] = lambda: None, cost: int = 1,
        spent: Callable[[Exception], Exception] | None = None) -> T:
    """`send` until it answers. `decide` raises (or returns None to re-raise the failure) when there must be
    no retry; `spent` makes the error raised when the shared retry budget is used up (default: the failure);
    `count` is called before every attempt (clients count requests); `cost` is what one attempt spends of
    the gate's rate budget."""
    attempt = 1
    while True:
        count()
        try:
            with gate.slot(cost):
                result = send()
        except Exception as exc:
            step = decide(exc, attempt)
            if step is None:
                raise
            if not gate.take_retry():
                log.info("%s: %s: attempt %d failed (%s); no retry: the retries all requests share are spent",
                         vendor, what, attempt, step.reason)
                if spent is None:
                    raise
                raise spent(exc) from exc
            if step.everyone:
                gate.pause(step.wait)
            log.info("%s: %s: attempt %d of %d failed (%s); retrying in %.3f s", vendor, what, attempt,
                     policy.max_attempts, step.reason, step.wait)
            sleep(step.wait)
            attempt += 1
            continue
        gate.succeeded()
        return result
