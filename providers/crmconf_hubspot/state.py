"""crmconf's own documents in a HubSpot portal: private files in the file manager (Files API v3).

Why a file: every HubSpot tier has the file manager and its API (scope `files`), a PRIVATE file is
readable only through a short-lived signed URL, and nothing else in a portal takes an arbitrary
document without a paid add-on (custom objects and HubDB need Enterprise or CMS Hub). The files sit in
the folder `/crmconf`, one per target and document (`crmconf-hubspot-prod-managed.json`); the record
holds only addresses, never secrets.

What HubSpot does not offer: a conditional write. There is no "create only if absent" and no version
precondition on replace, so `create` checks, then uploads (`atomic_create` is False): a lock built on
this store must say it is advisory on HubSpot.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import requests

from crmconf.engine.state import check_key
from crmconf_hubspot.client import Client, HttpError, Refused

FOLDER = "/crmconf"
PRIVATE = json.dumps({"access": "PRIVATE", "overwrite": False, "duplicateValidationStrategy": "NONE"})
SIGNED_URL_SECONDS = 60


def file_name(target: str, key: str) -> str:
    return f"crmconf-{re.sub(r'[^a-z0-9-]+', '-', target.lower()).strip('-')}-{check_key(key)}.json"


class HubSpotStateStore:
    shared = True
    atomic_create = False

    def __init__(self, client: Client, target: str) -> None:
        self.client = client
        self.target = target
        self.location = f"the HubSpot private file {FOLDER}/{file_name(target, 'managed')}"
        # The id a read just found (or None: no file), used once by the write that follows it, as an
        # apply reads the record and then writes it back: one look-up saved, never reused after that.
        self._seen: dict[str, str | None] = {}

    def _find(self, key: str) -> str | None:
        path = f"{FOLDER.strip('/')}/{file_name(self.target, key)}"
        try:
            stat = self.client.call(f"find {path}", self.client.api("files").get_metadata, path=path, idempotent=True)
        except Refused as exc:
            if exc.status == 404:
                return None
            raise
        return str(stat.file.id) if stat is not None and stat.file is not None else None

    def read(self, key: str) -> bytes | None:
        found = self._seen[key] = self._find(key)
        if found is None:
            return None
        signed = self.client.call(f"sign file {found}", self.client.api("files").get_signed_url, found,
                                  expiration_seconds=SIGNED_URL_SECONDS, idempotent=True)
        return self.client._run(f"download file {found}", lambda: self._download(str(signed.url)), True)

    def _download(self, url: str) -> bytes:
        """The signed URL is the authority: the private-app token is never sent with it."""
        response = requests.get(url, timeout=self.client.settings.timeout)
        if not 200 <= response.status_code < 300:
            raise HttpError(response.status_code, response.content, response.headers)
        return response.content

    def write(self, key: str, data: bytes) -> None:
        found = self._seen.pop(key) if key in self._seen else self._find(key)
        if found is not None:
            with _staged(file_name(self.target, key), data) as path:
                self.client.call(f"replace file {found}", self.client.api("files").replace, found, file=path,
                                 options=json.dumps({"access": "PRIVATE"}), idempotent=True)
            return
        self._upload(key, data)

    def create(self, key: str, data: bytes) -> bool:
        self._seen.pop(key, None)
        if self._find(key) is not None:
            return False
        self._upload(key, data)
        return True

    def _upload(self, key: str, data: bytes) -> None:
        name = file_name(self.target, key)
        with _staged(name, data) as path:
            def send() -> Any:
                return self.client.call(f"upload {FOLDER}/{name}", self.client.api("files").upload, file=path,
                                        folder_path=FOLDER, file_name=name, options=PRIVATE, idempotent=False)

            # A lost answer: look before sending again, so the document is never uploaded twice.
            self.client.write(f"upload {FOLDER}/{name}", send, lambda: self._find(key))

    def delete(self, key: str) -> None:
        self._seen.pop(key, None)
        found = self._find(key)
        if found is not None:
            self.client.call(f"archive file {found}", self.client.api("files").archive, found, idempotent=True)


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
