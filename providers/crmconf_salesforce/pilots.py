"""Pilots on Salesforce: a compiled flow that acts only for the pilot's people, through permission set assignment.

A record-triggered flow runs as the user whose change triggered it, and a flow can read that user's custom
permissions as `$Permission.<Name>`. So a piloted automation is compiled with one more element, a decision
first in the flow that lets only users holding the custom permission `crmconf_pilot_<automation>` through
to the actions; the permission is granted by a permission set of the same name, assigned to exactly the
pilot's users (their Salesforce users, found by e-mail). Widening it is the one-line spec change that
removes `pilot:`: the flow is redeployed without the decision, then the assignments, the permission set and
the custom permission are removed.

The audience is the live attribute `pilot: {"users": [e-mails]}`: read back from the permission set's
assignments (one more query in the plan's Composite Batch, only for a spec with pilots). Changing who is
in the pilot changes assignments only; the flow is not redeployed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from crmconf.errors import ProviderError
from crmconf_salesforce.client import SalesforceClient
from crmconf_salesforce.mapping import FLOW_PREFIX

DECISION = "crmconf_pilot"
RULE = "crmconf_pilot_member"
PREFIX = "crmconf_pilot_"


def permission_of(flow_api: str) -> str:
    """The custom permission and permission set of a piloted flow (`crmconf_x` -> `crmconf_pilot_x`)."""
    return PREFIX + flow_api.removeprefix(FLOW_PREFIX)


def with_pilot(definition: Mapping[str, Any], permission: str) -> dict[str, Any]:
    """The flow body with the pilot's decision between the start and the first action."""
    body = copy.deepcopy(dict(definition))
    start = body["start"]
    entry = (start.get("scheduledPaths") or [start])[0]
    first = dict(entry["connector"])
    entry["connector"] = {"targetReference": DECISION}
    body["decisions"] = [*body.get("decisions", []), {
        "name": DECISION, "label": "In the pilot", "locationX": 50, "locationY": 100,
        "defaultConnectorLabel": "Everyone else",
        "rules": [{"name": RULE, "label": "Pilot member", "conditionLogic": "and", "connector": first,
                   "conditions": [{"leftValueReference": f"$Permission.{permission}", "operator": "EqualTo",
                                   "rightValue": {"booleanValue": True}}]}],
    }]
    return body


def is_piloted(definition: Mapping[str, Any] | None) -> bool:
    return any(isinstance(d, Mapping) and d.get("name") == DECISION for d in (definition or {}).get("decisions") or [])


def assignments_soql() -> str:
    return ("SELECT Id, AssigneeId, Assignee.Email, PermissionSet.Name FROM PermissionSetAssignment "
            f"WHERE PermissionSet.Name LIKE '{PREFIX}%'")


def audience(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Permission set name (lower case) -> the e-mails of its assignees, sorted, lower case."""
    found: dict[str, set[str]] = {}
    for r in rows:
        name = str((r.get("PermissionSet") or {}).get("Name") or "").lower()
        email = str((r.get("Assignee") or {}).get("Email") or "").lower()
        if name and email:
            found.setdefault(name, set()).add(email)
    return {k: sorted(v) for k, v in found.items()}


def grant(client: SalesforceClient, permission: str, label: str, users: Sequence[str], context: str) -> None:
    """The custom permission, its permission set, and assignments to exactly `users` (e-mails)."""
    written = client.md_write("upsertMetadata", "CustomPermission", [
        {"fullName": permission, "label": f"Pilot: {label}"[:80], "isLicensed": False,  # required by the WSDL
         "description": "Who the crmconf pilot reaches. Written by `crmconf apply`."}])
    written += client.md_write("upsertMetadata", "PermissionSet", [
        {"fullName": permission, "label": f"Pilot: {label}"[:80],
         "description": "Assigned by crmconf to the pilot's users. Written by `crmconf apply`.",
         "customPermissions": [{"name": permission, "enabled": True}]}])
    for result in written:
        if not result.ok:
            raise ProviderError(result.message, context=context)
    _assign(client, permission, users, context)


def revoke(client: SalesforceClient, permission: str, context: str) -> None:
    """Everyone again: no assignment, no permission set, no custom permission (once the flow no longer reads it)."""
    _assign(client, permission, [], context)
    for kind in ("PermissionSet", "CustomPermission"):
        for result in client.md_delete(kind, [permission]):
            if not result.ok and "INVALID_CROSS_REFERENCE_KEY" not in result.message:
                raise ProviderError(result.message, context=context)


def _assign(client: SalesforceClient, permission: str, users: Sequence[str], context: str) -> None:
    wanted = {u.lower() for u in users}
    rows = client.query(assignments_soql() + f" AND PermissionSet.Name = '{permission}'")
    held = {str((r.get("Assignee") or {}).get("Email") or "").lower(): str(r["Id"]) for r in rows}
    extra = [rid for email, rid in held.items() if email not in wanted]
    missing = sorted(wanted - set(held))
    if extra:
        _check(client.delete_records(extra), context)
    if not missing:
        return
    quoted = ", ".join("'" + e.replace("\\", "\\\\").replace("'", "\\'") + "'" for e in missing)
    users_found = {str(r.get("Email") or "").lower(): str(r["Id"]) for r in client.query(
        f"SELECT Id, Email FROM User WHERE IsActive = true AND Email IN ({quoted})")}
    unknown = [e for e in missing if e not in users_found]
    if unknown:
        raise ProviderError(f"the pilot names people who are not active Salesforce users: {', '.join(unknown)}",
                            context=context)
    ps = client.query(f"SELECT Id FROM PermissionSet WHERE Name = '{permission}'")
    if not ps:
        raise ProviderError(f"permission set {permission} is gone", context=context)
    _check(client.create_records([{"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": users_found[e],
                                   "PermissionSetId": ps[0]["Id"]} for e in missing]), context)


def _check(results: list[dict[str, Any]], context: str) -> None:
    failed = ["; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in r.get("errors") or [])
              for r in results if not r.get("success")]
    if failed:
        raise ProviderError("Salesforce refused a pilot assignment: " + " | ".join(failed), context=context)
