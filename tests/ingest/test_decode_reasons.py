"""A file that is not read says why in words its owner can act on."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.ingest.raw_files import ingest
from tests.conftest import SAMPLE


def test_wide_encodings_and_whitespace_are_named_not_called_binary_or_empty(
    tmp_path: Path,
) -> None:
    text = "\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[2:22]) + "\n"
    (tmp_path / "a.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "b.txt").write_bytes(text.encode("utf-16-be")[:-2])  # no BOM
    (tmp_path / "c.txt").write_bytes(text.encode("utf-32"))  # with its BOM
    (tmp_path / "d.txt").write_bytes(b"  \n\t\r\n   \n")
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "f.txt").write_bytes(text.encode("utf-16"))  # with its BOM
    odd = b"\xff\xfe" + text.encode("utf-16-le")[:-1]  # half a code unit at the end
    (tmp_path / "g.txt").write_bytes(odd)
    ingested = ingest(tmp_path)
    rows = ingested.files.select("source_file", "status", "reason").rows()
    advice = "not UTF-8: re-encode the file as UTF-8"
    truncated = f"truncated data at byte {len(odd) - 1}"
    assert rows == [
        ("a.txt", "ok", None),
        ("b.txt", "rejected", f"UTF-16 text (big-endian, no BOM), {advice}"),
        ("c.txt", "ok", None),
        ("d.txt", "empty", "only whitespace"),
        ("e.txt", "empty", "empty file"),
        ("f.txt", "ok", None),
        ("g.txt", "rejected", f"UTF-16 text (little-endian BOM) that does not decode: {truncated}"),
    ]


def test_a_file_with_a_utf16_or_utf32_bom_gives_the_records_of_its_utf8_text(
    tmp_path: Path,
) -> None:
    """The BOM names the encoding: the same records as the UTF-8 file, only the file's
    own hash and size differ."""
    text = "\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[2:22]) + "\n"
    for name, encoding in (("a.txt", "utf-8"), ("b.txt", "utf-16"), ("c.txt", "utf-32-be")):
        bom = b"\x00\x00\xfe\xff" if encoding == "utf-32-be" else b""
        (tmp_path / name).write_bytes(bom + text.encode(encoding))
    records = ingest(tmp_path).records
    texts = {
        name: records.filter(source_file=name).select("title_raw", "abstract_raw", "line_start")
        for name in ("a.txt", "b.txt", "c.txt")
    }
    assert texts["a.txt"].height == 10
    assert texts["b.txt"].equals(texts["a.txt"]) and texts["c.txt"].equals(texts["a.txt"])
