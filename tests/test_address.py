"""Addresses: any name round-trips, and no name can be read as part of another address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmconf import address as addr

names = st.text(min_size=1, max_size=20)


@given(st.lists(names, min_size=1, max_size=5))
def test_any_segments_round_trip(parts: list[str]) -> None:
    written = addr.join("kind", *parts)
    assert addr.split(written) == ("kind", *parts)


@given(names, names)
def test_a_stage_reads_by_position_whatever_the_names(pipeline: str, stage: str) -> None:
    written = addr.stage(pipeline, stage)
    assert addr.stage_of(written) == (pipeline, stage)
    assert addr.pipeline_of(written) == pipeline
    assert addr.stage_of(addr.pipeline(pipeline)) is None


@given(names, names)
def test_different_names_never_share_an_address(a: str, b: str) -> None:
    if a != b:
        assert addr.automation(a) != addr.automation(b)
        assert addr.field("deal", a) != addr.field("deal", b)


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        ("pipeline.stage.stage.stage", ("pipeline", "stage", "stage", "stage")),
        ('automation."Opportunity.Big_Deal_Alert"', ("automation", "Opportunity.Big_Deal_Alert")),
        ('automation."Route inbound leads"', ("automation", "Route inbound leads")),
        ("automation.1500003", ("automation", "1500003")),
    ],
)
def test_examples(written: str, parts: tuple[str, ...]) -> None:
    assert addr.split(written) == parts
    assert addr.join(*parts) == written


@pytest.mark.parametrize("bad", ["", "field..x", 'automation."open', "field.a b", ".x"])
def test_not_addresses(bad: str) -> None:
    with pytest.raises(addr.AddressError):
        addr.split(bad)
    assert not addr.is_address(bad)


def test_patterns_and_step_ids() -> None:
    assert addr.matches("field.contact.zi_company", "field.contact.zi_*")
    assert not addr.matches("field.deal.zi_company", "field.contact.zi_*")
    assert addr.matches("pipeline.default", "pipeline.default")
    assert addr.step_id("pipeline.nb", "stage-requirements") == "pipeline.nb:stage-requirements"
