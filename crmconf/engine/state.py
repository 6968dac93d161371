"""Where crmconf keeps its own small documents for a target: the optional "state store" of a provider.

A provider that can keep a private document in the target itself (the local org file, a Salesforce
static resource, a HubSpot private file) offers `state_store() -> StateStore`. Everything that reaches
the target then reads the same documents, so a CI runner and a laptop agree on what crmconf manages.
A provider without such a place gets `WorkspaceStore`: files under `.crmconf/state/<target>/` on this
machine only, which plans say plainly (`shared` is False).

Documents are small named blobs (`managed` is the record of what crmconf manages; a later apply lock
will use the same store). `create` writes only when nothing is there yet; a store whose vendor makes
that a single atomic call says so with `atomic_create`, so a lock built on it knows what it can promise.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Protocol, runtime_checkable

from crmconf import files, oslock
from crmconf.errors import UsageError

KEY = re.compile(r"[a-z][a-z0-9-]{0,39}\Z")  # document names: short, safe in any vendor's naming rules


@runtime_checkable
class StateStore(Protocol):
    location: str  # in words, for plans and errors: "the local org file .crmconf/local-org.json"
    shared: bool  # True when every machine that reaches the target reads the same documents
    atomic_create: bool  # True when `create` is one conditional call at the vendor, never read-then-write

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None:
        """Create or replace the document."""
        ...

    def create(self, key: str, data: bytes) -> bool:
        """Write only if no document of that name exists; False when one already did."""
        ...

    def delete(self, key: str) -> None:
        """Remove the document; removing one that is not there is not an error."""
        ...


def check_key(key: str) -> str:
    if not KEY.match(key):
        raise ValueError(f"state document names are lower-case words of up to 40 characters, not {key!r}")
    return key


class WorkspaceStore:
    """The fallback: one file per document under the workspace's `.crmconf/state/<target>/`."""

    shared = False
    atomic_create = True  # O_CREAT | O_EXCL on one machine

    def __init__(self, folder: Path, shown: str, root: Path | None = None) -> None:
        self.folder = folder
        self.root = root
        self.shown = shown
        self.location = f"{shown} on this machine only"

    def place(self, key: str) -> str:
        return f"{self.shown}{check_key(key)}.json on this machine only"

    def _path(self, key: str) -> Path:
        return self.folder / f"{check_key(key)}.json"

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise UsageError(f"cannot read {self._path(key)}: {files.why(exc)}") from exc

    def _folder(self) -> None:
        try:
            files.guard(self.folder, self.root).mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise files.write_error(self.folder, exc) from exc

    def write(self, key: str, data: bytes) -> None:
        self._folder()
        files.write_bytes(self._path(key), data, root=self.root, private=True)

    def create(self, key: str, data: bytes) -> bool:
        self._folder()
        path = files.guard(self._path(key), self.root)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | oslock.NOFOLLOW | oslock.BINARY, 0o600)
        except FileExistsError:
            return False
        except OSError as exc:
            raise files.write_error(path, exc) from exc
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()


def store_for(provider: object, root: Path, target: str) -> StateStore:
    """The provider's own store when it offers one, else the documented per-machine fallback."""
    offer = getattr(provider, "state_store", None)
    store = offer() if callable(offer) else None
    if store is not None:
        return store  # type: ignore[no-any-return]
    relative = Path(".crmconf") / "state" / target
    return WorkspaceStore(root / relative, relative.as_posix() + "/", root)
