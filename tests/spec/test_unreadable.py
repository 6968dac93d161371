"""A spec folder or file crmconf cannot read is an error naming it, never silently left out."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import CLI


def test_an_unreadable_folder_is_a_located_error(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = workspace / "pipelines"
    sub.mkdir()
    shutil.move(workspace / "pipelines.yaml", sub / "new-business.yaml")
    real = os.scandir

    def scandir(path: object) -> object:  # the OS refusing to list one folder, as for a user without rights
        if Path(str(path)) == sub:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    ran = cli("validate", "-w", workspace)
    assert ran.code == 1
    assert "pipelines/:1:1: error L100: cannot read the folder pipelines/: Permission denied" in ran.out
    planned = cli("plan", "-w", workspace)
    assert planned.code == 1 and "L100" in planned.err  # a plan never runs without those specs


def test_an_unreadable_file_is_a_located_error(cli: CLI, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = workspace / "fields.yaml"
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:  # the OS refusing one file (chmod does not stop root)
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    ran = cli("validate", "-w", workspace)
    assert ran.code == 1 and "fields.yaml:1:1: error L100: cannot read the file: Permission denied" in ran.out
