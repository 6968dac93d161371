"""May this spec go to this target? Pure: the promotion order, the previous target's releases, a clock.

A target later in `promotion` takes a spec only once the same spec digest was applied **and verified** on
the target before it, at least `policies.promotion_soak` ago. Targets outside the order are free.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from crmconf.promotion.releases import Release


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    previous: str | None  # the target before this one in the order (None: first, or not in the order)
    reason: str  # why not, naming what is missing; or what allows it


def previous_of(order: tuple[str, ...], target: str) -> str | None:
    if target not in order:
        return None
    at = order.index(target)
    return order[at - 1] if at > 0 else None


def decide(
    order: tuple[str, ...],
    target: str,
    digest: str,
    commit: str,
    releases: list[Release],
    *,
    now: datetime,
    soak: timedelta | None,
) -> Verdict:
    previous = previous_of(order, target)
    if previous is None:
        return Verdict(True, None, "first in the promotion order" if target in order else "not in the promotion order")
    spec = f"spec {digest[:12]}" + (f" (commit {commit[:12]})" if commit else "")
    same = [r for r in releases if r.spec_digest == digest]
    verified = [r for r in same if r.verified]
    if not verified:
        last = releases[-1] if releases else None
        seen = (
            f"{previous} last ran spec {last.spec_digest[:12]}"
            + (f" (commit {last.commit[:12]})" if last.commit else "")
            + f", applied {last.applied_at} by {last.applied_by}" + ("" if last.verified else ", not verified")
            if last else f"nothing was ever applied to {previous} by crmconf"
        )
        what = "applied but not verified" if same else "not applied"
        return Verdict(False, previous, f"{target} comes after {previous}: {spec} was {what} on {previous} ({seen}). "
                                        f"Apply it to {previous} first: `crmconf apply --target {previous}`")
    first = min(verified, key=lambda r: r.applied_at)
    if soak:
        since = now - datetime.fromisoformat(first.applied_at)
        if since < soak:
            left = soak - since
            return Verdict(False, previous, f"{spec} was verified on {previous} at {first.applied_at}; the soak "
                                            f"period is {_words(soak)}, {_words(left)} to go")
    return Verdict(True, previous, f"{spec} was applied and verified on {previous} at {first.applied_at} "
                                   f"by {first.applied_by}")


def _words(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d {hours % 24}h" if hours >= 24 else f"{max(hours, 0)}h {int(delta.total_seconds() // 60) % 60}m"
