"""The pictures README shows exist, are the 1,280 px screenshots tools/screenshots.py makes, and the
12-stage pipeline they show is a valid part of the example workspace."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

from crmconf.demo import DEMO_DATE
from crmconf.validation import require_valid

REPO = Path(__file__).resolve().parents[2]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_readme_pictures_are_1280_px_screenshots() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\((docs/pictures/[^)]+\.png)\)", readme)
    assert {Path(p).name for p in shown} == {"handbook-enterprise.png", "handbook-support.png", "audit-1280.png"}
    for picture in shown:
        assert png_size(REPO / picture)[0] == 1280
    script = (REPO / "tools" / "screenshots.py").read_text(encoding="utf-8")
    assert all(Path(p).name in script for p in shown)


def test_the_pictured_pipeline_is_valid_with_the_example(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(REPO / "specs", specs, ignore=shutil.ignore_patterns(".crmconf"))
    shutil.copyfile(REPO / "docs" / "pictures" / "enterprise-pipeline.yaml", specs / "pipelines" / "enterprise.yaml")
    ws = require_valid(specs, DEMO_DATE)
    enterprise = next(p for p in ws.spec.pipelines if p.name == "enterprise")
    assert len(enterprise.stages) == 12 and not ws.diagnostics
