"""Where a target's release log lives: the target's own state store, beside the managed record.

The managed record's store (`crmconf.engine.state.store_for`: the local org file, a Salesforce static
resource, a HubSpot private file) is used when this crmconf has it; otherwise the same per-machine
fallback it uses itself, `.crmconf/state/<target>/`, so the two never disagree on where a log is.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from crmconf import files
from crmconf.errors import UsageError
from crmconf.promotion.releases import Store


class _WorkspaceStore:
    def __init__(self, root: Path, target: str) -> None:
        self.root = root
        self.folder = root / ".crmconf" / "state" / target
        self.location = f".crmconf/state/{target}/ on this machine only"

    def read(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.json").read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UsageError(f"cannot read {self.folder / key}.json: {files.why(exc)}") from exc

    def write(self, key: str, data: bytes) -> None:
        files.state_dir(self.root)
        folder = files.guard(self.folder, self.root)
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise files.write_error(folder, exc) from exc
        files.write_bytes(folder / f"{key}.json", data, root=self.root, private=True)


def store_of(provider: Any, root: Path, target: str) -> Store:
    try:
        state = importlib.import_module("crmconf.engine.state")
    except ModuleNotFoundError:
        return _WorkspaceStore(root, target)
    return state.store_for(provider, root, target)  # type: ignore[no-any-return]
