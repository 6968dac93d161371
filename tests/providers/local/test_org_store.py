"""The local org's store: a batch appends one log line (never rewrites the org), a crash leaves the file and
its committed lines, the log is folded in at the end of an apply, format 1 files migrate by themselves."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from crmconf_local import org as store

from crmconf.errors import ProviderError
from tests.conftest import CLI

REPO = Path(__file__).resolve().parents[3]


def _obj(label: str) -> dict[str, object]:
    return {"kind": "term", "attrs": {"label": label}, "parent": None, "label": label}


@pytest.fixture
def path(tmp_path: Path) -> Path:
    path = tmp_path / ".crmconf" / "local-org.json"
    org = store.load(path)
    org.put("term.a", _obj("A"))
    store.commit(path, org)  # no file yet: written whole, as format 2
    return path


def test_a_commit_appends_one_line_and_leaves_the_file_alone(path: Path) -> None:
    before = path.read_bytes(), path.stat().st_ino
    org = store.load(path)
    org.put("term.b", _obj("B"))
    org.drop("term.a")
    store.commit(path, org)
    org.put("term.c", _obj("C"))
    store.commit(path, org)
    assert (path.read_bytes(), path.stat().st_ino) == before
    lines = store.log_path(path).read_text().splitlines()
    assert [[op[0] for op in json.loads(line)["ops"]] for line in lines] == [["put", "del"], ["put"]]
    assert sorted(store.load(path)["objects"]) == ["term.b", "term.c"]


def test_compacting_folds_the_log_into_a_new_generation(path: Path) -> None:
    org = store.load(path)
    org.put("term.b", _obj("B"))
    store.commit(path, org)
    old = json.loads(path.read_text())["generation"]
    store.compact(path, org)
    data = json.loads(path.read_text())
    assert not store.log_path(path).exists()
    assert data["format_version"] == 2 and data["generation"] != old and sorted(data["objects"]) == ["term.a", "term.b"]
    store.compact(path, store.load(path))  # no log: nothing written
    assert json.loads(path.read_text())["generation"] == data["generation"]


def test_a_torn_last_line_was_never_committed_and_is_cut_by_the_next_commit(path: Path) -> None:
    org = store.load(path)
    org.put("term.b", _obj("B"))
    store.commit(path, org)
    with store.log_path(path).open("ab") as log:
        log.write(b'{"generation": "' + org.generation.encode() + b'", "ops": [["put", "term.x"')  # the crash
    again = store.load(path)
    assert sorted(again["objects"]) == ["term.a", "term.b"]
    again.put("term.c", _obj("C"))
    store.commit(path, again)
    assert b"term.x" not in store.log_path(path).read_bytes()
    assert sorted(store.load(path)["objects"]) == ["term.a", "term.b", "term.c"]


def test_a_log_left_beside_a_replaced_file_is_ignored(path: Path) -> None:
    org = store.load(path)
    org.put("term.b", _obj("B"))
    store.commit(path, org)
    replaced = {"format_version": 1, "objects": {"term.z": _obj("Z")}, "records": {}, "users": []}
    path.write_text(json.dumps(replaced))  # an org copied in by hand (format 1: no generation)
    assert sorted(store.load(path)["objects"]) == ["term.z"]


def test_a_damaged_committed_line_is_a_plain_error(path: Path) -> None:
    org = store.load(path)
    org.put("term.b", _obj("B"))
    store.commit(path, org)
    store.log_path(path).write_bytes(b"{not json\n")
    with pytest.raises(ProviderError, match=r"log .* is damaged"):
        store.load(path)


def test_a_file_replaced_under_the_lock_is_never_appended_to(path: Path) -> None:
    org = store.load(path)
    store.save(path, store.load(path))  # someone else wrote it meanwhile
    org.put("term.b", _obj("B"))
    with pytest.raises(ProviderError, match="was replaced"):
        store.commit(path, org)


def test_a_format_1_org_is_read_as_it_is_and_written_as_format_2(cli: CLI, tmp_path: Path) -> None:
    """demo/seed-org.json predates the log: used as the org of specs/ (as the demo does), it plans and
    applies as before, and the first write makes it format 2."""
    seed = json.loads((REPO / "demo" / "seed-org.json").read_text())
    assert seed["format_version"] == 1 and "generation" not in seed
    root = tmp_path / "specs"
    shutil.copytree(REPO / "specs", root, ignore=shutil.ignore_patterns(".crmconf"))
    path = root / ".crmconf" / "local-org.json"
    path.parent.mkdir()
    shutil.copyfile(REPO / "demo" / "seed-org.json", path)
    org = store.load(path)
    assert org["objects"] == seed["objects"] and org["records"] == seed["records"] and org.generation == ""
    planned = cli("plan", "-w", root, "--detailed-exitcode")
    assert planned.code == 2 and "to destroy" in planned.out, planned.err
    assert json.loads(path.read_text()) == seed  # a plan writes nothing
    applied = cli("apply", "-w", root, "--auto-approve", "--allow-destroy")
    assert applied.code == 0, applied.err
    data = json.loads(path.read_text())
    assert data["format_version"] == 2 and data["generation"] and not store.log_path(path).exists()
    assert "No changes." in cli("plan", "-w", root).out


def test_an_apply_commits_each_batch_to_the_log_and_leaves_one_whole_file(cli: CLI, workspace: Path) -> None:
    config = workspace / "crmconf.yaml"
    config.write_text(config.read_text().replace(
        "local: {provider: local}", "local: {provider: local, settings: {batch_size: 2}}"))
    path = workspace / ".crmconf" / "local-org.json"
    ran = cli("apply", "-w", workspace, "--auto-approve")
    assert ran.code == 0, ran.err
    data = json.loads(path.read_text())
    assert not store.log_path(path).exists()  # folded in at the end: the file is the whole org again
    assert len(data["objects"]) == 10 and data["state"]["managed"]
    assert cli("plan", "-w", workspace, "--detailed-exitcode").code == 0
