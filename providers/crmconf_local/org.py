"""The local org: one JSON file, written atomically and locked exclusively while an apply runs."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crmconf import oslock
from crmconf.errors import LockedError, ProviderError

FORMAT_VERSION = 1


def empty_org() -> dict[str, Any]:
    # `state` holds crmconf's own documents (the managed record), kept in the org like a vendor would.
    return {"format_version": FORMAT_VERSION, "objects": {}, "records": {}, "users": [], "state": {}}


def load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return empty_org()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProviderError(f"cannot read the local org {path}: {exc}", context="local") from exc
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ProviderError(
            f"{path} is not a crmconf local org (format_version {FORMAT_VERSION})", context="local"
        )
    for key, default in empty_org().items():
        data.setdefault(key, default)
    return data


def save(path: Path, org: dict[str, Any]) -> None:
    """Temp file, fsync, rename, fsync the folder: a crash leaves the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # dumps without indent uses the C encoder: 4x faster than json.dump, and an apply saves once a batch.
            handle.write(json.dumps(org, sort_keys=True, separators=(",", ":")))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    oslock.fsync_folder(path.parent)


@contextlib.contextmanager
def locked(path: Path, wait: float = 0.0) -> Iterator[None]:
    """The org's exclusive lock; `wait` seconds to get it (short writes wait, an apply does not)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_path = path.with_name(path.name + ".lock")
    try:  # never through a link: the lock file is ours, and a link could point anywhere
        fd = oslock.open_lock_file(path)
    except OSError as exc:
        raise ProviderError(f"cannot open the lock {lock_path}: {exc.strerror}", context="local") from exc
    deadline = time.monotonic() + wait
    try:
        while not oslock.try_lock(fd):
            if time.monotonic() >= deadline:
                raise LockedError(f"another crmconf apply holds the lock on {path}; try again when it ends")
            time.sleep(0.05)
        yield
    finally:
        os.close(fd)
