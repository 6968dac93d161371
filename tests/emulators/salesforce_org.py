"""In-memory state of the emulated Salesforce org.

Metadata components are the source of truth; the SOQL objects that mirror them (PermissionSet,
ObjectPermissions, FieldPermissions, FlowDefinitionView, OpportunityStage, RecordType, ...) are
derived from it at query time (see salesforce_sobjects.py), so the two can never disagree.
Plain data objects (Opportunity, Case, User, ...) live in `data`.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ORG_ID = "00D000000000001EAA"
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

# Key prefixes of the objects the emulator hands out ids for.
PREFIX = {
    "Account": "001",
    "Contact": "003",
    "Opportunity": "006",
    "Lead": "00Q",
    "Case": "500",
    "Task": "00T",
    "Event": "00U",
    "User": "005",
    "Profile": "00e",
    "PermissionSet": "0PS",
    "PermissionSetAssignment": "0Pa",
    "ObjectPermissions": "110",
    "FieldPermissions": "01k",
    "FlowDefinition": "300",
    "Flow": "301",
    "ValidationRule": "03d",
    "RecordType": "012",
    "BusinessProcess": "019",
    "CustomField": "00N",
    "GlobalValueSet": "0Nt",
    "WorkflowRule": "01Q",
    "OpportunityStage": "01J",
    "CaseStatus": "01J",
    "LeadStatus": "01J",
    "QueryLocator": "01g",
}


def to_18(id15: str) -> str:
    """Salesforce's case-safe 18-character id: a 3-character checksum of the upper-case letters."""
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _SUFFIX[bits]
    return id15 + suffix


class IdFactory:
    def __init__(self) -> None:
        self._counters: dict[str, itertools.count[int]] = {}
        self._stable: dict[tuple[str, Any], str] = {}
        self._stable_keys: dict[str, tuple[str, Any]] = {}  # id -> (prefix, key)
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            n = next(self._counters.setdefault(prefix, itertools.count(1)))
        digits = ""
        while n:
            n, r = divmod(n, 62)
            digits = _B62[r] + digits
        # prefix + pod-like "5g" + zero-padded base62 counter = 15 characters
        return to_18(prefix + "5g" + digits.rjust(10, "0"))

    def stable(self, prefix: str, key: Any) -> str:
        """The same id every time for one derived row (e.g. one FieldPermissions row)."""
        with self._lock:
            found = self._stable.get((prefix, key))
        if found is None:
            found = self.new(prefix)
            with self._lock:
                found = self._stable.setdefault((prefix, key), found)
                self._stable_keys[found] = (prefix, key)
        return found

    def key_of(self, record_id: str) -> Any | None:
        """The key a stable() id was made for (None when it is not one)."""
        with self._lock:
            hit = self._stable_keys.get(record_id)
        return hit[1] if hit else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def rest_datetime(dt: datetime) -> str:
    """REST/SOQL datetime format, e.g. 2024-03-01T10:00:00.000+0000."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def soap_datetime(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Mutation:
    """One change the org performed (a metadata write or delete, a flow (de)activation, a record write)."""

    op: str  # create, update, delete, activate, record-create, record-update, record-delete
    type: str  # metadata type or sObject
    name: str  # fullName or record id
    detail: str = ""


@dataclass
class MdInfo:
    """Bookkeeping behind listMetadata's FileProperties and the SOQL audit fields."""

    id: str
    created: datetime
    created_by: str
    modified: datetime
    modified_by: str


@dataclass
class FlowVersion:
    id: str
    number: int
    metadata: dict[str, Any]  # the Flow component of this version, including "status"
    created: datetime
    modified: datetime
    modified_by: str

    @property
    def status(self) -> str:
        return str(self.metadata.get("status", "Draft"))


@dataclass
class FlowDef:
    id: str
    name: str
    versions: list[FlowVersion] = field(default_factory=list)
    active_number: int = 0  # 0: no active version

    @property
    def latest(self) -> FlowVersion:
        return self.versions[-1]

    @property
    def active(self) -> FlowVersion | None:
        return next((v for v in self.versions if v.number == self.active_number), None)

    def version(self, number: int) -> FlowVersion | None:
        return next((v for v in self.versions if v.number == number), None)


