"""Flow interview logs as a real org answers for them (RULES-salesforce.md, "Flow interview logs"), through
the real simple-salesforce client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from tests.emulators.salesforce import SalesforceEmulator, connect
from tests.emulators.salesforce_interviews import log_interviews
from tests.emulators.test_salesforce_aggregates import refused

COUNT = ("SELECT FlowDeveloperName, InterviewStatus, COUNT(Id) n FROM FlowInterviewLog "
         "GROUP BY FlowDeveloperName, InterviewStatus")


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[SalesforceEmulator, Salesforce]]:
    with SalesforceEmulator() as emulator:
        yield emulator, connect(emulator)


@pytest.fixture
def emu(shared: tuple[SalesforceEmulator, Salesforce]) -> Iterator[SalesforceEmulator]:
    shared[0].reset()
    yield shared[0]
    shared[0].reset()


@pytest.fixture
def sf(shared: tuple[SalesforceEmulator, Salesforce], emu: SalesforceEmulator) -> Salesforce:
    return shared[1]


def test_interviews_group_by_flow_and_status(sf: Salesforce) -> None:
    rows = {(r["FlowDeveloperName"], r["InterviewStatus"]): r["n"] for r in sf.query(COUNT)["records"]}
    assert rows == {("New_Customer_Onboarding", "Completed"): 20, ("New_Customer_Onboarding", "Error"): 1}


@pytest.mark.parametrize(("soql", "code"), [
    ("SELECT Status, COUNT(Id) FROM FlowInterviewLog GROUP BY Status", "INVALID_FIELD"),  # InterviewStatus
    ("SELECT InterviewStartTimestamp, COUNT(Id) FROM FlowInterviewLog GROUP BY InterviewStartTimestamp",
     "INVALID_FIELD"),  # a datetime does not group
    ("SELECT PermissionsDoEverything FROM UserPermissionAccess", "INVALID_FIELD"),
])
def test_what_the_log_refuses(sf: Salesforce, soql: str, code: str) -> None:
    assert refused(sf, soql)[0] == code


def test_without_view_all_data_a_user_sees_only_its_own_interviews(sf: Salesforce, emu: SalesforceEmulator) -> None:
    log_interviews(emu.org, "New_Customer_Onboarding", "New Customer Onboarding",
                   [("2026-10-01T09:00:00.000+0000", "Completed")], owner=emu.org.api_user_id)
    assert sf.query("SELECT PermissionsViewAllData FROM UserPermissionAccess")["records"][0]["PermissionsViewAllData"]
    emu.org.view_all_data = False
    assert sf.query("SELECT COUNT() FROM FlowInterviewLog")["totalSize"] == 1  # not an error: fewer rows
    assert not sf.query("SELECT PermissionsViewAllData FROM UserPermissionAccess")["records"][0][
        "PermissionsViewAllData"]
