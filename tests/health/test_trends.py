"""How long a figure has been below target, and when it escalates, from the history (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crmconf.health.history import Past, Run
from crmconf.health.model import Cell, HealthReport, KpiResult, Status, Target
from crmconf.health.trends import attach

NOW = datetime(2026, 11, 23, 9, tzinfo=UTC)


def _kpi(status: Status, *, after: float = 14, notify: tuple[str, ...] = ("revops",)) -> KpiResult:
    overall = Cell("all", "", 3, 10, 70.0, status)
    cells = (Cell("stage", "nb.discovery", 3, 5, 40.0, status, team="sdr"),
             Cell("stage", "nb.demo", 0, 5, 100.0, "ok", team="sales"),
             Cell("owner", "maria@acme.example", 2, 4, 50.0, status),
             Cell("owner", "devon@acme.example", 1, 6, 83.0, "ok"))
    return KpiResult("required_field_completion", "Required", "percent", Target("95%", percent=95.0), "m", "p",
                     overall, cells, after, notify)


def _runs(*statuses: tuple[int, Status]) -> list[Run]:
    """Past runs `days` ago with the overall and the discovery stage at `status`."""
    return [Run(NOW - timedelta(days=days), {"required_field_completion": {
        "all:": Past(70.0, status), "stage:nb.discovery": Past(40.0, status)}}) for days, status in statuses]


def _attached(k: KpiResult, runs: list[Run]) -> KpiResult:
    return attach(HealthReport(NOW, "local", "local", (k,)), runs).kpis[0]


@pytest.mark.parametrize(("history", "since_days", "escalates"), [
    ([], 0, False),  # below for the first time: since now
    ([(10, "below"), (3, "below")], 10, False),  # 10 days < 14
    ([(20, "below"), (14, "below"), (7, "below")], 20, True),
    ([(20, "below"), (14, "ok"), (7, "below")], 7, False),  # a run on target breaks the streak
    ([(20, "below"), (14, "unmeasured"), (7, "below")], 20, True),  # unmeasured neither breaks nor extends
    ([(30, "ok"), (15, "below")], 15, True),
])
def test_streaks_and_escalation(history: list[tuple[int, Status]], since_days: int, escalates: bool) -> None:
    k = _attached(_kpi("below"), _runs(*history))
    assert k.below_since == NOW - timedelta(days=since_days)
    assert (k.escalation is not None) is escalates
    assert [p.status for p in k.trend] == [s for _, s in sorted(history, reverse=True)] + ["below"]


def test_an_escalation_names_the_teams_and_people_to_tell() -> None:
    k = _attached(_kpi("below"), _runs((15, "below")))
    assert k.escalation is not None
    assert k.escalation.cells == ("all:", "stage:nb.discovery")
    assert k.escalation.teams == ("revops", "sdr")  # the KPI's notify, then the teams below target
    assert k.escalation.people == ("maria@acme.example",)  # the owners below target now
    assert k.escalation.days == 15


def test_on_target_nothing_escalates_whatever_the_past() -> None:
    k = _attached(_kpi("ok"), _runs((40, "below"), (20, "below")))
    assert k.below_since is None and k.escalation is None


def test_a_shorter_escalate_after_escalates_sooner() -> None:
    assert _attached(_kpi("below", after=7), _runs((8, "below"))).escalation is not None
    assert _attached(_kpi("below", after=7), _runs((6, "below"))).escalation is None
