"""The local org: one JSON file, plus an append-only log while an apply runs; locked while an apply runs.

Why a log: an apply commits each batch before it journals the batch's outcome, and rewriting the whole
org once a batch made an apply's cost grow with the org times its batches. Now a batch appends one line
to `<org>.log` (its changes, fsync'd: the line is the commit), so it costs what it changes; at the end
of the apply the log is folded into the JSON file, once (`compact`). Between commands the file is the
whole org, plain JSON, and there is no log.

- The file names a `generation`; each log line names the generation it extends. A crash leaves the file
  and its log: the next load replays the lines of its generation (a torn last line, the batch in flight,
  was never committed and is ignored), and the next write folds them in. A log left beside a file that
  was replaced since (a new generation, or an org copied in by hand) is stale: ignored, then removed.
- Writing the whole file is atomic (temp file, fsync, rename, fsync the folder) and starts a new
  generation, so the log it folded in is stale from that moment, whether or not it is removed yet.
- Format 2 adds the generation. A format 1 file (before the log; demo/seed-org.json is one) is read as
  it is and written as format 2 the first time crmconf writes the org: nothing to do by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crmconf import oslock
from crmconf.errors import LockedError, ProviderError

FORMAT_VERSION = 2
READS = (1, 2)  # format 1: the same document without a generation (no log can extend it)

Op = list[Any]  # ["put", address, object] | ["del", address] | ["move", [pipeline, stage], [pipeline, stage]]


class Org(dict[str, Any]):
    """The org document (a plain dict, as the file holds it), and what its store needs to write only what
    changed since it was read: the generation and log bytes it extends, the operations not yet written."""

    generation: str = ""  # "" : nothing on disk this copy can append to (a format 1 file, no file)
    log_end: int = 0  # bytes of the log already in this copy
    base: tuple[int, int, int] | None = None  # the file it was read from: inode, mtime, size
    pending: list[Op]

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.pending = []

    def put(self, address: str, obj: dict[str, Any]) -> None:
        self["objects"][address] = obj
        self.pending.append(["put", address, obj])

    def drop(self, address: str) -> None:
        self["objects"].pop(address, None)
        self.pending.append(["del", address])

    def move(self, where: tuple[str, str], to: tuple[str, str]) -> int:
        """Records in stage `where` (pipeline, stage) go to stage `to`; how many moved."""
        moved = _move(self, where, to)
        self.pending.append(["move", list(where), list(to)])
        return moved


def empty_org() -> dict[str, Any]:
    # `state` holds crmconf's own documents (the managed record), kept in the org like a vendor would.
    return {"format_version": FORMAT_VERSION, "objects": {}, "records": {}, "users": [], "state": {}}


def log_path(path: Path) -> Path:
    return path.with_name(path.name + ".log")


def load(path: Path) -> Org:
    """The org as the file and its log say (format 1 read as format 2)."""
    if not path.exists():
        return Org(empty_org())
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProviderError(f"cannot read the local org {path}: {exc}", context="local") from exc
    if not isinstance(data, dict) or data.get("format_version") not in READS:
        raise ProviderError(
            f"{path} is not a crmconf local org (format_version {FORMAT_VERSION})", context="local"
        )
    generation = str(data.pop("generation", "") or "")
    for key, default in empty_org().items():
        data.setdefault(key, default)
    data["format_version"] = FORMAT_VERSION
    org = Org(data)
    org.generation, org.base = generation, _identity(path)
    if generation:
        _replay(path, org)
    return org


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        found = path.stat()
    except FileNotFoundError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _replay(path: Path, org: Org) -> None:
    try:
        raw = log_path(path).read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ProviderError(f"cannot read the local org's log {log_path(path)}: {exc.strerror}", context="local") from exc
    end = 0
    for line in raw.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            break  # torn: the batch being written when it stopped, never committed
        try:
            entry = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ProviderError(f"the local org's log {log_path(path)} is damaged at byte {end}: {exc}",
                                context="local") from exc
        if not isinstance(entry, dict) or entry.get("generation") != org.generation:
            return  # written for another file: stale, nothing of it belongs here
        for op in entry["ops"]:
            _apply(org, op)
        end += len(line)
    org.log_end = end


def _apply(org: dict[str, Any], op: Op) -> None:
    if op[0] == "put":
        org["objects"][op[1]] = op[2]
    elif op[0] == "del":
        org["objects"].pop(op[1], None)
    elif op[0] == "move":
        _move(org, tuple(op[1]), tuple(op[2]))
    else:
        raise ProviderError(f"the local org's log holds an operation this crmconf does not know: {op[0]!r}",
                            context="local")


def _move(org: dict[str, Any], where: tuple[str, ...], to: tuple[str, ...]) -> int:
    moved = 0
    for records in org["records"].values():
        for record in records:
            if (record.get("pipeline"), record.get("stage")) == where:
                record["pipeline"], record["stage"] = to
                moved += 1
    return moved


def commit(path: Path, org: Org) -> None:
    """Make the operations done on `org` since it was read durable: one line appended to the log when
    `org` extends what is on disk, else the whole file written. Call with the org's lock held."""
    if not org.pending:
        return
    if not org.generation or not path.exists():
        save(path, org)
        return
    if _identity(path) != org.base:  # the lock is held: nobody may have written the file meanwhile
        raise ProviderError(f"{path} was replaced while crmconf held its lock; nothing more was written",
                            context="local")
    log = log_path(path)
    line = json.dumps({"generation": org.generation, "ops": org.pending}, sort_keys=True,
                      separators=(",", ":")).encode() + b"\n"
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | oslock.NOFOLLOW | oslock.BINARY, 0o600)
    try:
        size = os.fstat(fd).st_size
        if size < org.log_end:  # someone else wrote the org meanwhile: write it whole instead
            os.close(fd)
            fd = -1
            save(path, org)
            return
        if size > org.log_end:
            os.ftruncate(fd, org.log_end)  # a torn line a crash left: never committed
        os.lseek(fd, org.log_end, os.SEEK_SET)
        _write_all(fd, line)
        os.fsync(fd)
    finally:
        if fd >= 0:
            os.close(fd)
    if org.log_end == 0:
        oslock.fsync_folder(path.parent)  # a new log: its name must survive a crash too
    org.log_end += len(line)
    org.pending = []


def compact(path: Path, org: Org) -> None:
    """Fold the log into the file (the end of an apply); nothing to do when there is no log."""
    if org.log_end or org.pending or log_path(path).exists():
        save(path, org)


def save(path: Path, org: dict[str, Any]) -> None:
    """The whole org, atomically (temp file, fsync, rename, fsync the folder), as a new generation: a
    crash leaves the old file or the new, never half; the log is folded in and removed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    generation = uuid.uuid4().hex
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # dumps without indent uses the C encoder: 4x faster than json.dump.
            handle.write(json.dumps({**org, "format_version": FORMAT_VERSION, "generation": generation},
                                    sort_keys=True, separators=(",", ":")))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    oslock.fsync_folder(path.parent)
    with contextlib.suppress(FileNotFoundError):
        log_path(path).unlink()  # stale from the rename on: removing it only tidies
    if isinstance(org, Org):
        org.generation, org.log_end, org.pending, org.base = generation, 0, [], _identity(path)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


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
