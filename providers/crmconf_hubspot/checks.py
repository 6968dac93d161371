"""What HubSpot would refuse in a spec, found offline by `crmconf validate` (`HubSpotProvider.check_spec`).

Deal stage probabilities: HubSpot documents a deal stage's probability as 0.0 to 1.0 in steps of 0.1,
where 0.0 means closed lost and 1.0 closed won. In the spec's 0-100 scale: a multiple of 10; a won
stage is 100, a lost one 0, and an open stage lies in between (10-90). Salesforce keeps its own 0-100.

Forecast categories: a HubSpot deal stage has none (HubSpot forecasts by each deal's own
`hs_manual_forecast_category`), so a stage's `forecast_category` cannot reach a HubSpot target: said
once (P404, a warning), never silently dropped.
"""

from __future__ import annotations

from crmconf import address as addr
from crmconf.spec.diagnostics import Diagnostic, error, warning
from crmconf.spec.model import Pipeline, Spec
from crmconf.spec.workspace import Sources

CODE = "P403"


def _problem(outcome: str | None, probability: int) -> str | None:
    if probability % 10:
        return "HubSpot takes deal stage probabilities in steps of 10 % (0.0 to 1.0 in tenths)"
    if outcome == "won" and probability != 100:
        return "a won stage is 100 % in HubSpot (1.0 means closed won)"
    if outcome == "lost" and probability != 0:
        return "a lost stage is 0 % in HubSpot (0.0 means closed lost)"
    if outcome is None and probability in (0, 100):
        return (f"{probability} % means closed {'won' if probability else 'lost'} in HubSpot; an open stage "
                "lies between 10 and 90")
    return None


def _nearest(outcome: str | None, probability: int) -> str:
    if outcome in ("won", "lost"):
        return "100" if outcome == "won" else "0"
    options = sorted({min(90, max(10, probability // 10 * 10)), min(90, max(10, -(-probability // 10) * 10))})
    return " or ".join(map(str, options))


def pipeline_problems(p: Pipeline, sources: Sources, target: str) -> list[Diagnostic]:
    if p.object != "deal":
        return []
    found = []
    for index, s in enumerate(p.stages):
        if s.probability is None:
            continue  # R308 already says every deal stage needs one
        why = _problem(s.outcome, s.probability)
        if why is not None:
            found.append(error(
                CODE, f"stage {p.name}.{s.name}: probability {s.probability} cannot go to target {target}: {why}",
                sources.locate(addr.pipeline(p.name), "stages", index, "probability"),
                hint=f"use {_nearest(s.outcome, s.probability)}"))
    return found


def forecast_ignored(p: Pipeline, sources: Sources) -> list[Diagnostic]:
    return [
        warning("P404", f"stage {p.name}.{s.name}: HubSpot deal stages have no forecast category; "
                        f"forecast_category {s.forecast_category} is not sent to HubSpot targets",
                sources.locate(addr.pipeline(p.name), "stages", index, "forecast_category"),
                hint="HubSpot keeps a forecast category on each deal (hs_manual_forecast_category), not on stages")
        for index, s in enumerate(p.stages) if s.forecast_category is not None
    ]


def check_spec(spec: Spec, sources: Sources, target: str) -> list[Diagnostic]:
    return [d for p in spec.pipelines for d in (*pipeline_problems(p, sources, target), *forecast_ignored(p, sources))]
