"""--verbose and CRMCONF_LOG: which loggers speak, and a bad CRMCONF_LOG is a plain error."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from crmconf import logs
from crmconf.errors import UsageError
from tests.conftest import CLI


@pytest.mark.parametrize(("verbose", "env", "wanted"), [
    (0, "", {}),
    (1, "", {"crmconf": logging.INFO}),
    (2, "", {"crmconf": logging.DEBUG}),
    (0, "debug", {"crmconf": logging.DEBUG}),
    (0, "crmconf.http=info, urllib3=DEBUG", {"crmconf.http": logging.INFO, "urllib3": logging.DEBUG}),
    (1, "crmconf.retry=warning", {"crmconf": logging.INFO, "crmconf.retry": logging.WARNING}),
])
def test_levels(verbose: int, env: str, wanted: dict[str, int]) -> None:
    assert logs.levels(verbose, {"CRMCONF_LOG": env}) == wanted


def test_a_bad_level_is_refused() -> None:
    with pytest.raises(UsageError, match="CRMCONF_LOG: 'loud' is not a level"):
        logs.levels(0, {"CRMCONF_LOG": "crmconf=loud"})


def test_a_bad_crmconf_log_is_a_plain_error(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMCONF_LOG", "chatty")
    ran = cli("validate", "-w", workspace)
    assert ran.code == 1 and "CRMCONF_LOG: 'chatty' is not a level" in ran.err


def test_a_library_logging_info_stays_quiet_unless_asked(cli: CLI, workspace: Path) -> None:
    chatty = logging.getLogger("some.library")
    chatty.setLevel(logging.INFO)
    try:
        record = logging.LogRecord("some.library", logging.INFO, __file__, 1, "hello", None, None)
        logs.configure(1, {})
        assert not logs.Shown().filter(record)
        logs.configure(0, {"CRMCONF_LOG": "some.library=info"})
        assert logs.Shown().filter(record)
    finally:
        chatty.setLevel(logging.NOTSET)
        logs.configure(0, {})
