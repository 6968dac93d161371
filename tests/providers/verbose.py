"""What `crmconf -v` printed about vendor requests, read back for the tests of both providers."""

from __future__ import annotations

import re
from collections import Counter

LINE = re.compile(r"^info: crmconf\.http: (?P<vendor>\w+) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}|no answer \(\w+\)) "
                  r"\((?P<ms>\d+) ms\)$", re.M)
RETRY = re.compile(r"^info: crmconf\.retry: (\w+): (.+?): attempt (\d+) of (\d+) failed \((.+)\); retrying in ([\d.]+) s$", re.M)


def requests(err: str, vendor: str) -> Counter[tuple[str, str]]:
    """(method, path) -> how many times -v says it was sent."""
    return Counter((m["method"], m["path"]) for m in LINE.finditer(err) if m["vendor"] == vendor)


def statuses(err: str, method: str, path: str) -> list[str]:
    return [m["status"] for m in LINE.finditer(err) if (m["method"], m["path"]) == (method, path)]
