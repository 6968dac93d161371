"""What the docs promise about the managed record, adopt/accept/forget and manual steps is what crmconf does.

The session in docs/spec-reference.md sections 15 and 16 is run here, block by block: a ```yaml block
that starts with `# file: PATH` writes that file; every `$ crmconf ...` line of a ```console block is
run (exit 0 unless it says `# exits N`), and each line printed under it must appear in its output.
Other YAML examples of those sections must be valid where they belong. README commands must exist.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from ruamel.yaml import YAML

from crmconf.cli import cli as root_command
from crmconf.spec.model import SectionFile, WorkspaceConfig
from tests.conftest import CLI

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "spec-reference.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.M | re.S)


def _section(text: str, first: str, last: str) -> str:
    return text[text.index(first) : text.index(last)]


def _blocks() -> list[tuple[str, str]]:
    text = REFERENCE.read_text(encoding="utf-8")
    body = _section(text, "## 15. What crmconf manages", "## 17. Addresses")
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(body)]


def test_the_documented_session_runs(cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ran_commands = 0
    for kind, text in _blocks():
        if kind == "yaml" and text.startswith("# file: "):
            first, _, content = text.partition("\n")
            path = tmp_path / first.removeprefix("# file: ").strip()
            path.write_text(content, encoding="utf-8")
        elif kind == "yaml":
            _valid_fragment(text)
        elif kind == "console":
            ran_commands += _run_console(cli, text)
    assert ran_commands >= 15


def _valid_fragment(text: str) -> None:
    data = YAML(typ="safe").load(text)
    if "unmanaged" in data:
        WorkspaceConfig.model_validate({"version": 1, **data})
    else:
        SectionFile.model_validate(data)


def _run_console(cli: CLI, text: str) -> int:
    commands: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif line.strip() and line.strip() != "...":
            commands[-1][1].append(line.strip())
    for command, expected in commands:
        words, _, comment = command.partition("  # ")
        code = int(comment.removeprefix("exits ")) if comment else 0
        argv = shlex.split(words)
        assert argv[0] == "crmconf", command
        ran = cli(*argv[1:])
        output = ran.out + ran.err
        assert ran.code == code, f"`{command}` exited {ran.code}:\n{output}"
        for want in expected:
            assert want in output, f"`{command}`: {want!r} not in\n{output}"
    return len(commands)


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for m in BLOCK.finditer(text):
        for line in m.group(2).splitlines():
            words = line.split("#", 1)[0].strip()
            if words.startswith("crmconf "):
                found.append(words)
    return found


@pytest.mark.parametrize("command", _readme_commands())
def test_readme_commands_exist_with_their_options(command: str) -> None:
    """Every `crmconf ...` the README shows names a real command and only options it takes."""
    argv = shlex.split(command)[1:]
    assert isinstance(root_command, click.Group)
    sub = root_command.commands.get(argv[0])
    assert sub is not None, f"no command {argv[0]!r}"
    known = {o for p in sub.params for o in (*p.opts, *p.secondary_opts)}
    options = [a for a in argv[1:] if a.startswith("-")]
    assert set(options) <= known, f"{command}: unknown option(s) {set(options) - known}"
    hidden = {o for p in sub.params if getattr(p, "hidden", False) for o in p.opts}
    assert not set(options) & hidden, f"{command}: uses a deprecated spelling {set(options) & hidden}"
    with sub.make_context(argv[0], argv[1:], resilient_parsing=True) as ctx:
        assert not ctx.params.get("legacy_root"), f"{command}: names the workspace the deprecated way; use -w"
