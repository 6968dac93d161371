from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from crmconf.cli import run
from tests import winlock

TODAY = "2026-11-23"


def pytest_configure(config: pytest.Config) -> None:
    winlock.install_from_env()  # CRMCONF_TEST_LOCKS=windows: every lock through portalocker's Windows path


@dataclass
class Ran:
    code: int
    out: str
    err: str


CLI = Callable[..., Ran]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CLI:
    """Run crmconf in-process, as a user would, and capture what it printed."""
    monkeypatch.setenv("CRMCONF_TODAY", TODAY)
    monkeypatch.setenv("NO_COLOR", "1")

    def invoke(*args: str | Path) -> Ran:
        capsys.readouterr()
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return Ran(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def workspace(tmp_path: Path, cli: CLI) -> Path:
    """A fresh starter workspace (crmconf init) on the local provider."""
    root = tmp_path / "ws"
    assert cli("init", root).code == 0
    return root
