"""Temporary files a killed run left behind are cleared by the next run.

Every write goes to a temporary name in ``processed/.tmp`` and is renamed into place
(:mod:`pipeline.core.atomic`); versions and refused candidates are staged there
too. A process killed mid-write leaves its temporary name behind. The global run calls
:func:`clear_leftovers` at its start, holding the data directory
(:mod:`pipeline.defs.run_lease`), and it removes every entry of ``processed/.tmp``
whose writer, named by the pid in it, is gone (per-file runs may be writing there
beside it; their files are kept while they live), and any entry without a pid, which
no writer makes.

Data directories written by earlier code kept temporary names beside their targets;
those are cleared too. Two kinds of directory:

- written by global runs only (``_assets``, ``papers/_refused``): no one else can be
  writing there, so every temporary name and every table-part directory no table
  points at is a leftover;
- shared with per-file runs (``_files``, ``_cache``): a temporary file is removed only
  when its writer is gone, or, without a pid, when older than LEGACY_TEMP_AGE_SECONDS.

``papers/.staging-*`` of earlier code is cleared by the version store under its lock.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

from pipeline.core.atomic import TEMP_DIR
from pipeline.core.store.locking import pid_alive

GLOBAL_ONLY = ("_assets", "papers/_refused")
SHARED = ("_files", "_cache")
LEGACY_TEMP_AGE_SECONDS = 3600
_TEMP = re.compile(r"^\..+\.tmp-(?:(\d+)-)?[0-9a-f]{32}$")
_STAGING = re.compile(r"^\.staging-")
_PARTS_DIR = re.compile(r"^\.(.+)-[0-9a-f]{12}$")  # link_parts_atomic's targets
_WRITER_PID = re.compile(r"-(\d+)-[0-9a-f]{32}$")  # atomic.temp_path, new_staging_dir


def clear_leftovers(processed_dir: Path) -> list[Path]:
    """Remove what killed runs left under ``processed_dir`` as the module docstring
    says; returns the paths removed."""
    removed = clear_temp_dir(processed_dir / TEMP_DIR)
    for name in GLOBAL_ONLY:
        for path in _walk(processed_dir / name):
            if _TEMP.match(path.name) or _STAGING.match(path.name) or _orphan_parts(path):
                _remove(path)
                removed.append(path)
    now = time.time()
    for name in SHARED:
        for path in _walk(processed_dir / name):
            match = _TEMP.match(path.name)
            if match and _writer_gone(path, match.group(1), now):
                _remove(path)
                removed.append(path)
    return removed


def clear_temp_dir(temp: Path) -> list[Path]:
    """Remove the entries of the temporary directory ``temp`` whose writer is dead or
    unnamed; returns them."""
    if not temp.is_dir() or temp.is_symlink():
        return []
    removed = []
    for entry in sorted(temp.iterdir()):
        match = _WRITER_PID.search(entry.name)
        if match is None or not pid_alive(int(match.group(1))):
            _remove(entry)
            removed.append(entry)
    return removed


def _walk(root: Path) -> list[Path]:
    """Every entry below ``root`` (not following symlinks), parents before children."""
    found: list[Path] = []
    if not root.is_dir() or root.is_symlink():
        return found
    for entry in sorted(root.iterdir()):
        found.append(entry)
        if entry.is_dir() and not entry.is_symlink() and not entry.name.startswith("."):
            found.extend(_walk(entry))
    return found


def _orphan_parts(path: Path) -> bool:
    """A parts directory ``.<table>-<hex>`` that its table's symlink does not point at."""
    match = _PARTS_DIR.match(path.name)
    if not match or not path.is_dir() or path.is_symlink():
        return False
    table = path.parent / match.group(1)
    return not (table.is_symlink() and table.resolve() == path.resolve())


def _writer_gone(path: Path, pid: str | None, now: float) -> bool:
    if pid is not None:
        return not pid_alive(int(pid))
    try:
        return now - path.lstat().st_mtime > LEGACY_TEMP_AGE_SECONDS
    except OSError:
        return False


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
