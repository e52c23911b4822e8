"""``split_lines`` against its definition: split the bytes on CRLF, CR or LF, then
decode each line on its own, so one bad byte taints only its line."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.ingest.decode import UTF8_BOM, split_lines

# Pieces that meet at line ends and inside multi-byte sequences: ASCII, line ends,
# a stray continuation byte, truncated and whole sequences, an encoded surrogate
# (invalid in UTF-8), code points that str.splitlines would cut (NEL, LS), a BOM.
PIECES = [
    b"a",
    b" ",
    b"\n",
    b"\r",
    b"\r\n",
    b"\xff",
    b"\xc3",
    b"\xa9",
    b"\xc3\xa9",
    b"\xe2\x82",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xc2\x85",
    "\u2028".encode(),
    UTF8_BOM,
]


def reference_lines(data: bytes) -> tuple[list[str], set[int]]:
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    raw_lines = re.split(rb"\r\n|\r|\n", data)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    lines, bad = [], set()
    for i, raw in enumerate(raw_lines):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(raw.decode("utf-8", errors="replace"))
            bad.add(i)
    return lines, bad


@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_lines_are_cut_on_bytes_and_decoded_one_by_one(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    decoded = split_lines(data)
    assert (decoded.lines, set(decoded.bad)) == reference_lines(data)


def test_a_bad_byte_taints_only_its_own_line() -> None:
    decoded = split_lines("caf\u00e9\r\nbad \xff byte\nlast\r".encode("latin-1"))
    assert decoded.lines == ["caf\ufffd", "bad \ufffd byte", "last"]
    assert decoded.bad == {0, 1}
    decoded = split_lines("caf\u00e9\r\nbad ".encode() + b"\xff" + b" byte\nlast\r")
    assert decoded.lines == ["caf\u00e9", "bad \ufffd byte", "last"]
    assert decoded.bad == {1}
