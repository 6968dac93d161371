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
from typing import Protocol

# `make bench` measures every figure this many times and reports the median; `--quick` lowers it.
REPEAT = int(os.environ.get("CRMCONF_BENCH_REPEAT", "3"))


@dataclass(frozen=True)
class Figure:
    seconds: float  # median wall time of the measured section
    peak_mb: float  # median peak resident memory of the whole process
    extra: dict[str, float]
    runs: int = 1


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
        extra = result
    return Figure(statistics.median(times), statistics.median(peaks), extra, runs)


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