def canonical(value: Any) -> Any:
    """A component without empty values, as zeep echoes absent elements back as None or []."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items() if v not in (None, [], "")}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def _same_flow(current: dict[str, Any], incoming: dict[str, Any]) -> bool:
    wanted = incoming.get("status") or "Draft"
    return bool(canonical(current) == canonical(dict(incoming, status=wanted)))


class Org:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.lock = threading.RLock()
        self.ids = IdFactory()
        self.clock = clock
        self.md: dict[str, dict[str, dict[str, Any]]] = {}
        self._lower: dict[str, dict[str, str]] = {}  # type -> lower-case fullName -> fullName
        self.md_info: dict[tuple[str, str], MdInfo] = {}
        self.flows: dict[str, FlowDef] = {}
        self.data: dict[str, dict[str, dict[str, Any]]] = {}
        self.api_user_id = ""  # the user the session belongs to; set by the seed
        self.static_rows: dict[str, list[dict[str, Any]]] = {}  # Profile, profile-owned PermissionSets...
        # Field-level security a profile grants ("object.field", lower case): who may see which fields.
        self.profile_fields: dict[str, set[str]] = {}
        # Installed packages: namespace -> package name. Their components are read-only.
        self.namespaces: dict[str, str] = {}
        # Production orgs deploy flows inactive ("Deploy processes and flows as active" is off);
        # True is a sandbox, or a production org with that setting on.
        self.flow_deploy_activates = False
        # Whether the session user has View All Data (salesforce_interviews: whose flow interview logs it sees).
        self.view_all_data = True
        # Everything performed, in order: fault campaigns compare it with what the client was told.
        # Not part of snapshot()/restore(): a rollback does not unsay what happened.
        self.mutations: list[Mutation] = []

    def log(self, op: str, type_: str, name: str, detail: str = "") -> None:
        with self.lock:
            self.mutations.append(Mutation(op, type_, name, detail))

    # -- metadata ---------------------------------------------------------------------------
    def components(self, type_: str) -> dict[str, dict[str, Any]]:
        return self.md.setdefault(type_, {})

    def get(self, type_: str, full_name: str) -> dict[str, Any] | None:
        """Case-insensitive lookup, as Salesforce matches fullNames."""
        comps = self.components(type_)
        if full_name in comps:
            return comps[full_name]
        index = self._lower.get(type_)
        if index is None or len(index) != len(comps):  # tests may edit metadata() dicts directly
            index = self._lower[type_] = {n.lower(): n for n in comps}
        name = index.get(full_name.lower())
        return comps.get(name) if name is not None else None

    def info(self, type_: str, full_name: str) -> MdInfo:
        key = (type_, full_name)
        if key not in self.md_info:
            now = self.clock()
            self.md_info[key] = MdInfo(
                self.ids.new(PREFIX.get(type_, "000")), now, self.api_user_id, now, self.api_user_id
            )
        return self.md_info[key]

    def put(
        self, type_: str, component: dict[str, Any], *, when: datetime | None = None, by: str | None = None
    ) -> bool:
        """Store a component; returns True when it was created."""
        name = component["fullName"]
        existing = self.get(type_, name)
        if existing is not None:
            name = existing["fullName"]
            component["fullName"] = name
        created = existing is None
        self.components(type_)[name] = component
        if created and type_ in self._lower:
            self._lower[type_][name.lower()] = name
        self.log("create" if created else "update", type_, name)
        info = self.info(type_, name)
        info.modified = when or self.clock()
        info.modified_by = by or self.api_user_id
        if created and when is not None:
            info.created = when
            info.created_by = by or self.api_user_id
        return created

    def remove(self, type_: str, full_name: str) -> None:
        comp = self.get(type_, full_name)
        if comp is not None:
            self.log("delete", type_, comp["fullName"])
            del self.components(type_)[comp["fullName"]]
            self.md_info.pop((type_, comp["fullName"]), None)
            self._lower.get(type_, {}).pop(comp["fullName"].lower(), None)

    # -- flows ------------------------------------------------------------------------------
    def save_flow_version(
        self,
        component: dict[str, Any],
        *,
        when: datetime | None = None,
        by: str | None = None,
        activates: bool | None = None,
    ) -> bool:
        """Deploy a Flow (API 44.0+ semantics, where Flow.status activates and deactivates).

        - the latest version unchanged, status included: no-op;
        - the active latest version unchanged but status Draft/Obsolete: the flow is deactivated;
        - otherwise a new version (or an overwrite of a never-activated latest draft); status Active
          activates it (the previous active version becomes Obsolete), Obsolete deactivates the
          flow, Draft leaves the active version alone.

        Status Active activates only where deploys may (`activates`, else `flow_deploy_activates`):
        a production org saves the version inactive, to be activated through Tooling FlowDefinition.
        """
        now, by = when or self.clock(), by or self.api_user_id
        name = component["fullName"]
        flow = next((f for n, f in self.flows.items() if n.lower() == name.lower()), None)
        created = flow is None
        if flow is None:
            flow = FlowDef(self.ids.new(PREFIX["FlowDefinition"]), name)
            self.flows[name] = flow
        component["fullName"] = flow.name
        latest = flow.versions[-1] if flow.versions else None
        wanted = component.get("status") or "Draft"
        if wanted == "Active" and not (self.flow_deploy_activates if activates is None else activates):
            if latest is not None and _same_flow(latest.metadata, dict(component, status=latest.status)):
                return False  # the same body again: nothing to save, and nothing is activated
            wanted = "Draft"
            component["status"] = wanted
        if latest is not None and _same_flow(latest.metadata, component):
            return False
        self.log("create" if created else "update", "Flow", flow.name, str(wanted))
        if (
            latest is not None
            and latest.number == flow.active_number
            and wanted in ("Draft", "Obsolete")
            and _same_flow(latest.metadata, dict(component, status="Active"))
        ):
            self.activate_flow(flow.name, 0, when=now, by=by)
            return False
        wants_active = wanted == "Active"
        component["status"] = "Draft" if wanted in ("Active", "Obsolete") else wanted
        if (
            latest is not None
            and latest.status in ("Draft", "InvalidDraft")
            and latest.number != flow.active_number
        ):
            latest.metadata, latest.modified, latest.modified_by = component, now, by
            version = latest
        else:
            number = latest.number + 1 if latest else 1
            version = FlowVersion(self.ids.new(PREFIX["Flow"]), number, component, now, now, by)
            flow.versions.append(version)
        if wants_active:
            self.activate_flow(flow.name, version.number, when=now, by=by)
        elif wanted == "Obsolete" and flow.active_number:
            self.activate_flow(flow.name, 0, when=now, by=by)
        self._sync_flow_md(flow, now, by, created)
        return created

    def activate_flow(
        self, name: str, number: int, *, when: datetime | None = None, by: str | None = None
    ) -> None:
        """Tooling FlowDefinition activeVersionNumber semantics: N activates version N, 0 deactivates."""
        flow = self.flows[name]
        self.log("activate", "FlowDefinition", name, str(number))
        now, by = when or self.clock(), by or self.api_user_id
        previous = flow.active
        if previous is not None and previous.number != number:
            previous.metadata["status"] = "Obsolete"
            previous.modified, previous.modified_by = now, by
        if number:
            version = flow.version(number)
            if version is None:
                raise KeyError(number)
            version.metadata["status"] = "Active"
            version.modified, version.modified_by = now, by
        flow.active_number = number
        self._sync_flow_md(flow, now, by, False)

    def _sync_flow_md(self, flow: FlowDef, now: datetime, by: str, created: bool) -> None:
        # metadata("Flow") shows the latest version, as readMetadata does.
        self.components("Flow")[flow.name] = flow.latest.metadata
        info = self.info("Flow", flow.name)
        info.id = flow.latest.id  # listMetadata reports the latest version's 301 id
        info.modified, info.modified_by = now, by
        if created:
            info.created, info.created_by = now, by

    def delete_flow(self, name: str) -> None:
        flow = next((f for n, f in self.flows.items() if n.lower() == name.lower()), None)
        if flow is not None:
            self.log("delete", "Flow", flow.name)
            del self.flows[flow.name]
            self.remove("Flow", flow.name)

    # -- data records -----------------------------------------------------------------------
    def table(self, sobject: str) -> dict[str, dict[str, Any]]:
        return self.data.setdefault(sobject, {})

    def insert(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        now = rest_datetime(self.clock())
        record = {
            "Id": fields.get("Id") or self.ids.new(PREFIX.get(sobject, "a00")),
            "IsDeleted": False,
            "CreatedDate": now,
            "CreatedById": self.api_user_id,
            "LastModifiedDate": now,
            "LastModifiedById": self.api_user_id,
            "SystemModstamp": now,
        }
        record.update({k: v for k, v in fields.items() if k != "Id"})
        self.table(sobject)[str(record["Id"])] = record
        return record

    def find_record(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """Any live record by id (15- or 18-character)."""
        for sobject, table in self.data.items():
            rec = table.get(record_id) or (table.get(to_18(record_id)) if len(record_id) == 15 else None)
            if rec is not None:
                return sobject, rec
        return None

    # -- transactions -----------------------------------------------------------------------
    def snapshot(self) -> tuple[Any, ...]:
        """State for an all-or-none rollback (composite allOrNone), and for reset() and campaigns."""
        settings = (self.profile_fields, self.namespaces, self.flow_deploy_activates, self.view_all_data)
        return copy.deepcopy((self.md, self.md_info, self.flows, self.data, settings))

    def restore(self, snap: tuple[Any, ...]) -> None:
        self.md, self.md_info, self.flows, self.data, settings = snap
        self.profile_fields, self.namespaces, self.flow_deploy_activates, self.view_all_data = settings
        self._lower.clear()
