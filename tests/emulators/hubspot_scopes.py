"""The scopes each emulated endpoint needs (see RULES-hubspot.md, "Scopes").

HubSpot answers 403 MISSING_SCOPES when a private app's token lacks every scope that would grant the
call; the body lists the acceptable scopes under `errors[].context.requiredGranularScopes`. The
mapping below follows HubSpot's scope reference: CRM schema scopes for properties and their
validation rules, object scopes for records and pipelines (`tickets` for tickets), `automation` for
flows, settings scopes for users and teams, `files` for the file manager, and the `.sensitive.read.v2`
scopes for properties listed with `dataSensitivity=sensitive`.
"""

from __future__ import annotations

import uuid

from tests.emulators.hubspot_errors import JSON

OBJECTS = ("contacts", "companies", "deals", "tickets")
ENGAGEMENTS = ("calls", "emails", "meetings", "notes", "tasks")


def _schema(obj: str, access: str) -> tuple[str, ...]:
    return ("tickets",) if obj == "tickets" else (f"crm.schemas.{obj}.{access}",)


def _objects(obj: str, access: str) -> tuple[str, ...]:
    return ("tickets",) if obj == "tickets" else (f"crm.objects.{obj}.{access}",)


def _sensitive(obj: str, level: str) -> tuple[str, ...]:
    return (f"crm.objects.{obj}.{level}.read.v2",)


ALL_SCOPES: frozenset[str] = frozenset(
    {"automation", "tickets", "settings.users.read", "settings.users.teams.read", "crm.objects.owners.read", "files"}
    | {f"crm.schemas.{o}.{a}" for o in OBJECTS[:3] for a in ("read", "write")}
    | {f"crm.objects.{o}.{a}" for o in OBJECTS[:3] for a in ("read", "write")}
    | {f"crm.objects.{o}.{s}.{a}.v2" for o in OBJECTS[:3] for s in ("sensitive", "highly_sensitive")
       for a in ("read", "write")}
)

_READ_ONLY = {"GET"}
# The Files API (hubspot_files), where crmconf keeps its own documents: the `files` scope. A signed URL's
# download is not an API call (it carries its own authority), so it needs none.
_FILES = {"_upload_file", "_stat_file", "_signed_url", "_get_file", "_replace_file", "_archive_file"}
_READS_BY_POST = {"_search", "_batch_read_properties", "_batch_read_flows", "_workflow_id_mappings"}
# [docs] get-workflow-performance and get-workflow-id-mappings: the `automation` scope.
_AUTOMATION = {"_workflow_id_mappings", "_workflow_performance"}


def required(handler: str, method: str, obj: str | None, query: dict[str, list[str]]) -> tuple[str, ...]:
    """Any one of these scopes grants the call; () when the endpoint needs none."""
    reading = method in _READ_ONLY or handler in _READS_BY_POST
    access = "read" if reading else "write"
    if handler in ("_token_info",):
        return ()
    if handler in _FILES:
        return ("files",)
    if "flow" in handler or handler in _AUTOMATION:
        return ("automation",)
    if handler in ("_list_users", "_get_user", "_list_roles"):
        return ("settings.users.read",)
    if handler == "_list_teams":
        return ("settings.users.teams.read",)
    if "owner" in handler:
        return ("crm.objects.owners.read",)
    if obj is None:
        return ()
    if "validation" in handler or "propert" in handler or "group" in handler:
        sensitivity = (query.get("dataSensitivity") or ["non_sensitive"])[0]
        if handler == "_list_properties" and sensitivity in ("sensitive", "highly_sensitive"):
            return _sensitive(obj, sensitivity)
        return _schema(obj, access)
    # pipelines, stages and records; [docs] activities (calls, e-mails, meetings, notes, tasks) need the
    # contacts scopes
    return _objects("contacts" if obj in ENGAGEMENTS else obj, access)


def missing_scopes_body(scopes: tuple[str, ...]) -> JSON:
    """HubSpot's 403 for a token without the scope ([3p] verified against live portals)."""
    return {"status": "error",
            "message": "This app hasn't been granted all required scopes to make this call. Read more about "
                       "required scopes here: https://developers.hubspot.com/scopes.",
            "correlationId": str(uuid.uuid4()), "category": "MISSING_SCOPES",
            "errors": [{"message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": list(scopes)}}],
            "links": {"scopes": "https://developers.hubspot.com/scopes"}}
