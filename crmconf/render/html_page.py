"""A self-contained HTML page shell shared by the audit and the handbook: inline CSS, no external resource.

The Content-Security-Policy forbids loading anything at all, so even a mistake in a renderer (or a hostile
value that slipped through escaping) cannot make the page reach the network when someone opens it.
"""

from __future__ import annotations

from html import escape

FONT = "-apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"  # system fonts: nothing to load
CSP = "default-src 'none'; style-src 'unsafe-inline'"

BASE_CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #61707f; --line: #d9e0e7; --bg: #ffffff;
        --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 24px 0 8px; }
p.meta { color: var(--muted); margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
svg { display: block; max-width: 100%; height: auto; margin: 8px 0; }
"""


def page(title: str, body: str, *, css: str = "") -> str:
    """`body` must already be escaped HTML; `title` is plain text."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{BASE_CSS}{css}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
