"""Run a snippet in a fresh interpreter and report its wall time and peak memory (RSS)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    seconds: float  # median wall time of the measured section
    peak_mb: float  # peak resident memory of the whole process
    extra: dict[str, float]


def run_snippet(code: str, *, repeat: int = 3, env: dict[str, str] | None = None) -> Figure:
    """`code` must print one JSON object with at least {"seconds": ...} as its last line."""
    times, peaks, extra = [], [], {}
    for _ in range(repeat):
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
        )
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise RuntimeError(f"benchmark snippet failed ({status}):\n{out}")
        result = json.loads(out.strip().splitlines()[-1])
        times.append(result.pop("seconds"))
        extra = result
        peaks.append(usage.ru_maxrss / 1024)  # kilobytes on Linux
    return Figure(statistics.median(times), max(peaks), extra)
