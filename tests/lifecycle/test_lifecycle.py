"""What crmconf manages, through its whole life, on the local org and both vendor emulators.

Each case in cases.yaml is a sequence of steps a team would take; the CLI runs them against a real
CRM (the local org file, or an emulator through the vendor's real client), so the managed record is
written and read where each provider keeps it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.conftest import CLI
from tests.lifecycle.backends import HEADER, Backend, backend, write_workspace

CASES = YAML(typ="safe").load(Path(__file__).with_name("cases.yaml"))
BACKENDS = ("local", "hubspot", "salesforce")


@pytest.mark.parametrize("which", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_lifecycle(case: dict[str, Any], which: str, cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "ws"
    with backend(which, root, monkeypatch) as crm:
        for number, step in enumerate(case["steps"], 1):
            (kind, args), = step.items()
            where = f"step {number} ({kind})"
            _STEPS[kind](cli, crm, root, args or {}, where)


def _spec(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    config = root / "crmconf.yaml"
    extra = config.read_text().split("\nunmanaged:", 1)[1] if config.exists() and "\nunmanaged:" in config.read_text() else ""
    write_workspace(root, crm, args, "\nunmanaged:" + extra if extra else "")


def _expect(ran: Any, args: dict[str, Any], where: str, default_code: int = 0) -> None:
    text = ran.out + ran.err
    assert ran.code == args.get("code", default_code), f"{where}: exit {ran.code}\n{text}"
    for line in args.get("shows", ()):
        assert line in text, f"{where}: {line!r} not in\n{text}"
    for line in args.get("hides", ()):
        assert line not in text, f"{where}: {line!r} in\n{text}"


def _apply(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    flags = ["--allow-destroy"] if args.get("allow_destroy") else []
    _expect(cli("apply", "-w", root, "--auto-approve", *flags), args, where)


def _plan(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    ran = cli("plan", "-w", root, "--detailed-exitcode")
    _expect(ran, {"code": args.get("code", ran.code), **args}, where)


def _drift(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    _expect(cli("drift", "-w", root), args, where)


def _by_hand(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    for obj, name in args.items():
        crm.make_field(obj, name, name.replace("_", " ").title())


def _import(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    only = [x for a in args for x in ("--only", a)]
    _expect(cli("import", "-w", root, *only), {}, where)


def _accept(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    for address in [*args, *crm.defaults]:
        _expect(cli("forget", "-w", root, address, "--reason", "left alone on purpose"), {}, where)


def _forget(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    _expect(cli("forget", "-w", root, *args), {}, where)


def _live(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    for obj, want in args.items():
        have = crm.fields(obj)
        assert set(want.get("present", ())) <= have, f"{where}: missing live: {set(want['present']) - have}"
        assert not set(want.get("absent", ())) & have, f"{where}: still live: {set(want['absent']) & have}"


def _record(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    """The managed record lives in the CRM itself, never only on this machine."""
    record = crm.record()
    assert record is not None, f"{where}: no managed record in the {crm.name} CRM"
    assert sorted(record["managed"]) == sorted(args["managed"]), f"{where}: {sorted(record['managed'])}"
    for address, how in (args.get("how") or {}).items():
        assert record["managed"][address]["how"] == how, f"{where}: {address}"
    assert not (root / ".crmconf" / "state").exists(), f"{where}: a per-machine record was written"


def _pipelines(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    (root / "pipelines.yaml").write_text(HEADER + args)


def _deals(cli: CLI, crm: Backend, root: Path, args: Any, where: str) -> None:
    pipeline = (args["pipeline"], args["pipeline_label"])
    if "add" in args:
        crm.add_deals(pipeline, tuple(args["stage"]), args["add"])  # type: ignore[arg-type]
    if "expect" in args:
        assert crm.deals(pipeline) == args["expect"], f"{where}: {crm.deals(pipeline)}"


_STEPS = {
    "pipelines": _pipelines,
    "deals": _deals,
    "record": _record,
    "spec": _spec,
    "apply": _apply,
    "plan": _plan,
    "drift": _drift,
    "by_hand": _by_hand,
    "import": _import,
    "accept": _accept,
    "forget": _forget,
    "live": _live,
}
