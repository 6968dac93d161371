"""The invalid-spec corpus: every failure kind gets its code, at the right file and line, and no crash.

Each case runs the real CLI in-process, exactly as a user would: `crmconf validate DIR --format json`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from crmconf.cli import run

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
TODAY = "2026-11-23"
MIB = 1024 * 1024


def _expect(case: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load((case / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and {"code", "file", "line"} <= set(data), (
        f"{case.name}/expect.yaml is incomplete"
    )
    return data


def _validate(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *, strict: bool = False
) -> tuple[int, dict[str, Any], str]:
    monkeypatch.setenv("CRMCONF_TODAY", TODAY)
    monkeypatch.setenv("NO_COLOR", "1")
    capsys.readouterr()
    code = run(["validate", str(root), "--format", "json", *(["--strict"] if strict else [])])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    assert code != 70, f"crmconf reported an internal error:\n{err}"
    return code, json.loads(out), out + err


def _check(code: int, payload: dict[str, Any], expect: dict[str, Any], *, output: str) -> None:
    diagnostics = payload["diagnostics"]
    assert code == 1, f"expected exit code 1, got {code}:\n{output}"
    assert payload["valid"] is False
    severity = expect.get("severity", "error")
    matches = [
        d
        for d in diagnostics
        if d["code"] == expect["code"] and d["file"] == expect["file"] and d["line"] == expect["line"]
    ]
    assert matches, f"expected {expect['code']} at {expect['file']}:{expect['line']}, got:\n" + "\n".join(
        f"  {d['code']} {d['file']}:{d['line']}:{d['column']} {d['message']}" for d in diagnostics
    )
    assert any(d["severity"] == severity for d in matches), f"expected a {severity}: {matches}"
    assert all(d["message"] for d in matches)
    related = expect.get("related")
    if related:
        cited = [r for d in matches for r in d["related"]]
        assert any(r == related or r.startswith(f"{related}:") for r in cited), (
            f"expected see-also {related}: {cited}"
        )
    # Invalid in exactly one way: no error other than the expected code (and the declared companions).
    allowed = {expect["code"], *expect.get("also", ())}
    unexpected = [d for d in diagnostics if d["severity"] == "error" and d["code"] not in allowed]
    assert not unexpected, f"unexpected errors: {unexpected}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_case(
    case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expect = _expect(case)
    workspace = tmp_path / "ws"
    # expect.yaml sits beside the workspace files but is not one of them.
    shutil.copytree(case, workspace, ignore=shutil.ignore_patterns("expect.yaml"))
    code, payload, output = _validate(workspace, capsys, monkeypatch, strict=bool(expect.get("strict")))
    _check(code, payload, expect, output=output)


def test_corpus_is_large_enough() -> None:
    errors = [c for c in CASES if not _expect(c).get("strict")]
    assert len(errors) >= 45
    codes = {_expect(c)["code"] for c in CASES}
    for code in (
        "L101",
        "L102",
        "L103",
        "L104",
        "L105",
        "L106",
        "L108",
        "L110",
        "S200",
        "S201",
        "S202",
        "S203",
        "S204",
        "S205",
        "S206",
        "S207",
        "R301",
        "R302",
        "R303",
        "R304",
        "R305",
        "R306",
        "R308",
        "R309",
        "R310",
        "R311",
        "I501",
        "I502",
        "I503",
    ):
        assert code in codes, f"no corpus case for {code}"


def test_file_over_16_mib(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generated rather than committed: a 16 MiB file has no place in the repository."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "crmconf.yaml").write_text("version: 1\n", encoding="utf-8")
    entry = b"  - {term: Deal, definition: A qualified revenue opportunity tracked in a pipeline.}\n"
    body = b"terminology:\n" + entry * (16 * MIB // len(entry) + 1)
    assert len(body) > 16 * MIB
    (workspace / "huge.yaml").write_bytes(body)
    code, payload, output = _validate(workspace, capsys, monkeypatch)
    _check(code, payload, {"code": "L107", "file": "huge.yaml", "line": 1}, output=output)


def test_not_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, payload, _ = _validate(tmp_path / "no-such-workspace", capsys, monkeypatch)
    assert code == 1
    assert [d["code"] for d in payload["diagnostics"]] == ["L109"]


def test_a_spec_file_linking_outside_the_workspace_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generated: a symlink's target depends on where the checkout lives."""
    secret = tmp_path / "elsewhere" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("terminology:\n  - {term: Hunter2, definition: a line that must never be printed.}\n")
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "crmconf.yaml").write_text("version: 1\n", encoding="utf-8")
    (workspace / "glossary.yaml").symlink_to(secret)
    (workspace / ".shared").mkdir()
    (workspace / ".shared" / "terms.yaml").write_text("terminology:\n  - {term: Deal, definition: A qualified opportunity.}\n")
    (workspace / "terms.yaml").symlink_to(workspace / ".shared" / "terms.yaml")  # staying inside is fine
    code, payload, output = _validate(workspace, capsys, monkeypatch)
    _check(code, payload, {"code": "L111", "file": "glossary.yaml", "line": 1}, output=output)
    assert "Hunter2" not in output
