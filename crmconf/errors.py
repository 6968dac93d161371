"""The one error hierarchy; the CLI's single handler maps these to messages and exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmconf.spec.diagnostics import Diagnostic


class CrmconfError(Exception):
    """A user-facing error: printed as one plain message, exit code 1."""

    code = "E000"
    exit_code = 1


class UsageError(CrmconfError):
    code = "E001"


class SpecError(CrmconfError):
    """The workspace is invalid; carries every located diagnostic."""

    code = "E100"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__(f"{len(self.diagnostics)} error(s) in the workspace")


class ProviderError(CrmconfError):
    """A vendor refused or failed; `context` names what was being done (never secrets)."""

    code = "E300"

    def __init__(self, message: str, *, context: str = "", retryable: bool = False) -> None:
        self.context = context
        self.retryable = retryable
        super().__init__(f"{context}: {message}" if context else message)


class LimitExceededError(ProviderError):
    """The vendor's API limit stopped the run; the next plan resumes from live state."""

    code = "E301"


class AuthError(ProviderError):
    code = "E302"


class StalePlanError(CrmconfError):
    code = "E400"


class DestroyRefusedError(CrmconfError):
    code = "E401"


class LockedError(CrmconfError):
    code = "E402"


class UntrustedPlanError(CrmconfError):
    """A saved plan that another version made, someone edited, or another workspace produced."""

    code = "E404"
