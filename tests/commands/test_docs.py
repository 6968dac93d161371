"""`crmconf docs`: a Markdown handbook with a Mermaid map per pipeline, and one self-contained HTML page."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from crmconf.docs.build import build, flow
from crmconf.docs.layout import layout
from crmconf.render.docs_markdown import mermaid_text
from crmconf.validation import require_valid
from tests.audit.htmlcheck import check
from tests.conftest import CLI

TODAY = date(2026, 11, 23)
EXAMPLE = Path(__file__).resolve().parents[2] / "specs"

TRICKY_PIPELINE = """\
pipelines:
  - name: new_business
    object: deal
    label: New Business
    owners: [sales]
    stages:
      - {name: discovery, label: Discovery, probability: 10, owner_team: sales,
         exit_criteria: "Budget, authority, need and timeline confirmed", require: [amount, lead_source]}
      - {name: proposal, label: Proposal Sent, probability: 60, require: [amount, close_date]}
      - {name: closed_won, label: Closed Won, probability: 100, outcome: won}
      - {name: closed_lost, label: Closed Lost, probability: 0, outcome: lost}
  - name: partners
    object: ticket
    label: 'Partner "deals" [beta] <script>alert(1)</script> #1 | A&B'
    stages:
      - {name: sourced, label: 'Sourced (by "partner")'}
      - {name: done, label: 'Done {ok}', outcome: closed}
"""


@pytest.fixture
def handbook(cli: CLI, workspace: Path, tmp_path: Path) -> Path:
    (workspace / "pipelines.yaml").write_text(TRICKY_PIPELINE)
    out = tmp_path / "out"
    ran = cli("docs", workspace, "--out", out)
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == [str(out / "crm-handbook.md"), str(out / "crm-handbook.html")]
    return out


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", markdown, re.S)


def test_markdown_has_every_section_and_a_mermaid_block_per_pipeline(handbook: Path) -> None:
    md = (handbook / "crm-handbook.md").read_text(encoding="utf-8")
    blocks = mermaid_blocks(md)
    assert len(blocks) == 2 and all(b.startswith("flowchart LR\n") for b in blocks)
    assert (
        "| **Deal** | A qualified revenue opportunity tracked in a pipeline. | sales | Opportunity, Opp |"
        in md
    )
    assert (
        "| 1 | Discovery | 10% | Amount, Lead Source | Budget, authority, need and timeline confirmed "
        "| sales |" in md
    )
    assert "| 3 | Closed Won (won) | 100% |" in md
    assert "| **proposal_follow_up** | deal | enters stage new_business.proposal → create task" in md
    assert md.index("## Terminology") < md.index("## Process maps") < md.index("## Automation inventory")


def test_mermaid_is_valid_and_escaped(handbook: Path) -> None:
    first, second = mermaid_blocks((handbook / "crm-handbook.md").read_text(encoding="utf-8"))
    assert first.splitlines()[1:] == [
        '    s0["Discovery<br/>10% · sales"]',
        '    s1["Proposal Sent<br/>60%"]',
        '    s2(["Closed Won<br/>100%"])',
        '    s3(["Closed Lost<br/>0%"])',
        "    s0 --> s1",
        "    s1 --> s2",
        "    s1 --> s3",
        "    classDef lost fill:#ffe3e3,stroke:#c92a2a",
        "    classDef won fill:#d3f9d8,stroke:#2b8a3e",
        "    class s3 lost",
        "    class s2 won",
    ]
    assert '    s0["Sourced #40;by #34;partner#34;#41;"]' in second
    assert '    s1(["Done #123;ok#125;"])' in second
    for line in [*first.splitlines(), *second.splitlines()][1:]:
        labels = re.findall(r'"(.*?)"', line)
        assert all('"' not in x and "[" not in x and "]" not in x for x in labels)
        assert line.count('"') in (0, 2)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ('say "hi"', "say #34;hi#34;"),
        ("[x] (y) {z}", "#91;x#93; #40;y#41; #123;z#125;"),
        ("#1 & <b> | `c`", "#35;1 #38; #60;b#62; #124; #96;c#96;"),
        ("two\nlines", "two lines"),
    ],
)
def test_mermaid_text(raw: str, escaped: str) -> None:
    assert mermaid_text(raw) == escaped


def test_html_is_well_formed_self_contained_with_one_svg_per_pipeline(handbook: Path) -> None:
    html = (handbook / "crm-handbook.html").read_text(encoding="utf-8")
    parsed = check(html)
    assert html.count("<svg") == 2 and parsed.tags.count("svg") == 2
    assert parsed.tags.count("rect") == 6 and parsed.tags.count("polygon") == 4  # 6 stages, 4 arrows
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Partner &quot;deals&quot; [beta]" in html


def test_the_example_workspace(cli: CLI, tmp_path: Path) -> None:
    root = tmp_path / "specs"
    shutil.copytree(EXAMPLE, root)
    out = tmp_path / "handbook"
    assert cli("docs", "-w", root, "--out", out).code == 0
    ws = require_valid(root, TODAY)
    html = (out / "crm-handbook.html").read_text(encoding="utf-8")
    check(html)
    assert html.count("<svg") == len(ws.spec.pipelines)
    assert len(mermaid_blocks((out / "crm-handbook.md").read_text(encoding="utf-8"))) == len(
        ws.spec.pipelines
    )


def test_layout_ends_the_main_line_won_and_branches_lost_below(cli: CLI, workspace: Path) -> None:
    (workspace / "pipelines.yaml").write_text(TRICKY_PIPELINE)
    process = build(require_valid(workspace, TODAY).spec, TODAY).processes[0]
    diagram = layout(process)
    discovery, proposal, won, lost = diagram.boxes
    assert discovery.y == proposal.y == won.y and discovery.x < proposal.x < won.x == lost.x and won.y < lost.y
    for arrow in diagram.arrows:
        xs = [x for x, _ in arrow.points]
        assert min(xs) >= 0 and max(xs) <= diagram.width
    assert max(b.x + b.w for b in diagram.boxes) <= diagram.width
    assert max(b.y + b.h for b in diagram.boxes) <= diagram.height
    assert [(e.source, e.target, e.kind) for e in flow(process.stages)] == [
        (0, 1, "next"), (1, 2, "outcome"), (1, 3, "outcome")]


def test_errors(cli: CLI, workspace: Path, tmp_path: Path) -> None:
    assert cli("docs", workspace).code == 1  # --out is required
    blocker = tmp_path / "file"
    blocker.write_text("")
    ran = cli("docs", workspace, "--out", blocker / "sub")
    assert ran.code == 1 and "cannot write the handbook" in ran.err
    (workspace / "fields.yaml").write_text("fields: {deal: [{name: x}]}\n")
    assert cli("docs", workspace, "--out", tmp_path / "o").code == 1
