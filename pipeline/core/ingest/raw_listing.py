"""What under ``raw/`` is a scrape: regular files only, never followed out of ``raw/``.

``raw/`` is filled by scrapers, sync jobs and hand; what lands there is untrusted. A
symlink could make the pipeline publish ``/etc/passwd``; a FIFO blocks the reader that
opens it forever; a symlink loop or a directory symlink can make a walk endless. So the
walk looks at every entry with ``lstat`` (never opening, never following) and keeps
only regular files; anything else is *refused* with a reason and becomes a rejected row
of the files table, so it is visible rather than silently skipped:

- ``symlink outside raw/``, ``symlink loop``, ``broken symlink``,
  ``symlink to a directory``, ``symlink to a non-regular file: fifo``;
- a symlink to a regular file inside ``raw/`` is refused too (``symlink to raw/<name>``):
  its target is read under its own name, and reading it twice would count each of its
  records as two sightings (the "latest.txt -> 2026-11-23.txt" habit);
- ``not a regular file: fifo`` (or ``socket``, ``character device``, ``block device``).

Hidden entries (".gitkeep", editor swap files, ".partial" downloads) are not scrapes and
are skipped without a row.

File names that are not valid UTF-8 (b"\\xff.txt") are kept as Python keeps them, with
surrogate escapes, for opening the file and for keys; :func:`display_name` is the form
written to Parquet columns (valid UTF-8, the bad bytes shown as ``\\xff``).
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

_KINDS = {
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFDIR: "directory",
}


@dataclass(frozen=True)
class RawListing:
    """The regular files under ``raw/`` and the entries refused with their reason."""

    files: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)


def display_name(name: str) -> str:
    """``name`` as valid UTF-8 text for a Parquet column: bytes that were not UTF-8
    (surrogate escapes) become ``\\xNN``; a valid name is returned unchanged."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def scan_raw_dir(raw_dir: Path) -> RawListing:
    """Every entry under ``raw_dir`` (hidden ones skipped), sorted by path: regular files
    to read, everything else refused as the module docstring says."""
    listing = RawListing()
    if not raw_dir.is_dir():
        return listing
    root = raw_dir.resolve()
    pending = [raw_dir]
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError as exc:  # unreadable directory: one row says so
            listing.refused.append((directory, f"unreadable: {exc.strerror or exc}"))
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:  # vanished while listed: not there
                continue
            if stat.S_ISLNK(mode):
                listing.refused.append((path, _symlink_reason(path, root)))
            elif stat.S_ISDIR(mode):
                pending.append(path)
            elif stat.S_ISREG(mode):
                listing.files.append(path)
            else:
                listing.refused.append((path, f"not a regular file: {_kind(mode)}"))
    listing.files.sort()
    listing.refused.sort()
    return listing


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "unknown kind")


def _symlink_reason(path: Path, root: Path) -> str:
    """Why the symlink at ``path`` is not read (see the module docstring)."""
    try:
        target = path.stat()  # follows the link: stat never opens, so a FIFO cannot block
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
        return "broken symlink"
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        return "symlink outside raw/"
    if stat.S_ISDIR(target.st_mode):
        return "symlink to a directory"
    if not stat.S_ISREG(target.st_mode):
        return f"symlink to a non-regular file: {_kind(target.st_mode)}"
    return f"symlink to raw/{display_name(resolved.relative_to(root).as_posix())}"
