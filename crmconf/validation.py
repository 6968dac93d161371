"""Load plus checks: the one entry every command uses to get a valid Spec or located errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from crmconf.errors import SpecError
from crmconf.memory import no_cycle_collection
from crmconf.providers import spec_checks
from crmconf.spec.checks import run_checks
from crmconf.spec.diagnostics import Diagnostic
from crmconf.spec.model import Spec
from crmconf.spec.workspace import Sources, load_workspace


@dataclass(frozen=True)
class Validated:
    root: Path
    spec: Spec
    sources: Sources
    diagnostics: tuple[Diagnostic, ...]  # warnings only
    digest: str


def validate(root: Path, today: date) -> tuple[Validated | None, list[Diagnostic], Sources]:
    """(result, every diagnostic, sources); result is None when any error was found."""
    with no_cycle_collection():  # millions of objects for a large workspace, none of them cyclic
        workspace = load_workspace(root)
        diagnostics = list(workspace.diagnostics)
        if workspace.spec is not None:
            diagnostics.extend(run_checks(workspace.spec, workspace.sources, today))
            diagnostics.extend(spec_checks(workspace.spec, workspace.sources))
    if workspace.spec is None or any(d.is_error for d in diagnostics):
        return None, diagnostics, workspace.sources
    result = Validated(root, workspace.spec, workspace.sources, tuple(diagnostics), workspace.digest)
    return result, diagnostics, workspace.sources


def require_valid(root: Path, today: date) -> Validated:
    """For commands that need a valid spec (plan, apply, ...): raise SpecError otherwise."""
    result, diagnostics, sources = validate(root, today)
    if result is None:
        error = SpecError([d for d in diagnostics if d.is_error])
        error.sources = sources  # type: ignore[attr-defined]
        raise error
    return result
