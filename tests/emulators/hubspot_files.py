"""The HubSpot Files API v3, as far as a private document store needs it (crmconf's managed record).

Shapes are the SDK's `File`, `FileStat` and `SignedUrl` models (hubspot-api-client 12, decoded with
`client_side_validation=True`). The rules, each from HubSpot's Files guide and changelog ([docs]) or the
SDK's models ([sdk]); listed in tests/emulators/RULES-hubspot.md under "Managed record storage":

- an upload or a replacement must say `options.access`; without it the request is refused [docs];
- an upload names its folder by `folderPath` or `folderId`, not both and not neither [docs];
- create answers 201 with the File (`id`, `access`, `archived`, `createdAt`, `updatedAt` required) [docs][sdk];
- a PRIVATE file's content is readable only through a signed URL, which expires [docs];
- `GET /files/v3/files/stat/{path}` finds a file by its path; 404 when there is none [sdk];
- archive (DELETE) answers 204; an archived file is gone for the API [docs][sdk];
- uploading where a file of that name already is [spec]: with `overwrite: true` the old file is deleted and
  the new one takes its place under a new id; otherwise (false or unset) the NEW file's name is changed so
  the two do not collide, and the answer says which name it got. The new name's exact form is not
  documented: here `<name>-1`, `-2`... (a representative choice; crmconf relies only on the name differing);
- every endpoint but the signed download needs the `files` scope [docs] (tests/emulators/hubspot_scopes.py).

Not modelled, and refused rather than guessed: duplicate validation other than NONE (HubSpot does not
say what makes two files duplicates).
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from tests.emulators.hubspot import SIGNED_PREFIX, Call, Reply, route
from tests.emulators.hubspot_state import HubSpotError, Portal, invalid, not_found

ACCESS = ("PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "PRIVATE")
SIGNED_TTL_S = 3600


@dataclass
class Stored:
    id: str
    folder: str  # "/crmconf"
    name: str  # without the extension
    extension: str
    access: str
    content: bytes
    created: datetime
    updated: datetime
    archived: bool = False

    @property
    def path(self) -> str:
        return f"{self.folder.rstrip('/')}/{self.name}" + (f".{self.extension}" if self.extension else "")


@dataclass
class Files:
    by_id: dict[str, Stored] = field(default_factory=dict)
    signed: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (file id, expiry)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(88_000_001))

    def at(self, path: str) -> Stored | None:
        wanted = "/" + path.strip("/")
        return next((f for f in self.by_id.values() if not f.archived and f.path == wanted), None)

    def get(self, file_id: str) -> Stored:
        found = self.by_id.get(file_id)
        if found is None or found.archived:
            raise not_found(f"File {file_id} not found")
        return found


def files_of(portal: Portal) -> Files:
    """The portal's file manager (kept beside the CRM state, created on first use)."""
    store = getattr(portal, "file_manager", None)
    if store is None:
        store = Files()
        portal.file_manager = store  # type: ignore[attr-defined]
    return store


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def file_json(f: Stored, base_url: str) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.name,
        "extension": f.extension,
        "path": f.path,
        "parentFolderId": "0",
        "access": f.access,
        "size": len(f.content),
        "type": "OTHER",
        "encoding": "utf-8",
        "isUsableInContent": f.access != "PRIVATE",
        "url": f"{base_url}/hubfs{f.path}",
        "archived": f.archived,
        "createdAt": _iso(f.created),
        "updatedAt": _iso(f.updated),
    }


