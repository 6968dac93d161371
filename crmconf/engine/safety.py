"""What is destructive, decided from a change and the live usage counts: never from a flag in a file.

The diff marks destructive changes as it makes them; a saved plan carries those marks, and a file can
be edited. Apply asks here instead: a delete or a replace always destroys; an update destroys when it
removes picklist options that live records use, by the same count the diff uses. Without a live
read (an engine caller that has none), an update's own mark is all there is to go by.
"""

from __future__ import annotations

from crmconf.engine.changes import Action, Change
from crmconf.engine.diff import option_values
from crmconf.engine.resource import Snapshot


def destructive(change: Change, snapshot: Snapshot | None) -> bool:
    if change.action in (Action.DELETE, Action.REPLACE):
        return True
    if change.action is Action.CREATE:
        return False
    return bool(removed_options_in_use(change, snapshot))


def removed_options_in_use(change: Change, snapshot: Snapshot | None) -> list[str]:
    before = option_values((change.before or {}).get("options"))
    after = set(option_values((change.after or {}).get("options")))
    removed = [v for v in before if v not in after]
    if not removed:
        return []
    live = snapshot.get(change.address) if snapshot is not None else None
    if live is None:
        return []
    return [v for v in removed if live.usage.get(f"option:{v}", 0)]
