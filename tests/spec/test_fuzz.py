"""Mutated workspaces never crash crmconf: every input ends in a result or located diagnostics.

Mutations start from the real example files in specs/: wrong types, deleted and duplicated keys,
random scalars, truncated text and random bytes. CI runs 2,000 examples; `make fuzz` runs 10,000.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from crmconf.render import diagnostics as render
from crmconf.validation import validate

SPECS = Path(__file__).resolve().parents[2] / "specs"
FILES = sorted(p for p in SPECS.rglob("*.yaml") if p.name != "crmconf.yaml")
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in FILES}
EXAMPLES = int(os.environ.get("CRMCONF_FUZZ_EXAMPLES", "2000"))
SAFE = YAML(typ="safe")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates(),
    st.just(""),
    st.just("90d"),
    st.just("new_business.proposal"),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            found += _paths(v, (*prefix, i))
    return found


@st.composite
def data_mutation(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(TEXTS)))
    data = SAFE.load(TEXTS[name])
    path = draw(st.sampled_from(_paths(data)[1:]))
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    how = draw(st.sampled_from(["replace", "delete", "duplicate", "wrap"]))
    last = path[-1]
    if how == "replace":
        parent[last] = draw(values)
    elif how == "delete":
        del parent[last]
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, parent[last])
    else:
        parent[last] = [parent[last]] if how == "wrap" else {"x": parent[last]}
    return json.dumps(data, default=str)  # JSON is YAML


@st.composite
def text_mutation(draw: st.DrawFn) -> str:
    text = TEXTS[draw(st.sampled_from(sorted(TEXTS)))]
    how = draw(st.sampled_from(["truncate", "insert", "splice", "duplicate_line"]))
    at = draw(st.integers(0, len(text)))
    if how == "truncate":
        return text[:at]
    if how == "insert":
        return text[:at] + draw(st.text(max_size=20)) + text[at:]
    if how == "splice":
        return text[:at] + draw(st.text(max_size=10)) + text[at + draw(st.integers(0, 40)) :]
    lines = text.splitlines(keepends=True)
    i = draw(st.integers(0, len(lines) - 1))
    return "".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


@st.composite
def byte_mutation(draw: st.DrawFn) -> bytes:
    raw = TEXTS[draw(st.sampled_from(sorted(TEXTS)))].encode()
    at = draw(st.integers(0, len(raw)))
    return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]


_ROOT = Path(tempfile.mkdtemp(prefix="crmconf-fuzz-"))
shutil.copyfile(SPECS / "crmconf.yaml", _ROOT / "crmconf.yaml")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.one_of(data_mutation(), text_mutation(), byte_mutation()))
def test_mutated_workspace_never_crashes(mutated: str | bytes) -> None:
    target = _ROOT / "mutated.yaml"
    target.write_bytes(mutated if isinstance(mutated, bytes) else mutated.encode("utf-8", "surrogatepass"))
    result, diagnostics, sources = validate(_ROOT, date(2026, 11, 23))
    assert result is not None or any(d.is_error for d in diagnostics)
    assert all(d.location is None or d.location.line >= 1 for d in diagnostics)
    render.text(diagnostics, lambda d: sources.line(d.location) if d.location else "")
    render.as_json(diagnostics, valid=result is not None)
    render.github(diagnostics)
