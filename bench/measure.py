"""Measuring: a snippet in a fresh interpreter (wall time, peak RSS), or a callable in-process (wall time,
requests counted by an emulator, peak traced heap)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from crmconf.commands import record
from crmconf.engine.apply import Outcome, Report, apply_plan, reread
from crmconf.engine.changes import Change
from crmconf.engine.journal import Journal
from crmconf.engine.plan import kinds_of, make_plan
from crmconf.providers import opened
from crmconf.ui import Console
from crmconf.validation import require_valid

# `make bench` measures every figure this many times and reports the median; `--quick` lowers it.
REPEAT = int(os.environ.get("CRMCONF_BENCH_REPEAT", "3"))


@dataclass(frozen=True)
class Figure:
    seconds: float  # median wall time of the measured section
    peak_mb: float  # median peak resident memory of the whole process
    extra: dict[str, float]
    runs: int = 1
    cpu_s: float = 0.0  # median CPU time (user + system) of the whole process: what load does not stretch


# Defines peak_kb() for snippets: the process's resident high-water mark (VmHWM). Not ru_maxrss: Linux
# carries that over exec() from the forking parent, so a child of a large bench process would report at
# least the parent's size; VmHWM belongs to the new address space.
PRELUDE = """
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""


def run_snippet(code: str, *, repeat: int | None = None, env: dict[str, str] | None = None) -> Figure:
    """`code` must print one JSON object with at least {"seconds": ...} as its last line, and may add
    "peak_kb": peak_kb() to it (else the peak is wait4()'s ru_maxrss, see PRELUDE).

    Each run is a fresh interpreter.
    """
    runs = repeat if repeat is not None else REPEAT
    times: list[float] = []
    peaks: list[float] = []
    cpus: list[float] = []
    extra: dict[str, float] = {}
    for _ in range(runs):
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                [sys.executable, "-c", PRELUDE + code],
                stdout=subprocess.PIPE,
                stderr=errors,
                env={**os.environ, **(env or {})},
            )
            assert proc.stdout is not None
            out = proc.stdout.read().decode()
            proc.stdout.close()
            _, status, usage = os.wait4(proc.pid, 0)  # reaped here, not by Popen: wait4 gives the usage
            proc.returncode = status
            if status != 0:
                errors.seek(0)
                raise RuntimeError(f"benchmark snippet failed ({status}):\n{out}\n{errors.read().decode()[-3000:]}")
        result = json.loads(out.strip().splitlines()[-1])
        times.append(float(result.pop("seconds")))
        peak_kb = result.pop("peak_kb", None)
        peaks.append((float(peak_kb) if peak_kb is not None else usage.ru_maxrss) / 1024)  # kilobytes on Linux
        cpus.append(usage.ru_utime + usage.ru_stime)
        extra = result
    return Figure(statistics.median(times), statistics.median(peaks), extra, runs, statistics.median(cpus))


class Counter(Protocol):
    @property
    def total(self) -> int: ...

    def reset(self) -> None: ...


@dataclass
class Runs:
    """Repeated in-process runs of one scenario: wall times and request counts (medians reported)."""

    seconds: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    detail: dict[str, object] = field(default_factory=dict)

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_requests(self) -> int:
        return round(statistics.median(self.requests))

    def record(self, seconds: float, requests: int) -> None:
        self.seconds.append(seconds)
        self.requests.append(requests)


def timed(fn: Callable[[], object], counter: Counter) -> tuple[float, int]:
    """Wall time of fn() and the requests the emulator counted meanwhile."""
    counter.reset()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start, counter.total


