"""Pausing Python's cycle collector while crmconf builds its large, acyclic structures.

Loading a 50,000-field workspace allocates millions of objects (YAML nodes, located values, models) that
live until the command ends; planning adds as many more. CPython's cycle collector runs every few
hundred allocations and, as the heap grows, its full collections walk everything allocated so far: at
50k fields they took half of `validate` and of `plan`, and made both grow faster than the workspace.
Nearly nothing crmconf builds is cyclic, and what is not cyclic is freed by reference counting anyway;
so the collector is paused while a workspace is loaded or a plan computed, and resumes afterwards as
it was (whatever cycles were made meanwhile are found by its next run).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cycle collector paused for the block, then back as it was (nested blocks are fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
