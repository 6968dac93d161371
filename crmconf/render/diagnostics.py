"""Diagnostics as text (with the source line and a caret), JSON, or GitHub annotations."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from crmconf.render.paint import paint
from crmconf.spec.diagnostics import Diagnostic, Severity, sort_key

LineOf = Callable[[Diagnostic], str]
FORMAT_VERSION = "1"
# A token pasted into crmconf.yaml is refused, but quoting its line would repeat it in CI logs:
# HubSpot private-app tokens, Salesforce session ids and bearer values are masked in quoted lines.
_SECRET = re.compile(
    r"\bpat-[a-z0-9]{2,4}-[A-Za-z0-9-]{6,}|\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{20,}|"
    r"(?<=Bearer )\S+",
    re.IGNORECASE,
)
# A provider-settings line (S210) is quoted without its value at all: a secret pasted there need not
# look like any known token to be one.
_SETTING_VALUE = re.compile(r"^(\s*-?\s*[^:#\s][^:#]*:\s*)\S.*$")


def text(diagnostics: Sequence[Diagnostic], line_of: LineOf, *, color: bool = False) -> str:
    out: list[str] = []
    for d in sorted(diagnostics, key=sort_key):
        out.extend(_text_one(d, line_of(d), color))
    return "\n".join(out)


def _paint(s: str, style: str, color: bool) -> str:
    return paint(s, style, color)


def _text_one(d: Diagnostic, source_line: str, color: bool) -> list[str]:
    sev = _paint(d.severity.value, "bold red" if d.is_error else "bold yellow", color)
    where = f"{d.location}: " if d.location else ""
    lines = [f"{where}{sev} {d.code}: {d.message}"]
    if d.location and source_line:
        gutter = str(d.location.line)
        shown = (
            _SETTING_VALUE.sub(r"\1***", source_line) if d.code == "S210" else _SECRET.sub("***", source_line)
        )
        lines.append(f"  {gutter} | {shown}")
        lines.append(f"  {' ' * len(gutter)} | {' ' * (d.location.column - 1)}{_paint('^', 'cyan', color)}")
    if d.hint:
        lines.append(f"  hint: {d.hint}")
    for rel in d.related:
        lines.append(f"  see also: {rel}")
    return lines


def summary(diagnostics: Sequence[Diagnostic], strict: bool) -> str:
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    if errors or (strict and warnings):
        return f"invalid: {errors} error(s), {warnings} warning(s)" + (
            " (--strict)" if strict and not errors else ""
        )
    return "valid" + (f" with {warnings} warning(s)" if warnings else "")


def as_json(diagnostics: Sequence[Diagnostic], *, valid: bool) -> str:
    payload = {
        "format_version": FORMAT_VERSION,
        "valid": valid,
        "diagnostics": [to_dict(d) for d in sorted(diagnostics, key=sort_key)],
    }
    return json.dumps(payload, indent=2)


def to_dict(d: Diagnostic) -> dict[str, object]:
    loc = d.location
    return {
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "file": loc.file if loc else None,
        "line": loc.line if loc else None,
        "column": loc.column if loc else None,
        "hint": d.hint,
        "related": [str(r) for r in d.related],
    }


def github(diagnostics: Sequence[Diagnostic], prefix: str = "") -> str:
    """GitHub Actions workflow commands; `prefix` is the workspace path relative to the repository."""
    out = []
    for d in sorted(diagnostics, key=sort_key):
        kind = "error" if d.severity is Severity.ERROR else "warning"
        message = d.message + (f" (hint: {d.hint})" if d.hint else "")
        props = [f"title={_escape_prop(d.code)}"]
        if d.location:
            file = f"{prefix.rstrip('/')}/{d.location.file}" if prefix and prefix != "." else d.location.file
            props = [
                f"file={_escape_prop(file)}",
                f"line={d.location.line}",
                f"col={d.location.column}",
                *props,
            ]
        out.append(f"::{kind} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(out)


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")
