"""The one error handler: user errors exit 1, bugs exit 70 with a log, Ctrl-C exits 130."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crmconf.cli import EXIT_BUG, EXIT_INTERRUPTED
from crmconf.commands import validate as validate_command
from tests.conftest import CLI


def test_version(cli: CLI) -> None:
    ran = cli("--version")
    assert ran.code == 0 and re.search(r"crmconf, version \d+\.\d+\.\d+", ran.out)


def test_bad_flag_is_a_plain_error(cli: CLI) -> None:
    ran = cli("plan", "--format", "yaml")
    assert ran.code == 1 and "Invalid value for '--format'" in ran.err


def test_a_bug_exits_70_and_writes_a_log(
    cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(validate_command, "run", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ran = cli("validate", workspace)
    assert ran.code == EXIT_BUG
    assert "internal error (this is a bug, not your input)" in ran.err
    [log] = tmp_path.glob("crmconf-crash-*.log")
    assert "RuntimeError: boom" in log.read_text()


def test_a_crash_log_is_user_only_and_holds_no_secret(
    cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bug whose message and argv carry a credential (a client echoing its Authorization header)."""
    token = "pat-na1-0badc0de-1111-2222-3333-444455556666\nsecond-line-of-token"

    def broken(*args: object, **kwargs: object) -> int:
        raise ValueError(f"Invalid header value {('Bearer ' + token).encode()!r}; raw: Bearer {token}")

    monkeypatch.setattr(validate_command, "run", broken)
    monkeypatch.setenv("MY_API_TOKEN", token)  # its name says it is a credential
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    ran = cli("validate", workspace)
    assert ran.code == EXIT_BUG
    [log] = tmp_path.glob("crmconf-crash-*.log")
    assert log.stat().st_mode & 0o777 == 0o600
    text = log.read_text()
    assert "ValueError: Invalid header value b'Bearer ***'; raw: Bearer ***" in text
    for part in (token, "0badc0de-1111", "second-line-of-token", repr(token)[1:-1]):
        assert part not in text + ran.err


def test_ctrl_c_exits_130(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(validate_command, "run", interrupted)
    assert cli("validate", workspace).code == EXIT_INTERRUPTED


def test_color_always_and_no_color(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[" in cli("--color", "always", "plan", workspace).out
    assert "\x1b[" not in cli("plan", workspace).out  # NO_COLOR is set by the fixture
