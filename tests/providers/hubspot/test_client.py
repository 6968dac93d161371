"""The provider's one retry policy, against the emulator's faults (the real client, no double retry)."""

from __future__ import annotations

import re

import pytest
from crmconf_hubspot.client import Client, HttpError, Refused, RetryPolicy, Settings, Uncertain
from hubspot.crm.properties import PropertyCreate

from crmconf.errors import AuthError, LimitExceededError, ProviderError
from tests.emulators.hubspot import HubSpotEmulator

PIPELINES = "/crm/v3/pipelines/deals"
PROPERTIES = "/crm/v3/properties/deals"


def client(emu: HubSpotEmulator, waits: list[float] | None = None, **policy: float) -> Client:
    retry = RetryPolicy(**{"max_attempts": 4, "base_delay": 0.001, "max_delay": 5.0, **policy})  # type: ignore[arg-type]
    settings = Settings(token_env="HUBSPOT_TOKEN", base_url=emu.base_url, timeout=0.4, strict_decoding=True,
                        retry=retry)
    return Client(settings, sleep=(waits.append if waits is not None else lambda s: None))


def new_property(name: str) -> PropertyCreate:
    return PropertyCreate(name=name, label=name, type="string", field_type="text", group_name="dealinformation")


def create(c: Client, name: str) -> object:
    return c.call("create", c.api("properties").create, "deals", new_property(name), idempotent=False)


def names(emu: HubSpotEmulator) -> list[str]:
    return [p["name"] for p in emu.properties("deals")]


def test_the_client_is_strict_and_does_not_retry_by_itself(emu: HubSpotEmulator) -> None:
    c = client(emu)
    api = c.api("pipelines")
    assert api.api_client.configuration.client_side_validation is True
    assert api.api_client.configuration.retries.total is False  # urllib3 never retries: the provider does


def test_a_429_is_retried_after_retry_after_once_per_answer(emu: HubSpotEmulator) -> None:
    waits: list[float] = []
    emu.faults.inject("rate_limit", times=2, methods=("GET",), path=PIPELINES)
    c = client(emu, waits)
    assert c.call("list", c.api("pipelines").get_all, "deals", idempotent=True).results
    assert emu.requests.matching("GET", PIPELINES) == 3 == c.requests  # no hidden retries inside urllib3
    assert len(waits) == 2 and all(w >= 1.0 for w in waits)  # the emulator says Retry-After: 1


def test_max_delay_caps_every_wait(emu: HubSpotEmulator) -> None:
    waits: list[float] = []
    emu.faults.inject("rate_limit", methods=("GET",))
    c = client(emu, waits, max_delay=0.01)
    c.call("list", c.api("pipelines").get_all, "deals", idempotent=True)
    assert waits == [0.01]


def test_a_429_on_a_create_is_sent_again_because_nothing_happened(emu: HubSpotEmulator) -> None:
    emu.faults.inject("rate_limit", methods=("POST",), path=PROPERTIES)
    create(client(emu), "throttled_once")
    assert emu.requests.matching("POST", PROPERTIES) == 2 and names(emu).count("throttled_once") == 1


def test_a_rate_limit_storm_stops_the_run_cleanly(emu: HubSpotEmulator) -> None:
    emu.faults.inject("rate_limit", times=50)
    c = client(emu, max_delay=0.0)
    with pytest.raises(LimitExceededError, match="rate limited after 4 attempts") as caught:
        c.call("list", c.api("pipelines").get_all, "deals", idempotent=True)
    assert c.requests == 4 and "correlationId" in str(caught.value)


def test_the_daily_limit_is_not_waited_out() -> None:
    c = Client(Settings(token_env="HUBSPOT_TOKEN"), sleep=lambda s: None)
    body = b'{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT",' \
           b'"correlationId":"c-1","policyName":"DAILY"}'

    def send() -> None:
        raise HttpError(429, body, {"X-HubSpot-RateLimit-Daily-Remaining": "0"})

    with pytest.raises(LimitExceededError, match="daily API limit"):
        c._run("GET /x", send, idempotent=True)
    assert c.requests == 1


