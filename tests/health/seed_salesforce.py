"""A population written into the Salesforce emulator's tables, as a real org would hold it.

Deals are Opportunities of the pipeline's record type at the stage's picklist value, tickets Cases,
companies Accounts; activities Tasks (calls, e-mails, tasks, notes) and Events (meetings). Values that
a picklist no longer allows are written straight into the table (as a deactivated value or an old
import leaves them), and `CreatedDate`/`LastStageChangeDate` carry the population's moments. The
integration user's profile is given read access to every custom field (field-level security), as a
health job's user needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crmconf_salesforce.mapping import OBJECTS, field_api, title_name

from crmconf.spec.model import Spec
from tests.emulators.salesforce import SalesforceEmulator
from tests.emulators.salesforce_org import rest_datetime
from tests.emulators.salesforce_seed import ADMIN_PROFILE, grant_profile_fls
from tests.health.population import Population, Record

ACTIVITY_OBJECT = {"meeting": "Event"}  # every other activity type is a Task
PLACEHOLDER = {"Opportunity": {"Name": "Deal", "CloseDate": "2026-12-31"}, "Account": {"Name": "Account"},
               "Contact": {"LastName": "Person"}, "Lead": {"LastName": "Person", "Company": "Co"}, "Case": {}}


def grant_fls(emu: SalesforceEmulator) -> None:
    with emu.org.lock:
        grant_profile_fls(emu.org, ADMIN_PROFILE, list(emu.metadata("CustomField")))


def users(emu: SalesforceEmulator, pop: Population) -> dict[str, str]:
    """E-mail -> user id, adding the population's users the org does not have."""
    known = {str(u["Email"]).lower(): str(u["Id"]) for u in emu.records("User")}
    for email, active in pop.users.items():
        if email not in known:
            known[email] = emu.add_record("User", {"Username": email, "Email": email, "LastName": email.split("@")[0],
                                                   "IsActive": active})
    return known


def _record_types(emu: SalesforceEmulator) -> dict[str, str]:
    return {f"{r['SobjectType']}.{r['DeveloperName']}": str(r["Id"]) for r in emu.records("RecordType")}


def _value(spec: Spec, obj: str, name: str, value: Any) -> Any:
    kind = spec.field(obj, name).type if spec.field(obj, name) else None  # type: ignore[union-attr]
    if isinstance(value, list):
        return ";".join(value)
    if kind == "boolean":
        return bool(value)
    return value


def row(spec: Spec, r: Record, owner_ids: dict[str, str], record_types: dict[str, str]) -> tuple[str, dict[str, Any]]:
    sobject = OBJECTS[r.object]
    fields: dict[str, Any] = dict(PLACEHOLDER.get(sobject, {}))
    for name, value in r.values.items():
        api = field_api(r.object, name)
        if api is None or name in ("owner", "stage", "pipeline") or (value is None and api in fields):
            continue
        fields[api] = _value(spec, r.object, name, value)
    if r.owner is not None:
        fields["OwnerId"] = owner_ids[r.owner]
    if r.pipeline is not None:
        pipeline = spec.pipeline(r.pipeline)
        assert pipeline is not None
        stage = next(s for s in pipeline.stages if s.name == r.stage)
        fields["RecordTypeId"] = record_types[f"{sobject}.{title_name(r.pipeline)}"]
        fields["StageName" if sobject == "Opportunity" else "Status"] = stage.label
    fields["CreatedDate"] = rest_datetime(r.created_at)
    if sobject == "Opportunity" and r.stage_entered_at is not None:
        # Salesforce leaves LastStageChangeDate empty until the first stage change: a deal created in its
        # stage then counts from its creation (every third one here).
        if int(r.id.rsplit("-", 1)[1]) % 3 == 0:
            fields["CreatedDate"] = rest_datetime(r.stage_entered_at)
        else:
            fields["LastStageChangeDate"] = rest_datetime(r.stage_entered_at)
    return sobject, fields


def activity(r: Record, owner_ids: dict[str, str]) -> tuple[str, dict[str, Any]]:
    sobject = ACTIVITY_OBJECT.get(str(r.values["type"]), "Task")
    fields: dict[str, Any] = {"OwnerId": owner_ids[str(r.owner)], "Subject": str(r.values["type"]),
                              "CreatedDate": rest_datetime(r.created_at)}
    if sobject == "Task":
        fields.update(Status="Completed", Priority="Normal", Type=str(r.values["type"]).title())
    else:
        fields.update(DurationInMinutes=30, ActivityDateTime=rest_datetime(r.created_at))
    return sobject, fields


RECORD_OBJECTS = ("Opportunity", "Account", "Contact", "Case", "Lead", "Task", "Event")


def seed(emu: SalesforceEmulator, spec: Spec, pop: Population) -> None:
    """The org's records become exactly the population's (its users are kept, and the population's added)."""
    with emu.org.lock:
        for sobject in RECORD_OBJECTS:
            emu.org.table(sobject).clear()
    grant_fls(emu)
    owner_ids = users(emu, pop)
    record_types = _record_types(emu)
    for r in pop.records:
        if r.object == "activity":
            sobject, fields = activity(r, owner_ids)
        elif r.object == "contact" and r.pipeline is not None:
            sobject, fields = row(spec, _without_pipeline(r), owner_ids, record_types)
        else:
            sobject, fields = row(spec, r, owner_ids, record_types)
        emu.add_record(sobject, fields)


def _without_pipeline(r: Record) -> Record:
    """Salesforce keeps no stage on contacts: the lifecycle pipeline is a manual step there."""
    return Record(r.object, r.id, r.owner, r.created_at, r.values)


def since(now: datetime) -> str:
    return rest_datetime(now)
