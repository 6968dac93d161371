"""Every file crmconf writes goes through here: secrets masked, no symlink out of the workspace, plain errors.

A workspace is a folder other people can commit to: a `.crmconf/journal.jsonl` that is a symlink to
`~/.bashrc` must not make an apply append there. So a write whose path passes through a symlink must
still land inside the workspace, and a file named on the command line may not be a symlink leading out
of it either. Failures (a missing folder, no permission, a full disk) become one plain UsageError: they
are the user's environment, never a crmconf bug.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from crmconf import oslock, redact
from crmconf.errors import UsageError

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def why(exc: OSError) -> str:
    """An OSError in words a user can act on."""
    if exc.errno in FULL:
        return "the disk is full (or a size limit was reached)"
    return exc.strerror or type(exc).__name__


def write_error(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write {path}: {why(exc)}")


def guard(path: Path, root: Path | None = None) -> Path:
    """The path to write, refused when a symlink on the way leads outside the workspace `root`.

    Inside the workspace every component counts (`.crmconf` itself may be the link); for a file named
    outside it only the file itself does (the user chose that folder).
    """
    base = Path(os.path.abspath(root if root is not None else Path.cwd()))
    absolute = Path(os.path.abspath(path))
    real = absolute.resolve()
    inside = absolute.is_relative_to(base)
    through_link = (inside and real != absolute) or absolute.is_symlink()
    if through_link and not real.is_relative_to(base.resolve()):
        raise UsageError(
                f"{path} is a symbolic link that leads outside the workspace (to {real}); "
                "crmconf does not write through it: remove the link"
            )
    return absolute


def state_dir(root: Path) -> Path:
    """`root/.crmconf`, created user-only, refused when it is a link leading elsewhere."""
    folder = guard(root / ".crmconf", root)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise write_error(folder, exc) from exc
    return folder


def write_text(path: Path, text: str, *, root: Path | None = None, private: bool = False) -> None:
    """Write a whole file atomically (temp file, fsync, rename), secrets masked.

    `private` files (state, journals, plans) are 0600; others get the usual mode (umask applies).
    """
    write_bytes(path, redact.mask(text).encode("utf-8"), root=root, private=private)


def write_json(path: Path, data: Any, *, root: Path | None = None, private: bool = False, indent: int = 2) -> None:
    text = dumps(data, indent=indent)
    write_bytes(path, (text + "\n").encode("utf-8"), root=root, private=private)


def dumps(data: Any, *, indent: int | None = None) -> str:
    """JSON with every string masked first; NaN and Infinity are refused (no JSON parser reads them)."""
    try:
        return json.dumps(redact.mask_data(data), indent=indent, sort_keys=True, default=str, allow_nan=False)
    except ValueError as exc:
        raise UsageError(f"a value is not a finite number, so it cannot be written as JSON ({exc})") from exc


def write_bytes(path: Path, data: bytes, *, root: Path | None = None, private: bool = False) -> None:
    target = guard(path, root)
    if target.is_dir():
        raise UsageError(f"cannot write {path}: it is a folder")
    if not target.parent.is_dir():
        raise UsageError(f"cannot write {path}: the folder {target.parent} does not exist")
    mode = 0o600 if private else _default_mode()
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        raise write_error(path, exc) from exc
    finally:
        if tmp:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def make_dir(path: Path, *, root: Path | None = None) -> Path:
    """An output folder (`--out DIR`), created with its parents, under the same symlink rule."""
    target = guard(path, root)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise UsageError(f"cannot create the folder {path}: a file of that name exists") from exc
    except OSError as exc:
        raise UsageError(f"cannot create the folder {path}: {why(exc)}") from exc
    return target


def append_line(path: Path, line: str, *, root: Path) -> None:
    """One line appended (a log inside the workspace): user-only, never through a link leading out."""
    target = guard(path, root)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | oslock.BINARY, 0o600)
        try:
            os.write(fd, (redact.mask(line.rstrip("\n")) + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise write_error(path, exc) from exc
