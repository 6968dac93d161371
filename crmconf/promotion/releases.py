"""The release log of a target: which spec (digest and commit) crmconf applied there, when, by whom, verified.

Kept beside the managed record, in the target's own state store (crmconf.engine.state): the local org
file, a Salesforce static resource, a HubSpot private file. So the production job reads what the sandbox
really ran, whoever applied it and from wherever, and `crmconf status` shows the same on every machine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from crmconf.errors import UsageError

KEY = "releases"
FORMAT = 1
KEPT = 100  # the newest entries; older ones are in git and the journal


class Store(Protocol):
    location: str

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class Release:
    spec_digest: str
    commit: str  # the git commit of the workspace ("" outside git; "+dirty" when it had local edits)
    applied_at: str  # ISO 8601, UTC
    applied_by: str
    verified: bool  # applied and read back as the spec says (an empty plan counts: it was read)
    changes: int  # how many changes the apply made (0: the target already matched)


def load(data: bytes | None, where: str) -> list[Release]:
    if data is None:
        return []
    try:
        raw: Any = json.loads(data.decode("utf-8"))
        if raw.get("format") != FORMAT:
            raise ValueError(f"format {raw.get('format')!r}, this crmconf reads {FORMAT}")
        return [
            Release(str(r["spec_digest"]), str(r["commit"]), str(r["applied_at"]), str(r["applied_by"]),
                    bool(r["verified"]), int(r["changes"]))
            for r in raw["releases"]
        ]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"the release log in {where} cannot be read ({exc})") from exc


def dump(releases: list[Release]) -> bytes:
    payload = {"format": FORMAT, "releases": [asdict(r) for r in releases[-KEPT:]]}
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")


def read(store: Store) -> list[Release]:
    return load(store.read(KEY), store.location)


def append(store: Store, release: Release) -> None:
    store.write(KEY, dump([*read(store), release]))
