"""Escaping for Markdown tables shared by the audit and the handbook."""

from __future__ import annotations


def cell(text: str) -> str:
    """Table-safe: a pipe would split the cell, a newline the row, raw HTML would render."""
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", " ")
        .replace("\n", " ")
    )
