"""`make screenshots`: the pictures in docs/pictures/, made from the example workspace by headless Chromium.

- handbook-enterprise.png: the handbook's process map of a 12-stage pipeline (docs/pictures/
  enterprise-pipeline.yaml, added to a copy of specs/), in a 1,280 px wide window;
- handbook-support.png: a pipeline with side paths (branch_from) and two closing stages;
- audit-1280.png: the audit report of the demo's org (specs/ applied over demo/seed-org.json) at 1,280 px.

Each page is also checked, not only pictured: at 1,280 px nothing may reach the window's right edge
(the page's own right margin stays blank), so no column is cut off; and each page prints to PDF.
Chromium is Debian's `chromium` package (apt-get install chromium); Pillow reads the pictures back.
Runs on the demo's clock (crmconf.demo.DEMO_DATE), so the pictures are the same any day.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

from crmconf.cli import run
from crmconf.demo import DEMO_DATE

ROOT = Path(__file__).resolve().parents[1]
PICTURES = ROOT / "docs" / "pictures"
WIDTH = 1280
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("screenshots: Chromium is not installed (Debian: apt-get install chromium)")
    return found


def shoot(page: Path, out: Path, height: int) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{height}",
                        f"--screenshot={out}", page.as_uri()], check=True, capture_output=True,
                       timeout=120)


def printable(page: Path, pdf: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf}", page.as_uri()], check=True, capture_output=True, timeout=120)
    if not pdf.read_bytes().startswith(b"%PDF"):
        sys.exit(f"screenshots: {page.name} did not print")


def fits(png: Path, margin: int = 12) -> None:
    """The rightmost `margin` pixels are one colour (the page's background): nothing ran off the window."""
    with Image.open(png) as image:
        strip = image.convert("RGB").crop((image.width - margin, 0, image.width, image.height))
        colours = strip.getcolors(maxcolors=4)
    if image.width != WIDTH or colours is None or len(colours) != 1:
        sys.exit(f"screenshots: {png.name} does not fit {WIDTH} px: something reaches its right edge")


def section(specs: Path, pipeline: str, work: Path) -> Path:
    """One pipeline's part of the handbook, on its own page: the handbook's renderer and styles."""
    from crmconf.docs.build import build
    from crmconf.render.docs_html import CSS, process_section
    from crmconf.render.html_page import page
    from crmconf.validation import require_valid

    book = build(require_valid(specs, DEMO_DATE).spec, DEMO_DATE)
    process = next(p for p in book.processes if p.name == pipeline)
    out = work / f"handbook-{pipeline}.html"
    out.write_text(page(f"CRM handbook: {process.label}", "\n".join(process_section(process)), css=CSS),
                   encoding="utf-8")
    return out


def crmconf(*args: str) -> None:
    code = run(list(args))
    if code not in (0, 2, 3):
        sys.exit(f"screenshots: `crmconf {' '.join(args)}` exited {code}")


def main() -> int:
    os.environ["CRMCONF_TODAY"] = DEMO_DATE.isoformat()
    os.environ["NO_COLOR"] = "1"
    PICTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        specs = work / "specs"
        shutil.copytree(ROOT / "specs", specs, ignore=shutil.ignore_patterns(".crmconf"))
        shutil.copyfile(PICTURES / "enterprise-pipeline.yaml", specs / "pipelines" / "enterprise.yaml")
        (specs / ".crmconf").mkdir()
        shutil.copyfile(ROOT / "demo" / "seed-org.json", specs / ".crmconf" / "local-org.json")
        crmconf("apply", "-w", str(specs), "--auto-approve", "--allow-destroy")
        crmconf("docs", "-w", str(specs), "--out", str(work / "handbook"))
        crmconf("audit", "-w", str(specs), "--format", "html", "--out", str(work / "audit.html"))
        handbook = work / "handbook" / "crm-handbook.html"
        shots = [
            (section(specs, "enterprise", work), PICTURES / "handbook-enterprise.png", 760),
            (section(specs, "support", work), PICTURES / "handbook-support.png", 600),
            (work / "audit.html", PICTURES / "audit-1280.png", 1100),
        ]
        for page, png, height in shots:
            shoot(page, png, height)
            fits(png)
            print(f"wrote {png.relative_to(ROOT)}")
        for page in (handbook, work / "audit.html"):
            printable(page, work / (page.stem + ".pdf"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
