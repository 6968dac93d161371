"""The audit as CSV for spreadsheets: UTF-8 with a BOM and a header row, so Excel opens it cleanly."""

from __future__ import annotations

import csv
import io

from crmconf.audit.model import AuditReport
from crmconf.render.audit_cells import COLUMNS, cells

ENCODING = "utf-8-sig"  # the BOM is what makes Excel read UTF-8 instead of the local code page
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: str) -> str:
    """Neutralise formula injection: a spreadsheet would run `=HYPERLINK(...)` from a live automation name."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render(report: AuditReport) -> str:
    """The CSV text, without the BOM: `encode` adds it (so text and bytes cannot disagree)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow([header for _, header in COLUMNS])
    for row in report.rows:
        c = cells(row)
        writer.writerow([safe(c[key]) for key, _ in COLUMNS])
    return buffer.getvalue()


def encode(report: AuditReport) -> bytes:
    return render(report).encode(ENCODING)
