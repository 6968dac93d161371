"""What `crmconf health` relies on in HubSpot, as the emulator enforces it (RULES-hubspot.md, "Search for
health"), through the real hubspot-api-client with `client_side_validation=True`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as ContactInput
from hubspot.crm.deals import SimplePublicObjectInputForCreate as DealInput
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.properties import PropertyCreate

from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_scopes import ALL_SCOPES
from tests.emulators.test_hubspot_emulator import refusal


@pytest.fixture(scope="module")
def server() -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(search_per_second=100) as emulator:
        yield emulator


@pytest.fixture
def emu(server: HubSpotEmulator) -> HubSpotEmulator:
    server.reset()
    return server


def client_for(emu: HubSpotEmulator, token: str | None = None) -> HubSpot:
    return HubSpot(access_token=token or emu.token, host=emu.base_url, base_url=emu.base_url,
                   client_side_validation=True)


def search(client: HubSpot, obj: str, *groups: list[dict[str, Any]]) -> int:
    request = PublicObjectSearchRequest(filter_groups=[{"filters": g} for g in groups], limit=1)
    return int(client.crm.objects.search_api.do_search(obj, request).total)


def has(name: str) -> dict[str, Any]:
    return {"propertyName": name, "operator": "HAS_PROPERTY"}


def test_search_takes_5_groups_10_filters_in_a_group_25_in_all(emu: HubSpotEmulator) -> None:
    client = client_for(emu)
    assert search(client, "deals", [has("dealname")] * 10) >= 0
    assert search(client, "deals", *([[has("dealname")] * 5] * 5)) >= 0
    for groups in ([[has("dealname")] * 11], [[has("dealname")] * 6] * 5, [[has("dealname")]] * 6):
        assert refusal(lambda g=groups: search(client, "deals", *g)).status == 400


def test_activities_are_searchable_objects_under_the_contacts_scope(emu: HubSpotEmulator) -> None:
    client = client_for(emu)
    owner = next(iter(emu.portal.owners))
    at = datetime(2026, 11, 20, 10, tzinfo=UTC)
    for kind in ("calls", "emails", "meetings", "notes", "tasks"):
        emu.portal.create_record(kind, {"hs_timestamp": at.isoformat(), "hubspot_owner_id": owner}, validate=False)
        assert search(client, kind, [{"propertyName": "hubspot_owner_id", "operator": "EQ", "value": owner}]) == 1
    no_contacts = emu.add_token("pat-na1-no-contacts", ALL_SCOPES - {"crm.objects.contacts.read"})
    assert refusal(lambda: search(client_for(emu, no_contacts), "calls", [has("hs_timestamp")])).status == 403


def test_dates_compare_as_instants(emu: HubSpotEmulator) -> None:
    """Records carry ISO 8601 text; a filter gives milliseconds since the epoch."""
    client = client_for(emu)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    emu.portal.create_record("calls", {"hs_timestamp": at.isoformat()}, validate=False)
    before = str(int((at + timedelta(hours=1)).timestamp() * 1000))
    after = str(int((at - timedelta(hours=1)).timestamp() * 1000))
    assert search(client, "calls", [{"propertyName": "hs_timestamp", "operator": "LT", "value": before}]) == 1
    assert search(client, "calls", [{"propertyName": "hs_timestamp", "operator": "LT", "value": after}]) == 0


def test_a_deal_keeps_when_it_entered_each_stage(emu: HubSpotEmulator) -> None:
    client = client_for(emu)
    deal = client.crm.deals.basic_api.create(DealInput(properties={
        "dealname": "D", "pipeline": "default", "dealstage": "appointmentscheduled"}))
    entered = emu.portal.records["deals"][deal.id]["properties"]
    assert entered.get("hs_date_entered_appointmentscheduled")
    client.crm.deals.basic_api.update(deal.id, {"properties": {"dealname": "D2"}})
    assert "hs_date_entered_qualifiedtobuy" not in entered
    client.crm.deals.basic_api.update(deal.id, {"properties": {"dealstage": "qualifiedtobuy"}})
    assert entered.get("hs_date_entered_qualifiedtobuy")


def test_a_second_contact_with_an_email_is_a_conflict(emu: HubSpotEmulator) -> None:
    client = client_for(emu)
    client.crm.contacts.basic_api.create(ContactInput(properties={"email": "dup@acme.example"}))
    refused = refusal(lambda: client.crm.contacts.basic_api.create(ContactInput(properties={"email": "DUP@acme.example"})))
    assert refused.status == 409 and refused.body["category"] == "CONFLICT"
    assert refused.body["message"].startswith("Contact already exists. Existing ID: ")


def test_a_unique_property_takes_no_value_twice(emu: HubSpotEmulator) -> None:
    client = client_for(emu)
    client.crm.properties.core_api.create("companies", PropertyCreate(
        name="account_number", label="Account Number", type="string", field_type="text",
        group_name="companyinformation", has_unique_value=True))
    client.crm.companies.basic_api.create({"properties": {"name": "A", "account_number": "AC-1"}})
    refused = refusal(lambda: client.crm.companies.basic_api.create({"properties": {"name": "B", "account_number": "AC-1"}}))
    assert refused.status == 400 and "DUPLICATE_VALUE" in refused.body["message"]
    client.crm.companies.basic_api.create({"properties": {"name": "C", "account_number": "AC-2"}})


def test_total_is_exact_past_what_search_can_page(emu: HubSpotEmulator) -> None:
    for _ in range(10_050):
        emu.portal.create_record("deals", {"dealname": "x", "pipeline": "default", "dealstage": "closedwon"},
                                 validate=False)
    assert search(client_for(emu), "deals", [{"propertyName": "dealstage", "operator": "EQ", "value": "closedwon"}]) \
        >= 10_050