def _form(call: Call) -> dict[str, tuple[bytes, str | None]]:
    """multipart/form-data fields: name -> (bytes, the part's file name if it is a file)."""
    if not call.content_type.startswith("multipart/form-data"):
        raise HubSpotError(415, "VALIDATION_ERROR", "Content-Type must be multipart/form-data")
    head = f"Content-Type: {call.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + call.raw)
    out: dict[str, tuple[bytes, str | None]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            out[name] = (payload if isinstance(payload, bytes) else b"", part.get_filename())
    return out


def _options(form: dict[str, tuple[bytes, str | None]]) -> dict[str, Any]:
    raw = form.get("options", (b"", None))[0]
    try:
        options = json.loads(raw) if raw else {}
    except ValueError as err:
        raise invalid(f"options is not valid JSON: {err}") from err
    if not isinstance(options, dict) or options.get("access") not in ACCESS:
        raise invalid("options.access is required: one of " + ", ".join(ACCESS), field="options.access")
    strategy = options.get("duplicateValidationStrategy", "NONE")
    if strategy != "NONE":
        raise invalid(f"duplicateValidationStrategy {strategy} is not modelled by this emulator")
    return options


@route("POST", "/files/v3/files")
def _upload_file(p: Portal, c: Call) -> Reply:
    form = _form(c)
    options = _options(form)
    folder = form.get("folderPath", (b"", None))[0].decode()
    if bool(folder) == ("folderId" in form):
        raise invalid("Either folderPath or folderId is required, but not both", field="folderPath")
    content, filename = form.get("file", (b"", None))
    name = form.get("fileName", (b"", None))[0].decode() or filename or ""
    if "file" not in form or not name:
        raise invalid("a file is required", field="file")
    stem, _, extension = name.rpartition(".") if "." in name else (name, "", "")
    store = files_of(p)
    now = datetime.now(UTC)
    candidate = Stored(str(next(store.ids)), "/" + folder.strip("/"), stem, extension, options["access"],
                       content, now, now)
    taken = store.at(candidate.path)
    if taken is not None and options.get("overwrite") is True:
        taken.archived = True  # deleted; the upload takes its place under a new id
    elif taken is not None:
        candidate.name = next(f"{stem}-{n}" for n in itertools.count(1)
                              if store.at(Stored("", candidate.folder, f"{stem}-{n}", extension, "", b"", now,
                                                 now).path) is None)
    store.by_id[candidate.id] = candidate
    return Reply(201, file_json(candidate, c.link.split("/files/v3")[0]))


@route("GET", r"/files/v3/files/stat/(?P<path>.+)")
def _stat_file(p: Portal, c: Call) -> Reply:
    path = unquote(c.params["path"])  # the SDK sends the path as one encoded segment
    found = files_of(p).at(path)
    if found is None:
        raise not_found(f"No file or folder at {path}")
    return Reply(200, {"file": file_json(found, c.link.split("/files/v3")[0])})


@route("GET", "/files/v3/files/{fid}/signed-url")
def _signed_url(p: Portal, c: Call) -> Reply:
    f = files_of(p).get(c.params["fid"])
    token = secrets.token_urlsafe(16)
    expires = time.time() + c.number("expirationSeconds", SIGNED_TTL_S)
    files_of(p).signed[token] = (f.id, expires)
    base = c.link.split("/files/v3")[0]
    return Reply(200, {
        "url": f"{base}{SIGNED_PREFIX}{token}", "expiresAt": _iso(datetime.fromtimestamp(expires, UTC)),
        "name": f.name, "extension": f.extension, "type": "OTHER", "size": len(f.content),
    })


@route("GET", "/files/v3/files/{fid}")
def _get_file(p: Portal, c: Call) -> Reply:
    return Reply(200, file_json(files_of(p).get(c.params["fid"]), c.link.split("/files/v3")[0]))


@route("PUT", "/files/v3/files/{fid}")
def _replace_file(p: Portal, c: Call) -> Reply:
    f = files_of(p).get(c.params["fid"])
    form = _form(c)
    options = _options(form)
    if "file" not in form:
        raise invalid("a file is required", field="file")
    f.content, f.access, f.updated = form["file"][0], options["access"], datetime.now(UTC)
    return Reply(200, file_json(f, c.link.split("/files/v3")[0]))


@route("DELETE", "/files/v3/files/{fid}")
def _archive_file(p: Portal, c: Call) -> Reply:
    files_of(p).get(c.params["fid"]).archived = True
    return Reply(204)


@route("GET", SIGNED_PREFIX + "{token}")
def _download_signed(p: Portal, c: Call) -> Reply:
    """The CDN side of a signed URL: no bearer token, the signature is the authority."""
    store = files_of(p)
    found = store.signed.get(c.params["token"])
    if found is None or found[1] < time.time() or store.by_id[found[0]].archived:
        return Reply(403, raw=b"<Error><Code>AccessDenied</Code></Error>", raw_type="application/xml")
    return Reply(200, raw=store.by_id[found[0]].content, raw_type="application/json")
