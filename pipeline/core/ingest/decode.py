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
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # an undecodable byte, surrogate-escaped
# Bytes that never occur in text: C0 controls other than tab, LF, VT, FF, CR, ESC.
_BINARY_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 27))
BINARY_SNIFF_BYTES = 64 * 1024
BINARY_MAX_CONTROL_SHARE = 0.10
BINARY_MAX_UNDECODABLE_LINE_SHARE = 0.5
# Byte-order marks of the encodings other than UTF-8 an editor or a Windows export may
# write, with their codec; UTF-32 first (its little-endian BOM begins with UTF-16's).
# A BOM names the encoding unambiguously, so such a file is decoded strictly.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32 text (little-endian BOM)"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32 text (big-endian BOM)"),
    (b"\xff\xfe", "utf-16-le", "UTF-16 text (little-endian BOM)"),
    (b"\xfe\xff", "utf-16-be", "UTF-16 text (big-endian BOM)"),
)
# Without a BOM, UTF-16 of Latin text has a NUL in (nearly) every other byte.
UTF16_MIN_NUL_SHARE = 0.9


@dataclass(frozen=True)
class DecodedLines:
    """The text lines of a file; ``bad`` holds the 0-based indexes of lines with bad bytes."""

    lines: list[str]
    bad: frozenset[int]


def to_utf8(data: bytes) -> tuple[bytes, str | None]:
    """``data`` as UTF-8: UTF-16/32 text with a BOM is decoded strictly and re-encoded
    (BOM dropped); anything else is returned as it is. The reason is set when a file
    with such a BOM does not decode (then the bytes are not text in that encoding)."""
    for bom, codec, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec).encode("utf-8"), None
            except UnicodeError as exc:
                at = exc.start + len(bom)
                return data, f"{encoding} that does not decode: {exc.reason} at byte {at}"
    return data, None


def binary_reason(data: bytes) -> str | None:
    """Why ``data`` is not a text file, or None when it looks like text."""
    head = data[:BINARY_SNIFF_BYTES]
    if not head:
        return None
    if b"\x00" in head:
        return _utf16_without_bom(head) or "binary file: contains NUL bytes"
    controls = len(head) - len(head.translate(None, _BINARY_BYTES))
    if controls / len(head) > BINARY_MAX_CONTROL_SHARE:
        return f"binary file: {controls / len(head):.0%} control bytes"
    return None


def _utf16_without_bom(head: bytes) -> str | None:
    """ "UTF-16 text ..." when NULs fill one byte of each pair (Latin text in UTF-16)."""
    for parity, order in ((1, "little-endian"), (0, "big-endian")):
        half = head[parity::2]
        if half and half.count(0) / len(half) >= UTF16_MIN_NUL_SHARE:
            other = head[1 - parity :: 2]
            if other.count(0) / max(len(other), 1) < 1 - UTF16_MIN_NUL_SHARE:
                return f"UTF-16 text ({order}, no BOM), not UTF-8: re-encode the file as UTF-8"
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
    return DecodedLines(_split_text(text), frozenset())


def _split_lines_slow(data: bytes) -> DecodedLines:
    """Lines of a file with undecodable bytes: each bad line decoded with replacement
    characters and flagged, the others exact.

    Decoding the whole file with ``surrogateescape`` keeps every bad byte as a lone
    surrogate (valid UTF-8 never decodes to one), so a line is bad exactly when it holds
    one, and re-encoding it gives back its bytes: the same lines as decoding line by
    line, without a Python loop over every line.
    """
    lines = _split_text(data.decode("utf-8", errors="surrogateescape"))
    bad = frozenset(
        i for i, line in enumerate(lines) if not line.isascii() and _ESCAPED_BYTE.search(line)
    )
    for i in bad:
        lines[i] = (
            lines[i].encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
        )
    return DecodedLines(lines, bad)


def _split_text(text: str) -> list[str]:
    """Split on CRLF, CR or bare LF at ``str.split``'s speed (no regex over the file); a
    trailing line end makes no extra empty line."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def undecodable_reason(decoded: DecodedLines) -> str | None:
    """Why a file whose lines are mostly undecodable is not UTF-8 text, or None."""
    nonblank = sum(1 for line in decoded.lines if line.strip())
    if nonblank and len(decoded.bad) / nonblank > BINARY_MAX_UNDECODABLE_LINE_SHARE:
        return (
            f"not UTF-8 text: {len(decoded.bad)} of {nonblank} non-blank lines "
            "have undecodable bytes"
        )
    return None


# A JSON escape of a UTF-16 surrogate (\ud800) is the one way text no UTF-8 can hold (a
# lone surrogate) gets into a record: decoded bytes never hold one. Polars and Parquet
# refuse such text, so it is replaced like any undecodable byte (U+FFFD, flagged).
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_FIELDS = ("title_raw", "abstract_raw", "arxiv_id", "doi", "repo_url", "parse_error")


def replace_lone_surrogates(row: dict) -> bool:
    """Replace lone surrogates in ``row``'s text fields and authors with U+FFFD, in
    place; whether there was any."""
    found = False
    for key in _TEXT_FIELDS:
        value = row.get(key)
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            row[key] = _LONE_SURROGATE.sub("\ufffd", value)
            found = True
    authors = row.get("authors")
    if authors and any(_LONE_SURROGATE.search(a) for a in authors):
        row["authors"] = [_LONE_SURROGATE.sub("\ufffd", a) for a in authors]
        found = True
    return found
