"""crmconf's own documents in a HubSpot portal: private files in the file manager (Files API v3).

Why a file: every HubSpot tier has the file manager and its API (scope `files`), a PRIVATE file is
readable only through a short-lived signed URL, and nothing else in a portal takes an arbitrary
document without a paid add-on (custom objects and HubDB need Enterprise or CMS Hub). The files sit in
the folder `/crmconf`, one per target and document (`crmconf-hubspot-prod-managed.json`); the record
holds only addresses, never secrets.

What HubSpot does not offer: a conditional write (no "create only if absent", no version precondition
on replace). What it does document is how an upload meets a file of the same name: without
`overwrite`, the NEW file is renamed so the two do not collide, and the answer names the file it made.
So `create` is one upload, and the upload that kept the name is the one that got there first; a renamed
upload lost and is archived again. HubSpot does not document that check as atomic under simultaneous
uploads, so the winner then waits `settle` seconds and reads the path back: the file there must be its
own (by id), or it backs off too. `atomic_create` stays False, and docs/provider-contract.md states the
guarantee this gives the apply lock.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import requests

from crmconf.engine.state import check_key
from crmconf.errors import AuthError
from crmconf_hubspot import scopes
from crmconf_hubspot.client import Client, HttpError, MissingScopes, Refused

T = TypeVar("T")
FOLDER = "/crmconf"
PRIVATE = json.dumps({"access": "PRIVATE", "overwrite": False, "duplicateValidationStrategy": "NONE"})
SIGNED_URL_SECONDS = 60


def file_name(target: str, key: str) -> str:
    return f"crmconf-{re.sub(r'[^a-z0-9-]+', '-', target.lower()).strip('-')}-{check_key(key)}.json"


class HubSpotStateStore:
    shared = True
    atomic_create = False

    def __init__(self, client: Client, target: str, *, settle: float = 2.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.target = target
        self.settle, self._sleep = settle, sleep
        self.location = self.place("managed")
        # The id a read just found (or None: no file), used once by the write or delete that follows it,
        # as an apply reads the record and then writes it back: one look-up saved, never reused after that.
        self._seen: dict[str, str | None] = {}
        # What this run itself last wrote, by key: (file id, updatedAt, bytes). A read that finds that very
        # version (same id, same updatedAt) needs no download: the lock's release costs one look, not three.
        self._mine: dict[str, tuple[str, str, bytes]] = {}
        self._files_granted = False

    def place(self, key: str) -> str:
        return f"the HubSpot private file {FOLDER}/{file_name(self.target, key)}"

    # --- the protocol -----------------------------------------------------------------------------

    def read(self, key: str) -> bytes | None:
        return self._scoped(scopes.RECORD_READ, lambda: self._read(key))

    def write(self, key: str, data: bytes) -> None:
        self._scoped(scopes.RECORD_WRITE, lambda: self._write(key, data))

    def create(self, key: str, data: bytes) -> bool:
        return self._scoped(scopes.RECORD_WRITE, lambda: self._create(key, data))

    def delete(self, key: str) -> None:
        self._scoped(scopes.RECORD_WRITE, lambda: self._delete(key))

    # --- the calls ----------------------------------------------------------------------------------

    def _scoped(self, concern: str, run: Callable[[], T]) -> T:
        """A token without `files` gets the one plain message naming the scope and what needs it. A read
        asks what the token holds first (a plan reads the record alongside its fetch, which asks too: one
        request for both), so no file request goes out for a token that cannot make it."""
        asks = concern == scopes.RECORD_READ and not self._files_granted
        granted = self.client.token_scopes() if asks else None
        if granted is not None and "files" not in granted:
            raise AuthError(scopes.message([scopes.Need("files", concern)], self.client.settings.token_env,
                                           "crmconf needs here"), context="hubspot")
        try:
            result = run()
            self._files_granted = True  # a file call went through: the scope is proven, no need to ask again
            return result
        except MissingScopes as exc:
            need = scopes.Need("files", concern)
            raise AuthError(scopes.message([need], self.client.settings.token_env, "crmconf needs here"),
                            context="hubspot") from exc

    def _path(self, key: str) -> str:
        return f"{FOLDER.strip('/')}/{file_name(self.target, key)}"

    def _stat(self, key: str) -> Any:
        """The file at the key's path (the SDK's File), or None."""
        path = self._path(key)
        try:
            stat = self.client.call(f"find {path}", self.client.api("files").get_metadata, path=path, idempotent=True)
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        return stat.file if stat is not None and stat.file is not None else None

    def _find(self, key: str) -> str | None:
        found = self._stat(key)
        return str(found.id) if found is not None else None

    def _remember(self, key: str, made: Any, data: bytes) -> None:
        self._mine[key] = (str(made.id), str(made.updated_at), data)

    def _read(self, key: str) -> bytes | None:
        found = self._stat(key)
        self._seen[key] = str(found.id) if found is not None else None
        if found is None:
            return None
        mine = self._mine.get(key)
        if mine is not None and mine[:2] == (str(found.id), str(found.updated_at)):
            return mine[2]
        data = self._download(str(found.id))
        if data is None:  # archived between the look and the download (a lock released meanwhile)
            self._seen[key] = None
        return data

    def _download(self, file_id: str) -> bytes | None:
        """The file's bytes; None when it is gone by now."""
        try:
            signed = self.client.call(f"sign file {file_id}", self.client.api("files").get_signed_url, file_id,
                                      expiration_seconds=SIGNED_URL_SECONDS, idempotent=True)
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        return self.client._run(f"download file {file_id}", lambda: self._fetch(str(signed.url)), True)

    def _fetch(self, url: str) -> bytes | None:
        """The signed URL is the authority: the private-app token is never sent with it. A file archived
        since it was signed is refused at the URL (403/404): gone."""
        response = requests.get(url, timeout=self.client.settings.timeout)
        if response.status_code in (403, 404):
            return None
        if not 200 <= response.status_code < 300:
            raise HttpError(response.status_code, response.content, response.headers)
        return response.content

    def _write(self, key: str, data: bytes) -> None:
        found = self._seen.pop(key) if key in self._seen else self._find(key)
        if found is None:
            made = self._upload(key, data)
            if self._named(made, key):
                self._remember(key, made, data)
                return
            self._archive(str(made.id))  # another run created it meanwhile: replace that one instead
            found = self._find(key)
            if found is None:
                raise Refused(f"{self._path(key)} came and went while crmconf wrote it", context="hubspot",
                              status=409, category="CONFLICT")
        with _staged(file_name(self.target, key), data) as path:
            made = self.client.call(f"replace file {found}", self.client.api("files").replace, found, file=path,
                                    options=json.dumps({"access": "PRIVATE"}), idempotent=True)
        self._remember(key, made, data)

    def _create(self, key: str, data: bytes) -> bool:
        """One upload; it counts only if HubSpot kept the name and, after `settle`, the path shows it."""
        self._seen.pop(key, None)
        made = self._upload(key, data)
        if not self._named(made, key):  # renamed: another file had the name first
            self._archive(str(made.id))
            return False
        if self.settle:
            self._sleep(self.settle)
        there = self._find(key)
        if there != str(made.id):  # two uploads were both given the name: the one the path shows won
            self._archive(str(made.id))
            return False
        self._remember(key, made, data)
        return True

    def _delete(self, key: str) -> None:
        found = self._seen.pop(key) if key in self._seen else self._find(key)
        self._mine.pop(key, None)
        if found is not None:
            self._archive(found)

    def _archive(self, file_id: str) -> None:
        try:
            self.client.call(f"archive file {file_id}", self.client.api("files").archive, file_id, idempotent=True)
        except Refused as exc:
            if exc.status != 404:  # already gone (a lost answer's first attempt)
                raise

    def _named(self, made: Any, key: str) -> bool:
        """Whether the upload kept the name asked for (HubSpot renames an upload that would collide)."""
        wanted = file_name(self.target, key)
        return str(made.path or "").rsplit("/", 1)[-1] == wanted or f"{made.name}.{made.extension}" == wanted

    def _upload(self, key: str, data: bytes) -> Any:
        name = file_name(self.target, key)
        with _staged(name, data) as path:
            def send() -> Any:
                return self.client.call(f"upload {FOLDER}/{name}", self.client.api("files").upload, file=path,
                                        folder_path=FOLDER, file_name=name, options=PRIVATE, idempotent=False)

            # A lost answer: the file at the path counts as this upload only if it holds these very bytes
            # (a lock's bytes carry its own id); else the upload is sent again, and named by HubSpot.
            return self.client.write(f"upload {FOLDER}/{name}", send, lambda: self._ours_at(key, data))

    def _ours_at(self, key: str, data: bytes) -> Any:
        found = self._stat(key)
        return found if found is not None and self._download(str(found.id)) == data else None


class _staged:
    """The SDK uploads from a path: the bytes, in a private temporary folder, under the file's name."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data

    def __enter__(self) -> str:
        self.folder = tempfile.TemporaryDirectory(prefix="crmconf-")
        path = Path(self.folder.name) / self.name
        path.write_bytes(self.data)
        return str(path)

    def __exit__(self, *exc: object) -> None:
        self.folder.cleanup()
