"""The local org's state store: crmconf's own documents live in the org file itself, under `state`.

So whoever opens the same org (another shell, a CI job sharing the folder) reads the same record. Every
write takes the org's lock, so `create` is atomic: nobody can write the org between its check and its
write. During an apply the provider already holds that lock; the store then writes through the
provider's in-memory org instead of waiting for itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from crmconf.engine.state import check_key
from crmconf.errors import ProviderError
from crmconf_local import org as store

T = TypeVar("T")
LOCK_WAIT = 10.0  # seconds a short state write waits for another run's lock


class Holder(Protocol):
    """What the store needs of the provider: the org file, the org in memory, whether it holds the lock."""

    path: Path
    _org: dict[str, Any] | None

    @property
    def holds_lock(self) -> bool: ...


class LocalStateStore:
    shared = True
    atomic_create = True

    def __init__(self, provider: Holder, root: Path) -> None:
        self.provider = provider
        try:
            shown = os.path.relpath(provider.path, root)
        except ValueError:
            shown = str(provider.path)
        self.location = f"the local org file {Path(shown).as_posix()}"

    def place(self, key: str) -> str:
        return f"{self.location} (its `state.{check_key(key)}`)"

    def read(self, key: str) -> bytes | None:
        org = self.provider._org if self.provider._org is not None else store.load(self.provider.path)
        text = org.get("state", {}).get(check_key(key))
        return None if text is None else str(text).encode("utf-8")

    def write(self, key: str, data: bytes) -> None:
        text = _text(data)
        self._mutate(lambda state: state.__setitem__(check_key(key), text))

    def create(self, key: str, data: bytes) -> bool:
        text = _text(data)

        def put(state: dict[str, Any]) -> bool:
            if check_key(key) in state:
                return False
            state[key] = text
            return True

        return self._mutate(put)

    def delete(self, key: str) -> None:
        self._mutate(lambda state: state.pop(check_key(key), None))

    def _mutate(self, change: Callable[[dict[str, Any]], T]) -> T:
        path = self.provider.path
        try:
            if self.provider.holds_lock and self.provider._org is not None:
                org = self.provider._org
                result = change(org.setdefault("state", {}))
                self._save(path, org)
                return result
            with store.locked(path, wait=LOCK_WAIT):
                org = store.load(path)
                result = change(org.setdefault("state", {}))
                self._save(path, org)
                self.provider._org = org
                return result
        except OSError as exc:
            raise ProviderError(f"cannot write {path}: {exc.strerror}", context="local") from exc

    @staticmethod
    def _save(path: Path, org: dict[str, Any]) -> None:
        """An org left with nothing in it (an apply lock taken and released by a run that was refused) is
        no file at all: a refused apply leaves the workspace as it found it."""
        if org == store.empty_org():
            path.unlink(missing_ok=True)
        else:
            store.save(path, org)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("the local org keeps state documents as UTF-8 text") from exc
