"""`crmconf codeowners`: GitHub's native rule, for workspaces laid out one team per file, refused otherwise."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CLI
from tests.council.repo import SECTIONS, make_repo, write

REPO_ROOT = Path(__file__).resolve().parents[2]


def per_team(ws: Path) -> None:
    """The test workspace split so each file holds one team's items."""
    write(ws, {"version": 1, "policies": {"council": "revops"}}, {"teams": SECTIONS["teams"]})
    (ws / "sales.yaml").write_text(
        "terminology:\n  - {term: Deal, definition: A qualified opportunity., owners: [sales]}\n"
        "pipelines:\n  - name: nb\n    object: deal\n    label: NB\n    owners: [sales]\n    stages:\n"
        "      - {name: won, label: Won, probability: 100, outcome: won, owner_team: sales}\n"
        "      - {name: lost, label: Lost, probability: 0, outcome: lost}\n")
    (ws / "finance.yaml").write_text(
        "fields:\n  deal:\n    - {name: arr, label: ARR, type: currency, owners: [finance]}\n")
    (ws / "support.yaml").write_text(
        "terminology:\n  - {term: Ticket, definition: A customer's request., owners: [support]}\n")


def test_one_team_per_file_gives_codeowners(cli: CLI, tmp_path: Path) -> None:
    ws = make_repo(tmp_path)
    per_team(ws)
    ran = cli("codeowners", ws)
    assert ran.code == 0, ran.err
    assert ran.out.splitlines()[1:] == [
        "# revops", "/specs/crmconf.yaml @devon",
        "# finance", "/specs/finance.yaml @ana",
        "# sales", "/specs/sales.yaml @mlopez @tomas",
        "# support", "/specs/support.yaml @acme/support-leads",
        "# revops", "/specs/teams.yaml @devon",
    ]
    target = ws.parent / ".github" / "CODEOWNERS"
    target.parent.mkdir()
    assert cli("codeowners", ws, "--out", target).code == 0
    assert cli("codeowners", ws, "--check", target).code == 0
    (ws / "finance.yaml").write_text("fields:\n  deal:\n    - {name: arr, label: ARR, type: currency, owners: [sales]}\n")
    stale = cli("codeowners", ws, "--check", target)
    assert stale.code == 1 and "regenerate" in stale.err


def test_a_file_mixing_teams_is_refused_by_name(cli: CLI, tmp_path: Path) -> None:
    ws = make_repo(tmp_path)
    ran = cli("codeowners", ws)
    assert ran.code == 1
    assert "pipelines.yaml mixes the teams revops, sales" in ran.err and "crmconf signoff" in ran.err
    assert cli("codeowners", REPO_ROOT / "specs", "--prefix", "specs").code == 1  # the example mixes teams too


def test_outside_git_the_prefix_is_asked_for(cli: CLI, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    per_team(ws)
    assert "--prefix" in cli("codeowners", ws).err
    ran = cli("codeowners", ws, "--prefix", "crm/specs")
    assert ran.code == 0 and "/crm/specs/finance.yaml @ana\n" in ran.out
