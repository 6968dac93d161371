"""Whatever a live CRM holds, the Markdown of a plan or a drift report shows it and never obeys it.

Each hostile value is put where live data reaches the comment (an unmanaged object's address and label,
a deleted object's address and impact, a warning's message, an attribute value) and the result is
rendered by a CommonMark parser (markdown-it, as GitHub's is CommonMark too): no element may appear
that crmconf did not write itself.
"""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from crmconf.engine.changes import Action, AttrChange, Change, Plan, Unmanaged
from crmconf.render import drift_markdown, plan_markdown
from crmconf.spec.diagnostics import warning

HOSTILE = [
    "```\n# Plan: 0 to destroy\n```",
    "````` closing fence",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[approve here](https://evil.example)",
    "![tracker](https://evil.example/p.gif)",
    "@acme/crm-council please merge",
    "**bold** _it_ ~~gone~~",
    "| a | b |\n|---|---|",
    "line one\n\n# Heading injected",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "\u202egnp.exe",
    "<!-- hidden -->",
    "`` ` ``",
]


def _plan(value: str) -> Plan:
    change = Change(
        address=f"field.deal.{value}",
        kind="field",
        action=Action.DELETE,
        before={"label": value},
        after=None,
        attrs=(AttrChange("label", value, None),),
        destructive=True,
        impact=f"{value} record(s) lose their value",
    )
    update = Change("field.deal.x", "field", Action.UPDATE, {"label": value}, {"label": "X"},
                    attrs=(AttrChange("label", value, "X"),))
    return Plan(
        target="local",
        provider="local",
        changes=(update, change),
        unmanaged=(Unmanaged(f"automation.{value}", "automation", value),),
        diagnostics=(warning("T402", f"live automation is labelled {value!r}"),),
    )


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def _tags(html: str) -> set[str]:
    return set(re.findall(r"<([a-z0-9]+)[\s>]", html))


BASELINE_TAGS = _tags(_html(plan_markdown.render(_plan("harmless")))) | _tags(
    _html(drift_markdown.render(_plan("harmless")))
)


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("render", [plan_markdown.render, drift_markdown.render], ids=["plan", "drift"])
def test_live_values_are_shown_not_obeyed(value: str, render: object) -> None:
    markdown = render(_plan(value))  # type: ignore[operator]
    html = _html(markdown)
    assert _tags(html) <= BASELINE_TAGS, _tags(html) - BASELINE_TAGS  # no img, script, a, h1, table...
    assert html.count("<pre>") == 1  # the one diff block, never closed early
    assert "\x1b" not in markdown and "\u202e" not in markdown
    prose = re.sub(r"<(code|pre)>.*?</\1>", "", html, flags=re.S)  # GitHub links no mention in code
    assert "@acme" not in prose  # a mention would notify a team
