"""Markdown table cells that carry scraped text safely, for every page that shows one.

Dagster's UI renders asset metadata as markdown and the Hugging Face Hub renders the
dataset card; both pass raw HTML through. A task, dataset or title is scraped text, so
a cell escapes what would be read as markup: HTML (``<script>``, ``<img onerror=...>``),
the ``|`` that would split the row, backslashes and backticks (code spans), brackets
(links), and line breaks, which end a table row.
"""

from __future__ import annotations

import html

# Markdown punctuation a scraped value could use to open a code span, a link or an
# escape of its own; each is preceded by a backslash, which markdown renders as the
# character itself. The backslash goes first, so the ones added are not doubled.
_MARKDOWN_PUNCTUATION = ("\\", "|", "`", "[", "]")


def markdown_cell(value: object, max_chars: int | None = None, prose: bool = False) -> str:
    """``value`` as the text of one markdown table cell, shown as it is, never as markup;
    cut to ``max_chars`` (with an ellipsis) before escaping, when given. ``prose``: our
    own text (the column meanings of ``schema.py``), whose code spans and links are
    meant; only HTML, ``|`` and line breaks are escaped in it."""
    text = "" if value is None else str(value)
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    text = html.escape(text, quote=False)
    for char in ("|",) if prose else _MARKDOWN_PUNCTUATION:
        text = text.replace(char, "\\" + char)
    return " ".join(text.splitlines())
