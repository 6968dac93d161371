"""Run crmconf's locks through portalocker's Windows code path on this (POSIX) machine.

portalocker picks its implementation when it is imported: `msvcrt.locking` on Windows, `fcntl.flock`
elsewhere. This module loads a second copy of portalocker's locking module as Windows sees it (os.name
'nt'), with an `msvcrt` that behaves as Windows' does: `locking(fd, mode, nbytes)` locks `nbytes` from the
file's current position, per open handle, failing at once with EACCES under LK_NBLCK, released when the
handle is closed or its process dies. The byte ranges are Linux open-file-description locks
(F_OFD_SETLK): like Windows locks they belong to the handle, not the process, and they cover a range, so
crmconf and portalocker run exactly the code they run on Windows, and only the system call underneath is
Linux's. What this cannot show is Windows' mandatory locking (a locked range cannot be read): crmconf
never reads a file it locks (locks are on `.lock` files), which tests/test_oslock.py checks.

`CRMCONF_TEST_LOCKS=windows` selects it for a whole pytest run (tests/conftest.py) and for the crmconf
processes tests start (`install_from_env()`); `make test-windows-locks` runs the lock, journal and local
provider tests that way.
"""

from __future__ import annotations

import errno
import fcntl
import importlib.util
import os
import struct
import sys
import types
from unittest import mock

import portalocker
from portalocker import exceptions

from crmconf import oslock

ENV = "CRMCONF_TEST_LOCKS"
LK_UNLCK, LK_LOCK, LK_NBLCK, LK_RLCK, LK_NBRLCK = range(5)  # msvcrt's modes (<sys/locking.h>)
_FLOCK = "@hhqqi4x"  # struct flock on Linux: type, whence, start, len, pid (0 for OFD locks), padding


def _ofd(fd: int, kind: int, start: int, length: int, wait: bool) -> None:
    command = fcntl.F_OFD_SETLKW if wait else fcntl.F_OFD_SETLK  # type: ignore[attr-defined]
    fcntl.fcntl(fd, command, struct.pack(_FLOCK, kind, os.SEEK_SET, start, length, 0))


def locking(fd: int, mode: int, nbytes: int) -> None:
    """msvcrt.locking: lock or unlock `nbytes` from the current position of `fd`."""
    start = os.lseek(fd, 0, os.SEEK_CUR)
    if mode == LK_UNLCK:
        _ofd(fd, fcntl.F_UNLCK, start, nbytes, wait=False)
        return
    kind = fcntl.F_RDLCK if mode in (LK_RLCK, LK_NBRLCK) else fcntl.F_WRLCK
    try:
        _ofd(fd, kind, start, nbytes, wait=False)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        # Windows: LK_NBLCK fails at once with EACCES; LK_LOCK tries 10 times a second apart, then EDEADLOCK.
        if mode in (LK_NBLCK, LK_NBRLCK):
            raise OSError(errno.EACCES, "Permission denied") from exc
        raise OSError(errno.EDEADLOCK, "Resource deadlock avoided") from exc


def _msvcrt() -> types.ModuleType:
    module = types.ModuleType("msvcrt")
    module.locking = locking  # type: ignore[attr-defined]
    for value, name in enumerate(("LK_UNLCK", "LK_LOCK", "LK_NBLCK", "LK_RLCK", "LK_NBRLCK")):
        setattr(module, name, value)
    module.get_osfhandle = lambda fd: fd  # type: ignore[attr-defined]
    return module


def windows_portalocker() -> types.ModuleType:
    """portalocker's locking module as it loads on Windows (its `lock` goes to MsvcrtLocker)."""
    spec = importlib.util.find_spec("portalocker.portalocker")
    assert spec is not None and spec.origin is not None
    nt_spec = importlib.util.spec_from_file_location("portalocker._portalocker_nt", spec.origin)
    assert nt_spec is not None and nt_spec.loader is not None
    module = importlib.util.module_from_spec(nt_spec)
    with mock.patch.object(os, "name", "nt"), mock.patch.dict(sys.modules, {"msvcrt": _msvcrt()}):
        nt_spec.loader.exec_module(module)  # pywin32 is absent: exclusive locks through msvcrt alone
    assert module.LOCKER is module.MsvcrtLocker
    return module


def locker() -> oslock.Locker:
    nt = windows_portalocker()
    flags = portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
    return oslock.Locker(lambda fd: nt.lock(fd, flags), (exceptions.AlreadyLocked,), "portalocker-msvcrt")


def install_from_env() -> None:
    """Lock through the Windows path when CRMCONF_TEST_LOCKS=windows (crmconf processes tests start)."""
    if os.environ.get(ENV) == "windows":
        oslock.use(locker())
        oslock.NOFOLLOW = 0  # Windows' os.open has no O_NOFOLLOW: files.guard alone keeps links out
