"""sha256 of raw files remembered against their stat, so unchanged files are hashed once.

Every run hashes every raw file (a file's sha256 decides whether its stored output is
current): 1.3 GB for a million records, three times per command-line run (the
unchanged-input check, the global asset, the gathering inside it). :class:`HashCache`
keeps each file's hash with its stat (size, mtime, ctime, inode), the way git's index
does, in ``processed/_cache/file_hashes.json``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from pipeline.core.atomic import write_atomic
from pipeline.core.ingest.hashing import file_sha256

# A hash is trusted only if it was taken this long after the file's last change: a
# file written again within the file system's timestamp granularity could otherwise
# keep its stat with a stale hash ("racy" entries, in git's words).
RACY_NS = 2_000_000_000


class HashCache:
    """sha256 of files by stat, loaded from and saved to a JSON file (``path``; None
    keeps it in memory only). A missing or unreadable cache file is an empty cache."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.entries: dict[str, dict] = {}
        self.changed = False
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def sha256(self, file: Path) -> str:
        """The file's sha256: from the cache when its stat is unchanged since a hash taken
        well after its last change, else computed (and remembered). Raises OSError
        like :func:`~pipeline.core.ingest.hashing.file_sha256`."""
        key = str(file.resolve())
        stat = file.stat()
        signature = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        entry = self.entries.get(key)
        if (
            entry is not None
            and entry.get("stat") == signature
            and entry["hashed_at_ns"] - max(stat.st_mtime_ns, stat.st_ctime_ns) >= RACY_NS
        ):
            return entry["sha256"]
        hashed_at = time.time_ns()
        digest = file_sha256(file)
        self.entries[key] = {"stat": signature, "sha256": digest, "hashed_at_ns": hashed_at}
        self.changed = True
        return digest

    def forget(self, file: Path | None = None) -> None:
        """Drop the remembered hash of ``file`` (every file when None), so it is hashed
        again: after a run found the bytes it parsed differ from the hash it trusted,
        or when a forced run must trust nothing."""
        if file is None:
            self.entries.clear()
        else:
            self.entries.pop(str(file.resolve()), None)
        self.changed = True

    def save(self) -> None:
        """Write the cache atomically if anything changed; entries of files that no
        longer exist are dropped."""
        if self.path is None or not self.changed:
            return
        kept = {k: v for k, v in self.entries.items() if Path(k).exists()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(kept))
        self.changed = False
