"""Where crmconf keeps its managed record in each vendor, through the vendor's real client.

Each emulator rule listed under "Managed record storage" in RULES-salesforce.md / RULES-hubspot.md has
a test here; the stores (crmconf_salesforce.state, crmconf_hubspot.state) are tested against them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from crmconf_hubspot.client import Client, parse_settings
from crmconf_hubspot.state import HubSpotStateStore
from crmconf_salesforce.client import SalesforceClient, Settings
from crmconf_salesforce.state import SalesforceStateStore, resource_name
from hubspot import HubSpot
from hubspot.files.exceptions import ApiException as FilesError

from crmconf.engine import lock
from crmconf.errors import LockedError
from tests.emulators.hubspot import HubSpotEmulator
from tests.emulators.hubspot_files import files_of
from tests.emulators.hubspot_scopes import ALL_SCOPES
from tests.emulators.salesforce import SalesforceEmulator, connect

# --- Salesforce: a private StaticResource ------------------------------------------------------


@pytest.fixture(scope="module")
def sf_emu() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(seed=False) as emu:
        yield emu


@pytest.fixture
def sf(sf_emu: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch) -> SalesforceStateStore:
    sf_emu.reset()
    monkeypatch.setenv("SF_SESSION_ID", sf_emu.session_id)
    monkeypatch.setenv("SF_CA_BUNDLE", sf_emu.ca_path)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    settings = Settings.parse({"instance_url": sf_emu.instance_url, "session_env": "SF_SESSION_ID",
                               "ca_bundle_env": "SF_CA_BUNDLE"})
    return SalesforceStateStore(SalesforceClient(settings, "salesforce-prod"), "salesforce-prod")


def _sf_write(emu: SalesforceEmulator, operation: str, **component: Any) -> Any:
    sf = connect(emu)
    typed = sf.mdapi.StaticResource(**component)
    return getattr(sf.mdapi._service, operation)([typed], _soapheaders=[sf.mdapi._session_header])[0]


def test_salesforce_store_round_trip_and_atomic_create(sf: SalesforceStateStore, sf_emu: SalesforceEmulator) -> None:
    assert sf.read("managed") is None
    assert sf.create("managed", b'{"a": 1}') is True
    assert sf.create("managed", b'{"a": 2}') is False  # createMetadata refused the existing name
    assert sf.read("managed") == b'{"a": 1}'
    sf.write("managed", b'{"a": 3}')
    assert sf.read("managed") == b'{"a": 3}'
    stored = sf_emu.metadata("StaticResource")[resource_name("salesforce-prod", "managed")]
    assert stored["cacheControl"] == "Private" and stored["contentType"] == "application/json"
    sf.delete("managed")
    sf.delete("managed")  # deleting what is gone is not an error
    assert sf.read("managed") is None
    assert resource_name("salesforce-prod", "managed") == "crmconf_salesforce_prod_managed"


@pytest.mark.parametrize(
    ("component", "code"),
    [
        ({"fullName": "crmconf__bad", "content": b"e30=", "contentType": "application/json", "cacheControl": "Private"},
         "FIELD_INTEGRITY_EXCEPTION"),  # a double underscore: not an API name
        ({"fullName": "crmconf_x", "content": b"e30=", "contentType": "x" * 121, "cacheControl": "Private"},
         "STRING_TOO_LONG"),
        ({"fullName": "crmconf_x", "content": b"e30=", "contentType": "application/json", "cacheControl": "Private",
          "description": "d" * 256}, "STRING_TOO_LONG"),
    ],
    ids=["name", "content-type-length", "description-length"],
)
def test_salesforce_refuses_what_the_docs_refuse(sf_emu: SalesforceEmulator, component: dict[str, Any], code: str) -> None:
    sf_emu.reset()
    result = _sf_write(sf_emu, "upsertMetadata", **component)
    assert result.success is False and result.errors[0].statusCode == code


def test_salesforce_create_refuses_an_existing_name(sf_emu: SalesforceEmulator) -> None:
    sf_emu.reset()
    good = {"fullName": "crmconf_x", "content": b"e30=", "contentType": "application/json", "cacheControl": "Public"}
    assert _sf_write(sf_emu, "createMetadata", **good).success is True
    again = _sf_write(sf_emu, "createMetadata", **good)
    assert again.success is False and again.errors[0].statusCode == "DUPLICATE_DEVELOPER_NAME"
    assert _sf_write(sf_emu, "upsertMetadata", **good).success is True  # upsert replaces


# --- HubSpot: a private file -------------------------------------------------------------------


@pytest.fixture
def hs_emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubSpotEmulator]:
    with HubSpotEmulator(seed=False) as emu:
        monkeypatch.setenv("HUBSPOT_TOKEN", emu.token)
        yield emu


@pytest.fixture
def hs(hs_emu: HubSpotEmulator) -> HubSpotStateStore:
    settings = parse_settings("hubspot-prod", {"token_env": "HUBSPOT_TOKEN", "base_url": hs_emu.base_url,
                                               "strict_decoding": True})
    return HubSpotStateStore(Client(settings), "hubspot-prod", settle=0)  # the emulator is consistent at once


def test_hubspot_store_round_trip(hs: HubSpotStateStore, hs_emu: HubSpotEmulator) -> None:
    assert hs.read("managed") is None
    assert hs.create("managed", b'{"a": 1}') is True
    assert hs.create("managed", b'{"a": 2}') is False
    assert hs.read("managed") == b'{"a": 1}'
    hs.write("managed", b'{"a": 3}')
    assert hs.read("managed") == b'{"a": 3}'
    [stored] = [f for f in files_of(hs_emu.portal).by_id.values() if not f.archived]
    assert (stored.path, stored.access) == ("/crmconf/crmconf-hubspot-prod-managed.json", "PRIVATE")
    hs.delete("managed")
    hs.delete("managed")
    assert hs.read("managed") is None


def _sdk(emu: HubSpotEmulator) -> Any:
    return HubSpot(access_token=emu.token, host=emu.base_url, base_url=emu.base_url,
                   client_side_validation=True).files.files_api


def _staged(data: bytes) -> str:
    path = Path(tempfile.mkdtemp()) / "doc.json"
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"folder_path": "/crmconf", "options": json.dumps({"overwrite": False})}, 400),  # no access
        ({"options": json.dumps({"access": "PRIVATE"})}, 400),  # no folder
        ({"folder_path": "/crmconf", "folder_id": "1", "options": json.dumps({"access": "PRIVATE"})}, 400),  # both
        ({"folder_path": "/crmconf", "options": json.dumps({"access": "PRIVATE", "duplicateValidationStrategy":
                                                            "REJECT"})}, 400),  # not modelled: refused
    ],
    ids=["access-required", "folder-required", "not-both-folders", "duplicate-validation-not-modelled"],
)
def test_hubspot_upload_refusals(hs_emu: HubSpotEmulator, kwargs: dict[str, Any], status: int) -> None:
    with pytest.raises(FilesError) as refused:
        _sdk(hs_emu).upload(file=_staged(b"{}"), file_name="doc.json", **kwargs)
    assert refused.value.status == status


def test_hubspot_private_content_only_through_a_signed_url(hs_emu: HubSpotEmulator) -> None:
    api = _sdk(hs_emu)
    made = api.upload(file=_staged(b'{"x": 1}'), folder_path="/crmconf", file_name="doc.json",
                      options=json.dumps({"access": "PRIVATE"}))
    assert made.access == "PRIVATE" and made.archived is False  # 201, a File the strict SDK decoded
    assert api.get_metadata(path="crmconf/doc.json").file.id == made.id
    http = urllib3.PoolManager()
    assert http.request("GET", made.url).status != 200  # the plain URL of a private file gives nothing
    assert http.request("GET", api.get_signed_url(made.id).url).data == b'{"x": 1}'
    api.archive(made.id)
    with pytest.raises(FilesError) as gone:
        api.get_metadata(path="crmconf/doc.json")
    assert gone.value.status == 404


@pytest.mark.parametrize("overwrite", [None, False])
def test_hubspot_an_upload_that_would_collide_is_renamed(hs_emu: HubSpotEmulator, overwrite: bool | None) -> None:
    api = _sdk(hs_emu)
    options = json.dumps({"access": "PRIVATE", **({} if overwrite is None else {"overwrite": overwrite})})
    first = api.upload(file=_staged(b"1"), folder_path="/crmconf", file_name="doc.json", options=options)
    second = api.upload(file=_staged(b"2"), folder_path="/crmconf", file_name="doc.json", options=options)
    assert first.path == "/crmconf/doc.json" and second.path != first.path and second.id != first.id
    assert second.path.startswith("/crmconf/doc") and second.extension == "json"
    assert api.get_metadata(path="crmconf/doc.json").file.id == first.id  # the first keeps the name


def test_hubspot_an_overwriting_upload_takes_the_place_of_the_old_file(hs_emu: HubSpotEmulator) -> None:
    api = _sdk(hs_emu)
    first = api.upload(file=_staged(b"1"), folder_path="/crmconf", file_name="doc.json",
                       options=json.dumps({"access": "PRIVATE"}))
    second = api.upload(file=_staged(b"2"), folder_path="/crmconf", file_name="doc.json",
                        options=json.dumps({"access": "PRIVATE", "overwrite": True}))
    assert second.path == "/crmconf/doc.json" and second.id != first.id
    assert api.get_metadata(path="crmconf/doc.json").file.id == second.id
    with pytest.raises(FilesError) as gone:
        api.get_by_id(first.id)
    assert gone.value.status == 404


def test_hubspot_files_need_the_files_scope_but_a_signed_url_needs_none(hs_emu: HubSpotEmulator) -> None:
    made = _sdk(hs_emu).upload(file=_staged(b"{}"), folder_path="/crmconf", file_name="doc.json",
                               options=json.dumps({"access": "PRIVATE"}))
    signed = _sdk(hs_emu).get_signed_url(made.id).url
    hs_emu.tokens[hs_emu.token] = ALL_SCOPES - {"files"}
    api = _sdk(hs_emu)
    for call in (lambda: api.get_metadata(path="crmconf/doc.json"), lambda: api.get_signed_url(made.id),
                 lambda: api.get_by_id(made.id), lambda: api.archive(made.id),
                 lambda: api.upload(file=_staged(b"{}"), folder_path="/crmconf", file_name="x.json",
                                    options=json.dumps({"access": "PRIVATE"})),
                 lambda: api.replace(made.id, file=_staged(b"{}"), options=json.dumps({"access": "PRIVATE"}))):
        with pytest.raises(FilesError) as refused:
            call()
        body = json.loads(refused.value.body)
        assert refused.value.status == 403 and body["category"] == "MISSING_SCOPES"
        assert body["errors"][0]["context"]["requiredGranularScopes"] == ["files"]
    assert urllib3.PoolManager().request("GET", signed).data == b"{}"  # the signed URL is its own authority


def test_hubspot_store_create_is_one_upload_the_first_keeps(hs: HubSpotStateStore, hs_emu: HubSpotEmulator) -> None:
    assert hs.create("lock", b'{"id": "a"}') is True
    other = HubSpotStateStore(hs.client, "hubspot-prod", settle=0)
    assert other.create("lock", b'{"id": "b"}') is False  # renamed by HubSpot: it lost, and archived its file
    live = [f for f in files_of(hs_emu.portal).by_id.values() if not f.archived]
    assert [(f.path, f.content) for f in live] == [("/crmconf/crmconf-hubspot-prod-lock.json", b'{"id": "a"}')]
    assert other.read("lock") == b'{"id": "a"}'


def test_hubspot_store_create_backs_off_when_the_path_shows_another_upload(hs_emu: HubSpotEmulator) -> None:
    """HubSpot does not document its name check as atomic: two simultaneous uploads might both keep the name.
    Then the path read back after the settle shows one of them, and the other backs off and archives its file."""
    settings = parse_settings("hubspot-prod", {"token_env": "HUBSPOT_TOKEN", "base_url": hs_emu.base_url,
                                               "strict_decoding": True})
    store = files_of(hs_emu.portal)
    settled: list[float] = []

    def a_rival_got_the_name_too(seconds: float) -> None:  # during the settle: the race HubSpot may allow
        settled.append(seconds)
        mine = next(f for f in store.by_id.values() if not f.archived)
        rival = replace(mine, id="77000001", content=b'{"id": "rival"}')
        store.by_id = {rival.id: rival, **store.by_id}  # the path now answers with the rival's file

    hs = HubSpotStateStore(Client(settings), "hubspot-prod", settle=1.5, sleep=a_rival_got_the_name_too)
    assert hs.create("lock", b'{"id": "mine"}') is False and settled == [1.5]
    assert [f.content for f in store.by_id.values() if not f.archived] == [b'{"id": "rival"}']


def test_salesforce_refuses_content_that_is_not_base64(sf_emu: SalesforceEmulator) -> None:
    """zeep always encodes bytes, so the wire is reached with a raw request, as another client would send it."""
    sf_emu.reset()
    envelope = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://soap.sforce.com/2006/04/metadata">'
        f"<soapenv:Header><SessionHeader><sessionId>{sf_emu.session_id}</sessionId></SessionHeader></soapenv:Header>"
        '<soapenv:Body><upsertMetadata><metadata xsi:type="StaticResource"><fullName>crmconf_x</fullName>'
        "<content>not base64!</content><cacheControl>Private</cacheControl><contentType>application/json</contentType>"
        "</metadata></upsertMetadata></soapenv:Body></soapenv:Envelope>"
    )
    reply = requests.post(f"{sf_emu.instance_url}/services/Soap/m/59.0/", data=envelope.encode(), verify=sf_emu.ca_path,
                          headers={"Content-Type": "text/xml", "SOAPAction": '""'}, timeout=5)
    assert reply.status_code == 200 and b"<success>false</success>" in reply.content
    assert b"INVALID_FIELD" in reply.content and "crmconf_x" not in sf_emu.metadata("StaticResource")


def test_hubspot_store_a_file_archived_while_it_is_read_reads_as_gone(hs: HubSpotStateStore,
                                                                       hs_emu: HubSpotEmulator) -> None:
    """A lock released by its run between another run's look and its download: no lock, not an error."""
    assert hs.create("lock", b'{"id": "a"}') is True
    other = HubSpotStateStore(hs.client, "hubspot-prod", settle=0)
    found = other._find("lock")
    assert found is not None
    signed = _sdk(hs_emu).get_signed_url(found).url
    _sdk(hs_emu).archive(found)
    assert other._download(found) is None and other._fetch(signed) is None


