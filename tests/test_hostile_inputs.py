"""The hostile input corpus: YAML, CLI flags, plan files and environment, as an attacker or a careless user.

Every case runs the real CLI in-process against a workspace whose targets name two seeded credentials
(a HubSpot token and a Salesforce session id, reached on closed loopback ports). For every case:
- the exit code is the expected one: never 70 (a bug), never a crash, never a traceback;
- the message says what is wrong (a code, or the words a user needs);
- no form of either credential appears in stdout, stderr, or any file under the test's folder
  (the workspace, its .crmconf state, outputs, and the crash-log folder TMPDIR points at).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from crmconf.engine.saved import seal
from tests.conftest import CLI, TODAY

HS_TOKEN = "pat-na1-5ec7e700-1111-2222-3333-444455556666"
SF_SESSION = "00D5e000000AbCd!AQEAQ.s3cr3t-sess10n.1d.value"
SECRETS = (HS_TOKEN, SF_SESSION)

CONFIG = """\
version: 1
default_target: local
targets:
  local: {provider: local}
  hs: {provider: hubspot, settings: {token_env: HS_TOKEN_H, base_url: "http://127.0.0.1:9", retry: {max_attempts: 1}}}
  sf: {provider: salesforce, settings: {instance_url: "https://127.0.0.1:9", session_env: SF_SESSION_H, retry_backoff_seconds: 0}}
"""

Setup = Callable[[Path, Path], None]  # (workspace, test folder)


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]  # "{ws}" and "{tmp}" are replaced by the workspace and the test folder
    files: dict[str, str | bytes] = field(default_factory=dict)  # written into the workspace
    env: dict[str, str] = field(default_factory=dict)
    setup: Setup | None = None
    code: int = 1
    says: str = ""


def _yaml(name: str, text: str | bytes, says: str, *args: str, code: int = 1) -> Case:
    return Case(f"yaml: {name}", args or ("validate", "{ws}"), {"extra.yaml": text}, says=says, code=code)


def _label(value: str) -> str:
    return f'fields:\n  contact:\n    - {{name: nickname, label: "{value}", type: text}}\n'


def _term(value: str) -> str:
    return f'terminology:\n  - {{term: "{value}", definition: A word.}}\n'


def _symlink(relative: str, *, directory: bool = False) -> Setup:
    def make(ws: Path, tmp: Path) -> None:
        outside = tmp / "outside"
        outside.mkdir(exist_ok=True)
        target = outside / ("folder" if directory else "victim.txt")
        if directory:
            target.mkdir(exist_ok=True)
        else:
            target.write_text("untouched\n")
        link = ws / relative
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target, target_is_directory=directory)

    return make


def _plan_file(text: str | bytes) -> Setup:
    def make(ws: Path, tmp: Path) -> None:
        path = tmp / "plan.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

    return make


def _sealed(body: dict[str, object]) -> Setup:
    return _plan_file(json.dumps(seal(body, None)))


def _huge_plan(ws: Path, tmp: Path) -> None:
    with (tmp / "plan.json").open("wb") as f:
        f.truncate(257 * 1024 * 1024)  # sparse: costs no disk


def _apply_plan(*flags: str) -> tuple[str, ...]:
    return ("apply", "{tmp}/plan.json", "-w", "{ws}", *flags)


ESC = "\\e"  # YAML double-quoted escapes: how a control character gets into a spec

CASES = [
    # --- YAML -------------------------------------------------------------------------------------
    _yaml("50,000 nested flow sequences", "fields: " + "[" * 50_000 + "]" * 50_000 + "\n", "L108"),
    _yaml("30,000 nested block sequences", "fields:\n" + "- " * 30_000 + "x\n", "L108"),
    _yaml("20,000 nested flow mappings", "fields: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n", "L108"),
    _yaml("billion laughs", "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8)), "L106"),
    _yaml("NaN in a set_field value", """automations:
  - {name: n, object: deal, trigger: {record_created: {}}, actions: [{set_field: {field: amount, value: .nan}}],
     owner: owner@example.com, purpose: p, reviewed: 2026-10-01}
