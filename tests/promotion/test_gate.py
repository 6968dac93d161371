"""The promotion gate, pure: order, digest, verification and soak, decided against a given clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crmconf.promotion.gate import decide
from crmconf.promotion.releases import Release, dump, load

ORDER = ("sandbox", "staging", "production")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def release(digest: str, *, verified: bool = True, at: str = "2026-11-20T12:00:00+00:00") -> Release:
    return Release(digest, "c0ffee" * 6 + "abcd", at, "jo", verified, 3)


def test_the_first_target_and_targets_outside_the_order_are_free() -> None:
    assert decide(ORDER, "sandbox", "d1", "", [], now=NOW, soak=None).allowed
    assert decide(ORDER, "scratch", "d1", "", [], now=NOW, soak=None).allowed


def test_each_target_looks_only_at_the_one_before() -> None:
    verdict = decide(ORDER, "production", "d1", "", [release("d0")], now=NOW, soak=None)
    assert not verdict.allowed and verdict.previous == "staging"
    assert "staging last ran spec d0" in verdict.reason and "commit c0ffeec0ffee" in verdict.reason
    assert decide(ORDER, "production", "d1", "", [release("d0"), release("d1")], now=NOW, soak=None).allowed


def test_a_verified_release_counts_even_after_an_unverified_retry() -> None:
    log = [release("d1"), release("d1", verified=False, at="2026-11-21T12:00:00+00:00")]
    assert decide(ORDER, "staging", "d1", "", log, now=NOW, soak=None).allowed
    only_unverified = decide(ORDER, "staging", "d1", "", log[1:], now=NOW, soak=None)
    assert not only_unverified.allowed and "applied but not verified" in only_unverified.reason


def test_the_soak_runs_from_the_first_verified_apply() -> None:
    log = [release("d1", at="2026-11-22T00:00:00+00:00")]
    held = decide(ORDER, "staging", "d1", "", log, now=NOW, soak=timedelta(days=2))
    assert not held.allowed and "12h 0m to go" in held.reason
    assert decide(ORDER, "staging", "d1", "", log, now=NOW + timedelta(hours=12), soak=timedelta(days=2)).allowed


def test_the_log_round_trips_and_keeps_the_newest() -> None:
    log = [release(f"d{i}") for i in range(150)]
    again = load(dump(log), "here")
    assert len(again) == 100 and again[-1] == log[-1]
