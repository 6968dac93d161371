"""crmconf.oslock: exclusive locks on every OS, through portalocker's POSIX path and its Windows path.

Each case runs under both lockers (tests/winlock.py runs portalocker's Windows code on this machine);
`make test-windows-locks` runs the lock, journal and local-provider tests under the Windows one, and
test_windows_locks.py runs part of them that way in every `make test`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from crmconf import oslock
from tests import winlock
from tests.conftest import CLI

REPO = Path(__file__).resolve().parent.parent
HOLD = """
import sys, time
from pathlib import Path
from tests.winlock import install_from_env
install_from_env()
from crmconf import oslock
fd = oslock.open_lock_file(Path(sys.argv[1]))
print("locked" if oslock.try_lock(fd) else "busy", flush=True)
time.sleep(60)
"""


@pytest.fixture(params=["posix", "windows"])
def locker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Lock through portalocker's path for this OS, or its Windows path (and the env var children read)."""
    if request.param == "windows":
        monkeypatch.setenv(winlock.ENV, "windows")
        monkeypatch.setattr(oslock, "NOFOLLOW", 0)
        before = oslock.use(winlock.locker())
    else:
        monkeypatch.delenv(winlock.ENV, raising=False)
        before = oslock.use(None)
    yield request.param
    oslock.use(before)


def test_the_run_locks_the_way_it_was_asked() -> None:
    """`make test-windows-locks` cannot pass on the POSIX path by mistake: the whole run names its locker."""
    wanted = "portalocker-msvcrt" if os.environ.get(winlock.ENV) == "windows" else "portalocker"
    assert oslock.in_use() == wanted


def test_one_holder_at_a_time(locker: str, tmp_path: Path) -> None:
    first, second = oslock.open_lock_file(tmp_path / "org"), oslock.open_lock_file(tmp_path / "org")
    try:
        assert oslock.try_lock(first)
        assert not oslock.try_lock(second)  # another handle, same process: refused, as between processes
        os.close(first)
        assert oslock.try_lock(second)  # closing released it
    finally:
        os.close(second)


def test_a_killed_holder_leaves_no_lock(locker: str, tmp_path: Path) -> None:
    """A kill -9 mid-apply must not lock the workspace for ever: the OS drops a dead process's locks."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path / "org")], cwd=REPO, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    fd = oslock.open_lock_file(tmp_path / "org")
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        assert not oslock.try_lock(fd)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert oslock.try_lock(fd)
    finally:
        os.close(fd)
        child.kill()
        child.wait()


def test_a_lock_file_that_is_a_link_is_refused(locker: str, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("not crmconf's")
    (tmp_path / "org.lock").symlink_to(elsewhere)
    with pytest.raises(OSError):
        oslock.open_lock_file(tmp_path / "org")
    assert elsewhere.read_text() == "not crmconf's"


def test_only_empty_lock_files_are_locked(locker: str, cli: CLI, workspace: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows locks are mandatory (a locked range cannot be read): crmconf locks only its `.lock` files,
    never the journal or the org it reads, so an apply in progress can still be inspected."""
    locked: list[Path] = []
    real = oslock.try_lock

    def recording(fd: int) -> bool:
        locked.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        return real(fd)

    monkeypatch.setattr(oslock, "try_lock", recording)
    assert cli("apply", "-w", workspace, "--auto-approve").code == 0
    state = (workspace / ".crmconf").resolve()
    assert {state / "journal.jsonl.lock", state / "local-org.json.lock"} <= set(locked)
    assert all(path.name.endswith(".lock") and path.stat().st_size == 0 for path in locked)
