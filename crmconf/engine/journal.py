"""The apply journal: JSON lines appended as things happen, so a crash still leaves the truth.

Each run writes a `begin` line, one `change` line per outcome the moment it is known (flushed and
fsynced), and an `end` line. A run with no `end` line was interrupted; its `change` lines are exact.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


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

    def _append(self, record: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(
                fd, (json.dumps({"run": self.run_id, "time": _now(), **record}, default=str) + "\n").encode()
            )
            os.fsync(fd)
        finally:
            os.close(fd)

    def begin(self, *, target: str, provider: str, plan_digest: str, changes: int) -> None:
        self._append(
            {
                "event": "begin",
                "user": _user(),
                "target": target,
                "provider": provider,
                "plan_digest": plan_digest,
                "changes": changes,
            }
        )

    def change(self, address: str, action: str, outcome: str, detail: str = "") -> None:
        self._append(
            {"event": "change", "address": address, "action": action, "outcome": outcome, "detail": detail}
        )

    def end(self, counts: dict[str, int], verified: bool) -> None:
        self._append({"event": "end", "counts": counts, "verified": verified})


def read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
