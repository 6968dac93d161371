"""`crmconf review`: the YAML changes in exactly the date's bytes (or gains one line), and the log grows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from crmconf.spec.edit import EditError, set_date
from crmconf.spec.workspace import load_workspace
from tests.conftest import CLI

CONFIG = "version: 1\npolicies: {automation_review_every: 90d}\n"
BY = "jo@acme.example"

# Comments everywhere, anchors and aliases, a merge key, three- and five-space indentation, quoted
# scalars, a folded block, a flow mapping split over lines, trailing spaces and a blank line.
TRICKY = """\
# The automation inventory.<3 trailing spaces>
#   (kept by RevOps)

automations:
   -     name: proposal_follow_up        # five spaces after the dash
         description: 'Follow up three days after a proposal is sent'
         object: deal
         trigger: &on_proposal {stage_entered: new_business.proposal}
         actions:
           -   create_task:
                 subject: "Follow up: proposal"
                 due_in: 3d
         owner: &maria maria@acme.example    # the owner, anchored
         purpose: >-
           Keep proposals
           from going cold
         reviewed: "2026-10-01"    # quoted, with a comment
         review_every: 90d

   - {name: nudge, object: deal, trigger: *on_proposal,
      actions: [{create_task: {subject: Nudge}}], owner: *maria,
      reviewed: 2026-09-01}   # a flow mapping
   - &base
     name: router
     binds: {hubspot: "123"}
     owner: *maria
     purpose: Route leads
     reviewed: 2026-08-01
