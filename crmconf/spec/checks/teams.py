"""Teams are data: every owning team the spec names is declared in a `teams` section (G6xx).

A misspelt owner would otherwise exempt the misspelt team's real members from signing off, so an
unknown team is an error wherever it is written. `assign_round_robin.team` and `team:` assignees are
the CRM's own teams (who works a record), not sign-off teams, and are not checked here.
"""

from __future__ import annotations

from collections.abc import Iterator

from crmconf import address as addr
from crmconf.spec.checks.context import CheckContext
from crmconf.spec.diagnostics import Diagnostic, Location, error, warning
from crmconf.spec.model import Spec


def owner_references(spec: Spec) -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
    """(team, address of the item naming it, path inside the item): every owning team the spec names."""
    for term in spec.terminology:
        for i, team in enumerate(term.owners):
            yield team, addr.join("term", term.term.lower()), ("owners", i)
    for obj, fields in spec.fields.items():
        for f in fields:
            for i, team in enumerate(f.owners):
                yield team, addr.field(obj, f.name), ("owners", i)
    for p in spec.pipelines:
        for i, team in enumerate(p.owners):
            yield team, addr.pipeline(p.name), ("owners", i)
        for s in p.stages:
            if s.owner_team:
                yield s.owner_team, addr.stage(p.name, s.name), ("owner_team",)
    for a in spec.automations:
        if a.team:
            yield a.team, addr.automation(a.name), ("team",)
    for perm in spec.permissions:
        for i, team in enumerate(perm.owners):
            yield team, addr.permission(perm.name), ("owners", i)
    for a in spec.automations:  # a pilot's teams reach their members: they must be declared too
        for i, team in enumerate(a.pilot.teams if a.pilot else ()):
            yield team, addr.automation(a.name), ("pilot", "teams", i)


def check(ctx: CheckContext) -> Iterator[Diagnostic]:
    declared = [t.name for t in ctx.spec.teams]
    for team, address, path in owner_references(ctx.spec):
        if team not in declared:
            yield _unknown(ctx, team, ctx.at(address, *path), declared)
    council = ctx.spec.config.policies.council
    if council is not None and council not in declared:
        yield _unknown(ctx, council, _config_at(ctx, "policies", "council"), declared)
    for spec_team in ctx.spec.teams:
        if not spec_team.github_teams and not any(m.github for m in spec_team.members):
            yield warning(
                "G602",
                f"team {spec_team.name} has nobody who can sign off on GitHub (no member with `github:`, no "
                "`github_teams`)",
                ctx.at(addr.join("team", spec_team.name)),
                hint="add `github: <login>` to a member, or `github_teams: [<org>/<slug>]`",
            )


def _unknown(ctx: CheckContext, team: str, where: Location | None, declared: list[str]) -> Diagnostic:
    hint = ctx.suggest(team, declared) if declared else None
    return error(
        "G601",
        f"team {team!r} is not declared in a `teams` section",
        where,
        hint=hint or "declare it under `teams:` (name and members), so its sign-off can be checked",
    )


def _config_at(ctx: CheckContext, *path: str) -> Location | None:
    config = next((s for n, s in ctx.sources.files.items() if n in ("crmconf.yaml", "crmconf.yml")), None)
    return config.locate(tuple(path)) if config else None