def test_5xx_on_a_read_is_retried_with_backoff(emu: HubSpotEmulator) -> None:
    waits: list[float] = []
    emu.faults.inject("server_error", times=3, methods=("GET",))
    c = client(emu, waits)
    assert c.call("list", c.api("pipelines").get_all, "deals", idempotent=True).results
    assert c.requests == 4 and waits == sorted(waits) and waits[0] < waits[-1]  # exponential


def test_5xx_on_a_create_is_never_resent_blindly(emu: HubSpotEmulator) -> None:
    emu.faults.inject("server_error", methods=("POST",), path=PROPERTIES)
    with pytest.raises(Uncertain, match="502"):
        create(client(emu), "maybe")
    assert emu.requests.matching("POST", PROPERTIES) == 1


@pytest.mark.parametrize("landed", [True, False], ids=["applied-reply-lost", "not-applied"])
@pytest.mark.parametrize("kind", ["timeout", "drop"])
def test_a_lost_create_is_read_back_before_it_is_sent_again(emu: HubSpotEmulator, kind: str, landed: bool) -> None:
    emu.faults.inject(kind, methods=("POST",), path=PROPERTIES, applied_effect=landed)
    c = client(emu)

    def read_back() -> object | None:
        try:
            return c.call("read", c.api("properties").get_by_name, "deals", "lost_reply", idempotent=True)
        except Refused as exc:
            assert exc.status == 404
            return None

    created = c.write("create lost_reply", lambda: create(c, "lost_reply"), read_back)
    assert getattr(created, "name", None) == "lost_reply" and names(emu).count("lost_reply") == 1
    assert emu.requests.matching("POST", PROPERTIES) == (1 if landed else 2)


def test_timeouts_on_reads_are_retried(emu: HubSpotEmulator) -> None:
    emu.faults.inject("timeout", methods=("GET",), path="/automation/v4/flows")
    c = client(emu)
    assert len(c.flows("GET", qs={"limit": 100}, idempotent=True)["results"]) == 6
    assert c.requests == 2


def test_errors_name_hubspots_message_and_correlation_id(emu: HubSpotEmulator) -> None:
    c = client(emu)
    body = PropertyCreate(name="x_bad", label="X", type="string", field_type="text", group_name="nope")
    with pytest.raises(Refused) as caught:
        c.call("create property deal.x_bad", c.api("properties").create, "deals", body, idempotent=False)
    message = str(caught.value)
    assert "hubspot: create property deal.x_bad" in message and "Property group nope does not exist" in message
    assert re.search(r"HTTP 400, VALIDATION_ERROR, correlationId [0-9a-f-]{36}", message)
    assert caught.value.status == 400 and c.requests == 1  # a 4xx is an answer, not a fault


def test_a_bad_token_is_an_auth_error_that_does_not_show_it(emu: HubSpotEmulator,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-na1-wrong-secret-value")
    c = client(emu)
    with pytest.raises(AuthError) as caught:
        c.call("list", c.api("pipelines").get_all, "deals", idempotent=True)
    assert "HUBSPOT_TOKEN" in str(caught.value) and "wrong-secret" not in str(caught.value)


def test_a_missing_token_variable_is_named(emu: HubSpotEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HUBSPOT_TOKEN")
    with pytest.raises(AuthError, match="environment variable HUBSPOT_TOKEN is not set"):
        client(emu).api("pipelines")


def test_gives_up_on_a_dead_server_with_a_plain_error(emu: HubSpotEmulator) -> None:
    c = client(emu)
    emu.stop()
    with pytest.raises(ProviderError, match="gave up after 4 attempts: connection failed"):
        c.call("list", c.api("pipelines").get_all, "deals", idempotent=True)
