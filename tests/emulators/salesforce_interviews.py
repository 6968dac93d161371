"""Flow interview logs and the session user's own permissions, as SOQL sees them (RULES-salesforce.md,
"Flow interview logs").

- `FlowInterviewLog` ([docs] object reference, API 49.0+): one row per logged interview with the flow's API
  name, `InterviewStatus` (a restricted picklist: Completed, Error, Paused, Running, VersionPaused) and its
  start and end. Salesforce documents it as the logs of *screen flow* interviews. [docs] "only users with the
  View All Data permission can access the logs for flows that are run by other users": without it the query
  succeeds and counts only the session user's own interviews.
- `UserPermissionAccess` ([3p] read by org-inspection tools): one row, the session user's effective system
  permissions (`PermissionsViewAllData`...); a permission the org does not know is INVALID_FIELD.

The rows live in the org's data (`FlowInterviewLog`, reset with it); whether the session user has View All
Data is `org.view_all_data`.
"""

from __future__ import annotations

from typing import Any

from tests.emulators.salesforce_org import Org

Row = dict[str, Any]

INTERVIEW_LOG_FIELDS = (
    "Id Name FlowDeveloperName FlowInterviewGuid FlowLabel FlowNamespace FlowVersionNumber:int "
    "InterviewDurationInMinutes:double InterviewEndTimestamp:datetime InterviewStartTimestamp:datetime "
    "InterviewStatus:picklist OwnerId IsDeleted:boolean"
)
INTERVIEW_STATUSES = ("Completed", "Error", "Paused", "Running", "VersionPaused")
USER_PERMISSION_FIELDS = (
    "Id PermissionsViewAllData:boolean PermissionsModifyAllData:boolean PermissionsApiEnabled:boolean "
    "PermissionsViewSetup:boolean"
)


def interview_log_rows(org: Org) -> list[Row]:
    rows = list(org.table("FlowInterviewLog").values())
    if org.view_all_data:
        return rows
    return [r for r in rows if r.get("OwnerId") == org.api_user_id]  # only the session user's own


def user_permission_rows(org: Org) -> list[Row]:
    return [{"Id": org.api_user_id, "PermissionsViewAllData": org.view_all_data,
             "PermissionsModifyAllData": org.view_all_data, "PermissionsApiEnabled": True,
             "PermissionsViewSetup": True}]


def log_interviews(org: Org, flow: str, label: str, runs: list[tuple[str, str]], owner: str | None = None) -> None:
    """Log one interview of `flow` per (start, status), e.g. ("2026-10-02T09:00:00.000+0000", "Completed")."""
    for i, (start, status) in enumerate(runs):
        if status not in INTERVIEW_STATUSES:
            raise ValueError(f"{status!r} is not an InterviewStatus")
        org.insert("FlowInterviewLog", {
            "Id": org.ids.new("0Fz"), "Name": f"{flow}-{len(org.table('FlowInterviewLog')) + 1}",
            "FlowDeveloperName": flow, "FlowInterviewGuid": f"{flow}-{start}-{i}", "FlowLabel": label,
            "FlowNamespace": None, "FlowVersionNumber": 1, "InterviewDurationInMinutes": 2.0,
            "InterviewStartTimestamp": start, "InterviewEndTimestamp": None if status in ("Paused", "Running") else start,
            "InterviewStatus": status, "OwnerId": owner or org.api_user_id,
        })
