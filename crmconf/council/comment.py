"""The sticky pull-request comment of the Action, and reports cut to fit GitHub's body limit.

One comment per workspace and target: its first line is a hidden marker naming both, so a repository
that plans two targets (or two workspaces) keeps two comments, each edited in place on every push. The
comment is always brought up to date: with the plan when there is one, and with the failure when a step
failed (a stale plan left above a red check would tell the council the opposite of the truth).

Pure functions build the body; `post` is the only I/O, through crmconf.council.github.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crmconf.council.github import GitHubClient
from crmconf.render.markdown_util import cell, code, fence

LIMIT = 65_536  # GitHub's maximum body of an issue, pull request or comment, in characters


@dataclass(frozen=True)
class Failure:
    step: str  # what failed, in words ("validate", "plan")
    log: str  # what it said (stderr and stdout), already free of secrets (crmconf masks its own output)


def marker(key: str) -> str:
    """The hidden first line that names whose comment this is; `key` is `workspace@target`."""
    return f"<!-- crmconf-plan: {cell(key)} -->"


def fit(text: str, *, limit: int = LIMIT, link: str = "", what: str = "report") -> str:
    """`text` whole when it fits; otherwise cut at a line boundary, with a note saying where the rest is."""
    if len(text) <= limit:
        return text
    where = f" The whole {what}: [{cell(link)}]({link})." if link.startswith("https://") else ""
    note = f"\n\n*The {what} was cut here to fit GitHub's {limit:,}-character limit.{where}*\n"
    room = max(limit - len(note) - 4, 0)  # 4: a closing fence, if the cut falls inside a code block
    cut = text[:room]
    if "\n" in cut:
        cut = cut[: cut.rindex("\n")]
    if cut.count("```") % 2:  # never leave a code block open: the note would render as code
        cut += "\n```"
    return cut + note


def body(key: str, plan: str, failures: Sequence[Failure], *, run_url: str = "") -> str:
    """The comment: the failures first (each with the end of its log), then the plan when there is one."""
    parts = [marker(key)]
    for failure in failures:
        log = failure.log.strip().splitlines()[-60:]  # the end is where the reason is
        parts += [
            f"### :x: crmconf {cell(failure.step)} failed for {code(key)}",
            "",
            *fence(log or ["(it printed nothing)"], "text"),
            "",
        ]
        if run_url.startswith("https://"):
            parts += [f"The whole log: [the workflow run]({run_url}).", ""]
    if failures and plan:
        parts += ["The plan below is from this run, before the failure.", ""]
    if plan:
        parts.append(plan.replace("<!-- crmconf-plan -->\n", "", 1))
    elif not failures:
        parts.append(f"crmconf made no plan for {code(key)}.")
    return fit("\n".join(parts).rstrip() + "\n", what="plan")


def post(client: GitHubClient, number: int, key: str, text: str) -> str:
    """Edit this key's comment in place, or create it; returns its URL. Only a bot's comment is ours:
    a person quoting the marker keeps their comment."""
    mark = marker(key)
    return client.upsert_comment(number, lambda c: c.bot and c.body.startswith(mark), text)