"""


def workspace_with(tmp_path: Path, automations: str, *, newline: str = "\n", bom: bool = False) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "crmconf.yaml").write_text(CONFIG)
    data = automations.replace("\n", newline).encode("utf-8")
    (root / "automations.yaml").write_bytes(b"\xef\xbb\xbf" + data if bom else data)
    return root


def reviewed_of(root: Path, name: str) -> date | None:
    ws = load_workspace(root)
    assert ws.spec is not None, [str(d) for d in ws.diagnostics]
    return next(a.reviewed for a in ws.spec.automations if a.name == name)


def test_only_the_date_changes_in_a_tricky_file(cli: CLI, tmp_path: Path) -> None:
    root = workspace_with(tmp_path, TRICKY)
    ran = cli("review", "proposal_follow_up", "--by", BY, "--on", "2026-11-20", "-w", root)
    assert ran.code == 0, ran.err
    after = (root / "automations.yaml").read_bytes()
    assert after == TRICKY.replace('"2026-10-01"', '"2026-11-20"').encode()
    assert "automations.yaml:17: set reviewed: 2026-11-20 for proposal_follow_up" in ran.err
    assert "next review due 2027-02-18" in ran.err

    for name, old in (("nudge", "2026-09-01"), ("router", "2026-08-01")):
        assert cli("review", name, "--by", BY, "--on", "2026-11-21", "-w", root).code == 0
        before, after = after, (root / "automations.yaml").read_bytes()
        assert after == before.replace(old.encode(), b"2026-11-21")
    assert [reviewed_of(root, n) for n in ("proposal_follow_up", "nudge", "router")] == [
        date(2026, 11, 20),
        date(2026, 11, 21),
        date(2026, 11, 21),
    ]


# (the automation `target` before, after): every way a date (or its absence) can be written.
FORMS = {
    "plain": ("    reviewed: 2026-01-01\n", "    reviewed: 2026-11-20\n"),
    "single-quoted": ("    reviewed: '2026-01-01'  # c\n", "    reviewed: '2026-11-20'  # c\n"),
    "double-quoted": ('    reviewed:    "2026-01-01"\n', '    reviewed:    "2026-11-20"\n'),
    "tagged": ("    reviewed: !!timestamp 2026-01-01\n", "    reviewed: !!timestamp 2026-11-20\n"),
    "anchored, unused": ("    reviewed: &d 2026-01-01\n", "    reviewed: &d 2026-11-20\n"),
    "empty": ("    reviewed:\n", "    reviewed: 2026-11-20\n"),
    "tilde": ("    reviewed: ~   # not yet\n", "    reviewed: 2026-11-20   # not yet\n"),
    "null": ("    reviewed: null\n", "    reviewed: 2026-11-20\n"),
    "missing": ("", "    reviewed: 2026-11-20\n"),
}


@pytest.mark.parametrize(("before", "after"), list(FORMS.values()), ids=list(FORMS))
def test_every_form_of_the_date(cli: CLI, tmp_path: Path, before: str, after: str) -> None:
    head = (
        "automations:\n  - name: target\n    object: deal\n    trigger: {record_created: {}}\n"
        "    actions: [{create_task: {subject: X}}]\n    owner: maria@acme.example\n"
    )
    tail = "    purpose: Something   # trailing comment\n  - name: other\n    binds: {hubspot: '1'}\n"
    root = workspace_with(tmp_path, head + before + tail)
    ran = cli("review", "target", "--by", BY, "--on", "2026-11-20", "-w", root)
    assert ran.code == 0, ran.err
    assert (root / "automations.yaml").read_text() == head + after + tail
    assert reviewed_of(root, "target") == date(2026, 11, 20)
    assert ("added reviewed:" in ran.err) is (before == "")


INSERTS = {
    "block, after owner": (
        "automations:\n  -   name: t\n      binds: {x: '1'}\n      owner: m@acme.example   # who\n"
        "      purpose: P\n",
        "automations:\n  -   name: t\n      binds: {x: '1'}\n      owner: m@acme.example   # who\n"
        "      reviewed: 2026-11-20\n      purpose: P\n",
    ),
    "block, no owner: after name": (
        "automations:\n- name: t\n  binds: {x: '1'}\n",
        "automations:\n- name: t\n  reviewed: 2026-11-20\n  binds: {x: '1'}\n",
    ),
    "flow": (
        "automations:\n  - {name: t, binds: {x: '1'}, owner: m@acme.example, purpose: P}\n",
        "automations:\n  - {name: t, binds: {x: '1'}, owner: m@acme.example, reviewed: 2026-11-20, "
        "purpose: P}\n",
    ),
    "flow, owner is an alias": (
        "automations:\n  - {name: a, binds: {x: '1'}, owner: &o m@acme.example, reviewed: 2026-01-01}\n"
        "  - {name: t, binds: {x: '2'}, owner: *o}\n",
        "automations:\n  - {name: a, binds: {x: '1'}, owner: &o m@acme.example, reviewed: 2026-01-01}\n"
        "  - {name: t, binds: {x: '2'}, owner: *o, reviewed: 2026-11-20}\n",
    ),
    "last line without a line break": (
        "automations:\n  - name: t\n    binds: {x: '1'}\n    owner: m@acme.example",
        "automations:\n  - name: t\n    binds: {x: '1'}\n    owner: m@acme.example\n    reviewed: 2026-11-20",
    ),
    "an alias replaced, its anchor kept for the others": (
        "automations:\n  - {name: a, binds: {x: '1'}, reviewed: &d 2026-01-01}\n"
        "  - {name: t, binds: {x: '2'}, reviewed: *d}\n",
        "automations:\n  - {name: a, binds: {x: '1'}, reviewed: &d 2026-01-01}\n"
        "  - {name: t, binds: {x: '2'}, reviewed: 2026-11-20}\n",
    ),
    "merge key: own value added, the base untouched": (
        "automations:\n  - &base {name: a, binds: {x: '1'}, owner: m@acme.example, reviewed: 2026-01-01}\n"
        "  - <<: *base\n    name: t\n",
        "automations:\n  - &base {name: a, binds: {x: '1'}, owner: m@acme.example, reviewed: 2026-01-01}\n"
        "  - <<: *base\n    name: t\n    reviewed: 2026-11-20\n",
    ),
}


@pytest.mark.parametrize(("before", "after"), list(INSERTS.values()), ids=list(INSERTS))
def test_layouts(cli: CLI, tmp_path: Path, before: str, after: str) -> None:
    root = workspace_with(tmp_path, before)
    ran = cli("review", "t", "--by", BY, "--on", "2026-11-20", "-w", root)
    assert ran.code == 0, ran.err
    assert (root / "automations.yaml").read_text() == after
    assert reviewed_of(root, "t") == date(2026, 11, 20)


@pytest.mark.parametrize("bom", [False, True], ids=["crlf", "crlf+bom"])
def test_windows_line_breaks_and_bom_are_kept(cli: CLI, tmp_path: Path, bom: bool) -> None:
    text = "automations:\n  - name: t\n    binds: {x: '1'}\n    owner: m@acme.example\n    purpose: P\n"
    root = workspace_with(tmp_path, text, newline="\r\n", bom=bom)
    assert cli("review", "t", "--by", BY, "--on", "2026-11-20", "-w", root).code == 0
    expected = text.replace("acme.example\n", "acme.example\n    reviewed: 2026-11-20\n").replace(
        "\n", "\r\n"
    )
    assert (root / "automations.yaml").read_bytes() == (b"\xef\xbb\xbf" if bom else b"") + expected.encode()


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        (
            "automations:\n  - {name: t, binds: {x: '1'}, reviewed: &d 2026-01-01}\n"
            "  - {name: u, binds: {x: '2'}, reviewed: *d}\n",
            "t",
            "shared through the anchor &d",
        ),
        (
            "automations:\n  - &base {name: t, binds: {x: '1'}, reviewed: 2026-01-01}\n"
            "  - <<: *base\n    name: u\n",
            "t",
            "would change other values too",
        ),
    ],
    ids=["shared-anchor", "merged-into-another"],
)
def test_unsafe_edits_are_refused_and_the_file_is_untouched(
    cli: CLI, tmp_path: Path, text: str, name: str, message: str
) -> None:
    root = workspace_with(tmp_path, text)
    ran = cli("review", name, "--by", BY, "--on", "2026-11-20", "-w", root)
    assert ran.code == 1 and message in ran.err, ran.err
    assert (root / "automations.yaml").read_text() == text
    assert not (root / "reviews.yaml").exists()


def test_the_editor_refuses_what_it_cannot_splice_exactly() -> None:
    block = "automations:\n  - name: t\n    reviewed: |\n      2026-01-01\n"
    with pytest.raises(EditError, match="not a plain date"):
        set_date(block, ("automations", 0), "reviewed", date(2026, 11, 20))
    with pytest.raises(EditError, match=r"cannot find automations\.3"):
        set_date(block, ("automations", 3), "reviewed", date(2026, 11, 20))
    with pytest.raises(EditError, match="not valid YAML"):
        set_date("a: [", ("a",), "reviewed", date(2026, 11, 20))


def test_the_review_history_is_kept_in_git_beside_the_automation(cli: CLI, tmp_path: Path) -> None:
    root = workspace_with(tmp_path, TRICKY)
    ran = cli("review", "nudge", "--by", BY, "--on", "2026-11-20", "--decision", "change", "--note",
              "checked the task text: say 'proposal'", "-w", root)
    assert ran.code == 0, ran.err
    assert "reviews.yaml:4: recorded the review (change)" in ran.err
    history = root / "reviews.yaml"
    # A person comments the history; the next review keeps the comment, the quotes and the entries.
    history.write_text(history.read_text().replace("reviews:\n", "reviews:  # newest last\n") +
                       "  # 2026-11-21: asked Jo about the nudge wording\n")
    before = history.read_text()
    assert cli("review", "router", "--by", "maria@acme.example", "-w", root).code == 0  # --on: today
    after = history.read_text()
    assert after.startswith(before.rstrip("\n").rsplit("\n", 1)[0])  # every earlier line unchanged
    assert "# newest last" in after and "# 2026-11-21: asked Jo about the nudge wording" in after
    ws = load_workspace(root)
    assert ws.spec is not None, [str(d) for d in ws.diagnostics]
    assert [(r.automation, r.by, r.on, r.decision, r.note) for r in ws.spec.reviews] == [
        ("nudge", BY, date(2026, 11, 20), "change", "checked the task text: say 'proposal'"),
        ("router", "maria@acme.example", date(2026, 11, 23), "keep", None),
    ]
    assert not (root / ".crmconf").exists()  # nothing in a git-ignored log


def test_the_history_goes_beside_the_automation_file(cli: CLI, tmp_path: Path) -> None:
    root = workspace_with(tmp_path, "automations: []\n")
    (root / "ops").mkdir()
    (root / "ops" / "routing.yaml").write_text(
        "automations:\n  - {name: router, binds: {x: '1'}, owner: m@acme.example, purpose: P}\n")
    assert cli("review", "router", "--by", BY, "--dir", root).code == 0
    assert (root / "ops" / "reviews.yaml").exists() and not (root / "reviews.yaml").exists()


def test_a_history_that_cannot_take_the_entry_leaves_everything_untouched(cli: CLI, tmp_path: Path) -> None:
    root = workspace_with(tmp_path, TRICKY)
    (root / "reviews.yaml").write_text("# odd\nreviews: {}\n")
    ran = cli("review", "nudge", "--by", BY, "--dir", root)
    assert ran.code == 1 and "reviews" in ran.err
    assert (root / "automations.yaml").read_text() == TRICKY


def test_a_review_clears_the_overdue_audit_finding(cli: CLI, workspace: Path) -> None:
    path = workspace / "automations.yaml"
    path.write_text(path.read_text().replace("reviewed: 2026-11-23", "reviewed: 2026-01-05"))
    assert cli("audit", workspace, "--offline").code == 3
    assert cli("review", "proposal_follow_up", "--by", BY, "-w", workspace).code == 0
    assert cli("audit", workspace, "--offline").code == 0
    assert "reviewed: 2026-11-23\n" in path.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["proposal_folow_up", "--by", BY], "no automation named 'proposal_folow_up'"),
        (["proposal_folow_up", "--by", BY], "did you mean 'proposal_follow_up'?"),
        (["proposal_follow_up", "--by", "jo"], "'jo' is not an e-mail address"),
        (["proposal_follow_up", "--by", BY, "--on", "2026-11-24"], "2026-11-24 is in the future"),
        (["proposal_follow_up", "--by", BY, "--on", "yesterday"], "--on"),
        (["proposal_follow_up"], "--by"),
    ],
    ids=["unknown", "did-you-mean", "bad-email", "future", "bad-date", "no-by"],
)
def test_errors_are_plain_messages(cli: CLI, workspace: Path, args: list[str], message: str) -> None:
    before = (workspace / "automations.yaml").read_bytes()
    ran = cli("review", *args, "-w", workspace)
    assert ran.code == 1 and message in ran.err, ran.err
    assert "Traceback" not in ran.err and (workspace / "automations.yaml").read_bytes() == before


def test_an_invalid_workspace_is_reported_not_edited(cli: CLI, workspace: Path) -> None:
    (workspace / "fields.yaml").write_text("fields: {deal: [{name: x}]}\n")
    ran = cli("review", "proposal_follow_up", "--by", BY, "-w", workspace)
    assert ran.code == 1 and "the workspace is invalid" in ran.err
