"""The apply journal: a write-ahead log in JSON lines, so no crash, signal or full disk loses the truth.

A run writes, each line fsynced before the next step:
  begin   who, where, the plan's digest and the addresses it will change (after the target's lock is held)
  intent  the change(s) about to be sent, with their desired attributes: BEFORE anything is sent
  change  one line per outcome, once the vendor has answered (a batch's outcomes in one write)
  end     the counts, whether a re-read verified them, and why the run stopped early if it did

A run with no `end` was cut short (kill -9, power loss, a full disk). Its `change` lines are exact; an
`intent` with no outcome is in doubt, and the next run settles it by re-reading the objects
(crmconf.engine.recovery) and appending what really happened, then the missing `end`.

A write that fails is undone (the file is truncated back to where the line began), so the journal
never holds half a line that this process wrote; a line torn by power loss is skipped by `read` and
the next append starts on a fresh line. The open journal holds an exclusive lock for the run: a
second apply in the same workspace is refused, and recovery (which takes the same lock) never mistakes
a live run for a dead one.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmconf import __version__, files, oslock, redact
from crmconf.errors import LockedError, UsageError

Writer = Callable[[int, "bytes | memoryview"], int]  # os.write's shape: tests inject a full disk through it


class JournalWriteError(UsageError):
    """The journal could not be written: the run stops before sending anything it cannot record."""

    code = "E403"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Journal:
    path: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    root: Path | None = None  # the workspace: the journal may not be a link leading out of it
    writer: Writer = os.write
    _fd: int | None = field(default=None, init=False, repr=False)
    _lock_fd: int | None = field(default=None, init=False, repr=False)

    # --- the file ---------------------------------------------------------------------------------

    def open(self) -> Journal:
        """Open for the run and take its lock; LockedError names the apply that holds it."""
        if self._fd is not None:
            return self
        root = self.root if self.root is not None else self.path.parent.parent
        target = files.guard(self.path, root)
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT | oslock.BINARY, 0o600)
        except OSError as exc:
            raise JournalWriteError(f"cannot open the journal {self.path}: {files.why(exc)}") from exc
        try:  # the lock is on journal.jsonl.lock: Windows locks are mandatory, and holder() reads the journal
            lock_fd = oslock.open_lock_file(target)
        except OSError as exc:
            os.close(fd)
            raise JournalWriteError(f"cannot open the journal's lock {self.path}.lock: {files.why(exc)}") from exc
        if not oslock.try_lock(lock_fd):
            os.close(lock_fd)
            os.close(fd)
            raise LockedError(f"another crmconf apply is running in this workspace ({holder(self.path)}); "
                              "try again when it ends")
        self._fd, self._lock_fd = fd, lock_fd
        return self

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the lock
            self._lock_fd = None

    def __enter__(self) -> Journal:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _append(self, records: Iterable[Mapping[str, Any]]) -> None:
        stamp = {"run": self.run_id, "time": _now()}
        text = "".join(files.dumps({**stamp, **r}) + "\n" for r in records)
        if self._fd is None:  # a one-off append (tests): open, write, close
            with self:
                self._write(text.encode("utf-8"))
            return
        self._write(text.encode("utf-8"))

    def _write(self, data: bytes) -> None:
        fd = self._fd
        assert fd is not None
        start = os.fstat(fd).st_size
        try:
            if start and os.pread(fd, 1, start - 1) != b"\n":
                data = b"\n" + data  # a line torn by power loss stays alone, and read() skips it
            view = memoryview(data)
            while view:
                view = view[self.writer(fd, view) :]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, start)  # never leave half a line: the file stays parseable
            raise JournalWriteError(f"cannot write the journal {self.path}: {files.why(exc)}") from exc

    # --- the records ------------------------------------------------------------------------------

    def begin(
        self, *, target: str, provider: str, plan_digest: str, changes: int, planned: Iterable[str] = ()
    ) -> None:
        self._append([{
            "event": "begin",
            "user": _user(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "version": __version__,
            "target": target,
            "provider": provider,
            "plan_digest": plan_digest,
            "changes": changes,
            "planned": list(planned),
        }])

    def intent(self, changes: Iterable[Mapping[str, Any]]) -> None:
        """What is about to be sent: address, kind, action and the attributes it should leave."""
        self._append([{"event": "intent", "changes": list(changes)}])

    def change(self, address: str, action: str, outcome: str, detail: str = "", **extra: Any) -> None:
        self.outcomes([(address, action, outcome, detail)], **extra)

    def outcomes(self, results: Iterable[tuple[str, str, str, str]], **extra: Any) -> None:
        """Several outcomes in one write and one fsync (a batch's answers arrive together)."""
        self._append(
            {"event": "change", "address": a, "action": act, "outcome": o, "detail": redact.mask(d), **extra}
            for a, act, o, d in results
        )

    def end(self, counts: Mapping[str, int], verified: bool, **extra: Any) -> None:
        self._append([{"event": "end", "counts": dict(counts), "verified": verified, **extra}])


# --- reading ----------------------------------------------------------------------------------------


def read(path: Path) -> list[dict[str, Any]]:
    """Every record; a line that does not parse (torn by power loss) is skipped, never fatal."""
    return read_checked(path)[0]


def read_checked(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """(records, numbers of the lines that are not JSON records)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise UsageError(f"cannot read the journal {path}: {files.why(exc)}") from exc
    records: list[dict[str, Any]] = []
    bad: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        if isinstance(record, dict) and "event" in record:
            records.append(record)
        else:
            bad.append(number)
    return records, bad


_RUN = re.compile(r'"run": "([^"]+)"')


def read_open(path: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The records of runs that began and never ended (what recovery needs), and the lines that are not
    records. Every plan asks, and a journal grows by megabytes per large apply: only begin and end lines
    are looked at until a run without an end is found, and only that run's lines are parsed."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        raise UsageError(f"cannot read the journal {path}: {files.why(exc)}") from exc
    begun: set[str] = set()
    ended: set[str] = set()
    bad = [n for n, line in enumerate(lines, 1) if line.strip() and not line.rstrip().endswith("}")]
    for line in lines:
        marker = '"event": "begin"' in line or '"event": "end"' in line
        if marker and (match := _RUN.search(line)):
            (begun if '"event": "begin"' in line else ended).add(match.group(1))
    open_runs = begun - ended
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if open_runs and any(f'"run": "{run}"' in line for run in open_runs):
            try:
                record = json.loads(line)
            except ValueError:
                bad.append(number)
                continue
            if isinstance(record, dict) and record.get("run") in open_runs:
                records.append(record)
    return records, sorted(set(bad))


def holder(path: Path) -> str:
    """Who is running the apply that holds the journal: from its last begin record."""
    begins = [r for r in read(path) if r.get("event") == "begin"]
    if not begins:
        return "its begin record is not written yet"
    b = begins[-1]
    return (f"run {b.get('run')} by {b.get('user')} on {b.get('host')} (pid {b.get('pid')}), "
            f"target {b.get('target')}, started {b.get('time')}")
