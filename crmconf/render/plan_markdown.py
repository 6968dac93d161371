"""A plan as a pull-request comment for the CRM council: summary first, details folded, never too long."""

from __future__ import annotations

from crmconf.engine.changes import Action, Change, Plan
from crmconf.engine.steps import Status
from crmconf.render.markdown_util import cell, code, fence
from crmconf.render.plan_text import change_lines, summary

LIMIT = 65_536  # GitHub's maximum comment length
MARKER = "<!-- crmconf-plan -->"


def _diff_lines(c: Change, effects: tuple[str, ...] = ()) -> list[str]:
    lines = [line.strip() for line in change_lines(c, effects=effects)]
    prefix = {Action.CREATE: "+", Action.DELETE: "-", Action.REPLACE: "-", Action.UPDATE: "!"}[c.action]
    return [
        f"{prefix} {lines[0]}",
        *(f"{' ' if c.action is Action.UPDATE else prefix}   {x}" for x in lines[1:]),
    ]


def render(plan: Plan, *, title: str | None = None) -> str:
    head = [
        MARKER,
        f"### {title or f'crmconf plan: `{plan.target}` ({plan.provider})'}",
        "",
        f"**{summary(plan)}**",
        "",
    ]
    destructive = [c for c in plan.changes if c.destructive]
    if destructive:
        head.append(
            f"> [!WARNING]\n> {len(destructive)} destructive change(s): applying needs `--allow-destroy`."
        )
        head.extend(f"> - {code(c.address)}: {cell(c.impact)}" for c in destructive)
        head.append("")
    signoff = plan.signoff()
    if signoff:
        head.append("needs sign-off from: " + ", ".join(f"**{t}**" for t in signoff))
        head.append("")
    tail = _tail(plan)
    body = [line for c in plan.changes for line in _diff_lines(c, plan.effects.get(c.address, ()))]
    return _fit(head, body, tail)


def _tail(plan: Plan) -> list[str]:
    tail: list[str] = []
    if plan.manual:
        states = {s.id: s for s in plan.steps}
        tail += [f"#### Manual steps ({len(plan.open_steps)} of {len(plan.manual)} open)", ""]
        for m in plan.manual:
            state = states.get(m.id)
            status = state.status if state else Status.OPEN
            mark = "[ ]" if status is Status.OPEN else "[x]"
            said = f" *{status.value}" + (f": {cell(state.detail)}*" if state and state.detail else "*")
            text = f": {cell(m.instructions)}" if status is Status.OPEN else ""
            tail.append(f"- {mark} **{cell(m.title)}** ({code(m.id)}){text}{said}")
        tail.append("")
    if plan.membership and plan.membership.forget:
        tail += ["#### Forgotten (stay in the CRM, no longer managed)", ""]
        tail += [f"- {code(a)}" for a in plan.membership.forget]
        tail.append("")
    unaccepted = plan.unaccepted
    if plan.unmanaged:
        accepted = len(plan.unmanaged) - len(unaccepted)
        tail += [
            f"#### Unmanaged ({len(unaccepted)}" + (f", {accepted} more accepted" if accepted else "") + ")",
            "",
        ]
        tail += [f"- {code(u.address)}" + (f" {cell(u.label)}" if u.label else "") for u in unaccepted[:50]]
        if len(unaccepted) > 50:
            tail.append(f"- … and {len(unaccepted) - 50} more")
        tail.append("")
    if plan.diagnostics:
        tail += ["#### Warnings and errors", ""]
        tail += [
            f"- {d.severity.value} `{d.code}`" + (f" {code(str(d.location))}" if d.location else "")
            + f": {cell(d.message)}"
            for d in plan.diagnostics
        ]
        tail.append("")
    return tail


def _fit(head: list[str], body: list[str], tail: list[str]) -> str:
    def build(lines: list[str], cut: int) -> str:
        block: list[str] = []
        if lines or cut:
            count = len(lines) + cut
            block = [
                f"<details><summary>Show the plan ({count} lines)</summary>",
                "",
                *fence(lines, "diff"),
            ]
            if cut:
                block.append(
                    f"\n*{cut} more line(s) were cut to fit GitHub's comment limit; run `crmconf plan` "
                    "for the whole plan.*"
                )
            block += ["", "</details>", ""]
        return "\n".join([*head, *block, *tail]).rstrip() + "\n"

    text = build(body, 0)
    if len(text) <= LIMIT:
        return text
    low, high = 0, len(body)
    while low < high:  # the most diff lines that still fit
        mid = (low + high + 1) // 2
        if len(build(body[:mid], len(body) - mid)) <= LIMIT:
            low = mid
        else:
            high = mid - 1
    text = build(body[:low], len(body) - low)
    if len(text) > LIMIT:  # the tail alone is too long: cut it as well, and say so
        notice = "\n\n*This comment was cut to fit GitHub's limit; run `crmconf plan` for the whole plan.*\n"
        text = text[: LIMIT - len(notice)] + notice
    return text