# --- the apply lock over each store: what it costs (docs/provider-contract.md) ----------------------


def test_the_apply_lock_in_hubspot_takes_two_requests_and_releases_in_two(hs: HubSpotStateStore,
                                                                           hs_emu: HubSpotEmulator) -> None:
    hs_emu.clear_logs()
    held = lock.acquire(hs, "hubspot-prod", operation="apply", run="r1", unlock="crmconf unlock {id}")
    assert hs_emu.sequence() == [("POST", "/files/v3/files"),
                                 ("GET", "/files/v3/files/stat/crmconf%2Fcrmconf-hubspot-prod-lock.json")]
    assert held.release().note == ""
    assert hs_emu.sequence()[2:] == [("GET", "/files/v3/files/stat/crmconf%2Fcrmconf-hubspot-prod-lock.json"),
                                     ("DELETE", "/files/v3/files/88000001")]


def test_the_apply_lock_in_salesforce_takes_one_call_and_releases_in_two(sf: SalesforceStateStore,
                                                                         sf_emu: SalesforceEmulator) -> None:
    sf.read("lock")  # the client connects (and parses the WSDL) before the count starts
    sf_emu.requests.reset()
    held = lock.acquire(sf, "salesforce-prod", operation="apply", run="r1", unlock="crmconf unlock {id}")
    assert sf_emu.requests.total == 1 and resource_name("salesforce-prod", "lock") in sf_emu.metadata("StaticResource")
    with pytest.raises(LockedError, match=f"lock {held.info.id}, held by"):
        lock.acquire(sf, "salesforce-prod", operation="apply", run="r2", unlock="crmconf unlock {id}")
    sf_emu.requests.reset()
    assert held.release().note == "" and sf_emu.requests.total == 2
    assert resource_name("salesforce-prod", "lock") not in sf_emu.metadata("StaticResource")


def test_hubspot_store_a_first_write_that_meets_a_new_file_replaces_it(hs: HubSpotStateStore,
                                                                       hs_emu: HubSpotEmulator) -> None:
    """Two runs write the record for the first time at once: the one whose upload HubSpot renamed archives its
    file and replaces the one that kept the name; one file remains, holding the last write."""
    other = HubSpotStateStore(hs.client, "hubspot-prod", settle=0)
    assert hs.read("managed") is None and other.read("managed") is None  # both saw no record
    hs.write("managed", b'{"a": 1}')
    other.write("managed", b'{"a": 2}')
    live = [f for f in files_of(hs_emu.portal).by_id.values() if not f.archived]
    assert [(f.path, f.content) for f in live] == [("/crmconf/crmconf-hubspot-prod-managed.json", b'{"a": 2}')]