""", "L112"),
    _yaml("infinity in a where clause", """automations:
  - {name: n, object: deal, trigger: {record_created: {where: {amount: .inf}}}, actions: [{notify: {to: [record_owner], message: m}}],
     owner: owner@example.com, purpose: p, reviewed: 2026-10-01}
""", "L112"),
    _yaml("minus infinity", "fields:\n  deal:\n    - {name: x, label: X, type: number, help_text: -.Inf}\n", "L112"),
    _yaml("a float overflowing to infinity", """pipelines:
  - name: p
    object: ticket
    label: P
    stages: [{name: s, label: S, probability: 1e400}]
""", "L112"),
    _yaml("a terminal escape in a label", _label(f"{ESC}[2J{ESC}[31mCleared"), "L113"),
    _yaml("an OSC hyperlink in a label", _label(f"{ESC}]8;;https://evil.example\\aclick"), "L113"),
    _yaml("a right-to-left override in a label", _label("Invoice\\u202Efdp.exe"), "L113"),
    _yaml("a bidi isolate in a definition", 'terminology:\n  - {term: Deal, definition: "A \\u2066deal\\u2069."}\n', "L113"),
    _yaml("a NUL escape in a label", _label("Nick\\0name"), "L113"),
    _yaml("a C1 control (CSI) in a label", _label("Nick\\x9bname"), "L113"),
    _yaml("a next-line control in a label", _label("Nick\\Nname"), "L113"),
    _yaml("a line break inside a key", 'fields:\n  contact:\n    - {"na\\nme": x, label: X, type: text}\n', "L113"),
    _yaml("a Cyrillic letter in a term", _term("D\u0435al"), "mixes scripts"),
    _yaml("a Cyrillic letter in an avoided word",
          "terminology:\n  - {term: Deal, definition: d, avoid: [\"\u041epportunity\"]}\n", "mixes scripts"),
    _yaml("a Cyrillic letter in an owner's e-mail", """automations:
  - {name: n, object: deal, trigger: {record_created: {}}, actions: [{notify: {to: [record_owner], message: m}}],
     owner: "m\u0430ria@acme.example", purpose: p, reviewed: 2026-10-01}
""", "mixes scripts"),
    _yaml("a zero-width space in a picklist value",
          "fields:\n  contact:\n    - {name: src, label: Src, type: picklist, options: [\"In\u200bbound\", Outbound]}\n",
          "invisible character"),
    _yaml("a fullwidth term", _term("\uff24\uff45\uff41\uff4c"), "look-alike"),
    _yaml("a Cyrillic word made of Latin look-alikes", _term("\u041e\u0440\u0440"), "letters that look Latin"),
    _yaml("a Roman-numeral look-alike in a bound name", """automations:
  - {name: n, binds: {local: "\u216eeal router"}, owner: owner@example.com, purpose: p, reviewed: 2026-10-01}
""", "look-alike"),
    _yaml("a label with a line break", _label("Closed\\nWon"), "one line"),
    _yaml("a mixed-script label (strict)", _label("Deal \u0421ycle"), "T403", "validate", "{ws}", "--strict"),
    _yaml("a python name tag", "fields: !!python/name:os.system ''\n", "L102"),
    _yaml("a binary value", "fields:\n  deal:\n    - {name: x, label: !!binary aGVsbG8=, type: text}\n", "L102"),
    _yaml("a 400-digit probability", "pipelines:\n  - {name: p, object: ticket, label: P, stages: [{name: s, label: S, "
          f"probability: {'9' * 400}}}]}}\n", "S203"),
    _yaml("the 30th of February", """automations:
  - {name: n, binds: {local: r}, owner: owner@example.com, purpose: p, reviewed: 2026-02-30}
