"""Located, coded diagnostics: the currency of validate, plan warnings and audit findings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, order=True, slots=True)
class Location:
    file: str  # relative to the workspace, POSIX separators
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    location: Location | None = None
    hint: str | None = None
    related: tuple[Location, ...] = ()

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(code: str, message: str, location: Location | None = None, **kw: object) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, location, **kw)  # type: ignore[arg-type]


def warning(code: str, message: str, location: Location | None = None, **kw: object) -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, location, **kw)  # type: ignore[arg-type]


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    loc = d.location
    return (loc.file, loc.line, loc.column, d.code) if loc else ("", 0, 0, d.code)
