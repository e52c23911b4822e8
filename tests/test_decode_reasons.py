"""A file that is not read says why in words its owner can act on."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.ingest.raw_files import ingest
from tests.conftest import SAMPLE


def test_wide_encodings_and_whitespace_are_named_not_called_binary_or_empty(
    tmp_path: Path,
) -> None:
    text = "\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[2:22]) + "\n"
    (tmp_path / "a.txt").write_bytes(text.encode("utf-16"))  # with its BOM
    (tmp_path / "b.txt").write_bytes(text.encode("utf-16-be")[:-2])  # no BOM
    (tmp_path / "c.txt").write_bytes(text.encode("utf-32"))
    (tmp_path / "d.txt").write_bytes(b"  \n\t\r\n   \n")
    (tmp_path / "e.txt").write_bytes(b"")
    rows = ingest(tmp_path).files.select("source_file", "status", "reason").rows()
    advice = "not UTF-8: re-encode the file as UTF-8"
    assert rows == [
        ("a.txt", "rejected", f"UTF-16 text (little-endian BOM), {advice}"),
        ("b.txt", "rejected", f"UTF-16 text (big-endian, no BOM), {advice}"),
        ("c.txt", "rejected", f"UTF-32 text (little-endian BOM), {advice}"),
        ("d.txt", "empty", "only whitespace"),
        ("e.txt", "empty", "empty file"),
    ]