def heap_peak_mb(fn: Callable[[], object]) -> float:
    """Peak Python heap allocated while fn() runs (tracemalloc; every thread, so the in-process
    emulator's per-request work is included, its state built before the call is not)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / 1_048_576


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """Progress goes to stderr: stdout carries only the figures, exactly as BENCHMARKS.md has them."""
    print(f"  [{time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


TODAY = date(2026, 11, 23)  # the day every bench workspace is validated on: review dates stay fresh


class Latency(Protocol):
    latency_s: float


@dataclass
class ReadFigures:
    """A vendor plan measured at each latency, against a one-by-one reader run through the same client."""

    baseline: dict[float, tuple[float, int]]  # latency -> (seconds, requests) of the one-by-one reader
    plans: dict[float, Runs]
    heap_mb: float  # median tracemalloc peak of the plan at 0 ms

    def waiting(self, latency: float) -> float:
        """What the latency adds to a plan: the median, over the runs, of a run at `latency` minus the run
        at 0 ms made just before it (paired, so a change in the machine's load between runs cancels)."""
        return statistics.median(slow - fast for slow, fast in zip(self.plans[latency].seconds,
                                                                    self.plans[0.0].seconds, strict=True))


def measure_reads(vendor: str, faults: Latency, counter: Counter, plan: Callable[[], object],
                  one_by_one: Callable[[], object], *, baseline_latencies: tuple[float, ...],
                  latencies: tuple[float, ...], runs: int,
                  fresh: Callable[[], None] = lambda: None) -> ReadFigures:
    """`fresh()` runs before each timed plan: the vendor's rate windows as a plan run on its own finds
    them, not spent by the runs before it."""
    baseline: dict[float, tuple[float, int]] = {}
    for latency in baseline_latencies:
        progress(f"{vendor}: one-by-one read at {latency * 1000:.0f} ms")
        faults.latency_s = latency
        baseline[latency] = timed(one_by_one, counter)
    plans: dict[float, Runs] = {latency: Runs() for latency in latencies}
    progress(f"{vendor}: plan at {', '.join(f'{latency * 1000:.0f}' for latency in latencies)} ms in turn x{runs}")
    for _ in range(runs):  # the latencies in turn: a pair of runs sees the same load (ReadFigures.waiting)
        for latency in latencies:
            faults.latency_s = latency
            fresh()
            plans[latency].record(*timed(plan, counter))
    for latency, runs_at in plans.items():
        progress(f"{vendor}: plan at {latency * 1000:.0f} ms took {', '.join(f'{t:.2f}' for t in runs_at.seconds)} s")
    progress(f"{vendor}: plan heap (tracemalloc) x{runs}")
    faults.latency_s = 0.0
    heap = statistics.median(heap_peak_mb(plan) for _ in range(runs))
    return ReadFigures(baseline, plans, heap)


@dataclass
class ApplyRuns:
    apply: Runs
    verify: Runs
    record: Runs = field(default_factory=Runs)  # writing the managed record, the last step of `crmconf apply`
    heap: list[float] = field(default_factory=list)  # MB, from the tracemalloc runs
    changes: int = 0
    applied: int = 0
    unverified: int = 0


def apply_once(root: Path, target: str, faults: Latency, counter: Counter, latency: float, runs: ApplyRuns, *,
               heap: bool = False) -> tuple[Change, ...]:
    """Plan `root` against `target`, then apply it and verify by re-reading, each timed and counted
    separately (or, with heap, only the apply traced), as `crmconf apply` does in-process. Returns
    the planned changes."""
    ws = require_valid(root, TODAY)
    with opened(ws.spec, ws.sources, root, target) as (name, provider):
        plan, compiled, _ = make_plan(ws, name, provider)
        assert not plan.errors, [d.message for d in plan.errors]
        journal = Journal(root / ".crmconf" / "journal.jsonl")
        faults.latency_s = latency
        reports: list[Report] = []

        def do_apply() -> None:
            reports.append(apply_plan(plan, provider, journal))

        def do_verify() -> None:  # as `crmconf apply` does: what the applied changes touch
            reports.append(reread(reports[-1], provider, kinds_of(compiled, provider)))

        def do_record() -> None:
            done = [r.change for r in reports[-1].results if r.outcome is Outcome.APPLIED]
            assert record.write(ws, plan, provider, compiled, done, Console()), "the managed record was not written"

        if heap:
            runs.heap.append(heap_peak_mb(do_apply))
            return plan.changes
        runs.apply.record(*timed(do_apply, counter))
        runs.verify.record(*timed(do_verify, counter))
        runs.record.record(*timed(do_record, counter))
        runs.changes = len(plan.changes)
        runs.applied = sum(1 for r in reports[-1].results if r.outcome is Outcome.APPLIED)
        runs.unverified = len(reports[-1].unverified)
    return plan.changes
