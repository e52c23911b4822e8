"""Atomic, durable writes: every file the pipeline writes goes through here.

A file is written under a temporary name, flushed and fsynced, renamed over its target
in one step, and the target's directory is fsynced, so after a crash (or power loss) a
reader finds the old file or the new one, never half of one, and a rename that was
reported done stays done.

Every temporary name lives in one directory per data directory, ``processed/.tmp``
(:func:`temp_dir`), which the next global run clears of what dead writers left
(:mod:`pipeline.core.store.leftovers`). It is inside ``processed/``, so on the same file
system as every target and the final rename stays atomic. A name carries its writer's
pid (:func:`temp_path`), so the clearing can tell a killed writer's leftover from a file
a live per-file run is writing right now.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import polars as pl

# The data directory's processed tables live under a directory of this name (see
# ``pipeline.settings``); its temporary files in TEMP_DIR inside it.
PROCESSED = "processed"
TEMP_DIR = ".tmp"
TEMP_MARK = ".tmp-"
PARQUET_COMPRESSION = "zstd"
PART_GLOB = "part-*.parquet"


def temp_dir(target: Path) -> Path:
    """Where temporary files for ``target`` are written: ``processed/.tmp`` of the data
    directory holding ``target`` (its nearest ancestor named ``processed``), or, for a
    path outside any data directory (a script, a test), ``target``'s own directory."""
    target = Path(target).absolute()
    for parent in target.parents:
        if parent.name == PROCESSED:
            return parent / TEMP_DIR
    return target.parent


def temp_path(target: Path) -> Path:
    """A fresh temporary name for ``target``: ``.<name>.tmp-<pid>-<random>`` in
    :func:`temp_dir` (created if needed). The pid names the writer."""
    directory = temp_dir(target)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f".{Path(target).name}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex}"


def fsync_file(path: Path) -> None:
    with Path(path).open("rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Make the directory entries of ``path`` durable (a rename into it, a new file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(directory: Path) -> None:
    """fsync every file and directory under ``directory`` (itself last): a staged
    version is durable as a whole before it is renamed into place."""
    for root, _dirs, files in os.walk(directory, topdown=False):
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                fsync_file(path)
        fsync_dir(Path(root))


def replace_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary path, fsync it, rename it over ``target`` and fsync
    ``target``'s directory; the temporary file never outlives a failed write."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(target)
    try:
        write(tmp)
        fsync_file(tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8): readers see the old or the new file."""
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet_atomic(
    df: pl.DataFrame, path: Path, metadata: dict[str, str] | None = None
) -> None:
    """Write ``df`` to ``path`` atomically; ``metadata`` goes into the file's key-value
    metadata."""
    replace_atomically(
        path, lambda tmp: df.write_parquet(tmp, compression=PARQUET_COMPRESSION, metadata=metadata)
    )


def sink_parquet_atomic(frame: pl.LazyFrame, path: Path) -> None:
    """:func:`write_parquet_atomic` for a lazy frame, streamed: memory stays bounded by
    the engine's batches, not the table (about 0.8 GB for a 1M-record table)."""
    replace_atomically(path, lambda tmp: frame.sink_parquet(tmp, compression=PARQUET_COMPRESSION))


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target``; copy it across file systems or where links are
    not supported (copy_file_range: no bytes through Python).

    A link is safe because nothing in the pipeline writes a file in place: every write
    renames a new file over the old path (:func:`replace_atomically`), which leaves the
    linked inode untouched."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def link_parts_atomic(
    directory: Path, files: Sequence[Path], beside: Mapping[str, str] | None = None
) -> None:
    """Make ``directory`` a table of the Parquet ``files`` (in order) without rewriting
    a row: a fresh hidden directory of hard links ``part-000000.parquet``, ... (copies
    across file systems), then ``directory`` becomes a symbolic link to it, swapped
    atomically, and the directory it pointed at before is removed. Readers see the old
    parts or the new ones. ``beside``: small text files (name: text) to place beside
    the parts before the swap."""
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / f".{directory.name}-{uuid.uuid4().hex[:12]}"
    target.mkdir()
    try:
        for i, source in enumerate(files):
            link_or_copy(source, target / f"part-{i:06d}.parquet")
        for name, text in (beside or {}).items():
            (target / name).write_text(text, encoding="utf-8")
        fsync_tree(target)
        previous = directory.resolve() if directory.is_symlink() else None
        # A symlink's text is resolved where the link is, so a relative one made in
        # the temporary directory points into ``parent`` once renamed there.
        pointer = temp_path(directory)
        pointer.symlink_to(target.name)
        pointer.replace(directory)
        fsync_dir(parent)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    if previous is not None and previous != target and previous.parent == parent:
        shutil.rmtree(previous, ignore_errors=True)


def part_files(directory: Path) -> list[Path]:
    """The parts of a table written by :func:`link_parts_atomic`, in order."""
    return sorted(directory.glob(PART_GLOB))


def new_staging_dir(beside: Path, prefix: str) -> Path:
    """A fresh, empty directory in the temporary directory of ``beside``, to be filled
    and then renamed to its final name next to ``beside`` (a version, a refused
    candidate): named ``<prefix><pid>-<random>`` so leftovers can tell whose it is."""
    directory = temp_dir(beside / "_")
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f"{prefix}{os.getpid()}-{uuid.uuid4().hex}"
    staging.mkdir()
    return staging
