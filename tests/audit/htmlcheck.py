"""Checks for the self-contained HTML pages crmconf writes (audit report, handbook)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
URL_ATTRS = frozenset({"src", "href", "action", "formaction", "xlink:href", "poster", "data"})


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.styles: list[str] = []
        self.values: list[str] = []  # every attribute value
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            self.values.append(value or "")
            if name in URL_ATTRS and value is not None:
                self.urls.append(value)
            if name == "style" and value:
                self.styles.append(value)
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.problems.append(f"<{tag}> is not allowed in a self-contained page")
        if tag not in VOID:
            self.stack.append(tag)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def check(html: str) -> _Checker:
    """Parse `html`; assert balanced tags and that nothing points outside the file."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.problems, checker.problems
    assert not checker.stack, f"unclosed: {checker.stack}"
    assert html.lstrip().lower().startswith("<!doctype html>")
    for url in checker.urls:
        assert url.startswith("#"), f"a link leaves the page: {url!r}"
    for css in checker.styles:
        for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
            assert target.startswith("#"), f"CSS loads {target!r}"
        assert "@import" not in css and "@font-face" not in css
    for value in [*checker.values, *checker.styles]:  # user text may mention a web address; markup must not
        assert "http" not in value.lower() and "//" not in value, f"points outside the page: {value!r}"
    return checker
