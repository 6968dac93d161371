"""Whether each party that must sign off has approved: reviews matched to team members. Pure.

Members come from the base revision (what was merged), never from the pull request under review, so a
pull request cannot add its author's friend to a team and have them approve. Only a team the base does
not have yet is read from the pull request; the council signs off its creation (crmconf.council.signoff).

A review counts as GitHub counts it: each reviewer's latest APPROVED or CHANGES_REQUESTED review decides
(COMMENTED changes nothing; a DISMISSED review is withdrawn). An approval given on an earlier commit still
counts when the workspace at that commit is the same as now (`current`), so a push that does not touch
the spec keeps its sign-offs, and one that does needs them again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from crmconf.council.signoff import Requirement, Signoff
from crmconf.spec.model import Spec, TeamSpec

DECIDING = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


@dataclass(frozen=True)
class Review:
    login: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED (GitHub's spelling)
    commit_id: str


class State(StrEnum):
    APPROVED = "approved"
    WAITING = "waiting"
    CHANGES_REQUESTED = "changes-requested"
    NOBODY = "nobody-can-approve"


@dataclass(frozen=True)
class Directory:
    """Teams as the check trusts them: the base's, plus teams only the head has."""

    teams: Mapping[str, TeamSpec]
    from_head: frozenset[str]  # teams read from the pull request, because the base lacks them
    council: str | None

    @classmethod
    def build(cls, base: Spec | None, head: Spec) -> Directory:
        trusted = {t.name: t for t in base.teams} if base is not None else {}
        extra = {t.name: t for t in head.teams if t.name not in trusted}
        council = base.config.policies.council if base is not None else head.config.policies.council
        return cls({**trusted, **extra}, frozenset(extra), council)

    def github_teams(self, party: str) -> tuple[str, ...]:
        team = self.teams.get(party)
        return team.github_teams if team is not None else ()

    def logins(self, party: str) -> frozenset[str]:
        """GitHub logins (lower case) that are members by name; GitHub teams are resolved apart."""
        team = self.teams.get(party)
        if team is not None:
            return frozenset(m.github.lower() for m in team.members if m.github)
        return frozenset(  # a person: their login wherever a team lists their e-mail
            m.github.lower()
            for t in self.teams.values()
            for m in t.members
            if m.email and m.github and m.email.lower() == party.lower()
        )


@dataclass(frozen=True)
class PartyStatus:
    requirement: Requirement
    state: State
    approved_by: tuple[str, ...] = ()
    objected_by: tuple[str, ...] = ()
    stand_in: str | None = None  # the council, approving for an owner who cannot (left, no login)


@dataclass(frozen=True)
class Outcome:
    parties: tuple[PartyStatus, ...]

    @property
    def state(self) -> State:
        states = {p.state for p in self.parties}
        for worst in (State.CHANGES_REQUESTED, State.NOBODY, State.WAITING):
            if worst in states:
                return worst
        return State.APPROVED

    @property
    def passed(self) -> bool:
        return self.state is State.APPROVED

    def summary(self) -> str:
        """One line, at most 140 characters (GitHub's limit for a commit status description)."""
        if not self.parties:
            return "no sign-off needed"
        done = sum(p.state is State.APPROVED for p in self.parties)
        waiting = [p.requirement.party for p in self.parties if p.state is not State.APPROVED]
        text = f"{done} of {len(self.parties)} signed off"
        if waiting:
            text += "; waiting for " + ", ".join(waiting)
        return text if len(text) <= 140 else text[:139] + "…"


def latest_decisions(reviews: list[Review]) -> dict[str, Review]:
    """Each reviewer's deciding review (reviews come oldest first, as GitHub lists them)."""
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state in DECIDING:
            latest[review.login.lower()] = review
    return {login: r for login, r in latest.items() if r.state != "DISMISSED"}


def evaluate(
    signoff: Signoff,
    directory: Directory,
    reviews: list[Review],
    *,
    team_members: Mapping[str, frozenset[str]],
    author: str,
    current: Callable[[str], bool],
) -> Outcome:
    """`team_members`: GitHub team (`org/slug`) -> member logins, lower case."""
    decisions = latest_decisions(reviews)
    approving = {login for login, r in decisions.items() if r.state == "APPROVED" and current(r.commit_id)}
    approving.discard(author.lower())  # GitHub refuses it anyway; never let it count
    objecting = {login for login, r in decisions.items() if r.state == "CHANGES_REQUESTED"}

    def members(party: str) -> frozenset[str]:
        found = set(directory.logins(party))
        for slug in directory.github_teams(party):
            found |= team_members.get(slug, frozenset())
        return frozenset(found)

    statuses = []
    for requirement in signoff.requirements:
        who = members(requirement.party)
        status = _status(requirement, who, approving, objecting)
        council = directory.council
        if status.state is not State.APPROVED and requirement.kind == "person" and council:
            # An owner who left (or has no login) cannot approve: the council signs off in their place.
            stand = members(council) & approving
            if stand:
                status = PartyStatus(requirement, State.APPROVED, tuple(sorted(stand)), stand_in=council)
        statuses.append(status)
    return Outcome(tuple(statuses))


def _status(
    requirement: Requirement, who: frozenset[str], approving: set[str], objecting: set[str]
) -> PartyStatus:
    objected = tuple(sorted(who & objecting))
    approved = tuple(sorted(who & approving))
    if objected:
        return PartyStatus(requirement, State.CHANGES_REQUESTED, approved, objected)
    if approved:
        return PartyStatus(requirement, State.APPROVED, approved)
    if not who:
        return PartyStatus(requirement, State.NOBODY)
    return PartyStatus(requirement, State.WAITING)
