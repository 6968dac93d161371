"""`crmconf audit` on Salesforce: how often each flow the spec names ran (the `run_counts` hook).

Salesforce keeps finished interviews in `FlowInterviewLog` (API 49.0+; `InterviewStatus` Completed, Error,
Paused, Running, VersionPaused). Two things limit what it can say, and both are said, never guessed:

- it is documented as the log of *screen flow* interviews: a record-triggered or autolaunched flow (what
  crmconf compiles) and a workflow rule leave no log there, so their runs are unknown, not zero;
- only a user with View All Data sees the interviews other users ran; without it Salesforce answers with
  the integration user's own and every flow would look unused. So the user's own permission is read first
  (`UserPermissionAccess`, one row: the session user's effective permissions).

Both reads are one Composite Batch (one round trip): the aggregate
`SELECT FlowDeveloperName, InterviewStatus, COUNT(Id) n FROM FlowInterviewLog WHERE FlowDeveloperName IN
(...) AND InterviewStartTimestamp in the window GROUP BY FlowDeveloperName, InterviewStatus` and the
permission row. Runs are every interview started in the window; failed ones are those in Error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from crmconf.audit.runs import RunCount, RunCounts, Window
from crmconf.engine.resource import LiveObject
from crmconf.errors import AuthError, LimitExceededError, ProviderError
from crmconf_salesforce.client import SalesforceClient

SCREEN_FLOW = "Flow"  # FlowDefinitionView.ProcessType of a screen flow
NAMES_PER_QUERY = 300  # keeps the IN list well under SOQL's statement length
ACCESS = "SELECT PermissionsViewAllData FROM UserPermissionAccess"


def run_counts(client: SalesforceClient, automations: Sequence[LiveObject], window: Window) -> RunCounts:
    logged, unknown = _logged_flows(automations)
    if not logged:
        return RunCounts(unknown=unknown)
    names = sorted(logged)
    gets = {"access": client.query_url(ACCESS)}
    for i in range(0, len(names), NAMES_PER_QUERY):
        gets[f"runs{i}"] = client.query_url(_soql(names[i:i + NAMES_PER_QUERY], window))
    try:
        results = client.batch_get(gets, optional=frozenset(gets))
    except (AuthError, LimitExceededError):
        raise  # the login or the org's API limit: the audit cannot go on anyway
    except ProviderError as err:
        return RunCounts(unknown=unknown, note=f"Salesforce did not answer the flow interview log read ({err})")
    access = _rows(results.get("access"))
    if not access or not access[0].get("PermissionsViewAllData"):
        why = ("could not be read" if not access else "is not granted")
        return RunCounts(unknown=unknown, note=(
            f"the integration user's View All Data {why}, so Salesforce shows it only the flow interviews "
            "it ran itself (FlowInterviewLog)"))
    if any(results.get(k) is None for k in gets if k != "access"):
        return RunCounts(unknown=unknown, note="Salesforce refused to query FlowInterviewLog (API 49.0 or later "
                                               "is needed, and the object must be visible to the user)")
    totals: dict[str, list[int]] = {n.lower(): [0, 0] for n in names}
    for key in gets:
        for row in _rows(results.get(key)) if key != "access" else []:
            slot = totals.get(str(row.get("FlowDeveloperName") or "").lower())
            if slot is None:
                continue
            n = int(row.get("n") or 0)
            slot[0] += n
            if row.get("InterviewStatus") == "Error":
                slot[1] += n
    counts = {address: RunCount(*totals[api.lower()]) for api, address in logged.items()}
    return RunCounts(counts, unknown)


def _logged_flows(automations: Sequence[LiveObject]) -> tuple[dict[str, str], dict[str, str]]:
    """API name -> address of the flows whose interviews are logged; address -> why the others are not."""
    logged: dict[str, str] = {}
    unknown: dict[str, str] = {}
    for obj in automations:
        api, kind, process = obj.meta.get("api_name"), obj.meta.get("kind"), obj.meta.get("process_type")
        if kind == "workflow_rule":
            unknown[obj.address] = "Salesforce keeps no run log of workflow rules"
        elif not api or obj.meta.get("read_only"):
            unknown[obj.address] = "a package's flow: its interviews are logged under the package's namespace"
        elif process != SCREEN_FLOW:
            unknown[obj.address] = (f"Salesforce logs the interviews of screen flows only (FlowInterviewLog); "
                                    f"this is a {process or 'non-screen'} flow")
        else:
            logged[str(api)] = obj.address
    return logged, unknown


def _soql(names: list[str], window: Window) -> str:
    quoted = ", ".join(_quote(n) for n in names)
    return ("SELECT FlowDeveloperName, InterviewStatus, COUNT(Id) n FROM FlowInterviewLog "
            f"WHERE FlowDeveloperName IN ({quoted}) AND InterviewStartTimestamp >= {_when(window.since)} "
            f"AND InterviewStartTimestamp < {_when(window.until)} GROUP BY FlowDeveloperName, InterviewStatus")


def _rows(result: Any) -> list[Mapping[str, Any]]:
    return list(result.get("records") or []) if isinstance(result, Mapping) else []


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
