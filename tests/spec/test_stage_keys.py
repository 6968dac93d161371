"""Stage keys real CRMs need: several won or lost stages, and a forecast category on deal stages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from crmconf.validation import validate

PIPELINE = """
pipelines:
  - name: direct
    object: %s
    label: Direct
    stages:
      - {name: open, label: Open, %s}
      - {name: won, label: Closed Won, %s}
      - {name: won_renewal, label: Closed Won - Renewal, %s}
      - {name: lost, label: Closed Lost, %s}
      - {name: lost_no_budget, label: Closed Lost - No Budget, %s}
"""
DEAL = ("deal", "probability: 10, forecast_category: best_case", "probability: 100, outcome: won",
        "probability: 100, outcome: won, forecast_category: closed", "probability: 0, outcome: lost",
        "probability: 0, outcome: lost, forecast_category: omitted")
TICKET = ("ticket", "forecast_category: commit", "outcome: closed", "outcome: closed", "outcome: closed",
          "outcome: closed")


def _workspace(root: Path, body: str) -> Path:
    root.mkdir()
    (root / "crmconf.yaml").write_text("version: 1\n")
    (root / "pipelines.yaml").write_text(body)
    return root


def test_a_deal_pipeline_may_have_several_won_and_lost_stages(tmp_path: Path) -> None:
    result, diagnostics, _ = validate(_workspace(tmp_path / "ws", PIPELINE % DEAL), date(2026, 11, 23))
    assert result is not None, [d.message for d in diagnostics]
    stages = result.spec.pipelines[0].stages
    assert [s.forecast_category for s in stages] == ["best_case", None, "closed", None, "omitted"]
    assert not diagnostics


def test_a_forecast_category_outside_deals_is_a_warning_where_written(tmp_path: Path) -> None:
    result, diagnostics, _ = validate(_workspace(tmp_path / "ws", PIPELINE % TICKET), date(2026, 11, 23))
    assert result is not None
    [warning] = [d for d in diagnostics if "forecast_category" in d.message]
    assert warning.code == "R308" and not warning.is_error
    assert warning.location is not None and warning.location.line == 7


def test_a_forecast_category_outside_the_list_is_refused(tmp_path: Path) -> None:
    body = PIPELINE % (*DEAL[:1], "probability: 10, forecast_category: maybe", *DEAL[2:])
    result, diagnostics, _ = validate(_workspace(tmp_path / "ws", body), date(2026, 11, 23))
    [refused] = diagnostics
    assert result is None and refused.code == "S204" and "'best_case', 'most_likely', 'commit'" in refused.message
    assert refused.location is not None and (refused.location.line, refused.location.column) == (7, 71)
