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
        return found


def utcnow() -> datetime:
    return datetime.now(UTC)


def rest_datetime(dt: datetime) -> str:
    """REST/SOQL datetime format, e.g. 2024-03-01T10:00:00.000+0000."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def soap_datetime(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


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


class Org:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.lock = threading.RLock()
        self.ids = IdFactory()
        self.clock = clock
        self.md: dict[str, dict[str, dict[str, Any]]] = {}
        self.md_info: dict[tuple[str, str], MdInfo] = {}
        self.flows: dict[str, FlowDef] = {}
        self.data: dict[str, dict[str, dict[str, Any]]] = {}
        self.api_user_id = ""  # the user the session belongs to; set by the seed
        self.static_rows: dict[str, list[dict[str, Any]]] = {}  # Profile, profile-owned PermissionSets...

    # -- metadata ---------------------------------------------------------------------------
    def components(self, type_: str) -> dict[str, dict[str, Any]]:
        return self.md.setdefault(type_, {})

    def get(self, type_: str, full_name: str) -> dict[str, Any] | None:
        """Case-insensitive lookup, as Salesforce matches fullNames."""
        comps = self.components(type_)
        if full_name in comps:
            return comps[full_name]
        lower = full_name.lower()
        return next((c for n, c in comps.items() if n.lower() == lower), None)

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
            del self.components(type_)[comp["fullName"]]
            self.md_info.pop((type_, comp["fullName"]), None)

    # -- flows ------------------------------------------------------------------------------
    def save_flow_version(
        self, component: dict[str, Any], *, when: datetime | None = None, by: str | None = None
    ) -> bool:
        """Deploy a Flow: a new version (or an overwrite of a never-activated latest draft).

        status Active activates the new version (the previous active one becomes Obsolete); any
        other status leaves the active version alone, as deploying a draft does in a real org.
        """
        now, by = when or self.clock(), by or self.api_user_id
        name = component["fullName"]
        flow = next((f for n, f in self.flows.items() if n.lower() == name.lower()), None)
        created = flow is None
        if flow is None:
            flow = FlowDef(self.ids.new(PREFIX["FlowDefinition"]), name)
            self.flows[name] = flow
        component["fullName"] = flow.name
        wants_active = component.get("status") == "Active"
        component["status"] = "Draft" if wants_active else component.get("status") or "Draft"
        latest = flow.versions[-1] if flow.versions else None
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
        self._sync_flow_md(flow, now, by, created)
        return created

    def activate_flow(
        self, name: str, number: int, *, when: datetime | None = None, by: str | None = None
    ) -> None:
        """Tooling FlowDefinition activeVersionNumber semantics: N activates version N, 0 deactivates."""
        flow = self.flows[name]
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
        self.table(sobject)[record["Id"]] = record
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
        """State for an all-or-none rollback (composite allOrNone)."""
        return copy.deepcopy((self.md, self.md_info, self.flows, self.data))

    def restore(self, snap: tuple[Any, ...]) -> None:
        self.md, self.md_info, self.flows, self.data = snap
