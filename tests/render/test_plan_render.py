"""Plan renderers: Terraform-style text, colour rules, and the Markdown comment's length cap."""

from __future__ import annotations

import json

import pytest

from crmconf.engine.changes import Action, AttrChange, Change, Plan
from crmconf.errors import UsageError
from crmconf.render import plan_json, plan_markdown, plan_text


def change(i: int, action: Action = Action.UPDATE, owners: tuple[str, ...] = ("sales",)) -> Change:
    return Change(
        address=f"field.deal.f_{i}",
        kind="field",
        action=action,
        before={"label": "Old"},
        after={"label": "New"},
        attrs=(AttrChange("label", "Old " * 20, "New " * 20),),
        owners=owners,
    )


def plan(changes: list[Change]) -> Plan:
    return Plan(target="local", provider="local", changes=tuple(changes))


def test_text_uses_terraform_symbols_and_summary() -> None:
    p = plan([change(1, Action.CREATE), change(2), change(3, Action.DELETE), change(4, Action.REPLACE)])
    text = plan_text.render(p)
    for symbol, address in (("+", 1), ("~", 2), ("-", 3), ("-/+", 4)):
        assert f"  {symbol} field.deal.f_{address}" in text
    assert text.endswith("Plan: 2 to add, 1 to change, 2 to destroy.")
    assert "\x1b[" not in text
    assert "\x1b[33m~ field.deal.f_2" in plan_text.render(p, color=True)


def test_list_changes_say_what_was_added_and_removed() -> None:
    assert plan_text.list_change(["a", "b"], ["b", "c"]) == "+ c; - a"
    assert plan_text.list_change(["a", "b"], ["b", "a"]) == "reordered to b, a"


def test_markdown_keeps_summary_outside_details_and_signoff() -> None:
    md = plan_markdown.render(plan([change(1, owners=("sales", "revops"))]))
    assert md.index("**Plan: 0 to add, 1 to change, 0 to destroy.**") < md.index("<details>")
    assert "needs sign-off from: **revops**, **sales**" in md
    assert "```diff" in md


def test_markdown_is_cut_to_githubs_limit_with_a_notice() -> None:
    md = plan_markdown.render(plan([change(i) for i in range(3000)]))
    assert len(md) <= plan_markdown.LIMIT
    assert "were cut to fit GitHub's comment limit" in md
    assert md.count("```") == 2  # the diff block is still closed


def test_a_long_unmanaged_list_is_cut_in_text() -> None:
    from crmconf.engine.changes import Unmanaged

    p = Plan(
        target="t",
        provider="p",
        changes=(),
        unmanaged=tuple(Unmanaged(f"field.deal.u{i}", "field", "") for i in range(120)),
    )
    text = plan_text.render(p)
    assert text.count("  ? field.deal.u") == plan_text.UNMANAGED_SHOWN
    assert "... and 70 more (all of them: --format json)" in text


def test_json_is_strict_json_and_refuses_a_live_number_that_is_not_finite() -> None:
    data = json.loads(plan_json.render(plan([change(1)])))  # parses: a script can read it
    assert data["changes"][0]["actions"] == ["update"]
    odd = Change(address="pipeline.p.stage.s", kind="stage", action=Action.UPDATE, before={"probability": float("nan")},
                 after={"probability": 10}, attrs=(AttrChange("probability", float("nan"), 10),))
    with pytest.raises(UsageError, match="not a finite number"):
        plan_json.render(plan([odd]))
