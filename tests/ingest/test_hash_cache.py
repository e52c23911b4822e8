"""Raw-file hashes remembered by stat: hashed once, never stale."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from pipeline.core.ingest import hash_cache
from pipeline.core.ingest.hash_cache import HashCache


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file actually hashed, in order."""
    calls: list[Path] = []
    real = hash_cache.file_sha256

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(hash_cache, "file_sha256", counting)
    return calls


def test_an_unchanged_file_is_hashed_once_and_a_rewritten_one_again(
    tmp_path: Path, counted: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    scrape = tmp_path / "raw" / "day.txt"
    scrape.parent.mkdir()
    scrape.write_text("Title\nAbstract one.\n")
    cache_file = tmp_path / "hashes.json"
    cache = HashCache(cache_file)
    first = cache.sha256(scrape)
    assert first == hashlib.sha256(scrape.read_bytes()).hexdigest()
    # Hashed right after a change: racy, so not trusted yet.
    cache.sha256(scrape)
    assert len(counted) == 2
    monkeypatch.setattr(hash_cache, "RACY_NS", 0)
    cache.save()
    reloaded = HashCache(cache_file)
    assert reloaded.sha256(scrape) == first
    assert len(counted) == 2  # from the saved cache: not hashed again
    # Same size, new bytes, even with the old mtime put back: ctime moved, so rehashed.
    stat = scrape.stat()
    scrape.write_text("Title\nAbstract two.\n")
    os.utime(scrape, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert reloaded.sha256(scrape) == hashlib.sha256(scrape.read_bytes()).hexdigest() != first
    assert len(counted) == 3


def test_a_broken_cache_is_empty_and_gone_files_leave_it(tmp_path: Path) -> None:
    cache_file = tmp_path / "hashes.json"
    cache_file.write_text("{not json")
    cache = HashCache(cache_file)
    assert cache.entries == {}
    kept, gone = tmp_path / "a.txt", tmp_path / "b.txt"
    kept.write_text("a")
    gone.write_text("b")
    cache.sha256(kept)
    cache.sha256(gone)
    gone.unlink()
    cache.save()
    assert list(json.loads(cache_file.read_text())) == [str(kept.resolve())]
    with pytest.raises(OSError):
        cache.sha256(gone)
