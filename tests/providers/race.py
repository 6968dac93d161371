"""Two `crmconf apply` runs of one workspace against one CRM at the same moment, as two CI runners would.

Each run is a real process of the real CLI with its own copy of the workspace (its own `.crmconf`: two
machines share only the CRM), started back to back. The first request of an apply is the one that takes
the apply lock; the emulator holds each run's first such request until both have arrived (`Faults.gather`)
and lets them through together, so the two really race for the lock, however differently the processes
happened to start. The winner then holds it for its whole plan and apply (seconds), while the loser
looks at who holds it (a few requests).

`make test` runs RUNS (10) races per emulator; CRMCONF_CONCURRENT_RUNS changes it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RUNS = int(os.environ.get("CRMCONF_CONCURRENT_RUNS", "10"))
LATENCY_S = 0.005  # per request: a little, as a real network has
# tests.winlock: the locks go through portalocker's Windows path when the run asks for it (CRMCONF_TEST_LOCKS)
REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from tests.winlock import install_from_env; install_from_env(); "
       "from crmconf.cli import main; main()"]


@dataclass(frozen=True)
class Finished:
    pid: int
    code: int
    out: str
    err: str
    root: Path


def machines(template: Path, base: Path, count: int = 2) -> list[Path]:
    """One copy of the workspace per runner."""
    roots = [base / f"runner-{i}" for i in range(count)]
    for root in roots:
        shutil.copytree(template, root)
    return roots


def race(roots: list[Path], target: str, env: dict[str, str], timeout: float = 120) -> list[Finished]:
    """`crmconf apply --auto-approve` in every root at once; the finished runs, winner(s) first."""
    full = {**os.environ, "CRMCONF_TODAY": "2026-11-23", "NO_COLOR": "1", "PYTHONPATH": str(REPO), **env}
    procs = [(root, subprocess.Popen([*CLI, "apply", "-w", str(root), "-t", target, "--auto-approve"], env=full,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)) for root in roots]
    done = []
    for root, proc in procs:
        out, err = proc.communicate(timeout=timeout)
        done.append(Finished(proc.pid, proc.returncode, out, err, root))
    return sorted(done, key=lambda f: f.code)


def check(finished: list[Finished]) -> list[str]:
    """One run applied; every other one was refused with the lock's holder named (its pid) and wrote nothing."""
    problems = []
    winners = [f for f in finished if f.code == 0]
    if len(winners) != 1:
        return [f"{len(winners)} runs exited 0: " + " | ".join(f"exit {f.code}: {f.err[-300:]}" for f in finished)]
    [winner] = winners
    if "Apply: " not in winner.err:
        problems.append(f"the winner applied nothing: {winner.err[-300:]}")
    for loser in finished[1:]:
        if loser.code != 1 or "error E402: target" not in loser.err or f"(pid {winner.pid}," not in loser.err:
            problems.append(f"the loser (exit {loser.code}) does not name the holder (pid {winner.pid}): "
                            f"{loser.err[-400:]}")
        if (loser.root / ".crmconf" / "journal.jsonl").exists():
            problems.append("the loser began an apply (its journal exists)")
    return problems
