"""The local provider's tests with every lock on portalocker's Windows path (tests/winlock.py).

A pytest run of its own, in a process of its own, because portalocker chooses its locker once per process.
`make test-windows-locks` runs more (the journal, the apply lock, interruptions) the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import winlock

REPO = Path(__file__).resolve().parent.parent
SUITE = ["tests/test_oslock.py", "tests/providers/local/test_org_store.py", "tests/providers/local/test_local_provider.py"]


def test_the_local_provider_passes_on_the_windows_lock_path() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-n", "0", *SUITE],
        cwd=REPO, env={**os.environ, winlock.ENV: "windows", "PYTHONPATH": str(REPO)},
        capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    summary = run.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "deselected" not in summary, summary
