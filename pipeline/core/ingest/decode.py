"""Turning the bytes of a raw file into numbered text lines, without ever crashing.

Scrapes arrive with BOMs, CRLF or bare CR line ends and the odd undecodable byte.
Lines are split on bytes first so that one bad byte only taints its own line:
that line is decoded with replacement characters and flagged, the rest of the
file stays exact. Files that are not text at all are recognised here so the run
can reject them as a whole with a reason instead of parsing noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
_LINE_END = re.compile(rb"\r\n|\r|\n")
# Bytes that never occur in text: C0 controls other than tab, LF, VT, FF, CR, ESC.
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
BINARY_SNIFF_BYTES = 64 * 1024
BINARY_MAX_CONTROL_SHARE = 0.10
BINARY_MAX_UNDECODABLE_LINE_SHARE = 0.5


@dataclass(frozen=True)
class DecodedLines:
    """The text lines of a file; ``bad`` holds the 0-based indexes of lines with bad bytes."""

    lines: list[str]
    bad: frozenset[int]


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not a text file, or None when it looks like text."""
    head = data[:BINARY_SNIFF_BYTES]
    if not head:
        return None
    if b"\x00" in head:
        return "binary file: contains NUL bytes"
    controls = len(head) - len(head.translate(None, _BINARY_BYTES))
    if controls / len(head) > BINARY_MAX_CONTROL_SHARE:
        return f"binary file: {controls / len(head):.0%} control bytes"
    return None


def split_lines(data: bytes) -> DecodedLines:
    """Split on CRLF, CR or LF, drop a leading BOM, decode each line as UTF-8.

    A trailing line end does not create an extra empty line, so line numbers match
    what an editor shows.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _split_lines_slow(data)
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    return DecodedLines(lines, frozenset())


def _split_lines_slow(data: bytes) -> DecodedLines:
    raw_lines = _LINE_END.split(data)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines: list[str] = []
    bad: set[int] = set()
    for i, raw in enumerate(raw_lines):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("utf-8", errors="replace"))
            bad.add(i)
    return DecodedLines(lines, frozenset(bad))


def undecodable_reason(decoded: DecodedLines) -> str | None:
    """Why a file whose lines are mostly undecodable is not UTF-8 text, or None."""
    nonblank = sum(1 for line in decoded.lines if line.strip())
    if nonblank and len(decoded.bad) / nonblank > BINARY_MAX_UNDECODABLE_LINE_SHARE:
        return (
            f"not UTF-8 text: {len(decoded.bad)} of {nonblank} non-blank lines "
            "have undecodable bytes"
        )
    return None
