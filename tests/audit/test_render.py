"""Every audit format from one report holding every verdict and hostile text (formulas, markup, pipes)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from crmconf.audit.model import AuditReport, AuditRow, LiveStatus, Verdict
from crmconf.render import audit_csv, audit_html, audit_json, audit_markdown, audit_text
from crmconf.spec.diagnostics import Location
from tests.audit.htmlcheck import check

HOSTILE = '=HYPERLINK("http://evil.example/x","click")'


def row(name: str, verdicts: tuple[Verdict, ...], **kw: object) -> AuditRow:
    base: dict[str, object] = dict(
        name=name,
        kind="compiled",
        object="deal",
        owner="maria@acme.example",
        owner_active=True,
        team="sales",
        purpose="Keep proposals warm",
        reviewed=date(2026, 11, 1),
        next_review=date(2027, 1, 30),
        live_address=f"automation.{name}",
        live_status=LiveStatus.ACTIVE,
        updated_at=datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
        updated_by="maria",
        verdicts=verdicts,
        source=Location("automations.yaml", 3, 5),
    )
    return AuditRow(**{**base, **kw})  # type: ignore[arg-type]


REPORT = AuditReport(
    as_of=date(2026, 11, 23),
    offline=False,
    target="local",
    provider="local",
    review_due_soon_days=14,
    fail_on=(Verdict.OVERDUE, Verdict.UNOWNED, Verdict.ORPHAN, Verdict.MISSING, Verdict.CHANGED),
    users_known=True,
    rows=(
        row("fine", (Verdict.OK,)),
        row("soon", (Verdict.DUE_SOON,), next_review=date(2026, 12, 1)),
        row(
            "late",
            (Verdict.UNOWNED, Verdict.CHANGED, Verdict.OVERDUE),
            owner_active=False,
            purpose="-1+2 <b>bold</b> | piped\nsecond line",
            updated_by="@devon",
        ),
        row("gone", (Verdict.MISSING,), live_status=LiveStatus.ABSENT, updated_at=None, updated_by=None),
        row(
            f"automation.{HOSTILE}",
            (Verdict.ORPHAN,),
            kind="unmanaged",
            owner=None,
            owner_active=None,
            team=None,
            purpose=None,
            reviewed=None,
            next_review=None,
            source=None,
            object=None,
        ),
        row("+cmd", (Verdict.OK,), purpose="é ü 日本 — unicode"),
    ),
)


def test_text_has_the_summary_on_top_and_a_line_per_row() -> None:
    text = audit_text.render(REPORT)
    lines = text.splitlines()
    assert lines[0] == "crmconf automation audit: target local (local), as of 2026-11-23"
    assert lines[1] == (
        "6 automation(s): 1 orphan, 1 missing, 1 unowned, 1 changed-since-review, 1 overdue, 1 due-soon, 2 ok"
    )
    assert lines[-1].startswith("FAIL: 3 automation(s)")
    late = next(x for x in lines if " late " in x)
    assert late.startswith("unowned, changed-since-review, overdue") and "2026-10-01 by @devon" in late
    assert "\x1b[" not in text and "\x1b[31m" in audit_text.render(REPORT, color=True)


def test_csv_reads_back_with_a_bom_and_no_formulas() -> None:
    data = audit_csv.encode(REPORT)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["Automation"] for r in table] == [
        "fine",
        "soon",
        "late",
        "gone",
        f"automation.{HOSTILE}",
        "'+cmd",
    ]
    late = table[2]
    assert late["Verdicts"] == "unowned, changed-since-review, overdue"
    assert late["Purpose"] == "'-1+2 <b>bold</b> | piped\nsecond line"  # quoted, newline kept inside the cell
    assert late["Modified by"] == "'@devon" and late["Owner active"] == "no"
    assert table[3]["Live status"] == "absent" and table[3]["Last modified"] == ""
    assert table[5]["Purpose"] == "é ü 日本 — unicode"
    for record in table:
        for value in record.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_csv_header_row_and_empty_report() -> None:
    empty = AuditReport(REPORT.as_of, True, None, None, 14, REPORT.fail_on, (), False)
    rows = list(csv.reader(io.StringIO(audit_csv.encode(empty).decode("utf-8-sig"))))
    assert rows == [
        [
            "Automation",
            "Kind",
            "Object",
            "Owner",
            "Owner active",
            "Team",
            "Purpose",
            "Last reviewed",
            "Next review",
            "Live status",
            "Last modified",
            "Modified by",
            "Runs",
            "Last decision",
            "Verdicts",
            "Source",
        ]
    ]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_neutralises_every_formula_start(value: str) -> None:
    assert audit_csv.safe(value) == "'" + value
    assert audit_csv.safe("plain -1") == "plain -1"


def test_json_is_versioned_and_complete() -> None:
    data = json.loads(audit_json.render(REPORT))
    assert data["format_version"] == 1 and data["failed"] is True and data["as_of"] == "2026-11-23"
    assert data["summary"] == {
        "automations": 6,
        "orphan": 1,
        "missing": 1,
        "unowned": 1,
        "failing": 0,
        "changed-since-review": 1,
        "unused": 0,
        "overdue": 1,
        "due-soon": 1,
        "ok": 2,
    }
    late = next(r for r in data["rows"] if r["name"] == "late")
    assert late["verdicts"] == ["unowned", "changed-since-review", "overdue"]
    assert late["owner_active"] is False and late["updated_at"] == "2026-10-01T09:00:00+00:00"
    assert late["source"] == "automations.yaml:3:5"
    gone = next(r for r in data["rows"] if r["name"] == "gone")
    assert gone["updated_at"] is None and gone["live_status"] == "absent"


def test_markdown_escapes_table_cells() -> None:
    md = audit_markdown.render(REPORT)
    assert md.index("| Verdict | Automations | Fails the audit |") < md.index("| Automation | Kind |")
    late = next(x for x in md.splitlines() if x.startswith("| **late**"))
    assert "\\| piped second line" in late and "&lt;b&gt;bold&lt;/b&gt;" in late
    assert late.count(" | ") == 15  # 16 columns: no cell split by the hostile pipe
    assert "| due-soon | 1 | no |" in md and "| orphan | 1 | yes |" in md


def test_html_is_one_well_formed_self_contained_file() -> None:
    html = audit_html.render(REPORT)
    parsed = check(html)
    assert parsed.tags.count("svg") == 1 and parsed.tags.count("rect") == len(Verdict)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "automation.=HYPERLINK(&quot;" in html  # escaped text; the checker saw no link in the markup
    assert "Content-Security-Policy" in html


def test_html_groups_every_column_into_six_verdicts_second() -> None:
    """Every value of the other formats is in the HTML, grouped so the table fits 1,280 px and prints."""
    from crmconf.render.audit_cells import COLUMNS

    grouped = [k for _, _, keys in audit_html.GROUPS for k in keys]
    assert sorted(grouped) == sorted(k for k, _ in COLUMNS) and len(grouped) == len(set(grouped))
    assert [h for _, h, _ in audit_html.GROUPS][:2] == ["Automation", "Verdicts"]
    html = audit_html.render(REPORT)
    head = html[html.index('<table class="rows">'):]
    head = head[: head.index("</thead>")]
    assert head.count("<th>") == 6 and head.count("<col ") == 6
    assert "table-layout: fixed" in html and "@media print" in html and "size: A4 landscape" in html


def test_html_bars_scale_with_the_counts() -> None:
    html = audit_html.render(REPORT)
    widths = {}
    for verdict in Verdict:
        segment = html[html.index(f">{verdict.value}</text>") :]
        widths[verdict] = int(segment.split('width="', 1)[1].split('"', 1)[0])
    assert widths[Verdict.OK] == 360 and widths[Verdict.ORPHAN] == 180


def test_run_counts_and_the_last_decision_are_shown() -> None:
    rows = (
        row("idle", (Verdict.UNUSED,), runs=0, failed_runs=0, last_review=("jo@acme.example", "retire", "not used")),
        row("broken", (Verdict.FAILING,), runs=20, failed_runs=5),
    )
    report = AuditReport(REPORT.as_of, False, "local", "local", 14, (Verdict.UNUSED, Verdict.FAILING), rows, True)
    data = json.loads(audit_json.render(report))
    assert [(r["runs"], r["failed_runs"]) for r in data["rows"]] == [(0, 0), (20, 5)]
    assert data["rows"][0]["last_review"] == {"by": "jo@acme.example", "decision": "retire", "note": "not used"}
    markdown = audit_markdown.render(report)
    assert "| 20 (5 failed) |" in markdown and "retire (jo@acme.example): not used" in markdown
