"""README's install story (tool installs, Windows commands) and docs/ci.md's OS matrix say what is true."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
EXTRAS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]


def _install_section() -> str:
    return README[README.index("## Install\n"):README.index("\n## ", README.index("## Install\n") + 1)]


def _block(kind: str) -> list[str]:
    found = re.search(rf"```{kind}\n(.*?)```", _install_section(), re.S)
    assert found, f"no {kind} block in README's Install section"
    return [line.split("#")[0].strip() for line in found.group(1).splitlines() if line.split("#")[0].strip()]


def test_the_readme_says_make_is_unix() -> None:
    section = _install_section()
    assert "`make` and `.venv/bin` are Unix" in section and "On Windows there is no `make`" in section
    assert "`make test-windows-locks`" in section
    assert "\ntest-windows-locks:" in (REPO / "Makefile").read_text(encoding="utf-8")


def test_tool_installs_name_real_extras() -> None:
    lines = " ".join(_block("sh")) + " " + _install_section()
    named = set(re.findall(r'(?:uv tool install|pipx install) "\.\[([a-z,]+)\]"', lines))
    assert named, "no tool install line"
    for extras in named:
        assert set(extras.split(",")) <= EXTRAS.keys()
    assert "crmconf[salesforce,hubspot]" in EXTRAS["dev"]  # make setup installs what the tool line installs


def test_the_windows_commands_exist() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    commands = _block("powershell")
    assert commands[0].startswith("py -3.11 -m venv .venv")
    for line in commands[1:]:
        program, *args = line.split()
        assert program.startswith(".venv\\Scripts\\"), line
        name = program.removeprefix(".venv\\Scripts\\")
        if name == "python" and args[:2] == ["-m", "pip"]:
            spec = re.search(r'"\.\[([a-z,]+)\]"', line)
            assert spec and set(spec.group(1).split(",")) <= EXTRAS.keys(), line
        elif name == "python":
            assert args[0] == "-m" and importlib.util.find_spec(args[1]) is not None, line
            assert f"-m {args[1]}" in makefile, f"{line}: not what make runs"
        else:
            assert name in scripts, line


def test_the_os_matrix_in_ci_docs() -> None:
    text = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "\n## Windows and macOS runners\n" in text  # README links to it
    blocks = [YAML(typ="safe").load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    [workflow] = [b for b in blocks if isinstance(b, dict) and b.get("name") == "crmconf on every OS"]
    job = workflow["jobs"]["check"]
    assert set(job["strategy"]["matrix"]["os"]) == {"ubuntu-latest", "windows-latest", "macos-latest"}
    assert job["runs-on"] == "${{ matrix.os }}" and job["strategy"]["fail-fast"] is False
    run = next(s for s in job["steps"] if "run" in s)
    assert run["shell"] == "bash" and "--target local" in run["run"]
