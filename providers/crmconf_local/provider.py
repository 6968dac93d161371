"""`provider: local`: the embedded, file-backed CRM org that makes crmconf work with no account."""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from crmconf import address as addr
from crmconf.audit.compute import CRMCONF_WRITER
from crmconf.engine.changes import Action, Change
from crmconf.engine.diff import option_values
from crmconf.engine.native import compile_spec
from crmconf.engine.resource import Compiled, LiveObject, Snapshot, canonical
from crmconf.errors import ProviderError
from crmconf.health.query import Measured, Query
from crmconf.providers import CONCERNS, ProviderContext, Support
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources
from crmconf_local import health, manual
from crmconf_local import org as store
from crmconf_local.export import export as export_sections
from crmconf_local.manual import CONCERNS as MANUAL_CONCERNS
from crmconf_local.state import LocalStateStore

DEFAULT_PATH = ".crmconf/local-org.json"
FAULTS_ENV = "CRMCONF_LOCAL_FAULTS"  # comma-separated addresses whose apply fails: for tests and drills


class LocalProvider:
    name: ClassVar[str] = "local"
    capabilities: ClassVar[Mapping[str, Support]] = dict.fromkeys(CONCERNS, Support.MANAGED)
    settings_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1},
            "manual": {
                "type": "array",
                "items": {"enum": list(MANUAL_CONCERNS)},
                "uniqueItems": True,
                "description": "concerns left to people, to rehearse a vendor's limits offline",
            },
            # smaller batches: more, shorter writes (interruption drills use it to stop between many)
            "batch_size": {"type": "integer", "minimum": 1, "maximum": 10_000},
        },
        "additionalProperties": False,
    }

    batch_size: int = 500  # one atomic write per batch instead of one per change
    pilots: ClassVar[bool] = True  # the org stores each automation's audience (crmconf.promotion.pilots)

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        self.path: Path = ctx.inside_workspace(str(ctx.settings.get("path", DEFAULT_PATH)))
        self._org: dict[str, Any] | None = None
        self._session = False
        self._faults = {a for a in os.environ.get(FAULTS_ENV, "").split(",") if a}
        self.batch_size = int(ctx.settings.get("batch_size", self.batch_size))

    # --- the protocol ---------------------------------------------------------------------------

    def compile(self, spec: Spec, sources: Sources) -> Compiled:
        resources = compile_spec(spec, sources, provider=self.name)
        kept, steps = manual.split(resources, frozenset(self.ctx.settings.get("manual", ())))
        return Compiled(tuple(kept), tuple(steps))

    def fetch(self, kinds: frozenset[str]) -> Snapshot:
        org = store.load(self.path)
        self._org = org
        held = _Usage(org)
        objects = {
            address: self._live(address, obj, held)
            for address, obj in org["objects"].items()
            if not kinds or obj["kind"] in kinds
        }
        users = {u["email"].lower(): bool(u.get("active", True)) for u in org["users"]}
        return Snapshot(objects, frozenset(kinds), facts={"users": users} if org["users"] else {}, requests=1)

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """The org's lock for the whole apply; each batch appends to the org's log, folded in at the end."""
        with store.locked(self.path):
            self._org = store.load(self.path)
            self._session = True
            try:
                yield
            finally:
                self._session = False
                self._compact()

    def _compact(self) -> None:
        """Fold this apply's log into the org file. Should that fail (a full disk), the log stays and is
        read with the file: nothing is lost, the next write folds it in."""
        org = self._org if isinstance(self._org, store.Org) else None
        with contextlib.suppress(OSError, ProviderError):
            store.compact(self.path, org if org is not None else store.load(self.path))

    @property
    def holds_lock(self) -> bool:
        return self._session

    def state_store(self) -> LocalStateStore:
        """crmconf's own documents (the managed record) live in the org file itself."""
        return LocalStateStore(self, self.ctx.root)

    def apply(self, change: Change) -> None:
        [err] = self.apply_batch([change])
        if err is not None:
            raise err

    def batchable(self, change: Change) -> bool:
        return True

    def apply_batch(self, changes: list[Change]) -> list[ProviderError | None]:
        """Apply in memory, then commit once (one line appended to the org's log, org.py); if the commit
        fails, every change of the batch failed."""
        org = self._org if isinstance(self._org, store.Org) else store.load(self.path)
        results = [self._apply_one(org, change) for change in changes]
        try:
            store.commit(self.path, org)
        except (OSError, ProviderError) as exc:
            self._org = None  # memory no longer matches the file: reload on next use
            why = exc.strerror if isinstance(exc, OSError) else str(exc)
            return [ProviderError(f"cannot write {self.path}: {why}", context="local")] * len(changes)
        self._org = org
        return results

    def _apply_one(self, org: store.Org, change: Change) -> ProviderError | None:
        if change.address in self._faults:
            return ProviderError("injected fault", context=f"local: {change.address}")
        try:
            {
                Action.CREATE: self._create,
                Action.UPDATE: self._update,
                Action.REPLACE: self._replace,
                Action.DELETE: self._delete,
            }[change.action](org, change)
        except ProviderError as exc:
            return exc
        return None

    def close(self) -> None:
        self._org = None

    def export(self, snapshot: Snapshot) -> dict[str, Any]:
        return export_sections(snapshot)

    def measure(self, queries: Sequence[Query]) -> Measured:
        """`crmconf health`: the queries counted over the org's records (crmconf_local/health.py)."""
        return health.measure(store.load(self.path), queries)

    # --- reading --------------------------------------------------------------------------------

    def _live(self, address: str, obj: Mapping[str, Any], held: _Usage) -> LiveObject:
        return LiveObject(
            address,
            obj["kind"],
            obj["attrs"],
            version=str(obj.get("version", 0)),
            parent=obj.get("parent"),
            meta={"updated_at": obj.get("updated_at"), "updated_by": _written_by(obj)},
            usage=held.of(address, obj),
            label=str(obj.get("label") or obj["attrs"].get("label") or ""),
        )

    # --- writing --------------------------------------------------------------------------------

    def _stamp(self, obj: dict[str, Any]) -> dict[str, Any]:
        if obj.get("kind") == "automation":  # crmconf's mark, for the audit: what it wrote (see _written_by)
            obj["written"] = _digest(obj["attrs"])
        obj["version"] = int(obj.get("version", 0)) + 1
        obj["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        obj["updated_by"] = _user()
        return obj

    def _create(self, org: store.Org, change: Change) -> None:
        if change.address in org["objects"]:
            raise ProviderError("already exists", context=f"local: create {change.address}")
        org.put(change.address, self._stamp(
            {
                "kind": change.kind,
                "attrs": dict(change.after or {}),
                "parent": change.parent,
                "label": change.label,
            }
        ))

    def _update(self, org: store.Org, change: Change) -> None:
        obj = org["objects"].get(change.address)
        if obj is None:
            raise ProviderError("no longer exists", context=f"local: update {change.address}")
        obj["attrs"].update({a.name: a.after for a in change.attrs})
        org.put(change.address, self._stamp(obj))

    def _replace(self, org: store.Org, change: Change) -> None:
        org["objects"].pop(change.address, None)
        self._create(org, change)

    def _delete(self, org: store.Org, change: Change) -> None:
        obj = org["objects"].get(change.address)
        if obj is None:
            return  # already gone: deleting is idempotent
        if obj["kind"] == "stage":
            _move_records(org, change)
        org.drop(change.address)


def _digest(attrs: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(dict(attrs)).encode()).hexdigest()[:12]  # a self-check, not a secret


def _written_by(obj: Mapping[str, Any]) -> Any:
    """`crmconf` while the object is exactly what crmconf last wrote (the audit does not count its own applies
    as changes since review); whoever edited it otherwise. docs/provider-contract.md, automations."""
    if obj.get("written") and obj["written"] == _digest(obj["attrs"]):
        return CRMCONF_WRITER
    return obj.get("updated_by")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _stage_of(address: str) -> tuple[str, str] | None:
    """(pipeline, stage) by position: a pipeline named `stage` is no different from any other."""
    return addr.stage_of(address)


class _Usage:
    """Records held per stage and per field value, counted once per read (a stage's count is a look-up,
    not a pass over every record: a plan of many stages stays linear in the org)."""

    def __init__(self, org: Mapping[str, Any]) -> None:
        self.records: dict[str, list[dict[str, Any]]] = org["records"]
        self.runs: Mapping[str, Mapping[str, Any]] = org.get("automation_runs", {})
        self.stages: dict[tuple[Any, Any], int] = {}
        for recs in self.records.values():
            for r in recs:
                key = (r.get("pipeline"), r.get("stage"))
                self.stages[key] = self.stages.get(key, 0) + 1

    def of(self, address: str, obj: Mapping[str, Any]) -> dict[str, int]:
        if obj["kind"] == "stage" and (where := _stage_of(address)):
            return {"records": self.stages.get(where, 0)}
        if obj["kind"] == "automation":  # runs counted by the org (a test or demo fixture), like a vendor's log
            counted = self.runs.get(address)
            return {k: int(counted[k]) for k in ("runs", "failed_runs") if k in counted} if counted else {}
        if obj["kind"] == "field":
            obj_name, field = addr.field_of(address) or ("", "")
            held = [r[field] for r in self.records.get(obj_name, []) if r.get(field) not in (None, "", [])]
            counts: dict[str, int] = {"records": len(held)}
            options = set(option_values(obj["attrs"].get("options") or []))
            for value in held:
                for v in value if isinstance(value, list) else [value]:
                    if str(v) in options:
                        counts[f"option:{v}"] = counts.get(f"option:{v}", 0) + 1
            return counts
        return {}


def _move_records(org: store.Org, change: Change) -> None:
    where = _stage_of(change.address)
    held = sum(
        1 for recs in org["records"].values() for r in recs if (r.get("pipeline"), r.get("stage")) == where
    )
    if not held or where is None:
        return
    target = _stage_of(change.migrate_to or "")
    if target is None or addr.stage(*target) not in org["objects"]:
        raise ProviderError(
            f"{held} record(s) still sit in this stage and no migrate_to stage exists",
            context=f"local: delete {change.address}",
        )
    org.move(where, target)
