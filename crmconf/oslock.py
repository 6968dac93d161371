"""Exclusive locks on files and durable renames, on every OS crmconf runs on.

Locks go through portalocker, a well-kept library that speaks each OS's own lock: `fcntl.flock` on Linux
and macOS, `msvcrt.locking` on Windows. Both are released by the OS when the process dies, which the
apply journal's recovery relies on (a kill -9 must not leave a lock behind). Locks are taken on a
separate `.lock` file, never on the data itself: Windows locks are mandatory, and another process must
still be able to read a journal to say who holds it.

`use()` swaps the locker: tests run the local provider, the journal and the apply lock through portalocker's
Windows code path this way (tests/winlock.py, `make test-windows-locks`).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import portalocker
from portalocker import exceptions

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # Windows has no symbolic-link flag; files.guard checks links there
BINARY = getattr(os, "O_BINARY", 0)  # Windows opens in text mode by default: os.write would add \r before \n


@dataclass(frozen=True)
class Locker:
    lock: Callable[[int], None]  # exclusive and non-blocking; raises `busy` when another process holds it
    busy: tuple[type[BaseException], ...]
    name: str


def _portalocker() -> Locker:
    flags = portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
    return Locker(lambda fd: portalocker.lock(fd, flags), (exceptions.AlreadyLocked,), "portalocker")


_locker = _portalocker()


def use(locker: Locker | None) -> Locker:
    """Lock through `locker` from now on (None: portalocker for this OS); returns the one in use before."""
    global _locker
    before, _locker = _locker, locker or _portalocker()
    return before


def in_use() -> str:
    return _locker.name


def open_lock_file(path: Path) -> int:
    """The lock file beside `path` (`path.lock`), user-only, never through a link."""
    lock_path = path.with_name(path.name + ".lock")
    if not NOFOLLOW and lock_path.is_symlink():  # no O_NOFOLLOW (Windows): look before opening
        raise OSError(errno.ELOOP, "the lock file is a symbolic link", str(lock_path))
    return os.open(lock_path, os.O_RDWR | os.O_CREAT | NOFOLLOW | BINARY, 0o600)


def try_lock(fd: int) -> bool:
    """Take the exclusive lock of an open lock file; False when another process holds it."""
    try:
        _locker.lock(fd)
    except _locker.busy:
        return False
    return True


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable. POSIX needs the folder fsynced; Windows cannot open a folder
    (NTFS journals the rename itself), so there it is skipped."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
