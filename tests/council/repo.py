"""A git repository holding a small council workspace, for sign-off tests (base commit, then edits)."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@acme.example", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@acme.example", "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null"}

CONFIG = {"version": 1, "policies": {"council": "revops"}}
SECTIONS: dict[str, Any] = {
    "teams": [
        {"name": "revops", "members": [{"email": "devon@acme.example", "github": "devon"}]},
        {"name": "sales", "members": [{"email": "maria@acme.example", "github": "mlopez"},
                                      {"email": "tomas@acme.example", "github": "tomas"}]},
        {"name": "marketing", "members": [{"email": "lena@acme.example", "github": "lena"}]},
        {"name": "support", "github_teams": ["acme/support-leads"]},
        {"name": "finance", "members": [{"email": "ana@acme.example", "github": "ana"}]},
    ],
    "terminology": [
        {"term": "Deal", "definition": "A qualified revenue opportunity tracked in a pipeline.", "owners": ["sales"]},
        {"term": "MQL", "definition": "A lead marketing has qualified by engagement score.", "owners": ["marketing"]},
    ],
    "fields": {"deal": [
        {"name": "arr", "label": "ARR", "type": "currency", "owners": ["finance"]},
        {"name": "source", "label": "Source", "type": "text"},
    ]},
    "pipelines": [{
        "name": "new_business", "object": "deal", "label": "New Business", "owners": ["sales", "revops"],
        "stages": [
            {"name": "discovery", "label": "Discovery", "probability": 10},
            {"name": "won", "label": "Won", "probability": 100, "outcome": "won", "owner_team": "sales"},
            {"name": "lost", "label": "Lost", "probability": 0, "outcome": "lost"},
            {"name": "proposal", "label": "Proposal", "probability": 60},
        ],
    }],
    "automations": [{
        "name": "follow_up", "object": "deal", "trigger": {"stage_entered": "new_business.discovery"},
        "actions": [{"create_task": {"subject": "Call"}}], "owner": "maria@acme.example", "team": "sales",
        "purpose": "Keep deals moving", "reviewed": "2026-11-01",
    }],
    "permissions": [{"name": "sales_rep", "label": "Sales Rep", "owners": ["finance"],
                     "objects": {"deal": ["read", "edit"]}, "fields": {"deal.arr": "read"}}],
}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, env=GIT_ENV, check=True)
    return done.stdout.strip()


def write(ws: Path, config: dict[str, Any], sections: dict[str, Any]) -> None:
    yaml = YAML()
    ws.mkdir(parents=True, exist_ok=True)
    for old in ws.glob("*.yaml"):
        old.unlink()
    with (ws / "crmconf.yaml").open("w") as f:
        yaml.dump(config, f)
    for name, value in sections.items():
        with (ws / f"{name}.yaml").open("w") as f:
            yaml.dump({name: value}, f)


def make_repo(tmp: Path, config: dict[str, Any] | None = None, sections: dict[str, Any] | None = None) -> Path:
    """A repository whose one commit holds the workspace `specs/`; returns the workspace folder."""
    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    ws = repo / "specs"
    write(ws, config or CONFIG, sections or SECTIONS)
    commit(repo, "base")
    return ws


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def _step(data: Any, part: str) -> Any:
    return data[int(part)] if isinstance(data, list) else data[part]


def _edit(root: dict[str, Any], path: str, value: Any = None, *, delete: bool = False) -> None:
    parts = path.split(".")
    # Field references (deal.arr) are one key: join the tail when the mapping holds it whole.
    data = root
    i = 0
    while i < len(parts) - 1:
        if isinstance(data, dict) and ".".join(parts[i:]) in data:
            break
        data = _step(data, parts[i])
        i += 1
    key: Any = ".".join(parts[i:])
    if isinstance(data, list):
        key = int(key)
        if delete:
            del data[key]
        elif key == len(data):
            data.append(value)
        else:
            data[key] = value
    elif delete:
        del data[key]
    else:
        data[key] = value


def edited(case: dict[str, Any]) -> dict[str, Any]:
    tree = {"config": copy.deepcopy(CONFIG), **copy.deepcopy(SECTIONS)}
    for path, value in (case.get("set") or {}).items():
        _edit(tree, path, value)
    for path in case.get("delete") or []:
        _edit(tree, path, delete=True)
    return tree
