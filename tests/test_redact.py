"""The one masking module: every form a credential can be quoted in, whatever characters it holds."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest

from crmconf import redact

TOKENS = [
    "pat-na1-11112222-3333-4444-5555-666677778888",
    "pat-na1-line-one-of-it\nline-two-of-the-token",
    'session"with\'quotes\\and\\backslashes',
    "p\u00e4ssw\u00f6rd-with-\u00fcnicode-\u65e5\u672c",
    "tab\tseparated\ttoken-value",
    "percent%20and+plus&amp;token",
    "\x1b[31mescape-holding-token\x07",
]


@pytest.fixture(autouse=True)
def clean() -> Iterator[None]:
    redact.forget()
    yield
    redact.forget()


def _forms(secret: str) -> list[str]:
    return [
        secret,
        repr(secret),
        json.dumps(secret),
        json.dumps(secret, ensure_ascii=False),
        repr(secret.encode()),
        quote(secret, safe=""),
        f"Authorization: Bearer {secret}",
    ]


@pytest.mark.parametrize("secret", TOKENS)
def test_every_quoted_form_is_masked(secret: str) -> None:
    redact.register(secret)
    for form in _forms(secret):
        masked = redact.mask(f"error: {form} (end)")
        assert secret not in masked and "***" in masked, masked
        for part in secret.split("\n"):
            if len(part) >= redact.MIN_PART:
                assert part not in masked, (part, masked)


def test_short_and_blank_values_mask_nothing() -> None:
    redact.register("", "   ", "abc", None)
    assert redact.mask("abc and more") == "abc and more"


def test_names_that_say_credential_are_registered_and_others_not() -> None:
    redact.register_environment({
        "GITHUB_TOKEN": "ghp_aaaaaaaaaaaaaaaaaaaa",
        "SF_SESSION": "00Dxx!session-value",
        "DB_PASSWORD": "correct-horse-battery",
        "XDG_SESSION_TYPE": "wayland",
        "GIT_AUTHOR_NAME": "Maria Lopez",
        "HOME": "/home/maria",
    })
    assert redact.mask("ghp_aaaaaaaaaaaaaaaaaaaa 00Dxx!session-value correct-horse-battery") == "*** *** ***"
    assert redact.mask("wayland Maria Lopez /home/maria") == "wayland Maria Lopez /home/maria"


def test_settings_name_the_variables_to_mask() -> None:
    redact.register_settings({"token_env": "HS", "base_url": "https://api.example", "ca_bundle_env": "MISSING"},
                             {"HS": "pat-na1-from-the-settings"})
    assert redact.mask("Bearer pat-na1-from-the-settings") == "Bearer ***"


def test_masked_json_data_still_parses() -> None:
    secret = 'a", "b": "c'  # a quote inside: masking the text would cut through the JSON
    redact.register(secret)
    data = {"detail": f"refused {secret}", f"key {secret}": [secret]}
    assert json.loads(json.dumps(redact.mask_data(data))) == {"detail": "refused ***", "key ***": ["***"]}


def test_log_records_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    redact.register("pat-na1-in-a-log-record")
    record = logging.LogRecord("crmconf.hubspot", logging.WARNING, __file__, 1, "sent %s", ("pat-na1-in-a-log-record",),
                               None)
    assert redact.MaskingFilter().filter(record) and record.getMessage() == "sent ***"