""", "L102"),
    _yaml("UTF-16 text", _label("Nickname").encode("utf-16"), "L101"),
    _yaml("binary garbage", bytes(range(256)) * 4, "L101"),
    _yaml("a byte-order mark and CRLF line ends (valid)", ("\ufeff" + _label("Nickname")).replace("\n", "\r\n"),
          "valid", code=0),
    _yaml("only a comment", "# nothing here\n", "L105"),
    _yaml("a 1 MB label", _label("x" * 1_000_000), "S203"),
    _yaml("a thousand documents", "---\nfields: {}\n" * 1000, "L102"),
    Case("yaml: a folder named like a spec file", ("validate", "{ws}"), setup=lambda ws, tmp: (ws / "dir.yaml").mkdir(),
         code=0, says="valid"),
    Case("yaml: a symlink loop named like a spec file", ("validate", "{ws}"),
         setup=lambda ws, tmp: (ws / "loop.yaml").symlink_to(ws / "loop.yaml"), code=0, says="valid"),
    Case("yaml: a spec file linking outside the workspace", ("validate", "{ws}"), setup=_symlink("linked.yaml"),
         says="L111"),
    # --- CLI flags --------------------------------------------------------------------------------
    Case("cli: plan --out into a missing folder", ("plan", "{ws}", "--out", "{tmp}/no/such/plan.json"),
         says="does not exist"),
    Case("cli: plan --out onto a folder", ("plan", "{ws}", "--out", "{tmp}"), says="Error"),
    Case("cli: plan --out through a link leading outside", ("plan", "{ws}", "--out", "{ws}/plan.json"),
         setup=_symlink("plan.json"), says="leads outside the workspace"),
    Case("cli: a target holding terminal escapes", ("plan", "{ws}", "--target", "\x1b[31mprod\x1b]0;pwned\x07"),
         says="unknown target"),
    Case("cli: a 100,000-character target", ("plan", "{ws}", "--target", "t" * 100_000), says="unknown target"),
    Case("cli: the workspace is a file", ("plan", "{ws}/crmconf.yaml"), says="is a file"),
    Case("cli: the workspace does not exist", ("validate", "{tmp}/nowhere"), says="L109"),
    Case("cli: a plan file that does not exist", ("apply", "{tmp}/none.json", "-w", "{ws}"), says="does not exist"),
    Case("cli: a plan file that is a folder", ("apply", "{tmp}", "-w", "{ws}"), says="is a directory"),
    Case("cli: an unknown format", ("validate", "{ws}", "--format", "yaml"), says="Invalid value"),
    Case("cli: an unknown command", ("destroy-everything",), says="No such command"),
    Case("cli: an unknown option", ("plan", "{ws}", "--force"), says="No such option"),
    Case("cli: an unknown colour mode", ("--color", "rainbow", "validate", "{ws}"), says="Invalid value"),
    Case("cli: audit --as-of that is no date", ("audit", "{ws}", "--offline", "--as-of", "someday"), says="someday"),
    Case("cli: review --by with a right-to-left override",
         ("review", "proposal_follow_up", "-w", "{ws}", "--by", "\u202emaria@acme.example"), says="--by"),
    Case("cli: review --by with a Cyrillic letter",
         ("review", "proposal_follow_up", "-w", "{ws}", "--by", "m\u0430ria@acme.example"), says="--by"),
    Case("cli: docs --out onto a file", ("docs", "{ws}", "--out", "{ws}/crmconf.yaml"), says="is a file"),
    Case("cli: docs --out under a file", ("docs", "{ws}", "--out", "{ws}/crmconf.yaml/sub"),
         says="cannot write the handbook"),
    Case("cli: schema --out onto a file", ("schema", "--out", "{ws}/crmconf.yaml"), says="is a file"),
    Case("cli: init inside a file", ("init", "{ws}/crmconf.yaml/sub"), says="cannot create the folder"),
    Case("cli: apply with the journal linked outside", ("apply", "-w", "{ws}", "--auto-approve"),
         setup=_symlink(".crmconf/journal.jsonl"), says="leads outside the workspace"),
    Case("cli: apply with the state folder linked outside", ("apply", "-w", "{ws}", "--auto-approve"),
         setup=_symlink(".crmconf", directory=True), says="outside the workspace"),
    Case("cli: review with its history linked outside",
         ("review", "proposal_follow_up", "-w", "{ws}", "--by", "maria@acme.example"),
         setup=_symlink("reviews.yaml"), says="outside the workspace"),
    Case("cli: import into a folder linked outside", ("import", "-w", "{ws}", "--out", "{ws}/imported"),
         setup=_symlink("imported", directory=True), says="outside the workspace"),
    # --- plan files -------------------------------------------------------------------------------
    Case("plan: NaN", _apply_plan(), setup=_plan_file('{"format_version": NaN}'), says="not a crmconf plan"),
    Case("plan: nested 200,000 deep", _apply_plan(), setup=_plan_file("[" * 200_000), says="not a crmconf plan"),
    Case("plan: a JSON array", _apply_plan(), setup=_plan_file("[]"), says="not a crmconf plan"),
    Case("plan: binary garbage", _apply_plan(), setup=_plan_file(bytes(range(256))), says="not UTF-8"),
    Case("plan: empty", _apply_plan(), setup=_plan_file(""), says="not a crmconf plan"),
    Case("plan: 257 MB", _apply_plan(), setup=_huge_plan, says="a plan file is at most"),
    Case("plan: sealed, but missing every field", _apply_plan(),
         setup=_sealed({"format_version": 1, "tool_version": "0.1.0"}), says="E404"),
    Case("plan: sealed, with escapes in an address", _apply_plan("--allow-destroy"),
         setup=_sealed({"format_version": 1, "tool_version": "0.1.0", "workspace": "\x1b[2J", "changes": []}),
         says="E404"),
    Case("plan: a 5,000-digit number", _apply_plan(), setup=_plan_file('{"format_version": 1' + "0" * 5000 + "}"),
         says="not a crmconf plan"),
    # --- environment ------------------------------------------------------------------------------
    Case("env: CRMCONF_TODAY is no date", ("validate", "{ws}"), env={"CRMCONF_TODAY": "\x1b[31myesterday"},
         says="is not a date"),
    Case("env: a HubSpot token with a line break", ("plan", "{ws}", "-t", "hs"),
         env={"HS_TOKEN_H": HS_TOKEN[:20] + "\n" + HS_TOKEN[20:]}, says="holds a line break"),
    Case("env: a Salesforce session with a line break", ("plan", "{ws}", "-t", "sf"),
         env={"SF_SESSION_H": SF_SESSION + "\r\n"}, says="holds a carriage return"),
    Case("env: a HubSpot token in Japanese", ("plan", "{ws}", "-t", "hs"), env={"HS_TOKEN_H": HS_TOKEN + "\u65e5\u672c"},
         says="cannot be sent to the vendor"),
    Case("env: a HubSpot token the portal is not reached with", ("plan", "{ws}", "-t", "hs"), says="E300"),
    Case("env: a Salesforce session the org is not reached with", ("plan", "{ws}", "-t", "sf"), says="E300"),
    Case("env: the token variable is empty", ("plan", "{ws}", "-t", "hs"), env={"HS_TOKEN_H": ""}, says="HS_TOKEN_H"),
    Case("env: a token pasted where its variable's name goes", ("plan", "{ws}", "-t", "pasted"),
         files={"crmconf.yaml": CONFIG + f"  pasted: {{provider: hubspot, settings: {{token_env: {HS_TOKEN}}}}}\n"},
         says="not a token"),
    Case("env: a session pasted into a Salesforce setting", ("plan", "{ws}", "-t", "pasted"),
         files={"crmconf.yaml": CONFIG + f"  pasted: {{provider: salesforce, settings: {{instance_url: {SF_SESSION}, "
                "session_env: SF_SESSION_H}}\n"}, says="S210"),
    Case("env: no user name to record", ("apply", "-w", "{ws}", "--auto-approve"),
         env={"USER": "", "LOGNAME": "", "LNAME": "", "USERNAME": ""}, code=0, says="applied"),
    Case("env: injected faults named with escapes", ("apply", "-w", "{ws}", "--auto-approve"),
         env={"CRMCONF_LOCAL_FAULTS": "\x1b[2J,term.deal"}, says="injected fault"),
]


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: CLI) -> tuple[Path, Path]:
    ws = tmp_path / "ws"
    assert cli("init", ws).code == 0
    (ws / "crmconf.yaml").write_text(CONFIG)
    crashes = tmp_path / "tmpdir"
    crashes.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(crashes))
    monkeypatch.setenv("HS_TOKEN_H", HS_TOKEN)
    monkeypatch.setenv("SF_SESSION_H", SF_SESSION)
    return ws, tmp_path


def _forms(secret: str) -> list[str]:
    return [secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], *(p for p in secret.replace("\n", " ").split() if len(p) >= 8)]


def _leaks(texts: list[str], root: Path, inputs: set[Path]) -> list[str]:
    """Where a secret shows, in what crmconf printed or any file it could have written (not the inputs)."""
    found = [f"output {i}" for i, t in enumerate(texts) for s in SECRETS for f in _forms(s) if f in t]
    for path in root.rglob("*"):
        if path in inputs:
            continue
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 64 * 1024 * 1024:
            data = path.read_bytes()
            found += [str(path) for s in SECRETS for f in _forms(s) if f.encode() in data]
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input(case: Case, hostile: tuple[Path, Path], cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    ws, tmp = hostile
    for name, content in case.files.items():
        (ws / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    if case.setup:
        case.setup(ws, tmp)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    args = [a.replace("{ws}", str(ws)).replace("{tmp}", str(tmp)) for a in case.args]
    ran = cli(*args)
    assert ran.code == case.code, (ran.code, ran.err[-3000:])
    assert case.says in ran.out + ran.err, ran.err[-3000:]
    assert "\x1b" not in ran.out + ran.err and "\u202e" not in ran.out + ran.err  # shown, never obeyed
    assert not list((tmp / "tmpdir").glob("crmconf-crash-*")), "an internal error was logged"
    assert _leaks([ran.out, ran.err], tmp, {ws / name for name in case.files}) == []
    outside = tmp / "outside" / "victim.txt"
    assert not outside.exists() or outside.read_text() == "untouched\n"


def test_the_corpus_is_large_and_covers_every_channel() -> None:
    kinds = {c.name.split(":")[0] for c in CASES}
    assert len(CASES) >= 60 and kinds == {"yaml", "cli", "plan", "env"}


def test_an_ascii_only_terminal_gets_escapes_not_a_crash(tmp_path: Path) -> None:
    """PYTHONIOENCODING=ascii: a non-ASCII label is still printed (click re-encodes), never a crash."""
    ws = tmp_path / "ws"
    env = {**os.environ, "CRMCONF_TODAY": TODAY, "NO_COLOR": "1", "PYTHONIOENCODING": "ascii"}
    subprocess.run([sys.executable, "-c", "from crmconf.cli import main; main()", "init", str(ws)], env=env,
                   check=True, capture_output=True)
    (ws / "extra.yaml").write_text(_label("Caf\u00e9 \u65e5\u672c"), encoding="utf-8")
    ran = subprocess.run([sys.executable, "-c", "from crmconf.cli import main; main()", "plan", str(ws)], env=env,
                         capture_output=True, text=True, errors="replace")
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "Caf\u00e9 \u65e5\u672c" in ran.stdout or "Caf\\xe9 \\u65e5\\u672c" in ran.stdout
