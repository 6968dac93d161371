"""Progress through rich: drawn on a terminal (a spinner counting requests, a bar over changes), plain
lines and nothing drawn elsewhere."""

from __future__ import annotations

import io

import pytest
from rich.console import Console as RichConsole

from crmconf import logs, redact
from crmconf.render import progress
from crmconf.ui import Console


def screen() -> tuple[RichConsole, io.StringIO]:
    out = io.StringIO()
    return RichConsole(file=out, force_terminal=True, width=100, color_system="standard"), out


def test_reading_counts_requests_on_a_terminal() -> None:
    rich, out = screen()
    with progress.reading(Console(True), "Reading hubspot-prod", screen=rich):
        for _ in range(3):
            logs.request("hubspot", "GET", "https://api.example/crm/v3/x", 200, 0.01)
    assert "Reading hubspot-prod" in out.getvalue() and "3 requests" in out.getvalue()


def test_applying_prints_each_line_above_the_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_TOKEN", "s3cr3t-value-123456")
    redact.forget()
    redact.register_environment()
    rich, out = screen()
    with progress.applying(Console(True), "Applying to prod", 2, screen=rich) as shown:
        shown("  ok  create field.deal.[bold]x[/bold]")
        shown("  FAILED  update s3cr3t-value-123456")
    text = out.getvalue()
    assert "field.deal.[bold]x[/bold]" in text and "2/2" in text  # a label is text, never rich markup
    assert "s3cr3t-value-123456" not in text and "***" in text  # masked like every other message
    redact.forget()


def test_off_a_terminal_nothing_is_drawn(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(0, {})  # an earlier run's -v in this process must not print the request below
    console = Console(False)
    assert progress.terminal(console) is None  # pytest's stderr is no terminal
    with progress.reading(console, "Reading"):
        logs.request("hubspot", "GET", "https://api.example/x", 200, 0.01)
    with progress.applying(console, "Applying", 1) as shown:
        shown("  ok  create field.deal.x")
    assert capsys.readouterr().err == "  ok  create field.deal.x\n"
