"""Custom permissions as a real org keeps them (RULES-salesforce.md, "Custom permissions and pilots"), written
with the real simple-salesforce Metadata API client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce

from tests.emulators.salesforce import SalesforceEmulator, connect
from tests.emulators.salesforce_wsdl import check_exchanges


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[SalesforceEmulator, Salesforce]]:
    with SalesforceEmulator() as emulator:
        yield emulator, connect(emulator)


@pytest.fixture
def sf(shared: tuple[SalesforceEmulator, Salesforce]) -> Iterator[Salesforce]:
    emulator = shared[0]
    emulator.reset()
    emulator.record_soap = True  # every Metadata API exchange here is held to the bundled WSDL
    try:
        yield shared[1]
        assert check_exchanges(emulator) > 0  # the tests here all speak SOAP
    finally:
        emulator.reset()


def gate(md: Any, permission: str) -> Any:
    """A record-triggered flow whose first element lets only holders of `permission` through."""
    task = md.FlowRecordCreate(name="Task_1", label="Task", locationX=176, locationY=300, object="Task",
                               inputAssignments=[md.FlowInputFieldAssignment(field="Subject",
                                                                             value=md.FlowElementReferenceOrValue(stringValue="Hi"))])
    rule = md.FlowRule(name="member", label="Member", conditionLogic="and",
                       connector=md.FlowConnector(targetReference="Task_1"),
                       conditions=[md.FlowCondition(leftValueReference=f"$Permission.{permission}", operator="EqualTo",
                                                    rightValue=md.FlowElementReferenceOrValue(booleanValue=True))])
    decision = md.FlowDecision(name="gate", label="Gate", locationX=50, locationY=100, rules=[rule])
    start = md.FlowStart(locationX=50, locationY=0, object="Opportunity", triggerType="RecordAfterSave",
                         recordTriggerType="Create", connector=md.FlowConnector(targetReference="gate"))
    return md.Flow(fullName="Gated", label="Gated", processType="AutoLaunchedFlow", status="Draft", start=start,
                   decisions=[decision], recordCreates=[task])


def test_a_flow_reading_an_unknown_custom_permission_does_not_deploy(sf: Salesforce) -> None:
    md = sf.mdapi
    with pytest.raises(Exception, match=r"references \$Permission.Pilot_X, which doesn't exist"):
        md.Flow.upsert([gate(md, "Pilot_X")])
    md.CustomPermission.create([md.CustomPermission(fullName="Pilot_X", label="Pilot X", isLicensed=False)])
    md.Flow.upsert([gate(md, "Pilot_X")])


def test_a_permission_set_grants_only_custom_permissions_that_exist(sf: Salesforce) -> None:
    md = sf.mdapi
    granted = md.PermissionSetCustomPermissions(name="Pilot_Y", enabled=True)
    with pytest.raises(Exception, match="no CustomPermission named Pilot_Y found"):
        md.PermissionSet.create([md.PermissionSet(fullName="Pilot_Y", label="Pilot Y", customPermissions=[granted])])
    md.CustomPermission.create([md.CustomPermission(fullName="Pilot_Y", label="Pilot Y", isLicensed=False)])
    md.PermissionSet.create([md.PermissionSet(fullName="Pilot_Y", label="Pilot Y", customPermissions=[granted])])
    assert md.PermissionSet.read(["Pilot_Y"]).customPermissions[0].name == "Pilot_Y"
