"""Aggregate SOQL as a real org answers it (RULES-salesforce.md, "Aggregate queries"): what `crmconf health`
reads with, refused where Salesforce refuses it. Every test drives the real simple-salesforce client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.emulators.salesforce import SalesforceEmulator, connect


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[SalesforceEmulator, Salesforce]]:
    with SalesforceEmulator() as emulator:
        yield emulator, connect(emulator)


@pytest.fixture
def sf(shared: tuple[SalesforceEmulator, Salesforce]) -> Iterator[Salesforce]:
    shared[0].reset()
    yield shared[1]
    shared[0].reset()


@pytest.fixture
def emu(shared: tuple[SalesforceEmulator, Salesforce], sf: Salesforce) -> SalesforceEmulator:
    return shared[0]


def refused(sf: Salesforce, soql: str) -> tuple[str, str]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    body = caught.value.content[0]
    return body["errorCode"], body["message"]


@pytest.mark.parametrize("field", ["Amount", "Probability", "CreatedDate", "Description"])
def test_a1_only_groupable_fields_group(sf: Salesforce, field: str) -> None:
    code, message = refused(sf, f"SELECT {field}, COUNT(Id) FROM Opportunity GROUP BY {field}")
    assert code == "INVALID_FIELD" and f"field '{field}' can not be grouped in a query call" in message


def test_a1_groupable_fields_group(sf: Salesforce, emu: SalesforceEmulator) -> None:
    user = emu.add_record("User", {"Username": "a@x.example", "Email": "a@x.example", "LastName": "A", "IsActive": True})
    for stage, owner in (("Prospecting", user), ("Prospecting", user), ("Closed Won", None)):
        emu.add_record("Opportunity", {"Name": "a1", "StageName": stage, "CloseDate": "2026-12-01",
                                       **({"OwnerId": owner} if owner else {})})
    rows = sf.query("SELECT StageName, OwnerId, COUNT(Id) n FROM Opportunity WHERE Name = 'a1' "
                    "GROUP BY StageName, OwnerId ORDER BY StageName")["records"]
    assert [(r["StageName"], r["OwnerId"] == user, r["n"]) for r in rows] == [
        ("Closed Won", False, 1), ("Prospecting", True, 2)]
    assert all(r["attributes"]["type"] == "AggregateResult" for r in rows)


def test_a2_long_text_cannot_be_filtered(sf: Salesforce) -> None:
    code, message = refused(sf, "SELECT COUNT() FROM Case WHERE Description != null")
    assert code == "INVALID_FIELD" and "field 'Description' can not be filtered in a query call" in message
    assert sf.query("SELECT COUNT() FROM Case WHERE Subject != null")["totalSize"] >= 0


def test_a3_no_aggregate_of_a_checkbox(sf: Salesforce) -> None:
    code, message = refused(sf, "SELECT COUNT_DISTINCT(IsClosed) FROM Opportunity")
    assert code == "INVALID_FIELD" and "does not support aggregate operator COUNT_DISTINCT" in message


def test_a4_limit_with_an_aggregate_needs_group_by(sf: Salesforce) -> None:
    code, _ = refused(sf, "SELECT COUNT(Id) FROM Opportunity LIMIT 5")
    assert code == "MALFORMED_QUERY"
    assert sf.query("SELECT StageName, COUNT(Id) FROM Opportunity GROUP BY StageName LIMIT 5")["done"] is True


def test_a5_an_aggregate_result_is_one_batch_at_most(sf: Salesforce, emu: SalesforceEmulator) -> None:
    for i in range(2001):
        emu.add_record("Contact", {"LastName": "a5", "Email": f"p{i:04d}@a5.example"})
    code, message = refused(sf, "SELECT Email, COUNT(Id) FROM Contact WHERE LastName = 'a5' GROUP BY Email")
    assert code == "EXCEEDED_ID_LIMIT" and "Aggregate query does not support queryMore()" in message
    page = sf.query("SELECT Email, COUNT(Id) FROM Contact WHERE LastName = 'a5' GROUP BY Email ORDER BY Email "
                    "LIMIT 2000")
    assert page["done"] is True and len(page["records"]) == 2000
    rest = sf.query(f"SELECT Email, COUNT(Id) FROM Contact WHERE LastName = 'a5' AND Email > "
                    f"'{page['records'][-1]['Email']}' GROUP BY Email ORDER BY Email LIMIT 2000")
    assert [r["Email"] for r in rest["records"]] == ["p2000@a5.example"]
    assert sf.query("SELECT COUNT() FROM Contact WHERE LastName = 'a5'")["totalSize"] == 2001  # one number


def test_a6_count_distinct_ignores_case_and_nulls(sf: Salesforce, emu: SalesforceEmulator) -> None:
    for email in ("a@x.example", "A@X.example", "b@x.example", None):
        emu.add_record("Lead", {"LastName": "a6", "Company": "C", "Status": "Open - Not Contacted",
                                **({"Email": email} if email else {})})
    row = sf.query("SELECT COUNT(Id) n, COUNT_DISTINCT(Email) d FROM Lead WHERE LastName = 'a6' AND "
                   "Email != null")["records"][0]
    assert (row["n"], row["d"]) == (3, 2)


def test_a7_last_stage_change_date_follows_the_stage(sf: Salesforce, emu: SalesforceEmulator) -> None:
    deal = sf.Opportunity.create({"Name": "D", "StageName": "Prospecting", "CloseDate": "2026-12-01"})["id"]
    assert sf.Opportunity.get(deal)["LastStageChangeDate"] is None
    sf.Opportunity.update(deal, {"Amount": 10})
    assert sf.Opportunity.get(deal)["LastStageChangeDate"] is None  # not a stage change
    sf.Opportunity.update(deal, {"StageName": "Qualification"})
    assert sf.Opportunity.get(deal)["LastStageChangeDate"] is not None


def test_a8_activities_are_tasks_and_events(sf: Salesforce) -> None:
    task = sf.Task.create({"Subject": "Call", "Status": "Completed", "Priority": "Normal", "Type": "Call"})["id"]
    sf.Event.create({"Subject": "Demo", "DurationInMinutes": 30, "ActivityDateTime": "2026-11-20T10:00:00Z"})
    rows = sf.query("SELECT OwnerId, COUNT(Id) n FROM Task WHERE CreatedDate >= 2020-01-01T00:00:00Z "
                    "GROUP BY OwnerId")["records"]
    assert [r["n"] for r in rows] == [1] and task.startswith("00T")
    assert sf.query("SELECT COUNT() FROM Event")["totalSize"] == 1
